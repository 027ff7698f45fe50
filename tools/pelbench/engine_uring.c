// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the io_uring baselines, io_uring (io_uring_submit() and a
 * wait) and io_uring_sqpoll (IORING_SETUP_SQPOLL), through liburing: NOP only.
 */
#include "pelbench.h"

static int uring_prep(struct tctx *t, unsigned int slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&t->uring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, slot);
	return 0;
}

static int uring_submit(struct tctx *t, unsigned int n)
{
	int ret = io_uring_submit(&t->uring);

	return ret < 0 ? t_fail(t, ret, "io_uring_submit") : 0;
}

static unsigned int uring_reap(struct tctx *t)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;
	uint64_t now = 0;

	io_uring_for_each_cqe(&t->uring, head, cqe) {
		if (!n)
			now = now_ticks();
		complete(t, cqe->user_data, cqe->res, 0, now);
		n++;
	}
	io_uring_cq_advance(&t->uring, n);
	return n;
}

static int uring_wait(struct tctx *t)
{
	struct io_uring_cqe *cqe;
	unsigned int i;
	int ret;

	if (t->cfg->wait == WAIT_POLL) {
		for (i = 0; i < SPIN_ITERS; i++) {
			if (io_uring_cq_ready(&t->uring))
				return 0;
			cpu_relax();
		}
	}
	ret = io_uring_wait_cqe(&t->uring, &cqe);
	if (ret < 0 && ret != -EINTR)
		return t_fail(t, ret, "io_uring_wait_cqe");
	return 0;
}

const struct engine_ops uring_engine = {
	.prep = uring_prep, .submit = uring_submit, .reap = uring_reap,
	.wait = uring_wait,
};

int uring_setup(struct tctx *t, enum engine e, unsigned int entries)
{
	struct io_uring_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	if (e == E_SQPOLL) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = SQPOLL_IDLE_MS;
	}
	/* Twice the depth: see the SQ head remark in bench_thread(). */
	ret = io_uring_queue_init_params(2 * entries, &t->uring, &p);
	if (ret)
		return t_fail(t, ret, "io_uring_queue_init");
	t->uring_up = true;
	return 0;
}
