// SPDX-License-Identifier: GPL-2.0
/*
 * Cgroups: a worker serves the owners' cgroups (v2) round-robin, then the
 * contexts inside each, so a cgroup with eight contexts gets no more of the
 * workers than a cgroup with one; PEL_IOC_CTX_STATS and fdinfo report a
 * context's cgroup, uid, worker time and slow-path batches.
 *
 * Needs root and cgroup2: mounted here if it is not yet (the test VM
 * mounts none), skipped without.  The cgroups it makes are removed even
 * when a test fails.
 */
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define NSEC		1000000000ULL
#define OP_LEN		(64 << 10)
/* Per queue: four batches (pel_info.batch is 32 by default) of CPU work. */
#define DEPTH		128
#define NR_A		8
#define NR_PROCS	(NR_A + 1)
#define WARMUP_NS	(NSEC / 2)
#define MEASURE_NS	(3 * NSEC)

/* What the flooding children and the test share (MAP_SHARED). */
struct shared {
	int stop;
	int ready;
	int failed;
	uint64_t bytes[NR_PROCS];	/* completed, counted by each child */
};

/*
 * The mount point of the first cgroup2 mount in /proc/self/mountinfo and
 * the cgroup root it shows ("/" but in a cgroup namespace); 0 or -1.
 */
static int find_cgroup2(char *mnt, size_t len, char *root, size_t rlen)
{
	char line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char r[1024], m[1024], *sep = strstr(line, " - ");

		/* id parent major:minor root mountpoint ... - fstype ... */
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) ||
		    sscanf(line, "%*u %*u %*s %1023s %1023s", r, m) != 2)
			continue;
		/* the kernel escapes space, tab, newline and backslash */
		if (strchr(m, '\\') || strlen(m) >= len || strlen(r) >= rlen)
			continue;
		strcpy(mnt, m);
		strcpy(root, r);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* The calling process's cgroup v2 path ("0::/a/b" in /proc/self/cgroup). */
