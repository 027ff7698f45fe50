// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile client, seeded and reproducible (PEL_FUZZ_SEED; PEL_FUZZ_SQES
 * sets how many SQEs the first phase sends, 1M by default).
 *
 *  1. Random SQEs whose fate is known: valid ops on good buffers, and ops
 *     with bad opcodes, flags, reserved or unused fields, lengths, and
 *     unmapped, kernel, non-canonical or wrapping addresses.  Every SQE
 *     gets exactly one CQE with the expected res; no kernel byte ever lands
 *     in a user buffer.
 *  2. Corrupting the shared rings (indices, flags, geometry, SQEs) while the
 *     workers read them, random ioctls, mmaps and sizes: nothing breaks,
 *     the context closes, and a fresh one works.
 *  3. Setup/teardown races: threads open, set up, submit and close at once.
 * The VM rig fails the run on any kernel-log finding.
 */
#include <pthread.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define POOL		(64 << 10)	/* good buffers */
#define MAXLEN		8192
#define CANARY		0xc5

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static uint64_t seed_from_env(void)
{
	const char *s = getenv("PEL_FUZZ_SEED");

	return s ? strtoull(s, NULL, 0) : 0x5eed0f9e1ULL;
}

static uint64_t nr_from_env(void)
{
	const char *s = getenv("PEL_FUZZ_SQES");

	return s ? strtoull(s, NULL, 0) : 1000000;
}

/* Addresses that must fault, and ones that wrap (-EINVAL). */
static const uint64_t bad_addrs[] = {
	0,				/* NULL */
	0xffffffff81000000ULL,		/* kernel text */
	0xffff888000000000ULL,		/* direct map */
	0x8000000000000000ULL,		/* non-canonical */
	0x00007ffffffff000ULL,		/* top of user space, unmapped */
	0x1000,				/* low, unmapped */
};

struct expect {
	int res;
	bool check_dst;		/* dst must still be all canary after it */
	uint8_t *dst;
	uint32_t len;
};

/*
 * Make SQE i.  Writes what its CQE must say into *e.  @src and @dst are
 * good buffers of POOL bytes (dst is per-slot, canary-filled by caller).
 */
