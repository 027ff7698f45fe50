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

struct pel_op_def {
	const char *name;
	u8 uses;
	/* Op-specific checks of the fields it uses; NULL when none. */
	int (*prep)(const struct pel_sqe *sqe);
	/* Run it; returns cqe.res.  Sets *result where the op has one. */
	s64 (*run)(struct pel_worker *w, const struct pel_sqe *sqe, u64 *result);
	bool needs_mm;
};

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

static s64 pel_run_nop(struct pel_worker *w, const struct pel_sqe *sqe,
		       u64 *result)
{
	return 0;
}

static int pel_prep_copy(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr, sqe->len) ||
	    !pel_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	return 0;
}

/*
 * memmove semantics: when the destination starts inside the source, copy
 * back to front, a chunk at a time, so no source byte is overwritten before
 * it is read.  A fault then leaves the tail done and *result counts it.
 */
static s64 pel_run_copy(struct pel_worker *w, const struct pel_sqe *sqe,
			u64 *result)
{
	u64 dst = sqe->addr, src = sqe->addr2, len = sqe->len, done = 0;
	bool backward = dst > src && dst < src + len;

	while (done < len) {
		size_t n = min_t(u64, len - done, PEL_BOUNCE_SIZE);
		u64 off = backward ? len - done - n : done;
		size_t got = pel_read(w->bounce, src + off, n);

		if (backward && got < n)
			break;
		got = pel_write(dst + off, w->bounce, got);
		done += got;
		if (got < n)
			break;
		cond_resched();
	}
	*result = done;
	return done == len ? (s64)done : -EFAULT;
}

static int pel_prep_dst(const struct pel_sqe *sqe)
{
	return pel_range_ok(sqe->addr, sqe->len) ? 0 : -EINVAL;
}

static s64 pel_run_fill(struct pel_worker *w, const struct pel_sqe *sqe,
			u64 *result)
{
	u64 done = 0;

	pel_fill_pattern(w->bounce, min_t(u64, sqe->len, PEL_BOUNCE_SIZE),
			 sqe->arg0);
	while (done < sqe->len) {
		/* Chunks are a multiple of 8 bytes: each starts the pattern over. */
		size_t n = min_t(u64, sqe->len - done, PEL_BOUNCE_SIZE);
		size_t put = pel_write(sqe->addr + done, w->bounce, n);

		done += put;
		if (put < n)
			break;
		cond_resched();
	}
	*result = done;
	return done == sqe->len ? (s64)done : -EFAULT;
}

/*
 * Compare @len bytes at @a with those at @b, or with the pattern when @b is
 * 0 (PEL_OP_COMPARE_PATTERN).  0 when equal; 1 with *result the offset of
 * the first differing byte.
 */
static s64 pel_compare(struct pel_worker *w, u64 a, u64 b, u64 len,
		       u64 pattern, u64 *result)
{
	void *ba = w->bounce, *bb = w->bounce + PEL_HALF;
	u64 done = 0;

	if (!b)
		pel_fill_pattern(bb, min_t(u64, len, PEL_HALF), pattern);
	while (done < len) {
		size_t n = min_t(u64, len - done, PEL_HALF);
		size_t got = pel_read(ba, a + done, n);
		size_t i;

		if (b)
			got = min(got, pel_read(bb, b + done, n));
		if (memcmp(ba, bb, got)) {
			for (i = 0; i < got; i++)
				if (((u8 *)ba)[i] != ((u8 *)bb)[i])
					break;
			*result = done + i;
			return 1;
		}
		done += got;
		if (got < n) {
			*result = done;
			return -EFAULT;
		}
		cond_resched();
	}
	*result = 0;
	return 0;
}

static int pel_prep_compare(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr, sqe->len) ||
	    !pel_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	/* addr2 0 would mean "pattern" in pel_compare(): it faults instead. */
	return (sqe->addr && sqe->addr2) || !sqe->len ? 0 : -EFAULT;
}

static s64 pel_run_compare(struct pel_worker *w, const struct pel_sqe *sqe,
			   u64 *result)
{
	return pel_compare(w, sqe->addr, sqe->addr2, sqe->len, 0, result);
}

static int pel_prep_src(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	return sqe->addr2 || !sqe->len ? 0 : -EFAULT;
}

static s64 pel_run_compare_pattern(struct pel_worker *w,
				   const struct pel_sqe *sqe, u64 *result)
{
	return pel_compare(w, sqe->addr2, 0, sqe->len, sqe->arg0, result);
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

/*
 * CRC32C (Castagnoli) with the usual pre- and post-inversion, continued
 * from @seed: seed 0 gives the standard CRC-32C of the buffer, and a
 * previous result as seed continues it over the next buffer.  With @dst,
 * also copy the source there (front to back) in the same pass.
 */
static s64 pel_crc32c(struct pel_worker *w, u64 dst, u64 src, u64 len,
		      u32 seed, u64 *result)
{
	u32 crc = ~seed;
	u64 done = 0;

	while (done < len) {
		size_t n = min_t(u64, len - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(w->bounce, src + done, n);

		if (dst)
			got = pel_write(dst + done, w->bounce, got);
		crc = crc32c(crc, w->bounce, got);
		done += got;
		if (got < n) {
			*result = done;
			return -EFAULT;
		}
		cond_resched();
	}
	*result = ~crc;
	return done;
}

static s64 pel_run_crc32c(struct pel_worker *w, const struct pel_sqe *sqe,
			  u64 *result)
{
	return pel_crc32c(w, 0, sqe->addr2, sqe->len, sqe->arg0, result);
}

static s64 pel_run_copy_crc32c(struct pel_worker *w, const struct pel_sqe *sqe,
			       u64 *result)
{
	/* addr 0 would mean "no copy" in pel_crc32c(): a copy to 0 faults. */
	if (!sqe->addr && sqe->len) {
		*result = 0;
		return -EFAULT;
	}
	return pel_crc32c(w, sqe->addr, sqe->addr2, sqe->len, sqe->arg0, result);
}

static int pel_prep_dualcast(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->arg0, sqe->len))
		return -EINVAL;
	return pel_prep_copy(sqe);
}

