// SPDX-License-Identifier: GPL-2.0
/*
 * Limits and permissions: contexts per user (-EMFILE), queue entries per
 * user and in all (-ENOMEM; the last eighth of the global limit is kept for
 * CAP_SYS_RESOURCE), ops in flight per user, the polling time an
 * unprivileged context may ask for (-EPERM), each refusal with a kernel log
 * line naming the limit; the device is root's (0600) unless udev says
 * otherwise, and its mode keeps out users outside its group; stats show
 * other users' contexts to the admin only; an fd passed to another process
 * is refused there.
 */
#include <fcntl.h>
#include <grp.h>
#include <sys/klog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define PARAMS "/sys/module/pel/parameters/"

static int read_param(const char *name, char *buf, size_t len)
{
	char path[128];
	int fd, n;

	snprintf(path, sizeof(path), PARAMS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = 0;
	return 0;
}

static int write_param(const char *name, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), PARAMS "%s", name);
	return pel_test_write_file(path, val, 0);
}

/* Whether the kernel log mentions @what. */
static bool klog_says(const char *what)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);

	if (n <= 0)
		return false;
	buf[n] = 0;
	return strstr(buf, what);
}

static int setup_ctx(unsigned int sq)
{
	struct pel_setup p = { .size = sizeof(p), .sq_entries = sq };
	int fd = pel_test_open(), ret;

	if (fd < 0)
		return -errno;
	ret = pel_test_setup(fd, &p);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/*
 * The module makes /dev/pel root's, 0600, like /dev/kvm before udev: only
 * the shipped rule (group pel, 0660) lets others in.  No udev in the VM.
 */
TEST(device_mode_default)
{
	char mode[32];
	struct stat st;

	ASSERT_EQ(0, read_param("dev_mode", mode, sizeof(mode)));
	EXPECT_EQ(0600, strtoul(mode, NULL, 0)) TH_LOG("dev_mode %s", mode);
	ASSERT_EQ(0, stat(PEL_DEVICE_PATH, &st));
	if (st.st_gid)
		SKIP(return, "/dev/pel has group %u: udev's rule, not the module's mode", st.st_gid);
	EXPECT_EQ(0600, st.st_mode & 07777);
}

/* The module parameters the tests below change, restored after each. */
static const char *const saved_params[] = {
	"max_contexts_per_user", "max_queue_entries",
	"max_queue_entries_per_user", "max_inflight_per_user",
	"max_user_idle_us",
};
#define NR_SAVED (sizeof(saved_params) / sizeof(saved_params[0]))

FIXTURE(params) {
	char saved[NR_SAVED][32];
	struct stat dev;
};

/*
 * Also opens the device to everyone for the test (the uid children need
 * it; the module makes it 0600), and puts its mode back after.
 */
FIXTURE_SETUP(params)
{
	unsigned int i;

	for (i = 0; i < NR_SAVED; i++) {
		int ret = read_param(saved_params[i], self->saved[i], sizeof(self->saved[i]));

		if (ret)
			fprintf(stderr, "# %s: %s\n", saved_params[i], strerror(-ret));
		ASSERT_EQ(0, ret);
	}
	ASSERT_EQ(0, stat(PEL_DEVICE_PATH, &self->dev));
	if (!geteuid())
		ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, 0666));
}

FIXTURE_TEARDOWN(params)
{
	unsigned int i;

	for (i = 0; i < NR_SAVED; i++)
		write_param(saved_params[i], self->saved[i]);
	if (!geteuid())
		chmod(PEL_DEVICE_PATH, self->dev.st_mode & 07777);
}

static void write_param_ul(struct __test_metadata *_metadata,
			   const char *name, unsigned long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%lu", v);
	ASSERT_EQ(0, write_param(name, val)) TH_LOG("%s=%s", name, val);
}

TEST_F(params, contexts_per_user)
{
	int fds[4], i, fd;

	ASSERT_EQ(0, write_param("max_contexts_per_user", "3"));
	for (i = 0; i < 3; i++) {
		fds[i] = setup_ctx(8);
		ASSERT_LE(0, fds[i]) TH_LOG("context %d: %s", i, strerror(-fds[i]));
	}
	EXPECT_EQ(-EMFILE, setup_ctx(8));
	EXPECT_TRUE(klog_says("max_contexts_per_user (3) reached"));
	/* an fd that is open but not set up does not count */
	fd = pel_test_open();
	ASSERT_LE(0, fd);
	close(fds[0]);
	fds[0] = setup_ctx(8);
	EXPECT_LE(0, fds[0]);
	for (i = 0; i < 3; i++)
		close(fds[i]);
	close(fd);
}

