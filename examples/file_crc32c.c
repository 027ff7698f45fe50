// SPDX-License-Identifier: MIT
/*
 * file_crc32c: the CRC-32C of a whole file, computed in parallel by PEL.
 *
 * The file is read into memory and cut into fixed-size pieces; one
 * PEL_OP_CRC32C per piece (seed 0) goes to the queues round-robin, so the
 * pieces are summed by the workers of every CPU at once.  The piece CRCs are
 * then combined into the CRC of the whole file: CRC(A || B) follows from
 * CRC(A), CRC(B) and the length of B (multiply CRC(A) by x^(8 * len(B))
 * modulo the Castagnoli polynomial, as zlib's crc32_combine() does for its
 * polynomial).
 *
 * Checked against a plain table-driven CRC-32C computed here: every piece,
 * the combined CRC, and the CRC of the whole buffer as one op.  Prints every
 * piece and both whole-file CRCs; exits 1 on any mismatch or failed op.
 *
 *   file_crc32c FILE [PIECE_KIB]	(PIECE_KIB default 1024)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lpel.h>

/* The CRC-32C (Castagnoli) polynomial, bit-reversed. */
#define CRC32C_POLY	0x82f63b78U

/* user_data of the one op over the whole file; pieces use their index. */
#define WHOLE_FILE	UINT64_MAX

/* Pieces listed one by one (mismatches always are). */
#define MAX_LISTED	32

static uint32_t crc_table[256];

static void crc32c_init_table(void)
{
	uint32_t i, j, c;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_table[i] = c;
	}
}

/* CRC-32C continued from crc: 0 starts a new one, as PEL's seed does. */
static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t len)
{
	crc = ~crc;
	while (len--)
		crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* a * b modulo the polynomial, bit-reflected (bit 31 is x^0). */
static uint32_t gf2_mulmod(uint32_t a, uint32_t b)
{
	uint32_t m = 1U << 31, p = 0;

	while (m) {
		if (a & m)
			p ^= b;
		m >>= 1;
		b = b & 1 ? (b >> 1) ^ CRC32C_POLY : b >> 1;
	}
	return p;
}

/* x^(8 * len) modulo the polynomial: square-and-multiply on x^(2^k). */
static uint32_t x_pow_8n(uint64_t len)
{
	uint32_t p = 1U << 31;		/* x^0 */
	uint32_t sq = 1U << 23;		/* x^8 */

	while (len) {
		if (len & 1)
			p = gf2_mulmod(sq, p);
		sq = gf2_mulmod(sq, sq);
		len >>= 1;
	}
	return p;
}

/* The CRC of A || B from CRC(A), CRC(B) and len(B). */
static uint32_t crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b)
{
	return gf2_mulmod(x_pow_8n(len_b), crc_a) ^ crc_b;
}

static unsigned char *read_file(const char *path, size_t *len)
{
	unsigned char *buf;
	struct stat st;
	size_t done = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "file_crc32c: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		fprintf(stderr, "file_crc32c: out of memory\n");
		close(fd);
		return NULL;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n <= 0) {
			fprintf(stderr, "file_crc32c: %s: %s\n", path,
				n ? strerror(errno) : "file shrank");
			free(buf);
			close(fd);
			return NULL;
		}
		done += (size_t)n;
	}
	close(fd);
	*len = done;
	return buf;
}

struct job {
	const unsigned char *buf;
	size_t len;
	size_t piece;
	size_t nr_pieces;
	uint32_t *crc;		/* per piece, from the CQEs */
	uint32_t whole;		/* from the one-op CQE */
};

static size_t piece_len(const struct job *job, size_t i)
{
	size_t off = i * job->piece;

	return job->len - off < job->piece ? job->len - off : job->piece;
}

/*
 * One CRC32C per piece, queues filled round-robin, plus one op over the
 * whole buffer.  Returns the number of failed ops, or -errno.
 */
