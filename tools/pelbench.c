// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench - measure PEL, and what it competes with, in one process.
 *
 *	pelbench [-w WORKLOAD] [-q DEPTH] [-b BATCH] [-o SIZE] [-T THREADS]
 *		 [-t SECONDS] [-y] [-P poll|block] [-x NSRCS] [-F] [-e ENGINE]
 *		 [-B BASELINES] [-j]
 *	pelbench -w file_crc32c|file_copy|file_sha256 -f PATH [-s TOTAL] [...]
 *	pelbench -w file_sha256_blocks|file_crc32c_blocks -f PATH [--block=SIZE]
 *	pelbench -w sha256_blocks [--block=SIZE] [...]
 *	pelbench -S [-t SECONDS] [-R ROUNDS] [-J FILE] [-e user|kernel]
 *		    [--subset=issue14]
 *
 * Modelled on SPDK's accel_perf: a workload (-w) of ops of one transfer
 * size (-o), DEPTH ops in flight per submitting thread (-q), submitted BATCH
 * at a time (-b), for SECONDS (-t), optionally checking every result (-y);
 * then a table per thread and a total row: ops/s, MiB/s, latency (average,
 * p50, p99, max, per op, submit to completion, measured here in userspace),
 * failures and miscompares.
 *
 * Absolute figures on a shared host, let alone under emulation, mean
 * little; ratios measured side by side in one process do.  So every run
 * also runs baselines (-B) with the same workload, depth and batch, and
 * prints PEL's figures as ratios of theirs:
 *   io_uring         NOP through liburing, io_uring_submit() and a wait;
 *   io_uring_sqpoll  the same with IORING_SETUP_SQPOLL;
 *   spsc_ring        a raw single-producer/single-consumer SQ/CQ ring pair
 *                    between two user threads pinned to different CPUs:
 *                    the limit of any shared-memory hand-off;
 *   cpu              one thread doing the op itself with what a user
 *                    would pick instead of PEL: glibc's memcpy, memset,
 *                    memcmp; ISA-L's crc32_iscsi (CRC-32C) and xor_gen;
 *                    OpenSSL's SHA-256;
 *   pthread_pool     a pool of one thread per CPU running the same code,
 *                    each large op split across them: what users write
 *                    instead of PEL;
 *   cpu_naive        one thread, hand-written code for CRC32C (an SSE4.2
 *                    crc32 instruction loop) and XOR (a 64-bit word loop):
 *                    a reference row, not a baseline to beat.
 * The file workloads (file_crc32c, file_copy, file_sha256) read a file
 * (-f PATH, made TOTAL bytes long with pseudo-random bytes if it is absent
 * or shorter; -s, default 256 MiB) in op-size ranges (-o) that cover it,
 * cycling: PEL registers it (lpel_register_files()) and runs
 * lpel_prep_file_*() on the page cache; the baselines pread() each range
 * into a buffer and run ISA-L's crc32_iscsi, OpenSSL's SHA-256 or nothing
 * (file_copy: the pread is the op), on one thread (cpu) and on the pool.
 * They also print how many bytes each engine copies into user memory per
 * byte it checks (pread: 1; PEL's CRC and SHA-256: 0 on pel.ko, 1 on the
 * user backend, which preads into a bounce buffer).
 * Per-block digests (sha256_blocks, file_sha256_blocks, file_crc32c_blocks):
 * each op digests its range every --block bytes (default 1 MiB) into an
 * array (PEL_OPF_BLOCKS: lpel_prep_*_blocks()); the one-thread baseline
 * preads the range and digests each block with OpenSSL or ISA-L, the pool
 * splits an op's blocks among its threads.  Without PEL_FEAT_BLOCK_DIGESTS
 * PEL's side is n/a and the baselines run anyway.  --cold drops the page
 * cache before each op (untimed) to read the file through the block layer.
 * PEL's rings run on pel.ko (-e kernel, the default; -e pel is the same)
 * or on liblpel's user backend (-e user, LPEL_BACKEND_USER); every run says
 * which.  The kernel's own figures (PEL_IOC_ENTER/s, the workers' counters,
 * the pel/N threads' CPU time) are n/a on the user backend.
 * -S runs a fixed suite of all of these, prints Markdown tables and the
 * targets of issues 13 and 14 (met, missed, not valid on this host, n/a),
 * and writes the whole as JSON (-J); -S --subset=issue14 runs only what
 * issue 14's targets (the user backend's) need.
 *
 * Timing: latency stamps are the TSC (rdtsc, calibrated against
 * CLOCK_MONOTONIC at start), because in a TCG guest the clocksource is the
 * HPET and clock_gettime() is a ~2 us system call.  One stamp per submitted
 * batch and one per reaping pass, shared by the ops in it.  Throughput
 * counts ops completed inside the measuring window, after a warm-up, as
 * (ops after the first counted completion) / (time from it to the last),
 * per thread, summed over threads: exact even for a few 64 MiB ops.
 *
 * Exit status: 0 success, 1 an error, a failed op or a miscompare, 2 usage.
 */
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
#include <sys/ioctl.h>
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

static const char *prog = "pelbench";

/* -e user|kernel: the backend PEL's rings ask for (lpel_params.backend). */
static unsigned int pel_backend_req = LPEL_BACKEND_KERNEL;

static bool pel_on_kernel(void)
{
	return pel_backend_req == LPEL_BACKEND_KERNEL;
}

/* ------------------------------------------------------------------------
 * Configuration
 */
enum workload {
	W_NOP, W_COPY, W_FILL, W_COMPARE, W_CRC32C, W_COPY_CRC32C, W_XOR,
	W_SHA256, W_FILE_CRC32C, W_FILE_COPY, W_FILE_SHA256,
	W_SHA256_BLOCKS, W_FILE_SHA256_BLOCKS, W_FILE_CRC32C_BLOCKS, W_NR
};

static const char *const workload_names[W_NR] = {
	"nop", "copy", "fill", "compare", "crc32c", "copy_crc32c", "xor",
	"sha256", "file_crc32c", "file_copy", "file_sha256",
	"sha256_blocks", "file_sha256_blocks", "file_crc32c_blocks",
};

/* What the single-thread baseline does for each workload. */
static const char *const cpu_names[W_NR] = {
	"nothing", "memcpy", "memset", "memcmp", "ISA-L crc32c",
	"memcpy + ISA-L crc32c", "ISA-L xor_gen", "OpenSSL sha256",
	"pread + ISA-L crc32c", "pread", "pread + OpenSSL sha256",
	"OpenSSL sha256/blk", "pread + OpenSSL sha256/blk",
	"pread + ISA-L crc32c/blk",
};

static bool w_is_file(enum workload w)
{
	return w == W_FILE_CRC32C || w == W_FILE_COPY || w == W_FILE_SHA256 ||
	       w == W_FILE_SHA256_BLOCKS || w == W_FILE_CRC32C_BLOCKS;
}

/*
 * Per-block digests (PEL_OPF_BLOCKS): an op's range is digested every
 * --block bytes (cfg.block; the last block may be shorter) into an array
 * per slot, 32 bytes a SHA-256, 4 a CRC-32C.
 */
static bool w_is_blocks(enum workload w)
{
	return w == W_SHA256_BLOCKS || w == W_FILE_SHA256_BLOCKS ||
	       w == W_FILE_CRC32C_BLOCKS;
}

static bool w_is_sha(enum workload w)
{
	return w == W_SHA256 || w == W_FILE_SHA256 || w == W_SHA256_BLOCKS ||
	       w == W_FILE_SHA256_BLOCKS;
}

/* Bytes of one digest of @w's array (or its one digest). */
static size_t w_digest_size(enum workload w)
{
	return w == W_FILE_CRC32C_BLOCKS ? sizeof(uint32_t) : PEL_SHA256_DIGEST_SIZE;
}

/*
 * The file workloads' file (-f, -s): opened read-only once, shared by every
 * thread (pread() needs no shared offset), and split into ranges of the op
 * size; the last one is short when the size does not divide TOTAL.
 */
static const char *file_path;
static uint64_t file_total = 256ULL << 20;
static int file_fd = -1;
static uint64_t file_nranges;
static bool file_given_total;		/* -s given */
static const char *file_na;		/* -S: why its file could not be made */
static const char *file_dir;		/* -S: --file-dir, else $PEL_BENCH_FILE_DIR, else /tmp */

/* ... and the naive reference row (only where it differs). */
static const char *const naive_names[W_NR] = {
	[W_CRC32C] = "naive SSE4.2 crc32c loop",
	[W_COPY_CRC32C] = "memcpy + naive SSE4.2 loop",
	[W_XOR] = "naive xor loop",
};

enum engine {
	E_PEL, E_URING, E_SQPOLL, E_SPSC, E_CPU, E_POOL, E_NAIVE, E_NR
};

static const char *const engine_names[E_NR] = {
	"pel", "io_uring", "io_uring_sqpoll", "spsc_ring", "cpu",
	"pthread_pool", "cpu_naive",
};

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
 * Time: the TSC where there is one, calibrated once.
 */
static bool use_tsc;
static double ns_per_tick = 1.0;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ticks(void)
{
#if HAVE_TSC
	if (use_tsc)
		return __rdtsc();
#endif
	return mono_ns();
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static double tsc_rate(double s)
{
#if HAVE_TSC
	uint64_t t0 = mono_ns(), r0 = __rdtsc(), t1, r1;

	sleep_s(s);
	t1 = mono_ns();
	r1 = __rdtsc();
	return (double)(r1 - r0) / (double)(t1 - t0);
#else
	(void)s;
	return 0;
#endif
}

/*
 * Two calibrations that agree within 2% make the TSC our clock; otherwise
 * (no TSC, or one that drifts) clock_gettime().
 */
static void clock_init(void)
{
	double a = tsc_rate(0.03), b = tsc_rate(0.03);

	if (a > 0.01 && b > 0.01 && fabs(a - b) / a < 0.02) {
		use_tsc = true;
		ns_per_tick = 2.0 / (a + b);
	}
}

static double ticks_to_ns(double t)
{
	return t * ns_per_tick;
}

static inline void cpu_relax(void)
{
#if HAVE_TSC
	_mm_pause();
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* ------------------------------------------------------------------------
 * Latency histogram: log-linear, 32 sub-buckets per power of two (about
 * 3% resolution), in ticks.
 */
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

/* The middle of bucket @i. */
static double hist_value(unsigned int i)
{
	unsigned int shift;
	uint64_t low;

	if (i < HSUB)
		return i;
	shift = i / HSUB - 1;
	low = (uint64_t)(HSUB + i % HSUB) << shift;
	return (double)low + (double)((1ULL << shift) - 1) / 2.0;
}

/* The @p quantile (0..1) of the @n values in @h, in ticks. */
static double hist_quantile(const struct hist *h, uint64_t n, double p)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (!n)
		return 0;
	want = (uint64_t)ceil(p * (double)n);
	if (want < 1)
		want = 1;
	for (i = 0; i < HBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= want)
			return hist_value(i);
	}
	return hist_value(HBUCKETS - 1);
}

/* ------------------------------------------------------------------------
 * CRC-32C (Castagnoli, reflected 0x82f63b78, pre- and post-inverted as
 * PEL's): ISA-L's crc32_iscsi(), which does neither inversion and takes an
 * int length; the naive reference, a loop over the SSE4.2 instruction; and
 * zlib's combination of two CRCs for the pthread pool's chunks (ISA-L has
 * none).
 */
#define CRC32C_POLY	0x82f63b78U

static uint32_t crc32c_x2n[32];
static bool have_sse42;

static uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (len) {
		int n = len > (size_t)INT32_MAX ? 1 << 30 : (int)len;

		crc = crc32_iscsi((unsigned char *)p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return ~crc;
}

#if HAVE_TSC && defined(__x86_64__)
/* Only this function is built for SSE4.2; have_sse42 guards its use. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_naive(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#else
static uint32_t crc32c_naive(uint32_t crc, const void *buf, size_t len)
{
	return crc32c(crc, buf, len);	/* never used: no SSE4.2 */
}
#endif

/* a * b modulo the CRC polynomial, bit-reflected (zlib's multmodp()). */
static uint32_t crc32c_multmodp(uint32_t a, uint32_t b)
{
	uint32_t m = 1U << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return p;
}

/* x^(n * 2^k) modulo the polynomial. */
static uint32_t crc32c_x2nmodp(uint64_t n, unsigned int k)
{
	uint32_t p = 1U << 31;

	while (n) {
		if (n & 1)
			p = crc32c_multmodp(crc32c_x2n[k & 31], p);
		n >>= 1;
		k++;
	}
	return p;
}

static void crc32c_init(void)
{
	uint32_t p = 1U << 30;
	unsigned int n;

	crc32c_x2n[0] = p;
	for (n = 1; n < 32; n++)
		crc32c_x2n[n] = p = crc32c_multmodp(p, p);
#if HAVE_TSC && defined(__x86_64__)
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

/* The CRC of A followed by B, from crc(A), crc(B) and B's length. */
static uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	return crc32c_multmodp(crc32c_x2nmodp(len2, 3), crc1) ^ crc2;
}

/* ------------------------------------------------------------------------
 * Buffers.  Each submitting thread has its own: one source (and a second
 * for COMPARE, more for XOR), a destination per slot of its depth, and the
 * expected results when verifying.
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

static void *buf_alloc(size_t n)
{
	void *p;

	if (!n)
		n = 1;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void buf_free(void *p, size_t n)
{
	if (p)
		munmap(p, n ? n : 1);
}

/* Pseudo-random bytes: 64 KiB of xorshift, repeated (cheap under TCG). */
static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	size_t first = n < 65536 ? n : 65536, i;
	uint64_t x = seed | 1;

	for (i = 0; i < first; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
	for (i = first; i < n; i += first)
		memcpy(p + i, p, n - i < first ? n - i : first);
}

/*
 * How the cpu and pool engines copy: libc's memcpy() (vector loads and
 * stores), or "rep movsb", which is what the kernel's copy_{from,to}_user()
 * and memcpy() run on a CPU with ERMS/FSRM: --cpu-copy=movsb shows what
 * that instruction costs here (under TCG, far more than vector moves).
 */
static bool cpu_copy_movsb;

static void cpu_copy(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	if (cpu_copy_movsb) {
		__asm__ __volatile__("rep movsb"
				     : "+D"(dst), "+S"(src), "+c"(n)
				     : : "memory");
		return;
	}
#endif
	memcpy(dst, src, n);
}

