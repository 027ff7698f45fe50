// SPDX-License-Identifier: GPL-2.0
/*
 * PEL_IOC_SETUP and the ioctls around it: every bad size, flag and reserved
 * word gets -EINVAL; a good setup reports what it made.
 */
#include "pel_test.h"
#include "kselftest_harness.h"

FIXTURE(dev) {
	int fd;
	struct pel_setup p;
};

FIXTURE_SETUP(dev)
{
	self->fd = pel_test_open();
	ASSERT_LE(0, self->fd) TH_LOG("open %s: %s", PEL_DEVICE_PATH, strerror(errno));
	memset(&self->p, 0, sizeof(self->p));
	self->p.size = sizeof(self->p);
}

FIXTURE_TEARDOWN(dev)
{
	close(self->fd);
}

TEST_F(dev, defaults)
{
	struct pel_info info;

	ASSERT_EQ(0, pel_test_setup(self->fd, &self->p));
	EXPECT_EQ(PEL_DEFAULT_ENTRIES, self->p.sq_entries);
	EXPECT_EQ(2 * PEL_DEFAULT_ENTRIES, self->p.cq_entries);
	EXPECT_EQ(sysconf(_SC_NPROCESSORS_ONLN), self->p.nr_queues);
	EXPECT_NE(0, self->p.idle_us);
	EXPECT_EQ(PEL_FEAT_OP_NOP, self->p.features & PEL_FEAT_OP_NOP);
	EXPECT_EQ(PEL_FEAT_OP_COPY, self->p.features & PEL_FEAT_OP_COPY);
	EXPECT_EQ(0, self->p.queue_map_size % sysconf(_SC_PAGESIZE));
	EXPECT_LE(self->p.off.cqes + 2 * PEL_DEFAULT_ENTRIES * sizeof(struct pel_cqe),
		  self->p.queue_map_size);
	EXPECT_LE(self->p.off.sqes + PEL_DEFAULT_ENTRIES * sizeof(struct pel_sqe),
		  self->p.off.cqes);

	ASSERT_EQ(0, pel_test_info(&info));
	EXPECT_EQ(PEL_ABI_VERSION, info.abi_version);
	EXPECT_EQ(self->p.features, info.features);
	EXPECT_LE(1, info.nr_contexts);
}

TEST_F(dev, explicit_sizes)
{
	self->p.sq_entries = 8;
	self->p.cq_entries = 32;
	self->p.idle_us = 1234;
	ASSERT_EQ(0, pel_test_setup(self->fd, &self->p));
	EXPECT_EQ(8, self->p.sq_entries);
	EXPECT_EQ(32, self->p.cq_entries);
	EXPECT_EQ(1234, self->p.idle_us);
}

TEST_F(dev, second_setup_is_busy)
{
	struct pel_setup again = { .size = sizeof(again) };

	ASSERT_EQ(0, pel_test_setup(self->fd, &self->p));
	EXPECT_EQ(-EBUSY, pel_test_setup(self->fd, &again));
}

TEST_F(dev, bad_sq_entries)
{
	static const unsigned int bad[] = { 1, 3, 100, PEL_MAX_ENTRIES * 2, 0x80000000U };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		self->p.sq_entries = bad[i];
		EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &self->p))
			TH_LOG("sq_entries %u", bad[i]);
	}
}

TEST_F(dev, bad_cq_entries)
{
	static const unsigned int bad[] = { 4, 24, PEL_MAX_ENTRIES * 4 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		self->p.sq_entries = 8;
		self->p.cq_entries = bad[i];
		EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &self->p))
			TH_LOG("cq_entries %u", bad[i]);
	}
}

TEST_F(dev, bad_idle)
{
	self->p.idle_us = PEL_MAX_IDLE_US + 1;
	EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &self->p));
}

TEST_F(dev, unknown_flags)
{
	unsigned int bit;

	for (bit = 0; bit < 32; bit++) {
		if (PEL_SETUP_FLAGS_ALL & (1U << bit))
			continue;
		self->p.flags = 1U << bit;
		EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &self->p))
			TH_LOG("flag bit %u", bit);
	}
}

TEST_F(dev, reserved_words)
{
	unsigned int i;

	for (i = 0; i < sizeof(self->p.resv) / sizeof(self->p.resv[0]); i++) {
		memset(self->p.resv, 0, sizeof(self->p.resv));
		self->p.resv[i] = 1;
		EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &self->p))
			TH_LOG("resv[%u]", i);
	}
}

TEST_F(dev, struct_sizes)
{
	struct {
		struct pel_setup p;
		uint64_t tail[2];
	} big;

	self->p.size = sizeof(self->p) - 8;
	EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &self->p));
	self->p.size = 0;
	EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &self->p));

	/* A later, larger struct: refused while its tail is not zero ... */
	memset(&big, 0, sizeof(big));
	big.p.size = sizeof(big);
	big.tail[1] = 7;
	EXPECT_EQ(-EINVAL, pel_test_setup(self->fd, &big.p));
	/* ... taken when it is. */
	big.tail[1] = 0;
	EXPECT_EQ(0, pel_test_setup(self->fd, &big.p));
	EXPECT_EQ(PEL_DEFAULT_ENTRIES, big.p.sq_entries);
}

