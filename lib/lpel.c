// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * liblpel - the user side of PEL, the Parallel Execution Layer.
 *
 * Each context has one queue per online CPU; each queue is one shared mapping
 * holding an SQ ring, its SQE array, a CQ ring and its CQE array.
 *
 * Memory ordering (every pairing with the kernel, see also pel.h):
 *
 *  SQ, we produce, the kernel consumes:
 *   [S1] we write SQEs, then store-release sq_tail; pairs with the kernel's
 *        smp_load_acquire(sq_tail): it sees whole SQEs.
 *   [S2] we load-acquire sq_head before reusing a slot; pairs with the
 *        kernel's smp_store_release(sq_head) after it copied the SQEs out:
 *        we never overwrite an SQE it is still reading.
 *   [S3] after [S1], a full barrier, then we read sq_flags; pairs with the
 *        worker's "set PEL_SQ_NEED_WAKEUP; smp_mb(); re-read sq_tail".
 *        Either the worker sees our tail and keeps polling, or we see
 *        NEED_WAKEUP and wake it: no lost wake-up.
 *
 *  CQ, the kernel produces, we consume:
 *   [C1] we load-acquire cq_tail before reading CQEs; pairs with the
 *        kernel's smp_store_release(cq_tail) after it wrote the CQE.
 *   [C2] we store-release cq_head after reading a CQE; pairs with the
 *        kernel's smp_load_acquire(cq_head) before it reuses the slot.
 *
 * We are the only writer of sq_tail and cq_head, so we read our own values
 * back with relaxed loads.  The kernel never overflows a CQ: it reserves a CQ
 * slot for each SQE it takes, so a full CQ only stops it taking SQEs until
 * we reap.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lpel.h"
#include "lpel_internal.h"

/*
 * lpel_wait_cqe()'s spin is a time budget, not a count: twice the recent
 * latency from a submission to the CQE a wait was waiting for (an EWMA over
 * the waits that had to wait), at least LPEL_SPIN_MIN_NS, at most
 * LPEL_SPIN_MAX_NS; LPEL_SPIN_INIT_NS until a first sample.  When that
 * latency is beyond LPEL_SPIN_SLOW_NS the ops are too slow for a spin to
 * catch: only the floor is spun.  A wait that blocks yields a sample too
 * (inflated by the wake-up), so a budget that was too short grows and one
 * that was too long shrinks with the next samples.
 */
#define LPEL_SPIN_MIN_NS	1000ULL
#define LPEL_SPIN_INIT_NS	10000ULL
#define LPEL_SPIN_MAX_NS	50000ULL
#define LPEL_SPIN_SLOW_NS	1000000ULL
/* EWMA weight of a new sample: 1 / 2^LPEL_EWMA_SHIFT. */
#define LPEL_EWMA_SHIFT		3
/* Spin iterations between looks at the SQ flags (a full barrier each). */
#define LPEL_SPIN_FLAG_EVERY	64
/*
 * Ticks (TSC) per microsecond assumed until the rate is measured, and how
 * long after setup it is measured: once, on a wait that blocks anyway (so no
 * clock read is added to a wait that does not).
 */
#define LPEL_TICKS_PER_US_GUESS	2000ULL
#define LPEL_CALIBRATE_NS	10000000ULL

/* Without PEL_FEAT_WAIT, how long a wait sleeps between looks at the CQs. */
#define LPEL_POLL_SLEEP_NS	50000ULL

/* Larger CPU numbers than this fall back to cpu % nr_queues. */
#define LPEL_MAX_CPU_TABLE	65536U

#define NSEC_PER_SEC		1000000000ULL

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
#endif
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t monotonic_raw_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * The spin's clock.  On x86 the TSC: in a guest clock_gettime() may be a
 * system call (an HPET clocksource), and the spin must not make any.  It
 * only times a spin, so a TSC that differs a little between CPUs or is not
 * quite invariant costs a spin that is a little off, nothing more.
 * Elsewhere CLOCK_MONOTONIC_RAW, a vDSO read, in nanoseconds.
 */
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define LPEL_HAVE_TSC		1
static inline uint64_t lpel_ticks(void)
{
	return __rdtsc();
}
#else
#define LPEL_HAVE_TSC		0
static inline uint64_t lpel_ticks(void)
{
	return monotonic_raw_ns();
}
#endif

struct lpel_priv *lpel_priv_alloc(unsigned int nr_queues)
{
	struct lpel_priv *p;

	p = calloc(1, sizeof(*p) + (size_t)nr_queues * sizeof(p->published[0]));
	if (!p)
		return NULL;
	p->ticks_per_us = LPEL_HAVE_TSC ? LPEL_TICKS_PER_US_GUESS : 1000;
	p->cal_tick = lpel_ticks();
	p->cal_ns = monotonic_raw_ns();
	p->calibrated = !LPEL_HAVE_TSC;
	return p;
}

static void lpel_priv_free(struct lpel_ring *ring)
{
	if (ring->published)
		free(lpel_priv(ring));
	ring->published = NULL;
}