static void make_sqe(struct pel_sqe *sqe, struct expect *e, uint64_t i,
		     uint8_t *src, uint8_t *dst)
{
	uint32_t len = rnd() % MAXLEN;
	uint64_t kind = rnd() % 16;
	uint64_t bad = bad_addrs[rnd() % (sizeof(bad_addrs) / sizeof(bad_addrs[0]))];

	memset(sqe, 0, sizeof(*sqe));
	sqe->user_data = i;
	e->check_dst = false;
	e->dst = dst;
	e->len = len;
	switch (kind) {
	case 0:	/* NOP */
		e->res = 0;
		break;
	case 1:	/* unknown opcode */
		sqe->opcode = PEL_OP_LAST + rnd() % (256 - PEL_OP_LAST);
		e->res = -EINVAL;
		break;
	case 2:	/* unknown flag */
		lpel_prep_copy(sqe, dst, src, len);
		sqe->flags = 1U << (5 + rnd() % 3);	/* bit 4 is PEL_SQE_FILE */
		e->res = -EINVAL;
		break;
	case 3:	/* reserved word / op_flags / arg1 */
		lpel_prep_copy(sqe, dst, src, len);
		switch (rnd() % 3) {
		case 0: sqe->file_index = 1 + rnd() % 0xffff; break;
		case 1: sqe->op_flags = 1 + (uint32_t)rnd(); break;
		default: sqe->arg1 = 1 + rnd(); break;
		}
		e->res = -EINVAL;
		break;
	case 4:	/* length beyond the maximum */
		lpel_prep_copy(sqe, dst, src, PEL_MAX_OP_LEN + 1 + (rnd() % 1000));
		e->res = -EINVAL;
		break;
	case 5:	/* a wrapping range */
		lpel_prep_copy(sqe, dst, (void *)(uintptr_t)(~0ULL - rnd() % 100), 200);
		e->res = -EINVAL;
		break;
	case 6:	/* COPY from a bad address: no byte may arrive */
		lpel_prep_copy(sqe, dst, (void *)(uintptr_t)bad, len ? len : 1);
		e->len = len ? len : 1;
		e->res = -EFAULT;
		e->check_dst = true;
		break;
	case 7:	/* COPY to a bad address */
		lpel_prep_copy(sqe, (void *)(uintptr_t)bad, src, len ? len : 1);
		e->res = -EFAULT;
		break;
	case 8:	/* CRC32C of a bad address */
		lpel_prep_crc32c(sqe, (void *)(uintptr_t)bad, len ? len : 1, 0);
		e->res = -EFAULT;
		break;
	case 9:	/* unused field set: FILL's addr2 */
		lpel_prep_fill(sqe, dst, rnd(), len);
		sqe->addr2 = 1 + rnd();
		e->res = -EINVAL;
		break;
	case 10: /* good COPY */
		lpel_prep_copy(sqe, dst, src + rnd() % (POOL - MAXLEN), len);
		e->res = len;
		break;
	case 11: /* good FILL */
		lpel_prep_fill(sqe, dst, rnd(), len);
		e->res = len;
		break;
	case 12: /* good CRC32C */
		lpel_prep_crc32c(sqe, src, len, (uint32_t)rnd());
		e->res = len;
		break;
	case 13: /* XOR with a bad count */
		lpel_prep_xor(sqe, dst, (const void *const *)src, 0, len);
		sqe->arg0 = rnd() % 2 ? 0 : PEL_XOR_MAX_SRCS + 1 + rnd() % 100;
		e->res = -EINVAL;
		break;
	case 14: /* deadline flag with a passed deadline */
		lpel_prep_nop(sqe);
		lpel_sqe_set_deadline(sqe, 1);
		e->res = -ETIME;
		break;
	default: /* deadline word without its flag */
		lpel_prep_nop(sqe);
		sqe->deadline_ns = 1 + rnd();
		e->res = -EINVAL;
		break;
	}
	sqe->user_data = i;
	if (e->check_dst)
		memset(dst, CANARY, e->len);
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

/* A million SQEs take a while under emulation. */
TEST_F_TIMEOUT(fuzz, known_fates, 300)
{
	const unsigned int depth = 256;
	uint64_t nr = nr_from_env(), sent = 0, done = 0, i;
	uint8_t *src = malloc(POOL), *dsts = malloc((size_t)depth * MAXLEN);
	struct expect *exp = calloc(depth, sizeof(*exp));
	uint64_t *slot_of = calloc(depth, sizeof(*slot_of));
	uint8_t *busy = calloc(depth, 1);
	unsigned int free_hint = 0;
	struct lpel_ring ring;
	uint64_t bad_res = 0;

	rng = seed_from_env();
	TH_LOG("seed %#llx, %llu SQEs", (unsigned long long)rng, (unsigned long long)nr);
	ASSERT_TRUE(src && dsts && exp && slot_of && busy);
	pel_test_pattern(src, POOL, 1);
	ASSERT_EQ(0, lpel_init(&ring, depth));

	while (done < nr) {
		struct pel_cqe *cqe;
		int ret;

		/* Fill free slots; user_data = SQE number, slot found by search. */
		while (sent < nr) {
			unsigned int s, k;
			struct pel_sqe *sqe;

			for (k = 0; k < depth && busy[(free_hint + k) % depth]; k++)
				;
			if (k == depth)
				break;
			s = (free_hint + k) % depth;
			sqe = lpel_get_sqe_on(&ring, rnd() % ring.nr_queues);
			if (!sqe)
				break;
			make_sqe(sqe, &exp[s], sent, src, dsts + (size_t)s * MAXLEN);
			sqe->user_data = ((uint64_t)s << 40) | sent;
			slot_of[s] = sent;
			busy[s] = 1;
			free_hint = s + 1;
			sent++;
		}
		ASSERT_LE(0, lpel_submit(&ring));
		ret = lpel_wait_cqe_timeout(&ring, &cqe, 30ULL * 1000000000ULL);
		ASSERT_EQ(0, ret) TH_LOG("sent %llu done %llu: %s", (unsigned long long)sent,
					 (unsigned long long)done, strerror(-ret));
		do {
			unsigned int s = cqe->user_data >> 40;
			uint64_t n = cqe->user_data & ((1ULL << 40) - 1);

			ASSERT_GT(depth, s);
			ASSERT_EQ(1, busy[s]) TH_LOG("a second CQE for SQE %llu", (unsigned long long)n);
			ASSERT_EQ(slot_of[s], n);
			if (cqe->res != exp[s].res) {
				if (bad_res++ < 5)
					TH_LOG("SQE %llu: res %d, expected %d", (unsigned long long)n,
					       cqe->res, exp[s].res);
			}
			if (exp[s].check_dst) {
				for (i = 0; i < exp[s].len; i++)
					ASSERT_EQ(CANARY, exp[s].dst[i])
						TH_LOG("SQE %llu: byte %llu of a faulting copy arrived",
						       (unsigned long long)n, (unsigned long long)i);
				ASSERT_EQ(0, cqe->result);
			}
			busy[s] = 0;
			lpel_cqe_seen(&ring, cqe);
			done++;
		} while (!lpel_peek_cqe(&ring, &cqe));
	}
	EXPECT_EQ(0, bad_res);
	EXPECT_EQ(nr, done);
	EXPECT_EQ(-EAGAIN, lpel_peek_cqe(&ring, &(struct pel_cqe *){ NULL }));
	lpel_exit(&ring);
	free(src);
	free(dsts);
	free(exp);
	free(slot_of);
	free(busy);
}

struct scribbler {
	struct lpel_ring *ring;
	volatile int stop;
};

/* Write garbage into every shared field and SQE while workers read them. */
static void *scribble(void *arg)
{
	struct scribbler *sc = arg;
	uint64_t r = 0x9e3779b97f4a7c15ULL;

	while (!sc->stop) {
		struct lpel_queue *q = &sc->ring->queues[(r >> 7) % sc->ring->nr_queues];
		uint32_t *words[] = { q->sq_head, q->sq_tail, q->sq_flags, q->cq_head, q->cq_tail };

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		switch (r % 4) {
		case 0:
			*words[(r >> 8) % 5] = (uint32_t)(r >> 20);
			break;
		case 1:
			memset(&q->sqes[(r >> 8) & q->sq_mask], (int)(r >> 16), sizeof(struct pel_sqe));
			break;
		case 2: {
			struct pel_sqe *sqe = &q->sqes[(r >> 8) & q->sq_mask];

			sqe->opcode = (uint8_t)(r >> 24) % (PEL_OP_LAST + 2);
			sqe->addr = r;
			sqe->addr2 = r >> 3;
			sqe->len = (r >> 40) & 0xffff;
			sqe->arg0 = (r >> 33) & 31;
			__atomic_store_n(q->sq_tail, (uint32_t)(r >> 12), __ATOMIC_RELEASE);
			break;
		}
		default:
			/* the geometry words: the kernel must not believe them */
			((uint32_t *)q->map)[(r >> 8) % 256] = (uint32_t)(r >> 32);
			break;
		}
	}
	return NULL;
}

TEST(corrupt_rings)
{
	struct scribbler sc;
	struct lpel_ring ring;
	pthread_t t;
	uint64_t end;
	int i, rounds = 0;

	PEL_TEST_KERNEL_ONLY("raw PEL_IOC_ENTER on the ring fd");

	ASSERT_EQ(0, lpel_init(&ring, 64));
	sc.ring = &ring;
	sc.stop = 0;
	ASSERT_EQ(0, pthread_create(&t, NULL, scribble, &sc));
	end = pel_test_now_ns() + 3000000000ULL;
	while (pel_test_now_ns() < end) {
		struct pel_enter e = {
			.flags = PEL_ENTER_WAKE | PEL_ENTER_WAIT,
			.queue = PEL_QUEUE_ALL,
			.min_complete = 1 + rounds % 4096,
			.timeout_ns = 1000000,
		};
		int ret = pel_test_enter(lpel_fd(&ring), &e);

		EXPECT_TRUE(ret >= 0 || ret == -ETIME || ret == -EINTR) TH_LOG("enter: %d", ret);
		rounds++;
	}
	sc.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%d waits while the rings were scribbled on", rounds);
	lpel_exit(&ring);

	/* A fresh context works. */
	ASSERT_EQ(0, lpel_init(&ring, 16));
	for (i = 0; i < 10; i++) {
		struct pel_sqe *sqe = lpel_get_sqe(&ring);
		struct pel_cqe cqe;

		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, i);
		ASSERT_EQ(0, pel_test_run_one(&ring, sqe, &cqe));
		EXPECT_EQ(i, cqe.user_data);
		EXPECT_EQ(0, cqe.res);
	}
	lpel_exit(&ring);
}

