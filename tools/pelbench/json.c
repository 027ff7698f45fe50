// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: JSON output, the default mode's (-j) and the suite's (-J),
 * with the one small writer (struct jw) that both use.
 */
#include "pelbench.h"

/* A small JSON writer (pelctl's, in miniature). */
struct jw {
	FILE *out;
	unsigned int depth;
	bool first[16];
	bool after_key;
};

static void jw_value(struct jw *jw)
{
	unsigned int i;

	if (jw->after_key) {
		jw->after_key = false;
		return;
	}
	if (jw->depth && !jw->first[jw->depth])
		fputc(',', jw->out);
	jw->first[jw->depth] = false;
	if (jw->depth) {
		fputc('\n', jw->out);
		for (i = 0; i < jw->depth; i++)
			fputs("  ", jw->out);
	}
}

static void jw_key(struct jw *jw, const char *key)
{
	const char *p;

	if (!key)
		return;
	jw_value(jw);
	fputc('"', jw->out);
	for (p = key; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', jw->out);
		if ((unsigned char)*p >= 0x20)
			fputc(*p, jw->out);
	}
	fputs("\": ", jw->out);
	jw->after_key = true;
}

static void jw_open(struct jw *jw, const char *key, char c)
{
	jw_key(jw, key);
	jw_value(jw);
	fputc(c, jw->out);
	if (jw->depth < ARRAY_SIZE(jw->first) - 1)
		jw->depth++;
	jw->first[jw->depth] = true;
}

static void jw_close(struct jw *jw, char c)
{
	unsigned int i;
	bool empty = jw->first[jw->depth];

	if (jw->depth)
		jw->depth--;
	if (!empty) {
		fputc('\n', jw->out);
		for (i = 0; i < jw->depth; i++)
			fputs("  ", jw->out);
	}
	fputc(c, jw->out);
	if (!jw->depth)
		fputc('\n', jw->out);
}

static void jw_str(struct jw *jw, const char *key, const char *s)
{
	jw_key(jw, key);
	jw_value(jw);
	fputc('"', jw->out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', jw->out);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, jw->out);
	}
	fputc('"', jw->out);
}

static void jw_u64(struct jw *jw, const char *key, uint64_t v)
{
	jw_key(jw, key);
	jw_value(jw);
	fprintf(jw->out, "%" PRIu64, v);
}

static void jw_num(struct jw *jw, const char *key, double v)
{
	jw_key(jw, key);
	jw_value(jw);
	if (v != v || isinf(v))
		fputs("null", jw->out);
	else
		fprintf(jw->out, "%.6g", v);
}

static void jw_bool(struct jw *jw, const char *key, bool v)
{
	jw_key(jw, key);
	jw_value(jw);
	fputs(v ? "true" : "false", jw->out);
}

static void jw_null(struct jw *jw, const char *key)
{
	jw_key(jw, key);
	jw_value(jw);
	fputs("null", jw->out);
}

static void json_cfg(struct jw *jw, const struct cfg *c)
{
	jw_str(jw, "workload", workload_names[c->w]);
	jw_u64(jw, "size", c->size);
	jw_u64(jw, "depth", c->depth);
	jw_u64(jw, "batch", c->batch);
	jw_u64(jw, "threads", c->threads);
	if (c->w == W_XOR)
		jw_u64(jw, "xor_srcs", c->nsrcs);
	jw_str(jw, "wait", c->wait == WAIT_POLL ? "poll" : "block");
	jw_bool(jw, "verify", c->verify);
	jw_bool(jw, "fixed", c->fixed);
	if (w_is_blocks(c->w))
		jw_u64(jw, "block", c->block);
	if (c->cold)
		jw_bool(jw, "cold", true);
}

static void json_lat(struct jw *jw, double avg, double p50, double p99,
		     double max)
{
	jw_open(jw, "latency_ns", '{');
	jw_num(jw, "avg", avg);
	jw_num(jw, "p50", p50);
	jw_num(jw, "p99", p99);
	jw_num(jw, "max", max);
	jw_close(jw, '}');
}

