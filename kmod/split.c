// SPDX-License-Identifier: GPL-2.0
/*
 * Splitting large ops across workers.
 *
 * A byte-range op (see ops.c) longer than pel_split_bytes is cut into at
 * most PEL_MAX_CHUNKS chunks.  The runner that took it (the owner: a
 * worker, or the context's slow path) puts a struct pel_split, which lives
 * on its stack, on pel_splits, kicks sleeping workers, and runs chunks
 * itself; idle workers find the split and claim chunks too
 * (pel_split_help()).  A chunk's state lives in the op's struct pel_exec:
 * how far it got and its CRC, so a chunk that a worker could not finish
 * without a page fault (or left to park) goes on from there later.
 *
 * A worker never faults user pages in, so no chunk holds a worker for
 * longer than the chunk's own work: the owner's wait for its helpers is
 * bounded.  A chunk that needed a fault is not over; when the owner is a
 * worker the op goes to the slow path with its chunks' progress, and
 * there pel_split_resume() finishes each such chunk with faults allowed.
 * Once every chunk is over the chunks are merged exactly as one range
 * would have been:
 *  - a fault: bytes done is the lowest faulting offset;
 *  - COMPARE: the lowest differing offset, if it precedes any fault;
 *  - what else the chunks kept, by the op's merge() (CRC32C: chunk CRCs,
 *    raw, from 0, combined in order, so the result equals the unsplit CRC).
 *  - per-block digests (PEL_OPF_BLOCKS, SHA256's too): chunks are whole
 *    blocks, each writes its own digests, and a chunk ends short only at a
 *    block boundary (or EOF), so the lowest such offset is the op's.
 * The op's one CQE is posted by its batch's runner, as for any op.
 *
 * Lifetime: a helper joins a split under pel_splits_lock (helpers++), the
 * owner takes the split off the list once every chunk is claimed and waits
 * for done == nr and helpers == 0.  A helper leaves, and wakes the owner,
 * under the lock, so the owner's stack frame and exec outlive every
 * helper's use.  Helpers attach the owner's mm: the owner holds a reference.
 */
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include <linux/wait.h>

#include "pel_internal.h"
#include "trace.h"

struct pel_split {
	struct list_head node;		/* on pel_splits */
	struct pel_exec *x;		/* the owner's; helpers touch only their chunks */
	atomic_t next;			/* next chunk to claim */
	atomic_t done;			/* claimed chunks whose runner is done */
	int claimed;			/* chunks claimed in all; the owner's */
	unsigned int helpers;		/* workers inside, under pel_splits_lock */
	wait_queue_head_t wait;		/* the owner waits here */
};

/* pel_splits_lock protects pel_splits and every split's helpers count. */
static DEFINE_SPINLOCK(pel_splits_lock);
static LIST_HEAD(pel_splits);

/*
 * @threshold is pel_split_bytes as read once by the caller: the decision
 * and the chunk size must come from the same read (a write of 0 between
 * two reads would make the chunk size 0).
 */
static bool pel_split_worthwhile(u64 len, unsigned int threshold)
{
	return threshold && len > threshold && num_online_cpus() > 1;
}

u64 pel_chunk_len(const struct pel_exec *x, unsigned int i)
{
	return min(x->chunk, x->sqe->len - (u64)i * x->chunk);
}

/*
 * Run chunk @i from where it got to, under the runner rules in @base.
 * Returns why it stopped early (PEL_STOP_NONE when it is over).
 */
static u8 pel_split_run_chunk(struct pel_exec *x, const struct pel_range *base,
			      unsigned int i)
{
	u64 off = (u64)i * x->chunk, n = pel_chunk_len(x, i);
	u64 from = x->chunk_done[i], got;
	struct pel_range r = *base;

	r.stop = PEL_STOP_NONE;
	r.diff = U64_MAX;
	r.crc = x->chunk_crc[i];
	got = x->op->range(x, &r, off + from, n - from);
	x->chunk_done[i] = from + got;
	x->chunk_crc[i] = r.crc;
	if (r.diff != U64_MAX || (!r.stop && from + got < n)) {
		spin_lock(&x->split_lock);
		if (r.diff != U64_MAX)
			x->first_diff = min(x->first_diff, r.diff);
		else
			x->first_fault = min(x->first_fault, off + from + got);
		spin_unlock(&x->split_lock);
	}
	if (!r.stop)
		set_bit(i, x->chunk_over);
	if (base->chunks)
		WRITE_ONCE(*base->chunks, *base->chunks + 1);
	return r.stop;
}

