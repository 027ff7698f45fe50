// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl - look at and control PEL, the Parallel Execution Layer.
 *
 *	pelctl [OPTIONS] OBJECT COMMAND [ARGS]
 *	pelctl [OPTIONS] COMMAND [ARGS]
 *
 * bpftool's grammar: main() takes the options (getopt_long: -j, -p, -o,
 * -h, -V, and watch's -i and -n) wherever they stand, and hands the rest
 * to a command table; an object ("worker", "param", ...) is a command
 * whose handler selects from a table of its own.  Every command gathers
 * what it shows into plain structs first and prints them second, as text
 * or as JSON (-j compact, -p pretty), so that both printers show the same
 * data.  In JSON mode an error is printed as {"error": "..."} on stdout,
 * and the exit status says it failed.  The other parts: pelctl.h.
 *
 * Exit status: 0 success, 1 failure, 2 bad usage.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pelctl.h"

const char *prog = "pelctl";
bool json_output;
bool pretty_output;
enum output output;
const char *watch_interval_arg;
const char *watch_count_arg;
bool status_cmd;

/* ------------------------------------------------------------------------
 * Errors: text on stderr, or {"error": "..."} on stdout in JSON mode.
 * absent: the module is not loaded (status adds what liblpel does then).
 */
static void vp_err(bool absent, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (json_output) {
		struct json_writer jw;

		jsonw_init(&jw, stdout, pretty_output);
		jsonw_start_object(&jw);
		jsonw_string_field(&jw, "error", msg);
		if (absent && status_cmd)
			json_liblpel(&jw, false);
		jsonw_end_object(&jw);
		fflush(stdout);
	} else {
		fprintf(stderr, "%s: %s\n", prog, msg);
		if (absent && status_cmd)
			print_liblpel(false);
	}
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vp_err(false, fmt, ap);
	va_end(ap);
}

void p_err_absent(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vp_err(true, fmt, ap);
	va_end(ap);
}

static const struct {
	int err;
	const char *name;
} errno_names[] = {
	{ EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { ESRCH, "ESRCH" },
	{ EINTR, "EINTR" }, { ENXIO, "ENXIO" }, { E2BIG, "E2BIG" },
	{ ENOMEM, "ENOMEM" }, { EACCES, "EACCES" }, { EFAULT, "EFAULT" },
	{ EBUSY, "EBUSY" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
	{ ENOTTY, "ENOTTY" }, { EROFS, "EROFS" }, { ERANGE, "ERANGE" },
	{ ENOSYS, "ENOSYS" }, { EOPNOTSUPP, "EOPNOTSUPP" },
	{ EALREADY, "EALREADY" }, { ECANCELED, "ECANCELED" },
	{ ETIME, "ETIME" },
};

/* "Invalid argument (EINVAL)" */
const char *errstr(int err)
{
	static char buf[128];
	const char *name = NULL;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i].err == err)
			name = errno_names[i].name;
	if (name)
		snprintf(buf, sizeof(buf), "%s (%s)", strerror(err), name);
	else
		snprintf(buf, sizeof(buf), "%s (errno %d)", strerror(err), err);
	return buf;
}

/* ------------------------------------------------------------------------
 * Commands and objects.
 */
static int do_worker(int argc, char **argv);
static int do_context(int argc, char **argv);
static int do_op(int argc, char **argv);
static int do_param(int argc, char **argv);
static int do_version(int argc, char **argv);
static int do_help(int argc, char **argv);

static const struct cmd main_cmds[] = {
	{ "status",	do_status,	"",
	  "module, parameters, workers, contexts, ops, totals" },
	{ "watch",	do_watch,	"[-i SEC] [-n COUNT]",
	  "rates per second, every SEC seconds (default 1)" },
	{ "set",	do_set,		"NAME VALUE",
	  "set a module parameter (needs root)" },
	{ "get",	do_get,		"[NAME]",
	  "print a module parameter, or all" },
	{ "worker",	do_worker,	"{ show | help }",
	  "the per-CPU workers" },
	{ "context",	do_context,	"{ show | help }",
	  "the contexts processes have set up" },
	{ "op",		do_op,		"{ show | help }",
	  "per-opcode counters and latency" },
	{ "param",	do_param,	"{ show | get | set | help }",
	  "the module parameters" },
	{ "version",	do_version,	"",
	  "pelctl and module versions" },
	{ "help",	do_help,	"",
	  "this text" },
	{ 0 }
};

