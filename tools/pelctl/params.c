// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl: the module parameters, /sys/module/pel/parameters/NAME.  params[]
 * is the one list of the parameters pelctl knows: what `set` accepts, what
 * the help text and the messages list, which are read-only, which are file
 * modes (dev_mode: shown in octal, 0600, in text and, as a string, in
 * JSON).  A parameter a later module adds is still shown, got and set, as
 * a file of PARAMS_DIR.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pelctl.h"

/* The first four are PEL_IOC_INFO's too, and come first in status. */
const struct param_desc params[] = {
	{ "idle_us", true, false, "1..1000000 (microseconds)" },
	{ "batch", true, false, "1..64" },
	{ "split_bytes", true, false,
	  "0 (never split) or 65536..1073741824, rounded down to a page multiple" },
	{ "max_inflight", true, false, "1..2147483647" },
	{ "max_inflight_per_user", true, false, "1..2147483647" },
	{ "max_contexts_per_user", true, false, "0..4294967295 (contexts)" },
	{ "max_queue_entries", true, false, "a whole number (SQ + CQ entries)" },
	{ "max_queue_entries_per_user", true, false,
	  "a whole number (SQ + CQ entries)" },
	{ "max_user_idle_us", true, false, "0..4294967295 (microseconds)" },
	{ "dev_mode", false, true, "a file mode, given at load" },
};

const unsigned int nr_params = ARRAY_SIZE(params);

const struct param_desc *param_desc(const char *name)
{
	unsigned int i;

	for (i = 0; i < nr_params; i++)
		if (!strcmp(params[i].name, name))
			return &params[i];
	return NULL;
}

/* A value as pelctl shows it: a file mode in octal ("384" -> "0600"). */
static void param_value(const char *name, const char *raw, char *out,
			size_t len)
{
	const struct param_desc *d = param_desc(name);
	unsigned long v;
	char *end;

	if (d && d->octal && isdigit((unsigned char)*raw)) {
		errno = 0;
		v = strtoul(raw, &end, 10);
		if (!*end && !errno) {
			snprintf(out, len, "%04lo", v);
			return;
		}
	}
	snprintf(out, len, "%s", raw);
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

/*
 * The four tunables PEL_IOC_INFO gives, then whatever else
 * /sys/module/pel/parameters/ holds; a readable file's content wins over
 * PEL_IOC_INFO.
 */
int get_params(struct pel_status *st)
{
	const uint32_t vals[] = {
		st->info.idle_us, st->info.batch, st->info.split_bytes,
		st->info.max_inflight,
	};
	struct dirent **names;
	unsigned int i;
	int n;

	for (i = 0; i < ARRAY_SIZE(vals); i++) {
		struct param *p = add_param(st, params[i].name);

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
				param_value(p->name, value, p->value,
					    sizeof(p->value));
		}
		free(names[i]);
	}
	free(names);
	return 0;
oom:
	p_err("out of memory");
	return -1;
}

/*
 * A value in JSON: a file mode as its octal string ("0600"), a whole
 * number as a number, anything else as a string.
 */
void json_param_value(struct json_writer *jw, const char *key,
		      const char *name, const char *v)
{
	const struct param_desc *d = param_desc(name);
	const char *p = v;
	char *end;

	if (d && d->octal) {
		jsonw_string_field(jw, key, v);
		return;
	}
	if (*p == '-')
		p++;
	if (isdigit((unsigned char)*p)) {
		errno = 0;
		if (*v == '-') {
			long long n = strtoll(v, &end, 10);

			if (!*end && !errno) {
				jsonw_int_field(jw, key, n);
				return;
			}
		} else {
			unsigned long long n = strtoull(v, &end, 10);

			if (!*end && !errno) {
				jsonw_uint_field(jw, key, n);
				return;
			}
		}
	}
	jsonw_string_field(jw, key, v);
}

void json_params(struct json_writer *jw, const char *key,
		 const struct pel_status *st)
{
	unsigned int i;

	jsonw_object_field(jw, key);
	for (i = 0; i < st->nr_params; i++)
		json_param_value(jw, st->params[i].name, st->params[i].name,
				 st->params[i].value);
	jsonw_end_object(jw);
}


