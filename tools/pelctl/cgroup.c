// SPDX-License-Identifier: GPL-2.0
/*
 * pelctl: the cgroups of the contexts.  A context's cgroup_id is the
 * cgroup (v2) its owner was in at setup: the inode number of that cgroup's
 * directory under the cgroup2 mount.  Its path is found by walking the
 * mount for that inode; a cgroup removed since, or no cgroup2 mount, leaves
 * the id alone.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pelctl.h"
#define CGROUP_MAX_DEPTH	64

/* "\040" and the like, as /proc/self/mountinfo escapes a path, in place. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* The mount point of the first cgroup2 mount we see; 0 or -1. */
static int cgroup2_mount(char *mnt, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -1;

	if (!f)
		return -1;
	/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS...] - FSTYPE ... */
	while (ret && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *field, *save = NULL;
		unsigned int i;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = '\0';
		field = strtok_r(line, " ", &save);
		for (i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape_octal(field);
		if (strlen(field) < len) {
			strcpy(mnt, field);
			ret = 0;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

static struct cgroup_name *find_cgroup(const struct pel_status *st,
				       uint64_t id)
{
	unsigned int i;

	for (i = 0; i < st->nr_cgroups; i++)
		if (st->cgroups[i].id == id)
			return &st->cgroups[i];
	return NULL;
}

/*
 * Walk the directory fd (path rel, rlen bytes of buf) and the ones below,
 * on device dev only: name every cgroup of st still unnamed whose id is a
 * directory's inode number.  *left counts those; the walk stops at zero.
 * Takes fd.
 */
static void cgroup_walk(struct pel_status *st, int fd, dev_t dev, char *buf,
			size_t len, size_t rlen, unsigned int depth,
			unsigned int *left)
{
	struct dirent *de;
	DIR *d = fdopendir(fd);

	if (!d) {
		close(fd);
		return;
	}
	while (*left && (de = readdir(d))) {
		struct cgroup_name *cg;
		struct stat sb;
		size_t n;
		int sub;

		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (fstat(sub, &sb) || sb.st_dev != dev) {
			close(sub);
			continue;
		}
		n = snprintf(buf + rlen, len - rlen, "/%s", de->d_name);
		if (n >= len - rlen) {
			close(sub);
			continue;
		}
		cg = find_cgroup(st, sb.st_ino);
		if (cg && !cg->path) {
			cg->path = strdup(buf);
			if (cg->path)
				(*left)--;
		}
		if (depth < CGROUP_MAX_DEPTH)
			cgroup_walk(st, sub, dev, buf, len, rlen + n, depth + 1,
				    left);
		else
			close(sub);
		buf[rlen] = '\0';
	}
	closedir(d);
}

/* Names for the cgroups of st's contexts, as far as they can be found. */
void resolve_cgroups(struct pel_status *st)
{
	char mnt[4096], buf[4096];
	unsigned int i, left = 0;
	struct cgroup_name *cg;
	struct stat sb;
	int fd;

	for (i = 0; i < st->nr_ctxs; i++) {
		uint64_t id = st->ctxs[i].cgroup_id;
		struct cgroup_name *p;

		if (!id || find_cgroup(st, id))
			continue;
		p = realloc(st->cgroups, (st->nr_cgroups + 1) * sizeof(*p));
		if (!p)
			return;
		st->cgroups = p;
		p[st->nr_cgroups].id = id;
		p[st->nr_cgroups].path = NULL;
		st->nr_cgroups++;
		left++;
	}
	if (!left || cgroup2_mount(mnt, sizeof(mnt)))
		return;
	fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &sb)) {
		close(fd);
		return;
	}
	/* the mount's root is a cgroup too: the root cgroup, or a namespace's */
	cg = find_cgroup(st, sb.st_ino);
	if (cg) {
		cg->path = strdup("/");
		if (cg->path)
			left--;
	}
	buf[0] = '\0';
	cgroup_walk(st, fd, sb.st_dev, buf, sizeof(buf), 0, 0, &left);
}

/* A context's cgroup path, or NULL (no cgroup, or not found). */
const char *cgroup_path(const struct pel_status *st, uint64_t id)
{
	const struct cgroup_name *cg = id ? find_cgroup(st, id) : NULL;

	return cg ? cg->path : NULL;
}

/* Its path, else "id N"; "-" without cgroups. */
const char *cgroup_label(const struct pel_status *st, uint64_t id,
			 char *buf, size_t len)
{
	const char *path = cgroup_path(st, id);

	if (path)
		return path;
	if (!id)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "id %" PRIu64, id);
	return buf;
}

