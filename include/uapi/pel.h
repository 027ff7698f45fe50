/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * PEL - the Parallel Execution Layer: the ABI shared by pel.ko and liblpel.
 *
 * Rules for this file (see Documentation/abi.rst):
 *  - fixed-width types only, explicit padding, no pointers: user addresses
 *    travel as __u64;
 *  - every struct passed by ioctl is versioned (a size field, or the size
 *    encoded in the ioctl number) and ends in reserved space that must be
 *    zero; the kernel rejects unknown flags and non-zero reserved fields with
 *    -EINVAL so that later versions can give them a meaning;
 *  - the kernel checks every offset and size below with BUILD_BUG_ON.
 */
#ifndef _UAPI_PEL_H
#define _UAPI_PEL_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define PEL_ABI_VERSION		1
#define PEL_DEVICE_PATH		"/dev/pel"

/*
 * Feature bits, returned by PEL_IOC_SETUP and PEL_IOC_INFO: what the running
 * module supports.  A library checks a bit before it uses what it names.
 */
/* the NOP operation */
#define PEL_FEAT_OP_NOP		(1ULL << 0)
/* the COPY operation */
#define PEL_FEAT_OP_COPY	(1ULL << 1)
/* PEL_ENTER_WAIT and poll()/epoll on the context fd */
#define PEL_FEAT_WAIT		(1ULL << 2)
/* per-context polling idle time (pel_setup.idle_us) */
#define PEL_FEAT_IDLE_US	(1ULL << 3)
/* the FILL operation */
#define PEL_FEAT_OP_FILL	(1ULL << 4)
/* the COMPARE and COMPARE_PATTERN operations */
#define PEL_FEAT_OP_COMPARE	(1ULL << 5)
/* the CRC32C and COPY_CRC32C operations */
#define PEL_FEAT_OP_CRC32C	(1ULL << 6)
/* the DUALCAST operation */
#define PEL_FEAT_OP_DUALCAST	(1ULL << 7)
/* the XOR operation */
#define PEL_FEAT_OP_XOR		(1ULL << 8)
/* the SHA256 operation */
#define PEL_FEAT_OP_SHA256	(1ULL << 9)
/* the CANCEL operation */
#define PEL_FEAT_OP_CANCEL	(1ULL << 10)
/* PEL_SQE_LINK and PEL_SQE_DRAIN */
#define PEL_FEAT_ORDERING	(1ULL << 11)
/* PEL_SQE_DEADLINE */
#define PEL_FEAT_DEADLINE	(1ULL << 12)
/* work stealing and splitting of large ops across workers */
#define PEL_FEAT_PARALLEL	(1ULL << 13)
/* pel_setup.max_inflight */
#define PEL_FEAT_MAX_INFLIGHT	(1ULL << 14)
/* PEL_IOC_OP_STATS, the per-context op and error counters, fdinfo, tracepoints */
#define PEL_FEAT_STATS		(1ULL << 15)
/* PEL_IOC_REGISTER_BUFFERS and PEL_SQE_FIXED */
#define PEL_FEAT_REGISTERED_BUFFERS (1ULL << 16)
/* PEL_IOC_ENTER with PEL_ENTER_WAIT runs the context's own SQEs before it sleeps */
#define PEL_FEAT_WAIT_HELPS	(1ULL << 17)
/* PEL_IOC_REGISTER_FILES and PEL_SQE_FILE (file ranges as sources) */
#define PEL_FEAT_REGISTERED_FILES (1ULL << 18)
/* PEL_OPF_BLOCKS: CRC32C and SHA256 of every block of a range */
#define PEL_FEAT_BLOCK_DIGESTS	(1ULL << 19)
/* What this module has. */
#define PEL_FEATURES_ALL	((1ULL << 20) - 1)

/* Ring sizes: a power of two in [PEL_MIN_ENTRIES, PEL_MAX_ENTRIES]. */
#define PEL_MIN_ENTRIES		2
#define PEL_MAX_ENTRIES		4096
#define PEL_DEFAULT_ENTRIES	256

/* Upper bound for pel_setup.idle_us (one second). */
#define PEL_MAX_IDLE_US		1000000

/*
 * Where each queue's shared region (ring header, SQE array, CQE array) is
 * mapped: mmap(NULL, pel_setup.queue_map_size, PROT_READ | PROT_WRITE,
 * MAP_SHARED, fd, PEL_QUEUE_MMAP_OFFSET(q)).
 */