/*
 * Claim and run chunks until none is left, or this runner must stop (park,
 * close): the chunks it leaves are someone else's to claim.
 */
static unsigned int pel_split_claim(struct pel_split *s,
				    const struct pel_range *base)
{
	struct pel_exec *x = s->x;
	unsigned int i, n = 0;
	u8 stop;

	while ((i = atomic_inc_return(&s->next) - 1) < x->nr_chunks) {
		stop = pel_split_run_chunk(x, base, i);
		n++;
		/* Orders the chunk's state before the owner's read. */
		smp_mb__before_atomic();
		atomic_inc(&s->done);
		if (stop == PEL_STOP_YIELD || stop == PEL_STOP_CLOSING)
			break;
	}
	return n;
}

static bool pel_split_finished(struct pel_split *s)
{
	return atomic_read(&s->done) == s->claimed && !READ_ONCE(s->helpers);
}

/*
 * Cut the op in @x into chunks and run them with whichever workers come to
 * help.  On return every chunk was run once, fully or in part; @x says
 * how far each got, and pel_split_resume() finishes and merges them.
 */
static void pel_split_run(struct pel_exec *x, const struct pel_range *base,
			  u64 chunk)
{
	u64 len = x->sqe->len;
	struct pel_split s = { .x = x };

	x->chunk = chunk;
	x->nr_chunks = DIV_ROUND_UP(len, chunk);
	x->first_fault = U64_MAX;
	x->first_diff = U64_MAX;
	bitmap_zero(x->chunk_over, PEL_MAX_CHUNKS);
	memset(x->chunk_done, 0, x->nr_chunks * sizeof(x->chunk_done[0]));
	memset(x->chunk_crc, 0, x->nr_chunks * sizeof(x->chunk_crc[0]));
	spin_lock_init(&x->split_lock);
	x->split = true;
	atomic_set(&s.next, 0);
	atomic_set(&s.done, 0);
	init_waitqueue_head(&s.wait);

	trace_pel_split(x->sqe->opcode, len, x->nr_chunks);
	spin_lock(&pel_splits_lock);
	list_add_tail(&s.node, &pel_splits);
	spin_unlock(&pel_splits_lock);
	pel_worker_kick_idle(numa_node_id(), raw_smp_processor_id(), -1,
			     x->nr_chunks - 1);

	pel_split_claim(&s, base);

	/*
	 * The owner stopped claiming (all claimed, or it must park): no one
	 * new may join.  Chunks never claimed stay not over, with no progress.
	 */
	spin_lock(&pel_splits_lock);
	list_del(&s.node);
	spin_unlock(&pel_splits_lock);
	/*
	 * Close the claims: a helper still inside gets an index past the
	 * end from here on.  Those claimed before are what we wait for.
	 */
	s.claimed = min_t(int, atomic_xchg(&s.next, PEL_MAX_CHUNKS + NR_CPUS),
			  x->nr_chunks);
	/* Bounded: a helper never sleeps in a chunk (it cannot fault). */
	wait_event_idle(s.wait, pel_split_finished(&s));
	/* The last helper woke us under the lock: let it leave first. */
	spin_lock(&pel_splits_lock);
	spin_unlock(&pel_splits_lock);
	smp_mb__after_atomic();
}

/*
 * The chunk of an op of @len bytes: @threshold, or larger page multiples
 * to stay within PEL_MAX_CHUNKS; per-block digests round it up to whole
 * blocks (fewer chunks, never more), so every chunk starts at a block.
 */
static u64 pel_split_chunk(const struct pel_exec *x, u64 len,
			   unsigned int threshold)
{
	u64 chunk = PAGE_ALIGN(threshold);

	if (DIV_ROUND_UP(len, chunk) > PEL_MAX_CHUNKS)
		chunk = PAGE_ALIGN(DIV_ROUND_UP(len, PEL_MAX_CHUNKS));
	if (x->block)
		chunk = roundup(chunk, x->block);
	return chunk;
}

