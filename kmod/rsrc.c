// SPDX-License-Identifier: GPL-2.0
/*
 * Registered buffers: user memory pinned once (PEL_IOC_REGISTER_BUFFERS)
 * so that PEL_SQE_FIXED ops run on kernel addresses, with no page-table
 * walk and no possible fault.
 *
 * A table holds up to PEL_MAX_BUFFERS buffers, sorted by start address and
 * not overlapping, so an address is looked up by binary search.  Each
 * buffer's pages are pinned (FOLL_LONGTERM) and mapped contiguously for the
 * kernel with vmap(); an op's address then is that mapping plus the offset
 * into the buffer.  The pinned pages are charged to the registering user's
 * RLIMIT_MEMLOCK (user_struct.locked_vm, as io_uring does; not with
 * CAP_IPC_LOCK) and to the mm's pinned_vm.
 *
 * Lifetime: the table is refcounted.  The context holds one reference
 * (ctx->rbufs) from register to unregister or close; every PEL_SQE_FIXED op
 * holds one from pel_rbufs_prep() until its CQE is posted.  Unregister only
 * unhooks the table: ops in flight finish on it, and the last of them frees
 * it.  The pins outlive a munmap() of the range: an op then still runs on
 * the pages that were registered, whatever is mapped there now.
 */
#include <linux/capability.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>

#include "pel_internal.h"

/* Largest registered buffer, as io_uring's. */
#define PEL_MAX_BUF_LEN		SZ_1G

struct pel_rbuf {
	u64 uaddr;			/* user start */
	u64 len;
	void *kaddr;			/* kernel address of uaddr */
	void *vbase;			/* what vmap() returned */
	struct page **pages;		/* pinned */
	unsigned long nr_pages;
};

/*
 * Immutable once installed, but for ref: no lock.  Freed on the last put;
 * from an op's release that happens on a workqueue, since unpinning and
 * vunmap() may sleep and a shared worker must not.
 */
struct pel_rbufs {
	struct kref ref;
	struct work_struct free_work;
	struct user_struct *user;	/* charged locked_vm, referenced; NULL: CAP_IPC_LOCK */
	struct mm_struct *mm;		/* charged pinned_vm, mmgrab()ed */
	unsigned long acct_pages;	/* what was charged */
	unsigned int nr;
	u64 bytes;
	struct pel_rbuf bufs[];		/* sorted by uaddr, disjoint */
};

static struct workqueue_struct *pel_rbufs_wq;

int pel_rbufs_init(void)
{
	pel_rbufs_wq = alloc_workqueue("pel_rbufs", WQ_UNBOUND, 0);
	return pel_rbufs_wq ? 0 : -ENOMEM;
}

/* After the workers are gone: no op can drop a last reference any more. */
void pel_rbufs_exit(void)
{
	destroy_workqueue(pel_rbufs_wq);
}

/* Charge @nr_pages to @user's RLIMIT_MEMLOCK, or -ENOMEM past it. */
static int pel_account_mem(struct user_struct *user, unsigned long nr_pages)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	unsigned long cur = atomic_long_read(&user->locked_vm), new;

	do {
		new = cur + nr_pages;
		if (new > limit || new < cur)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, new));
	return 0;
}

static void pel_rbuf_unpin(struct pel_rbuf *b)
{
	if (b->vbase)
		vunmap(b->vbase);
	if (b->pages) {
		unpin_user_pages_dirty_lock(b->pages, b->nr_pages, true);
		kvfree(b->pages);
	}
}

/* Unpin what was pinned, undo the charges: a whole table or a partial one. */
static void pel_rbufs_free(struct pel_rbufs *t)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		pel_rbuf_unpin(&t->bufs[i]);
	if (t->mm) {
		atomic64_sub(t->acct_pages, &t->mm->pinned_vm);
		mmdrop(t->mm);
	}
	if (t->user) {
		atomic_long_sub(t->acct_pages, &t->user->locked_vm);
		free_uid(t->user);
	}
	kvfree(t);
}

static void pel_rbufs_free_work(struct work_struct *work)
{
	pel_rbufs_free(container_of(work, struct pel_rbufs, free_work));
}

static void pel_rbufs_release_sync(struct kref *ref)
{
	pel_rbufs_free(container_of(ref, struct pel_rbufs, ref));
}

