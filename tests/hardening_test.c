// SPDX-License-Identifier: GPL-2.0
/*
 * Hardening: what one hostile or unlucky context must not do to the pool of
 * workers, to the machine's administration, or to its own results.
 *
 *  - stall_*: an op stuck in a fault nobody serves (userfaultfd) delays only
 *    its own context: another context's 10,000 NOPs all complete in 10 s.
 *    Served, the stuck op completes with the served bytes.
 *  - busy_*: a LINK continuation or a DRAIN SQE waiting behind an op stuck
 *    on another worker costs no CPU: the pel/N threads use < 10% of one CPU.
 *  - overlap_*: COPY is memmove() for overlapping buffers either way, split
 *    or not.
 *  - dualcast_fault_*: a fault in one destination reports, in cqe.result,
 *    the bytes both destinations hold.
 *  - killed_owner: the ops of a SIGKILLed process stop within ~0.5 s.
 *  - cpu_offline_with_stuck_op: a stuck op does not hold up CPU hotplug.
 *  - split_bytes_toggled_under_load: split_bytes is read once per split
 *    decision (a write of 0 in between used to divide by zero).
 *  - unload.rmmod_with_stuck_op (last): nor rmmod; the module is loaded
 *    again from /pel/pel.ko afterwards.
 *
 * Every wait is bounded, and whatever a test leaves stuck is released
 * (userfaultfd closed, helper processes killed, CPU back online, module
 * reloaded) before it ends, passing or not.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define SEC		1000000000ULL
#define MSEC		1000000ULL
#define MIB		(1024UL * 1024UL)
#define PF_KTHREAD_FLAG	0x00200000UL
#define MAX_UFFD	4
#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"
#define PEL_KO		"/pel/pel.ko"

/* ---- userfaultfd ---------------------------------------------------- */

/*
 * A fresh anonymous mapping of len bytes registered with a new userfaultfd
 * in MISSING mode: any access to a page of it waits until the page is
 * served (UFFDIO_COPY/ZEROPAGE) or the userfaultfd is closed.  Returns the
 * mapping and the fd in *uffd, or NULL with errno set.
 */
static void *uffd_region(size_t len, int *uffd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	void *p;
	int fd, e;

	*uffd = -1;
	fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (ioctl(fd, UFFDIO_API, &api)) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (p == MAP_FAILED) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)p;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(fd, UFFDIO_REGISTER, &reg)) {
		e = errno;
		munmap(p, len);
		close(fd);
		errno = e;
		return NULL;
	}
	*uffd = fd;
	return p;
}

/*
 * Wait up to timeout_ms for a page fault report on uffd; its address goes
 * to *addr, its flags to *flags.  0, or -ETIME.
 */
static int uffd_wait_fault(int uffd, int timeout_ms, uint64_t *addr,
			   uint64_t *flags)
{
	uint64_t end = pel_test_now_ns() + (uint64_t)timeout_ms * MSEC;
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	for (;;) {
		uint64_t now = pel_test_now_ns();
		int left = now >= end ? 0 : (int)((end - now) / MSEC) + 1;

		if (poll(&pfd, 1, left) == 1 &&
		    read(uffd, &msg, sizeof(msg)) == sizeof(msg) &&
		    msg.event == UFFD_EVENT_PAGEFAULT) {
			if (addr)
				*addr = msg.arg.pagefault.address;
			if (flags)
				*flags = msg.arg.pagefault.flags;
			return 0;
		}
		if (pel_test_now_ns() >= end)
			return -ETIME;
	}
}

/* Serve [addr, addr + len) of a registered region with bytes from src. */
static int uffd_serve_copy(int uffd, void *addr, const void *src, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct uffdio_copy c = {
			.dst = (uintptr_t)addr + done,
			.src = (uintptr_t)src + done,
			.len = len - done,
		};

		if (ioctl(uffd, UFFDIO_COPY, &c) == 0) {
			done = len;
			break;
		}
		if (errno != EAGAIN || c.copy <= 0)
			return -errno;
		done += c.copy;
	}
	return 0;
}

/* Serve [addr, addr + len) of a registered region with zero pages. */
static int uffd_serve_zero(int uffd, void *addr, size_t len)
{
	size_t done = 0;

	while (done < len) {
		struct uffdio_zeropage z = {
			.range = { .start = (uintptr_t)addr + done, .len = len - done },
		};

		if (ioctl(uffd, UFFDIO_ZEROPAGE, &z) == 0) {
			done = len;
			break;
		}
		if (errno != EAGAIN || z.zeropage <= 0)
			return -errno;
		done += z.zeropage;
	}
	return 0;
}

/* ---- CPU time of PEL's kernel threads ------------------------------- */

/*
 * utime + stime, in clock ticks, summed over the kernel threads whose comm
 * starts with "pel" (the workers "pel/N", and any other thread of the
 * module's).  *nr gets how many there are.
 */