/* One source to two destinations; *result counts bytes in both. */
static s64 pel_run_dualcast(struct pel_worker *w, const struct pel_sqe *sqe,
			    u64 *result)
{
	u64 done = 0;

	while (done < sqe->len) {
		size_t n = min_t(u64, sqe->len - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(w->bounce, sqe->addr2 + done, n);

		got = pel_write(sqe->addr + done, w->bounce, got);
		got = pel_write(sqe->arg0 + done, w->bounce, got);
		done += got;
		if (got < n)
			break;
		cond_resched();
	}
	*result = done;
	return done == sqe->len ? (s64)done : -EFAULT;
}

static int pel_prep_xor(const struct pel_sqe *sqe)
{
	if (!sqe->arg0 || sqe->arg0 > PEL_XOR_MAX_SRCS)
		return -EINVAL;
	if (!pel_range_ok(sqe->addr2, sqe->arg0 * sizeof(u64)))
		return -EINVAL;
	return pel_prep_dst(sqe);
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
 * RAID parity: addr <- src[0] ^ ... ^ src[arg0 - 1], where the source
 * addresses are arg0 u64s at addr2.  Each chunk is read from every source
 * before it is written, so the destination may be one of the sources.
 */
static s64 pel_run_xor(struct pel_worker *w, const struct pel_sqe *sqe,
		       u64 *result)
{
	void *acc = w->bounce, *tmp = w->bounce + PEL_HALF;
	unsigned int nr = sqe->arg0, i;
	u64 srcs[PEL_XOR_MAX_SRCS];
	u64 done = 0;

	*result = 0;
	if (copy_from_user(srcs, u64_to_user_ptr(sqe->addr2), nr * sizeof(u64)))
		return -EFAULT;
	for (i = 0; i < nr; i++)
		if (!pel_range_ok(srcs[i], sqe->len))
			return -EINVAL;

	while (done < sqe->len) {
		size_t n = min_t(u64, sqe->len - done, PEL_HALF);
		size_t got = pel_read(acc, srcs[0] + done, n);

		for (i = 1; i < nr && got; i++) {
			got = min(got, pel_read(tmp, srcs[i] + done, got));
			pel_xor_into(acc, tmp, got);
		}
		got = pel_write(sqe->addr + done, acc, got);
		done += got;
		if (got < n)
			break;
		cond_resched();
	}
	*result = done;
	return done == sqe->len ? (s64)done : -EFAULT;
}

static int pel_prep_sha256(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr, PEL_SHA256_DIGEST_SIZE))
		return -EINVAL;
	return pel_prep_src(sqe);
}

/* The digest goes to user memory only once the whole source was read. */
static s64 pel_run_sha256(struct pel_worker *w, const struct pel_sqe *sqe,
			  u64 *result)
{
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
static s64 pel_run_cancel(struct pel_worker *w, const struct pel_sqe *sqe,
			  u64 *result)
{
	return pel_worker_cancel(w->batch_ctx, sqe->arg0);
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
		.run = pel_run_copy,
		.needs_mm = true,
	},
	[PEL_OP_FILL] = {
		.name = "fill",
		.uses = PEL_USES_ADDR | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_dst,
		.run = pel_run_fill,
		.needs_mm = true,
	},
	[PEL_OP_COMPARE] = {
		.name = "compare",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN,
		.prep = pel_prep_compare,
		.run = pel_run_compare,
		.needs_mm = true,
	},
	[PEL_OP_COMPARE_PATTERN] = {
		.name = "compare_pattern",
		.uses = PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_src,
		.run = pel_run_compare_pattern,
		.needs_mm = true,
	},
	[PEL_OP_CRC32C] = {
		.name = "crc32c",
		.uses = PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_crc32c,
		.run = pel_run_crc32c,
		.needs_mm = true,
	},
	[PEL_OP_COPY_CRC32C] = {
		.name = "copy_crc32c",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_copy_crc32c,
		.run = pel_run_copy_crc32c,
		.needs_mm = true,
	},
	[PEL_OP_DUALCAST] = {
		.name = "dualcast",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_dualcast,
		.run = pel_run_dualcast,
		.needs_mm = true,
	},
	[PEL_OP_XOR] = {
		.name = "xor",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.prep = pel_prep_xor,
		.run = pel_run_xor,
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

/* Validate and run one SQE, filling its CQE. */
void pel_op_run(struct pel_worker *w, struct pel_ctx *ctx,
		const struct pel_sqe *sqe, struct pel_cqe *cqe)
{
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
	res = op->run(w, sqe, &result);
out:
	cqe->res = res;
	cqe->result = result;
}

const char *pel_op_name(u8 opcode)
{
	return opcode < PEL_OP_LAST ? pel_ops[opcode].name : "unknown";
}
