// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench - measure PEL, and what it competes with, in one process.
 *
 *	pelbench [-w WORKLOAD] [-q DEPTH] [-b BATCH] [-o SIZE] [-T THREADS]
 *		 [-t SECONDS] [-y] [-P poll|block] [-x NSRCS] [-F] [-e ENGINE]
 *		 [-B BASELINES] [-j]
 *	pelbench -w file_crc32c|file_copy|file_sha256 -f PATH [-s TOTAL] [...]
 *	pelbench -w file_sha256_blocks|file_crc32c_blocks -f PATH [--block=SIZE]
 *	pelbench -w sha256_blocks [--block=SIZE] [...]
 *	pelbench -S [-t SECONDS] [-R ROUNDS] [-J FILE] [-e user|kernel]
 *		    [--subset=user-backend|file]
 *
 * Modelled on SPDK's accel_perf: a workload (-w) of ops of one transfer
 * size (-o), DEPTH ops in flight per submitting thread (-q), submitted BATCH
 * at a time (-b), for SECONDS (-t), optionally checking every result (-y);
 * then a table per thread and a total row: ops/s, MiB/s, latency (average,
 * p50, p99, max, per op, submit to completion, measured here in userspace),
 * failures and miscompares.
 *
 * Absolute figures on a shared host, let alone under emulation, mean
 * little; ratios measured side by side in one process do.  So every run
 * also runs baselines (-B) with the same workload, depth and batch, and
 * prints PEL's figures as ratios of theirs:
 *   io_uring         NOP through liburing, io_uring_submit() and a wait;
 *   io_uring_sqpoll  the same with IORING_SETUP_SQPOLL;
 *   spsc_ring        a raw single-producer/single-consumer SQ/CQ ring pair
 *                    between two user threads pinned to different CPUs:
 *                    the limit of any shared-memory hand-off;
 *   cpu              one thread doing the op itself with what a user
 *                    would pick instead of PEL: glibc's memcpy, memset,
 *                    memcmp; ISA-L's crc32_iscsi (CRC-32C) and xor_gen;
 *                    OpenSSL's SHA-256;
 *   pthread_pool     a pool of one thread per CPU running the same code,
 *                    each large op split across them: what users write
 *                    instead of PEL;
 *   cpu_naive        one thread, hand-written code for CRC32C (an SSE4.2
 *                    crc32 instruction loop) and XOR (a 64-bit word loop):
 *                    a reference row, not a baseline to beat.
 * The file workloads (file_crc32c, file_copy, file_sha256) read a file
 * (-f PATH, made TOTAL bytes long with pseudo-random bytes if it is absent
 * or shorter; -s, default 256 MiB) in op-size ranges (-o) that cover it,
 * cycling: PEL registers it (lpel_register_files()) and runs
 * lpel_prep_file_*() on the page cache; the baselines pread() each range
 * into a buffer and run ISA-L's crc32_iscsi, OpenSSL's SHA-256 or nothing
 * (file_copy: the pread is the op), on one thread (cpu) and on the pool.
 * They also print how many bytes each engine copies into user memory per
 * byte it checks (pread: 1; PEL's CRC and SHA-256: 0 on pel.ko, 1 on the
 * user backend, which preads into a bounce buffer).
 * Per-block digests (sha256_blocks, file_sha256_blocks, file_crc32c_blocks):
 * each op digests its range every --block bytes (default 1 MiB) into an
 * array (PEL_OPF_BLOCKS: lpel_prep_*_blocks()); the one-thread baseline
 * preads the range and digests each block with OpenSSL or ISA-L, the pool
 * splits an op's blocks among its threads.  Without PEL_FEAT_BLOCK_DIGESTS
 * PEL's side is n/a and the baselines run anyway.  --cold drops the page
 * cache before each op (untimed) to read the file through the block layer.
 * PEL's rings run on pel.ko (-e kernel, the default; -e pel is the same)
 * or on liblpel's user backend (-e user, LPEL_BACKEND_USER); every run says
 * which.  The kernel's own figures (PEL_IOC_ENTER/s, the workers' counters,
 * the pel/N threads' CPU time) are n/a on the user backend.
 * -S runs a fixed suite of all of these, prints Markdown tables and the
 * targets (met, missed, not valid on this host, n/a) of the fast path, of
 * the user backend, and of file ranges and per-block digests, and writes
 * the whole as JSON (-J); -S --subset=user-backend runs only what the user
 * backend's targets need, --subset=file only the file runs.
 *
 * Timing: latency stamps are the TSC (rdtsc, calibrated against
 * CLOCK_MONOTONIC at start), because in a TCG guest the clocksource is the
 * HPET and clock_gettime() is a ~2 us system call.  One stamp per submitted
 * batch and one per reaping pass, shared by the ops in it.  Throughput
 * counts ops completed inside the measuring window, after a warm-up, as
 * (ops after the first counted completion) / (time from it to the last),
 * per thread, summed over threads: exact even for a few 64 MiB ops.
 *
 * Exit status: 0 success, 1 an error, a failed op or a miscompare, 2 usage.
 */
#include "pelbench.h"

const char *prog = "pelbench";

/* -e user|kernel: the backend PEL's rings ask for (lpel_params.backend). */
unsigned int pel_backend_req = LPEL_BACKEND_KERNEL;

bool pel_on_kernel(void)
{
	return pel_backend_req == LPEL_BACKEND_KERNEL;
}

/*
 * The default mode: one configuration on its engine (-e), then its
 * baselines (-B) with the same workload, depth and batch; the tables, or
 * JSON.  Exit status 1 on an error, a failed op or a miscompare.
 */
int run_single(const struct cfg *c, enum engine primary,
	       unsigned int baselines, bool json)
{
	struct result *res = calloc(E_NR + 1, sizeof(*res));
	unsigned int n = 0, i, e;
	int status = 0;

	if (!res)
		return 1;
	if (!json)
		text_config(c);
	run_engine(primary, c, &res[n++]);
	if ((w_is_file(c->w) || w_is_blocks(c->w)) && res[0].e == E_PEL && res[0].skipped)
		fprintf(json ? stderr : stdout, "%s: %s; running the baselines anyway\n",
			prog, res[0].errmsg + strlen("n/a: "));
	for (e = 0; e < E_NR; e++) {
		if (e == primary || !(baselines & (1U << e)))
			continue;
		if (!engine_supports(e, c->w))
			continue;
		run_engine(e, c, &res[n++]);
	}
	for (i = 0; i < n; i++)
		if (res[i].err || res[i].failed || res[i].miscompares)
			status = 1;

	if (json)
		json_single(c, primary, res, n);
	else
		text_single(c, primary, res, n);
	for (i = 0; i < n; i++)
		result_free(&res[i]);
	free(res);
	return status;
}

int main(int argc, char **argv)
{
	struct opts o;
	int ret = parse_options(argc, argv, &o);

	if (ret >= 0)
		return ret;
	crc32c_init();
	clock_init();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.suite)
		return run_suite(o.json_path);
	if (w_is_file(o.c.w)) {
		if (file_open(file_path, file_total, o.json))
			return 1;
		file_nranges = (file_total + o.c.size - 1) / o.c.size;
	}
	return run_single(&o.c, o.primary, o.baselines, o.json);
}
