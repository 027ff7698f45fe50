// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * TEMPORARY stand-in for lib/uops.c (the user backend's ops), so that the
 * engine (user.c) builds and can be tested before the real one lands.  The
 * Makefile uses this file only while lib/uops.c does not exist; delete it
 * when uops.c is merged.
 *
 * Deliberately simple: every byte goes through a bounce buffer with
 * process_vm_readv()/process_vm_writev() on our own pid, which return
 * short counts instead of faulting, so -EFAULT offsets come out at the
 * faulting page (exact for forward ops).  Slow, plain loops for CRC, XOR
 * and patterns, the selftests' reference SHA-256 (no libcrypto, so that
 * the programs still linked statically against liblpel.a keep building
 * until they link dynamically).  CRC32C ops are never split (no CRC
 * combine here), so lpel_uop_merge() need not know CRCs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "uops.h"
#include <openssl/evp.h>

#define STUB_BOUNCE	(64 * 1024)

/* Fields each opcode reads; any other must be zero. */
#define U_ADDR	1
#define U_ADDR2	2
#define U_LEN	4
#define U_ARG0	8

static const unsigned char stub_uses[PEL_OP_LAST] = {
	[PEL_OP_NOP] = 0,
	[PEL_OP_COPY] = U_ADDR | U_ADDR2 | U_LEN,
	[PEL_OP_FILL] = U_ADDR | U_LEN | U_ARG0,
	[PEL_OP_COMPARE] = U_ADDR | U_ADDR2 | U_LEN,
	[PEL_OP_COMPARE_PATTERN] = U_ADDR2 | U_LEN | U_ARG0,
	[PEL_OP_CRC32C] = U_ADDR2 | U_LEN | U_ARG0,
	[PEL_OP_COPY_CRC32C] = U_ADDR | U_ADDR2 | U_LEN | U_ARG0,
	[PEL_OP_DUALCAST] = U_ADDR | U_ADDR2 | U_LEN | U_ARG0,
	[PEL_OP_XOR] = U_ADDR | U_ADDR2 | U_LEN | U_ARG0,
	[PEL_OP_SHA256] = U_ADDR | U_ADDR2 | U_LEN,
	[PEL_OP_CANCEL] = U_ARG0,
};

static bool range_ok(uint64_t a, uint64_t len)
{
	return a + len >= a;
}

