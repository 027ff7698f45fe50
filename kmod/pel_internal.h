/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PEL - the Parallel Execution Layer: what the parts of pel.ko share.
 *
 * Objects and who owns them:
 *  - struct pel_ctx: one open file of /dev/pel.  Holds the owner's mm and a
 *    queue per online CPU.  Freed on the last kref put: the file's, or that
 *    of a worker that was running one of its ops when the file closed.
 *  - struct pel_queue: one SQ ring + SQE array + CQ ring, in pages shared
 *    with the owner (mmap).  Homed on one CPU's worker.
 *  - struct pel_worker: one kernel thread per online CPU (smpboot), shared
 *    by every context.  Serves the queues homed on its CPU round-robin.
 */
#ifndef _PEL_INTERNAL_H
#define _PEL_INTERNAL_H

#include <linux/cache.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/math64.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>
#include <linux/uidgid.h>
#include <linux/wait.h>

#include <crypto/sha2.h>

#include <pel.h>

struct seq_file;
struct file;

/* The project's version, from the top VERSION file: kmod/Kbuild defines it. */
#ifndef PEL_VERSION
#error "PEL_VERSION is not defined: build pel.ko through kmod/Kbuild (make module)"
#endif

/* SQEs a worker copies out of one queue per turn, at most. */
#define PEL_MAX_BATCH		64
/* Queues a thief keeps polling after it stole from them. */
#define PEL_MAX_ADOPTED		4
/*
 * A runner's buffer: the slow path copies user memory through it; in place
 * (data.c) it is the most a window takes, and XOR's accumulator.
 */
#define PEL_BOUNCE_SIZE		(64 * 1024)

/*
 * The first page of a queue's shared region.  Fields written by the kernel
 * and fields written by userspace sit on different cache lines.  Userspace
 * finds them through struct pel_queue_offsets, never through this layout.
 */
struct pel_rings {
	/* written by the kernel */
	u32 sq_head;
	u32 sq_flags;
	/* written by userspace */
	u32 sq_tail ____cacheline_aligned_in_smp;
	/* written by userspace */
	u32 cq_head ____cacheline_aligned_in_smp;
	/* written by the kernel */
	u32 cq_tail ____cacheline_aligned_in_smp;
	/* written once at setup; informational, the kernel keeps its own */
	u32 sq_mask ____cacheline_aligned_in_smp;
	u32 sq_entries;
	u32 cq_mask;
	u32 cq_entries;
	u32 cpu;
};

struct pel_ctx;

/*
 * One per uid that has contexts set up or being set up: what the per-user
 * limits count (max_contexts_per_user, max_queue_entries_per_user,
 * max_inflight_per_user).  Each context holds a reference from setup to
 * its last kref put, so a worker that posts a CQE after the file closed
 * still finds it.
 */
struct pel_user {
	struct list_head node;		/* on pel_user_list, under pel_user_lock */
	refcount_t ref;			/* one per context pointing here */
	kuid_t uid;
	unsigned int nr_contexts;	/* under pel_ctx_lock */
	u64 nr_entries;			/* under pel_ctx_lock */
	atomic_t inflight;		/* SQEs taken, CQE not yet posted, all its contexts */
};

struct pel_queue {
	struct pel_ctx *ctx;
	struct pel_rings *rings;	/* kernel view of the shared region */
	struct pel_sqe *sqes;		/* shared: read only through pel_queue_take() */
	struct pel_cqe *cqes;		/* shared: written only by pel_queue_post() */
	struct page **pages;
	unsigned int nr_pages;
	unsigned int index;		/* queue number in the context */
	unsigned int cpu;		/* home worker */

	/* Private copies of the ring geometry: never re-read from shared memory. */
	u32 sq_mask;
	u32 sq_entries;
	u32 cq_mask;
	u32 cq_entries;