TEST_F(params, queue_entries)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	char val[32];
	int a, b;

	/* room for one context of 64 + 128 entries per queue, not two */
	snprintf(val, sizeof(val), "%ld", ncpu * 192 + ncpu * 100);
	ASSERT_EQ(0, write_param("max_queue_entries", val));
	a = setup_ctx(64);
	ASSERT_LE(0, a) TH_LOG("%s", strerror(-a));
	EXPECT_EQ(-ENOMEM, setup_ctx(64));
	EXPECT_TRUE(klog_says("max_queue_entries"));
	b = setup_ctx(16);	/* 48 per queue still fits */
	EXPECT_LE(0, b);
	close(a);
	if (b >= 0)
		close(b);
	/* closing gives the entries back */
	a = setup_ctx(64);
	EXPECT_LE(0, a);
	if (a >= 0)
		close(a);
}

/* Run @fn in a child as uid/gid @uid (no caps left); returns its exit status. */
static int as_user(uid_t uid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid))
			_exit(250);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct setups {
	unsigned int sq;	/* SQ entries a queue */
	unsigned int nr;	/* contexts */
	unsigned int idle_us;	/* 0: the module's default */
};

/* Set up ->nr contexts at once: 0, or the errno of the first that failed. */
static int try_setups(void *arg)
{
	const struct setups *s = arg;
	int fds[16], ret = 0;
	unsigned int i, n;

	for (n = 0; n < s->nr && n < 16; n++) {
		struct pel_setup p = {
			.size = sizeof(p), .sq_entries = s->sq, .idle_us = s->idle_us,
		};

		fds[n] = pel_test_open();
		if (fds[n] < 0)
			return errno == EACCES ? 13 : 251;
		ret = -pel_test_setup(fds[n], &p);
		if (ret) {
			close(fds[n]);
			break;
		}
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return ret;
}

/* A child of another uid holding contexts until released. */
struct holder {
	pid_t pid;
	int release;		/* closing it lets the child go */
};

/*
 * Fork a child as @uid that sets up contexts of @sq entries until one
 * fails (or it has @max); *@got is how many it holds, *@err the -errno of
 * the one that failed (0: none did).
 */
static int hold_contexts(uid_t uid, unsigned int sq, int max,
			 struct holder *h, int *got, int *err)
{
	int report[2], release[2], res[2];
	char c;

	if (pipe(report) || pipe(release))
		return -errno;
	fflush(NULL);
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		res[0] = 0;
		res[1] = 0;
		close(report[0]);
		close(release[1]);
		if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
		    setresuid(uid, uid, uid)) {
			res[1] = -EPERM;
		} else {
			while (res[0] < max && !res[1]) {
				int fd = setup_ctx(sq);

				if (fd < 0)
					res[1] = fd;
				else
					res[0]++;
			}
		}
		if (write(report[1], res, sizeof(res)) != sizeof(res))
			_exit(1);
		/* Hold the contexts (fds) until the parent closes its end. */
		while (read(release[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(report[1]);
	close(release[0]);
	h->release = release[1];
	if (read(report[0], res, sizeof(res)) != sizeof(res)) {
		close(report[0]);
		return -EIO;
	}
	close(report[0]);
	*got = res[0];
	*err = res[1];
	return 0;
}

static void release_contexts(struct holder *h)
{
	int status;

	close(h->release);
	waitpid(h->pid, &status, 0);
}

/* The entries of one context of sq entries (cq twice that) a queue. */
static unsigned long ctx_entries(unsigned int sq)
{
	return (unsigned long)sysconf(_SC_NPROCESSORS_ONLN) * 3 * sq;
}

/* One uid at its contexts limit leaves another uid and root theirs. */
TEST_F(params, contexts_per_uid)
{
	struct setups two = { .sq = 8, .nr = 2 };
	struct holder a;
	int got, err, fd;

	if (geteuid())
		SKIP(return, "needs root to become other users");
	ASSERT_EQ(0, write_param("max_contexts_per_user", "2"));
	ASSERT_EQ(0, hold_contexts(1000, 8, 8, &a, &got, &err));
	EXPECT_EQ(2, got);
	EXPECT_EQ(-EMFILE, err);
	EXPECT_TRUE(klog_says("uid 1000 has 2 contexts: max_contexts_per_user (2) reached"));
	EXPECT_EQ(0, as_user(1001, try_setups, &two));
	fd = setup_ctx(8);
	EXPECT_LE(0, fd) TH_LOG("root: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	release_contexts(&a);
	EXPECT_EQ(0, as_user(1000, try_setups, &two));
}

/*
 * One uid at its queue entries limit: another uid and root still set up.
 * The issue: one uid's contexts took all of max_queue_entries and every
 * other uid, root included, got -ENOMEM.
 */
TEST_F(params, queue_entries_per_uid)
{
	struct setups one = { .sq = 64, .nr = 1 };
	struct holder a;
	int got, err, fd;
	char line[128];

	if (geteuid())
		SKIP(return, "needs root to become other users");
	/* room for two contexts of one uid */
	write_param_ul(_metadata, "max_queue_entries_per_user", 2 * ctx_entries(64) + 100);
	ASSERT_EQ(0, hold_contexts(1000, 64, 8, &a, &got, &err));
	EXPECT_EQ(2, got);
	EXPECT_EQ(-ENOMEM, err);
	snprintf(line, sizeof(line), "max_queue_entries_per_user (%lu) reached",
		 2 * ctx_entries(64) + 100);
	EXPECT_TRUE(klog_says(line)) TH_LOG("no log line '%s'", line);
	EXPECT_EQ(0, as_user(1001, try_setups, &one));
	fd = setup_ctx(64);
	EXPECT_LE(0, fd) TH_LOG("root: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	/* smaller contexts still fit beside the two */
	one.sq = 8;
	EXPECT_EQ(0, as_user(1000, try_setups, &one));
	release_contexts(&a);
	/* closing gives the entries back */
	one.sq = 64;
	one.nr = 2;
	EXPECT_EQ(0, as_user(1000, try_setups, &one));
}

/*
 * The global limit leaves room: unprivileged users together get 7/8 of
 * max_queue_entries, the last 1/8 is for CAP_SYS_RESOURCE.
 */
TEST_F(params, queue_entries_reserve)
{
	struct setups one = { .sq = 64, .nr = 1 };
	struct holder a;
	int got, err, fd, fd2;
	char line[128];

	if (geteuid())
		SKIP(return, "needs root to become other users");
	write_param_ul(_metadata, "max_queue_entries_per_user", 1UL << 30);
	write_param_ul(_metadata, "max_queue_entries", 8 * ctx_entries(64));
	/*
	 * The log line is rate-limited (10 in 5 s, per line): let the burst
	 * of earlier refusals (queue_entries, hotplug_test) run out first.
	 */
	sleep(6);
	ASSERT_EQ(0, hold_contexts(1000, 64, 16, &a, &got, &err));
	EXPECT_EQ(7, got);
	EXPECT_EQ(-ENOMEM, err);
	snprintf(line, sizeof(line), "max_queue_entries (%lu) reached",
		 8 * ctx_entries(64));
	EXPECT_TRUE(klog_says(line)) TH_LOG("no log line '%s'", line);
	EXPECT_EQ(ENOMEM, as_user(1001, try_setups, &one));
	fd = setup_ctx(64);
	EXPECT_LE(0, fd) TH_LOG("root: %s", strerror(-fd));
	/* and then the global limit is reached for root too */
	fd2 = setup_ctx(64);
	EXPECT_EQ(-ENOMEM, fd2);
	if (fd >= 0)
		close(fd);
	if (fd2 >= 0)
		close(fd2);
	release_contexts(&a);
	EXPECT_EQ(0, as_user(1001, try_setups, &one));
}

/* What inflight_child() found: the most ops of its uid ever in flight. */
#define INFLIGHT_CAP	3

/*
 * Two contexts of one uid, each free to have 4096 ops in flight, share
 * the uid's max_inflight_per_user: taken - posted over both never passes
 * it.  Exit status: the worst seen, or 200 + a step that failed.
 */
static int inflight_child(void *arg)
{
	const unsigned int nr = 32, len = 256 << 10;
	uint8_t *src = malloc(len), *dst = malloc((size_t)2 * nr * len);
	struct lpel_params p = { .sq_entries = 64 };
	unsigned int i, r, q, got = 0, worst = 0;
	struct lpel_ring rings[2];

	(void)arg;
	if (!src || !dst)
		return 201;
	memset(src, 5, len);
	for (r = 0; r < 2; r++) {
		if (lpel_init_params(&rings[r], &p))
			return 202;
		for (i = 0; i < nr; i++) {
			struct pel_sqe *sqe = lpel_get_sqe_on(&rings[r], i % rings[r].nr_queues);

			if (!sqe)
				return 203;
			lpel_prep_copy(sqe, dst + ((size_t)r * nr + i) * len, src, len);
			lpel_sqe_set_data(sqe, i);
		}
	}
	for (r = 0; r < 2; r++)
		if (lpel_submit(&rings[r]) != (int)nr)
			return 204;
	/* Nothing is reaped until all are done: taken - posted is in flight. */
	while (got < 2 * nr) {
		unsigned int taken = 0, posted = 0, again = 0;

		/* A sample counts only if no CQE arrived while it was taken. */
		for (r = 0; r < 2; r++)
			for (q = 0; q < rings[r].nr_queues; q++)
				posted += __atomic_load_n(rings[r].queues[q].cq_tail, __ATOMIC_ACQUIRE);
		for (r = 0; r < 2; r++)
			for (q = 0; q < rings[r].nr_queues; q++)
				taken += __atomic_load_n(rings[r].queues[q].sq_head, __ATOMIC_ACQUIRE);
		for (r = 0; r < 2; r++)
			for (q = 0; q < rings[r].nr_queues; q++)
				again += __atomic_load_n(rings[r].queues[q].cq_tail, __ATOMIC_ACQUIRE);
		if (again == posted && taken - posted > worst)
			worst = taken - posted;
		got = again;
		/* Wait on both: each wait wakes what its context can run. */
		for (r = 0; got < 2 * nr && r < 2; r++)
			lpel_wait_cqe_timeout(&rings[r], &(struct pel_cqe *){ NULL }, 1000000);
	}
	for (r = 0; r < 2; r++) {
		struct pel_cqe *cqe;

		for (i = 0; i < nr; i++) {
			if (lpel_peek_cqe(&rings[r], &cqe))
				return 205;
			if (cqe->res != (int)len)
				return 206;
			lpel_cqe_seen(&rings[r], cqe);
		}
		lpel_exit(&rings[r]);
	}
	free(src);
	free(dst);
	return worst < 200 ? worst : 199;
}

TEST_F(params, inflight_per_uid)
{
	int worst;

	if (geteuid())
		SKIP(return, "needs root to become other users");
	write_param_ul(_metadata, "max_inflight_per_user", INFLIGHT_CAP);
	worst = as_user(1000, inflight_child, NULL);
	EXPECT_GE(INFLIGHT_CAP, worst) TH_LOG("worst %d", worst);
	EXPECT_LE(1, worst) TH_LOG("worst %d", worst);
	EXPECT_TRUE(klog_says("max_inflight_per_user (3) reached"));
	/* another uid is not held back by what uid 1000 had */
	worst = as_user(1001, inflight_child, NULL);
	EXPECT_GE(INFLIGHT_CAP, worst) TH_LOG("worst %d", worst);
	EXPECT_LE(1, worst) TH_LOG("worst %d", worst);
}

/* An unprivileged context may not ask workers to poll longer than max_user_idle_us. */
TEST_F(params, idle_us_unprivileged)
{
	struct setups s = { .sq = 8, .nr = 1, .idle_us = 10000 };
	struct pel_setup p = { .size = sizeof(p), .idle_us = PEL_MAX_IDLE_US };
	int fd;

	if (geteuid())
		SKIP(return, "needs root to become other users");
	ASSERT_EQ(0, write_param("max_user_idle_us", "10000"));
	EXPECT_EQ(0, as_user(1000, try_setups, &s));
	s.idle_us = 10001;
	EXPECT_EQ(EPERM, as_user(1000, try_setups, &s));
	EXPECT_TRUE(klog_says("idle_us 10001: max_user_idle_us (10000) exceeded"));
	s.idle_us = PEL_MAX_IDLE_US;
	EXPECT_EQ(EPERM, as_user(1000, try_setups, &s));
	/* CAP_SYS_NICE may */
	fd = pel_test_open();
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, pel_test_setup(fd, &p));
	close(fd);
	/* the module's default (idle_us 0) is no ask */
	ASSERT_EQ(0, write_param("max_user_idle_us", "100"));
	s.idle_us = 0;
	EXPECT_EQ(0, as_user(1000, try_setups, &s));
}

/* Run @fn in a child as uid/gid 4242; returns its exit status. */
static int as_nobody(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(4242) || setuid(4242))
			_exit(99);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int try_open(void *arg)
{
	int fd = pel_test_open();

	(void)arg;
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EACCES ? 13 : 1;
}

/* 0660 root:4343 keeps uid 4242 out with -EACCES; 0666 lets it in. */
TEST(device_permissions)
{
	struct stat st;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, stat(PEL_DEVICE_PATH, &st));
	ASSERT_EQ(0, chown(PEL_DEVICE_PATH, 0, 4343));
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, 0660));
	EXPECT_EQ(13, as_nobody(try_open, NULL));
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, 0666));
	EXPECT_EQ(0, as_nobody(try_open, NULL));
	ASSERT_EQ(0, chown(PEL_DEVICE_PATH, st.st_uid, st.st_gid));
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, st.st_mode & 07777));
}

