// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU workers: one smpboot thread per online CPU, shared by every
 * context.  smpboot parks and unparks them with CPU hotplug.
 *
 * Where a worker finds work, in this order each turn:
 *  1. its homed queues, round-robin, a batch of at most pel_batch each;
 *  2. chunks of a split op some worker is running (split.c);
 *  3. other workers' queues, its own NUMA node first (stealing): a batch
 *     from the first queue with work.  That serves a single submitter's
 *     queue with several workers, the queues of a CPU that went offline,
 *     and the queues of a worker busy with one long op.
 * A worker that leaves work behind in a queue kicks one sleeping worker to
 * come and steal it.
 *
 * A worker's life is pel_worker_fn(): serve the homed queues round-robin,
 * a batch of at most pel_batch SQEs per queue per turn; keep polling while
 * ops arrive, for at most idle_ns after the last one and only while nothing
 * else wants this CPU; then sleep with NEED_WAKEUP set on every homed queue.
 *
 * No lost wake-up:
 *   worker                           submitter
 *   set NEED_WAKEUP on each queue    store-release sq_tail
 *   smp_mb()                         full barrier
 *   re-read each sq_tail             read sq_flags
 *   all empty: return, sleep         NEED_WAKEUP: PEL_ENTER_WAKE ->
 *                                      kick = true; wake_up_process()
 * Either the worker sees the new tail, or the submitter sees NEED_WAKEUP.
 * smpboot sets TASK_INTERRUPTIBLE before it calls pel_worker_should_run(),
 * which reads kick, so a wake between the two is not lost either.
 */
#include <linux/kthread.h>
#include <linux/mmu_context.h>
#include <linux/nospec.h>
#include <linux/sched/mm.h>
#include <linux/sched/stat.h>
#include <linux/slab.h>
#include <linux/smpboot.h>
#include <linux/vmalloc.h>

#include "pel_internal.h"
#include "trace.h"

static struct pel_worker **pel_workers;
static DEFINE_PER_CPU(struct task_struct *, pel_worker_task);

static struct pel_worker *pel_worker_of(unsigned int cpu)
{
	return pel_workers[cpu];
}

static void pel_worker_set_state(struct pel_worker *w, u32 state)
{
	WRITE_ONCE(w->state, state);
	WRITE_ONCE(w->state_since, local_clock());
}

/*
 * A worker running one op for this long is busy with it (a long op: it
 * never waits on user memory); its queues may want another worker.
 */
#define PEL_STUCK_NS	(2 * NSEC_PER_MSEC)

/* Whether @cpu's worker cannot serve its queues now: offline, or busy long. */
bool pel_worker_stuck(unsigned int cpu)
{
	struct pel_worker *w = pel_worker_of(cpu);

	if (!cpu_online(cpu) || READ_ONCE(w->state) == PEL_WORKER_OFFLINE)
		return true;
	/* local_clock() of another CPU: signed, it may be a little ahead. */
	return READ_ONCE(w->state) == PEL_WORKER_RUNNING &&
	       (s64)(local_clock() - READ_ONCE(w->state_since)) > PEL_STUCK_NS;
}

/* Attach the context's mm for ops that touch user memory. */
int pel_worker_use_mm(struct pel_worker *w, struct mm_struct *mm)
{
	if (w->mm == mm)
		return 0;
	pel_worker_drop_mm(w);
	if (!mmget_not_zero(mm))
		return -ESRCH;
	kthread_use_mm(mm);
	w->mm = mm;
	return 0;
}

void pel_worker_drop_mm(struct pel_worker *w)
{
	if (!w->mm)
		return;
	kthread_unuse_mm(w->mm);
	mmput(w->mm);
	w->mm = NULL;
}

/* Whether this worker must give up its batch: it is to park or stop. */
bool pel_worker_should_yield(void)
{
	return kthread_should_park() || kthread_should_stop();
}

/* At most one "come and steal" kick per jiffy, system-wide. */
static unsigned long pel_help_kicked;

/*
 * Take, run and complete one batch of @q's SQEs, or hand what is left of
 * it to the context's slow path.  Returns the SQEs taken.
 */
static unsigned int pel_worker_run_queue(struct pel_worker *w,
					 struct pel_queue *q)
{
	unsigned int n, batch = READ_ONCE(pel_batch);
	struct pel_batch *b = &w->batch;
	struct pel_ctx *ctx = q->ctx;
	unsigned long now = jiffies;
	bool link_failed;
	u64 start, busy;

