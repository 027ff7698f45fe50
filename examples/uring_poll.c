// SPDX-License-Identifier: MIT
/*
 * uring_poll: an io_uring program that waits for PEL completions with
 * IORING_OP_POLL_ADD on the PEL context fd.
 *
 * A program built around io_uring wants one place to wait.  PEL's context
 * fd is readable while a CQE is ready, so a POLL_ADD on it puts PEL's
 * completions into the io_uring completion queue like any other event:
 *
 *   submit PEL ops -> arm POLL_ADD(lpel_fd, POLLIN) -> io_uring_wait_cqe()
 *   -> poll fired: reap every ready PEL CQE -> re-arm while ops remain.
 *
 * Each round copies a buffer in blocks spread over every PEL queue; the
 * destination is checked byte for byte.  Exits 1 on any mismatch, failed
 * op, or a 10 s wait without a completion.  Link with -luring.
 *
 *   uring_poll [ROUNDS]		(default 20)
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liburing.h>
#include <lpel.h>

#define BLOCK		(16 << 10)
#define NR_BLOCKS	64
#define POLL_TAG	0x504f4c4cULL	/* "POLL": io_uring user_data */
#define STALL_S		10

static unsigned char src[NR_BLOCKS * BLOCK], dst[NR_BLOCKS * BLOCK];

/* Wait on io_uring for the poll on the PEL fd; >0 when it fired. */
static int wait_pel_readable(struct io_uring *uring, int pel_fd)
{
	struct __kernel_timespec ts = { .tv_sec = STALL_S };
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	int ret, res;

	sqe = io_uring_get_sqe(uring);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_poll_add(sqe, pel_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, POLL_TAG);
	ret = io_uring_submit(uring);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;

	ret = io_uring_wait_cqe_timeout(uring, &cqe, &ts);
	if (ret)
		return ret;
	if (io_uring_cqe_get_data64(cqe) != POLL_TAG) {
		io_uring_cqe_seen(uring, cqe);
		return -EPROTO;
	}
	res = cqe->res;
	io_uring_cqe_seen(uring, cqe);
	if (res < 0)
		return res;
	return (res & POLLIN) ? 1 : -EPROTO;
}

/* One round: NR_BLOCKS COPY ops, reaped on io_uring poll completions. */
static int round_trip(struct io_uring *uring, struct lpel_ring *ring,
		      unsigned int round, unsigned long *polls)
{
	unsigned int i, done = 0, failed = 0;
	int ret;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (unsigned char)(i * 31 + round * 7 + (i >> 12));
	memset(dst, 0, sizeof(dst));

	for (i = 0; i < NR_BLOCKS; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(ring, i % ring->nr_queues);

		if (!sqe) {
			fprintf(stderr, "uring_poll: SQ full\n");
			return -1;
		}
		lpel_prep_copy(sqe, dst + i * BLOCK, src + i * BLOCK, BLOCK);
		lpel_sqe_set_data(sqe, i);
	}
	ret = lpel_submit(ring);
	if (ret != NR_BLOCKS) {
		fprintf(stderr, "uring_poll: lpel_submit: %d\n", ret);
		return -1;
	}

	while (done < NR_BLOCKS) {
		struct pel_cqe *cqe;

		ret = wait_pel_readable(uring, lpel_fd(ring));
		if (ret < 0) {
			fprintf(stderr, "uring_poll: round %u: poll: %s after %u of %u CQEs\n",
				round, strerror(-ret), done, NR_BLOCKS);
			return -1;
		}
		(*polls)++;
		while (lpel_peek_cqe(ring, &cqe) == 0) {
			if (cqe->res != BLOCK || cqe->user_data >= NR_BLOCKS) {
				fprintf(stderr, "uring_poll: op %" PRIu64 ": res %d\n",
					(uint64_t)cqe->user_data, cqe->res);
				failed++;
			}
			lpel_cqe_seen(ring, cqe);
			done++;
		}
	}
	if (failed || memcmp(src, dst, sizeof(src))) {
		fprintf(stderr, "uring_poll: round %u: %u ops failed%s\n", round,
			failed, memcmp(src, dst, sizeof(src)) ?
			", destination differs from source" : "");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int round, rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 20;
	struct io_uring uring;
	struct lpel_ring ring;
	unsigned long polls = 0;
	int ret;

	ret = lpel_init(&ring, NR_BLOCKS);
	if (ret) {
		fprintf(stderr, "uring_poll: lpel_init: %s%s\n", strerror(-ret),
			ret == -ENODEV ? " (is pel.ko loaded?)" : "");
		return 1;
	}
	if (!(ring.features & PEL_FEAT_WAIT)) {
		fprintf(stderr, "uring_poll: the module does not support poll\n");
		return 1;
	}
	ret = io_uring_queue_init(8, &uring, 0);
	if (ret) {
		fprintf(stderr, "uring_poll: io_uring_queue_init: %s\n",
			strerror(-ret));
		return 1;
	}

	for (round = 0; round < rounds; round++)
		if (round_trip(&uring, &ring, round, &polls))
			return 1;

	printf("uring_poll: %u rounds of %d x %d KiB COPY over %u queues, reaped on %lu io_uring POLL_ADD completions, all bytes verified\n",
	       rounds, NR_BLOCKS, BLOCK >> 10, ring.nr_queues, polls);
	io_uring_queue_exit(&uring);
	lpel_exit(&ring);
	return 0;
}