/* The parameters of params[] that only load sets, for the help text. */
static void print_read_only(FILE *out)
{
	const char *sep = "";
	unsigned int i;

	for (i = 0; i < nr_params; i++)
		if (!params[i].writable) {
			fprintf(out, "%s%s", sep, params[i].name);
			sep = ", ";
		}
}

static void usage(FILE *out)
{
	const struct cmd *c;
	char list[512];

	fprintf(out,
		"Usage: %s [OPTIONS] OBJECT COMMAND [ARGS]\n"
		"       %s [OPTIONS] COMMAND [ARGS]\n"
		"\n"
		"Commands and objects:\n", prog, prog);
	for (c = main_cmds; c->name; c++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", c->name, c->args);
		fprintf(out, "  %-34s %s\n", left, c->summary);
	}
	param_names(list, sizeof(list), true);
	fprintf(out, "\nParameters for set and get: %s.\n", list);
	fprintf(out, "Read-only (get): ");
	print_read_only(out);
	fprintf(out,
		".\n"
		"\n"
		"Options (anywhere before '--'):\n"
		"  -j, --json             JSON output\n"
		"  -p, --pretty           indented JSON output (implies -j)\n"
		"  -o, --output FORMAT    text, json, or openmetrics (status only)\n"
		"  -i, --interval SEC     watch: seconds between looks (default 1)\n"
		"  -n, --count COUNT      watch: stop after COUNT looks\n"
		"  -h, --help             this text\n"
		"  -V, --version          same as 'version'\n");
}

/* A usage error: the message, then (text mode) the usage. */
int usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p_err("%s", msg);
	if (!json_output)
		fprintf(stderr, "Try '%s help'.\n", prog);
	return EXIT_USAGE;
}

/*
 * Run the command argv[0] names: an exact name, or a prefix of exactly one
 * (as bpftool allows "pelctl st").  what is "command" or "object or
 * command", for the messages.
 */