static void json_result(struct jw *jw, const char *key, const char *id,
			const struct result *r)
{
	unsigned int i;

	jw_open(jw, key, '{');
	if (id)
		jw_str(jw, "id", id);
	jw_str(jw, "engine", engine_names[r->e]);
	if (r->e == E_PEL)
		jw_str(jw, "backend", r->backend >= 0 ? lpel_backend_name(r->backend) :
		       lpel_backend_name((int)pel_backend_req));
	jw_str(jw, "label", r->label);
	json_cfg(jw, &r->cfg);
	if (r->skipped || r->err) {
		jw_str(jw, r->skipped ? "skipped" : "error", r->errmsg);
		jw_close(jw, '}');
		return;
	}
	jw_num(jw, "window_s", r->window_s);
	jw_num(jw, "ops_per_s", r->ops_s);
	jw_num(jw, "mib_per_s", r->mib_s);
	json_lat(jw, r->lat_avg, r->lat_p50, r->lat_p99, r->lat_max);
	jw_u64(jw, "ops", r->ops);
	jw_u64(jw, "failures", r->failed);
	jw_u64(jw, "miscompares", r->miscompares);
	jw_open(jw, "cpu_s", '{');
	jw_num(jw, "user", r->cpu_user_s);
	jw_num(jw, "sys", r->cpu_sys_s);
	jw_num(jw, "pel_workers", r->kthread_cpu_s);
	jw_close(jw, '}');
	jw_open(jw, "threads", '[');
	for (i = 0; i < r->nthreads; i++) {
		const struct tstats *st = &r->th[i];

		jw_open(jw, NULL, '{');
		jw_num(jw, "ops_per_s", r->th_ops_s[i]);
		jw_num(jw, "mib_per_s", r->th_mib_s[i]);
		json_lat(jw, st->ops ? ticks_to_ns((double)st->lat_sum / (double)st->ops) : 0,
			 ticks_to_ns(hist_quantile(&st->h, st->ops, 0.5)),
			 ticks_to_ns(hist_quantile(&st->h, st->ops, 0.99)),
			 ticks_to_ns((double)st->lat_max));
		jw_u64(jw, "failures", st->failed);
		jw_u64(jw, "miscompares", st->miscompares);
		jw_close(jw, '}');
	}
	jw_close(jw, ']');
	if (r->have_workers) {
		jw_open(jw, "pel_workers", '{');
		jw_u64(jw, "wakeups", r->wakeups);
		jw_u64(jw, "sleeps", r->sleeps);
		jw_u64(jw, "stolen_ops", r->stolen);
		jw_u64(jw, "split_chunks", r->chunks);
		jw_open(jw, "ops", '[');
		for (i = 0; i < r->nr_workers; i++)
			jw_u64(jw, NULL, r->w_ops[i]);
		jw_close(jw, ']');
		jw_open(jw, "busy_ns", '[');
		for (i = 0; i < r->nr_workers; i++)
			jw_u64(jw, NULL, r->w_busy_ns[i]);
		jw_close(jw, ']');
		jw_close(jw, '}');
	}
	if (r->have_enters) {
		jw_open(jw, "pel_enters", '{');
		jw_u64(jw, "count", r->enters);
		jw_num(jw, "per_s", r->enters_s);
		jw_u64(jw, "helped", r->helped);
		jw_close(jw, '}');
	}
	jw_close(jw, '}');
}

/* The default mode's JSON (-j): the configuration, each run, the ratios. */
void json_single(const struct cfg *c, enum engine primary,
		 const struct result *res, unsigned int n)
{
	struct jw jw = { .out = stdout };
	unsigned int i;

	jw_open(&jw, NULL, '{');
	jw_str(&jw, "tool", prog);
	jw_open(&jw, "config", '{');
	json_cfg(&jw, c);
	jw_str(&jw, "clock", use_tsc ? "tsc" : "clock_gettime");
	jw_str(&jw, "pel_backend", lpel_backend_name((int)pel_backend_req));
	jw_u64(&jw, "cpus", nr_online_cpus());
	jw_close(&jw, '}');
	jw_open(&jw, "results", '[');
	for (i = 0; i < n; i++)
		json_result(&jw, NULL, NULL, &res[i]);
	jw_close(&jw, ']');
	jw_open(&jw, "ratios", '{');
	for (i = 1; i < n; i++) {
		char key[80];

		if (!result_ok(&res[0]) || !result_ok(&res[i]))
			continue;
		snprintf(key, sizeof(key), "%s/%s", engine_names[primary],
			 engine_names[res[i].e]);
		jw_num(&jw, key, ratio(res[0].ops_s, res[i].ops_s));
	}
	jw_close(&jw, '}');
	if (w_is_file(c->w)) {
		jw_open(&jw, "file", '{');
		jw_str(&jw, "path", file_path);
		jw_u64(&jw, "total", file_total);
		jw_open(&jw, "copied_per_byte_checked", '{');
		for (i = 0; i < n; i++)
			if (!res[i].skipped && !res[i].err)
				jw_num(&jw, engine_names[res[i].e],
				       file_copied_per_byte(res[i].e, c->w));
		jw_close(&jw, '}');
		jw_close(&jw, '}');
	}
	jw_close(&jw, '}');
}

