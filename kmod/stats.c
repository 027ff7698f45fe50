// SPDX-License-Identifier: GPL-2.0
/*
 * What PEL says about itself: the stats ioctls behind `pelctl status`, the
 * per-opcode counters, and /proc/PID/fdinfo of a context.
 *
 * The ioctls are open to anyone who may open /dev/pel (root, or the group
 * the admin's udev rule names); they need no setup.  The module-wide
 * numbers (PEL_IOC_INFO, the per-CPU workers' state, ops and busy time,
 * the per-opcode counters) are sums over all users, shown to every user
 * of the device, as /proc/stat shows CPU time; a context's own numbers
 * (PEL_IOC_CTX_STATS) only to its user and to CAP_SYS_ADMIN.
 * Every struct starts with its size: the caller's size must be at least
 * this version's, and a larger one must be zero past what we know
 * (copy_struct_from_user()).
 *
 * Per-opcode counters are per CPU: each is written only by that CPU's
 * worker (smpboot threads stay on their CPU), read by summing, so the fast
 * path shares no cache line.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/log2.h>
#include <linux/nospec.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/seq_file.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "pel_internal.h"

struct pel_op_counters {
	u64 count;
	u64 bytes;
	u64 file_bytes;			/* of bytes: PEL_SQE_FILE ops' */
	u64 errors;
	u64 latency[PEL_LAT_BUCKETS];
};

struct pel_cpu_stats {
	struct pel_op_counters op[PEL_OP_LAST];
};

static struct pel_cpu_stats __percpu *pel_cpu_stats;

int pel_stats_init(void)
{
	pel_cpu_stats = alloc_percpu(struct pel_cpu_stats);
	return pel_cpu_stats ? 0 : -ENOMEM;
}

void pel_stats_exit(void)
{
	free_percpu(pel_cpu_stats);
}

/*
 * For the CQEs a runner (a worker, a slow path thread, a waiting owner)
 * posts together: this CPU's counters, with preemption off so that two
 * runners never interleave here.  All @n share the latency @lat_ns.
 */
void pel_stats_ops_done(const struct pel_sqe *sqes, const struct pel_cqe *cqes,
			unsigned int n, u64 lat_ns)
{
	unsigned int b, i;

	b = lat_ns ? min_t(unsigned int, ilog2(lat_ns), PEL_LAT_BUCKETS - 1) : 0;
	preempt_disable();
	for (i = 0; i < n; i++) {
		struct pel_op_counters *c;
		u8 opcode = sqes[i].opcode;

		if (opcode >= PEL_OP_LAST)
			continue;
		c = &this_cpu_ptr(pel_cpu_stats)->op[opcode];
		WRITE_ONCE(c->count, c->count + 1);
		WRITE_ONCE(c->latency[b], c->latency[b] + 1);
		if (cqes[i].res < 0)
			WRITE_ONCE(c->errors, c->errors + 1);
		else
			WRITE_ONCE(c->bytes, c->bytes + cqes[i].res);
		/* Its source was a registered file: prep took it, res >= 0. */
		if (cqes[i].res > 0 && sqes[i].flags & PEL_SQE_FILE)
			WRITE_ONCE(c->file_bytes,
				   c->file_bytes + cqes[i].res);
	}
	preempt_enable();
}

/* Copy a size-versioned stats struct in, check its reserved words are zero. */
static int pel_stats_in(void *kst, size_t ksize, void __user *uarg,
			const u64 *resv, size_t nr_resv)
{
	u32 usize;
	int ret;

	if (get_user(usize, (u32 __user *)uarg))
		return -EFAULT;
	if (usize < ksize || usize > PAGE_SIZE)
		return -EINVAL;
	ret = copy_struct_from_user(kst, ksize, uarg, usize);
	if (ret)
		return ret == -E2BIG ? -EINVAL : ret;
	while (nr_resv--)
		if (resv[nr_resv])
			return -EINVAL;
	return 0;
}

