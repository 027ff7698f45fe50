// SPDX-License-Identifier: GPL-2.0
/*
 * The owner helps.  A thread of the context's owner that waits for CQEs
 * (PEL_IOC_ENTER with PEL_ENTER_WAIT) is about to leave its CPU idle.
 * Before it sleeps it runs SQEs of its own context itself, in its own task
 * with its own mm (no kthread_use_mm()), and claims chunks of its context's
 * split ops that workers are running; workers on other CPUs keep taking the
 * rest.  This is what work-stealing runtimes do at a join.
 *
 * Who: only the owner (pel_ioctl() checks current->mm == ctx->mm), and one
 * of its threads at a time (help_mutex; the others just wait).
 *
 * How: a batch is taken and run like a worker's (batch.c), first without
 * page faults, on the fast data path; an op that would need one goes on
 * with faults allowed, in this task: the owner may sleep on its own
 * memory, as its own read() would.  Its ops end with -ECANCELED when the
 * context closes; the thread stops helping when a signal is pending.
 * PEL_OP_CANCEL finds the helper's batch through ctx->help.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "pel_internal.h"

/* What a helping owner runs with; one per context, made on first need. */
struct pel_help {
	spinlock_t lock;		/* batch.lock points here */
	struct pel_batch batch;
	void *bounce;			/* PEL_BOUNCE_SIZE bytes */
};

static struct pel_help *pel_help_alloc(struct pel_ctx *ctx)
{
	struct pel_help *h;

	lockdep_assert_held(&ctx->help_mutex);
	if (ctx->help)
		return ctx->help;
	h = kvzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return NULL;
	h->bounce = kvmalloc(PEL_BOUNCE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!h->bounce) {
		kvfree(h);
		return NULL;
	}
	spin_lock_init(&h->lock);
	pel_batch_init(&h->batch, &h->lock);
	/* Pairs with the load-acquire in pel_help_cancel(). */
	smp_store_release(&ctx->help, h);
	return h;
}

void pel_help_free(struct pel_ctx *ctx)
{
	struct pel_help *h = ctx->help;

	if (!h)
		return;
	kvfree(h->bounce);
	kvfree(h);
	ctx->help = NULL;
}

/* The first queue to help with: the one of the CPU we run on. */
static unsigned int pel_help_first(struct pel_ctx *ctx)
{
	unsigned int i, cpu = raw_smp_processor_id();

	for (i = 0; i < ctx->nr_queues; i++)
		if (ctx->queues[i].cpu == cpu)
			return i;
	return 0;
}

static bool pel_help_may_go_on(struct pel_ctx *ctx)
{
	return !signal_pending(current) && !READ_ONCE(ctx->closing);
}

/*
 * Run the context's SQEs that can be taken now, and chunks of its split
 * ops, in the calling (owner's) task.  Returns the SQEs and chunks run.
 */
unsigned int pel_help_run(struct pel_ctx *ctx)
{
	unsigned int i, n, first, done = 0, chunks, batch = READ_ONCE(pel_batch);
	struct pel_range fast = { .nofault = true };
	struct pel_range slow = { };
	struct pel_help *h;
	bool link_failed;

	if (!mutex_trylock(&ctx->help_mutex))
		return 0;
	h = pel_help_alloc(ctx);
	if (!h)
		goto out;
	fast.bounce = h->bounce;
	slow.bounce = h->bounce;
	batch = clamp(batch, 1U, (unsigned int)PEL_MAX_BATCH);

	chunks = pel_split_help_ctx(ctx, &fast);
	first = pel_help_first(ctx);
	for (i = 0; i < ctx->nr_queues && pel_help_may_go_on(ctx); i++) {
		struct pel_queue *q = &ctx->queues[(first + i) % ctx->nr_queues];

		while (pel_help_may_go_on(ctx) && pel_queue_can_take(q)) {
			n = pel_queue_take(q, h->batch.sqes, batch, &link_failed);
			if (!n)
				break;
			pel_batch_set(&h->batch, q, n, link_failed);
			/* A miss: the rest of the batch may fault, here. */
			if (!pel_batch_run(&h->batch, &fast, NULL))
				pel_batch_run(&h->batch, &slow, NULL);
			pel_batch_set(&h->batch, NULL, 0, false);
			done += n;
		}
	}
	done += chunks;
	/* Not in busy_ns: that is the workers' time; this is the owner's own. */
	WRITE_ONCE(ctx->helped, ctx->helped + done);
out:
	mutex_unlock(&ctx->help_mutex);
	return done;
}

/* CANCEL's search of the batch a helping owner runs. */
int pel_help_cancel(struct pel_ctx *ctx, u64 user_data)
{
	/* Pairs with the store-release in pel_help_alloc(). */
	struct pel_help *h = smp_load_acquire(&ctx->help);

	return h ? pel_batch_cancel(&h->batch, ctx, user_data) : -ENOENT;
}
