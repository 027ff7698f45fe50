// SPDX-License-Identifier: MIT
/*
 * pel_demo: the smallest useful liblpel program.  Copies a buffer in
 * chunks spread over every queue, checks the bytes against the source,
 * then round-trips a burst of NOPs.
 *
 *   cc -O2 pel_demo.c -llpel -o pel_demo && ./pel_demo [MiB]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lpel.h>

#define CHUNK	(256 << 10)
#define NR_NOPS	10000

struct job {
	unsigned char *src, *dst;
	size_t len;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Prepare op number i of the job: a COPY chunk, or a NOP without a job. */
static void prep(struct pel_sqe *sqe, const struct job *job, size_t i)
{
	if (job) {
		size_t off = i * CHUNK;
		size_t n = job->len - off < CHUNK ? job->len - off : CHUNK;

		lpel_prep_copy(sqe, job->dst + off, job->src + off, n);
	} else {
		lpel_prep_nop(sqe);
	}
	lpel_sqe_set_data(sqe, i);
}

/*
 * Keep the queues full until all nr ops have completed.  Returns the
 * number of failed ops, or -errno.
 */
static int run(struct lpel_ring *ring, const struct job *job, size_t nr)
{
	size_t sent = 0, done = 0;
	int failed = 0;

	while (done < nr) {
		struct pel_sqe *sqe;
		struct pel_cqe *cqe;
		int ret;

		while (sent < nr &&
		       (sqe = lpel_get_sqe_on(ring, sent % ring->nr_queues)))
			prep(sqe, job, sent++);
		ret = lpel_submit(ring);
		if (ret < 0)
			return ret;
		ret = lpel_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		do {
			if (cqe->res < 0) {
				fprintf(stderr, "pel_demo: op %llu: %s\n",
					(unsigned long long)cqe->user_data,
					strerror(-cqe->res));
				failed++;
			}
			lpel_cqe_seen(ring, cqe);
			done++;
		} while (lpel_peek_cqe(ring, &cqe) == 0);
	}
	return failed;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 16;
	struct job job = { .len = mib << 20 };
	size_t i, nr = (job.len + CHUNK - 1) / CHUNK;
	struct lpel_ring ring;
	double t0, t1;
	int ret;

	ret = lpel_init(&ring, 128);
	if (ret) {
		fprintf(stderr, "pel_demo: lpel_init: %s%s\n", strerror(-ret),
			ret == -ENODEV ? " (is pel.ko loaded?)" : "");
		return 1;
	}
	printf("pel_demo: %u queues, features 0x%llx\n", ring.nr_queues,
	       (unsigned long long)ring.features);

	job.src = malloc(job.len);
	job.dst = calloc(1, job.len);
	if (!job.src || !job.dst) {
		fprintf(stderr, "pel_demo: out of memory\n");
		return 1;
	}
	for (i = 0; i < job.len; i++)
		job.src[i] = (unsigned char)(i * 131 + 7);

	t0 = now_s();
	ret = run(&ring, &job, nr);
	t1 = now_s();
	if (ret || memcmp(job.src, job.dst, job.len)) {
		fprintf(stderr, "pel_demo: copy FAILED (%d)\n", ret);
		return 1;
	}
	printf("pel_demo: copied %zu MiB in %zu ops, bytes verified (%.1f MiB/s)\n",
	       mib, nr, mib / (t1 - t0));

	t0 = now_s();
	ret = run(&ring, NULL, NR_NOPS);
	t1 = now_s();
	if (ret) {
		fprintf(stderr, "pel_demo: NOPs FAILED (%d)\n", ret);
		return 1;
	}
	printf("pel_demo: %d NOPs round-tripped (%.0f ops/s)\n", NR_NOPS,
	       NR_NOPS / (t1 - t0));

	lpel_exit(&ring);
	free(job.src);
	free(job.dst);
	return 0;
}
