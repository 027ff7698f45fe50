// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * liblpel's user backend: the engine that serves a ring's SQ/CQ rings with
 * a pool of threads in this process when pel.ko is not there (or not
 * wanted).  Same rings, same protocol, same ops, results and errors as the
 * kernel's (kmod/): lpel.c's get_sqe, publish, peek, seen and spin run
 * unchanged on it.  How one op runs is uops.c's (lib/uops.h); this file is
 * who runs which op when.
 *
 * Rings.  Each queue is one anonymous MAP_SHARED mapping laid out exactly
 * as the kernel lays out its queue pages (struct lpel_urings mirrors
 * kmod's struct pel_rings: SQ head and flags, SQ tail, CQ head and CQ tail
 * on cache lines of their own; SQEs from the second page, CQEs after
 * them), with the kernel's geometry rules (pel_setup_check()).  The
 * mappings are MADV_DONTFORK: a fork() child has no rings, as with the
 * kernel, and its calls on the inherited ring fail with -EPERM.
 *
 * Threads.  One worker per queue ("lpel-user/N"), softly pinned to the
 * queue's CPU.  Like a kernel worker it polls its home queue, then chunks
 * of split ops, then the queues it adopted, then steals a batch from any
 * queue it can take from (and adopts that queue: it polls it until it
 * sleeps, so its submitter need not call in).  After idle_us without work
 * it sleeps on a futex.  Workers start asleep; the first submission wakes
 * them.  All signals but the synchronous ones are blocked in them.
 *
 * Consumers.  A queue has several possible consumers (its home worker,
 * thieves, a waiting owner that helps), so the consumer side is under the
 * queue's lock (which covers the CQ's producer side too): a take copies a whole batch of SQEs out of the ring
 * once, reserves a CQ slot and an in-flight slot for each (so the CQ never
 * overflows: a full CQ only stops taking), and moves sq_head, all under
 * the lock.  The take rules are the kernel's pel_queue_take(): a DRAIN SQE
 * starts a batch of its own with nothing of its queue in flight; the rest
 * of a LINK chain cut off by a batch is taken only once that batch posted,
 * with the chain's state handed over (chain_open, link_failed).  Every
 * taken SQE gets exactly one CQE.
 *
 * Memory ordering; [S1]-[S3], [C1]-[C2] are lpel.c's, seen from here:
 *   [S1] take load-acquires sq_tail, then copies the SQEs.
 *   [S2] take store-releases sq_head once the copies are done.
 *   [S3] NEED_WAKEUP: a worker going to sleep stops polling its queues
 *        (the last poller of a queue sets PEL_SQ_NEED_WAKEUP), issues a
 *        full barrier, and looks at every queue again; the submitter
 *        stores sq_tail, full barrier, reads sq_flags and, seeing the
 *        flag, makes lpel_wake() a FUTEX_WAKE ([K1]).  Either the worker
 *        sees the tail or the submitter sees the flag.
 *   [C1] post writes the CQEs, then store-releases cq_tail.
 *   [C2] take load-acquires cq_head before it counts (and later reuses)
 *        CQ slots.
 *   [K1] kicking a worker: the kicker bumps the worker's wake_seq (seq_cst
 *        RMW), then reads its sleeping flag and FUTEX_WAKEs only if set;
 *        the worker sets sleeping (seq_cst), reads wake_seq, looks for
 *        work, then FUTEX_WAITs on the value it read.  A kick after the
 *        read changes the word (the wait returns at once); one before it
 *        is seen by the look for work.  No syscall when nobody sleeps.
 *   [K2] waiting for CQEs: the waiter counts itself in cq_waiters (seq_cst
 *        RMW), reads cq_seq, counts the ready CQEs, FUTEX_WAITs on cq_seq;
 *        a poster stores cq_tail ([C1]), full barrier, reads cq_waiters,
 *        and only if non-zero bumps cq_seq and FUTEX_WAKEs.  No syscall on
 *        the worker's fast path when nobody waits.
 *   [E1] the eventfd (ring->fd): from the first lpel_fd() on (efd_on;
 *        until then nobody can be watching it, and nothing touches it, so
 *        a ring that is never polled makes no system call per CQE),
 *        readable while a CQE is ready.  efd_armed
 *        says "the fd has been drained since the last write".  A poster,
 *        after [C1] and the [K2] barrier, clears efd_armed (exchange) and
 *        writes the eventfd only if it was set.  lpel_cqe_seen() reaping
 *        the last ready CQE (or lpel_peek_cqe() finding every CQ empty)
 *        drains the fd if it was written, sets efd_armed, full barrier,
 *        and looks at the CQs again: if a CQE raced in, the fd is made
 *        readable again unless a poster did.  One write and one read per
 *        burst of CQEs, none while efd_armed stays set; the fd may be
 *        readable for a moment after the last CQE was reaped (a poster's
 *        write racing the drain), as lpel.h says.
 *
 * Waiting (PEL_ENTER_WAIT) is the kernel's pel_ctx_wait(): in periods of
 * U_RESCUE_NS, each starting with the waiter running its ring's SQEs and
 * chunks itself (help, as kmod/help.c: PEL_FEAT_WAIT_HELPS), then waking
 * the workers of queues nobody serves, then blocking on cq_seq ([K2]).
 * -ETIME past the timeout; -EINTR when a signal handler interrupts the
 * futex (a handler installed with SA_RESTART restarts it instead).
 *
 * Splitting is kmod/split.c's: a splittable op longer than U_SPLIT_BYTES
 * (1 MiB) is cut into 1 MiB chunks (at most U_MAX_CHUNKS, else larger
 * chunks, page multiples; with PEL_OPF_BLOCKS rounded up to whole blocks,
 * and not split when that is one chunk: lpel_uop_chunk()).  Its runner puts the split, which lives on its
 * stack, on the engine's list, kicks sleeping workers and claims chunks
 * itself; idle workers and a helping waiter claim chunks too.  The runner
 * then takes the split off the list and waits for the chunks claimed and
 * the helpers inside (under split_lock) to be done, and merges the
 * chunks' pieces in offset order with lpel_uop_merge() up to the first
 * that did not run to its end (a fault, a difference).
 *
 * CANCEL searches every batch of the engine (the workers' and the
 * helper's), lock-free (struct ubatch): a slot still PENDING becomes
 * CANCELLED (its op completes -ECANCELED, the CANCEL 0), one RUNNING gives
 * -EALREADY, none -ENOENT.  Slots move with compare-and-swap, so neither
 * a runner nor CANCEL takes a lock for a batch.
 *
 * Closing (lpel_exit()): stop and closing are set, every worker kicked and
 * joined.  An op running ends with -ECANCELED at its next check between
 * chunks (uops' *stop), ops not started with -ECANCELED; nobody reads
 * those CQEs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lpel.h"
#include "lpel_internal.h"
#include "uops.h"

/* The kernel module's defaults and limits (kmod/main.c). */
#define U_DEFAULT_IDLE_US	500
#define U_MAX_INFLIGHT		4096
/* SQEs a worker takes from a queue per turn (pel_batch), and the most. */
#define U_BATCH			32
#define U_MAX_BATCH		64
/* Queues a thief keeps polling after it stole from them. */
#define U_MAX_ADOPTED		4
/* Ops longer than this are split (pel_split_bytes), into this many chunks at most. */
#define U_SPLIT_BYTES		(1U << 20)
#define U_MAX_CHUNKS		64
/* An op this long has its CQE posted at once, with those before it. */
#define U_POST_NOW_BYTES	(64 * 1024)
/* How often a waiter looks again for queues nobody serves. */
#define U_RESCUE_NS		20000000ULL
/* More threads than this is a mistake, not a pool. */
#define U_MAX_THREADS		1024
/* Registered buffers: at most 1 GiB each, below the kernel's half. */
#define U_MAX_BUF_LEN		(1ULL << 30)
#define U_TASK_SIZE		0x00007ffffffff000ULL

#define U_FEATURES	(PEL_FEAT_OP_NOP | PEL_FEAT_OP_COPY | PEL_FEAT_WAIT | \
			 PEL_FEAT_IDLE_US | PEL_FEAT_OP_FILL | \
			 PEL_FEAT_OP_COMPARE | PEL_FEAT_OP_CRC32C | \
			 PEL_FEAT_OP_DUALCAST | PEL_FEAT_OP_XOR | \
			 PEL_FEAT_OP_SHA256 | PEL_FEAT_OP_CANCEL | \
			 PEL_FEAT_ORDERING | PEL_FEAT_DEADLINE | \
			 PEL_FEAT_PARALLEL | PEL_FEAT_MAX_INFLIGHT | \
			 PEL_FEAT_REGISTERED_BUFFERS | PEL_FEAT_WAIT_HELPS | \
			 PEL_FEAT_REGISTERED_FILES | PEL_FEAT_BLOCK_DIGESTS)

#define U_CACHELINE		64
#define NSEC_PER_SEC		1000000000ULL

#define LOAD(p)			__atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v)		__atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define LOAD_ACQ(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE_REL(p, v)		__atomic_store_n((p), (v), __ATOMIC_RELEASE)

/* The first page of a queue's mapping: kmod's struct pel_rings, to the byte. */
struct lpel_urings {
	/* written by the engine */
	uint32_t sq_head;
	uint32_t sq_flags;
	/* written by the application */
	uint32_t sq_tail __attribute__((aligned(U_CACHELINE)));
	/* written by the application */
	uint32_t cq_head __attribute__((aligned(U_CACHELINE)));
	/* written by the engine */
	uint32_t cq_tail __attribute__((aligned(U_CACHELINE)));
	/* written once at setup */
	uint32_t sq_mask __attribute__((aligned(U_CACHELINE)));
	uint32_t sq_entries;
	uint32_t cq_mask;
	uint32_t cq_entries;
	uint32_t cpu;
};

/*
 * A batch slot's state word: the batch's generation above, the state in
 * the low two bits.  0 (DONE of generation 0) is a slot never used.
 */
enum { U_DONE, U_PENDING, U_RUNNING, U_CANCELLED };
#define U_ST_BITS		2
#define U_ST_MASK		((1U << U_ST_BITS) - 1)
#define U_SLOT(gen, st)		((uint32_t)(gen) << U_ST_BITS | (st))

struct lpel_user;
struct uworker;

/* A registered buffer set: immutable once made; freed on its last put. */
struct ubufset {
	uint32_t refs;			/* atomic: the engine's, plus one per batch */
	struct lpel_ubufs ub;
	struct lpel_ubuf arr[];
};

/*
 * A registered file set: the ring's own fds (F_DUPFD_CLOEXEC), -1 for an
 * empty slot; immutable once made; closed and freed on its last put.
 */
struct ufileset {
	uint32_t refs;			/* atomic: the engine's, plus one per batch */
	struct lpel_ufiles uf;
	int fds[];
};

/* A small futex mutex (see ulock_lock()): 0 free, 1 held, 2 waited for. */
struct ulock {
	uint32_t v;
};

struct uq {
	struct lpel_user *u;
	struct lpel_urings *rings;	/* shared */
	struct pel_sqe *sqes;		/* shared: read only by uq_take() */
	struct pel_cqe *cqes;		/* shared: written only by uq_post() */
	struct uworker *home;
	unsigned int index, cpu;
	/* Private copies of the geometry: never re-read from shared memory. */
	uint32_t sq_entries, sq_mask, cq_entries, cq_mask;

	/*
	 * lock protects the consumer side: sq_head, chain_open, link_failed,
	 * head_drain, and pollers with the NEED_WAKEUP flag it drives; and
	 * the CQ's producer side: cq_tail (ours) and cq_reserved (SQEs
	 * taken, CQE not posted: each owns a CQ slot).  Held for a take's
	 * copy and a post's, never while an op runs.  sq_head, chain_open,
	 * head_drain, cq_tail and cq_reserved are also read locklessly
	 * (atomically) by hints.
	 */
	struct ulock lock __attribute__((aligned(U_CACHELINE)));
	uint32_t sq_head;
	bool chain_open;		/* the last SQE taken had LINK */
	bool link_failed;		/* ... and that chain already failed */
	bool head_drain;		/* a take stopped at a DRAIN SQE at sq_head */
	unsigned int pollers;		/* workers polling: NEED_WAKEUP iff 0 */
	uint32_t cq_tail;
	uint32_t cq_reserved;
	/* Atomic hint: a worker other than home that adopted q, or NULL. */
	struct uworker *adopter;
};

/*
 * A batch: SQEs one take copied, run in order by one runner.  CANCEL on
 * other threads sees only state[] and ud[], atomically, and takes no lock:
 * the runner writes a slot's ud, then release-stores its state word
 * (U_SLOT(gen, PENDING)); it moves the slot to RUNNING and DONE with the
 * same generation, CANCEL from PENDING to CANCELLED, both by
 * compare-and-swap.  A CANCEL that read a slot's ud and state of one batch
 * cannot cancel the next batch's op in that slot: the generation differs,
 * and the runner writes the next ud only after its own compare-and-swap
 * on the slot.  Every slot of a batch ends DONE before the next take.
 * The rest is the runner's.
 */
struct ubatch {
	uint32_t state[U_MAX_BATCH];	/* atomic: U_SLOT(gen, state) */
	uint64_t ud[U_MAX_BATCH];	/* atomic: the slot's user_data */
	uint32_t gen;			/* the batch's generation */
	struct uq *q;
	unsigned int nr;

	struct ubufset *bufs;		/* registered buffers at take, referenced */
	struct ufileset *files;		/* registered files at take, referenced */
	bool link_failed;
	unsigned int next;		/* the SQE to run next */
	unsigned int posted;		/* CQEs posted: cqes[posted, next) wait */
	struct lpel_uop op;		/* the op running, checked */
	struct pel_sqe sqes[U_MAX_BATCH];
	struct pel_cqe cqes[U_MAX_BATCH];
};

struct uworker {
	struct lpel_user *u;
	struct uq *home;
	unsigned int index;
	pthread_t thread;
	bool started;
	/* [K1]: bumped by every kick; the futex word it sleeps on. */
	uint32_t wake_seq;
	uint32_t sleeping;		/* atomic: about to sleep, or asleep */
	uint32_t running;		/* atomic: running a batch (a hint) */
	/* The worker's own. */
	bool home_polled;
	struct uq *adopted[U_MAX_ADOPTED];
	unsigned int nr_adopted;
	struct ubatch batch;
};

/* A split op, on its runner's stack (see the header comment). */
struct usplit {
	struct usplit *next;		/* on the engine's splits, under split_lock */
	const struct lpel_uop *op;	/* the runner's; read-only for helpers */
	const volatile int *stop;
	uint64_t len, chunk;
	unsigned int nr_chunks;
	uint32_t claim;			/* atomic: next chunk to claim */
	uint32_t done;			/* atomic: chunks run */
	uint32_t seq;			/* atomic: futex word, bumped on each event */
	unsigned int helpers;		/* under split_lock: helpers inside */
	struct lpel_upiece pieces[U_MAX_CHUNKS];
};

struct lpel_user {
	unsigned int nr_queues;
	struct uq *queues;
	struct uworker *workers;
	uint64_t idle_ns;
	uint32_t max_inflight;
	/*
	 * Whether max_inflight can bind: below what the CQs can hold.  If
	 * not, the CQ reservations bound the ops in flight already and
	 * inflight is not counted (two atomic operations an op saved).
	 */
	bool capped;
	uint32_t inflight;		/* atomic, if capped: SQEs taken, CQE not yet posted */
	int stop;			/* atomic: workers leave */
	volatile int closing;		/* ops end -ECANCELED (uops' *stop) */
	unsigned int fork_gen;		/* lpel_fork_gen at setup */
	int efd;

	uint32_t efd_on;		/* [E1], atomic: lpel_fd() was called */
	uint32_t efd_armed;		/* [E1], atomic */
	uint32_t cq_seq;		/* [K2] futex word, atomic */
	uint32_t cq_waiters;		/* [K2], atomic */

	/* split_lock protects splits and each split's helpers count. */
	pthread_mutex_t split_lock;
	struct usplit *splits;		/* also peeked at atomically */

	/* help_mutex: one helping thread at a time; protects help_batch's runner side. */
	pthread_mutex_t help_mutex;
	struct ubatch help_batch;

	/* bufs_lock protects bufs (the set itself is immutable). */
	pthread_mutex_t bufs_lock;
	struct ubufset *bufs;		/* also peeked at atomically */

	/* files_lock protects files (the set itself is immutable). */
	pthread_mutex_t files_lock;
	struct ufileset *files;		/* also peeked at atomically */
};

/* Bumped in every fork() child: a ring set up before it is not the child's. */
static unsigned int lpel_fork_gen;
static pthread_once_t lpel_atfork_once = PTHREAD_ONCE_INIT;

static void u_atfork_child(void)
{
	__atomic_fetch_add(&lpel_fork_gen, 1, __ATOMIC_RELAXED);
}

static void u_atfork_register(void)
{
	pthread_atfork(NULL, NULL, u_atfork_child);
}

static bool u_forked(const struct lpel_user *u)
{
	return LOAD(&lpel_fork_gen) != u->fork_gen;
}

static uint64_t u_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static inline void u_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

static int futex_wait(uint32_t *addr, uint32_t val, const struct timespec *rel)
{
	if (syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, rel, NULL, 0) < 0)
		return -errno;
	return 0;
}

