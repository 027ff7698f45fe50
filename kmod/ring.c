// SPDX-License-Identifier: GPL-2.0
/*
 * The shared-ring protocol: queue memory, taking SQEs, posting CQEs.
 *
 * Memory ordering.  Each shared index has one writer:
 *
 *   sq_tail  user writes SQEs, then store-release tail  -> pel_queue_take():
 *            smp_load_acquire(sq_tail), then copies the SQEs out.
 *   sq_head  pel_queue_take() copies the SQEs out, then smp_store_release
 *            (sq_head)  -> user load-acquires sq_head before it reuses a slot.
 *   cq_tail  pel_queue_post() writes the CQE, then smp_store_release(cq_tail)
 *            -> user load-acquires cq_tail, then reads the CQE.
 *   cq_head  user reads the CQE, then store-release head -> pel_queue_take():
 *            smp_load_acquire(cq_head) before it reserves (and later
 *            overwrites) a slot.
 *   sq_flags NEED_WAKEUP, "no worker polls this queue": the last worker
 *            to stop polling it sets it, smp_mb(), re-reads sq_tail; the
 *            user stores sq_tail, full barrier, reads sq_flags.  One of
 *            them sees the other's store, so no wake-up is lost (worker.c).
 *
 * Nothing read from the shared page is trusted: each index is read once into
 * a local, counts are clamped to the ring size, and every SQE is copied into
 * kernel memory before any field of it is looked at.  The geometry (masks,
 * sizes) is kept privately in struct pel_queue.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "pel_internal.h"

#define PEL_SQES_OFFSET		PAGE_SIZE

static size_t pel_cqes_offset(u32 sq_entries)
{
	return PEL_SQES_OFFSET + (size_t)sq_entries * sizeof(struct pel_sqe);
}

size_t pel_queue_map_size(u32 sq_entries, u32 cq_entries)
{
	return PAGE_ALIGN(pel_cqes_offset(sq_entries) +
			  (size_t)cq_entries * sizeof(struct pel_cqe));
}

void pel_queue_fill_offsets(struct pel_queue_offsets *off, u32 sq_entries)
{
	off->sq_head = offsetof(struct pel_rings, sq_head);
	off->sq_tail = offsetof(struct pel_rings, sq_tail);
	off->sq_flags = offsetof(struct pel_rings, sq_flags);
	off->sq_mask = offsetof(struct pel_rings, sq_mask);
	off->sq_entries = offsetof(struct pel_rings, sq_entries);
	off->cq_head = offsetof(struct pel_rings, cq_head);
	off->cq_tail = offsetof(struct pel_rings, cq_tail);
	off->cq_mask = offsetof(struct pel_rings, cq_mask);
	off->cq_entries = offsetof(struct pel_rings, cq_entries);
	off->cpu = offsetof(struct pel_rings, cpu);
	off->sqes = PEL_SQES_OFFSET;
	off->cqes = pel_cqes_offset(sq_entries);
}

/*
 * Queue memory is order-0 pages from the home CPU's node, charged to the
 * caller's memory cgroup, mapped contiguously for the kernel with vmap() and
 * for the owner with vm_map_pages_zero().  Pages that are still mapped when
 * the context goes away stay alive until munmap: the mapping holds its own
 * page references.
 */
int pel_queue_init(struct pel_queue *q, struct pel_ctx *ctx,
		   unsigned int index, unsigned int cpu,
		   u32 sq_entries, u32 cq_entries)
{
	size_t size = pel_queue_map_size(sq_entries, cq_entries);
	unsigned int i, nr_pages = size >> PAGE_SHIFT;
	int node = cpu_to_node(cpu);
	void *base;

	q->pages = kcalloc_node(nr_pages, sizeof(*q->pages),
				GFP_KERNEL_ACCOUNT, node);
	if (!q->pages)
		return -ENOMEM;
	for (i = 0; i < nr_pages; i++) {
		q->pages[i] = alloc_pages_node(node, GFP_KERNEL_ACCOUNT |
					       __GFP_ZERO, 0);
		if (!q->pages[i])
			goto err_pages;
	}
	base = vmap(q->pages, nr_pages, VM_MAP, PAGE_KERNEL);
	if (!base)
		goto err_pages;

	q->nr_pages = nr_pages;
	q->ctx = ctx;
	q->index = index;
	q->cpu = cpu;
	q->rings = base;
	q->sqes = base + PEL_SQES_OFFSET;
	q->cqes = base + pel_cqes_offset(sq_entries);
	q->sq_entries = sq_entries;
	q->sq_mask = sq_entries - 1;
	q->cq_entries = cq_entries;
	q->cq_mask = cq_entries - 1;
	spin_lock_init(&q->sq_lock);
	spin_lock_init(&q->cq_lock);
	INIT_LIST_HEAD(&q->worker_node);

	q->rings->sq_mask = q->sq_mask;
	q->rings->sq_entries = sq_entries;
	q->rings->cq_mask = q->cq_mask;
	q->rings->cq_entries = cq_entries;
	q->rings->cpu = cpu;
	/* No worker polls a new queue until the first submission wakes one. */
	q->rings->sq_flags = PEL_SQ_NEED_WAKEUP;
	return 0;

err_pages:
	while (i--)
		__free_page(q->pages[i]);
	kfree(q->pages);
	q->pages = NULL;
	return -ENOMEM;
}