static uint64_t pel_threads_ticks(unsigned int *nr)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	uint64_t sum = 0;
	unsigned int n = 0;

	if (!d) {
		if (nr)
			*nr = 0;
		return 0;
	}
	while ((de = readdir(d))) {
		char path[300], buf[1024], *open_p, *close_p;
		unsigned long flags, utime, stime;
		ssize_t len;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = 0;
		open_p = strchr(buf, '(');
		close_p = strrchr(buf, ')');
		if (!open_p || !close_p || close_p < open_p)
			continue;
		if (strncmp(open_p + 1, "pel", 3))
			continue;
		/* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
		if (sscanf(close_p + 1, " %*c %*d %*d %*d %*d %*d %lu %*u %*u %*u %*u %lu %lu",
			   &flags, &utime, &stime) != 3)
			continue;
		if (!(flags & PF_KTHREAD_FLAG))
			continue;
		sum += utime + stime;
		n++;
	}
	closedir(d);
	if (nr)
		*nr = n;
	return sum;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / SEC, .tv_nsec = ns % SEC };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The pel threads' CPU use over the next interval_ns, in CPUs (1.0 = one). */
static double pel_threads_cpu(uint64_t interval_ns, unsigned int *nr)
{
	long hz = sysconf(_SC_CLK_TCK);
	uint64_t t0 = pel_test_now_ns(), c0 = pel_threads_ticks(nr), c1, t1;

	sleep_ns(interval_ns);
	c1 = pel_threads_ticks(NULL);
	t1 = pel_test_now_ns();
	return (double)(c1 - c0) / hz / ((double)(t1 - t0) / SEC);
}

/*
 * Wait, at most max_ns, until the pel threads are idle: a 300 ms window in
 * which they used at most one clock tick.  Returns the seconds waited until
 * that window began, or -1.
 */
static double pel_wait_idle(uint64_t max_ns)
{
	uint64_t start = pel_test_now_ns();

	for (;;) {
		uint64_t t = pel_test_now_ns(), c = pel_threads_ticks(NULL);

		sleep_ns(300 * MSEC);
		if (pel_threads_ticks(NULL) - c <= 1)
			return (double)(t - start) / SEC;
		if (pel_test_now_ns() - start > max_ns)
			return -1;
	}
}

/* ---- small helpers -------------------------------------------------- */

static const char *worker_states(char *buf, size_t size)
{
	static const char *const names[] = { "OFFLINE", "SLEEPING", "POLLING", "RUNNING" };
	unsigned int cpu, nr = sysconf(_SC_NPROCESSORS_CONF);
	size_t off = 0;

	buf[0] = 0;
	for (cpu = 0; cpu < nr && cpu < 64 && off < size; cpu++) {
		int st = pel_test_worker_state(cpu);

		off += snprintf(buf + off, size - off, "%scpu%u %s", cpu ? ", " : "",
				cpu, st >= 0 && st < 4 ? names[st] : "?");
	}
	return buf;
}

/* PEL_ENTER_WAIT on one queue for a CQE, briefly: the waiter's rescue. */
static void rescue_wait(struct lpel_ring *r, unsigned int q, uint64_t ns)
{
	struct pel_enter e = {
		.flags = PEL_ENTER_WAKE | PEL_ENTER_WAIT,
		.queue = q,
		.min_complete = 1,
		.timeout_ns = ns,
	};

	pel_test_enter(lpel_fd(r), &e);
}

/* Wait for the next CQE for at most ns; copied to *out.  0 or -errno. */
static int wait_cqe(struct lpel_ring *r, struct pel_cqe *out, uint64_t ns)
{
	struct pel_cqe *cqe;
	int ret = lpel_wait_cqe_timeout(r, &cqe, ns);

	if (ret)
		return ret;
	*out = *cqe;
	lpel_cqe_seen(r, cqe);
	return 0;
}

/*
 * Run total NOPs on r, at most 512 in flight, within budget_ns.  Returns
 * the CQEs received; *bad counts CQEs with res != 0 or a wrong user_data.
 */
static unsigned int run_nops(struct lpel_ring *r, unsigned int total,
			     uint64_t budget_ns, unsigned int *bad)
{
	uint64_t end = pel_test_now_ns() + budget_ns;
	unsigned int sub = 0, got = 0;
	uint8_t *seen = calloc(total, 1);

	*bad = 0;
	if (!seen)
		return 0;
	while (got < total) {
		struct pel_sqe *sqe;
		struct pel_cqe *cqe;
		uint64_t now;
		int ret;

		while (sub < total && sub - got < 512 && (sqe = lpel_get_sqe(r))) {
			lpel_prep_nop(sqe);
			lpel_sqe_set_data(sqe, sub);
			sub++;
		}
		if (lpel_submit(r) < 0)
			break;
		now = pel_test_now_ns();
		if (now >= end)
			break;
		ret = lpel_wait_cqe_timeout(r, &cqe, end - now);
		if (ret)
			break;
		do {
			if (cqe->res != 0 || cqe->user_data >= total ||
			    seen[cqe->user_data]++)
				(*bad)++;
			lpel_cqe_seen(r, cqe);
			got++;
		} while (!lpel_peek_cqe(r, &cqe));
	}
	free(seen);
	return got;
}

/* Wait at most ms for child pid; true when reaped (status in *status). */
static bool wait_child(pid_t pid, int ms, int *status)
{
	uint64_t end = pel_test_now_ns() + (uint64_t)ms * MSEC;

	do {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return true;	/* not ours any more */
		usleep(10 * 1000);
	} while (pel_test_now_ns() < end);
	return false;
}

static void kill_child(pid_t *pid)
{
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	wait_child(*pid, 10000, &status);
	*pid = -1;
}

/* fork + exec argv[0] (a full path); the child's pid, or -1. */
static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static const char *find_tool(const char *name, char *buf, size_t size)
{
	static const char *const dirs[] = { "/sbin", "/bin", "/usr/sbin", "/usr/bin" };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(buf, size, "%s/%s", dirs[i], name);
		if (!access(buf, X_OK))
			return buf;
	}
	return NULL;
}

/* ---- split_bytes written while ops are being split ------------------ */

#define SPLIT_PARAM	"/sys/module/pel/parameters/split_bytes"

static volatile int toggle_stop;

/* Writes 0 (no splitting), 64 KiB and 1 MiB to split_bytes, over and over. */
static void *toggle_split(void *arg)
{
	static const char *const vals[] = { "0", "65536", "1048576", "0", "131072" };
	unsigned long *writes = arg;
	unsigned int i = 0;

	while (!toggle_stop) {
		if (!pel_test_write_file(SPLIT_PARAM, vals[i++ % 5], 0))
			(*writes)++;
	}
	return NULL;
}

/* ---- the fixture of every test but the last ------------------------- */

FIXTURE(hard) {
	long pg;
	unsigned int nr_online;
	int uffd[MAX_UFFD];
	struct lpel_ring a, b;
	bool a_ok, b_ok;
	pid_t kid;			/* a helper process, killed at the end */
	pid_t hotplug;			/* a writer of CPU1_ONLINE still running */
	bool cpu1_off;			/* cpu1 taken offline by the test */
};

FIXTURE_SETUP(hard)
{
	double idle;
	unsigned int i;

	self->pg = sysconf(_SC_PAGESIZE);
	self->nr_online = sysconf(_SC_NPROCESSORS_ONLN);
	for (i = 0; i < MAX_UFFD; i++)
		self->uffd[i] = -1;
	self->kid = -1;
	self->hotplug = -1;
	/* What an earlier test left running would spoil CPU measurements. */
	idle = pel_wait_idle(30 * SEC);
	if (idle < 0)
		TH_LOG("pel threads still busy after 30 s");
	else if (idle > 0.5)
		TH_LOG("pel threads idle after %.1f s", idle);
}

/* Release every fault first: a worker in one may hold what follows. */
static void hard_release(FIXTURE_DATA(hard) *self)
{
	unsigned int i;

	for (i = 0; i < MAX_UFFD; i++) {
		if (self->uffd[i] >= 0)
			close(self->uffd[i]);
		self->uffd[i] = -1;
	}
	kill_child(&self->kid);
}