static int own_cgroup(char *path, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line + 3) < len) {
			strcpy(path, line + 3);
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

/* Move process pid (0: the caller) into the cgroup directory dir. */
static int cg_enter(const char *dir, pid_t pid)
{
	char path[1500], val[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(val, sizeof(val), "%d", pid ? pid : getpid());
	return pel_test_write_file(path, val, O_CLOEXEC);
}

/* Every process left in dir goes to the cgroup directory to. */
static void cg_evacuate(const char *dir, const char *to)
{
	char path[1500];
	FILE *f;
	int pid;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%d", &pid) == 1)
		cg_enter(to, pid);
	fclose(f);
}

/* An emptied cgroup can be busy a moment after its last task exits. */
static void cg_rmdir(const char *dir)
{
	uint64_t end = pel_test_now_ns() + 2 * NSEC;

	while (rmdir(dir) && errno == EBUSY && pel_test_now_ns() < end)
		usleep(10000);
}

static uint64_t ino_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? 0 : (uint64_t)sb.st_ino;
}

/*
 * The stats of the context of pid with sq_entries entries a queue (how a
 * process with two contexts tells them apart); 0 or -errno.
 */
static int ctx_stats_of(pid_t pid, unsigned int sq_entries,
			struct pel_ctx_stats *out)
{
	int fd = pel_test_open(), ret = -ENOENT;
	unsigned int i;

	if (fd < 0)
		return -errno;
	for (i = 0; i < 4096; i++) {
		struct pel_ctx_stats st;

		ret = lpel_ctx_stats(fd, i, &st);
		if (ret)
			break;
		ret = -ENOENT;
		if (st.pid == pid && (!sq_entries || st.sq_entries == sq_entries)) {
			*out = st;
			ret = 0;
			break;
		}
	}
	close(fd);
	return ret;
}

FIXTURE(cg) {
	char mnt[256];		/* the cgroup2 mount */
	char tmpmnt[64];	/* a directory made to mount it on, or "" */
	bool mounted;		/* by us: unmounted at the end */
	char orig[1400];	/* the test's own cgroup directory */
	char base[320], a[340], b[340];
	pid_t pids[NR_PROCS];
	struct shared *sh;
};

FIXTURE_SETUP(cg)
{
	char root[1024], own[1024];

	self->sh = MAP_FAILED;
	if (geteuid())
		SKIP(return, "needs root to make cgroups");
	if (find_cgroup2(self->mnt, sizeof(self->mnt), root, sizeof(root))) {
		strcpy(self->mnt, "/sys/fs/cgroup");
		if (mount("none", self->mnt, "cgroup2", 0, NULL)) {
			strcpy(self->tmpmnt, "/tmp/pel-cgroup2.XXXXXX");
			if (!mkdtemp(self->tmpmnt))
				SKIP(return, "cgroup2 not mounted, no directory to mount it on");
			strcpy(self->mnt, self->tmpmnt);
			if (mount("none", self->mnt, "cgroup2", 0, NULL)) {
				int err = errno;

				rmdir(self->tmpmnt);
				SKIP(return, "cgroup2 unavailable: mount: %s",
				     strerror(err));
			}
		}
		self->mounted = true;
		strcpy(root, "/");
	}
	TH_LOG("cgroup2 at %s%s", self->mnt, self->mounted ? " (mounted here)" : "");
	ASSERT_EQ(0, own_cgroup(own, sizeof(own)));
	/* in a cgroup namespace the mount root and our path are both relative to it */
	if (strcmp(root, "/") && !strncmp(own, root, strlen(root)))
		memmove(own, own + strlen(root), strlen(own + strlen(root)) + 1);
	snprintf(self->orig, sizeof(self->orig), "%s%s", self->mnt,
		 strcmp(own, "/") ? own : "");
	snprintf(self->base, sizeof(self->base), "%s/pel-test.%d", self->mnt,
		 getpid());
	snprintf(self->a, sizeof(self->a), "%s/A", self->base);
	snprintf(self->b, sizeof(self->b), "%s/B", self->base);
	ASSERT_NE(0, ino_of(self->orig)) TH_LOG("own cgroup %s", self->orig);
	ASSERT_EQ(0, mkdir(self->base, 0755)) TH_LOG("%s: %s", self->base, strerror(errno));
	ASSERT_EQ(0, mkdir(self->a, 0755));
	ASSERT_EQ(0, mkdir(self->b, 0755));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
}

FIXTURE_TEARDOWN(cg)
{
	unsigned int i;

	if (self->sh != MAP_FAILED)
		__atomic_store_n(&self->sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NR_PROCS; i++) {
		if (self->pids[i] <= 0)
			continue;
		kill(self->pids[i], SIGKILL);
		waitpid(self->pids[i], NULL, 0);
	}
	if (self->base[0]) {
		/* the test itself, or anything else, back where the test was */
		cg_evacuate(self->a, self->orig);
		cg_evacuate(self->b, self->orig);
		cg_evacuate(self->base, self->orig);
		cg_rmdir(self->a);
		cg_rmdir(self->b);
		cg_rmdir(self->base);
		if (!access(self->base, F_OK))
			TH_LOG("could not remove %s: %s", self->base, strerror(errno));
	}
	if (self->mounted && umount(self->mnt))
		TH_LOG("umount %s: %s", self->mnt, strerror(errno));
	if (self->tmpmnt[0])
		rmdir(self->tmpmnt);
	if (self->sh != MAP_FAILED)
		munmap(self->sh, sizeof(*self->sh));
}

/* Run n CRC32C ops of len bytes at buf on ring, one after the other. */
static int run_crcs(struct lpel_ring *ring, const void *buf, size_t len,
		    unsigned int n)
{
	struct pel_cqe cqe;
	struct pel_sqe *sqe;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		sqe = lpel_get_sqe(ring);
		if (!sqe)
			return -EBUSY;
		lpel_prep_crc32c(sqe, buf, len, 0);
		/* The workers' time is what is tested: they must run it. */
		ret = pel_test_run_one_polled(ring, &cqe);
		if (ret)
			return ret;
		if (cqe.res != (int)len)
			return cqe.res < 0 ? cqe.res : -EIO;
	}
	return 0;
}

