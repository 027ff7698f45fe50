/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the PEL selftests.  Each test file covers one feature
 * and uses the kselftest harness (TEST/TEST_F, ASSERT/EXPECT).
 */
#ifndef PEL_TEST_H
#define PEL_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lpel.h"

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

static inline int pel_test_info(struct pel_info *info)
{
	int fd = pel_test_open(), ret;

	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	ret = ioctl(fd, PEL_IOC_INFO, info) < 0 ? -errno : 0;
	close(fd);
	return ret;
}

static inline int pel_test_worker_stats(unsigned int cpu,
					struct pel_worker_stats *st)
{
	int fd = pel_test_open(), ret;

	if (fd < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->cpu = cpu;
	ret = ioctl(fd, PEL_IOC_WORKER_STATS, st) < 0 ? -errno : 0;
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

#endif /* PEL_TEST_H */
