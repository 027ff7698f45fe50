// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl status -o openmetrics: one look at the module in the OpenMetrics
 * text format (what Prometheus scrapes, and node_exporter's textfile
 * collector reads from a .prom file).  Each family has its # HELP and
 * # TYPE lines, then its samples, one per series; counters end in _total,
 * units are in the names (_bytes, _seconds); the last line is # EOF.
 * Label values are escaped (\\, \", \n), and a comm's bytes that are not
 * printable ASCII become '?': the text is always valid UTF-8.  The names
 * and labels: Documentation/observability.md.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pelctl.h"

/* Labels of one series, "{a=\"x\",b=\"y\"}" built up; "" for none. */
struct om_labels {
	char buf[8192];
	size_t len;
};

static void om_label(struct om_labels *l, const char *name, const char *v,
		     size_t max)
{
	size_t i;

	if (l->len + 8 + strlen(name) >= sizeof(l->buf))
		return;
	l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%s=\"",
			   l->len ? "," : "{", name);
	for (i = 0; i < max && v[i] && l->len + 4 < sizeof(l->buf); i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == '\\' || c == '"') {
			l->buf[l->len++] = '\\';
			l->buf[l->len++] = c;
		} else if (c == '\n') {
			l->buf[l->len++] = '\\';
			l->buf[l->len++] = 'n';
		} else {
			l->buf[l->len++] = c >= 0x20 && c < 0x7f ? c : '?';
		}
	}
	l->buf[l->len++] = '"';
	l->buf[l->len] = '\0';
}

static void om_label_u(struct om_labels *l, const char *name, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	om_label(l, name, buf, sizeof(buf));
}

static const char *om_end(struct om_labels *l)
{
	if (!l->len)
		return "";
	if (l->len + 1 < sizeof(l->buf)) {
		l->buf[l->len++] = '}';
		l->buf[l->len] = '\0';
	}
	return l->buf;
}

static void om_family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void om_u64(const char *name, struct om_labels *l, uint64_t v)
{
	printf("%s%s %" PRIu64 "\n", name, om_end(l), v);
}

/* The shortest decimal that reads back as v, as the JSON writer prints it. */
static const char *om_fmt(char *buf, size_t len, double v)
{
	jsonw_fmt_double(buf, len, v);
	return buf;
}

static void om_double(const char *name, struct om_labels *l, double v)
{
	char buf[40];

	printf("%s%s %s\n", name, om_end(l), om_fmt(buf, sizeof(buf), v));
}

static double ns_to_s(uint64_t ns)
{
	return ns / 1e9;
}

static void worker_labels(struct om_labels *l, const struct pel_worker_stats *w)
{
	l->len = 0;
	l->buf[0] = '\0';
	om_label_u(l, "worker", w->cpu);
	om_label_u(l, "cpu", w->cpu);
	om_label_u(l, "node", w->node);
}

/*
 * A context has no id of its own: ctx is "PID:K", its owner's pid and its
 * place K among that pid's contexts (as watch matches them).
 */
static void ctx_labels(struct om_labels *l, const struct pel_status *st,
		       unsigned int i)
{
	const struct pel_ctx_stats *c = &st->ctxs[i];
	unsigned int j, k = 0;
	char id[32];

	for (j = 0; j < i; j++)
		k += st->ctxs[j].pid == c->pid;
	snprintf(id, sizeof(id), "%d:%u", c->pid, k);
	l->len = 0;
	l->buf[0] = '\0';
	om_label(l, "ctx", id, sizeof(id));
	om_label_u(l, "pid", c->pid > 0 ? (uint64_t)c->pid : 0);
	om_label(l, "comm", c->comm, sizeof(c->comm));
	om_label_u(l, "uid", c->uid);
}

