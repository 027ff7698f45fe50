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

#include "pel.h"

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

/* Parameters for lpel_init_params(); zero fields take defaults. */
struct lpel_params {
	unsigned int sq_entries;
	unsigned int cq_entries;
	unsigned int idle_us;
	unsigned int flags;		/* PEL_SETUP_* */
};

int lpel_init(struct lpel_ring *ring, unsigned int entries);
int lpel_init_params(struct lpel_ring *ring, const struct lpel_params *p);
void lpel_exit(struct lpel_ring *ring);

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
/* Wait for a CQE: spins briefly, then blocks in the kernel. */
int lpel_wait_cqe(struct lpel_ring *ring, struct pel_cqe **cqe);
/* As lpel_wait_cqe(), giving up with -ETIME after timeout_ns (0: never). */
int lpel_wait_cqe_timeout(struct lpel_ring *ring, struct pel_cqe **cqe,
			  uint64_t timeout_ns);
/* Hand a CQE from peek/wait back to its ring (in peek order per queue). */
void lpel_cqe_seen(struct lpel_ring *ring, struct pel_cqe *cqe);

/* CQEs ready to be reaped over all queues. */
unsigned int lpel_cq_ready(const struct lpel_ring *ring);
/* The context fd, for poll()/epoll: readable when a CQE is ready. */
static inline int lpel_fd(const struct lpel_ring *ring)
{
	return ring->fd;
}

/* Wake the workers of queue q (PEL_QUEUE_ALL: every queue). */
int lpel_wake(struct lpel_ring *ring, unsigned int q);

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

/* Copy len bytes from src to dst.  Overlapping buffers: undefined. */
static inline void lpel_prep_copy(struct pel_sqe *sqe, void *dst,
				  const void *src, uint64_t len)
{
	lpel_prep_rw(sqe, PEL_OP_COPY, dst, src, len);
}

#ifdef __cplusplus
}
#endif

#endif /* LPEL_H */
