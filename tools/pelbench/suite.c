// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the suite (-S): the list of runs (suite_plan(), --subset), the
 * rounds over it, the medians; the targets are in targets.c.
 */
#include "pelbench.h"

/* ------------------------------------------------------------------------
 * The suite (-S).  First the list of runs, then rounds over it: the runs
 * that the targets use are repeated (-R, interleaved, so that a noisy
 * moment of the host hits every engine alike) and summarised by the
 * median of each figure; the others run once.
 */

struct srun *sruns;
unsigned int nr_sruns;
static unsigned int cap_sruns;
double suite_seconds = 0.5;
unsigned int suite_rounds = 3;

/*
 * --subset=user-backend: only the runs that the user backend's targets use
 * (the user backend against the pthread pool and the SPSC ring), and the
 * one-thread runs of the host check; what `make bench` runs on the host,
 * where there is no pel.ko.  --subset=file: the file runs.  NULL: the
 * whole suite.
 */
const char *suite_subset;
static const char *const subset_user_backend[] = {
	"lat.nop.pel", "lat.nop.spsc_ring",
	"copy.64M.pel", "copy.64M.cpu", "copy.64M.pthread_pool",
	"crc32c.64M.pel", "crc32c.64M.cpu", "crc32c.64M.pthread_pool",
	NULL,
};

static bool in_subset(const char *id)
{
	unsigned int i;

	if (!suite_subset)
		return true;
	/* --subset=file: the file runs. */
	if (!strcmp(suite_subset, "file"))
		return !strncmp(id, "file.", 5);
	for (i = 0; subset_user_backend[i]; i++)
		if (!strcmp(subset_user_backend[i], id))
			return true;
	return false;
}

static struct cfg suite_cfg(enum workload w, uint64_t size, unsigned int depth,
			    unsigned int batch)
{
	struct cfg c = {
		.w = w, .size = size, .depth = depth, .batch = batch,
		.threads = 1, .nsrcs = 2, .seconds = suite_seconds,
		.wait = WAIT_POLL,
	};

	return c;
}

