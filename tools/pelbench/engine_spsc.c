// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the spsc_ring baseline, a raw single-producer/single-consumer
 * SQ/CQ ring pair between two user threads pinned to different CPUs: NOP
 * only, the limit of any shared-memory hand-off.
 */
#include "pelbench.h"

/*
 * The same shape as a PEL queue: an SQ of 64-byte entries and a CQ of
 * 32-byte ones, head and tail on their own cache lines, store-release /
 * load-acquire on every index.  The consumer thread spins forever: this is
 * the limit of a hand-off, with none of the costs of sleeping and waking.
 */
struct spsc {
	_Alignas(64) atomic_uint sq_tail;
	_Alignas(64) atomic_uint sq_head;
	_Alignas(64) atomic_uint cq_tail;
	_Alignas(64) atomic_uint cq_head;
	_Alignas(64) unsigned int mask;
	unsigned int sqe_tail;		/* producer: next SQE to fill */
	atomic_bool stop;
	int cpu;			/* the consumer's */
	pthread_t tid;
	struct pel_sqe *sqes;
	struct pel_cqe *cqes;
};

static void *spsc_consumer(void *arg)
{
	struct spsc *r = arg;
	unsigned int head = 0, ctail = 0, tail;

	while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
		tail = atomic_load_explicit(&r->sq_tail, memory_order_acquire);
		if (tail == head) {
			cpu_relax();
			continue;
		}
		for (; head != tail; head++, ctail++) {
			const struct pel_sqe *sqe = &r->sqes[head & r->mask];
			struct pel_cqe *cqe = &r->cqes[ctail & r->mask];

			cqe->user_data = sqe->user_data;
			cqe->res = 0;
			cqe->flags = 0;
			cqe->result = 0;
		}
		atomic_store_explicit(&r->sq_head, head, memory_order_release);
		atomic_store_explicit(&r->cq_tail, ctail, memory_order_release);
	}
	return NULL;
}

static int spsc_prep(struct tctx *t, unsigned int slot)
{
	struct spsc *r = t->spsc;
	struct pel_sqe *sqe;

	if (r->sqe_tail - atomic_load_explicit(&r->sq_head, memory_order_acquire) > r->mask)
		return -EBUSY;
	sqe = &r->sqes[r->sqe_tail++ & r->mask];
	lpel_prep_nop(sqe);
	lpel_sqe_set_data(sqe, slot);
	return 0;
}

static int spsc_submit(struct tctx *t, unsigned int n)
{
	atomic_store_explicit(&t->spsc->sq_tail, t->spsc->sqe_tail,
			      memory_order_release);
	return 0;
}

static unsigned int spsc_reap(struct tctx *t)
{
	struct spsc *r = t->spsc;
	unsigned int head = atomic_load_explicit(&r->cq_head, memory_order_relaxed);
	unsigned int tail = atomic_load_explicit(&r->cq_tail, memory_order_acquire);
	unsigned int n = 0;
	uint64_t now;

	if (head == tail)
		return 0;
	now = now_ticks();
	for (; head != tail; head++, n++) {
		const struct pel_cqe *cqe = &r->cqes[head & r->mask];

		complete(t, cqe->user_data, cqe->res, cqe->result, now);
	}
	atomic_store_explicit(&r->cq_head, head, memory_order_release);
	return n;
}

/* Nothing to block on: spin. */
static int spsc_wait(struct tctx *t)
{
	struct spsc *r = t->spsc;

	while (atomic_load_explicit(&r->cq_tail, memory_order_acquire) ==
	       atomic_load_explicit(&r->cq_head, memory_order_relaxed))
		cpu_relax();
	return 0;
}

const struct engine_ops spsc_engine = {
	.prep = spsc_prep, .submit = spsc_submit, .reap = spsc_reap,
	.wait = spsc_wait,
};

int spsc_setup(struct tctx *t, unsigned int idx, unsigned int entries)
{
	unsigned int ncpu = nr_online_cpus();

	t->spsc = aligned_alloc(64, sizeof(*t->spsc));
	if (!t->spsc)
		return t_fail(t, -ENOMEM, "allocating a ring");
	memset(t->spsc, 0, sizeof(*t->spsc));
	t->spsc->mask = entries - 1;
	t->spsc->sqes = calloc(entries, sizeof(struct pel_sqe));
	t->spsc->cqes = calloc(entries, sizeof(struct pel_cqe));
	if (!t->spsc->sqes || !t->spsc->cqes)
		return t_fail(t, -ENOMEM, "allocating a ring");
	/* Producer and consumer on different CPUs, pairs spread out. */
	t->cpu = (int)((2 * idx) % ncpu);
	t->spsc->cpu = (int)((2 * idx + 1) % ncpu);
	return 0;
}

/* The consumer thread, pinned: 0 or -errno. */
int spsc_start(struct tctx *t)
{
	return start_thread(&t->spsc->tid, t->spsc->cpu, spsc_consumer, t->spsc);
}

void spsc_stop(struct tctx *t)
{
	atomic_store(&t->spsc->stop, true);
	pthread_join(t->spsc->tid, NULL);
}

void spsc_free(struct tctx *t)
{
	if (!t->spsc)
		return;
	free(t->spsc->sqes);
	free(t->spsc->cqes);
	free(t->spsc);
}
