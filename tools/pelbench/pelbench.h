/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pelbench's shared header: the configuration, the per-thread state and
 * the engine interface (struct engine_ops), a run's result, the suite's
 * runs and targets, and what each file offers the others.
 *
 *	main.c		setup, and the default mode: one workload, its baselines
 *	options.c	option parsing, -h
 *	workload.c	workloads: names, buffers, checking results, the file
 *	clock.c		the TSC clock, the latency histogram
 *	run.c		the loop every engine runs; one run of one engine
 *	engine_pel.c	PEL (pel.ko or the user backend)
 *	engine_uring.c	io_uring, plain and SQPOLL (NOP)
 *	engine_spsc.c	a raw SPSC ring pair between two user threads (NOP)
 *	engine_cpu.c	one thread on the CPU: the libraries (memcpy, ISA-L,
 *			OpenSSL), the naive loops, pread(); cpu and cpu_naive
 *	engine_pool.c	a pthread pool
 *	stats.c		PEL's own counters (liblpel's stats API, pel/N CPU time)
 *	suite.c		-S: the list of runs, rounds, medians
 *	targets.c	-S: the targets and the host checks
 *	report.c	text tables, the suite's Markdown
 *	json.c		JSON (-j, -J), with tools/lib/json_writer
 */
#ifndef PELBENCH_H
#define PELBENCH_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <isa-l/crc.h>
#include <isa-l/raid.h>
#include <liburing.h>
#include <openssl/sha.h>

#include "lpel.h"

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define HAVE_TSC	1
#else
#define HAVE_TSC	0
#endif

#define EXIT_USAGE		2
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC		1000000000ULL
#define MIB			(1024.0 * 1024.0)

/* How often a polled baseline (io_uring, the pool) looks before it blocks: liblpel's old fixed spin. */
#define SPIN_ITERS		256
/* Warm-up before the measuring window: workers wake, pages fault in. */
#define WARMUP_S		0.2
/*
 * A window is extended, by up to EXTEND_MAX_S, until every thread has
 * counted MIN_OPS completions after its first: large ops need it.
 */
#define MIN_OPS			4
#define EXTEND_MAX_S		8.0
/* FILL writes this byte, so that the single-thread baseline is memset(). */
#define FILL_BYTE		0x5a
#define FILL_PATTERN		0x5a5a5a5a5a5a5a5aULL
/* What -y writes into destinations before each op, to see it overwritten. */
#define POISON_BYTE		0xa5
/* The pthread pool splits ops of at least this size into one chunk per thread. */
#define POOL_SPLIT_MIN		(128 * 1024)
#define POOL_MAX_CHUNKS		64
/* io_uring SQPOLL: how long its thread polls after the last SQE. */
#define SQPOLL_IDLE_MS		100
/* Per-block digests: the default block (--block). */
#define DEFAULT_BLOCK		(1ULL << 20)
/* Refuse configurations that need more buffer memory than this. */
#define MAX_BUFFER_BYTES	(768ULL << 20)
#define MAX_THREADS		256
#define MAX_DEPTH		4096
#define MAX_WORKERS		256

extern const char *prog;
/* -e user|kernel: the backend PEL's rings ask for (lpel_params.backend). */
extern unsigned int pel_backend_req;
bool pel_on_kernel(void);

/* ------------------------------------------------------------------------
 * Configuration (workload.c)
 */
enum workload {
	W_NOP, W_COPY, W_FILL, W_COMPARE, W_CRC32C, W_COPY_CRC32C, W_XOR,
	W_SHA256, W_FILE_CRC32C, W_FILE_COPY, W_FILE_SHA256,
	W_SHA256_BLOCKS, W_FILE_SHA256_BLOCKS, W_FILE_CRC32C_BLOCKS, W_NR
};

extern const char *const workload_names[W_NR];
extern const char *const cpu_names[W_NR];
extern const char *const naive_names[W_NR];

bool w_is_file(enum workload w);
bool w_is_blocks(enum workload w);
bool w_is_sha(enum workload w);
size_t w_digest_size(enum workload w);
bool w_has_src(enum workload w);
bool w_has_dst(enum workload w);

/*
 * The file workloads' file (-f, -s): opened read-only once, shared by every
 * thread (pread() needs no shared offset), and split into ranges of the op
 * size; the last one is short when the size does not divide TOTAL.
 */
