// SPDX-License-Identifier: GPL-2.0
/*
 * Contexts: one per open file of /dev/pel (the file operations are in
 * cdev.c).  Alloc, setup (make the queues), mmap (hand them to the owner),
 * enter (wake workers, wait for CQEs, help), and release.
 */
#include <linux/capability.h>
#include <linux/cgroup.h>
#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/cred.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "pel_internal.h"

/*
 * pel_ctx_lock protects pel_ctx_list, pel_nr_contexts and pel_nr_entries:
 * the set-up contexts and the queue entries they hold; and the counts of
 * each struct pel_user (nr_contexts, nr_entries).  Setup holds it
 * from its limit checks to publishing the context, so limits are exact.
 * Lock order: ctx->lock, cpus_read_lock(), pel_ctx_lock.
 */
DEFINE_MUTEX(pel_ctx_lock);
LIST_HEAD(pel_ctx_list);
unsigned int pel_nr_contexts;
static u64 pel_nr_entries;

/*
 * pel_user_lock protects pel_user_list: lookups (under pel_ctx_lock too,
 * so there is one struct per uid) and the removal of a struct whose last
 * reference went, which may happen wherever a context's last kref is put.
 */
static DEFINE_SPINLOCK(pel_user_lock);
static LIST_HEAD(pel_user_list);

/* The struct of @uid, referenced, made if need be; NULL without memory. */
static struct pel_user *pel_user_get(kuid_t uid)
{
	struct pel_user *u;

	lockdep_assert_held(&pel_ctx_lock);
	spin_lock(&pel_user_lock);
	list_for_each_entry(u, &pel_user_list, node) {
		/* One on the list has a reference: its last put removes it under the lock. */
		if (uid_eq(u->uid, uid)) {
			refcount_inc(&u->ref);
			spin_unlock(&pel_user_lock);
			return u;
		}
	}
	spin_unlock(&pel_user_lock);

	/* Only pel_ctx_lock holders add: no other can add @uid meanwhile. */
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return NULL;
	refcount_set(&u->ref, 1);
	u->uid = uid;
	atomic_set(&u->inflight, 0);
	spin_lock(&pel_user_lock);
	list_add(&u->node, &pel_user_list);
	spin_unlock(&pel_user_lock);
	return u;
}

/* Once per context free: the lock is cheap here, and keeps sparse sure. */
static void pel_user_put(struct pel_user *u)
{
	bool last;

	if (!u)
		return;
	spin_lock(&pel_user_lock);
	last = refcount_dec_and_test(&u->ref);
	if (last)
		list_del(&u->node);
	spin_unlock(&pel_user_lock);
	if (last)
		kfree(u);
}

/*
 * A take found @user at max_inflight_per_user (@max) and took fewer SQEs.
 * Not an error, back-pressure; logged (rate-limited) so that the admin
 * sees which limit holds a user back.  Called with no lock held.
 */
void pel_user_inflight_capped(struct pel_user *user, unsigned int max)
{
	pr_info_ratelimited("pel: uid %u has %u ops in flight: max_inflight_per_user (%u) reached\n",
			    from_kuid(&init_user_ns, user->uid),
			    max(atomic_read(&user->inflight), 0), max);
}

/*
 * The limits a context's setup must fit in, for its user @u and in all.
 * Over one: an error and a kernel log line naming the limit, never an
 * allocation.  Users without CAP_SYS_RESOURCE share 7/8 of
 * max_queue_entries; the last 1/8 stays for the admin, so that users
 * filling the rest do not lock root out.
 */
static int pel_limits_check(struct pel_user *u, u64 entries)
{
	unsigned int max_ctx = READ_ONCE(pel_max_contexts_per_user);
	u64 max_user = READ_ONCE(pel_max_entries_per_user);
	u64 max_all = READ_ONCE(pel_max_entries);
	u64 max_unpriv = max_all - max_all / 8;
	unsigned int uid = from_kuid(&init_user_ns, u->uid);

	lockdep_assert_held(&pel_ctx_lock);
	if (u->nr_contexts >= max_ctx) {
		pr_warn_ratelimited("pel: uid %u has %u contexts: max_contexts_per_user (%u) reached\n",
				    uid, u->nr_contexts, max_ctx);
		return -EMFILE;
	}
	if (u->nr_entries + entries > max_user) {
		pr_warn_ratelimited("pel: uid %u has %llu queue entries, %llu more asked: max_queue_entries_per_user (%llu) reached\n",
				    uid, u->nr_entries, entries, max_user);
		return -ENOMEM;
	}
	if (pel_nr_entries + entries > max_all ||
	    (pel_nr_entries + entries > max_unpriv && !capable(CAP_SYS_RESOURCE))) {
		pr_warn_ratelimited("pel: %llu queue entries in use, %llu more asked by uid %u: max_queue_entries (%llu) reached%s\n",
				    pel_nr_entries, entries, uid, max_all,
				    pel_nr_entries + entries > max_all ? "" :
				    " (its last 1/8 needs CAP_SYS_RESOURCE)");
		return -ENOMEM;
	}
	return 0;
}

