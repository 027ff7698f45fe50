// SPDX-License-Identifier: GPL-2.0
/*
 * The operations.  pel_op_run() gets an SQE already copied into kernel
 * memory, validates it, runs it on the owner's memory and fills the CQE.
 *
 * User buffers are reached only through copy_{from,to}_user() with the
 * owner's mm attached, so an unmapped or kernel address in an SQE ends in
 * -EFAULT, never in a kernel access on the user's behalf.  Data moves
 * through the worker's bounce buffer in chunks; on a fault, cqe.result is
 * the number of bytes done before it.
 *
 * The data ops are written as "ranges": run bytes [off, off + n) of the op
 * and say how many were done.  An op runs as one range, or, above the split
 * threshold, as chunks that several workers run at once (split.c); either
 * way pel_op_finish() turns what the ranges did into the CQE.
 */
#include <crypto/sha2.h>
#include <linux/crc32c.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "pel_internal.h"

/* Ops that need two buffers split the bounce buffer in halves. */
#define PEL_HALF	(PEL_BOUNCE_SIZE / 2)

/* SQE fields an op reads; every field it does not name must be zero. */
#define PEL_USES_ADDR	BIT(0)
#define PEL_USES_ADDR2	BIT(1)
#define PEL_USES_LEN	BIT(2)
#define PEL_USES_ARG0	BIT(3)

/* A user range [addr, addr + len) that does not wrap around. */
static bool pel_range_ok(u64 addr, u64 len)
{
	return addr + len >= addr;
}

/* Bytes actually read from user memory into @to (short on a fault). */
static size_t pel_read(void *to, u64 uaddr, size_t n)
{
	return n - copy_from_user(to, u64_to_user_ptr(uaddr), n);
}

static size_t pel_write(u64 uaddr, const void *from, size_t n)
{
	return n - copy_to_user(u64_to_user_ptr(uaddr), from, n);
}

/* @buf <- the 64-bit @pattern repeated, in little-endian byte order. */
static void pel_fill_pattern(void *buf, size_t n, u64 pattern)
{
	__le64 p = cpu_to_le64(pattern);
	size_t i;

	for (i = 0; i + sizeof(p) <= n; i += sizeof(p))
		memcpy(buf + i, &p, sizeof(p));
	memcpy(buf + i, &p, n - i);
}

/*
 * Ranges.  Each runs bytes [off, off + n) of the op in @x and returns the
 * bytes done: fewer than @n means a fault at off + the return value.  An
 * offset is always a multiple of 8 (split chunks are page multiples), so
 * patterns restart in phase.
 */

