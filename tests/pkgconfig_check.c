// SPDX-License-Identifier: GPL-2.0
/*
 * pkgconfig_check: a program from outside the tree, built only with what
 * `make install` put in a DESTDIR and `pkg-config --cflags --libs liblpel`
 * says (tests/run.sh does that), then run in the VM.  It proves that the
 * installed headers and library work: a real COPY and a FILL through the
 * rings, with every byte checked.  Exit 0 on success, 1 on any failure.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lpel.h>

#define LEN	(1 << 20)
#define PATTERN	0x0123456789abcdefULL

/* Submit the one prepared SQE, wait for its CQE, check res. */
static int run_one(struct lpel_ring *ring, int want)
{
	struct pel_cqe *cqe;
	int ret, res;

	ret = lpel_submit_and_wait(ring, 1);
	if (ret != 1) {
		fprintf(stderr, "pkgconfig_check: lpel_submit_and_wait: %d\n", ret);
		return -1;
	}
	ret = lpel_peek_cqe(ring, &cqe);
	if (ret) {
		fprintf(stderr, "pkgconfig_check: no CQE after the wait: %d\n", ret);
		return -1;
	}
	res = cqe->res;
	if (cqe->user_data != 0x7e57 || res != want)
		fprintf(stderr, "pkgconfig_check: CQE user_data 0x%llx res %d, want 0x7e57 and %d\n",
			(unsigned long long)cqe->user_data, res, want);
	ret = cqe->user_data == 0x7e57 && res == want ? 0 : -1;
	lpel_cqe_seen(ring, cqe);
	return ret;
}

static struct pel_sqe *get_sqe(struct lpel_ring *ring)
{
	struct pel_sqe *sqe = lpel_get_sqe(ring);

	if (!sqe) {
		fprintf(stderr, "pkgconfig_check: no free SQE\n");
		exit(1);
	}
	return sqe;
}

int main(void)
{
	unsigned char *src = malloc(LEN), *dst = calloc(1, LEN);
	struct pel_sqe *sqe;
	struct lpel_ring ring;
	size_t i;
	int ret;

	if (!src || !dst)
		return 1;
	for (i = 0; i < LEN; i++)
		src[i] = (unsigned char)(i * 7 + (i >> 9));

	ret = lpel_init(&ring, 8);
	if (ret) {
		fprintf(stderr, "pkgconfig_check: lpel_init: %s\n", strerror(-ret));
		return 1;
	}

	sqe = get_sqe(&ring);
	lpel_prep_copy(sqe, dst, src, LEN);
	lpel_sqe_set_data(sqe, 0x7e57);
	if (run_one(&ring, LEN) || memcmp(src, dst, LEN)) {
		fprintf(stderr, "pkgconfig_check: COPY failed\n");
		return 1;
	}

	sqe = get_sqe(&ring);
	lpel_prep_fill(sqe, dst, PATTERN, LEN - 3);
	lpel_sqe_set_data(sqe, 0x7e57);
	if (run_one(&ring, LEN - 3))
		return 1;
	for (i = 0; i < LEN; i++) {
		unsigned char want = i < LEN - 3 ?
			(unsigned char)(PATTERN >> 8 * (i % 8)) : src[i];

		if (dst[i] != want) {
			fprintf(stderr, "pkgconfig_check: FILL: byte %zu is 0x%02x, want 0x%02x\n",
				i, dst[i], want);
			return 1;
		}
	}

	printf("pkgconfig_check: built from the installed liblpel via pkg-config; COPY and FILL of %d bytes verified on %u queues\n",
	       LEN, ring.nr_queues);
	lpel_exit(&ring);
	free(src);
	free(dst);
	return 0;
}
