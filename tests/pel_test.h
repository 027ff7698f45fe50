/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the PEL selftests.  Each test file covers one feature
 * and uses the kselftest harness (TEST/TEST_F, ASSERT/EXPECT), included
 * here too for the helpers that assert; each ends with TEST_HARNESS_MAIN.
 */
#ifndef PEL_TEST_H
#define PEL_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lpel.h"
#include "kselftest_harness.h"

/*
 * Whether the tests run on liblpel's user backend (LPEL_BACKEND=user): no
 * pel.ko, so no ioctls on the ring fd (an eventfd), no worker or context
 * stats, fdinfo, module parameters or /dev/pel.
 */
static inline bool pel_test_user_backend(void)
{
	const char *b = getenv("LPEL_BACKEND");

	return b && !strcmp(b, "user");
}

/* In a TEST(): SKIP it on the user backend, which lacks what it checks. */
#define PEL_TEST_KERNEL_ONLY(what)					\
	do {								\
		if (pel_test_user_backend())				\
			SKIP(return, "kernel backend only: %s", what);	\
	} while (0)

/*
 * Make the page at hole (mapped by the caller) a hole ops must fault on.
 * On the kernel backend it is unmapped.  On the user backend it stays
 * mapped PROT_NONE instead: a page just unmapped may be mapped again at
 * once by another thread of the process (the pool's, a sanitizer's
 * allocator), and the op would then succeed on it.  The same -EFAULT.
 */
static inline int pel_test_make_hole(void *hole, size_t len)
{
	if (pel_test_user_backend())
		return mprotect(hole, len, PROT_NONE);
	return munmap(hole, len);
}

/* An address in the kernel's half: copies to or from it must fault. */
#define PEL_TEST_KERNEL_ADDR	0xffffffff81000000ULL

static inline int pel_test_open(void)
{
	return open(PEL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

/* PEL_IOC_SETUP on a fresh fd; returns 0 or -errno. */
static inline int pel_test_setup(int fd, struct pel_setup *p)
{
	return ioctl(fd, PEL_IOC_SETUP, p) < 0 ? -errno : 0;
}

static inline int pel_test_enter(int fd, struct pel_enter *e)
{
	int ret = ioctl(fd, PEL_IOC_ENTER, e);

	return ret < 0 ? -errno : ret;
}

/*
 * The next process or thread of the /proc directory d, opened as dir ("/proc",
 * "/proc/self/task"), whose dir/<pid>/file could be read: its first line goes
 * to line.  NULL at the end of d.
 */
static inline struct dirent *pel_test_proc_next(DIR *d, const char *dir,
						const char *file,
						char *line, int len)
{
	struct dirent *de;

	while ((de = readdir(d))) {
		char path[300];
		FILE *f;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", dir, de->d_name, file);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(line, len, f)) {
			fclose(f);
			continue;
		}
		fclose(f);
		return de;
	}
	return NULL;
}

/*
 * The user backend's live pools in this process: threads named
 * "lpel-user/0", one per ring set up (lib/user.c names its workers
 * "lpel-user/N").  A pool that lpel_exit() tore down has none left.
 */
static inline unsigned int pel_test_user_pools(void)
{
	DIR *d = opendir("/proc/self/task");
	char comm[32];
	unsigned int n = 0;

	if (!d)
		return ~0U;
	while (pel_test_proc_next(d, "/proc/self/task", "comm", comm, sizeof(comm)))
		n += !strcmp(comm, "lpel-user/0\n");
	closedir(d);
	return n;
}

static inline int pel_test_info(struct pel_info *info)
{
	int fd, ret;

	/*
	 * The user backend mirrors the module's defaults (lib/user.c); its
	 * contexts are this process's pools, counted by their first thread.
	 */
	if (pel_test_user_backend()) {
		memset(info, 0, sizeof(*info));
		info->nr_contexts = pel_test_user_pools();
		info->size = sizeof(*info);
		info->abi_version = PEL_ABI_VERSION;
		info->features = PEL_FEATURES_ALL & ~PEL_FEAT_STATS;
		info->idle_us = 500;
		info->batch = 32;
		info->split_bytes = 1U << 20;
		info->max_inflight = 4096;
		return 0;
	}
	fd = pel_test_open();

	if (fd < 0)
		return -errno;
	ret = lpel_info(fd, info);
	close(fd);
	return ret;
}

static inline int pel_test_worker_stats(unsigned int cpu,
					struct pel_worker_stats *st)
{
	int fd = pel_test_open(), ret;

	if (fd < 0)
		return -errno;
	ret = lpel_worker_stats(fd, cpu, st);
	close(fd);
	return ret;
}

static inline uint64_t pel_test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Deterministic bytes that differ from one offset and seed to the next. */
static inline void pel_test_pattern(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	uint32_t x = seed * 2654435761U + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/*
 * Submit one prepared SQE on queue q and wait for its CQE; copies the CQE
 * out and marks it seen.  Returns 0 or -errno from the library.
 */
static inline int pel_test_run_one(struct lpel_ring *ring, struct pel_sqe *sqe,
				   struct pel_cqe *out)
{
	struct pel_cqe *cqe;
	int ret;

	(void)sqe;
	ret = lpel_submit(ring);
	if (ret < 0)
		return ret;
	ret = lpel_wait_cqe_timeout(ring, &cqe, 20ULL * 1000000000ULL);
	if (ret < 0)
		return ret;
	*out = *cqe;
	lpel_cqe_seen(ring, cqe);
	return 0;
}

/*
 * As pel_test_run_one(), but reaped by polling the CQ, never blocking in
 * the kernel: a blocking wait would run the op itself (the owner helps),
 * and some tests want to see what the workers do.
 */
static inline int pel_test_run_one_polled(struct lpel_ring *ring,
					  struct pel_cqe *out)
{
	uint64_t end = pel_test_now_ns() + 20ULL * 1000000000ULL;
	struct pel_cqe *cqe;
	int ret = lpel_submit(ring);

	if (ret < 0)
		return ret;
	while (lpel_peek_cqe(ring, &cqe)) {
		if (pel_test_now_ns() > end)
			return -ETIME;
		usleep(50);
	}
	*out = *cqe;
	lpel_cqe_seen(ring, cqe);
	return 0;
}

/* mmap a buffer with an inaccessible page at byte offset hole (page-aligned). */
static inline void *pel_test_holey_buffer(size_t len, size_t hole)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len);
	if (mprotect(p + hole, pg, PROT_NONE)) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

/*
 * FIXTURE(ring): one context with @entries SQ entries a queue, set up
 * before each TEST_F(ring, ...) and torn down after it.
 */
#define PEL_TEST_RING_FIXTURE(entries)					\
	FIXTURE(ring) {							\
		struct lpel_ring ring;					\
	};								\
									\
	FIXTURE_SETUP(ring)						\
	{								\
		int ret = lpel_init(&self->ring, (entries));		\
									\
		ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret)); \
	}								\
									\
	FIXTURE_TEARDOWN(ring)						\
	{								\
		lpel_exit(&self->ring);					\
	}

