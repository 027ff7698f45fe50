// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: JSON output, the default mode's (-j) and the suite's (-J),
 * pretty-printed by the tools' JSON writer (tools/lib/json_writer.c):
 * integers exact, other numbers the shortest decimal that reads back as
 * the same double, NaN and infinities (a figure there is none of) null.
 */
#include "pelbench.h"
#include "json_writer.h"

static void json_cfg(struct json_writer *jw, const struct cfg *c)
{
	jsonw_string_field(jw, "workload", workload_names[c->w]);
	jsonw_uint_field(jw, "size", c->size);
	jsonw_uint_field(jw, "depth", c->depth);
	jsonw_uint_field(jw, "batch", c->batch);
	jsonw_uint_field(jw, "threads", c->threads);
	if (c->w == W_XOR)
		jsonw_uint_field(jw, "xor_srcs", c->nsrcs);
	jsonw_string_field(jw, "wait", c->wait == WAIT_POLL ? "poll" : "block");
	jsonw_bool_field(jw, "verify", c->verify);
	jsonw_bool_field(jw, "fixed", c->fixed);
	if (w_is_blocks(c->w))
		jsonw_uint_field(jw, "block", c->block);
	if (c->cold)
		jsonw_bool_field(jw, "cold", true);
}

static void json_lat(struct json_writer *jw, double avg, double p50, double p99,
		     double max)
{
	jsonw_object_field(jw, "latency_ns");
	jsonw_double_field(jw, "avg", avg);
	jsonw_double_field(jw, "p50", p50);
	jsonw_double_field(jw, "p99", p99);
	jsonw_double_field(jw, "max", max);
	jsonw_end_object(jw);
}

static void json_result(struct json_writer *jw, const char *id,
			const struct result *r)
{
	unsigned int i;

	jsonw_start_object(jw);
	if (id)
		jsonw_string_field(jw, "id", id);
	jsonw_string_field(jw, "engine", engine_names[r->e]);
	if (r->e == E_PEL)
		jsonw_string_field(jw, "backend", r->backend >= 0 ? lpel_backend_name(r->backend) :
		       lpel_backend_name((int)pel_backend_req));
	jsonw_string_field(jw, "label", r->label);
	json_cfg(jw, &r->cfg);
	if (r->skipped || r->err) {
		jsonw_string_field(jw, r->skipped ? "skipped" : "error", r->errmsg);
		jsonw_end_object(jw);
		return;
	}
	jsonw_double_field(jw, "window_s", r->window_s);
	jsonw_double_field(jw, "ops_per_s", r->ops_s);
	jsonw_double_field(jw, "mib_per_s", r->mib_s);
	json_lat(jw, r->lat_avg, r->lat_p50, r->lat_p99, r->lat_max);
	jsonw_uint_field(jw, "ops", r->ops);
	jsonw_uint_field(jw, "failures", r->failed);
	jsonw_uint_field(jw, "miscompares", r->miscompares);
	jsonw_object_field(jw, "cpu_s");
	/* getrusage()'s microseconds, as they were (no 0.0616889999...). */
	jsonw_name(jw, "user");
	jsonw_double_fmt(jw, "%.6f", r->cpu_user_s);
	jsonw_name(jw, "sys");
	jsonw_double_fmt(jw, "%.6f", r->cpu_sys_s);
	jsonw_double_field(jw, "pel_workers", r->kthread_cpu_s);
	jsonw_end_object(jw);
	jsonw_array_field(jw, "threads");
	for (i = 0; i < r->nthreads; i++) {
		const struct tstats *st = &r->th[i];

		jsonw_start_object(jw);
		jsonw_double_field(jw, "ops_per_s", r->th_ops_s[i]);
		jsonw_double_field(jw, "mib_per_s", r->th_mib_s[i]);
		json_lat(jw, st->ops ? ticks_to_ns((double)st->lat_sum / (double)st->ops) : 0,
			 ticks_to_ns(hist_quantile(&st->h, st->ops, 0.5)),
			 ticks_to_ns(hist_quantile(&st->h, st->ops, 0.99)),
			 ticks_to_ns((double)st->lat_max));
		jsonw_uint_field(jw, "failures", st->failed);
		jsonw_uint_field(jw, "miscompares", st->miscompares);
		jsonw_end_object(jw);
	}
	jsonw_end_array(jw);
	if (r->have_workers) {
		jsonw_object_field(jw, "pel_workers");
		jsonw_uint_field(jw, "wakeups", r->wakeups);
		jsonw_uint_field(jw, "sleeps", r->sleeps);
		jsonw_uint_field(jw, "stolen_ops", r->stolen);
		jsonw_uint_field(jw, "split_chunks", r->chunks);
		jsonw_array_field(jw, "ops");
		for (i = 0; i < r->nr_workers; i++)
			jsonw_uint(jw, r->w_ops[i]);
		jsonw_end_array(jw);
		jsonw_array_field(jw, "busy_ns");
		for (i = 0; i < r->nr_workers; i++)
			jsonw_uint(jw, r->w_busy_ns[i]);
		jsonw_end_array(jw);
		jsonw_end_object(jw);
	}
	if (r->have_enters) {
		jsonw_object_field(jw, "pel_enters");
		jsonw_uint_field(jw, "count", r->enters);
		jsonw_double_field(jw, "per_s", r->enters_s);
		jsonw_uint_field(jw, "helped", r->helped);
		jsonw_end_object(jw);
	}
	jsonw_end_object(jw);
}