static void pel_rbufs_release_deferred(struct kref *ref)
{
	struct pel_rbufs *t = container_of(ref, struct pel_rbufs, ref);

	queue_work(pel_rbufs_wq, &t->free_work);
}

/* Pin one buffer (uaddr and len already checked) and map it for the kernel. */
static int pel_rbuf_pin(struct pel_rbuf *b)
{
	unsigned long start = b->uaddr & PAGE_MASK;
	unsigned long end = PAGE_ALIGN(b->uaddr + b->len);
	unsigned long done = 0;
	int ret;

	b->nr_pages = (end - start) >> PAGE_SHIFT;
	b->pages = kvmalloc_array(b->nr_pages, sizeof(*b->pages),
				  GFP_KERNEL_ACCOUNT);
	if (!b->pages)
		return -ENOMEM;
	while (done < b->nr_pages) {
		ret = pin_user_pages_fast(start + (done << PAGE_SHIFT),
					  b->nr_pages - done,
					  FOLL_WRITE | FOLL_LONGTERM,
					  b->pages + done);
		if (ret <= 0) {
			if (done)
				unpin_user_pages(b->pages, done);
			kvfree(b->pages);
			b->pages = NULL;
			return ret ? ret : -EFAULT;
		}
		done += ret;
	}
	b->vbase = vmap(b->pages, b->nr_pages, VM_MAP, PAGE_KERNEL);
	if (!b->vbase) {
		unpin_user_pages(b->pages, b->nr_pages);
		kvfree(b->pages);
		b->pages = NULL;
		return -ENOMEM;
	}
	b->kaddr = b->vbase + offset_in_page(b->uaddr);
	return 0;
}

static int pel_rbuf_cmp(const void *a, const void *b)
{
	const struct pel_rbuf *x = a, *y = b;

	if (x->uaddr != y->uaddr)
		return x->uaddr < y->uaddr ? -1 : 1;
	return 0;
}

/* Copy the array in once and check the copy: lengths, wrap, overlap. */
static struct pel_rbufs *pel_rbufs_alloc(const struct pel_buffers *arg)
{
	struct pel_buf __user *ubufs = u64_to_user_ptr(arg->bufs);
	struct pel_rbufs *t;
	struct pel_buf *bufs;
	unsigned int i;
	u64 end;
	int ret;

	bufs = kvmalloc_array(arg->nr, sizeof(*bufs), GFP_KERNEL);
	if (!bufs)
		return ERR_PTR(-ENOMEM);
	if (copy_from_user(bufs, ubufs, arg->nr * sizeof(*bufs))) {
		ret = -EFAULT;
		goto err_bufs;
	}
	t = kvzalloc(struct_size(t, bufs, arg->nr), GFP_KERNEL_ACCOUNT);
	if (!t) {
		ret = -ENOMEM;
		goto err_bufs;
	}
	ret = -EINVAL;
	for (i = 0; i < arg->nr; i++) {
		if (!bufs[i].len || bufs[i].len > PEL_MAX_BUF_LEN ||
		    check_add_overflow(bufs[i].addr, bufs[i].len, &end) ||
		    end > TASK_SIZE_MAX)
			goto err_t;
		t->bufs[i].uaddr = bufs[i].addr;
		t->bufs[i].len = bufs[i].len;
		t->bytes += bufs[i].len;
	}
	sort(t->bufs, arg->nr, sizeof(t->bufs[0]), pel_rbuf_cmp, NULL);
	/* Disjoint, so that an address lies in one buffer at most. */
	for (i = 1; i < arg->nr; i++)
		if (t->bufs[i - 1].uaddr + t->bufs[i - 1].len > t->bufs[i].uaddr)
			goto err_t;
	kvfree(bufs);
	return t;

err_t:
	kvfree(t);
err_bufs:
	kvfree(bufs);
	return ERR_PTR(ret);
}

