// SPDX-License-Identifier: GPL-2.0
/*
 * Limits and permissions: contexts per user (-EMFILE), queue entries in
 * all (-ENOMEM), each with a kernel log line naming the limit; the device
 * mode keeps out users outside its group; stats show other users' contexts
 * to the admin only; an fd passed to another process is refused there.
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

FIXTURE(params) {
	char max_ctx[32];
	char max_entries[32];
};

FIXTURE_SETUP(params)
{
	ASSERT_EQ(0, read_param("max_contexts_per_user", self->max_ctx, sizeof(self->max_ctx)));
	ASSERT_EQ(0, read_param("max_queue_entries", self->max_entries, sizeof(self->max_entries)));
}

FIXTURE_TEARDOWN(params)
{
	write_param("max_contexts_per_user", self->max_ctx);
	write_param("max_queue_entries", self->max_entries);
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
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		st.index = n;
		if (ioctl(fd, PEL_IOC_CTX_STATS, &st) < 0)
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
	int mine;

	if (geteuid())
		SKIP(return, "needs root");
	mine = setup_ctx(8);
	ASSERT_LE(0, mine);
	/* the child sees exactly the one context it set up itself */
	EXPECT_EQ(1, as_nobody(count_visible, (void *)1));
	EXPECT_EQ(0, as_nobody(count_visible, NULL));
	/* root (CAP_SYS_ADMIN) sees its own */
	EXPECT_LE(1, count_visible(NULL));
	close(mine);
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