static void om_workers(const struct pel_status *st)
{
	static const unsigned int states[] = {
		PEL_WORKER_OFFLINE, PEL_WORKER_SLEEPING, PEL_WORKER_POLLING,
		PEL_WORKER_RUNNING,
	};
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{ "pel_worker_ops", "Ops the worker completed.",
		  offsetof(struct pel_worker_stats, ops) },
		{ "pel_worker_bytes", "Bytes the worker's ops processed.",
		  offsetof(struct pel_worker_stats, bytes) },
		{ "pel_worker_wakeups", "Times the worker was woken from sleep.",
		  offsetof(struct pel_worker_stats, wakeups) },
		{ "pel_worker_sleeps", "Times the worker went to sleep.",
		  offsetof(struct pel_worker_stats, sleeps) },
		{ "pel_worker_stolen", "Ops the worker took from other workers' queues.",
		  offsetof(struct pel_worker_stats, stolen) },
		{ "pel_worker_stolen_from", "Ops other workers took from this worker's queues.",
		  offsetof(struct pel_worker_stats, stolen_from) },
		{ "pel_worker_chunks", "Chunks of split ops the worker ran.",
		  offsetof(struct pel_worker_stats, chunks) },
	};
	struct om_labels l;
	char name[64];
	unsigned int i, s, k;

	om_family("pel_worker_state", "gauge",
		  "1 for the state the worker is in (offline, sleeping, polling, running), else 0.");
	for (i = 0; i < st->nr_workers; i++) {
		for (s = 0; s < ARRAY_SIZE(states); s++) {
			worker_labels(&l, &st->workers[i]);
			om_label(&l, "state", worker_state_name(states[s]),
				 SIZE_MAX);
			om_u64("pel_worker_state", &l,
			       st->workers[i].state == states[s]);
		}
	}
	om_family("pel_worker_queues", "gauge", "Queues homed on the worker's CPU.");
	for (i = 0; i < st->nr_workers; i++) {
		worker_labels(&l, &st->workers[i]);
		om_u64("pel_worker_queues", &l, st->workers[i].nr_queues);
	}
	for (k = 0; k < ARRAY_SIZE(counters); k++) {
		om_family(counters[k].name, "counter", counters[k].help);
		snprintf(name, sizeof(name), "%s_total", counters[k].name);
		for (i = 0; i < st->nr_workers; i++) {
			const char *w = (const char *)&st->workers[i];

			worker_labels(&l, &st->workers[i]);
			om_u64(name, &l, *(const __u64 *)(w + counters[k].off));
		}
	}
	om_family("pel_worker_busy_seconds", "counter",
		  "Time the worker spent running ops.");
	for (i = 0; i < st->nr_workers; i++) {
		worker_labels(&l, &st->workers[i]);
		om_double("pel_worker_busy_seconds_total", &l,
			  ns_to_s(st->workers[i].busy_ns));
	}
}