#define PEL_QUEUE_MMAP_SHIFT	32
#define PEL_QUEUE_MMAP_OFFSET(q) ((__u64)(q) << PEL_QUEUE_MMAP_SHIFT)

/* Byte offsets of the shared fields inside one queue's mapping. */
struct pel_queue_offsets {
	__u32 sq_head;		/* kernel writes, user reads */
	__u32 sq_tail;		/* user writes, kernel reads */
	__u32 sq_flags;		/* kernel writes: PEL_SQ_NEED_WAKEUP */
	__u32 sq_mask;		/* read-only: sq_entries - 1 */
	__u32 sq_entries;	/* read-only */
	__u32 cq_head;		/* user writes, kernel reads */
	__u32 cq_tail;		/* kernel writes, user reads */
	__u32 cq_mask;		/* read-only: cq_entries - 1 */
	__u32 cq_entries;	/* read-only */
	__u32 cpu;		/* read-only: the CPU this queue is homed on */
	__u32 sqes;		/* the SQE array: sq_entries * 64 bytes */
	__u32 cqes;		/* the CQE array: cq_entries * 32 bytes */
	__u64 resv[2];
};

/* pel_setup.flags: none defined yet. */
#define PEL_SETUP_FLAGS_ALL	0U

/* PEL_IOC_SETUP: make the context's queues.  Once per open file. */
struct pel_setup {
	__u32 size;		/* in: sizeof(struct pel_setup) */
	__u32 flags;		/* in: PEL_SETUP_* */
	__u32 sq_entries;	/* in: per queue, 0 = default; out: used */
	__u32 cq_entries;	/* in: per queue, 0 = 2 * sq; out: used */
	__u32 idle_us;		/* in: poll this long after the last op, 0 = module default; out: used */
	__u32 nr_queues;	/* out: queues made, one per online CPU */
	__u64 features;		/* out: PEL_FEAT_* */
	__u64 queue_map_size;	/* out: bytes to mmap per queue */
	struct pel_queue_offsets off;	/* out */
	__u32 max_inflight;	/* in: cap on this context's ops in flight, 0 = module max; out: used */
	__u32 resv0;
	__u64 resv[3];
};

/* Ring flags in pel_queue_offsets.sq_flags. */
#define PEL_SQ_NEED_WAKEUP	(1U << 0)	/* no worker polls this queue: call PEL_IOC_ENTER with PEL_ENTER_WAKE */

/*
 * Opcodes (pel_sqe.opcode).  addr is written, addr2 is read; a field an
 * opcode does not name must be zero.  Every length is at most
 * PEL_MAX_OP_LEN.  See Documentation/ops.md for each op's exact result.
 */
enum pel_op {
	PEL_OP_NOP		= 0,	/* nothing */
	PEL_OP_COPY		= 1,	/* addr <- addr2, len bytes (memmove semantics) */
	PEL_OP_FILL		= 2,	/* addr <- arg0 (64-bit pattern) repeated over len bytes */
	PEL_OP_COMPARE		= 3,	/* addr vs addr2 (both read), len bytes */
	PEL_OP_COMPARE_PATTERN	= 4,	/* addr2 vs arg0 repeated, len bytes */
	PEL_OP_CRC32C		= 5,	/* CRC32C of addr2, len bytes, seed arg0 */
	PEL_OP_COPY_CRC32C	= 6,	/* COPY and CRC32C of the source in one pass */
	PEL_OP_DUALCAST		= 7,	/* addr <- addr2 and arg0 <- addr2, len bytes */
	PEL_OP_XOR		= 8,	/* addr <- XOR of arg0 sources listed at addr2 */
	PEL_OP_SHA256		= 9,	/* SHA-256 of addr2, len bytes, into 32 bytes at addr */
	PEL_OP_CANCEL		= 10,	/* cancel the op whose user_data is arg0 */
	PEL_OP_LAST,
};

/*
 * pel_sqe.op_flags.  PEL_OPF_BLOCKS, for CRC32C and SHA256: a digest of
 * every arg1 bytes of the source (the last block may be shorter) into the
 * array at addr, block i's at addr + i * size: a __u32 CRC (host order,
 * each block's seeded with arg0) or a 32-byte SHA-256.  arg1 (the block
 * size) is PEL_BLOCK_MIN..PEL_MAX_OP_LEN.  res: bytes done; result: the
 * digests written.  The blocks of one op run in parallel across workers.
 */