static bool w_has_src(enum workload w)
{
	return w != W_NOP && w != W_FILL && !w_is_file(w);
}

/* File workloads: the buffer each slot's range is pread() (or copied) into. */
static bool w_has_dst(enum workload w)
{
	return w == W_COPY || w == W_FILL || w == W_COPY_CRC32C || w == W_XOR ||
	       w_is_file(w);
}

/* pread() all of [off, off + n) unless EOF or an error: bytes read, or -errno. */
static int64_t pread_full(int fd, uint8_t *buf, uint64_t n, uint64_t off)
{
	uint64_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, buf + done, n - done, (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			break;
		done += (uint64_t)r;
	}
	return (int64_t)done;
}

/* The naive XOR: 64-bit words, then bytes (also -y's reference). */
static void xor_naive(uint8_t *dst, uint8_t *const *srcs, unsigned int nr,
		      uint64_t off, uint64_t n)
{
	uint64_t i;
	unsigned int s;

	memcpy(dst + off, srcs[0] + off, n);
	for (s = 1; s < nr; s++) {
		uint8_t *d = dst + off;
		const uint8_t *x = srcs[s] + off;

		for (i = 0; i + 8 <= n; i += 8) {
			uint64_t a, b;

			memcpy(&a, d + i, 8);
			memcpy(&b, x + i, 8);
			a ^= b;
			memcpy(d + i, &a, 8);
		}
		for (; i < n; i++)
			d[i] ^= x[i];
	}
}

/*
 * ISA-L's xor_gen(): its sources, then the destination; at least two
 * sources, every pointer 32-byte aligned.  One source is a copy; a range
 * that is not aligned (a size that is no multiple of 32 puts the slots'
 * destinations off) falls back to the naive loop.
 */
static void xor_isal(uint8_t *dst, uint8_t *const *srcs, unsigned int nr,
		     uint64_t off, uint64_t n)
{
	void *v[PEL_XOR_MAX_SRCS + 1];
	uintptr_t bits = (uintptr_t)(dst + off);
	unsigned int s;

	if (nr == 1) {
		memcpy(dst + off, srcs[0] + off, n);
		return;
	}
	for (s = 0; s < nr; s++) {
		v[s] = srcs[s] + off;
		bits |= (uintptr_t)v[s];
	}
	v[nr] = dst + off;
	if ((bits & 31) || n > INT32_MAX ||
	    xor_gen((int)nr + 1, (int)n, v))
		xor_naive(dst, srcs, nr, off, n);
}

/* Blocks of @block bytes in @len (the last one may be short). */
static uint64_t nr_blocks(uint64_t len, uint64_t block)
{
	return block ? (len + block - 1) / block : 0;
}

/*
 * The per-block digests of @n bytes at @p into @out: OpenSSL's SHA-256 or
 * ISA-L's CRC-32C (seed 0, as PEL's) of each @block bytes.
 */
static void digest_blocks(enum workload w, const uint8_t *p, uint64_t n,
			  uint64_t block, uint8_t *out)
{
	uint64_t i;

	for (i = 0; i < n; i += block) {
		uint64_t len = n - i < block ? n - i : block;

		if (w == W_FILE_CRC32C_BLOCKS) {
			uint32_t v = crc32c(0, p + i, len);

			memcpy(out, &v, sizeof(v));
			out += sizeof(v);
		} else {
			SHA256(p + i, len, out);
			out += PEL_SHA256_DIGEST_SIZE;
		}
	}
}

static void wbuf_free(struct wbuf *b)
{
	unsigned int i;

	buf_free(b->src, b->size);
	buf_free(b->src2, b->size);
	for (i = 1; i < PEL_XOR_MAX_SRCS; i++)
		buf_free(b->xsrc[i], b->size);
	buf_free(b->dst, b->dst_bytes);
	buf_free(b->digest, (size_t)b->slots * b->dstride);
	buf_free(b->ref, b->size);
	buf_free(b->xptr, PEL_XOR_MAX_SRCS * sizeof(*b->xptr));
	free(b->foff);
	free(b->flen);
	memset(b, 0, sizeof(*b));
}

static int wbuf_init(struct wbuf *b, const struct cfg *c, unsigned int seed)
{
	enum workload w = c->w;
	size_t sz = c->size;
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->size = c->size;
	b->slots = c->depth;
	if (w_has_src(w)) {
		b->src = buf_alloc(sz);
		if (!b->src)
			goto nomem;
		fill_random(b->src, sz, 0x9e3779b97f4a7c15ULL * (seed + 1));
	}
	if (w == W_COMPARE) {
		b->src2 = buf_alloc(sz);
		if (!b->src2)
			goto nomem;
		memcpy(b->src2, b->src, sz);
	}
	if (w == W_XOR) {
		b->xsrc[0] = b->src;
		for (i = 1; i < c->nsrcs; i++) {
			b->xsrc[i] = buf_alloc(sz);
			if (!b->xsrc[i])
				goto nomem;
			fill_random(b->xsrc[i], sz, 0x2545f4914f6cdd1dULL * (seed + i + 1));
		}
		b->xptr = buf_alloc(PEL_XOR_MAX_SRCS * sizeof(*b->xptr));
		if (!b->xptr)
			goto nomem;
		for (i = 0; i < c->nsrcs; i++)
			b->xptr[i] = b->xsrc[i];
	}
	if (w_has_dst(w)) {
		b->dst_bytes = sz * c->depth;
		b->dst = buf_alloc(b->dst_bytes);
		if (!b->dst)
			goto nomem;
		memset(b->dst, POISON_BYTE, b->dst_bytes);
	}
	if (w_is_sha(w) || w_is_blocks(w)) {
		b->dstride = w_is_blocks(w) ?
			     nr_blocks(sz, c->block) * w_digest_size(w) :
			     PEL_SHA256_DIGEST_SIZE;
		b->digest = buf_alloc((size_t)c->depth * b->dstride);
		if (!b->digest)
			goto nomem;
	}
	if (w_is_file(w)) {
		b->foff = calloc(c->depth, sizeof(*b->foff));
		b->flen = calloc(c->depth, sizeof(*b->flen));
		if (!b->foff || !b->flen)
			goto nomem;
	}
	if (!c->verify)
		return 0;
	/* File workloads: -y reads each range again into ref, and checks. */
	if (w_is_file(w)) {
		b->ref = buf_alloc(sz);
		if (!b->ref)
			goto nomem;
		return 0;
	}
	/* The expected results, computed once. */
	if (w == W_SHA256_BLOCKS) {
		/* ref holds the digests (fewer bytes than the source). */
		b->ref = buf_alloc(sz);
		if (!b->ref)
			goto nomem;
		digest_blocks(w, b->src, sz, c->block, b->ref);
	}
	if (w == W_CRC32C || w == W_COPY_CRC32C)
		b->crc_ref = crc32c(0, b->src, sz);
	if (w == W_SHA256)
		SHA256(b->src, sz, b->sha_ref);
	if (w == W_XOR) {
		b->ref = buf_alloc(sz);
		if (!b->ref)
			goto nomem;
		xor_naive(b->ref, b->xsrc, c->nsrcs, 0, sz);
	}
	return 0;
nomem:
	wbuf_free(b);
	return -ENOMEM;
}

static uint8_t *slot_dst(const struct wbuf *b, unsigned int slot)
{
	return b->dst + (size_t)slot * b->size;
}

static uint8_t *slot_digest(const struct wbuf *b, unsigned int slot)
{
	return b->digest + (size_t)slot * b->dstride;
}

/* -y: make each op's output visibly stale before it runs. */
static void poison(const struct cfg *c, const struct wbuf *b, unsigned int slot)
{
	if (w_has_dst(c->w))
		memset(slot_dst(b, slot), POISON_BYTE, b->size);
	if (b->digest)
		memset(slot_digest(b, slot), 0, b->dstride);
}

/* What one range of an op did, on the CPU: the CRC, a COMPARE difference. */
struct rres {
	uint32_t crc;
	uint64_t diff;			/* first differing offset, or UINT64_MAX */
	int64_t err;			/* file workloads: a pread() error, or a short read */
};

/* The bytes of @slot's op: the op size, or the slot's file range. */
static uint64_t op_len(const struct cfg *c, const struct wbuf *b,
		       unsigned int slot)
{
	return w_is_file(c->w) ? b->flen[slot] : c->size;
}

/* File workloads: pread() bytes [off, off + n) of @slot's range; 0 or set r->err. */
static uint8_t *file_range(const struct wbuf *b, unsigned int slot,
			   uint64_t off, uint64_t n, struct rres *r)
{
	uint8_t *p = slot_dst(b, slot) + off;
	int64_t got = pread_full(file_fd, p, n, b->foff[slot] + off);

	if (got < 0)
		r->err = got;
	else if ((uint64_t)got != n)
		r->err = -ENODATA;	/* the file shrank under us */
	return p;
}

/*
 * Run bytes [off, off + n) of @slot's op on this CPU: with the libraries'
 * code, or (@naive) the hand-written loops of the cpu_naive row.
 */
static void cpu_range(const struct cfg *c, const struct wbuf *b,
		      unsigned int slot, uint64_t off, uint64_t n,
		      bool naive, struct rres *r)
{
	uint8_t *dst = b->dst ? slot_dst(b, slot) : NULL;
	uint64_t i;

	r->crc = 0;
	r->diff = UINT64_MAX;
	r->err = 0;
	switch (c->w) {
	case W_NOP:
		break;
	case W_COPY:
		cpu_copy(dst + off, b->src + off, n);
		break;
	case W_FILL:
		memset(dst + off, FILL_BYTE, n);
		break;
	case W_COMPARE:
		if (memcmp(b->src2 + off, b->src + off, n)) {
			for (i = 0; i < n; i++)
				if (b->src2[off + i] != b->src[off + i])
					break;
			r->diff = off + i;
		}
		break;
	case W_CRC32C:
		r->crc = naive ? crc32c_naive(0, b->src + off, n) :
				 crc32c(0, b->src + off, n);
		break;
	case W_COPY_CRC32C:
		cpu_copy(dst + off, b->src + off, n);
		r->crc = naive ? crc32c_naive(0, b->src + off, n) :
				 crc32c(0, b->src + off, n);
		break;
	case W_XOR:
		if (naive)
			xor_naive(dst, b->xsrc, c->nsrcs, off, n);
		else
			xor_isal(dst, b->xsrc, c->nsrcs, off, n);
		break;
	case W_SHA256:
		SHA256(b->src, b->size, slot_digest(b, slot));
		break;
	case W_FILE_CRC32C: {
		const uint8_t *p = file_range(b, slot, off, n, r);

		if (!r->err)
			r->crc = crc32c(0, p, n);
		break;
	}
	case W_FILE_COPY:
		file_range(b, slot, off, n, r);
		break;
	case W_FILE_SHA256: {
		/* Never split (as SHA256): the whole range. */
		const uint8_t *p = file_range(b, slot, 0, b->flen[slot], r);

		if (!r->err)
			SHA256(p, b->flen[slot], slot_digest(b, slot));
		break;
	}
	case W_SHA256_BLOCKS:
	case W_FILE_SHA256_BLOCKS:
	case W_FILE_CRC32C_BLOCKS: {
		/* A block-aligned piece of the op: its blocks' digests. */
		const uint8_t *p = c->w == W_SHA256_BLOCKS ? b->src + off :
				   file_range(b, slot, off, n, r);

		if (!r->err)
			digest_blocks(c->w, p, n, c->block, slot_digest(b, slot) +
				      off / c->block * w_digest_size(c->w));
		break;
	}
	case W_NR:
		break;
	}
}

/* An op's res and result, as PEL reports them (Documentation/ops.md). */
static void cpu_result(const struct cfg *c, const struct rres *r, uint64_t len,
		       int64_t *res, uint64_t *result)
{
	if (r->err) {
		*res = r->err;
		*result = 0;
		return;
	}
	switch (c->w) {
	case W_NOP:
		*res = 0;
		*result = 0;
		break;
	case W_COMPARE:
		*res = r->diff != UINT64_MAX;
		*result = *res ? r->diff : 0;
		break;
	case W_CRC32C:
	case W_COPY_CRC32C:
	case W_FILE_CRC32C:
		*res = (int64_t)len;
		*result = r->crc;
		break;
	case W_SHA256:
	case W_FILE_SHA256:
		*res = (int64_t)len;
		*result = 0;
		break;
	case W_SHA256_BLOCKS:
	case W_FILE_SHA256_BLOCKS:
	case W_FILE_CRC32C_BLOCKS:
		*res = (int64_t)len;
		*result = nr_blocks(len, c->block);
		break;
	default:
		*res = (int64_t)len;
		*result = len;
		break;
	}
}

enum check { CHECK_OK, CHECK_FAILED, CHECK_MISCOMPARE };

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * A failure: the op did not succeed as it should (res).  A miscompare
 * (only with -y): it said it did, but the data or the result is wrong.
 */
