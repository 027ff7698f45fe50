// SPDX-License-Identifier: GPL-2.0
/*
 * The operations: what each op does, on a struct pel_exec it is handed.
 * Nothing here knows who runs it (a shared worker, a split helper, the
 * context's slow path): the runner's rules come in a struct pel_range.
 *
 * Two data paths, the same op logic on each.  In place (data.c): a shared
 * worker (r->nofault) works on the owner's pages, referenced with GUP-fast
 * a window at a time and mapped, and a registered-buffer op (PEL_SQE_FIXED)
 * on its kernel addresses.  Through the bounce buffer: the context's slow
 * path reaches user memory with copy_{from,to}_user() and page faults
 * allowed, so an unmapped or kernel address in an SQE ends in -EFAULT,
 * never in a kernel access on the user's behalf; on a fault, cqe.result is
 * the number of bytes done before it.
 *
 * A shared worker never sleeps on user memory: a page GUP-fast cannot have
 * now (not resident, not writable yet, or an address that is simply bad:
 * it cannot tell) ends the range with PEL_STOP_MISS.  The op keeps its progress in the pel_exec and
 * goes on from there in the context's slow path (slow.c), which may fault.
 * Every range also stops, between chunks of PEL_BOUNCE_SIZE bytes, when the
 * context is closing (the op ends with -ECANCELED) or its worker is asked
 * to park (the op goes on in the slow path).  So progress must be exact:
 * a range returns exactly the bytes whose effect is complete, and a range
 * run again from there gives the result one run would have.
 *
 * The data ops are written as "ranges": run bytes [off, off + n) of the op
 * and say how many were done.  An op runs as one range, or, above the split
 * threshold, as chunks that several workers run at once (split.c); either
 * way its finish() turns what the ranges did into the CQE.
 */
#include <linux/crc32.h>
#include <linux/crc32c.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <crypto/hash.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/raid/xor.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "pel_internal.h"
#include "data.h"

/* The kernel's SHA-256, allocated at load: its best implementation. */
static struct crypto_shash *pel_sha256_tfm;

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

/*
 * Whether the range must end now, between two chunks: its context is
 * closing, or its worker must park.  Sets r->stop.
 */
bool pel_range_stopped(const struct pel_exec *x, struct pel_range *r)
{
	if (unlikely(READ_ONCE(x->ctx->closing) || pel_ctx_dying(x->ctx))) {
		r->stop = PEL_STOP_CLOSING;
		return true;
	}
	if (r->may_yield && unlikely(pel_worker_should_yield())) {
		r->stop = PEL_STOP_YIELD;
		return true;
	}
	return false;
}

/*
 * Bytes actually read from user memory into @to (short on a fault).  With
 * r->nofault, a fault is not taken: the copy stops short and says so.
 */
static size_t pel_read(struct pel_range *r, void *to, u64 uaddr, size_t n)
{
	size_t left;

	if (!r->nofault)
		return n - copy_from_user(to, u64_to_user_ptr(uaddr), n);
	pagefault_disable();
	left = copy_from_user(to, u64_to_user_ptr(uaddr), n);
	pagefault_enable();
	if (left)
		r->stop = PEL_STOP_MISS;
	return n - left;
}