#define PEL_OPF_BLOCKS		(1U << 0)
#define PEL_BLOCK_MIN		512

/* Largest len of one op: its byte count must fit pel_cqe.res. */
#define PEL_MAX_OP_LEN		0x7fffffffULL
/* Sources of one PEL_OP_XOR: 1..PEL_XOR_MAX_SRCS. */
#define PEL_XOR_MAX_SRCS	16
/* Bytes PEL_OP_SHA256 writes at addr. */
#define PEL_SHA256_DIGEST_SIZE	32

/* pel_sqe.flags */
/* The next SQE of this queue starts only if this one succeeds (res >= 0). */
#define PEL_SQE_LINK		(1U << 0)
/* Start only after every earlier SQE of this queue has completed. */
#define PEL_SQE_DRAIN		(1U << 1)
/* deadline_ns is set: not started by then, the op completes with -ETIME. */
#define PEL_SQE_DEADLINE	(1U << 2)
/*
 * Every address of the op (addr, addr2, DUALCAST's arg0, XOR's source list
 * and sources) lies in one buffer registered with PEL_IOC_REGISTER_BUFFERS;
 * one that does not gives -EFAULT.
 */
#define PEL_SQE_FIXED		(1U << 3)
/*
 * The source is a byte range of a file registered with
 * PEL_IOC_REGISTER_FILES: file_index names it and addr2 is the file offset.
 * For CRC32C, SHA256, COMPARE (the file range against addr), COPY (into
 * addr) and COPY_CRC32C; any other op is -EINVAL.  A range that runs past
 * EOF is short: res is the bytes up to EOF (Documentation/ops.md).  With
 * PEL_SQE_FIXED, addr lies in a registered buffer.
 */
#define PEL_SQE_FILE		(1U << 4)
#define PEL_SQE_FLAGS_ALL	(PEL_SQE_LINK | PEL_SQE_DRAIN | PEL_SQE_DEADLINE | \
				 PEL_SQE_FIXED | PEL_SQE_FILE)

/*
 * Submission queue entry: 64 bytes.  Fields an opcode does not use must be
 * zero, as must file_index without PEL_SQE_FILE.
 */
struct pel_sqe {
	__u8  opcode;		/* enum pel_op */
	__u8  flags;		/* PEL_SQE_* */
	__u16 file_index;	/* with PEL_SQE_FILE: the registered file */
	__u32 op_flags;		/* per-opcode flags: PEL_OPF_* */
	__u64 addr;		/* destination address */
	__u64 addr2;		/* source address */
	__u64 len;		/* bytes */
	__u64 arg0;		/* per-opcode argument */
	__u64 arg1;		/* per-opcode argument: PEL_OPF_BLOCKS' block size */
	__u64 user_data;	/* returned untouched in the CQE */
	__u64 deadline_ns;	/* with PEL_SQE_DEADLINE: CLOCK_MONOTONIC ns */
};

/* Completion queue entry: 32 bytes. */
struct pel_cqe {
	__u64 user_data;	/* from the SQE */
	__s32 res;		/* bytes done, or -errno */
	__u32 flags;		/* none defined yet */
	__u64 result;		/* per-op result; with -EFAULT, bytes done before the fault */
	__u64 resv;
};

/* PEL_IOC_ENTER flags. */
#define PEL_ENTER_WAKE		(1U << 0)	/* wake the worker(s) of queue (or all) */
#define PEL_ENTER_WAIT		(1U << 1)	/* block until min_complete CQEs wait */
#define PEL_ENTER_FLAGS_ALL	(PEL_ENTER_WAKE | PEL_ENTER_WAIT)

#define PEL_QUEUE_ALL		0xffffffffU

/*
 * PEL_IOC_ENTER: the only syscall of the data path.  Wakes sleeping workers
 * and/or waits for completions.  Returns the number of CQEs ready to be
 * reaped over the selected queue(s), or -errno: -ETIME on timeout, -EINTR on
 * a signal.
 */
struct pel_enter {
	__u32 flags;		/* PEL_ENTER_* */
	__u32 queue;		/* queue index, or PEL_QUEUE_ALL */
	__u32 min_complete;	/* with PEL_ENTER_WAIT */
	__u32 resv0;
	__u64 timeout_ns;	/* with PEL_ENTER_WAIT; 0 = no timeout */
	__u64 resv[2];
};