/* Front to back; a back-to-front COPY is never split (pel_run_copy()). */
static u64 pel_range_copy(struct pel_worker *w, struct pel_exec *x,
			  u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0;

	while (done < n) {
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(w->bounce, sqe->addr2 + off + done, c);

		got = pel_write(sqe->addr + off + done, w->bounce, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

static u64 pel_range_fill(struct pel_worker *w, struct pel_exec *x,
			  u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0;

	pel_fill_pattern(w->bounce, min_t(u64, n, PEL_BOUNCE_SIZE), sqe->arg0);
	while (done < n) {
		/* Chunks are a multiple of 8 bytes: each starts the pattern over. */
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t put = pel_write(sqe->addr + off + done, w->bounce, c);

		done += put;
		if (put < c)
			break;
		cond_resched();
	}
	return done;
}

/*
 * COMPARE reads addr and addr2; COMPARE_PATTERN reads addr2 against the
 * pattern.  A difference sets x->diff (absolute offset) and ends the range
 * early; that is not a fault, pel_op_finish() looks at x->diff first.
 */
static u64 pel_range_compare(struct pel_worker *w, struct pel_exec *x,
			     u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	bool pattern = sqe->opcode == PEL_OP_COMPARE_PATTERN;
	void *ba = w->bounce, *bb = w->bounce + PEL_HALF;
	u64 done = 0;

	if (pattern)
		pel_fill_pattern(ba, min_t(u64, n, PEL_HALF), sqe->arg0);
	while (done < n) {
		size_t c = min_t(u64, n - done, PEL_HALF);
		size_t got = pel_read(bb, sqe->addr2 + off + done, c);
		size_t i;

		if (!pattern)
			got = min(got, pel_read(ba, sqe->addr + off + done, c));
		if (memcmp(ba, bb, got)) {
			for (i = 0; i < got; i++)
				if (((u8 *)ba)[i] != ((u8 *)bb)[i])
					break;
			x->diff = off + done + i;
			return done + i;
		}
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

/* CRC32C and COPY_CRC32C: x->crc continues over the range (raw, no inversion). */
static u64 pel_range_crc32c(struct pel_worker *w, struct pel_exec *x,
			    u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	bool copy = sqe->opcode == PEL_OP_COPY_CRC32C;
	u64 done = 0;

	while (done < n) {
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(w->bounce, sqe->addr2 + off + done, c);

		if (copy)
			got = pel_write(sqe->addr + off + done, w->bounce, got);
		x->crc = crc32c(x->crc, w->bounce, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

static u64 pel_range_dualcast(struct pel_worker *w, struct pel_exec *x,
			      u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0;

	while (done < n) {
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(w->bounce, sqe->addr2 + off + done, c);

		got = pel_write(sqe->addr + off + done, w->bounce, got);
		got = pel_write(sqe->arg0 + off + done, w->bounce, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

static void pel_xor_into(void *acc, const void *src, size_t n)
{
	size_t i = 0;

	for (; i + sizeof(unsigned long) <= n; i += sizeof(unsigned long))
		*(unsigned long *)(acc + i) ^= *(const unsigned long *)(src + i);
	for (; i < n; i++)
		((u8 *)acc)[i] ^= ((const u8 *)src)[i];
}

/*
 * Each chunk is read from every source before it is written, so the
 * destination may be one of the sources.
 */
static u64 pel_range_xor(struct pel_worker *w, struct pel_exec *x,
			 u64 off, u64 n)
{
	void *acc = w->bounce, *tmp = w->bounce + PEL_HALF;
	const struct pel_sqe *sqe = x->sqe;
	unsigned int i;
	u64 done = 0;

	while (done < n) {
		size_t c = min_t(u64, n - done, PEL_HALF);
		size_t got = pel_read(acc, x->srcs[0] + off + done, c);

		for (i = 1; i < x->nr_srcs && got; i++) {
			got = min(got, pel_read(tmp, x->srcs[i] + off + done, got));
			pel_xor_into(acc, tmp, got);
		}
		got = pel_write(sqe->addr + off + done, acc, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

/*
 * Turn what the ranges did into (res, result).  @done: the bytes done
 * before the first fault (len when none).  @err: an error that is not a
 * fault, or 0.
 */
s64 pel_op_finish(struct pel_exec *x, u64 done, s64 err, u64 *result)
{
	const struct pel_sqe *sqe = x->sqe;

	switch (sqe->opcode) {
	case PEL_OP_COMPARE:
	case PEL_OP_COMPARE_PATTERN:
		/* The first difference counts only if it precedes any fault. */
		if (x->diff <= done && x->diff < sqe->len) {
			*result = x->diff;
			return 1;
		}
		break;
	case PEL_OP_CRC32C:
	case PEL_OP_COPY_CRC32C:
		if (!err && done == sqe->len) {
			*result = ~x->crc;
			return done;
		}
		break;
	}
	if (err) {
		*result = 0;
		return err;
	}
	*result = done;
	if (done < sqe->len)
		return -EFAULT;
	if (sqe->opcode == PEL_OP_COMPARE || sqe->opcode == PEL_OP_COMPARE_PATTERN) {
		*result = 0;
		return 0;
	}
	return done;
}

static s64 pel_run_nop(struct pel_worker *w, struct pel_exec *x, u64 *result)
{
	return 0;
}

/*
 * COPY has memmove semantics: when the destination starts inside the
 * source, copy back to front, a chunk at a time, so no source byte is
 * overwritten before it is read.  A fault then leaves the tail done and
 * *result counts it.  Such a copy is never split.
 */
static s64 pel_run_copy_backward(struct pel_worker *w, struct pel_exec *x,
				 u64 *result)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 len = sqe->len, done = 0;

	while (done < len) {
		size_t n = min_t(u64, len - done, PEL_BOUNCE_SIZE);
		u64 off = len - done - n;

		if (pel_read(w->bounce, sqe->addr2 + off, n) < n)
			break;
		if (pel_write(sqe->addr + off, w->bounce, n) < n)
			break;
		done += n;
		cond_resched();
	}
	*result = done;
	return done == len ? (s64)done : -EFAULT;
}

static bool pel_copy_backward(const struct pel_sqe *sqe)
{
	return sqe->addr > sqe->addr2 && sqe->addr < sqe->addr2 + sqe->len;
}

static int pel_prep_copy(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr, sqe->len) ||
	    !pel_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	return 0;
}

static int pel_prep_dst(const struct pel_sqe *sqe)
{
	return pel_range_ok(sqe->addr, sqe->len) ? 0 : -EINVAL;
}

static int pel_prep_src(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	return sqe->addr2 || !sqe->len ? 0 : -EFAULT;
}

static int pel_prep_compare(const struct pel_sqe *sqe)
{
	return pel_prep_copy(sqe);
}

/* CRC seeds are 32 bits. */
static int pel_prep_crc32c(const struct pel_sqe *sqe)
{
	if (sqe->arg0 > U32_MAX)
		return -EINVAL;
	return pel_prep_src(sqe);
}

static int pel_prep_copy_crc32c(const struct pel_sqe *sqe)
{
	if (sqe->arg0 > U32_MAX)
		return -EINVAL;
	return pel_prep_copy(sqe);
}

static int pel_prep_dualcast(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->arg0, sqe->len))
		return -EINVAL;
	return pel_prep_copy(sqe);
}

static int pel_prep_xor(const struct pel_sqe *sqe)
{
	if (!sqe->arg0 || sqe->arg0 > PEL_XOR_MAX_SRCS)
		return -EINVAL;
	if (!pel_range_ok(sqe->addr2, sqe->arg0 * sizeof(u64)))
		return -EINVAL;
	return pel_prep_dst(sqe);
}

/* XOR's source list is read once, into kernel memory, before any range. */
static int pel_load_xor_srcs(struct pel_exec *x)
{
	const struct pel_sqe *sqe = x->sqe;
	unsigned int i;

	x->nr_srcs = sqe->arg0;
	if (copy_from_user(x->srcs, u64_to_user_ptr(sqe->addr2),
			   x->nr_srcs * sizeof(u64)))
		return -EFAULT;
	for (i = 0; i < x->nr_srcs; i++)
		if (!pel_range_ok(x->srcs[i], sqe->len))
			return -EINVAL;
	return 0;
}

static int pel_prep_sha256(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr, PEL_SHA256_DIGEST_SIZE))
		return -EINVAL;
	return pel_prep_src(sqe);
}

/* The digest goes to user memory only once the whole source was read. */
static s64 pel_run_sha256(struct pel_worker *w, struct pel_exec *x,
			  u64 *result)
{
	const struct pel_sqe *sqe = x->sqe;
	u8 digest[SHA256_DIGEST_SIZE];
	struct sha256_state st;
	u64 done = 0;

	sha256_init(&st);
	while (done < sqe->len) {
		size_t n = min_t(u64, sqe->len - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(w->bounce, sqe->addr2 + done, n);

		sha256_update(&st, w->bounce, got);
		done += got;
		if (got < n) {
			*result = done;
			return -EFAULT;
		}
		cond_resched();
	}
	sha256_final(&st, digest);
	if (pel_write(sqe->addr, digest, sizeof(digest)) < sizeof(digest)) {
		*result = done;
		return -EFAULT;
	}
	return done;
}

/* The worker runs a batch of one context: batch_ctx is the canceller's. */
static s64 pel_run_cancel(struct pel_worker *w, struct pel_exec *x,
			  u64 *result)
{
	return pel_worker_cancel(w->batch_ctx, x->sqe->arg0);
}

static const struct pel_op_def pel_ops[PEL_OP_LAST] = {
	[PEL_OP_NOP] = {
		.name = "nop",
		.run = pel_run_nop,
	},
	[PEL_OP_COPY] = {
		.name = "copy",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN,
		.prep = pel_prep_copy,
		.range = pel_range_copy,
		.needs_mm = true,
	},
	[PEL_OP_FILL] = {
		.name = "fill",
		.uses = PEL_USES_ADDR | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_dst,
		.range = pel_range_fill,
		.needs_mm = true,
	},
	[PEL_OP_COMPARE] = {
		.name = "compare",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN,
		.prep = pel_prep_compare,
		.range = pel_range_compare,
		.needs_mm = true,
	},
	[PEL_OP_COMPARE_PATTERN] = {
		.name = "compare_pattern",
		.uses = PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_src,
		.range = pel_range_compare,
		.needs_mm = true,
	},
	[PEL_OP_CRC32C] = {
		.name = "crc32c",
		.uses = PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_crc32c,
		.range = pel_range_crc32c,
		.needs_mm = true,
	},
	[PEL_OP_COPY_CRC32C] = {
		.name = "copy_crc32c",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_copy_crc32c,
		.range = pel_range_crc32c,
		.needs_mm = true,
	},
	[PEL_OP_DUALCAST] = {
		.name = "dualcast",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_dualcast,
		.range = pel_range_dualcast,
		.needs_mm = true,
	},
	[PEL_OP_XOR] = {
		.name = "xor",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_xor,
		.range = pel_range_xor,
		.needs_mm = true,
	},
	[PEL_OP_SHA256] = {
		.name = "sha256",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN,
		.prep = pel_prep_sha256,
		.run = pel_run_sha256,
		.needs_mm = true,
	},
	[PEL_OP_CANCEL] = {
		.name = "cancel",
		.uses = PEL_USES_ARG0,
		.run = pel_run_cancel,
	},
};

/* The checks every SQE gets: opcode, flags, reserved and unused fields. */
static int pel_prep_common(const struct pel_sqe *sqe,
			   const struct pel_op_def **opp)
{
	const struct pel_op_def *op;

	if (sqe->opcode >= PEL_OP_LAST || sqe->flags & ~PEL_SQE_FLAGS_ALL ||
	    sqe->resv0 || sqe->op_flags || sqe->arg1)
		return -EINVAL;
	if (!(sqe->flags & PEL_SQE_DEADLINE) && sqe->deadline_ns)
		return -EINVAL;
	op = &pel_ops[sqe->opcode];
	if ((!(op->uses & PEL_USES_ADDR) && sqe->addr) ||
	    (!(op->uses & PEL_USES_ADDR2) && sqe->addr2) ||
	    (!(op->uses & PEL_USES_LEN) && sqe->len) ||
	    (!(op->uses & PEL_USES_ARG0) && sqe->arg0))
		return -EINVAL;
	if (sqe->len > PEL_MAX_OP_LEN)
		return -EINVAL;
	*opp = op;
	return op->prep ? op->prep(sqe) : 0;
}

/* A data op, whole or split across workers. */
static s64 pel_run_ranges(struct pel_worker *w, struct pel_ctx *ctx,
			  const struct pel_op_def *op, struct pel_exec *x,
			  u64 *result)
{
	const struct pel_sqe *sqe = x->sqe;
	unsigned int split_bytes = READ_ONCE(pel_split_bytes);
	s64 ret;

	if (sqe->opcode == PEL_OP_XOR) {
		ret = pel_load_xor_srcs(x);
		if (ret)
			return ret;
	}
	/* CRCs are pre-inverted: seed 0 starts a standard CRC-32C. */
	x->crc = ~(u32)sqe->arg0;
	if (sqe->opcode == PEL_OP_COPY && pel_copy_backward(sqe))
		return pel_run_copy_backward(w, x, result);
	if (pel_split_worthwhile(sqe->len, split_bytes))
		return pel_split_run(w, ctx, op, x, split_bytes, result);
	return pel_op_finish(x, op->range(w, x, 0, sqe->len), 0, result);
}

/* Validate and run one SQE, filling its CQE. */
void pel_op_run(struct pel_worker *w, struct pel_ctx *ctx,
		const struct pel_sqe *sqe, struct pel_cqe *cqe)
{
	struct pel_exec x = { .sqe = sqe, .diff = U64_MAX };
	const struct pel_op_def *op;
	u64 result = 0;
	s64 res;

	res = pel_prep_common(sqe, &op);
	if (res)
		goto out;
	if (op->needs_mm) {
		res = pel_worker_use_mm(w, ctx->mm);
		if (res)
			goto out;
	}
	if (op->range)
		res = pel_run_ranges(w, ctx, op, &x, &result);
	else
		res = op->run(w, &x, &result);
out:
	cqe->res = res;
	cqe->result = result;
}

const char *pel_op_name(u8 opcode)
{
	return opcode < PEL_OP_LAST ? pel_ops[opcode].name : "unknown";
}
