/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pelctl's parts, shared.  main.c parses the options and dispatches
 * OBJECT COMMAND; read.c reads the module (liblpel's stats API and sysfs)
 * into a struct pel_status and names what it holds; cgroup.c finds the
 * cgroups' paths; status.c prints a status as text or JSON, openmetrics.c
 * in the OpenMetrics text format; watch.c prints rates; params.c gets and
 * sets the module parameters (one table: params[]); backend.c says what
 * liblpel programs run on.
 */
#ifndef PELCTL_H
#define PELCTL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pel.h"
#include "json_writer.h"

#ifndef PELCTL_VERSION
#define PELCTL_VERSION		"1.1.0"
#endif

#define EXIT_USAGE		2

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* A module that never says -ENOENT must not make us loop forever. */
#define MAX_CONTEXTS		(1U << 20)

#define PARAMS_DIR		"/sys/module/pel/parameters"

/* -o: what the output is. */
enum output {
	OUTPUT_TEXT,
	OUTPUT_JSON,		/* -j, -p, -o json */
	OUTPUT_OPENMETRICS,	/* -o openmetrics: status only */
};

/* main.c: the options. */
extern const char *prog;
extern bool json_output;	/* -j, -p, -o json */
extern bool pretty_output;	/* -p */
extern enum output output;
/* watch's -i and -n, taken with the other options: NULL unless given. */
extern const char *watch_interval_arg;
extern const char *watch_count_arg;
/* The command is status: a missing module's error says what liblpel does. */
extern bool status_cmd;

/* A command or object: its handler, and its line of the help text. */
struct cmd {
	const char *name;
	int (*func)(int argc, char **argv);
	const char *args;
	const char *summary;
};

/* main.c: errors, as text on stderr or {"error": ...} on stdout. */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void p_err_absent(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *errstr(int err);
bool no_more_args(const char *cmd, int argc, char **argv);
int cmd_select(const struct cmd *cmds, const char *what, int argc,
	       char **argv);

/* backend.c */
void print_liblpel(bool module);
void json_liblpel(struct json_writer *jw, bool module);

/* One module parameter as read: its name and its value as shown. */
struct param {
	char name[64];
	char value[128];
};

/* A context's cgroup: its id and the directory found for it. */
struct cgroup_name {
	uint64_t id;
	char *path;		/* under the cgroup2 mount, "/" its root; NULL: not found */
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

/* read.c */
int open_pel(bool quiet);
int get_info(int fd, struct pel_info *info, bool quiet);
int read_status_fd(int fd, struct pel_status *st);
int read_status(struct pel_status *st);
void free_status(struct pel_status *st);
bool has_stats(const struct pel_status *st);
void warn_abi(const struct pel_status *st);
int read_small_file(const char *path, char *buf, size_t len);
int filter_dots(const struct dirent *d);
const char *feature_name(unsigned int bit, char *buf, size_t len);
const char *op_name(const struct pel_status *st, unsigned int op, char *buf,
		    size_t len);
unsigned int nr_op_names(const struct pel_status *st);
extern const char *const err_names[PEL_ERR_SLOTS];
extern const char *const err_keys[PEL_ERR_SLOTS];
const char *worker_state_name(unsigned int state);
uint64_t ctx_errors(const struct pel_ctx_stats *c);
uint64_t ctx_inflight(const struct pel_status *st,
		      const struct pel_ctx_stats *c);
uint64_t lat_percentile(const struct pel_op_stats *s, unsigned int pct);
const char *human_bytes(uint64_t n, char *buf, size_t len);
const char *human_ns(uint64_t ns, char *buf, size_t len);

/* cgroup.c */
void resolve_cgroups(struct pel_status *st);
const char *cgroup_path(const struct pel_status *st, uint64_t id);
const char *cgroup_label(const struct pel_status *st, uint64_t id, char *buf,
			 size_t len);

/* params.c: the parameters pelctl knows, in the order status shows them. */
struct param_desc {
	const char *name;
	bool writable;		/* at run time; else only at load */
	bool octal;		/* a file mode: shown as 0600 */
	const char *range;	/* what the module accepts */
};

extern const struct param_desc params[];
extern const unsigned int nr_params;

const struct param_desc *param_desc(const char *name);
int get_params(struct pel_status *st);
/* "idle_us, batch, ..." : the writable ones of params[], into out. */
void param_names(char *out, size_t len, bool writable);
void json_param_value(struct json_writer *jw, const char *key,
		      const char *name, const char *v);
void json_params(struct json_writer *jw, const char *key,
		 const struct pel_status *st);
int do_get(int argc, char **argv);
int do_set(int argc, char **argv);

/* status.c */
int do_status(int argc, char **argv);
int do_worker_show(int argc, char **argv);
int do_context_show(int argc, char **argv);
int do_op_show(int argc, char **argv);

/* openmetrics.c */
void print_openmetrics(const struct pel_status *st);

/* watch.c */
int do_watch(int argc, char **argv);

#endif /* PELCTL_H */