/* The suite's JSON (-J): every run and round, the targets, the host checks. */
int suite_json(const char *path, const struct idle_res *ir, unsigned int ncpu,
	       const char *kernel, const struct pel_info *info, bool have_info)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	struct jw jw;
	unsigned int i, k;
	char id[64];

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -errno;
	}
	memset(&jw, 0, sizeof(jw));
	jw.out = f;
	jw_open(&jw, NULL, '{');
	jw_str(&jw, "tool", prog);
	jw_u64(&jw, "cpus", ncpu);
	jw_str(&jw, "kernel", kernel);
	jw_num(&jw, "seconds", suite_seconds);
	jw_u64(&jw, "rounds", suite_rounds);
	jw_str(&jw, "clock", use_tsc ? "tsc" : "clock_gettime");
	jw_str(&jw, "pel_backend", lpel_backend_name((int)pel_backend_req));
	jw_str(&jw, "subset", suite_subset ? suite_subset : "full");
	jw_bool(&jw, "sse4_2", have_sse42);
	if (have_info) {
		jw_open(&jw, "module", '{');
		jw_str(&jw, "version", info->version);
		jw_u64(&jw, "idle_us", info->idle_us);
		jw_u64(&jw, "batch", info->batch);
		jw_u64(&jw, "split_bytes", info->split_bytes);
		jw_u64(&jw, "max_inflight", info->max_inflight);
		jw_close(&jw, '}');
	}
	jw_open(&jw, "runs", '[');
	for (i = 0; i < nr_sruns; i++) {
		const struct srun *s = &sruns[i];

		if (!s->have_med) {
			json_result(&jw, NULL, s->id, &s->r[0]);
			continue;
		}
		/* The median figures; then every round's, for the spread. */
		jw_open(&jw, NULL, '{');
		jw_str(&jw, "id", s->id);
		jw_open(&jw, "median", '{');
		jw_num(&jw, "ops_per_s", s->med.ops_s);
		jw_num(&jw, "mib_per_s", s->med.mib_s);
		json_lat(&jw, s->med.lat_avg, s->med.lat_p50, s->med.lat_p99,
			 s->med.lat_max);
		jw_u64(&jw, "failures", s->med.failed);
		jw_u64(&jw, "miscompares", s->med.miscompares);
		if (s->med.have_enters)
			jw_num(&jw, "enters_per_s", s->med.enters_s);
		jw_close(&jw, '}');
		jw_open(&jw, "rounds", '[');
		for (k = 0; k < s->n; k++)
			json_result(&jw, NULL, NULL, &s->r[k]);
		jw_close(&jw, ']');
		jw_close(&jw, '}');
	}
	jw_close(&jw, ']');
	jw_open(&jw, "targets", '[');
	for (i = 0; i < nr_targets; i++) {
		const struct target *t = &targets[i];

		jw_open(&jw, NULL, '{');
		jw_str(&jw, "id", t->id);
		jw_str(&jw, "group", target_group_names[t->group]);
		jw_str(&jw, "what", t->what);
		if (t->value == t->value)
			jw_num(&jw, "value", t->value);
		else
			jw_null(&jw, "value");
		jw_num(&jw, "goal", t->goal);
		jw_str(&jw, "cmp", cmp_names[t->cmp]);
		jw_str(&jw, "verdict", target_verdict(t));
		jw_bool(&jw, "valid", !t->invalid && !t->na);
		if (t->invalid)
			jw_str(&jw, "invalid", t->invalid);
		if (t->na)
			jw_str(&jw, "na", t->na);
		jw_close(&jw, '}');
	}
	jw_close(&jw, ']');
	jw_open(&jw, "host_check", '{');
	jw_num(&jw, "spsc_round_trip_p50_us", spsc_p50_us);
	jw_num(&jw, "sqpoll_round_trip_p50_us", sqpoll_p50_us);
	jw_bool(&jw, "spsc_ok", !spsc_invalid);
	jw_bool(&jw, "sqpoll_ok", !sqpoll_invalid);
	jw_num(&jw, "pool_crc32c_scaling", pool_scaling);
	jw_bool(&jw, "parallel", !parallel_invalid);
	jw_num(&jw, "pool_copy_scaling", pool_copy_scaling);
	jw_bool(&jw, "copy_parallel", !copy_parallel_invalid);
	jw_bool(&jw, "registered_buffers", !fixed_na);
	jw_num(&jw, "pool_file_crc32c_scaling", pool_file_scaling);
	jw_bool(&jw, "file_parallel", !file_parallel_invalid);
	jw_close(&jw, '}');
	if (srun_planned(file_run_id(id, sizeof(id), W_FILE_CRC32C, false, E_PEL))) {
		jw_open(&jw, "files", '{');
		jw_str(&jw, "path", file_path ? file_path : "");
		jw_u64(&jw, "total", file_total);
		jw_u64(&jw, "op_size", file_total < FILE_OP_SIZE ? file_total : FILE_OP_SIZE);
		jw_u64(&jw, "block", DEFAULT_BLOCK);
		if (file_na)
			jw_str(&jw, "na", file_na);
		jw_bool(&jw, "cold", !cold_reason);
		if (cold_reason)
			jw_str(&jw, "cold_na", cold_reason);
		jw_close(&jw, '}');
	}
	jw_open(&jw, "idle", '{');
	if (ir->ok) {
		jw_num(&jw, "after_s", ir->after_s);
		jw_num(&jw, "window_s", ir->window_s);
		jw_num(&jw, "pct_one_cpu", ir->pct_one_cpu);
		jw_u64(&jw, "wakeups", ir->wakeups);
		jw_u64(&jw, "pel_threads", ir->nr_kthreads);
	}
	jw_close(&jw, '}');
	jw_close(&jw, '}');
	if (f != stdout && fclose(f)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -errno;
	}
	return 0;
}