static enum check check_op(const struct cfg *c, const struct wbuf *b,
			   unsigned int slot, int64_t res, uint64_t result)
{
	int64_t want = (c->w == W_NOP || c->w == W_COMPARE) ? 0 :
		       (int64_t)op_len(c, b, slot);

	if (res != want)
		return CHECK_FAILED;
	if (!c->verify)
		return CHECK_OK;
	if (w_is_blocks(c->w)) {
		uint64_t n = op_len(c, b, slot), i, k;
		size_t dsz = w_digest_size(c->w);
		uint8_t md[PEL_SHA256_DIGEST_SIZE];

		if (result != nr_blocks(n, c->block))
			return CHECK_MISCOMPARE;
		if (c->w == W_SHA256_BLOCKS)
			return memcmp(slot_digest(b, slot), b->ref, b->dstride) ?
			       CHECK_MISCOMPARE : CHECK_OK;
		/* Each block read again here, and digested with the libraries. */
		for (i = 0, k = 0; i < n; i += c->block, k++) {
			uint64_t len = n - i < c->block ? n - i : c->block;

			if (pread_full(file_fd, b->ref, len, b->foff[slot] + i) != (int64_t)len)
				return CHECK_MISCOMPARE;
			digest_blocks(c->w, b->ref, len, c->block, md);
			if (memcmp(slot_digest(b, slot) + k * dsz, md, dsz))
				return CHECK_MISCOMPARE;
		}
		return CHECK_OK;
	}
	if (w_is_file(c->w)) {
		uint64_t n = b->flen[slot];
		uint8_t md[PEL_SHA256_DIGEST_SIZE];

		/* The range again, read here: what the op must have seen. */
		if (pread_full(file_fd, b->ref, n, b->foff[slot]) != (int64_t)n)
			return CHECK_MISCOMPARE;
		switch (c->w) {
		case W_FILE_CRC32C:
			return result == crc32c(0, b->ref, n) ?
			       CHECK_OK : CHECK_MISCOMPARE;
		case W_FILE_COPY:
			return memcmp(slot_dst(b, slot), b->ref, n) ?
			       CHECK_MISCOMPARE : CHECK_OK;
		default:
			SHA256(b->ref, n, md);
			return memcmp(slot_digest(b, slot), md, sizeof(md)) ?
			       CHECK_MISCOMPARE : CHECK_OK;
		}
	}
	switch (c->w) {
	case W_COPY:
		return memcmp(slot_dst(b, slot), b->src, b->size) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	case W_FILL:
		return all_bytes(slot_dst(b, slot), b->size, FILL_BYTE) ?
		       CHECK_OK : CHECK_MISCOMPARE;
	case W_COMPARE:
		return result ? CHECK_MISCOMPARE : CHECK_OK;
	case W_CRC32C:
		return result == b->crc_ref ? CHECK_OK : CHECK_MISCOMPARE;
	case W_COPY_CRC32C:
		if (result != b->crc_ref)
			return CHECK_MISCOMPARE;
		return memcmp(slot_dst(b, slot), b->src, b->size) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	case W_XOR:
		return memcmp(slot_dst(b, slot), b->ref, b->size) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	case W_SHA256:
		return memcmp(slot_digest(b, slot), b->sha_ref,
			      PEL_SHA256_DIGEST_SIZE) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	default:
		return CHECK_OK;
	}
}

/* ------------------------------------------------------------------------
 * Per-thread state and the one loop every engine runs.
 */
enum phase { PH_WARMUP, PH_RUN, PH_STOP };

static atomic_int phase;

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

static int t_fail(struct tctx *t, int err, const char *what)
{
	if (!t->err) {
		t->err = err < 0 ? err : -EIO;
		t->err_what = what;
	}
	return t->err;
}

/* One op of @t finished at @now (ticks): check and count it. */
static void complete(struct tctx *t, uint64_t slot, int64_t res,
		     uint64_t result, uint64_t now)
{
	struct tstats *st = &t->st;
	enum check ck;
	uint64_t lat;

	if (slot >= t->cfg->depth) {
		t_fail(t, -EPROTO, "completion with an unknown user_data");
		return;
	}
	t->inflight--;
	t->free_slots[t->nr_free++] = (unsigned int)slot;
	ck = check_op(t->cfg, &t->wb, (unsigned int)slot, res, result);
	if (atomic_load_explicit(&phase, memory_order_relaxed) != PH_RUN) {
		t->pause_pending = 0;
		return;
	}
	/* A cold run's drop before this op lies inside the span: not its time. */
	if (st->ops)
		st->paused += t->pause_pending;
	t->pause_pending = 0;
	lat = now > t->stamp[slot] ? now - t->stamp[slot] : 0;
	if (!st->ops || now == st->t_first) {
		st->t_first = now;
		st->n_first++;
	}
	st->ops++;
	st->bytes += t->cfg->w == W_NOP ? 0 : op_len(t->cfg, &t->wb, (unsigned int)slot);
	st->t_last = now;
	atomic_store_explicit(&t->counted, st->ops - st->n_first,
			      memory_order_relaxed);
	st->lat_sum += lat;
	if (lat > st->lat_max)
		st->lat_max = lat;
	st->h.b[hist_index(lat)]++;
	if (ck == CHECK_FAILED)
		st->failed++;
	else if (ck == CHECK_MISCOMPARE)
		st->miscompares++;
}

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

static const struct engine_ops *const engine_ops[E_NR];

#define DROP_CACHES_PATH	"/proc/sys/vm/drop_caches"
#define TMPFS_MAGIC_		0x01021994
#define RAMFS_MAGIC_		0x858458f6

/* Why the file workloads' file cannot be read cold here, or NULL. */
static const char *cold_na(void)
{
	static char buf[200];
	struct statfs sf;
	int fd = open(DROP_CACHES_PATH, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return "cannot drop caches (not root or no " DROP_CACHES_PATH ")";
	close(fd);
	if (file_fd >= 0 && !fstatfs(file_fd, &sf) &&
	    (sf.f_type == TMPFS_MAGIC_ || sf.f_type == RAMFS_MAGIC_)) {
		snprintf(buf, sizeof(buf),
			 "cannot drop caches: %s is on tmpfs/ramfs, whose pages are the file (put it on a disk)",
			 file_path ? file_path : "the file");
		return buf;
	}
	return NULL;
}

/* Drop the clean page cache, dentries and inodes (echo 3): 0 or -errno. */
static int drop_caches(void)
{
	int fd = open(DROP_CACHES_PATH, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "3", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

static void *bench_thread(void *arg)
{
	struct tctx *t = arg;
	const struct engine_ops *ops = engine_ops[t->e];
	const struct cfg *c = t->cfg;
	unsigned int i, n;
	uint64_t now;

	while (!t->err &&
	       atomic_load_explicit(&phase, memory_order_relaxed) != PH_STOP) {
		/*
		 * Keep DEPTH ops in flight, BATCH at a time.  (The cpu
		 * engine completes them in submit: look at the phase.)
		 */
		while (!t->err && c->depth - t->inflight >= c->batch &&
		       atomic_load_explicit(&phase, memory_order_relaxed) != PH_STOP) {
			for (n = 0; n < c->batch; n++) {
				unsigned int slot = t->free_slots[t->nr_free - 1];

				if (c->verify)
					poison(c, &t->wb, slot);
				if (w_is_file(c->w)) {
					/* The next range, cycling over the file. */
					uint64_t k = t->frange;

					t->wb.foff[slot] = k * c->size;
					t->wb.flen[slot] = file_total - k * c->size < c->size ?
							   file_total - k * c->size : c->size;
				}
				if (c->cold) {
					/* Cold (depth 1): the page cache dropped, untimed. */
					uint64_t p0 = now_ticks();
					int err = drop_caches();

					if (err) {
						t_fail(t, err, "dropping the page cache");
						break;
					}
					t->pause_pending += now_ticks() - p0;
				}
				if (ops->prep(t, slot))
					break;
				if (w_is_file(c->w))
					t->frange = (t->frange + 1) % file_nranges;
				t->nr_free--;
				t->batch[n] = slot;
			}
			if (!n) {
				/*
				 * SQPOLL moves the SQ head after posting the
				 * CQEs: reap, and try again.
				 */
				if (t->inflight)
					break;
				t_fail(t, -EBUSY, "no free submission entry");
				break;
			}
			now = now_ticks();
			for (i = 0; i < n; i++)
				t->stamp[t->batch[i]] = now;
			t->inflight += n;
			if (ops->submit(t, n) < 0)
				break;
		}
		if (t->err)
			break;
		if (t->inflight && !ops->reap(t)) {
			if (ops->wait(t) < 0)
				break;
			ops->reap(t);
		}
	}
	/* Drain what is in flight; it is not counted. */
	while (!t->err && t->inflight) {
		if (!ops->reap(t) && ops->wait(t) < 0)
			break;
	}
	return NULL;
}

/* ---- PEL ------------------------------------------------------------- */

/*
 * Which queue an SQE goes to: the library's choice, the queue of the CPU
 * we run on (lpel_get_sqe()); or, --sq=next, the queue of the next CPU, so
 * that the worker that serves it is not the one our thread keeps off its
 * CPU: an experiment, to see what waking the home worker costs.
 */
static bool sq_next;

static struct pel_sqe *pel_get_sqe(struct tctx *t)
{
	struct lpel_ring *ring = &t->pel;
	int cpu;
	unsigned int i;

	if (!sq_next)
		return lpel_get_sqe(ring);
	cpu = sched_getcpu();
	for (i = 0; i < ring->nr_queues; i++)
		if ((int)ring->queues[i].cpu == cpu)
			break;
	return lpel_get_sqe_on(ring, i < ring->nr_queues ?
			       (i + 1) % ring->nr_queues : 0);
}

static int pel_prep(struct tctx *t, unsigned int slot)
{
	const struct cfg *c = t->cfg;
	const struct wbuf *b = &t->wb;
	struct pel_sqe *sqe = pel_get_sqe(t);

	if (!sqe)
		return -EBUSY;
	switch (c->w) {
	case W_NOP:
		lpel_prep_nop(sqe);
		break;
	case W_COPY:
		lpel_prep_copy(sqe, slot_dst(b, slot), b->src, c->size);
		break;
	case W_FILL:
		lpel_prep_fill(sqe, slot_dst(b, slot), FILL_PATTERN, c->size);
		break;
	case W_COMPARE:
		lpel_prep_compare(sqe, b->src2, b->src, c->size);
		break;
	case W_CRC32C:
		lpel_prep_crc32c(sqe, b->src, c->size, 0);
		break;
	case W_COPY_CRC32C:
		lpel_prep_copy_crc32c(sqe, slot_dst(b, slot), b->src, c->size, 0);
		break;
	case W_XOR:
		lpel_prep_xor(sqe, slot_dst(b, slot), b->xptr, c->nsrcs, c->size);
		break;
	case W_SHA256:
		lpel_prep_sha256(sqe, slot_digest(b, slot), b->src, c->size);
		break;
	/* File index 0: the one file tctx_setup() registered. */
	case W_FILE_CRC32C:
		lpel_prep_file_crc32c(sqe, 0, b->foff[slot], b->flen[slot], 0);
		break;
	case W_FILE_COPY:
		lpel_prep_file_copy(sqe, slot_dst(b, slot), 0, b->foff[slot],
				    b->flen[slot]);
		break;
	case W_FILE_SHA256:
		lpel_prep_file_sha256(sqe, slot_digest(b, slot), 0, b->foff[slot],
				      b->flen[slot]);
		break;
	case W_SHA256_BLOCKS:
		lpel_prep_sha256_blocks(sqe, slot_digest(b, slot), b->src, c->size,
					c->block);
		break;
	case W_FILE_SHA256_BLOCKS:
		lpel_prep_file_sha256_blocks(sqe, slot_digest(b, slot), 0,
					     b->foff[slot], b->flen[slot], c->block);
		break;
	case W_FILE_CRC32C_BLOCKS:
		lpel_prep_file_crc32c_blocks(sqe, (uint32_t *)(void *)slot_digest(b, slot),
					     0, b->foff[slot], b->flen[slot],
					     c->block, 0);
		break;
	case W_NR:
		break;
	}
	if (c->fixed)
		lpel_sqe_set_flags(sqe, PEL_SQE_FIXED);
	lpel_sqe_set_data(sqe, slot);
	return 0;
}

static int pel_submit(struct tctx *t, unsigned int n)
{
	int ret = lpel_submit(&t->pel);

	return ret < 0 ? t_fail(t, ret, "lpel_submit") : 0;
}

static unsigned int pel_reap(struct tctx *t)
{
	struct pel_cqe *cqe;
	unsigned int n = 0;
	uint64_t now = 0;

	while (!lpel_peek_cqe(&t->pel, &cqe)) {
		if (!n)
			now = now_ticks();
		complete(t, cqe->user_data, cqe->res, cqe->result, now);
		lpel_cqe_seen(&t->pel, cqe);
		n++;
	}
	return n;
}

/*
 * Polled: the library's wait, which spins on the CQs a little and then
 * blocks in PEL_ENTER_WAIT.  Blocking: straight into PEL_ENTER_WAIT.
 */
static int pel_wait(struct tctx *t)
{
	struct pel_cqe *cqe;
	int ret;

	if (t->cfg->wait == WAIT_POLL)
		ret = lpel_wait_cqe(&t->pel, &cqe);
	else
		ret = lpel_submit_and_wait(&t->pel, 1);
	if (ret < 0 && ret != -EINTR)
		return t_fail(t, ret, "wait for a PEL completion");
	return 0;
}

static const struct engine_ops pel_engine = {
	.prep = pel_prep, .submit = pel_submit, .reap = pel_reap,
	.wait = pel_wait,
};

/* ---- io_uring (NOP) -------------------------------------------------- */

static int uring_prep(struct tctx *t, unsigned int slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->uring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, slot);
	return 0;
}

static int uring_submit(struct tctx *t, unsigned int n)
{
	int ret = io_uring_submit(&t->uring);

	return ret < 0 ? t_fail(t, ret, "io_uring_submit") : 0;
}

static unsigned int uring_reap(struct tctx *t)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	uint64_t now = 0;

	io_uring_for_each_cqe(&t->uring, head, cqe) {
		if (!n)
			now = now_ticks();
		complete(t, cqe->user_data, cqe->res, 0, now);
		n++;
	}
	io_uring_cq_advance(&t->uring, n);
	return n;
}

static int uring_wait(struct tctx *t)
{
	struct io_uring_cqe *cqe;
	unsigned int i;
	int ret;

	if (t->cfg->wait == WAIT_POLL) {
		for (i = 0; i < SPIN_ITERS; i++) {
			if (io_uring_cq_ready(&t->uring))
				return 0;
			cpu_relax();
		}
	}
	ret = io_uring_wait_cqe(&t->uring, &cqe);
	if (ret < 0 && ret != -EINTR)
		return t_fail(t, ret, "io_uring_wait_cqe");
	return 0;
}

static const struct engine_ops uring_engine = {
	.prep = uring_prep, .submit = uring_submit, .reap = uring_reap,
	.wait = uring_wait,
};

/* ---- raw SPSC rings between two user threads (NOP) ------------------- */

/*
 * The same shape as a PEL queue: an SQ of 64-byte entries and a CQ of
 * 32-byte ones, head and tail on their own cache lines, store-release /
 * load-acquire on every index.  The consumer thread spins forever: this is
 * the limit of a hand-off, with none of the costs of sleeping and waking.
 */
struct spsc {
	_Alignas(64) atomic_uint sq_tail;
	_Alignas(64) atomic_uint sq_head;
	_Alignas(64) atomic_uint cq_tail;
	_Alignas(64) atomic_uint cq_head;
	_Alignas(64) unsigned int mask;
	unsigned int sqe_tail;		/* producer: next SQE to fill */
	atomic_bool stop;
	int cpu;			/* the consumer's */
	pthread_t tid;
	struct pel_sqe *sqes;
	struct pel_cqe *cqes;
};

static void *spsc_consumer(void *arg)
{
	struct spsc *r = arg;
	unsigned int head = 0, ctail = 0, tail;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		tail = atomic_load_explicit(&r->sq_tail, memory_order_acquire);
		if (tail == head) {
			cpu_relax();
			continue;
		}
		for (; head != tail; head++, ctail++) {
			const struct pel_sqe *sqe = &r->sqes[head & r->mask];
			struct pel_cqe *cqe = &r->cqes[ctail & r->mask];

			cqe->user_data = sqe->user_data;
			cqe->res = 0;
			cqe->flags = 0;
			cqe->result = 0;
		}
		atomic_store_explicit(&r->sq_head, head, memory_order_release);
		atomic_store_explicit(&r->cq_tail, ctail, memory_order_release);
	}
	return NULL;
}

