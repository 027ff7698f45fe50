// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl - look at and control PEL, the Parallel Execution Layer.
 *
 *	pelctl [OPTIONS] OBJECT COMMAND [ARGS]
 *	pelctl [OPTIONS] COMMAND [ARGS]
 *
 * bpftool's grammar: main() takes the global options (-j, -p, -h, -V)
 * wherever they stand, and hands the rest to a command table; an object
 * ("worker", "param", ...) is a command whose handler selects from a table
 * of its own.  Every command gathers what it shows into plain structs first
 * and prints them second, as text or as JSON (-j compact, -p pretty), so
 * that both printers show the same data.  In JSON mode an error is printed
 * as {"error": "..."} on stdout, and the exit status says it failed.
 *
 * Exit status: 0 success, 1 failure, 2 bad usage.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pel.h"

#ifndef PELCTL_VERSION
#define PELCTL_VERSION		"1.1.0"
#endif

#define EXIT_USAGE		2

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* A module that never says -ENOENT must not make us loop forever. */
#define MAX_CONTEXTS		(1U << 20)

#define PARAMS_DIR		"/sys/module/pel/parameters"

static const char *prog = "pelctl";
static bool json_output;
static bool pretty_output;

/* ------------------------------------------------------------------------
 * JSON writer: compact by default, indented with -p.  It keeps, per nesting
 * level, whether a value was written yet (for the commas).
 */
#define JW_MAX_DEPTH		16

struct jw {
	FILE *out;
	bool pretty;
	bool after_key;
	unsigned int depth;
	bool first[JW_MAX_DEPTH + 1];
};

static void jw_init(struct jw *jw, FILE *out, bool pretty)
{
	memset(jw, 0, sizeof(*jw));
	jw->out = out;
	jw->pretty = pretty;
}

static void jw_newline(struct jw *jw)
{
	unsigned int i;

	if (!jw->pretty)
		return;
	fputc('\n', jw->out);
	for (i = 0; i < jw->depth; i++)
		fputs("  ", jw->out);
}

/* Before any value: the comma and, pretty, the line break. */
static void jw_value(struct jw *jw)
{
	if (jw->after_key) {
		jw->after_key = false;
		return;
	}
	if (!jw->depth)
		return;
	if (!jw->first[jw->depth])
		fputc(',', jw->out);
	jw->first[jw->depth] = false;
	jw_newline(jw);
}

/*
 * Control characters and bytes >= 0x7f (a comm need not be UTF-8) become
 * \u00XX: the output is always valid JSON, whatever the bytes.
 */
static void jw_quoted(struct jw *jw, const char *s, size_t max)
{
	size_t i;

	fputc('"', jw->out);
	for (i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"':
			fputs("\\\"", jw->out);
			break;
		case '\\':
			fputs("\\\\", jw->out);
			break;
		case '\n':
			fputs("\\n", jw->out);
			break;
		case '\t':
			fputs("\\t", jw->out);
			break;
		case '\r':
			fputs("\\r", jw->out);
			break;
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(jw->out, "\\u%04x", c);
			else
				fputc(c, jw->out);
		}
	}
	fputc('"', jw->out);
}

static void jw_key(struct jw *jw, const char *key)
{
	jw_value(jw);
	jw_quoted(jw, key, SIZE_MAX);
	fputs(jw->pretty ? ": " : ":", jw->out);
	jw->after_key = true;
}

static void jw_open(struct jw *jw, char c)
{
	jw_value(jw);
	fputc(c, jw->out);
	if (jw->depth < JW_MAX_DEPTH)
		jw->depth++;
	jw->first[jw->depth] = true;
}

static void jw_close(struct jw *jw, char c)
{
	bool empty = jw->first[jw->depth];

	if (jw->depth)
		jw->depth--;
	if (!empty)
		jw_newline(jw);
	fputc(c, jw->out);
	if (!jw->depth)
		fputc('\n', jw->out);
}

static void jw_object(struct jw *jw, const char *key)
{
	if (key)
		jw_key(jw, key);
	jw_open(jw, '{');
}

static void jw_array(struct jw *jw, const char *key)
{
	if (key)
		jw_key(jw, key);
	jw_open(jw, '[');
}

static void jw_end_object(struct jw *jw)
{
	jw_close(jw, '}');
}

static void jw_end_array(struct jw *jw)
{
	jw_close(jw, ']');
}

static void jw_string(struct jw *jw, const char *key, const char *s, size_t max)
{
	if (key)
		jw_key(jw, key);
	jw_value(jw);
	jw_quoted(jw, s, max);
}

static void jw_u64(struct jw *jw, const char *key, uint64_t v)
{
	if (key)
		jw_key(jw, key);
	jw_value(jw);
	fprintf(jw->out, "%" PRIu64, v);
}

static void jw_s64(struct jw *jw, const char *key, int64_t v)
{
	if (key)
		jw_key(jw, key);
	jw_value(jw);
	fprintf(jw->out, "%" PRId64, v);
}

/* JSON has no NaN or infinity: those become null. */
static void jw_double(struct jw *jw, const char *key, double v)
{
	if (key)
		jw_key(jw, key);
	jw_value(jw);
	if (v != v || v > 1e300 || v < -1e300)
		fputs("null", jw->out);
	else
		fprintf(jw->out, "%.3f", v);
}

static void jw_null(struct jw *jw, const char *key)
{
	if (key)
		jw_key(jw, key);
	jw_value(jw);
	fputs("null", jw->out);
}

/* ------------------------------------------------------------------------
 * What liblpel programs started here run on: $LPEL_BACKEND ("kernel",
 * "user", "auto"; unset is the kernel) and whether the module is there,
 * by liblpel's own rule (lpel_init_params(), Documentation/user.md).
 */

/* "kernel", "user", or NULL when $LPEL_BACKEND is not a backend. */
static const char *env_backend(const char *env, bool module)
{
	if (!strcmp(env, "kernel"))
		return "kernel";
	if (!strcmp(env, "user"))
		return "user";
	if (!strcmp(env, "auto"))
		return module ? "kernel" : "user";
	return NULL;
}

static const char *lpel_backend_env(void)
{
	const char *env = getenv("LPEL_BACKEND");

	return env && *env ? env : NULL;
}

/* status: one line, when $LPEL_BACKEND makes the answer other than the module. */
static void print_liblpel(bool module)
{
	const char *env = lpel_backend_env(), *b;

	if (!env)
		return;
	b = env_backend(env, module);
	if (!b)
		printf("liblpel: LPEL_BACKEND=%s is not a backend (kernel, user, auto): programs here fail with EINVAL\n",
		       env);
	else if (!strcmp(b, "user"))
		printf("liblpel: programs here run on the user backend (LPEL_BACKEND=%s%s)\n",
		       env, module ? "" : ", module absent");
	else if (!module)
		printf("liblpel: programs here fail with ENODEV (LPEL_BACKEND=%s, module absent)\n",
		       env);
}

/* status -j: "liblpel": {"LPEL_BACKEND": ..., "backend": ...} when it is set. */
static void json_liblpel(struct jw *jw, bool module)
{
	const char *env = lpel_backend_env(), *b;

	if (!env)
		return;
	b = env_backend(env, module);
	jw_object(jw, "liblpel");
	jw_string(jw, "LPEL_BACKEND", env, SIZE_MAX);
	if (b)
		jw_string(jw, "backend", b, SIZE_MAX);
	else
		jw_null(jw, "backend");
	jw_end_object(jw);
}

/* The command is status: a missing module's error says what liblpel does. */
static bool status_cmd;

/* ------------------------------------------------------------------------
 * Errors: text on stderr, or {"error": "..."} on stdout in JSON mode.
 * absent: the module is not loaded (status adds what liblpel does then).
 */
static void vp_err(bool absent, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (json_output) {
		struct jw jw;

		jw_init(&jw, stdout, pretty_output);
		jw_object(&jw, NULL);
		jw_string(&jw, "error", msg, SIZE_MAX);
		if (absent && status_cmd)
			json_liblpel(&jw, false);
		jw_end_object(&jw);
		fflush(stdout);
	} else {
		fprintf(stderr, "%s: %s\n", prog, msg);
		if (absent && status_cmd)
			print_liblpel(false);
	}
}

static void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vp_err(false, fmt, ap);
	va_end(ap);
}

static void p_err_absent(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void p_err_absent(const char *fmt, ...)
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
static const char *errstr(int err)
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
struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *args;
	const char *summary;
};

static int do_status(int argc, char **argv);
static int do_watch(int argc, char **argv);
static int do_set(int argc, char **argv);
static int do_get(int argc, char **argv);
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

static void usage(FILE *out)
{
	const struct cmd *c;

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
	fprintf(out,
		"\n"
		"Parameters for set/get: idle_us, batch, split_bytes, max_inflight.\n"
		"\n"
		"Options (anywhere before '--'):\n"
		"  -j, --json     JSON output\n"
		"  -p, --pretty   indented JSON output (implies -j)\n"
		"  -h, --help     this text\n"
		"  -V, --version  same as 'version'\n");
}