static void futex_wake(uint32_t *addr, int nr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

/*
 * ulock: the mutex of the short critical sections on the round trip (a
 * queue's take and post, a batch's set-up), Drepper's "mutex 3" from
 * "Futexes Are Tricky": 0 free, 1 held, 2 held and maybe waited for.
 * Uncontended it is one compare-and-swap and one exchange, inline; a
 * pthread_mutex_lock()/unlock() pair is about sixty instructions and two
 * calls, which under QEMU's TCG (the VMs of the test rig) costs 99 ns a
 * pair against 33 (Documentation/performance.md).  A contended lock spins
 * briefly (its holder copies a few SQEs or CQEs), then sleeps on the futex.
 * The acquire and release orders give ThreadSanitizer the same
 * happens-before edges as a mutex.
 */
#define U_LOCK_SPINS	16

static void ulock_lock_slow(struct ulock *l)
{
	uint32_t c = 0;
	unsigned int i;

	for (i = 0; i < U_LOCK_SPINS; i++) {
		u_cpu_relax();
		c = 0;
		if (__atomic_compare_exchange_n(&l->v, &c, 1, false,
						__ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED))
			return;
	}
	if (c != 2)
		c = __atomic_exchange_n(&l->v, 2, __ATOMIC_ACQUIRE);
	while (c) {
		futex_wait(&l->v, 2, NULL);
		c = __atomic_exchange_n(&l->v, 2, __ATOMIC_ACQUIRE);
	}
}

static inline void ulock_lock(struct ulock *l)
{
	uint32_t c = 0;

	if (!__atomic_compare_exchange_n(&l->v, &c, 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		ulock_lock_slow(l);
}

static inline void ulock_unlock(struct ulock *l)
{
	if (__atomic_exchange_n(&l->v, 0, __ATOMIC_RELEASE) == 2)
		futex_wake(&l->v, 1);
}

static struct timespec u_ts(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / NSEC_PER_SEC),
		.tv_nsec = (long)(ns % NSEC_PER_SEC),
	};

	return ts;
}

/* ---- Workers: kicks ([K1]) --------------------------------------------- */

static void uw_kick(struct uworker *w)
{
	__atomic_fetch_add(&w->wake_seq, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST))
		futex_wake(&w->wake_seq, 1);
}