static int spsc_prep(struct tctx *t, unsigned int slot)
{
	struct spsc *r = t->spsc;
	struct pel_sqe *sqe;

	if (r->sqe_tail - atomic_load_explicit(&r->sq_head, memory_order_acquire) > r->mask)
		return -EBUSY;
	sqe = &r->sqes[r->sqe_tail++ & r->mask];
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, slot);
	return 0;
}

static int spsc_submit(struct tctx *t, unsigned int n)
{
	atomic_store_explicit(&t->spsc->sq_tail, t->spsc->sqe_tail,
			      memory_order_release);
	return 0;
}

static unsigned int spsc_reap(struct tctx *t)
{
	struct spsc *r = t->spsc;
	unsigned int head = atomic_load_explicit(&r->cq_head, memory_order_relaxed);
	unsigned int tail = atomic_load_explicit(&r->cq_tail, memory_order_acquire);
	unsigned int n = 0;
	uint64_t now;

	if (head == tail)
		return 0;
	now = now_ticks();
	for (; head != tail; head++, n++) {
		const struct pel_cqe *cqe = &r->cqes[head & r->mask];

		complete(t, cqe->user_data, cqe->res, cqe->result, now);
	}
	atomic_store_explicit(&r->cq_head, head, memory_order_release);
	return n;
}

/* Nothing to block on: spin. */
static int spsc_wait(struct tctx *t)
{
	struct spsc *r = t->spsc;

	while (atomic_load_explicit(&r->cq_tail, memory_order_acquire) ==
	       atomic_load_explicit(&r->cq_head, memory_order_relaxed))
		cpu_relax();
	return 0;
}

static const struct engine_ops spsc_engine = {
	.prep = spsc_prep, .submit = spsc_submit, .reap = spsc_reap,
	.wait = spsc_wait,
};

/* ---- one thread on the CPU ------------------------------------------- */

/* Depth and batch are 1: submit runs the op, and it is complete. */
static int cpu_prep(struct tctx *t, unsigned int slot)
{
	return 0;
}

static int cpu_submit(struct tctx *t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int slot = t->batch[i];
		uint64_t result;
		struct rres r;
		int64_t res;

		uint64_t len = op_len(t->cfg, &t->wb, slot);

		cpu_range(t->cfg, &t->wb, slot, 0, len, t->e == E_NAIVE, &r);
		cpu_result(t->cfg, &r, len, &res, &result);
		complete(t, slot, res, result, now_ticks());
	}
	return 0;
}

static unsigned int cpu_reap(struct tctx *t)
{
	return 0;
}

static int cpu_wait(struct tctx *t)
{
	return 0;
}

static const struct engine_ops cpu_engine = {
	.prep = cpu_prep, .submit = cpu_submit, .reap = cpu_reap,
	.wait = cpu_wait,
};

/* ---- a pthread pool: mutex, condition variables, a task list --------- */

struct pool {
	pthread_mutex_t lock;		/* protects head, tail and stop */
	pthread_cond_t cv;
	struct pool_task *head, **tail;
	bool stop;
	unsigned int nthreads;
	pthread_t *tids;
};

static void *pool_worker(void *arg)
{
	struct pool *p = arg;
	struct pool_task *task;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->cv, &p->lock);
		task = p->head;
		if (!task) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		p->head = task->next;
		if (!p->head)
			p->tail = &p->head;
		pthread_mutex_unlock(&p->lock);

		struct tctx *t = task->t;
		struct pool_op *op = &t->pops[task->slot];

		cpu_range(t->cfg, &t->wb, task->slot, task->off, task->len,
			  false, &op->r[task->chunk]);
		/* The last chunk done hands the op to its submitter. */
		if (atomic_fetch_sub_explicit(&op->left, 1, memory_order_acq_rel) == 1) {
			pthread_mutex_lock(&t->cmu);
			t->cdone[t->nr_cdone++] = task->slot;
			atomic_fetch_add_explicit(&t->cready, 1, memory_order_release);
			if (t->cwaiting)
				pthread_cond_signal(&t->ccv);
			pthread_mutex_unlock(&t->cmu);
		}
	}
	return NULL;
}

static void pool_stop(struct pool *p)
{
	unsigned int i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tids[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cv);
	free(p->tids);
	free(p);
}

static struct pool *pool_start(unsigned int nthreads)
{
	struct pool *p = calloc(1, sizeof(*p));
	unsigned int i;

	if (!p)
		return NULL;
	p->tids = calloc(nthreads, sizeof(*p->tids));
	if (!p->tids) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->tail = &p->head;
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&p->tids[i], NULL, pool_worker, p))
			break;
		p->nthreads++;
	}
	if (p->nthreads != nthreads) {
		pool_stop(p);
		return NULL;
	}
	return p;
}

/* One chunk per pool thread for large ops, the whole op otherwise. */
static int pool_prep(struct tctx *t, unsigned int slot)
{
	const struct cfg *c = t->cfg;
	struct pool_op *op = &t->pops[slot];
	unsigned int k = 1, i;
	uint64_t size = op_len(c, &t->wb, slot), chunk = size;

	if (c->w != W_NOP && c->w != W_SHA256 && c->w != W_FILE_SHA256 &&
	    size >= POOL_SPLIT_MIN) {
		/* Per-block digests: pieces of whole blocks. */
		uint64_t align = w_is_blocks(c->w) ? c->block : 4096;

		k = t->pool->nthreads;
		if (k > POOL_MAX_CHUNKS)
			k = POOL_MAX_CHUNKS;
		chunk = (size + k - 1) / k;
		chunk = (chunk + align - 1) / align * align;
		k = (unsigned int)((size + chunk - 1) / chunk);
	}
	op->nchunks = k;
	atomic_store_explicit(&op->left, k, memory_order_relaxed);
	for (i = 0; i < k; i++) {
		struct pool_task *task = &op->task[i];

		task->t = t;
		task->slot = slot;
		task->chunk = i;
		task->off = (uint64_t)i * chunk;
		task->len = size - task->off < chunk ? size - task->off : chunk;
		task->next = NULL;
		*t->pend_tail = task;
		t->pend_tail = &task->next;
		t->pend_n++;
	}
	return 0;
}

static int pool_submit(struct tctx *t, unsigned int n)
{
	struct pool *p = t->pool;

	if (!t->pend_head)
		return 0;
	pthread_mutex_lock(&p->lock);
	*p->tail = t->pend_head;
	p->tail = t->pend_tail;
	if (t->pend_n > 1)
		pthread_cond_broadcast(&p->cv);
	else
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->lock);
	t->pend_head = NULL;
	t->pend_tail = &t->pend_head;
	t->pend_n = 0;
	return 0;
}

static unsigned int pool_reap(struct tctx *t)
{
	unsigned int i, n, *swap;
	uint64_t now;

	if (!atomic_load_explicit(&t->cready, memory_order_acquire))
		return 0;
	pthread_mutex_lock(&t->cmu);
	n = t->nr_cdone;
	swap = t->creap;
	t->creap = t->cdone;
	t->cdone = swap;
	t->nr_cdone = 0;
	atomic_fetch_sub_explicit(&t->cready, n, memory_order_relaxed);
	pthread_mutex_unlock(&t->cmu);
	now = now_ticks();
	for (i = 0; i < n; i++) {
		unsigned int slot = t->creap[i], k;
		struct pool_op *op = &t->pops[slot];
		struct rres r = op->r[0];
		uint64_t result;
		int64_t res;

		for (k = 1; k < op->nchunks; k++) {
			r.crc = crc32c_combine(r.crc, op->r[k].crc, op->task[k].len);
			if (r.diff == UINT64_MAX)
				r.diff = op->r[k].diff;
			if (!r.err)
				r.err = op->r[k].err;
		}
		cpu_result(t->cfg, &r, op_len(t->cfg, &t->wb, slot), &res, &result);
		complete(t, slot, res, result, now);
	}
	return n;
}

static int pool_wait(struct tctx *t)
{
	unsigned int i;

	if (t->cfg->wait == WAIT_POLL) {
		for (i = 0; i < SPIN_ITERS; i++) {
			if (atomic_load_explicit(&t->cready, memory_order_acquire))
				return 0;
			cpu_relax();
		}
	}
	pthread_mutex_lock(&t->cmu);
	t->cwaiting = true;
	while (!t->nr_cdone)
		pthread_cond_wait(&t->ccv, &t->cmu);
	t->cwaiting = false;
	pthread_mutex_unlock(&t->cmu);
	return 0;
}

static const struct engine_ops pool_engine = {
	.prep = pool_prep, .submit = pool_submit, .reap = pool_reap,
	.wait = pool_wait,
};

static const struct engine_ops *const engine_ops[E_NR] = {
	[E_PEL] = &pel_engine,
	[E_URING] = &uring_engine,
	[E_SQPOLL] = &uring_engine,
	[E_SPSC] = &spsc_engine,
	[E_CPU] = &cpu_engine,
	[E_POOL] = &pool_engine,
	[E_NAIVE] = &cpu_engine,
};

/* ------------------------------------------------------------------------
 * PEL's own counters: the workers' (PEL_IOC_WORKER_STATS) and their CPU
 * time (/proc/PID/schedstat of the pel/N threads).
 */
struct pel_snap {
	bool ok;
	unsigned int nr;
	struct pel_worker_stats w[MAX_WORKERS];
	uint64_t kthread_ns;		/* CPU time of every pel/N thread */
	unsigned int nr_kthreads;
};