/* A usage error: the message, then (text mode) the usage. */
static int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_err(const char *fmt, ...)
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
static int cmd_select(const struct cmd *cmds, const char *what, int argc,
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

static bool no_more_args(const char *cmd, int argc, char **argv)
{
	if (!argc)
		return true;
	usage_err("%s: unexpected argument '%s'", cmd, argv[0]);
	return false;
}

/* ------------------------------------------------------------------------
 * Reading the module.
 */

/*
 * Stats need no write access: a user who may only read /dev/pel still gets
 * them.  Returns the fd, or -1 (with errno) after saying why unless quiet.
 */
static int open_pel(bool quiet)
{
	int fd, err;

	fd = open(PEL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(PEL_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || quiet)
		return fd;

	err = errno;
	switch (err) {
	case ENOENT:
		p_err_absent("PEL module not loaded (%s missing): load it with 'modprobe pel' or 'insmod pel.ko'",
			     PEL_DEVICE_PATH);
		break;
	case ENXIO:
	case ENODEV:
		p_err_absent("PEL module not loaded (%s has no driver): load it with 'modprobe pel' or 'insmod pel.ko'",
			     PEL_DEVICE_PATH);
		break;
	case EACCES:
	case EPERM:
		p_err("permission denied opening %s: run as root, or join the group that owns it (see pelctl(8))",
		      PEL_DEVICE_PATH);
		break;
	default:
		p_err("cannot open %s: %s", PEL_DEVICE_PATH, errstr(err));
		break;
	}
	errno = err;
	return -1;
}

static int get_info(int fd, struct pel_info *info, bool quiet)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (!ioctl(fd, PEL_IOC_INFO, info))
		return 0;
	if (!quiet)
		p_err("PEL_IOC_INFO: %s", errstr(errno));
	return -1;
}

struct param {
	char name[64];
	char value[128];
};

/* Everything one look at the module shows, read before any of it is printed. */
struct pel_status {
	struct pel_info info;
	struct pel_worker_stats *workers;
	unsigned int nr_workers;
	struct pel_ctx_stats *ctxs;
	unsigned int nr_ctxs;
	struct pel_op_stats ops[PEL_OP_SLOTS];
	unsigned int nr_ops;
	struct param *params;
	unsigned int nr_params;
	uint64_t when_ns;		/* CLOCK_MONOTONIC */
	struct cgroup_name *cgroups;	/* by resolve_cgroups(): one per id */
	unsigned int nr_cgroups;
};

/* A context's cgroup: its id and the directory found for it. */
struct cgroup_name {
	uint64_t id;
	char *path;		/* under the cgroup2 mount, "/" its root; NULL: not found */
};

static void free_status(struct pel_status *st)
{
	unsigned int i;

	free(st->workers);
	free(st->ctxs);
	free(st->params);
	for (i = 0; i < st->nr_cgroups; i++)
		free(st->cgroups[i].path);
	free(st->cgroups);
	memset(st, 0, sizeof(*st));
}

static bool has_stats(const struct pel_status *st)
{
	return st->info.features & PEL_FEAT_STATS;
}

static int get_workers(int fd, struct pel_status *st)
{
	unsigned int cpu, n = st->info.nr_workers;

	st->workers = calloc(n ? n : 1, sizeof(*st->workers));
	if (!st->workers) {
		p_err("out of memory");
		return -1;
	}
	for (cpu = 0; cpu < n; cpu++) {
		struct pel_worker_stats *w = &st->workers[st->nr_workers];

		memset(w, 0, sizeof(*w));
		w->size = sizeof(*w);
		w->cpu = cpu;
		if (!ioctl(fd, PEL_IOC_WORKER_STATS, w)) {
			st->nr_workers++;
			continue;
		}
		/* A CPU number with no worker slot (not possible): skip. */
		if (errno == ENOENT)
			continue;
		p_err("PEL_IOC_WORKER_STATS for CPU %u: %s", cpu, errstr(errno));
		return -1;
	}
	return 0;
}

/*
 * Contexts come and go while we list them: the list is a snapshot that may
 * miss or repeat a context that closed meanwhile, good enough for a status.
 */
static int get_contexts(int fd, struct pel_status *st)
{
	unsigned int cap = 0, index;

	for (index = 0; index < MAX_CONTEXTS; index++) {
		struct pel_ctx_stats *c;

		if (st->nr_ctxs == cap) {
			unsigned int ncap = cap ? 2 * cap : 16;
			void *p = realloc(st->ctxs, ncap * sizeof(*st->ctxs));

			if (!p) {
				p_err("out of memory");
				return -1;
			}
			st->ctxs = p;
			cap = ncap;
		}
		c = &st->ctxs[st->nr_ctxs];
		memset(c, 0, sizeof(*c));
		c->size = sizeof(*c);
		c->index = index;
		if (!ioctl(fd, PEL_IOC_CTX_STATS, c)) {
			st->nr_ctxs++;
			continue;
		}
		if (errno == ENOENT)
			return 0;
		p_err("PEL_IOC_CTX_STATS for context %u: %s", index,
		      errstr(errno));
		return -1;
	}
	return 0;
}

/* Per-opcode counters: only from a module that has them (PEL_FEAT_STATS). */
static int get_ops(int fd, struct pel_status *st)
{
	unsigned int op;

	if (!has_stats(st))
		return 0;
	for (op = 0; op < PEL_OP_SLOTS; op++) {
		struct pel_op_stats *s = &st->ops[st->nr_ops];

		memset(s, 0, sizeof(*s));
		s->size = sizeof(*s);
		s->opcode = op;
		if (!ioctl(fd, PEL_IOC_OP_STATS, s)) {
			st->nr_ops++;
			continue;
		}
		if (errno == ENOENT)
			return 0;
		p_err("PEL_IOC_OP_STATS for opcode %u: %s", op, errstr(errno));
		return -1;
	}
	return 0;
}

/* The tunables PEL_IOC_INFO reports, in the order status shows them. */
static const char *const tunables[] = {
	"idle_us", "batch", "split_bytes", "max_inflight",
};

/* What each tunable accepts, for the message when the module refuses. */
static const char *const tunable_ranges[] = {
	"1..1000000 (microseconds)",
	"1..64",
	"0 (never split) or 65536..1073741824, rounded down to a page multiple",
	"1..2147483647",
};

static int tunable_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tunables); i++)
		if (!strcmp(tunables[i], name))
			return i;
	return -1;
}

