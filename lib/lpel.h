/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * liblpel - the user side of PEL, the Parallel Execution Layer.
 *
 * An io_uring-style API over the per-CPU rings of /dev/pel: get an SQE,
 * prepare it, submit (no system call unless a worker sleeps), then peek or
 * wait for CQEs and mark them seen.  Errors are negative errno values.
 *
 * A struct lpel_ring is not thread-safe: use one per thread, or serialise.
 */
#ifndef LPEL_H
#define LPEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

/*
 * The ABI header, installed as <lpel/pel.h> beside this one (as liburing's
 * <liburing/io_uring.h>); in the tree, include/lpel links to include/uapi.
 */
#include <lpel/pel.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One queue of the ring set: pointers into its shared mapping. */
struct lpel_queue {
	unsigned int *sq_head;		/* kernel-owned */
	unsigned int *sq_tail;		/* ours */
	unsigned int *sq_flags;		/* kernel-owned */
	struct pel_sqe *sqes;
	unsigned int sq_mask;
	unsigned int sq_entries;
	unsigned int sqe_tail;		/* next free SQE, not yet submitted */

	unsigned int *cq_head;		/* ours */
	unsigned int *cq_tail;		/* kernel-owned */
	struct pel_cqe *cqes;
	unsigned int cq_mask;
	unsigned int cq_entries;

	unsigned int index;		/* queue number */
	unsigned int cpu;		/* CPU the queue is homed on */
	void *map;
	size_t map_size;
};

/* A context: one open of /dev/pel with a queue per online CPU. */
struct lpel_ring {
	int fd;
	unsigned int nr_queues;
	unsigned int next_cq;		/* where lpel_peek_cqe() looks first */
	uint64_t features;		/* PEL_FEAT_* of the running module */
	struct lpel_queue *queues;

	/* private to liblpel */
	unsigned int nr_cpus;		/* entries in cpu_queue[] */
	unsigned int *cpu_queue;	/* CPU -> queue homed on it */
	unsigned int *published;	/* lpel_submit() scratch, nr_queues */
};

/*
 * Where a ring's ops run (lpel_params.backend).  The kernel is the default;
 * the user backend runs the same rings, with the same protocol, ops, results
 * and errors, on a pool of threads in this process (Documentation/user.md).
 */
enum lpel_backend {
	LPEL_BACKEND_DEFAULT = 0,	/* $LPEL_BACKEND if set, else KERNEL */
	LPEL_BACKEND_KERNEL = 1,	/* /dev/pel; -ENODEV without the module */
	LPEL_BACKEND_USER = 2,		/* threads in this process */
	LPEL_BACKEND_AUTO = 3,		/* KERNEL, else USER when the module is absent */
};

/* lpel_params.lib_flags */
/* AUTO falls back to USER without its one line on stderr ($LPEL_QUIET=1). */
#define LPEL_LIB_QUIET		(1U << 0)
#define LPEL_LIB_FLAGS_ALL	(LPEL_LIB_QUIET)

/* Parameters for lpel_init_params(); zero fields take defaults. */
struct lpel_params {
	unsigned int sq_entries;
	unsigned int cq_entries;
	unsigned int idle_us;
	unsigned int flags;		/* PEL_SETUP_* */
	unsigned int max_inflight;	/* cap on ops in flight; 0: the default */
	/* since LIBLPEL_1.2: */
	unsigned int backend;		/* enum lpel_backend */
	unsigned int lib_flags;		/* LPEL_LIB_* */
	unsigned int nr_threads;	/* user backend's workers; 0: online CPUs */
	unsigned int resv[4];		/* must be zero */
};

int lpel_init(struct lpel_ring *ring, unsigned int entries);
int lpel_init_params(struct lpel_ring *ring, const struct lpel_params *p);
void lpel_exit(struct lpel_ring *ring);

/* LPEL_BACKEND_KERNEL or LPEL_BACKEND_USER: where this ring's ops run. */
int lpel_backend(const struct lpel_ring *ring);
/* "kernel", "user", "auto", "default"; NULL for anything else. */
const char *lpel_backend_name(int backend);

/* A free SQE on the calling CPU's queue, or on queue q; NULL when full. */
struct pel_sqe *lpel_get_sqe(struct lpel_ring *ring);
struct pel_sqe *lpel_get_sqe_on(struct lpel_ring *ring, unsigned int q);

/* Publish every prepared SQE; returns how many, or -errno. */
int lpel_submit(struct lpel_ring *ring);
/* Submit, then wait until at least wait_nr CQEs are ready. */
int lpel_submit_and_wait(struct lpel_ring *ring, unsigned int wait_nr);

