// SPDX-License-Identifier: GPL-2.0
/*
 * Observability: the counters match a known workload exactly (per context
 * and per opcode), fdinfo shows the rings' indices, and the pel:
 * tracepoints record what ran; liblpel's stats API (lpel_info() and the
 * rest) gives what the ioctls give, and its errors.
 */
#include <fcntl.h>
#include <sys/eventfd.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define TRACEFS "/sys/kernel/tracing"

static int op_stats(unsigned int op, struct pel_op_stats *st)
{
	int fd = pel_test_open(), ret;

	if (fd < 0)
		return -errno;
	ret = lpel_op_stats(fd, op, st);
	close(fd);
	return ret;
}

static void submit_wait_all(struct __test_metadata *_metadata,
			    struct lpel_ring *ring, unsigned int n)
{
	unsigned int got;
	struct pel_cqe *cqe;

	ASSERT_EQ(n, lpel_submit(ring));
	for (got = 0; got < n; got++) {
		ASSERT_EQ(0, lpel_wait_cqe_timeout(ring, &cqe, 10000000000ULL));
		lpel_cqe_seen(ring, cqe);
	}
}

/*
 * 10 NOPs, 5 COPYs of 1000 bytes, 3 FILLs of 500, 2 unknown opcodes,
 * 1 COPY from a kernel address: the counters say exactly that.
 */
TEST(counters_match_workload)
{
	struct pel_op_stats nop0, copy0, fill0, nop1, copy1, fill1;
	uint8_t src[1000], dst[1000];
	struct pel_ctx_stats cs;
	struct lpel_ring ring;
	unsigned int i, b;
	uint64_t hist;

	memset(src, 1, sizeof(src));
	ASSERT_EQ(0, lpel_init(&ring, 64));
	ASSERT_EQ(0, op_stats(PEL_OP_NOP, &nop0));
	ASSERT_EQ(0, op_stats(PEL_OP_COPY, &copy0));
	ASSERT_EQ(0, op_stats(PEL_OP_FILL, &fill0));
	EXPECT_STREQ("copy", copy0.name);

	for (i = 0; i < 21; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&ring, i % ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		if (i < 10)
			lpel_prep_nop(sqe);
		else if (i < 15)
			lpel_prep_copy(sqe, dst, src, sizeof(dst));
		else if (i < 18)
			lpel_prep_fill(sqe, dst, 7, 500);
		else if (i < 20)
			lpel_prep_rw(sqe, 0xee, NULL, NULL, 0);
		else
			lpel_prep_copy(sqe, dst, (void *)PEL_TEST_KERNEL_ADDR, 64);
		lpel_sqe_set_data(sqe, i);
	}
	submit_wait_all(_metadata, &ring, 21);

	ASSERT_EQ(0, pel_test_own_ctx_stats(&cs));
	EXPECT_EQ(21, cs.submitted);
	EXPECT_EQ(21, cs.completed);
	EXPECT_EQ(0, cs.inflight);
	EXPECT_EQ(ring.nr_queues, cs.nr_queues);
	EXPECT_EQ(10, cs.ops[PEL_OP_NOP]);
	EXPECT_EQ(6, cs.ops[PEL_OP_COPY]);
	EXPECT_EQ(3, cs.ops[PEL_OP_FILL]);
	EXPECT_EQ(0, cs.ops[PEL_OP_CRC32C]);
	EXPECT_EQ(2, cs.errors[PEL_ERR_EINVAL]);
	EXPECT_EQ(1, cs.errors[PEL_ERR_EFAULT]);
	EXPECT_EQ(0, cs.errors[PEL_ERR_OTHER]);
	EXPECT_EQ(5 * 1000 + 3 * 500, cs.bytes);

	ASSERT_EQ(0, op_stats(PEL_OP_NOP, &nop1));
	ASSERT_EQ(0, op_stats(PEL_OP_COPY, &copy1));
	ASSERT_EQ(0, op_stats(PEL_OP_FILL, &fill1));
	EXPECT_EQ(10, nop1.count - nop0.count);
	EXPECT_EQ(0, nop1.bytes - nop0.bytes);
	EXPECT_EQ(6, copy1.count - copy0.count);
	EXPECT_EQ(5000, copy1.bytes - copy0.bytes);
	EXPECT_EQ(1, copy1.errors - copy0.errors);
	EXPECT_EQ(3, fill1.count - fill0.count);
	EXPECT_EQ(1500, fill1.bytes - fill0.bytes);
	/* every completion lands in exactly one latency bucket */
	for (hist = 0, b = 0; b < PEL_LAT_BUCKETS; b++)
		hist += copy1.latency[b] - copy0.latency[b];
	EXPECT_EQ(6, hist);
	lpel_exit(&ring);
}

