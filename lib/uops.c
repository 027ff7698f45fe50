// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * liblpel's user backend: how one op runs (the interface is uops.h).  The
 * results, errors and fault offsets are the kernel module's, to the byte
 * (Documentation/ops.md, kmod/ops.c); the checks follow kmod/ops.c's order
 * so that where several errors apply, the same one wins.
 *
 * Who computes what:
 *  - COPY, FILL, COMPARE, COMPARE_PATTERN, DUALCAST: glibc's memmove(),
 *    memset() and memcmp() (FILL and COMPARE_PATTERN copy or compare a
 *    block of the pattern laid out from the op's start);
 *  - CRC32C, COPY_CRC32C: ISA-L's crc32_iscsi(), a raw CRC register (no
 *    inversion): we pre-invert the seed and post-invert the result, as the
 *    kernel does around crc32c();
 *  - XOR: ISA-L's xor_gen() on the 32-byte aligned body when every buffer
 *    has the same alignment (it needs 32-byte aligned pointers and two
 *    sources at least), our word loop otherwise and for the head and tail;
 *  - SHA256: OpenSSL's libcrypto (EVP, SHA256 fetched once);
 *  - PEL_OPF_BLOCKS (CRC32C, SHA256 per block): the same code block by
 *    block, in groups of up to UOP_BLK_GROUP blocks (a block longer than
 *    UOP_CHUNK alone, streamed): the group's source is probed (or
 *    pread()), the digests of its readable blocks made into a buffer of
 *    ours, then written to the array in one guarded copy, so a fault in
 *    the source or the array ends the op at a block boundary;
 *  - file ops (PEL_SQE_FILE): pread() of the range through the ring's own
 *    fd, a chunk at a time, into a bounce buffer of the running thread's
 *    (no page-cache zero copy), then the same library code on the bounce
 *    buffer; the destination (COMPARE's other side) is user memory, probed
 *    and guarded as below.  A short read is EOF: the op is short there.
 *
 * Faults.  An op's addresses are the caller's and may be bad; the process
 * must not crash, and cqe.result must say exactly how many bytes were done
 * before the first bad one.  Every chunk of an op (1 MiB; 64 KiB, the
 * kernel's PEL_BOUNCE_SIZE, for a backward COPY: see UOP_CHUNK) is
 * *probed* before any of it is done: one byte of each
 * page of every side (each source read, each destination written with a
 * locked "or $0", which faults as a write and changes nothing), under a
 * SIGSEGV/SIGBUS handler that siglongjmp()s back to the probe.  Protection
 * is per page, so the probe finds the first bad page of every side; the
 * chunk is then run up to the lowest of them, with the library code above,
 * and the op ends with -EFAULT there.  So:
 *  - the offset is exact (the first byte of the first bad page, or the
 *    op's own first byte when it starts in one), whatever order memmove()
 *    or ISA-L touch bytes in;
 *  - nothing is written past it: DUALCAST's destinations are both probed
 *    before either is written (ops.md), and a chunk never runs in part, so
 *    an in-place XOR or an overlapping COPY never sees its own output as
 *    input (running such a chunk again after a fault in its middle would);
 *  - a kernel address is never touched: every byte at or above the user
 *    limit (TASK_SIZE_MAX) counts as bad, as access_ok() has it; below it,
 *    the probe finds the same pages a fault would.  (One corner differs:
 *    the kernel's access_ok() fails the whole copy chunk that crosses the
 *    limit, where we stop at the limit itself; only a range that runs from
 *    the last user page, mapped MAP_FIXED, into the guard page shows it.)
 * A fault in the run itself, after a clean probe, means another thread
 * changed the mapping meanwhile.  The handler catches that too: a chunk
 * that reads nothing it writes runs again after a new probe (a few times);
 * any other (in-place XOR, overlapping COPY, SHA-256's stream) ends the op
 * with -EFAULT at the chunk's start: the bytes before it are exact, the
 * chunk's own bytes are whatever the race left, as any race leaves them.
 *
 * The handler (lpel_uop_init(), once per process) acts only for a fault
 * (si_code > 0) in a thread that is inside a probe or a chunk (a
 * thread-local pointer to its guard says so: a sigjmp_buf and the byte
 * ranges it works on), at one of those bytes (si_addr).  Anything else
 * goes to the handler that was there before, as the kernel would have
 * delivered it (SA_SIGINFO or not, its mask, SA_RESETHAND); for SIG_DFL
 * the default action is restored and the fault taken again.
 *
 * The signal mask.  sigsetjmp(, 0): saving the mask would cost a system
 * call per probe and per chunk.  Instead the handler puts back the mask
 * of the code that faulted (ucontext's uc_sigmask, which is the mask at
 * sigsetjmp(): nothing between them changes it) before it siglongjmp()s:
 * one system call per fault.  Installing ours SA_NODEFER with an empty
 * mask is not enough: whoever runs it decides the mask it runs under.
 * ThreadSanitizer's sigaction() installs its own trampoline with every
 * signal blocked and calls ours from it, and so may any handler installed
 * after ours that chains to it.  Jumping out with that mask would leave
 * the thread with SIGSEGV and SIGBUS blocked, and the kernel kills a
 * process whose thread faults with its fault signal blocked (SIG_DFL is
 * forced): the next op's fault would be a crash.
 *
 * CRC32C of split chunks.  A piece's crc is the raw register over its
 * bytes, started from the pre-inverted seed for the piece at offset 0 and
 * from 0 for any other; lpel_uop_merge() shifts the first by the second's
 * length (multiplication by x^(8n) mod P in GF(2), by squaring) and adds
 * the second, exactly as the kernel's __crc32c_le_shift() merge.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <isa-l/crc.h>
#include <isa-l/raid.h>
#include <openssl/evp.h>

#include "uops.h"

/*
 * Bytes between two looks at *stop, and the unit a fault is probed for:
 * UOP_CHUNK front to back, UOP_BACK_CHUNK for a backward COPY.  Forward
 * chunks are large because each is one library call: glibc's memmove()
 * takes "rep movsb" from 2 KiB up to about the L2 size, which QEMU's TCG
 * runs a byte at a time (measured in a 2-vCPU guest: 1 MiB as 64 KiB
 * calls 4.7 to 40 ms, as one call 0.5 ms), and a pool thread copying its
 * part in one call would beat us only by that.  Backward chunks are the
 * kernel's windows (PEL_BOUNCE_SIZE): what a fault leaves done there is
 * counted in whole windows from the end, and must match the module's.
 */
#define UOP_CHUNK	(1024 * 1024)
#define UOP_BACK_CHUNK	(64 * 1024)
/* FILL and COMPARE_PATTERN work against this much pattern (a multiple of 8). */
#define UOP_PAT		1024
/* XOR's own loop: bytes of every source read before the block is written. */
#define UOP_XOR_BLOCK	256
/* Runs of a chunk that faulted after a clean probe (a racing munmap). */
#define UOP_RETRIES	3

/*
 * The end of the user half, TASK_SIZE_MAX: an address at or above it is
 * the kernel's, -EFAULT with nothing touched, even where user mode could
 * read it (the vsyscall page).
 */
#if defined(__x86_64__)
#define UOP_USER_END	0x00007ffffffff000ULL	/* 4-level paging */
#elif defined(__aarch64__)
#define UOP_USER_END	(1ULL << 48)
#elif UINTPTR_MAX > 0xffffffffu
#define UOP_USER_END	(1ULL << 47)
#else
#define UOP_USER_END	0xc0000000ULL
#endif

/*
 * The probe reads and writes bytes nobody allocated as far as ASan knows
 * (it may also be a page ASan has no shadow for), and NULL is an address
 * like another to it (UBSan's null check): not instrumented.  Nothing else
 * needs this: the library code only ever sees memory the probe passed, so
 * ASan's memcpy() and other interceptors check it as usual.
 */
#define UOP_NOSAN	__attribute__((no_sanitize("address", "undefined", "thread")))

#define UOP_MIN(a, b)	((a) < (b) ? (a) : (b))

/* One side of an op: a buffer, given at the op's byte 0. */
struct uop_side {
	uint64_t addr;
	bool write;
};

/*
 * A thread inside a probe or a chunk: where a fault goes, and which faults
 * are ours: those at a byte of [s, s + n) of a side (si_addr is the byte
 * the access faulted at).  A fault anywhere else, in our code or in a
 * signal handler that ran meanwhile, is not an op's and goes on.
 */
struct uop_guard {
	sigjmp_buf jb;
	const struct uop_side *side;
	unsigned int nr;
	uint64_t s, n;
};

/*
 * This thread's guard while armed, NULL otherwise.  Initial-exec TLS: the
 * handler reads it in any thread, and a dynamic TLS access might allocate
 * in a signal handler.
 */
static _Thread_local __attribute__((tls_model("initial-exec")))
struct uop_guard *volatile uop_armed;

static pthread_once_t uop_once = PTHREAD_ONCE_INIT;
static int uop_init_err;
static uint64_t uop_pg;
static struct sigaction uop_old_segv, uop_old_bus;
/* x^(8 * 2^k) mod P: shifting a CRC by 2^k zero bytes. */
static uint32_t uop_crc_pow[64];
static const EVP_MD *uop_md;

static void *uop_ptr(uint64_t addr)
{
	return (void *)(uintptr_t)addr;
}

static inline void uop_arm(struct uop_guard *g, const struct uop_side *side,
			   unsigned int nr, uint64_t s, uint64_t n)
{
	g->side = side;
	g->nr = nr;
	g->s = s;
	g->n = n;
	atomic_signal_fence(memory_order_seq_cst);
	uop_armed = g;
	atomic_signal_fence(memory_order_seq_cst);
}

static inline void uop_disarm(void)
{
	atomic_signal_fence(memory_order_seq_cst);
	uop_armed = NULL;
}

/* ---- The fault handler ------------------------------------------------ */

/*
 * Hand a signal that is not ours to the handler that was there before, as
 * the kernel would have run it.
 */
static void uop_chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction *old = sig == SIGSEGV ? &uop_old_segv : &uop_old_bus;
	void (*handler)(int) = old->sa_handler;
	void (*action)(int, siginfo_t *, void *) = old->sa_sigaction;
	int flags = old->sa_flags;
	sigset_t mask, saved;

	if (!(flags & SA_SIGINFO) &&
	    (handler == SIG_DFL || handler == SIG_IGN)) {
		struct sigaction dfl;

		/* A sent signal that was ignored stays ignored. */
		if (handler == SIG_IGN && si->si_code <= 0)
			return;
		/*
		 * The default action (a fault cannot be ignored: the kernel
		 * forces SIG_DFL too).  A fault is taken again when we return;
		 * a sent signal is raised again.
		 */
		memset(&dfl, 0, sizeof(dfl));
		dfl.sa_handler = SIG_DFL;
		sigemptyset(&dfl.sa_mask);
		sigaction(sig, &dfl, NULL);
		if (si->si_code <= 0)
			raise(sig);
		return;
	}
	if (flags & SA_RESETHAND) {
		old->sa_handler = SIG_DFL;
		old->sa_flags &= ~(SA_SIGINFO | SA_RESETHAND);
	}
	/* Its mask, and the signal itself unless it asked for SA_NODEFER. */
	mask = old->sa_mask;
	if (!(flags & SA_NODEFER))
		sigaddset(&mask, sig);
	pthread_sigmask(SIG_BLOCK, &mask, &saved);
	if (flags & SA_SIGINFO)
		action(sig, si, uc);
	else
		handler(sig);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

/* Whether the fault at @a is one the guard expects. */
static bool uop_covers(const struct uop_guard *g, uint64_t a)
{
	unsigned int i;

	for (i = 0; i < g->nr; i++)
		if (a - (g->side[i].addr + g->s) < g->n)
			return true;
	return false;
}

/*
 * Back to the signal mask of the code that faulted, which siglongjmp()
 * does not restore (the header comment, "The signal mask").
 */
static void uop_restore_mask(int sig, const ucontext_t *uc)
{
	sigset_t set;

	if (uc) {
		pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
		return;
	}
	/*
	 * A handler that chained to ours without the context: at least the
	 * fault signal, unblocked where it faulted (a blocked fault signal
	 * kills instead of reaching any handler), is unblocked again.
	 */
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void uop_fault(int sig, siginfo_t *si, void *uc)
{
	struct uop_guard *g = uop_armed;

	/* A fault (not a kill()) at a byte this thread is working on. */
	if (g && si && si->si_code > 0 &&
	    uop_covers(g, (uint64_t)(uintptr_t)si->si_addr)) {
		uop_armed = NULL;
		uop_restore_mask(sig, uc);
		siglongjmp(g->jb, 1);
	}
	uop_chain(sig, si, uc);
}

/* ---- CRC-32C shifts in GF(2) ------------------------------------------ */

#define UOP_CRC32C_POLY	0x82f63b78u	/* Castagnoli, reflected */
#define UOP_X0		0x80000000u	/* x^0, reflected: bit 31 */

/*
 * a(x) * b(x) mod P(x), reflected as the CRC register is (bit 31 is the
 * coefficient of x^0, bit 0 that of x^31).
 */
static uint32_t uop_gf2_mul(uint32_t a, uint32_t b)
{
	uint32_t prod = 0;
	unsigned int j;

	/* b runs through b * x^j; a's coefficient of x^j says whether it counts. */
	for (j = 0; j < 32 && a; j++) {
		if (a & (UOP_X0 >> j)) {
			prod ^= b;
			a &= ~(UOP_X0 >> j);
		}
		/* Times x: down one bit; x^31 times x is x^32 = P - x^32. */
		b = (b >> 1) ^ (b & 1 ? UOP_CRC32C_POLY : 0);
	}
	return prod;
}

static pthread_once_t uop_crc_once = PTHREAD_ONCE_INIT;

static void uop_crc_init(void)
{
	unsigned int k;

	uop_crc_pow[0] = UOP_X0 >> 8;		/* x^8 */
	for (k = 1; k < 64; k++)
		uop_crc_pow[k] = uop_gf2_mul(uop_crc_pow[k - 1], uop_crc_pow[k - 1]);
}

/* The raw register @crc followed by @n zero bytes: crc * x^(8n) mod P. */
static uint32_t uop_crc_shift(uint32_t crc, uint64_t n)
{
	unsigned int k;

	pthread_once(&uop_crc_once, uop_crc_init);
	for (k = 0; n; k++, n >>= 1)
		if (n & 1)
			crc = uop_gf2_mul(crc, uop_crc_pow[k]);
	return crc;
}

uint32_t lpel_uop_crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	/*
	 * Linear: crc(A B) = crc(A) * x^(8|B|) + crc(B), for the inverted
	 * CRCs too (the inversions cancel out).
	 */
	return uop_crc_shift(crc1, len2) ^ crc2;
}

/* ---- Once per process ------------------------------------------------- */

static void uop_init(void)
{
	struct sigaction sa;

	uop_pg = (uint64_t)sysconf(_SC_PAGESIZE);
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	/* Fetched once: EVP_sha256() would fetch it again at every init. */
	uop_md = EVP_MD_fetch(NULL, "SHA256", NULL);
#endif
	if (!uop_md)
		uop_md = EVP_sha256();

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = uop_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &uop_old_segv) ||
	    sigaction(SIGBUS, &sa, &uop_old_bus))
		uop_init_err = -errno;
}

/*
 * Once uop_init() ran, a flag says so: pthread_once() is a call and a few
 * dozen instructions, and every op's check and run asks.
 */
static int uop_inited;		/* atomic */

static int uop_ready(void)
{
	if (!__atomic_load_n(&uop_inited, __ATOMIC_ACQUIRE)) {
		pthread_once(&uop_once, uop_init);
		__atomic_store_n(&uop_inited, 1, __ATOMIC_RELEASE);
	}
	return uop_init_err;
}

int lpel_uop_init(void)
{
	return uop_ready();
}

/* ---- Probing ---------------------------------------------------------- */

/* One byte: read, or written with nothing changed (a locked or of 0). */
static inline UOP_NOSAN void uop_touch(uint64_t addr, bool write)
{
	volatile uint8_t *p = uop_ptr(addr);

	if (!write) {
		(void)*p;
		return;
	}
#if defined(__x86_64__) || defined(__i386__)
	__asm__ volatile("lock orb $0, %0" : "+m" (*p) : : "memory");
#else
	__atomic_fetch_or(p, 0, __ATOMIC_RELAXED);
#endif
}

/*
 * How much of [addr, addr + n) can be read (or written), from its start:
 * n, or the offset of the first page that cannot (0 when the first byte's
 * cannot).  One byte per page: protection is per page.
 */
static UOP_NOSAN uint64_t uop_probe(uint64_t addr, uint64_t n, bool write)
{
	struct uop_side side = { addr, write };
	volatile uint64_t at = 0;
	struct uop_guard g;
	uint64_t lim = n;

	if (!n || addr >= UOP_USER_END)
		return 0;
	if (lim > UOP_USER_END - addr)
		lim = UOP_USER_END - addr;
	if (sigsetjmp(g.jb, 0))
		return at;
	uop_arm(&g, &side, 1, 0, lim);
	while (at < lim) {
		uop_touch(addr + at, write);
		at = ((addr + at) | (uop_pg - 1)) + 1 - addr;
	}
	uop_disarm();
	return lim;
}

/* memmove() with faults at user memory @user caught: false when one came. */
static bool uop_guarded_move(void *to, const void *from, size_t n,
			     uint64_t user)
{
	struct uop_side side = { user, false };
	struct uop_guard g;

	if (sigsetjmp(g.jb, 0))
		return false;
	uop_arm(&g, &side, 1, 0, n);
	memmove(to, from, n);
	uop_disarm();
	return true;
}

/* Bytes of user memory read into @to, from the start: short at a fault. */
static size_t uop_copy_in(void *to, uint64_t from, size_t n)
{
	size_t ok = uop_probe(from, n, false);

	if (ok && !uop_guarded_move(to, uop_ptr(from), ok, from))
		ok = 0;
	return ok;
}

/* Bytes written to user memory at @to, from the start: short at a fault. */
static size_t uop_copy_out(uint64_t to, const void *from, size_t n)
{
	size_t ok = uop_probe(to, n, true);

	if (ok && !uop_guarded_move(uop_ptr(to), from, ok, to))
		ok = 0;
	return ok;
}

/* ---- Checking --------------------------------------------------------- */

/* The ops that take PEL_SQE_FILE: the file range is their source. */
static bool uop_file_op(uint8_t opcode)
{
	switch (opcode) {
	case PEL_OP_COPY:
	case PEL_OP_COMPARE:
	case PEL_OP_CRC32C:
	case PEL_OP_COPY_CRC32C:
	case PEL_OP_SHA256:
		return true;
	default:
		return false;
	}
}

/* SQE fields an op reads; every other one must be zero (kmod/ops.c). */
#define UOP_ADDR	(1u << 0)
#define UOP_ADDR2	(1u << 1)
#define UOP_LEN		(1u << 2)
#define UOP_ARG0	(1u << 3)
#define UOP_ALL		(UOP_ADDR | UOP_ADDR2 | UOP_LEN | UOP_ARG0)

static const uint8_t uop_uses[PEL_OP_LAST] = {
	[PEL_OP_NOP]		 = 0,
	[PEL_OP_COPY]		 = UOP_ADDR | UOP_ADDR2 | UOP_LEN,
	[PEL_OP_FILL]		 = UOP_ADDR | UOP_LEN | UOP_ARG0,
	[PEL_OP_COMPARE]	 = UOP_ADDR | UOP_ADDR2 | UOP_LEN,
	[PEL_OP_COMPARE_PATTERN] = UOP_ADDR2 | UOP_LEN | UOP_ARG0,
	[PEL_OP_CRC32C]		 = UOP_ADDR2 | UOP_LEN | UOP_ARG0,
	[PEL_OP_COPY_CRC32C]	 = UOP_ALL,
	[PEL_OP_DUALCAST]	 = UOP_ALL,
	[PEL_OP_XOR]		 = UOP_ALL,
	[PEL_OP_SHA256]		 = UOP_ADDR | UOP_ADDR2 | UOP_LEN,
	[PEL_OP_CANCEL]		 = UOP_ARG0,
};

/*
 * op_flags and arg1 (PEL_OPF_BLOCKS): no other op flag; BLOCKS only on
 * CRC32C and SHA256, with a block size (arg1) of PEL_BLOCK_MIN to
 * PEL_MAX_OP_LEN; arg1 without BLOCKS is an unused field.
 */
static int uop_check_op_flags(const struct pel_sqe *sqe)
{
	if (sqe->op_flags & ~PEL_OPF_BLOCKS)
		return -EINVAL;
	if (!(sqe->op_flags & PEL_OPF_BLOCKS))
		return sqe->arg1 ? -EINVAL : 0;
	if (sqe->opcode != PEL_OP_CRC32C && sqe->opcode != PEL_OP_SHA256)
		return -EINVAL;
	if (sqe->arg1 < PEL_BLOCK_MIN || sqe->arg1 > PEL_MAX_OP_LEN)
		return -EINVAL;
	return 0;
}

/* PEL_OPF_BLOCKS: one digest's bytes. */
static uint64_t uop_blk_dsize(const struct pel_sqe *sqe)
{
	return sqe->opcode == PEL_OP_SHA256 ? PEL_SHA256_DIGEST_SIZE :
	       sizeof(uint32_t);
}

/*
 * PEL_OPF_BLOCKS: the digest array's bytes for the whole range (arg1
 * checked already): ceil(len / arg1) digests.
 */
static uint64_t uop_blk_array(const struct pel_sqe *sqe)
{
	return (sqe->len + sqe->arg1 - 1) / sqe->arg1 * uop_blk_dsize(sqe);
}

/* A range that does not wrap around. */
static bool uop_range_ok(uint64_t addr, uint64_t len)
{
	return addr + len >= addr;
}

/* Both ranges of len bytes share a byte. */
static bool uop_overlap(uint64_t a, uint64_t b, uint64_t len)
{
	return a < b + len && b < a + len;
}

/* The opcode, flags, reserved and unused fields: pel_prep_common(). */
static int uop_check_fields(const struct pel_sqe *sqe)
{
	unsigned int uses;

	if (sqe->opcode >= PEL_OP_LAST || sqe->flags & ~PEL_SQE_FLAGS_ALL)
		return -EINVAL;
	if (uop_check_op_flags(sqe))
		return -EINVAL;
	/* file_index only with PEL_SQE_FILE, and that only for its five ops. */
	if (sqe->flags & PEL_SQE_FILE ? !uop_file_op(sqe->opcode) :
	    sqe->file_index != 0)
		return -EINVAL;
	if (!(sqe->flags & PEL_SQE_DEADLINE) && sqe->deadline_ns)
		return -EINVAL;
	uses = uop_uses[sqe->opcode];
	/* With BLOCKS, CRC32C writes too: its digest array. */
	if (sqe->op_flags & PEL_OPF_BLOCKS)
		uses |= UOP_ADDR;
	if ((!(uses & UOP_ADDR) && sqe->addr) ||
	    (!(uses & UOP_ADDR2) && sqe->addr2) ||
	    (!(uses & UOP_LEN) && sqe->len) ||
	    (!(uses & UOP_ARG0) && sqe->arg0))
		return -EINVAL;
	if (sqe->len > PEL_MAX_OP_LEN)
		return -EINVAL;
	return 0;
}

static int uop_prep_copy(const struct pel_sqe *sqe)
{
	if (!uop_range_ok(sqe->addr, sqe->len) ||
	    !uop_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	return 0;
}

/* A source the op names alone: NULL is -EFAULT before anything runs. */
static int uop_prep_src(const struct pel_sqe *sqe)
{
	if (!uop_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	return sqe->addr2 || !sqe->len ? 0 : -EFAULT;
}

/*
 * A file op's own checks: addr2 is the file offset (0 is one like any
 * other), the range [addr2, addr2 + len) must not wrap; addr is memory.
 */
/* A file range must fit a loff_t, as the module's does. */
static bool uop_file_range_ok(uint64_t off, uint64_t len)
{
	return off <= INT64_MAX && len <= (uint64_t)INT64_MAX - off;
}

static int uop_prep_file(const struct pel_sqe *sqe)
{
	if ((sqe->opcode == PEL_OP_CRC32C ||
	     sqe->opcode == PEL_OP_COPY_CRC32C) && sqe->arg0 > UINT32_MAX)
		return -EINVAL;
	if (!uop_file_range_ok(sqe->addr2, sqe->len))
		return -EINVAL;
	switch (sqe->opcode) {
	case PEL_OP_CRC32C:
		return 0;
	case PEL_OP_SHA256:
		return uop_range_ok(sqe->addr, PEL_SHA256_DIGEST_SIZE) ?
		       0 : -EINVAL;
	default:			/* COPY, COMPARE, COPY_CRC32C */
		return uop_range_ok(sqe->addr, sqe->len) ? 0 : -EINVAL;
	}
}

/*
 * PEL_OPF_BLOCKS (CRC32C or SHA256, memory or file): the seed, the digest
 * array and the source must not wrap (-EINVAL), then a NULL digest array
 * or memory source with len > 0 is -EFAULT (a file offset 0 is fine).
 */
static int uop_prep_blocks(const struct pel_sqe *sqe)
{
	if (sqe->opcode == PEL_OP_CRC32C && sqe->arg0 > UINT32_MAX)
		return -EINVAL;
	if (!uop_range_ok(sqe->addr, uop_blk_array(sqe)) ||
	    (sqe->flags & PEL_SQE_FILE ? !uop_file_range_ok(sqe->addr2, sqe->len) :
					 !uop_range_ok(sqe->addr2, sqe->len)))
		return -EINVAL;
	if (!sqe->len)
		return 0;
	if (!sqe->addr)
		return -EFAULT;
	return sqe->addr2 || sqe->flags & PEL_SQE_FILE ? 0 : -EFAULT;
}

/* Each op's own checks, in the kernel's order (its pel_prep_*()). */
static int uop_prep(const struct pel_sqe *sqe)
{
	if (sqe->op_flags & PEL_OPF_BLOCKS)
		return uop_prep_blocks(sqe);
	if (sqe->flags & PEL_SQE_FILE)
		return uop_prep_file(sqe);
	switch (sqe->opcode) {
	case PEL_OP_COPY:
	case PEL_OP_COMPARE:
		return uop_prep_copy(sqe);
	case PEL_OP_FILL:
		return uop_range_ok(sqe->addr, sqe->len) ? 0 : -EINVAL;
	case PEL_OP_COMPARE_PATTERN:
		return uop_prep_src(sqe);
	case PEL_OP_CRC32C:
		if (sqe->arg0 > UINT32_MAX)
			return -EINVAL;
		return uop_prep_src(sqe);
	case PEL_OP_COPY_CRC32C:
		if (sqe->arg0 > UINT32_MAX)
			return -EINVAL;
		return uop_prep_copy(sqe);
	case PEL_OP_DUALCAST:
		if (!uop_range_ok(sqe->arg0, sqe->len))
			return -EINVAL;
		return uop_prep_copy(sqe);
	case PEL_OP_XOR:
		if (!sqe->arg0 || sqe->arg0 > PEL_XOR_MAX_SRCS)
			return -EINVAL;
		if (!uop_range_ok(sqe->addr2, sqe->arg0 * sizeof(uint64_t)))
			return -EINVAL;
		return uop_range_ok(sqe->addr, sqe->len) ? 0 : -EINVAL;
	case PEL_OP_SHA256:
		if (!uop_range_ok(sqe->addr, PEL_SHA256_DIGEST_SIZE))
			return -EINVAL;
		return uop_prep_src(sqe);
	default:
		return 0;
	}
}

/*
 * [addr, addr + len) lies wholly in one registered buffer (pel_rbufs_
 * resolve()): the last that starts at or below addr, up to its end
 * included (len 0 at the very end is in it).
 */
static bool uop_fixed_in(const struct lpel_ubufs *bufs, uint64_t addr,
			 uint64_t len)
{
	unsigned int lo = 0, hi, mid;
	const struct lpel_ubuf *b;
	uint64_t off;

	if (!bufs || !bufs->nr)
		return false;
	hi = bufs->nr;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bufs->bufs[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return false;
	b = &bufs->bufs[lo - 1];
	off = addr - b->addr;
	return off <= b->len && len <= b->len - off;
}

/*
 * PEL_SQE_FIXED: every address the op names, but XOR's sources (checked
 * when its list is read), in a registered buffer (pel_rbufs_prep()).
 */
static int uop_fixed(const struct pel_sqe *sqe, const struct lpel_ubufs *bufs)
{
	bool ok;

	if (!bufs || !bufs->nr)
		return -EFAULT;
	/* BLOCKS: the digest array over every block, and a memory source. */
	if (sqe->op_flags & PEL_OPF_BLOCKS) {
		ok = uop_fixed_in(bufs, sqe->addr, uop_blk_array(sqe)) &&
		     (sqe->flags & PEL_SQE_FILE ||
		      uop_fixed_in(bufs, sqe->addr2, sqe->len));
		return ok ? 0 : -EFAULT;
	}
	/* A file op's only address is addr (SHA256: the digest). */
	if (sqe->flags & PEL_SQE_FILE) {
		if (sqe->opcode == PEL_OP_CRC32C)
			return 0;
		if (sqe->opcode == PEL_OP_SHA256)
			ok = uop_fixed_in(bufs, sqe->addr,
					  PEL_SHA256_DIGEST_SIZE);
		else
			ok = uop_fixed_in(bufs, sqe->addr, sqe->len);
		return ok ? 0 : -EFAULT;
	}
	switch (sqe->opcode) {
	case PEL_OP_FILL:
		ok = uop_fixed_in(bufs, sqe->addr, sqe->len);
		break;
	case PEL_OP_COMPARE_PATTERN:
	case PEL_OP_CRC32C:
		ok = uop_fixed_in(bufs, sqe->addr2, sqe->len);
		break;
	case PEL_OP_DUALCAST:
	case PEL_OP_COPY:
	case PEL_OP_COMPARE:
	case PEL_OP_COPY_CRC32C:
		ok = (sqe->opcode != PEL_OP_DUALCAST ||
		      uop_fixed_in(bufs, sqe->arg0, sqe->len)) &&
		     uop_fixed_in(bufs, sqe->addr, sqe->len) &&
		     uop_fixed_in(bufs, sqe->addr2, sqe->len);
		break;
	case PEL_OP_XOR:
		ok = uop_fixed_in(bufs, sqe->addr, sqe->len) &&
		     uop_fixed_in(bufs, sqe->addr2,
				  sqe->arg0 * sizeof(uint64_t));
		break;
	case PEL_OP_SHA256:
		ok = uop_fixed_in(bufs, sqe->addr, PEL_SHA256_DIGEST_SIZE) &&
		     uop_fixed_in(bufs, sqe->addr2, sqe->len);
		break;
	default:			/* NOP, CANCEL: the set is enough */
		ok = true;
		break;
	}
	return ok ? 0 : -EFAULT;
}

/*
 * XOR's source list, read once (pel_load_xor_srcs()): -EFAULT when it
 * cannot be read; each source must not wrap (-EINVAL) and, with
 * PEL_SQE_FIXED, lie in a registered buffer (-EFAULT), in list order.
 */
static int uop_load_srcs(struct lpel_uop *op, const struct lpel_ubufs *bufs)
{
	const struct pel_sqe *sqe = &op->sqe;
	size_t size = sqe->arg0 * sizeof(uint64_t);
	unsigned int i;

	if (uop_copy_in(op->srcs, sqe->addr2, size) < size)
		return -EFAULT;
	for (i = 0; i < sqe->arg0; i++) {
		if (!uop_range_ok(op->srcs[i], sqe->len))
			return -EINVAL;
		if (sqe->flags & PEL_SQE_FIXED &&
		    !uop_fixed_in(bufs, op->srcs[i], sqe->len))
			return -EFAULT;
	}
	op->nr_srcs = sqe->arg0;
	return 0;
}

/* The registered file sqe.file_index names: -EBADF when there is none. */
static int uop_file(struct lpel_uop *op, const struct lpel_ufiles *files)
{
	unsigned int i = op->sqe.file_index;

	if (!files || i >= files->nr || files->fds[i] < 0)
		return -EBADF;
	op->fd = files->fds[i];
	return 0;
}

int lpel_uop_check(struct lpel_uop *op, const struct lpel_ubufs *bufs)
{
	return lpel_uop_check_files(op, bufs, NULL);
}

int lpel_uop_check_files(struct lpel_uop *op, const struct lpel_ubufs *bufs,
			 const struct lpel_ufiles *files)
{
	const struct pel_sqe *sqe = &op->sqe;
	int ret;

	op->nr_srcs = 0;
	op->fd = -1;
	op->backward = false;
	op->splittable = false;
	op->block = 0;
	ret = uop_ready();
	if (ret)
		return ret;
	ret = uop_check_fields(sqe);
	if (!ret)
		ret = uop_prep(sqe);
	if (!ret && sqe->flags & PEL_SQE_FILE)
		ret = uop_file(op, files);
	if (!ret && sqe->flags & PEL_SQE_FIXED)
		ret = uop_fixed(sqe, bufs);
	if (ret)
		return ret;

	/* Per-block digests: blocks are independent, SHA-256's too. */
	if (sqe->op_flags & PEL_OPF_BLOCKS) {
		op->block = sqe->arg1;
		op->splittable = true;
		return 0;
	}
	if (sqe->flags & PEL_SQE_FILE) {
		/* Chunks of a file range are independent, but SHA-256's stream. */
		op->splittable = sqe->opcode != PEL_OP_SHA256;
		return 0;
	}

	switch (sqe->opcode) {
	case PEL_OP_COPY:
		/* memmove(): into its own source's tail, back to front. */
		op->backward = sqe->addr > sqe->addr2 &&
			       sqe->addr < sqe->addr2 + sqe->len;
		/* Chunks at once would overwrite each other's source. */
		op->splittable = !uop_overlap(sqe->addr, sqe->addr2, sqe->len);
		break;
	case PEL_OP_XOR:
		ret = uop_load_srcs(op, bufs);
		op->splittable = true;
		break;
	case PEL_OP_FILL:
	case PEL_OP_COMPARE:
	case PEL_OP_COMPARE_PATTERN:
	case PEL_OP_CRC32C:
	case PEL_OP_COPY_CRC32C:
	case PEL_OP_DUALCAST:
		op->splittable = true;
		break;
	default:			/* NOP, CANCEL; SHA256 is one stream */
		break;
	}
	return ret;
}

/* ---- Running ---------------------------------------------------------- */

/* A run of [off, off + len) of an op, on the runner's stack. */
struct uop_exec {
	const struct lpel_uop *op;
	unsigned int nr;		/* sides */
	struct uop_side side[PEL_XOR_MAX_SRCS + 1];
	bool redo;			/* a chunk cut by a fault may run again */
	uint32_t crc;			/* raw, over the chunks done */
	uint32_t crc_new;		/* ... and the chunk running */
	EVP_MD_CTX *sha;
	struct uop_blk *blk;		/* PEL_OPF_BLOCKS */
	int pat_phase;			/* op offset % 8 of pat[0]; -1: none yet */
	int pat_byte;			/* FILL: the byte when all 8 are one, or -1 */
	uint8_t pat[UOP_PAT];
};

/* Runs op bytes [s, s + n), all accessible; returns n, or less at a difference. */
typedef uint64_t (*uop_fn)(struct uop_exec *x, uint64_t s, uint64_t n);

static void uop_add(struct uop_exec *x, uint64_t addr, bool write)
{
	x->side[x->nr].addr = addr;
	x->side[x->nr].write = write;
	x->nr++;
}

/* The pattern as it lies from op offset @s (byte i is pattern byte i % 8). */
static const uint8_t *uop_pattern(struct uop_exec *x, uint64_t s)
{
	uint64_t pattern = x->op->sqe.arg0;
	unsigned int i;

	if (x->pat_phase != (int)(s % 8)) {
		x->pat_phase = s % 8;
		for (i = 0; i < UOP_PAT; i++)
			x->pat[i] = pattern >> (8 * ((s + i) % 8));
	}
	return x->pat;
}

/* The first byte where a and b differ, or n. */
static size_t uop_first_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i = 0;

	if (!memcmp(a, b, n))
		return n;
	while (n - i >= 64 && !memcmp(a + i, b + i, 64))
		i += 64;
	while (a[i] == b[i])
		i++;
	return i;
}

static uint64_t uop_do_copy(struct uop_exec *x, uint64_t s, uint64_t n)
{
	const struct pel_sqe *sqe = &x->op->sqe;

	memmove(uop_ptr(sqe->addr + s), uop_ptr(sqe->addr2 + s), n);
	return n;
}

static uint64_t uop_do_fill(struct uop_exec *x, uint64_t s, uint64_t n)
{
	uint8_t *d = uop_ptr(x->op->sqe.addr + s);
	const uint8_t *pat;
	uint64_t i, c;

	if (x->pat_byte >= 0) {
		memset(d, x->pat_byte, n);
		return n;
	}
	pat = uop_pattern(x, s);
	/* Blocks of a multiple of 8 bytes: each starts in phase. */
	for (i = 0; i < n; i += c) {
		c = UOP_MIN(n - i, UOP_PAT);
		memcpy(d + i, pat, c);
	}
	return n;
}

static uint64_t uop_do_compare(struct uop_exec *x, uint64_t s, uint64_t n)
{
	const struct pel_sqe *sqe = &x->op->sqe;

	return uop_first_diff(uop_ptr(sqe->addr + s), uop_ptr(sqe->addr2 + s),
			      n);
}

static uint64_t uop_do_compare_pattern(struct uop_exec *x, uint64_t s,
				       uint64_t n)
{
	const uint8_t *p = uop_ptr(x->op->sqe.addr2 + s);
	const uint8_t *pat = uop_pattern(x, s);
	uint64_t i, c, d;

	for (i = 0; i < n; i += c) {
		c = UOP_MIN(n - i, UOP_PAT);
		d = uop_first_diff(p + i, pat, c);
		if (d < c)
			return i + d;
	}
	return n;
}

static uint64_t uop_do_crc32c(struct uop_exec *x, uint64_t s, uint64_t n)
{
	const struct pel_sqe *sqe = &x->op->sqe;

	/* The CRC of the bytes as read, then (COPY_CRC32C) the same bytes. */
	x->crc_new = crc32_iscsi(uop_ptr(sqe->addr2 + s), (int)n, x->crc);
	if (sqe->opcode == PEL_OP_COPY_CRC32C)
		memmove(uop_ptr(sqe->addr + s), uop_ptr(sqe->addr2 + s), n);
	return n;
}

static uint64_t uop_do_dualcast(struct uop_exec *x, uint64_t s, uint64_t n)
{
	const struct pel_sqe *sqe = &x->op->sqe;

	/* memmove(): overlapping buffers are undefined, not an ASan error. */
	memmove(uop_ptr(sqe->addr + s), uop_ptr(sqe->addr2 + s), n);
	memmove(uop_ptr(sqe->arg0 + s), uop_ptr(sqe->addr2 + s), n);
	return n;
}

/*
 * v[nr] <- v[0] ^ ... ^ v[nr - 1], bytes [from, from + n), in blocks:
 * every source of a block is read before the block is written, so the
 * destination may be one of the sources.
 */
static void uop_xor_blocks(void *const *v, unsigned int nr, size_t from,
			   size_t n)
{
	uint64_t acc[UOP_XOR_BLOCK / 8], t[UOP_XOR_BLOCK / 8];
	unsigned int i, w;
	size_t c;

	for (; n; from += c, n -= c) {
		c = UOP_MIN(n, UOP_XOR_BLOCK);
		if (c < UOP_XOR_BLOCK) {
			memset(acc, 0, sizeof(acc));
			memset(t, 0, sizeof(t));
		}
		memcpy(acc, (const uint8_t *)v[0] + from, c);
		for (i = 1; i < nr; i++) {
			memcpy(t, (const uint8_t *)v[i] + from, c);
			for (w = 0; w < UOP_XOR_BLOCK / 8; w++)
				acc[w] ^= t[w];
		}
		memcpy((uint8_t *)v[nr] + from, acc, c);
	}
}

static uint64_t uop_do_xor(struct uop_exec *x, uint64_t s, uint64_t n)
{
	const struct lpel_uop *op = x->op;
	void *v[PEL_XOR_MAX_SRCS + 1], *body_v[PEL_XOR_MAX_SRCS + 1];
	unsigned int nr = op->nr_srcs, i;
	size_t head = 0, body = 0;
	uintptr_t mis;

	for (i = 0; i < nr; i++)
		v[i] = uop_ptr(op->srcs[i] + s);
	v[nr] = uop_ptr(op->sqe.addr + s);
	if (nr == 1) {
		memmove(v[1], v[0], n);
		return n;
	}
	/*
	 * xor_gen() wants 32-byte aligned pointers (it faults on others) and
	 * two sources at least: when all share one alignment, a head brings
	 * them to it; the tail past the last whole 32 bytes is ours too.
	 */
	mis = (uintptr_t)v[nr] & 31;
	for (i = 0; i < nr && ((uintptr_t)v[i] & 31) == mis; i++)
		;
	if (i == nr) {
		head = UOP_MIN((32 - mis) & 31, n);
		body = (n - head) & ~(size_t)31;
	}
	uop_xor_blocks(v, nr, 0, head);
	if (body) {
		for (i = 0; i <= nr; i++)
			body_v[i] = (uint8_t *)v[i] + head;
		if (xor_gen(nr + 1, (int)body, body_v))
			uop_xor_blocks(v, nr, head, body);
	}
	uop_xor_blocks(v, nr, head + body, n - head - body);
	return n;
}

static uint64_t uop_do_sha256(struct uop_exec *x, uint64_t s, uint64_t n)
{
	EVP_DigestUpdate(x->sha, uop_ptr(x->op->sqe.addr2 + s), n);
	return n;
}

/* fn over [s, s + n) with faults caught: false when one came. */
static bool uop_guarded(uop_fn fn, struct uop_exec *x, uint64_t s,
			uint64_t n, uint64_t *got)
{
	struct uop_guard g;

	if (sigsetjmp(g.jb, 0))
		return false;
	uop_arm(&g, x->side, x->nr, s, n);
	*got = fn(x, s, n);
	uop_disarm();
	return true;
}

/*
 * Front to back, chunk by chunk: probe every side, run what all of them
 * can take, stop at the first bad byte, a difference, or *stop.
 */
static void uop_forward(struct uop_exec *x, uop_fn fn, uint64_t off,
			uint64_t len, const volatile int *stop,
			struct lpel_upiece *p)
{
	uint64_t done = 0, s, n, ok, got;
	unsigned int i, tries = 0;

	while (done < len) {
		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
			p->res = -ECANCELED;
			break;
		}
		s = off + done;
		n = UOP_MIN(len - done, UOP_CHUNK);
		ok = n;
		/* A later side needs no more than the earlier ones can take. */
		for (i = 0; i < x->nr && ok; i++)
			ok = uop_probe(x->side[i].addr + s, ok, x->side[i].write);
		if (ok) {
			if (!uop_guarded(fn, x, s, ok, &got)) {
				/* Probed clean, then faulted: a racing munmap. */
				if (x->redo && ++tries <= UOP_RETRIES)
					continue;
				p->res = -EFAULT;
				break;
			}
			tries = 0;
			x->crc = x->crc_new;
			done += got;
			if (got < ok) {
				p->differ = true;
				p->diff_off = s + got;
				break;
			}
		}
		if (ok < n) {
			p->res = -EFAULT;
			break;
		}
	}
	p->done = done;
}

/*
 * COPY into its own source's tail: chunks from the end, each done whole
 * or not at all (a chunk done in part may have overwritten its own
 * source), as the kernel's windows are; done counts bytes at the end.
 */
static void uop_backward(struct uop_exec *x, uint64_t off, uint64_t len,
			 const volatile int *stop, struct lpel_upiece *p)
{
	const struct pel_sqe *sqe = &x->op->sqe;
	uint64_t done = 0, s, n, got;

	while (done < len) {
		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
			p->res = -ECANCELED;
			break;
		}
		n = UOP_MIN(len - done, UOP_BACK_CHUNK);
		s = off + len - done - n;
		if (uop_probe(sqe->addr + s, n, true) < n ||
		    uop_probe(sqe->addr2 + s, n, false) < n ||
		    !uop_guarded(uop_do_copy, x, s, n, &got)) {
			p->res = -EFAULT;
			break;
		}
		done += n;
	}
	p->done = done;
}

/*
 * SHA256, one piece: the digest goes to addr only once the whole source
 * was read, and what of it can be written is (as copy_to_user() would);
 * a digest that cannot be written is -EFAULT with all bytes done.
 */
static void uop_sha256(struct uop_exec *x, uint64_t off, uint64_t len,
		       const volatile int *stop, struct lpel_upiece *p)
{
	const struct pel_sqe *sqe = &x->op->sqe;

	x->sha = EVP_MD_CTX_new();
	if (!x->sha || !EVP_DigestInit_ex(x->sha, uop_md, NULL)) {
		p->res = -ENOMEM;
		goto out;
	}
	uop_forward(x, uop_do_sha256, off, len, stop, p);
	if (p->res || p->done < len)
		goto out;
	if (!EVP_DigestFinal_ex(x->sha, p->digest, NULL)) {
		p->res = -ENOMEM;
		goto out;
	}
	if (uop_copy_out(sqe->addr, p->digest, PEL_SHA256_DIGEST_SIZE) <
	    PEL_SHA256_DIGEST_SIZE)
		p->res = -EFAULT;
out:
	EVP_MD_CTX_free(x->sha);
}

/* ---- File ops ---------------------------------------------------------- */

/*
 * Each thread's bounce buffer for file ops (UOP_CHUNK bytes), made at its
 * first file op and freed when the thread exits (the key's destructor).
 */
static pthread_once_t uop_bounce_once = PTHREAD_ONCE_INIT;
static pthread_key_t uop_bounce_key;
static int uop_bounce_err;

static void uop_bounce_init(void)
{
	uop_bounce_err = pthread_key_create(&uop_bounce_key, free);
}

static uint8_t *uop_bounce(void)
{
	uint8_t *buf;

	pthread_once(&uop_bounce_once, uop_bounce_init);
	if (uop_bounce_err)
		return NULL;
	buf = pthread_getspecific(uop_bounce_key);
	if (buf)
		return buf;
	buf = malloc(UOP_CHUNK);
	if (buf && pthread_setspecific(uop_bounce_key, buf)) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/*
 * Read up to n bytes of fd at pos into buf: n, or fewer at EOF or at an
 * error (*err = -errno, 0 otherwise).  A signal is no error: read on.  No
 * file reaches past INT64_MAX: a range beyond is at EOF.
 */
static uint64_t uop_pread(int fd, uint8_t *buf, uint64_t n, uint64_t pos,
			  int *err)
{
	uint64_t got = 0;
	ssize_t r;

	*err = 0;
	if (pos >= (uint64_t)INT64_MAX)
		return 0;
	if (n > (uint64_t)INT64_MAX - pos)
		n = (uint64_t)INT64_MAX - pos;
	while (got < n) {
		r = pread(fd, buf + got, n - got, (off_t)(pos + got));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			*err = -errno;
			break;
		}
		if (!r)
			break;
		got += (uint64_t)r;
	}
	return got;
}

/*
 * Compare n bytes of user memory at @user with buf: how many are equal
 * from the start, *differ set when a difference ends them; short of n
 * without a difference at the first byte that cannot be read.
 */
static uint64_t uop_compare_in(uint64_t user, const uint8_t *buf, uint64_t n,
			       bool *differ)
{
	struct uop_side side = { user, false };
	volatile uint64_t ok = uop_probe(user, n, false);
	struct uop_guard g;
	uint64_t d;

	*differ = false;
	if (!ok)
		return 0;
	if (sigsetjmp(g.jb, 0))
		return 0;	/* probed clean, then faulted: a racing munmap */
	uop_arm(&g, &side, 1, 0, ok);
	d = uop_first_diff(uop_ptr(user), buf, ok);
	uop_disarm();
	if (d < ok)
		*differ = true;
	return d;
}

/*
 * A file op's bytes [off, off + len): the file range at addr2 + off, read
 * a chunk at a time, hashed, compared or copied out.  EOF (a short read,
 * the file truncated meanwhile too) ends the piece with res 0 and done
 * the bytes up to it; a read error with res -errno, a destination fault
 * with -EFAULT, done exact both ways.  SHA256 writes the digest of what
 * it read once it read to the range's end or to EOF.
 */
static void uop_file_run(const struct lpel_uop *op, uint64_t off,
			 uint64_t len, const volatile int *stop,
			 struct lpel_upiece *p)
{
	const struct pel_sqe *sqe = &op->sqe;
	uint64_t done = 0, n, got, ok;
	EVP_MD_CTX *sha = NULL;
	uint32_t crc = p->crc;
	bool differ;
	uint8_t *buf;
	int err;

	buf = uop_bounce();
	if (!buf) {
		p->res = -ENOMEM;
		return;
	}
	if (sqe->opcode == PEL_OP_SHA256) {
		sha = EVP_MD_CTX_new();
		if (!sha || !EVP_DigestInit_ex(sha, uop_md, NULL)) {
			p->res = -ENOMEM;
			goto out;
		}
	}
	while (done < len) {
		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
			p->res = -ECANCELED;
			break;
		}
		n = UOP_MIN(len - done, UOP_CHUNK);
		got = uop_pread(op->fd, buf, n, sqe->addr2 + off + done, &err);
		ok = got;
		differ = false;
		switch (sqe->opcode) {
		case PEL_OP_CRC32C:
			crc = crc32_iscsi(buf, (int)got, crc);
			break;
		case PEL_OP_COPY_CRC32C:
			crc = crc32_iscsi(buf, (int)got, crc);
			ok = uop_copy_out(sqe->addr + off + done, buf, got);
			break;
		case PEL_OP_COPY:
			ok = uop_copy_out(sqe->addr + off + done, buf, got);
			break;
		case PEL_OP_COMPARE:
			ok = uop_compare_in(sqe->addr + off + done, buf, got,
					    &differ);
			break;
		case PEL_OP_SHA256:
			EVP_DigestUpdate(sha, buf, got);
			break;
		}
		done += ok;
		if (differ) {
			p->differ = true;
			p->diff_off = off + done;
			break;
		}
		if (ok < got) {
			p->res = -EFAULT;
			break;
		}
		if (err) {
			p->res = err;
			break;
		}
		if (got < n)
			break;		/* EOF */
	}
	p->done = done;
	p->crc = crc;
	if (sha && !p->res) {
		if (!EVP_DigestFinal_ex(sha, p->digest, NULL))
			p->res = -ENOMEM;
		else if (uop_copy_out(sqe->addr, p->digest,
				      PEL_SHA256_DIGEST_SIZE) <
			 PEL_SHA256_DIGEST_SIZE)
			p->res = -EFAULT;
	}
out:
	EVP_MD_CTX_free(sha);
}

/* ---- Per-block digests (PEL_OPF_BLOCKS) ---------------------------------- */

/*
 * Blocks of at most UOP_CHUNK bytes run in groups of up to UOP_BLK_GROUP
 * blocks (and UOP_CHUNK bytes): the group's source is probed (or read
 * into the bounce buffer), the digests of the blocks that can be read are
 * made into dig[], then written to the array in one guarded copy.  A
 * longer block is one group of its own, read UOP_CHUNK bytes at a time
 * into one running CRC or hash.  A fault or a read error ends the piece
 * at the block it is in: every digest before it written, none after.
 */
#define UOP_BLK_GROUP	128

struct uop_blk {
	uint64_t block;
	size_t dsize;
	uint32_t seed;
	EVP_MD_CTX *sha;		/* SHA256, NULL for CRC32C */
	int err;			/* a digest that failed: -ENOMEM */
	uint8_t dig[UOP_BLK_GROUP * PEL_SHA256_DIGEST_SIZE];
};

/* The digest of n bytes at p into out; false when the library failed. */
static bool uop_blk_digest(struct uop_blk *b, const void *p, uint64_t n,
			   uint8_t *out)
{
	uint32_t crc;

	if (!b->sha) {
		crc = ~crc32_iscsi((unsigned char *)p, (int)n, ~b->seed);
		memcpy(out, &crc, sizeof(crc));
		return true;
	}
	return EVP_DigestInit_ex(b->sha, uop_md, NULL) &&
	       EVP_DigestUpdate(b->sha, p, n) &&
	       EVP_DigestFinal_ex(b->sha, out, NULL);
}

/* The digests of [p, p + n): whole blocks, but the op's last. */
static uint64_t uop_blk_digests(struct uop_blk *b, const uint8_t *p,
				uint64_t n)
{
	uint64_t i, c;

	for (i = 0; i < n; i += c) {
		c = UOP_MIN(n - i, b->block);
		if (!uop_blk_digest(b, p + i, c,
				    b->dig + i / b->block * b->dsize)) {
			b->err = -ENOMEM;
			return i;
		}
	}
	return n;
}

static uint64_t uop_do_blocks(struct uop_exec *x, uint64_t s, uint64_t n)
{
	return uop_blk_digests(x->blk, uop_ptr(x->op->sqe.addr2 + s), n);
}

/*
 * One group [s, s + n) from memory: *got its bytes digested (whole
 * blocks, or n), their digests in dig[] (*nb); -EFAULT when short.
 */
static int uop_blk_mem(struct uop_exec *x, uint64_t s, uint64_t n,
		       const volatile int *stop, uint64_t *got, uint64_t *nb)
{
	struct uop_blk *b = x->blk;
	const struct pel_sqe *sqe = &x->op->sqe;
	uint64_t ok, m = 0, d = 0;
	struct lpel_upiece t;
	unsigned int tries;
	uint32_t crc;

	*got = *nb = 0;
	if (n > UOP_CHUNK) {
		/* One block, streamed: a fault anywhere loses all of it. */
		memset(&t, 0, sizeof(t));
		if (b->sha) {
			if (!EVP_DigestInit_ex(b->sha, uop_md, NULL))
				return -ENOMEM;
			x->redo = false;	/* the hash state took part */
			uop_forward(x, uop_do_sha256, s, n, stop, &t);
		} else {
			x->redo = true;
			x->crc = x->crc_new = ~b->seed;
			uop_forward(x, uop_do_crc32c, s, n, stop, &t);
		}
		if (t.res || t.done < n)
			return t.res ? t.res : -EFAULT;
		if (b->sha) {
			if (!EVP_DigestFinal_ex(b->sha, b->dig, NULL))
				return -ENOMEM;
		} else {
			crc = ~x->crc;
			memcpy(b->dig, &crc, sizeof(crc));
		}
		*got = n;
		*nb = 1;
		return 0;
	}
	for (tries = 0;; tries++) {
		ok = uop_probe(sqe->addr2 + s, n, false);
		/* The blocks wholly readable; all of them when ok is n. */
		m = ok == n ? n : ok / b->block * b->block;
		if (!m || uop_guarded(uop_do_blocks, x, s, m, &d))
			break;
		/* Probed clean, then faulted: a racing munmap; only reads. */
		if (tries == UOP_RETRIES) {
			m = 0;
			break;
		}
	}
	if (m && d < m) {		/* the library failed */
		m = d / b->block * b->block;
		*got = m;
		*nb = m / b->block;
		return b->err;
	}
	*got = m;
	*nb = (m + b->block - 1) / b->block;
	return m < n ? -EFAULT : 0;
}

/*
 * One group [s, s + n) from the file: as uop_blk_mem(), short at EOF
 * (the last block short, res 0) and at a read error (whole blocks, its
 * -errno).
 */
static int uop_blk_file(const struct lpel_uop *op, struct uop_blk *b,
			uint8_t *buf, uint64_t s, uint64_t n,
			const volatile int *stop, uint64_t *got, uint64_t *nb)
{
	uint64_t pos = op->sqe.addr2 + s, t = 0, c, r, m;
	uint32_t crc = ~b->seed;
	int err = 0;

	*got = *nb = 0;
	if (n > UOP_CHUNK) {
		if (b->sha && !EVP_DigestInit_ex(b->sha, uop_md, NULL))
			return -ENOMEM;
		while (t < n) {
			if (t && stop && __atomic_load_n(stop, __ATOMIC_RELAXED))
				return -ECANCELED;
			c = UOP_MIN(n - t, UOP_CHUNK);
			r = uop_pread(op->fd, buf, c, pos + t, &err);
			if (b->sha)
				EVP_DigestUpdate(b->sha, buf, r);
			else
				crc = crc32_iscsi(buf, (int)r, crc);
			t += r;
			if (err)
				return err;
			if (r < c)
				break;		/* EOF: the block ends there */
		}
		if (!t)
			return 0;		/* at EOF: no block */
		if (b->sha) {
			if (!EVP_DigestFinal_ex(b->sha, b->dig, NULL))
				return -ENOMEM;
		} else {
			crc = ~crc;
			memcpy(b->dig, &crc, sizeof(crc));
		}
		*got = t;
		*nb = 1;
		return 0;
	}
	r = uop_pread(op->fd, buf, n, pos, &err);
	m = err ? r / b->block * b->block : r;
	c = uop_blk_digests(b, buf, m);
	if (c < m) {
		m = c / b->block * b->block;
		err = b->err;
	}
	*got = m;
	*nb = (m + b->block - 1) / b->block;
	return err;
}

/*
 * Bytes [off, off + len) of a BLOCKS op, off a multiple of the block:
 * group by group, the digests of each written before the next is read.
 */
static void uop_blocks_run(const struct lpel_uop *op, uint64_t off,
			   uint64_t len, const volatile int *stop,
			   struct lpel_upiece *p)
{
	const struct pel_sqe *sqe = &op->sqe;
	bool file = sqe->flags & PEL_SQE_FILE;
	uint64_t bs = op->block, done = 0, s, n, got, nb, w, nr = 0;
	struct uop_exec x;
	struct uop_blk b;
	uint8_t *buf = NULL;
	int res;

	b.block = bs;
	b.dsize = uop_blk_dsize(sqe);
	b.seed = (uint32_t)sqe->arg0;
	b.sha = NULL;
	b.err = 0;
	if (file && len) {
		buf = uop_bounce();
		if (!buf) {
			p->res = -ENOMEM;
			return;
		}
	}
	if (sqe->opcode == PEL_OP_SHA256 && len) {
		b.sha = EVP_MD_CTX_new();
		if (!b.sha) {
			p->res = -ENOMEM;
			return;
		}
	}
	x.op = op;
	x.nr = 0;
	x.redo = true;
	x.crc = x.crc_new = 0;
	x.sha = b.sha;
	x.blk = &b;
	x.pat_phase = -1;
	x.pat_byte = -1;
	uop_add(&x, sqe->addr2, false);

	while (done < len) {
		if (stop && __atomic_load_n(stop, __ATOMIC_RELAXED)) {
			p->res = -ECANCELED;
			break;
		}
		s = off + done;
		n = bs > UOP_CHUNK ? bs : UOP_MIN(UOP_BLK_GROUP,
						  UOP_CHUNK / bs) * bs;
		n = UOP_MIN(n, len - done);
		if (file)
			res = uop_blk_file(op, &b, buf, s, n, stop, &got, &nb);
		else
			res = uop_blk_mem(&x, s, n, stop, &got, &nb);
		/* The group's digests, before anything else is claimed. */
		w = nb ? uop_copy_out(sqe->addr + s / bs * b.dsize, b.dig,
				      nb * b.dsize) / b.dsize : 0;
		if (w < nb) {
			done += w * bs;
			nr += w;
			p->res = -EFAULT;
			break;
		}
		done += got;
		nr += nb;
		if (res) {
			p->res = res;
			break;
		}
		if (got < n)
			break;			/* EOF */
	}
	p->done = done;
	p->nr_digests = nr;
	EVP_MD_CTX_free(b.sha);
}

/* Destination [d, d + len) is source [s, s + len), or shares a byte with it. */
static bool uop_in_place(uint64_t d, uint64_t s, uint64_t len)
{
	return d != s ? uop_overlap(d, s, len) : true;
}

void lpel_uop_run(const struct lpel_uop *op, uint64_t off, uint64_t len,
		  const volatile int *stop, struct lpel_upiece *piece)
{
	const struct pel_sqe *sqe = &op->sqe;
	struct uop_exec x;
	unsigned int i;
	uop_fn fn;

	memset(piece, 0, sizeof(*piece));
	/* CRCs: the op's first byte starts from the pre-inverted seed. */
	if (sqe->opcode == PEL_OP_CRC32C || sqe->opcode == PEL_OP_COPY_CRC32C)
		piece->crc = off ? 0 : ~(uint32_t)sqe->arg0;
	if (uop_ready()) {
		piece->res = -EFAULT;	/* no handler: touch nothing */
		return;
	}
	if (op->block) {
		uop_blocks_run(op, off, len, stop, piece);
		return;
	}
	if (sqe->flags & PEL_SQE_FILE) {
		uop_file_run(op, off, len, stop, piece);
		return;
	}
	x.op = op;
	x.blk = NULL;
	x.nr = 0;
	x.redo = true;
	x.crc = piece->crc;
	x.crc_new = x.crc;
	x.sha = NULL;
	x.pat_phase = -1;
	x.pat_byte = -1;

	switch (sqe->opcode) {
	case PEL_OP_COPY:
		uop_add(&x, sqe->addr, true);
		uop_add(&x, sqe->addr2, false);
		if (op->backward) {
			uop_backward(&x, off, len, stop, piece);
			return;
		}
		/* Front to back below its source: not again over its output. */
		x.redo = !len || sqe->addr == sqe->addr2 ||
			 !uop_overlap(sqe->addr, sqe->addr2, sqe->len);
		fn = uop_do_copy;
		break;
	case PEL_OP_FILL:
		uop_add(&x, sqe->addr, true);
		if (sqe->arg0 == (sqe->arg0 & 0xff) * 0x0101010101010101ULL)
			x.pat_byte = sqe->arg0 & 0xff;
		fn = uop_do_fill;
		break;
	case PEL_OP_COMPARE:
		uop_add(&x, sqe->addr, false);
		uop_add(&x, sqe->addr2, false);
		fn = uop_do_compare;
		break;
	case PEL_OP_COMPARE_PATTERN:
		uop_add(&x, sqe->addr2, false);
		fn = uop_do_compare_pattern;
		break;
	case PEL_OP_CRC32C:
		uop_add(&x, sqe->addr2, false);
		fn = uop_do_crc32c;
		break;
	case PEL_OP_COPY_CRC32C:
		uop_add(&x, sqe->addr2, false);
		uop_add(&x, sqe->addr, true);
		fn = uop_do_crc32c;
		break;
	case PEL_OP_DUALCAST:
		uop_add(&x, sqe->addr2, false);
		uop_add(&x, sqe->addr, true);
		uop_add(&x, sqe->arg0, true);
		fn = uop_do_dualcast;
		break;
	case PEL_OP_XOR:
		for (i = 0; i < op->nr_srcs; i++) {
			uop_add(&x, op->srcs[i], false);
			if (uop_in_place(sqe->addr, op->srcs[i], sqe->len))
				x.redo = false;
		}
		uop_add(&x, sqe->addr, true);
		fn = uop_do_xor;
		break;
	case PEL_OP_SHA256:
		uop_add(&x, sqe->addr2, false);
		x.redo = false;		/* the hash state took part of it */
		uop_sha256(&x, off, len, stop, piece);
		return;
	default:			/* NOP; CANCEL is the engine's */
		return;
	}
	uop_forward(&x, fn, off, len, stop, piece);
	piece->crc = x.crc;
}

/* ---- Merging and finishing -------------------------------------------- */

uint64_t lpel_uop_chunk(const struct lpel_uop *op, uint64_t len,
			uint64_t want, unsigned int max_chunks, uint64_t pg)
{
	uint64_t chunk = want;

	if ((len + chunk - 1) / chunk > max_chunks) {
		chunk = (len + max_chunks - 1) / max_chunks;
		chunk = (chunk + pg - 1) & ~(pg - 1);
	}
	/* Whole blocks, rounded up: no more chunks than max_chunks. */
	if (op->block)
		chunk = (chunk + op->block - 1) / op->block * op->block;
	return chunk;
}

void lpel_uop_merge(const struct lpel_uop *op, struct lpel_upiece *a,
		    uint64_t len_a, const struct lpel_upiece *b)
{
	/* A closing ring ends the op, whatever its chunks did. */
	if (a->res == -ECANCELED || b->res == -ECANCELED) {
		a->res = -ECANCELED;
		return;
	}
	/* A fault or a difference in a comes before anything in b. */
	if (a->res || a->differ || a->done < len_a)
		return;
	/* Blocks: b's digests follow a's (b starts at a block boundary). */
	if (op->block) {
		a->res = b->res;
		a->done += b->done;
		a->nr_digests += b->nr_digests;
		return;
	}
	if (op->sqe.opcode == PEL_OP_CRC32C ||
	    op->sqe.opcode == PEL_OP_COPY_CRC32C)
		a->crc = uop_crc_shift(a->crc, b->done) ^ b->crc;
	a->res = b->res;
	a->differ = b->differ;
	a->diff_off = b->diff_off;
	a->done += b->done;
}

/*
 * A file op's CQE: res the bytes done (short at EOF) as the memory op
 * reports them; a read error -errno and a fault -EFAULT, each with result
 * the bytes done before it.
 */
static void uop_finish_file(const struct lpel_uop *op,
			    const struct lpel_upiece *p, struct pel_cqe *cqe)
{
	if (p->res == -ECANCELED) {
		cqe->res = p->res;
		return;
	}
	if (p->res) {
		cqe->res = p->res;
		cqe->result = p->done;
		return;
	}
	switch (op->sqe.opcode) {
	case PEL_OP_COMPARE:
		/*
		 * A file shorter than the range differs from the buffer where
		 * it ends, as cmp(1) says "EOF on": res 1, result the bytes
		 * up to EOF, when nothing differed before.
		 */
		if (!p->differ && p->done < op->sqe.len) {
			cqe->res = 1;
			cqe->result = p->done;
			return;
		}
		cqe->res = p->differ ? 1 : 0;
		cqe->result = p->differ ? p->diff_off : 0;
		return;
	case PEL_OP_CRC32C:
	case PEL_OP_COPY_CRC32C:
		cqe->res = (int32_t)p->done;
		cqe->result = (uint32_t)~p->crc;
		return;
	case PEL_OP_SHA256:
		cqe->res = (int32_t)p->done;
		return;
	default:			/* COPY */
		cqe->res = (int32_t)p->done;
		cqe->result = p->done;
		return;
	}
}

/*
 * PEL_OPF_BLOCKS: res the bytes done (short at EOF), result the digests
 * written; a fault -EFAULT (a file op's read error its -errno) with
 * result the bytes done before it, in whole blocks.
 */
static void uop_finish_blocks(const struct lpel_uop *op,
			      const struct lpel_upiece *p, struct pel_cqe *cqe)
{
	bool file = op->sqe.flags & PEL_SQE_FILE;

	if (p->res == -ECANCELED || (p->res && !file && p->res != -EFAULT)) {
		cqe->res = p->res;	/* -ECANCELED (-ENOMEM): result 0 */
		return;
	}
	if (p->res || (!file && p->done < op->sqe.len)) {
		cqe->res = p->res ? p->res : -EFAULT;
		cqe->result = p->done;
		return;
	}
	cqe->res = (int32_t)p->done;
	cqe->result = p->nr_digests;
}

void lpel_uop_finish(const struct lpel_uop *op, const struct lpel_upiece *p,
		     struct pel_cqe *cqe)
{
	const struct pel_sqe *sqe = &op->sqe;
	bool fault = p->res == -EFAULT || p->done < sqe->len;

	cqe->result = 0;
	if (sqe->opcode == PEL_OP_NOP || sqe->opcode == PEL_OP_CANCEL) {
		cqe->res = 0;
		return;
	}
	if (op->block) {
		uop_finish_blocks(op, p, cqe);
		return;
	}
	if (sqe->flags & PEL_SQE_FILE) {
		uop_finish_file(op, p, cqe);
		return;
	}
	if (p->res && p->res != -EFAULT) {
		cqe->res = p->res;	/* -ECANCELED (-ENOMEM): result 0 */
		return;
	}
	switch (sqe->opcode) {
	case PEL_OP_COMPARE:
	case PEL_OP_COMPARE_PATTERN:
		/* A difference counts only if it comes before any fault. */
		if (p->differ) {
			cqe->res = 1;
			cqe->result = p->diff_off;
			return;
		}
		cqe->res = fault ? -EFAULT : 0;
		cqe->result = fault ? p->done : 0;
		return;
	case PEL_OP_CRC32C:
	case PEL_OP_COPY_CRC32C:
		cqe->res = fault ? -EFAULT : (int32_t)sqe->len;
		cqe->result = fault ? p->done : (uint32_t)~p->crc;
		return;
	case PEL_OP_SHA256:
		cqe->res = fault ? -EFAULT : (int32_t)sqe->len;
		cqe->result = fault ? p->done : 0;
		return;
	default:		/* COPY (either way), FILL, DUALCAST, XOR */
		cqe->res = fault ? -EFAULT : (int32_t)sqe->len;
		cqe->result = p->done;
		return;
	}
}