static void om_contexts(const struct pel_status *st)
{
	static const struct {
		const char *name, *type, *help;
		size_t off;
		bool u32;
	} fields[] = {
		{ "pel_context_queues", "gauge", "Queues of the context.",
		  offsetof(struct pel_ctx_stats, nr_queues), true },
		{ "pel_context_sq_entries", "gauge", "SQ entries of each of its queues.",
		  offsetof(struct pel_ctx_stats, sq_entries), true },
		{ "pel_context_cq_entries", "gauge", "CQ entries of each of its queues.",
		  offsetof(struct pel_ctx_stats, cq_entries), true },
		{ "pel_context_submitted", "counter", "SQEs the workers took.",
		  offsetof(struct pel_ctx_stats, submitted), false },
		{ "pel_context_completed", "counter", "CQEs posted.",
		  offsetof(struct pel_ctx_stats, completed), false },
		{ "pel_context_max_inflight", "gauge", "The context's cap on ops in flight.",
		  offsetof(struct pel_ctx_stats, max_inflight), true },
		{ "pel_context_bytes", "counter", "Sum of the positive results (bytes) of its ops.",
		  offsetof(struct pel_ctx_stats, bytes), false },
		{ "pel_context_slow_batches", "counter",
		  "Batches handed to its slow path (ops that needed a page fault).",
		  offsetof(struct pel_ctx_stats, slow_batches), false },
		{ "pel_context_enters", "counter", "PEL_IOC_ENTER calls by its owner.",
		  offsetof(struct pel_ctx_stats, enters), false },
		{ "pel_context_helped", "counter",
		  "SQEs and split-op chunks the owner's waiting thread ran itself.",
		  offsetof(struct pel_ctx_stats, helped), false },
		{ "pel_context_registered_buffers", "gauge", "Registered buffers.",
		  offsetof(struct pel_ctx_stats, nr_buffers), true },
		{ "pel_context_registered_buffer_bytes", "gauge",
		  "Bytes of registered buffers (pinned).",
		  offsetof(struct pel_ctx_stats, buffer_bytes), false },
		{ "pel_context_registered_files", "gauge", "Registered file slots filled.",
		  offsetof(struct pel_ctx_stats, nr_files), true },
	};
	unsigned int i, j, k, nops = nr_op_names(st);
	struct om_labels l;
	char name[64], buf[32];

	om_family("pel_context_info", "gauge",
		  "1 for each context set up: its owner and cgroup.");
	for (i = 0; i < st->nr_ctxs; i++) {
		ctx_labels(&l, st, i);
		om_label(&l, "cgroup",
			 cgroup_label(st, st->ctxs[i].cgroup_id, buf, sizeof(buf)),
			 SIZE_MAX);
		om_label_u(&l, "cgroup_id", st->ctxs[i].cgroup_id);
		om_u64("pel_context_info", &l, 1);
	}
	for (k = 0; k < ARRAY_SIZE(fields); k++) {
		bool counter = fields[k].type[0] == 'c';

		om_family(fields[k].name, fields[k].type, fields[k].help);
		snprintf(name, sizeof(name), "%s%s", fields[k].name,
			 counter ? "_total" : "");
		for (i = 0; i < st->nr_ctxs; i++) {
			const char *c = (const char *)&st->ctxs[i];

			ctx_labels(&l, st, i);
			om_u64(name, &l, fields[k].u32 ?
			       *(const __u32 *)(c + fields[k].off) :
			       *(const __u64 *)(c + fields[k].off));
		}
	}
	om_family("pel_context_inflight", "gauge", "Ops taken whose CQE is not posted yet.");
	for (i = 0; i < st->nr_ctxs; i++) {
		ctx_labels(&l, st, i);
		om_u64("pel_context_inflight", &l, ctx_inflight(st, &st->ctxs[i]));
	}
	om_family("pel_context_busy_seconds", "counter",
		  "Worker and slow-path time spent on its ops.");
	for (i = 0; i < st->nr_ctxs; i++) {
		ctx_labels(&l, st, i);
		om_double("pel_context_busy_seconds_total", &l,
			  ns_to_s(st->ctxs[i].busy_ns));
	}
	if (!has_stats(st))
		return;
	om_family("pel_context_errors", "counter",
		  "Completions with a negative result, by errno (other: any other).");
	for (i = 0; i < st->nr_ctxs; i++) {
		for (j = 0; j < PEL_ERR_SLOTS; j++) {
			ctx_labels(&l, st, i);
			om_label(&l, "errno", err_names[j], SIZE_MAX);
			om_u64("pel_context_errors_total", &l,
			       st->ctxs[i].errors[j]);
		}
	}
	om_family("pel_context_ops", "counter", "Completions by op.");
	for (i = 0; i < st->nr_ctxs; i++) {
		for (j = 0; j < PEL_OP_SLOTS; j++) {
			if (j >= nops && !st->ctxs[i].ops[j])
				continue;
			ctx_labels(&l, st, i);
			om_label(&l, "op", op_name(st, j, buf, sizeof(buf)),
				 SIZE_MAX);
			om_u64("pel_context_ops_total", &l, st->ctxs[i].ops[j]);
		}
	}
}

static void op_labels(struct om_labels *l, const struct pel_status *st,
		      unsigned int op)
{
	char buf[32];

	l->len = 0;
	l->buf[0] = '\0';
	om_label(l, "op", op_name(st, op, buf, sizeof(buf)), SIZE_MAX);
}