/*
 * Whether NAME is a parameter pelctl knows: a tunable, or a file of
 * PARAMS_DIR (for set, a writable one).
 */
static bool param_known(const char *name, bool writable)
{
	char path[512];
	struct stat sb;

	const struct param_desc *d = param_desc(name);

	if (d)
		return !writable || d->writable;
	if (!*name || strchr(name, '/') || name[0] == '.')
		return false;
	snprintf(path, sizeof(path), PARAMS_DIR "/%s", name);
	return !stat(path, &sb) && S_ISREG(sb.st_mode) &&
	       (!writable || (sb.st_mode & 0222));
}

/* "idle_us, batch, ..." of params[] (writable: those set accepts). */
void param_names(char *out, size_t len, bool writable)
{
	unsigned int i;
	size_t n = 0;

	out[0] = '\0';
	for (i = 0; i < nr_params && n < len; i++)
		if (!writable || params[i].writable)
			n += snprintf(out + n, len - n, "%s%s", n ? ", " : "",
				      params[i].name);
}

/* param_names() and any other parameter file of the module's (writable). */
static void param_list(char *out, size_t len, bool writable)
{
	struct dirent **names;
	unsigned int i;
	size_t n;
	int nr;

	param_names(out, len, writable);
	n = strlen(out);
	nr = scandir(PARAMS_DIR, &names, filter_dots, alphasort);
	for (i = 0; nr > 0 && i < (unsigned int)nr; i++) {
		if (!param_desc(names[i]->d_name) &&
		    param_known(names[i]->d_name, writable) && n < len)
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

	param_list(list, sizeof(list), !strcmp(cmd, "set"));
	return usage_err("%s: unknown parameter '%s'; valid: %s", cmd, name,
			 list);
}

/* Read a parameter's value; says why on failure. */
static int param_read(const char *name, char *buf, size_t len)
{
	char path[512], raw[128];
	int ret;

	snprintf(path, sizeof(path), PARAMS_DIR "/%s", name);
	ret = read_small_file(path, raw, sizeof(raw));
	if (!ret) {
		param_value(name, raw, buf, len);
		return 0;
	}
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
	struct json_writer jw;

	if (json_output) {
		jsonw_init(&jw, stdout, pretty_output);
		jsonw_start_object(&jw);
		jsonw_string_field(&jw, "name", name);
		json_param_value(&jw, "value", name, value);
		jsonw_end_object(&jw);
	} else {
		printf("%s %s\n", name, value);
	}
	return EXIT_SUCCESS;
}

int do_get(int argc, char **argv)
{
	char value[128];
	struct pel_status st;
	unsigned int i;

	if (!argc) {
		/* all of them: what PEL_IOC_INFO and sysfs say */
		if (read_status(&st))
			return EXIT_FAILURE;
		if (json_output) {
			struct json_writer jw;

			jsonw_init(&jw, stdout, pretty_output);
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

int do_set(int argc, char **argv)
{
	char path[512], old[128], now[128];
	const struct param_desc *d;
	const char *name, *value;
	char list[512];
	ssize_t n;
	int fd, err;

	if (argc < 2) {
		param_names(list, sizeof(list), true);
		return usage_err("set: needs NAME VALUE (parameters: %s)", list);
	}
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
		d = param_desc(name);
		if (n < 0 && (err == EACCES || err == EPERM))
			p_err("permission denied setting %s: needs root", name);
		else if (n < 0)
			p_err("the module refused %s=%s: %s%s%s", name, value,
			      errstr(err), d ? "; it takes " : "",
			      d ? d->range : "");
		else
			p_err("short write to %s", path);
		return EXIT_FAILURE;
	}
	if (param_read(name, now, sizeof(now)))
		return EXIT_FAILURE;
	if (json_output) {
		struct json_writer jw;

		jsonw_init(&jw, stdout, pretty_output);
		jsonw_start_object(&jw);
		jsonw_string_field(&jw, "name", name);
		json_param_value(&jw, "value", name, now);
		json_param_value(&jw, "previous", name, old);
		jsonw_end_object(&jw);
	} else {
		printf("%s %s (was %s)\n", name, now, old);
	}
	return EXIT_SUCCESS;
}