	n = pel_queue_take(q, b->sqes, clamp(batch, 1U, (unsigned int)PEL_MAX_BATCH),
			   &link_failed);
	if (!n)
		return 0;
	start = local_clock();
	trace_pel_take(ctx, q->index, w->cpu, q->cpu, n);
	if (q->cpu != w->cpu) {
		WRITE_ONCE(w->stolen, w->stolen + n);
		atomic64_add(n, &pel_worker_of(q->cpu)->stolen_from);
	}
	/*
	 * Work left behind: wake a sleeping worker to steal it, but not
	 * the queue's home worker when we are a thief: it would preempt the
	 * queue's submitter, and we take the rest next turn.
	 */
	if (READ_ONCE(pel_help_kicked) != now && pel_queue_can_take(q)) {
		WRITE_ONCE(pel_help_kicked, now);
		pel_worker_kick_idle(w->node, w->cpu, q->cpu, 1);
	}

	/* The previous batch's mm stays attached only for the same context. */
	if (w->mm && w->mm != ctx->mm)
		pel_worker_drop_mm(w);
	pel_worker_set_state(w, PEL_WORKER_RUNNING);
	pel_batch_set(b, q, n, link_failed);
	if (pel_batch_run(b, &w->range, w))
		pel_batch_set(b, NULL, 0, false);
	else
		pel_slow_handoff(w, b);
	/* An owner going away gets its address space back at once. */
	if (READ_ONCE(ctx->closing) || pel_ctx_dying(ctx))
		pel_worker_drop_mm(w);
	busy = local_clock() - start;
	WRITE_ONCE(w->busy_ns, w->busy_ns + busy);
	atomic64_add(busy, &ctx->busy_ns);
	pel_worker_set_state(w, PEL_WORKER_POLLING);
	return n;
}

/*
 * A thief keeps polling the queues it stole from, up to PEL_MAX_ADOPTED
 * of them, until it sleeps; while it does, they do not say NEED_WAKEUP, so
 * their submitter makes no system call.  The worker holds a reference on
 * each one's context.
 */
static void pel_worker_adopt(struct pel_worker *w, struct pel_queue *q)
{
	unsigned int i;

	for (i = 0; i < w->nr_adopted; i++)
		if (w->adopted[i] == q)
			return;
	if (w->nr_adopted == PEL_MAX_ADOPTED)
		return;
	pel_ctx_get(q->ctx);
	pel_queue_poll_enter(q);
	w->adopted[w->nr_adopted++] = q;
}

/* Stop polling adopted queue @i (the caller re-checks it after smp_mb()). */
static void pel_worker_unadopt(struct pel_worker *w, unsigned int i)
{
	struct pel_queue *q = w->adopted[i];

	pel_queue_poll_leave(q);
	w->adopted[i] = w->adopted[--w->nr_adopted];
	pel_ctx_put(q->ctx);
}

/* One batch from each adopted queue with work.  Returns the SQEs run. */
static unsigned int pel_worker_run_adopted(struct pel_worker *w)
{
	unsigned int i = 0, done = 0;

	while (i < w->nr_adopted) {
		struct pel_queue *q = w->adopted[i];

		/* A closed context's queue has nothing more for anyone. */
		if (READ_ONCE(q->ctx->closing)) {
			pel_worker_unadopt(w, i);
			continue;
		}
		if (pel_queue_can_take(q))
			done += pel_worker_run_queue(w, q);
		i++;
	}
	return done;
}

/*
 * PEL_OP_CANCEL: find the op of @ctx with @user_data among the ops workers
 * have taken, its waiting owner has, or its slow path has.  0 if it had
 * not started (it completes with -ECANCELED), -EALREADY if it is running,
 * -ENOENT if no taken op has that user_data.
 */
int pel_worker_cancel(struct pel_ctx *ctx, u64 user_data)
{
	int ret = -ENOENT, r;
	unsigned int cpu;

	for_each_online_cpu(cpu) {
		r = pel_batch_cancel(&pel_worker_of(cpu)->batch, ctx, user_data);
		if (!r)
			return 0;
		if (r == -EALREADY)
			ret = r;
	}
	r = pel_help_cancel(ctx, user_data);
	if (!r)
		return 0;
	if (r == -EALREADY)
		ret = r;
	r = pel_slow_cancel(ctx, user_data);
	return r == -ENOENT ? ret : r;
}

