// SPDX-License-Identifier: GPL-2.0
/*
 * Batches: the SQEs one take copied out of a queue, run in order, each
 * completed with exactly one CQE.  A worker runs the batches it takes; when
 * an op of one cannot go on without sleeping on the owner's memory (or the
 * worker must park), the rest of the batch, that op's progress included,
 * moves to the context's slow path (slow.c), which runs it here too.
 *
 * Slot states tell PEL_OP_CANCEL which ops have not started: it marks a
 * PENDING slot CANCELLED under the batch's lock, and the runner checks the
 * slot under the same lock as it starts the op.
 */
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>

#include "pel_internal.h"
#include "trace.h"

void pel_batch_init(struct pel_batch *b, spinlock_t *lock)
{
	b->lock = lock;
	b->ctx = NULL;
	b->nr = 0;
	INIT_LIST_HEAD(&b->node);
}

/* A new batch of @nr SQEs taken from @q (already in b->sqes), or none. */
void pel_batch_set(struct pel_batch *b, struct pel_queue *q, unsigned int nr,
		   bool link_failed)
{
	unsigned int i;

	spin_lock(b->lock);
	for (i = 0; i < nr; i++)
		b->state[i] = PEL_SLOT_PENDING;
	b->nr = nr;
	b->ctx = q ? q->ctx : NULL;
	spin_unlock(b->lock);
	b->q = q;
	b->next = 0;
	b->started = false;
	b->link_failed = link_failed;
	b->start_ns = ktime_get_ns();
}

/* Mark slot @i running, unless CANCEL got there first: 0 or -ECANCELED. */
static int pel_batch_start(struct pel_batch *b, unsigned int i)
{
	int ret = 0;

	spin_lock(b->lock);
	if (b->state[i] == PEL_SLOT_CANCELLED)
		ret = -ECANCELED;
	else
		b->state[i] = PEL_SLOT_RUNNING;
	spin_unlock(b->lock);
	return ret;
}

static void pel_batch_end_slot(struct pel_batch *b, unsigned int i)
{
	spin_lock(b->lock);
	b->state[i] = PEL_SLOT_DONE;
	spin_unlock(b->lock);
}

/* Post the CQE of b->sqes[b->next], keep the chain's state, count it. */
static void pel_batch_complete(struct pel_batch *b, struct pel_cqe *cqe,
			       struct pel_worker *w)
{
	const struct pel_sqe *sqe = &b->sqes[b->next];
	struct pel_queue *q = b->q;
	u64 lat;

	cqe->user_data = sqe->user_data;
	/* A chain ends at its first SQE without LINK. */
	if (sqe->flags & PEL_SQE_LINK)
		b->link_failed |= cqe->res < 0;
	else
		b->link_failed = false;
	/* The rest of the chain is in the ring: hand over its state. */
	if (b->next == b->nr - 1 && sqe->flags & PEL_SQE_LINK)
		pel_queue_end_chain_part(q, b->link_failed);
	pel_batch_end_slot(b, b->next);
	pel_op_release(&b->x);
	/* Counted before the owner can see the CQE, so the stats agree. */
	lat = ktime_get_ns() - b->start_ns;
	pel_stats_op_done(sqe->opcode, cqe->res, lat);
	pel_queue_post(q, cqe, sqe->opcode);
	trace_pel_complete(q->ctx, q->index, sqe->user_data, sqe->opcode,
			   cqe->res, lat);
	if (w) {
		WRITE_ONCE(w->ops, w->ops + 1);
		if (cqe->res > 0)
			WRITE_ONCE(w->bytes, w->bytes + cqe->res);
	}
}

/*
 * Run the batch from b->next under the runner rules in @base; @w is the
 * worker running it, or NULL for the slow path (whose thread has the
 * owner's mm attached already).  Returns true when every SQE of the batch
 * is complete, false when it stopped at b->next for the slow path to go
 * on (the worker must park, or an op needs a page fault).
 */
bool pel_batch_run(struct pel_batch *b, const struct pel_range *base,
		   struct pel_worker *w)
{
	struct pel_ctx *ctx = b->ctx;
	struct pel_cqe cqe;
	int ret;

	for (; b->next < b->nr; b->next++) {
		const struct pel_sqe *sqe = &b->sqes[b->next];

		/* All 32 bytes go to the shared CQ: none may be stack garbage. */
		memset(&cqe, 0, sizeof(cqe));
		if (!b->started) {
			if (w && pel_worker_should_yield())
				return false;
			ret = pel_batch_start(b, b->next);
			if (!ret && (b->link_failed || READ_ONCE(ctx->closing)))
				ret = -ECANCELED;
			if (!ret && sqe->flags & PEL_SQE_DEADLINE &&
			    ktime_get_ns() > sqe->deadline_ns)
				ret = -ETIME;
			if (!ret)
				ret = pel_op_prep(&b->x, ctx, sqe);
			if (!ret && b->x.op->needs_mm)
				ret = w ? pel_worker_use_mm(w, ctx->mm) :
					  (current->mm ? 0 : -ESRCH);
			if (ret) {
				cqe.res = ret;
				pel_batch_complete(b, &cqe, w);
				cond_resched();
				continue;
			}
			b->started = true;
		}
		if (!pel_op_exec(&b->x, base, &cqe))
			return false;
		b->started = false;
		pel_batch_complete(b, &cqe, w);
		cond_resched();
	}
	return true;
}

/*
 * Complete every SQE of the batch from b->next with @err, without running
 * it: the slow path could not be had (no memory, or the mm is gone).
 */
void pel_batch_abort(struct pel_batch *b, int err)
{
	struct pel_cqe cqe;

	for (; b->next < b->nr; b->next++) {
		memset(&cqe, 0, sizeof(cqe));
		cqe.res = err;
		if (!b->started)
			pel_batch_start(b, b->next);
		b->started = false;
		pel_batch_complete(b, &cqe, NULL);
	}
}

/*
 * CANCEL's search of one batch; caller holds *b->lock.  0 if the op had
 * not started (it completes with -ECANCELED), -EALREADY if it is running,
 * -ENOENT if the batch has no op of @ctx with @user_data.
 */
int __pel_batch_cancel(struct pel_batch *b, struct pel_ctx *ctx, u64 user_data)
{
	int ret = -ENOENT;
	unsigned int i;

	lockdep_assert_held(b->lock);
	for (i = 0; b->ctx == ctx && i < b->nr; i++) {
		if (b->sqes[i].user_data != user_data)
			continue;
		if (b->state[i] == PEL_SLOT_PENDING) {
			b->state[i] = PEL_SLOT_CANCELLED;
			return 0;
		}
		if (b->state[i] == PEL_SLOT_RUNNING)
			ret = -EALREADY;
	}
	return ret;
}

int pel_batch_cancel(struct pel_batch *b, struct pel_ctx *ctx, u64 user_data)
{
	int ret;

	spin_lock(b->lock);
	ret = __pel_batch_cancel(b, ctx, user_data);
	spin_unlock(b->lock);
	return ret;
}
