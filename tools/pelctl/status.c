// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl status, and the objects' show commands: one look at the module,
 * printed as text, as JSON (the keys: Documentation/observability.md) or,
 * for status, in the OpenMetrics text format (openmetrics.c).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pelctl.h"
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
static void json_cgroup(struct json_writer *jw, const struct pel_status *st, uint64_t id)
{
	const char *path = cgroup_path(st, id);

	jsonw_uint_field(jw, "cgroup_id", id);
	if (path)
		jsonw_string_field(jw, "cgroup", path);
	else
		jsonw_null_field(jw, "cgroup");
}

/* ------------------------------------------------------------------------
 * status: JSON.  The keys are documented in Documentation/observability.md.
 */
static void json_module(struct json_writer *jw, const struct pel_status *st)
{
	const struct pel_info *info = &st->info;
	unsigned int bit;
	char buf[16];

	jsonw_object_field(jw, "module");
	jsonw_string_n_field(jw, "version", info->version, sizeof(info->version));
	jsonw_uint_field(jw, "abi", info->abi_version);
	jsonw_array_field(jw, "features");
	for (bit = 0; bit < 64; bit++)
		if (info->features & (1ULL << bit))
			jsonw_string_field(jw, NULL, feature_name(bit, buf, sizeof(buf)));
	jsonw_end_array(jw);
	jsonw_uint_field(jw, "nr_workers", info->nr_workers);
	jsonw_uint_field(jw, "nr_contexts", st->nr_ctxs);
	json_params(jw, "params", st);
	jsonw_end_object(jw);
}