FIXTURE_TEARDOWN(hard)
{
	int status;

	hard_release(self);
	if (self->hotplug > 0) {
		/* Unkillable in D state: it ends once the fault is released. */
		if (!wait_child(self->hotplug, 60000, &status))
			fprintf(stderr, "# cpu1 offline still not done 60 s after the faults were released\n");
		else
			self->cpu1_off = true;
		self->hotplug = -1;
	}
	if (self->cpu1_off && pel_test_write_file(CPU1_ONLINE, "1", 0))
		fprintf(stderr, "# cannot bring cpu1 back online: %s\n", strerror(errno));
	if (self->b_ok)
		lpel_exit(&self->b);
	if (self->a_ok)
		lpel_exit(&self->a);
}

static void init_rings(struct __test_metadata *_metadata, FIXTURE_DATA(hard) *self,
		       unsigned int a_entries, unsigned int b_entries)
{
	int ret;

	if (a_entries) {
		ret = lpel_init(&self->a, a_entries);
		ASSERT_EQ(0, ret) TH_LOG("lpel_init A: %s", strerror(-ret));
		self->a_ok = true;
	}
	if (b_entries) {
		ret = lpel_init(&self->b, b_entries);
		ASSERT_EQ(0, ret) TH_LOG("lpel_init B: %s", strerror(-ret));
		self->b_ok = true;
	}
}

static void *make_uffd_region(struct __test_metadata *_metadata,
			      FIXTURE_DATA(hard) *self, unsigned int slot,
			      size_t len)
{
	void *p = uffd_region(len, &self->uffd[slot]);

	if (!p && (errno == ENOSYS || errno == EPERM))
		SKIP(return NULL, "userfaultfd unavailable: %s", strerror(errno));
	ASSERT_NE(NULL, p) TH_LOG("userfaultfd region: %s", strerror(errno));
	return p;
}

/* ---- 7: COPY with overlap, split or not, is memmove() --------------- */

