// SPDX-License-Identifier: GPL-2.0
/*
 * PEL - the Parallel Execution Layer.
 *
 * Module init/exit and the tunables; the device is in cdev.c.  See
 * Documentation/ for the design; pel_internal.h for the objects.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sizes.h>

#include "pel_internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

unsigned int pel_idle_us = 500;
unsigned int pel_batch = 32;

static int pel_param_set_idle(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (!v || v > PEL_MAX_IDLE_US)
		return -EINVAL;
	WRITE_ONCE(pel_idle_us, v);
	return 0;
}

static const struct kernel_param_ops pel_idle_ops = {
	.set = pel_param_set_idle,
	.get = param_get_uint,
};
module_param_cb(idle_us, &pel_idle_ops, &pel_idle_us, 0644);
MODULE_PARM_DESC(idle_us, "Default time in us a worker polls after its last op, 1..1000000 (default 500)");

static int pel_param_set_batch(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (!v || v > PEL_MAX_BATCH)
		return -EINVAL;
	WRITE_ONCE(pel_batch, v);
	return 0;
}

static const struct kernel_param_ops pel_batch_ops = {
	.set = pel_param_set_batch,
	.get = param_get_uint,
};
module_param_cb(batch, &pel_batch_ops, &pel_batch, 0644);
MODULE_PARM_DESC(batch, "SQEs a worker takes from one queue per turn, 1..64 (default 32)");

/* 0 turns splitting off; otherwise a page multiple, at least 64 KiB. */
unsigned int pel_split_bytes = 1 << 20;

static int pel_param_set_split(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (v && (v < SZ_64K || v > SZ_1G))
		return -EINVAL;
	WRITE_ONCE(pel_split_bytes, round_down(v, PAGE_SIZE));
	return 0;
}

static const struct kernel_param_ops pel_split_ops = {
	.set = pel_param_set_split,
	.get = param_get_uint,
};
module_param_cb(split_bytes, &pel_split_ops, &pel_split_bytes, 0644);
MODULE_PARM_DESC(split_bytes, "Ops longer than this many bytes are split across workers; 0 = never (default 1 MiB)");

unsigned int pel_max_inflight = 4096;

static int pel_param_set_inflight(const char *val, const struct kernel_param *kp)
{
	unsigned int v;
	int ret = kstrtouint(val, 0, &v);

	if (ret)
		return ret;
	if (!v || v > INT_MAX)
		return -EINVAL;
	WRITE_ONCE(*(unsigned int *)kp->arg, v);
	return 0;
}

static const struct kernel_param_ops pel_inflight_ops = {
	.set = pel_param_set_inflight,
	.get = param_get_uint,
};
module_param_cb(max_inflight, &pel_inflight_ops, &pel_max_inflight, 0644);
MODULE_PARM_DESC(max_inflight, "Most ops one context may have in flight, and the default of its cap (default 4096)");

unsigned int pel_max_contexts_per_user = 128;
module_param_named(max_contexts_per_user, pel_max_contexts_per_user, uint, 0644);
MODULE_PARM_DESC(max_contexts_per_user, "Most set-up contexts one user may have (default 128); more: -EMFILE");

/*
 * Queue entries: at most max_queue_entries of all users together, of which
 * users without CAP_SYS_RESOURCE share 7/8 (the rest is the admin's
 * reserve), and at most max_queue_entries_per_user each (a quarter of the
 * global limit by default), so that no user locks the others out.
 */
unsigned long pel_max_entries = 1UL << 22;
module_param_named(max_queue_entries, pel_max_entries, ulong, 0644);
MODULE_PARM_DESC(max_queue_entries, "Most SQ + CQ entries of all contexts together (default 4M, about 160 MiB of rings); the last 1/8 only for CAP_SYS_RESOURCE; more: -ENOMEM");

unsigned long pel_max_entries_per_user = 1UL << 20;
module_param_named(max_queue_entries_per_user, pel_max_entries_per_user, ulong, 0644);
MODULE_PARM_DESC(max_queue_entries_per_user, "Most SQ + CQ entries of one user's contexts (default 1M); more: -ENOMEM");

unsigned int pel_max_inflight_per_user = 16384;

/* The same rules as max_inflight: pel_inflight_ops writes kp->arg. */
module_param_cb(max_inflight_per_user, &pel_inflight_ops,
		&pel_max_inflight_per_user, 0644);
MODULE_PARM_DESC(max_inflight_per_user, "Most ops one user's contexts together may have in flight, 1..2147483647 (default 16384)");