static void om_ops(const struct pel_status *st)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{ "pel_op_completions", "Completions of the op, since the module was loaded.",
		  offsetof(struct pel_op_stats, count) },
		{ "pel_op_bytes", "Sum of the op's positive results (bytes).",
		  offsetof(struct pel_op_stats, bytes) },
		{ "pel_op_file_bytes", "Of those, bytes of ops whose source was a registered file.",
		  offsetof(struct pel_op_stats, file_bytes) },
		{ "pel_op_errors", "Completions of the op with a negative result.",
		  offsetof(struct pel_op_stats, errors) },
	};
	struct om_labels l;
	char name[64], le[40];
	unsigned int i, b, k;

	if (!has_stats(st))
		return;
	for (k = 0; k < ARRAY_SIZE(counters); k++) {
		om_family(counters[k].name, "counter", counters[k].help);
		snprintf(name, sizeof(name), "%s_total", counters[k].name);
		for (i = 0; i < st->nr_ops; i++) {
			op_labels(&l, st, i);
			om_u64(name, &l, *(const __u64 *)((const char *)&st->ops[i] +
							  counters[k].off));
		}
	}
	/*
	 * Bucket b of the module's counts [2^b, 2^(b+1)) ns: le is 2^(b+1) ns,
	 * cumulative.  Its last bucket also holds everything longer, so it
	 * has no bound of its own: it is in +Inf only.  No _sum: the module
	 * keeps none.
	 */
	om_family("pel_op_latency_seconds", "histogram",
		  "Time from a worker taking the SQE to its CQE being posted.");
	for (i = 0; i < st->nr_ops; i++) {
		uint64_t cum = 0;

		for (b = 0; b < PEL_LAT_BUCKETS; b++) {
			cum += st->ops[i].latency[b];
			if (b == PEL_LAT_BUCKETS - 1)
				break;
			op_labels(&l, st, i);
			om_label(&l, "le", om_fmt(le, sizeof(le),
						  (double)(2ULL << b) / 1e9),
				 SIZE_MAX);
			om_u64("pel_op_latency_seconds_bucket", &l, cum);
		}
		op_labels(&l, st, i);
		om_label(&l, "le", "+Inf", SIZE_MAX);
		om_u64("pel_op_latency_seconds_bucket", &l, cum);
		op_labels(&l, st, i);
		om_u64("pel_op_latency_seconds_count", &l, cum);
	}
}

void print_openmetrics(const struct pel_status *st)
{
	const struct pel_info *info = &st->info;
	struct om_labels l = { .len = 0 };
	unsigned int bit, i;
	char buf[32];
	char *end;

	om_family("pel_module_info", "gauge", "The PEL module: its version and ABI.");
	om_label(&l, "version", info->version, sizeof(info->version));
	om_label_u(&l, "abi", info->abi_version);
	om_u64("pel_module_info", &l, 1);
	om_family("pel_module_feature", "gauge", "1 for each feature the module has.");
	for (bit = 0; bit < 64; bit++) {
		if (!(info->features & (1ULL << bit)))
			continue;
		l.len = 0;
		om_label(&l, "feature", feature_name(bit, buf, sizeof(buf)),
			 SIZE_MAX);
		om_u64("pel_module_feature", &l, 1);
	}
	om_family("pel_module_param", "gauge",
		  "The module parameters with a numeric value (dev_mode: the mode as a number).");
	for (i = 0; i < st->nr_params; i++) {
		const char *v = st->params[i].value;
		const struct param_desc *d = param_desc(st->params[i].name);
		unsigned long long n = strtoull(v, &end, d && d->octal ? 8 : 10);

		if (!*v || *end || *v == '-')
			continue;
		l.len = 0;
		om_label(&l, "param", st->params[i].name, SIZE_MAX);
		om_u64("pel_module_param", &l, n);
	}
	om_family("pel_workers", "gauge", "Worker slots (one per possible CPU) listed.");
	l.len = 0;
	om_u64("pel_workers", &l, st->nr_workers);
	om_family("pel_contexts", "gauge", "Contexts set up that the caller may see.");
	om_u64("pel_contexts", &l, st->nr_ctxs);
	om_workers(st);
	om_contexts(st);
	om_ops(st);
	printf("# EOF\n");
}
