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
 *   sq_flags NEED_WAKEUP: the worker sets it, smp_mb(), re-reads sq_tail;
 *            the user stores sq_tail, full barrier, reads sq_flags.  One of
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
 * Whether pel_queue_take() would take something: SQEs wait and the CQ has
 * a free slot.  A hint, as above.  A worker must not poll a queue whose CQ
 * is full: only the owner's reaping frees it, and the owner's next wait
 * wakes the worker (pel_ctx_enter()).
 */
bool pel_queue_can_take(struct pel_queue *q)
{
	u32 used;

	if (!pel_queue_sq_pending(q))
		return false;
	used = READ_ONCE(q->cq_tail) - READ_ONCE(q->rings->cq_head);
	return used < q->cq_entries &&
	       q->cq_entries - used > READ_ONCE(q->cq_reserved);
}

/*
 * Copy up to @max SQEs out of the ring into @out, reserving a CQ slot for
 * each.  Every SQE taken here must be completed with pel_queue_post().
 */
unsigned int pel_queue_take(struct pel_queue *q, struct pel_sqe *out,
			    unsigned int max)
{
	u32 tail, avail, cq_head, cq_used, cq_free, in_flight, n, i;

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
	cq_used = q->cq_tail - cq_head;
	/* A head that claims more than a full ring is garbage: treat as full. */
	if (cq_used > q->cq_entries)
		cq_used = q->cq_entries;
	cq_free = q->cq_entries - cq_used;
	cq_free = cq_free > q->cq_reserved ? cq_free - q->cq_reserved : 0;
	n = min3(avail, cq_free, max);
	in_flight = q->cq_reserved;
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
		WRITE_ONCE(q->cq_reserved, q->cq_reserved - (n - i));
		spin_unlock(&q->cq_lock);
		n = i;
	}
	/* Lockless readers: pel_queue_sq_pending(), the stats ioctl. */
	WRITE_ONCE(q->sq_head, q->sq_head + n);
	WRITE_ONCE(q->submitted, q->submitted + n);
	/* The copies are done: pairs with the producer's load-acquire of sq_head. */
	smp_store_release(&q->rings->sq_head, q->sq_head);
	spin_unlock(&q->sq_lock);
	return n;

out_unlock:
	spin_unlock(&q->sq_lock);
	return 0;
}

/* Post the CQE of an SQE taken by pel_queue_take(), and wake waiters. */
void pel_queue_post(struct pel_queue *q, const struct pel_cqe *cqe)
{
	struct pel_ctx *ctx = q->ctx;

	spin_lock(&q->cq_lock);
	memcpy(&q->cqes[q->cq_tail & q->cq_mask], cqe, sizeof(*cqe));
	WRITE_ONCE(q->cq_reserved, q->cq_reserved - 1);
	WRITE_ONCE(q->completed, q->completed + 1);
	/* The CQE is written: pairs with the consumer's load-acquire of cq_tail. */
	smp_store_release(&q->rings->cq_tail, q->cq_tail + 1);
	/*
	 * The private tail moves second, so pel_queue_cq_ready() never counts
	 * a CQE that the owner cannot see yet.  Pairs with its load-acquire.
	 */
	smp_store_release(&q->cq_tail, q->cq_tail + 1);
	spin_unlock(&q->cq_lock);

	/* wq_has_sleeper() orders the tail store before the waiter check. */
	if (wq_has_sleeper(&ctx->cq_wait))
		wake_up(&ctx->cq_wait);
}

/* CQEs posted and not yet consumed, as far as the (untrusted) head says. */
u32 pel_queue_cq_ready(struct pel_queue *q)
{
	u32 ready = smp_load_acquire(&q->cq_tail) - READ_ONCE(q->rings->cq_head);

	return min(ready, q->cq_entries);
}

void pel_queue_set_need_wakeup(struct pel_queue *q, bool on)
{
	u32 flags = READ_ONCE(q->rings->sq_flags);

	/* Only the kernel writes sq_flags; skip stores that change nothing. */
	if (!!(flags & PEL_SQ_NEED_WAKEUP) == on)
		return;
	WRITE_ONCE(q->rings->sq_flags, on ? flags | PEL_SQ_NEED_WAKEUP :
					    flags & ~PEL_SQ_NEED_WAKEUP);
}