/* About to block (a system call anyway): measure the TSC's rate once. */
static void lpel_calibrate(struct lpel_priv *p)
{
	uint64_t ns, ticks;

	if (p->calibrated)
		return;
	ns = monotonic_raw_ns() - p->cal_ns;
	if (ns < LPEL_CALIBRATE_NS)
		return;
	ticks = lpel_ticks() - p->cal_tick;
	if (ticks / (ns / 1000) >= 1)
		p->ticks_per_us = ticks / (ns / 1000);
	p->calibrated = true;
}

/* A wait that had to wait saw its CQE at tick now: one latency sample. */
static void lpel_lat_sample(struct lpel_priv *p, uint64_t now)
{
	int64_t d = (int64_t)(now - p->submit_tick);

	if (d < 0)			/* another CPU's TSC, behind ours */
		d = 0;
	/* One long wait (an idle app) must not stop the spin for long. */
	if ((uint64_t)d > 2 * LPEL_SPIN_SLOW_NS * p->ticks_per_us / 1000)
		d = (int64_t)(2 * LPEL_SPIN_SLOW_NS * p->ticks_per_us / 1000);
	if (!p->lat_ticks)
		p->lat_ticks = (uint64_t)d ? (uint64_t)d : 1;
	else
		p->lat_ticks = (uint64_t)((int64_t)p->lat_ticks +
			((d - (int64_t)p->lat_ticks) >> LPEL_EWMA_SHIFT));
	if (!p->lat_ticks)
		p->lat_ticks = 1;
}

/* The one data-path system call; returns its result or -errno. */
static int lpel_enter(struct lpel_ring *ring, unsigned int flags,
		      unsigned int queue, unsigned int min_complete,
		      uint64_t timeout_ns)
{
	struct pel_enter e = {
		.flags = flags,
		.queue = queue,
		.min_complete = min_complete,
		.timeout_ns = timeout_ns,
	};
	int ret;

	if (lpel_user_of(ring))
		return lpel_user_enter(ring, flags, queue, min_complete,
				       timeout_ns);
	ret = ioctl(ring->fd, PEL_IOC_ENTER, &e);
	return ret < 0 ? -errno : ret;
}

/*
 * Is a sleeping worker sitting on SQEs we published?  lpel_submit() already
 * wakes every queue that needs it ([S3]); waits ask again before they block
 * so that SQEs whose wake-up failed (or was never asked for, after an error)
 * cannot leave a waiter blocked forever.
 */
