// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: PEL's own counters, read with liblpel's stats API
 * (lpel_info(3): lpel_stats_open(), lpel_info(), lpel_worker_stats(),
 * lpel_ctx_stats()), and the CPU time of its pel/N threads from /proc.
 * Without the module (the user backend) lpel_stats_open() fails, and
 * every figure of these is n/a.
 */
#include "pelbench.h"

/* ------------------------------------------------------------------------
 * PEL's own counters: the workers' (lpel_worker_stats()) and their CPU
 * time (/proc/PID/schedstat of the pel/N threads).
 */

/* The module's pel_info, or -errno (-ENOENT: no /dev/pel). */
int pel_info(struct pel_info *info)
{
	int fd = lpel_stats_open(), ret;

	if (fd < 0)
		return fd;
	ret = lpel_info(fd, info);
	close(fd);
	return ret;
}

/* CPU time of a thread in ns: schedstat, else utime + stime from stat. */
static bool thread_cpu_ns(const char *pid, uint64_t *ns)
{
	char path[300], buf[512], *p;
	unsigned long long v, ut, st;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%s/schedstat", pid);
	f = fopen(path, "r");
	if (f) {
		i = fscanf(f, "%llu", &v);
		fclose(f);
		if (i == 1) {
			*ns = v;
			return true;
		}
	}
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || !(p = strrchr(buf, ')')))
		return false;
	/* After "comm)": state is field 3; utime, stime are fields 14, 15. */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &ut, &st) != 2)
		return false;
	*ns = (ut + st) * (NSEC_PER_SEC / (uint64_t)sysconf(_SC_CLK_TCK));
	return true;
}

void pel_kthreads_cpu(uint64_t *ns, unsigned int *nr)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	*ns = 0;
	*nr = 0;
	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[300], comm[32] = "";
		uint64_t v;
		FILE *f;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		if (strncmp(comm, "pel/", 4) || !isdigit((unsigned char)comm[4]))
			continue;
		if (thread_cpu_ns(de->d_name, &v)) {
			*ns += v;
			(*nr)++;
		}
	}
	closedir(d);
}

bool pel_has_feature(uint64_t feat)
{
	struct pel_info info;

	return !pel_info(&info) && (info.features & feat);
}

/*
 * The system calls of this process's PEL contexts (one per submitting
 * thread): lpel_ctx_stats() lists the contexts we may see, index by index
 * until it fails (-ENOENT past the last); ours are those whose owner is
 * our pid.  Summed: PEL_IOC_ENTER calls, and the SQEs our waiting threads
 * ran themselves.  The ioctl goes through lpel_stats_open()'s descriptor,
 * not set up, so it is no PEL_IOC_ENTER of any context.
 */
bool pel_own_enters(uint64_t *enters, uint64_t *helped)
{
	pid_t pid = getpid();
	unsigned int i;
	bool found = false;
	int fd;

	*enters = *helped = 0;
	fd = lpel_stats_open();
	if (fd < 0)
		return false;
	for (i = 0; i < 100000; i++) {
		struct pel_ctx_stats st;

		if (lpel_ctx_stats(fd, i, &st))
			break;
		if (st.pid != pid)
			continue;
		*enters += st.enters;
		*helped += st.helped;
		found = true;
	}
	close(fd);
	return found;
}

void pel_snapshot(struct pel_snap *s)
{
	struct pel_info info;
	unsigned int i;
	int fd;

	memset(s, 0, sizeof(*s));
	pel_kthreads_cpu(&s->kthread_ns, &s->nr_kthreads);
	fd = lpel_stats_open();
	if (fd < 0)
		return;
	if (lpel_info(fd, &info)) {
		close(fd);
		return;
	}
	for (i = 0; i < info.nr_workers && i < MAX_WORKERS; i++)
		if (lpel_worker_stats(fd, i, &s->w[i]))
			break;
	close(fd);
	s->nr = i;
	s->ok = true;
}