TEST_F(dev, bad_pointer)
{
	EXPECT_EQ(-1, ioctl(self->fd, PEL_IOC_SETUP, (void *)PEL_TEST_KERNEL_ADDR));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(self->fd, PEL_IOC_SETUP, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dev, enter_before_setup)
{
	struct pel_enter e = { .flags = PEL_ENTER_WAKE, .queue = PEL_QUEUE_ALL };

	EXPECT_EQ(-ENXIO, pel_test_enter(self->fd, &e));
}

TEST_F(dev, enter_validation)
{
	struct pel_enter e;

	ASSERT_EQ(0, pel_test_setup(self->fd, &self->p));

	memset(&e, 0, sizeof(e));
	e.queue = PEL_QUEUE_ALL;
	EXPECT_EQ(0, pel_test_enter(self->fd, &e));

	e.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, pel_test_enter(self->fd, &e));

	memset(&e, 0, sizeof(e));
	e.resv0 = 1;
	EXPECT_EQ(-EINVAL, pel_test_enter(self->fd, &e));
	memset(&e, 0, sizeof(e));
	e.resv[1] = 1;
	EXPECT_EQ(-EINVAL, pel_test_enter(self->fd, &e));

	memset(&e, 0, sizeof(e));
	e.flags = PEL_ENTER_WAKE;
	e.queue = self->p.nr_queues;
	EXPECT_EQ(-EINVAL, pel_test_enter(self->fd, &e));

	/* Wait arguments without PEL_ENTER_WAIT are a mistake. */
	memset(&e, 0, sizeof(e));
	e.queue = PEL_QUEUE_ALL;
	e.min_complete = 1;
	EXPECT_EQ(-EINVAL, pel_test_enter(self->fd, &e));
}

TEST_F(dev, wait_times_out)
{
	struct pel_enter e = {
		.flags = PEL_ENTER_WAIT,
		.queue = PEL_QUEUE_ALL,
		.min_complete = 1,
		.timeout_ns = 20 * 1000 * 1000,
	};
	uint64_t t0;

	ASSERT_EQ(0, pel_test_setup(self->fd, &self->p));
	t0 = pel_test_now_ns();
	EXPECT_EQ(-ETIME, pel_test_enter(self->fd, &e));
	EXPECT_LE(20 * 1000 * 1000, pel_test_now_ns() - t0);
}

/* No timeout at all, whatever now + timeout_ns would wrap to: the CQE. */
TEST_F(dev, wait_timeout_saturates)
{
	struct pel_enter e = {
		.flags = PEL_ENTER_WAIT,
		.queue = PEL_QUEUE_ALL,
		.min_complete = 1,
		.timeout_ns = UINT64_MAX,
	};
	struct lpel_ring ring;
	struct pel_sqe *sqe;

	ASSERT_EQ(0, lpel_init(&ring, 8));
	sqe = lpel_get_sqe_on(&ring, 0);
	ASSERT_NE(NULL, sqe);
	lpel_prep_nop(sqe);
	/*
	 * Published without a wake-up: no worker runs it before the wait
	 * itself wakes one, so a wait that ends at once sees no CQE.
	 */
	__atomic_store_n(ring.queues[0].sq_tail, ring.queues[0].sqe_tail,
			 __ATOMIC_RELEASE);
	EXPECT_EQ(1, pel_test_enter(lpel_fd(&ring), &e));
	/* and one that is merely far away */
	e.timeout_ns = UINT64_MAX / 2;
	EXPECT_EQ(1, pel_test_enter(lpel_fd(&ring), &e));
	lpel_exit(&ring);
}

TEST_F(dev, unknown_ioctl)
{
	EXPECT_EQ(-1, ioctl(self->fd, _IO(PEL_IOC_MAGIC, 0x7f), 0));
	EXPECT_EQ(ENOTTY, errno);
}

TEST(info_reserved)
{
	int fd = pel_test_open();
	struct pel_info info;

	ASSERT_LE(0, fd);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.resv[3] = 1;
	EXPECT_EQ(-1, ioctl(fd, PEL_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.resv[3] = 0;
	info.size = 8;
	EXPECT_EQ(-1, ioctl(fd, PEL_IOC_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	info.size = sizeof(info);
	EXPECT_EQ(0, ioctl(fd, PEL_IOC_INFO, &info));
	EXPECT_NE(0, info.version[0]);
	EXPECT_NE(NULL, memchr(info.version, 0, sizeof(info.version)));
	close(fd);
}

/* One worker per online CPU, alive from the moment the module loads. */
TEST(workers_online)
{
	long cpu, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	struct pel_worker_stats st;
	struct pel_info info;

	ASSERT_EQ(0, pel_test_info(&info));
	ASSERT_LE(ncpu, info.nr_workers);
	for (cpu = 0; cpu < ncpu; cpu++) {
		ASSERT_EQ(0, pel_test_worker_stats(cpu, &st));
		EXPECT_NE(PEL_WORKER_OFFLINE, st.state) TH_LOG("cpu %ld", cpu);
		EXPECT_GE(PEL_WORKER_RUNNING, st.state);
	}
	EXPECT_EQ(-ENOENT, pel_test_worker_stats(info.nr_workers, &st));
}

TEST_HARNESS_MAIN