unsigned int pel_max_user_idle_us = 10000;
module_param_named(max_user_idle_us, pel_max_user_idle_us, uint, 0644);
MODULE_PARM_DESC(max_user_idle_us, "Longest idle_us a setup without CAP_SYS_NICE may ask for (default 10000); more: -EPERM");

#define PEL_CHECK_FIELD(type, field, off, size)				\
	do {								\
		BUILD_BUG_ON(offsetof(struct type, field) != (off));	\
		BUILD_BUG_ON(sizeof_field(struct type, field) != (size)); \
	} while (0)

/* The ABI is fixed: every shared field stays where userspace expects it. */
static void __init pel_check_abi(void)
{
	BUILD_BUG_ON(sizeof(struct pel_sqe) != 64);
	PEL_CHECK_FIELD(pel_sqe, opcode, 0, 1);
	PEL_CHECK_FIELD(pel_sqe, flags, 1, 1);
	PEL_CHECK_FIELD(pel_sqe, file_index, 2, 2);
	PEL_CHECK_FIELD(pel_sqe, op_flags, 4, 4);
	PEL_CHECK_FIELD(pel_sqe, addr, 8, 8);
	PEL_CHECK_FIELD(pel_sqe, addr2, 16, 8);
	PEL_CHECK_FIELD(pel_sqe, len, 24, 8);
	PEL_CHECK_FIELD(pel_sqe, arg0, 32, 8);
	PEL_CHECK_FIELD(pel_sqe, arg1, 40, 8);
	PEL_CHECK_FIELD(pel_sqe, user_data, 48, 8);
	PEL_CHECK_FIELD(pel_sqe, deadline_ns, 56, 8);

	BUILD_BUG_ON(sizeof(struct pel_cqe) != 32);
	PEL_CHECK_FIELD(pel_cqe, user_data, 0, 8);
	PEL_CHECK_FIELD(pel_cqe, res, 8, 4);
	PEL_CHECK_FIELD(pel_cqe, flags, 12, 4);
	PEL_CHECK_FIELD(pel_cqe, result, 16, 8);
	PEL_CHECK_FIELD(pel_cqe, resv, 24, 8);

	BUILD_BUG_ON(sizeof(struct pel_queue_offsets) != 64);
	PEL_CHECK_FIELD(pel_queue_offsets, sqes, 40, 4);
	PEL_CHECK_FIELD(pel_queue_offsets, cqes, 44, 4);
	PEL_CHECK_FIELD(pel_queue_offsets, resv, 48, 16);

	BUILD_BUG_ON(sizeof(struct pel_setup) != 136);
	PEL_CHECK_FIELD(pel_setup, size, 0, 4);
	PEL_CHECK_FIELD(pel_setup, flags, 4, 4);
	PEL_CHECK_FIELD(pel_setup, sq_entries, 8, 4);
	PEL_CHECK_FIELD(pel_setup, cq_entries, 12, 4);
	PEL_CHECK_FIELD(pel_setup, idle_us, 16, 4);
	PEL_CHECK_FIELD(pel_setup, nr_queues, 20, 4);
	PEL_CHECK_FIELD(pel_setup, features, 24, 8);
	PEL_CHECK_FIELD(pel_setup, queue_map_size, 32, 8);
	PEL_CHECK_FIELD(pel_setup, off, 40, 64);
	PEL_CHECK_FIELD(pel_setup, max_inflight, 104, 4);
	PEL_CHECK_FIELD(pel_setup, resv0, 108, 4);
	PEL_CHECK_FIELD(pel_setup, resv, 112, 24);

	BUILD_BUG_ON(sizeof(struct pel_enter) != 40);
	PEL_CHECK_FIELD(pel_enter, flags, 0, 4);
	PEL_CHECK_FIELD(pel_enter, queue, 4, 4);
	PEL_CHECK_FIELD(pel_enter, min_complete, 8, 4);
	PEL_CHECK_FIELD(pel_enter, resv0, 12, 4);
	PEL_CHECK_FIELD(pel_enter, timeout_ns, 16, 8);
	PEL_CHECK_FIELD(pel_enter, resv, 24, 16);

	BUILD_BUG_ON(sizeof(struct pel_info) != 112);
	PEL_CHECK_FIELD(pel_info, version, 16, 16);
	PEL_CHECK_FIELD(pel_info, split_bytes, 48, 4);
	PEL_CHECK_FIELD(pel_info, max_inflight, 52, 4);
	PEL_CHECK_FIELD(pel_info, resv, 56, 56);
	BUILD_BUG_ON(sizeof(struct pel_worker_stats) != 120);
	PEL_CHECK_FIELD(pel_worker_stats, busy_ns, 48, 8);
	PEL_CHECK_FIELD(pel_worker_stats, node, 56, 4);
	PEL_CHECK_FIELD(pel_worker_stats, stolen, 64, 8);
	PEL_CHECK_FIELD(pel_worker_stats, chunks, 72, 8);
	PEL_CHECK_FIELD(pel_worker_stats, stolen_from, 80, 8);
	PEL_CHECK_FIELD(pel_worker_stats, resv, 88, 32);
	BUILD_BUG_ON(sizeof(struct pel_ctx_stats) != 344);
	PEL_CHECK_FIELD(pel_ctx_stats, comm, 16, 16);
	PEL_CHECK_FIELD(pel_ctx_stats, bytes, 56, 8);
	PEL_CHECK_FIELD(pel_ctx_stats, inflight, 64, 4);
	PEL_CHECK_FIELD(pel_ctx_stats, ops, 72, 8 * PEL_OP_SLOTS);
	PEL_CHECK_FIELD(pel_ctx_stats, errors, 200, 8 * PEL_ERR_SLOTS);
	PEL_CHECK_FIELD(pel_ctx_stats, cgroup_id, 264, 8);
	PEL_CHECK_FIELD(pel_ctx_stats, busy_ns, 272, 8);
	PEL_CHECK_FIELD(pel_ctx_stats, uid, 280, 4);
	PEL_CHECK_FIELD(pel_ctx_stats, resv0, 284, 4);
	PEL_CHECK_FIELD(pel_ctx_stats, slow_batches, 288, 8);
	PEL_CHECK_FIELD(pel_ctx_stats, enters, 296, 8);
	PEL_CHECK_FIELD(pel_ctx_stats, helped, 304, 8);
	PEL_CHECK_FIELD(pel_ctx_stats, nr_buffers, 312, 4);
	PEL_CHECK_FIELD(pel_ctx_stats, nr_files, 316, 4);
	PEL_CHECK_FIELD(pel_ctx_stats, buffer_bytes, 320, 8);
	PEL_CHECK_FIELD(pel_ctx_stats, resv, 328, 16);
	BUILD_BUG_ON(sizeof(struct pel_buf) != 16);
	BUILD_BUG_ON(sizeof(struct pel_buffers) != 32);
	BUILD_BUG_ON(sizeof(struct pel_op_stats) != 336);
	PEL_CHECK_FIELD(pel_op_stats, latency, 32, 8 * PEL_LAT_BUCKETS);
	PEL_CHECK_FIELD(pel_op_stats, name, 288, 16);
	PEL_CHECK_FIELD(pel_op_stats, file_bytes, 304, 8);
	PEL_CHECK_FIELD(pel_op_stats, resv, 312, 24);
	BUILD_BUG_ON(PEL_OP_LAST > PEL_OP_SLOTS);

	/* The kernel-written and user-written ring indices share no line. */
	BUILD_BUG_ON(sizeof(struct pel_rings) > PAGE_SIZE);
	BUILD_BUG_ON(PEL_MAX_ENTRIES * 2 > U32_MAX / 2);
}