void pel_queue_free(struct pel_queue *q)
{
	unsigned int i;

	kfree(q->spare);
	q->spare = NULL;
	if (!q->pages)
		return;
	vunmap(q->rings);
	for (i = 0; i < q->nr_pages; i++)
		__free_page(q->pages[i]);
	kfree(q->pages);
	q->pages = NULL;
}

/* Whether the SQ holds entries not yet taken.  A hint: no lock, no acquire. */
bool pel_queue_sq_pending(struct pel_queue *q)
{
	return READ_ONCE(q->rings->sq_tail) != READ_ONCE(q->sq_head);
}

/*
 * Whether pel_queue_take() would take something: SQEs wait, the CQ has a
 * free slot, and take's ordering rules allow it.  A hint, as above.  A
 * worker must not poll a queue whose CQ is full: only the owner's reaping
 * frees it, and the owner's next wait wakes the worker (pel_ctx_enter()).
 * Nor one whose context, or user, is at its cap of ops in flight, nor one
 * whose next SQE waits for the queue's ops in flight (the rest of a LINK
 * chain, or a DRAIN SQE): their completions free it, and pel_queue_post()
 * wakes the home worker for what then can be taken.
 */
bool pel_queue_can_take(struct pel_queue *q)
{
	u32 used, reserved, head;

	if (!pel_queue_sq_pending(q))
		return false;
	if (atomic_read(&q->ctx->inflight) >= (int)q->ctx->max_inflight)
		return false;
	if (atomic_read(&q->ctx->user->inflight) >=
	    (int)READ_ONCE(pel_max_inflight_per_user))
		return false;
	reserved = READ_ONCE(q->cq_reserved);
	if (reserved) {
		if (READ_ONCE(q->chain_open))
			return false;
		/*
		 * Only a hint, so a look at the shared SQE is fine here:
		 * pel_queue_take() copies it and decides on the copy.
		 */
		head = READ_ONCE(q->sq_head);
		if (READ_ONCE(q->sqes[head & q->sq_mask].flags) & PEL_SQE_DRAIN)
			return false;
	}
	used = READ_ONCE(q->cq_tail) - READ_ONCE(q->rings->cq_head);
	return used < q->cq_entries && q->cq_entries - used > reserved;
}

/*
 * Give back @n CQ reservations and in-flight slots that a take did not use,
 * or that an op gave up.  Caller holds cq_lock.
 */
static void pel_queue_unreserve(struct pel_queue *q, u32 n)
{
	WRITE_ONCE(q->cq_reserved, q->cq_reserved - n);
	atomic_sub(n, &q->ctx->inflight);
	atomic_sub(n, &q->ctx->user->inflight);
}

/*
 * Copy up to @max SQEs out of the ring into @out, reserving a CQ slot and
 * an in-flight slot of the context and of its user for each.  Every SQE
 * taken here must be completed with pel_queue_post().  *@link_failed says
 * whether the batch continues a LINK chain that already failed.
 *
 * Ordering rules, for batches of one queue that run on several workers at
 * once: a DRAIN SQE is taken only as the first of a batch with nothing of
 * the queue in flight; the rest of a LINK chain that a batch cut off is
 * taken only once that batch completed, so chains run in order.
 */