/* Read a small file into buf, without the trailing newline; 0 or -errno. */
static int read_small_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static struct param *add_param(struct pel_status *st, const char *name)
{
	struct param *p;
	unsigned int i;

	for (i = 0; i < st->nr_params; i++)
		if (!strcmp(st->params[i].name, name))
			return &st->params[i];
	p = realloc(st->params, (st->nr_params + 1) * sizeof(*p));
	if (!p)
		return NULL;
	st->params = p;
	p = &st->params[st->nr_params++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static int filter_dots(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * The four tunables PEL_IOC_INFO gives, then whatever else
 * /sys/module/pel/parameters/ holds (a later module may have more); a
 * readable file's content wins over PEL_IOC_INFO.
 */
static int get_params(struct pel_status *st)
{
	const uint32_t vals[] = {
		st->info.idle_us, st->info.batch, st->info.split_bytes,
		st->info.max_inflight,
	};
	struct dirent **names;
	unsigned int i;
	int n;

	for (i = 0; i < ARRAY_SIZE(tunables); i++) {
		struct param *p = add_param(st, tunables[i]);

		if (!p)
			goto oom;
		snprintf(p->value, sizeof(p->value), "%" PRIu32, vals[i]);
	}
	n = scandir(PARAMS_DIR, &names, filter_dots, alphasort);
	if (n < 0)
		return 0;
	for (i = 0; i < (unsigned int)n; i++) {
		char path[512], value[128];
		struct param *p;

		snprintf(path, sizeof(path), PARAMS_DIR "/%s", names[i]->d_name);
		if (!read_small_file(path, value, sizeof(value))) {
			p = add_param(st, names[i]->d_name);
			if (p)
				snprintf(p->value, sizeof(p->value), "%s", value);
		}
		free(names[i]);
	}
	free(names);
	return 0;
oom:
	p_err("out of memory");
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* One look at everything; says why on failure. */
static int read_status(struct pel_status *st)
{
	int fd, ret = -1;

	memset(st, 0, sizeof(*st));
	fd = open_pel(false);
	if (fd < 0)
		return -1;
	st->when_ns = now_ns();
	if (get_info(fd, &st->info, false) || get_workers(fd, st) ||
	    get_contexts(fd, st) || get_ops(fd, st) || get_params(st))
		goto out;
	ret = 0;
out:
	close(fd);
	if (ret)
		free_status(st);
	return ret;
}

static void warn_abi(const struct pel_status *st)
{
	if (st->info.abi_version != PEL_ABI_VERSION && !json_output)
		fprintf(stderr,
			"%s: warning: the module speaks ABI %u, pelctl was built for ABI %u\n",
			prog, st->info.abi_version, PEL_ABI_VERSION);
}

/* ------------------------------------------------------------------------
 * Cgroups.  A context's cgroup_id is the cgroup (v2) its owner was in at
 * setup: the inode number of that cgroup's directory under the cgroup2
 * mount.  Its path is found by walking the mount for that inode; a cgroup
 * removed since, or no cgroup2 mount, leaves the id alone.
 */
#define CGROUP_MAX_DEPTH	64

/* "\040" and the like, as /proc/self/mountinfo escapes a path, in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* The mount point of the first cgroup2 mount we see; 0 or -1. */
static int cgroup2_mount(char *mnt, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -1;

	if (!f)
		return -1;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE ... */
	while (ret && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *field, *save = NULL;
		unsigned int i;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = '\0';
		field = strtok_r(line, " ", &save);
		for (i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape_octal(field);
		if (strlen(field) < len) {
			strcpy(mnt, field);
			ret = 0;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

static struct cgroup_name *find_cgroup(const struct pel_status *st,
				       uint64_t id)
{
	unsigned int i;

	for (i = 0; i < st->nr_cgroups; i++)
		if (st->cgroups[i].id == id)
			return &st->cgroups[i];
	return NULL;
}

/*
 * Walk the directory fd (path rel, rlen bytes of buf) and the ones below,
 * on device dev only: name every cgroup of st still unnamed whose id is a
 * directory's inode number.  *left counts those; the walk stops at zero.
 * Takes fd.
 */
static void cgroup_walk(struct pel_status *st, int fd, dev_t dev, char *buf,
			size_t len, size_t rlen, unsigned int depth,
			unsigned int *left)
{
	struct dirent *de;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return;
	}
	while (*left && (de = readdir(d))) {
		struct cgroup_name *cg;
		struct stat sb;
		size_t n;
		int sub;

		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (fstat(sub, &sb) || sb.st_dev != dev) {
			close(sub);
			continue;
		}
		n = snprintf(buf + rlen, len - rlen, "/%s", de->d_name);
		if (n >= len - rlen) {
			close(sub);
			continue;
		}
		cg = find_cgroup(st, sb.st_ino);
		if (cg && !cg->path) {
			cg->path = strdup(buf);
			if (cg->path)
				(*left)--;
		}
		if (depth < CGROUP_MAX_DEPTH)
			cgroup_walk(st, sub, dev, buf, len, rlen + n, depth + 1,
				    left);
		else
			close(sub);
		buf[rlen] = '\0';
	}
	closedir(d);
}

/* Names for the cgroups of st's contexts, as far as they can be found. */
static void resolve_cgroups(struct pel_status *st)
{
	char mnt[4096], buf[4096];
	unsigned int i, left = 0;
	struct cgroup_name *cg;
	struct stat sb;
	int fd;

	for (i = 0; i < st->nr_ctxs; i++) {
		uint64_t id = st->ctxs[i].cgroup_id;
		struct cgroup_name *p;

		if (!id || find_cgroup(st, id))
			continue;
		p = realloc(st->cgroups, (st->nr_cgroups + 1) * sizeof(*p));
		if (!p)
			return;
		st->cgroups = p;
		p[st->nr_cgroups].id = id;
		p[st->nr_cgroups].path = NULL;
		st->nr_cgroups++;
		left++;
	}
	if (!left || cgroup2_mount(mnt, sizeof(mnt)))
		return;
	fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &sb)) {
		close(fd);
		return;
	}
	/* the mount's root is a cgroup too: the root cgroup, or a namespace's */
	cg = find_cgroup(st, sb.st_ino);
	if (cg) {
		cg->path = strdup("/");
		if (cg->path)
			left--;
	}
	buf[0] = '\0';
	cgroup_walk(st, fd, sb.st_dev, buf, sizeof(buf), 0, 0, &left);
}

/* A context's cgroup path, or NULL (no cgroup, or not found). */
static const char *cgroup_path(const struct pel_status *st, uint64_t id)
{
	const struct cgroup_name *cg = id ? find_cgroup(st, id) : NULL;

	return cg ? cg->path : NULL;
}

/* Its path, else "id N"; "-" without cgroups. */
static const char *cgroup_label(const struct pel_status *st, uint64_t id,
				char *buf, size_t len)
{
	const char *path = cgroup_path(st, id);

	if (path)
		return path;
	if (!id)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "id %" PRIu64, id);
	return buf;
}

/* ------------------------------------------------------------------------
 * Names.
 */
static const char *const feature_names[] = {
	"nop",		/* PEL_FEAT_OP_NOP */
	"copy",		/* PEL_FEAT_OP_COPY */
	"wait",		/* PEL_FEAT_WAIT */
	"idle_us",	/* PEL_FEAT_IDLE_US */
	"fill",		/* PEL_FEAT_OP_FILL */
	"compare",	/* PEL_FEAT_OP_COMPARE */
	"crc32c",	/* PEL_FEAT_OP_CRC32C */
	"dualcast",	/* PEL_FEAT_OP_DUALCAST */
	"xor",		/* PEL_FEAT_OP_XOR */
	"sha256",	/* PEL_FEAT_OP_SHA256 */
	"cancel",	/* PEL_FEAT_OP_CANCEL */
	"link_drain",	/* PEL_FEAT_ORDERING */
	"deadline",	/* PEL_FEAT_DEADLINE */
	"parallel",	/* PEL_FEAT_PARALLEL */
	"max_inflight",	/* PEL_FEAT_MAX_INFLIGHT */
	"stats",	/* PEL_FEAT_STATS */
	"registered_buffers",	/* PEL_FEAT_REGISTERED_BUFFERS */
	"wait_helps",	/* PEL_FEAT_WAIT_HELPS */
	"registered_files",	/* PEL_FEAT_REGISTERED_FILES */
	"block_digests",	/* PEL_FEAT_BLOCK_DIGESTS */
};

static const char *feature_name(unsigned int bit, char *buf, size_t len)
{
	if (bit < ARRAY_SIZE(feature_names))
		return feature_names[bit];
	snprintf(buf, len, "bit%u", bit);
	return buf;
}

/* As the module names them (pel_op_stats.name); for a module without it. */
static const char *const op_names[] = {
	[PEL_OP_NOP]		 = "nop",
	[PEL_OP_COPY]		 = "copy",
	[PEL_OP_FILL]		 = "fill",
	[PEL_OP_COMPARE]	 = "compare",
	[PEL_OP_COMPARE_PATTERN] = "compare_pattern",
	[PEL_OP_CRC32C]		 = "crc32c",
	[PEL_OP_COPY_CRC32C]	 = "copy_crc32c",
	[PEL_OP_DUALCAST]	 = "dualcast",
	[PEL_OP_XOR]		 = "xor",
	[PEL_OP_SHA256]		 = "sha256",
	[PEL_OP_CANCEL]		 = "cancel",
};

static const char *op_name(const struct pel_status *st, unsigned int op,
			   char *buf, size_t len)
{
	if (op < st->nr_ops && st->ops[op].name[0]) {
		snprintf(buf, len, "%.*s", (int)sizeof(st->ops[op].name),
			 st->ops[op].name);
		return buf;
	}
	if (op < ARRAY_SIZE(op_names) && op_names[op])
		return op_names[op];
	snprintf(buf, len, "op%u", op);
	return buf;
}

/* Opcodes a context's ops[] is shown for: those the module knows, at least. */
static unsigned int nr_op_names(const struct pel_status *st)
{
	return st->nr_ops ? st->nr_ops : ARRAY_SIZE(op_names);
}

/* pel_ctx_stats.errors slots: text (errno) names and JSON keys. */
static const char *const err_names[PEL_ERR_SLOTS] = {
	[PEL_ERR_EINVAL]	= "EINVAL",
	[PEL_ERR_EFAULT]	= "EFAULT",
	[PEL_ERR_ECANCELED]	= "ECANCELED",
	[PEL_ERR_ETIME]		= "ETIME",
	[PEL_ERR_EALREADY]	= "EALREADY",
	[PEL_ERR_ENOENT]	= "ENOENT",
	[PEL_ERR_ESRCH]		= "ESRCH",
	[PEL_ERR_OTHER]		= "other",
};

static const char *const err_keys[PEL_ERR_SLOTS] = {
	[PEL_ERR_EINVAL]	= "einval",
	[PEL_ERR_EFAULT]	= "efault",
	[PEL_ERR_ECANCELED]	= "ecanceled",
	[PEL_ERR_ETIME]		= "etime",
	[PEL_ERR_EALREADY]	= "ealready",
	[PEL_ERR_ENOENT]	= "enoent",
	[PEL_ERR_ESRCH]		= "esrch",
	[PEL_ERR_OTHER]		= "other",
};

static const char *worker_state_name(unsigned int state)
{
	switch (state) {
	case PEL_WORKER_OFFLINE:
		return "offline";
	case PEL_WORKER_SLEEPING:
		return "sleeping";
	case PEL_WORKER_POLLING:
		return "polling";
	case PEL_WORKER_RUNNING:
		return "running";
	}
	return "unknown";
}

/* ------------------------------------------------------------------------
 * Derived numbers.
 */
static uint64_t ctx_errors(const struct pel_ctx_stats *c)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < PEL_ERR_SLOTS; i++)
		n += c->errors[i];
	return n;
}

/*
 * A module without PEL_FEAT_STATS has no inflight field: then the two
 * counters (not read atomically together) give it.
 */
static uint64_t ctx_inflight(const struct pel_status *st,
			     const struct pel_ctx_stats *c)
{
	if (has_stats(st))
		return c->inflight;
	return c->submitted > c->completed ? c->submitted - c->completed : 0;
}

/*
 * The upper bound in ns of the latency bucket where the cumulative count
 * reaches pct percent of the histogram's total: bucket i holds
 * [2^i, 2^(i+1)) ns, so 2^(i+1).  The last bucket also holds everything
 * longer; its bound, 2^32 ns, then means "at least 2^31 ns".  0: no samples.
 */
static uint64_t lat_percentile(const struct pel_op_stats *s, unsigned int pct)
{
	uint64_t total = 0, target, cum = 0;
	unsigned int i;

	for (i = 0; i < PEL_LAT_BUCKETS; i++)
		total += s->latency[i];
	if (!total)
		return 0;
	/* ceil(total * pct / 100) without overflow */
	target = total / 100 * pct + ((total % 100) * pct + 99) / 100;
	for (i = 0; i < PEL_LAT_BUCKETS - 1; i++) {
		cum += s->latency[i];
		if (cum >= target)
			break;
	}
	return 1ULL << (i + 1);
}

/* 1536 -> "1.5K"; keeps byte columns narrow and readable. */
static const char *human_bytes(uint64_t n, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(buf, len, "%" PRIu64, n);
		return buf;
	}
	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
	return buf;
}

/* 1536 -> "1.54us", 2^32 (the open-ended last bucket) -> ">2.15s". */
static const char *human_ns(uint64_t ns, char *buf, size_t len)
{
	static const struct {
		double div;
		const char *unit;
	} units[] = { { 1, "ns" }, { 1e3, "us" }, { 1e6, "ms" }, { 1e9, "s" } };
	const char *prefix = "";
	unsigned int u = 0;
	double v;

	if (!ns) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (ns >= 1ULL << PEL_LAT_BUCKETS) {
		ns = 1ULL << (PEL_LAT_BUCKETS - 1);
		prefix = ">";
	}
	while (u + 1 < ARRAY_SIZE(units) && ns >= units[u + 1].div)
		u++;
	v = ns / units[u].div;
	if (u == 0)
		snprintf(buf, len, "%s%" PRIu64 "ns", prefix, ns);
	else
		snprintf(buf, len, v < 10 ? "%s%.2f%s" : v < 100 ? "%s%.1f%s" :
			 "%s%.0f%s", prefix, v, units[u].unit);
	return buf;
}

/* ------------------------------------------------------------------------
 * status: text.
 */
static void print_module(const struct pel_status *st)
{
	const struct pel_info *info = &st->info;
	const char *sep = "";
	unsigned int bit, i;
	int width = 12;
	char buf[16];

	/* one column for the names, however long a later parameter's is */
	for (i = 0; i < st->nr_params; i++)
		if ((int)strlen(st->params[i].name) > width)
			width = strlen(st->params[i].name);
	printf("%-*s pel %.*s, ABI %u\n", width, "module",
	       (int)sizeof(info->version), info->version, info->abi_version);
	printf("%-*s ", width, "features");
	for (bit = 0; bit < 64; bit++) {
		if (!(info->features & (1ULL << bit)))
			continue;
		printf("%s%s", sep, feature_name(bit, buf, sizeof(buf)));
		sep = " ";
	}
	printf("%s\n", *sep ? "" : "none");
	for (i = 0; i < st->nr_params; i++)
		printf("%-*s %s\n", width, st->params[i].name,
		       st->params[i].value);
	printf("%-*s %u\n", width, "workers", st->nr_workers);
	printf("%-*s %u\n", width, "contexts", st->nr_ctxs);
}

struct worker_totals {
	uint64_t queues, ops, bytes, wakeups, sleeps, stolen, stolen_from;
	uint64_t chunks, busy_ns;
};

static void sum_workers(const struct pel_status *st, struct worker_totals *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < st->nr_workers; i++) {
		const struct pel_worker_stats *w = &st->workers[i];

		t->queues += w->nr_queues;
		t->ops += w->ops;
		t->bytes += w->bytes;
		t->wakeups += w->wakeups;
		t->sleeps += w->sleeps;
		t->stolen += w->stolen;
		t->stolen_from += w->stolen_from;
		t->chunks += w->chunks;
		t->busy_ns += w->busy_ns;
	}
}

