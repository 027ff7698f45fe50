// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the suite's targets (met, missed, not valid on this host,
 * n/a) and the host checks that say whether a comparison is valid here.
 */
#include "pelbench.h"

const char *const cmp_names[] = { ">=", "<=", "==" };

struct target targets[32];
unsigned int nr_targets;
const char *const target_group_names[TG_NR] = {
	[TG_FAST_PATH] = "fast-path",
	[TG_USER_BACKEND] = "user-backend",
	[TG_FILE] = "file",
};
static enum target_group target_group;	/* of the targets added next */

static struct target *target_add(const char *id, const char *what,
				  double value, double goal, enum cmp cmp)
{
	struct target *t = &targets[nr_targets++];

	t->id = id;
	t->group = target_group;
	t->what = what;
	t->value = value;
	t->goal = goal;
	t->cmp = cmp;
	t->invalid = NULL;
	t->na = NULL;
	return t;
}

/* What the host gave (pelbench.h): set by suite_targets(). */
const char *spsc_invalid, *sqpoll_invalid, *parallel_invalid;
const char *spsc_b32_invalid, *sqpoll_b32_invalid;
const char *copy_parallel_invalid, *fixed_na;
const char *file_parallel_invalid, *cold_reason;
double spsc_p50_us, sqpoll_p50_us, pool_scaling, pool_copy_scaling;
double pool_file_scaling;

/* Whether the figure reaches the goal, ignoring validity. */
static const char *target_reached(const struct target *t)
{
	if (t->value != t->value)
		return "n/a";
	switch (t->cmp) {
	case CMP_GE:
		return t->value >= t->goal ? "met" : "missed";
	case CMP_LE:
		return t->value <= t->goal ? "met" : "missed";
	case CMP_EQ:
		return t->value == t->goal ? "met" : "missed";
	}
	return "n/a";
}

/* met / missed / not valid on this host / n/a: why. */
const char *target_verdict(const struct target *t)
{
	static char buf[sizeof(targets) / sizeof(targets[0])][256];

	if (t->na) {
		char *b = buf[t - targets];

		snprintf(b, sizeof(buf[0]), "n/a: %s", t->na);
		return b;
	}
	if (t->value != t->value)
		return "n/a";
	if (t->invalid)
		return "not valid on this host";
	return target_reached(t);
}

/*
 * File ranges and per-block digests (data locality): PEL reads the file where it lies (the page
 * cache, in the kernel) against pread() into a buffer and the library
 * call, on one thread and on the pool.  "n/a: why" where PEL's side could
 * not run (no file ops, no per-block digests on this backend or module).
 */
static void file_targets(void)
{
	static const struct {
		const char *id, *what;
		enum workload w;
		enum engine vs;
		double goal;
	} tt[] = {
		{ "file_crc_vs_pool", "file CRC32C %s cached: PEL / pthread pool",
		  W_FILE_CRC32C, E_POOL, 1.0 },
		{ "file_crc_vs_1t", "file CRC32C %s cached: PEL / one thread",
		  W_FILE_CRC32C, E_CPU, 1.7 },
		{ "file_copy_vs_pool", "file COPY %s cached: PEL / pthread pool",
		  W_FILE_COPY, E_POOL, 1.0 },
		{ "file_copy_vs_1t", "file COPY %s cached: PEL / one thread",
		  W_FILE_COPY, E_CPU, 1.7 },
		{ "file_sha256_blocks_vs_1t", "per-block SHA-256 (1 MiB blocks) of %s: PEL / one OpenSSL thread",
		  W_FILE_SHA256_BLOCKS, E_CPU, 1.7 },
		{ "file_sha256_blocks_vs_pool", "per-block SHA-256 (1 MiB blocks) of %s: PEL / OpenSSL pool",
		  W_FILE_SHA256_BLOCKS, E_POOL, 1.0 },
	};
	static char what[ARRAY_SIZE(tt)][128];
	unsigned int i;
	char id[64], sz[32];

	if (file_total % (1 << 20))
		snprintf(sz, sizeof(sz), "%" PRIu64 " bytes", file_total);
	else
		snprintf(sz, sizeof(sz), "%" PRIu64 " MiB", file_total >> 20);
	target_group = TG_FILE;
	for (i = 0; i < ARRAY_SIZE(tt); i++) {
		struct target *t;

		snprintf(what[i], sizeof(what[i]), tt[i].what, sz);
		t = target_add(tt[i].id, what[i],
			       ratio(file_val(tt[i].w, false, E_PEL),
				     file_val(tt[i].w, false, tt[i].vs)),
			       tt[i].goal, CMP_GE);
		t->na = srun_na(file_run_id(id, sizeof(id), tt[i].w, false, E_PEL));
		if (tt[i].vs == E_CPU)
			t->invalid = file_parallel_invalid;
	}
}