/*
 * A ready CQE (0), or -EAGAIN when there is none.  Queues are scanned
 * round-robin; a CQE stays ready, and may be returned again, until it is
 * handed to lpel_cqe_seen(): see each CQE before the next peek or wait.
 */
int lpel_peek_cqe(struct lpel_ring *ring, struct pel_cqe **cqe);
/* Wait for a CQE: spins for a budget tied to recent latency, then blocks. */
int lpel_wait_cqe(struct lpel_ring *ring, struct pel_cqe **cqe);
/* As lpel_wait_cqe(), giving up with -ETIME after timeout_ns (0: never). */
int lpel_wait_cqe_timeout(struct lpel_ring *ring, struct pel_cqe **cqe,
			  uint64_t timeout_ns);
/* Hand a CQE from peek/wait back to its ring (in peek order per queue). */
void lpel_cqe_seen(struct lpel_ring *ring, struct pel_cqe *cqe);

/* CQEs ready to be reaped over all queues. */
unsigned int lpel_cq_ready(const struct lpel_ring *ring);
/*
 * The context fd, for poll()/epoll and io_uring POLL_ADD: readable when a
 * CQE is ready.  Take it from here, not from ring->fd: the user backend's
 * is an eventfd that says so only from the first lpel_fd() on (and may be
 * readable for a moment after the last CQE was reaped).
 */
int lpel_fd(const struct lpel_ring *ring);

/*
 * The CRC-32C of A followed by B, from crc1 = CRC-32C(A), crc2 = CRC-32C(B)
 * (both seeded 0, as the ops' results are) and len2 = the bytes of B.
 */
uint32_t lpel_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

/* Wake the workers of queue q (PEL_QUEUE_ALL: every queue). */
int lpel_wake(struct lpel_ring *ring, unsigned int q);

/*
 * Pin nr (1..PEL_MAX_BUFFERS) disjoint user buffers for PEL_SQE_FIXED ops;
 * -EOPNOTSUPP when the module lacks PEL_FEAT_REGISTERED_BUFFERS, -EBUSY
 * when some are registered already.  Unregister: -ENXIO when none are.
 */
int lpel_register_buffers(struct lpel_ring *ring, const struct iovec *iovs,
			  unsigned int nr);
int lpel_unregister_buffers(struct lpel_ring *ring);

/*
 * Register nr open files (fds[i] -> file index i) as sources of file ops
 * (lpel_prep_file_*()): regular files opened for reading.  Returns the
 * slots filled, or -errno for the whole call (-EBUSY: files are already
 * registered; -EOPNOTSUPP without PEL_FEAT_REGISTERED_FILES).  res, if not
 * NULL, gets 0 or -errno for each slot (-EBADF, -EISDIR, -EINVAL); fd -1
 * leaves a slot empty.  The ring keeps its own reference: the fds may be
 * closed afterwards.
 */
int lpel_register_files(struct lpel_ring *ring, const int *fds,
			unsigned int nr, int *res);
int lpel_unregister_files(struct lpel_ring *ring);

/*
 * Since LIBLPEL_1.3: the module's counters (lpel_info(3)), from a
 * descriptor of /dev/pel that needs no ring: lpel_stats_open(), kept open
 * across calls, or a kernel ring's lpel_fd().  0 or -errno; nothing is
 * printed.  lpel_stats_open(): -ENOENT (no /dev/pel: the module is not
 * loaded), -ENXIO/-ENODEV (no driver behind it), -EACCES.  The others fill
 * the struct's size and index themselves: -ENOENT past the last worker,
 * context or opcode; -ENOTTY for a descriptor that is not /dev/pel (the
 * user backend's: it keeps no such counters).
 */
int lpel_stats_open(void);
int lpel_info(int fd, struct pel_info *info);
int lpel_worker_stats(int fd, unsigned int cpu, struct pel_worker_stats *st);
int lpel_ctx_stats(int fd, unsigned int index, struct pel_ctx_stats *st);
int lpel_op_stats(int fd, unsigned int opcode, struct pel_op_stats *st);

static inline void lpel_sqe_set_data(struct pel_sqe *sqe, uint64_t data)
{
	sqe->user_data = data;
}

static inline void lpel_prep_rw(struct pel_sqe *sqe, uint8_t op, void *dst,
				const void *src, uint64_t len)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->addr = (uint64_t)(uintptr_t)dst;
	sqe->addr2 = (uint64_t)(uintptr_t)src;
	sqe->len = len;
}