static int pel_info(struct pel_info *info)
{
	int fd = open(PEL_DEVICE_PATH, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	if (ioctl(fd, PEL_IOC_INFO, info) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* CPU time of a thread in ns: schedstat, else utime + stime from stat. */
static bool thread_cpu_ns(const char *pid, uint64_t *ns)
{
	char path[300], buf[512], *p;
	unsigned long long v, ut, st;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%s/schedstat", pid);
	f = fopen(path, "r");
	if (f) {
		i = fscanf(f, "%llu", &v);
		fclose(f);
		if (i == 1) {
			*ns = v;
			return true;
		}
	}
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return false;
	/* After "comm)": state is field 3; utime, stime are fields 14, 15. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return false;
	*ns = (ut + st) * (NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK));
	return true;
}

static void pel_kthreads_cpu(uint64_t *ns, unsigned int *nr)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	*ns = 0;
	*nr = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300], comm[32] = "";
		uint64_t v;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, "pel/", 4) || !isdigit((unsigned char)comm[4]))
			continue;
		if (thread_cpu_ns(de->d_name, &v)) {
			*ns += v;
			(*nr)++;
		}
	}
	closedir(d);
}

static bool pel_has_feature(uint64_t feat)
{
	struct pel_info info;

	return !pel_info(&info) && (info.features & feat);
}

/*
 * The system calls of this process's PEL contexts (one per submitting
 * thread): PEL_IOC_CTX_STATS lists the contexts we may see; ours are those
 * whose owner is our pid.  Summed: PEL_IOC_ENTER calls, and the SQEs our
 * waiting threads ran themselves.  The ioctl goes through an fd of its own,
 * not set up, so it is no PEL_IOC_ENTER of any context.
 */
static bool pel_own_enters(uint64_t *enters, uint64_t *helped)
{
	pid_t pid = getpid();
	unsigned int i;
	bool found = false;
	int fd;

	*enters = *helped = 0;
	fd = open(PEL_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	for (i = 0; i < 100000; i++) {
		struct pel_ctx_stats st;

		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		st.index = i;
		if (ioctl(fd, PEL_IOC_CTX_STATS, &st) < 0)
			break;
		if (st.pid != pid)
			continue;
		*enters += st.enters;
		*helped += st.helped;
		found = true;
	}
	close(fd);
	return found;
}

static void pel_snapshot(struct pel_snap *s)
{
	struct pel_info info;
	unsigned int i;
	int fd;

	memset(s, 0, sizeof(*s));
	pel_kthreads_cpu(&s->kthread_ns, &s->nr_kthreads);
	if (pel_info(&info))
		return;
	fd = open(PEL_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (i = 0; i < info.nr_workers && i < MAX_WORKERS; i++) {
		struct pel_worker_stats *w = &s->w[i];

		memset(w, 0, sizeof(*w));
		w->size = sizeof(*w);
		w->cpu = i;
		if (ioctl(fd, PEL_IOC_WORKER_STATS, w) < 0)
			break;
	}
	close(fd);
	s->nr = i;
	s->ok = true;
}

/* ------------------------------------------------------------------------
 * One run of one engine.
 */
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

static unsigned int nr_online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

static unsigned int roundup_pow2(unsigned int v)
{
	unsigned int p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

static bool engine_supports(enum engine e, enum workload w)
{
	if (e == E_URING || e == E_SQPOLL || e == E_SPSC)
		return w == W_NOP;
	if (e == E_NAIVE)
		return naive_names[w] != NULL;
	return true;
}

static double rusage_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* Every buffer of @b a PEL op addresses. */
static unsigned int wbuf_iovs(const struct wbuf *b, struct iovec *iov)
{
	unsigned int n = 0, i;

#define ADD(p, len)							\
	do {								\
		if (p) {						\
			iov[n].iov_base = (void *)(p);			\
			iov[n++].iov_len = (len);			\
		}							\
	} while (0)
	ADD(b->src, b->size);
	ADD(b->src2, b->size);
	for (i = 1; i < PEL_XOR_MAX_SRCS; i++)
		ADD(b->xsrc[i], b->size);
	ADD(b->xptr, PEL_XOR_MAX_SRCS * sizeof(*b->xptr));
	ADD(b->dst, b->dst_bytes);
	ADD(b->digest, (size_t)b->slots * PEL_SHA256_DIGEST_SIZE);
#undef ADD
	return n;
}

static bool pel_has_feature(uint64_t feat);

static int tctx_setup(struct tctx *t, enum engine e, const struct cfg *c,
		      unsigned int idx, struct pool *pool)
{
	unsigned int i, entries = roundup_pow2(c->depth < 2 ? 2 : c->depth);
	int ret;

	t->cfg = c;
	t->e = e;
	t->idx = idx;
	t->cpu = -1;
	t->pend_tail = &t->pend_head;
	t->stamp = calloc(c->depth, sizeof(*t->stamp));
	t->free_slots = calloc(c->depth, sizeof(*t->free_slots));
	t->batch = calloc(c->batch, sizeof(*t->batch));
	if (!t->stamp || !t->free_slots || !t->batch)
		return t_fail(t, -ENOMEM, "allocating slots");
	/* Slot 0 is handed out first. */
	for (i = 0; i < c->depth; i++)
		t->free_slots[i] = c->depth - 1 - i;
	t->nr_free = c->depth;
	ret = wbuf_init(&t->wb, c, idx);
	if (ret)
		return t_fail(t, ret, "allocating buffers");
	/* File workloads: the threads start spread over the file. */
	if (w_is_file(c->w) && c->threads)
		t->frange = (uint64_t)idx * file_nranges / c->threads;

	switch (e) {
	case E_PEL: {
		struct lpel_params p = {
			.sq_entries = entries,
			.cq_entries = entries * 2,
			.backend = pel_backend_req,
		};

		ret = lpel_init_params(&t->pel, &p);
		if (ret == -ENOSYS && !pel_on_kernel())
			return t_fail(t, ret, "lpel_init_params: the user backend is not in this liblpel");
		if (ret)
			return t_fail(t, ret, pel_on_kernel() ? "lpel_init (is pel.ko loaded?)" :
				      "lpel_init_params, user backend");
		t->pel_up = true;
		if (w_is_file(c->w)) {
			int fres = 0;

			ret = lpel_register_files(&t->pel, &file_fd, 1, &fres);
			if (ret >= 0 && fres < 0)
				ret = fres;
			if (ret < 0)
				return t_fail(t, ret, "lpel_register_files");
		}
		if (w_is_blocks(c->w) && !(t->pel.features & PEL_FEAT_BLOCK_DIGESTS))
			return t_fail(t, -EOPNOTSUPP, "PEL_FEAT_BLOCK_DIGESTS");
		if (c->fixed) {
			struct iovec iov[PEL_XOR_MAX_SRCS + 8];

			ret = lpel_register_buffers(&t->pel, iov,
						     wbuf_iovs(&t->wb, iov));
			if (ret)
				return t_fail(t, ret, "registering buffers");
		}
		break;
	}
	case E_URING:
	case E_SQPOLL: {
		struct io_uring_params p;

		memset(&p, 0, sizeof(p));
		if (e == E_SQPOLL) {
			p.flags = IORING_SETUP_SQPOLL;
			p.sq_thread_idle = SQPOLL_IDLE_MS;
		}
		/* Twice the depth: see the SQ head remark in bench_thread(). */
		ret = io_uring_queue_init_params(2 * entries, &t->uring, &p);
		if (ret)
			return t_fail(t, ret, "io_uring_queue_init");
		t->uring_up = true;
		break;
	}
	case E_SPSC: {
		unsigned int ncpu = nr_online_cpus();

		t->spsc = aligned_alloc(64, sizeof(*t->spsc));
		if (!t->spsc)
			return t_fail(t, -ENOMEM, "allocating a ring");
		memset(t->spsc, 0, sizeof(*t->spsc));
		t->spsc->mask = entries - 1;
		t->spsc->sqes = calloc(entries, sizeof(struct pel_sqe));
		t->spsc->cqes = calloc(entries, sizeof(struct pel_cqe));
		if (!t->spsc->sqes || !t->spsc->cqes)
			return t_fail(t, -ENOMEM, "allocating a ring");
		/* Producer and consumer on different CPUs, pairs spread out. */
		t->cpu = (int)((2 * idx) % ncpu);
		t->spsc->cpu = (int)((2 * idx + 1) % ncpu);
		break;
	}
	case E_POOL:
		t->pool = pool;
		t->pops = calloc(c->depth, sizeof(*t->pops));
		t->cdone = calloc(c->depth, sizeof(*t->cdone));
		t->creap = calloc(c->depth, sizeof(*t->creap));
		if (!t->pops || !t->cdone || !t->creap)
			return t_fail(t, -ENOMEM, "allocating pool state");
		pthread_mutex_init(&t->cmu, NULL);
		pthread_cond_init(&t->ccv, NULL);
		break;
	default:
		break;
	}
	return 0;
}

static void tctx_teardown(struct tctx *t)
{
	if (t->pel_up)
		lpel_exit(&t->pel);
	if (t->uring_up)
		io_uring_queue_exit(&t->uring);
	if (t->spsc) {
		free(t->spsc->sqes);
		free(t->spsc->cqes);
		free(t->spsc);
	}
	if (t->pops) {
		pthread_mutex_destroy(&t->cmu);
		pthread_cond_destroy(&t->ccv);
	}
	free(t->pops);
	free(t->cdone);
	free(t->creap);
	wbuf_free(&t->wb);
	free(t->stamp);
	free(t->free_slots);
	free(t->batch);
}

/* Start a thread, pinned to @cpu unless it is negative. */
static int start_thread(pthread_t *tid, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int ret;

	pthread_attr_init(&attr);
	if (cpu >= 0) {
		/*
		 * Pinned through the attribute, so that only the new thread
		 * is: threads inherit their creator's affinity, and ours
		 * must stay free for every later run.
		 */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	}
	ret = pthread_create(tid, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -ret;
}

static void result_totals(struct result *r)
{
	struct hist *h = calloc(1, sizeof(*h));
	uint64_t lat_sum = 0, lat_max = 0, bytes = 0;
	unsigned int i, j;

	r->ops = r->failed = r->miscompares = 0;
	r->ops_s = r->mib_s = 0;
	for (i = 0; i < r->nthreads; i++) {
		const struct tstats *st = &r->th[i];
		double rate, brate;

		r->ops += st->ops;
		r->failed += st->failed;
		r->miscompares += st->miscompares;
		bytes += st->bytes;
		lat_sum += st->lat_sum;
		if (st->lat_max > lat_max)
			lat_max = st->lat_max;
		if (h)
			for (j = 0; j < HBUCKETS; j++)
				h->b[j] += st->h.b[j];
		/* Ops after the first counted pass, over the time since. */
		if (st->ops > st->n_first && st->t_last > st->t_first + st->paused) {
			double span = ticks_to_ns((double)(st->t_last - st->t_first -
							   st->paused)) / 1e9;

			rate = (double)(st->ops - st->n_first) / span;
		} else {
			rate = r->window_s > 0 ? (double)st->ops / r->window_s : 0;
		}
		brate = st->ops ? rate * (double)st->bytes / (double)st->ops : 0;
		r->th_ops_s[i] = rate;
		r->th_mib_s[i] = brate / MIB;
		r->ops_s += rate;
		r->mib_s += brate / MIB;
	}
	r->lat_avg = r->ops ? ticks_to_ns((double)lat_sum / (double)r->ops) : 0;
	r->lat_max = ticks_to_ns((double)lat_max);
	if (h) {
		r->lat_p50 = ticks_to_ns(hist_quantile(h, r->ops, 0.50));
		r->lat_p99 = ticks_to_ns(hist_quantile(h, r->ops, 0.99));
		/* The histogram's midpoints may pass the true maximum. */
		if (r->lat_p99 > r->lat_max)
			r->lat_p99 = r->lat_max;
		if (r->lat_p50 > r->lat_max)
			r->lat_p50 = r->lat_max;
		free(h);
	}
}

static const char *result_label(enum engine e, const struct cfg *c, char *buf,
				size_t n)
{
	switch (e) {
	case E_CPU:
		snprintf(buf, n, "%s, 1 thread",
			 cpu_copy_movsb && c->w == W_COPY ? "rep movsb" : cpu_names[c->w]);
		break;
	case E_NAIVE:
		snprintf(buf, n, "%s, 1 thread",
			 naive_names[c->w] ? naive_names[c->w] : "naive");
		break;
	case E_POOL:
		snprintf(buf, n, "pthread pool x%u", nr_online_cpus());
		break;
	case E_PEL:
		snprintf(buf, n, "pel%s%s%s", pel_on_kernel() ? "" : " (user)",
			 c->wait == WAIT_BLOCK ? " (blocking)" : "",
			 c->fixed ? " (fixed)" : "");
		break;
	default:
		snprintf(buf, n, "%s", engine_names[e]);
		break;
	}
	return buf;
}

static void result_free(struct result *r)
{
	free(r->th);
	free(r->th_ops_s);
	free(r->th_mib_s);
	r->th = NULL;
	r->th_ops_s = r->th_mib_s = NULL;
}

/*
 * Run @e with @cfg (the cpu engine: one thread, depth 1) into @r.
 * Returns 0, or -errno with r->errmsg saying what failed.
 */
static int run_engine(enum engine e, const struct cfg *cfg, struct result *r)
{
	struct cfg c = *cfg;
	struct tctx *t = NULL;
	struct pool *pool = NULL;
	struct pel_snap *s0 = NULL, *s1 = NULL;
	struct rusage ru0, ru1;
	uint64_t t0, t1, en0 = 0, en1 = 0, he0 = 0, he1 = 0;
	bool have_en = false, kern = false;
	unsigned int i, started = 0, spsc_started = 0;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->e = e;
	r->backend = -1;
	if (e == E_CPU || e == E_NAIVE) {
		c.threads = 1;
		c.depth = 1;
		c.batch = 1;
	}
	r->cfg = c;
	result_label(e, &c, r->label, sizeof(r->label));
	if (!engine_supports(e, c.w)) {
		r->skipped = true;
		snprintf(r->errmsg, sizeof(r->errmsg), "%s runs only %s",
			 engine_names[e], e == E_NAIVE ? "crc32c, copy_crc32c and xor" : "nop");
		return 0;
	}
	if (e == E_NAIVE && c.w != W_XOR && !have_sse42) {
		r->skipped = true;
		snprintf(r->errmsg, sizeof(r->errmsg), "n/a: no SSE4.2");
		return 0;
	}
	if (e == E_PEL && c.fixed && pel_on_kernel() &&
	    !pel_has_feature(PEL_FEAT_REGISTERED_BUFFERS)) {
		r->skipped = true;
		snprintf(r->errmsg, sizeof(r->errmsg),
			 "n/a: module lacks registered buffers");
		return 0;
	}
	if (w_is_file(c.w)) {
		if (file_fd < 0) {
			r->skipped = true;
			snprintf(r->errmsg, sizeof(r->errmsg), "n/a: no file to read: %s",
				 file_na ? file_na : "none was opened");
			return 0;
		}
		/* The suite's file runs differ in op size. */
		file_nranges = (file_total + c.size - 1) / c.size;
	}
	if (c.cold) {
		const char *why = cold_na();

		if (why) {
			r->skipped = true;
			snprintf(r->errmsg, sizeof(r->errmsg), "n/a: %s", why);
			return 0;
		}
		/* Clean pages only are dropped: none of the file may be dirty. */
		fdatasync(file_fd);
	}
	r->nthreads = c.threads;
	r->th = calloc(c.threads, sizeof(*r->th));
	r->th_ops_s = calloc(c.threads, sizeof(double));
	r->th_mib_s = calloc(c.threads, sizeof(double));
	t = calloc(c.threads, sizeof(*t));
	s0 = calloc(1, sizeof(*s0));
	s1 = calloc(1, sizeof(*s1));
	if (!r->th || !r->th_ops_s || !r->th_mib_s || !t || !s0 || !s1) {
		ret = -ENOMEM;
		snprintf(r->errmsg, sizeof(r->errmsg), "out of memory");
		goto out;
	}
	if (e == E_POOL) {
		pool = pool_start(nr_online_cpus());
		if (!pool) {
			ret = -EAGAIN;
			snprintf(r->errmsg, sizeof(r->errmsg), "cannot start the pool");
			goto out;
		}
	}
	for (i = 0; i < c.threads; i++) {
		ret = tctx_setup(&t[i], e, &r->cfg, i, pool);
		if (ret) {
			snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s",
				 t[i].err_what, strerror(-ret));
			/* A kernel without io_uring (or SQPOLL) lacks a baseline. */
			if ((e == E_URING || e == E_SQPOLL) &&
			    (ret == -ENOSYS || ret == -EPERM || ret == -EOPNOTSUPP)) {
				r->skipped = true;
				ret = 0;
			}
			if (e == E_PEL && w_is_file(c.w) &&
			    !strcmp(t[i].err_what, "lpel_register_files")) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "n/a: PEL's file ops are not available: lpel_register_files() on the %s backend: %s%s",
					 lpel_backend_name(lpel_backend(&t[i].pel)),
					 strerror(-ret),
					 ret == -EOPNOTSUPP ? " (no PEL_FEAT_REGISTERED_FILES)" : "");
				r->backend = lpel_backend(&t[i].pel);
				r->skipped = true;
				ret = 0;
			}
			if (e == E_PEL && w_is_blocks(c.w) &&
			    !strcmp(t[i].err_what, "PEL_FEAT_BLOCK_DIGESTS")) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 "n/a: PEL's per-block digests are not available on the %s backend (no PEL_FEAT_BLOCK_DIGESTS; PEL_OPF_BLOCKS gives -EINVAL)",
					 lpel_backend_name(lpel_backend(&t[i].pel)));
				r->backend = lpel_backend(&t[i].pel);
				r->skipped = true;
				ret = 0;
			}
			if (e == E_PEL && c.fixed && ret == -EOPNOTSUPP) {
				snprintf(r->errmsg, sizeof(r->errmsg),
					 pel_on_kernel() ? "n/a: module lacks registered buffers" :
					 "n/a: the user backend lacks registered buffers");
				r->skipped = true;
				ret = 0;
			}
			goto out_teardown;
		}
	}
	/* Where the rings run, as the library says; the kernel's figures only there. */
	if (e == E_PEL)
		r->backend = lpel_backend(&t[0].pel);
	kern = e == E_PEL && r->backend == LPEL_BACKEND_KERNEL;
	if (e == E_SPSC) {
		for (i = 0; i < c.threads; i++, spsc_started++) {
			ret = start_thread(&t[i].spsc->tid, t[i].spsc->cpu,
					   spsc_consumer, t[i].spsc);
			if (ret)
				break;
		}
		if (ret) {
			snprintf(r->errmsg, sizeof(r->errmsg),
				 "cannot start a ring consumer: %s", strerror(-ret));
			goto out_stop;
		}
	}

	pel_snapshot(s0);
	atomic_store(&phase, PH_WARMUP);
	for (i = 0; i < c.threads; i++, started++) {
		ret = start_thread(&t[i].tid, t[i].cpu, bench_thread, &t[i]);
		if (ret) {
			snprintf(r->errmsg, sizeof(r->errmsg),
				 "cannot start a thread: %s", strerror(-ret));
			atomic_store(&phase, PH_STOP);
			goto out_join;
		}
	}
	sleep_s(c.seconds < 5 * WARMUP_S ? c.seconds / 5 : WARMUP_S);
	getrusage(RUSAGE_SELF, &ru0);
	pel_kthreads_cpu(&s0->kthread_ns, &s0->nr_kthreads);
	if (kern)
		have_en = pel_own_enters(&en0, &he0);
	t0 = now_ticks();
	atomic_store(&phase, PH_RUN);
	sleep_s(c.seconds);
	for (i = 0; i < c.threads; ) {
		if (t[i].err || atomic_load_explicit(&t[i].counted,
				memory_order_relaxed) >= MIN_OPS) {
			i++;
			continue;
		}
		if (ticks_to_ns((double)(now_ticks() - t0)) / 1e9 >=
		    c.seconds + EXTEND_MAX_S)
			break;
		sleep_s(0.01);
	}
	atomic_store(&phase, PH_STOP);
	t1 = now_ticks();
	if (have_en)
		have_en = pel_own_enters(&en1, &he1);
	getrusage(RUSAGE_SELF, &ru1);
	pel_kthreads_cpu(&s1->kthread_ns, &s1->nr_kthreads);
	r->window_s = ticks_to_ns((double)(t1 - t0)) / 1e9;
	r->cpu_user_s = rusage_s(&ru1.ru_utime) - rusage_s(&ru0.ru_utime);
	r->cpu_sys_s = rusage_s(&ru1.ru_stime) - rusage_s(&ru0.ru_stime);
	r->kthread_cpu_s = (double)(s1->kthread_ns - s0->kthread_ns) / 1e9;
	if (e == E_PEL && !kern)
		r->kthread_cpu_s = NAN;		/* no pel/N threads serve it */

out_join:
	for (i = 0; i < started; i++)
		pthread_join(t[i].tid, NULL);
out_stop:
	for (i = 0; i < spsc_started; i++) {
		atomic_store(&t[i].spsc->stop, true);
		pthread_join(t[i].spsc->tid, NULL);
	}
	if (!ret) {
		uint64_t k = s1->kthread_ns;
		unsigned int nk = s1->nr_kthreads;

		pel_snapshot(s1);
		s1->kthread_ns = k;
		s1->nr_kthreads = nk;
	}
	for (i = 0; i < c.threads; i++) {
		r->th[i] = t[i].st;
		if (t[i].err && !ret) {
			ret = t[i].err;
			snprintf(r->errmsg, sizeof(r->errmsg), "thread %u: %s: %s",
				 i, t[i].err_what, strerror(-ret));
		}
	}
	if (!ret && kern && s0->ok && s1->ok) {
		r->have_workers = true;
		r->nr_workers = s1->nr < s0->nr ? s1->nr : s0->nr;
		for (i = 0; i < r->nr_workers; i++) {
			const struct pel_worker_stats *a = &s0->w[i], *b = &s1->w[i];

			r->w_ops[i] = b->ops - a->ops;
			r->w_busy_ns[i] = b->busy_ns - a->busy_ns;
			r->wakeups += b->wakeups - a->wakeups;
			r->sleeps += b->sleeps - a->sleeps;
			r->stolen += b->stolen - a->stolen;
			r->chunks += b->chunks - a->chunks;
		}
	}
	if (!ret && have_en) {
		r->have_enters = true;
		r->enters = en1 - en0;
		r->helped = he1 - he0;
		r->enters_s = r->window_s > 0 ? (double)r->enters / r->window_s : 0;
	}
	result_totals(r);
out_teardown:
	for (i = 0; i < c.threads; i++)
		tctx_teardown(&t[i]);
out:
	pool_stop(pool);
	free(t);
	free(s0);
	free(s1);
	r->err = ret;
	return ret;
}

/* ------------------------------------------------------------------------
 * Output: text tables, and a small JSON writer (pelctl's, in miniature).
 */
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

static void fmt_size(char *buf, size_t n, uint64_t v)
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

static bool result_ok(const struct result *r)
{
	return !r->skipped && !r->err && r->ops;
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : NAN;
}

/* ------------------------------------------------------------------------
 * One configuration, its baselines, ratios (the default mode).
 */
static unsigned int default_baselines(enum workload w)
{
	if (w == W_NOP)
		return 1U << E_URING | 1U << E_SQPOLL | 1U << E_SPSC;
	if (naive_names[w])
		return 1U << E_CPU | 1U << E_POOL | 1U << E_NAIVE;
	return 1U << E_CPU | 1U << E_POOL;
}

static int parse_baselines(const char *s, unsigned int *mask)
{
	char *dup = strdup(s), *tok, *save = NULL;
	unsigned int m = 0, e;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "none"))
			continue;
		if (!strcmp(tok, "all")) {
			m |= (1U << E_NR) - 1;
			continue;
		}
		for (e = 0; e < E_NR; e++)
			if (!strcmp(tok, engine_names[e]) ||
			    (e == E_SQPOLL && !strcmp(tok, "sqpoll")) ||
			    (e == E_SPSC && !strcmp(tok, "ring")) ||
			    (e == E_POOL && !strcmp(tok, "pool")) ||
			    (e == E_NAIVE && !strcmp(tok, "naive")))
				break;
		if (e == E_NR) {
			free(dup);
			return -EINVAL;
		}
		m |= 1U << e;
	}
	free(dup);
	*mask = m;
	return 0;
}