long pel_ioctl_register_buffers(struct pel_ctx *ctx, void __user *arg)
{
	struct pel_buffers req;
	struct pel_rbufs *t;
	unsigned long pages = 0;
	unsigned int i, nr;
	bool busy;
	int ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!req.nr || req.nr > PEL_MAX_BUFFERS || req.resv0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(req.resv); i++)
		if (req.resv[i])
			return -EINVAL;
	/* Checked again when the table goes in; this spares the pinning. */
	spin_lock(&ctx->rbufs_lock);
	busy = ctx->rbufs;
	spin_unlock(&ctx->rbufs_lock);
	if (busy)
		return -EBUSY;

	t = pel_rbufs_alloc(&req);
	if (IS_ERR(t))
		return PTR_ERR(t);
	kref_init(&t->ref);
	INIT_WORK(&t->free_work, pel_rbufs_free_work);
	nr = req.nr;

	for (i = 0; i < nr; i++)
		pages += (PAGE_ALIGN(t->bufs[i].uaddr + t->bufs[i].len) -
			  (t->bufs[i].uaddr & PAGE_MASK)) >> PAGE_SHIFT;
	if (!capable(CAP_IPC_LOCK)) {
		struct user_struct *user = get_uid(current_user());

		ret = pel_account_mem(user, pages);
		if (ret) {
			/* Tables whose last op just ended may still hold some. */
			flush_workqueue(pel_rbufs_wq);
			ret = pel_account_mem(user, pages);
		}
		if (ret) {
			free_uid(user);
			kvfree(t);
			return ret;
		}
		t->user = user;
	}
	t->acct_pages = pages;
	mmgrab(ctx->mm);
	t->mm = ctx->mm;
	atomic64_add(pages, &t->mm->pinned_vm);

	/* t->nr counts the buffers pinned so far: what the free undoes. */
	for (t->nr = 0; t->nr < nr; t->nr++) {
		ret = pel_rbuf_pin(&t->bufs[t->nr]);
		if (ret)
			goto err;
		cond_resched();
	}

	spin_lock(&ctx->rbufs_lock);
	busy = ctx->rbufs;
	if (!busy)
		ctx->rbufs = t;
	spin_unlock(&ctx->rbufs_lock);
	if (busy) {
		ret = -EBUSY;
		goto err;
	}
	return 0;

err:
	pel_rbufs_free(t);
	return ret;
}

/* Unhook the context's table and drop its reference; NULL if none. */
static struct pel_rbufs *pel_rbufs_unhook(struct pel_ctx *ctx)
{
	struct pel_rbufs *t;

	spin_lock(&ctx->rbufs_lock);
	t = ctx->rbufs;
	ctx->rbufs = NULL;
	spin_unlock(&ctx->rbufs_lock);
	return t;
}

long pel_ioctl_unregister_buffers(struct pel_ctx *ctx)
{
	struct pel_rbufs *t = pel_rbufs_unhook(ctx);

	if (!t)
		return -ENXIO;
	/* With no op in flight the pages are unpinned before we return. */
	kref_put(&t->ref, pel_rbufs_release_sync);
	return 0;
}

/* The context's table, referenced; NULL when none is registered. */
struct pel_rbufs *pel_rbufs_get(struct pel_ctx *ctx)
{
	struct pel_rbufs *t;

	spin_lock(&ctx->rbufs_lock);
	t = ctx->rbufs;
	if (t)
		kref_get(&t->ref);
	spin_unlock(&ctx->rbufs_lock);
	return t;
}

/* An op's reference: callable from a shared worker, never sleeps. */
void pel_rbufs_put(struct pel_rbufs *t)
{
	kref_put(&t->ref, pel_rbufs_release_deferred);
}

/*
 * The kernel address of [uaddr, uaddr + len) when it lies wholly in one
 * buffer of @t; NULL when it does not.
 */