int cmd_select(const struct cmd *cmds, const char *what, int argc,
	       char **argv)
{
	const struct cmd *c, *found = NULL;
	size_t len = strlen(argv[0]);
	int matches = 0;

	for (c = cmds; c->name; c++) {
		if (!strcmp(c->name, argv[0]))
			return c->func(argc - 1, argv + 1);
		if (len && !strncmp(c->name, argv[0], len)) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found->func(argc - 1, argv + 1);
	if (matches > 1)
		return usage_err("ambiguous %s '%s'", what, argv[0]);
	return usage_err("unknown %s '%s'", what, argv[0]);
}

bool no_more_args(const char *cmd, int argc, char **argv)
{
	if (!argc)
		return true;
	usage_err("%s: unexpected argument '%s'", cmd, argv[0]);
	return false;
}

/* ------------------------------------------------------------------------
 * Objects.
 */
static int do_param_show(int argc, char **argv)
{
	if (!no_more_args("param show", argc, argv))
		return EXIT_USAGE;
	return do_get(0, NULL);
}

static int object_help(const char *object, const char *cmds)
{
	if (json_output) {
		printf("null\n");
		return EXIT_SUCCESS;
	}
	printf("Usage: %s %s %s\n", prog, object, cmds);
	return EXIT_SUCCESS;
}

static int do_worker_help(int argc, char **argv)
{
	if (!no_more_args("worker help", argc, argv))
		return EXIT_USAGE;
	return object_help("worker", "{ show | list | help }");
}

static int do_context_help(int argc, char **argv)
{
	if (!no_more_args("context help", argc, argv))
		return EXIT_USAGE;
	return object_help("context", "{ show | list | help }");
}

static int do_op_help(int argc, char **argv)
{
	if (!no_more_args("op help", argc, argv))
		return EXIT_USAGE;
	return object_help("op", "{ show | list | help }");
}

static int do_param_help(int argc, char **argv)
{
	unsigned int i;

	if (!no_more_args("param help", argc, argv))
		return EXIT_USAGE;
	if (json_output)
		return object_help("param", "");
	printf("Usage: %s param { show | list | get NAME | set NAME VALUE | help }\n"
	       "       NAME := {", prog);
	for (i = 0; i < nr_params; i++)
		printf("%s %s", i ? " |" : "", params[i].name);
	printf(" }\n");
	return EXIT_SUCCESS;
}

static const struct cmd worker_cmds[] = {
	{ "show", do_worker_show, "", "" },
	{ "list", do_worker_show, "", "" },
	{ "help", do_worker_help, "", "" },
	{ 0 }
};

static const struct cmd context_cmds[] = {
	{ "show", do_context_show, "", "" },
	{ "list", do_context_show, "", "" },
	{ "help", do_context_help, "", "" },
	{ 0 }
};

static const struct cmd op_cmds[] = {
	{ "show", do_op_show, "", "" },
	{ "list", do_op_show, "", "" },
	{ "help", do_op_help, "", "" },
	{ 0 }
};

static const struct cmd param_cmds[] = {
	{ "show", do_param_show, "", "" },
	{ "list", do_param_show, "", "" },
	{ "get", do_get, "", "" },
	{ "set", do_set, "", "" },
	{ "help", do_param_help, "", "" },
	{ 0 }
};

/* An object alone shows it, as "bpftool prog" would list programs. */
static int do_worker(int argc, char **argv)
{
	return argc ? cmd_select(worker_cmds, "worker command", argc, argv) :
		      do_worker_show(0, NULL);
}

static int do_context(int argc, char **argv)
{
	return argc ? cmd_select(context_cmds, "context command", argc, argv) :
		      do_context_show(0, NULL);
}

static int do_op(int argc, char **argv)
{
	return argc ? cmd_select(op_cmds, "op command", argc, argv) :
		      do_op_show(0, NULL);
}

static int do_param(int argc, char **argv)
{
	return argc ? cmd_select(param_cmds, "param command", argc, argv) :
		      do_param_show(0, NULL);
}

/* Works without the module too: it then says so and succeeds. */
static int do_version(int argc, char **argv)
{
	struct pel_info info;
	bool have_info = false;
	int fd;

	if (!no_more_args("version", argc, argv))
		return EXIT_USAGE;
	fd = open_pel(true);
	if (fd >= 0) {
		have_info = !get_info(fd, &info, true);
		close(fd);
	}
	if (json_output) {
		struct json_writer jw;

		jsonw_init(&jw, stdout, pretty_output);
		jsonw_start_object(&jw);
		jsonw_string_field(&jw, "pelctl", PELCTL_VERSION);
		jsonw_uint_field(&jw, "abi", PEL_ABI_VERSION);
		if (have_info) {
			jsonw_object_field(&jw, "module");
			jsonw_string_n_field(&jw, "version", info.version,
				  sizeof(info.version));
			jsonw_uint_field(&jw, "abi", info.abi_version);
			jsonw_end_object(&jw);
		} else {
			jsonw_null_field(&jw, "module");
		}
		jsonw_end_object(&jw);
		return EXIT_SUCCESS;
	}
	printf("pelctl %s, ABI %u\n", PELCTL_VERSION, PEL_ABI_VERSION);
	if (fd < 0)
		printf("module not loaded\n");
	else if (have_info)
		printf("module pel %.*s, ABI %u\n", (int)sizeof(info.version),
		       info.version, info.abi_version);
	else
		printf("module: %s\n", strerror(errno));
	return EXIT_SUCCESS;
}

static int do_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return EXIT_SUCCESS;
}

/*
 * The options, wherever they stand ("pelctl status -j" as well as
 * "pelctl -j status"), up to a "--", by getopt_long(); the other words go
 * to the command, in order ("-" first in the option string: getopt hands
 * them over one by one, as it finds them).  A negative number is a word
 * ("set idle_us -5" is the module's to refuse), not an option.  watch's
 * -i and -n are taken here too, and refused for other commands.  Returns
 * -1 to go on, or an exit status.
 */
