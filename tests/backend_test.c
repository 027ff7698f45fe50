// SPDX-License-Identifier: GPL-2.0
/*
 * Choosing a backend (lpel_params.backend, $LPEL_BACKEND, lpel_backend()):
 * the parameters' checks, the environment's precedence, the user backend's
 * geometry, and AUTO's fallback, which says so on stderr once per process
 * unless told not to.  Runs on the host stage and in the VMs (where the
 * module is loaded, so AUTO is the kernel there and the fallback's tests
 * skip; vm-suite.sh checks the fallback after rmmod).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lpel.h"
#include "pel_test.h"

static bool module_present(void)
{
	return access(PEL_DEVICE_PATH, F_OK) == 0;
}

TEST(names)
{
	EXPECT_STREQ("default", lpel_backend_name(LPEL_BACKEND_DEFAULT));
	EXPECT_STREQ("kernel", lpel_backend_name(LPEL_BACKEND_KERNEL));
	EXPECT_STREQ("user", lpel_backend_name(LPEL_BACKEND_USER));
	EXPECT_STREQ("auto", lpel_backend_name(LPEL_BACKEND_AUTO));
	EXPECT_EQ(NULL, lpel_backend_name(4));
	EXPECT_EQ(NULL, lpel_backend_name(-1));
}

TEST(bad_params)
{
	struct lpel_params p = { .backend = LPEL_BACKEND_USER };
	struct lpel_ring ring;

	p.resv[3] = 1;
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
	EXPECT_EQ(-1, ring.fd);
	p.resv[3] = 0;
	p.lib_flags = 1U << 7;
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
	p.lib_flags = 0;
	p.backend = LPEL_BACKEND_AUTO + 1;
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
	/* lpel_exit() on a ring that failed setup does nothing. */
	lpel_exit(&ring);
}

/* $LPEL_BACKEND: a value the library does not know is an error, not a default. */
TEST(environment)
{
	struct lpel_params p = { .sq_entries = 8 };
	const char *old = getenv("LPEL_BACKEND");
	char *saved = old ? strdup(old) : NULL;
	struct lpel_ring ring;

	ASSERT_EQ(0, setenv("LPEL_BACKEND", "bogus", 1));
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
	/* An explicit parameter wins over the environment. */
	p.backend = LPEL_BACKEND_USER;
	ASSERT_EQ(0, lpel_init_params(&ring, &p));
	EXPECT_EQ(LPEL_BACKEND_USER, lpel_backend(&ring));
	lpel_exit(&ring);
	/* The environment picks the default. */
	p.backend = LPEL_BACKEND_DEFAULT;
	ASSERT_EQ(0, setenv("LPEL_BACKEND", "user", 1));
	ASSERT_EQ(0, lpel_init_params(&ring, &p));
	EXPECT_EQ(LPEL_BACKEND_USER, lpel_backend(&ring));
	lpel_exit(&ring);
	if (saved)
		setenv("LPEL_BACKEND", saved, 1);
	else
		unsetenv("LPEL_BACKEND");
	free(saved);
}

/* The user backend's ring: its geometry, features, fd; and an op on it. */
TEST(user_ring)
{
	struct lpel_params p = { .backend = LPEL_BACKEND_USER, .nr_threads = 3,
				 .sq_entries = 16 };
	struct pollfd pfd;
	struct lpel_ring ring;
	struct pel_sqe s;
	uint8_t a[100], b[100];

	ASSERT_EQ(0, lpel_init_params(&ring, &p));
	EXPECT_EQ(LPEL_BACKEND_USER, lpel_backend(&ring));
	EXPECT_EQ(3, ring.nr_queues);
	EXPECT_EQ(16, ring.queues[0].sq_entries);
	EXPECT_EQ(32, ring.queues[0].cq_entries);
	EXPECT_EQ(0, ring.features & PEL_FEAT_STATS);
	EXPECT_NE(0, ring.features & PEL_FEAT_OP_COPY);
	EXPECT_NE(0, ring.features & PEL_FEAT_REGISTERED_BUFFERS);
	EXPECT_NE(0, ring.features & PEL_FEAT_WAIT);

	memset(a, 7, sizeof(a));
	memset(b, 0, sizeof(b));
	lpel_prep_copy(&s, b, a, sizeof(a));
	pel_test_expect_op(_metadata, &ring, &s, sizeof(a), sizeof(a), "copy");
	EXPECT_EQ(0, memcmp(a, b, sizeof(a)));

	/* Nothing ready: the fd is not readable. */
	pfd.fd = lpel_fd(&ring);
	pfd.events = POLLIN;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	lpel_exit(&ring);

	/* The kernel's geometry rules. */
	p.sq_entries = 3;
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
	p.sq_entries = 16;
	p.cq_entries = 8;
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
	p.cq_entries = 0;
	p.idle_us = PEL_MAX_IDLE_US + 1;
	EXPECT_EQ(-EINVAL, lpel_init_params(&ring, &p));
}

