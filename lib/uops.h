/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * liblpel's user backend: how an op runs (uops.c), for the engine that
 * serves the rings (user.c).  Private to liblpel.
 *
 * The engine copies each SQE out of the ring once (the copy is all it
 * reads), checks it with lpel_uop_check(), then runs it whole or as chunks
 * on several threads with lpel_uop_run(), merges the chunks' results with
 * lpel_uop_merge() and makes the CQE with lpel_uop_finish().  The results,
 * errors and fault offsets are the kernel's, to the byte:
 * Documentation/ops.md.
 */
#ifndef LPEL_UOPS_H
#define LPEL_UOPS_H

#include <stdbool.h>
#include <stdint.h>

#include "pel.h"

/* The registered buffers of a user-backend ring (PEL_SQE_FIXED). */
struct lpel_ubuf {
	uint64_t addr;
	uint64_t len;
};

struct lpel_ubufs {
	unsigned int nr;		/* 0: none registered */
	const struct lpel_ubuf *bufs;	/* sorted by addr */
};

/*
 * An op checked and ready to run: the SQE's copy, and what the check
 * resolved (XOR's source addresses, read once from the caller's array).
 */
struct lpel_uop {
	struct pel_sqe sqe;
	unsigned int nr_srcs;			/* XOR */
	uint64_t srcs[PEL_XOR_MAX_SRCS];	/* XOR */
	bool backward;		/* COPY: dst starts inside src, back to front */
	bool splittable;	/* may run as independent chunks */
};

/* What running [off, off + len) of an op did. */
struct lpel_upiece {
	int res;		/* 0, or -EFAULT (or -ECANCELED: stopped) */
	uint64_t done;		/* bytes done from the piece's start; exact on a fault */
	uint32_t crc;		/* CRC32C / COPY_CRC32C: of the bytes done, raw (see uops.c) */
	bool differ;		/* COMPARE*: a difference seen */
	uint64_t diff_off;	/* COMPARE*: its offset from the op's start */
	uint8_t digest[PEL_SHA256_DIGEST_SIZE];	/* SHA256 (never split) */
};

/*
 * Check the SQE copy in op->sqe against ops.md's rules (-EINVAL), resolve
 * what the op reads once (XOR's source list: -EFAULT when unreadable), and
 * apply PEL_SQE_FIXED against bufs (-EFAULT, result 0).  0: op may run.
 * CANCEL is checked here too; the engine does what it asks.
 */
int lpel_uop_check(struct lpel_uop *op, const struct lpel_ubufs *bufs);

/*
 * Run bytes [off, off + len) of a checked op in the calling thread.  A bad
 * address faults into a handler that ends the piece with -EFAULT and
 * piece->done exact: the process does not crash.  *stop, when non-NULL and
 * set (the ring closing), ends the piece with -ECANCELED between chunks;
 * another thread sets it, so read it with __atomic_load_n(stop,
 * __ATOMIC_RELAXED) (a plain read is a data race to TSan).
 */
void lpel_uop_run(const struct lpel_uop *op, uint64_t off, uint64_t len,
		  const volatile int *stop, struct lpel_upiece *piece);

/*
 * Fold piece b, which starts right after the bytes a covers ([off_a,
 * off_a + len_a), fully done), into a.  For chunks run in order of their
 * offsets; a's fields become those of the whole.
 */
void lpel_uop_merge(const struct lpel_uop *op, struct lpel_upiece *a,
		    uint64_t len_a, const struct lpel_upiece *b);

/* The CQE (res, result) of an op whose whole piece is p. */
void lpel_uop_finish(const struct lpel_uop *op, const struct lpel_upiece *p,
		     struct pel_cqe *cqe);

/* Install the fault handler (once per process); 0 or -errno. */
int lpel_uop_init(void);

#endif /* LPEL_UOPS_H */
