// SPDX-License-Identifier: GPL-2.0
/*
 * Batches: the SQEs one take copied out of a queue, run in order, each
 * completed with exactly one CQE.  A worker runs the batches it takes; when
 * an op of one cannot go on without sleeping on the owner's memory (or the
 * worker must park), the rest of the batch, that op's progress included,
 * moves to the context's slow path (slow.c), which runs it here too.
 *
 * Slot states tell PEL_OP_CANCEL which ops have not started: it marks a
 * PENDING slot CANCELLED with a cmpxchg() under the batch's lock (which
 * keeps the batch itself from changing under it), and the runner moves
 * the slot from PENDING to RUNNING with a cmpxchg() as it starts the op.
 *
 * CQEs are posted together: each completed op's CQE waits in the batch
 * until the batch ends, an op of PEL_POST_NOW_BYTES or more completes, or
 * the batch stops for the slow path; then one pel_queue_post() posts all.
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
	b->posted = 0;
	b->started = false;
	b->link_failed = link_failed;
	b->start_ns = local_clock();
}

/*
 * Mark slot @i running, unless CANCEL got there first: 0 or -ECANCELED.
 * CANCEL moves PENDING to CANCELLED with a cmpxchg() too: one of the two
 * wins, and the runner needs no lock per op.
 */
static int pel_batch_start(struct pel_batch *b, unsigned int i)
{
	if (cmpxchg(&b->state[i], PEL_SLOT_PENDING, PEL_SLOT_RUNNING) !=
	    PEL_SLOT_PENDING)
		return -ECANCELED;
	return 0;
}

/*
 * Post the CQEs of the batch that wait (cqes[posted, next)), count them.
 * Latency runs from the take to this post, one clock read for all.
 */
static void pel_batch_flush(struct pel_batch *b, struct pel_worker *w)
{
	unsigned int i, first = b->posted, n = b->next - first;
	const struct pel_sqe *sqes = &b->sqes[first];
	const struct pel_cqe *cqes = &b->cqes[first];
	struct pel_queue *q = b->q;
	u64 lat, bytes = 0;

	if (!n)
		return;
	lat = local_clock() - b->start_ns;
	/* Counted before the owner can see the CQEs, so the stats agree. */
	pel_stats_ops_done(sqes, cqes, n, lat);
	pel_queue_post(q, cqes, sqes, n);
	b->posted = b->next;
	for (i = 0; i < n; i++) {
		trace_pel_complete(q->ctx, q->index, sqes[i].user_data,
				   sqes[i].opcode, cqes[i].res, lat);
		if (cqes[i].res > 0)
			bytes += cqes[i].res;
	}
	if (w) {
		WRITE_ONCE(w->ops, w->ops + n);
		WRITE_ONCE(w->bytes, w->bytes + bytes);
	}
}

/*
 * An op this long is posted at once, with the cheap ones before it: its
 * owner should not wait for the rest of the batch.
 */
#define PEL_POST_NOW_BYTES	(64 * 1024)

/*
 * The op at b->next is complete with res and result in b->cqes[b->next]:
 * keep the chain's state and queue its CQE; post what waits when the op
 * was long or the batch ends.  Moves b->next on.
 */
static void pel_batch_complete(struct pel_batch *b, struct pel_worker *w)
{
	const struct pel_sqe *sqe = &b->sqes[b->next];
	struct pel_cqe *cqe = &b->cqes[b->next];

	cqe->user_data = sqe->user_data;
	/* A chain ends at its first SQE without LINK. */
	if (sqe->flags & PEL_SQE_LINK)
		b->link_failed |= cqe->res < 0;
	else
		b->link_failed = false;
	/* The rest of the chain is in the ring: hand over its state. */
	if (b->next == b->nr - 1 && sqe->flags & PEL_SQE_LINK)
		pel_queue_end_chain_part(b->q, b->link_failed);
	WRITE_ONCE(b->state[b->next], PEL_SLOT_DONE);
	pel_op_release(&b->x);
	b->next++;
	if (b->next == b->nr || sqe->len >= PEL_POST_NOW_BYTES)
		pel_batch_flush(b, w);
}

/*
 * Run the batch from b->next under the runner rules in @base; @w is the
 * worker running it, or NULL for the slow path or a waiting owner (whose
 * task has the owner's mm already).  Returns true when every SQE of the
 * batch is complete, false when it stopped at b->next for a runner that
 * may fault to go on (the worker must park, or an op needs a page fault);
 * every CQE before b->next is posted then.
 */
bool pel_batch_run(struct pel_batch *b, const struct pel_range *base,
		   struct pel_worker *w)
{
	struct pel_ctx *ctx = b->ctx;
	int ret;

	while (b->next < b->nr) {
		const struct pel_sqe *sqe = &b->sqes[b->next];
		/* All 32 bytes go to the shared CQ: none may be stack garbage. */
		struct pel_cqe *cqe = &b->cqes[b->next];

		if (!b->started) {
			if (w && pel_worker_should_yield())
				goto stopped;
			memset(cqe, 0, sizeof(*cqe));
			ret = pel_batch_start(b, b->next);
			if (!ret && (b->link_failed || READ_ONCE(ctx->closing)))
				ret = -ECANCELED;
			/* Deadlines are CLOCK_MONOTONIC: the one ktime read left. */
			if (!ret && sqe->flags & PEL_SQE_DEADLINE &&
			    ktime_get_ns() > sqe->deadline_ns)
				ret = -ETIME;
			if (!ret)
				ret = pel_op_prep(&b->x, ctx, sqe);
			if (!ret && b->x.op->needs_mm)
				ret = w ? pel_worker_use_mm(w, ctx->mm) :
					  (current->mm == ctx->mm ? 0 : -ESRCH);
			if (ret) {
				cqe->res = ret;
				pel_batch_complete(b, w);
				continue;
			}
			b->started = true;
		}
		if (!pel_op_exec(&b->x, base, cqe))
			goto stopped;
		b->started = false;
		pel_batch_complete(b, w);
		if (sqe->len >= PEL_POST_NOW_BYTES)
			cond_resched();
	}
	cond_resched();
	return true;

stopped:
	pel_batch_flush(b, w);
	return false;
}

/*
 * Complete every SQE of the batch from b->next with @err, without running
 * it: the slow path could not be had (no memory, or the mm is gone).
 */
void pel_batch_abort(struct pel_batch *b, int err)
{
	while (b->next < b->nr) {
		struct pel_cqe *cqe = &b->cqes[b->next];

		memset(cqe, 0, sizeof(*cqe));
		cqe->res = err;
		if (!b->started)
			pel_batch_start(b, b->next);
		b->started = false;
		pel_batch_complete(b, NULL);
	}
	pel_batch_flush(b, NULL);
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
		/* The runner moves PENDING on with a cmpxchg() of its own. */
		if (cmpxchg(&b->state[i], PEL_SLOT_PENDING,
			    PEL_SLOT_CANCELLED) == PEL_SLOT_PENDING)
			return 0;
		if (READ_ONCE(b->state[i]) == PEL_SLOT_RUNNING)
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