struct ctx_totals {
	uint64_t queues, submitted, completed, inflight, bytes, errors;
	uint64_t busy_ns, slow_batches;
	uint64_t enters, helped, buffers, buffer_bytes, files;
};

static void sum_contexts(const struct pel_status *st, struct ctx_totals *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < st->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &st->ctxs[i];

		t->queues += c->nr_queues;
		t->submitted += c->submitted;
		t->completed += c->completed;
		t->inflight += ctx_inflight(st, c);
		t->bytes += c->bytes;
		t->errors += ctx_errors(c);
		t->busy_ns += c->busy_ns;
		t->slow_batches += c->slow_batches;
		t->enters += c->enters;
		t->helped += c->helped;
		t->buffers += c->nr_buffers;
		t->buffer_bytes += c->buffer_bytes;
		t->files += c->nr_files;
	}
}

/* Worker time of the contexts listed, summed by cgroup or by user. */
struct busy_sum {
	uint64_t key;			/* cgroup_id, or uid */
	uint64_t contexts, completed, busy_ns;
};

static int busy_sum_cmp(const void *a, const void *b)
{
	const struct busy_sum *x = a, *y = b;

	return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * The sums by uid (by_uid) or by cgroup_id, by key, into *out (to be
 * freed); the number of them, or -1 without memory.  *total: all the
 * contexts' busy_ns.
 */
static int sum_busy(const struct pel_status *st, bool by_uid,
		    struct busy_sum **out, uint64_t *total)
{
	struct busy_sum *sums = calloc(st->nr_ctxs ? st->nr_ctxs : 1,
				       sizeof(*sums));
	unsigned int i, j, n = 0;

	*out = sums;
	*total = 0;
	if (!sums)
		return -1;
	for (i = 0; i < st->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &st->ctxs[i];
		uint64_t key = by_uid ? c->uid : c->cgroup_id;

		for (j = 0; j < n && sums[j].key != key; j++)
			;
		if (j == n)
			sums[n++].key = key;
		sums[j].contexts++;
		sums[j].completed += c->completed;
		sums[j].busy_ns += c->busy_ns;
		*total += c->busy_ns;
	}
	qsort(sums, n, sizeof(*sums), busy_sum_cmp);
	return n;
}

static double busy_share(uint64_t busy_ns, uint64_t total)
{
	return total ? 100.0 * busy_ns / total : 0.0;
}

struct op_totals {
	uint64_t count, bytes, file_bytes, errors;
};

static void sum_ops(const struct pel_status *st, struct op_totals *t)
{
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < st->nr_ops; i++) {
		t->count += st->ops[i].count;
		t->bytes += st->ops[i].bytes;
		t->file_bytes += st->ops[i].file_bytes;
		t->errors += st->ops[i].errors;
	}
}

#define WORKER_HDR	"%5s %4s  %-8s %6s %12s %9s %9s %9s %9s %11s %8s %10s\n"
#define WORKER_ROW	"%5s %4s  %-8s %6" PRIu64 " %12" PRIu64 " %9s %9" PRIu64 \
			" %9" PRIu64 " %9" PRIu64 " %11" PRIu64 " %8" PRIu64 \
			" %10.1f\n"

static void print_workers(const struct pel_status *st)
{
	struct worker_totals t;
	char buf[32], cpu[16], node[16];
	unsigned int i;

	printf("\n" WORKER_HDR, "CPU", "NODE", "STATE", "QUEUES", "OPS",
	       "BYTES", "WAKEUPS", "SLEEPS", "STOLEN", "STOLEN FROM", "CHUNKS",
	       "BUSY ms");
	for (i = 0; i < st->nr_workers; i++) {
		const struct pel_worker_stats *w = &st->workers[i];

		snprintf(cpu, sizeof(cpu), "%u", w->cpu);
		snprintf(node, sizeof(node), "%u", w->node);
		printf(WORKER_ROW, cpu, node, worker_state_name(w->state),
		       (uint64_t)w->nr_queues, (uint64_t)w->ops,
		       human_bytes(w->bytes, buf, sizeof(buf)),
		       (uint64_t)w->wakeups, (uint64_t)w->sleeps,
		       (uint64_t)w->stolen, (uint64_t)w->stolen_from,
		       (uint64_t)w->chunks, w->busy_ns / 1e6);
	}
	sum_workers(st, &t);
	printf(WORKER_ROW, "total", "", "", t.queues, t.ops,
	       human_bytes(t.bytes, buf, sizeof(buf)), t.wakeups, t.sleeps,
	       t.stolen, t.stolen_from, t.chunks, t.busy_ns / 1e6);
}

/* "nop:10 copy:6", or "-" when all are zero. */
static void compact_ops(const struct pel_status *st,
			const struct pel_ctx_stats *c, char *out, size_t len)
{
	unsigned int op;
	size_t n = 0;
	char buf[32];

	out[0] = '\0';
	for (op = 0; op < PEL_OP_SLOTS && n < len; op++) {
		if (!c->ops[op])
			continue;
		n += snprintf(out + n, len - n, "%s%s:%" PRIu64, n ? " " : "",
			      op_name(st, op, buf, sizeof(buf)),
			      (uint64_t)c->ops[op]);
	}
	if (!out[0])
		snprintf(out, len, "-");
}

/* "EFAULT:1 EINVAL:2" (by name), or "-". */
static void compact_errors(const struct pel_ctx_stats *c, char *out,
			   size_t len)
{
	unsigned int order[PEL_ERR_SLOTS], i, j, k;
	size_t n = 0;

	for (i = 0; i < PEL_ERR_SLOTS; i++)
		order[i] = i;
	for (i = 1; i < PEL_ERR_SLOTS; i++)
		for (j = i; j > 0 && strcmp(err_names[order[j - 1]],
					    err_names[order[j]]) > 0; j--) {
			k = order[j];
			order[j] = order[j - 1];
			order[j - 1] = k;
		}
	out[0] = '\0';
	for (i = 0; i < PEL_ERR_SLOTS && n < len; i++) {
		k = order[i];
		if (!c->errors[k])
			continue;
		n += snprintf(out + n, len - n, "%s%s:%" PRIu64, n ? " " : "",
			      err_names[k], (uint64_t)c->errors[k]);
	}
	if (!out[0])
		snprintf(out, len, "-");
}

#define CTX_HDR		"%7s  %-16s %6s %6s %11s %12s %12s %10s %9s %7s %10s %12s\n"
#define CTX_ROW		"%7s  %-16s %6s %6" PRIu64 " %11s %12" PRIu64 " %12" PRIu64 \
			" %10" PRIu64 " %9s %7" PRIu64 " %10.1f %12" PRIu64 "\n"