static bool lpel_need_wake(struct lpel_ring *ring)
{
	unsigned int i;

	/* [S3]: order our earlier sq_tail stores before the sq_flags loads. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < ring->nr_queues; i++) {
		struct lpel_queue *q = &ring->queues[i];
		unsigned int tail, head;

		tail = __atomic_load_n(q->sq_tail, __ATOMIC_RELAXED);
		head = __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
		if (head != tail &&
		    (__atomic_load_n(q->sq_flags, __ATOMIC_RELAXED) &
		     PEL_SQ_NEED_WAKEUP))
			return true;
	}
	return false;
}

/*
 * Block until min_complete CQEs are ready or timeout_ns (0: none) passes.
 * Without PEL_FEAT_WAIT the module cannot block us, so sleep in short steps
 * and look at the CQs ourselves: slower, but never a busy spin.
 */
static int lpel_enter_wait(struct lpel_ring *ring, unsigned int flags,
			   unsigned int min_complete, uint64_t timeout_ns)
{
	uint64_t deadline = 0;
	int ret;

	if (ring->features & PEL_FEAT_WAIT)
		return lpel_enter(ring, flags | PEL_ENTER_WAIT, PEL_QUEUE_ALL,
				  min_complete, timeout_ns);

	if (flags & PEL_ENTER_WAKE) {
		ret = lpel_enter(ring, PEL_ENTER_WAKE, PEL_QUEUE_ALL, 0, 0);
		if (ret < 0)
			return ret;
	}
	if (timeout_ns)
		deadline = monotonic_ns() + timeout_ns;
	for (;;) {
		struct timespec ts = { .tv_nsec = LPEL_POLL_SLEEP_NS };
		unsigned int ready = lpel_cq_ready(ring);

		if (ready >= min_complete)
			return (int)ready;
		if (deadline && monotonic_ns() >= deadline)
			return -ETIME;
		if (nanosleep(&ts, NULL) < 0)
			return -errno;
	}
}

static void lpel_unmap_queues(struct lpel_ring *ring)
{
	unsigned int i;

	if (!ring->queues)
		return;
	for (i = 0; i < ring->nr_queues; i++) {
		struct lpel_queue *q = &ring->queues[i];

		if (q->map)
			munmap(q->map, q->map_size);
	}
}

/* Does [off, off + len) lie in a mapping of size bytes, aligned? */
static bool lpel_range_ok(uint64_t off, uint64_t len, uint64_t size,
			  uint64_t align)
{
	return !(off & (align - 1)) && off <= size && len <= size - off;
}

/*
 * Check what PEL_IOC_SETUP returned before we trust it with pointers: a
 * module that disagrees with this library about the layout must fail setup,
 * not corrupt memory later.
 */
static bool lpel_setup_ok(const struct pel_setup *s)
{
	const struct pel_queue_offsets *o = &s->off;
	const uint32_t words[] = {
		o->sq_head, o->sq_tail, o->sq_flags, o->sq_mask, o->sq_entries,
		o->cq_head, o->cq_tail, o->cq_mask, o->cq_entries, o->cpu,
	};
	uint64_t size = s->queue_map_size;
	size_t i;

	if (!s->nr_queues || !size || size > SIZE_MAX)
		return false;
	if (!s->sq_entries || (s->sq_entries & (s->sq_entries - 1)) ||
	    !s->cq_entries || (s->cq_entries & (s->cq_entries - 1)))
		return false;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (!lpel_range_ok(words[i], sizeof(uint32_t), size,
				   sizeof(uint32_t)))
			return false;
	return lpel_range_ok(o->sqes,
			     (uint64_t)s->sq_entries * sizeof(struct pel_sqe),
			     size, sizeof(uint64_t)) &&
	       lpel_range_ok(o->cqes,
			     (uint64_t)s->cq_entries * sizeof(struct pel_cqe),
			     size, sizeof(uint64_t));
}

/*
 * Point q into its shared region map (map_size bytes, laid out as o says),
 * either backend's: the kernel's mapping of the fd, or the user backend's
 * anonymous one.
 */
void lpel_setup_queue(struct lpel_queue *q, char *map, size_t map_size,
		      const struct pel_queue_offsets *o, unsigned int index)
{
	q->map = map;
	q->map_size = map_size;
	q->index = index;

	q->sq_head = (unsigned int *)(map + o->sq_head);
	q->sq_tail = (unsigned int *)(map + o->sq_tail);
	q->sq_flags = (unsigned int *)(map + o->sq_flags);
	q->sqes = (struct pel_sqe *)(map + o->sqes);
	q->cq_head = (unsigned int *)(map + o->cq_head);
	q->cq_tail = (unsigned int *)(map + o->cq_tail);
	q->cqes = (struct pel_cqe *)(map + o->cqes);

	/* Read-only for the life of the context: read them once. */
	q->sq_mask = *(unsigned int *)(map + o->sq_mask);
	q->sq_entries = *(unsigned int *)(map + o->sq_entries);
	q->cq_mask = *(unsigned int *)(map + o->cq_mask);
	q->cq_entries = *(unsigned int *)(map + o->cq_entries);
	q->cpu = *(unsigned int *)(map + o->cpu);

	/* Our SQE cursor starts where the shared tail is. */
	q->sqe_tail = __atomic_load_n(q->sq_tail, __ATOMIC_RELAXED);
}

static int lpel_map_queue(struct lpel_ring *ring, const struct pel_setup *s,
			  unsigned int index)
{
	struct lpel_queue *q = &ring->queues[index];
	char *map;

	map = mmap(NULL, s->queue_map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   ring->fd, PEL_QUEUE_MMAP_OFFSET(index));
	if (map == MAP_FAILED)
		return -errno;
	lpel_setup_queue(q, map, s->queue_map_size, &s->off, index);

	/* The arrays were bounds-checked with the sizes setup returned. */
	if (q->sq_entries != s->sq_entries || q->sq_mask != s->sq_entries - 1 ||
	    q->cq_entries != s->cq_entries || q->cq_mask != s->cq_entries - 1)
		return -EPROTO;
	return 0;
}

/*
 * cpu_queue[cpu] is the queue homed on cpu, so that lpel_get_sqe() costs one
 * sched_getcpu() and one load.  A CPU without a queue of its own (offline at
 * setup) shares one: cpu % nr_queues.
 */
int lpel_build_cpu_table(struct lpel_ring *ring)
{
	unsigned int i, nr_cpus = 0;

	for (i = 0; i < ring->nr_queues; i++) {
		unsigned int cpu = ring->queues[i].cpu;

		if (cpu < LPEL_MAX_CPU_TABLE && cpu >= nr_cpus)
			nr_cpus = cpu + 1;
	}
	ring->cpu_queue = calloc(nr_cpus ? nr_cpus : 1,
				 sizeof(*ring->cpu_queue));
	if (!ring->cpu_queue)
		return -ENOMEM;
	ring->nr_cpus = nr_cpus;
	for (i = 0; i < nr_cpus; i++)
		ring->cpu_queue[i] = i % ring->nr_queues;
	/* Backwards, so that the first queue homed on a CPU wins. */
	for (i = ring->nr_queues; i-- > 0;) {
		unsigned int cpu = ring->queues[i].cpu;

		if (cpu < nr_cpus)
			ring->cpu_queue[cpu] = i;
	}
	return 0;
}

static const char *const lpel_backend_names[] = {
	[LPEL_BACKEND_DEFAULT] = "default",
	[LPEL_BACKEND_KERNEL] = "kernel",
	[LPEL_BACKEND_USER] = "user",
	[LPEL_BACKEND_AUTO] = "auto",
};

const char *lpel_backend_name(int backend)
{
	if (backend < 0 || (size_t)backend >= ARRAY_SIZE(lpel_backend_names))
		return NULL;
	return lpel_backend_names[backend];
}

int lpel_backend(const struct lpel_ring *ring)
{
	return lpel_user_of(ring) ? LPEL_BACKEND_USER : LPEL_BACKEND_KERNEL;
}

int lpel_fd(const struct lpel_ring *ring)
{
	if (lpel_user_of(ring))
		lpel_user_fd_on(ring);
	return ring->fd;
}

static int lpel_params_check(const struct lpel_params *p)
{
	size_t i;

	if (p->backend > LPEL_BACKEND_AUTO || (p->lib_flags & ~LPEL_LIB_FLAGS_ALL))
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(p->resv); i++)
		if (p->resv[i])
			return -EINVAL;
	return 0;
}