	/*
	 * sq_lock protects sq_head and submitted: one consumer at a time
	 * copies SQEs out and advances the head.  Held only for the copy,
	 * never while an op runs.
	 */
	spinlock_t sq_lock;
	u32 sq_head;
	u64 submitted;
	/*
	 * Also under sq_lock: chain_open, the last SQE taken had LINK (the
	 * chain goes on in the ring); link_failed, that chain already failed.
	 */
	bool chain_open;
	bool link_failed;
	/*
	 * Also under sq_lock: pollers, the workers polling this queue (its
	 * home worker while awake, thieves that adopted it); NEED_WAKEUP is
	 * set exactly when it is 0 (pel_queue_poll_enter/leave()).
	 */
	unsigned int pollers;
	u64 last_taken_ns;		/* local_clock(); read locklessly by the home worker */

	/*
	 * cq_lock protects cq_tail, cq_reserved and completed.  cq_reserved
	 * counts SQEs taken whose CQE is not yet posted; each owns a CQ slot,
	 * so the CQ never overflows.
	 */
	spinlock_t cq_lock ____cacheline_aligned_in_smp;
	u32 cq_tail;
	u32 cq_reserved;
	u64 completed;
	u64 bytes;			/* also under cq_lock: what the stats say */
	u64 ops[PEL_OP_SLOTS];
	u64 errors[PEL_ERR_SLOTS];

	/*
	 * On its group's list of the home worker (worker_node, group), both
	 * protected by that worker's lock.  spare is a group allocated at
	 * setup for attach to use when the worker has none of this cgroup.
	 */
	struct list_head worker_node;
	struct pel_wgroup *group;
	struct pel_wgroup *spare;
	bool home_polled;		/* the home worker counts in pollers; its lock */
};

/*
 * The queues of one cgroup homed on one worker.  The worker's round-robin
 * serves groups, then queues inside a group, so a cgroup with a hundred
 * contexts gets no more of a worker than a cgroup with one.  Protected by
 * the worker's lock; freed when its last queue leaves.
 */
struct pel_wgroup {
	u64 cgroup_id;
	struct list_head node;		/* on the worker's groups, rotated */
	struct list_head queues;	/* its queues, rotated */
	unsigned int nr_queues;
};

struct pel_ctx {
	struct kref ref;		/* the file's, plus one per batch or thread using it */
	/*
	 * lock serialises setup against mmap; ready is set (release) once
	 * the queues exist, and is never cleared, so readers that saw it
	 * (acquire) may use queues without the lock.
	 */
	struct mutex lock;
	bool ready;
	/*
	 * Set once, when the file is released: ops of the context end with
	 * -ECANCELED at their next check (between chunks, every
	 * PEL_BOUNCE_SIZE bytes), and its slow path winds down.
	 */
	bool closing;

	struct mm_struct *mm;		/* owner's mm, mmgrab()ed at setup */
	struct pid *owner;		/* owner's thread group */
	kuid_t uid;			/* owner's euid: who may see its stats */
	struct pel_user *user;		/* owner's euid's limits, from setup on */
	char comm[TASK_COMM_LEN];
	u64 idle_ns;			/* how long workers poll after the last op */
	u32 max_inflight;		/* cap on inflight */
	u64 nr_entries;			/* SQ + CQ entries of all queues, for the limit */
	atomic_t inflight;		/* SQEs taken, CQE not yet posted, all queues */

	unsigned int nr_queues;
	struct pel_queue *queues;

	wait_queue_head_t cq_wait;	/* PEL_ENTER_WAIT and poll() sleep here */

	struct list_head node;		/* on pel_ctx_list, under pel_ctx_lock */

