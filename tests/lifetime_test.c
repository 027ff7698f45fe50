// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime: closing the fd, exiting and being SIGKILLed with ops in flight
 * are clean; the context goes away and the module can be unloaded after.
 * (The suite runner unloads it at the end and checks the kernel log.)
 */
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define BIG	(1 << 20)
#define NR_OPS	32

/* Fill every queue with 1 MiB copies and publish them; do not reap. */
static void flood(struct lpel_ring *ring, uint8_t *src, uint8_t *dst)
{
	unsigned int i;

	for (i = 0; i < NR_OPS; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(ring, i % ring->nr_queues);

		if (!sqe)
			break;
		lpel_prep_copy(sqe, dst + (size_t)(i % 4) * BIG, src, BIG);
		lpel_sqe_set_data(sqe, i);
	}
	lpel_submit(ring);
}

static unsigned int nr_contexts(void)
{
	struct pel_info info;

	if (pel_test_info(&info))
		return ~0U;
	return info.nr_contexts;
}

/* Contexts of exited processes go away; give the workers a moment. */
static int wait_contexts(unsigned int want)
{
	int i;

	for (i = 0; i < 200; i++) {
		if (nr_contexts() == want)
			return 0;
		usleep(10 * 1000);
	}
	return -1;
}

TEST(close_in_flight)
{
	uint8_t *src = malloc(BIG), *dst = malloc(4 * BIG);
	unsigned int base = nr_contexts();
	int round;

	ASSERT_TRUE(src && dst);
	memset(src, 1, BIG);
	for (round = 0; round < 10; round++) {
		struct lpel_ring ring;

		ASSERT_EQ(0, lpel_init(&ring, 64));
		flood(&ring, src, dst);
		lpel_exit(&ring);
	}
	EXPECT_EQ(0, wait_contexts(base));
	free(src);
	free(dst);
}

/* Exit (not kill) with ops in flight and rings still mapped. */
TEST(exit_in_flight)
{
	unsigned int base = nr_contexts();
	int status, round;

	for (round = 0; round < 20; round++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			uint8_t *src = malloc(BIG), *dst = malloc(4 * BIG);
			struct lpel_ring ring;

			if (!src || !dst || lpel_init(&ring, 64))
				_exit(1);
			memset(src, 2, BIG);
			flood(&ring, src, dst);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	EXPECT_EQ(0, wait_contexts(base));
}

static int kill_rounds(void)
{
	const char *s = getenv("PEL_KILL_ROUNDS");

	return s ? atoi(s) : 1000;
}

FIXTURE(long_run) {
	int unused;
};

FIXTURE_SETUP(long_run)
{
}

FIXTURE_TEARDOWN(long_run)
{
}

/* A thousand processes SIGKILLed with copies in flight (PEL_KILL_ROUNDS). */
TEST_F_TIMEOUT(long_run, sigkill_in_flight, 600)
{
	unsigned int base = nr_contexts();
	int status, round, pipefd[2], rounds = kill_rounds();

	for (round = 0; round < rounds; round++) {
		char c;
		pid_t pid;

		ASSERT_EQ(0, pipe(pipefd));
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			uint8_t *src = malloc(BIG), *dst = malloc(4 * BIG);
			struct lpel_ring ring;

			close(pipefd[0]);
			if (!src || !dst || lpel_init(&ring, 64))
				_exit(1);
			memset(src, 3, BIG);
			for (;;) {
				struct pel_cqe *cqe;

				flood(&ring, src, dst);
				if (pipefd[1] >= 0) {
					(void)!write(pipefd[1], "x", 1);
					close(pipefd[1]);
					pipefd[1] = -1;
				}
				while (!lpel_peek_cqe(&ring, &cqe))
					lpel_cqe_seen(&ring, cqe);
			}
		}
		close(pipefd[1]);
		ASSERT_EQ(1, read(pipefd[0], &c, 1));
		close(pipefd[0]);
		/* Vary the moment: sometimes at once, sometimes mid-copy. */
		if (round % 3)
			usleep((round % 7) * 1000);
		ASSERT_EQ(0, kill(pid, SIGKILL));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFSIGNALED(status));
	}
	EXPECT_EQ(0, wait_contexts(base));
}

/* A process killed while blocked in a wait. */
TEST(sigkill_while_waiting)
{
	unsigned int base = nr_contexts();
	int status, pipefd[2];
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct lpel_ring ring;
		struct pel_cqe *cqe;

		close(pipefd[0]);
		if (lpel_init(&ring, 8))
			_exit(1);
		(void)!write(pipefd[1], "x", 1);
		/* Nothing was submitted: this waits until killed. */
		lpel_wait_cqe(&ring, &cqe);
		_exit(2);
	}
	close(pipefd[1]);
	ASSERT_EQ(1, read(pipefd[0], &c, 1));
	usleep(50 * 1000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(SIGKILL, WTERMSIG(status));
	close(pipefd[0]);
	EXPECT_EQ(0, wait_contexts(base));
}

/* The rings unmapped while ops are in flight: nothing breaks. */
TEST(munmap_in_flight)
{
	uint8_t *src = malloc(BIG), *dst = malloc(4 * BIG);
	unsigned int base = nr_contexts(), q;
	struct lpel_ring ring;
	int round;

	PEL_TEST_KERNEL_ONLY("raw PEL_IOC_ENTER on the ring fd");

	ASSERT_TRUE(src && dst);
	memset(src, 4, BIG);
	for (round = 0; round < 20; round++) {
		struct pel_enter e = {
			.flags = PEL_ENTER_WAIT,
			.queue = PEL_QUEUE_ALL,
			.min_complete = 1,
			.timeout_ns = 5000000000ULL,
		};
		int ret;

		ASSERT_EQ(0, lpel_init(&ring, 64));
		flood(&ring, src, dst);
		for (q = 0; q < ring.nr_queues; q++) {
			ASSERT_EQ(0, munmap(ring.queues[q].map, ring.queues[q].map_size));
			ring.queues[q].map = NULL;
		}
		/* The kernel still completes into its own view of the pages. */
		ret = pel_test_enter(lpel_fd(&ring), &e);
		EXPECT_LE(1, ret) TH_LOG("round %d: %d", round, ret);
		close(lpel_fd(&ring));
		free(ring.queues);
	}
	EXPECT_EQ(0, wait_contexts(base));
	free(src);
	free(dst);
}

static void *wait_forever(void *arg)
{
	struct pel_cqe *cqe;

	lpel_wait_cqe(arg, &cqe);
	return NULL;
}

/* The process exits while one of its threads blocks in a wait. */
TEST(exit_while_waiting)
{
	unsigned int base = nr_contexts();
	int status, round;

	for (round = 0; round < 20; round++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (pid == 0) {
			static struct lpel_ring ring;
			pthread_t t;

			if (lpel_init(&ring, 8) ||
			    pthread_create(&t, NULL, wait_forever, &ring))
				_exit(1);
			usleep(5000);
			exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		ASSERT_EQ(0, WEXITSTATUS(status));
	}
	EXPECT_EQ(0, wait_contexts(base));
}

TEST_HARNESS_MAIN
