// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the CPU's code for each op, what a user would pick instead of
 * PEL (glibc's mem*, ISA-L's crc32_iscsi and xor_gen, OpenSSL's SHA-256,
 * pread() for the file workloads) and the hand-written loops of the
 * cpu_naive reference row; and the one-thread engines, cpu and cpu_naive,
 * which run an op in submit.  The pthread pool (engine_pool.c) runs the
 * same code in pieces.
 */
#include "pelbench.h"

/* ------------------------------------------------------------------------
 * CRC-32C (Castagnoli, reflected 0x82f63b78, pre- and post-inverted as
 * PEL's): ISA-L's crc32_iscsi(), which does neither inversion and takes an
 * int length; the naive reference, a loop over the SSE4.2 instruction; and
 * zlib's combination of two CRCs for the pthread pool's chunks (ISA-L has
 * none).
 */
#define CRC32C_POLY	0x82f63b78U

static uint32_t crc32c_x2n[32];
bool have_sse42;

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (len) {
		int n = len > (size_t)INT32_MAX ? 1 << 30 : (int)len;

		crc = crc32_iscsi((unsigned char *)p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return ~crc;
}

#if HAVE_TSC && defined(__x86_64__)
/* Only this function is built for SSE4.2; have_sse42 guards its use. */
__attribute__((target("sse4.2")))
static uint32_t crc32c_naive(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t c = ~crc;

	while (len && ((uintptr_t)p & 7)) {
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = __builtin_ia32_crc32qi((uint32_t)c, *p++);
	return ~(uint32_t)c;
}
#else
static uint32_t crc32c_naive(uint32_t crc, const void *buf, size_t len)
{
	return crc32c(crc, buf, len);	/* never used: no SSE4.2 */
}
#endif

/* a * b modulo the CRC polynomial, bit-reflected (zlib's multmodp()). */
static uint32_t crc32c_multmodp(uint32_t a, uint32_t b)
{
	uint32_t m = 1U << 31, p = 0;

	for (;;) {
		if (a & m) {
			p ^= b;
			if ((a & (m - 1)) == 0)
				break;
		}
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return p;
}

/* x^(n * 2^k) modulo the polynomial. */
static uint32_t crc32c_x2nmodp(uint64_t n, unsigned int k)
{
	uint32_t p = 1U << 31;

	while (n) {
		if (n & 1)
			p = crc32c_multmodp(crc32c_x2n[k & 31], p);
		n >>= 1;
		k++;
	}
	return p;
}

void crc32c_init(void)
{
	uint32_t p = 1U << 30;
	unsigned int n;

	crc32c_x2n[0] = p;
	for (n = 1; n < 32; n++)
		crc32c_x2n[n] = p = crc32c_multmodp(p, p);
#if HAVE_TSC && defined(__x86_64__)
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

/* The CRC of A followed by B, from crc(A), crc(B) and B's length. */
uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	return crc32c_multmodp(crc32c_x2nmodp(len2, 3), crc1) ^ crc2;
}

/*
 * How the cpu and pool engines copy: libc's memcpy() (vector loads and
 * stores), or "rep movsb", which is what the kernel's copy_{from,to}_user()
 * and memcpy() run on a CPU with ERMS/FSRM: --cpu-copy=movsb shows what
 * that instruction costs here (under TCG, far more than vector moves).
 */
bool cpu_copy_movsb;

static void cpu_copy(void *dst, const void *src, size_t n)
{
#if defined(__x86_64__)
	if (cpu_copy_movsb) {
		__asm__ __volatile__("rep movsb"
				     : "+D"(dst), "+S"(src), "+c"(n)
				     : : "memory");
		return;
	}
#endif
	memcpy(dst, src, n);
}

/* The naive XOR: 64-bit words, then bytes (also -y's reference). */
void xor_naive(uint8_t *dst, uint8_t *const *srcs, unsigned int nr,
	       uint64_t off, uint64_t n)
{
	uint64_t i;
	unsigned int s;

	memcpy(dst + off, srcs[0] + off, n);
	for (s = 1; s < nr; s++) {
		uint8_t *d = dst + off;
		const uint8_t *x = srcs[s] + off;

		for (i = 0; i + 8 <= n; i += 8) {
			uint64_t a, b;

			memcpy(&a, d + i, 8);
			memcpy(&b, x + i, 8);
			a ^= b;
			memcpy(d + i, &a, 8);
		}
		for (; i < n; i++)
			d[i] ^= x[i];
	}
}

/*
 * ISA-L's xor_gen(): its sources, then the destination; at least two
 * sources, every pointer 32-byte aligned.  One source is a copy; a range
 * that is not aligned (a size that is no multiple of 32 puts the slots'
 * destinations off) falls back to the naive loop.
 */
static void xor_isal(uint8_t *dst, uint8_t *const *srcs, unsigned int nr,
		     uint64_t off, uint64_t n)
{
	void *v[PEL_XOR_MAX_SRCS + 1];
	uintptr_t bits = (uintptr_t)(dst + off);
	unsigned int s;

	if (nr == 1) {
		memcpy(dst + off, srcs[0] + off, n);
		return;
	}
	for (s = 0; s < nr; s++) {
		v[s] = srcs[s] + off;
		bits |= (uintptr_t)v[s];
	}
	v[nr] = dst + off;
	if ((bits & 31) || n > INT32_MAX ||
	    xor_gen((int)nr + 1, (int)n, v))
		xor_naive(dst, srcs, nr, off, n);
}

/* Blocks of @block bytes in @len (the last one may be short). */
uint64_t nr_blocks(uint64_t len, uint64_t block)
{
	return block ? (len + block - 1) / block : 0;
}

/*
 * The per-block digests of @n bytes at @p into @out: OpenSSL's SHA-256 or
 * ISA-L's CRC-32C (seed 0, as PEL's) of each @block bytes.
 */
void digest_blocks(enum workload w, const uint8_t *p, uint64_t n,
		   uint64_t block, uint8_t *out)
{
	uint64_t i;

	for (i = 0; i < n; i += block) {
		uint64_t len = n - i < block ? n - i : block;

		if (w == W_FILE_CRC32C_BLOCKS) {
			uint32_t v = crc32c(0, p + i, len);

			memcpy(out, &v, sizeof(v));
			out += sizeof(v);
		} else {
			SHA256(p + i, len, out);
			out += PEL_SHA256_DIGEST_SIZE;
		}
	}
}

/*
 * Run bytes [off, off + n) of @slot's op on this CPU: with the libraries'
 * code, or (@naive) the hand-written loops of the cpu_naive row.
 */
void cpu_range(const struct cfg *c, const struct wbuf *b,
	       unsigned int slot, uint64_t off, uint64_t n,
	       bool naive, struct rres *r)
{
	uint8_t *dst = b->dst ? slot_dst(b, slot) : NULL;
	uint64_t i;

	r->crc = 0;
	r->diff = UINT64_MAX;
	r->err = 0;
	switch (c->w) {
	case W_NOP:
		break;
	case W_COPY:
		cpu_copy(dst + off, b->src + off, n);
		break;
	case W_FILL:
		memset(dst + off, FILL_BYTE, n);
		break;
	case W_COMPARE:
		if (memcmp(b->src2 + off, b->src + off, n)) {
			for (i = 0; i < n; i++)
				if (b->src2[off + i] != b->src[off + i])
					break;
			r->diff = off + i;
		}
		break;
	case W_CRC32C:
		r->crc = naive ? crc32c_naive(0, b->src + off, n) :
				 crc32c(0, b->src + off, n);
		break;
	case W_COPY_CRC32C:
		cpu_copy(dst + off, b->src + off, n);
		r->crc = naive ? crc32c_naive(0, b->src + off, n) :
				 crc32c(0, b->src + off, n);
		break;
	case W_XOR:
		if (naive)
			xor_naive(dst, b->xsrc, c->nsrcs, off, n);
		else
			xor_isal(dst, b->xsrc, c->nsrcs, off, n);
		break;
	case W_SHA256:
		SHA256(b->src, b->size, slot_digest(b, slot));
		break;
	case W_FILE_CRC32C: {
		const uint8_t *p = file_range(b, slot, off, n, r);

		if (!r->err)
			r->crc = crc32c(0, p, n);
		break;
	}
	case W_FILE_COPY:
		file_range(b, slot, off, n, r);
		break;
	case W_FILE_SHA256: {
		/* Never split (as SHA256): the whole range. */
		const uint8_t *p = file_range(b, slot, 0, b->flen[slot], r);

		if (!r->err)
			SHA256(p, b->flen[slot], slot_digest(b, slot));
		break;
	}
	case W_SHA256_BLOCKS:
	case W_FILE_SHA256_BLOCKS:
	case W_FILE_CRC32C_BLOCKS: {
		/* A block-aligned piece of the op: its blocks' digests. */
		const uint8_t *p = c->w == W_SHA256_BLOCKS ? b->src + off :
				   file_range(b, slot, off, n, r);

		if (!r->err)
			digest_blocks(c->w, p, n, c->block, slot_digest(b, slot) +
				      off / c->block * w_digest_size(c->w));
		break;
	}
	case W_NR:
		break;
	}
}

/* An op's res and result, as PEL reports them (Documentation/ops.md). */
void cpu_result(const struct cfg *c, const struct rres *r, uint64_t len,
		int64_t *res, uint64_t *result)
{
	if (r->err) {
		*res = r->err;
		*result = 0;
		return;
	}
	switch (c->w) {
	case W_NOP:
		*res = 0;
		*result = 0;
		break;
	case W_COMPARE:
		*res = r->diff != UINT64_MAX;
		*result = *res ? r->diff : 0;
		break;
	case W_CRC32C:
	case W_COPY_CRC32C:
	case W_FILE_CRC32C:
		*res = (int64_t)len;
		*result = r->crc;
		break;
	case W_SHA256:
	case W_FILE_SHA256:
		*res = (int64_t)len;
		*result = 0;
		break;
	case W_SHA256_BLOCKS:
	case W_FILE_SHA256_BLOCKS:
	case W_FILE_CRC32C_BLOCKS:
		*res = (int64_t)len;
		*result = nr_blocks(len, c->block);
		break;
	default:
		*res = (int64_t)len;
		*result = len;
		break;
	}
}

/* ---- one thread on the CPU ------------------------------------------- */

/* Depth and batch are 1: submit runs the op, and it is complete. */
static int cpu_prep(struct tctx *t, unsigned int slot)
{
	return 0;
}

static int cpu_submit(struct tctx *t, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		unsigned int slot = t->batch[i];
		uint64_t result;
		struct rres r;
		int64_t res;

		uint64_t len = op_len(t->cfg, &t->wb, slot);

		cpu_range(t->cfg, &t->wb, slot, 0, len, t->e == E_NAIVE, &r);
		cpu_result(t->cfg, &r, len, &res, &result);
		complete(t, slot, res, result, now_ticks());
	}
	return 0;
}

static unsigned int cpu_reap(struct tctx *t)
{
	return 0;
}

static int cpu_wait(struct tctx *t)
{
	return 0;
}

const struct engine_ops cpu_engine = {
	.prep = cpu_prep, .submit = cpu_submit, .reap = cpu_reap,
	.wait = cpu_wait,
};