static void print_contexts(const struct pel_status *st)
{
	char buf[32], sqcq[32], pid[16], uid[16], comm[17], ops[512], errs[256];
	struct ctx_totals t;
	unsigned int i, j;

	if (!st->nr_ctxs) {
		printf("\nno contexts set up\n");
		return;
	}
	printf("\n" CTX_HDR, "PID", "COMM", "UID", "QUEUES", "SQ/CQ",
	       "SUBMITTED", "COMPLETED", "IN FLIGHT", "BYTES", "ERRORS",
	       "BUSY ms", "SLOW BATCHES");
	for (i = 0; i < st->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &st->ctxs[i];

		snprintf(sqcq, sizeof(sqcq), "%u/%u", c->sq_entries,
			 c->cq_entries);
		if (c->pid > 0)
			snprintf(pid, sizeof(pid), "%d", c->pid);
		else
			snprintf(pid, sizeof(pid), "-");
		/* a comm may hold anything; keep the table one line a row */
		for (j = 0; j < sizeof(c->comm) && c->comm[j]; j++)
			comm[j] = isprint((unsigned char)c->comm[j]) ?
				  c->comm[j] : '?';
		comm[j] = '\0';
		snprintf(uid, sizeof(uid), "%u", c->uid);
		printf(CTX_ROW, pid, comm, uid, (uint64_t)c->nr_queues, sqcq,
		       (uint64_t)c->submitted, (uint64_t)c->completed,
		       ctx_inflight(st, c),
		       human_bytes(c->bytes, buf, sizeof(buf)), ctx_errors(c),
		       c->busy_ns / 1e6, (uint64_t)c->slow_batches);
		printf("%7s  cgroup: %s\n", "",
		       cgroup_label(st, c->cgroup_id, errs, sizeof(errs)));
		printf("%7s  enters: %" PRIu64 "   helped: %" PRIu64
		       "   registered buffers: %u (%s)   files: %u\n", "",
		       (uint64_t)c->enters, (uint64_t)c->helped, c->nr_buffers,
		       human_bytes(c->buffer_bytes, buf, sizeof(buf)),
		       c->nr_files);
		if (has_stats(st)) {
			compact_ops(st, c, ops, sizeof(ops));
			compact_errors(c, errs, sizeof(errs));
			printf("%7s  ops: %s   errors: %s\n", "", ops, errs);
		}
	}
	sum_contexts(st, &t);
	printf(CTX_ROW, "total", "", "", t.queues, "", t.submitted,
	       t.completed, t.inflight, human_bytes(t.bytes, buf, sizeof(buf)),
	       t.errors, t.busy_ns / 1e6, t.slow_batches);
	printf("%7s  enters: %" PRIu64 "   helped: %" PRIu64
	       "   registered buffers: %" PRIu64 " (%s)   files: %" PRIu64 "\n",
	       "", t.enters, t.helped, t.buffers,
	       human_bytes(t.buffer_bytes, buf, sizeof(buf)), t.files);
}

#define BUSY_HDR	"%8s %12s %10s %7s  %s\n"
#define BUSY_ROW	"%8" PRIu64 " %12" PRIu64 " %10.1f %7.1f  %s\n"

/*
 * "worker time by cgroup" and "worker time by user": the contexts listed,
 * summed.  A share is of the listed contexts' worker time together.
 */
static void print_busy(const struct pel_status *st, bool by_uid)
{
	struct busy_sum *sums, t = { 0 };
	uint64_t total;
	char buf[64];
	int i, n;

	if (!st->nr_ctxs)
		return;
	n = sum_busy(st, by_uid, &sums, &total);
	printf("\nworker time by %s\n" BUSY_HDR, by_uid ? "user" : "cgroup",
	       "CONTEXTS", "OPS", "BUSY ms", "SHARE %",
	       by_uid ? "UID" : "CGROUP");
	for (i = 0; i < n; i++) {
		const struct busy_sum *b = &sums[i];

		if (by_uid)
			snprintf(buf, sizeof(buf), "%" PRIu64, b->key);
		printf(BUSY_ROW, b->contexts, b->completed, b->busy_ns / 1e6,
		       busy_share(b->busy_ns, total),
		       by_uid ? buf : cgroup_label(st, b->key, buf, sizeof(buf)));
		t.contexts += b->contexts;
		t.completed += b->completed;
	}
	if (n < 0)
		printf("(out of memory)\n");
	printf(BUSY_ROW, t.contexts, t.completed, total / 1e6,
	       busy_share(total, total), "total");
	free(sums);
}

#define OP_HDR		"%-16s %12s %9s %10s %9s %9s %9s\n"
#define OP_ROW		"%-16s %12" PRIu64 " %9s %10s %9" PRIu64 " %9s %9s\n"

/* Ops never run are left out: the JSON has them all. */
static void print_ops(const struct pel_status *st)
{
	char name[32], bytes[32], fbytes[32], p50[32], p99[32];
	struct op_totals t;
	unsigned int i, shown = 0;

	if (!has_stats(st))
		return;
	printf("\n" OP_HDR, "OP", "COUNT", "BYTES", "FILE BYTES", "ERRORS", "p50",
	       "p99");
	for (i = 0; i < st->nr_ops; i++) {
		const struct pel_op_stats *s = &st->ops[i];

		if (!s->count && !s->errors)
			continue;
		printf(OP_ROW, op_name(st, i, name, sizeof(name)),
		       (uint64_t)s->count,
		       human_bytes(s->bytes, bytes, sizeof(bytes)),
		       human_bytes(s->file_bytes, fbytes, sizeof(fbytes)),
		       (uint64_t)s->errors,
		       human_ns(lat_percentile(s, 50), p50, sizeof(p50)),
		       human_ns(lat_percentile(s, 99), p99, sizeof(p99)));
		shown++;
	}
	if (!shown)
		printf("(no ops run since the module was loaded)\n");
	sum_ops(st, &t);
	printf("%-16s %12" PRIu64 " %9s %10s %9" PRIu64 "\n", "total", t.count,
	       human_bytes(t.bytes, bytes, sizeof(bytes)),
	       human_bytes(t.file_bytes, fbytes, sizeof(fbytes)), t.errors);
}

/* "cgroup_id" and "cgroup" (its path, or null when not found). */
static void json_cgroup(struct jw *jw, const struct pel_status *st, uint64_t id)
{
	const char *path = cgroup_path(st, id);

	jw_u64(jw, "cgroup_id", id);
	if (path)
		jw_string(jw, "cgroup", path, SIZE_MAX);
	else
		jw_null(jw, "cgroup");
}

/* ------------------------------------------------------------------------
 * status: JSON.  The keys are documented in Documentation/observability.md.
 */
static void json_param_value(struct jw *jw, const char *key, const char *v)
{
	const char *p = v;
	char *end;

	if (*p == '-')
		p++;
	if (isdigit((unsigned char)*p)) {
		errno = 0;
		if (*v == '-') {
			long long n = strtoll(v, &end, 10);

			if (!*end && !errno) {
				jw_s64(jw, key, n);
				return;
			}
		} else {
			unsigned long long n = strtoull(v, &end, 10);

			if (!*end && !errno) {
				jw_u64(jw, key, n);
				return;
			}
		}
	}
	jw_string(jw, key, v, SIZE_MAX);
}

static void json_params(struct jw *jw, const char *key,
			const struct pel_status *st)
{
	unsigned int i;

	jw_object(jw, key);
	for (i = 0; i < st->nr_params; i++)
		json_param_value(jw, st->params[i].name, st->params[i].value);
	jw_end_object(jw);
}

static void json_module(struct jw *jw, const struct pel_status *st)
{
	const struct pel_info *info = &st->info;
	unsigned int bit;
	char buf[16];

	jw_object(jw, "module");
	jw_string(jw, "version", info->version, sizeof(info->version));
	jw_u64(jw, "abi", info->abi_version);
	jw_array(jw, "features");
	for (bit = 0; bit < 64; bit++)
		if (info->features & (1ULL << bit))
			jw_string(jw, NULL, feature_name(bit, buf, sizeof(buf)),
				  SIZE_MAX);
	jw_end_array(jw);
	jw_u64(jw, "nr_workers", info->nr_workers);
	jw_u64(jw, "nr_contexts", st->nr_ctxs);
	json_params(jw, "params", st);
	jw_end_object(jw);
}

static void json_workers(struct jw *jw, const char *key,
			 const struct pel_status *st)
{
	unsigned int i;

	jw_array(jw, key);
	for (i = 0; i < st->nr_workers; i++) {
		const struct pel_worker_stats *w = &st->workers[i];

		jw_object(jw, NULL);
		jw_u64(jw, "cpu", w->cpu);
		jw_u64(jw, "node", w->node);
		jw_string(jw, "state", worker_state_name(w->state), SIZE_MAX);
		jw_u64(jw, "queues", w->nr_queues);
		jw_u64(jw, "ops", w->ops);
		jw_u64(jw, "bytes", w->bytes);
		jw_u64(jw, "wakeups", w->wakeups);
		jw_u64(jw, "sleeps", w->sleeps);
		jw_u64(jw, "stolen", w->stolen);
		jw_u64(jw, "stolen_from", w->stolen_from);
		jw_u64(jw, "chunks", w->chunks);
		jw_u64(jw, "busy_ns", w->busy_ns);
		jw_end_object(jw);
	}
	jw_end_array(jw);
}

