// SPDX-License-Identifier: GPL-2.0
/*
 * Registered buffers: user memory pinned once (PEL_IOC_REGISTER_BUFFERS)
 * so that PEL_SQE_FIXED ops run on kernel addresses, with no page-table
 * walk and no possible fault.
 *
 * Not yet implemented: registration fails with -EOPNOTSUPP and the feature
 * bit is not set, so no op can carry PEL_SQE_FIXED.
 */
#include <linux/errno.h>

#include "pel_internal.h"

long pel_ioctl_register_buffers(struct pel_ctx *ctx, void __user *arg)
{
	return -EOPNOTSUPP;
}

long pel_ioctl_unregister_buffers(struct pel_ctx *ctx)
{
	return -ENXIO;
}

/* The context's table, referenced; NULL when none is registered. */
struct pel_rbufs *pel_rbufs_get(struct pel_ctx *ctx)
{
	return NULL;
}

void pel_rbufs_put(struct pel_rbufs *t)
{
}

/*
 * The kernel address of [uaddr, uaddr + len) when it lies wholly in one
 * buffer of @t; NULL when it does not.
 */
void *pel_rbufs_resolve(struct pel_rbufs *t, u64 uaddr, u64 len)
{
	return NULL;
}

/*
 * A PEL_SQE_FIXED op (already checked by pel_op_prep()): take a reference
 * on the context's table into x->rbufs and resolve x->kaddr, kaddr2 and
 * karg0 for the fields the op uses (XOR: kaddr2 is its source list, the
 * sources are resolved when the list is read).  -EFAULT when an address is
 * outside every registered buffer, or none is registered.
 */
int pel_rbufs_prep(struct pel_exec *x)
{
	return -EFAULT;
}

void pel_rbufs_stats(struct pel_ctx *ctx, u32 *nr, u64 *bytes)
{
	*nr = 0;
	*bytes = 0;
}

/* The file is released: drop the table (ops in flight keep theirs). */
void pel_rbufs_release(struct pel_ctx *ctx)
{
}