static int run(struct lpel_ring *ring, struct job *job)
{
	size_t nr = job->nr_pieces + 1, sent = 0, done = 0;
	int failed = 0;

	while (done < nr) {
		struct pel_sqe *sqe;
		struct pel_cqe *cqe;
		int ret;

		while (sent < nr &&
		       (sqe = lpel_get_sqe_on(ring, sent % ring->nr_queues))) {
			if (sent < job->nr_pieces) {
				lpel_prep_crc32c(sqe, job->buf + sent * job->piece,
						 piece_len(job, sent), 0);
				lpel_sqe_set_data(sqe, sent);
			} else {
				lpel_prep_crc32c(sqe, job->buf, job->len, 0);
				lpel_sqe_set_data(sqe, WHOLE_FILE);
			}
			sent++;
		}
		ret = lpel_submit(ring);
		if (ret < 0)
			return ret;
		ret = lpel_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		do {
			uint64_t i = cqe->user_data;
			size_t want = i == WHOLE_FILE ? job->len : piece_len(job, i);

			if (cqe->res < 0 || (size_t)cqe->res != want) {
				fprintf(stderr, "file_crc32c: op %" PRIu64 ": res %d%s%s\n",
					i, cqe->res, cqe->res < 0 ? " " : "",
					cqe->res < 0 ? strerror(-cqe->res) : "");
				failed++;
			} else if (i == WHOLE_FILE) {
				job->whole = (uint32_t)cqe->result;
			} else {
				job->crc[i] = (uint32_t)cqe->result;
			}
			lpel_cqe_seen(ring, cqe);
			done++;
		} while (lpel_peek_cqe(ring, &cqe) == 0);
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct job job = { 0 };
	unsigned long kib = 1024;
	uint32_t sw_whole, combined = 0;
	struct lpel_ring ring;
	unsigned int nr_queues;
	unsigned char *buf;
	int ret, bad = 0;
	size_t i;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: file_crc32c FILE [PIECE_KIB]\n");
		return 2;
	}
	if (argc == 3)
		kib = strtoul(argv[2], NULL, 0);
	if (!kib || kib > (PEL_MAX_OP_LEN >> 10)) {
		fprintf(stderr, "file_crc32c: bad piece size '%s'\n", argv[2]);
		return 2;
	}

	/* The check value of CRC-32C; it vouches for the reference below. */
	crc32c_init_table();
	if (crc32c_sw(0, (const unsigned char *)"123456789", 9) != 0xe3069283) {
		fprintf(stderr, "file_crc32c: userspace CRC-32C is broken\n");
		return 1;
	}

	buf = read_file(argv[1], &job.len);
	if (!buf)
		return 1;
	if (job.len > PEL_MAX_OP_LEN) {
		fprintf(stderr, "file_crc32c: %s: larger than one op may be (%llu bytes)\n",
			argv[1], (unsigned long long)PEL_MAX_OP_LEN);
		return 1;
	}
	job.buf = buf;
	job.piece = kib << 10;
	job.nr_pieces = (job.len + job.piece - 1) / job.piece;
	job.crc = calloc(job.nr_pieces ? job.nr_pieces : 1, sizeof(*job.crc));
	if (!job.crc) {
		fprintf(stderr, "file_crc32c: out of memory\n");
		return 1;
	}

	ret = lpel_init(&ring, 64);
	if (ret) {
		fprintf(stderr, "file_crc32c: lpel_init: %s%s\n", strerror(-ret),
			ret == -ENODEV ? " (is pel.ko loaded?)" : "");
		return 1;
	}
	if (!(ring.features & PEL_FEAT_OP_CRC32C)) {
		fprintf(stderr, "file_crc32c: the module has no CRC32C op\n");
		return 1;
	}
	nr_queues = ring.nr_queues;
	ret = run(&ring, &job);
	lpel_exit(&ring);
	if (ret) {
		fprintf(stderr, "file_crc32c: %d ops failed%s%s\n",
			ret < 0 ? 0 : ret, ret < 0 ? ": " : "",
			ret < 0 ? strerror(-ret) : "");
		return 1;
	}

	printf("file_crc32c: %s: %zu bytes, %zu pieces of %zu bytes over %u queues\n",
	       argv[1], job.len, job.nr_pieces, job.piece, nr_queues);
	for (i = 0; i < job.nr_pieces; i++) {
		size_t len = piece_len(&job, i);
		uint32_t sw = crc32c_sw(0, buf + i * job.piece, len);
		int ok = sw == job.crc[i];

		/* A long list helps no one: every piece of a short one. */
		if (!ok || job.nr_pieces <= MAX_LISTED)
			printf("  piece %4zu  offset %10zu  len %8zu  pel 0x%08" PRIx32
			       "  sw 0x%08" PRIx32 "  %s\n", i, i * job.piece,
			       len, job.crc[i], sw, ok ? "ok" : "MISMATCH");
		bad += !ok;
		combined = i ? crc32c_combine(combined, job.crc[i], len) :
			       job.crc[i];
	}

	sw_whole = crc32c_sw(0, buf, job.len);
	printf("file_crc32c: pieces combined  0x%08" PRIx32 "\n", combined);
	printf("file_crc32c: one PEL op       0x%08" PRIx32 "\n", job.whole);
	printf("file_crc32c: userspace table  0x%08" PRIx32 "\n", sw_whole);
	if (combined != sw_whole || job.whole != sw_whole)
		bad++;
	if (bad) {
		printf("file_crc32c: FAILED: %d mismatches\n", bad);
		return 1;
	}
	printf("file_crc32c: all %zu piece CRCs and the whole-file CRC match\n",
	       job.nr_pieces);
	free(job.crc);
	free(buf);
	return 0;
}