	/*
	 * The slow path (slow.c): batches a shared worker could not finish
	 * without sleeping on the owner's memory, run by a thread of the
	 * context's own.  slow_lock protects slow_list, slow_task, and the
	 * slot states of every batch on slow_list (CANCEL reads them).
	 * slow_mutex serialises creating the thread.
	 */
	spinlock_t slow_lock;
	struct list_head slow_list;
	struct task_struct *slow_task;
	wait_queue_head_t slow_wait;
	struct mutex slow_mutex;
	struct timer_list slow_timer;	/* armed while the thread runs a batch */
	void *slow_bounce;		/* the thread's PEL_BOUNCE_SIZE bytes */
	u64 slow_batches;		/* batches handed to the slow path */
	u64 cgroup_id;			/* owner's cgroup (v2) at setup: fairness */
	atomic64_t busy_ns;		/* worker and slow-path time on its ops */
	struct task_struct *owner_task;	/* owner's group leader, referenced */
	atomic64_t enters;		/* PEL_IOC_ENTER calls */
	/*
	 * A waiting owner runs SQEs itself (help.c).  help_mutex lets one of
	 * its threads at a time do it, and protects helped and making help.
	 */
	struct mutex help_mutex;
	struct pel_help *help;		/* set once (release), freed with ctx */
	u64 helped;			/* SQEs and split chunks its waiting owner ran */

	/*
	 * Registered buffers (rsrc.c).  rbufs_lock protects the rbufs
	 * pointer (the table itself is immutable); an op holds a reference
	 * on the table from prep to its CQE.
	 */
	spinlock_t rbufs_lock;
	struct pel_rbufs *rbufs;
	/*
	 * Registered files (files.c).  files_lock protects the files
	 * pointer (the table itself is immutable once installed); an op
	 * takes its own reference on its struct file at prep.
	 */
	spinlock_t files_lock;
	struct pel_files_table *files;
};

/* Where an op of a batch is; CANCEL acts on PEL_SLOT_PENDING only. */
enum pel_slot_state {
	PEL_SLOT_PENDING,
	PEL_SLOT_RUNNING,
	PEL_SLOT_DONE,
	PEL_SLOT_CANCELLED,
};

/* Why a range ended before its end (struct pel_range.stop). */
enum pel_range_stop {
	PEL_STOP_NONE,		/* done, a difference, or a real fault */
	PEL_STOP_MISS,		/* no page faults allowed, and one was needed */
	PEL_STOP_YIELD,		/* the worker is asked to park or stop */
	PEL_STOP_CLOSING,	/* the context is closing */
};

#define PEL_MAX_CHUNKS		64
/* Room for the exported state of the "sha256" shash; checked at load. */
#define PEL_SHA256_STATE_SIZE	128

/*
 * One op being run: the kernel copy of its SQE and its progress, so that
 * an op a shared worker had to give up (a page not resident, a park) goes
 * on from where it stopped in the context's slow path.
 */
struct pel_exec {
	const struct pel_sqe *sqe;
	const struct pel_op_def *op;
	struct pel_ctx *ctx;
	bool loaded;			/* XOR: srcs read from user memory */
	bool backward;			/* COPY into its own source's tail */
	bool split;			/* the chunk state below is in use */
	bool no_split;			/* its init said: run it as one range */
	bool stream;			/* COPY: long, no overlap: non-temporal stores */
	bool digest_ready;		/* SHA256: digest computed */
	u64 done;			/* bytes done; backward: from the end */
	u64 diff;			/* COMPARE: first differing offset, or U64_MAX */
	u32 crc;			/* CRC32C: running raw CRC */
	unsigned int nr_srcs;		/* XOR: sources, read once into srcs */
	u64 srcs[PEL_XOR_MAX_SRCS];
	/*
	 * PEL_SQE_FIXED: the registered buffers the op's addresses lie in,
	 * referenced until its CQE is posted (pel_op_release()), and the
	 * kernel addresses of addr, addr2 and arg0 (DUALCAST); NULL for an
	 * op on plain user memory.
	 */
	struct pel_rbufs *rbufs;
	void *kaddr;
	void *kaddr2;
	void *karg0;
	void *ksrcs[PEL_XOR_MAX_SRCS];	/* XOR with PEL_SQE_FIXED */
	/*
	 * PEL_SQE_FILE: the source file, referenced from prep until the CQE
	 * (pel_op_release()); NULL for a memory op.  file_end and file_err:
	 * the lowest op offset where a range found EOF or an I/O error, or
	 * U64_MAX; under split_lock when split.
	 */
	struct file *file;
	u64 file_end;
	u64 file_err;
	/*
	 * PEL_OPF_BLOCKS (CRC32C, SHA256): the block size, 0 without the
	 * flag.  done and every chunk's progress are then whole blocks,
	 * their digests written (or the op's end, or EOF): a block cut by a
	 * miss or a park is hashed again from its start.
	 */
	u64 block;
	/* SHA256: the running state, as crypto_shash_export() gives it */
	u8 sha_state[PEL_SHA256_STATE_SIZE] __aligned(8);
	u8 digest[SHA256_DIGEST_SIZE];