/* PEL_IOC_INFO: the module as a whole.  Needs no setup. */
struct pel_info {
	__u32 size;		/* in: sizeof(struct pel_info) */
	__u32 abi_version;	/* PEL_ABI_VERSION */
	__u64 features;		/* PEL_FEAT_* */
	char  version[16];	/* module version, NUL-terminated */
	__u32 nr_workers;	/* worker slots (nr_cpu_ids) */
	__u32 nr_contexts;	/* contexts set up now */
	__u32 idle_us;		/* default polling idle time */
	__u32 batch;		/* SQEs a worker takes from a queue per turn */
	__u32 split_bytes;	/* ops longer than this are split across workers */
	__u32 max_inflight;	/* default and cap of pel_setup.max_inflight */
	__u64 resv[7];
};

/* pel_worker_stats.state */
enum pel_worker_state {
	PEL_WORKER_OFFLINE	= 0,	/* CPU offline or worker parked */
	PEL_WORKER_SLEEPING	= 1,
	PEL_WORKER_POLLING	= 2,
	PEL_WORKER_RUNNING	= 3,	/* running an op */
};

/* PEL_IOC_WORKER_STATS: one worker's state and counters. */
struct pel_worker_stats {
	__u32 size;		/* in: sizeof(struct pel_worker_stats) */
	__u32 cpu;		/* in: worker (CPU) index < pel_info.nr_workers */
	__u32 state;		/* enum pel_worker_state */
	__u32 nr_queues;	/* queues homed on this worker */
	__u64 ops;		/* ops completed */
	__u64 bytes;		/* bytes processed */
	__u64 wakeups;		/* times woken from sleep */
	__u64 sleeps;		/* times gone to sleep */
	__u64 busy_ns;		/* time spent running ops */
	__u32 node;		/* NUMA node of the worker's CPU */
	__u32 resv0;
	__u64 stolen;		/* ops it took from other workers' queues */
	__u64 chunks;		/* chunks of split ops run (own or helping) */
	__u64 stolen_from;	/* ops other workers took from its queues */
	__u64 resv[4];
};

/* Arrays indexed by opcode have room for opcodes to come. */
#define PEL_OP_SLOTS		16

/* Slots of pel_ctx_stats.errors: completions by -errno. */
enum pel_err_slot {
	PEL_ERR_EINVAL		= 0,
	PEL_ERR_EFAULT		= 1,
	PEL_ERR_ECANCELED	= 2,
	PEL_ERR_ETIME		= 3,
	PEL_ERR_EALREADY	= 4,
	PEL_ERR_ENOENT		= 5,
	PEL_ERR_ESRCH		= 6,
	PEL_ERR_OTHER		= 7,	/* any other -errno */
	PEL_ERR_SLOTS		= 8,
};

/*
 * PEL_IOC_CTX_STATS: the index-th set-up context the caller may see (its
 * own user's; all for CAP_SYS_ADMIN); -ENOENT past the last.
 */
struct pel_ctx_stats {
	__u32 size;		/* in: sizeof(struct pel_ctx_stats) */
	__u32 index;		/* in */
	__s32 pid;		/* owner's thread-group id (0: not in caller's pid namespace) */
	__u32 nr_queues;
	char  comm[16];		/* owner's command, NUL-terminated */
	__u64 submitted;	/* SQEs taken by workers */
	__u64 completed;	/* CQEs posted */
	__u32 sq_entries;
	__u32 cq_entries;
	__u64 bytes;		/* sum of the positive cqe.res of its ops */
	__u32 inflight;		/* ops taken, CQE not yet posted */
	__u32 max_inflight;	/* its cap */
	__u64 ops[PEL_OP_SLOTS];	/* completions by opcode */
	__u64 errors[PEL_ERR_SLOTS];	/* completions with res < 0, by errno */
	__u64 cgroup_id;	/* owner's cgroup (v2) at setup: its inode number; 0 without cgroups */
	__u64 busy_ns;		/* worker and slow-path time spent on its ops */
	__u32 uid;		/* owner's euid at setup, in the caller's user namespace */
	__u32 resv0;
	__u64 slow_batches;	/* batches handed to its slow path (ops that needed a page fault) */
	__u64 enters;		/* PEL_IOC_ENTER calls by the owner */
	__u64 helped;		/* SQEs and split-op chunks the owner's waiting thread ran itself */
	__u32 nr_buffers;	/* registered buffers */
	__u32 nr_files;		/* registered file slots filled */
	__u64 buffer_bytes;	/* bytes of registered buffers (pinned) */
	__u64 resv[2];
};