/* Give back what pel_limits_check() let @ctx reserve. */
static void pel_limits_release(struct pel_ctx *ctx)
{
	lockdep_assert_held(&pel_ctx_lock);
	list_del_init(&ctx->node);
	pel_nr_entries -= ctx->nr_entries;
	ctx->user->nr_entries -= ctx->nr_entries;
	ctx->user->nr_contexts--;
}

static void pel_ctx_free(struct kref *ref)
{
	struct pel_ctx *ctx = container_of(ref, struct pel_ctx, ref);
	unsigned int i;

	for (i = 0; i < ctx->nr_queues; i++)
		pel_queue_free(&ctx->queues[i]);
	kfree(ctx->queues);
	pel_help_free(ctx);
	if (ctx->mm)
		mmdrop(ctx->mm);
	if (ctx->owner_task)
		put_task_struct(ctx->owner_task);
	put_pid(ctx->owner);
	pel_user_put(ctx->user);
	kfree(ctx);
}

void pel_ctx_put(struct pel_ctx *ctx)
{
	kref_put(&ctx->ref, pel_ctx_free);
}

/* A new context for a file being opened; not set up yet. */
struct pel_ctx *pel_ctx_alloc(void)
{
	struct pel_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	if (!ctx)
		return NULL;
	kref_init(&ctx->ref);
	mutex_init(&ctx->lock);
	init_waitqueue_head(&ctx->cq_wait);
	INIT_LIST_HEAD(&ctx->node);
	spin_lock_init(&ctx->rbufs_lock);
	spin_lock_init(&ctx->files_lock);
	mutex_init(&ctx->help_mutex);
	pel_slow_init(ctx);
	return ctx;
}

/* Its file is released: no new work; ops in flight end on their own. */
void pel_ctx_release(struct pel_ctx *ctx)
{
	unsigned int i;

	if (ctx->ready) {
		mutex_lock(&pel_ctx_lock);
		pel_limits_release(ctx);
		WRITE_ONCE(pel_nr_contexts, pel_nr_contexts - 1);
		mutex_unlock(&pel_ctx_lock);
		/*
		 * SQEs not yet taken are dropped: they were never accepted.
		 * Ops already taken end with -ECANCELED at their next check,
		 * under the references of the workers and the slow path.
		 */
		pel_slow_close(ctx);
		for (i = 0; i < ctx->nr_queues; i++)
			pel_worker_detach(&ctx->queues[i]);
		pel_rbufs_release(ctx);
		pel_files_release(ctx);
	}
	pel_ctx_put(ctx);
}

static int pel_setup_check(struct pel_setup *p)
{
	unsigned int i, max_idle = READ_ONCE(pel_max_user_idle_us);
	u32 asked_idle = p->idle_us;

	if (p->flags & ~PEL_SETUP_FLAGS_ALL || p->resv0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(p->resv); i++)
		if (p->resv[i])
			return -EINVAL;

	if (!p->sq_entries)
		p->sq_entries = PEL_DEFAULT_ENTRIES;
	if (!p->cq_entries && p->sq_entries <= PEL_MAX_ENTRIES)
		p->cq_entries = 2 * p->sq_entries;
	if (!p->idle_us)
		p->idle_us = READ_ONCE(pel_idle_us);

	if (p->sq_entries < PEL_MIN_ENTRIES || p->sq_entries > PEL_MAX_ENTRIES ||
	    !is_power_of_2(p->sq_entries))
		return -EINVAL;
	if (p->cq_entries < p->sq_entries || p->cq_entries > 2 * PEL_MAX_ENTRIES ||
	    !is_power_of_2(p->cq_entries))
		return -EINVAL;
	if (p->idle_us > PEL_MAX_IDLE_US)
		return -EINVAL;
	/*
	 * A polling worker burns its CPU for everyone: longer than
	 * max_user_idle_us only with CAP_SYS_NICE.  The module's default
	 * (idle_us 0) is the admin's choice, not an ask.
	 */
	if (asked_idle > max_idle && !capable(CAP_SYS_NICE)) {
		pr_warn_ratelimited("pel: uid %u asked for idle_us %u: max_user_idle_us (%u) exceeded without CAP_SYS_NICE\n",
				    from_kuid(&init_user_ns, current_euid()),
				    asked_idle, max_idle);
		return -EPERM;
	}
	if (!p->max_inflight)
		p->max_inflight = READ_ONCE(pel_max_inflight);
	if (p->max_inflight > READ_ONCE(pel_max_inflight))
		return -EINVAL;
	return 0;
}

