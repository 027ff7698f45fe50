// SPDX-License-Identifier: GPL-2.0
/*
 * The slow path: what a context needs done that would make a shared worker
 * sleep on the owner's memory.
 *
 * A worker never takes a page fault on user memory (ops.c): an op that
 * needs one stops where it got to, and the worker hands the rest of its
 * batch, that op's progress included, to its context's slow path and goes
 * back to serving everyone else.  A worker asked to park (CPU offline) or
 * stop hands its batch over the same way, between ops or between chunks.
 * The slow path is a kernel thread of the context's own, "pel-slow/PID",
 * made on first need and kept until the context closes.  It runs handed-
 * over batches in order, with the owner's mm attached and page faults
 * allowed: it may wait on a userfaultfd or a FUSE server, but only the
 * context's own ops wait with it.
 *
 * Bounds.  The thread allows SIGKILL, and fault waits are killable: when
 * the context closes (release) or its owner is dying (a timer checks every
 * PEL_SLOW_CHECK while a batch runs), the thread is sent SIGKILL, its fault
 * ends, and the rest of its ops end with -ECANCELED.  The thread holds a
 * module reference, so rmmod is refused (never blocked) while it lives.
 * What it cannot bound: a FUSE request the server has already read and
 * never answers waits uninterruptibly in fuse itself (as any task's read
 * would) until the connection is aborted; only this context waits.
 */
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mmu_context.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "pel_internal.h"

/* How often a running slow batch checks whether its owner is dying. */
#define PEL_SLOW_CHECK	(HZ / 10)

static void pel_slow_timer_fn(struct timer_list *t)
{
	struct pel_ctx *ctx = from_timer(ctx, t, slow_timer);

	/* The thread deletes this timer before it exits: the task is alive. */
	if (READ_ONCE(ctx->closing) || pel_ctx_dying(ctx))
		send_sig(SIGKILL, READ_ONCE(ctx->slow_task), 1);
	mod_timer(&ctx->slow_timer, jiffies + PEL_SLOW_CHECK);
}

void pel_slow_init(struct pel_ctx *ctx)
{
	spin_lock_init(&ctx->slow_lock);
	INIT_LIST_HEAD(&ctx->slow_list);
	init_waitqueue_head(&ctx->slow_wait);
	mutex_init(&ctx->slow_mutex);
	timer_setup(&ctx->slow_timer, pel_slow_timer_fn, 0);
}

/* The next batch to run, left on the list (CANCEL looks there); or NULL. */
static struct pel_batch *pel_slow_next(struct pel_ctx *ctx, bool *exit)
{
	struct pel_batch *b;

	spin_lock(&ctx->slow_lock);
	b = list_first_entry_or_null(&ctx->slow_list, struct pel_batch, node);
	*exit = !b && READ_ONCE(ctx->closing);
	/* From here a handoff makes a new thread (pel_slow_wake()). */
	if (*exit)
		ctx->slow_task = NULL;
	spin_unlock(&ctx->slow_lock);
	return b;
}

static void pel_slow_run(struct pel_ctx *ctx, struct pel_batch *b,
			 const struct pel_range *base)
{
	struct mm_struct *mm = ctx->mm;
	u64 start = local_clock();

	if (!mmget_not_zero(mm)) {
		pel_batch_abort(b, -ESRCH);
		return;
	}
	kthread_use_mm(mm);
	mod_timer(&ctx->slow_timer, jiffies + PEL_SLOW_CHECK);
	if (!pel_batch_run(b, base, NULL))
		pel_batch_abort(b, -ECANCELED);	/* only a worker stops early */
	del_timer_sync(&ctx->slow_timer);
	kthread_unuse_mm(mm);
	/* No reference to the mm while idle: it would keep the rings mapped. */
	mmput(mm);
	atomic64_add(local_clock() - start, &ctx->busy_ns);
}

static int pel_slow_fn(void *data)
{
	struct pel_ctx *ctx = data;
	/* Ours alone: a later thread of this context brings its own. */
	struct pel_range base = { .bounce = ctx->slow_bounce };
	struct pel_batch *b;
	bool exit;

	allow_signal(SIGKILL);
	for (;;) {
		b = pel_slow_next(ctx, &exit);
		if (exit)
			break;
		if (!b) {
			wait_event_idle(ctx->slow_wait,
					!list_empty(&ctx->slow_list) ||
					READ_ONCE(ctx->closing));
			continue;
		}
		pel_slow_run(ctx, b, &base);
		spin_lock(&ctx->slow_lock);
		list_del(&b->node);
		spin_unlock(&ctx->slow_lock);
		pel_ctx_put(ctx);	/* the batch's */
		kfree(b);
	}
	kvfree(base.bounce);
	pel_ctx_put(ctx);		/* the thread's */
	module_put_and_kthread_exit(0);
}

/*
 * Fail every batch on the list: no thread could be made for them.  Caller
 * holds slow_mutex, so no thread can appear meanwhile.
 */