static void json_workers(struct json_writer *jw, const char *key,
			 const struct pel_status *st)
{
	unsigned int i;

	jsonw_array_field(jw, key);
	for (i = 0; i < st->nr_workers; i++) {
		const struct pel_worker_stats *w = &st->workers[i];

		jsonw_start_object(jw);
		jsonw_uint_field(jw, "cpu", w->cpu);
		jsonw_uint_field(jw, "node", w->node);
		jsonw_string_field(jw, "state", worker_state_name(w->state));
		jsonw_uint_field(jw, "queues", w->nr_queues);
		jsonw_uint_field(jw, "ops", w->ops);
		jsonw_uint_field(jw, "bytes", w->bytes);
		jsonw_uint_field(jw, "wakeups", w->wakeups);
		jsonw_uint_field(jw, "sleeps", w->sleeps);
		jsonw_uint_field(jw, "stolen", w->stolen);
		jsonw_uint_field(jw, "stolen_from", w->stolen_from);
		jsonw_uint_field(jw, "chunks", w->chunks);
		jsonw_uint_field(jw, "busy_ns", w->busy_ns);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

static void json_contexts(struct json_writer *jw, const char *key,
			  const struct pel_status *st)
{
	unsigned int i, j, nops = nr_op_names(st);
	char buf[32];

	jsonw_array_field(jw, key);
	for (i = 0; i < st->nr_ctxs; i++) {
		const struct pel_ctx_stats *c = &st->ctxs[i];

		jsonw_start_object(jw);
		jsonw_int_field(jw, "pid", c->pid);
		jsonw_string_n_field(jw, "comm", c->comm, sizeof(c->comm));
		jsonw_uint_field(jw, "queues", c->nr_queues);
		jsonw_uint_field(jw, "sq_entries", c->sq_entries);
		jsonw_uint_field(jw, "cq_entries", c->cq_entries);
		jsonw_uint_field(jw, "submitted", c->submitted);
		jsonw_uint_field(jw, "completed", c->completed);
		jsonw_uint_field(jw, "inflight", ctx_inflight(st, c));
		if (has_stats(st)) {
			jsonw_uint_field(jw, "max_inflight", c->max_inflight);
			jsonw_uint_field(jw, "bytes", c->bytes);
		} else {
			jsonw_null_field(jw, "max_inflight");
			jsonw_null_field(jw, "bytes");
		}
		jsonw_uint_field(jw, "errors_total", ctx_errors(c));
		jsonw_uint_field(jw, "uid", c->uid);
		json_cgroup(jw, st, c->cgroup_id);
		jsonw_uint_field(jw, "busy_ns", c->busy_ns);
		jsonw_uint_field(jw, "slow_batches", c->slow_batches);
		jsonw_uint_field(jw, "enters", c->enters);
		jsonw_uint_field(jw, "helped", c->helped);
		jsonw_uint_field(jw, "registered_buffers", c->nr_buffers);
		jsonw_uint_field(jw, "registered_buffer_bytes", c->buffer_bytes);
		jsonw_uint_field(jw, "registered_files", c->nr_files);
		jsonw_object_field(jw, "errors");
		for (j = 0; j < PEL_ERR_SLOTS && has_stats(st); j++)
			jsonw_uint_field(jw, err_keys[j], c->errors[j]);
		jsonw_end_object(jw);
		jsonw_object_field(jw, "ops");
		for (j = 0; j < PEL_OP_SLOTS && has_stats(st); j++)
			if (j < nops || c->ops[j])
				jsonw_uint_field(jw, op_name(st, j, buf, sizeof(buf)),
				       c->ops[j]);
		jsonw_end_object(jw);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

/* The sums of print_busy(): "cgroups" or "users", by key. */
static void json_busy(struct json_writer *jw, const struct pel_status *st,
		      bool by_uid)
{
	struct busy_sum *sums;
	uint64_t total;
	int i, n;

	n = sum_busy(st, by_uid, &sums, &total);
	jsonw_array_field(jw, by_uid ? "users" : "cgroups");
	for (i = 0; i < n; i++) {
		const struct busy_sum *b = &sums[i];

		jsonw_start_object(jw);
		if (by_uid) {
			jsonw_uint_field(jw, "uid", b->key);
		} else {
			json_cgroup(jw, st, b->key);
		}
		jsonw_uint_field(jw, "contexts", b->contexts);
		jsonw_uint_field(jw, "completed", b->completed);
		jsonw_uint_field(jw, "busy_ns", b->busy_ns);
		jsonw_double_field(jw, "share_pct", busy_share(b->busy_ns, total));
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	free(sums);
}

static void json_ops(struct json_writer *jw, const char *key,
		     const struct pel_status *st)
{
	unsigned int i, b;
	char buf[32];

	jsonw_array_field(jw, key);
	for (i = 0; i < st->nr_ops; i++) {
		const struct pel_op_stats *s = &st->ops[i];
		uint64_t p50 = lat_percentile(s, 50), p99 = lat_percentile(s, 99);

		jsonw_start_object(jw);
		jsonw_uint_field(jw, "opcode", i);
		jsonw_string_field(jw, "name", op_name(st, i, buf, sizeof(buf)));
		jsonw_uint_field(jw, "count", s->count);
		jsonw_uint_field(jw, "bytes", s->bytes);
		jsonw_uint_field(jw, "file_bytes", s->file_bytes);
		jsonw_uint_field(jw, "errors", s->errors);
		if (p50)
			jsonw_uint_field(jw, "latency_p50_ns", p50);
		else
			jsonw_null_field(jw, "latency_p50_ns");
		if (p99)
			jsonw_uint_field(jw, "latency_p99_ns", p99);
		else
			jsonw_null_field(jw, "latency_p99_ns");
		jsonw_array_field(jw, "latency_buckets");
		for (b = 0; b < PEL_LAT_BUCKETS; b++)
			jsonw_uint_field(jw, NULL, s->latency[b]);
		jsonw_end_array(jw);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
}

static void json_totals(struct json_writer *jw, const struct pel_status *st)
{
	struct worker_totals w;
	struct ctx_totals c;
	struct op_totals o;

	sum_workers(st, &w);
	sum_contexts(st, &c);
	sum_ops(st, &o);
	jsonw_object_field(jw, "totals");
	jsonw_object_field(jw, "workers");
	jsonw_uint_field(jw, "queues", w.queues);
	jsonw_uint_field(jw, "ops", w.ops);
	jsonw_uint_field(jw, "bytes", w.bytes);
	jsonw_uint_field(jw, "wakeups", w.wakeups);
	jsonw_uint_field(jw, "sleeps", w.sleeps);
	jsonw_uint_field(jw, "stolen", w.stolen);
	jsonw_uint_field(jw, "stolen_from", w.stolen_from);
	jsonw_uint_field(jw, "chunks", w.chunks);
	jsonw_uint_field(jw, "busy_ns", w.busy_ns);
	jsonw_end_object(jw);
	jsonw_object_field(jw, "contexts");
	jsonw_uint_field(jw, "count", st->nr_ctxs);
	jsonw_uint_field(jw, "queues", c.queues);
	jsonw_uint_field(jw, "submitted", c.submitted);
	jsonw_uint_field(jw, "completed", c.completed);
	jsonw_uint_field(jw, "inflight", c.inflight);
	jsonw_uint_field(jw, "bytes", c.bytes);
	jsonw_uint_field(jw, "errors", c.errors);
	jsonw_uint_field(jw, "busy_ns", c.busy_ns);
	jsonw_uint_field(jw, "slow_batches", c.slow_batches);
	jsonw_uint_field(jw, "enters", c.enters);
	jsonw_uint_field(jw, "helped", c.helped);
	jsonw_uint_field(jw, "registered_buffers", c.buffers);
	jsonw_uint_field(jw, "registered_buffer_bytes", c.buffer_bytes);
	jsonw_uint_field(jw, "registered_files", c.files);
	jsonw_end_object(jw);
	jsonw_object_field(jw, "ops");
	jsonw_uint_field(jw, "count", o.count);
	jsonw_uint_field(jw, "bytes", o.bytes);
	jsonw_uint_field(jw, "file_bytes", o.file_bytes);
	jsonw_uint_field(jw, "errors", o.errors);
	jsonw_end_object(jw);
	jsonw_end_object(jw);
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
	struct json_writer jw;

	if (!no_more_args(cmd, argc, argv))
		return EXIT_USAGE;
	if (read_status(&st))
		return EXIT_FAILURE;
	warn_abi(&st);
	if (what & SHOW_CONTEXTS)
		resolve_cgroups(&st);

	if (output == OUTPUT_OPENMETRICS) {
		print_openmetrics(&st);
	} else if (json_output) {
		jsonw_init(&jw, stdout, pretty_output);
		if (what == SHOW_WORKERS) {
			json_workers(&jw, NULL, &st);
		} else if (what == SHOW_CONTEXTS) {
			json_contexts(&jw, NULL, &st);
		} else if (what == SHOW_OPS) {
			json_ops(&jw, NULL, &st);
		} else {
			jsonw_start_object(&jw);
			json_module(&jw, &st);
			json_liblpel(&jw, true);
			json_workers(&jw, "workers", &st);
			json_contexts(&jw, "contexts", &st);
			json_busy(&jw, &st, false);
			json_busy(&jw, &st, true);
			json_ops(&jw, "ops", &st);
			json_totals(&jw, &st);
			jsonw_end_object(&jw);
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

int do_status(int argc, char **argv)
{
	status_cmd = true;
	return show("status", SHOW_ALL, argc, argv);
}


int do_worker_show(int argc, char **argv)
{
	return show("worker show", SHOW_WORKERS, argc, argv);
}

int do_context_show(int argc, char **argv)
{
	return show("context show", SHOW_CONTEXTS, argc, argv);
}

int do_op_show(int argc, char **argv)
{
	return show("op show", SHOW_OPS, argc, argv);
}