long pel_ctx_setup(struct pel_ctx *ctx, struct pel_setup __user *uarg)
{
	struct pel_setup p;
	unsigned int cpu, i = 0, nr;
	u32 usize;
	int ret;

	if (get_user(usize, &uarg->size))
		return -EFAULT;
	if (usize < sizeof(p) || usize > PAGE_SIZE)
		return -EINVAL;
	/* A later, larger struct is fine as long as its tail is zero. */
	ret = copy_struct_from_user(&p, sizeof(p), uarg, usize);
	if (ret)
		return ret == -E2BIG ? -EINVAL : ret;
	ret = pel_setup_check(&p);
	if (ret)
		return ret;

	mutex_lock(&ctx->lock);
	ret = -EBUSY;
	if (ctx->ready)
		goto out_unlock;

	/*
	 * With the online CPUs held still, count the queues, reserve their
	 * entries within the limits and make them: what is reserved is what
	 * is made.  The context joins the list (not yet ready, so stats skip
	 * it) with the entries it will hold.
	 */
	cpus_read_lock();
	nr = num_online_cpus();
	ctx->nr_entries = (u64)nr * (p.sq_entries + p.cq_entries);
	ctx->uid = current_euid();
	mutex_lock(&pel_ctx_lock);
	ctx->user = pel_user_get(ctx->uid);
	ret = ctx->user ? pel_limits_check(ctx->user, ctx->nr_entries) : -ENOMEM;
	if (!ret) {
		list_add_tail(&ctx->node, &pel_ctx_list);
		pel_nr_entries += ctx->nr_entries;
		ctx->user->nr_entries += ctx->nr_entries;
		ctx->user->nr_contexts++;
	}
	mutex_unlock(&pel_ctx_lock);
	if (ret) {
		cpus_read_unlock();
		pel_user_put(ctx->user);
		ctx->user = NULL;
		goto out_unlock;
	}

	ret = -ENOMEM;
	ctx->queues = kcalloc(nr, sizeof(*ctx->queues), GFP_KERNEL_ACCOUNT);
	if (!ctx->queues) {
		cpus_read_unlock();
		goto out_free;
	}
	for_each_online_cpu(cpu) {
		if (i == nr)
			break;
		ret = pel_queue_init(&ctx->queues[i], ctx, i, cpu,
				     p.sq_entries, p.cq_entries);
		if (ret) {
			cpus_read_unlock();
			goto out_free;
		}
		ctx->nr_queues = ++i;
		ret = pel_worker_prepare_attach(&ctx->queues[i - 1]);
		if (ret) {
			cpus_read_unlock();
			goto out_free;
		}
	}
	/* A queue whose CPU goes offline from here waits for it to return. */
	cpus_read_unlock();

	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	ctx->owner = get_pid(task_tgid(current));
	ctx->owner_task = get_task_struct(current->group_leader);
	get_task_comm(ctx->comm, current);
#ifdef CONFIG_CGROUPS
	/* The workers' round-robin is fair across cgroups, then contexts. */
	rcu_read_lock();
	ctx->cgroup_id = cgroup_id(task_dfl_cgroup(current));
	rcu_read_unlock();
#endif
	ctx->idle_ns = (u64)p.idle_us * NSEC_PER_USEC;
	ctx->max_inflight = p.max_inflight;

	p.nr_queues = ctx->nr_queues;
	p.features = PEL_FEATURES_ALL;
	p.queue_map_size = pel_queue_map_size(p.sq_entries, p.cq_entries);
	/* An out field: its reserved words go back zero, whatever came in. */
	memset(&p.off, 0, sizeof(p.off));
	pel_queue_fill_offsets(&p.off, p.sq_entries);
	ret = -EFAULT;
	if (copy_to_user(uarg, &p, sizeof(p)))
		goto out_free;

	/* From here on nothing fails: publish. */
	for (i = 0; i < ctx->nr_queues; i++)
		pel_worker_attach(&ctx->queues[i]);
	mutex_lock(&pel_ctx_lock);
	WRITE_ONCE(pel_nr_contexts, pel_nr_contexts + 1);
	/* Pairs with the load-acquire in pel_ctx_ready() and the stats. */
	smp_store_release(&ctx->ready, true);
	mutex_unlock(&pel_ctx_lock);
	mutex_unlock(&ctx->lock);
	return 0;

out_free:
	for (i = 0; i < ctx->nr_queues; i++)
		pel_queue_free(&ctx->queues[i]);
	kfree(ctx->queues);
	ctx->queues = NULL;
	ctx->nr_queues = 0;
	if (ctx->mm) {
		mmdrop(ctx->mm);
		ctx->mm = NULL;
	}
	put_pid(ctx->owner);
	ctx->owner = NULL;
	if (ctx->owner_task) {
		put_task_struct(ctx->owner_task);
		ctx->owner_task = NULL;
	}
	mutex_lock(&pel_ctx_lock);
	pel_limits_release(ctx);
	mutex_unlock(&pel_ctx_lock);
	/* Nothing was taken from its queues: no op holds the user. */
	pel_user_put(ctx->user);
	ctx->user = NULL;
out_unlock:
	mutex_unlock(&ctx->lock);
	return ret;
}