static void json_contexts(struct jw *jw, const char *key,
			  const struct pel_status *st)
{
	unsigned int i, j, nops = nr_op_names(st);
	char buf[32];

	jw_array(jw, key);
	for (i = 0; i < st->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &st->ctxs[i];

		jw_object(jw, NULL);
		jw_s64(jw, "pid", c->pid);
		jw_string(jw, "comm", c->comm, sizeof(c->comm));
		jw_u64(jw, "queues", c->nr_queues);
		jw_u64(jw, "sq_entries", c->sq_entries);
		jw_u64(jw, "cq_entries", c->cq_entries);
		jw_u64(jw, "submitted", c->submitted);
		jw_u64(jw, "completed", c->completed);
		jw_u64(jw, "inflight", ctx_inflight(st, c));
		if (has_stats(st)) {
			jw_u64(jw, "max_inflight", c->max_inflight);
			jw_u64(jw, "bytes", c->bytes);
		} else {
			jw_null(jw, "max_inflight");
			jw_null(jw, "bytes");
		}
		jw_u64(jw, "errors_total", ctx_errors(c));
		jw_u64(jw, "uid", c->uid);
		json_cgroup(jw, st, c->cgroup_id);
		jw_u64(jw, "busy_ns", c->busy_ns);
		jw_u64(jw, "slow_batches", c->slow_batches);
		jw_u64(jw, "enters", c->enters);
		jw_u64(jw, "helped", c->helped);
		jw_u64(jw, "registered_buffers", c->nr_buffers);
		jw_u64(jw, "registered_buffer_bytes", c->buffer_bytes);
		jw_u64(jw, "registered_files", c->nr_files);
		jw_object(jw, "errors");
		for (j = 0; j < PEL_ERR_SLOTS && has_stats(st); j++)
			jw_u64(jw, err_keys[j], c->errors[j]);
		jw_end_object(jw);
		jw_object(jw, "ops");
		for (j = 0; j < PEL_OP_SLOTS && has_stats(st); j++)
			if (j < nops || c->ops[j])
				jw_u64(jw, op_name(st, j, buf, sizeof(buf)),
				       c->ops[j]);
		jw_end_object(jw);
		jw_end_object(jw);
	}
	jw_end_array(jw);
}

/* The sums of print_busy(): "cgroups" or "users", by key. */
static void json_busy(struct jw *jw, const struct pel_status *st,
		      bool by_uid)
{
	struct busy_sum *sums;
	uint64_t total;
	int i, n;

	n = sum_busy(st, by_uid, &sums, &total);
	jw_array(jw, by_uid ? "users" : "cgroups");
	for (i = 0; i < n; i++) {
		const struct busy_sum *b = &sums[i];

		jw_object(jw, NULL);
		if (by_uid) {
			jw_u64(jw, "uid", b->key);
		} else {
			json_cgroup(jw, st, b->key);
		}
		jw_u64(jw, "contexts", b->contexts);
		jw_u64(jw, "completed", b->completed);
		jw_u64(jw, "busy_ns", b->busy_ns);
		jw_double(jw, "share_pct", busy_share(b->busy_ns, total));
		jw_end_object(jw);
	}
	jw_end_array(jw);
	free(sums);
}

static void json_ops(struct jw *jw, const char *key,
		     const struct pel_status *st)
{
	unsigned int i, b;
	char buf[32];

	jw_array(jw, key);
	for (i = 0; i < st->nr_ops; i++) {
		const struct pel_op_stats *s = &st->ops[i];
		uint64_t p50 = lat_percentile(s, 50), p99 = lat_percentile(s, 99);

		jw_object(jw, NULL);
		jw_u64(jw, "opcode", i);
		jw_string(jw, "name", op_name(st, i, buf, sizeof(buf)), SIZE_MAX);
		jw_u64(jw, "count", s->count);
		jw_u64(jw, "bytes", s->bytes);
		jw_u64(jw, "file_bytes", s->file_bytes);
		jw_u64(jw, "errors", s->errors);
		if (p50)
			jw_u64(jw, "latency_p50_ns", p50);
		else
			jw_null(jw, "latency_p50_ns");
		if (p99)
			jw_u64(jw, "latency_p99_ns", p99);
		else
			jw_null(jw, "latency_p99_ns");
		jw_array(jw, "latency_buckets");
		for (b = 0; b < PEL_LAT_BUCKETS; b++)
			jw_u64(jw, NULL, s->latency[b]);
		jw_end_array(jw);
		jw_end_object(jw);
	}
	jw_end_array(jw);
}

static void json_totals(struct jw *jw, const struct pel_status *st)
{
	struct worker_totals w;
	struct ctx_totals c;
	struct op_totals o;

	sum_workers(st, &w);
	sum_contexts(st, &c);
	sum_ops(st, &o);
	jw_object(jw, "totals");
	jw_object(jw, "workers");
	jw_u64(jw, "queues", w.queues);
	jw_u64(jw, "ops", w.ops);
	jw_u64(jw, "bytes", w.bytes);
	jw_u64(jw, "wakeups", w.wakeups);
	jw_u64(jw, "sleeps", w.sleeps);
	jw_u64(jw, "stolen", w.stolen);
	jw_u64(jw, "stolen_from", w.stolen_from);
	jw_u64(jw, "chunks", w.chunks);
	jw_u64(jw, "busy_ns", w.busy_ns);
	jw_end_object(jw);
	jw_object(jw, "contexts");
	jw_u64(jw, "count", st->nr_ctxs);
	jw_u64(jw, "queues", c.queues);
	jw_u64(jw, "submitted", c.submitted);
	jw_u64(jw, "completed", c.completed);
	jw_u64(jw, "inflight", c.inflight);
	jw_u64(jw, "bytes", c.bytes);
	jw_u64(jw, "errors", c.errors);
	jw_u64(jw, "busy_ns", c.busy_ns);
	jw_u64(jw, "slow_batches", c.slow_batches);
	jw_u64(jw, "enters", c.enters);
	jw_u64(jw, "helped", c.helped);
	jw_u64(jw, "registered_buffers", c.buffers);
	jw_u64(jw, "registered_buffer_bytes", c.buffer_bytes);
	jw_u64(jw, "registered_files", c.files);
	jw_end_object(jw);
	jw_object(jw, "ops");
	jw_u64(jw, "count", o.count);
	jw_u64(jw, "bytes", o.bytes);
	jw_u64(jw, "file_bytes", o.file_bytes);
	jw_u64(jw, "errors", o.errors);
	jw_end_object(jw);
	jw_end_object(jw);
}

/* What one status-like command shows. */
enum {
	SHOW_MODULE	= 1 << 0,
	SHOW_WORKERS	= 1 << 1,
	SHOW_CONTEXTS	= 1 << 2,
	SHOW_OPS	= 1 << 3,
	SHOW_ALL	= (1 << 4) - 1,
};

static int show(const char *cmd, unsigned int what, int argc, char **argv)
{
	struct pel_status st;
	struct jw jw;

	if (!no_more_args(cmd, argc, argv))
		return EXIT_USAGE;
	if (read_status(&st))
		return EXIT_FAILURE;
	warn_abi(&st);
	if (what & SHOW_CONTEXTS)
		resolve_cgroups(&st);

	if (json_output) {
		jw_init(&jw, stdout, pretty_output);
		if (what == SHOW_WORKERS) {
			json_workers(&jw, NULL, &st);
		} else if (what == SHOW_CONTEXTS) {
			json_contexts(&jw, NULL, &st);
		} else if (what == SHOW_OPS) {
			json_ops(&jw, NULL, &st);
		} else {
			jw_object(&jw, NULL);
			json_module(&jw, &st);
			json_liblpel(&jw, true);
			json_workers(&jw, "workers", &st);
			json_contexts(&jw, "contexts", &st);
			json_busy(&jw, &st, false);
			json_busy(&jw, &st, true);
			json_ops(&jw, "ops", &st);
			json_totals(&jw, &st);
			jw_end_object(&jw);
		}
	} else {
		if (what & SHOW_MODULE)
			print_module(&st);
		if (what == SHOW_ALL)
			print_liblpel(true);
		if (what & SHOW_WORKERS)
			print_workers(&st);
		if (what & SHOW_CONTEXTS) {
			print_contexts(&st);
			print_busy(&st, false);
			print_busy(&st, true);
		}
		if (what & SHOW_OPS) {
			if (has_stats(&st))
				print_ops(&st);
			else if (what == SHOW_OPS)
				printf("the module keeps no per-op counters (no 'stats' feature)\n");
		}
	}
	free_status(&st);
	return EXIT_SUCCESS;
}

static int do_status(int argc, char **argv)
{
	status_cmd = true;
	return show("status", SHOW_ALL, argc, argv);
}

/* ------------------------------------------------------------------------
 * watch: the difference of two looks, per second.
 */
static volatile sig_atomic_t stop_watch;

static void on_signal(int sig)
{
	(void)sig;
	stop_watch = 1;
}

static uint64_t delta(uint64_t cur, uint64_t prev)
{
	/* a reloaded module starts again from zero */
	return cur >= prev ? cur - prev : cur;
}

static const struct pel_worker_stats *
find_worker(const struct pel_status *st, unsigned int cpu)
{
	unsigned int i;

	for (i = 0; i < st->nr_workers; i++)
		if (st->workers[i].cpu == cpu)
			return &st->workers[i];
	return NULL;
}

/*
 * The previous look at the context cur[i]: contexts have no id, so the
 * k-th context of a pid now is taken to be the k-th one of that pid before
 * (a context set up meanwhile counts from zero).
 */