/*
 * A context's uid and cgroup are its owner's at setup: the cgroup id is the
 * inode number of the cgroup's directory, and stays when the owner moves;
 * a context set up after the move has the new cgroup.  Worker time and
 * slow-path batches grow with work; fdinfo says the same.
 */
TEST_F(cg, ctx_stats_identity)
{
	const size_t len = 256 << 10;
	uint8_t *buf = malloc(len), *fresh;
	struct lpel_ring r1, r2;
	struct pel_ctx_stats st, st2;
	struct pel_cqe cqe;
	struct pel_sqe *sqe;
	uint64_t orig_ino = ino_of(self->orig), a_ino = ino_of(self->a);
	int ret;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(0, a_ino);
	ASSERT_NE(orig_ino, a_ino);
	memset(buf, 0x5a, len);
	ASSERT_EQ(0, lpel_init(&r1, 64));
	ASSERT_EQ(0, ctx_stats_of(getpid(), 64, &st));
	EXPECT_EQ(geteuid(), st.uid);
	EXPECT_EQ(orig_ino, st.cgroup_id) TH_LOG("cgroup %s", self->orig);
	EXPECT_EQ(0, st.busy_ns);
	EXPECT_EQ(0, st.slow_batches);
	EXPECT_EQ(0, st.resv0);
	EXPECT_EQ(st.cgroup_id, pel_test_fdinfo_u64(lpel_fd(&r1), "pel-cgroup-id"));

	/* worker time: ops on memory the process has touched */
	ret = run_crcs(&r1, buf, len, 16);
	ASSERT_EQ(0, ret) TH_LOG("crc32c: %s", strerror(-ret));
	ASSERT_EQ(0, ctx_stats_of(getpid(), 64, &st));
	EXPECT_LT(0, st.busy_ns);
	EXPECT_LE(16, st.completed);
	TH_LOG("16 CRC32C of 256 KiB: busy %.3f ms", st.busy_ns / 1e6);

	/* an op on untouched pages needs the slow path, which counts too */
	fresh = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, fresh);
	sqe = lpel_get_sqe(&r1);
	ASSERT_NE(NULL, sqe);
	lpel_prep_fill(sqe, fresh, 0x0102030405060708ULL, len);
	/* Reaped by polling: a waiting owner would fault the pages in itself. */
	ASSERT_EQ(0, pel_test_run_one_polled(&r1, &cqe));
	EXPECT_EQ((int)len, cqe.res);
	EXPECT_EQ(0x08, fresh[len - 8]);
	ASSERT_EQ(0, ctx_stats_of(getpid(), 64, &st2));
	EXPECT_LT(0, st2.slow_batches);
	EXPECT_LT(st.busy_ns, st2.busy_ns);
	EXPECT_LE(st2.busy_ns, pel_test_fdinfo_u64(lpel_fd(&r1), "pel-busy-ns"));
	EXPECT_EQ(st2.slow_batches, pel_test_fdinfo_u64(lpel_fd(&r1), "pel-slow-batches"));
	munmap(fresh, len);

	/* moved: the old context keeps its cgroup, a new one has A */
	ASSERT_EQ(0, cg_enter(self->a, 0));
	ret = lpel_init(&r2, 128);
	cg_enter(self->orig, 0);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, ctx_stats_of(getpid(), 64, &st));
	EXPECT_EQ(orig_ino, st.cgroup_id);
	ASSERT_EQ(0, ctx_stats_of(getpid(), 128, &st));
	EXPECT_EQ(a_ino, st.cgroup_id) TH_LOG("cgroup %s", self->a);
	EXPECT_EQ(0, st.busy_ns);
	EXPECT_EQ(a_ino, pel_test_fdinfo_u64(lpel_fd(&r2), "pel-cgroup-id"));
	lpel_exit(&r2);
	lpel_exit(&r1);
	free(buf);
}