/* Kick up to max sleeping workers other than ex1 and ex2. */
static void u_kick_idle(struct lpel_user *u, unsigned int max,
			const struct uworker *ex1, const struct uworker *ex2)
{
	unsigned int i;

	for (i = 0; i < u->nr_queues && max; i++) {
		struct uworker *w = &u->workers[i];

		if (w == ex1 || w == ex2 || !LOAD(&w->sleeping))
			continue;
		uw_kick(w);
		max--;
	}
}

/*
 * Get a worker other than home to look for work: one that polls (a kick
 * costs it nothing), else a sleeping one, else one running a batch (it
 * looks when done).  False when home is the only worker.
 */
static bool u_kick_other(struct lpel_user *u, struct uworker *home)
{
	unsigned int pass, i;

	for (pass = 0; pass < 3; pass++) {
		for (i = 0; i < u->nr_queues; i++) {
			struct uworker *w = &u->workers[i];
			bool sleeping = LOAD(&w->sleeping);
			bool running = LOAD(&w->running);

			if (w == home)
				continue;
			if ((pass == 0 && !sleeping && !running) ||
			    (pass == 1 && sleeping) ||
			    (pass == 2 && running)) {
				uw_kick(w);
				return true;
			}
		}
	}
	return false;
}

/* ---- Queues: the consumer side ---------------------------------------- */

/* Whether the SQ holds SQEs not yet taken.  A hint. */
static bool uq_sq_pending(struct uq *q)
{
	return LOAD(&q->rings->sq_tail) != LOAD(&q->sq_head);
}

/*
 * Whether uq_take() would take something now (kmod's pel_queue_can_take()):
 * SQEs wait, the ring is under max_inflight, the CQ has a free slot, and
 * the take rules allow it.  A hint: uq_take() decides under the lock.
 */
static bool uq_can_take(struct uq *q)
{
	struct lpel_user *u = q->u;
	uint32_t tail, head, used, reserved;

	tail = LOAD_ACQ(&q->rings->sq_tail);
	head = LOAD(&q->sq_head);
	if (tail == head)
		return false;
	if (u->capped && LOAD(&u->inflight) >= u->max_inflight)
		return false;
	reserved = LOAD(&q->cq_reserved);
	/*
	 * kmod's hint looks at the DRAIN flag of the shared SQE at head; we
	 * use what the last take saw there instead.  The application writes
	 * SQEs with plain stores, and a lockless look at a slot is ordered
	 * before nothing: another consumer may take that SQE meanwhile and
	 * the application refill the slot, a data race in C11 (ThreadSanitizer
	 * reports it).  uq_take() reads SQEs only under q->lock, which orders
	 * each read before the store-release of sq_head ([S2]) that lets the
	 * slot be reused.
	 */
	if (reserved && (LOAD(&q->chain_open) || LOAD(&q->head_drain)))
		return false;
	used = LOAD(&q->cq_tail) - LOAD_ACQ(&q->rings->cq_head);
	return used < q->cq_entries && q->cq_entries - used > reserved;
}

/* Give back n reservations a take did not use.  Caller holds q->lock. */
static void uq_unreserve(struct uq *q, uint32_t n)
{
	STORE(&q->cq_reserved, q->cq_reserved - n);
	if (q->u->capped)
		__atomic_fetch_sub(&q->u->inflight, n, __ATOMIC_RELAXED);
}

/*
 * Copy up to max SQEs out of the ring into out, reserving a CQ slot and an
 * in-flight slot for each: kmod's pel_queue_take(), rule for rule.  Every
 * SQE taken must be completed with uq_post().
 */
static unsigned int uq_take(struct uq *q, struct pel_sqe *out,
			    unsigned int max, bool *link_failed)
{
	struct lpel_user *u = q->u;
	uint32_t tail, avail, cq_head, cq_used, cq_free, in_flight, n, i, got;

	ulock_lock(&q->lock);
	/* [S1] */
	tail = LOAD_ACQ(&q->rings->sq_tail);
	avail = tail - q->sq_head;
	/* A tail more than a ring ahead is garbage; take at most a ring. */
	if (avail > q->sq_entries)
		avail = q->sq_entries;
	if (!avail)
		goto out_unlock;

	/* [C2] */
	cq_head = LOAD_ACQ(&q->rings->cq_head);
	in_flight = q->cq_reserved;
	if (q->chain_open && in_flight)
		goto out_unlock;
	cq_used = q->cq_tail - cq_head;
	if (cq_used > q->cq_entries)	/* a garbage head: full */
		cq_used = q->cq_entries;
	cq_free = q->cq_entries - cq_used;
	cq_free = cq_free > in_flight ? cq_free - in_flight : 0;
	n = avail < cq_free ? avail : cq_free;
	if (n > max)
		n = max;
	/* The ring's cap on ops in flight, shared by all its queues. */
	if (u->capped && n) {
		got = __atomic_add_fetch(&u->inflight, n, __ATOMIC_RELAXED);
		if (got > u->max_inflight) {
			uint32_t over = got - u->max_inflight;

			if (over > n)
				over = n;
			__atomic_fetch_sub(&u->inflight, over, __ATOMIC_RELAXED);
			n -= over;
		}
	}
	STORE(&q->cq_reserved, q->cq_reserved + n);

	for (i = 0; i < n; i++) {
		memcpy(&out[i], &q->sqes[(q->sq_head + i) & q->sq_mask],
		       sizeof(*out));
		/* A DRAIN SQE starts a batch of its own, with nothing in flight. */
		if (out[i].flags & PEL_SQE_DRAIN && (i || in_flight))
			break;
	}
	/* Whether the SQE now at sq_head is a DRAIN one, for uq_can_take(). */
	if (n)
		STORE(&q->head_drain, i < n);
	if (i < n) {
		uq_unreserve(q, n - i);
		n = i;
	}
	if (!n)
		goto out_unlock;
	*link_failed = q->chain_open && q->link_failed;
	STORE(&q->chain_open, (out[n - 1].flags & PEL_SQE_LINK) != 0);
	STORE(&q->sq_head, q->sq_head + n);
	/* [S2]: the copies are done. */
	STORE_REL(&q->rings->sq_head, q->sq_head);
	ulock_unlock(&q->lock);
	return n;

out_unlock:
	ulock_unlock(&q->lock);
	return 0;
}

/* A batch ends inside a LINK chain: hand its state to the rest's batch. */
static void uq_end_chain_part(struct uq *q, bool link_failed)
{
	ulock_lock(&q->lock);
	q->link_failed = link_failed;
	ulock_unlock(&q->lock);
}

/*
 * Post the CQEs of n SQEs taken by uq_take(), in order; wake a waiter
 * ([K2]), make the fd readable ([E1]), and wake workers that completions
 * let take again.
 */