/*
 * Random bytes, 8 at a time (splitmix64): fast enough under TCG.  Not
 * inline: inlined into its callers, it has GCC warn of sizes that cannot
 * be (-Wstringop-overflow, -Wmaybe-uninitialized).
 */
static __attribute__((unused)) void pel_test_fill_random(void *buf, size_t len,
							  uint64_t seed)
{
	uint8_t *p = buf;
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 0x632be59bd9b4e019ULL;
	size_t i = 0;

	while (i < len) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
		size_t n = len - i < 8 ? len - i : 8;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(p + i, &z, n);
		i += n;
	}
}

/*
 * The byte at p, which an op in flight may be writing right now: a test
 * that waits to see an op start.  A race by design (the worker writes with
 * plain stores; on the kernel backend, from another CPU), so not
 * instrumented by ThreadSanitizer, which would report it.  Volatile: read
 * again at every call.
 */
static inline __attribute__((no_sanitize("thread")))
uint8_t pel_test_peek(const volatile uint8_t *p)
{
	return *p;
}

/* Index of the first difference between a and b, or len when equal. */
static inline size_t pel_test_first_diff(const uint8_t *a, const uint8_t *b,
					 size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			break;
	return i;
}

/* Index of the first byte of buf[0..len) that is not c, or len. */
static inline size_t pel_test_first_not(const uint8_t *buf, uint8_t c,
					size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != c)
			break;
	return i;
}

/*
 * The top bits of the user_data pel_test_run_sqe() gives its SQEs; a test
 * may define its own before including this file.
 */
#ifndef PEL_TEST_USER_DATA_TAG
#define PEL_TEST_USER_DATA_TAG	0x7e57000000000000ULL
#endif

/* Run a copy of tmpl with a fresh user_data; it must come back. */
static inline void pel_test_run_sqe(struct __test_metadata *_metadata,
				    struct lpel_ring *ring,
				    const struct pel_sqe *tmpl,
				    struct pel_cqe *cqe, const char *what)
{
	static uint64_t next_user_data;
	struct pel_sqe *sqe = lpel_get_sqe(ring);
	uint64_t ud = PEL_TEST_USER_DATA_TAG | ++next_user_data;
	int ret;