/* Random ioctl numbers, sizes and pointers; random mmaps. */
TEST(random_ioctls_and_maps)
{
	static uint8_t junk[8192];
	struct lpel_ring ring;
	int i, fd;

	PEL_TEST_KERNEL_ONLY("ioctls and mmap on /dev/pel");

	rng = seed_from_env() ^ 0xabcdef;
	ASSERT_EQ(0, lpel_init(&ring, 16));
	fd = pel_test_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 20000; i++) {
		unsigned long nr = rnd() % 12, size = rnd() % 600;
		unsigned long dir = rnd() % 4;
		unsigned long cmd = _IOC(dir, PEL_IOC_MAGIC, nr, size);
		void *arg;
		uint64_t k;

		for (k = 0; k < 64; k++)
			junk[rnd() % sizeof(junk)] = (uint8_t)rnd();
		switch (rnd() % 4) {
		case 0: arg = junk; break;
		case 1: arg = (void *)(uintptr_t)bad_addrs[rnd() % 6]; break;
		case 2: {
			/* a plausible struct with a random size field */
			uint32_t sz = rnd() % 2 ? (uint32_t)rnd() % 8192 : 112 + rnd() % 300;

			memcpy(junk, &sz, sizeof(sz));
			arg = junk;
			break;
		}
		default: arg = (void *)(uintptr_t)rnd(); break;
		}
		/* never on the ring we keep: a random SETUP there is fine too */
		(void)ioctl(rnd() % 2 ? fd : lpel_fd(&ring), cmd, arg);
		if (i % 50 == 0) {
			void *m = mmap(NULL, (rnd() % 64 + 1) * 4096, PROT_READ | (rnd() % 2 ? PROT_WRITE : 0),
				       rnd() % 4 ? MAP_SHARED : MAP_PRIVATE, lpel_fd(&ring),
				       rnd() % 2 ? PEL_QUEUE_MMAP_OFFSET(rnd() % 4) : (rnd() & ~4095ULL));

			if (m != MAP_FAILED)
				munmap(m, 4096);
		}
	}
	close(fd);
	/* the ring still works */
	{
		struct pel_sqe *sqe = lpel_get_sqe(&ring);
		struct pel_cqe cqe;

		ASSERT_NE(NULL, sqe);
		lpel_prep_nop(sqe);
		lpel_sqe_set_data(sqe, 77);
		ASSERT_EQ(0, pel_test_run_one(&ring, sqe, &cqe));
		EXPECT_EQ(77, cqe.user_data);
	}
	lpel_exit(&ring);
}