static void overlap_rounds(struct __test_metadata *_metadata,
			   FIXTURE_DATA(hard) *self, bool forward)
{
	static const size_t deltas[] = {
		MIB + 4096, 4096, 1, 7, 65536 + 3, 2 * MIB - 1,
	};
	const size_t len = 8 * MIB, total = len + 2 * MIB + 4096;
	uint8_t *buf = mmap(NULL, total, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ref = malloc(total);
	unsigned int round, i, bad = 0;

	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_NE(NULL, ref);
	init_rings(_metadata, self, 64, 0);
	for (round = 0; round < 5; round++) {
		for (i = 0; i < ARRAY_SIZE(deltas); i++) {
			size_t delta = deltas[i], span = len + delta, at;
			uint8_t *src = forward ? buf + delta : buf;
			uint8_t *dst = forward ? buf : buf + delta;
			struct pel_sqe tmpl;
			struct pel_cqe cqe;
			char what[96];

			snprintf(what, sizeof(what), "round %u, %s overlap, dst = src %c %zu",
				 round, forward ? "forward" : "backward",
				 forward ? '-' : '+', delta);
			pel_test_fill_random(buf, span, round * 100 + i + (forward ? 0 : 50));
			memcpy(ref, buf, span);
			memmove(forward ? ref : ref + delta, forward ? ref + delta : ref, len);
			lpel_prep_copy(&tmpl, dst, src, len);
			pel_test_run_sqe(_metadata, &self->a, &tmpl, &cqe, what);
			EXPECT_EQ((int)len, cqe.res) TH_LOG("%s: res %d", what, cqe.res);
			EXPECT_EQ(len, cqe.result) TH_LOG("%s: result %llu", what,
							  (unsigned long long)cqe.result);
			if (memcmp(buf, ref, span)) {
				at = pel_test_first_diff(buf, ref, span);
				bad++;
				EXPECT_EQ(span, at)
					TH_LOG("%s: not memmove(): first bad byte at dst + %zd (%zu bytes differ in the buffer)",
					       what, (ssize_t)(at - (dst - buf)), span - at);
			}
		}
	}
	TH_LOG("%s overlap: %u of %zu copies differ from memmove()",
	       forward ? "forward" : "backward", bad, 5 * ARRAY_SIZE(deltas));
	munmap(buf, total);
	free(ref);
}

/* dst = src - delta: a forward overlap, front to back is right. */
TEST_F_TIMEOUT(hard, overlap_forward, 300)
{
	overlap_rounds(_metadata, self, true);
}

/* dst = src + delta: a backward overlap, back to front is right. */
TEST_F_TIMEOUT(hard, overlap_backward, 300)
{
	overlap_rounds(_metadata, self, false);
}

/* ---- 11: DUALCAST faults report what both destinations hold --------- */

enum bad_kind { BAD_READONLY, BAD_UNMAPPED };

static void dualcast_case(struct __test_metadata *_metadata,
			  FIXTURE_DATA(hard) *self, size_t len, size_t k,
			  bool second, enum bad_kind kind, size_t mis,
			  unsigned int *wrong)
{
	long pg = self->pg;
	uint8_t *src = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *good = mmap(NULL, len, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *bad = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* The faulting destination starts mis bytes into its mapping. */
	size_t want = k * pg > mis ? k * pg - mis : 0, r, beyond, good_all, bad_ok;
	uint8_t *bd;
	struct pel_sqe tmpl;
	struct pel_cqe cqe;
	char what[160];

	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, good);
	ASSERT_NE(MAP_FAILED, bad);
	pel_test_fill_random(src, len, len + k + second * 7 + kind * 13);
	memset(good, 0xee, len);
	memset(bad, 0xdd, len);
	if (kind == BAD_READONLY) {
		ASSERT_EQ(0, mprotect(bad + k * pg, pg, PROT_READ));
	} else {
		ASSERT_EQ(0, munmap(bad + k * pg, pg));
	}
	bd = bad + mis;
	len -= mis;
	snprintf(what, sizeof(what), "DUALCAST %zu B, %s destination (at +%zu) %s at page %zu",
		 len, second ? "second (arg0)" : "first (addr)", mis,
		 kind == BAD_READONLY ? "read-only" : "unmapped", k);
	if (second)
		lpel_prep_dualcast(&tmpl, good, bd, src, len);
	else
		lpel_prep_dualcast(&tmpl, bd, good, src, len);
	pel_test_run_sqe(_metadata, &self->a, &tmpl, &cqe, what);

	r = cqe.result <= len ? cqe.result : len;
	/* What the destinations really hold. */
	good_all = pel_test_first_diff(good, src, len);
	bad_ok = pel_test_first_diff(bd, src, want);
	beyond = good_all > r ? good_all - r : 0;
	TH_LOG("%s: res %d result %llu (want -EFAULT, %zu); the good destination holds the source's first %zu bytes (%zu beyond result%s), the faulting one its first %zu",
	       what, cqe.res, (unsigned long long)cqe.result, want, good_all,
	       beyond, good_all == len ? ", i.e. all of it" : "", bad_ok);
	if (cqe.res != -EFAULT || cqe.result != want)
		(*wrong)++;
	EXPECT_EQ(-EFAULT, cqe.res) TH_LOG("%s", what);
	EXPECT_EQ(want, cqe.result) TH_LOG("%s: result is not what both destinations hold", what);
	/* [0, result) is in both. */
	EXPECT_LE(r, good_all) TH_LOG("%s: good destination differs at %zu < result", what, good_all);
	EXPECT_EQ(r <= want ? r : want, pel_test_first_diff(bd, src, r <= want ? r : want))
		TH_LOG("%s: faulting destination differs before result", what);
	/*
	 * Unsplit, neither destination holds more than result: the good one
	 * is untouched past it.  (Chunks of a split op after the fault may
	 * have run: past result is undefined there, Documentation/ops.md.)
	 */
	if (len + mis <= (1 << 20)) {
		size_t i;

		for (i = r; i < len && good[i] == 0xee; i++)
			;
		EXPECT_EQ(len, i) TH_LOG("%s: the good destination was written past result, at byte %zu", what, i);
	}
	len += mis;
	munmap(src, len);
	munmap(good, len);
	munmap(bad, len);
}

/*
 * One destination turns unwritable at page k of its mapping (read-only or
 * unmapped), the destination starting at the mapping or 3 bytes into it:
 * the op ends with -EFAULT and result = the offset of the first byte in
 * that page (k pages, less 3), the bytes both destinations hold; each
 * holds the source's bytes [0, result), and, unsplit, nothing past it.  64 KiB is one bounce chunk,
 * 256 KiB four, 4 MiB is split across workers.
 */
TEST_F_TIMEOUT(hard, dualcast_fault_in_either_destination, 120)
{
	static const struct { size_t len, k; } cases[] = {
		{ 64 << 10, 0 }, { 64 << 10, 1 }, { 64 << 10, 5 }, { 64 << 10, 15 },
		{ 256 << 10, 16 }, { 256 << 10, 37 },
		{ 4 << 20, 256 }, { 4 << 20, 600 },
	};
	unsigned int i, which, kind, mis, wrong = 0, nr = 0;

	if (self->pg != 4096)
		SKIP(return, "page size %ld", self->pg);
	init_rings(_metadata, self, 64, 0);
	/* which 0: the second destination (arg0) faults; 1: the first. */
	for (mis = 0; mis <= 3; mis += 3)
		for (which = 0; which < 2; which++)
			for (kind = 0; kind < 2; kind++)
				for (i = 0; i < ARRAY_SIZE(cases); i++, nr++)
					dualcast_case(_metadata, self, cases[i].len,
						      cases[i].k, which == 0, kind,
						      mis, &wrong);
	TH_LOG("%u of %u DUALCAST faults reported wrongly", wrong, nr);
}

/* ---- 1: a stuck split op stalls only its own context ---------------- */

static void stall_case(struct __test_metadata *_metadata,
		       FIXTURE_DATA(hard) *self, bool fault_in_dst)
{
	const size_t len = 64 * MIB;
	uint8_t *region, *other, *served;
	uint64_t addr = 0, flags = 0, t0;
	struct pel_sqe *sqe;
	struct pel_cqe cqe, *peek;
	unsigned int got, bad;
	char states[256];
	size_t at;
	int ret;

	if (self->nr_online < 2)
		SKIP(return, "needs two CPUs (a split)");
	region = make_uffd_region(_metadata, self, 0, len);
	if (!region)
		return;
	other = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, other);
	/*
	 * Served with UFFDIO_COPY either way: zero pages in the destination
	 * would cost a copy-on-write fault per page, ~40 s under TCG.
	 */
	served = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, served);
	if (fault_in_dst) {
		pel_test_fill_random(other, len, 11);
		memset(served, 0xee, len);
	} else {
		memset(other, 0xa5, len);
		pel_test_fill_random(served, len, 12);
	}
	init_rings(_metadata, self, 64, 1024);

	sqe = lpel_get_sqe_on(&self->a, 0);
	ASSERT_NE(NULL, sqe);
	if (fault_in_dst)
		lpel_prep_copy(sqe, region, other, len);
	else
		lpel_prep_copy(sqe, other, region, len);
	lpel_sqe_set_data(sqe, 0xa);
	ASSERT_EQ(1, lpel_submit(&self->a));
	ASSERT_EQ(0, uffd_wait_fault(self->uffd[0], 10000, &addr, &flags))
		TH_LOG("A's 64 MiB COPY reached no userfault in 10 s");
	TH_LOG("A's COPY faults at region + %llu (%s); workers: %s",
	       (unsigned long long)(addr - (uintptr_t)region),
	       flags & UFFD_PAGEFAULT_FLAG_WRITE ? "write" : "read",
	       worker_states(states, sizeof(states)));
	usleep(100 * 1000);	/* let the other chunks reach their faults too */

	t0 = pel_test_now_ns();
	got = run_nops(&self->b, 10000, 10 * SEC, &bad);
	TH_LOG("B: %u of 10000 NOPs completed in %.2f s while A's COPY waits in the fault",
	       got, (pel_test_now_ns() - t0) / 1e9);
	EXPECT_EQ(10000, got) TH_LOG("workers: %s", worker_states(states, sizeof(states)));
	EXPECT_EQ(0, bad) TH_LOG("B: NOP CQEs with a wrong res or user_data");
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->a, &peek))
		TH_LOG("A's COPY completed with its fault unserved: res %d", peek->res);

	/* Serve the fault: A's COPY completes with the served bytes. */
	t0 = pel_test_now_ns();
	ret = uffd_serve_copy(self->uffd[0], region, served, len);
	ASSERT_EQ(0, ret) TH_LOG("serving the region: %s", strerror(-ret));
	ret = wait_cqe(&self->a, &cqe, 60 * SEC);
	ASSERT_EQ(0, ret) TH_LOG("A: no CQE 60 s after the fault was served: %s", strerror(-ret));
	TH_LOG("A's COPY completed %.2f s after the fault was served", (pel_test_now_ns() - t0) / 1e9);
	EXPECT_EQ(0xa, cqe.user_data);
	EXPECT_EQ((int)len, cqe.res) TH_LOG("A: res %d result %llu", cqe.res,
					    (unsigned long long)cqe.result);
	EXPECT_EQ(len, cqe.result);
	if (fault_in_dst)
		at = memcmp(region, other, len) ? pel_test_first_diff(region, other, len) : len;
	else
		at = memcmp(other, served, len) ? pel_test_first_diff(other, served, len) : len;
	EXPECT_EQ(len, at) TH_LOG("A: destination differs from the %s at %zu",
				  fault_in_dst ? "source" : "served bytes", at);

	munmap(other, len);
	munmap(served, len);
}