/* Every queue homed on @w; caller holds w->lock. */
#define pel_worker_for_each_queue(w, g, q)				\
	list_for_each_entry(g, &(w)->groups, node)			\
		list_for_each_entry(q, &(g)->queues, worker_node)

/*
 * Pick the next homed queue that has work, round-robin over cgroups first,
 * then over the group's queues, and pin its context so that it outlives a
 * concurrent close.  Each call moves on to the next group: a round of
 * nr_groups calls serves every group once, however many queues it has.
 * Returns NULL when no group has work within @budget groups.
 */
static struct pel_queue *pel_worker_next(struct pel_worker *w,
					 unsigned int *budget)
{
	struct pel_wgroup *g;
	struct pel_queue *q;
	unsigned int n;

	spin_lock(&w->lock);
	while (*budget && !list_empty(&w->groups)) {
		(*budget)--;
		g = list_first_entry(&w->groups, struct pel_wgroup, node);
		list_rotate_left(&w->groups);
		for (n = g->nr_queues; n; n--) {
			q = list_first_entry(&g->queues, struct pel_queue,
					     worker_node);
			list_rotate_left(&g->queues);
			if (pel_queue_can_take(q)) {
				pel_ctx_get(q->ctx);
				spin_unlock(&w->lock);
				return q;
			}
		}
	}
	spin_unlock(&w->lock);
	return NULL;
}

/* One round over the homed groups.  Returns the SQEs run. */
static unsigned int pel_worker_round(struct pel_worker *w)
{
	unsigned int budget, done = 0;
	struct pel_queue *q;

	budget = READ_ONCE(w->nr_groups);
	while ((q = pel_worker_next(w, &budget))) {
		done += pel_worker_run_queue(w, q);
		pel_ctx_put(q->ctx);
	}
	return done;
}

/* Take one batch from @victim's queues.  Returns the SQEs run. */
static unsigned int pel_worker_steal_from(struct pel_worker *w,
					  struct pel_worker *victim)
{
	unsigned int budget = READ_ONCE(victim->nr_groups), n;
	struct pel_queue *q = pel_worker_next(victim, &budget);

	if (!q)
		return 0;
	n = pel_worker_run_queue(w, q);
	if (n && q->cpu != w->cpu)
		pel_worker_adopt(w, q);
	pel_ctx_put(q->ctx);
	return n;
}

/*
 * Steal a batch from another worker's queues: this node's workers first,
 * starting after our own CPU so that thieves spread out, then the rest.
 * Parked (offline) workers' queues count: they have no one else.
 */
static unsigned int pel_worker_steal(struct pel_worker *w)
{
	const struct cpumask *local = cpumask_of_node(w->node);
	unsigned int cpu, n;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for_each_cpu_wrap(cpu, cpu_possible_mask, w->cpu + 1) {
			if (cpu == w->cpu ||
			    cpumask_test_cpu(cpu, local) != (pass == 0))
				continue;
			n = pel_worker_steal_from(w, pel_worker_of(cpu));
			if (n)
				return n;
		}
	}
	return 0;
}

/*
 * Start polling the homed queues this worker does not poll yet: all of
 * them after a sleep, new ones after an attach.  Caller holds w->lock.
 */
static void pel_worker_poll_homed(struct pel_worker *w)
{
	struct pel_wgroup *g;
	struct pel_queue *q;

	lockdep_assert_held(&w->lock);
	pel_worker_for_each_queue(w, g, q) {
		if (!q->home_polled) {
			q->home_polled = true;
			pel_queue_poll_enter(q);
		}
	}
}

/*
 * Stop polling the homed and adopted queues (the last poller of a queue
 * sets its NEED_WAKEUP), then look once more for work.  Returns true when
 * the worker may sleep; false when work came, and then, unless @parking,
 * it polls its homed queues again.
 */
