// SPDX-License-Identifier: GPL-2.0
/*
 * Splitting large ops across workers.
 *
 * A byte-range op (see ops.c) longer than pel_split_bytes is cut into at
 * most PEL_MAX_CHUNKS chunks.  The worker that took it (the owner) puts a
 * struct pel_split, which lives on its stack, on pel_splits, kicks sleeping
 * workers, and runs chunks itself; idle workers find the split and claim
 * chunks too (pel_split_help()).  Each chunk reports what it did; when all
 * are done the owner merges them, exactly as one range would have:
 *  - a fault: bytes done is the lowest faulting offset;
 *  - COMPARE: the lowest differing offset, if it precedes any fault;
 *  - CRC32C: chunk CRCs (raw, from 0) combined in order with
 *    __crc32c_le_shift(), so the result equals the unsplit CRC.
 * The op's one CQE is posted by the owner, in its batch, as for any op.
 *
 * Lifetime: a helper joins a split under pel_splits_lock (helpers++), the
 * owner takes the split off the list once every chunk is claimed and waits
 * for done == nr and helpers == 0.  A helper leaves, and wakes the owner,
 * under the lock, so the owner's stack frame outlives every helper's use.
 * Helpers attach the owner's mm: the owner holds a reference to it.
 */
#include <linux/crc32.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "pel_internal.h"
#include "trace.h"

#define PEL_MAX_CHUNKS		64

struct pel_split {
	struct list_head node;		/* on pel_splits */
	struct pel_ctx *ctx;
	const struct pel_op_def *op;
	const struct pel_exec *x;	/* the owner's; read-only for helpers */
	u64 chunk;			/* bytes per chunk, a page multiple */
	unsigned int nr;		/* chunks */
	atomic_t next;			/* next chunk to claim */
	atomic_t done;			/* chunks finished */
	unsigned int helpers;		/* workers inside, under pel_splits_lock */
	wait_queue_head_t wait;		/* the owner waits here */

	spinlock_t lock;		/* protects first_fault and first_diff */
	u64 first_fault;		/* lowest faulting offset, or U64_MAX */
	u64 first_diff;			/* COMPARE: lowest differing offset */
	u32 crcs[PEL_MAX_CHUNKS];	/* chunk i's runner writes crcs[i] */
};

/* pel_splits_lock protects pel_splits and every split's helpers count. */
static DEFINE_SPINLOCK(pel_splits_lock);
static LIST_HEAD(pel_splits);

/*
 * @threshold is pel_split_bytes as read once by the caller: the decision
 * and the chunk size must come from the same read (a write of 0 between
 * two reads would make the chunk size 0).
 */
bool pel_split_worthwhile(u64 len, unsigned int threshold)
{
	return threshold && len > threshold && num_online_cpus() > 1;
}

static void pel_split_run_chunk(struct pel_worker *w, struct pel_split *s,
				unsigned int i)
{
	u64 len = s->x->sqe->len, off = (u64)i * s->chunk;
	u64 n = min(s->chunk, len - off), done;
	struct pel_exec x = *s->x;

	x.diff = U64_MAX;
	x.crc = 0;
	done = s->op->range(w, &x, off, n);
	s->crcs[i] = x.crc;
	if (x.diff != U64_MAX || done < n) {
		spin_lock(&s->lock);
		if (x.diff != U64_MAX)
			s->first_diff = min(s->first_diff, x.diff);
		else
			s->first_fault = min(s->first_fault, off + done);
		spin_unlock(&s->lock);
	}
	WRITE_ONCE(w->chunks, w->chunks + 1);
	/* Orders crcs[i] and the merge above before the owner's read. */
	smp_mb__before_atomic();
	atomic_inc(&s->done);
}

static unsigned int pel_split_claim(struct pel_worker *w, struct pel_split *s)
{
	unsigned int i, n = 0;

	while ((i = atomic_inc_return(&s->next) - 1) < s->nr) {
		pel_split_run_chunk(w, s, i);
		n++;
	}
	return n;
}

static bool pel_split_finished(struct pel_split *s)
{
	return atomic_read(&s->done) == s->nr && !READ_ONCE(s->helpers);
}

s64 pel_split_run(struct pel_worker *w, struct pel_ctx *ctx,
		  const struct pel_op_def *op, struct pel_exec *x,
		  unsigned int threshold, u64 *result)
{
	u64 len = x->sqe->len, chunk = PAGE_ALIGN(threshold);
	struct pel_split s = {
		.ctx = ctx,
		.op = op,
		.x = x,
		.first_fault = U64_MAX,
		.first_diff = U64_MAX,
	};
	unsigned int i;
	u32 crc;

	if (DIV_ROUND_UP(len, chunk) > PEL_MAX_CHUNKS)
		chunk = PAGE_ALIGN(DIV_ROUND_UP(len, PEL_MAX_CHUNKS));
	s.chunk = chunk;
	s.nr = DIV_ROUND_UP(len, chunk);
	atomic_set(&s.next, 0);
	atomic_set(&s.done, 0);
	init_waitqueue_head(&s.wait);
	spin_lock_init(&s.lock);

	trace_pel_split(x->sqe->opcode, len, s.nr);
	spin_lock(&pel_splits_lock);
	list_add_tail(&s.node, &pel_splits);
	spin_unlock(&pel_splits_lock);
	pel_worker_kick_idle(w->node, w->cpu, s.nr - 1);

	pel_split_claim(w, &s);

	spin_lock(&pel_splits_lock);
	list_del(&s.node);
	spin_unlock(&pel_splits_lock);
	/* TASK_INTERRUPTIBLE: a helper stuck in a fault is not a hung task. */
	while (wait_event_interruptible(s.wait, pel_split_finished(&s)))
		;
	/* The last helper woke us under the lock: let it leave first. */
	spin_lock(&pel_splits_lock);
	spin_unlock(&pel_splits_lock);
	smp_mb__after_atomic();

	if (s.first_fault == U64_MAX && s.first_diff == U64_MAX &&
	    (x->sqe->opcode == PEL_OP_CRC32C ||
	     x->sqe->opcode == PEL_OP_COPY_CRC32C)) {
		/* x->crc holds the pre-inverted seed. */
		crc = x->crc;
		for (i = 0; i < s.nr; i++)
			crc = __crc32c_le_shift(crc, min(chunk, len - (u64)i * chunk)) ^
			      s.crcs[i];
		x->crc = crc;
	}
	x->diff = s.first_diff;
	return pel_op_finish(x, s.first_fault == U64_MAX ? len : s.first_fault,
			     0, result);
}

/*
 * An idle worker helps with a split that has chunks left.  Returns the
 * chunks it ran.
 */
unsigned int pel_split_help(struct pel_worker *w)
{
	struct pel_split *s;
	unsigned int n = 0;
	bool found = false;

	if (list_empty(&pel_splits))
		return 0;
	spin_lock(&pel_splits_lock);
	list_for_each_entry(s, &pel_splits, node) {
		if (atomic_read(&s->next) < s->nr) {
			WRITE_ONCE(s->helpers, s->helpers + 1);
			found = true;
			break;
		}
	}
	spin_unlock(&pel_splits_lock);
	if (!found)
		return 0;

	if (!pel_worker_use_mm(w, s->ctx->mm))
		n = pel_split_claim(w, s);
	pel_worker_drop_mm(w);

	spin_lock(&pel_splits_lock);
	WRITE_ONCE(s->helpers, s->helpers - 1);
	wake_up(&s->wait);
	spin_unlock(&pel_splits_lock);
	return n;
}