extern const char *file_path;
extern uint64_t file_total;
extern int file_fd;
extern uint64_t file_nranges;
extern bool file_given_total;		/* -s given */
extern const char *file_na;		/* -S: why its file could not be made */
extern const char *file_dir;		/* -S: --file-dir, else $PEL_BENCH_FILE_DIR, else /tmp */

enum engine {
	E_PEL, E_URING, E_SQPOLL, E_SPSC, E_CPU, E_POOL, E_NAIVE, E_NR
};

extern const char *const engine_names[E_NR];

enum wait_mode { WAIT_POLL, WAIT_BLOCK };

struct cfg {
	enum workload w;
	unsigned int depth;		/* ops in flight per thread */
	unsigned int batch;		/* ops per submission */
	unsigned int threads;		/* submitting threads */
	unsigned int nsrcs;		/* XOR sources */
	uint64_t size;			/* bytes per op */
	double seconds;			/* measuring window */
	bool verify;
	enum wait_mode wait;
	bool fixed;			/* -F: PEL ops on registered buffers */
	uint64_t block;			/* --block: per-block digests' block size */
	bool cold;			/* file workloads: the page cache dropped before each op */
};

/* ------------------------------------------------------------------------
 * Time (clock.c): the TSC where there is one, calibrated once.
 */
extern bool use_tsc;
extern double ns_per_tick;

uint64_t mono_ns(void);
void sleep_s(double s);
void clock_init(void);
double ticks_to_ns(double t);

static inline uint64_t now_ticks(void)
{
#if HAVE_TSC
	if (use_tsc)
		return __rdtsc();
#endif
	return mono_ns();
}

static inline void cpu_relax(void)
{
#if HAVE_TSC
	_mm_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Latency histogram: log-linear, 32 sub-buckets per power of two, in ticks. */
#define HSUB_BITS	5
#define HSUB		(1U << HSUB_BITS)
#define HBUCKETS	((64 - HSUB_BITS + 1) * HSUB)

struct hist {
	uint64_t b[HBUCKETS];
};

static inline unsigned int hist_index(uint64_t v)
{
	unsigned int msb, shift;

	if (v < HSUB)
		return (unsigned int)v;
	msb = 63 - (unsigned int)__builtin_clzll(v);
	shift = msb - HSUB_BITS;
	return (shift + 1) * HSUB + (unsigned int)((v >> shift) & (HSUB - 1));
}

double hist_quantile(const struct hist *h, uint64_t n, double p);

/* ------------------------------------------------------------------------
 * Buffers (workload.c).  Each submitting thread has its own: one source (and
 * a second for COMPARE, more for XOR), a destination per slot of its depth,
 * and the expected results when verifying.
 */
struct wbuf {
	uint64_t size;
	unsigned int slots;
	uint8_t *src, *src2, *dst, *digest, *ref;
	uint8_t *xsrc[PEL_XOR_MAX_SRCS];
	const void **xptr;		/* XOR's address list, kept alive (its own page, for -F) */
	size_t dst_bytes;
	uint64_t *foff, *flen;		/* file workloads: each slot's range */
	size_t dstride;			/* bytes of a slot's digest (array) */
	uint32_t crc_ref;
	uint8_t sha_ref[PEL_SHA256_DIGEST_SIZE];
};

/* What one range of an op did, on the CPU: the CRC, a COMPARE difference. */
struct rres {
	uint32_t crc;
	uint64_t diff;			/* first differing offset, or UINT64_MAX */
	int64_t err;			/* file workloads: a pread() error, or a short read */
};

enum check { CHECK_OK, CHECK_FAILED, CHECK_MISCOMPARE };

void *buf_alloc(size_t n);
void buf_free(void *p, size_t n);
void fill_random(uint8_t *p, size_t n, uint64_t seed);
int64_t pread_full(int fd, uint8_t *buf, uint64_t n, uint64_t off);
int wbuf_init(struct wbuf *b, const struct cfg *c, unsigned int seed);
void wbuf_free(struct wbuf *b);
uint8_t *slot_dst(const struct wbuf *b, unsigned int slot);
uint8_t *slot_digest(const struct wbuf *b, unsigned int slot);
void poison(const struct cfg *c, const struct wbuf *b, unsigned int slot);
uint64_t op_len(const struct cfg *c, const struct wbuf *b, unsigned int slot);
uint8_t *file_range(const struct wbuf *b, unsigned int slot, uint64_t off,
		    uint64_t n, struct rres *r);
enum check check_op(const struct cfg *c, const struct wbuf *b,
		    unsigned int slot, int64_t res, uint64_t result);
const char *cold_na(void);
int drop_caches(void);
int file_open(const char *path, uint64_t total, bool quiet);

/* ------------------------------------------------------------------------
 * The CPU's code for each op (engine_cpu.c)
 */
extern bool have_sse42;
extern bool cpu_copy_movsb;		/* --cpu-copy=movsb */

void crc32c_init(void);
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);
void xor_naive(uint8_t *dst, uint8_t *const *srcs, unsigned int nr,
	       uint64_t off, uint64_t n);