static void srun_add(const char *id, enum engine e, const struct cfg *c,
		     bool key)
{
	struct srun *s;

	if (!in_subset(id))
		return;
	if (nr_sruns == cap_sruns) {
		unsigned int cap = cap_sruns ? 2 * cap_sruns : 64;
		struct srun *n = realloc(sruns, cap * sizeof(*n));

		if (!n) {
			fprintf(stderr, "%s: out of memory\n", prog);
			exit(1);
		}
		sruns = n;
		cap_sruns = cap;
	}
	s = &sruns[nr_sruns++];
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->e = e;
	s->c = *c;
	s->key = key;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The round with the median throughput, its figures replaced by medians. */
static void srun_summarise(struct srun *s)
{
	double ops[MAX_ROUNDS], v[MAX_ROUNDS];
	unsigned int i, n = 0, pick = 0;
	double m;

	for (i = 0; i < s->n; i++)
		if (result_ok(&s->r[i]))
			ops[n++] = s->r[i].ops_s;
	if (!n)
		return;
	m = median(ops, n);
	for (i = 0; i < s->n; i++)
		if (result_ok(&s->r[i]) &&
		    fabs(s->r[i].ops_s - m) < fabs(s->r[pick].ops_s - m))
			pick = i;
	if (!result_ok(&s->r[pick]))
		for (pick = 0; !result_ok(&s->r[pick]); pick++)
			;
	s->med = s->r[pick];
	s->med.ops_s = m;
#define SUMMARISE(field)						\
	do {								\
		unsigned int k = 0;					\
		for (i = 0; i < s->n; i++)				\
			if (result_ok(&s->r[i]))			\
				v[k++] = s->r[i].field;			\
		s->med.field = median(v, k);				\
	} while (0)
	SUMMARISE(mib_s);
	SUMMARISE(lat_avg);
	SUMMARISE(lat_p50);
	SUMMARISE(lat_p99);
	SUMMARISE(lat_max);
	if (s->med.have_enters)
		SUMMARISE(enters_s);
#undef SUMMARISE
	s->med.failed = s->med.miscompares = 0;
	for (i = 0; i < s->n; i++) {
		s->med.failed += s->r[i].failed;
		s->med.miscompares += s->r[i].miscompares;
	}
	s->have_med = true;
}

/* Whether the suite has this run at all (its figures may still be missing). */
bool srun_planned(const char *id)
{
	unsigned int i;

	for (i = 0; i < nr_sruns; i++)
		if (!strcmp(sruns[i].id, id))
			return true;
	return false;
}

const struct result *srun_find(const char *id)
{
	unsigned int i;

	for (i = 0; i < nr_sruns; i++)
		if (!strcmp(sruns[i].id, id))
			return sruns[i].have_med ? &sruns[i].med : NULL;
	return NULL;
}

double srun_val(const char *id, char what)
{
	const struct result *r = srun_find(id);

	if (!r)
		return NAN;
	switch (what) {
	case 'o':
		return r->ops_s;
	case 'm':
		return r->mib_s;
	case '5':
		return r->lat_p50;
	case '9':
		return r->lat_p99;
	case 'E':
		return r->have_enters ? r->enters_s : NAN;
	}
	return NAN;
}

/* "file.crc32c.256M[.cold].pel": the op, the file's size, cold or cached, the engine. */
const char *file_run_id(char *buf, size_t n, enum workload w,
			bool cold, enum engine e)
{
	char sz[24];

	fmt_size(sz, sizeof(sz), file_total);
	snprintf(buf, n, "file.%s.%s%s%s%s", workload_names[w] + strlen("file_"),
		 sz, cold ? ".cold" : "", e < E_NR ? "." : "",
		 e < E_NR ? engine_names[e] : "");
	return buf;
}

double file_val(enum workload w, bool cold, enum engine e)
{
	char id[64];

	return srun_val(file_run_id(id, sizeof(id), w, cold, e), 'm');
}

/* Why a run has no figure ("n/a: " stripped), or NULL if it has one. */
const char *srun_na(const char *id)
{
	unsigned int i;

	for (i = 0; i < nr_sruns; i++) {
		const struct srun *s = &sruns[i];
		const char *m;

		if (strcmp(s->id, id))
			continue;
		if (s->have_med)
			return NULL;
		if (!s->n)
			return "not run";
		m = s->r[0].errmsg;
		if (!strncmp(m, "n/a: ", 5))
			m += 5;
		return *m ? m : "no completed op";
	}
	return "not in this suite";
}

/* The sizes of the throughput-vs-size sweep. */
const uint64_t sweep_sizes[NR_SWEEP_SIZES] = {
	4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20,
};

/* Depth for a size: enough to overlap small ops, at most 64 MiB of them. */
unsigned int sweep_depth(uint64_t size)
{
	uint64_t d = (64ULL << 20) / size;

	return d > 32 ? 32 : d < 1 ? 1 : (unsigned int)d;
}

static unsigned int sweep_batch(unsigned int depth)
{
	return depth >= 4 ? depth / 4 : 1;
}

static void measure_idle(struct idle_res *ir)
{
	struct cfg c = suite_cfg(W_COPY, 4096, 4, 1);
	struct pel_snap *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct tctx *t = calloc(1, sizeof(*t));
	uint64_t t0, t1;
	unsigned int i;

	memset(ir, 0, sizeof(*ir));
	if (!a || !b || !t)
		goto out;
	/* A context stays open and idle: its queues' workers must sleep. */
	c.seconds = 0.3;
	if (tctx_setup(t, E_PEL, &c, 0, NULL))
		goto out_teardown;
	atomic_store(&phase, PH_RUN);
	if (start_thread(&t->tid, -1, bench_thread, t))
		goto out_teardown;
	sleep_s(c.seconds);
	atomic_store(&phase, PH_STOP);
	pthread_join(t->tid, NULL);
	ir->after_s = 1.0;
	sleep_s(ir->after_s);
	pel_snapshot(a);
	t0 = mono_ns();
	sleep_s(2.0);
	pel_snapshot(b);
	t1 = mono_ns();
	ir->window_s = (double)(t1 - t0) / 1e9;
	ir->nr_kthreads = b->nr_kthreads;
	ir->pct_one_cpu = 100.0 * (double)(b->kthread_ns - a->kthread_ns) /
			  ((double)(t1 - t0));
	for (i = 0; i < a->nr && i < b->nr; i++)
		ir->wakeups += b->w[i].wakeups - a->w[i].wakeups;
	ir->ok = b->nr_kthreads > 0;
out_teardown:
	tctx_teardown(t);
out:
	free(a);
	free(b);
	free(t);
}

static void suite_plan(unsigned int ncpu)
{
	static const enum workload other_wl[] = {
		W_FILL, W_COMPARE, W_COPY_CRC32C, W_XOR, W_SHA256,
	};
	static const enum engine data_engines[] = { E_PEL, E_CPU, E_POOL };
	static const enum workload file_wl[] = {
		W_FILE_CRC32C, W_FILE_COPY, W_FILE_SHA256_BLOCKS,
	};
	unsigned int i, j, e;
	char id[64], sz[24];
	struct cfg c;

	/* NOP hand-off: depth 128, batch 32; then a thread per CPU. */
	c = suite_cfg(W_NOP, 0, 128, 32);
	srun_add("nop.b32.pel", E_PEL, &c, true);
	c.wait = WAIT_BLOCK;
	srun_add("nop.b32.pel_block", E_PEL, &c, true);
	c.wait = WAIT_POLL;
	srun_add("nop.b32.io_uring", E_URING, &c, true);
	srun_add("nop.b32.io_uring_sqpoll", E_SQPOLL, &c, true);
	srun_add("nop.b32.spsc_ring", E_SPSC, &c, true);
	srun_add("nop.b32.pthread_pool", E_POOL, &c, false);
	c.threads = ncpu;
	srun_add("nop.b32.T.pel", E_PEL, &c, false);
	srun_add("nop.b32.T.io_uring", E_URING, &c, false);

	/* Latency at depth 1. */
	c = suite_cfg(W_COPY, 4096, 1, 1);
	srun_add("lat.copy4k.pel", E_PEL, &c, true);
	c.wait = WAIT_BLOCK;
	srun_add("lat.copy4k.pel_block", E_PEL, &c, false);
	c.wait = WAIT_POLL;
	srun_add("lat.copy4k.cpu", E_CPU, &c, true);
	c = suite_cfg(W_NOP, 0, 1, 1);
	srun_add("lat.nop.io_uring_sqpoll", E_SQPOLL, &c, true);
	srun_add("lat.nop.pel", E_PEL, &c, true);	/* the user backend's round trip */
	srun_add("lat.nop.io_uring", E_URING, &c, true);
	srun_add("lat.nop.spsc_ring", E_SPSC, &c, true);

	/* Throughput vs size: copy and crc32c; 64 MiB counts for targets. */
	for (j = 0; j < 2; j++) {
		enum workload w = j ? W_CRC32C : W_COPY;

		for (i = 0; i < ARRAY_SIZE(sweep_sizes); i++) {
			unsigned int d = sweep_depth(sweep_sizes[i]);

			c = suite_cfg(w, sweep_sizes[i], d, sweep_batch(d));
			fmt_size(sz, sizeof(sz), sweep_sizes[i]);
			for (e = 0; e < ARRAY_SIZE(data_engines); e++) {
				snprintf(id, sizeof(id), "%s.%s.%s",
					 workload_names[w], sz,
					 engine_names[data_engines[e]]);
				srun_add(id, data_engines[e], &c,
					 sweep_sizes[i] == 64 << 20);
			}
			/* -F: registered buffers (n/a without the feature). */
			if (sweep_sizes[i] == 64 << 20) {
				c.fixed = true;
				snprintf(id, sizeof(id), "%s.%s.pel_fixed",
					 workload_names[w], sz);
				srun_add(id, E_PEL, &c, true);
				c.fixed = false;
			}
		}
	}

	/* The other ops at 64 KiB and 64 MiB (SHA-256: 64 KiB, unsplit). */
	for (j = 0; j < ARRAY_SIZE(other_wl); j++) {
		for (i = 0; i < 2; i++) {
			uint64_t size = i ? 64ULL << 20 : 64 << 10;
			unsigned int d = sweep_depth(size);

			if (other_wl[j] == W_SHA256 && i)
				continue;
			c = suite_cfg(other_wl[j], size, d, sweep_batch(d));
			fmt_size(sz, sizeof(sz), size);
			for (e = 0; e < ARRAY_SIZE(data_engines); e++) {
				snprintf(id, sizeof(id), "%s.%s.%s",
					 workload_names[other_wl[j]], sz,
					 engine_names[data_engines[e]]);
				srun_add(id, data_engines[e], &c, false);
			}
		}
	}

	/*
	 * The file runs: a file of -s bytes (256 MiB) read in FILE_OP_SIZE ranges
	 * at depth 1: CRC32C, COPY (a parallel pread) and SHA-256 of each
	 * 1 MiB block, from the page cache (repeated, for the targets); CRC32C
	 * and the per-block SHA-256 also cold (the page cache dropped before
	 * each op: once, reported beside the cached runs).
	 */
	for (j = 0; j < ARRAY_SIZE(file_wl); j++) {
		for (i = 0; i < 2; i++) {
			if (i && file_wl[j] == W_FILE_COPY)
				continue;
			c = suite_cfg(file_wl[j], file_total < FILE_OP_SIZE ?
				      file_total : FILE_OP_SIZE, 1, 1);
			c.block = DEFAULT_BLOCK;
			c.cold = i;
			for (e = 0; e < ARRAY_SIZE(data_engines); e++) {
				file_run_id(id, sizeof(id), file_wl[j], i,
					    data_engines[e]);
				srun_add(id, data_engines[e], &c, !i);
			}
		}
	}
}

/*
 * The suite's file: -f PATH, else pelbench-file-SIZE in --file-dir,
 * $PEL_BENCH_FILE_DIR or /tmp; made (or extended) and read once.  Where
 * it cannot be, the file runs are n/a (file_na).  Then whether it can be
 * read cold here (cold_reason).
 */

static void suite_file_open(void)
{
	static char path[4096];
	const char *dir = file_dir;
	char sz[24];

	if (!file_path) {
		if (!dir)
			dir = getenv("PEL_BENCH_FILE_DIR");
		if (!dir || !*dir)
			dir = "/tmp";
		fmt_size(sz, sizeof(sz), file_total);
		snprintf(path, sizeof(path), "%s/pelbench-file-%s", dir, sz);
		file_path = path;
	}
	fprintf(stderr, "%s: the file runs read %s (%" PRIu64 " bytes; made if absent)\n",
		prog, file_path, file_total);
	if (file_open(file_path, file_total, true)) {
		file_na = "the suite's file could not be made or read (see stderr)";
		cold_reason = file_na;
		return;
	}
	cold_reason = cold_na();
	if (cold_reason)
		fprintf(stderr, "%s: cold-cache runs n/a: %s\n", prog, cold_reason);
}

int run_suite(const char *json_path)
{
	unsigned int ncpu = nr_online_cpus(), i, k, round, failures = 0;
	struct pel_info info;
	bool have_info = !pel_info(&info);
	struct idle_res ir;
	struct utsname u;
	char id[64];
	int ret;

	uname(&u);
	if (!have_info && pel_on_kernel())
		fprintf(stderr, "%s: PEL is not loaded: PEL runs will fail\n", prog);
	fprintf(stderr, "%s: PEL runs on the %s backend\n", prog,
		lpel_backend_name((int)pel_backend_req));
	suite_plan(ncpu);
	if (srun_planned(file_run_id(id, sizeof(id), W_FILE_CRC32C, false, E_PEL)))
		suite_file_open();
	for (round = 0; round < suite_rounds; round++) {
		for (i = 0; i < nr_sruns; i++) {
			struct srun *s = &sruns[i];
			struct result *r = &s->r[s->n];

			if (round && !s->key)
				continue;
			run_engine(s->e, &s->c, r);
			s->n++;
			if (r->err)
				fprintf(stderr, "%s: [%u] %-26s error: %s\n", prog,
					round + 1, s->id, r->errmsg);
			else if (r->skipped)
				fprintf(stderr, "%s: [%u] %-26s skipped: %s\n", prog,
					round + 1, s->id, r->errmsg);
			else
				fprintf(stderr, "%s: [%u] %-26s %11.0f ops/s %9.1f MiB/s  p50 %9.2f us  p99 %9.2f us%s%s\n",
					prog, round + 1, s->id, r->ops_s, r->mib_s,
					r->lat_p50 / 1e3, r->lat_p99 / 1e3,
					r->have_enters ? "  ENTER/s " : "",
					r->have_enters ? md(r->enters_s, 0) : "");
			if (r->failed || r->miscompares)
				fprintf(stderr, "%s: [%u] %-26s FAILURES\n", prog,
					round + 1, s->id);
		}
	}
	for (i = 0; i < nr_sruns; i++)
		srun_summarise(&sruns[i]);

	if (pel_on_kernel() && !suite_subset)
		measure_idle(&ir);
	else
		memset(&ir, 0, sizeof(ir));

	suite_targets(ncpu, &ir);

	suite_markdown(&ir, ncpu, u.release);
	ret = suite_json(json_path, &ir, ncpu, u.release, &info, have_info);
	for (i = 0; i < nr_sruns; i++) {
		for (k = 0; k < sruns[i].n; k++) {
			const struct result *r = &sruns[i].r[k];

			failures += (unsigned int)(r->failed + r->miscompares);
			if (r->err)
				failures++;
			result_free(&sruns[i].r[k]);
		}
	}
	free(sruns);
	return ret || failures ? 1 : 0;
}