/*
 * Split the op in @x, not yet started, if the op may be split (its table
 * entry, and its init for this SQE; per-block digests always, SHA256's
 * too) and it is long enough for two chunks at least; then run its
 * chunks (pel_split_run()).  Otherwise leave it to run as one range.
 */
void pel_split_maybe(struct pel_exec *x, const struct pel_range *base)
{
	unsigned int threshold = READ_ONCE(pel_split_bytes);
	u64 len = x->sqe->len, chunk;

	if (!(x->op->can_split || x->block) || x->no_split ||
	    !pel_split_worthwhile(len, threshold))
		return;
	chunk = pel_split_chunk(x, len, threshold);
	/* A block longer than the chunk is one chunk: not split. */
	if (DIV_ROUND_UP(len, chunk) > 1)
		pel_split_run(x, base, chunk);
}

/*
 * Finish every chunk of @x that is not over, then merge.  A runner that may
 * not fault cannot: it returns false (r->stop set) and the op goes to the
 * slow path.  Returns true with x->first_fault, x->diff and x->crc final.
 */
bool pel_split_resume(struct pel_exec *x, struct pel_range *r)
{
	u64 len = x->sqe->len;
	unsigned int i;

	for (i = 0; i < x->nr_chunks; i++) {
		if (test_bit(i, x->chunk_over))
			continue;
		if (pel_range_stopped(x, r))
			return false;
		if (r->nofault) {
			r->stop = PEL_STOP_MISS;
			return false;
		}
		r->stop = pel_split_run_chunk(x, r, i);
		if (r->stop)
			return false;
	}

	/* A file op's EOF is no fault: the chunks before it merge. */
	if (x->first_diff == U64_MAX && x->op->merge &&
	    (x->first_fault == U64_MAX ||
	     (x->file && x->first_fault == x->file_end)))
		x->op->merge(x);
	x->diff = x->first_diff;
	/* A later call (none today) must not combine again. */
	x->split = false;
	x->done = x->first_fault == U64_MAX ? len : x->first_fault;
	return true;
}

/*
 * Join a split with chunks left: of any context for a worker (@ctx NULL),
 * of @ctx only for its waiting owner.  Returns the split, with helpers
 * counted, or NULL.
 */
static struct pel_split *pel_split_join(struct pel_ctx *ctx)
{
	struct pel_split *s;

	if (list_empty(&pel_splits))
		return NULL;
	spin_lock(&pel_splits_lock);
	list_for_each_entry(s, &pel_splits, node) {
		if ((!ctx || s->x->ctx == ctx) &&
		    atomic_read(&s->next) < (int)s->x->nr_chunks) {
			WRITE_ONCE(s->helpers, s->helpers + 1);
			spin_unlock(&pel_splits_lock);
			return s;
		}
	}
	spin_unlock(&pel_splits_lock);
	return NULL;
}

static void pel_split_leave(struct pel_split *s)
{
	spin_lock(&pel_splits_lock);
	WRITE_ONCE(s->helpers, s->helpers - 1);
	wake_up(&s->wait);
	spin_unlock(&pel_splits_lock);
}

/*
 * An idle worker helps with a split that has chunks left.  Returns the
 * chunks it ran.
 */
unsigned int pel_split_help(struct pel_worker *w, const struct pel_range *base)
{
	struct pel_split *s = pel_split_join(NULL);
	unsigned int n = 0;

	if (!s)
		return 0;
	/* The mm stays attached: the next batch drops it if it needs another. */
	if (!pel_worker_use_mm(w, s->x->ctx->mm))
		n = pel_split_claim(s, base);
	pel_split_leave(s);
	return n;
}

/*
 * The owner of @ctx, about to wait, claims chunks of its own split ops in
 * its own task (its mm is the context's).  Returns the chunks it ran.
 */
unsigned int pel_split_help_ctx(struct pel_ctx *ctx, const struct pel_range *base)
{
	struct pel_split *s = pel_split_join(ctx);
	unsigned int n;

	if (!s)
		return 0;
	n = pel_split_claim(s, base);
	pel_split_leave(s);
	return n;
}