uint64_t nr_blocks(uint64_t len, uint64_t block);
void digest_blocks(enum workload w, const uint8_t *p, uint64_t n,
		   uint64_t block, uint8_t *out);
void cpu_range(const struct cfg *c, const struct wbuf *b, unsigned int slot,
	       uint64_t off, uint64_t n, bool naive, struct rres *r);
void cpu_result(const struct cfg *c, const struct rres *r, uint64_t len,
		int64_t *res, uint64_t *result);

/* ------------------------------------------------------------------------
 * Per-thread state and the one loop every engine runs (run.c).
 */
enum phase { PH_WARMUP, PH_RUN, PH_STOP };

extern atomic_int phase;

struct tstats {
	uint64_t ops, bytes, failed, miscompares;
	uint64_t lat_sum, lat_max;	/* ticks */
	uint64_t t_first, n_first;	/* first counted reaping pass */
	uint64_t t_last;		/* last counted completion */
	uint64_t paused;		/* cold runs: page-cache drops between them */
	struct hist h;
};

struct spsc;
struct pool;

/* The pthread pool's state for one op of a submitter. */
struct pool_task {
	struct pool_task *next;
	struct tctx *t;
	unsigned int slot, chunk;
	uint64_t off, len;
};

struct pool_op {
	atomic_uint left;		/* chunks not yet done */
	unsigned int nchunks;
	struct rres r[POOL_MAX_CHUNKS];
	struct pool_task task[POOL_MAX_CHUNKS];
};

struct tctx {
	const struct cfg *cfg;
	enum engine e;
	unsigned int idx;
	int cpu;			/* pinned to this CPU, or -1 */
	struct wbuf wb;
	uint64_t *stamp;		/* submit time of each slot's op */
	unsigned int *free_slots, nr_free;
	unsigned int *batch;		/* slots of the batch being submitted */
	unsigned int inflight;
	struct tstats st;
	uint64_t frange;		/* file workloads: the next range */
	uint64_t pause_pending;		/* cold runs: the drop before the op in flight */
	atomic_uint_fast64_t counted;	/* st.ops - st.n_first, for run_engine() */
	int err;			/* first error, -errno */
	const char *err_what;
	pthread_t tid;

	/* engines */
	struct lpel_ring pel;
	bool pel_up;
	struct io_uring uring;
	bool uring_up;
	struct spsc *spsc;
	struct pool *pool;
	struct pool_op *pops;		/* per slot */
	struct pool_task *pend_head, **pend_tail;
	unsigned int pend_n;
	pthread_mutex_t cmu;		/* pool completions, below */
	pthread_cond_t ccv;
	unsigned int *cdone, nr_cdone, *creap;
	atomic_uint cready;
	bool cwaiting;
};

struct engine_ops {
	/* Prepare @slot's op (not yet visible to the engine); -EBUSY: full. */
	int (*prep)(struct tctx *t, unsigned int slot);
	/* Publish the @n ops prepared since the last submit. */
	int (*submit)(struct tctx *t, unsigned int n);
	/* Complete every finished op without blocking; returns how many. */
	unsigned int (*reap)(struct tctx *t);
	/* Until at least one op has finished (-W: spin a little first). */
	int (*wait)(struct tctx *t);
};

extern const struct engine_ops pel_engine, uring_engine, spsc_engine,
	cpu_engine, pool_engine;
extern const struct engine_ops *const engine_ops[E_NR];