/*
 * The fast path (pel.ko): PEL against io_uring and the raw ring on NOP,
 * against the pthread pool and N x one thread on 64 MiB COPY and CRC32C
 * (registered buffers too), its latency at depth 1, and its idle cost.
 */
static void fast_path_targets(unsigned int ncpu, const struct idle_res *ir)
{
	double lat_sum;

	target_group = TG_FAST_PATH;
	target_add("nop_vs_io_uring", "NOP b32 polled: PEL / io_uring plain",
		   ratio(srun_val("nop.b32.pel", 'o'), srun_val("nop.b32.io_uring", 'o')),
		   1.0, CMP_GE);
	target_add("nop_vs_spsc", "NOP b32 polled: PEL / raw SPSC ring (stretch)",
		   ratio(srun_val("nop.b32.pel", 'o'), srun_val("nop.b32.spsc_ring", 'o')),
		   0.5, CMP_GE)->invalid = spsc_b32_invalid;
	target_add("nop_block_vs_io_uring", "NOP b32 blocking (helping) waits: PEL / io_uring plain",
		   ratio(srun_val("nop.b32.pel_block", 'o'), srun_val("nop.b32.io_uring", 'o')),
		   1.0, CMP_GE);
	target_add("nop_enters", "NOP b32 polled: PEL_IOC_ENTER/s",
		   srun_val("nop.b32.pel", 'E'), 0, CMP_EQ)->na =
		pel_on_kernel() ? NULL : "kernel backend only";
	target_add("copy64m_vs_pool", "COPY 64 MiB: PEL / pthread pool",
		   ratio(srun_val("copy.64M.pel", 'm'), srun_val("copy.64M.pthread_pool", 'm')),
		   1.0, CMP_GE);
	target_add("copy64m_vs_1t", "COPY 64 MiB: PEL / (N x 1 thread)",
		   ratio(srun_val("copy.64M.pel", 'm'), ncpu * srun_val("copy.64M.cpu", 'm')),
		   0.9, CMP_GE)->invalid = copy_parallel_invalid;
	target_add("copy64m_fixed_vs_pool", "COPY 64 MiB, registered buffers: PEL / pthread pool",
		   ratio(srun_val("copy.64M.pel_fixed", 'm'), srun_val("copy.64M.pthread_pool", 'm')),
		   1.2, CMP_GE)->na = fixed_na;
	target_add("crc64m_vs_pool", "CRC32C 64 MiB: PEL / pthread pool",
		   ratio(srun_val("crc32c.64M.pel", 'm'), srun_val("crc32c.64M.pthread_pool", 'm')),
		   1.0, CMP_GE);
	target_add("crc64m_fixed_vs_pool", "CRC32C 64 MiB, registered buffers: PEL / pthread pool",
		   ratio(srun_val("crc32c.64M.pel_fixed", 'm'), srun_val("crc32c.64M.pthread_pool", 'm')),
		   1.1, CMP_GE)->na = fixed_na;
	lat_sum = srun_val("lat.nop.io_uring", '5') + srun_val("lat.copy4k.cpu", '5');
	target_add("lat_p50_vs_sum", "COPY 4 KiB depth 1 p50: PEL / (io_uring NOP p50 + memcpy 4 KiB p50)",
		   ratio(srun_val("lat.copy4k.pel", '5'), lat_sum), 2.0, CMP_LE);
	target_add("lat_p99_vs_sum", "COPY 4 KiB depth 1 p99: PEL / (io_uring NOP p50 + memcpy 4 KiB p50)",
		   ratio(srun_val("lat.copy4k.pel", '9'), lat_sum), 10.0, CMP_LE);
	target_add("idle", "Idle: % of one CPU, 1 s after the last op",
		   ir->ok ? ir->pct_one_cpu : NAN, 0, CMP_EQ)->na =
		pel_on_kernel() ? NULL : "kernel backend only (the pel/N threads)";
}

/*
 * The user backend is a thread pool, so it must at least
 * match the pthread pool on 64 MiB ops, and its NOP round trip (depth
 * 1, batch 1, polled) be within 2x of the raw SPSC ring's.  On the
 * kernel backend these are n/a (the kernel's are the fast path's).
 */