static const struct pel_ctx_stats *
find_ctx(const struct pel_status *prev, const struct pel_status *cur,
	 unsigned int i)
{
	unsigned int j, k = 0;

	for (j = 0; j < i; j++)
		k += cur->ctxs[j].pid == cur->ctxs[i].pid;
	for (j = 0; j < prev->nr_ctxs; j++) {
		const struct pel_ctx_stats *p = &prev->ctxs[j];

		if (p->pid != cur->ctxs[i].pid)
			continue;
		if (!k--)
			return p->nr_queues == cur->ctxs[i].nr_queues &&
			       !strncmp(p->comm, cur->ctxs[i].comm,
					sizeof(p->comm)) ? p : NULL;
	}
	return NULL;
}

static double per_s(uint64_t n, double secs)
{
	return secs > 0 ? n / secs : 0;
}

static double mib_per_s(uint64_t bytes, double secs)
{
	return per_s(bytes, secs) / (1024.0 * 1024.0);
}

static void watch_text(const struct pel_status *prev,
		       const struct pel_status *cur, double secs, bool tty)
{
	uint64_t tops = 0, tbytes = 0, tinflight = 0;
	char name[32], comm[17];
	unsigned int i, j, shown = 0;
	struct timespec ts;
	struct tm tm;

	for (i = 0; i < cur->nr_ctxs; i++)
		tinflight += ctx_inflight(cur, &cur->ctxs[i]);
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("time %02d:%02d:%02d.%03ld  interval %.3f s  workers %u  contexts %u  in flight %" PRIu64 "\n",
	       tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, secs,
	       cur->nr_workers, cur->nr_ctxs, tinflight);

	printf("%5s %4s  %-8s %12s %10s %7s\n", "CPU", "NODE", "STATE",
	       "OPS/s", "MiB/s", "BUSY %");
	for (i = 0; i < cur->nr_workers; i++) {
		const struct pel_worker_stats *w = &cur->workers[i];
		const struct pel_worker_stats *p = find_worker(prev, w->cpu);
		uint64_t ops = delta(w->ops, p ? p->ops : 0);
		uint64_t bytes = delta(w->bytes, p ? p->bytes : 0);
		uint64_t busy = delta(w->busy_ns, p ? p->busy_ns : 0);

		tops += ops;
		tbytes += bytes;
		printf("%5u %4u  %-8s %12.0f %10.1f %7.1f\n", w->cpu, w->node,
		       worker_state_name(w->state), per_s(ops, secs),
		       mib_per_s(bytes, secs),
		       secs > 0 ? busy / (secs * 1e7) : 0.0);
	}
	printf("%5s %4s  %-8s %12.0f %10.1f\n", "total", "", "",
	       per_s(tops, secs), mib_per_s(tbytes, secs));

	if (has_stats(cur)) {
		printf("%-16s %12s %10s %10s\n", "OP", "OPS/s", "MiB/s",
		       "ERRORS/s");
		for (i = 0; i < cur->nr_ops; i++) {
			const struct pel_op_stats *s = &cur->ops[i];
			const struct pel_op_stats *p = i < prev->nr_ops ?
						       &prev->ops[i] : NULL;
			uint64_t n = delta(s->count, p ? p->count : 0);

			if (!n)
				continue;
			printf("%-16s %12.0f %10.1f %10.0f\n",
			       op_name(cur, i, name, sizeof(name)),
			       per_s(n, secs),
			       mib_per_s(delta(s->bytes, p ? p->bytes : 0), secs),
			       per_s(delta(s->errors, p ? p->errors : 0), secs));
			shown++;
		}
		if (!shown)
			printf("(no ops completed)\n");
	}

	if (cur->nr_ctxs)
		printf("%7s  %-16s %9s %12s %10s\n", "PID", "COMM", "IN FLIGHT",
		       "OPS/s", "MiB/s");
	for (i = 0; i < cur->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &cur->ctxs[i];
		const struct pel_ctx_stats *p = find_ctx(prev, cur, i);

		for (j = 0; j < sizeof(c->comm) && c->comm[j]; j++)
			comm[j] = isprint((unsigned char)c->comm[j]) ?
				  c->comm[j] : '?';
		comm[j] = '\0';
		printf("%7d  %-16s %9" PRIu64 " %12.0f %10.1f\n", c->pid, comm,
		       ctx_inflight(cur, c),
		       per_s(delta(c->completed, p ? p->completed : 0), secs),
		       mib_per_s(delta(c->bytes, p ? p->bytes : 0), secs));
	}
	if (!tty)
		printf("\n");
	fflush(stdout);
}

static void watch_json(const struct pel_status *prev,
		       const struct pel_status *cur, double secs)
{
	uint64_t tops = 0, tbytes = 0, tinflight = 0;
	struct timespec ts;
	unsigned int i;
	char name[32];
	struct jw jw;

	clock_gettime(CLOCK_REALTIME, &ts);
	jw_init(&jw, stdout, pretty_output);
	jw_object(&jw, NULL);
	jw_double(&jw, "time", ts.tv_sec + ts.tv_nsec / 1e9);
	jw_double(&jw, "interval_s", secs);
	jw_array(&jw, "workers");
	for (i = 0; i < cur->nr_workers; i++) {
		const struct pel_worker_stats *w = &cur->workers[i];
		const struct pel_worker_stats *p = find_worker(prev, w->cpu);
		uint64_t ops = delta(w->ops, p ? p->ops : 0);
		uint64_t bytes = delta(w->bytes, p ? p->bytes : 0);
		uint64_t busy = delta(w->busy_ns, p ? p->busy_ns : 0);

		tops += ops;
		tbytes += bytes;
		jw_object(&jw, NULL);
		jw_u64(&jw, "cpu", w->cpu);
		jw_u64(&jw, "node", w->node);
		jw_string(&jw, "state", worker_state_name(w->state), SIZE_MAX);
		jw_double(&jw, "ops_per_s", per_s(ops, secs));
		jw_double(&jw, "mib_per_s", mib_per_s(bytes, secs));
		jw_double(&jw, "busy_pct", secs > 0 ? busy / (secs * 1e7) : 0);
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_array(&jw, "ops");
	for (i = 0; i < cur->nr_ops; i++) {
		const struct pel_op_stats *s = &cur->ops[i];
		const struct pel_op_stats *p = i < prev->nr_ops ? &prev->ops[i] :
					       NULL;

		jw_object(&jw, NULL);
		jw_u64(&jw, "opcode", i);
		jw_string(&jw, "name", op_name(cur, i, name, sizeof(name)),
			  SIZE_MAX);
		jw_double(&jw, "ops_per_s",
			  per_s(delta(s->count, p ? p->count : 0), secs));
		jw_double(&jw, "mib_per_s",
			  mib_per_s(delta(s->bytes, p ? p->bytes : 0), secs));
		jw_double(&jw, "errors_per_s",
			  per_s(delta(s->errors, p ? p->errors : 0), secs));
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_array(&jw, "contexts");
	for (i = 0; i < cur->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &cur->ctxs[i];
		const struct pel_ctx_stats *p = find_ctx(prev, cur, i);

		tinflight += ctx_inflight(cur, c);
		jw_object(&jw, NULL);
		jw_s64(&jw, "pid", c->pid);
		jw_string(&jw, "comm", c->comm, sizeof(c->comm));
		jw_u64(&jw, "inflight", ctx_inflight(cur, c));
		jw_double(&jw, "ops_per_s",
			  per_s(delta(c->completed, p ? p->completed : 0), secs));
		jw_double(&jw, "mib_per_s",
			  mib_per_s(delta(c->bytes, p ? p->bytes : 0), secs));
		jw_end_object(&jw);
	}
	jw_end_array(&jw);
	jw_object(&jw, "totals");
	jw_double(&jw, "ops_per_s", per_s(tops, secs));
	jw_double(&jw, "mib_per_s", mib_per_s(tbytes, secs));
	jw_u64(&jw, "inflight", tinflight);
	jw_end_object(&jw);
	jw_end_object(&jw);
	fflush(stdout);
}

static bool parse_interval(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.01 && v <= 86400))
		return false;
	*out = v;
	return true;
}

static bool parse_count(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !v)
		return false;
	*out = v;
	return true;
}

/*
 * The device is opened anew for each look: a watch left running does not
 * keep the module from being unloaded (it then stops with an error).
 */