/* CQEs ready over queue @qi, or over all queues for PEL_QUEUE_ALL. */
u32 pel_ctx_cq_ready(struct pel_ctx *ctx, u32 qi)
{
	u32 i, ready = 0;

	if (qi != PEL_QUEUE_ALL)
		return pel_queue_cq_ready(&ctx->queues[array_index_nospec(qi, ctx->nr_queues)]);
	for (i = 0; i < ctx->nr_queues; i++)
		ready += pel_queue_cq_ready(&ctx->queues[i]);
	return ready;
}

/*
 * Wake a worker for @q, whose NEED_WAKEUP says no worker polls it.  Not
 * the queue's home worker when the caller runs on its CPU (the library
 * submits to the queue of the CPU it runs on): woken there, it would
 * preempt the submitter and hand the work straight back.  A worker
 * elsewhere is kicked instead, and steals: one that polls (it looks again
 * before it sleeps), else a sleeping one.  Only with no other CPU online,
 * or when the caller is about to sleep (@caller_waits), is the home worker
 * woken on the caller's CPU.
 */
static void pel_ctx_wake_queue(struct pel_queue *q, bool caller_waits)
{
	unsigned int cpu = raw_smp_processor_id();

	if (caller_waits || q->cpu != cpu || !pel_worker_kick_other(cpu))
		pel_worker_kick(q->cpu);
}

/*
 * Wake a worker for each selected queue that says none polls it: for one
 * named queue always, for PEL_QUEUE_ALL only where SQEs wait.  With
 * @rescue (a waiter), only where SQEs can be taken, and also where the
 * home worker cannot serve them now (offline, or busy with one long op):
 * then a sleeping worker is woken to steal them.
 */
static void pel_ctx_wake(struct pel_ctx *ctx, u32 qi, bool rescue)
{
	u32 i, first = 0, last = ctx->nr_queues;

	if (qi != PEL_QUEUE_ALL) {
		first = array_index_nospec(qi, ctx->nr_queues);
		last = first + 1;
	}
	for (i = first; i < last; i++) {
		struct pel_queue *q = &ctx->queues[i];

		if (rescue && !pel_queue_can_take(q))
			continue;
		if (qi == PEL_QUEUE_ALL && !pel_queue_sq_pending(q))
			continue;
		if (READ_ONCE(q->rings->sq_flags) & PEL_SQ_NEED_WAKEUP)
			pel_ctx_wake_queue(q, rescue);
		if (rescue && pel_worker_stuck(q->cpu))
			pel_worker_kick_idle(cpu_to_node(q->cpu), q->cpu, -1, 1);
	}
}

