// SPDX-License-Identifier: MIT
/*
 * pel_demo: the smallest useful liblpel program.  Copies a buffer in
 * chunks spread over every queue, checks the bytes against the source,
 * then round-trips a burst of NOPs.
 *
 * With -s SECONDS it then keeps the layer busy for that long, or until
 * SIGINT or SIGTERM, so that `pelctl status` and `pelctl watch` have a live
 * context to show (make demo runs it so).  Each round: a chunked COPY over
 * every queue; one large COMPARE of the copy with the source, which the
 * module splits into chunks for several workers; a burst of small FILLs
 * clearing the copy, all on queue 0, which the other workers steal from;
 * one large COMPARE_PATTERN checking it is clear (split again); NOPs.
 * The comparisons run in the module too, so ops stay in flight.
 *
 *   cc -O2 pel_demo.c -llpel -o pel_demo && ./pel_demo [-s SECONDS] [MiB]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lpel.h>

#define CHUNK	(256 << 10)
#define NR_NOPS	10000
/* run(): submit op i on queue i % nr_queues. */
#define ANY_QUEUE	(-1)

enum kind { NOP, COPY, COMPARE, FILL_ZERO, COMPARE_ZERO };

struct job {
	enum kind kind;
	unsigned char *src, *dst;
	size_t len;
	size_t chunk;	/* bytes per op */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Prepare op number i of the job: its piece of the buffer, or a NOP. */
static void prep(struct pel_sqe *sqe, const struct job *job, size_t i)
{
	size_t off = i * job->chunk;
	size_t n = job->len - off < job->chunk ? job->len - off : job->chunk;

	switch (job->kind) {
	case NOP:
		lpel_prep_nop(sqe);
		break;
	case COPY:
		lpel_prep_copy(sqe, job->dst + off, job->src + off, n);
		break;
	case COMPARE:
		lpel_prep_compare(sqe, job->dst + off, job->src + off, n);
		break;
	case FILL_ZERO:
		lpel_prep_fill(sqe, job->dst + off, 0, n);
		break;
	case COMPARE_ZERO:
		lpel_prep_compare_pattern(sqe, job->dst + off, 0, n);
		break;
	}
	lpel_sqe_set_data(sqe, i);
}

/*
 * Keep the queues (every queue, or queue q only) full until all ops of the
 * job have completed.  Returns the number of failed ops (a comparison that
 * found a difference is one), or -errno.
 */
static int run(struct lpel_ring *ring, const struct job *job, int q)
{
	size_t nr = job->kind == NOP ? job->len :
		    (job->len + job->chunk - 1) / job->chunk;
	size_t sent = 0, done = 0;
	int failed = 0;

	while (done < nr) {
		struct pel_sqe *sqe;
		struct pel_cqe *cqe;
		int ret;

		while (sent < nr &&
		       (sqe = lpel_get_sqe_on(ring, q == ANY_QUEUE ?
					      sent % ring->nr_queues : (unsigned int)q)))
			prep(sqe, job, sent++);
		ret = lpel_submit(ring);
		if (ret < 0 && ret != -EINTR)
			return ret;
		ret = lpel_wait_cqe(ring, &cqe);
		if (ret == -EINTR)
			continue;	/* asked to stop: this job finishes first */
		if (ret)
			return ret;
		do {
			if (cqe->res < 0) {
				fprintf(stderr, "pel_demo: op %llu: %s\n",
					(unsigned long long)cqe->user_data,
					strerror(-cqe->res));
				failed++;
			} else if ((job->kind == COMPARE || job->kind == COMPARE_ZERO) &&
				   cqe->res) {
				fprintf(stderr, "pel_demo: op %llu: bytes differ at offset %llu\n",
					(unsigned long long)cqe->user_data,
					(unsigned long long)cqe->result);
				failed++;
			}
			lpel_cqe_seen(ring, cqe);
			done++;
		} while (lpel_peek_cqe(ring, &cqe) == 0);
	}
	return failed;
}

/* The live part; returns 0, or -1 on a failed op or a wrong byte. */
static int keep_busy(struct lpel_ring *ring, const struct job *buf,
		     double seconds)
{
	struct job copy = { COPY, buf->src, buf->dst, buf->len, CHUNK };
	struct job check = { COMPARE, buf->src, buf->dst, buf->len, buf->len };
	struct job clear = { FILL_ZERO, NULL, buf->dst, buf->len, 64 << 10 };
	struct job cleared = { COMPARE_ZERO, NULL, buf->dst, buf->len, buf->len };
	struct job nops = { NOP, NULL, NULL, 2000, 1 };
	double t0 = now_s(), t1;
	unsigned long rounds = 0;
	int ret = 0;

	printf("pel_demo: keeping %u queues busy for up to %.0f s: chunked COPY, "
	       "split COMPARE, FILL on queue 0 (stolen), NOPs\n",
	       ring->nr_queues, seconds);
	fflush(stdout);
	while (!ret && !stop && now_s() - t0 < seconds) {
		ret = run(ring, &copy, ANY_QUEUE);
		if (!ret)
			ret = run(ring, &check, 0);
		if (!ret)
			ret = run(ring, &clear, 0);
		if (!ret)
			ret = run(ring, &cleared, 0);
		if (!ret)
			ret = run(ring, &nops, ANY_QUEUE);
		rounds++;
	}
	t1 = now_s();
	if (ret) {
		fprintf(stderr, "pel_demo: round %lu FAILED (%d)\n", rounds, ret);
		return -1;
	}
	printf("pel_demo: %lu rounds in %.1f s, each %zu MiB copied, compared, "
	       "cleared and checked; stopped by %s\n", rounds, t1 - t0,
	       buf->len >> 20, stop ? "a signal" : "the clock");
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: pel_demo [-s SECONDS] [MiB]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct job job = { .kind = COPY, .chunk = CHUNK };
	struct job nops = { .kind = NOP, .len = NR_NOPS, .chunk = 1 };
	double seconds = 0, t0, t1;
	struct lpel_ring ring;
	struct sigaction sa;
	size_t i, nr, mib = 16;
	int ret, opt;

	while ((opt = getopt(argc, argv, "s:h")) != -1) {
		switch (opt) {
		case 's':
			seconds = strtod(optarg, NULL);
			if (!(seconds > 0))
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		mib = strtoul(argv[optind++], NULL, 0);
	if (!mib || optind < argc)
		usage();
	job.len = mib << 20;
	nr = (job.len + CHUNK - 1) / CHUNK;

	/* A signal ends the live part after its current op, not the program. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	if (seconds > 0) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}

	ret = lpel_init(&ring, 128);
	if (ret) {
		fprintf(stderr, "pel_demo: lpel_init: %s%s\n", strerror(-ret),
			ret == -ENODEV ? " (is pel.ko loaded? LPEL_BACKEND=auto "
			"runs on liblpel's user backend without it)" : "");
		return 1;
	}
	printf("pel_demo: %s backend, %u queues, features 0x%llx\n",
	       lpel_backend_name(lpel_backend(&ring)), ring.nr_queues,
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
	ret = run(&ring, &job, ANY_QUEUE);
	t1 = now_s();
	if (ret || memcmp(job.src, job.dst, job.len)) {
		fprintf(stderr, "pel_demo: copy FAILED (%d)\n", ret);
		return 1;
	}
	printf("pel_demo: copied %zu MiB in %zu ops, bytes verified (%.1f MiB/s)\n",
	       mib, nr, mib / (t1 - t0));

	t0 = now_s();
	ret = run(&ring, &nops, ANY_QUEUE);
	t1 = now_s();
	if (ret) {
		fprintf(stderr, "pel_demo: NOPs FAILED (%d)\n", ret);
		return 1;
	}
	printf("pel_demo: %d NOPs round-tripped (%.0f ops/s)\n", NR_NOPS,
	       NR_NOPS / (t1 - t0));
	fflush(stdout);

	if (seconds > 0 && keep_busy(&ring, &job, seconds))
		return 1;

	lpel_exit(&ring);
	free(job.src);
	free(job.dst);
	return 0;
}