/*
 * The user backend's eventfd says whether a CQE is ready from the first
 * lpel_fd() on: before it, nothing writes it (no system call per CQE for
 * a ring nobody polls); arming it finds a CQE already posted.
 */
TEST(user_fd_armed_by_lpel_fd)
{
	struct lpel_params p = { .backend = LPEL_BACKEND_USER, .nr_threads = 2 };
	struct pollfd pfd = { .events = POLLIN };
	struct lpel_ring ring;
	struct pel_cqe *cqe;
	struct pel_sqe *sqe;
	int i;

	ASSERT_EQ(0, lpel_init_params(&ring, &p));
	sqe = lpel_get_sqe(&ring);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, 42);
	ASSERT_EQ(1, lpel_submit(&ring));
	for (i = 0; i < 10000 && !lpel_cq_ready(&ring); i++)
		usleep(100);
	ASSERT_EQ(1, lpel_cq_ready(&ring));

	pfd.fd = ring.fd;
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	EXPECT_EQ(ring.fd, lpel_fd(&ring));
	EXPECT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLIN, pfd.revents);
	/* Armed twice is armed once. */
	EXPECT_EQ(ring.fd, lpel_fd(&ring));

	ASSERT_EQ(0, lpel_peek_cqe(&ring, &cqe));
	EXPECT_EQ(42, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	lpel_cqe_seen(&ring, cqe);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	lpel_exit(&ring);
}

/* KERNEL: the module, or -ENODEV without it; never the user backend. */
TEST(kernel_only_when_asked)
{
	struct lpel_params p = { .backend = LPEL_BACKEND_KERNEL };
	struct lpel_ring ring;
	int ret = lpel_init_params(&ring, &p);

	if (module_present()) {
		ASSERT_EQ(0, ret);
		EXPECT_EQ(LPEL_BACKEND_KERNEL, lpel_backend(&ring));
		lpel_exit(&ring);
	} else {
		EXPECT_EQ(-ENODEV, ret);
	}
}

/*
 * AUTO in a child whose stderr is a pipe: two rings, then what the child
 * wrote.  Returns the lines that name the fallback, or -1.
 */
static int auto_fallback_lines(unsigned int lib_flags, const char *quiet)
{
	char buf[4096];
	int fds[2], st, n = 0;
	ssize_t got, len = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		struct lpel_params p = { .backend = LPEL_BACKEND_AUTO,
					 .lib_flags = lib_flags };
		struct lpel_ring r1, r2;

		dup2(fds[1], 2);
		close(fds[0]);
		if (quiet)
			setenv("LPEL_QUIET", quiet, 1);
		else
			unsetenv("LPEL_QUIET");
		if (lpel_init_params(&r1, &p) || lpel_init_params(&r2, &p))
			_exit(2);
		if (lpel_backend(&r1) != LPEL_BACKEND_USER ||
		    lpel_backend(&r2) != LPEL_BACKEND_USER)
			_exit(3);
		lpel_exit(&r1);
		lpel_exit(&r2);
		_exit(0);
	}
	close(fds[1]);
	while ((got = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += got;
	close(fds[0]);
	buf[len] = 0;
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		return -1;
	for (char *l = buf; (l = strstr(l, "liblpel: /dev/pel absent")); l++)
		n++;
	return n;
}

TEST(auto_falls_back_and_says_so_once)
{
	if (module_present())
		SKIP(return, "pel.ko is loaded: AUTO is the kernel (vm-suite.sh checks it after rmmod)");
	EXPECT_EQ(1, auto_fallback_lines(0, NULL));
	EXPECT_EQ(0, auto_fallback_lines(LPEL_LIB_QUIET, NULL));
	EXPECT_EQ(0, auto_fallback_lines(0, "1"));
}

TEST(auto_is_the_kernel_with_the_module)
{
	struct lpel_params p = { .backend = LPEL_BACKEND_AUTO };
	struct lpel_ring ring;

	if (!module_present())
		SKIP(return, "pel.ko is not loaded");
	ASSERT_EQ(0, lpel_init_params(&ring, &p));
	EXPECT_EQ(LPEL_BACKEND_KERNEL, lpel_backend(&ring));
	lpel_exit(&ring);
}

TEST_HARNESS_MAIN