unsigned int pel_queue_take(struct pel_queue *q, struct pel_sqe *out,
			    unsigned int max, bool *link_failed)
{
	u32 tail, avail, cq_head, cq_used, cq_free, in_flight, n, i;
	unsigned int max_user = READ_ONCE(pel_max_inflight_per_user);
	struct pel_ctx *ctx = q->ctx;
	bool user_capped = false;
	int over;

	spin_lock(&q->sq_lock);
	/* Pairs with the producer's store-release of sq_tail. */
	tail = smp_load_acquire(&q->rings->sq_tail);
	avail = tail - q->sq_head;
	/* A tail more than a ring ahead is garbage; take at most a ring. */
	avail = min(avail, q->sq_entries);
	if (!avail)
		goto out_unlock;

	/* Pairs with the consumer's store-release of cq_head. */
	cq_head = smp_load_acquire(&q->rings->cq_head);
	spin_lock(&q->cq_lock);
	in_flight = q->cq_reserved;
	if (q->chain_open && in_flight) {
		spin_unlock(&q->cq_lock);
		goto out_unlock;
	}
	cq_used = q->cq_tail - cq_head;
	/* A head that claims more than a full ring is garbage: treat as full. */
	if (cq_used > q->cq_entries)
		cq_used = q->cq_entries;
	cq_free = q->cq_entries - cq_used;
	cq_free = cq_free > in_flight ? cq_free - in_flight : 0;
	n = min3(avail, cq_free, max);
	/* The context's cap on ops in flight, shared by all its queues. */
	over = atomic_add_return(n, &ctx->inflight) - (int)ctx->max_inflight;
	if (over > 0) {
		atomic_sub(min_t(u32, over, n), &ctx->inflight);
		n -= min_t(u32, over, n);
	}
	/* And its user's, shared by all the user's contexts. */
	over = atomic_add_return(n, &ctx->user->inflight) - (int)max_user;
	if (over > 0) {
		over = min_t(u32, over, n);
		atomic_sub(over, &ctx->user->inflight);
		atomic_sub(over, &ctx->inflight);
		n -= over;
		user_capped = true;
	}
	WRITE_ONCE(q->cq_reserved, q->cq_reserved + n);
	spin_unlock(&q->cq_lock);

	for (i = 0; i < n; i++) {
		memcpy(&out[i], &q->sqes[(q->sq_head + i) & q->sq_mask],
		       sizeof(*out));
		/*
		 * A DRAIN SQE starts a batch of its own, once nothing taken
		 * before it is in flight.  Left in the ring, it is copied
		 * and checked afresh next time.
		 */
		if (out[i].flags & PEL_SQE_DRAIN && (i || in_flight))
			break;
	}
	if (i < n) {
		spin_lock(&q->cq_lock);
		pel_queue_unreserve(q, n - i);
		spin_unlock(&q->cq_lock);
		n = i;
	}
	if (!n)
		goto out_unlock;
	/* Its home worker keeps polling while anyone takes from the queue. */
	WRITE_ONCE(q->last_taken_ns, local_clock());
	*link_failed = q->chain_open && q->link_failed;
	/* Also read locklessly by pel_queue_can_take(). */
	WRITE_ONCE(q->chain_open, out[n - 1].flags & PEL_SQE_LINK);
	/* Lockless readers: pel_queue_sq_pending(), the stats ioctl. */
	WRITE_ONCE(q->sq_head, q->sq_head + n);
	WRITE_ONCE(q->submitted, q->submitted + n);
	/* The copies are done: pairs with the producer's load-acquire of sq_head. */
	smp_store_release(&q->rings->sq_head, q->sq_head);
	spin_unlock(&q->sq_lock);
	if (user_capped)
		pel_user_inflight_capped(ctx->user, max_user);
	return n;

out_unlock:
	spin_unlock(&q->sq_lock);
	if (user_capped)
		pel_user_inflight_capped(ctx->user, max_user);
	return 0;
}

/*
 * A batch that ends inside a LINK chain hands the chain's state to the
 * batch that takes the rest; called before the batch's last CQE is posted.
 */
void pel_queue_end_chain_part(struct pel_queue *q, bool link_failed)
{
	spin_lock(&q->sq_lock);
	q->link_failed = link_failed;
	spin_unlock(&q->sq_lock);
}

/* The errno slot of the context's error counters. */
static unsigned int pel_err_slot(s32 res)
{
	switch (-res) {
	case EINVAL:	return PEL_ERR_EINVAL;
	case EFAULT:	return PEL_ERR_EFAULT;
	case ECANCELED:	return PEL_ERR_ECANCELED;
	case ETIME:	return PEL_ERR_ETIME;
	case EALREADY:	return PEL_ERR_EALREADY;
	case ENOENT:	return PEL_ERR_ENOENT;
	case ESRCH:	return PEL_ERR_ESRCH;
	default:	return PEL_ERR_OTHER;
	}
}

/*
 * Post the CQEs of @n SQEs taken by pel_queue_take(), in order (cqes[i] is
 * that of sqes[i]: the opcode it is counted under, if known), count them
 * for the context's stats, and wake waiters: one cq_lock, one tail release,
 * one in-flight update and one wake-up check for all of them.
 */