/* The default mode's JSON (-j): the configuration, each run, the ratios. */
void json_single(const struct cfg *c, enum engine primary,
		 const struct result *res, unsigned int n)
{
	struct json_writer jw;
	unsigned int i;

	jsonw_init(&jw, stdout, true);
	jsonw_start_object(&jw);
	jsonw_string_field(&jw, "tool", prog);
	jsonw_object_field(&jw, "config");
	json_cfg(&jw, c);
	jsonw_string_field(&jw, "clock", use_tsc ? "tsc" : "clock_gettime");
	jsonw_string_field(&jw, "pel_backend", lpel_backend_name((int)pel_backend_req));
	jsonw_uint_field(&jw, "cpus", nr_online_cpus());
	jsonw_end_object(&jw);
	jsonw_array_field(&jw, "results");
	for (i = 0; i < n; i++)
		json_result(&jw, NULL, &res[i]);
	jsonw_end_array(&jw);
	jsonw_object_field(&jw, "ratios");
	for (i = 1; i < n; i++) {
		char key[80];

		if (!result_ok(&res[0]) || !result_ok(&res[i]))
			continue;
		snprintf(key, sizeof(key), "%s/%s", engine_names[primary],
			 engine_names[res[i].e]);
		jsonw_double_field(&jw, key, ratio(res[0].ops_s, res[i].ops_s));
	}
	jsonw_end_object(&jw);
	if (w_is_file(c->w)) {
		jsonw_object_field(&jw, "file");
		jsonw_string_field(&jw, "path", file_path);
		jsonw_uint_field(&jw, "total", file_total);
		jsonw_object_field(&jw, "copied_per_byte_checked");
		for (i = 0; i < n; i++)
			if (!res[i].skipped && !res[i].err)
				jsonw_double_field(&jw, engine_names[res[i].e],
				       file_copied_per_byte(res[i].e, c->w));
		jsonw_end_object(&jw);
		jsonw_end_object(&jw);
	}
	jsonw_end_object(&jw);
}