static size_t pel_write(struct pel_range *r, u64 uaddr, const void *from,
			size_t n)
{
	size_t left;

	if (!r->nofault)
		return n - copy_to_user(u64_to_user_ptr(uaddr), from, n);
	pagefault_disable();
	left = copy_to_user(u64_to_user_ptr(uaddr), from, n);
	pagefault_enable();
	if (left)
		r->stop = PEL_STOP_MISS;
	return n - left;
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
 * Whether a range works in place rather than through the bounce buffer:
 * a shared worker, which may not fault, and a registered-buffer op, which
 * never does (all its addresses are kernel addresses).
 */
static bool pel_in_place(const struct pel_exec *x, const struct pel_range *r)
{
	return r->nofault || x->sqe->flags & PEL_SQE_FIXED;
}

/* Byte @off of a registered buffer, or NULL for user memory. */
static void *pel_kat(void *kaddr, u64 off)
{
	return kaddr ? kaddr + off : NULL;
}

/* The index of the first byte where @a and @b differ, or @n. */
static size_t pel_first_diff(const u8 *a, const u8 *b, size_t n)
{
	size_t i;

	if (!memcmp(a, b, n))
		return n;
	for (i = 0; a[i] == b[i]; i++)
		;
	return i;
}

/*
 * Ranges.  Each runs bytes [off, off + n) of the op in @x and returns the
 * bytes done: fewer than @n means a fault at off + the return value, a
 * difference (r->diff), or a stop (r->stop).  An offset is a multiple of 8
 * where a pattern is involved (split chunks are page multiples; a range
 * resumed after a miss starts wherever the miss was, and patterns are
 * laid out from the op's start), so patterns stay in phase.
 */

/* Front to back: also a memmove when the destination is below the source. */
static u64 pel_bounce_copy(struct pel_exec *x, struct pel_range *r,
			   u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0;

	while (done < n && !pel_range_stopped(x, r)) {
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(r, r->bounce, sqe->addr2 + off + done, c);

		got = pel_write(r, sqe->addr + off + done, r->bounce, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

/*
 * @buf <- the pattern as it lies at op offset @off: FILL and COMPARE_PATTERN
 * write and compare byte i of the op against byte i % 8 of the pattern.
 */
static void pel_fill_pattern_at(void *buf, size_t n, u64 pattern, u64 off)
{
	unsigned int shift = (off % 8) * 8;

	if (shift)
		pattern = (pattern >> shift) | (pattern << (64 - shift));
	pel_fill_pattern(buf, n, pattern);
}

static u64 pel_bounce_fill(struct pel_exec *x, struct pel_range *r,
			   u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0;

	pel_fill_pattern_at(r->bounce, min_t(u64, n, PEL_BOUNCE_SIZE),
			    sqe->arg0, off);
	while (done < n && !pel_range_stopped(x, r)) {
		/* Chunks are a multiple of 8 bytes: each starts in phase. */
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t put = pel_write(r, sqe->addr + off + done, r->bounce, c);

		done += put;
		if (put < c)
			break;
		cond_resched();
	}
	return done;
}

/*
 * COMPARE reads addr and addr2; COMPARE_PATTERN reads addr2 against the
 * pattern.  A difference sets r->diff (absolute offset) and ends the range
 * early; that is not a fault, and it stands even if a read also missed.
 */
static u64 pel_bounce_compare(struct pel_exec *x, struct pel_range *r,
			      u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	bool pattern = sqe->opcode == PEL_OP_COMPARE_PATTERN;
	void *ba = r->bounce, *bb = r->bounce + PEL_HALF;
	u64 done = 0;

	if (pattern)
		pel_fill_pattern_at(ba, min_t(u64, n, PEL_HALF), sqe->arg0, off);
	while (done < n && !pel_range_stopped(x, r)) {
		size_t c = min_t(u64, n - done, PEL_HALF);
		size_t got = pel_read(r, bb, sqe->addr2 + off + done, c);
		size_t i;

		if (!pattern)
			got = min(got, pel_read(r, ba, sqe->addr + off + done, c));
		if (memcmp(ba, bb, got)) {
			for (i = 0; i < got; i++)
				if (((u8 *)ba)[i] != ((u8 *)bb)[i])
					break;
			r->diff = off + done + i;
			r->stop = PEL_STOP_NONE;
			return done + i;
		}
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

/* CRC32C and COPY_CRC32C: r->crc continues over the range (raw, no inversion). */
static u64 pel_bounce_crc32c(struct pel_exec *x, struct pel_range *r,
			     u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	bool copy = sqe->opcode == PEL_OP_COPY_CRC32C;
	u64 done = 0;

	while (done < n && !pel_range_stopped(x, r)) {
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(r, r->bounce, sqe->addr2 + off + done, c);

		if (copy)
			got = pel_write(r, sqe->addr + off + done, r->bounce, got);
		r->crc = crc32c(r->crc, r->bounce, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

/*
 * How much of [uaddr, uaddr + n) can be written, from its start: the slow
 * path faults the pages in without writing them.
 */
static size_t pel_writable_prefix(u64 uaddr, size_t n)
{
	return n - fault_in_safe_writeable(u64_to_user_ptr(uaddr), n);
}

/*
 * Done means written to both destinations, and neither holds more: a chunk
 * is cut to what both can take before either is written.
 */
static u64 pel_bounce_dualcast(struct pel_exec *x, struct pel_range *r,
			       u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0;

	while (done < n && !pel_range_stopped(x, r)) {
		size_t want = min_t(u64, n - done, PEL_BOUNCE_SIZE), c, got;
		u64 d1 = sqe->addr + off + done, d2 = sqe->arg0 + off + done;

		c = pel_writable_prefix(d1, want);
		c = pel_writable_prefix(d2, c);
		got = pel_read(r, r->bounce, sqe->addr2 + off + done, c);
		got = pel_write(r, d1, r->bounce, got);
		got = pel_write(r, d2, r->bounce, got);
		done += got;
		if (got < want)
			break;
		cond_resched();
	}
	return done;
}

/*
 * xor_blocks() (the RAID code's template for the CPU: AVX, SSE) works in
 * lines of up to 512 bytes with aligned vector loads and stores, so it
 * takes a run only where both sides are PEL_XOR_ALIGN aligned, and whole
 * PEL_XOR_LINE multiples of it.
 */
#define PEL_XOR_ALIGN	64
#define PEL_XOR_LINE	512

/* acc[0, n) ^= src[0, n). */
static void pel_xor_into(void *acc, const void *src, size_t n)
{
	size_t i = 0;

	if (IS_REACHABLE(CONFIG_XOR_BLOCKS) && n >= PEL_XOR_LINE &&
	    IS_ALIGNED((unsigned long)acc | (unsigned long)src, PEL_XOR_ALIGN)) {
		void *srcs[1] = { (void *)src };

		i = round_down(n, PEL_XOR_LINE);
		xor_blocks(1, i, acc, srcs);
	}
	for (; i + sizeof(unsigned long) <= n; i += sizeof(unsigned long))
		*(unsigned long *)(acc + i) ^= *(const unsigned long *)(src + i);
	for (; i < n; i++)
		((u8 *)acc)[i] ^= ((const u8 *)src)[i];
}

/*
 * Each chunk is read from every source before it is written, so the
 * destination may be one of the sources; a write cut short leaves the
 * rest of the destination as it was, so going on from there is exact.
 */
static u64 pel_bounce_xor(struct pel_exec *x, struct pel_range *r,
			  u64 off, u64 n)
{
	void *acc = r->bounce, *tmp = r->bounce + PEL_HALF;
	const struct pel_sqe *sqe = x->sqe;
	unsigned int i;
	u64 done = 0;

	while (done < n && !pel_range_stopped(x, r)) {
		size_t c = min_t(u64, n - done, PEL_HALF);
		size_t got = pel_read(r, acc, x->srcs[0] + off + done, c);

		for (i = 1; i < x->nr_srcs && got; i++) {
			got = min(got, pel_read(r, tmp, x->srcs[i] + off + done, got));
			pel_xor_into(acc, tmp, got);
		}
		got = pel_write(r, sqe->addr + off + done, acc, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

/*
 * SHA256 is one stream: never split, its state lives in the exec, as
 * exported data (the handoff to the slow path copies the exec).
 */
static void pel_sha256_load(struct pel_exec *x, struct shash_desc *desc)
{
	desc->tfm = pel_sha256_tfm;
	/* Cannot fail: the state is one this tfm exported. */
	crypto_shash_import(desc, x->sha_state);
}

static void pel_sha256_save(struct pel_exec *x, struct shash_desc *desc)
{
	crypto_shash_export(desc, x->sha_state);
	shash_desc_zero(desc);
}

static u64 pel_bounce_sha256(struct pel_exec *x, struct pel_range *r,
			     u64 off, u64 n)
{
	SHASH_DESC_ON_STACK(desc, pel_sha256_tfm);
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0;

	pel_sha256_load(x, desc);
	while (done < n && !pel_range_stopped(x, r)) {
		size_t c = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		size_t got = pel_read(r, r->bounce, sqe->addr2 + off + done, c);

		crypto_shash_update(desc, r->bounce, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	pel_sha256_save(x, desc);
	return done;
}

/*
 * COPY has memmove semantics: when the destination starts inside the
 * source, copy back to front, a chunk at a time, so no source byte is
 * overwritten before it is read; @done counts bytes done at the end.  A
 * chunk is done whole or not at all, since a chunk written in part may
 * already have overwritten its own source: in place, a window is taken
 * whole or not at all (data.c); through the bounce buffer, the chunk is
 * read whole first, and a write cut short by a fault ends the op there,
 * whose tail bytes are then what it reports.  Never split.
 */
static u64 pel_bounce_copy_backward(struct pel_exec *x, struct pel_range *r,
				    u64 done)
{
	const struct pel_sqe *sqe = x->sqe;
	u64 len = sqe->len;

	while (done < len && !pel_range_stopped(x, r)) {
		size_t n = min_t(u64, len - done, PEL_BOUNCE_SIZE);
		u64 off = len - done - n;

		if (pel_read(r, r->bounce, sqe->addr2 + off, n) < n)
			break;
		if (pel_write(r, sqe->addr + off, r->bounce, n) < n)
			break;
		done += n;
		cond_resched();
	}
	return done;
}

/*
 * In place (data.c): the same ops on mapped pages or registered buffers,
 * piece by piece.  A walk stops at a page it cannot have (PEL_STOP_MISS)
 * with exactly the bytes before it done.
 */
/* The source side at op offset @off: addr2 in memory, or in the file. */
static void pel_walk_add_src(struct pel_walk *w, struct pel_exec *x, u64 off)
{
	if (x->file)
		pel_walk_add_file(w, x->file, x->sqe->addr2 + off);
	else
		pel_walk_add(w, x->sqe->addr2 + off, pel_kat(x->kaddr2, off),
			     false);
}

static u64 pel_place_copy(struct pel_exec *x, struct pel_range *r,
			  u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	struct pel_walk w;
	size_t len;

	pel_walk_init(&w, x, r, n, false);
	pel_walk_add(&w, sqe->addr + off, pel_kat(x->kaddr, off), true);
	pel_walk_add_src(&w, x, off);
	if (x->stream) {
		while ((len = pel_walk_next(&w)))
			memcpy_flushcache(w.map[0], w.map[1], len);
		/* Non-temporal stores are weakly ordered: before the CQE. */
		wmb();
		return pel_walk_end(&w, 0);
	}
	/* memmove: a destination below its source, front to back. */
	while ((len = pel_walk_next(&w)))
		memmove(w.map[0], w.map[1], len);
	return pel_walk_end(&w, 0);
}

static u64 pel_place_copy_backward(struct pel_exec *x, struct pel_range *r,
				   u64 done)
{
	const struct pel_sqe *sqe = x->sqe;
	struct pel_walk w;
	size_t len;

	pel_walk_init(&w, x, r, sqe->len - done, true);
	pel_walk_add(&w, sqe->addr, x->kaddr, true);
	pel_walk_add(&w, sqe->addr2, x->kaddr2, false);
	while ((len = pel_walk_next(&w)))
		memmove(w.map[0], w.map[1], len);
	return done + pel_walk_end(&w, 0);
}

static u64 pel_place_fill(struct pel_exec *x, struct pel_range *r,
			  u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	struct pel_walk w;
	size_t len;

	pel_walk_init(&w, x, r, n, false);
	pel_walk_add(&w, sqe->addr + off, pel_kat(x->kaddr, off), true);
	while ((len = pel_walk_next(&w)))
		pel_fill_pattern_at(w.map[0], len, sqe->arg0,
				    off + pel_walk_at(&w));
	return pel_walk_end(&w, 0);
}

/*
 * The first difference of @p against the pattern at op offset @at; @pat
 * holds PEL_HALF + 8 bytes of the pattern from phase 0.
 */
static size_t pel_pattern_diff(const u8 *p, size_t n, const u8 *pat, u64 at)
{
	size_t i, c, d;

	for (i = 0; i < n; i += c) {
		c = min_t(size_t, n - i, PEL_HALF);
		d = pel_first_diff(p + i, pat + (at + i) % 8, c);
		if (d < c)
			return i + d;
	}
	return n;
}

static u64 pel_place_compare(struct pel_exec *x, struct pel_range *r,
			     u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	bool pattern = sqe->opcode == PEL_OP_COMPARE_PATTERN;
	struct pel_walk w;
	size_t len, d;
	u64 at;

	pel_walk_init(&w, x, r, n, false);
	pel_walk_add_src(&w, x, off);
	if (pattern)
		pel_fill_pattern(r->bounce, PEL_HALF + 8, sqe->arg0);
	else
		pel_walk_add(&w, sqe->addr + off, pel_kat(x->kaddr, off), false);
	while ((len = pel_walk_next(&w))) {
		at = off + pel_walk_at(&w);
		if (pattern)
			d = pel_pattern_diff(w.map[0], len, r->bounce, at);
		else
			d = pel_first_diff(w.map[1], w.map[0], len);
		if (d < len) {
			r->diff = at + d;
			r->stop = PEL_STOP_NONE;
			return pel_walk_end(&w, d);
		}
	}
	return pel_walk_end(&w, 0);
}

static u64 pel_place_crc32c(struct pel_exec *x, struct pel_range *r,
			    u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	bool copy = sqe->opcode == PEL_OP_COPY_CRC32C;
	struct pel_walk w;
	size_t len;

	pel_walk_init(&w, x, r, n, false);
	pel_walk_add_src(&w, x, off);
	if (copy)
		pel_walk_add(&w, sqe->addr + off, pel_kat(x->kaddr, off), true);
	while ((len = pel_walk_next(&w))) {
		/*
		 * A file's page may change under us (a write, a truncate's
		 * zeroing): the CRC is of the bytes the destination got.
		 */
		if (copy && x->file) {
			memcpy(w.map[1], w.map[0], len);
			r->crc = crc32c(r->crc, w.map[1], len);
			continue;
		}
		/* The CRC of the bytes as read, as through the bounce buffer. */
		r->crc = crc32c(r->crc, w.map[0], len);
		if (copy)
			memcpy(w.map[1], w.map[0], len);
	}
	return pel_walk_end(&w, 0);
}

/* A piece is held in both destinations before either is written. */
static u64 pel_place_dualcast(struct pel_exec *x, struct pel_range *r,
			      u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	struct pel_walk w;
	size_t len;

	pel_walk_init(&w, x, r, n, false);
	pel_walk_add_src(&w, x, off);
	pel_walk_add(&w, sqe->addr + off, pel_kat(x->kaddr, off), true);
	pel_walk_add(&w, sqe->arg0 + off, pel_kat(x->karg0, off), true);
	while ((len = pel_walk_next(&w))) {
		memcpy(w.map[1], w.map[0], len);
		memcpy(w.map[2], w.map[0], len);
	}
	return pel_walk_end(&w, 0);
}

/*
 * acc[0, n) <- (or ^=) the bytes of span @s.  The accumulator is the
 * runner's bounce buffer: every source of a window is read into it before
 * the destination, which may be one of them, is written.
 */
static void pel_span_to_acc(struct pel_span *s, u8 *acc, size_t n, bool first)
{
	size_t pos, len;
	void *p;

	for (pos = 0; pos < n; pos += len) {
		p = pel_span_map(s, pos, &len);
		len = min(len, n - pos);
		if (first)
			memcpy(acc + pos, p, len);
		else
			pel_xor_into(acc + pos, p, len);
		pel_span_unmap(s, p);
	}
}

static void pel_acc_to_span(struct pel_span *s, const u8 *acc, size_t n)
{
	size_t pos, len;
	void *p;

	for (pos = 0; pos < n; pos += len) {
		p = pel_span_map(s, pos, &len);
		len = min(len, n - pos);
		memcpy(p, acc + pos, len);
		pel_span_unmap(s, p);
	}
}

static u64 pel_place_xor(struct pel_exec *x, struct pel_range *r,
			 u64 off, u64 n)
{
	const struct pel_sqe *sqe = x->sqe;
	struct pel_span dst, src;
	unsigned int i;
	u64 done = 0, at;
	size_t want, c;

	while (done < n && !pel_range_stopped(x, r)) {
		want = min_t(u64, n - done, PEL_BOUNCE_SIZE);
		at = off + done;
		c = pel_span_get(&dst, sqe->addr + at, pel_kat(x->kaddr, at),
				 want, true);
		for (i = 0; i < x->nr_srcs && c; i++) {
			c = min(c, pel_span_get(&src, x->srcs[i] + at,
						pel_kat(x->ksrcs[i], at), c,
						false));
			pel_span_to_acc(&src, r->bounce, c, !i);
			pel_span_put(&src);
		}
		pel_span_trim(&dst, c);
		pel_acc_to_span(&dst, r->bounce, c);
		pel_span_put(&dst);
		done += c;
		if (c < want) {
			r->stop = PEL_STOP_MISS;
			break;
		}
		cond_resched();
	}
	return done;
}

static u64 pel_place_sha256(struct pel_exec *x, struct pel_range *r,
			    u64 off, u64 n)
{
	SHASH_DESC_ON_STACK(desc, pel_sha256_tfm);
	struct pel_walk w;
	size_t len;
	u64 done;

	pel_sha256_load(x, desc);
	pel_walk_init(&w, x, r, n, false);
	pel_walk_add_src(&w, x, off);
	while ((len = pel_walk_next(&w)))
		crypto_shash_update(desc, w.map[0], len);
	done = pel_walk_end(&w, 0);
	pel_sha256_save(x, desc);
	return done;
}

/*
 * File ranges (PEL_SQE_FILE).  A shared worker reads the page cache in
 * place (pel_walk_add_src(): a folio absent or not uptodate is a miss,
 * data.c); the slow path and a waiting owner read the file with
 * kernel_read() through the bounce buffer, which may sleep, read ahead and
 * go to the disk.  addr (COPY's destination, COMPARE's other side) is user
 * memory or a registered buffer (x->kaddr), as for a memory op.  A range
 * that meets EOF (r->eof) or an I/O error (r->ioerr) ends short with no
 * stop; pel_file_range() notes where in x->file_end or x->file_err, and
 * the finish tells the two from a fault of addr.
 */

/* Bytes of the file read at @pos into @buf: short at EOF or an error. */
static size_t pel_file_read(struct pel_exec *x, struct pel_range *r,
			    void *buf, u64 pos, size_t n)
{
	loff_t p = pos;
	size_t done = 0;
	ssize_t ret;

	while (done < n) {
		ret = kernel_read(x->file, buf + done, n - done, &p);
		if (ret <= 0) {
			if (ret)
				r->ioerr = true;
			else
				r->eof = true;
			break;
		}
		done += ret;
	}
	return done;
}

/* addr's side: a registered buffer, or user memory as the runner may. */
static size_t pel_file_mem_read(struct pel_exec *x, struct pel_range *r,
				void *to, u64 at, size_t n)
{
	if (x->kaddr) {
		memcpy(to, x->kaddr + at, n);
		return n;
	}
	return pel_read(r, to, x->sqe->addr + at, n);
}

static size_t pel_file_mem_write(struct pel_exec *x, struct pel_range *r,
				 u64 at, const void *from, size_t n)
{
	if (x->kaddr) {
		memcpy(x->kaddr + at, from, n);
		return n;
	}
	return pel_write(r, x->sqe->addr + at, from, n);
}

static u64 pel_file_bounce(struct pel_exec *x, struct pel_range *r,
			   u64 off, u64 n)
{
	SHASH_DESC_ON_STACK(desc, pel_sha256_tfm);
	const struct pel_sqe *sqe = x->sqe;
	u8 op = sqe->opcode;
	bool cmp = op == PEL_OP_COMPARE, sha = op == PEL_OP_SHA256;
	bool crc = op == PEL_OP_CRC32C || op == PEL_OP_COPY_CRC32C;
	bool copy = op == PEL_OP_COPY || op == PEL_OP_COPY_CRC32C;
	size_t max = cmp ? PEL_HALF : PEL_BOUNCE_SIZE, c, got, m, d;
	u8 *buf = r->bounce, *mem = r->bounce + PEL_HALF;
	u64 done = 0, at;

	if (sha)
		pel_sha256_load(x, desc);
	while (done < n && !pel_range_stopped(x, r)) {
		c = min_t(u64, n - done, max);
		at = off + done;
		got = pel_file_read(x, r, buf, sqe->addr2 + at, c);
		m = got;
		if (cmp)
			m = pel_file_mem_read(x, r, mem, at, got);
		else if (copy)
			m = pel_file_mem_write(x, r, at, buf, got);
		/* A fault of addr comes first: it is what ends the range. */
		if (m < got) {
			r->eof = false;
			r->ioerr = false;
			got = m;
		}
		if (cmp) {
			d = pel_first_diff(buf, mem, got);
			if (d < got) {
				r->diff = at + d;
				r->stop = PEL_STOP_NONE;
				r->eof = false;
				r->ioerr = false;
				done += d;
				break;
			}
		}
		if (crc)
			r->crc = crc32c(r->crc, buf, got);
		if (sha)
			crypto_shash_update(desc, buf, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	if (sha)
		pel_sha256_save(x, desc);
	return done;
}

/* The lowest offset where a range of the op ended at EOF or an error. */
static void pel_file_note(struct pel_exec *x, u64 *where, u64 at)
{
	if (!x->split) {
		*where = min(*where, at);
		return;
	}
	spin_lock(&x->split_lock);
	*where = min(*where, at);
	spin_unlock(&x->split_lock);
}

static u64 pel_file_range(struct pel_exec *x, struct pel_range *r,
			  u64 off, u64 n)
{
	u64 got;

	r->eof = false;
	r->ioerr = false;
	if (!r->nofault)
		got = pel_file_bounce(x, r, off, n);
	else if (x->sqe->opcode == PEL_OP_COPY)
		got = pel_place_copy(x, r, off, n);
	else if (x->sqe->opcode == PEL_OP_COMPARE)
		got = pel_place_compare(x, r, off, n);
	else if (x->sqe->opcode == PEL_OP_SHA256)
		got = pel_place_sha256(x, r, off, n);
	else
		got = pel_place_crc32c(x, r, off, n);
	if (r->eof)
		pel_file_note(x, &x->file_end, off + got);
	else if (r->ioerr)
		pel_file_note(x, &x->file_err, off + got);
	return got;
}

/*
 * Per-block digests (PEL_OPF_BLOCKS on CRC32C and SHA256): one digest of
 * every arg1 bytes of the source, into the array at addr.  A range starts
 * at a block boundary and runs group after group of whole blocks: the
 * group's source is read (in place, or through the bounce buffer's first
 * half), each block's digest made once the block was read whole, into the
 * bounce buffer's second half, and then the group's digests are written
 * to the array as any destination is (in place on a shared worker: a page
 * not there is a miss; copy_to_user() in the slow path).  A range returns
 * the bytes of the blocks whose digests are written, so a miss, a park or
 * a fault loses at most the block it is in (hashed again from its start
 * when the op goes on), and an EOF ends the last block short.
 */

/* Digests staged per group: the bounce buffer's second half. */
#define PEL_BLK_STAGE		PEL_HALF
/* Source bytes per group, unless one block is longer. */
#define PEL_BLK_GROUP		(1024 * 1024)

struct pel_blk {
	u64 bs;				/* block size */
	unsigned int dsize;		/* bytes per digest */
	u32 seed;			/* pre-inverted, as a CRC32C op's */
	u32 crc;			/* CRC32C: the block's running raw CRC */
	struct shash_desc *desc;	/* SHA256, or NULL */
	u64 in;				/* bytes of the current block hashed */
	u8 *dig;			/* the group's digests */
	unsigned int nb;		/* digests made in the group */
};

/* The current block is over (whole, or the op's or the file's end). */
static void pel_blk_close(struct pel_blk *b)
{
	u8 *out = b->dig + (size_t)b->nb * b->dsize;
	u32 crc = ~b->crc;

	if (b->desc)
		crypto_shash_final(b->desc, out);
	else
		memcpy(out, &crc, sizeof(crc));
	b->nb++;
	b->in = 0;
}

static void pel_blk_update(struct pel_blk *b, const u8 *p, size_t n)
{
	size_t c;

	while (n) {
		if (!b->in) {
			if (b->desc)
				crypto_shash_init(b->desc);
			else
				b->crc = b->seed;
		}
		c = min_t(u64, n, b->bs - b->in);
		if (b->desc)
			crypto_shash_update(b->desc, p, c);
		else
			b->crc = crc32c(b->crc, p, c);
		b->in += c;
		p += c;
		n -= c;
		if (b->in == b->bs)
			pel_blk_close(b);
	}
}

/* Source bytes [off, off + n) of the op, in place; the bytes hashed. */
static noinline_for_stack u64 pel_blk_place_src(struct pel_exec *x,
						struct pel_range *r,
						struct pel_blk *b, u64 off,
						u64 n)
{
	struct pel_walk w;
	size_t len;

	pel_walk_init(&w, x, r, n, false);
	pel_walk_add_src(&w, x, off);
	while ((len = pel_walk_next(&w)))
		pel_blk_update(b, w.map[0], len);
	return pel_walk_end(&w, 0);
}

/* The same through the bounce buffer: copy_from_user(), kernel_read(). */
static u64 pel_blk_bounce_src(struct pel_exec *x, struct pel_range *r,
			      struct pel_blk *b, u64 off, u64 n)
{
	u64 pos = x->sqe->addr2 + off, done = 0;
	size_t c, got;

	while (done < n) {
		if (done && pel_range_stopped(x, r))
			break;
		c = min_t(u64, n - done, PEL_HALF);
		if (x->file)
			got = pel_file_read(x, r, r->bounce, pos + done, c);
		else
			got = pel_read(r, r->bounce, pos + done, c);
		pel_blk_update(b, r->bounce, got);
		done += got;
		if (got < c)
			break;
		cond_resched();
	}
	return done;
}

/*
 * @n bytes of digests to the array from its byte @at: the whole digests
 * written.  In place a page not there now is a miss (r->stop).
 */
static noinline_for_stack size_t pel_blk_put(struct pel_exec *x,
					     struct pel_range *r,
					     struct pel_blk *b, u64 at,
					     size_t n)
{
	struct pel_span s;
	size_t got, pos, len;
	void *p;

	if (x->kaddr) {
		memcpy(x->kaddr + at, b->dig, n);
		return n;
	}
	if (!r->nofault)
		return pel_write(r, x->sqe->addr + at, b->dig, n) / b->dsize;
	/* A group's digests fit one window (PEL_BLK_STAGE). */
	got = pel_span_get(&s, x->sqe->addr + at, NULL, n, true);
	for (pos = 0; pos < got; pos += len) {
		p = pel_span_map(&s, pos, &len);
		memcpy(p, b->dig + pos, len);
		pel_span_unmap(&s, p);
	}
	pel_span_put(&s);
	if (got < n)
		r->stop = PEL_STOP_MISS;
	return got / b->dsize;
}

static u64 pel_range_blocks(struct pel_exec *x, struct pel_range *r,
			    u64 off, u64 n)
{
	SHASH_DESC_ON_STACK(desc, pel_sha256_tfm);
	const struct pel_sqe *sqe = x->sqe;
	u64 done = 0, g, got, whole;
	struct pel_blk b = {
		.bs = x->block,
		.dsize = pel_blocks_dsize(sqe),
		.seed = ~(u32)sqe->arg0,
		.dig = r->bounce + PEL_HALF,
	};
	bool place = x->file ? r->nofault : pel_in_place(x, r);
	size_t w;

	if (sqe->opcode == PEL_OP_SHA256) {
		desc->tfm = pel_sha256_tfm;
		b.desc = desc;
	}
	r->eof = false;
	r->ioerr = false;
	/* Whole blocks a group holds: their digests fit the stage. */
	g = b.bs >= PEL_BLK_GROUP ? b.bs :
	    min_t(u64, PEL_BLK_STAGE / b.dsize, PEL_BLK_GROUP / b.bs) * b.bs;
	while (done < n && !pel_range_stopped(x, r)) {
		u64 want = min(g, n - done);

		b.nb = 0;
		b.in = 0;
		if (place)
			got = pel_blk_place_src(x, r, &b, off + done, want);
		else
			got = pel_blk_bounce_src(x, r, &b, off + done, want);
		/* The op's last block, or the file's: short, but whole. */
		if (b.in && (got == n - done || r->eof))
			pel_blk_close(&b);
		whole = got == want || r->eof ? got : (u64)b.nb * b.bs;
		w = b.nb ? pel_blk_put(x, r, &b,
				       div64_u64(off + done, b.bs) * b.dsize,
				       (size_t)b.nb * b.dsize) : 0;
		if (w < b.nb) {
			/* The array ends the range: not the source. */
			done += (u64)w * b.bs;
			r->eof = false;
			r->ioerr = false;
			break;
		}
		done += whole;
		if (got < want)
			break;
		cond_resched();
	}
	if (r->eof)
		pel_file_note(x, &x->file_end, off + done);
	else if (r->ioerr)
		pel_file_note(x, &x->file_err, off + done);
	/* A CRC32C op's desc has no tfm: nothing to wipe. */
	if (b.desc)
		shash_desc_zero(b.desc);
	return done;
}

/* The op table's ranges: in place, or through the bounce buffer. */
#define PEL_RANGE(name)							\
static u64 pel_range_##name(struct pel_exec *x, struct pel_range *r,	\
			    u64 off, u64 n)				\
{									\
	if (x->block)	/* CRC32C and SHA256 only: prep says so */	\
		return pel_range_blocks(x, r, off, n);			\
	if (x->file)							\
		return pel_file_range(x, r, off, n);			\
	if (pel_in_place(x, r))						\
		return pel_place_##name(x, r, off, n);			\
	return pel_bounce_##name(x, r, off, n);				\
}

PEL_RANGE(copy)
PEL_RANGE(fill)
PEL_RANGE(compare)
PEL_RANGE(crc32c)
PEL_RANGE(dualcast)
PEL_RANGE(xor)
PEL_RANGE(sha256)

static u64 pel_copy_backward(struct pel_exec *x, struct pel_range *r, u64 done)
{
	if (pel_in_place(x, r))
		return pel_place_copy_backward(x, r, done);
	return pel_bounce_copy_backward(x, r, done);
}

/*
 * Finishing: turn @done, the bytes done before the first fault (len when
 * none), into (res, result).
 */
/*
 * What ended a range short at @done: a file op's EOF (0: a success over
 * the bytes before it), its I/O error (-EIO), else a fault (-EFAULT).
 */
static int pel_short_err(const struct pel_exec *x, u64 done)
{
	if (x->file && done == x->file_end)
		return 0;
	if (x->file && done == x->file_err)
		return -EIO;
	return -EFAULT;
}

static s64 pel_finish_bytes(struct pel_exec *x, struct pel_range *r, u64 done,
			    u64 *result)
{
	int err;

	*result = done;
	if (done < x->sqe->len) {
		err = pel_short_err(x, done);
		if (err)
			return err;
	}
	return done;
}

/* The first difference counts only if it precedes any fault. */
static s64 pel_finish_compare(struct pel_exec *x, struct pel_range *r,
			      u64 done, u64 *result)
{
	if (x->diff <= done && x->diff < x->sqe->len) {
		*result = x->diff;
		return 1;
	}
	*result = done;
	if (done < x->sqe->len) {
		int err = pel_short_err(x, done);

		if (err)
			return err;
		/*
		 * A file that ends inside the range differs from the buffer
		 * there, as cmp(1) says "EOF on": 1, at the bytes up to EOF.
		 */
		return 1;
	}
	*result = 0;
	return 0;
}

/*
 * PEL_OPF_BLOCKS: res the bytes done (short at EOF), result the digests
 * written; a fault or read error with result the bytes of the whole
 * blocks before it (@done is whole blocks then).
 */
static s64 pel_finish_blocks(struct pel_exec *x, u64 done, u64 *result)
{
	int err = done < x->sqe->len ? pel_short_err(x, done) : 0;

	if (err) {
		*result = done;
		return err;
	}
	*result = div64_u64(done + x->block - 1, x->block);
	return done;
}

static s64 pel_finish_crc32c(struct pel_exec *x, struct pel_range *r, u64 done,
			     u64 *result)
{
	if (x->block)
		return pel_finish_blocks(x, done, result);
	if (done == x->sqe->len || !pel_short_err(x, done)) {
		*result = ~x->crc;
		return done;
	}
	return pel_finish_bytes(x, r, done, result);
}

/* The digest goes to user memory only once the whole source was read. */
static s64 pel_finish_sha256(struct pel_exec *x, struct pel_range *r, u64 done,
			     u64 *result)
{
	if (x->block)
		return pel_finish_blocks(x, done, result);
	*result = done;
	/* A file op short at EOF: the digest of the bytes before it. */
	if (done < x->sqe->len && pel_short_err(x, done))
		return pel_short_err(x, done);
	if (!x->digest_ready) {
		SHASH_DESC_ON_STACK(desc, pel_sha256_tfm);

		pel_sha256_load(x, desc);
		crypto_shash_final(desc, x->digest);
		shash_desc_zero(desc);
		x->digest_ready = true;
	}
	if (x->kaddr)
		memcpy(x->kaddr, x->digest, sizeof(x->digest));
	else if (pel_write(r, x->sqe->addr, x->digest, sizeof(x->digest)) <
		 sizeof(x->digest))
		return -EFAULT;
	*result = 0;
	return done;
}

static s64 pel_run_nop(struct pel_exec *x, u64 *result)
{
	return 0;
}

/* The canceller's context: CANCEL acts within it only. */
static s64 pel_run_cancel(struct pel_exec *x, u64 *result)
{
	return pel_worker_cancel(x->ctx, x->sqe->arg0);
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

static int pel_prep_sha256(const struct pel_sqe *sqe)
{
	if (!pel_range_ok(sqe->addr, PEL_SHA256_DIGEST_SIZE))
		return -EINVAL;
	return pel_prep_src(sqe);
}

/* Whether COPY's two ranges overlap: then it is never split. */
static bool pel_copy_overlaps(const struct pel_sqe *sqe)
{
	return sqe->addr < sqe->addr2 + sqe->len &&
	       sqe->addr2 < sqe->addr + sqe->len;
}

/*
 * A COPY this long streams: its destination would evict the caches and is
 * not read back soon.  It is copied with non-temporal stores
 * (memcpy_flushcache(): movnti on x86-64, plain memcpy() elsewhere), as
 * glibc's memcpy() does past its own threshold.  Shorter ones use memmove(),
 * whose "rep movsb" is also the slow case of an emulated CPU (TCG).
 */
#define PEL_STREAM_BYTES	(4 << 20)

/*
 * COPY has memmove semantics: into its own source's tail it runs back to
 * front, and two ranges that overlap either way are never split (chunks
 * running at once would overwrite each other's source).
 */
static int pel_init_copy(struct pel_exec *x)
{
	const struct pel_sqe *sqe = x->sqe;

	/* A file's offset does not overlap memory. */
	if (!(sqe->flags & PEL_SQE_FILE)) {
		x->backward = sqe->addr > sqe->addr2 &&
			      sqe->addr < sqe->addr2 + sqe->len;
		x->no_split = pel_copy_overlaps(sqe);
	}
	x->stream = !x->no_split && sqe->len >= PEL_STREAM_BYTES;
	return 0;
}

/* XOR's source list is read before its first range (pel_load_xor_srcs()). */
static int pel_init_xor(struct pel_exec *x)
{
	x->loaded = false;
	return 0;
}

static int pel_init_sha256(struct pel_exec *x)
{
	SHASH_DESC_ON_STACK(desc, pel_sha256_tfm);
	int ret;

	desc->tfm = pel_sha256_tfm;
	ret = crypto_shash_init(desc);
	if (!ret)
		pel_sha256_save(x, desc);
	return ret;
}

/*
 * Chunk CRCs (raw, from 0) in order, as one range: __crc32c_le_shift().
 * A file op that ended at EOF (first_fault) merges the bytes before it.
 */
static void pel_merge_crc32c(struct pel_exec *x)
{
	u64 end = x->first_fault == U64_MAX ? x->sqe->len : x->first_fault;
	u32 crc = x->crc;	/* the pre-inverted seed */
	unsigned int i;
	u64 at;

	/* Per-block digests: the chunks wrote theirs, nothing to combine. */
	if (x->block)
		return;
	for (i = 0; i < x->nr_chunks; i++) {
		at = (u64)i * x->chunk;
		if (at >= end)
			break;
		crc = __crc32c_le_shift(crc, min(pel_chunk_len(x, i), end - at)) ^
		      x->chunk_crc[i];
	}
	x->crc = crc;
}

static const struct pel_op_def pel_ops[PEL_OP_LAST] = {
	[PEL_OP_NOP] = {
		.name = "nop",
		.run = pel_run_nop,
	},
	[PEL_OP_COPY] = {
		.name = "copy",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_copy,
		.range = pel_range_copy,
		.finish = pel_finish_bytes,
		.init = pel_init_copy,
	},
	[PEL_OP_FILL] = {
		.name = "fill",
		.uses = PEL_USES_ADDR | PEL_USES_LEN | PEL_USES_ARG0,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_dst,
		.range = pel_range_fill,
		.finish = pel_finish_bytes,
	},
	[PEL_OP_COMPARE] = {
		.name = "compare",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_compare,
		.range = pel_range_compare,
		.finish = pel_finish_compare,
	},
	[PEL_OP_COMPARE_PATTERN] = {
		.name = "compare_pattern",
		.uses = PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_src,
		.range = pel_range_compare,
		.finish = pel_finish_compare,
	},
	[PEL_OP_CRC32C] = {
		.name = "crc32c",
		.uses = PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_crc32c,
		.range = pel_range_crc32c,
		.finish = pel_finish_crc32c,
		.merge = pel_merge_crc32c,
	},
	[PEL_OP_COPY_CRC32C] = {
		.name = "copy_crc32c",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_copy_crc32c,
		.range = pel_range_crc32c,
		.finish = pel_finish_crc32c,
		.merge = pel_merge_crc32c,
	},
	[PEL_OP_DUALCAST] = {
		.name = "dualcast",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_dualcast,
		.range = pel_range_dualcast,
		.finish = pel_finish_bytes,
	},
	[PEL_OP_XOR] = {
		.name = "xor",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN | PEL_USES_ARG0,
		.needs_mm = true,
		.can_split = true,
		.prep = pel_prep_xor,
		.range = pel_range_xor,
		.finish = pel_finish_bytes,
		.init = pel_init_xor,
	},
	[PEL_OP_SHA256] = {
		.name = "sha256",
		.uses = PEL_USES_ADDR | PEL_USES_ADDR2 | PEL_USES_LEN,
		.needs_mm = true,
		.prep = pel_prep_sha256,
		.range = pel_range_sha256,
		.finish = pel_finish_sha256,
		.init = pel_init_sha256,
	},
	[PEL_OP_CANCEL] = {
		.name = "cancel",
		.uses = PEL_USES_ARG0,
		.run = pel_run_cancel,
	},
};

/* At load: every opcode has a name and exactly one way to run. */
static int pel_ops_check(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pel_ops); i++) {
		const struct pel_op_def *op = &pel_ops[i];

		if (!op->name || !op->run == !op->range ||
		    (op->range && !op->finish) || (op->can_split && !op->range) ||
		    (op->merge && !op->can_split)) {
			pr_err("pel: op %u is incomplete in the op table\n", i);
			return -EINVAL;
		}
	}
	return 0;
}

int pel_ops_init(void)
{
	struct crypto_shash *tfm;
	int ret;

	ret = pel_ops_check();
	if (ret)
		return ret;
	tfm = crypto_alloc_shash("sha256", 0, 0);
	if (IS_ERR(tfm)) {
		pr_err("pel: no sha256 shash: %ld\n", PTR_ERR(tfm));
		return PTR_ERR(tfm);
	}
	/* An op's state travels in its pel_exec, which has fixed room. */
	if (crypto_shash_statesize(tfm) > PEL_SHA256_STATE_SIZE) {
		pr_err("pel: sha256 state of %s is %u bytes, room for %u\n",
		       crypto_shash_driver_name(tfm),
		       crypto_shash_statesize(tfm), PEL_SHA256_STATE_SIZE);
		crypto_free_shash(tfm);
		return -EINVAL;
	}
	pel_sha256_tfm = tfm;
	return 0;
}

void pel_ops_exit(void)
{
	crypto_free_shash(pel_sha256_tfm);
}

/*
 * PEL_SQE_FILE: the five ops that take a file range as their source;
 * addr2 is a file offset, and the range must fit a loff_t.
 */
static int pel_prep_file(const struct pel_sqe *sqe)
{
	if (sqe->addr2 > (u64)LLONG_MAX - sqe->len)
		return -EINVAL;
	switch (sqe->opcode) {
	case PEL_OP_CRC32C:
		return sqe->arg0 > U32_MAX ? -EINVAL : 0;
	case PEL_OP_COPY_CRC32C:
		if (sqe->arg0 > U32_MAX)
			return -EINVAL;
		fallthrough;
	case PEL_OP_COPY:
	case PEL_OP_COMPARE:
		return pel_range_ok(sqe->addr, sqe->len) ? 0 : -EINVAL;
	case PEL_OP_SHA256:
		return pel_range_ok(sqe->addr, PEL_SHA256_DIGEST_SIZE) ?
		       0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

/*
 * PEL_OPF_BLOCKS, the op's own checks (ops.md, "Per-block digests", 2
 * and 3): CRC32C's seed; the digest array and the source (memory, or a
 * file range that fits a loff_t) must not wrap; then, with bytes to do,
 * a NULL array, or a NULL memory source, is -EFAULT.
 */
static int pel_prep_blocks(const struct pel_sqe *sqe)
{
	bool file = sqe->flags & PEL_SQE_FILE;

	if (sqe->opcode == PEL_OP_CRC32C && sqe->arg0 > U32_MAX)
		return -EINVAL;
	if (!pel_range_ok(sqe->addr, pel_blocks_array_len(sqe)))
		return -EINVAL;
	if (file ? sqe->addr2 > (u64)LLONG_MAX - sqe->len :
		   !pel_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	if (!sqe->len)
		return 0;
	if (!sqe->addr || (!file && !sqe->addr2))
		return -EFAULT;
	return 0;
}

/*
 * op_flags and arg1: PEL_OPF_BLOCKS alone, on CRC32C and SHA256 only,
 * with a block size of PEL_BLOCK_MIN..PEL_MAX_OP_LEN (a 64-bit compare);
 * arg1 without it is an unused field.
 */
static int pel_prep_op_flags(const struct pel_sqe *sqe)
{
	if (sqe->op_flags & ~PEL_OPF_BLOCKS)
		return -EINVAL;
	if (!(sqe->op_flags & PEL_OPF_BLOCKS))
		return sqe->arg1 ? -EINVAL : 0;
	if (sqe->opcode != PEL_OP_CRC32C && sqe->opcode != PEL_OP_SHA256)
		return -EINVAL;
	if (sqe->arg1 < PEL_BLOCK_MIN || sqe->arg1 > PEL_MAX_OP_LEN)
		return -EINVAL;
	return 0;
}

/* The checks every SQE gets: opcode, flags, reserved and unused fields. */
static int pel_prep_common(const struct pel_sqe *sqe,
			   const struct pel_op_def **opp)
{
	const struct pel_op_def *op;
	u8 uses;

	if (sqe->opcode >= PEL_OP_LAST || sqe->flags & ~PEL_SQE_FLAGS_ALL)
		return -EINVAL;
	if (pel_prep_op_flags(sqe))
		return -EINVAL;
	if (sqe->file_index && !(sqe->flags & PEL_SQE_FILE))
		return -EINVAL;
	if (!(sqe->flags & PEL_SQE_DEADLINE) && sqe->deadline_ns)
		return -EINVAL;
	op = &pel_ops[sqe->opcode];
	uses = op->uses;
	/* With BLOCKS, CRC32C writes too: its digest array at addr. */
	if (sqe->op_flags & PEL_OPF_BLOCKS)
		uses |= PEL_USES_ADDR;
	if ((!(uses & PEL_USES_ADDR) && sqe->addr) ||
	    (!(uses & PEL_USES_ADDR2) && sqe->addr2) ||
	    (!(uses & PEL_USES_LEN) && sqe->len) ||
	    (!(uses & PEL_USES_ARG0) && sqe->arg0))
		return -EINVAL;
	if (sqe->len > PEL_MAX_OP_LEN)
		return -EINVAL;
	*opp = op;
	if (sqe->op_flags & PEL_OPF_BLOCKS)
		return pel_prep_blocks(sqe);
	if (sqe->flags & PEL_SQE_FILE)
		return pel_prep_file(sqe);
	return op->prep ? op->prep(sqe) : 0;
}

/*
 * Validate the SQE (already a kernel copy) and make @x ready to run it.
 * Returns 0, or the -errno its CQE gets.
 */
int pel_op_prep(struct pel_exec *x, struct pel_ctx *ctx,
		const struct pel_sqe *sqe)
{
	const struct pel_op_def *op;
	int ret;

	x->rbufs = NULL;
	x->file = NULL;
	ret = pel_prep_common(sqe, &op);
	if (ret)
		return ret;
	x->sqe = sqe;
	x->op = op;
	x->ctx = ctx;
	x->loaded = true;
	x->backward = false;
	x->split = false;
	x->no_split = false;
	x->stream = false;
	x->digest_ready = false;
	x->done = 0;
	x->diff = U64_MAX;
	/* CRCs are pre-inverted: seed 0 starts a standard CRC-32C. */
	x->crc = ~(u32)sqe->arg0;
	x->kaddr = NULL;
	x->kaddr2 = NULL;
	x->karg0 = NULL;
	x->file_end = U64_MAX;
	x->file_err = U64_MAX;
	x->block = sqe->op_flags & PEL_OPF_BLOCKS ? sqe->arg1 : 0;
	/* The op's own reference: unregister and close leave it its file. */
	if (sqe->flags & PEL_SQE_FILE) {
		x->file = pel_files_get(ctx, sqe->file_index);
		if (!x->file)
			return -EBADF;
	}
	/* Registered buffers: every address resolved now, or -EFAULT. */
	if (sqe->flags & PEL_SQE_FIXED) {
		ret = pel_rbufs_prep(x);
		if (ret)
			return ret;
	}
	return op->init ? op->init(x) : 0;
}

/* XOR's source list is read once, into kernel memory, before any range. */
static int pel_load_xor_srcs(struct pel_exec *x, struct pel_range *r)
{
	const struct pel_sqe *sqe = x->sqe;
	size_t size = sqe->arg0 * sizeof(u64);
	unsigned int i;

	/* PEL_SQE_FIXED: the list is in a registered buffer, read it there. */
	if (x->kaddr2)
		memcpy(x->srcs, x->kaddr2, size);
	else if (pel_read(r, x->srcs, sqe->addr2, size) < size)
		return -EFAULT;
	x->nr_srcs = sqe->arg0;
	for (i = 0; i < x->nr_srcs; i++) {
		if (!pel_range_ok(x->srcs[i], sqe->len))
			return -EINVAL;
		/* ... and so must each source be, wholly. */
		x->ksrcs[i] = NULL;
		if (x->rbufs) {
			x->ksrcs[i] = pel_rbufs_resolve(x->rbufs, x->srcs[i],
							sqe->len);
			if (!x->ksrcs[i])
				return -EFAULT;
		}
	}
	x->loaded = true;
	return 0;
}

/*
 * Run (or go on with) the op in @x under the runner rules in @base.
 * Returns true with the CQE's res and result filled, or false when the op
 * stopped to go on later in a runner that may fault (a miss, or a park):
 * then @x holds its progress.
 */
bool pel_op_exec(struct pel_exec *x, const struct pel_range *base,
		 struct pel_cqe *cqe)
{
	const struct pel_op_def *op = x->op;
	const struct pel_sqe *sqe = x->sqe;
	struct pel_range r = *base;
	u64 result = 0, done;
	s64 res;

	r.stop = PEL_STOP_NONE;
	r.diff = U64_MAX;
	if (op->run) {
		res = op->run(x, &result);
		goto out;
	}
	if (!x->loaded) {
		res = pel_load_xor_srcs(x, &r);
		if (r.stop)
			goto stopped;
		if (res)
			goto out;
	}

	if (x->backward) {
		x->done = pel_copy_backward(x, &r, x->done);
		if (r.stop)
			goto stopped;
		/* A fault leaves the tail done: result counts it. */
		result = x->done;
		res = x->done == sqe->len ? (s64)x->done : -EFAULT;
		goto out;
	}

	/* Whether it runs as chunks on several workers is split.c's call. */
	if (!x->split && !x->done)
		pel_split_maybe(x, &r);
	if (x->split) {
		if (!pel_split_resume(x, &r))
			goto stopped;
		done = x->first_fault == U64_MAX ? sqe->len : x->first_fault;
	} else {
		r.crc = x->crc;
		x->done += op->range(x, &r, x->done, sqe->len - x->done);
		x->crc = r.crc;
		if (r.diff != U64_MAX)
			x->diff = r.diff;
		if (r.stop)
			goto stopped;
		done = x->done;
	}
	res = op->finish(x, &r, done, &result);
	if (r.stop)
		goto stopped;
out:
	cqe->res = res;
	cqe->result = result;
	return true;

stopped:
	if (r.stop != PEL_STOP_CLOSING)
		return false;
	cqe->res = -ECANCELED;
	cqe->result = 0;
	return true;
}

/* The op's CQE is posted: drop what its prep took (registered buffers). */
void pel_op_release(struct pel_exec *x)
{
	if (x->rbufs) {
		pel_rbufs_put(x->rbufs);
		x->rbufs = NULL;
	}
	/* From a kthread the last put is deferred (delayed_fput): no sleep. */
	if (x->file) {
		fput(x->file);
		x->file = NULL;
	}
}

const char *pel_op_name(u8 opcode)
{
	return opcode < PEL_OP_LAST ? pel_ops[opcode].name : "unknown";
}