/* The 64 MiB COPY's source is an unserved userfaultfd region. */
TEST_F_TIMEOUT(hard, stall_fault_in_source, 240)
{
	stall_case(_metadata, self, false);
}

/* The 64 MiB COPY's destination is an unserved userfaultfd region. */
TEST_F_TIMEOUT(hard, stall_fault_in_destination, 240)
{
	stall_case(_metadata, self, true);
}

/* ---- 2: waiting behind an op stuck elsewhere costs no CPU ----------- */

#define SMALL	8192

/*
 * On queue 0 of context A (homed on cpu H): S, a COPY from an unserved
 * region (LINK set when link), then, once S is stuck, a NOP (DRAIN set
 * unless link).  So that S is stuck on another worker than H, context B
 * first blocks H with P, a COPY from another unserved region on B's queue
 * homed on H, and P is served once S is stuck.
 */
static void busy_case(struct __test_metadata *_metadata,
		      FIXTURE_DATA(hard) *self, bool link)
{
	uint8_t *r0, *r1, *pat0 = malloc(SMALL), *pat1 = malloc(SMALL);
	uint8_t *dp = malloc(SMALL), *ds = malloc(SMALL);
	unsigned int h, qb, nr;
	struct pel_sqe *sqe;
	struct pel_cqe cqe, *peek;
	uint64_t end, addr;
	bool s_fault = false;
	char states[256];
	double cpu;
	int ret;

	if (self->nr_online < 2)
		SKIP(return, "needs two CPUs");
	ASSERT_TRUE(pat0 && pat1 && dp && ds);
	r0 = make_uffd_region(_metadata, self, 0, SMALL);
	r1 = r0 ? make_uffd_region(_metadata, self, 1, SMALL) : NULL;
	if (!r1)
		return;
	pel_test_fill_random(pat0, SMALL, 21);
	pel_test_fill_random(pat1, SMALL, 22);
	memset(dp, 0xee, SMALL);
	memset(ds, 0xee, SMALL);
	init_rings(_metadata, self, 64, 64);
	h = self->a.queues[0].cpu;
	ret = pel_test_queue_of_cpu(&self->b, h);
	ASSERT_LE(0, ret);
	qb = ret;

	/* P blocks cpu H's worker (or whichever takes it). */
	sqe = lpel_get_sqe_on(&self->b, qb);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, dp, r0, SMALL);
	lpel_sqe_set_data(sqe, 0x100);
	ASSERT_EQ(1, lpel_submit(&self->b));
	ASSERT_EQ(0, uffd_wait_fault(self->uffd[0], 10000, NULL, NULL))
		TH_LOG("P reached no userfault in 10 s");
	TH_LOG("P stuck; workers: %s", worker_states(states, sizeof(states)));

	/* S on A's queue 0: the waiter's rescue has another worker take it. */
	sqe = lpel_get_sqe_on(&self->a, 0);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, ds, r1, SMALL);
	if (link)
		lpel_sqe_set_flags(sqe, PEL_SQE_LINK);
	lpel_sqe_set_data(sqe, 0x200);
	ASSERT_EQ(1, lpel_submit(&self->a));
	end = pel_test_now_ns() + 5 * SEC;
	while (!s_fault && pel_test_now_ns() < end) {
		s_fault = !uffd_wait_fault(self->uffd[1], 20, &addr, NULL);
		if (!s_fault)
			rescue_wait(&self->a, 0, 20 * MSEC);
	}
	TH_LOG("S %s with P stuck; workers: %s", s_fault ? "stuck" : "not yet faulted",
	       worker_states(states, sizeof(states)));

	/* Serve P: cpu H's worker is free again. */
	ASSERT_EQ(0, uffd_serve_copy(self->uffd[0], r0, pat0, SMALL));
	ret = wait_cqe(&self->b, &cqe, 10 * SEC);
	ASSERT_EQ(0, ret) TH_LOG("P: no CQE 10 s after it was served: %s", strerror(-ret));
	EXPECT_EQ(0x100, cqe.user_data);
	EXPECT_EQ(SMALL, cqe.res);
	EXPECT_EQ(0, memcmp(dp, pat0, SMALL));
	end = pel_test_now_ns() + 10 * SEC;
	while (!s_fault && pel_test_now_ns() < end) {
		s_fault = !uffd_wait_fault(self->uffd[1], 20, &addr, NULL);
		if (!s_fault)
			rescue_wait(&self->a, 0, 20 * MSEC);
	}
	ASSERT_TRUE(s_fault) TH_LOG("S was never taken");
	TH_LOG("S stuck, P done; workers: %s (queue 0 homed on cpu%u)",
	       worker_states(states, sizeof(states)), h);

	/* The NOP that must wait for S. */
	sqe = lpel_get_sqe_on(&self->a, 0);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	if (!link)
		lpel_sqe_set_flags(sqe, PEL_SQE_DRAIN);
	lpel_sqe_set_data(sqe, 0x300);
	ASSERT_EQ(1, lpel_submit(&self->a));

	usleep(500 * 1000);
	cpu = pel_threads_cpu(3 * SEC, &nr);
	TH_LOG("%s NOP waiting behind S: the %u pel threads used %.1f%% of one CPU over 3 s; workers: %s",
	       link ? "LINK continuation" : "DRAIN", nr, cpu * 100,
	       worker_states(states, sizeof(states)));
	EXPECT_GT(0.10, cpu) TH_LOG("busy-polling while waiting behind an op in flight");
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->a, &peek))
		TH_LOG("a CQE (user_data %#llx, res %d) while S is stuck",
		       (unsigned long long)peek->user_data, peek->res);

	/* Serve S: S, then the NOP. */
	ASSERT_EQ(0, uffd_serve_copy(self->uffd[1], r1, pat1, SMALL));
	ret = wait_cqe(&self->a, &cqe, 10 * SEC);
	ASSERT_EQ(0, ret) TH_LOG("S: no CQE 10 s after it was served: %s", strerror(-ret));
	EXPECT_EQ(0x200, cqe.user_data) TH_LOG("the NOP completed before S");
	EXPECT_EQ(SMALL, cqe.res);
	EXPECT_EQ(SMALL, cqe.result);
	EXPECT_EQ(0, memcmp(ds, pat1, SMALL));
	ret = wait_cqe(&self->a, &cqe, 10 * SEC);
	ASSERT_EQ(0, ret) TH_LOG("the NOP: no CQE 10 s after S was served: %s", strerror(-ret));
	EXPECT_EQ(0x300, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&self->a, &peek));
	free(pat0);
	free(pat1);
	free(dp);
	free(ds);
}