/* Buckets of pel_op_stats.latency: bucket i counts [2^i, 2^(i+1)) ns. */
#define PEL_LAT_BUCKETS		32

/*
 * PEL_IOC_OP_STATS: one opcode's counters since the module loaded, over
 * all contexts.  Latency runs from the moment a worker takes the SQE to
 * the moment its CQE is posted (the kernel does not see the user's
 * submission itself); the last bucket also holds everything longer.
 */
struct pel_op_stats {
	__u32 size;		/* in: sizeof(struct pel_op_stats) */
	__u32 opcode;		/* in: < PEL_OP_LAST; -ENOENT past it */
	__u64 count;		/* completions */
	__u64 bytes;		/* sum of positive cqe.res */
	__u64 errors;		/* completions with res < 0 */
	__u64 latency[PEL_LAT_BUCKETS];
	char  name[16];		/* "nop", "copy", ... NUL-terminated */
	__u64 file_bytes;	/* of bytes: ops whose source was a file (PEL_SQE_FILE) */
	__u64 resv[3];
};

/* One registered buffer: user memory [addr, addr + len). */
struct pel_buf {
	__u64 addr;
	__u64 len;
};

/*
 * PEL_IOC_REGISTER_BUFFERS: pin nr buffers (an array of struct pel_buf at
 * bufs) for PEL_SQE_FIXED ops; replaces none: -EBUSY if some are registered.
 * PEL_IOC_UNREGISTER_BUFFERS (no argument) drops them once no op uses them.
 */
struct pel_buffers {
	__u32 nr;		/* buffers, 1..PEL_MAX_BUFFERS */
	__u32 resv0;
	__u64 bufs;		/* user pointer to struct pel_buf[nr] */
	__u64 resv[2];
};

#define PEL_MAX_BUFFERS		1024

/*
 * PEL_IOC_REGISTER_FILES: take a reference on the open file of each of nr
 * fds (an array of __s32 at fds) for PEL_SQE_FILE ops, slot i for fds[i];
 * replaces none: -EBUSY if some are registered.  A slot is filled only
 * with a regular file opened for reading; else it stays empty and res[i]
 * (an array of __s32 at res, written for every slot) says why: -EBADF (not
 * an open fd, or not opened for reading), -EISDIR, -EINVAL (not a regular
 * file); fd -1 leaves the slot empty on purpose (res 0).  Returns the slots
 * filled.  An op on an empty slot, or an index >= nr, is -EBADF.
 * PEL_IOC_UNREGISTER_FILES (no argument) drops them; ops in flight keep
 * their file until they complete.
 */
struct pel_files {
	__u32 nr;		/* slots, 1..PEL_MAX_FILES */
	__u32 resv0;
	__u64 fds;		/* user pointer to __s32[nr] */
	__u64 res;		/* user pointer to __s32[nr]: 0 or -errno per slot */
	__u64 resv[2];
};

#define PEL_MAX_FILES		1024

#define PEL_IOC_MAGIC		0xE1
#define PEL_IOC_SETUP		_IOWR(PEL_IOC_MAGIC, 0x00, struct pel_setup)
#define PEL_IOC_ENTER		_IOW(PEL_IOC_MAGIC, 0x01, struct pel_enter)
#define PEL_IOC_INFO		_IOWR(PEL_IOC_MAGIC, 0x02, struct pel_info)
#define PEL_IOC_WORKER_STATS	_IOWR(PEL_IOC_MAGIC, 0x03, struct pel_worker_stats)
#define PEL_IOC_CTX_STATS	_IOWR(PEL_IOC_MAGIC, 0x04, struct pel_ctx_stats)
#define PEL_IOC_OP_STATS	_IOWR(PEL_IOC_MAGIC, 0x05, struct pel_op_stats)
#define PEL_IOC_REGISTER_BUFFERS _IOW(PEL_IOC_MAGIC, 0x06, struct pel_buffers)
#define PEL_IOC_UNREGISTER_BUFFERS _IO(PEL_IOC_MAGIC, 0x07)
#define PEL_IOC_REGISTER_FILES	_IOW(PEL_IOC_MAGIC, 0x08, struct pel_files)
#define PEL_IOC_UNREGISTER_FILES _IO(PEL_IOC_MAGIC, 0x09)

#endif /* _UAPI_PEL_H */