TEST(op_stats_bounds)
{
	struct pel_op_stats st;

	EXPECT_EQ(-ENOENT, op_stats(PEL_OP_LAST, &st));
	EXPECT_EQ(0, op_stats(PEL_OP_SHA256, &st));
	EXPECT_STREQ("sha256", st.name);
}

/* Every reserved word of a stats struct must be zero, resv0 included. */
TEST(worker_stats_reserved)
{
	struct pel_worker_stats st;
	int fd = pel_test_open();

	ASSERT_LE(0, fd);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.resv0 = 1;
	EXPECT_EQ(-1, ioctl(fd, PEL_IOC_WORKER_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	st.resv0 = 0;
	st.resv[3] = 1;
	EXPECT_EQ(-1, ioctl(fd, PEL_IOC_WORKER_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	st.resv[3] = 0;
	EXPECT_EQ(0, ioctl(fd, PEL_IOC_WORKER_STATS, &st));
	close(fd);
}

/* pel_ctx_stats.resv0, an in-struct reserved word, must be zero too. */
TEST(ctx_stats_reserved)
{
	struct pel_ctx_stats st;
	int fd = pel_test_open();

	ASSERT_LE(0, fd);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.resv0 = 1;
	EXPECT_EQ(-1, ioctl(fd, PEL_IOC_CTX_STATS, &st));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

/*
 * The stats API on a descriptor of lpel_stats_open() and on a kernel
 * ring's: the ioctls' answers, -ENOENT past the last index, -ENOTTY on a
 * descriptor that is not /dev/pel (an eventfd, as a user-backend ring's
 * is, and that ring's itself), -EBADF, -EINVAL for no struct.
 */
TEST(stats_api)
{
	struct lpel_params p = { .sq_entries = 8, .backend = LPEL_BACKEND_USER };
	struct pel_worker_stats w;
	struct pel_ctx_stats c, own;
	struct pel_op_stats o;
	struct pel_info info, raw;
	struct lpel_ring ring, uring;
	unsigned int i, n;
	int fd, efd, ret;

	fd = lpel_stats_open();
	ASSERT_LE(0, fd) TH_LOG("lpel_stats_open: %s", strerror(-fd));
	/* read-only: no write access is needed */
	EXPECT_EQ(O_RDONLY, fcntl(fd, F_GETFL) & O_ACCMODE);
	EXPECT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD) & FD_CLOEXEC);

	memset(&raw, 0, sizeof(raw));
	raw.size = sizeof(raw);
	ASSERT_EQ(0, ioctl(fd, PEL_IOC_INFO, &raw));
	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, lpel_info(fd, &info));
	EXPECT_EQ(sizeof(info), info.size);
	EXPECT_EQ(PEL_ABI_VERSION, info.abi_version);
	EXPECT_EQ(raw.features, info.features);
	EXPECT_STREQ(raw.version, info.version);
	EXPECT_EQ(raw.nr_workers, info.nr_workers);
	EXPECT_EQ(raw.split_bytes, info.split_bytes);
	EXPECT_EQ(0, memcmp(raw.resv, info.resv, sizeof(raw.resv)));

	for (i = 0, n = 0; i < info.nr_workers; i++) {
		ret = lpel_worker_stats(fd, i, &w);
		if (ret == -ENOENT)
			continue;
		ASSERT_EQ(0, ret);
		EXPECT_EQ(i, w.cpu);
		EXPECT_EQ(sizeof(w), w.size);
		n++;
	}
	EXPECT_LE(sysconf(_SC_NPROCESSORS_ONLN), (long)n);
	EXPECT_EQ(-ENOENT, lpel_worker_stats(fd, info.nr_workers, &w));

	ASSERT_EQ(0, lpel_init(&ring, 16));
	/* our context, through the ring's own descriptor and through fd */
	for (i = 0; (ret = lpel_ctx_stats(lpel_fd(&ring), i, &own)) == 0; i++)
		if (own.pid == getpid() && own.sq_entries == 16)
			break;
	ASSERT_EQ(0, ret);
	EXPECT_EQ(i, own.index);
	EXPECT_EQ(ring.nr_queues, own.nr_queues);
	ASSERT_EQ(0, lpel_ctx_stats(fd, i, &c));
	EXPECT_EQ(getpid(), c.pid);
	EXPECT_EQ(own.sq_entries, c.sq_entries);
	for (n = 0; lpel_ctx_stats(fd, n, &c) == 0; n++)
		ASSERT_GT(1000000, n);
	EXPECT_EQ(-ENOENT, lpel_ctx_stats(fd, n, &c));
	EXPECT_LT(i, n);

	ASSERT_EQ(0, lpel_op_stats(fd, PEL_OP_COPY, &o));
	EXPECT_STREQ("copy", o.name);
	EXPECT_EQ(PEL_OP_COPY, o.opcode);
	EXPECT_EQ(-ENOENT, lpel_op_stats(fd, PEL_OP_LAST, &o));

	/* not /dev/pel */
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	EXPECT_EQ(-ENOTTY, lpel_info(efd, &info));
	EXPECT_EQ(-ENOTTY, lpel_worker_stats(efd, 0, &w));
	EXPECT_EQ(-ENOTTY, lpel_ctx_stats(efd, 0, &c));
	EXPECT_EQ(-ENOTTY, lpel_op_stats(efd, 0, &o));
	close(efd);
	ASSERT_EQ(0, lpel_init_params(&uring, &p));
	ASSERT_EQ(LPEL_BACKEND_USER, lpel_backend(&uring));
	EXPECT_EQ(-ENOTTY, lpel_info(lpel_fd(&uring), &info));
	EXPECT_EQ(-ENOTTY, lpel_ctx_stats(lpel_fd(&uring), 0, &c));
	lpel_exit(&uring);
	EXPECT_EQ(-EBADF, lpel_info(-1, &info));
	EXPECT_EQ(-EINVAL, lpel_info(fd, NULL));
	EXPECT_EQ(-EINVAL, lpel_worker_stats(fd, 0, NULL));
	EXPECT_EQ(-EINVAL, lpel_ctx_stats(fd, 0, NULL));
	EXPECT_EQ(-EINVAL, lpel_op_stats(fd, 0, NULL));
	lpel_exit(&ring);
	close(fd);
}

/* Read the fdinfo line of queue q. */
static int fdinfo_queue(int fd, unsigned int q, char *line, size_t len)
{
	char path[64], key[32];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(key, sizeof(key), "pel-queue-%u:", q);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, len, f)) {
		if (!strncmp(line, key, strlen(key))) {
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

TEST(fdinfo_indices)
{
	struct lpel_ring ring;
	struct pel_cqe *cqe;
	char line[512];
	unsigned int i;

	ASSERT_EQ(0, lpel_init(&ring, 16));
	for (i = 0; i < 3; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&ring, 0);

		lpel_prep_nop(sqe);
	}
	ASSERT_EQ(3, lpel_submit(&ring));
	ASSERT_EQ(3, lpel_submit_and_wait(&ring, 3) >= 0 ? 3 : -1);
	ASSERT_EQ(0, lpel_peek_cqe(&ring, &cqe));
	lpel_cqe_seen(&ring, cqe);

	ASSERT_EQ(0, fdinfo_queue(lpel_fd(&ring), 0, line, sizeof(line)));
	TH_LOG("%s", line);
	EXPECT_NE(NULL, strstr(line, " sq_head=3 sq_tail=3 sq_pending=0 "));
	EXPECT_NE(NULL, strstr(line, " cq_head=1 cq_tail=3 cq_ready=2 "));
	EXPECT_NE(NULL, strstr(line, " submitted=3 completed=3"));
	lpel_exit(&ring);
}

/* Enabling pel:pel_complete records one event per CQE, with its user_data. */
TEST(tracepoint_complete)
{
	const unsigned int nr = 7;
	struct lpel_ring ring;
	char buf[4096], want[64];
	unsigned int i, seen = 0;
	FILE *f;

	if (access(TRACEFS "/events/pel/pel_complete/enable", W_OK))
		SKIP(return, "no tracefs or no pel events");
	ASSERT_EQ(0, pel_test_write_file(TRACEFS "/trace", "", O_TRUNC));
	ASSERT_EQ(0, pel_test_write_file(TRACEFS "/events/pel/pel_complete/enable", "1", O_TRUNC));
	ASSERT_EQ(0, lpel_init(&ring, 16));
	for (i = 0; i < nr; i++) {
		struct pel_sqe *sqe = lpel_get_sqe(&ring);

		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, 0x7e57000 + i);
	}
	submit_wait_all(_metadata, &ring, nr);
	ASSERT_EQ(0, pel_test_write_file(TRACEFS "/events/pel/pel_complete/enable", "0", O_TRUNC));

	f = fopen(TRACEFS "/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(buf, sizeof(buf), f)) {
		for (i = 0; i < nr; i++) {
			snprintf(want, sizeof(want), "user_data=0x%x op=0 res=0", 0x7e57000 + i);
			seen += !!strstr(buf, want);
		}
	}
	fclose(f);
	EXPECT_EQ(nr, seen);
	lpel_exit(&ring);
}

TEST_HARNESS_MAIN
