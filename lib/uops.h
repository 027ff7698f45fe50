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
 * The registered files of a user-backend ring (PEL_SQE_FILE): slot i is
 * fds[i], the ring's own descriptor of a regular file opened for reading,
 * or -1 (empty).  The engine keeps the set open while an op uses it.
 */
struct lpel_ufiles {
	unsigned int nr;		/* slots; 0: none registered */
	const int *fds;
};

/*
 * An op checked and ready to run: the SQE's copy, and what the check
 * resolved (XOR's source addresses, read once from the caller's array).
 */
struct lpel_uop {
	struct pel_sqe sqe;
	unsigned int nr_srcs;			/* XOR */
	uint64_t srcs[PEL_XOR_MAX_SRCS];	/* XOR */
	int fd;			/* PEL_SQE_FILE: the file's fd (from lpel_ufiles) */
	bool backward;		/* COPY: dst starts inside src, back to front */
	bool splittable;	/* may run as independent chunks */
	/*
	 * PEL_OPF_BLOCKS (CRC32C, SHA256): the block size (sqe.arg1), 0
	 * without the flag.  Chunks of such an op must start at a multiple
	 * of it (lpel_uop_chunk()).
	 */
	uint64_t block;
};

/* What running [off, off + len) of an op did. */
struct lpel_upiece {
	/*
	 * 0, or -EFAULT (or -ECANCELED: stopped); a file op also -EIO (or
	 * another read error) and -ENOMEM.  A file op with res 0 and done
	 * short of its length met EOF there.
	 */
	int res;
	uint64_t done;		/* bytes done from the piece's start; exact on a fault */
	uint32_t crc;		/* CRC32C / COPY_CRC32C: of the bytes done, raw (see uops.c) */
	/*
	 * crc is the raw CRC register (no inversion) over the bytes done,
	 * started from ~seed when the piece starts at the op's byte 0 and
	 * from 0 otherwise; merge() combines, finish() inverts.
	 */
	bool differ;		/* COMPARE*: a difference seen */
	uint64_t diff_off;	/* COMPARE*: its offset from the op's start */
	uint8_t digest[PEL_SHA256_DIGEST_SIZE];	/* SHA256 (never split) */
	/*
	 * PEL_OPF_BLOCKS: the digests written, one per block of the bytes
	 * done (done is then whole blocks, or reaches the op's end or EOF).
	 */
	uint64_t nr_digests;
};

/*
 * Check the SQE copy in op->sqe against ops.md's rules (-EINVAL), resolve
 * what the op reads once (XOR's source list: -EFAULT when unreadable), and
 * apply PEL_SQE_FIXED against bufs (-EFAULT, result 0).  0: op may run.
 * CANCEL is checked here too; the engine does what it asks.
 */
int lpel_uop_check(struct lpel_uop *op, const struct lpel_ubufs *bufs);

/*
 * lpel_uop_check() with the ring's registered files too: PEL_SQE_FILE is
 * allowed for CRC32C, SHA256, COMPARE, COPY and COPY_CRC32C (any other op
 * -EINVAL, with the field checks); addr2 is then the file offset, and the
 * slot sqe.file_index names must hold a file (-EBADF, result 0: checked
 * where PEL_SQE_FIXED's buffers are, before them).  op->fd is that file's
 * fd, which must stay open until the op has run.  lpel_uop_check() is this
 * with no files registered.  PEL_OPF_BLOCKS (CRC32C, SHA256) is checked
 * with the other fields, its digest array with the op's own checks and
 * as a destination for PEL_SQE_FIXED (Documentation/ops.md); op->block is
 * then the block size and the op splittable, SHA256 too.
 */
int lpel_uop_check_files(struct lpel_uop *op, const struct lpel_ubufs *bufs,
			 const struct lpel_ufiles *files);

/*
 * Run bytes [off, off + len) of a checked op in the calling thread (with
 * PEL_OPF_BLOCKS, off is a multiple of op->block).  A bad
 * address faults into a handler that ends the piece with -EFAULT and
 * piece->done exact: the process does not crash.  *stop, when non-NULL and
 * set (the ring closing), ends the piece with -ECANCELED between chunks
 * (every 1 MiB, 64 KiB for a backward COPY; looked at before the first,
 * not at all when len is 0);
 * another thread sets it, so it is read with __atomic_load_n(stop,
 * __ATOMIC_RELAXED).
 * Fills all of *piece.  Run every op that gets here once at least, len 0
 * too (a CRC of nothing is its seed).  An op that is not splittable (SHA256,
 * a backward or overlapping COPY) is run as one piece, [0, sqe.len).
 * SHA256 writes its digest at addr itself, once the whole source was read.
 * With PEL_OPF_BLOCKS each block's digest goes to its slot of the array
 * at addr once the block was read; a piece ends at a block boundary on a
 * fault (done: the blocks whose digests were written).
 * NOP and CANCEL do nothing here.  A file op (PEL_SQE_FILE) pread()s its
 * range, chunk by chunk, into a bounce buffer of the calling thread's
 * and runs on that: a short read is EOF (the piece ends there, res 0),
 * a read error ends it with -errno, both with done exact; the
 * destination (or COMPARE's other side) is probed as memory ops' are.
 * The calling thread must not block
 * SIGSEGV or SIGBUS (a blocked fault kills the process).
 */
void lpel_uop_run(const struct lpel_uop *op, uint64_t off, uint64_t len,
		  const volatile int *stop, struct lpel_upiece *piece);

/*
 * The chunk size to split an op of len bytes into at most max_chunks
 * chunks of about want bytes (page multiples, pg a power of two): with
 * PEL_OPF_BLOCKS, a whole number of blocks (rounded up; a block longer
 * than want is one chunk).  The engine splits only when it is below len.
 */
uint64_t lpel_uop_chunk(const struct lpel_uop *op, uint64_t len,
			uint64_t want, unsigned int max_chunks, uint64_t pg);

/*
 * Fold piece b, which starts right after the bytes a covers ([off_a,
 * off_a + len_a)), into a.  For chunks run in order of their offsets,
 * every chunk run, from the first: a's fields become those of the whole.
 * As the kernel merges: a fault or a difference in a ends the op there (b
 * is ignored), -ECANCELED in either wins over everything.
 */
void lpel_uop_merge(const struct lpel_uop *op, struct lpel_upiece *a,
		    uint64_t len_a, const struct lpel_upiece *b);

/* The CQE (res, result) of an op whose whole piece is p. */
void lpel_uop_finish(const struct lpel_uop *op, const struct lpel_upiece *p,
		     struct pel_cqe *cqe);

/*
 * Install the fault handler (once per process; check() and run() call it
 * too); 0 or -errno.  It chains to the SIGSEGV/SIGBUS handlers installed
 * before it; one the application installs later must chain to it in turn.
 */
int lpel_uop_init(void);

/*
 * The CRC-32C of A followed by B, from crc1 (of A), crc2 (of B) and B's
 * length: what merge() does, for tests and tools.
 */
uint32_t lpel_uop_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

#endif /* LPEL_UOPS_H */