long pel_ioctl_info(void __user *uarg)
{
	struct pel_info info;
	int ret;

	ret = pel_stats_in(&info, sizeof(info), uarg, info.resv,
			   ARRAY_SIZE(info.resv));
	if (ret)
		return ret;
	info.abi_version = PEL_ABI_VERSION;
	info.features = PEL_FEATURES_ALL;
	strscpy_pad(info.version, PEL_VERSION, sizeof(info.version));
	info.nr_workers = nr_cpu_ids;
	info.nr_contexts = READ_ONCE(pel_nr_contexts);
	info.idle_us = READ_ONCE(pel_idle_us);
	info.batch = READ_ONCE(pel_batch);
	info.split_bytes = READ_ONCE(pel_split_bytes);
	info.max_inflight = READ_ONCE(pel_max_inflight);
	return copy_to_user(uarg, &info, sizeof(info)) ? -EFAULT : 0;
}

long pel_ioctl_worker_stats(void __user *uarg)
{
	struct pel_worker_stats st;
	int ret;

	ret = pel_stats_in(&st, sizeof(st), uarg, st.resv, ARRAY_SIZE(st.resv));
	if (ret)
		return ret;
	if (st.resv0)
		return -EINVAL;
	ret = pel_worker_fill_stats(&st);
	if (ret)
		return ret;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

long pel_ioctl_op_stats(void __user *uarg)
{
	struct pel_op_stats st;
	unsigned int cpu, b, op;
	int ret;

	ret = pel_stats_in(&st, sizeof(st), uarg, st.resv, ARRAY_SIZE(st.resv));
	if (ret)
		return ret;
	if (st.opcode >= PEL_OP_LAST)
		return -ENOENT;
	op = array_index_nospec(st.opcode, PEL_OP_LAST);
	st.count = 0;
	st.bytes = 0;
	st.file_bytes = 0;
	st.errors = 0;
	memset(st.latency, 0, sizeof(st.latency));
	for_each_possible_cpu(cpu) {
		const struct pel_op_counters *c = &per_cpu_ptr(pel_cpu_stats, cpu)->op[op];

		st.count += READ_ONCE(c->count);
		st.bytes += READ_ONCE(c->bytes);
		st.file_bytes += READ_ONCE(c->file_bytes);
		st.errors += READ_ONCE(c->errors);
		for (b = 0; b < PEL_LAT_BUCKETS; b++)
			st.latency[b] += READ_ONCE(c->latency[b]);
	}
	strscpy_pad(st.name, pel_op_name(op), sizeof(st.name));
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

long pel_ioctl_ctx_stats(void __user *uarg)
{
	struct pel_ctx_stats st;
	struct pel_ctx *ctx;
	unsigned int i, j, n = 0;
	bool see_all;
	kuid_t euid;
	int ret;

	ret = pel_stats_in(&st, sizeof(st), uarg, st.resv, ARRAY_SIZE(st.resv));
	if (ret)
		return ret;
	if (st.resv0)
		return -EINVAL;

	/*
	 * Other users' contexts are theirs to see, and the admin's.  Asked
	 * once per call, without an audit record: not seeing others' contexts
	 * is no denial worth logging, once per foreign context even less.
	 */
	see_all = ns_capable_noaudit(&init_user_ns, CAP_SYS_ADMIN);
	euid = current_euid();

	ret = -ENOENT;
	mutex_lock(&pel_ctx_lock);
	list_for_each_entry(ctx, &pel_ctx_list, node) {
		if (!see_all && !uid_eq(ctx->uid, euid))
			continue;
		/* Still being set up (pel_ctx_setup() holds its place). */
		if (!smp_load_acquire(&ctx->ready))
			continue;
		if (n++ != st.index)
			continue;
		st.pid = pid_vnr(ctx->owner);
		st.nr_queues = ctx->nr_queues;
		strscpy_pad(st.comm, ctx->comm, sizeof(st.comm));
		st.sq_entries = ctx->queues[0].sq_entries;
		st.cq_entries = ctx->queues[0].cq_entries;
		st.submitted = 0;
		st.completed = 0;
		st.bytes = 0;
		memset(st.ops, 0, sizeof(st.ops));
		memset(st.errors, 0, sizeof(st.errors));
		for (i = 0; i < ctx->nr_queues; i++) {
			const struct pel_queue *q = &ctx->queues[i];

			st.submitted += READ_ONCE(q->submitted);
			st.completed += READ_ONCE(q->completed);
			st.bytes += READ_ONCE(q->bytes);
			for (j = 0; j < PEL_OP_LAST; j++)
				st.ops[j] += READ_ONCE(q->ops[j]);
			for (j = 0; j < PEL_ERR_SLOTS; j++)
				st.errors[j] += READ_ONCE(q->errors[j]);
		}
		st.inflight = max(atomic_read(&ctx->inflight), 0);
		st.max_inflight = ctx->max_inflight;
		st.cgroup_id = ctx->cgroup_id;
		st.busy_ns = atomic64_read(&ctx->busy_ns);
		st.uid = from_kuid_munged(current_user_ns(), ctx->uid);
		st.resv0 = 0;
		st.slow_batches = READ_ONCE(ctx->slow_batches);
		st.enters = atomic64_read(&ctx->enters);
		st.helped = READ_ONCE(ctx->helped);
		pel_rbufs_stats(ctx, &st.nr_buffers, &st.buffer_bytes);
		st.nr_files = pel_files_count(ctx);
		ret = 0;
		break;
	}
	mutex_unlock(&pel_ctx_lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

/*
 * /proc/PID/fdinfo/FD of a context: its setup and, per queue, the kernel's
 * private indices beside what the shared page says (read once each; the
 * page is the owner's to scribble on).
 */
void pel_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct pel_ctx *ctx = file->private_data;
	u64 buffer_bytes;
	u32 nr_buffers;
	unsigned int i;

	/* Pairs with the store-release in pel_ctx_setup(). */
	if (!smp_load_acquire(&ctx->ready)) {
		seq_puts(m, "pel-ready:\tno\n");
		return;
	}
	seq_puts(m, "pel-ready:\tyes\n");
	seq_printf(m, "pel-owner:\t%d %s\n", pid_vnr(ctx->owner), ctx->comm);
	seq_printf(m, "pel-queues:\t%u\n", ctx->nr_queues);
	seq_printf(m, "pel-idle-us:\t%llu\n", ctx->idle_ns / NSEC_PER_USEC);
	seq_printf(m, "pel-inflight:\t%d/%u\n", atomic_read(&ctx->inflight),
		   ctx->max_inflight);
	seq_printf(m, "pel-cgroup-id:\t%llu\n", ctx->cgroup_id);
	seq_printf(m, "pel-busy-ns:\t%lld\n", atomic64_read(&ctx->busy_ns));
	seq_printf(m, "pel-slow-batches:\t%llu\n", READ_ONCE(ctx->slow_batches));
	seq_printf(m, "pel-enters:\t%lld\n", atomic64_read(&ctx->enters));
	seq_printf(m, "pel-helped:\t%llu\n", READ_ONCE(ctx->helped));
	pel_rbufs_stats(ctx, &nr_buffers, &buffer_bytes);
	seq_printf(m, "pel-buffers:\t%u %llu\n", nr_buffers, buffer_bytes);
	seq_printf(m, "pel-files:\t%u\n", pel_files_count(ctx));
	for (i = 0; i < ctx->nr_queues; i++) {
		struct pel_queue *q = &ctx->queues[i];
		u32 sq_tail = READ_ONCE(q->rings->sq_tail);
		u32 sq_head = READ_ONCE(q->sq_head);
		u32 cq_head = READ_ONCE(q->rings->cq_head);
		u32 cq_tail = READ_ONCE(q->cq_tail);

		seq_printf(m, "pel-queue-%u:\tcpu=%u sq_head=%u sq_tail=%u sq_pending=%u cq_head=%u cq_tail=%u cq_ready=%u reserved=%u flags=0x%x submitted=%llu completed=%llu\n",
			   i, q->cpu, sq_head, sq_tail, sq_tail - sq_head,
			   cq_head, cq_tail, cq_tail - cq_head,
			   READ_ONCE(q->cq_reserved), READ_ONCE(q->rings->sq_flags),
			   READ_ONCE(q->submitted), READ_ONCE(q->completed));
	}
}