	/*
	 * A split op (split.c).  A chunk's runner writes its chunk_done and
	 * chunk_crc, and sets its chunk_over bit (atomically); split_lock
	 * protects first_fault and first_diff, which any runner lowers.
	 */
	spinlock_t split_lock;
	u64 chunk;			/* bytes per chunk, a page multiple */
	unsigned int nr_chunks;
	u64 first_fault;		/* lowest real faulting offset, or U64_MAX */
	u64 first_diff;			/* COMPARE: lowest differing offset */
	/* Chunks that are over: all done, or ended at a difference or a fault. */
	DECLARE_BITMAP(chunk_over, PEL_MAX_CHUNKS);
	u64 chunk_done[PEL_MAX_CHUNKS];
	u32 chunk_crc[PEL_MAX_CHUNKS];
};

/*
 * What runs one range of an op: the runner's buffer and rules in, what the
 * range found out.  On a shared worker's stack; helpers of a split op each
 * bring their own.
 */
struct pel_range {
	void *bounce;			/* PEL_BOUNCE_SIZE bytes of the runner's */
	bool nofault;			/* a shared worker: never fault user pages in */
	bool may_yield;			/* an smpboot worker: end early to park */
	u8 stop;			/* enum pel_range_stop */
	u32 crc;			/* in/out: running raw CRC */
	u64 diff;			/* out: first differing offset, or U64_MAX */
	u64 *chunks;			/* the runner's count of split chunks, or NULL */
	/* out, PEL_SQE_FILE: the range ended at EOF, or at an I/O error */
	bool eof;
	bool ioerr;
};

/*
 * A batch: SQEs copied out of one queue, run in order by one runner (a
 * worker, or the context's slow path once a worker handed it over).
 * *lock protects ctx, nr and state, which PEL_OP_CANCEL on other workers
 * reads and writes: the worker's batch_lock, or its context's slow_lock.
 * The rest is the runner's alone.
 */
struct pel_batch {
	spinlock_t *lock;
	struct pel_ctx *ctx;
	unsigned int nr;
	/*
	 * enum pel_slot_state.  Under *lock for pel_batch_set() and the
	 * handoff; the runner's PENDING -> RUNNING and CANCEL's PENDING ->
	 * CANCELLED are cmpxchg()es, so the runner takes no lock per op.
	 */
	u32 state[PEL_MAX_BATCH];

	struct pel_queue *q;
	unsigned int next;		/* the SQE to run next */
	bool started;			/* sqes[next] is running: x holds it */
	bool link_failed;		/* the chain sqes[next] is in failed */
	u64 start_ns;			/* local_clock() when taken */
	unsigned int posted;		/* CQEs posted: cqes[posted, next) wait */
	struct list_head node;		/* on the context's slow_list */
	struct pel_exec x;
	struct pel_sqe sqes[PEL_MAX_BATCH];
	struct pel_cqe cqes[PEL_MAX_BATCH];	/* filled in order, posted together */
};