static const struct option long_options[] = {
	{ "json",	no_argument,		NULL, 'j' },
	{ "pretty",	no_argument,		NULL, 'p' },
	{ "output",	required_argument,	NULL, 'o' },
	{ "interval",	required_argument,	NULL, 'i' },
	{ "count",	required_argument,	NULL, 'n' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "version",	no_argument,		NULL, 'V' },
	{ 0 }
};

/* What getopt sees in place of a negative number: a word. */
static char negative_placeholder[] = "0";

static bool is_negative_number(const char *s)
{
	return s[0] == '-' && (isdigit((unsigned char)s[1]) || s[1] == '.');
}

static int parse_options(int *argcp, char **argv)
{
	bool help = false, version = false, om = false, js = false;
	int argc = *argcp, out = 1, c, i;
	char **gargv;

	/* getopt sees a placeholder where a negative number stands */
	gargv = calloc(argc + 1, sizeof(*gargv));
	if (!gargv) {
		p_err("out of memory");
		return EXIT_FAILURE;
	}
	for (i = 0; i < argc; i++)
		gargv[i] = i && is_negative_number(argv[i]) ?
			   negative_placeholder : argv[i];
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, gargv, "-:jpo:i:n:hV", long_options,
				NULL)) != -1) {
		/* an option's argument that is a negative number ("-i -5") */
		if (optarg == negative_placeholder)
			optarg = argv[optind - 1];
		switch (c) {
		case 1:
			/* a word: the original, not the placeholder */
			argv[out++] = argv[optind - 1];
			break;
		case 'j':
			js = true;
			break;
		case 'p':
			js = pretty_output = true;
			break;
		case 'o':
			if (!strcmp(optarg, "json")) {
				js = true;
			} else if (!strcmp(optarg, "openmetrics")) {
				om = true;
			} else if (strcmp(optarg, "text")) {
				free(gargv);
				return usage_err("unknown output format '%s': text, json or openmetrics",
						 optarg);
			}
			break;
		case 'i':
			watch_interval_arg = optarg;
			break;
		case 'n':
			watch_count_arg = optarg;
			break;
		case 'h':
			help = true;
			break;
		case 'V':
			version = true;
			break;
		case ':':
			free(gargv);
			return usage_err("option '%s' needs an argument",
					 argv[optind - 1]);
		default:
			free(gargv);
			if (optopt)
				return usage_err("unknown option '-%c'", optopt);
			return usage_err("unknown option '%s'", argv[optind - 1]);
		}
	}
	/* after "--": words all */
	for (i = optind; i < argc; i++)
		argv[out++] = argv[i];
	free(gargv);
	argv[out] = NULL;
	*argcp = out;
	json_output = js;
	output = om ? OUTPUT_OPENMETRICS : js ? OUTPUT_JSON : OUTPUT_TEXT;
	if (om && js) {
		json_output = true;
		return usage_err("-o openmetrics and JSON output (-j, -p, -o json): choose one");
	}
	if (help)
		return do_help(0, NULL);
	if (version)
		return do_version(0, NULL);
	return -1;
}

/*
 * The command argv[0] names, as cmd_select() finds it, for the checks of
 * the options only some commands take; NULL if none or several.
 */
static const struct cmd *main_cmd(const char *word)
{
	const struct cmd *c, *found = NULL;
	size_t len = strlen(word);
	int matches = 0;

	for (c = main_cmds; c->name; c++) {
		if (!strcmp(c->name, word))
			return c;
		if (len && !strncmp(c->name, word, len)) {
			found = c;
			matches++;
		}
	}
	return matches == 1 ? found : NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;
	int ret;

	ret = parse_options(&argc, argv);
	if (ret >= 0)
		return ret;
	if (argc < 2) {
		if (json_output)
			return usage_err("no command given");
		usage(stderr);
		return EXIT_USAGE;
	}
	c = main_cmd(argv[1]);
	if (c && c->func != do_watch && (watch_interval_arg || watch_count_arg))
		return usage_err("%s: -%c is an option of watch", c->name,
				 watch_interval_arg ? 'i' : 'n');
	if (c && c->func != do_status && output == OUTPUT_OPENMETRICS) {
		output = OUTPUT_TEXT;
		return usage_err("%s: -o openmetrics is for status only", c->name);
	}
	return cmd_select(main_cmds, "object or command", argc - 1, argv + 1);
}