static inline void lpel_prep_nop(struct pel_sqe *sqe)
{
	lpel_prep_rw(sqe, PEL_OP_NOP, NULL, NULL, 0);
}

/* Copy len bytes from src to dst; overlapping buffers work as memmove(). */
static inline void lpel_prep_copy(struct pel_sqe *sqe, void *dst,
				  const void *src, uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_COPY, dst, src, len);
}

/* dst <- the 64-bit pattern repeated (little-endian bytes); a tail gets its leading bytes. */
static inline void lpel_prep_fill(struct pel_sqe *sqe, void *dst,
				  uint64_t pattern, uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_FILL, dst, NULL, len);
	sqe->arg0 = pattern;
}

/* res 0: equal; res 1: differ, cqe.result = offset of the first difference. */
static inline void lpel_prep_compare(struct pel_sqe *sqe, const void *a,
				     const void *b, uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_COMPARE, (void *)a, b, len);
}

/* As lpel_prep_compare(), against the 64-bit pattern repeated. */
static inline void lpel_prep_compare_pattern(struct pel_sqe *sqe,
					     const void *buf, uint64_t pattern,
					     uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_COMPARE_PATTERN, NULL, buf, len);
	sqe->arg0 = pattern;
}

/*
 * cqe.result = CRC-32C of src continued from seed: seed 0 for a new CRC,
 * or the result of the previous piece to continue over the next.
 */
static inline void lpel_prep_crc32c(struct pel_sqe *sqe, const void *src,
				    uint64_t len, uint32_t seed)
{
	lpel_prep_rw(sqe, PEL_OP_CRC32C, NULL, src, len);
	sqe->arg0 = seed;
}

/* Copy src to dst and CRC-32C the source in one pass (no overlap). */
static inline void lpel_prep_copy_crc32c(struct pel_sqe *sqe, void *dst,
					 const void *src, uint64_t len,
					 uint32_t seed)
{
	lpel_prep_rw(sqe, PEL_OP_COPY_CRC32C, dst, src, len);
	sqe->arg0 = seed;
}

/* Copy src to both dst1 and dst2. */
static inline void lpel_prep_dualcast(struct pel_sqe *sqe, void *dst1,
				      void *dst2, const void *src, uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_DUALCAST, dst1, src, len);
	sqe->arg0 = (uint64_t)(uintptr_t)dst2;
}

/*
 * dst <- srcs[0] ^ ... ^ srcs[nr - 1], nr in 1..PEL_XOR_MAX_SRCS.  The
 * array of source pointers is read when the op runs: keep it alive until
 * the CQE arrives.  dst may be one of the sources.
 */
static inline void lpel_prep_xor(struct pel_sqe *sqe, void *dst,
				 const void *const *srcs, unsigned int nr,
				 uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_XOR, dst, srcs, len);
	sqe->arg0 = nr;
}

/* digest (PEL_SHA256_DIGEST_SIZE bytes) <- SHA-256 of src. */
static inline void lpel_prep_sha256(struct pel_sqe *sqe, void *digest,
				    const void *src, uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_SHA256, digest, src, len);
}

/*
 * Cancel the op whose user_data is target: res 0 if it had not started
 * (it completes with -ECANCELED), -EALREADY if running, -ENOENT if the
 * kernel holds no such op.
 */
static inline void lpel_prep_cancel(struct pel_sqe *sqe, uint64_t target)
{
	lpel_prep_rw(sqe, PEL_OP_CANCEL, NULL, NULL, 0);
	sqe->arg0 = target;
}

/*
 * File ops: the source is len bytes at offset of the registered file
 * file_index (lpel_register_files()), read from the page cache.  res is
 * the bytes done: short at EOF.
 */
static inline void lpel_prep_file(struct pel_sqe *sqe, uint8_t op, void *dst,
				  unsigned int file_index, uint64_t offset,
				  uint64_t len)
{
	lpel_prep_rw(sqe, op, dst, NULL, len);
	sqe->flags = PEL_SQE_FILE;
	sqe->file_index = (uint16_t)file_index;
	sqe->addr2 = offset;
}

/* cqe.result = CRC-32C of the file range, continued from seed. */
static inline void lpel_prep_file_crc32c(struct pel_sqe *sqe,
					 unsigned int file_index,
					 uint64_t offset, uint64_t len,
					 uint32_t seed)
{
	lpel_prep_file(sqe, PEL_OP_CRC32C, NULL, file_index, offset, len);
	sqe->arg0 = seed;
}