/*
 * One per possible CPU, allocated on the CPU's node.  Counters are written
 * only by the worker itself and read locklessly by the stats ioctl.
 */
struct pel_worker {
	struct task_struct *task;
	unsigned int cpu;
	int node;
	bool kick;			/* set by PEL_ENTER_WAKE before waking us */
	bool queues_added;		/* a queue was attached: clear its NEED_WAKEUP */

	/* lock protects groups (and their queues), nr_groups, nr_queues, idle_ns */
	spinlock_t lock;
	struct list_head groups;	/* homed queues by cgroup, rotated */
	unsigned int nr_groups;
	unsigned int nr_queues;
	u64 idle_ns;			/* max idle time over homed queues */

	/* Queues of other workers it stole from and polls until it sleeps. */
	struct pel_queue *adopted[PEL_MAX_ADOPTED];
	unsigned int nr_adopted;

	struct mm_struct *mm;		/* mm attached: the last batch's context's */
	void *bounce;			/* PEL_BOUNCE_SIZE bytes */

	spinlock_t batch_lock;		/* batch.lock points here */
	struct pel_batch batch;
	struct pel_range range;		/* how this worker runs ranges */

	u32 state;			/* enum pel_worker_state */
	u64 state_since;		/* local_clock() of the last state change */
	u64 stolen;			/* ops taken from other workers' queues */
	atomic64_t stolen_from;		/* ops others took from ours (thieves add) */
	u64 chunks;			/* chunks of split ops run */
	u64 handoffs;			/* batches given to a slow path */
	u64 ops;
	u64 bytes;
	u64 wakeups;
	u64 sleeps;
	u64 busy_ns;
};

/* How an op runs; see ops.c. */
struct pel_op_def {
	const char *name;
	u8 uses;			/* PEL_USES_*: the SQE fields it reads */
	bool needs_mm;			/* touches the owner's memory */
	bool can_split;			/* ranges may run on several workers */
	/* Op-specific checks of the fields it uses; NULL when none. */
	int (*prep)(const struct pel_sqe *sqe);
	/*
	 * Op-specific start state in the exec (direction, digest state...),
	 * once the SQE passed prep; 0 or the -errno of its CQE.  NULL: none.
	 */
	int (*init)(struct pel_exec *x);
	/* Ops that are not byte ranges: run it, return cqe.res. */
	s64 (*run)(struct pel_exec *x, u64 *result);
	/*
	 * Byte-range ops: run bytes [off, off + n), return the bytes done
	 * (fewer on a fault, a difference, or a stop: r->stop says which).
	 */
	u64 (*range)(struct pel_exec *x, struct pel_range *r, u64 off, u64 n);
	/*
	 * Once the range is done (@done bytes before the first fault):
	 * fill *result and return cqe.res.  May need user memory too
	 * (SHA256's digest): -EAGAIN with r->stop set means "again later".
	 */
	s64 (*finish)(struct pel_exec *x, struct pel_range *r, u64 done,
		      u64 *result);
	/*
	 * A split op whose chunks all ran to their end: combine what the
	 * chunks kept (chunk_crc[]) into what one range would have (x->crc).
	 * NULL when the chunks keep nothing but their progress.
	 */
	void (*merge)(struct pel_exec *x);
};

/* PEL_OPF_BLOCKS: one digest's bytes, and the array's for the whole op. */
static inline unsigned int pel_blocks_dsize(const struct pel_sqe *sqe)
{
	return sqe->opcode == PEL_OP_SHA256 ? PEL_SHA256_DIGEST_SIZE :
	       sizeof(u32);
}

/* arg1 is checked first (PEL_BLOCK_MIN..PEL_MAX_OP_LEN): no overflow. */
static inline u64 pel_blocks_array_len(const struct pel_sqe *sqe)
{
	return div64_u64(sqe->len + sqe->arg1 - 1, sqe->arg1) *
	       pel_blocks_dsize(sqe);
}