/* uid 4242 sees no context of root's; root sees uid 4242's. */
static int count_visible(void *arg)
{
	struct pel_ctx_stats st;
	int fd = pel_test_open(), n = 0, own;

	own = arg ? setup_ctx(8) : -1;
	if (fd < 0)
		return 100;
	for (;;) {
		if (lpel_ctx_stats(fd, n, &st))
			break;
		n++;
	}
	close(fd);
	if (own >= 0)
		close(own);
	return n;
}

TEST(stats_privacy)
{
	struct stat st;
	int mine;

	if (geteuid())
		SKIP(return, "needs root");
	ASSERT_EQ(0, stat(PEL_DEVICE_PATH, &st));
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, 0666));
	mine = setup_ctx(8);
	ASSERT_LE(0, mine);
	/* the child sees exactly the one context it set up itself */
	EXPECT_EQ(1, as_nobody(count_visible, (void *)1));
	EXPECT_EQ(0, as_nobody(count_visible, NULL));
	/* root (CAP_SYS_ADMIN) sees its own */
	EXPECT_LE(1, count_visible(NULL));
	close(mine);
	ASSERT_EQ(0, chmod(PEL_DEVICE_PATH, st.st_mode & 07777));
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'x';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(fd));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* An fd passed over a UNIX socket is useless to the receiver. */
TEST(fd_passing_refused)
{
	struct lpel_ring ring;
	struct pel_sqe *sqe;
	struct pel_cqe cqe;
	int sv[2], status;
	pid_t pid;

	ASSERT_EQ(0, lpel_init(&ring, 8));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char cbuf[CMSG_SPACE(sizeof(int))], c;
		struct iovec iov = { .iov_base = &c, .iov_len = 1 };
		struct msghdr msg = {
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		struct pel_enter e = { .flags = PEL_ENTER_WAKE, .queue = PEL_QUEUE_ALL };
		struct pel_setup p = { .size = sizeof(p) };
		int fd;

		/* A fresh process, not a fork sharing anything: exec-like. */
		lpel_exit(&ring);
		if (recvmsg(sv[1], &msg, 0) != 1)
			_exit(10);
		memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(fd));
		if (pel_test_enter(fd, &e) != -EPERM)
			_exit(11);
		if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) != MAP_FAILED ||
		    errno != EPERM)
			_exit(12);
		if (pel_test_setup(fd, &p) != -EBUSY)
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(0, send_fd(sv[0], lpel_fd(&ring)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* and the owner still uses it */
	sqe = lpel_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 5);
	ASSERT_EQ(0, pel_test_run_one(&ring, sqe, &cqe));
	EXPECT_EQ(5, cqe.user_data);
	lpel_exit(&ring);
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