static void pel_slow_fail_all(struct pel_ctx *ctx, int err)
{
	struct pel_batch *b;

	lockdep_assert_held(&ctx->slow_mutex);
	for (;;) {
		spin_lock(&ctx->slow_lock);
		b = list_first_entry_or_null(&ctx->slow_list, struct pel_batch,
					     node);
		spin_unlock(&ctx->slow_lock);
		if (!b)
			return;
		pel_batch_abort(b, err);
		spin_lock(&ctx->slow_lock);
		list_del(&b->node);
		spin_unlock(&ctx->slow_lock);
		pel_ctx_put(ctx);
		kfree(b);
	}
}

/* Wake the context's slow thread, making it first if there is none. */
static void pel_slow_wake(struct pel_ctx *ctx)
{
	struct task_struct *task;
	bool closing;

	spin_lock(&ctx->slow_lock);
	task = ctx->slow_task;
	spin_unlock(&ctx->slow_lock);
	if (task) {
		wake_up(&ctx->slow_wait);
		return;
	}

	mutex_lock(&ctx->slow_mutex);
	spin_lock(&ctx->slow_lock);
	task = ctx->slow_task;
	spin_unlock(&ctx->slow_lock);
	if (task) {
		wake_up(&ctx->slow_wait);
		goto out;
	}
	/* The module is going (rmmod waits for the workers): no new thread. */
	if (!try_module_get(THIS_MODULE))
		goto err;
	ctx->slow_bounce = kvmalloc(PEL_BOUNCE_SIZE, GFP_KERNEL);
	if (!ctx->slow_bounce)
		goto err_module;
	pel_ctx_get(ctx);
	task = kthread_create(pel_slow_fn, ctx, "pel-slow/%d",
			      pid_nr(ctx->owner));
	if (IS_ERR(task))
		goto err_ctx;
	spin_lock(&ctx->slow_lock);
	ctx->slow_task = task;
	closing = READ_ONCE(ctx->closing);
	spin_unlock(&ctx->slow_lock);
	wake_up_process(task);
	if (closing)
		pel_slow_close(ctx);
out:
	mutex_unlock(&ctx->slow_mutex);
	return;

err_ctx:
	pel_ctx_put(ctx);
	kvfree(ctx->slow_bounce);
	ctx->slow_bounce = NULL;
err_module:
	module_put(THIS_MODULE);
err:
	pel_slow_fail_all(ctx, -ENOMEM);
	mutex_unlock(&ctx->slow_mutex);
}

/*
 * Hand the rest of the worker's batch @b, from b->next, to its context's
 * slow path.  Called by the worker that runs @b; @b is empty afterwards.
 */
void pel_slow_handoff(struct pel_worker *w, struct pel_batch *b)
{
	struct pel_ctx *ctx = b->ctx;
	struct pel_batch *hb;

	hb = kmalloc(sizeof(*hb), GFP_KERNEL);
	if (!hb) {
		pel_batch_abort(b, -ENOMEM);
		pel_batch_set(b, NULL, 0, false);
		return;
	}
	/*
	 * Under the batch's lock, so that CANCEL finds the op in the
	 * worker's batch or on the slow list, never in neither.
	 */
	spin_lock(b->lock);
	memcpy(hb, b, sizeof(*hb));
	hb->lock = &ctx->slow_lock;
	hb->x.sqe = &hb->sqes[hb->next];
	spin_lock_init(&hb->x.split_lock);
	pel_ctx_get(ctx);
	spin_lock(&ctx->slow_lock);
	list_add_tail(&hb->node, &ctx->slow_list);
	WRITE_ONCE(ctx->slow_batches, ctx->slow_batches + 1);
	spin_unlock(&ctx->slow_lock);
	b->nr = 0;
	b->ctx = NULL;
	/* The op's references went with it. */
	b->x.rbufs = NULL;
	b->x.file = NULL;
	spin_unlock(b->lock);
	WRITE_ONCE(w->handoffs, w->handoffs + 1);
	pel_slow_wake(ctx);
}

/*
 * The context is closing: its ops end with -ECANCELED at their next check;
 * a fault its slow thread waits in ends now (killable), and the thread
 * exits once its list is empty.
 */
void pel_slow_close(struct pel_ctx *ctx)
{
	WRITE_ONCE(ctx->closing, true);
	spin_lock(&ctx->slow_lock);
	if (ctx->slow_task)
		send_sig(SIGKILL, ctx->slow_task, 1);
	spin_unlock(&ctx->slow_lock);
	wake_up(&ctx->slow_wait);
}

/* CANCEL's search of the batches handed to the slow path. */
int pel_slow_cancel(struct pel_ctx *ctx, u64 user_data)
{
	struct pel_batch *b;
	int ret = -ENOENT, r;

	spin_lock(&ctx->slow_lock);
	list_for_each_entry(b, &ctx->slow_list, node) {
		r = __pel_batch_cancel(b, ctx, user_data);
		if (!r || r == -EALREADY) {
			ret = r;
			if (!r)
				break;
		}
	}
	spin_unlock(&ctx->slow_lock);
	return ret;
}