/* main.c */
extern unsigned int pel_idle_us;
extern unsigned int pel_batch;
extern unsigned int pel_split_bytes;
extern unsigned int pel_max_inflight;
extern unsigned int pel_max_contexts_per_user;
extern unsigned long pel_max_entries;
extern unsigned long pel_max_entries_per_user;
extern unsigned int pel_max_inflight_per_user;
extern unsigned int pel_max_user_idle_us;

/* cdev.c */
int pel_cdev_init(void);
void pel_cdev_exit(void);

/* ctx.c */
extern struct mutex pel_ctx_lock;
extern struct list_head pel_ctx_list;
extern unsigned int pel_nr_contexts;
struct pel_ctx *pel_ctx_alloc(void);
void pel_ctx_release(struct pel_ctx *ctx);
long pel_ctx_setup(struct pel_ctx *ctx, struct pel_setup __user *uarg);
long pel_ctx_enter(struct pel_ctx *ctx, struct pel_enter __user *uarg);
u32 pel_ctx_cq_ready(struct pel_ctx *ctx, u32 qi);
int pel_ctx_mmap(struct pel_ctx *ctx, struct vm_area_struct *vma);
void pel_ctx_put(struct pel_ctx *ctx);
void pel_user_inflight_capped(struct pel_user *user, unsigned int max);

/*
 * Whether the owner is exiting (a fatal signal or exit_group()) or
 * exec()ing: nobody will read the context's CQEs.  It then counts as
 * closing, at once, rather than once its mm (which the workers may hold)
 * and the ring mappings are gone and the file is released.
 */
static inline bool pel_ctx_dying(struct pel_ctx *ctx)
{
	struct signal_struct *sig = ctx->owner_task->signal;

	if (!(READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) &&
	    !READ_ONCE(sig->group_exec_task))
		return false;
	WRITE_ONCE(ctx->closing, true);
	return true;
}

static inline void pel_ctx_get(struct pel_ctx *ctx)
{
	kref_get(&ctx->ref);
}

/* ring.c */
int pel_queue_init(struct pel_queue *q, struct pel_ctx *ctx,
		   unsigned int index, unsigned int cpu,
		   u32 sq_entries, u32 cq_entries);
void pel_queue_free(struct pel_queue *q);
void pel_queue_fill_offsets(struct pel_queue_offsets *off, u32 sq_entries);
size_t pel_queue_map_size(u32 sq_entries, u32 cq_entries);
bool pel_queue_sq_pending(struct pel_queue *q);
bool pel_queue_can_take(struct pel_queue *q);
unsigned int pel_queue_take(struct pel_queue *q, struct pel_sqe *out,
			    unsigned int max, bool *link_failed);
void pel_queue_end_chain_part(struct pel_queue *q, bool link_failed);
void pel_queue_post(struct pel_queue *q, const struct pel_cqe *cqes,
		    const struct pel_sqe *sqes, unsigned int n);
u32 pel_queue_cq_ready(struct pel_queue *q);
void pel_queue_poll_enter(struct pel_queue *q);
void pel_queue_poll_leave(struct pel_queue *q);

/* worker.c */
int pel_workers_init(void);
void pel_workers_exit(void);
int pel_worker_prepare_attach(struct pel_queue *q);
void pel_worker_attach(struct pel_queue *q);
void pel_worker_detach(struct pel_queue *q);
void pel_worker_kick(unsigned int cpu);
unsigned int pel_worker_kick_idle(int node, int exclude, int exclude2,
				  unsigned int max);
bool pel_worker_kick_other(unsigned int cpu);
bool pel_worker_stuck(unsigned int cpu);
int pel_worker_use_mm(struct pel_worker *w, struct mm_struct *mm);
void pel_worker_drop_mm(struct pel_worker *w);
bool pel_worker_should_yield(void);
int pel_worker_cancel(struct pel_ctx *ctx, u64 user_data);
int pel_worker_fill_stats(struct pel_worker_stats *st);