static int do_watch(int argc, char **argv)
{
	struct pel_status prev, cur;
	unsigned long count = 0, done = 0;
	double interval = 1.0;
	struct sigaction sa;
	struct timespec next;
	bool tty;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-i") || !strcmp(a, "--interval") ||
		    !strcmp(a, "interval")) {
			if (++i == argc)
				return usage_err("watch: %s needs SECONDS", a);
			if (!parse_interval(argv[i], &interval))
				return usage_err("watch: bad interval '%s': seconds from 0.01 to 86400",
						 argv[i]);
		} else if (!strcmp(a, "-n") || !strcmp(a, "--count") ||
			   !strcmp(a, "count")) {
			if (++i == argc)
				return usage_err("watch: %s needs COUNT", a);
			if (!parse_count(argv[i], &count))
				return usage_err("watch: bad count '%s': a whole number from 1",
						 argv[i]);
		} else {
			return usage_err("watch: unexpected argument '%s'", a);
		}
	}
	tty = !json_output && isatty(STDOUT_FILENO);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: the sleep returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (read_status(&prev))
		return EXIT_FAILURE;
	warn_abi(&prev);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop_watch && (!count || done < count)) {
		uint64_t ns = (uint64_t)(interval * 1e9);

		next.tv_sec += ns / 1000000000ULL;
		next.tv_nsec += ns % 1000000000ULL;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (!stop_watch &&
		       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		if (stop_watch)
			break;
		if (read_status(&cur)) {
			free_status(&prev);
			return EXIT_FAILURE;
		}
		if (json_output)
			watch_json(&prev, &cur, (cur.when_ns - prev.when_ns) / 1e9);
		else
			watch_text(&prev, &cur, (cur.when_ns - prev.when_ns) / 1e9,
				   tty);
		free_status(&prev);
		prev = cur;
		done++;
	}
	free_status(&prev);
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Parameters: /sys/module/pel/parameters/NAME.
 */

/*
 * Whether NAME is a parameter pelctl knows: a tunable, or a file of
 * PARAMS_DIR (for set, a writable one).
 */
static bool param_known(const char *name, bool writable)
{
	char path[512];
	struct stat sb;

	if (tunable_index(name) >= 0)
		return true;
	if (!*name || strchr(name, '/') || name[0] == '.')
		return false;
	snprintf(path, sizeof(path), PARAMS_DIR "/%s", name);
	return !stat(path, &sb) && S_ISREG(sb.st_mode) &&
	       (!writable || (sb.st_mode & 0222));
}

/* "idle_us, batch, split_bytes, max_inflight" and any other writable one. */
static void param_list(char *out, size_t len)
{
	struct dirent **names;
	unsigned int i;
	size_t n = 0;
	int nr;

	out[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(tunables) && n < len; i++)
		n += snprintf(out + n, len - n, "%s%s", n ? ", " : "",
			      tunables[i]);
	nr = scandir(PARAMS_DIR, &names, filter_dots, alphasort);
	for (i = 0; nr > 0 && i < (unsigned int)nr; i++) {
		if (tunable_index(names[i]->d_name) < 0 &&
		    param_known(names[i]->d_name, true) && n < len)
			n += snprintf(out + n, len - n, ", %s",
				      names[i]->d_name);
		free(names[i]);
	}
	if (nr > 0)
		free(names);
}

static bool module_loaded(void)
{
	struct stat sb;

	return !stat(PARAMS_DIR, &sb) && S_ISDIR(sb.st_mode);
}

static int unknown_param(const char *cmd, const char *name)
{
	char list[512];

	param_list(list, sizeof(list));
	return usage_err("%s: unknown parameter '%s'; valid: %s", cmd, name,
			 list);
}

/* Read a parameter's value; says why on failure. */
static int param_read(const char *name, char *buf, size_t len)
{
	char path[512];
	int ret;

	snprintf(path, sizeof(path), PARAMS_DIR "/%s", name);
	ret = read_small_file(path, buf, len);
	if (!ret)
		return 0;
	if (ret == -ENOENT && !module_loaded())
		p_err("PEL module not loaded (%s missing): load it with 'modprobe pel' or 'insmod pel.ko'",
		      PARAMS_DIR);
	else if (ret == -EACCES || ret == -EPERM)
		p_err("permission denied reading %s", path);
	else
		p_err("cannot read %s: %s", path, errstr(-ret));
	return -1;
}

static int print_param(const char *name, const char *value)
{
	struct jw jw;

	if (json_output) {
		jw_init(&jw, stdout, pretty_output);
		jw_object(&jw, NULL);
		jw_string(&jw, "name", name, SIZE_MAX);
		json_param_value(&jw, "value", value);
		jw_end_object(&jw);
	} else {
		printf("%s %s\n", name, value);
	}
	return EXIT_SUCCESS;
}

static int do_get(int argc, char **argv)
{
	char value[128];
	struct pel_status st;
	unsigned int i;

	if (!argc) {
		/* all of them: what PEL_IOC_INFO and sysfs say */
		if (read_status(&st))
			return EXIT_FAILURE;
		if (json_output) {
			struct jw jw;

			jw_init(&jw, stdout, pretty_output);
			json_params(&jw, NULL, &st);
		} else {
			for (i = 0; i < st.nr_params; i++)
				printf("%s %s\n", st.params[i].name,
				       st.params[i].value);
		}
		free_status(&st);
		return EXIT_SUCCESS;
	}
	if (argc > 1)
		return usage_err("get: unexpected argument '%s'", argv[1]);
	if (!param_known(argv[0], false))
		return unknown_param("get", argv[0]);
	if (param_read(argv[0], value, sizeof(value)))
		return EXIT_FAILURE;
	return print_param(argv[0], value);
}

static int do_set(int argc, char **argv)
{
	char path[512], old[128], now[128];
	const char *name, *value;
	ssize_t n;
	int fd, ti, err;

	if (argc < 2)
		return usage_err("set: needs NAME VALUE (parameters: idle_us, batch, split_bytes, max_inflight)");
	if (argc > 2)
		return usage_err("set: unexpected argument '%s'", argv[2]);
	name = argv[0];
	value = argv[1];
	if (!param_known(name, true)) {
		if (param_known(name, false))
			return usage_err("set: parameter '%s' is read-only: it is given at load (modprobe pel %s=VALUE)",
					 name, name);
		return unknown_param("set", name);
	}
	if (param_read(name, old, sizeof(old)))
		return EXIT_FAILURE;

	snprintf(path, sizeof(path), PARAMS_DIR "/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (err == EACCES || err == EPERM)
			p_err("permission denied: setting %s writes %s, which needs root",
			      name, path);
		else
			p_err("cannot open %s: %s", path, errstr(err));
		return EXIT_FAILURE;
	}
	n = write(fd, value, strlen(value));
	err = errno;
	close(fd);
	if (n < 0 || (size_t)n != strlen(value)) {
		ti = tunable_index(name);
		if (n < 0 && (err == EACCES || err == EPERM))
			p_err("permission denied setting %s: needs root", name);
		else if (n < 0)
			p_err("the module refused %s=%s: %s%s%s", name, value,
			      errstr(err), ti >= 0 ? "; it takes " : "",
			      ti >= 0 ? tunable_ranges[ti] : "");
		else
			p_err("short write to %s", path);
		return EXIT_FAILURE;
	}
	if (param_read(name, now, sizeof(now)))
		return EXIT_FAILURE;
	if (json_output) {
		struct jw jw;

		jw_init(&jw, stdout, pretty_output);
		jw_object(&jw, NULL);
		jw_string(&jw, "name", name, SIZE_MAX);
		json_param_value(&jw, "value", now);
		json_param_value(&jw, "previous", old);
		jw_end_object(&jw);
	} else {
		printf("%s %s (was %s)\n", name, now, old);
	}
	return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------
 * Objects.
 */
static int do_worker_show(int argc, char **argv)
{
	return show("worker show", SHOW_WORKERS, argc, argv);
}

static int do_context_show(int argc, char **argv)
{
	return show("context show", SHOW_CONTEXTS, argc, argv);
}

static int do_op_show(int argc, char **argv)
{
	return show("op show", SHOW_OPS, argc, argv);
}

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
	if (!no_more_args("param help", argc, argv))
		return EXIT_USAGE;
	return object_help("param",
			   "{ show | list | get NAME | set NAME VALUE | help }\n"
			   "       NAME := { idle_us | batch | split_bytes | max_inflight }");
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
		struct jw jw;

		jw_init(&jw, stdout, pretty_output);
		jw_object(&jw, NULL);
		jw_string(&jw, "pelctl", PELCTL_VERSION, SIZE_MAX);
		jw_u64(&jw, "abi", PEL_ABI_VERSION);
		if (have_info) {
			jw_object(&jw, "module");
			jw_string(&jw, "version", info.version,
				  sizeof(info.version));
			jw_u64(&jw, "abi", info.abi_version);
			jw_end_object(&jw);
		} else {
			jw_null(&jw, "module");
		}
		jw_end_object(&jw);
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
 * The global options, wherever they stand ("pelctl status -j" as well as
 * "pelctl -j status"), up to a "--"; other words go to the command, in
 * order.  Combined letters ("-jp") are fine.  Returns -1 to go on, or an
 * exit status.
 */
static int parse_global_options(int *argcp, char **argv)
{
	bool help = false, version = false, dashdash = false;
	int i, out = 1, argc = *argcp;
	const char *bad = NULL;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *c;

		if (dashdash) {
			argv[out++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!strcmp(a, "--json")) {
			json_output = true;
			continue;
		}
		if (!strcmp(a, "--pretty")) {
			json_output = pretty_output = true;
			continue;
		}
		if (!strcmp(a, "--help")) {
			help = true;
			continue;
		}
		if (!strcmp(a, "--version")) {
			version = true;
			continue;
		}
		if (a[0] != '-' || !a[1] || a[1] == '-' ||
		    strspn(a + 1, "jphV") != strlen(a + 1)) {
			/* an unknown long option is an error; "-i" is watch's */
			if (!strncmp(a, "--", 2) && strcmp(a, "--interval") &&
			    strcmp(a, "--count") && !bad)
				bad = a;
			argv[out++] = argv[i];
			continue;
		}
		for (c = a + 1; *c; c++) {
			if (*c == 'j')
				json_output = true;
			else if (*c == 'p')
				json_output = pretty_output = true;
			else if (*c == 'h')
				help = true;
			else
				version = true;
		}
	}
	argv[out] = NULL;
	*argcp = out;
	if (bad)
		return usage_err("unknown option '%s'", bad);
	if (help)
		return do_help(0, NULL);
	if (version)
		return do_version(0, NULL);
	return -1;
}

int main(int argc, char **argv)
{
	int ret;

	ret = parse_global_options(&argc, argv);
	if (ret >= 0)
		return ret;
	if (argc < 2) {
		if (json_output)
			return usage_err("no command given");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (argv[1][0] == '-')
		return usage_err("unknown option '%s'", argv[1]);
	return cmd_select(main_cmds, "object or command", argc - 1, argv + 1);
}
