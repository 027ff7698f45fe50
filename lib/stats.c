// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * liblpel's stats API: the module's stats ioctls (PEL_IOC_INFO,
 * PEL_IOC_WORKER_STATS, PEL_IOC_CTX_STATS, PEL_IOC_OP_STATS), for tools
 * that look at PEL without setting up a ring (pelctl) and for programs
 * that look at their own ring's context.  Each call takes a descriptor of
 * /dev/pel: one from lpel_stats_open(), kept open across calls (a watch
 * loop opens it once), or a kernel ring's lpel_fd().  Nothing here prints;
 * errors are -errno.  The user backend keeps no such counters: its ring's
 * descriptor is an eventfd, and every call on it is -ENOTTY.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lpel.h"

int lpel_stats_open(void)
{
	int fd = open(PEL_DEVICE_PATH, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* The ioctl, or -errno; a descriptor that is not /dev/pel is -ENOTTY. */
static int lpel_stats_ioctl(int fd, unsigned long req, void *arg)
{
	if (fd < 0)
		return -EBADF;
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int lpel_info(int fd, struct pel_info *info)
{
	if (!info)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return lpel_stats_ioctl(fd, PEL_IOC_INFO, info);
}

int lpel_worker_stats(int fd, unsigned int cpu, struct pel_worker_stats *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->cpu = cpu;
	return lpel_stats_ioctl(fd, PEL_IOC_WORKER_STATS, st);
}

int lpel_ctx_stats(int fd, unsigned int index, struct pel_ctx_stats *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->index = index;
	return lpel_stats_ioctl(fd, PEL_IOC_CTX_STATS, st);
}

int lpel_op_stats(int fd, unsigned int opcode, struct pel_op_stats *st)
{
	if (!st)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	st->opcode = opcode;
	return lpel_stats_ioctl(fd, PEL_IOC_OP_STATS, st);
}
