// SPDX-License-Identifier: GPL-2.0
/*
 * The operations.  pel_op_run() gets an SQE already copied into kernel
 * memory, validates it, runs it on the owner's memory and fills the CQE.
 *
 * User buffers are reached only through copy_{from,to}_user() with the
 * owner's mm attached, so an unmapped or kernel address in an SQE ends in
 * -EFAULT, never in a kernel access on the user's behalf.
 */
#include <linux/sched.h>
#include <linux/uaccess.h>

#include "pel_internal.h"

struct pel_op_def {
	const char *name;
	/* Check the fields the op uses; every other field must be zero. */
	int (*prep)(const struct pel_sqe *sqe);
	/* Run it; returns cqe.res.  Sets *result where the op has one. */
	s64 (*run)(struct pel_worker *w, const struct pel_sqe *sqe, u64 *result);
	bool needs_mm;
};

static int pel_prep_nop(const struct pel_sqe *sqe)
{
	if (sqe->op_flags || sqe->addr || sqe->addr2 || sqe->len ||
	    sqe->arg0 || sqe->arg1)
		return -EINVAL;
	return 0;
}

static s64 pel_run_nop(struct pel_worker *w, const struct pel_sqe *sqe,
		       u64 *result)
{
	return 0;
}

/* A user range [addr, addr + len) that does not wrap around. */
static int pel_check_range(u64 addr, u64 len)
{
	if (len > PEL_MAX_OP_LEN || addr + len < addr)
		return -EINVAL;
	return 0;
}

static int pel_prep_copy(const struct pel_sqe *sqe)
{
	if (sqe->op_flags || sqe->arg0 || sqe->arg1)
		return -EINVAL;
	if (pel_check_range(sqe->addr, sqe->len) ||
	    pel_check_range(sqe->addr2, sqe->len))
		return -EINVAL;
	return 0;
}

/*
 * User to user through the worker's bounce buffer, front to back.  On a
 * fault the bytes before it are copied and *result says how many.
 */
static s64 pel_run_copy(struct pel_worker *w, const struct pel_sqe *sqe,
			u64 *result)
{
	void __user *dst = u64_to_user_ptr(sqe->addr);
	const void __user *src = u64_to_user_ptr(sqe->addr2);
	u64 done = 0;

	while (done < sqe->len) {
		size_t chunk = min_t(u64, sqe->len - done, PEL_BOUNCE_SIZE);
		size_t got = chunk - copy_from_user(w->bounce, src + done, chunk);
		size_t put = got - copy_to_user(dst + done, w->bounce, got);

		done += put;
		if (put < chunk) {
			*result = done;
			return -EFAULT;
		}
		cond_resched();
	}
	*result = done;
	return done;
}

static const struct pel_op_def pel_ops[PEL_OP_LAST] = {
	[PEL_OP_NOP] = {
		.name = "nop",
		.prep = pel_prep_nop,
		.run = pel_run_nop,
	},
	[PEL_OP_COPY] = {
		.name = "copy",
		.prep = pel_prep_copy,
		.run = pel_run_copy,
		.needs_mm = true,
	},
};

void pel_op_run(struct pel_worker *w, struct pel_ctx *ctx,
		const struct pel_sqe *sqe, struct pel_cqe *cqe)
{
	const struct pel_op_def *op;
	u64 result = 0;
	s64 res;

	memset(cqe, 0, sizeof(*cqe));
	cqe->user_data = sqe->user_data;

	if (sqe->opcode >= PEL_OP_LAST || sqe->flags & ~PEL_SQE_FLAGS_ALL ||
	    sqe->resv0 || sqe->resv1) {
		res = -EINVAL;
		goto out;
	}
	op = &pel_ops[sqe->opcode];
	res = op->prep(sqe);
	if (res)
		goto out;
	if (op->needs_mm) {
		res = pel_worker_use_mm(w, ctx->mm);
		if (res)
			goto out;
	}
	res = op->run(w, sqe, &result);
out:
	cqe->res = res;
	cqe->result = result;
}
