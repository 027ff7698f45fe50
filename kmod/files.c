// SPDX-License-Identifier: GPL-2.0
/*
 * Registered files: open files taken once (PEL_IOC_REGISTER_FILES) as the
 * sources of PEL_SQE_FILE ops.
 *
 * A table has nr slots, slot i for the fd at fds[i]; a slot holds a
 * reference on the struct file (fget()), or is empty.  Only a regular file
 * opened for reading goes in: the permission to read is the fd's, checked
 * once here (FMODE_READ), and every later read goes through that struct
 * file as pread() on the fd would, so an op reads nothing the owner could
 * not pread() itself.
 *
 * Lifetime: the context holds the table from register to unregister or
 * close; an op takes its own reference on its file at prep (get_file())
 * and drops it with its CQE (pel_op_release()).  Unregister unhooks the
 * table and puts the table's references: ops in flight go on with theirs.
 * The table is immutable once installed, so the lock is only for the
 * pointer.
 */
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "pel_internal.h"

struct pel_files_table {
	unsigned int nr;		/* slots */
	unsigned int filled;		/* slots holding a file */
	struct file *files[];		/* referenced, or NULL: empty */
};

static void pel_files_free(struct pel_files_table *t)
{
	unsigned int i;

	for (i = 0; i < t->nr; i++)
		if (t->files[i])
			fput(t->files[i]);
	kvfree(t);
}

/* Slot for @fd: the file, referenced, or NULL with *res the reason. */
static struct file *pel_files_take(int fd, s32 *res)
{
	struct file *f;
	umode_t mode;

	*res = 0;
	if (fd == -1)
		return NULL;
	/* fget() refuses O_PATH fds: they cannot be read. */
	f = fd < 0 ? NULL : fget(fd);
	if (!f) {
		*res = -EBADF;
		return NULL;
	}
	mode = file_inode(f)->i_mode;
	if (!(f->f_mode & FMODE_READ))
		*res = -EBADF;
	else if (S_ISDIR(mode))
		*res = -EISDIR;
	else if (!S_ISREG(mode))
		*res = -EINVAL;
	if (*res) {
		fput(f);
		return NULL;
	}
	return f;
}

long pel_ioctl_register_files(struct pel_ctx *ctx, void __user *arg)
{
	struct pel_files_table *t;
	struct pel_files req;
	s32 *fds = NULL, *res = NULL;
	unsigned int i;
	bool busy;
	long ret;

	if (copy_from_user(&req, arg, sizeof(req)))
		return -EFAULT;
	if (!req.nr || req.nr > PEL_MAX_FILES || req.resv0)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(req.resv); i++)
		if (req.resv[i])
			return -EINVAL;
	/* Checked again when the table goes in; this spares the work. */
	spin_lock(&ctx->files_lock);
	busy = ctx->files;
	spin_unlock(&ctx->files_lock);
	if (busy)
		return -EBUSY;

	fds = kvmalloc_array(req.nr, sizeof(*fds), GFP_KERNEL);
	res = kvmalloc_array(req.nr, sizeof(*res), GFP_KERNEL);
	t = kvzalloc(struct_size(t, files, req.nr), GFP_KERNEL_ACCOUNT);
	ret = -ENOMEM;
	if (!fds || !res || !t)
		goto err;
	ret = -EFAULT;
	if (copy_from_user(fds, u64_to_user_ptr(req.fds),
			   req.nr * sizeof(*fds)))
		goto err;
	t->nr = req.nr;
	for (i = 0; i < t->nr; i++) {
		t->files[i] = pel_files_take(fds[i], &res[i]);
		if (t->files[i])
			t->filled++;
	}
	if (copy_to_user(u64_to_user_ptr(req.res), res, req.nr * sizeof(*res)))
		goto err;

	spin_lock(&ctx->files_lock);
	busy = ctx->files;
	if (!busy)
		ctx->files = t;
	spin_unlock(&ctx->files_lock);
	ret = -EBUSY;
	if (busy)
		goto err;
	ret = t->filled;
	t = NULL;
err:
	if (t)
		pel_files_free(t);
	kvfree(res);
	kvfree(fds);
	return ret;
}

static struct pel_files_table *pel_files_unhook(struct pel_ctx *ctx)
{
	struct pel_files_table *t;

	spin_lock(&ctx->files_lock);
	t = ctx->files;
	ctx->files = NULL;
	spin_unlock(&ctx->files_lock);
	return t;
}

long pel_ioctl_unregister_files(struct pel_ctx *ctx)
{
	struct pel_files_table *t = pel_files_unhook(ctx);

	if (!t)
		return -ENXIO;
	pel_files_free(t);
	return 0;
}

/*
 * The file in slot @index, with a reference of the caller's; NULL when no
 * files are registered, @index is past the table, or the slot is empty.
 * Never sleeps: a shared worker preps ops.
 */
struct file *pel_files_get(struct pel_ctx *ctx, unsigned int index)
{
	struct pel_files_table *t;
	struct file *f = NULL;

	spin_lock(&ctx->files_lock);
	t = ctx->files;
	if (t && index < t->nr && t->files[index])
		f = get_file(t->files[index]);
	spin_unlock(&ctx->files_lock);
	return f;
}

/* Slots filled (fdinfo). */
unsigned int pel_files_count(struct pel_ctx *ctx)
{
	unsigned int n;

	spin_lock(&ctx->files_lock);
	n = ctx->files ? ctx->files->filled : 0;
	spin_unlock(&ctx->files_lock);
	return n;
}

/* The context's file is released: drop the table (ops keep their files). */
void pel_files_release(struct pel_ctx *ctx)
{
	struct pel_files_table *t = pel_files_unhook(ctx);

	if (t)
		pel_files_free(t);
}