/*
 * File workloads: bytes an engine copies into user memory per byte of the
 * file it checks, by construction.  The baselines pread() every byte into
 * their buffer first; PEL's CRC-32C and SHA-256 read the page cache in the
 * kernel (or the user backend's mapping) and copy nothing; file_copy's
 * product is the copy, one byte per byte on every engine.
 */
static double file_copied_per_byte(enum engine e, enum workload w)
{
	if (w == W_FILE_COPY)
		return 1.0;
	/* The user backend pread()s into its bounce buffer, as a pool does. */
	return e == E_PEL && pel_backend_req == LPEL_BACKEND_KERNEL ? 0.0 : 1.0;
}

static int run_single(const struct cfg *c, enum engine primary,
		      unsigned int baselines, bool json)
{
	struct result *res = calloc(E_NR + 1, sizeof(*res));
	unsigned int n = 0, i, e;
	char sz[24];
	int status = 0;

	if (!res)
		return 1;
	fmt_size(sz, sizeof(sz), c->size);
	if (!json && w_is_file(c->w)) {
		char tot[24];

		fmt_size(tot, sizeof(tot), file_total);
		printf("%s: file %s, %s in %" PRIu64 " ranges of %s (the last %s)\n",
		       prog, file_path, tot, file_nranges, sz,
		       file_total % c->size ? "short" : "full");
	}
	if (!json)
		printf("%s: workload %s, transfer %s, depth %u, batch %u, %u thread%s, %.1f s, %s waits%s%s%s\n",
		       prog, workload_names[c->w], sz, c->depth, c->batch,
		       c->threads, c->threads == 1 ? "" : "s", c->seconds,
		       c->wait == WAIT_POLL ? "polled" : "blocking",
		       c->verify ? ", verify" : "",
		       c->fixed ? ", registered buffers" : "",
		       use_tsc ? "" : " (clock: clock_gettime)");
	run_engine(primary, c, &res[n++]);
	if ((w_is_file(c->w) || w_is_blocks(c->w)) && res[0].e == E_PEL && res[0].skipped)
		fprintf(json ? stderr : stdout, "%s: %s; running the baselines anyway\n",
			prog, res[0].errmsg + strlen("n/a: "));
	for (e = 0; e < E_NR; e++) {
		if (e == primary || !(baselines & (1U << e)))
			continue;
		if (!engine_supports(e, c->w))
			continue;
		run_engine(e, c, &res[n++]);
	}
	for (i = 0; i < n; i++)
		if (res[i].err || res[i].failed || res[i].miscompares)
			status = 1;

	if (json) {
		struct jw jw = { .out = stdout };

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
	} else {
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
	for (i = 0; i < n; i++)
		result_free(&res[i]);
	free(res);
	return status;
}

/* ------------------------------------------------------------------------
 * The suite (-S).  First the list of runs, then rounds over it: the runs
 * that the targets use are repeated (-R, interleaved, so that a noisy
 * moment of the host hits every engine alike) and summarised by the
 * median of each figure; the others run once.
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

static struct srun *sruns;
static unsigned int nr_sruns, cap_sruns;
static double suite_seconds = 0.5;
static unsigned int suite_rounds = 3;

/*
 * --subset=issue14: only the runs that issue 14's targets use (the user
 * backend against the pthread pool and the SPSC ring), and the one-thread
 * runs of the host check; what `make bench` runs on the host, where there
 * is no pel.ko.  NULL: the whole suite.
 */
static const char *suite_subset;
static const char *const subset_issue14[] = {
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
	/* --subset=issue15: the file runs. */
	if (!strcmp(suite_subset, "issue15"))
		return !strncmp(id, "file.", 5);
	for (i = 0; subset_issue14[i]; i++)
		if (!strcmp(subset_issue14[i], id))
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
static bool srun_planned(const char *id)
{
	unsigned int i;

	for (i = 0; i < nr_sruns; i++)
		if (!strcmp(sruns[i].id, id))
			return true;
	return false;
}

static const struct result *srun_find(const char *id)
{
	unsigned int i;

	for (i = 0; i < nr_sruns; i++)
		if (!strcmp(sruns[i].id, id))
			return sruns[i].have_med ? &sruns[i].med : NULL;
	return NULL;
}

static double srun_val(const char *id, char what)
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

/* The suite's file runs: ranges of this size (64 MiB; less for a smaller -s). */
#define FILE_OP_SIZE		(64ULL << 20)

/* "file.crc32c.256M[.cold].pel": the op, the file's size, cold or cached, the engine. */
static const char *file_run_id(char *buf, size_t n, enum workload w,
			       bool cold, enum engine e)
{
	char sz[24];

	fmt_size(sz, sizeof(sz), file_total);
	snprintf(buf, n, "file.%s.%s%s%s%s", workload_names[w] + strlen("file_"),
		 sz, cold ? ".cold" : "", e < E_NR ? "." : "",
		 e < E_NR ? engine_names[e] : "");
	return buf;
}

static double file_val(enum workload w, bool cold, enum engine e)
{
	char id[64];

	return srun_val(file_run_id(id, sizeof(id), w, cold, e), 'm');
}

/* Why a run has no figure ("n/a: " stripped), or NULL if it has one. */
static const char *srun_na(const char *id)
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
static const uint64_t sweep_sizes[] = {
	4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20,
};

/* Depth for a size: enough to overlap small ops, at most 64 MiB of them. */
static unsigned int sweep_depth(uint64_t size)
{
	uint64_t d = (64ULL << 20) / size;

	return d > 32 ? 32 : d < 1 ? 1 : (unsigned int)d;
}

static unsigned int sweep_batch(unsigned int depth)
{
	return depth >= 4 ? depth / 4 : 1;
}

enum cmp { CMP_GE, CMP_LE, CMP_EQ };
static const char *const cmp_names[] = { ">=", "<=", "==" };

struct target {
	const char *id;
	unsigned int issue;	/* whose target: 13 (PEL's), 14 (the user backend's) */
	const char *what;
	double value;
	double goal;
	enum cmp cmp;		/* value >= goal, <= goal, == goal */
	const char *invalid;	/* why the comparison says nothing here, or NULL */
	const char *na;		/* why there is no figure at all, or NULL */
};

static struct target targets[32];
static unsigned int nr_targets;
static unsigned int target_issue = 13;	/* the issue of the targets added next */

static struct target *target_add(const char *id, const char *what,
				  double value, double goal, enum cmp cmp)
{
	struct target *t = &targets[nr_targets++];

	t->id = id;
	t->issue = target_issue;
	t->what = what;
	t->value = value;
	t->goal = goal;
	t->cmp = cmp;
	t->invalid = NULL;
	t->na = NULL;
	return t;
}

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

static const char *spsc_invalid, *sqpoll_invalid, *parallel_invalid;
static const char *spsc_b32_invalid, *sqpoll_b32_invalid;
static const char *copy_parallel_invalid, *fixed_na;
static double spsc_p50_us, sqpoll_p50_us, pool_scaling, pool_copy_scaling;

/* Whether the figure reaches the goal, ignoring validity. */
static const char *target_reached(const struct target *t)
{
	if (t->value != t->value)
		return "n/a";
	switch (t->cmp) {
	case CMP_GE:
		return t->value >= t->goal ? "met" : "missed";
	case CMP_LE:
		return t->value <= t->goal ? "met" : "missed";
	case CMP_EQ:
		return t->value == t->goal ? "met" : "missed";
	}
	return "n/a";
}

/* met / missed / not valid on this host / n/a: why. */
static const char *target_verdict(const struct target *t)
{
	static char buf[sizeof(targets) / sizeof(targets[0])][256];

	if (t->na) {
		char *b = buf[t - targets];

		snprintf(b, sizeof(buf[0]), "n/a: %s", t->na);
		return b;
	}
	if (t->value != t->value)
		return "n/a";
	if (t->invalid)
		return "not valid on this host";
	return target_reached(t);
}

/* Idle: CPU time of the pel/N threads over a window starting after a pause. */
struct idle_res {
	bool ok;
	double after_s, window_s, pct_one_cpu;
	uint64_t wakeups;
	unsigned int nr_kthreads;
};

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

/* A Markdown cell: "-" for a figure that was not measured. */
static const char *md(double v, int prec)
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

static void md_targets(unsigned int issue)
{
	unsigned int i;

	if (issue == 14)
		printf("\n### Targets (issue 14: the user backend)\n\n");
	else if (issue == 15)
		printf("\n### Targets (issue 15: data locality)\n\n");
	else
		printf("\n### Targets (issue %u)\n\n", issue);
	printf("| target | measured | goal | verdict |\n|---|---:|---:|---|\n");
	for (i = 0; i < nr_targets; i++) {
		const struct target *t = &targets[i];

		if (t->issue != issue)
			continue;
		printf("| %s | %s | %s %.2f | %s%s%s%s |\n", t->what,
		       md(t->value, 2), cmp_names[t->cmp], t->goal,
		       target_verdict(t), t->invalid && !t->na ? " (" : "",
		       t->invalid && !t->na ? t->invalid : "",
		       t->invalid && !t->na ? ")" : "");
	}
}

static const char *file_parallel_invalid, *cold_reason;
static double pool_file_scaling;

/* Issue 15's file runs: cached and cold, PEL beside one thread and the pool. */
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
	printf("\n### Files (issue 15: data locality): %s of %s in %s ranges, depth 1 (MiB/s)\n\n",
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

/* --subset: its runs, issue 14's targets, and what the host gave. */
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
	if (!strcmp(suite_subset, "issue15")) {
		md_files(ncpu);
		md_targets(15);
		printf("\nHost check: pthread pool over one thread, file CRC32C %sx (%u CPUs; for PEL / one thread: at least %.2f).\n",
		       md(pool_file_scaling, 2), ncpu, PARALLEL_MIN * ncpu);
		if (file_parallel_invalid)
			printf("Not valid here: %s.\n", file_parallel_invalid);
		return;
	}
	md_targets(14);
	printf("\nHost check: round trip p50 at depth 1, SPSC ring %s us (co-scheduled CPUs: under %.0f us); pthread pool over one thread, CRC32C 64 MiB %sx, COPY 64 MiB %sx (%u CPUs).\n",
	       md(spsc_p50_us, 1), COSCHED_MAX_US, md(pool_scaling, 2),
	       md(pool_copy_scaling, 2), ncpu);
	if (spsc_invalid)
		printf("Not valid here: %s.\n", spsc_invalid);
}

static void suite_markdown(const struct idle_res *ir, unsigned int ncpu,
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
	md_targets(13);
	md_targets(14);
	md_targets(15);
	if (file_parallel_invalid)
		printf("\nNot valid here (issue 15, PEL / one thread): %s.\n", file_parallel_invalid);
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

static int suite_json(const char *path, const struct idle_res *ir,
		      unsigned int ncpu, const char *kernel,
		      const struct pel_info *info, bool have_info)
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
		jw_u64(&jw, "issue", t->issue);
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
	srun_add("lat.nop.pel", E_PEL, &c, true);	/* issue 14's round trip */
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
	 * Issue 15: a file of -s bytes (256 MiB) read in FILE_OP_SIZE ranges
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
static int file_open(const char *path, uint64_t total, bool quiet);

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

/*
 * Issue 15: data locality.  PEL reads the file where it lies (the page
 * cache, in the kernel) against pread() into a buffer and the library
 * call, on one thread and on the pool.  "n/a: why" where PEL's side could
 * not run (no file ops, no per-block digests on this backend or module).
 */
static void issue15_targets(void)
{
	static const struct {
		const char *id, *what;
		enum workload w;
		enum engine vs;
		double goal;
	} tt[] = {
		{ "file_crc_vs_pool", "file CRC32C %s cached: PEL / pthread pool",
		  W_FILE_CRC32C, E_POOL, 1.0 },
		{ "file_crc_vs_1t", "file CRC32C %s cached: PEL / one thread",
		  W_FILE_CRC32C, E_CPU, 1.7 },
		{ "file_copy_vs_pool", "file COPY %s cached: PEL / pthread pool",
		  W_FILE_COPY, E_POOL, 1.0 },
		{ "file_copy_vs_1t", "file COPY %s cached: PEL / one thread",
		  W_FILE_COPY, E_CPU, 1.7 },
		{ "file_sha256_blocks_vs_1t", "per-block SHA-256 (1 MiB blocks) of %s: PEL / one OpenSSL thread",
		  W_FILE_SHA256_BLOCKS, E_CPU, 1.7 },
		{ "file_sha256_blocks_vs_pool", "per-block SHA-256 (1 MiB blocks) of %s: PEL / OpenSSL pool",
		  W_FILE_SHA256_BLOCKS, E_POOL, 1.0 },
	};
	static char what[ARRAY_SIZE(tt)][128];
	unsigned int i;
	char id[64], sz[32];

	if (file_total % (1 << 20))
		snprintf(sz, sizeof(sz), "%" PRIu64 " bytes", file_total);
	else
		snprintf(sz, sizeof(sz), "%" PRIu64 " MiB", file_total >> 20);
	target_issue = 15;
	for (i = 0; i < ARRAY_SIZE(tt); i++) {
		struct target *t;

		snprintf(what[i], sizeof(what[i]), tt[i].what, sz);
		t = target_add(tt[i].id, what[i],
			       ratio(file_val(tt[i].w, false, E_PEL),
				     file_val(tt[i].w, false, tt[i].vs)),
			       tt[i].goal, CMP_GE);
		t->na = srun_na(file_run_id(id, sizeof(id), tt[i].w, false, E_PEL));
		if (tt[i].vs == E_CPU)
			t->invalid = file_parallel_invalid;
	}
}

static int run_suite(const char *json_path)
{
	unsigned int ncpu = nr_online_cpus(), i, k, round, failures = 0;
	struct pel_info info;
	bool have_info = !pel_info(&info);
	struct idle_res ir;
	struct utsname u;
	const char *user_na;
	struct target *t;
	double lat_sum;
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

	/* A check whose runs are not in this suite (--subset) says nothing. */
	spsc_p50_us = srun_val("lat.nop.spsc_ring", '5') / 1e3;
	if (!(spsc_p50_us < COSCHED_MAX_US) && srun_planned("lat.nop.spsc_ring"))
		spsc_invalid = "the SPSC ring was starved: vCPUs not co-scheduled by the host (its round trip p50 above 50 us)";
	sqpoll_p50_us = srun_val("lat.nop.io_uring_sqpoll", '5') / 1e3;
	if (!(sqpoll_p50_us < COSCHED_MAX_US) && srun_planned("lat.nop.io_uring_sqpoll"))
		sqpoll_invalid = "SQPOLL was starved: vCPUs not co-scheduled by the host (its NOP round trip p50 above 50 us)";
	if (!(srun_val("nop.b32.io_uring_sqpoll", '5') / 1e3 < STARVED_US) &&
	    srun_planned("nop.b32.io_uring_sqpoll"))
		sqpoll_b32_invalid = "SQPOLL was starved in its NOP run: vCPUs not co-scheduled by the host (p50 above 200 us)";
	if (!(srun_val("nop.b32.spsc_ring", '5') / 1e3 < STARVED_US) &&
	    srun_planned("nop.b32.spsc_ring"))
		spsc_b32_invalid = "the SPSC ring was starved in its NOP run: vCPUs not co-scheduled by the host (p50 above 200 us)";
	pool_scaling = ratio(srun_val("crc32c.64M.pthread_pool", 'm'),
			     srun_val("crc32c.64M.cpu", 'm'));
	if (!(pool_scaling >= PARALLEL_MIN * ncpu))
		parallel_invalid = "the host did not give N vCPUs' worth of parallelism (pthread pool CRC32C below 0.75 N x one thread)";

	/*
	 * "N x one thread" for COPY counts where the pool itself reached
	 * 0.9 N on COPY (the issue's rule); the CRC32C scaling above is the
	 * general parallelism check.
	 */
	pool_copy_scaling = ratio(srun_val("copy.64M.pthread_pool", 'm'),
				  srun_val("copy.64M.cpu", 'm'));
	if (!(pool_copy_scaling >= COPY_PARALLEL_MIN * ncpu))
		copy_parallel_invalid = "the pthread pool's COPY 64 MiB did not reach 0.9 N x one thread";
	if (pel_on_kernel() && !pel_has_feature(PEL_FEAT_REGISTERED_BUFFERS))
		fixed_na = "module lacks registered buffers";

	/* Issue 15's "PEL / one thread" counts where the pool itself scaled. */
	pool_file_scaling = ratio(file_val(W_FILE_CRC32C, false, E_POOL),
				  file_val(W_FILE_CRC32C, false, E_CPU));
	if (!(pool_file_scaling >= PARALLEL_MIN * ncpu) &&
	    srun_planned(file_run_id(id, sizeof(id), W_FILE_CRC32C, false, E_POOL)))
		file_parallel_invalid = "the host did not give N vCPUs' worth of parallelism (the pthread pool's file CRC32C below 0.75 N x one thread)";

	if (suite_subset && !strcmp(suite_subset, "issue15"))
		goto issue15;
	if (suite_subset)
		goto issue14;
	target_add("nop_vs_io_uring", "NOP b32 polled: PEL / io_uring plain",
		   ratio(srun_val("nop.b32.pel", 'o'), srun_val("nop.b32.io_uring", 'o')),
		   1.0, CMP_GE);
	target_add("nop_vs_spsc", "NOP b32 polled: PEL / raw SPSC ring (stretch)",
		   ratio(srun_val("nop.b32.pel", 'o'), srun_val("nop.b32.spsc_ring", 'o')),
		   0.5, CMP_GE)->invalid = spsc_b32_invalid;
	target_add("nop_block_vs_io_uring", "NOP b32 blocking (helping) waits: PEL / io_uring plain",
		   ratio(srun_val("nop.b32.pel_block", 'o'), srun_val("nop.b32.io_uring", 'o')),
		   1.0, CMP_GE);
	target_add("nop_enters", "NOP b32 polled: PEL_IOC_ENTER/s",
		   srun_val("nop.b32.pel", 'E'), 0, CMP_EQ)->na =
		pel_on_kernel() ? NULL : "kernel backend only";
	target_add("copy64m_vs_pool", "COPY 64 MiB: PEL / pthread pool",
		   ratio(srun_val("copy.64M.pel", 'm'), srun_val("copy.64M.pthread_pool", 'm')),
		   1.0, CMP_GE);
	target_add("copy64m_vs_1t", "COPY 64 MiB: PEL / (N x 1 thread)",
		   ratio(srun_val("copy.64M.pel", 'm'), ncpu * srun_val("copy.64M.cpu", 'm')),
		   0.9, CMP_GE)->invalid = copy_parallel_invalid;
	target_add("copy64m_fixed_vs_pool", "COPY 64 MiB, registered buffers: PEL / pthread pool",
		   ratio(srun_val("copy.64M.pel_fixed", 'm'), srun_val("copy.64M.pthread_pool", 'm')),
		   1.2, CMP_GE)->na = fixed_na;
	target_add("crc64m_vs_pool", "CRC32C 64 MiB: PEL / pthread pool",
		   ratio(srun_val("crc32c.64M.pel", 'm'), srun_val("crc32c.64M.pthread_pool", 'm')),
		   1.0, CMP_GE);
	target_add("crc64m_fixed_vs_pool", "CRC32C 64 MiB, registered buffers: PEL / pthread pool",
		   ratio(srun_val("crc32c.64M.pel_fixed", 'm'), srun_val("crc32c.64M.pthread_pool", 'm')),
		   1.1, CMP_GE)->na = fixed_na;
	lat_sum = srun_val("lat.nop.io_uring", '5') + srun_val("lat.copy4k.cpu", '5');
	target_add("lat_p50_vs_sum", "COPY 4 KiB depth 1 p50: PEL / (io_uring NOP p50 + memcpy 4 KiB p50)",
		   ratio(srun_val("lat.copy4k.pel", '5'), lat_sum), 2.0, CMP_LE);
	target_add("lat_p99_vs_sum", "COPY 4 KiB depth 1 p99: PEL / (io_uring NOP p50 + memcpy 4 KiB p50)",
		   ratio(srun_val("lat.copy4k.pel", '9'), lat_sum), 10.0, CMP_LE);
	target_add("idle", "Idle: % of one CPU, 1 s after the last op",
		   ir.ok ? ir.pct_one_cpu : NAN, 0, CMP_EQ)->na =
		pel_on_kernel() ? NULL : "kernel backend only (the pel/N threads)";

issue14:
	/*
	 * Issue 14: the user backend is a thread pool, so it must at least
	 * match the pthread pool on 64 MiB ops, and its NOP round trip (depth
	 * 1, batch 1, polled) be within 2x of the raw SPSC ring's.  On the
	 * kernel backend these are n/a (the kernel's are issue 13's).
	 */
	target_issue = 14;
	user_na = pel_on_kernel() ? "user backend only (-e user)" : NULL;
	/* No figure on the kernel: PEL's runs there are not the user backend's. */
#define USER_RATIO(a, b)	(user_na ? NAN : ratio((a), (b)))
	target_add("user_copy64m_vs_pool", "User backend COPY 64 MiB: PEL / pthread pool",
		   USER_RATIO(srun_val("copy.64M.pel", 'm'), srun_val("copy.64M.pthread_pool", 'm')),
		   1.0, CMP_GE)->na = user_na;
	target_add("user_crc64m_vs_pool", "User backend CRC32C 64 MiB: PEL / pthread pool",
		   USER_RATIO(srun_val("crc32c.64M.pel", 'm'), srun_val("crc32c.64M.pthread_pool", 'm')),
		   1.0, CMP_GE)->na = user_na;
	t = target_add("user_nop_rtt_vs_spsc",
		       "User backend NOP round trip (depth 1, batch 1) p50: PEL / raw SPSC ring",
		       USER_RATIO(srun_val("lat.nop.pel", '5'), srun_val("lat.nop.spsc_ring", '5')),
		       2.0, CMP_LE);
#undef USER_RATIO
	t->na = user_na;
	t->invalid = spsc_invalid;
	if (suite_subset)
		goto done;

issue15:
	issue15_targets();
done:

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

/* ------------------------------------------------------------------------
 * Options.
 */
static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f,
		"Usage: %s [OPTIONS]          one workload, with baselines\n"
		"       %s -S [-t S] [-R N] [-J FILE] [-e user] [--subset=issue14]\n"
		"                   the fixed suite: Markdown, and JSON to FILE\n"
		"\n"
		"  -w WORKLOAD  ", prog, prog);
	for (i = 0; i < W_NR; i++)
		fprintf(f, "%s%s", workload_names[i], i + 1 < W_NR ? ", " : " (default copy)\n");
	fprintf(f,
		"  -q DEPTH     ops in flight per thread (default 32)\n"
		"  -b BATCH     ops per submission, <= DEPTH (default DEPTH/4)\n"
		"  -o SIZE      bytes per op, K/M/G suffixes (default 4K)\n"
		"  -T THREADS   submitting threads (default 1)\n"
		"  -t SECONDS   measuring time per run (default 1; warm-up 0.2 s more)\n"
		"  -y           verify every result (slower: outputs are poisoned and checked)\n"
		"  -P MODE      poll: spin on the CQ a little, then block (the library's wait;\n"
		"               default); block: always block in the kernel\n"
		"  -x NSRCS     XOR sources, 1..%d (default 2)\n"
		"  -f PATH      file_*: the file to read; made -s bytes long, of pseudo-random\n"
		"               bytes, if it is absent or shorter (its first -s bytes are read)\n"
		"  -s TOTAL     file_*: bytes of the file the ops cover, K/M/G suffixes\n"
		"               (default 256M); ranges of -o bytes, the last one short\n"
		"  --block=SIZE *_blocks: a digest of every SIZE bytes of each op\n"
		"               (PEL_OPF_BLOCKS; default 1M, at least 512; the last short)\n"
		"  --cold       file_*, -q 1: drop the page cache (echo 3 >\n"
		"               /proc/sys/vm/drop_caches, root) before each op, untimed;\n"
		"               n/a where that cannot be done or the file is on tmpfs\n"
		"  --file-dir=DIR  -S: where the suite's file runs make their file\n"
		"               (pelbench-file-TOTAL; default $PEL_BENCH_FILE_DIR, else /tmp;\n"
		"               -f PATH names the file itself, -s its size, default 256M)\n"
		"  -F, --fixed  PEL: register the buffers (PEL_IOC_REGISTER_BUFFERS) and\n"
		"               set PEL_SQE_FIXED on every SQE; needs the module's\n"
		"               PEL_FEAT_REGISTERED_BUFFERS (else the run is n/a)\n"
		"  -e ENGINE    what -w runs on (default pel): kernel or pel: PEL on pel.ko;\n"
		"               user: PEL on liblpel's user backend (LPEL_BACKEND_USER;\n"
		"               the kernel-only figures, ENTER/s and the workers', are n/a;\n"
		"               -S too; without -e, LPEL_BACKEND=user in the environment\n"
		"               is the same); or a baseline: ", PEL_XOR_MAX_SRCS);
	for (i = 1; i < E_NR; i++)
		fprintf(f, "%s%s", engine_names[i], i + 1 < E_NR ? ", " : "\n");
	fprintf(f,
		"  -B LIST      baselines, comma-separated engines, 'all' or 'none'\n"
		"               (default: io_uring,io_uring_sqpoll,spsc_ring for nop;\n"
		"               cpu,pthread_pool otherwise, and cpu_naive for crc32c,\n"
		"               copy_crc32c and xor)\n"
		"               file_*: cpu and pthread_pool pread() each range, then\n"
		"               ISA-L crc32_iscsi, OpenSSL SHA-256 or nothing\n"
		"               cpu, pthread_pool: glibc mem*, ISA-L crc32_iscsi and\n"
		"               xor_gen, OpenSSL SHA-256; cpu_naive: an SSE4.2 crc32\n"
		"               loop, a word XOR loop (a reference, not a baseline)\n"
		"  -j           JSON output\n"
		"  -S, --suite  run the fixed suite (-t default 0.5 there)\n"
		"  -R ROUNDS    -S: rounds of the runs that targets use; medians (default 3)\n"
		"  -J FILE      where -S writes its JSON ('-': stdout; default pelbench-suite.json)\n"
		"  --subset=issue14  -S: only the runs of issue 14's targets (the user\n"
		"               backend vs the pthread pool on 64 MiB COPY and CRC32C, its\n"
		"               NOP round trip vs the SPSC ring), with -e user\n"
		"  --subset=issue15  -S: only the file runs (issue 15's targets, and the\n"
		"               cold-cache runs beside them)\n"
		"  --sq=local|next  PEL: submit to this CPU's queue (the library's choice,\n"
		"               default) or to the next CPU's (an experiment)\n"
		"  --cpu-copy=memcpy|movsb  how the cpu and pool engines copy (default memcpy;\n"
		"               movsb: \"rep movsb\", as the kernel's copy_{to,from}_user())\n"
		"  -h           this text\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case 0:
		break;
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'G':
		v <<= 30;
		end++;
		break;
	default:
		return -EINVAL;
	}
	if (*end == 'i' || *end == 'I')
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

/*
 * The file workloads' file: opened (made, or extended to @total bytes of
 * pseudo-random data, a different seed per MiB), then read once so that
 * every engine finds it in the page cache.  0, or 1 with a message.
 */
static int file_open(const char *path, uint64_t total, bool quiet)
{
	const size_t chunk = 1 << 20;
	struct stat st;
	uint8_t *buf;
	uint64_t off, have = 0;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EISDIR))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: -f %s: cannot open: %s\n", prog, path, strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: -f %s: not a regular file\n", prog, path);
		close(fd);
		return 1;
	}
	have = (uint64_t)st.st_size;
	buf = buf_alloc(chunk);
	if (!buf) {
		fprintf(stderr, "%s: -f %s: out of memory\n", prog, path);
		close(fd);
		return 1;
	}
	if (have < total) {
		if (!quiet)
			printf("%s: -f %s: %s, writing %" PRIu64 " MiB of pseudo-random bytes up to -s %" PRIu64 " bytes\n",
			       prog, path, have ? "shorter than -s" : "new",
			       (total - have + (1 << 20) - 1) >> 20, total);
		for (off = have; off < total && !err; ) {
			uint64_t n = total - off < chunk ? total - off : chunk;
			ssize_t w;

			fill_random(buf, n, 0x9e3779b97f4a7c15ULL * (off / chunk + 1) ^ off);
			w = pwrite(fd, buf, n, (off_t)off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				err = w < 0 ? errno : ENOSPC;
			else
				off += (uint64_t)w;
		}
		if (err) {
			fprintf(stderr, "%s: -f %s: cannot write it to %" PRIu64 " bytes: %s\n",
				prog, path, total, strerror(err));
			goto fail;
		}
	}
	/* Read once: into the page cache for every engine alike. */
	for (off = 0; off < total; off += chunk) {
		uint64_t n = total - off < chunk ? total - off : chunk;
		int64_t got = pread_full(fd, buf, n, off);

		if (got != (int64_t)n) {
			fprintf(stderr, "%s: -f %s: read at %" PRIu64 ": %s\n", prog, path,
				off, got < 0 ? strerror((int)-got) : "short read");
			goto fail;
		}
	}
	buf_free(buf, chunk);
	file_fd = fd;
	return 0;
fail:
	buf_free(buf, chunk);
	close(fd);
	return 1;
}