/* How often a waiter looks again for queues nobody serves. */
#define PEL_RESCUE_PERIOD	(HZ / 50)

/*
 * Wait for @want CQEs.  The wait is cut into periods; each one starts by
 * waking workers for SQEs that nobody serves, so a waiter never waits on a
 * worker that is stuck or asleep.
 */
static long pel_ctx_wait(struct pel_ctx *ctx, u32 qi, u32 want, u64 timeout_ns)
{
	u64 now = ktime_get_ns(), deadline = 0;
	long left;

	/* A deadline past what the clock can say is none: no wrap-around. */
	if (timeout_ns && check_add_overflow(now, timeout_ns, &deadline))
		deadline = 0;

	for (;;) {
		long period = PEL_RESCUE_PERIOD;

		if (deadline) {
			now = ktime_get_ns();
			if (now >= deadline)
				return pel_ctx_cq_ready(ctx, qi) >= want ? 0 : -ETIME;
			period = min_t(u64, period, nsecs_to_jiffies(deadline - now) + 1);
		}
		if (pel_ctx_cq_ready(ctx, qi) >= want)
			return 0;
		/* Our CPU is about to go idle: run our own SQEs first. */
		if (pel_help_run(ctx))
			continue;
		pel_ctx_wake(ctx, qi, true);
		left = wait_event_interruptible_timeout(ctx->cq_wait,
							pel_ctx_cq_ready(ctx, qi) >= want,
							period);
		if (left < 0)
			return -EINTR;
		if (left > 0)
			return 0;
	}
}

long pel_ctx_enter(struct pel_ctx *ctx, struct pel_enter __user *uarg)
{
	struct pel_enter e;
	long ret;

	if (copy_from_user(&e, uarg, sizeof(e)))
		return -EFAULT;
	if (e.flags & ~PEL_ENTER_FLAGS_ALL || e.resv0 || e.resv[0] || e.resv[1])
		return -EINVAL;
	if (e.queue != PEL_QUEUE_ALL && e.queue >= ctx->nr_queues)
		return -EINVAL;
	if (!(e.flags & PEL_ENTER_WAIT) && (e.min_complete || e.timeout_ns))
		return -EINVAL;

	if (e.flags & PEL_ENTER_WAKE)
		pel_ctx_wake(ctx, e.queue, false);

	if (e.flags & PEL_ENTER_WAIT) {
		/*
		 * A worker that slept on a full CQ does not see the space the
		 * caller made by reaping; pel_ctx_wait() wakes it.
		 */
		ret = pel_ctx_wait(ctx, e.queue, e.min_complete, e.timeout_ns);
		if (ret)
			return ret;
	}
	return pel_ctx_cq_ready(ctx, e.queue);
}

/* vm_flags became read-only, behind vm_flags_mod(), in 6.3. */
static void pel_vma_mod_flags(struct vm_area_struct *vma, vm_flags_t set,
			      vm_flags_t clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_mod(vma, set, clear);
#else
	vma->vm_flags = (vma->vm_flags | set) & ~clear;
#endif
}

/* Map the queue that vma->vm_pgoff names for the owner. */
int pel_ctx_mmap(struct pel_ctx *ctx, struct vm_area_struct *vma)
{
	unsigned long qshift = PEL_QUEUE_MMAP_SHIFT - PAGE_SHIFT;
	struct pel_queue *q;
	unsigned long qi;

	if (vma->vm_mm != ctx->mm)
		return -EPERM;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (vma->vm_pgoff & ((1UL << qshift) - 1))
		return -EINVAL;
	/* A private mapping would copy-on-write away from the rings. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	qi = vma->vm_pgoff >> qshift;
	if (qi >= ctx->nr_queues)
		return -EINVAL;
	q = &ctx->queues[array_index_nospec(qi, ctx->nr_queues)];
	if (vma_pages(vma) != q->nr_pages)
		return -EINVAL;

	/*
	 * Rings stay with their owner: not inherited (VM_IO keeps
	 * MADV_DOFORK from undoing VM_DONTCOPY), not grown, not dumped,
	 * never executable.
	 */
	pel_vma_mod_flags(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP | VM_IO,
			  VM_MAYEXEC);
	return vm_map_pages_zero(vma, q->pages, q->nr_pages);
}
