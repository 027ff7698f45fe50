// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection (debug kernel only: CONFIG_FAILSLAB, FAIL_PAGE_ALLOC,
 * FAULT_INJECTION_USERCOPY; skipped elsewhere).  Allocation failures at
 * every step of setup give -ENOMEM and leak nothing (the suite's kmemleak
 * scan checks); user copies failing inside the workers give -EFAULT with
 * an exact count of good bytes; failing ioctl copies give -EFAULT.
 */
#include <dirent.h>
#include <fcntl.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define DBG "/sys/kernel/debug/"

static int put_attr(const char *dir, const char *attr, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), DBG "%s/%s", dir, attr);
	return pel_test_write_file(path, val, 0);
}

/* Fail the @nth call that passes the filters, once, in tasks marked to fail. */
static int arm(const char *dir, int nth, const char *probability)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%d", nth);
	if (put_attr(dir, "task-filter", "Y") || put_attr(dir, "probability", probability) ||
	    put_attr(dir, "interval", buf) || put_attr(dir, "times", nth ? "1" : "-1") ||
	    put_attr(dir, "space", "0") || put_attr(dir, "verbose", "0"))
		return -1;
	/* GFP_KERNEL allocations may wait: do not skip them. */
	put_attr(dir, "ignore-gfp-wait", "N");
	return 0;
}

static void disarm(const char *dir)
{
	put_attr(dir, "probability", "0");
	put_attr(dir, "times", "0");
}

static int make_it_fail(pid_t pid, int on)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/make-it-fail", pid);
	return pel_test_write_file(path, on ? "1" : "0", 0);
}

TEST(setup_allocation_failures)
{
	static const char *const dirs[] = { "failslab", "fail_page_alloc" };
	int d, nth, enomem = 0, ok = 0, fd;
	struct lpel_ring ring;
	struct pel_sqe *sqe;
	struct pel_cqe cqe;
	struct pel_setup p;

	if (access(DBG "failslab/probability", W_OK))
		SKIP(return, "no failslab (not the debug kernel)");
	for (d = 0; d < 2; d++) {
		if (access(DBG "fail_page_alloc/probability", W_OK) && d == 1)
			break;
		for (nth = 1; nth <= 40; nth++) {
			int ret;

			fd = pel_test_open();
			ASSERT_LE(0, fd);
			memset(&p, 0, sizeof(p));
			p.size = sizeof(p);
			p.sq_entries = 64;
			ASSERT_EQ(0, arm(dirs[d], nth, "100"));
			ASSERT_EQ(0, make_it_fail(getpid(), 1));
			ret = pel_test_setup(fd, &p);
			make_it_fail(getpid(), 0);
			disarm(dirs[d]);
			EXPECT_TRUE(ret == 0 || ret == -ENOMEM)
				TH_LOG("%s, call %d: %s", dirs[d], nth, strerror(-ret));
			enomem += ret == -ENOMEM;
			ok += ret == 0;
			close(fd);
		}
	}
	TH_LOG("%d setups failed cleanly, %d succeeded", enomem, ok);
	EXPECT_LT(0, enomem);
	EXPECT_LT(0, ok);

	/* Nothing is left broken: a plain setup works. */
	ASSERT_EQ(0, lpel_init(&ring, 8));
	sqe = lpel_get_sqe(&ring);
	lpel_prep_nop(sqe);
	ASSERT_EQ(0, pel_test_run_one(&ring, sqe, &cqe));
	EXPECT_EQ(0, cqe.res);
	lpel_exit(&ring);
}

TEST(ioctl_copy_failures)
{
	struct pel_setup p = { .size = sizeof(p) };
	int fd, nth, efault = 0;

	if (access(DBG "fail_usercopy/probability", W_OK))
		SKIP(return, "no fail_usercopy (not the debug kernel)");
	for (nth = 1; nth <= 4; nth++) {
		int ret;

		fd = pel_test_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, arm("fail_usercopy", nth, "100"));
		ASSERT_EQ(0, make_it_fail(getpid(), 1));
		ret = pel_test_setup(fd, &p);
		make_it_fail(getpid(), 0);
		disarm("fail_usercopy");
		EXPECT_TRUE(ret == 0 || ret == -EFAULT) TH_LOG("copy %d: %s", nth, strerror(-ret));
		efault += ret == -EFAULT;
		close(fd);
	}
	EXPECT_LT(0, efault);
}

/* The pids of the pel/N worker threads. */
/* The pel/N workers' pids, and with @slow_too the pel-slow/PID threads'. */
static int pel_thread_pids(pid_t *pids, int max, bool slow_too)
{
	struct dirent *de;
	DIR *d = opendir("/proc");
	char comm[64];
	int n = 0;

	if (!d)
		return 0;
	while (n < max && (de = pel_test_proc_next(d, "/proc", "comm", comm, sizeof(comm))))
		if (!strncmp(comm, "pel/", 4) ||
		    (slow_too && !strncmp(comm, "pel-slow/", 9)))
			pids[n++] = atoi(de->d_name);
	closedir(d);
	return n;
}