static void uq_post(struct uq *q, const struct pel_cqe *cqes, unsigned int n)
{
	struct lpel_user *u = q->u;
	uint32_t reserved, left;
	unsigned int i;

	if (!n)
		return;
	ulock_lock(&q->lock);
	for (i = 0; i < n; i++)
		memcpy(&q->cqes[(q->cq_tail + i) & q->cq_mask], &cqes[i],
		       sizeof(cqes[i]));
	STORE(&q->cq_reserved, q->cq_reserved - n);
	/* [C1]: the CQEs are written. */
	STORE_REL(&q->rings->cq_tail, q->cq_tail + n);
	STORE(&q->cq_tail, q->cq_tail + n);
	reserved = q->cq_reserved;
	ulock_unlock(&q->lock);
	/* Out of flight once visible: never more than max_inflight seen. */
	left = u->capped ? __atomic_sub_fetch(&u->inflight, n, __ATOMIC_SEQ_CST) :
			   0;

	/* [K2], [E1]: the tail store before the looks at waiters and the fd. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (LOAD(&u->cq_waiters)) {
		__atomic_fetch_add(&u->cq_seq, 1, __ATOMIC_SEQ_CST);
		futex_wake(&u->cq_seq, INT_MAX);
	}
	if (LOAD(&u->efd_armed) &&
	    __atomic_exchange_n(&u->efd_armed, 0, __ATOMIC_SEQ_CST)) {
		uint64_t one = 1;

		if (write(u->efd, &one, sizeof(one)) < 0) {
			/* EAGAIN: the counter is full, so readable anyway. */
		}
	}

	/*
	 * Completions that change uq_can_take()'s answer wake a worker, as
	 * nobody else would: the queue's last op in flight is done (a
	 * chain's rest or a DRAIN may go) and no worker polls it; or the
	 * ring was at max_inflight.
	 */
	if (!reserved && uq_sq_pending(q) &&
	    LOAD(&q->rings->sq_flags) & PEL_SQ_NEED_WAKEUP)
		uw_kick(q->home);
	if (u->capped && left + n >= u->max_inflight)
		u_kick_idle(u, 1, NULL, NULL);
}

/* CQEs posted and not yet reaped on q, as far as the head says. */
static uint32_t uq_cq_ready(struct uq *q)
{
	uint32_t ready = LOAD_ACQ(&q->rings->cq_tail) -
			 LOAD(&q->rings->cq_head);

	return ready <= q->cq_entries ? ready : 0;
}

static uint32_t u_cq_ready(struct lpel_user *u, unsigned int qi)
{
	uint32_t ready = 0;
	unsigned int i;

	if (qi != PEL_QUEUE_ALL)
		return uq_cq_ready(&u->queues[qi]);
	for (i = 0; i < u->nr_queues; i++)
		ready += uq_cq_ready(&u->queues[i]);
	return ready;
}

/* NEED_WAKEUP iff no worker polls q; caller holds q->lock. */
static void uq_set_need_wakeup(struct uq *q, bool on)
{
	uint32_t flags = LOAD(&q->rings->sq_flags);

	if (!!(flags & PEL_SQ_NEED_WAKEUP) == on)
		return;
	STORE(&q->rings->sq_flags, on ? flags | PEL_SQ_NEED_WAKEUP :
					flags & ~PEL_SQ_NEED_WAKEUP);
}

static void uq_poll_enter(struct uq *q)
{
	ulock_lock(&q->lock);
	if (!q->pollers++)
		uq_set_need_wakeup(q, false);
	ulock_unlock(&q->lock);
}

/* The caller must issue a full barrier and look at q again ([S3]). */
static void uq_poll_leave(struct uq *q)
{
	ulock_lock(&q->lock);
	if (!--q->pollers)
		uq_set_need_wakeup(q, true);
	ulock_unlock(&q->lock);
}

/* ---- Registered buffers ------------------------------------------------ */

static struct ubufset *u_bufs_get(struct lpel_user *u)
{
	struct ubufset *t;

	if (!__atomic_load_n(&u->bufs, __ATOMIC_RELAXED))
		return NULL;
	pthread_mutex_lock(&u->bufs_lock);
	t = u->bufs;
	if (t)
		__atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->bufs_lock);
	return t;
}

static void u_bufs_put(struct ubufset *t)
{
	if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(t);
}

/* ---- Registered files -------------------------------------------------- */

static struct ufileset *u_files_get(struct lpel_user *u)
{
	struct ufileset *t;

	if (!__atomic_load_n(&u->files, __ATOMIC_RELAXED))
		return NULL;
	pthread_mutex_lock(&u->files_lock);
	t = u->files;
	if (t)
		__atomic_fetch_add(&t->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->files_lock);
	return t;
}