/* SHA-256 of the file range into the 32 bytes at digest. */
static inline void lpel_prep_file_sha256(struct pel_sqe *sqe, void *digest,
					 unsigned int file_index,
					 uint64_t offset, uint64_t len)
{
	lpel_prep_file(sqe, PEL_OP_SHA256, digest, file_index, offset, len);
}

/* Compare the file range with buf (res as lpel_prep_compare()). */
static inline void lpel_prep_file_compare(struct pel_sqe *sqe, const void *buf,
					  unsigned int file_index,
					  uint64_t offset, uint64_t len)
{
	lpel_prep_file(sqe, PEL_OP_COMPARE, (void *)buf, file_index, offset,
		       len);
}

/* Read the file range into dst: a parallel pread(). */
static inline void lpel_prep_file_copy(struct pel_sqe *sqe, void *dst,
				       unsigned int file_index,
				       uint64_t offset, uint64_t len)
{
	lpel_prep_file(sqe, PEL_OP_COPY, dst, file_index, offset, len);
}

/* Read the file range into dst and CRC-32C it in one pass. */
static inline void lpel_prep_file_copy_crc32c(struct pel_sqe *sqe, void *dst,
					      unsigned int file_index,
					      uint64_t offset, uint64_t len,
					      uint32_t seed)
{
	lpel_prep_file(sqe, PEL_OP_COPY_CRC32C, dst, file_index, offset, len);
	sqe->arg0 = seed;
}

/*
 * Per-block digests (PEL_OPF_BLOCKS): the CRC-32C (each seeded with seed)
 * or SHA-256 of every block bytes of the source, into crcs[i] or the 32
 * bytes at digests + 32 * i; the last block may be shorter.  The blocks run
 * in parallel.  cqe.result = the digests written.
 */
static inline void lpel_prep_crc32c_blocks(struct pel_sqe *sqe, uint32_t *crcs,
					   const void *src, uint64_t len,
					   uint64_t block, uint32_t seed)
{
	lpel_prep_rw(sqe, PEL_OP_CRC32C, crcs, src, len);
	sqe->op_flags = PEL_OPF_BLOCKS;
	sqe->arg0 = seed;
	sqe->arg1 = block;
}

static inline void lpel_prep_sha256_blocks(struct pel_sqe *sqe, void *digests,
					   const void *src, uint64_t len,
					   uint64_t block)
{
	lpel_prep_rw(sqe, PEL_OP_SHA256, digests, src, len);
	sqe->op_flags = PEL_OPF_BLOCKS;
	sqe->arg1 = block;
}

/* The same over a range of a registered file. */
static inline void lpel_prep_file_crc32c_blocks(struct pel_sqe *sqe,
						uint32_t *crcs,
						unsigned int file_index,
						uint64_t offset, uint64_t len,
						uint64_t block, uint32_t seed)
{
	lpel_prep_file(sqe, PEL_OP_CRC32C, crcs, file_index, offset, len);
	sqe->op_flags = PEL_OPF_BLOCKS;
	sqe->arg0 = seed;
	sqe->arg1 = block;
}

static inline void lpel_prep_file_sha256_blocks(struct pel_sqe *sqe,
						void *digests,
						unsigned int file_index,
						uint64_t offset, uint64_t len,
						uint64_t block)
{
	lpel_prep_file(sqe, PEL_OP_SHA256, digests, file_index, offset, len);
	sqe->op_flags = PEL_OPF_BLOCKS;
	sqe->arg1 = block;
}

/* PEL_SQE_LINK, PEL_SQE_DRAIN; set after the prep helper. */
static inline void lpel_sqe_set_flags(struct pel_sqe *sqe, uint8_t flags)
{
	sqe->flags |= flags;
}

/*
 * Every address of the op lies in one buffer registered with
 * lpel_register_buffers(): the kernel runs it on the pinned pages, and
 * fails it with -EFAULT when an address is outside.  Set after the prep
 * helper.
 */
static inline void lpel_sqe_set_fixed(struct pel_sqe *sqe)
{
	sqe->flags |= PEL_SQE_FIXED;
}

/* Not started by deadline_ns (CLOCK_MONOTONIC), the op ends with -ETIME. */
static inline void lpel_sqe_set_deadline(struct pel_sqe *sqe,
					 uint64_t deadline_ns)
{
	sqe->flags |= PEL_SQE_DEADLINE;
	sqe->deadline_ns = deadline_ns;
}

#ifdef __cplusplus
}
#endif

#endif /* LPEL_H */