/* pel-slow-batches of the context @fd, from its fdinfo; 0 if not found. */
static unsigned long long slow_batches(int fd)
{
	unsigned long long n = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "pel-slow-batches: %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

struct copy_tally {
	unsigned int good;	/* whole and right */
	unsigned int faulted;	/* -EFAULT, result = the right bytes copied */
	unsigned int bad;	/* anything else */
};

/*
 * With one user copy in five failing in the pel threads of @slow_too's
 * kind, run @nr COPYs of @len bytes from @src into @dst and sort the CQEs.
 */
static void copies_under_failures(struct __test_metadata *_metadata,
				  struct lpel_ring *ring, uint8_t *dst,
				  const uint8_t *src, unsigned int nr,
				  unsigned int len, bool slow_too,
				  struct copy_tally *t)
{
	pid_t pids[256];
	unsigned int i;
	int nw, k;

	memset(t, 0, sizeof(*t));
	nw = pel_thread_pids(pids, 256, slow_too);
	ASSERT_LT(0, nw);
	ASSERT_EQ(0, arm("fail_usercopy", 0, "20"));
	for (k = 0; k < nw; k++)
		ASSERT_EQ(0, make_it_fail(pids[k], 1));
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(ring, i % ring->nr_queues);

		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, dst + (size_t)i * len, src, len);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(nr, lpel_submit(ring));
	for (i = 0; i < nr; i++) {
		uint64_t end = pel_test_now_ns() + 30000000000ULL;
		struct pel_cqe *cqe;
		uint8_t *d;

		/*
		 * Reaped by polling: a blocking wait would run the ops in this
		 * thread (the owner helps), which is not marked to fail.
		 */
		while (lpel_peek_cqe(ring, &cqe) && pel_test_now_ns() < end)
			usleep(100);
		ASSERT_EQ(0, lpel_peek_cqe(ring, &cqe));
		d = dst + (size_t)cqe->user_data * len;
		if (cqe->res == (int)len && !memcmp(d, src, len)) {
			t->good++;
		} else if (cqe->res == -EFAULT && cqe->result < len &&
			   !memcmp(d, src, cqe->result)) {
			t->faulted++;
		} else {
			t->bad++;
			TH_LOG("op %llu: res %d result %llu", (unsigned long long)cqe->user_data,
			       cqe->res, (unsigned long long)cqe->result);
		}
		lpel_cqe_seen(ring, cqe);
	}
	disarm("fail_usercopy");
	for (k = 0; k < nw; k++)
		make_it_fail(pids[k], 0);
}

/*
 * One user copy in five fails inside the pel threads.  On memory the owner
 * has touched, a worker copies in place on its pages (no user copy at
 * all), so no injected failure can reach a CQE: every COPY ends whole and
 * right.  Into memory never touched, a worker misses and hands the op to
 * the context's slow path, which copies with copy_to_user(): with the slow
 * thread failing too, an op ends whole, or with -EFAULT and result = the
 * bytes copied, which are right.
 */
TEST(worker_usercopy_failures)
{
	const unsigned int nr = 200, len = 64 << 10;
	size_t total = (size_t)nr * len;
	uint8_t *src = malloc(len), *dst;
	unsigned long long slow0;
	struct lpel_ring ring;
	struct copy_tally t;
	struct pel_sqe *sqe;
	struct pel_cqe cqe;

	if (access(DBG "fail_usercopy/probability", W_OK))
		SKIP(return, "no fail_usercopy (not the debug kernel)");
	ASSERT_NE(NULL, src);
	pel_test_pattern(src, len, 9);
	ASSERT_EQ(0, lpel_init(&ring, 256));

	dst = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	memset(dst, 0x5a, total);	/* touched: the workers' in-place path */
	copies_under_failures(_metadata, &ring, dst, src, nr, len, false, &t);
	TH_LOG("workers failing, touched memory: %u copies whole, %u cut short",
	       t.good, t.faulted);
	EXPECT_EQ(0, t.bad);
	EXPECT_EQ(nr, t.good) TH_LOG("an injected failure in a worker reached a CQE");
	munmap(dst, total);

	dst = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	/* One op on untouched memory first: the slow thread exists to be marked. */
	sqe = lpel_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, dst, src, len);
	ASSERT_EQ(0, pel_test_run_one_polled(&ring, &cqe));
	ASSERT_EQ((int)len, cqe.res);
	munmap(dst, total);
	dst = mmap(NULL, total, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	slow0 = slow_batches(lpel_fd(&ring));
	copies_under_failures(_metadata, &ring, dst, src, nr, len, true, &t);
	TH_LOG("slow path failing, untouched memory: %u copies whole, %u cut short, %llu batches to the slow path",
	       t.good, t.faulted, slow_batches(lpel_fd(&ring)) - slow0);
	EXPECT_EQ(0, t.bad);
	EXPECT_LT(slow0, slow_batches(lpel_fd(&ring)));
	EXPECT_LT(0, t.faulted);
	munmap(dst, total);
	lpel_exit(&ring);
	free(src);
}

TEST_HARNESS_MAIN