TEST_F_TIMEOUT(hard, busy_link_behind_stuck_op, 120)
{
	busy_case(_metadata, self, true);
}

TEST_F_TIMEOUT(hard, busy_drain_behind_stuck_op, 120)
{
	busy_case(_metadata, self, false);
}

/* ---- 9: a dead owner's ops stop ------------------------------------- */

#define KILL_OPS	16
#define KILL_LEN	(64 * MIB)

static void killed_owner_child(int wfd)
{
	struct lpel_ring r;
	uint8_t *a, *b;
	struct pel_cqe *cqe;
	unsigned int i, msg[2];

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	a = mmap(NULL, KILL_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	b = mmap(NULL, KILL_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a == MAP_FAILED || b == MAP_FAILED || lpel_init(&r, 64))
		_exit(1);
	memset(a, 0x3c, KILL_LEN);
	memset(b, 0xc3, KILL_LEN);
	for (i = 0; i < KILL_OPS; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&r, 0);

		if (!sqe)
			_exit(2);
		if (i % 2)
			lpel_prep_crc32c(sqe, a, KILL_LEN, 0);
		else
			lpel_prep_copy(sqe, b, a, KILL_LEN);
		lpel_sqe_set_data(sqe, i);
	}
	if (lpel_submit(&r) != KILL_OPS)
		_exit(3);
	/* Started: a CQE, or 100 ms. */
	msg[1] = !lpel_wait_cqe_timeout(&r, &cqe, 100 * MSEC);
	msg[0] = __atomic_load_n(r.queues[0].sq_head, __ATOMIC_ACQUIRE);
	if (write(wfd, msg, sizeof(msg)) != sizeof(msg))
		_exit(4);
	for (;;)
		pause();
}

/*
 * A child queues 16 ops of 64 MiB (COPY and CRC32C alternately, split)
 * and is SIGKILLed once they started.  From 0.5 s after the reap, over
 * 1 s, the pel threads use < 10% of one CPU: the dead process's ops
 * stopped (-ECANCELED) instead of running to the end.
 */
TEST_F_TIMEOUT(hard, killed_owner_work_stops, 180)
{
	uint64_t t0, ticks[700], times[700];
	unsigned int msg[2], n = 0, nr;
	struct pollfd pfd;
	int p[2], status;
	double before, window, idle = -1;
	long hz = sysconf(_SC_CLK_TCK);
	int j5 = -1, j15 = -1;

	ASSERT_EQ(0, pipe(p));
	self->kid = fork();
	ASSERT_LE(0, self->kid);
	if (self->kid == 0) {
		close(p[0]);
		killed_owner_child(p[1]);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 60000)) TH_LOG("the child did not start its ops in 60 s");
	ASSERT_EQ(sizeof(msg), read(p[0], msg, sizeof(msg)))
		TH_LOG("the child failed to set up");
	close(p[0]);
	TH_LOG("child: %u of %d SQEs taken, %s", msg[0], KILL_OPS,
	       msg[1] ? "a CQE arrived" : "no CQE in 100 ms");
	EXPECT_LT(0, msg[0]) TH_LOG("no SQE taken: nothing to stop");
	before = pel_threads_cpu(300 * MSEC, &nr);
	TH_LOG("before the kill: %u pel threads at %.0f%% of one CPU", nr, before * 100);

	ASSERT_EQ(0, kill(self->kid, SIGKILL));
	ASSERT_EQ(self->kid, waitpid(self->kid, &status, 0));
	self->kid = -1;
	t0 = pel_test_now_ns();

	/* Samples every 100 ms, up to 60 s, until idle and past 1.5 s. */
	for (;;) {
		times[n] = pel_test_now_ns() - t0;
		ticks[n] = pel_threads_ticks(NULL);
		if (j5 < 0 && times[n] >= 500 * MSEC)
			j5 = n;
		if (j15 < 0 && times[n] >= 1500 * MSEC)
			j15 = n;
		/* Idle: at most one tick over 300 ms (three samples). */
		if (idle < 0 && n >= 3 && ticks[n] - ticks[n - 3] <= 1)
			idle = times[n - 3] / 1e9;
		n++;
		if ((idle >= 0 && j15 >= 0) || n == ARRAY_SIZE(ticks) ||
		    times[n - 1] > 60 * SEC)
			break;
		sleep_ns(100 * MSEC);
	}
	ASSERT_LE(0, j5);
	if (j15 < 0)
		j15 = n - 1;
	window = (double)(ticks[j15] - ticks[j5]) / hz /
		 ((double)(times[j15] - times[j5]) / SEC);
	if (idle >= 0)
		TH_LOG("after the reap: the pel threads went idle %.1f s later; from 0.5 s to 1.5 s they used %.1f%% of one CPU",
		       idle, window * 100);
	else
		TH_LOG("after the reap: the pel threads still busy after %.1f s; from 0.5 s to 1.5 s they used %.1f%% of one CPU",
		       times[n - 1] / 1e9, window * 100);
	EXPECT_GT(0.10, window) TH_LOG("the dead process's ops kept running");
}

/* ---- 3a: a stuck op does not hold up CPU hotplug -------------------- */

