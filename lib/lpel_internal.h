/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * What lpel.c and the user backend (user.c) share.  Private to liblpel:
 * nothing here is exported (the version script keeps it local).
 */
#ifndef LPEL_INTERNAL_H
#define LPEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lpel.h"

#define LPEL_HIDDEN		__attribute__((visibility("hidden")))

struct lpel_user;

/*
 * liblpel's own state of a ring, in the allocation of ring->published (so
 * that struct lpel_ring, which applications embed, keeps its size).
 */
struct lpel_priv {
	uint64_t submit_tick;		/* the last lpel_publish() that published */
	uint64_t lat_ticks;		/* EWMA, submit to awaited CQE; 0: none yet */
	uint64_t ticks_per_us;		/* the spin clock's rate */
	uint64_t cal_tick, cal_ns;	/* lpel_ticks(), monotonic_raw_ns() at setup */
	bool calibrated;
	struct lpel_user *user;		/* the user backend's engine, else NULL */
	unsigned int published[];	/* lpel_publish() scratch, nr_queues */
};

static inline struct lpel_priv *lpel_priv(const struct lpel_ring *ring)
{
	return (struct lpel_priv *)((char *)ring->published -
				    offsetof(struct lpel_priv, published));
}

/* The user engine of a ring set up on the user backend, else NULL. */
static inline struct lpel_user *lpel_user_of(const struct lpel_ring *ring)
{
	return ring->published ? lpel_priv(ring)->user : NULL;
}

/* lpel.c */
LPEL_HIDDEN struct lpel_priv *lpel_priv_alloc(unsigned int nr_queues);
LPEL_HIDDEN void lpel_setup_queue(struct lpel_queue *q, char *map,
				  size_t map_size,
				  const struct pel_queue_offsets *o,
				  unsigned int index);
LPEL_HIDDEN int lpel_build_cpu_table(struct lpel_ring *ring);
LPEL_HIDDEN int lpel_peek_scan(struct lpel_ring *ring, struct pel_cqe **cqe);

/* user.c: the user backend */
/* Set ring up on the user backend; 0 or -errno (ring left zeroed, fd -1). */
LPEL_HIDDEN int lpel_user_init(struct lpel_ring *ring,
			       const struct lpel_params *p);
/* Stop the workers and free the engine; lpel_exit() unmaps the rest. */
LPEL_HIDDEN void lpel_user_exit(struct lpel_ring *ring);
/* PEL_IOC_ENTER for the user backend: same flags, results and errors. */
LPEL_HIDDEN int lpel_user_enter(struct lpel_ring *ring, unsigned int flags,
				unsigned int queue, unsigned int min_complete,
				uint64_t timeout_ns);
/* lpel_peek_cqe() found nothing: keep the eventfd's readiness honest. */
LPEL_HIDDEN int lpel_user_peek_empty(struct lpel_ring *ring,
				     struct pel_cqe **cqe);
/* lpel_fd(): the eventfd says from now on whether a CQE is ready. */
LPEL_HIDDEN void lpel_user_fd_on(const struct lpel_ring *ring);
/* lpel_cqe_seen() reaped a CQE of q: the eventfd too. */
LPEL_HIDDEN void lpel_user_seen(struct lpel_ring *ring,
				const struct lpel_queue *q);
LPEL_HIDDEN int lpel_user_register_buffers(struct lpel_ring *ring,
					   const struct iovec *iovs,
					   unsigned int nr);
LPEL_HIDDEN int lpel_user_unregister_buffers(struct lpel_ring *ring);
LPEL_HIDDEN int lpel_user_register_files(struct lpel_ring *ring,
					 const int *fds, unsigned int nr,
					 int *res);
LPEL_HIDDEN int lpel_user_unregister_files(struct lpel_ring *ring);

#endif /* LPEL_INTERNAL_H */
