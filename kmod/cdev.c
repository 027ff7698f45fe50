// SPDX-License-Identifier: GPL-2.0
/*
 * The character device /dev/pel: a misc device whose every open file is a
 * context (ctx.c).  The file operations and the ioctl switch live here;
 * what they do lives with the objects they act on.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/poll.h>

#include "pel_internal.h"

static int pel_open(struct inode *inode, struct file *file)
{
	struct pel_ctx *ctx = pel_ctx_alloc();

	if (!ctx)
		return -ENOMEM;
	file->private_data = ctx;
	return 0;
}

static int pel_release(struct inode *inode, struct file *file)
{
	pel_ctx_release(file->private_data);
	return 0;
}

/* The file's context once it is set up, else NULL. */
static struct pel_ctx *pel_ctx_ready(struct file *file)
{
	struct pel_ctx *ctx = file->private_data;

	/* Pairs with the store-release in pel_ctx_setup(). */
	return smp_load_acquire(&ctx->ready) ? ctx : NULL;
}

/*
 * The file's context for an ioctl that acts for its owner: set up
 * (-ENXIO), and the caller is its owner: not after fork, not passed on
 * (-EPERM).
 */
static struct pel_ctx *pel_ctx_of_owner(struct file *file)
{
	struct pel_ctx *ctx = pel_ctx_ready(file);

	if (!ctx)
		return ERR_PTR(-ENXIO);
	if (current->mm != ctx->mm)
		return ERR_PTR(-EPERM);
	return ctx;
}

/*
 * The size-versioned structs (setup, info, stats) are dispatched on the
 * ioctl number alone, so that a later library's larger struct reaches us;
 * they carry their own size.  PEL_IOC_ENTER must match exactly.
 */
static long pel_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct pel_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;

	if (_IOC_TYPE(cmd) != PEL_IOC_MAGIC)
		return -ENOTTY;
	switch (_IOC_NR(cmd)) {
	case _IOC_NR(PEL_IOC_INFO):
		return pel_ioctl_info(uarg);
	case _IOC_NR(PEL_IOC_WORKER_STATS):
		return pel_ioctl_worker_stats(uarg);
	case _IOC_NR(PEL_IOC_CTX_STATS):
		return pel_ioctl_ctx_stats(uarg);
	case _IOC_NR(PEL_IOC_OP_STATS):
		return pel_ioctl_op_stats(uarg);
	case _IOC_NR(PEL_IOC_SETUP):
		return pel_ctx_setup(ctx, uarg);
	case _IOC_NR(PEL_IOC_ENTER):
		if (cmd != PEL_IOC_ENTER)
			return -ENOTTY;
		ctx = pel_ctx_of_owner(file);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		atomic64_inc(&ctx->enters);
		return pel_ctx_enter(ctx, uarg);
	case _IOC_NR(PEL_IOC_REGISTER_BUFFERS):
		if (cmd != PEL_IOC_REGISTER_BUFFERS)
			return -ENOTTY;
		ctx = pel_ctx_of_owner(file);
		return IS_ERR(ctx) ? PTR_ERR(ctx) :
				     pel_ioctl_register_buffers(ctx, uarg);
	case _IOC_NR(PEL_IOC_UNREGISTER_BUFFERS):
		if (cmd != PEL_IOC_UNREGISTER_BUFFERS)
			return -ENOTTY;
		ctx = pel_ctx_of_owner(file);
		return IS_ERR(ctx) ? PTR_ERR(ctx) : pel_ioctl_unregister_buffers(ctx);
	case _IOC_NR(PEL_IOC_REGISTER_FILES):
		if (cmd != PEL_IOC_REGISTER_FILES)
			return -ENOTTY;
		ctx = pel_ctx_of_owner(file);
		return IS_ERR(ctx) ? PTR_ERR(ctx) :
				     pel_ioctl_register_files(ctx, uarg);
	case _IOC_NR(PEL_IOC_UNREGISTER_FILES):
		if (cmd != PEL_IOC_UNREGISTER_FILES)
			return -ENOTTY;
		ctx = pel_ctx_of_owner(file);
		return IS_ERR(ctx) ? PTR_ERR(ctx) : pel_ioctl_unregister_files(ctx);
	default:
		return -ENOTTY;
	}
}

static __poll_t pel_poll(struct file *file, poll_table *wait)
{
	struct pel_ctx *ctx = pel_ctx_ready(file);

	if (!ctx)
		return EPOLLERR;
	poll_wait(file, &ctx->cq_wait, wait);
	/* Read the tails after joining the wait queue; pairs with wq_has_sleeper(). */
	smp_mb();
	if (pel_ctx_cq_ready(ctx, PEL_QUEUE_ALL))
		return EPOLLIN | EPOLLRDNORM;
	return 0;
}

static int pel_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct pel_ctx *ctx = pel_ctx_ready(file);

	return ctx ? pel_ctx_mmap(ctx, vma) : -ENXIO;
}

static const struct file_operations pel_fops = {
	.owner		= THIS_MODULE,
	.open		= pel_open,
	.release	= pel_release,
	.unlocked_ioctl	= pel_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= pel_mmap,
	.poll		= pel_poll,
	.llseek		= noop_llseek,
	.show_fdinfo	= pel_show_fdinfo,
};

/*
 * Like /dev/kvm: the device is root's until the admin's udev rule (group
 * pel, 0660) or dev_mode lets others in.  Who may open it may put the
 * kernel's workers to work.
 */
static ushort pel_dev_mode = 0600;
module_param_named(dev_mode, pel_dev_mode, ushort, 0444);
MODULE_PARM_DESC(dev_mode, "Mode of /dev/pel at load (default 0600, root only; udev/60-pel.rules makes it 0660 group pel)");

static struct miscdevice pel_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "pel",
	.fops	= &pel_fops,
};

int pel_cdev_init(void)
{
	pel_miscdev.mode = pel_dev_mode & 0666;
	return misc_register(&pel_miscdev);
}

void pel_cdev_exit(void)
{
	misc_deregister(&pel_miscdev);
}