/* The last put closes the ring's fds: no op uses them any more. */
static void u_files_put(struct ufileset *t)
{
	unsigned int i;

	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (i = 0; i < t->uf.nr; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	free(t);
}

/* ---- Batches ----------------------------------------------------------- */

/* A new batch of nr SQEs taken from q, already in b->sqes. */
static void ub_set(struct ubatch *b, struct uq *q, unsigned int nr,
		   bool link_failed)
{
	unsigned int i;

	b->gen = (b->gen + 1) & (UINT32_MAX >> U_ST_BITS);
	for (i = 0; i < nr; i++) {
		STORE(&b->ud[i], b->sqes[i].user_data);
		STORE_REL(&b->state[i], U_SLOT(b->gen, U_PENDING));
	}
	b->nr = nr;
	b->q = q;
	b->next = 0;
	b->posted = 0;
	b->link_failed = link_failed;
}

static void ub_flush(struct ubatch *b)
{
	unsigned int n = b->next - b->posted;

	if (!n)
		return;
	uq_post(b->q, &b->cqes[b->posted], n);
	b->posted = b->next;
}

/* CANCEL's search of one batch: 0, -EALREADY or -ENOENT. */
static int ub_cancel(struct ubatch *b, uint64_t user_data)
{
	unsigned int i;
	int ret = -ENOENT;

	for (i = 0; i < U_MAX_BATCH; i++) {
		uint32_t s = LOAD_ACQ(&b->state[i]), st = s & U_ST_MASK;

		if (st != U_PENDING && st != U_RUNNING)
			continue;
		if (LOAD(&b->ud[i]) != user_data)
			continue;
		if (st == U_PENDING &&
		    __atomic_compare_exchange_n(&b->state[i], &s,
						(s & ~U_ST_MASK) | U_CANCELLED,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			return 0;
		/* Running, or it started (or ended) since we looked. */
		if ((s & U_ST_MASK) == U_RUNNING)
			ret = -EALREADY;
	}
	return ret;
}

static int u_cancel(struct lpel_user *u, uint64_t user_data)
{
	int ret = -ENOENT, r;
	unsigned int i;

	for (i = 0; i < u->nr_queues; i++) {
		r = ub_cancel(&u->workers[i].batch, user_data);
		if (!r)
			return 0;
		if (r == -EALREADY)
			ret = r;
	}
	r = ub_cancel(&u->help_batch, user_data);
	return r == -ENOENT ? ret : r;
}

/* ---- Splitting ---------------------------------------------------------- */

static uint64_t us_chunk_len(const struct usplit *s, unsigned int i)
{
	uint64_t off = (uint64_t)i * s->chunk;

	return s->len - off < s->chunk ? s->len - off : s->chunk;
}

static void us_event(struct usplit *s)
{
	__atomic_fetch_add(&s->seq, 1, __ATOMIC_SEQ_CST);
	futex_wake(&s->seq, 1);
}

/* Claim and run chunks until none is left.  Returns the chunks run. */
static unsigned int us_claim(struct usplit *s)
{
	unsigned int i, n = 0;

	while ((i = __atomic_fetch_add(&s->claim, 1, __ATOMIC_RELAXED)) <
	       s->nr_chunks) {
		lpel_uop_run(s->op, (uint64_t)i * s->chunk, us_chunk_len(s, i),
			     s->stop, &s->pieces[i]);
		/* The piece before the runner's read of done. */
		__atomic_fetch_add(&s->done, 1, __ATOMIC_RELEASE);
		us_event(s);
		n++;
	}
	return n;
}

/* Join a split with chunks left; NULL when there is none. */
static struct usplit *us_join(struct lpel_user *u)
{
	struct usplit *s;

	if (!__atomic_load_n(&u->splits, __ATOMIC_RELAXED))
		return NULL;
	pthread_mutex_lock(&u->split_lock);
	for (s = u->splits; s; s = s->next)
		if (LOAD(&s->claim) < s->nr_chunks) {
			s->helpers++;
			break;
		}
	pthread_mutex_unlock(&u->split_lock);
	return s;
}

/* An idle thread helps with a split.  Returns the chunks it ran. */
static unsigned int u_split_help(struct lpel_user *u)
{
	struct usplit *s = us_join(u);
	unsigned int n;

	if (!s)
		return 0;
	n = us_claim(s);
	/* Under the lock: the runner's frame outlives our last touch. */
	pthread_mutex_lock(&u->split_lock);
	s->helpers--;
	us_event(s);
	pthread_mutex_unlock(&u->split_lock);
	return n;
}

static bool us_finished(struct lpel_user *u, struct usplit *s)
{
	bool fin;

	pthread_mutex_lock(&u->split_lock);
	fin = __atomic_load_n(&s->done, __ATOMIC_ACQUIRE) == s->nr_chunks &&
	      !s->helpers;
	pthread_mutex_unlock(&u->split_lock);
	return fin;
}

/*
 * The chunk an op of len bytes splits into: U_SPLIT_BYTES, larger (page
 * multiples) past U_MAX_CHUNKS; PEL_OPF_BLOCKS' a whole number of blocks.
 */
static uint64_t u_split_chunk(const struct lpel_uop *op, uint64_t len)
{
	return lpel_uop_chunk(op, len, U_SPLIT_BYTES, U_MAX_CHUNKS,
			      (uint64_t)sysconf(_SC_PAGESIZE));
}

/* Run op as chunks on every thread that comes to help; the whole in *p. */
static void u_split_run(struct lpel_user *u, const struct lpel_uop *op,
			uint64_t chunk, const struct uworker *self,
			struct lpel_upiece *p)
{
	uint64_t len = op->sqe.len, covered;
	struct usplit s, **pp;
	unsigned int i;

	memset(&s, 0, sizeof(s));
	s.op = op;
	s.stop = &u->closing;
	s.len = len;
	s.chunk = chunk;
	s.nr_chunks = (unsigned int)((len + chunk - 1) / chunk);

	pthread_mutex_lock(&u->split_lock);
	s.next = u->splits;
	__atomic_store_n(&u->splits, &s, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->split_lock);
	u_kick_idle(u, s.nr_chunks - 1, self, NULL);

	us_claim(&s);

	/* Every chunk is claimed: off the list, no one new joins. */
	pthread_mutex_lock(&u->split_lock);
	for (pp = &u->splits; *pp != &s; pp = &(*pp)->next)
		;
	__atomic_store_n(pp, s.next, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->split_lock);
	/* Bounded: a chunk is at most a few MiB of work. */
	for (;;) {
		uint32_t seq = __atomic_load_n(&s.seq, __ATOMIC_SEQ_CST);
		struct timespec ts = u_ts(1000000);

		if (us_finished(u, &s))
			break;
		futex_wait(&s.seq, seq, &ts);
	}

	*p = s.pieces[0];
	covered = us_chunk_len(&s, 0);
	for (i = 1; i < s.nr_chunks; i++) {
		if (p->res || p->differ || p->done < covered)
			break;
		lpel_uop_merge(op, p, covered, &s.pieces[i]);
		covered += us_chunk_len(&s, i);
	}
}

/* ---- Running a batch ----------------------------------------------------- */

/* Check and run the SQE copy sqe into cqe; 0, or the -errno of its CQE. */
static int ub_exec(struct lpel_user *u, struct ubatch *b,
		   const struct pel_sqe *sqe, struct pel_cqe *cqe,
		   const struct uworker *self)
{
	static const struct lpel_ubufs none;
	static const struct lpel_ufiles no_files;
	struct lpel_uop *op = &b->op;
	struct lpel_upiece piece;
	uint64_t chunk;
	int ret;

	op->sqe = *sqe;
	ret = lpel_uop_check_files(op, b->bufs ? &b->bufs->ub : &none,
				   b->files ? &b->files->uf : &no_files);
	if (ret)
		return ret;
	if (sqe->opcode == PEL_OP_CANCEL) {
		cqe->res = u_cancel(u, sqe->arg0);
		return 0;
	}
	if (sqe->opcode == PEL_OP_NOP)
		return 0;		/* res 0, result 0: the CQE is zeroed */
	if (op->splittable && u->nr_queues > 1 && sqe->len > U_SPLIT_BYTES &&
	    (chunk = u_split_chunk(op, sqe->len)) < sqe->len)
		u_split_run(u, op, chunk, self, &piece);
	else
		lpel_uop_run(op, 0, sqe->len, &u->closing, &piece);
	lpel_uop_finish(op, &piece, cqe);
	return 0;
}

/* The op at b->next is complete in b->cqes[b->next]: chain state, post. */
static void ub_complete(struct ubatch *b)
{
	const struct pel_sqe *sqe = &b->sqes[b->next];
	struct pel_cqe *cqe = &b->cqes[b->next];

	cqe->user_data = sqe->user_data;
	if (sqe->flags & PEL_SQE_LINK)
		b->link_failed |= cqe->res < 0;
	else
		b->link_failed = false;
	/* The rest of the chain is in the ring: hand over its state. */
	if (b->next == b->nr - 1 && sqe->flags & PEL_SQE_LINK)
		uq_end_chain_part(b->q, b->link_failed);
	__atomic_store_n(&b->state[b->next], U_SLOT(b->gen, U_DONE),
			 __ATOMIC_RELEASE);
	b->next++;
	if (b->next == b->nr || sqe->len >= U_POST_NOW_BYTES)
		ub_flush(b);
}

/* Run every SQE of the batch, each to exactly one CQE. */
static void ub_run(struct lpel_user *u, struct ubatch *b,
		   const struct uworker *self)
{
	while (b->next < b->nr) {
		const struct pel_sqe *sqe = &b->sqes[b->next];
		struct pel_cqe *cqe = &b->cqes[b->next];
		uint32_t expected = U_SLOT(b->gen, U_PENDING);
		int ret = 0;

		/* All 32 bytes go to the shared CQ: none may be garbage. */
		memset(cqe, 0, sizeof(*cqe));
		if (!__atomic_compare_exchange_n(&b->state[b->next], &expected,
						 U_SLOT(b->gen, U_RUNNING), false,
						 __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			ret = -ECANCELED;
		else if (b->link_failed || LOAD(&u->closing))
			ret = -ECANCELED;
		else if (sqe->flags & PEL_SQE_DEADLINE &&
			 u_now_ns() > sqe->deadline_ns)
			ret = -ETIME;
		if (!ret)
			ret = ub_exec(u, b, sqe, cqe, self);
		if (ret) {
			cqe->res = ret;
			cqe->result = 0;
		}
		ub_complete(b);
	}
}

/* Take a batch from q into b and run it.  Returns the SQEs taken. */
static unsigned int ub_take_run(struct lpel_user *u, struct ubatch *b,
				struct uq *q, struct uworker *self)
{
	bool link_failed = false;
	unsigned int n;

	n = uq_take(q, b->sqes, U_BATCH, &link_failed);
	if (!n)
		return 0;
	/* Work left behind: a sleeping worker comes to steal it. */
	if (self && uq_can_take(q))
		u_kick_idle(u, 1, self, q->home);
	b->bufs = u_bufs_get(u);
	b->files = u_files_get(u);
	ub_set(b, q, n, link_failed);
	ub_run(u, b, self);
	u_bufs_put(b->bufs);
	b->bufs = NULL;
	u_files_put(b->files);
	b->files = NULL;
	return n;
}

/* ---- The worker's life --------------------------------------------------- */

static unsigned int uw_run_queue(struct uworker *w, struct uq *q)
{
	unsigned int n;

	if (!uq_can_take(q))
		return 0;
	STORE(&w->running, 1);
	n = ub_take_run(w->u, &w->batch, q, w);
	STORE(&w->running, 0);
	return n;
}

static void uw_adopt(struct uworker *w, struct uq *q)
{
	unsigned int i;

	for (i = 0; i < w->nr_adopted; i++)
		if (w->adopted[i] == q)
			return;
	if (w->nr_adopted == U_MAX_ADOPTED)
		return;
	uq_poll_enter(q);
	w->adopted[w->nr_adopted++] = q;
	STORE(&q->adopter, w);
}

/*
 * Whether w leaves its home queue to the worker that adopted it.  The home
 * queue is the one lpel_submit() picks on w's CPU, so its submitter most
 * likely runs there: w polling beside it would take half of that CPU and
 * preempt it for a time slice, the self-inflicted hand-off the kernel's
 * workers avoid too.  A thief on another CPU serves it better, unless it
 * is busy running a batch.
 */
static bool uw_defer_home(const struct uworker *w)
{
	const struct uworker *a = LOAD(&w->home->adopter);

	return a && a != w && !LOAD(&a->running);
}

static unsigned int uw_run_adopted(struct uworker *w)
{
	unsigned int i, done = 0;

	for (i = 0; i < w->nr_adopted; i++)
		done += uw_run_queue(w, w->adopted[i]);
	return done;
}

/* A batch from the first other queue with work, after our own. */
static unsigned int uw_steal(struct uworker *w)
{
	struct lpel_user *u = w->u;
	unsigned int i, n;

	for (i = 1; i < u->nr_queues; i++) {
		struct uq *q = &u->queues[(w->index + i) % u->nr_queues];

		n = uw_run_queue(w, q);
		if (n) {
			uw_adopt(w, q);
			return n;
		}
	}
	return 0;
}

/* Whether any queue has SQEs not taken, or a split is on: a cheap hint. */
static bool u_sq_hint(struct lpel_user *u)
{
	unsigned int i;

	if (__atomic_load_n(&u->splits, __ATOMIC_RELAXED))
		return true;
	for (i = 0; i < u->nr_queues; i++)
		if (uq_sq_pending(&u->queues[i]))
			return true;
	return false;
}

/* Whether any queue or split has work for an idle worker. */
static bool u_work_pending(struct lpel_user *u)
{
	unsigned int i;

	if (__atomic_load_n(&u->splits, __ATOMIC_RELAXED))
		return true;
	for (i = 0; i < u->nr_queues; i++)
		if (uq_can_take(&u->queues[i]))
			return true;
	return false;
}

static void uw_poll_home(struct uworker *w)
{
	if (!w->home_polled) {
		w->home_polled = true;
		uq_poll_enter(w->home);
	}
}

/* Stop polling every queue; NEED_WAKEUP where we were the last poller. */
static void uw_leave_all(struct uworker *w)
{
	while (w->nr_adopted) {
		struct uq *q = w->adopted[--w->nr_adopted];
		struct uworker *me = w;

		/* A hint: another adopter may have replaced us; it stays. */
		__atomic_compare_exchange_n(&q->adopter, &me, NULL, false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
		uq_poll_leave(q);
	}
	if (w->home_polled) {
		w->home_polled = false;
		uq_poll_leave(w->home);
	}
}

/*
 * Stop polling, then look once more ([S3], [K1]).  True with *seq set when
 * the worker may sleep; false when work came (it polls its home again).
 */
static bool uw_prepare_sleep(struct uworker *w, uint32_t *seq)
{
	struct lpel_user *u = w->u;

	uw_leave_all(w);
	__atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
	*seq = __atomic_load_n(&w->wake_seq, __ATOMIC_SEQ_CST);
	/* [S3]: NEED_WAKEUP stored before the tails are read again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (LOAD(&u->stop) || u_work_pending(u)) {
		__atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
		uw_poll_home(w);
		return false;
	}
	return true;
}

/*
 * Serve queues until idle for idle_ns, or told to stop.
 *
 * An idle turn spins on u_sq_hint() (a load of each queue's tail and of
 * the split list) with a pause between looks, so that new work is seen
 * within a few dozen nanoseconds, as the raw SPSC ring sees it; the full
 * look (can_take, locks) runs only when the hint says so.  Every
 * U_IDLE_YIELD_EVERY turns the worker yields: a thread of the application
 * that shares its CPU gets it at once instead of at the end of a time
 * slice.  The clock is read once per U_IDLE_CLOCK_EVERY turns, not per
 * turn or per op: in a guest whose clocksource is the HPET,
 * clock_gettime() is a system call and an emulated device read.  Only our
 * own work restarts the idle time; thieves serving our home queue keep
 * its NEED_WAKEUP clear themselves.
 */
#define U_IDLE_SPINS		64
#define U_IDLE_YIELD_EVERY	8
#define U_IDLE_CLOCK_EVERY	16

static void uw_poll(struct uworker *w)
{
	struct lpel_user *u = w->u;
	uint64_t last = u_now_ns(), now;
	unsigned int n, i, turns = 0;
	bool worked = false;

	while (!LOAD(&u->stop)) {
		n = uw_defer_home(w) ? 0 : uw_run_queue(w, w->home);
		n += u_split_help(u);
		if (!n)
			n = uw_run_adopted(w);
		if (!n)
			n = uw_steal(w);
		if (n) {
			worked = true;
			continue;
		}
		++turns;
		if (turns % U_IDLE_CLOCK_EVERY == 0) {
			now = u_now_ns();
			if (worked) {
				worked = false;
				last = now;
			} else if (now - last >= u->idle_ns) {
				return;
			}
		}
		if (turns % U_IDLE_YIELD_EVERY == 0)
			sched_yield();
		for (i = 0; i < U_IDLE_SPINS && !u_sq_hint(u); i++)
			u_cpu_relax();
	}
}

static void *uw_main(void *arg)
{
	struct uworker *w = arg;
	struct lpel_user *u = w->u;
	cpu_set_t set;
	uint32_t seq;

	CPU_ZERO(&set);
	if (w->home->cpu < CPU_SETSIZE) {
		CPU_SET(w->home->cpu, &set);
		/* Soft: a cpuset without that CPU leaves us where we are. */
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}

	/* Born asleep (sleeping was set at setup): the first submission wakes us. */
	seq = 0;
	for (;;) {
		while (!LOAD(&u->stop) &&
		       __atomic_load_n(&w->wake_seq, __ATOMIC_SEQ_CST) == seq)
			futex_wait(&w->wake_seq, seq, NULL);
		__atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
		if (LOAD(&u->stop))
			break;
		uw_poll_home(w);
		do {
			uw_poll(w);
			if (LOAD(&u->stop))
				goto out;
		} while (!uw_prepare_sleep(w, &seq));
	}
out:
	uw_leave_all(w);
	return NULL;
}

/* ---- Waking, helping, waiting ------------------------------------------- */

/*
 * Wake a worker for q, which says no worker polls it.  Not its home worker
 * when we run on its CPU (it would preempt us to do what another worker
 * can), unless we are about to wait (caller_waits) or there is no other.
 */
static void u_wake_queue(struct lpel_user *u, struct uq *q, bool caller_waits)
{
	int cpu = sched_getcpu();

	if (caller_waits || cpu < 0 || q->cpu != (unsigned int)cpu ||
	    !u_kick_other(u, q->home))
		uw_kick(q->home);
}

/*
 * kmod's pel_ctx_wake(): for one named queue always, for PEL_QUEUE_ALL
 * where SQEs wait; with rescue (a waiter) only where SQEs can be taken.
 */
static void u_wake(struct lpel_user *u, unsigned int qi, bool rescue)
{
	unsigned int i, first = 0, last = u->nr_queues;

	if (qi != PEL_QUEUE_ALL) {
		first = qi;
		last = qi + 1;
	}
	for (i = first; i < last; i++) {
		struct uq *q = &u->queues[i];

		if (rescue && !uq_can_take(q))
			continue;
		if (qi == PEL_QUEUE_ALL && !uq_sq_pending(q))
			continue;
		if (LOAD(&q->rings->sq_flags) & PEL_SQ_NEED_WAKEUP)
			u_wake_queue(u, q, rescue);
	}
}

/*
 * The waiting thread runs the ring's SQEs that can be taken, and chunks of
 * its split ops, itself (kmod/help.c).  Returns the SQEs and chunks run.
 */
static unsigned int u_help(struct lpel_user *u)
{
	unsigned int i, first = 0, done, n;
	int cpu;

	if (pthread_mutex_trylock(&u->help_mutex))
		return 0;
	done = u_split_help(u);
	cpu = sched_getcpu();
	for (i = 0; cpu >= 0 && i < u->nr_queues; i++)
		if (u->queues[i].cpu == (unsigned int)cpu) {
			first = i;
			break;
		}
	/*
	 * One batch a queue, then back to the waiter's count: a helper that
	 * took batch after batch would starve the workers polling beside it
	 * (at max_inflight, it would take every slot they free).
	 */
	for (i = 0; i < u->nr_queues && !LOAD(&u->stop); i++) {
		struct uq *q = &u->queues[(first + i) % u->nr_queues];

		if (!uq_can_take(q))
			continue;
		n = ub_take_run(u, &u->help_batch, q, NULL);
		done += n;
	}
	pthread_mutex_unlock(&u->help_mutex);
	return done;
}

/* kmod's pel_ctx_wait(): 0 when want CQEs are ready, -ETIME, -EINTR. */
static int u_wait(struct lpel_user *u, unsigned int qi, uint32_t want,
		  uint64_t timeout_ns)
{
	uint64_t now = u_now_ns(), deadline = 0;

	if (timeout_ns && now + timeout_ns >= now)
		deadline = now + timeout_ns;
	for (;;) {
		uint64_t period = U_RESCUE_NS;
		struct timespec ts;
		uint32_t seq;
		int ret;

		if (deadline) {
			now = u_now_ns();
			if (now >= deadline)
				return u_cq_ready(u, qi) >= want ? 0 : -ETIME;
			if (deadline - now < period)
				period = deadline - now;
		}
		if (u_cq_ready(u, qi) >= want)
			return 0;
		if (u_help(u))
			continue;
		u_wake(u, qi, true);

		/* [K2] */
		__atomic_fetch_add(&u->cq_waiters, 1, __ATOMIC_SEQ_CST);
		seq = __atomic_load_n(&u->cq_seq, __ATOMIC_SEQ_CST);
		if (u_cq_ready(u, qi) >= want) {
			__atomic_fetch_sub(&u->cq_waiters, 1, __ATOMIC_SEQ_CST);
			return 0;
		}
		ts = u_ts(period);
		ret = futex_wait(&u->cq_seq, seq, &ts);
		__atomic_fetch_sub(&u->cq_waiters, 1, __ATOMIC_SEQ_CST);
		if (ret == -EINTR)
			return u_cq_ready(u, qi) >= want ? 0 : -EINTR;
	}
}

int lpel_user_enter(struct lpel_ring *ring, unsigned int flags,
		    unsigned int queue, unsigned int min_complete,
		    uint64_t timeout_ns)
{
	struct lpel_user *u = lpel_user_of(ring);
	int ret;

	if (u_forked(u))
		return -EPERM;
	if (flags & ~PEL_ENTER_FLAGS_ALL)
		return -EINVAL;
	if (queue != PEL_QUEUE_ALL && queue >= u->nr_queues)
		return -EINVAL;
	if (!(flags & PEL_ENTER_WAIT) && (min_complete || timeout_ns))
		return -EINVAL;
	if (flags & PEL_ENTER_WAKE)
		u_wake(u, queue, false);
	if (flags & PEL_ENTER_WAIT) {
		ret = u_wait(u, queue, min_complete, timeout_ns);
		if (ret)
			return ret;
	}
	return (int)u_cq_ready(u, queue);
}

/*
 * [E1]: the CQs look empty and the fd was written since it was last
 * drained: drain it, re-arm, look again.  True when a CQE raced in (the
 * fd is then made readable again, unless a poster did).
 */
static bool u_efd_rearm(struct lpel_ring *ring, struct lpel_user *u)
{
	uint64_t v;

	if (read(u->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: the write is still to come; it finds us armed. */
	}
	__atomic_store_n(&u->efd_armed, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!lpel_cq_ready(ring))
		return false;
	/* A CQE raced in, maybe unannounced: the fd must say it is there. */
	if (__atomic_exchange_n(&u->efd_armed, 0, __ATOMIC_SEQ_CST)) {
		v = 1;
		if (write(u->efd, &v, sizeof(v)) < 0) {
			/* EAGAIN: full, readable anyway. */
		}
	}
	return true;
}

/* Every CQ looked empty to lpel_peek_cqe(). */
int lpel_user_peek_empty(struct lpel_ring *ring, struct pel_cqe **cqe)
{
	struct lpel_user *u = lpel_user_of(ring);

	if (!LOAD(&u->efd_on) || LOAD(&u->efd_armed) || u_forked(u))
		return -EAGAIN;
	if (!u_efd_rearm(ring, u))
		return -EAGAIN;
	return lpel_peek_scan(ring, cqe);
}

/*
 * lpel_cqe_seen() reaped a CQE of q: if that was the last one ready, the
 * fd stops being readable now, as the kernel's poll() would say.  Only
 * when the fd was written, and q's CQ is empty, are the others looked at.
 */
void lpel_user_seen(struct lpel_ring *ring, const struct lpel_queue *q)
{
	struct lpel_user *u = lpel_user_of(ring);

	if (!LOAD(&u->efd_on) || LOAD(&u->efd_armed))
		return;
	if (LOAD_ACQ(q->cq_tail) != LOAD(q->cq_head))
		return;
	if (lpel_cq_ready(ring) || u_forked(u))
		return;
	u_efd_rearm(ring, u);
}

/*
 * lpel_fd() on the user backend: from the first call on, the eventfd says
 * whether a CQE is ready ([E1]).  Arming it finds the CQEs already posted.
 */
void lpel_user_fd_on(const struct lpel_ring *ring)
{
	struct lpel_user *u = lpel_user_of(ring);

	if (LOAD(&u->efd_on) || u_forked(u) ||
	    __atomic_exchange_n(&u->efd_on, 1, __ATOMIC_SEQ_CST))
		return;
	u_efd_rearm((struct lpel_ring *)ring, u);
}

/* ---- Registering files --------------------------------------------------- */

/*
 * Whether fd may fill a slot, as the module's fget() and checks have it:
 * 0, or -EBADF (not open, O_PATH, not opened for reading), -EISDIR, or
 * -EINVAL (not a regular file).
 */
static int ufile_check(int fd)
{
	struct stat st;
	int fl;

	if (fd < 0)
		return -EBADF;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0)
		return -EBADF;
#ifdef O_PATH
	if (fl & O_PATH)
		return -EBADF;
#endif
	if ((fl & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (fstat(fd, &st))
		return -EBADF;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	return 0;
}

int lpel_user_register_files(struct lpel_ring *ring, const int *fds,
			     unsigned int nr, int *res)
{
	struct lpel_user *u = lpel_user_of(ring);
	struct ufileset *t;
	unsigned int i, filled = 0;
	int ret = 0, r;

	if (u_forked(u))
		return -EPERM;
	if (__atomic_load_n(&u->files, __ATOMIC_RELAXED))
		return -EBUSY;
	t = calloc(1, sizeof(*t) + (size_t)nr * sizeof(t->fds[0]));
	if (!t)
		return -ENOMEM;
	t->uf.nr = nr;
	t->uf.fds = t->fds;
	t->refs = 1;
	for (i = 0; i < nr; i++)
		t->fds[i] = -1;
	for (i = 0; i < nr; i++) {
		int fd = fds[i];

		r = fd == -1 ? 0 : ufile_check(fd);
		if (!r && fd != -1) {
			/* The ring's own reference: fds[i] may be closed now. */
			t->fds[i] = fcntl(fd, F_DUPFD_CLOEXEC, 0);
			if (t->fds[i] < 0) {
				ret = -errno;
				goto err;
			}
			filled++;
		}
		if (res)
			res[i] = r;
	}
	pthread_mutex_lock(&u->files_lock);
	if (u->files)
		ret = -EBUSY;
	else
		__atomic_store_n(&u->files, t, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->files_lock);
	if (ret)
		goto err;
	return (int)filled;
err:
	u_files_put(t);
	return ret;
}

int lpel_user_unregister_files(struct lpel_ring *ring)
{
	struct lpel_user *u = lpel_user_of(ring);
	struct ufileset *t;

	if (u_forked(u))
		return -EPERM;
	pthread_mutex_lock(&u->files_lock);
	t = u->files;
	__atomic_store_n(&u->files, NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->files_lock);
	if (!t)
		return -ENXIO;
	/* Batches taken before keep the files open until their last CQE. */
	u_files_put(t);
	return 0;
}

/* ---- Registering buffers ------------------------------------------------- */

static int ubuf_cmp(const void *a, const void *b)
{
	const struct lpel_ubuf *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/*
 * Whether every buffer of the sorted array lies in writable mappings
 * (what the kernel's FOLL_WRITE pin asks), from /proc/self/maps.  Without
 * /proc, yes: the ops' own fault handling still gives -EFAULT.
 */
static bool ubufs_writable(const struct lpel_ubuf *arr, unsigned int nr)
{
	FILE *f = fopen("/proc/self/maps", "re");
	unsigned int i = 0;
	uint64_t at;
	char line[512];

	if (!f)
		return true;
	at = arr[0].addr;
	while (i < nr && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s", &lo, &hi, perms) != 3)
			continue;
		while (i < nr) {
			if (at < lo)
				goto out;	/* a hole before this mapping */
			if (at >= hi)
				break;		/* in a later mapping */
			if (perms[1] != 'w')
				goto out;
			if (arr[i].addr + arr[i].len <= hi) {
				if (++i < nr)
					at = arr[i].addr;
				continue;
			}
			at = hi;		/* goes on into the next mapping */
			break;
		}
	}
out:
	fclose(f);
	return i == nr;
}

int lpel_user_register_buffers(struct lpel_ring *ring, const struct iovec *iovs,
			       unsigned int nr)
{
	struct lpel_user *u = lpel_user_of(ring);
	struct ubufset *t;
	unsigned int i;
	int ret = 0;

	if (u_forked(u))
		return -EPERM;
	t = calloc(1, sizeof(*t) + (size_t)nr * sizeof(t->arr[0]));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		uint64_t a = (uint64_t)(uintptr_t)iovs[i].iov_base;
		uint64_t len = iovs[i].iov_len;

		if (!len || len > U_MAX_BUF_LEN || a + len < a ||
		    a + len > U_TASK_SIZE) {
			free(t);
			return -EINVAL;
		}
		t->arr[i].addr = a;
		t->arr[i].len = len;
	}
	qsort(t->arr, nr, sizeof(t->arr[0]), ubuf_cmp);
	for (i = 1; i < nr; i++)
		if (t->arr[i - 1].addr + t->arr[i - 1].len > t->arr[i].addr) {
			free(t);
			return -EINVAL;
		}
	if (!ubufs_writable(t->arr, nr)) {
		free(t);
		return -EFAULT;
	}
	t->ub.nr = nr;
	t->ub.bufs = t->arr;
	t->refs = 1;
	pthread_mutex_lock(&u->bufs_lock);
	if (u->bufs)
		ret = -EBUSY;
	else
		__atomic_store_n(&u->bufs, t, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->bufs_lock);
	if (ret)
		free(t);
	return ret;
}

int lpel_user_unregister_buffers(struct lpel_ring *ring)
{
	struct lpel_user *u = lpel_user_of(ring);
	struct ubufset *t;

	if (u_forked(u))
		return -EPERM;
	pthread_mutex_lock(&u->bufs_lock);
	t = u->bufs;
	__atomic_store_n(&u->bufs, NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&u->bufs_lock);
	if (!t)
		return -ENXIO;
	/* Batches taken before keep it until their last CQE. */
	u_bufs_put(t);
	return 0;
}

/* ---- Setup and teardown -------------------------------------------------- */

/* kmod's pel_setup_check(), for the user backend (no privileged limits). */
static int u_setup_check(const struct lpel_params *p, struct pel_setup *s)
{
	memset(s, 0, sizeof(*s));
	s->flags = p->flags;
	s->sq_entries = p->sq_entries;
	s->cq_entries = p->cq_entries;
	s->idle_us = p->idle_us;
	s->max_inflight = p->max_inflight;
	if (s->flags & ~PEL_SETUP_FLAGS_ALL)
		return -EINVAL;
	if (!s->sq_entries)
		s->sq_entries = PEL_DEFAULT_ENTRIES;
	if (!s->cq_entries && s->sq_entries <= PEL_MAX_ENTRIES)
		s->cq_entries = 2 * s->sq_entries;
	if (!s->idle_us)
		s->idle_us = U_DEFAULT_IDLE_US;
	if (s->sq_entries < PEL_MIN_ENTRIES || s->sq_entries > PEL_MAX_ENTRIES ||
	    (s->sq_entries & (s->sq_entries - 1)))
		return -EINVAL;
	if (s->cq_entries < s->sq_entries || s->cq_entries > 2 * PEL_MAX_ENTRIES ||
	    (s->cq_entries & (s->cq_entries - 1)))
		return -EINVAL;
	if (s->idle_us > PEL_MAX_IDLE_US)
		return -EINVAL;
	if (!s->max_inflight)
		s->max_inflight = U_MAX_INFLIGHT;
	if (s->max_inflight > U_MAX_INFLIGHT)
		return -EINVAL;
	if (p->nr_threads > U_MAX_THREADS)
		return -EINVAL;
	return 0;
}

/* The online CPUs, from sysfs; 0..n-1 when it cannot be read. */
static unsigned int u_online_cpus(unsigned int *cpus, unsigned int max)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");
	unsigned int n = 0, lo, hi, c;
	long nr;
	int ch;

	if (f) {
		while (n < max && fscanf(f, "%u", &lo) == 1) {
			hi = lo;
			ch = fgetc(f);
			if (ch == '-') {
				if (fscanf(f, "%u", &hi) != 1)
					break;
				ch = fgetc(f);
			}
			for (c = lo; c <= hi && n < max; c++)
				cpus[n++] = c;
			if (ch != ',')
				break;
		}
		fclose(f);
	}
	if (n)
		return n;
	nr = sysconf(_SC_NPROCESSORS_ONLN);
	if (nr < 1)
		nr = 1;
	for (c = 0; c < (unsigned int)nr && n < max; c++)
		cpus[n++] = c;
	return n;
}

/* Stop and join the workers started, free the engine (not the rings). */
static void u_free(struct lpel_user *u)
{
	unsigned int i;

	/* closing first: what runs when the workers see stop ends at once. */
	STORE(&u->closing, 1);
	STORE(&u->stop, 1);
	for (i = 0; i < u->nr_queues; i++)
		if (u->workers[i].started)
			uw_kick(&u->workers[i]);
	for (i = 0; i < u->nr_queues; i++)
		if (u->workers[i].started)
			pthread_join(u->workers[i].thread, NULL);
	for (i = 0; i < u->nr_queues; i++) {
	}
	pthread_mutex_destroy(&u->split_lock);
	pthread_mutex_destroy(&u->help_mutex);
	pthread_mutex_destroy(&u->bufs_lock);
	u_bufs_put(u->bufs);
	pthread_mutex_destroy(&u->files_lock);
	u_files_put(u->files);
	free(u->queues);
	free(u->workers);
	free(u);
}

int lpel_user_init(struct lpel_ring *ring, const struct lpel_params *p)
{
	struct pel_queue_offsets off = {
		.sq_head = offsetof(struct lpel_urings, sq_head),
		.sq_tail = offsetof(struct lpel_urings, sq_tail),
		.sq_flags = offsetof(struct lpel_urings, sq_flags),
		.sq_mask = offsetof(struct lpel_urings, sq_mask),
		.sq_entries = offsetof(struct lpel_urings, sq_entries),
		.cq_head = offsetof(struct lpel_urings, cq_head),
		.cq_tail = offsetof(struct lpel_urings, cq_tail),
		.cq_mask = offsetof(struct lpel_urings, cq_mask),
		.cq_entries = offsetof(struct lpel_urings, cq_entries),
		.cpu = offsetof(struct lpel_urings, cpu),
	};
	long pg = sysconf(_SC_PAGESIZE);
	unsigned int *cpus = NULL, nr_cpus, nr, i;
	sigset_t all, old;
	struct lpel_priv *priv;
	struct pel_setup s;
	struct lpel_user *u;
	size_t map_size;
	int ret;

	ret = u_setup_check(p, &s);
	if (ret)
		return ret;
	ret = lpel_uop_init();
	if (ret)
		return ret;
	pthread_once(&lpel_atfork_once, u_atfork_register);

	cpus = calloc(U_MAX_THREADS, sizeof(*cpus));
	if (!cpus)
		return -ENOMEM;
	nr_cpus = u_online_cpus(cpus, U_MAX_THREADS);
	nr = p->nr_threads ? p->nr_threads : nr_cpus;

	off.sqes = (uint32_t)pg;
	off.cqes = off.sqes + s.sq_entries * (uint32_t)sizeof(struct pel_sqe);
	map_size = ((size_t)off.cqes + s.cq_entries * sizeof(struct pel_cqe) +
		    (size_t)pg - 1) & ~((size_t)pg - 1);

	ret = -ENOMEM;
	u = calloc(1, sizeof(*u));
	if (!u)
		goto out_cpus;
	u->queues = calloc(nr, sizeof(*u->queues));
	u->workers = calloc(nr, sizeof(*u->workers));
	ring->queues = calloc(nr, sizeof(*ring->queues));
	priv = lpel_priv_alloc(nr);
	if (priv)
		ring->published = priv->published;
	if (!u->queues || !u->workers || !ring->queues || !priv) {
		free(u->queues);
		free(u->workers);
		free(u);
		goto err_ring;
	}
	u->nr_queues = nr;
	u->idle_ns = (uint64_t)s.idle_us * 1000;
	u->max_inflight = s.max_inflight;
	u->capped = s.max_inflight < (uint64_t)nr * s.cq_entries;
	u->fork_gen = LOAD(&lpel_fork_gen);
	pthread_mutex_init(&u->split_lock, NULL);
	pthread_mutex_init(&u->help_mutex, NULL);
	pthread_mutex_init(&u->bufs_lock, NULL);
	pthread_mutex_init(&u->files_lock, NULL);
	for (i = 0; i < nr; i++) {
		struct uq *q = &u->queues[i];
		struct uworker *w = &u->workers[i];

		q->u = u;
		q->index = i;
		q->cpu = cpus[i % nr_cpus];
		q->home = w;
		q->sq_entries = s.sq_entries;
		q->sq_mask = s.sq_entries - 1;
		q->cq_entries = s.cq_entries;
		q->cq_mask = s.cq_entries - 1;
		w->u = u;
		w->home = q;
		w->index = i;
		w->sleeping = 1;
	}
	priv->user = u;

	u->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (u->efd < 0) {
		ret = -errno;
		goto err;
	}
	ring->fd = u->efd;

	for (i = 0; i < nr; i++) {
		struct uq *q = &u->queues[i];
		struct lpel_urings *r;
		char *map;

		map = mmap(NULL, map_size, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED) {
			ret = -errno;
			goto err;
		}
		/* A fork() child gets no rings, as with the kernel's VM_DONTCOPY. */
		madvise(map, map_size, MADV_DONTFORK);
		r = (struct lpel_urings *)map;
		r->sq_mask = q->sq_mask;
		r->sq_entries = q->sq_entries;
		r->cq_mask = q->cq_mask;
		r->cq_entries = q->cq_entries;
		r->cpu = q->cpu;
		/* No worker polls a new queue until the first submission wakes one. */
		r->sq_flags = PEL_SQ_NEED_WAKEUP;
		q->rings = r;
		q->sqes = (struct pel_sqe *)(map + off.sqes);
		q->cqes = (struct pel_cqe *)(map + off.cqes);
		lpel_setup_queue(&ring->queues[i], map, map_size, &off, i);
		ring->nr_queues = i + 1;
	}
	ret = lpel_build_cpu_table(ring);
	if (ret)
		goto err;
	ring->features = U_FEATURES;

	/* Workers take no signals but the ones their own faults raise. */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	sigdelset(&all, SIGILL);
	sigdelset(&all, SIGFPE);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < nr; i++) {
		struct uworker *w = &u->workers[i];

		char name[16];

		ret = -pthread_create(&w->thread, NULL, uw_main, w);
		if (ret)
			break;
		w->started = true;
		/* Named here, not only by the thread: it is, once setup returns. */
		snprintf(name, sizeof(name), "lpel-user/%u", w->index);
		(void)pthread_setname_np(w->thread, name);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		goto err;
	free(cpus);
	return 0;

err:
	u_free(u);
	priv->user = NULL;
err_ring:
	for (i = 0; ring->queues && i < ring->nr_queues; i++)
		munmap(ring->queues[i].map, ring->queues[i].map_size);
	free(ring->queues);
	free(ring->cpu_queue);
	if (ring->published)
		free(lpel_priv(ring));
	if (ring->fd >= 0)
		close(ring->fd);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
out_cpus:
	free(cpus);
	return ret;
}

void lpel_user_exit(struct lpel_ring *ring)
{
	struct lpel_priv *priv = lpel_priv(ring);
	struct lpel_user *u = priv->user;

	priv->user = NULL;
	/*
	 * A fork() child has none of the threads, and locks may have been
	 * held at the fork: leave the engine's memory be.
	 */
	if (u_forked(u))
		return;
	u_free(u);
}