TEST_F_TIMEOUT(hard, cpu_offline_with_stuck_op, 240)
{
	unsigned int q, faults = 0;
	uint8_t *region, *dst;
	uint64_t t0, end;
	char states[256];
	int status, ret;
	size_t span;

	if (self->nr_online < 2)
		SKIP(return, "needs two online CPUs");
	if (access(CPU1_ONLINE, W_OK))
		SKIP(return, "cpu1 cannot be hotplugged");
	{
		char line[8] = "";
		FILE *f = fopen(CPU1_ONLINE, "r");

		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(line, sizeof(line), f));
		fclose(f);
		if (line[0] != '1')
			SKIP(return, "cpu1 is offline");
	}
	init_rings(_metadata, self, 64, 0);
	span = 2 * self->pg;
	region = make_uffd_region(_metadata, self, 0, span * self->a.nr_queues);
	if (!region)
		return;
	dst = malloc(span * self->a.nr_queues);
	ASSERT_NE(NULL, dst);

	/* One stuck COPY per queue: every worker, cpu1's included, blocks. */
	for (q = 0; q < self->a.nr_queues; q++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->a, q);

		ASSERT_NE(NULL, sqe);
		lpel_prep_copy(sqe, dst + q * span, region + q * span, self->pg);
		lpel_sqe_set_data(sqe, q);
	}
	ASSERT_EQ((int)self->a.nr_queues, lpel_submit(&self->a));
	ASSERT_EQ(0, uffd_wait_fault(self->uffd[0], 10000, NULL, NULL))
		TH_LOG("no userfault in 10 s");
	faults = 1;
	end = pel_test_now_ns() + 3 * SEC;
	while (faults < self->a.nr_queues && pel_test_now_ns() < end) {
		if (!uffd_wait_fault(self->uffd[0], 20, NULL, NULL))
			faults++;
		else
			rescue_wait(&self->a, PEL_QUEUE_ALL, 20 * MSEC);
	}
	TH_LOG("%u of %u COPYs stuck in their fault; workers: %s", faults,
	       self->a.nr_queues, worker_states(states, sizeof(states)));

	/* Offline cpu1 in a child: it may hang in D state. */
	t0 = pel_test_now_ns();
	self->hotplug = fork();
	ASSERT_LE(0, self->hotplug);
	if (self->hotplug == 0) {
		ret = pel_test_write_file(CPU1_ONLINE, "0", 0);
		_exit(ret ? -ret : 0);
	}
	if (wait_child(self->hotplug, 5000, &status)) {
		self->hotplug = -1;
		TH_LOG("cpu1 offline took %.2f s with the ops stuck",
		       (pel_test_now_ns() - t0) / 1e9);
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status))
			TH_LOG("offline cpu1: %s", strerror(WEXITSTATUS(status)));
		self->cpu1_off = true;
	} else {
		TH_LOG("cpu1 offline still not done after 5 s with the ops stuck; workers: %s",
		       worker_states(states, sizeof(states)));
		EXPECT_TRUE(false) TH_LOG("CPU hotplug hangs behind an op stuck in a user fault");
	}

	/* Serve the faults: the ops complete, the offline (if hung) finishes. */
	t0 = pel_test_now_ns();
	ASSERT_EQ(0, uffd_serve_zero(self->uffd[0], region, span * self->a.nr_queues));
	if (self->hotplug > 0) {
		if (wait_child(self->hotplug, 60000, &status)) {
			self->hotplug = -1;
			self->cpu1_off = true;
			TH_LOG("the offline finished %.2f s after the faults were served",
			       (pel_test_now_ns() - t0) / 1e9);
		} else {
			TH_LOG("the offline still hangs 60 s after the faults were served");
		}
	}
	for (q = 0; q < self->a.nr_queues; q++) {
		struct pel_cqe cqe;

		ret = wait_cqe(&self->a, &cqe, 20 * SEC);
		ASSERT_EQ(0, ret) TH_LOG("CQE %u of %u: %s", q, self->a.nr_queues, strerror(-ret));
		EXPECT_EQ(self->pg, cqe.res) TH_LOG("queue %llu's COPY", (unsigned long long)cqe.user_data);
	}
	EXPECT_EQ(self->pg, pel_test_first_not(dst, 0, self->pg));
	if (self->cpu1_off) {
		ret = pel_test_write_file(CPU1_ONLINE, "1", 0);
		ASSERT_EQ(0, ret) TH_LOG("online cpu1: %s", strerror(-ret));
		self->cpu1_off = false;
	}
	free(dst);
}

/* ---- 3b: rmmod with an op stuck in a fault (last: it unloads) ------- */

/*
 * The uffd holder: reports each fault's address on wfd, serves nothing,
 * and dies with its parent.
 */
static void holder_child(int uffd, int wfd)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		uint64_t addr;

		if (!uffd_wait_fault(uffd, 1000, &addr, NULL) &&
		    write(wfd, &addr, sizeof(addr)) != sizeof(addr))
			_exit(1);
	}
}

static bool module_loaded(void)
{
	return !access("/sys/module/pel", F_OK);
}

static int module_refcnt(void)
{
	char line[32] = "";
	FILE *f = fopen("/sys/module/pel/refcnt", "r");
	int n = -1;

	if (f) {
		if (fgets(line, sizeof(line), f))
			n = atoi(line);
		fclose(f);
	}
	return n;
}

/*
 * split_bytes is read once per split decision: a write of 0 between the
 * decision and the chunk size used to divide by zero.  One thread writes
 * 0 / 64 KiB / 1 MiB / 128 KiB to it as fast as it can while 4 MiB
 * COPY_CRC32Cs run: every result must be exact (CRC against the reference,
 * the copied bytes), and the kernel log clean (the suite scans it).
 */
TEST_F_TIMEOUT(hard, split_bytes_toggled_under_load, 240)
{
	const size_t len = 4 << 20;
	uint8_t *src = malloc(len), *dst = malloc(len);
	unsigned long writes = 0;
	char saved[32] = "";
	uint32_t want;
	pthread_t t;
	unsigned int i;
	FILE *f;

	ASSERT_TRUE(src && dst);
	f = fopen(SPLIT_PARAM, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(saved, sizeof(saved), f));
	fclose(f);
	saved[strcspn(saved, "\n")] = 0;
	pel_test_fill_random(src, len, 4242);
	want = pel_ref_crc32c(0, src, len);
	ASSERT_EQ(0, lpel_init(&self->a, 64));
	self->a_ok = true;

	toggle_stop = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, toggle_split, &writes));
	for (i = 0; i < 40; i++) {
		struct pel_sqe tmpl;
		struct pel_cqe cqe;

		memset(dst, 0x11, len);
		lpel_prep_copy_crc32c(&tmpl, dst, src, len, 0);
		pel_test_run_sqe(_metadata, &self->a, &tmpl, &cqe, "COPY_CRC32C 4 MiB");
		EXPECT_EQ((int)len, cqe.res) TH_LOG("round %u", i);
		EXPECT_EQ(want, (uint32_t)cqe.result) TH_LOG("round %u: CRC", i);
		EXPECT_EQ(len, pel_test_first_diff(dst, src, len)) TH_LOG("round %u: bytes", i);
	}
	toggle_stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%lu writes of split_bytes during 40 split-or-not ops", writes);
	EXPECT_LT(40, writes);
	EXPECT_EQ(0, pel_test_write_file(SPLIT_PARAM, saved, 0));
	free(src);
	free(dst);
}