/* Bytes of [addr, addr + len) readable into buf, from the start. */
static size_t rd(void *buf, uint64_t addr, size_t len)
{
	struct iovec l = { buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	return n < 0 ? 0 : (size_t)n;
}

static size_t wr(uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = { (void *)buf, len }, r = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
	return n < 0 ? 0 : (size_t)n;
}

static bool in_bufs(const struct lpel_ubufs *b, uint64_t a, uint64_t len)
{
	unsigned int i;

	for (i = 0; b && i < b->nr; i++)
		if (a >= b->bufs[i].addr && len <= b->bufs[i].len &&
		    a - b->bufs[i].addr <= b->bufs[i].len - len)
			return true;
	return false;
}

int lpel_uop_check(struct lpel_uop *op, const struct lpel_ubufs *bufs)
{
	const struct pel_sqe *s = &op->sqe;
	unsigned char u;
	unsigned int i;

	op->nr_srcs = 0;
	op->backward = false;
	op->splittable = false;
	if (s->opcode >= PEL_OP_LAST || s->flags & ~PEL_SQE_FLAGS_ALL ||
	    s->resv0 || s->op_flags || s->arg1)
		return -EINVAL;
	if (!(s->flags & PEL_SQE_DEADLINE) && s->deadline_ns)
		return -EINVAL;
	u = stub_uses[s->opcode];
	if ((!(u & U_ADDR) && s->addr) || (!(u & U_ADDR2) && s->addr2) ||
	    (!(u & U_LEN) && s->len) || (!(u & U_ARG0) && s->arg0))
		return -EINVAL;
	if (s->len > PEL_MAX_OP_LEN)
		return -EINVAL;
	if (!range_ok(s->addr, s->len) ||
	    (s->opcode != PEL_OP_XOR && !range_ok(s->addr2, s->len)))
		return -EINVAL;
	switch (s->opcode) {
	case PEL_OP_CRC32C:
	case PEL_OP_COPY_CRC32C:
		if (s->arg0 > UINT32_MAX)
			return -EINVAL;
		break;
	case PEL_OP_DUALCAST:
		if (!range_ok(s->arg0, s->len))
			return -EINVAL;
		break;
	case PEL_OP_XOR:
		if (!s->arg0 || s->arg0 > PEL_XOR_MAX_SRCS ||
		    !range_ok(s->addr2, s->arg0 * 8))
			return -EINVAL;
		break;
	case PEL_OP_SHA256:
		if (!range_ok(s->addr, PEL_SHA256_DIGEST_SIZE))
			return -EINVAL;
		break;
	}
	if ((s->opcode == PEL_OP_CRC32C || s->opcode == PEL_OP_SHA256 ||
	     s->opcode == PEL_OP_COMPARE_PATTERN) && s->len && !s->addr2)
		return -EFAULT;
	if (s->flags & PEL_SQE_FIXED) {
		if (!bufs || !bufs->nr)
			return -EFAULT;
		if ((u & U_ADDR) && s->opcode != PEL_OP_SHA256 &&
		    !in_bufs(bufs, s->addr, s->len))
			return -EFAULT;
		if ((u & U_ADDR2) && s->opcode != PEL_OP_XOR &&
		    !in_bufs(bufs, s->addr2, s->len))
			return -EFAULT;
		if (s->opcode == PEL_OP_SHA256 &&
		    !in_bufs(bufs, s->addr, PEL_SHA256_DIGEST_SIZE))
			return -EFAULT;
		if (s->opcode == PEL_OP_DUALCAST && !in_bufs(bufs, s->arg0, s->len))
			return -EFAULT;
		if (s->opcode == PEL_OP_XOR &&
		    !in_bufs(bufs, s->addr2, s->arg0 * 8))
			return -EFAULT;
	}
	if (s->opcode == PEL_OP_XOR) {
		op->nr_srcs = (unsigned int)s->arg0;
		if (rd(op->srcs, s->addr2, op->nr_srcs * 8) != op->nr_srcs * 8)
			return -EFAULT;
		for (i = 0; i < op->nr_srcs; i++)
			if (!range_ok(op->srcs[i], s->len))
				return -EINVAL;
		for (i = 0; s->flags & PEL_SQE_FIXED && i < op->nr_srcs; i++)
			if (!in_bufs(bufs, op->srcs[i], s->len))
				return -EFAULT;
	}
	if (s->opcode == PEL_OP_COPY) {
		op->backward = s->addr > s->addr2 && s->addr < s->addr2 + s->len;
		op->splittable = !(s->addr < s->addr2 + s->len &&
				   s->addr2 < s->addr + s->len);
	}
	op->splittable |= s->opcode == PEL_OP_FILL ||
			  s->opcode == PEL_OP_COMPARE ||
			  s->opcode == PEL_OP_COMPARE_PATTERN ||
			  s->opcode == PEL_OP_DUALCAST || s->opcode == PEL_OP_XOR;
	return 0;
}

static uint32_t crc_table[256];

static uint32_t crc_raw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

static uint8_t pattern_byte(uint64_t pat, uint64_t i)
{
	return (uint8_t)(pat >> (8 * (i % 8)));
}

void lpel_uop_run(const struct lpel_uop *op, uint64_t off, uint64_t len,
		  const volatile int *stop, struct lpel_upiece *piece)
{
	const struct pel_sqe *s = &op->sqe;
	uint8_t *a = malloc(STUB_BOUNCE), *b = malloc(STUB_BOUNCE);
	uint64_t done = 0;
	EVP_MD_CTX *md = NULL;

	memset(piece, 0, sizeof(*piece));
	piece->crc = ~(uint32_t)s->arg0;
	if (!a || !b) {
		piece->res = -ENOMEM;
		goto out;
	}
	if (s->opcode == PEL_OP_SHA256) {
		md = EVP_MD_CTX_new();
		if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
			piece->res = -ENOMEM;
			goto out;
		}
	}
	while (done < len) {
		uint64_t o = off + done, n = len - done, got = 0, i, j;

		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
			piece->res = -ECANCELED;
			goto out;
		}
		if (n > STUB_BOUNCE)
			n = STUB_BOUNCE;
		switch (s->opcode) {
		case PEL_OP_COPY:
			if (op->backward) {
				/* Back to front: this piece's last n bytes. */
				o = off + len - done - n;
				got = rd(a, s->addr2 + o, n);
				if (got == n)
					got = wr(s->addr + o, a, n);
				if (got < n)
					got = 0;	/* stub: no partial at the end */
				break;
			}
			got = rd(a, s->addr2 + o, n);
			got = wr(s->addr + o, a, got);
			break;
		case PEL_OP_COPY_CRC32C:
			got = rd(a, s->addr2 + o, n);
			got = wr(s->addr + o, a, got);
			piece->crc = crc_raw(piece->crc, a, got);
			break;
		case PEL_OP_CRC32C:
			got = rd(a, s->addr2 + o, n);
			piece->crc = crc_raw(piece->crc, a, got);
			break;
		case PEL_OP_FILL:
			for (i = 0; i < n; i++)
				a[i] = pattern_byte(s->arg0, o + i);
			got = wr(s->addr + o, a, n);
			break;
		case PEL_OP_COMPARE:
		case PEL_OP_COMPARE_PATTERN:
			got = rd(b, s->addr2 + o, n);
			if (s->opcode == PEL_OP_COMPARE) {
				got = rd(a, s->addr + o, got);
			} else {
				for (i = 0; i < got; i++)
					a[i] = pattern_byte(s->arg0, o + i);
			}
			for (i = 0; i < got; i++)
				if (a[i] != b[i])
					break;
			if (i < got) {
				piece->differ = true;
				piece->diff_off = o + i;
				piece->done = done + i;
				goto out;
			}
			break;
		case PEL_OP_DUALCAST:
			got = rd(a, s->addr2 + o, n);
			got = wr(s->addr + o, a, got);
			got = wr(s->arg0 + o, a, got);
			break;
		case PEL_OP_XOR:
			got = rd(a, op->srcs[0] + o, n);
			for (j = 1; j < op->nr_srcs; j++) {
				got = rd(b, op->srcs[j] + o, got);
				for (i = 0; i < got; i++)
					a[i] ^= b[i];
			}
			got = wr(s->addr + o, a, got);
			break;
		case PEL_OP_SHA256:
			got = rd(a, s->addr2 + o, n);
			EVP_DigestUpdate(md, a, got);
			break;
		default:
			got = n;
			break;
		}
		done += got;
		if (got < n) {
			piece->res = -EFAULT;
			break;
		}
	}
	if (s->opcode == PEL_OP_SHA256 && !piece->res)
		EVP_DigestFinal_ex(md, piece->digest, NULL);
