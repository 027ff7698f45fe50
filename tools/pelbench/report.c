// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: what it prints: the text tables of the default mode, and the
 * suite's Markdown (its tables, the target tables, the host checks).
 */
#include "pelbench.h"

void fmt_size(char *buf, size_t n, uint64_t v)
{
	if (v >= (1ULL << 30) && !(v & ((1ULL << 30) - 1)))
		snprintf(buf, n, "%" PRIu64 "G", v >> 30);
	else if (v >= (1ULL << 20) && !(v & ((1ULL << 20) - 1)))
		snprintf(buf, n, "%" PRIu64 "M", v >> 20);
	else if (v >= 1024 && !(v & 1023))
		snprintf(buf, n, "%" PRIu64 "K", v >> 10);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

static void text_header(FILE *f)
{
	fprintf(f, "%-36s %6s %12s %10s %9s %9s %9s %9s %7s %7s\n",
		"engine", "thread", "ops/s", "MiB/s", "avg(us)", "p50(us)",
		"p99(us)", "max(us)", "failed", "miscmp");
}

static void text_result(FILE *f, const struct result *r, bool per_thread)
{
	unsigned int i;

	if (r->skipped) {
		fprintf(f, "%-36s skipped: %s\n", r->label, r->errmsg);
		return;
	}
	if (r->err) {
		fprintf(f, "%-36s error: %s\n", r->label, r->errmsg);
		return;
	}
	for (i = 0; per_thread && r->nthreads > 1 && i < r->nthreads; i++) {
		const struct tstats *st = &r->th[i];

		fprintf(f, "%-36s %6u %12.0f %10.1f %9.2f %9.2f %9.2f %9.2f %7" PRIu64 " %7" PRIu64 "\n",
			r->label, i, r->th_ops_s[i], r->th_mib_s[i],
			st->ops ? ticks_to_ns((double)st->lat_sum / (double)st->ops) / 1e3 : 0,
			ticks_to_ns(hist_quantile(&st->h, st->ops, 0.5)) / 1e3,
			ticks_to_ns(hist_quantile(&st->h, st->ops, 0.99)) / 1e3,
			ticks_to_ns((double)st->lat_max) / 1e3,
			st->failed, st->miscompares);
	}
	fprintf(f, "%-36s %6s %12.0f %10.1f %9.2f %9.2f %9.2f %9.2f %7" PRIu64 " %7" PRIu64 "\n",
		r->label, "total", r->ops_s, r->mib_s, r->lat_avg / 1e3,
		r->lat_p50 / 1e3, r->lat_p99 / 1e3, r->lat_max / 1e3,
		r->failed, r->miscompares);
}

/*
 * File workloads: bytes an engine copies into user memory per byte of the
 * file it checks, by construction.  The baselines pread() every byte into
 * their buffer first; PEL's CRC-32C and SHA-256 read the page cache in the
 * kernel (or the user backend's mapping) and copy nothing; file_copy's
 * product is the copy, one byte per byte on every engine.
 */
double file_copied_per_byte(enum engine e, enum workload w)
{
	if (w == W_FILE_COPY)
		return 1.0;
	/* The user backend pread()s into its bounce buffer, as a pool does. */
	return e == E_PEL && pel_backend_req == LPEL_BACKEND_KERNEL ? 0.0 : 1.0;
}

/* The default mode's first lines: the file, the configuration. */
void text_config(const struct cfg *c)
{
	char sz[24];

	fmt_size(sz, sizeof(sz), c->size);
	if (w_is_file(c->w)) {
		char tot[24];

		fmt_size(tot, sizeof(tot), file_total);
		printf("%s: file %s, %s in %" PRIu64 " ranges of %s (the last %s)\n",
		       prog, file_path, tot, file_nranges, sz,
		       file_total % c->size ? "short" : "full");
	}
	printf("%s: workload %s, transfer %s, depth %u, batch %u, %u thread%s, %.1f s, %s waits%s%s%s\n",
	       prog, workload_names[c->w], sz, c->depth, c->batch,
	       c->threads, c->threads == 1 ? "" : "s", c->seconds,
	       c->wait == WAIT_POLL ? "polled" : "blocking",
	       c->verify ? ", verify" : "",
	       c->fixed ? ", registered buffers" : "",
	       use_tsc ? "" : " (clock: clock_gettime)");
}

/* The default mode's table, the ratios, and PEL's own figures. */
void text_single(const struct cfg *c, enum engine primary,
		 const struct result *res, unsigned int n)
{
	unsigned int i, e;

	text_header(stdout);
	for (i = 0; i < n; i++)
		text_result(stdout, &res[i], i == 0);
	for (i = 1; i < n; i++) {
		if (!result_ok(&res[0]) || !result_ok(&res[i]))
			continue;
		printf("%s / %s: throughput %.2fx, p50 latency %.2fx, p99 latency %.2fx\n",
		       res[0].label, res[i].label,
		       ratio(res[0].ops_s, res[i].ops_s),
		       ratio(res[0].lat_p50, res[i].lat_p50),
		       ratio(res[0].lat_p99, res[i].lat_p99));
	}
	if (w_is_file(c->w)) {
		printf("bytes copied into user memory per byte %s:",
		       c->w == W_FILE_COPY ? "read" : "checked");
		for (i = 0, e = 0; i < n; i++)
			if (!res[i].skipped && !res[i].err)
				printf("%s %s %.1f", e++ ? ";" : "", res[i].label,
				       file_copied_per_byte(res[i].e, c->w));
		printf("%s\n", res[0].e != E_PEL || !(res[0].skipped || res[0].err) ? "" :
		       c->w == W_FILE_COPY ? "; pel n/a (by design 1.0: the copy is the op)" :
		       pel_on_kernel() ? "; pel n/a (by design 0.0: it reads the page cache itself)" :
		       "; pel n/a (by design 1.0 on the user backend: it preads into a bounce buffer)");
	}
	if (res[0].e == E_PEL)
		printf("pel backend: %s%s%s\n",
		       lpel_backend_name(res[0].backend >= 0 ? res[0].backend :
					 (int)pel_backend_req),
		       res[0].backend >= 0 ? "" : " (asked for; no ring was set up)",
		       pel_on_kernel() ? "" :
		       "; PEL_IOC_ENTER/s, worker counters, pel/N threads' CPU: n/a (kernel only)");
	if (res[0].have_workers)
		printf("pel workers: %" PRIu64 " wakeups, %" PRIu64 " sleeps, %" PRIu64 " ops stolen, %" PRIu64 " split chunks; CPU: %.2f s user, %.2f s sys, %.2f s pel/N threads over %.2f s\n",
		       res[0].wakeups, res[0].sleeps, res[0].stolen,
		       res[0].chunks, res[0].cpu_user_s, res[0].cpu_sys_s,
		       res[0].kthread_cpu_s, res[0].window_s);
	if (res[0].have_enters)
		printf("pel system calls: %" PRIu64 " PEL_IOC_ENTER (%.0f/s), %" PRIu64 " SQEs run by the waiting thread itself\n",
		       res[0].enters, res[0].enters_s, res[0].helped);
}

bool result_ok(const struct result *r)
{
	return !r->skipped && !r->err && r->ops;
}

double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

/* A Markdown cell: "-" for a figure that was not measured. */
const char *md(double v, int prec)
{
	static char bufs[8][32];
	static unsigned int next;
	char *b = bufs[next++ % ARRAY_SIZE(bufs)];

	if (v != v)
		return "-";
	snprintf(b, sizeof(bufs[0]), "%.*f", prec, v);
	return b;
}

static void md_row(const char *name, const char *id, const struct result *ref,
		   bool bytes)
{
	const struct result *r = srun_find(id);

	if (!r) {
		printf("| %s | - | - | - | - | - | - | - |\n", name);
		return;
	}
	printf("| %s | %.0f | ", name, r->ops_s);
	if (bytes)
		printf("%.1f | ", r->mib_s);
	else
		printf("- | ");
	printf("%.2f | %.2f | %.2f | ", r->lat_avg / 1e3, r->lat_p50 / 1e3,
	       r->lat_p99 / 1e3);
	printf("%s | %s |\n", md(ref ? ratio(ref->ops_s, r->ops_s) : NAN, 2),
	       md(r->have_enters ? r->enters_s : NAN, 0));
}

static void md_targets(enum target_group g)
{
	static const char *const headings[TG_NR] = {
		[TG_FAST_PATH] = "the fast path",
		[TG_USER_BACKEND] = "the user backend",
		[TG_FILE] = "file ranges and per-block digests",
	};
	unsigned int i;

	printf("\n### Targets: %s\n\n", headings[g]);
	printf("| target | measured | goal | verdict |\n|---|---:|---:|---|\n");
	for (i = 0; i < nr_targets; i++) {
		const struct target *t = &targets[i];

		if (t->group != g)
			continue;
		printf("| %s | %s | %s %.2f | %s%s%s%s |\n", t->what,
		       md(t->value, 2), cmp_names[t->cmp], t->goal,
		       target_verdict(t), t->invalid && !t->na ? " (" : "",
		       t->invalid && !t->na ? t->invalid : "",
		       t->invalid && !t->na ? ")" : "");
	}
}

/* The file runs: cached and cold, PEL beside one thread and the pool. */
static void md_files(unsigned int ncpu)
{
	static const enum workload wl[] = {
		W_FILE_CRC32C, W_FILE_COPY, W_FILE_SHA256_BLOCKS,
	};
	static const char *const names[] = {
		"CRC32C", "COPY (pread)", "SHA-256 per 1 MiB block",
	};
	const char *na[ARRAY_SIZE(wl)];
	unsigned int i, k;
	char tot[24], op[24], id[64];

	fmt_size(tot, sizeof(tot), file_total);
	fmt_size(op, sizeof(op), file_total < FILE_OP_SIZE ? file_total : FILE_OP_SIZE);
	printf("\n### Files (data locality): %s of %s in %s ranges, depth 1 (MiB/s)\n\n",
	       tot, file_path ? file_path : "-", op);
	printf("| op | PEL | 1 thread | pool x%u | PEL/1 thread | PEL/pool | cold: PEL | 1 thread | pool x%u | PEL/1 thread | PEL/pool | copied per byte: PEL, baselines |\n"
	       "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n", ncpu, ncpu);
	for (i = 0; i < ARRAY_SIZE(wl); i++) {
		double p = file_val(wl[i], false, E_PEL), c1 = file_val(wl[i], false, E_CPU),
		       pl = file_val(wl[i], false, E_POOL);

		na[i] = srun_na(file_run_id(id, sizeof(id), wl[i], false, E_PEL));
		printf("| %s | %s | %s | %s | %s | %s | ", names[i],
		       na[i] ? "n/a" : md(p, 1), md(c1, 1), md(pl, 1),
		       md(ratio(p, c1), 2), md(ratio(p, pl), 2));
		if (wl[i] == W_FILE_COPY) {
			printf("- | - | - | - | - | ");
		} else {
			double cp = file_val(wl[i], true, E_PEL), cc = file_val(wl[i], true, E_CPU),
			       cpl = file_val(wl[i], true, E_POOL);

			if (cold_reason) {
				printf("n/a | n/a | n/a | - | - | ");
			} else {
				printf("%s | %s | %s | %s | %s | ",
				       srun_na(file_run_id(id, sizeof(id), wl[i], true, E_PEL)) ?
				       "n/a" : md(cp, 1), md(cc, 1), md(cpl, 1),
				       md(ratio(cp, cc), 2), md(ratio(cp, cpl), 2));
			}
		}
		printf("%.1f, 1.0 |\n", file_copied_per_byte(E_PEL, wl[i]));
	}
	for (i = 0; i < ARRAY_SIZE(wl); i++) {
		for (k = 0; k < i; k++)
			if (na[k] && na[i] && !strcmp(na[k], na[i]))
				break;
		if (na[i] && k == i)
			printf("\nPEL n/a (%s): %s.\n", names[i], na[i]);
	}
	if (cold_reason)
		printf("\nCold runs n/a: %s.\n", cold_reason);
	else
		printf("\nCold: the page cache dropped (echo 3 > /proc/sys/vm/drop_caches) before each op, outside the timed span; run once, not a target.\n");
	printf("Copied per byte: bytes copied into user memory per byte checked (COPY: per byte read): the pread baselines 1.0; PEL 0 on pel.ko, 1.0 on the user backend (a bounce buffer).\n");
}

/* --subset: its runs, its group's targets, and what the host gave. */
static void suite_markdown_subset(unsigned int ncpu)
{
	unsigned int i;

	printf("| run | ops/s | MiB/s | p50 us | p99 us |\n|---|---:|---:|---:|---:|\n");
	for (i = 0; i < nr_sruns; i++) {
		const struct result *r = srun_find(sruns[i].id);

		if (!r) {
			printf("| %s | - | - | - | - |\n", sruns[i].id);
			continue;
		}
		printf("| %s | %.0f | %s | %.2f | %.2f |\n", sruns[i].id, r->ops_s,
		       md(sruns[i].c.w == W_NOP ? NAN : r->mib_s, 1),
		       r->lat_p50 / 1e3, r->lat_p99 / 1e3);
	}
	if (!strcmp(suite_subset, "file")) {
		md_files(ncpu);
		md_targets(TG_FILE);
		printf("\nHost check: pthread pool over one thread, file CRC32C %sx (%u CPUs; for PEL / one thread: at least %.2f).\n",
		       md(pool_file_scaling, 2), ncpu, PARALLEL_MIN * ncpu);
		if (file_parallel_invalid)
			printf("Not valid here: %s.\n", file_parallel_invalid);
		return;
	}
	md_targets(TG_USER_BACKEND);
	printf("\nHost check: round trip p50 at depth 1, SPSC ring %s us (co-scheduled CPUs: under %.0f us); pthread pool over one thread, CRC32C 64 MiB %sx, COPY 64 MiB %sx (%u CPUs).\n",
	       md(spsc_p50_us, 1), COSCHED_MAX_US, md(pool_scaling, 2),
	       md(pool_copy_scaling, 2), ncpu);
	if (spsc_invalid)
		printf("Not valid here: %s.\n", spsc_invalid);
}

void suite_markdown(const struct idle_res *ir, unsigned int ncpu,
		    const char *kernel)
{
	static const char *const sweep_wl[] = { "copy", "crc32c" };
	static const char *const other_wl[] = {
		"fill", "compare", "copy_crc32c", "xor", "sha256",
	};
	const struct result *pel;
	unsigned int i, j;
	char id[64], sz[24];

	printf("\n## pelbench suite%s%s: %u CPUs, kernel %s, PEL on the %s backend, %g s per run, median of %u rounds\n\n",
	       suite_subset ? " --subset=" : "", suite_subset ? suite_subset : "",
	       ncpu, kernel, lpel_backend_name((int)pel_backend_req),
	       suite_seconds, suite_rounds);
	if (suite_subset) {
		suite_markdown_subset(ncpu);
		return;
	}

	printf("### NOP hand-off, 1 thread, depth 128, batch 32\n\n"
	       "| run | ops/s | MiB/s | avg us | p50 us | p99 us | PEL/this | ENTER/s |\n"
	       "|---|---:|---:|---:|---:|---:|---:|---:|\n");
	pel = srun_find("nop.b32.pel");
	md_row("PEL, polled", "nop.b32.pel", NULL, false);
	md_row("PEL, blocking", "nop.b32.pel_block", pel, false);
	md_row("io_uring, plain submit", "nop.b32.io_uring", pel, false);
	md_row("io_uring, SQPOLL", "nop.b32.io_uring_sqpoll", pel, false);
	md_row("raw SPSC ring, 2 pinned threads", "nop.b32.spsc_ring", pel, false);
	md_row("pthread pool", "nop.b32.pthread_pool", pel, false);
	pel = srun_find("nop.b32.T.pel");
	snprintf(id, sizeof(id), "PEL, %u threads", ncpu);
	md_row(id, "nop.b32.T.pel", NULL, false);
	snprintf(id, sizeof(id), "io_uring, %u threads", ncpu);
	md_row(id, "nop.b32.T.io_uring", pel, false);

	printf("\n### Latency at depth 1 (per op, submit to completion)\n\n"
	       "| run | ops/s | avg us | p50 us | p99 us | max us | ENTER/s |\n"
	       "|---|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < 7; i++) {
		static const char *const ids[] = {
			"lat.copy4k.pel", "lat.copy4k.pel_block", "lat.nop.pel",
			"lat.nop.io_uring_sqpoll", "lat.nop.io_uring",
			"lat.nop.spsc_ring", "lat.copy4k.cpu",
		};
		static const char *const names[] = {
			"PEL COPY 4 KiB, polled", "PEL COPY 4 KiB, blocking",
			"PEL NOP", "io_uring SQPOLL NOP", "io_uring NOP",
			"raw SPSC ring NOP", "memcpy 4 KiB, 1 thread",
		};
		const struct result *r = srun_find(ids[i]);

		if (!r) {
			printf("| %s | - | - | - | - | - | - |\n", names[i]);
			continue;
		}
		printf("| %s | %.0f | %.2f | %.2f | %.2f | %.2f | %s |\n", names[i],
		       r->ops_s, r->lat_avg / 1e3, r->lat_p50 / 1e3,
		       r->lat_p99 / 1e3, r->lat_max / 1e3,
		       md(r->have_enters ? r->enters_s : NAN, 0));
	}

	for (j = 0; j < ARRAY_SIZE(sweep_wl); j++) {
		printf("\n### %s throughput vs transfer size (MiB/s)\n\n"
		       "| size | depth | PEL | 1 thread | pool x%u | PEL/1 thread | PEL/pool | PEL p50 us |\n"
		       "|---:|---:|---:|---:|---:|---:|---:|---:|\n",
		       sweep_wl[j], ncpu);
		for (i = 0; i < ARRAY_SIZE(sweep_sizes); i++) {
			double p, c1, pl;

			fmt_size(sz, sizeof(sz), sweep_sizes[i]);
			snprintf(id, sizeof(id), "%s.%s.pel", sweep_wl[j], sz);
			p = srun_val(id, 'm');
			pel = srun_find(id);
			snprintf(id, sizeof(id), "%s.%s.cpu", sweep_wl[j], sz);
			c1 = srun_val(id, 'm');
			snprintf(id, sizeof(id), "%s.%s.pthread_pool", sweep_wl[j], sz);
			pl = srun_val(id, 'm');
			printf("| %s | %u | %s | %s | %s | %s | %s | %s |\n",
			       sz, sweep_depth(sweep_sizes[i]), md(p, 1),
			       md(c1, 1), md(pl, 1), md(ratio(p, c1), 2),
			       md(ratio(p, pl), 2),
			       md(pel ? pel->lat_p50 / 1e3 : NAN, 1));
		}
	}

	printf("\n### Registered buffers (-F), 64 MiB, depth 1 (MiB/s)\n\n"
	       "| op | PEL, registered | PEL | pool x%u | registered/pool | PEL/pool | ENTER/s |\n"
	       "|---|---:|---:|---:|---:|---:|---:|\n", ncpu);
	for (j = 0; j < ARRAY_SIZE(sweep_wl); j++) {
		double f, p, pl;
		const struct srun *fs = NULL;

		snprintf(id, sizeof(id), "%s.64M.pel_fixed", sweep_wl[j]);
		for (i = 0; i < nr_sruns; i++)
			if (!strcmp(sruns[i].id, id))
				fs = &sruns[i];
		pel = srun_find(id);
		f = srun_val(id, 'm');
		snprintf(id, sizeof(id), "%s.64M.pel", sweep_wl[j]);
		p = srun_val(id, 'm');
		snprintf(id, sizeof(id), "%s.64M.pthread_pool", sweep_wl[j]);
		pl = srun_val(id, 'm');
		if (!pel && fs && fs->n && fs->r[0].skipped) {
			printf("| %s | %s | %s | %s | - | %s | - |\n", sweep_wl[j],
			       fs->r[0].errmsg, md(p, 1), md(pl, 1),
			       md(ratio(p, pl), 2));
			continue;
		}
		printf("| %s | %s | %s | %s | %s | %s | %s |\n", sweep_wl[j],
		       md(f, 1), md(p, 1), md(pl, 1), md(ratio(f, pl), 2),
		       md(ratio(p, pl), 2),
		       md(pel && pel->have_enters ? pel->enters_s : NAN, 0));
	}

	printf("\n### Other ops (MiB/s)\n\n"
	       "| op | size | PEL | 1 thread | pool x%u | PEL/1 thread | PEL/pool |\n"
	       "|---|---:|---:|---:|---:|---:|---:|\n", ncpu);
	for (j = 0; j < ARRAY_SIZE(other_wl); j++) {
		static const char *const szs[] = { "64K", "64M" };

		for (i = 0; i < 2; i++) {
			double p, c1, pl;

			if (!strcmp(other_wl[j], "sha256") && i)
				continue;
			snprintf(id, sizeof(id), "%s.%s.pel", other_wl[j], szs[i]);
			p = srun_val(id, 'm');
			snprintf(id, sizeof(id), "%s.%s.cpu", other_wl[j], szs[i]);
			c1 = srun_val(id, 'm');
			snprintf(id, sizeof(id), "%s.%s.pthread_pool", other_wl[j], szs[i]);
			pl = srun_val(id, 'm');
			printf("| %s | %s | %s | %s | %s | %s | %s |\n",
			       other_wl[j], szs[i], md(p, 1), md(c1, 1),
			       md(pl, 1), md(ratio(p, c1), 2),
			       md(ratio(p, pl), 2));
		}
	}

	md_files(ncpu);
	md_targets(TG_FAST_PATH);
	md_targets(TG_USER_BACKEND);
	md_targets(TG_FILE);
	if (file_parallel_invalid)
		printf("\nNot valid here (file targets, PEL / one thread): %s.\n", file_parallel_invalid);
	printf("\nHost check: round trip p50 at depth 1, SPSC ring %s us, SQPOLL %s us (co-scheduled vCPUs: under %.0f us); pthread pool CRC32C over one thread %sx (parallelism: at least %.2f); pthread pool COPY 64 MiB over one thread %sx (for COPY / N x 1 thread: at least %.2f).\n",
	       md(spsc_p50_us, 1), md(sqpoll_p50_us, 1), COSCHED_MAX_US,
	       md(pool_scaling, 2), PARALLEL_MIN * ncpu,
	       md(pool_copy_scaling, 2), COPY_PARALLEL_MIN * ncpu);
	if (sqpoll_b32_invalid)
		printf("Note: %s.\n", sqpoll_b32_invalid);
	if (spsc_b32_invalid)
		printf("Not valid here: %s.\n", spsc_b32_invalid);
	if (sqpoll_invalid)
		printf("Note: %s.\n", sqpoll_invalid);
	if (spsc_invalid)
		printf("Note: %s.\n", spsc_invalid);
	if (parallel_invalid)
		printf("Note: %s.\n", parallel_invalid);
	if (copy_parallel_invalid)
		printf("Not valid here: %s.\n", copy_parallel_invalid);
	printf("ENTER/s: PEL_IOC_ENTER calls per second of the run's own contexts (PEL_IOC_CTX_STATS, owner = this process), over the measuring window.\n");
	if (ir->ok)
		printf("\nIdle: pel/N threads used %.3f%% of one CPU over %.1f s, starting %.1f s after the last op (%u threads, %" PRIu64 " wake-ups).\n",
		       ir->pct_one_cpu, ir->window_s, ir->after_s,
		       ir->nr_kthreads, ir->wakeups);
	else
		printf("\nIdle: not measured (no pel/N threads found).\n");
}