void *pel_rbufs_resolve(struct pel_rbufs *t, u64 uaddr, u64 len)
{
	const struct pel_rbuf *b;
	unsigned int lo = 0, hi, mid;
	u64 off;

	if (!t)
		return NULL;
	/* lo: the first buffer that starts above uaddr. */
	hi = t->nr;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (t->bufs[mid].uaddr <= uaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	b = &t->bufs[lo - 1];
	off = uaddr - b->uaddr;
	if (off > b->len || len > b->len - off)
		return NULL;
	return b->kaddr + off;
}

static int pel_rbufs_resolve_into(struct pel_rbufs *t, void **kp, u64 uaddr,
				  u64 len)
{
	*kp = pel_rbufs_resolve(t, uaddr, len);
	return *kp ? 0 : -EFAULT;
}

/*
 * A PEL_SQE_FIXED op (already checked by pel_op_prep()): take a reference
 * on the context's table into x->rbufs and resolve x->kaddr, kaddr2 and
 * karg0 for the fields the op uses (XOR: kaddr2 is its source list, the
 * sources are resolved when the list is read).  -EFAULT when an address is
 * outside every registered buffer, or none is registered.  On an error the
 * reference stays in x->rbufs: pel_op_release() drops it with the CQE.
 */
int pel_rbufs_prep(struct pel_exec *x)
{
	const struct pel_sqe *sqe = x->sqe;
	struct pel_rbufs *t;
	int ret = 0;

	/* A new opcode must say here which of its fields are addresses. */
	BUILD_BUG_ON(PEL_OP_LAST != PEL_OP_CANCEL + 1);

	t = pel_rbufs_get(x->ctx);
	x->rbufs = t;
	if (!t)
		return -EFAULT;
	/*
	 * PEL_OPF_BLOCKS: the digest array over every block (of a file
	 * range too, whatever EOF turns out to be), and a memory source.
	 */
	if (sqe->op_flags & PEL_OPF_BLOCKS) {
		ret = pel_rbufs_resolve_into(t, &x->kaddr, sqe->addr,
					     pel_blocks_array_len(sqe));
		if (!ret && !(sqe->flags & PEL_SQE_FILE))
			ret = pel_rbufs_resolve_into(t, &x->kaddr2, sqe->addr2,
						     sqe->len);
		return ret;
	}
	/* PEL_SQE_FILE: addr2 is a file offset; only addr is memory. */
	if (sqe->flags & PEL_SQE_FILE) {
		if (sqe->opcode == PEL_OP_SHA256)
			return pel_rbufs_resolve_into(t, &x->kaddr, sqe->addr,
						      PEL_SHA256_DIGEST_SIZE);
		if (sqe->opcode == PEL_OP_CRC32C)
			return 0;
		return pel_rbufs_resolve_into(t, &x->kaddr, sqe->addr, sqe->len);
	}
	switch (sqe->opcode) {
	case PEL_OP_NOP:
	case PEL_OP_CANCEL:
		break;
	case PEL_OP_FILL:
		ret = pel_rbufs_resolve_into(t, &x->kaddr, sqe->addr, sqe->len);
		break;
	case PEL_OP_COMPARE_PATTERN:
	case PEL_OP_CRC32C:
		ret = pel_rbufs_resolve_into(t, &x->kaddr2, sqe->addr2, sqe->len);
		break;
	case PEL_OP_DUALCAST:
		ret = pel_rbufs_resolve_into(t, &x->karg0, sqe->arg0, sqe->len);
		fallthrough;
	case PEL_OP_COPY:
	case PEL_OP_COMPARE:
	case PEL_OP_COPY_CRC32C:
		ret = ret ?: pel_rbufs_resolve_into(t, &x->kaddr, sqe->addr,
						    sqe->len);
		ret = ret ?: pel_rbufs_resolve_into(t, &x->kaddr2, sqe->addr2,
						    sqe->len);
		break;
	case PEL_OP_XOR:
		ret = pel_rbufs_resolve_into(t, &x->kaddr, sqe->addr, sqe->len);
		ret = ret ?: pel_rbufs_resolve_into(t, &x->kaddr2, sqe->addr2,
						    sqe->arg0 * sizeof(u64));
		break;
	case PEL_OP_SHA256:
		ret = pel_rbufs_resolve_into(t, &x->kaddr, sqe->addr,
					     PEL_SHA256_DIGEST_SIZE);
		ret = ret ?: pel_rbufs_resolve_into(t, &x->kaddr2, sqe->addr2,
						    sqe->len);
		break;
	default:
		ret = -EINVAL;
		break;
	}
	return ret;
}

void pel_rbufs_stats(struct pel_ctx *ctx, u32 *nr, u64 *bytes)
{
	struct pel_rbufs *t;

	spin_lock(&ctx->rbufs_lock);
	t = ctx->rbufs;
	*nr = t ? t->nr : 0;
	*bytes = t ? t->bytes : 0;
	spin_unlock(&ctx->rbufs_lock);
}

/* The file is released: drop the table (ops in flight keep theirs). */
void pel_rbufs_release(struct pel_ctx *ctx)
{
	struct pel_rbufs *t = pel_rbufs_unhook(ctx);

	if (t)
		kref_put(&t->ref, pel_rbufs_release_sync);
}