out:
	EVP_MD_CTX_free(md);
	if (!piece->differ)
		piece->done = done;
	free(a);
	free(b);
}

void lpel_uop_merge(const struct lpel_uop *op, struct lpel_upiece *a,
		    uint64_t len_a, const struct lpel_upiece *b)
{
	a->res = b->res;
	a->done = len_a + b->done;
	a->differ = b->differ;
	a->diff_off = b->diff_off;
	a->crc = b->crc;	/* CRC ops are not split here */
}

void lpel_uop_finish(const struct lpel_uop *op, const struct lpel_upiece *p,
		     struct pel_cqe *cqe)
{
	const struct pel_sqe *s = &op->sqe;

	cqe->res = 0;
	cqe->result = 0;
	if (p->res == -EFAULT) {
		cqe->res = -EFAULT;
		cqe->result = p->done;
		return;
	}
	if (p->res) {
		cqe->res = p->res;
		return;
	}
	switch (s->opcode) {
	case PEL_OP_NOP:
		return;
	case PEL_OP_COMPARE:
	case PEL_OP_COMPARE_PATTERN:
		cqe->res = p->differ;
		cqe->result = p->differ ? p->diff_off : 0;
		return;
	case PEL_OP_CRC32C:
	case PEL_OP_COPY_CRC32C:
		cqe->res = (int32_t)s->len;
		cqe->result = ~p->crc;
		return;
	case PEL_OP_SHA256:
		if (wr(s->addr, p->digest, PEL_SHA256_DIGEST_SIZE) !=
		    PEL_SHA256_DIGEST_SIZE) {
			cqe->res = -EFAULT;
			cqe->result = s->len;
			return;
		}
		cqe->res = (int32_t)s->len;
		return;
	default:
		cqe->res = (int32_t)s->len;
		cqe->result = s->len;
		return;
	}
}

int lpel_uop_init(void)
{
	uint32_t i, j, c;

	if (crc_table[1])
		return 0;
	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = (c >> 1) ^ (0x82f63b78U & -(c & 1));
		__atomic_store_n(&crc_table[i], c, __ATOMIC_RELAXED);
	}
	return 0;
}