FIXTURE(unload) {
	pid_t holder;
	pid_t rmmod;
	int rmmod_status;
	bool rmmod_done;
	char insmod[64];
};

FIXTURE_SETUP(unload)
{
	char rm[64];

	self->holder = -1;
	self->rmmod = -1;
	if (!find_tool("rmmod", rm, sizeof(rm)) ||
	    !find_tool("insmod", self->insmod, sizeof(self->insmod)))
		SKIP(return, "no rmmod/insmod");
	if (access(PEL_KO, R_OK))
		SKIP(return, "%s missing: not in the test VM", PEL_KO);
	if (!module_loaded())
		SKIP(return, "pel is not loaded as a module");
	if (pel_wait_idle(30 * SEC) < 0)
		TH_LOG("pel threads still busy after 30 s");
}

/*
 * Whatever happened: kill the holder (which ends the fault), let a hung
 * rmmod finish, and load the module again.  Returns a message on failure.
 */
static const char *unload_finish(FIXTURE_DATA(unload) *self)
{
	char *argv[] = { self->insmod, PEL_KO, NULL };
	uint64_t end;
	pid_t pid;
	int status;

	kill_child(&self->holder);
	if (self->rmmod > 0) {
		if (!wait_child(self->rmmod, 60000, &self->rmmod_status))
			return "rmmod still hangs 60 s after the fault was released";
		self->rmmod = -1;
	}
	if (module_loaded())
		return NULL;
	pid = spawn(argv);
	if (pid < 0)
		return "fork for insmod failed";
	if (!wait_child(pid, 60000, &status)) {
		kill(pid, SIGKILL);
		return "insmod " PEL_KO " hangs";
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return "insmod " PEL_KO " failed: later tests cannot run";
	end = pel_test_now_ns() + 10 * SEC;
	while (access(PEL_DEVICE_PATH, F_OK) && pel_test_now_ns() < end)
		usleep(10 * 1000);
	if (access(PEL_DEVICE_PATH, F_OK))
		return "no " PEL_DEVICE_PATH " 10 s after insmod";
	return NULL;
}

FIXTURE_TEARDOWN(unload)
{
	const char *err = unload_finish(self);

	if (err)
		fprintf(stderr, "# unload teardown: %s\n", err);
}

/*
 * A child holds the only fd of a userfaultfd (it reports faults, serves
 * none); this process submits a COPY from the region, then closes its
 * context, so that no one uses the module.  rmmod pel must succeed within
 * 10 s.  Then the module is loaded again from /pel/pel.ko.
 */
TEST_F_TIMEOUT(unload, rmmod_with_stuck_op, 240)
{
	char rm[64], *argv[] = { rm, "pel", NULL };
	struct lpel_ring ring;
	struct pel_sqe *sqe;
	uint8_t *region, *dst;
	struct pollfd pfd;
	uint64_t addr, t0, end;
	int uffd, p[2], ret, refs;
	long pg = sysconf(_SC_PAGESIZE);
	const char *err;

	ASSERT_NE(NULL, find_tool("rmmod", rm, sizeof(rm)));
	region = uffd_region(4 * pg, &uffd);
	if (!region && (errno == ENOSYS || errno == EPERM))
		SKIP(return, "userfaultfd unavailable: %s", strerror(errno));
	ASSERT_NE(NULL, region) TH_LOG("userfaultfd region: %s", strerror(errno));
	dst = malloc(4 * pg);
	ASSERT_NE(NULL, dst);

	/* The holder forks before /dev/pel is opened: it holds no context. */
	ASSERT_EQ(0, pipe(p));
	self->holder = fork();
	ASSERT_LE(0, self->holder);
	if (self->holder == 0) {
		close(p[0]);
		holder_child(uffd, p[1]);
	}
	close(p[1]);
	close(uffd);

	ret = lpel_init(&ring, 16);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret));
	sqe = lpel_get_sqe_on(&ring, ring.nr_queues - 1);
	ASSERT_NE(NULL, sqe);
	lpel_prep_copy(sqe, dst, region, 2 * pg);
	lpel_sqe_set_data(sqe, 1);
	ASSERT_EQ(1, lpel_submit(&ring));
	pfd.fd = p[0];
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, 10000)) TH_LOG("the COPY reached no userfault in 10 s");
	ASSERT_EQ(sizeof(addr), read(p[0], &addr, sizeof(addr)));
	EXPECT_EQ((uintptr_t)region, addr);
	lpel_exit(&ring);	/* unmaps the rings and closes the fd */

	/* No context left (the stuck op's may linger, unreferenced by files). */
	end = pel_test_now_ns() + 5 * SEC;
	while ((refs = module_refcnt()) > 0 && pel_test_now_ns() < end)
		usleep(10 * 1000);
	TH_LOG("module refcnt %d with the op stuck and the fd closed", refs);

	t0 = pel_test_now_ns();
	self->rmmod = spawn(argv);
	ASSERT_LT(0, self->rmmod);
	self->rmmod_done = wait_child(self->rmmod, 10000, &self->rmmod_status);
	if (self->rmmod_done) {
		self->rmmod = -1;
		TH_LOG("rmmod pel took %.2f s with an op stuck in a fault",
		       (pel_test_now_ns() - t0) / 1e9);
		EXPECT_TRUE(WIFEXITED(self->rmmod_status) && !WEXITSTATUS(self->rmmod_status))
			TH_LOG("rmmod pel failed: status %#x", self->rmmod_status);
		EXPECT_FALSE(module_loaded()) TH_LOG("pel still loaded after rmmod");
	} else {
		TH_LOG("rmmod pel still running after 10 s with an op stuck in a fault");
		EXPECT_TRUE(false) TH_LOG("rmmod hangs behind an op stuck in a user fault");
	}

	t0 = pel_test_now_ns();
	err = unload_finish(self);
	if (!self->rmmod_done)
		TH_LOG("rmmod ended %.2f s after the fault was released (status %#x)",
		       (pel_test_now_ns() - t0) / 1e9, self->rmmod_status);
	ASSERT_EQ(NULL, err) TH_LOG("%s", err);
	ASSERT_TRUE(module_loaded());
	close(p[0]);
	munmap(region, 4 * pg);
	free(dst);
}

TEST_HARNESS_MAIN