static bool pel_worker_prepare_sleep(struct pel_worker *w, bool parking)
{
	struct pel_queue *adopted[PEL_MAX_ADOPTED];
	unsigned int i, nr = w->nr_adopted;
	struct pel_wgroup *g;
	struct pel_queue *q;
	bool pending = false;

	/* Their context references are dropped once they are looked at. */
	for (i = 0; i < nr; i++) {
		adopted[i] = w->adopted[i];
		pel_queue_poll_leave(adopted[i]);
	}
	w->nr_adopted = 0;
	spin_lock(&w->lock);
	pel_worker_for_each_queue(w, g, q) {
		if (q->home_polled) {
			q->home_polled = false;
			pel_queue_poll_leave(q);
		}
	}
	/* Pairs with the submitter's barrier between tail store and flags load. */
	smp_mb();
	pel_worker_for_each_queue(w, g, q)
		pending |= pel_queue_can_take(q);
	for (i = 0; i < nr; i++)
		pending |= !READ_ONCE(adopted[i]->ctx->closing) &&
			   pel_queue_can_take(adopted[i]);
	if (pending && !parking)
		pel_worker_poll_homed(w);
	spin_unlock(&w->lock);
	/*
	 * An adopted queue with SQEs keeps us awake; we find it again by
	 * stealing, and adopt it again then.
	 */
	for (i = 0; i < nr; i++)
		pel_ctx_put(adopted[i]->ctx);
	return !pending;
}

static void pel_worker_start_polling(struct pel_worker *w)
{
	spin_lock(&w->lock);
	pel_worker_poll_homed(w);
	spin_unlock(&w->lock);
}

/* When a homed queue last had SQEs taken, by this worker or a thief. */
static u64 pel_worker_last_taken(struct pel_worker *w)
{
	struct pel_wgroup *g;
	struct pel_queue *q;
	u64 last = 0;

	spin_lock(&w->lock);
	pel_worker_for_each_queue(w, g, q)
		last = max(last, READ_ONCE(q->last_taken_ns));
	spin_unlock(&w->lock);
	return last;
}

static int pel_worker_should_run(unsigned int cpu)
{
	return READ_ONCE(pel_worker_of(cpu)->kick);
}

static void pel_worker_fn(unsigned int cpu)
{
	struct pel_worker *w = pel_worker_of(cpu);
	u64 last = local_clock(), now;

	WRITE_ONCE(w->kick, false);
	WRITE_ONCE(w->wakeups, w->wakeups + 1);
	trace_pel_worker_wake(cpu);
	pel_worker_set_state(w, PEL_WORKER_POLLING);
	pel_worker_start_polling(w);

	while (!kthread_should_park() && !kthread_should_stop()) {
		/* A queue attached while we poll still says NEED_WAKEUP. */
		if (READ_ONCE(w->queues_added)) {
			WRITE_ONCE(w->queues_added, false);
			pel_worker_start_polling(w);
		}
		/*
		 * Adopted queues come after our own work, as stealing does:
		 * served before it, they would get more than a fair share.
		 */
		if (pel_worker_round(w) + pel_split_help(w, &w->range) ||
		    pel_worker_run_adopted(w) || pel_worker_steal(w)) {
			last = local_clock();
			continue;
		}
		now = local_clock();
		/* Thieves on other CPUs stamp last_taken_ns: signed compares. */
		if ((s64)(now - last) >= (s64)READ_ONCE(w->idle_ns))
			last = max_t(s64, last, pel_worker_last_taken(w));
		if ((s64)(now - last) >= (s64)READ_ONCE(w->idle_ns) ||
		    !single_task_running()) {
			if (pel_worker_prepare_sleep(w, false))
				break;
			last = now;
		}
		cond_resched();
		cpu_relax();
	}
	/* Parking or stopping: let go of every queue (smpboot parks us next). */
	if (kthread_should_park() || kthread_should_stop())
		pel_worker_prepare_sleep(w, true);
	/* Sleeping pins no one's address space. */
	pel_worker_drop_mm(w);
	WRITE_ONCE(w->sleeps, w->sleeps + 1);
	pel_worker_set_state(w, PEL_WORKER_SLEEPING);
	trace_pel_worker_sleep(cpu);
}

static void pel_worker_setup(unsigned int cpu)
{
	pel_worker_set_state(pel_worker_of(cpu), PEL_WORKER_SLEEPING);
}

/*
 * The CPU goes offline.  Its queues keep their home but no poller: set
 * NEED_WAKEUP so that submitters call in (pel_worker_kick() sends them to
 * another worker), and if work waits now, wake someone to steal it.
 */