/* ops.c */
int pel_op_prep(struct pel_exec *x, struct pel_ctx *ctx,
		const struct pel_sqe *sqe);
bool pel_op_exec(struct pel_exec *x, const struct pel_range *base,
		 struct pel_cqe *cqe);
void pel_op_release(struct pel_exec *x);
const char *pel_op_name(u8 opcode);
bool pel_range_stopped(const struct pel_exec *x, struct pel_range *r);
int pel_ops_init(void);
void pel_ops_exit(void);

/* batch.c */
void pel_batch_init(struct pel_batch *b, spinlock_t *lock);
void pel_batch_set(struct pel_batch *b, struct pel_queue *q, unsigned int nr,
		   bool link_failed);
bool pel_batch_run(struct pel_batch *b, const struct pel_range *base,
		   struct pel_worker *w);
void pel_batch_abort(struct pel_batch *b, int err);
int __pel_batch_cancel(struct pel_batch *b, struct pel_ctx *ctx, u64 user_data);
int pel_batch_cancel(struct pel_batch *b, struct pel_ctx *ctx, u64 user_data);

/* slow.c */
void pel_slow_init(struct pel_ctx *ctx);
void pel_slow_handoff(struct pel_worker *w, struct pel_batch *b);
void pel_slow_close(struct pel_ctx *ctx);
int pel_slow_cancel(struct pel_ctx *ctx, u64 user_data);

/* rsrc.c */
struct pel_rbufs;
long pel_ioctl_register_buffers(struct pel_ctx *ctx, void __user *arg);
long pel_ioctl_unregister_buffers(struct pel_ctx *ctx);
struct pel_rbufs *pel_rbufs_get(struct pel_ctx *ctx);
void pel_rbufs_put(struct pel_rbufs *t);
void *pel_rbufs_resolve(struct pel_rbufs *t, u64 uaddr, u64 len);
int pel_rbufs_prep(struct pel_exec *x);
void pel_rbufs_stats(struct pel_ctx *ctx, u32 *nr, u64 *bytes);
void pel_rbufs_release(struct pel_ctx *ctx);
int pel_rbufs_init(void);
void pel_rbufs_exit(void);

/* files.c */
struct pel_files_table;
long pel_ioctl_register_files(struct pel_ctx *ctx, void __user *arg);
long pel_ioctl_unregister_files(struct pel_ctx *ctx);
struct file *pel_files_get(struct pel_ctx *ctx, unsigned int index);
unsigned int pel_files_count(struct pel_ctx *ctx);
void pel_files_release(struct pel_ctx *ctx);

/* help.c */
unsigned int pel_help_run(struct pel_ctx *ctx);
int pel_help_cancel(struct pel_ctx *ctx, u64 user_data);
void pel_help_free(struct pel_ctx *ctx);

/* split.c */
void pel_split_maybe(struct pel_exec *x, const struct pel_range *base);
u64 pel_chunk_len(const struct pel_exec *x, unsigned int i);
bool pel_split_resume(struct pel_exec *x, struct pel_range *r);
unsigned int pel_split_help(struct pel_worker *w, const struct pel_range *base);
unsigned int pel_split_help_ctx(struct pel_ctx *ctx, const struct pel_range *base);

/* stats.c */
int pel_stats_init(void);
void pel_stats_exit(void);
void pel_stats_ops_done(const struct pel_sqe *sqes, const struct pel_cqe *cqes,
			unsigned int n, u64 lat_ns);
void pel_show_fdinfo(struct seq_file *m, struct file *file);
long pel_ioctl_op_stats(void __user *arg);
long pel_ioctl_info(void __user *arg);
long pel_ioctl_worker_stats(void __user *arg);
long pel_ioctl_ctx_stats(void __user *arg);

#endif /* _PEL_INTERNAL_H */
