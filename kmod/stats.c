// SPDX-License-Identifier: GPL-2.0
/*
 * The stats ioctls behind `pelctl status`.  Open to anyone who may open
 * /dev/pel; they need no setup.  Every struct starts with its size: the
 * caller's size must be at least this version's, and a larger one must be
 * zero past what we know (copy_struct_from_user()).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/pid.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "pel_internal.h"

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
	ret = pel_worker_fill_stats(&st);
	if (ret)
		return ret;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

long pel_ioctl_ctx_stats(void __user *uarg)
{
	struct pel_ctx_stats st;
	struct pel_ctx *ctx;
	unsigned int i, n = 0;
	int ret;

	ret = pel_stats_in(&st, sizeof(st), uarg, st.resv, ARRAY_SIZE(st.resv));
	if (ret)
		return ret;

	ret = -ENOENT;
	mutex_lock(&pel_ctx_lock);
	list_for_each_entry(ctx, &pel_ctx_list, node) {
		/* Other users' contexts are theirs to see, and the admin's. */
		if (!uid_eq(ctx->uid, current_euid()) && !capable(CAP_SYS_ADMIN))
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
		for (i = 0; i < ctx->nr_queues; i++) {
			st.submitted += READ_ONCE(ctx->queues[i].submitted);
			st.completed += READ_ONCE(ctx->queues[i].completed);
		}
		ret = 0;
		break;
	}
	mutex_unlock(&pel_ctx_lock);
	if (ret)
		return ret;
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}