int t_fail(struct tctx *t, int err, const char *what);
void complete(struct tctx *t, uint64_t slot, int64_t res, uint64_t result,
	      uint64_t now);
void *bench_thread(void *arg);
int start_thread(pthread_t *tid, int cpu, void *(*fn)(void *), void *arg);
unsigned int nr_online_cpus(void);
bool engine_supports(enum engine e, enum workload w);

/* Each engine's setup and teardown of a submitting thread's state. */
extern bool sq_next;			/* --sq=next */
int pel_setup(struct tctx *t, const struct cfg *c, unsigned int entries);
int uring_setup(struct tctx *t, enum engine e, unsigned int entries);
int spsc_setup(struct tctx *t, unsigned int idx, unsigned int entries);
int spsc_start(struct tctx *t);
void spsc_stop(struct tctx *t);
void spsc_free(struct tctx *t);
int pool_setup(struct tctx *t, const struct cfg *c, struct pool *pool);
void pool_free(struct tctx *t);
struct pool *pool_start(unsigned int nthreads);
void pool_stop(struct pool *p);

struct result {
	enum engine e;
	int backend;			/* PEL: lpel_backend() of its rings; else -1 */
	struct cfg cfg;
	char label[48];
	int err;
	char errmsg[256];
	bool skipped;
	unsigned int nthreads;
	struct tstats *th;		/* per thread */
	double window_s;
	/* totals */
	uint64_t ops, failed, miscompares;
	double ops_s, mib_s;
	double lat_avg, lat_p50, lat_p99, lat_max;	/* ns */
	double *th_ops_s, *th_mib_s;
	/* CPU time over the window: this process, and PEL's workers. */
	double cpu_user_s, cpu_sys_s, kthread_cpu_s;
	/* PEL's worker counters over the run (warm-up and drain included) */
	bool have_workers;
	unsigned int nr_workers;
	uint64_t w_ops[MAX_WORKERS];
	uint64_t w_busy_ns[MAX_WORKERS];
	uint64_t wakeups, sleeps, stolen, chunks;
	/* PEL: PEL_IOC_ENTER calls of our contexts over the window, per second */
	bool have_enters;
	uint64_t enters, helped;
	double enters_s;
};

int tctx_setup(struct tctx *t, enum engine e, const struct cfg *c,
	       unsigned int idx, struct pool *pool);
void tctx_teardown(struct tctx *t);
int run_engine(enum engine e, const struct cfg *cfg, struct result *r);
void result_free(struct result *r);

/* ------------------------------------------------------------------------
 * PEL's own counters (stats.c): the workers' (lpel_worker_stats()), the
 * contexts' (lpel_ctx_stats()) and the pel/N threads' CPU time.
 */
struct pel_snap {
	bool ok;
	unsigned int nr;
	struct pel_worker_stats w[MAX_WORKERS];
	uint64_t kthread_ns;		/* CPU time of every pel/N thread */
	unsigned int nr_kthreads;
};

int pel_info(struct pel_info *info);
void pel_kthreads_cpu(uint64_t *ns, unsigned int *nr);
bool pel_has_feature(uint64_t feat);
bool pel_own_enters(uint64_t *enters, uint64_t *helped);
void pel_snapshot(struct pel_snap *s);

/* ------------------------------------------------------------------------
 * The suite (suite.c, targets.c)
 */
#define MAX_ROUNDS	9

struct srun {
	char id[64];
	enum engine e;
	struct cfg c;
	bool key;			/* repeated every round */
	unsigned int n;			/* rounds run */
	struct result r[MAX_ROUNDS];
	struct result med;		/* the median round, with median figures */
	bool have_med;
};

extern struct srun *sruns;
extern unsigned int nr_sruns;
extern double suite_seconds;
extern unsigned int suite_rounds;
extern const char *suite_subset;	/* --subset, or NULL: the whole suite */

/* The suite's file runs: ranges of this size (64 MiB; less for a smaller -s). */
#define FILE_OP_SIZE		(64ULL << 20)

#define NR_SWEEP_SIZES		6
extern const uint64_t sweep_sizes[NR_SWEEP_SIZES];
unsigned int sweep_depth(uint64_t size);