/*
 * The backend asked for: the parameter, else $LPEL_BACKEND ("kernel",
 * "user", "auto"; anything else is -EINVAL rather than a silent default).
 * AUTO is resolved by the caller, which knows whether /dev/pel opened.
 */
static int lpel_choose_backend(const struct lpel_params *p)
{
	const char *env;
	int b;

	if (p->backend != LPEL_BACKEND_DEFAULT)
		return (int)p->backend;
	env = getenv("LPEL_BACKEND");
	if (!env || !*env)
		return LPEL_BACKEND_KERNEL;
	for (b = LPEL_BACKEND_KERNEL; b <= LPEL_BACKEND_AUTO; b++)
		if (!strcmp(env, lpel_backend_names[b]))
			return b;
	return -EINVAL;
}

/*
 * AUTO fell back to the user backend: say so on stderr, once per process,
 * unless told not to (LPEL_LIB_QUIET, or $LPEL_QUIET=1).
 */
static void lpel_fallback_note(const struct lpel_params *p)
{
	static int said;
	const char *env = getenv("LPEL_QUIET");

	if (p->lib_flags & LPEL_LIB_QUIET || (env && !strcmp(env, "1")))
		return;
	if (__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
		return;
	fprintf(stderr, "liblpel: /dev/pel absent (pel.ko not loaded): running on the user backend (LPEL_BACKEND=user to choose it, LPEL_QUIET=1 to silence)\n");
}

#ifdef LPEL_SHARED
__attribute__((visibility("hidden")))
int lpel_init_params(struct lpel_ring *ring, const struct lpel_params *p);
__attribute__((visibility("hidden")))
int lpel_init(struct lpel_ring *ring, unsigned int entries);
#endif

int lpel_init(struct lpel_ring *ring, unsigned int entries)
{
	struct lpel_params p = { .sq_entries = entries };

	return lpel_init_params(ring, &p);
}

#ifdef LPEL_SHARED
/*
 * The shared library exports lpel_init() and lpel_init_params() twice, by
 * version: the plain names stay inside, each version below wraps them.
 *
 * Programs linked against LIBLPEL_1.0 read ring->fd directly (lpel_fd()
 * was an inline then): their rings get the user backend's eventfd armed
 * at setup, as lpel_fd() arms it now.
 */
static int lpel_init_v1_0_fd(struct lpel_ring *ring, int ret)
{
	if (!ret)
		lpel_fd(ring);
	return ret;
}

__attribute__((symver("lpel_init@LIBLPEL_1.0")))
int lpel_init_v1_0(struct lpel_ring *ring, unsigned int entries);
int lpel_init_v1_0(struct lpel_ring *ring, unsigned int entries)
{
	return lpel_init_v1_0_fd(ring, lpel_init(ring, entries));
}

__attribute__((symver("lpel_init@@LIBLPEL_1.2")))
int lpel_init_v1_2(struct lpel_ring *ring, unsigned int entries);
int lpel_init_v1_2(struct lpel_ring *ring, unsigned int entries)
{
	return lpel_init(ring, entries);
}

/*
 * LIBLPEL_1.0's lpel_init_params() took the struct up to max_inflight:
 * programs linked against it still get that, and nothing read past it.
 */
struct lpel_params_v1_0 {
	unsigned int sq_entries;
	unsigned int cq_entries;
	unsigned int idle_us;
	unsigned int flags;
	unsigned int max_inflight;
};

__attribute__((symver("lpel_init_params@LIBLPEL_1.0")))
int lpel_init_params_v1_0(struct lpel_ring *ring,
			  const struct lpel_params_v1_0 *old);
int lpel_init_params_v1_0(struct lpel_ring *ring,
			  const struct lpel_params_v1_0 *old)
{
	struct lpel_params p = { 0 };

	if (old) {
		p.sq_entries = old->sq_entries;
		p.cq_entries = old->cq_entries;
		p.idle_us = old->idle_us;
		p.flags = old->flags;
		p.max_inflight = old->max_inflight;
	}
	return lpel_init_v1_0_fd(ring, lpel_init_params(ring, &p));
}

__attribute__((symver("lpel_init_params@@LIBLPEL_1.2")))
int lpel_init_params_v1_2(struct lpel_ring *ring, const struct lpel_params *p);
int lpel_init_params_v1_2(struct lpel_ring *ring, const struct lpel_params *p)
{
	return lpel_init_params(ring, p);
}
#endif

int lpel_init_params(struct lpel_ring *ring, const struct lpel_params *p)
{
	static const struct lpel_params defaults;
	struct lpel_priv *priv;
	struct pel_setup s;
	unsigned int i;
	int ret, backend;

	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	if (!p)
		p = &defaults;
	ret = lpel_params_check(p);
	if (ret)
		return ret;
	backend = lpel_choose_backend(p);
	if (backend < 0)
		return backend;
	if (backend == LPEL_BACKEND_USER)
		return lpel_user_init(ring, p);

	ring->fd = open(PEL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (ring->fd < 0) {
		/* No device node (or a stale one): the module is not loaded. */
		ret = (errno == ENOENT || errno == ENXIO) ? -ENODEV : -errno;
		ring->fd = -1;
		if (ret == -ENODEV && backend == LPEL_BACKEND_AUTO) {
			lpel_fallback_note(p);
			return lpel_user_init(ring, p);
		}
		return ret;
	}

	memset(&s, 0, sizeof(s));
	s.size = sizeof(s);
	s.flags = p->flags;
	s.sq_entries = p->sq_entries;
	s.cq_entries = p->cq_entries;
	s.idle_us = p->idle_us;
	s.max_inflight = p->max_inflight;
	if (ioctl(ring->fd, PEL_IOC_SETUP, &s) < 0) {
		ret = -errno;
		goto err;
	}
	if (!lpel_setup_ok(&s)) {
		ret = -EPROTO;
		goto err;
	}
	ring->features = s.features;

	ring->queues = calloc(s.nr_queues, sizeof(*ring->queues));
	priv = lpel_priv_alloc(s.nr_queues);
	if (priv)
		ring->published = priv->published;
	if (!ring->queues || !ring->published) {
		ret = -ENOMEM;
		goto err;
	}
	/*
	 * nr_queues counts the queues mapped so far, so that the unwind
	 * below unmaps exactly those.
	 */
	for (i = 0; i < s.nr_queues; i++) {
		ret = lpel_map_queue(ring, &s, i);
		ring->nr_queues = i + (ring->queues[i].map != NULL);
		if (ret)
			goto err;
	}
	ret = lpel_build_cpu_table(ring);
	if (ret)
		goto err;
	return 0;

err:
	lpel_unmap_queues(ring);
	free(ring->queues);
	lpel_priv_free(ring);
	free(ring->cpu_queue);
	close(ring->fd);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	return ret;
}

void lpel_exit(struct lpel_ring *ring)
{
	/*
	 * queues is set only by a successful lpel_init*(): a ring that was
	 * never set up, failed to, or was already torn down is left alone
	 * (in particular, its fd, 0 in a zeroed struct, is not closed).
	 */
	if (!ring->queues)
		return;
	/* The user backend's workers stop before their rings go. */
	if (lpel_user_of(ring))
		lpel_user_exit(ring);
	lpel_unmap_queues(ring);
	free(ring->queues);
	lpel_priv_free(ring);
	free(ring->cpu_queue);
	if (ring->fd >= 0)
		close(ring->fd);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
}

struct pel_sqe *lpel_get_sqe_on(struct lpel_ring *ring, unsigned int index)
{
	struct lpel_queue *q;
	unsigned int next, head;

	if (index >= ring->nr_queues)
		return NULL;
	q = &ring->queues[index];
	next = q->sqe_tail;
	/* [S2]: the kernel is done with every slot before sq_head. */
	head = __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
	if (next - head >= q->sq_entries)
		return NULL;
	q->sqe_tail = next + 1;
	return &q->sqes[next & q->sq_mask];
}

struct pel_sqe *lpel_get_sqe(struct lpel_ring *ring)
{
	int cpu = sched_getcpu();
	unsigned int index = 0;

	if (!ring->nr_queues)
		return NULL;
	if (cpu >= 0) {
		if ((unsigned int)cpu < ring->nr_cpus)
			index = ring->cpu_queue[cpu];
		else
			index = (unsigned int)cpu % ring->nr_queues;
	}
	return lpel_get_sqe_on(ring, index);
}

/*
 * Publish the SQEs prepared on every queue ([S1]), then look once ([S3]) at
 * the flags of the queues just published.  Returns the SQEs published; the
 * queues that need a wake-up are counted in *nr_wake, the last in *wake_q.
 */
static int lpel_publish(struct lpel_ring *ring, unsigned int *nr_wake,
			unsigned int *wake_q)
{
	unsigned int i, nr_published = 0;
	int submitted = 0;

	*nr_wake = 0;
	*wake_q = 0;
	for (i = 0; i < ring->nr_queues; i++) {
		struct lpel_queue *q = &ring->queues[i];
		unsigned int old;

		old = __atomic_load_n(q->sq_tail, __ATOMIC_RELAXED);
		if (q->sqe_tail == old)
			continue;
		/* [S1]: the SQEs before the tail are complete. */
		__atomic_store_n(q->sq_tail, q->sqe_tail, __ATOMIC_RELEASE);
		submitted += (int)(q->sqe_tail - old);
		ring->published[nr_published++] = i;
	}
	if (!nr_published)
		return 0;
	lpel_priv(ring)->submit_tick = lpel_ticks();

	/* [S3]: one full barrier for all the tail stores above. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (i = 0; i < nr_published; i++) {
		struct lpel_queue *q = &ring->queues[ring->published[i]];

		if (__atomic_load_n(q->sq_flags, __ATOMIC_RELAXED) &
		    PEL_SQ_NEED_WAKEUP) {
			(*nr_wake)++;
			*wake_q = q->index;
		}
	}
	return submitted;
}

/*
 * One queue to wake: wake just its worker.  Several: one PEL_QUEUE_ALL call
 * rather than one system call each; a worker woken with nothing of its own
 * to do steals from the others, and goes back to sleep after idle_us.
 */
static int lpel_wake_published(struct lpel_ring *ring, unsigned int nr_wake,
			       unsigned int wake_q)
{
	if (!nr_wake)
		return 0;
	return lpel_wake(ring, nr_wake == 1 ? wake_q : PEL_QUEUE_ALL);
}

/*
 * Returns the SQEs submitted, or -errno when a wake-up failed: the SQEs are
 * published all the same, and the next wait asks for the wake-up again.
 */
int lpel_submit(struct lpel_ring *ring)
{
	unsigned int nr_wake, wake_q;
	int submitted, ret;

	submitted = lpel_publish(ring, &nr_wake, &wake_q);
	ret = lpel_wake_published(ring, nr_wake, wake_q);
	return ret < 0 ? ret : submitted;
}

/*
 * Returns the SQEs submitted, or -errno (-EINTR on a signal), in which case
 * the SQEs are published all the same.
 */
int lpel_submit_and_wait(struct lpel_ring *ring, unsigned int wait_nr)
{
	unsigned int nr_wake, wake_q, flags = 0;
	int submitted, ret;

	/* More CQEs than all the CQs hold can never be ready. */
	if (ring->nr_queues &&
	    wait_nr > (uint64_t)ring->nr_queues * ring->queues[0].cq_entries)
		return -EINVAL;

	submitted = lpel_publish(ring, &nr_wake, &wake_q);
	if (!wait_nr || lpel_cq_ready(ring) >= wait_nr) {
		ret = lpel_wake_published(ring, nr_wake, wake_q);
		return ret < 0 ? ret : submitted;
	}

	/* Several queues to wake: fold the wake-up into the wait. */
	if (nr_wake == 1) {
		ret = lpel_wake(ring, wake_q);
		if (ret < 0)
			return ret;
	} else if (nr_wake > 1) {
		flags = PEL_ENTER_WAKE;
	}
	for (;;) {
		ret = lpel_enter_wait(ring, flags, wait_nr, 0);
		if (ret < 0)
			return ret;
		if (lpel_cq_ready(ring) >= wait_nr)
			return submitted;
		flags = lpel_need_wake(ring) ? PEL_ENTER_WAKE : 0;
	}
}

/* lpel_peek_cqe() without the user backend's eventfd upkeep. */
int lpel_peek_scan(struct lpel_ring *ring, struct pel_cqe **cqe)
{
	unsigned int i, index = ring->next_cq;

	/* next_cq may be nr_queues after the last queue: wrapped below. */
	for (i = 0; i < ring->nr_queues; i++, index++) {
		struct lpel_queue *q;
		unsigned int head, tail;

		if (index >= ring->nr_queues)
			index = 0;
		q = &ring->queues[index];
		head = __atomic_load_n(q->cq_head, __ATOMIC_RELAXED);
		/* [C1]: the CQEs before the tail are complete. */
		tail = __atomic_load_n(q->cq_tail, __ATOMIC_ACQUIRE);
		if (head != tail) {
			*cqe = &q->cqes[head & q->cq_mask];
			/* Round-robin: no busy queue starves the others. */
			ring->next_cq = index + 1;
			return 0;
		}
	}
	*cqe = NULL;
	return -EAGAIN;
}

int lpel_peek_cqe(struct lpel_ring *ring, struct pel_cqe **cqe)
{
	if (!lpel_peek_scan(ring, cqe))
		return 0;
	/* All CQs empty: the user backend's fd must say so (user.c). */
	if (lpel_user_of(ring))
		return lpel_user_peek_empty(ring, cqe);
	return -EAGAIN;
}

/*
 * A CQE is ours until we move cq_head past it, so the head of its queue moves
 * by one: CQEs of one queue must be seen in the order they were peeked.
 */
void lpel_cqe_seen(struct lpel_ring *ring, struct pel_cqe *cqe)
{
	uintptr_t p = (uintptr_t)cqe;
	unsigned int i, index;

	/* Usually the queue the last peek returned from: look there first. */
	index = ring->next_cq ? ring->next_cq - 1 : ring->nr_queues - 1;
	for (i = 0; i < ring->nr_queues; i++, index++) {
		struct lpel_queue *q;
		unsigned int head;

		if (index >= ring->nr_queues)
			index = 0;
		q = &ring->queues[index];
		if (p - (uintptr_t)q->cqes >=
		    (uintptr_t)q->cq_entries * sizeof(*cqe))
			continue;
		head = __atomic_load_n(q->cq_head, __ATOMIC_RELAXED);
		/* [C2]: done reading the CQE before the kernel reuses it. */
		__atomic_store_n(q->cq_head, head + 1, __ATOMIC_RELEASE);
		/* The user backend's fd is readable while a CQE is ready. */
		if (lpel_user_of(ring))
			lpel_user_seen(ring, q);
		return;
	}
}

unsigned int lpel_cq_ready(const struct lpel_ring *ring)
{
	unsigned int i, ready = 0;

	for (i = 0; i < ring->nr_queues; i++) {
		const struct lpel_queue *q = &ring->queues[i];

		/* [C1] */
		ready += __atomic_load_n(q->cq_tail, __ATOMIC_ACQUIRE) -
			 __atomic_load_n(q->cq_head, __ATOMIC_RELAXED);
	}
	return ready;
}

/*
 * Would a spin only keep from running the worker that has to complete our
 * ops?  Kept simple, from what the shared rings tell without a system call:
 *  - one queue: one CPU online at setup, so every worker that could run
 *    our ops needs the CPU we spin on;
 *  - a worker sleeps on SQEs we published (PEL_SQ_NEED_WAKEUP on a queue
 *    with SQEs not taken): nothing runs them until the wake-up the blocking
 *    wait does, and there the kernel may run them in our thread;
 *  - every SQE not yet taken is on a queue homed on the CPU we run on, and
 *    every other queue has NEED_WAKEUP set: NEED_WAKEUP means "no worker
 *    polls this queue", so no worker elsewhere polls, and the only one that
 *    could take those SQEs is the home worker, on our CPU.
 * SQEs already taken are running on some worker; if that were our CPU's,
 * we would not be running, so a spin for them is not useless.
 */
static bool lpel_spin_useless(struct lpel_ring *ring)
{
	unsigned int i, here = 0, elsewhere_polled = 0;
	int cpu;

	if (ring->nr_queues <= 1)
		return true;
	if (lpel_need_wake(ring))	/* also orders our tails before the flags */
		return true;
	cpu = sched_getcpu();
	if (cpu < 0)
		return false;
	for (i = 0; i < ring->nr_queues; i++) {
		struct lpel_queue *q = &ring->queues[i];
		unsigned int tail, head;

		if (q->cpu == (unsigned int)cpu) {
			tail = __atomic_load_n(q->sq_tail, __ATOMIC_RELAXED);
			head = __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
			here += head != tail;
			continue;
		}
		tail = __atomic_load_n(q->sq_tail, __ATOMIC_RELAXED);
		head = __atomic_load_n(q->sq_head, __ATOMIC_ACQUIRE);
		if (head != tail)
			return false;	/* SQEs elsewhere: a spin may see them done */
		if (!(__atomic_load_n(q->sq_flags, __ATOMIC_RELAXED) &
		      PEL_SQ_NEED_WAKEUP))
			elsewhere_polled++;
	}
	return here && !elsewhere_polled;
}

/*
 * Whether any CQ looks non-empty: the spin's look between pauses, a few
 * loads a queue; lpel_peek_cqe() (its round robin, the user backend's fd
 * upkeep) runs only when it says yes.
 */
static bool lpel_cq_any(const struct lpel_ring *ring)
{
	const struct lpel_queue *q = ring->queues, *end = q + ring->nr_queues;

	for (; q < end; q++)
		if (__atomic_load_n(q->cq_tail, __ATOMIC_RELAXED) !=
		    __atomic_load_n(q->cq_head, __ATOMIC_RELAXED))
			return true;
	return false;
}

/* When the spin of a wait that starts at tick start ends. */
static uint64_t lpel_spin_end(const struct lpel_priv *p, uint64_t start)
{
	uint64_t tpu = p->ticks_per_us, min = LPEL_SPIN_MIN_NS * tpu / 1000,
		 max = LPEL_SPIN_MAX_NS * tpu / 1000, end, budget;

	if (!p->lat_ticks)
		return start + LPEL_SPIN_INIT_NS * tpu / 1000;
	if (p->lat_ticks > LPEL_SPIN_SLOW_NS * tpu / 1000)
		return start + min;
	/* Twice the latency, counted from the submission... */
	budget = 2 * p->lat_ticks;
	end = p->submit_tick + budget;
	/* ... but at least the floor and at most the cap from now. */
	if ((int64_t)(end - (start + min)) < 0)
		end = start + min;
	if ((int64_t)(end - (start + max)) > 0)
		end = start + max;
	return end;
}

int lpel_wait_cqe_timeout(struct lpel_ring *ring, struct pel_cqe **cqe,
			  uint64_t timeout_ns)
{
	uint64_t deadline = 0, now;
	struct lpel_priv *priv;
	unsigned int i;
	int ret;

	if (!lpel_peek_cqe(ring, cqe))
		return 0;
	if (timeout_ns) {
		deadline = monotonic_ns() + timeout_ns;
		if (deadline < timeout_ns)	/* wrapped: never, then */
			deadline = UINT64_MAX;
	}

	/*
	 * Spin for a time budget first (see LPEL_SPIN_*): a worker on another
	 * CPU is often about to post the CQE, and blocking costs two context
	 * switches.  Not when the spin would only keep from running the worker
	 * that has to complete the op (lpel_spin_useless()).
	 */
	priv = lpel_priv(ring);
	if (!lpel_spin_useless(ring)) {
		uint64_t start = lpel_ticks(), end;

		end = lpel_spin_end(priv, start);
		/* No spin past a timeout shorter than the budget. */
		if (timeout_ns && timeout_ns < LPEL_SPIN_MAX_NS &&
		    (int64_t)(end - (start + timeout_ns * priv->ticks_per_us / 1000)) > 0)
			end = start + timeout_ns * priv->ticks_per_us / 1000;
		for (i = 1;; i++) {
			cpu_relax();
			if (lpel_cq_any(ring) && !lpel_peek_cqe(ring, cqe)) {
				lpel_lat_sample(priv, lpel_ticks());
				return 0;
			}
			if ((int64_t)(lpel_ticks() - end) >= 0)
				break;
			/* A worker that went to sleep meanwhile runs nothing. */
			if (!(i % LPEL_SPIN_FLAG_EVERY) && lpel_need_wake(ring))
				break;
		}
	}
	lpel_calibrate(priv);

	for (;;) {
		uint64_t left = 0;
		unsigned int flags = lpel_need_wake(ring) ? PEL_ENTER_WAKE : 0;

		if (deadline) {
			now = monotonic_ns();
			if (now >= deadline)
				return -ETIME;
			left = deadline - now;
		}
		ret = lpel_enter_wait(ring, flags, 1, left);
		/* A CQE that raced with a timeout or a signal is still news. */
		if (!lpel_peek_cqe(ring, cqe)) {
			lpel_lat_sample(priv, lpel_ticks());
			return 0;
		}
		if (ret < 0)
			return ret;
		/*
		 * The kernel says a CQE is ready and we see none: we disagree
		 * about the rings; fail rather than spin on the ioctl.
		 */
		if (ret > 0)
			return -EPROTO;
	}
}

int lpel_wait_cqe(struct lpel_ring *ring, struct pel_cqe **cqe)
{
	return lpel_wait_cqe_timeout(ring, cqe, 0);
}

int lpel_wake(struct lpel_ring *ring, unsigned int q)
{
	int ret;

	if (q != PEL_QUEUE_ALL && q >= ring->nr_queues)
		return -EINVAL;
	ret = lpel_enter(ring, PEL_ENTER_WAKE, q, 0, 0);
	return ret < 0 ? ret : 0;
}

int lpel_register_buffers(struct lpel_ring *ring, const struct iovec *iovs,
			  unsigned int nr)
{
	struct pel_buffers req;
	struct pel_buf *bufs;
	unsigned int i;
	int ret = 0;

	if (!(ring->features & PEL_FEAT_REGISTERED_BUFFERS))
		return -EOPNOTSUPP;
	if (!nr || nr > PEL_MAX_BUFFERS || !iovs)
		return -EINVAL;
	if (lpel_user_of(ring))
		return lpel_user_register_buffers(ring, iovs, nr);
	bufs = calloc(nr, sizeof(*bufs));
	if (!bufs)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		bufs[i].addr = (uint64_t)(uintptr_t)iovs[i].iov_base;
		bufs[i].len = iovs[i].iov_len;
	}
	memset(&req, 0, sizeof(req));
	req.nr = nr;
	req.bufs = (uint64_t)(uintptr_t)bufs;
	if (ioctl(ring->fd, PEL_IOC_REGISTER_BUFFERS, &req) < 0)
		ret = -errno;
	free(bufs);
	return ret;
}

int lpel_register_files(struct lpel_ring *ring, const int *fds,
			unsigned int nr, int *res)
{
	struct pel_files req;
	int32_t *kfds, *kres;
	unsigned int i;
	int ret;

	if (!(ring->features & PEL_FEAT_REGISTERED_FILES))
		return -EOPNOTSUPP;
	if (!nr || nr > PEL_MAX_FILES || !fds)
		return -EINVAL;
	if (lpel_user_of(ring))
		return lpel_user_register_files(ring, fds, nr, res);
	kfds = calloc(nr, sizeof(*kfds));
	kres = calloc(nr, sizeof(*kres));
	if (!kfds || !kres) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nr; i++)
		kfds[i] = fds[i];
	memset(&req, 0, sizeof(req));
	req.nr = nr;
	req.fds = (uint64_t)(uintptr_t)kfds;
	req.res = (uint64_t)(uintptr_t)kres;
	ret = ioctl(ring->fd, PEL_IOC_REGISTER_FILES, &req);
	if (ret < 0)
		ret = -errno;
	else if (res)
		for (i = 0; i < nr; i++)
			res[i] = kres[i];
out:
	free(kfds);
	free(kres);
	return ret;
}

int lpel_unregister_files(struct lpel_ring *ring)
{
	if (!(ring->features & PEL_FEAT_REGISTERED_FILES))
		return -EOPNOTSUPP;
	if (lpel_user_of(ring))
		return lpel_user_unregister_files(ring);
	if (ioctl(ring->fd, PEL_IOC_UNREGISTER_FILES) < 0)
		return -errno;
	return 0;
}

int lpel_unregister_buffers(struct lpel_ring *ring)
{
	if (!(ring->features & PEL_FEAT_REGISTERED_BUFFERS))
		return -EOPNOTSUPP;
	if (lpel_user_of(ring))
		return lpel_user_unregister_buffers(ring);
	if (ioctl(ring->fd, PEL_IOC_UNREGISTER_BUFFERS) < 0)
		return -errno;
	return 0;
}