void pel_queue_post(struct pel_queue *q, const struct pel_cqe *cqes,
		    const struct pel_sqe *sqes, unsigned int n)
{
	struct pel_ctx *ctx = q->ctx;
	int ctx_left, user_left;
	unsigned int i;
	u32 reserved;

	if (!n)
		return;
	spin_lock(&q->cq_lock);
	for (i = 0; i < n; i++) {
		const struct pel_cqe *cqe = &cqes[i];
		u8 opcode = sqes[i].opcode;

		memcpy(&q->cqes[(q->cq_tail + i) & q->cq_mask], cqe, sizeof(*cqe));
		if (opcode < PEL_OP_LAST)
			WRITE_ONCE(q->ops[opcode], q->ops[opcode] + 1);
		if (cqe->res < 0)
			WRITE_ONCE(q->errors[pel_err_slot(cqe->res)],
				   q->errors[pel_err_slot(cqe->res)] + 1);
		else
			WRITE_ONCE(q->bytes, q->bytes + cqe->res);
	}
	WRITE_ONCE(q->cq_reserved, q->cq_reserved - n);
	WRITE_ONCE(q->completed, q->completed + n);
	/* The CQEs are written: pairs with the consumer's load-acquire of cq_tail. */
	smp_store_release(&q->rings->cq_tail, q->cq_tail + n);
	/*
	 * The private tail moves second, so pel_queue_cq_ready() never counts
	 * a CQE that the owner cannot see yet.  Pairs with its load-acquire.
	 */
	smp_store_release(&q->cq_tail, q->cq_tail + n);
	reserved = q->cq_reserved;
	spin_unlock(&q->cq_lock);
	/*
	 * The ops leave the context's in-flight count only once their CQEs
	 * are visible, so the owner never sees more than max_inflight taken
	 * and not completed.
	 */
	smp_mb__before_atomic();
	ctx_left = atomic_sub_return(n, &ctx->inflight);
	user_left = atomic_sub_return(n, &ctx->user->inflight);

	/* wq_has_sleeper() orders the tail store before the waiter check. */
	if (wq_has_sleeper(&ctx->cq_wait))
		wake_up(&ctx->cq_wait);

	/*
	 * Workers sleep on queues that pel_queue_can_take() said no to; a
	 * completion that changes its answer wakes one, as nobody else
	 * would (the owner may not enter the kernel: it has CQEs to reap).
	 * The value-returning atomics above order the counts before the
	 * sq_flags read: pairs with the smp_mb() of a worker going to sleep.
	 *  - The queue's last op in flight is done: SQEs that waited for it
	 *    (a chain's rest, a DRAIN) may be taken now; no worker polls
	 *    the queue if it says NEED_WAKEUP.
	 *  - The context or its user was at its cap of ops in flight: any of
	 *    their queues may take now; a sleeping worker steals.
	 */
	if (!reserved && pel_queue_sq_pending(q) &&
	    READ_ONCE(q->rings->sq_flags) & PEL_SQ_NEED_WAKEUP)
		pel_worker_kick(q->cpu);
	if (ctx_left + (int)n >= (int)ctx->max_inflight ||
	    user_left + (int)n >= (int)READ_ONCE(pel_max_inflight_per_user))
		pel_worker_kick_idle(numa_node_id(), -1, -1, 1);
}

/* CQEs posted and not yet consumed, as far as the (untrusted) head says. */
u32 pel_queue_cq_ready(struct pel_queue *q)
{
	u32 ready = smp_load_acquire(&q->cq_tail) - READ_ONCE(q->rings->cq_head);

	/*
	 * The owner may already have consumed a CQE whose private tail is not
	 * yet moved (head one past it), or written garbage: none ready.
	 */
	return ready <= q->cq_entries ? ready : 0;
}

static void pel_queue_set_need_wakeup(struct pel_queue *q, bool on)
{
	u32 flags = READ_ONCE(q->rings->sq_flags);

	/* Only the kernel writes sq_flags; skip stores that change nothing. */
	if (!!(flags & PEL_SQ_NEED_WAKEUP) == on)
		return;
	WRITE_ONCE(q->rings->sq_flags, on ? flags | PEL_SQ_NEED_WAKEUP :
					    flags & ~PEL_SQ_NEED_WAKEUP);
}

/*
 * NEED_WAKEUP says that no worker polls the queue: its home worker while
 * awake, and any worker that stole from it and keeps polling it, count in
 * q->pollers.  A worker starts polling @q: submitters need not call in.
 */
void pel_queue_poll_enter(struct pel_queue *q)
{
	spin_lock(&q->sq_lock);
	if (!q->pollers++)
		pel_queue_set_need_wakeup(q, false);
	spin_unlock(&q->sq_lock);
}

/*
 * A worker stops polling @q; the last one sets NEED_WAKEUP.  It must then
 * issue smp_mb() and look at the queue once more (pel_queue_can_take()):
 * the submitter stores sq_tail, issues a full barrier and reads sq_flags,
 * so either the worker sees the new tail or the submitter sees the flag.
 */
void pel_queue_poll_leave(struct pel_queue *q)
{
	spin_lock(&q->sq_lock);
	if (!--q->pollers)
		pel_queue_set_need_wakeup(q, true);
	spin_unlock(&q->sq_lock);
}