static void *churn_contexts(void *arg)
{
	uint64_t r = (uintptr_t)arg * 0x9e3779b97f4a7c15ULL + 1;
	int i;

	for (i = 0; i < 150; i++) {
		struct lpel_ring ring;
		unsigned int k, n;

		r ^= r << 13;
		r ^= r >> 7;
		r ^= r << 17;
		if (lpel_init(&ring, 8 << (r % 4)))
			continue;
		n = r % 40;
		for (k = 0; k < n; k++) {
			struct pel_sqe *sqe = lpel_get_sqe_on(&ring, k % ring.nr_queues);

			if (!sqe)
				break;
			lpel_prep_nop(sqe);
		}
		lpel_submit(&ring);
		if (r & 1) {
			struct pel_cqe *cqe;

			lpel_wait_cqe_timeout(&ring, &cqe, 1000000);
		}
		/* close with whatever is in flight */
		lpel_exit(&ring);
	}
	return NULL;
}

/* Slow on a debug kernel with 4 vCPUs on a busy host: give it time. */
TEST_F_TIMEOUT(fuzz, setup_teardown_races, 300)
{
	pthread_t t[4];
	struct pel_info info;
	int i;

	for (i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&t[i], NULL, churn_contexts, (void *)(uintptr_t)(i + 1)));
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	/* every context closed; give workers a moment to drop theirs */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, pel_test_info(&info));
		if (!info.nr_contexts)
			break;
		usleep(10000);
	}
	EXPECT_EQ(0, info.nr_contexts);
}

TEST_HARNESS_MAIN