static int __init pel_init(void)
{
	int ret;

	pel_check_abi();
	ret = pel_ops_init();
	if (ret)
		return ret;

	ret = pel_stats_init();
	if (ret)
		goto err_ops;
	ret = pel_rbufs_init();
	if (ret)
		goto err_stats;
	ret = pel_workers_init();
	if (ret)
		goto err_rbufs;
	ret = pel_cdev_init();
	if (ret)
		goto err_workers;
	pr_info("pel: version %s, %u workers\n", PEL_VERSION, num_online_cpus());
	return 0;

err_workers:
	pel_workers_exit();
err_rbufs:
	pel_rbufs_exit();
err_stats:
	pel_stats_exit();
err_ops:
	pel_ops_exit();
	return ret;
}

static void __exit pel_exit(void)
{
	pel_cdev_exit();
	pel_workers_exit();
	/* The last op of a table may have queued its freeing. */
	pel_rbufs_exit();
	pel_stats_exit();
	pel_ops_exit();
}

module_init(pel_init);
module_exit(pel_exit);

MODULE_AUTHOR("The PEL developers");
MODULE_DESCRIPTION("PEL: per-CPU kernel workers running ops from shared rings");
MODULE_LICENSE("GPL");
MODULE_VERSION(PEL_VERSION);