static void pel_worker_park(unsigned int cpu)
{
	struct pel_worker *w = pel_worker_of(cpu);

	pel_worker_set_state(w, PEL_WORKER_OFFLINE);
	if (!pel_worker_prepare_sleep(w, true))
		pel_worker_kick_idle(w->node, cpu, -1, 1);
}

static void pel_worker_unpark(unsigned int cpu)
{
	struct pel_worker *w = pel_worker_of(cpu);

	pel_worker_set_state(w, PEL_WORKER_SLEEPING);
	/* Queues may have filled while the CPU was away. */
	WRITE_ONCE(w->kick, true);
}

static struct smp_hotplug_thread pel_threads = {
	.store			= &pel_worker_task,
	.thread_should_run	= pel_worker_should_run,
	.thread_fn		= pel_worker_fn,
	.setup			= pel_worker_setup,
	.park			= pel_worker_park,
	.unpark			= pel_worker_unpark,
	.thread_comm		= "pel/%u",
};

static void pel_worker_wake(struct pel_worker *w)
{
	struct task_struct *task = per_cpu(pel_worker_task, w->cpu);

	WRITE_ONCE(w->kick, true);
	if (task)
		wake_up_process(task);
}

/*
 * Wake up to @max sleeping workers other than those of @exclude and
 * @exclude2 (-1: none), on @node first.  Returns how many were woken.
 */
unsigned int pel_worker_kick_idle(int node, int exclude, int exclude2,
				  unsigned int max)
{
	const struct cpumask *local = cpumask_of_node(node);
	unsigned int cpu, woken = 0;
	int pass;

	for (pass = 0; pass < 2 && woken < max; pass++) {
		for_each_online_cpu(cpu) {
			struct pel_worker *w = pel_worker_of(cpu);

			if (woken == max)
				break;
			if (cpu == exclude || cpu == exclude2 ||
			    cpumask_test_cpu(cpu, local) != (pass == 0) ||
			    READ_ONCE(w->state) != PEL_WORKER_SLEEPING)
				continue;
			pel_worker_wake(w);
			woken++;
		}
	}
	return woken;
}

/*
 * Get a worker other than @cpu's to look for work, by stealing: one that
 * polls (the kick makes it look again before it sleeps: smpboot runs it
 * once more when kick is set), else a sleeping one, else one running a
 * batch (it looks when that is done).  False when @cpu's is the only
 * online worker.
 */
bool pel_worker_kick_other(unsigned int cpu)
{
	static const u32 order[] = {
		PEL_WORKER_POLLING, PEL_WORKER_SLEEPING, PEL_WORKER_RUNNING,
	};
	unsigned int i, c;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		for_each_online_cpu(c) {
			struct pel_worker *w = pel_worker_of(c);

			if (c != cpu && READ_ONCE(w->state) == order[i]) {
				pel_worker_wake(w);
				return true;
			}
		}
	}
	return false;
}

/* Wake @cpu's worker; if that CPU is offline, someone who can steal. */
void pel_worker_kick(unsigned int cpu)
{
	struct pel_worker *w = pel_worker_of(cpu);

	if (!cpu_online(cpu)) {
		pel_worker_kick_idle(w->node, cpu, -1, 1);
		return;
	}
	pel_worker_wake(w);
}

static void pel_worker_update_idle(struct pel_worker *w)
{
	struct pel_wgroup *g;
	struct pel_queue *q;
	u64 idle = 0;

	lockdep_assert_held(&w->lock);
	pel_worker_for_each_queue(w, g, q)
		idle = max(idle, q->ctx->idle_ns);
	WRITE_ONCE(w->idle_ns, idle);
}

/* A group for @q, allocated at setup, for attach to use if it needs one. */
int pel_worker_prepare_attach(struct pel_queue *q)
{
	q->spare = kzalloc_node(sizeof(*q->spare), GFP_KERNEL_ACCOUNT,
				cpu_to_node(q->cpu));
	return q->spare ? 0 : -ENOMEM;
}