/* The uid is the owner's euid at setup, not whoever opened the file. */
TEST_F(cg, ctx_stats_uid)
{
	const uid_t uid = 65534;
	struct pel_ctx_stats st;
	int go[2], ready[2], status;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct pel_setup p = { .size = sizeof(p), .sq_entries = 32 };
		int fd = pel_test_open();

		/* opened as root (/dev/pel is 0600), set up as uid */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		close(ready[0]);
		if (fd < 0 || setresuid(-1, uid, -1) || pel_test_setup(fd, &p))
			_exit(1);
		(void)!write(ready[1], &c, 1);
		(void)!read(go[0], &c, 1);
		_exit(0);
	}
	self->pids[0] = pid;
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("child could not set up as uid %u", uid);
	ASSERT_EQ(0, ctx_stats_of(pid, 32, &st));
	EXPECT_EQ(uid, st.uid);
	EXPECT_EQ(ino_of(self->orig), st.cgroup_id);
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	self->pids[0] = 0;
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * One child process: join cgroup dir, set up a context and keep every
 * queue DEPTH CRC32C ops of OP_LEN deep until told to stop (or 60 s).
 */
static void flood(struct shared *sh, unsigned int idx, const char *dir)
{
	uint64_t end = pel_test_now_ns() + 60 * NSEC, bytes = 0;
	unsigned int q, inflight[64] = { 0 };
	struct lpel_ring ring;
	bool counted = false;
	uint8_t *buf;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	buf = malloc(OP_LEN);
	/* touched: ops on it run on the workers, not in the slow path */
	if (!buf || cg_enter(dir, 0) || lpel_init(&ring, 2 * DEPTH) ||
	    ring.nr_queues > 64)
		goto fail;
	pel_test_pattern(buf, OP_LEN, idx);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE) &&
	       pel_test_now_ns() < end) {
		struct pel_cqe *cqe;
		int ret;

		for (q = 0; q < ring.nr_queues; q++) {
			struct pel_sqe *sqe;

			while (inflight[q] < DEPTH &&
			       (sqe = lpel_get_sqe_on(&ring, q))) {
				lpel_prep_crc32c(sqe, buf, OP_LEN, 0);
				lpel_sqe_set_data(sqe, q);
				inflight[q]++;
			}
		}
		if (lpel_submit(&ring) < 0)
			goto fail;
		/*
		 * Reaped by polling, sleeping in between: a blocking wait would
		 * run ops in this process (the owner helps), on CPU time that
		 * the CPU scheduler shares out, and the test is about what the
		 * workers share.
		 */
		ret = lpel_peek_cqe(&ring, &cqe);
		if (ret == -EAGAIN) {
			usleep(200);
			continue;
		}
		if (ret)
			goto fail;
		do {
			if (cqe->res != OP_LEN || cqe->user_data >= ring.nr_queues)
				goto fail;
			inflight[cqe->user_data]--;
			bytes += OP_LEN;
			lpel_cqe_seen(&ring, cqe);
		} while (!lpel_peek_cqe(&ring, &cqe));
		__atomic_store_n(&sh->bytes[idx], bytes, __ATOMIC_RELAXED);
		if (!counted) {
			__atomic_add_fetch(&sh->ready, 1, __ATOMIC_RELEASE);
			counted = true;
		}
	}
	_exit(0);
fail:
	__atomic_add_fetch(&sh->failed, 1, __ATOMIC_RELEASE);
	_exit(1);
}

struct fair_snap {
	uint64_t bytes[NR_PROCS], busy[NR_PROCS];
};

static int fair_snapshot(const pid_t *pids, struct fair_snap *s,
			 uint64_t *cgroup_ids)
{
	struct pel_ctx_stats st;
	unsigned int i;
	int ret;

	for (i = 0; i < NR_PROCS; i++) {
		ret = ctx_stats_of(pids[i], 0, &st);
		if (ret)
			return ret;
		/* What the workers ran: a waiting owner's own ops are not theirs. */
		s->bytes[i] = st.bytes - st.helped * OP_LEN;
		s->busy[i] = st.busy_ns;
		if (cgroup_ids)
			cgroup_ids[i] = st.cgroup_id;
	}
	return 0;
}