/* Idle: CPU time of the pel/N threads over a window starting after a pause. */
struct idle_res {
	bool ok;
	double after_s, window_s, pct_one_cpu;
	uint64_t wakeups;
	unsigned int nr_kthreads;
};

bool srun_planned(const char *id);
const struct result *srun_find(const char *id);
double srun_val(const char *id, char what);
const char *file_run_id(char *buf, size_t n, enum workload w, bool cold,
			enum engine e);
double file_val(enum workload w, bool cold, enum engine e);
const char *srun_na(const char *id);
int run_suite(const char *json_path);

enum cmp { CMP_GE, CMP_LE, CMP_EQ };

/*
 * What a target measures, as its table's heading says and JSON's "group":
 * the fast path (pel.ko: NOP hand-off, 64 MiB ops, latency, idle), the
 * user backend (against the pthread pool and the SPSC ring), and file
 * ranges and per-block digests (data locality).
 */
enum target_group { TG_FAST_PATH, TG_USER_BACKEND, TG_FILE, TG_NR };
extern const char *const target_group_names[TG_NR];

struct target {
	const char *id;
	enum target_group group;	/* whose: TG_FAST_PATH, TG_USER_BACKEND, TG_FILE */
	const char *what;
	double value;
	double goal;
	enum cmp cmp;		/* value >= goal, <= goal, == goal */
	const char *invalid;	/* why the comparison says nothing here, or NULL */
	const char *na;		/* why there is no figure at all, or NULL */
};

extern const char *const cmp_names[];
extern struct target targets[32];
extern unsigned int nr_targets;

/*
 * What the host gave this VM.  A hand-off between two spinning threads
 * (the SPSC ring, SQPOLL's poller) needs both vCPUs running at once; on an
 * overcommitted host one is often descheduled, and a round trip takes a
 * host time slice (ms) instead of microseconds.  A spinning baseline's own
 * latency shows whether it was starved, run by run: a comparison counts
 * only when that run's p50 is under STARVED_US (depth 128: about 15 us
 * when healthy, milliseconds when starved) or, at depth 1, under
 * COSCHED_MAX_US (about 1 us when healthy).  Parallel speed-up needs host
 * cores: the pthread pool's CRC32C scaling shows what there was.
 */
#define COSCHED_MAX_US		50.0
#define STARVED_US		200.0
#define PARALLEL_MIN		0.75	/* of N, for the pool over one thread */
#define COPY_PARALLEL_MIN	0.9	/* of N: the pool's COPY, for PEL / N x 1 thread */

/* What the host gave: set by suite_targets(), printed with the targets. */
extern const char *spsc_invalid, *sqpoll_invalid, *parallel_invalid;
extern const char *spsc_b32_invalid, *sqpoll_b32_invalid;
extern const char *copy_parallel_invalid, *fixed_na;
extern const char *file_parallel_invalid, *cold_reason;
extern double spsc_p50_us, sqpoll_p50_us, pool_scaling, pool_copy_scaling;
extern double pool_file_scaling;

const char *target_verdict(const struct target *t);
void suite_targets(unsigned int ncpu, const struct idle_res *ir);

/* ------------------------------------------------------------------------
 * Output (report.c, json.c)
 */
void fmt_size(char *buf, size_t n, uint64_t v);
bool result_ok(const struct result *r);
double ratio(double a, double b);
double file_copied_per_byte(enum engine e, enum workload w);
const char *md(double v, int prec);
void text_config(const struct cfg *c);
void text_single(const struct cfg *c, enum engine primary,
		 const struct result *res, unsigned int n);
void suite_markdown(const struct idle_res *ir, unsigned int ncpu,
		    const char *kernel);
void json_single(const struct cfg *c, enum engine primary,
		 const struct result *res, unsigned int n);
int suite_json(const char *path, const struct idle_res *ir, unsigned int ncpu,
	       const char *kernel, const struct pel_info *info, bool have_info);

/* ------------------------------------------------------------------------
 * Options (options.c) and the default mode (main.c)
 */
struct opts {
	struct cfg c;
	enum engine primary;
	unsigned int baselines;		/* 1 << engine */
	bool json, suite;
	const char *json_path;
};

int parse_options(int argc, char **argv, struct opts *o);
int run_single(const struct cfg *c, enum engine primary,
	       unsigned int baselines, bool json);

#endif /* PELBENCH_H */