static void user_backend_targets(void)
{
	const char *user_na;
	struct target *t;

	target_group = TG_USER_BACKEND;
	user_na = pel_on_kernel() ? "user backend only (-e user)" : NULL;
	/* No figure on the kernel: PEL's runs there are not the user backend's. */
#define USER_RATIO(a, b)	(user_na ? NAN : ratio((a), (b)))
	target_add("user_copy64m_vs_pool", "User backend COPY 64 MiB: PEL / pthread pool",
		   USER_RATIO(srun_val("copy.64M.pel", 'm'), srun_val("copy.64M.pthread_pool", 'm')),
		   1.0, CMP_GE)->na = user_na;
	target_add("user_crc64m_vs_pool", "User backend CRC32C 64 MiB: PEL / pthread pool",
		   USER_RATIO(srun_val("crc32c.64M.pel", 'm'), srun_val("crc32c.64M.pthread_pool", 'm')),
		   1.0, CMP_GE)->na = user_na;
	t = target_add("user_nop_rtt_vs_spsc",
		       "User backend NOP round trip (depth 1, batch 1) p50: PEL / raw SPSC ring",
		       USER_RATIO(srun_val("lat.nop.pel", '5'), srun_val("lat.nop.spsc_ring", '5')),
		       2.0, CMP_LE);
#undef USER_RATIO
	t->na = user_na;
	t->invalid = spsc_invalid;
}

/*
 * The host checks, then the targets: the fast path's (pel.ko), the user
 * backend's, the file runs'; with --subset, only its group's.
 */
void suite_targets(unsigned int ncpu, const struct idle_res *ir)
{
	char id[64];

	/* A check whose runs are not in this suite (--subset) says nothing. */
	spsc_p50_us = srun_val("lat.nop.spsc_ring", '5') / 1e3;
	if (!(spsc_p50_us < COSCHED_MAX_US) && srun_planned("lat.nop.spsc_ring"))
		spsc_invalid = "the SPSC ring was starved: vCPUs not co-scheduled by the host (its round trip p50 above 50 us)";
	sqpoll_p50_us = srun_val("lat.nop.io_uring_sqpoll", '5') / 1e3;
	if (!(sqpoll_p50_us < COSCHED_MAX_US) && srun_planned("lat.nop.io_uring_sqpoll"))
		sqpoll_invalid = "SQPOLL was starved: vCPUs not co-scheduled by the host (its NOP round trip p50 above 50 us)";
	if (!(srun_val("nop.b32.io_uring_sqpoll", '5') / 1e3 < STARVED_US) &&
	    srun_planned("nop.b32.io_uring_sqpoll"))
		sqpoll_b32_invalid = "SQPOLL was starved in its NOP run: vCPUs not co-scheduled by the host (p50 above 200 us)";
	if (!(srun_val("nop.b32.spsc_ring", '5') / 1e3 < STARVED_US) &&
	    srun_planned("nop.b32.spsc_ring"))
		spsc_b32_invalid = "the SPSC ring was starved in its NOP run: vCPUs not co-scheduled by the host (p50 above 200 us)";
	pool_scaling = ratio(srun_val("crc32c.64M.pthread_pool", 'm'),
			     srun_val("crc32c.64M.cpu", 'm'));
	if (!(pool_scaling >= PARALLEL_MIN * ncpu))
		parallel_invalid = "the host did not give N vCPUs' worth of parallelism (pthread pool CRC32C below 0.75 N x one thread)";

	/*
	 * "N x one thread" for COPY counts where the pool itself reached
	 * 0.9 N on COPY (the fast path's rule); the CRC32C scaling above is the
	 * general parallelism check.
	 */
	pool_copy_scaling = ratio(srun_val("copy.64M.pthread_pool", 'm'),
				  srun_val("copy.64M.cpu", 'm'));
	if (!(pool_copy_scaling >= COPY_PARALLEL_MIN * ncpu))
		copy_parallel_invalid = "the pthread pool's COPY 64 MiB did not reach 0.9 N x one thread";
	if (pel_on_kernel() && !pel_has_feature(PEL_FEAT_REGISTERED_BUFFERS))
		fixed_na = "module lacks registered buffers";

	/* The file runs' "PEL / one thread" counts where the pool itself scaled. */
	pool_file_scaling = ratio(file_val(W_FILE_CRC32C, false, E_POOL),
				  file_val(W_FILE_CRC32C, false, E_CPU));
	if (!(pool_file_scaling >= PARALLEL_MIN * ncpu) &&
	    srun_planned(file_run_id(id, sizeof(id), W_FILE_CRC32C, false, E_POOL)))
		file_parallel_invalid = "the host did not give N vCPUs' worth of parallelism (the pthread pool's file CRC32C below 0.75 N x one thread)";

	if (!suite_subset)
		fast_path_targets(ncpu, ir);
	if (!suite_subset || !strcmp(suite_subset, "user-backend"))
		user_backend_targets();
	if (!suite_subset || !strcmp(suite_subset, "file"))
		file_targets();
}