	ASSERT_NE(NULL, sqe) TH_LOG("%s: no free SQE", what);
	*sqe = *tmpl;
	sqe->user_data = ud;
	ret = pel_test_run_one(ring, sqe, cqe);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", what, strerror(-ret));
	ASSERT_EQ(ud, cqe->user_data) TH_LOG("%s: user_data %#llx", what,
					     (unsigned long long)cqe->user_data);
}

/* Run tmpl as pel_test_run_sqe() does: it must end with res and result. */
static inline void pel_test_expect_op(struct __test_metadata *_metadata,
				      struct lpel_ring *ring,
				      const struct pel_sqe *tmpl, int res,
				      uint64_t result, const char *what)
{
	struct pel_cqe cqe;

	pel_test_run_sqe(_metadata, ring, tmpl, &cqe, what);
	ASSERT_EQ(res, cqe.res) TH_LOG("%s: res %d, want %d (result %llu)",
				       what, cqe.res, res,
				       (unsigned long long)cqe.result);
	ASSERT_EQ(result, cqe.result) TH_LOG("%s: result %llu, want %llu",
					     what, (unsigned long long)cqe.result,
					     (unsigned long long)result);
	ASSERT_EQ(0, cqe.flags) TH_LOG("%s: cqe.flags %#x", what, cqe.flags);
}

/* The state (PEL_WORKER_*) of cpu's worker, or -errno. */
static inline int pel_test_worker_state(unsigned int cpu)
{
	struct pel_worker_stats st;
	int ret = pel_test_worker_stats(cpu, &st);

	return ret ? ret : (int)st.state;
}

/* The queue homed on cpu, or -1. */
static inline int pel_test_queue_of_cpu(struct lpel_ring *ring,
					unsigned int cpu)
{
	unsigned int q;

	for (q = 0; q < ring->nr_queues; q++)
		if (ring->queues[q].cpu == cpu)
			return q;
	return -1;
}

/* The sum over the workers of CPUs 0 .. nr_cpus - 1 of a u64 counter. */
static inline uint64_t pel_test_sum_workers(unsigned int nr_cpus, size_t off)
{
	struct pel_worker_stats st;
	uint64_t n = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < nr_cpus; cpu++)
		if (!pel_test_worker_stats(cpu, &st))
			n += *(uint64_t *)((char *)&st + off);
	return n;
}

/* Batches stolen by the workers of CPUs 0 .. nr_cpus - 1, in all. */
static inline uint64_t pel_test_sum_stolen(unsigned int nr_cpus)
{
	return pel_test_sum_workers(nr_cpus, offsetof(struct pel_worker_stats, stolen));
}

/*
 * A thief counts a batch once the whole batch is done, which may be just
 * after its last CQE was seen: give the count a moment to catch up.
 */
static inline uint64_t pel_test_wait_stolen_above(unsigned int nr_cpus,
						  uint64_t old)
{
	uint64_t end = pel_test_now_ns() + 1000000000ULL, now;

	do {
		now = pel_test_sum_stolen(nr_cpus);
		if (now > old)
			break;
		usleep(1000);
	} while (pel_test_now_ns() < end);
	return now;
}

/* Pin the calling thread to the CPU of queue q; 0 or -1 with errno. */
static inline int pel_test_pin_to_queue_cpu(struct lpel_ring *ring,
					    unsigned int q)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(ring->queues[q].cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* Write the string val to path, opened O_WRONLY | oflags; 0 or -errno. */
static inline int pel_test_write_file(const char *path, const char *val,
				      int oflags)
{
	int fd = open(path, O_WRONLY | oflags), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The number after "key:" in /proc/self/fdinfo/fd, or UINT64_MAX. */
static inline uint64_t pel_test_fdinfo_u64(int fd, const char *key)
{
	char path[64], line[256];
	uint64_t v = UINT64_MAX;
	size_t klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* This process's context (the first it set up) in PEL_IOC_CTX_STATS. */
static inline int pel_test_own_ctx_stats(struct pel_ctx_stats *st)
{
	int fd = pel_test_open();
	unsigned int i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 1024; i++) {
		if (lpel_ctx_stats(fd, i, st))
			break;
		if (st->pid == getpid()) {
			close(fd);
			return 0;
		}
	}
	close(fd);
	return -ENOENT;
}

#include "pel_ref.h"

#endif /* PEL_TEST_H */