/*
 * Eight contexts (eight processes) in cgroup A, one in cgroup B, all
 * flooding every queue with the same CPU-bound op: B gets about half of
 * the workers' time.  Round-robin over queues, as before cgroups, would
 * give it 1/9 (11%); 35% is the bar.  Ops that a waiting owner runs itself
 * (pel_ctx_stats.helped) take its own CPU time, which the CPU scheduler
 * shares out, not PEL: only the workers' bytes count here.
 */
TEST_F_TIMEOUT(cg, fair_share_across_cgroups, 120)
{
	uint64_t ids[NR_PROCS], a_bytes = 0, b_bytes = 0, a_busy = 0, b_busy = 0;
	uint64_t a_ino = ino_of(self->a), b_ino = ino_of(self->b), end;
	struct fair_snap s0, s1;
	double share_bytes, share_busy;
	unsigned int i;
	int status;

	for (i = 0; i < NR_PROCS; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid)
			flood(self->sh, i, i < NR_A ? self->a : self->b);
		self->pids[i] = pid;
	}
	/* every child has ops completing: then warm up, then measure */
	end = pel_test_now_ns() + 30 * NSEC;
	while (__atomic_load_n(&self->sh->ready, __ATOMIC_ACQUIRE) < NR_PROCS &&
	       !__atomic_load_n(&self->sh->failed, __ATOMIC_ACQUIRE) &&
	       pel_test_now_ns() < end)
		usleep(10000);
	ASSERT_EQ(0, self->sh->failed);
	ASSERT_EQ(NR_PROCS, self->sh->ready) TH_LOG("children not running after 30 s");
	usleep(WARMUP_NS / 1000);
	ASSERT_EQ(0, fair_snapshot(self->pids, &s0, ids));
	usleep(MEASURE_NS / 1000);
	ASSERT_EQ(0, fair_snapshot(self->pids, &s1, NULL));
	__atomic_store_n(&self->sh->stop, 1, __ATOMIC_RELEASE);
	for (i = 0; i < NR_PROCS; i++) {
		/* each child waits at most a second for a CQE before it looks */
		ASSERT_EQ(self->pids[i], waitpid(self->pids[i], &status, 0));
		self->pids[i] = 0;
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("child %u: status %#x", i, status);
	}
	for (i = 0; i < NR_PROCS; i++) {
		uint64_t db = s1.bytes[i] - s0.bytes[i], dt = s1.busy[i] - s0.busy[i];

		EXPECT_EQ(i < NR_A ? a_ino : b_ino, ids[i]) TH_LOG("child %u", i);
		if (i < NR_A) {
			a_bytes += db;
			a_busy += dt;
		} else {
			b_bytes += db;
			b_busy += dt;
		}
	}
	ASSERT_LT(0, a_bytes + b_bytes);
	ASSERT_LT(0, a_busy + b_busy);
	share_bytes = (double)b_bytes / (a_bytes + b_bytes);
	share_busy = (double)b_busy / (a_busy + b_busy);
	TH_LOG("in %.1f s: A (%u contexts) %.1f MiB, %.1f ms busy; B (1 context) %.1f MiB, %.1f ms busy",
	       MEASURE_NS / 1e9, NR_A, a_bytes / 1048576.0, a_busy / 1e6,
	       b_bytes / 1048576.0, b_busy / 1e6);
	TH_LOG("B's share: %.1f%% of the bytes, %.1f%% of the worker time (fair 50%%, per context 11%%)",
	       100 * share_bytes, 100 * share_busy);
	EXPECT_LE(0.35, share_bytes);
	EXPECT_LE(0.35, share_busy);
}

TEST_HARNESS_MAIN