/* The suite's JSON (-J): every run and round, the targets, the host checks. */
int suite_json(const char *path, const struct idle_res *ir, unsigned int ncpu,
	       const char *kernel, const struct pel_info *info, bool have_info)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	struct json_writer jw;
	unsigned int i, k;
	char id[64];

	if (!f) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -errno;
	}
	jsonw_init(&jw, f, true);
	jsonw_start_object(&jw);
	jsonw_string_field(&jw, "tool", prog);
	jsonw_uint_field(&jw, "cpus", ncpu);
	jsonw_string_field(&jw, "kernel", kernel);
	jsonw_double_field(&jw, "seconds", suite_seconds);
	jsonw_uint_field(&jw, "rounds", suite_rounds);
	jsonw_string_field(&jw, "clock", use_tsc ? "tsc" : "clock_gettime");
	jsonw_string_field(&jw, "pel_backend", lpel_backend_name((int)pel_backend_req));
	jsonw_string_field(&jw, "subset", suite_subset ? suite_subset : "full");
	jsonw_bool_field(&jw, "sse4_2", have_sse42);
	if (have_info) {
		jsonw_object_field(&jw, "module");
		jsonw_string_field(&jw, "version", info->version);
		jsonw_uint_field(&jw, "idle_us", info->idle_us);
		jsonw_uint_field(&jw, "batch", info->batch);
		jsonw_uint_field(&jw, "split_bytes", info->split_bytes);
		jsonw_uint_field(&jw, "max_inflight", info->max_inflight);
		jsonw_end_object(&jw);
	}
	jsonw_array_field(&jw, "runs");
	for (i = 0; i < nr_sruns; i++) {
		const struct srun *s = &sruns[i];

		if (!s->have_med) {
			json_result(&jw, s->id, &s->r[0]);
			continue;
		}
		/* The median figures; then every round's, for the spread. */
		jsonw_start_object(&jw);
		jsonw_string_field(&jw, "id", s->id);
		jsonw_object_field(&jw, "median");
		jsonw_double_field(&jw, "ops_per_s", s->med.ops_s);
		jsonw_double_field(&jw, "mib_per_s", s->med.mib_s);
		json_lat(&jw, s->med.lat_avg, s->med.lat_p50, s->med.lat_p99,
			 s->med.lat_max);
		jsonw_uint_field(&jw, "failures", s->med.failed);
		jsonw_uint_field(&jw, "miscompares", s->med.miscompares);
		if (s->med.have_enters)
			jsonw_double_field(&jw, "enters_per_s", s->med.enters_s);
		jsonw_end_object(&jw);
		jsonw_array_field(&jw, "rounds");
		for (k = 0; k < s->n; k++)
			json_result(&jw, NULL, &s->r[k]);
		jsonw_end_array(&jw);
		jsonw_end_object(&jw);
	}
	jsonw_end_array(&jw);
	jsonw_array_field(&jw, "targets");
	for (i = 0; i < nr_targets; i++) {
		const struct target *t = &targets[i];

		jsonw_start_object(&jw);
		jsonw_string_field(&jw, "id", t->id);
		jsonw_string_field(&jw, "group", target_group_names[t->group]);
		jsonw_string_field(&jw, "what", t->what);
		jsonw_double_field(&jw, "value", t->value);	/* NaN: null */
		jsonw_double_field(&jw, "goal", t->goal);
		jsonw_string_field(&jw, "cmp", cmp_names[t->cmp]);
		jsonw_string_field(&jw, "verdict", target_verdict(t));
		jsonw_bool_field(&jw, "valid", !t->invalid && !t->na);
		if (t->invalid)
			jsonw_string_field(&jw, "invalid", t->invalid);
		if (t->na)
			jsonw_string_field(&jw, "na", t->na);
		jsonw_end_object(&jw);
	}
	jsonw_end_array(&jw);
	jsonw_object_field(&jw, "host_check");
	jsonw_double_field(&jw, "spsc_round_trip_p50_us", spsc_p50_us);
	jsonw_double_field(&jw, "sqpoll_round_trip_p50_us", sqpoll_p50_us);
	jsonw_bool_field(&jw, "spsc_ok", !spsc_invalid);
	jsonw_bool_field(&jw, "sqpoll_ok", !sqpoll_invalid);
	jsonw_double_field(&jw, "pool_crc32c_scaling", pool_scaling);
	jsonw_bool_field(&jw, "parallel", !parallel_invalid);
	jsonw_double_field(&jw, "pool_copy_scaling", pool_copy_scaling);
	jsonw_bool_field(&jw, "copy_parallel", !copy_parallel_invalid);
	jsonw_bool_field(&jw, "registered_buffers", !fixed_na);
	jsonw_double_field(&jw, "pool_file_crc32c_scaling", pool_file_scaling);
	jsonw_bool_field(&jw, "file_parallel", !file_parallel_invalid);
	jsonw_end_object(&jw);
	if (srun_planned(file_run_id(id, sizeof(id), W_FILE_CRC32C, false, E_PEL))) {
		jsonw_object_field(&jw, "files");
		jsonw_string_field(&jw, "path", file_path ? file_path : "");
		jsonw_uint_field(&jw, "total", file_total);
		jsonw_uint_field(&jw, "op_size", file_total < FILE_OP_SIZE ? file_total : FILE_OP_SIZE);
		jsonw_uint_field(&jw, "block", DEFAULT_BLOCK);
		if (file_na)
			jsonw_string_field(&jw, "na", file_na);
		jsonw_bool_field(&jw, "cold", !cold_reason);
		if (cold_reason)
			jsonw_string_field(&jw, "cold_na", cold_reason);
		jsonw_end_object(&jw);
	}
	jsonw_object_field(&jw, "idle");
	if (ir->ok) {
		jsonw_double_field(&jw, "after_s", ir->after_s);
		jsonw_double_field(&jw, "window_s", ir->window_s);
		jsonw_double_field(&jw, "pct_one_cpu", ir->pct_one_cpu);
		jsonw_uint_field(&jw, "wakeups", ir->wakeups);
		jsonw_uint_field(&jw, "pel_threads", ir->nr_kthreads);
	}
	jsonw_end_object(&jw);
	jsonw_end_object(&jw);
	if (f != stdout && fclose(f)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -errno;
	}
	return 0;
}