void pel_worker_attach(struct pel_queue *q)
{
	struct pel_worker *w = pel_worker_of(q->cpu);
	u64 id = q->ctx->cgroup_id;
	struct pel_wgroup *g;

	spin_lock(&w->lock);
	list_for_each_entry(g, &w->groups, node)
		if (g->cgroup_id == id)
			goto found;
	g = q->spare;
	q->spare = NULL;
	g->cgroup_id = id;
	INIT_LIST_HEAD(&g->queues);
	list_add_tail(&g->node, &w->groups);
	WRITE_ONCE(w->nr_groups, w->nr_groups + 1);
found:
	list_add_tail(&q->worker_node, &g->queues);
	g->nr_queues++;
	q->group = g;
	WRITE_ONCE(w->nr_queues, w->nr_queues + 1);
	WRITE_ONCE(w->queues_added, true);
	pel_worker_update_idle(w);
	spin_unlock(&w->lock);
}

/*
 * After this the worker will not pick @q again.  A batch already taken from
 * it still completes: the worker holds a context reference for it.
 */
void pel_worker_detach(struct pel_queue *q)
{
	struct pel_worker *w = pel_worker_of(q->cpu);
	struct pel_wgroup *g;

	spin_lock(&w->lock);
	if (q->home_polled) {
		q->home_polled = false;
		pel_queue_poll_leave(q);
	}
	g = q->group;
	list_del_init(&q->worker_node);
	q->group = NULL;
	if (!--g->nr_queues) {
		list_del(&g->node);
		WRITE_ONCE(w->nr_groups, w->nr_groups - 1);
		kfree(g);
	}
	WRITE_ONCE(w->nr_queues, w->nr_queues - 1);
	pel_worker_update_idle(w);
	spin_unlock(&w->lock);
}

int pel_worker_fill_stats(struct pel_worker_stats *st)
{
	unsigned int cpu = st->cpu;
	struct pel_worker *w;

	if (cpu >= nr_cpu_ids)
		return -ENOENT;
	cpu = array_index_nospec(cpu, nr_cpu_ids);
	if (!cpu_possible(cpu))
		return -ENOENT;
	w = pel_worker_of(cpu);
	st->state = cpu_online(cpu) ? READ_ONCE(w->state) :
					  PEL_WORKER_OFFLINE;
	st->nr_queues = READ_ONCE(w->nr_queues);
	st->ops = READ_ONCE(w->ops);
	st->bytes = READ_ONCE(w->bytes);
	st->wakeups = READ_ONCE(w->wakeups);
	st->sleeps = READ_ONCE(w->sleeps);
	st->busy_ns = READ_ONCE(w->busy_ns);
	st->node = w->node;
	st->stolen = READ_ONCE(w->stolen);
	st->chunks = READ_ONCE(w->chunks);
	st->stolen_from = atomic64_read(&w->stolen_from);
	return 0;
}

static void pel_workers_free(void)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct pel_worker *w = pel_workers[cpu];

		if (!w)
			continue;
		kvfree(w->bounce);
		kfree(w);
	}
	kfree(pel_workers);
	pel_workers = NULL;
}

int pel_workers_init(void)
{
	unsigned int cpu;
	int ret;

	pel_workers = kcalloc(nr_cpu_ids, sizeof(*pel_workers), GFP_KERNEL);
	if (!pel_workers)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		int node = cpu_to_node(cpu);
		struct pel_worker *w;

		w = kzalloc_node(sizeof(*w), GFP_KERNEL, node);
		if (!w)
			goto err_free;
		pel_workers[cpu] = w;
		w->cpu = cpu;
		w->node = node;
		spin_lock_init(&w->lock);
		spin_lock_init(&w->batch_lock);
		pel_batch_init(&w->batch, &w->batch_lock);
		INIT_LIST_HEAD(&w->groups);
		w->bounce = kvmalloc_node(PEL_BOUNCE_SIZE, GFP_KERNEL, node);
		if (!w->bounce)
			goto err_free;
		/* A shared worker: no page faults, and it parks when asked. */
		w->range.bounce = w->bounce;
		w->range.nofault = true;
		w->range.may_yield = true;
		w->range.chunks = &w->chunks;
	}

	ret = smpboot_register_percpu_thread(&pel_threads);
	if (ret)
		goto err_free_ret;
	return 0;

err_free:
	ret = -ENOMEM;
err_free_ret:
	pel_workers_free();
	return ret;
}

/* Only once every context is gone: the file references keep us loaded. */
void pel_workers_exit(void)
{
	smpboot_unregister_percpu_thread(&pel_threads);
	pel_workers_free();
}