static int parse_uint(const char *s, unsigned int min, unsigned int max,
		      unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

enum { OPT_BLOCK = 256, OPT_COLD, OPT_FILE_DIR };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "suite", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "cpu-copy", required_argument, NULL, 'C' },
		{ "sq", required_argument, NULL, 'Q' },
		{ "fixed", no_argument, NULL, 'F' },
		{ "subset", required_argument, NULL, 'U' },
		{ "block", required_argument, NULL, OPT_BLOCK },
		{ "cold", no_argument, NULL, OPT_COLD },
		{ "file-dir", required_argument, NULL, OPT_FILE_DIR },
		{ 0 }
	};
	struct cfg c = {
		.w = W_COPY, .depth = 32, .batch = 0, .threads = 1,
		.nsrcs = 2, .size = 4096, .seconds = 1.0, .wait = WAIT_POLL,
		.block = DEFAULT_BLOCK,
	};
	bool block_given = false;
	const char *json_path = "pelbench-suite.json", *blist = NULL;
	enum engine primary = E_PEL;
	unsigned int baselines, i;
	bool json = false, suite = false, e_given = false;
	const char *env;
	char *end;
	int opt;

	while ((opt = getopt_long(argc, argv, "w:q:b:o:T:t:yP:x:e:B:jSR:J:Ff:s:h",
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'w':
			for (i = 0; i < W_NR; i++)
				if (!strcmp(optarg, workload_names[i]))
					break;
			if (i == W_NR)
				goto bad;
			c.w = i;
			break;
		case 'q':
			if (parse_uint(optarg, 1, MAX_DEPTH, &c.depth))
				goto bad;
			break;
		case 'b':
			if (parse_uint(optarg, 1, MAX_DEPTH, &c.batch))
				goto bad;
			break;
		case 'o':
			if (parse_size(optarg, &c.size) || c.size > PEL_MAX_OP_LEN)
				goto bad;
			break;
		case 'T':
			if (parse_uint(optarg, 1, MAX_THREADS, &c.threads))
				goto bad;
			break;
		case 't':
			c.seconds = strtod(optarg, &end);
			if (*end || !(c.seconds > 0) || c.seconds > 3600)
				goto bad;
			suite_seconds = c.seconds;
			break;
		case 'y':
			c.verify = true;
			break;
		case 'F':
			c.fixed = true;
			break;
		case 'f':
			if (!*optarg)
				goto bad;
			file_path = optarg;
			break;
		case 's':
			if (parse_size(optarg, &file_total) || !file_total)
				goto bad;
			file_given_total = true;
			break;
		case 'P':
			if (!strcmp(optarg, "poll") || !strcmp(optarg, "polled"))
				c.wait = WAIT_POLL;
			else if (!strcmp(optarg, "block") || !strcmp(optarg, "blocking"))
				c.wait = WAIT_BLOCK;
			else
				goto bad;
			break;
		case 'x':
			if (parse_uint(optarg, 1, PEL_XOR_MAX_SRCS, &c.nsrcs))
				goto bad;
			break;
		case 'e':
			e_given = true;
			if (!strcmp(optarg, "user") || !strcmp(optarg, "kernel")) {
				primary = E_PEL;
				pel_backend_req = optarg[0] == 'u' ? LPEL_BACKEND_USER :
						  LPEL_BACKEND_KERNEL;
				break;
			}
			for (i = 0; i < E_NR; i++)
				if (!strcmp(optarg, engine_names[i]))
					break;
			if (i == E_NR)
				goto bad;
			primary = i;
			if (i == E_PEL)
				pel_backend_req = LPEL_BACKEND_KERNEL;
			break;
		case 'B':
			blist = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'S':
			suite = true;
			break;
		case 'R':
			if (parse_uint(optarg, 1, MAX_ROUNDS, &suite_rounds))
				goto bad;
			break;
		case 'J':
			json_path = optarg;
			break;
		case 'U':
			if (!strcmp(optarg, "issue14"))
				suite_subset = "issue14";
			else if (!strcmp(optarg, "issue15"))
				suite_subset = "issue15";
			else
				goto bad;
			break;
		case OPT_BLOCK:
			if (parse_size(optarg, &c.block) || c.block < PEL_BLOCK_MIN ||
			    c.block > PEL_MAX_OP_LEN)
				goto bad;
			block_given = true;
			break;
		case OPT_COLD:
			c.cold = true;
			break;
		case OPT_FILE_DIR:
			if (!*optarg)
				goto bad;
			file_dir = optarg;
			break;
		case 'Q':
			if (!strcmp(optarg, "next"))
				sq_next = true;
			else if (strcmp(optarg, "local"))
				goto bad;
			break;
		case 'C':
			if (!strcmp(optarg, "movsb"))
				cpu_copy_movsb = true;
			else if (strcmp(optarg, "memcpy"))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}

	/* Without -e, $LPEL_BACKEND=user (or kernel) picks PEL's backend. */
	env = getenv("LPEL_BACKEND");
	if (!e_given && env && !strcmp(env, "user"))
		pel_backend_req = LPEL_BACKEND_USER;
	if (!c.batch)
		c.batch = c.depth >= 4 ? c.depth / 4 : 1;
	if (c.batch > c.depth) {
		fprintf(stderr, "%s: batch %u is larger than depth %u\n", prog,
			c.batch, c.depth);
		return EXIT_USAGE;
	}
	if (c.w == W_NOP)
		c.size = 0;
	else if (!c.size) {
		fprintf(stderr, "%s: transfer size 0\n", prog);
		return EXIT_USAGE;
	}
	if (c.size * (c.depth + c.nsrcs + 2) * c.threads > MAX_BUFFER_BYTES) {
		fprintf(stderr, "%s: depth x size x threads needs more than %llu MiB of buffers\n",
			prog, MAX_BUFFER_BYTES >> 20);
		return EXIT_USAGE;
	}
	baselines = default_baselines(c.w);
	if (blist && parse_baselines(blist, &baselines)) {
		fprintf(stderr, "%s: bad -B list '%s'\n", prog, blist);
		return EXIT_USAGE;
	}

	if (w_is_file(c.w) && !suite) {
		if (!file_path) {
			fprintf(stderr, "%s: -w %s needs -f PATH, the file to read\n",
				prog, workload_names[c.w]);
			return EXIT_USAGE;
		}
		if (c.fixed) {
			fprintf(stderr, "%s: -F (registered buffers) does not apply to -w %s\n",
				prog, workload_names[c.w]);
			return EXIT_USAGE;
		}
	} else if (!suite && (file_path || file_given_total)) {
		fprintf(stderr, "%s: -f and -s are for the file workloads (file_crc32c, file_copy, file_sha256, file_sha256_blocks, file_crc32c_blocks), not -w %s\n",
			prog, workload_names[c.w]);
		return EXIT_USAGE;
	}
	if (!suite && block_given && !w_is_blocks(c.w)) {
		fprintf(stderr, "%s: --block is for the per-block workloads (sha256_blocks, file_sha256_blocks, file_crc32c_blocks), not -w %s\n",
			prog, workload_names[c.w]);
		return EXIT_USAGE;
	}
	if (!suite && c.cold && (!w_is_file(c.w) || c.depth != 1)) {
		fprintf(stderr, "%s: --cold is for the file workloads at depth 1 (-q 1)\n", prog);
		return EXIT_USAGE;
	}
	if (suite_subset && !suite) {
		fprintf(stderr, "%s: --subset is for the suite (-S)\n", prog);
		return EXIT_USAGE;
	}
	crc32c_init();
	clock_init();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (suite)
		return run_suite(json_path);
	if (w_is_file(c.w)) {
		if (file_open(file_path, file_total, json))
			return 1;
		file_nranges = (file_total + c.size - 1) / c.size;
	}
	return run_single(&c, primary, baselines, json);

bad:
	if (opt >= OPT_BLOCK)
		fprintf(stderr, "%s: bad value '%s' for --%s\n", prog, optarg,
			opt == OPT_BLOCK ? "block" : "file-dir");
	else
		fprintf(stderr, "%s: bad value '%s' for -%c\n", prog, optarg, opt);
	usage(stderr);
	return EXIT_USAGE;
}
