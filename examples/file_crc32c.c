// SPDX-License-Identifier: MIT
/*
 * file_crc32c: the CRC-32C of a whole file, computed in parallel by PEL.
 *
 * The file is cut into fixed-size pieces; one PEL_OP_CRC32C per piece
 * (seed 0) goes to the queues round-robin, so the pieces are summed by the
 * workers of every CPU at once.  The piece CRCs are then combined into the
 * CRC of the whole file: CRC(A || B) follows from CRC(A), CRC(B) and the
 * length of B (multiply CRC(A) by x^(8 * len(B)) modulo the Castagnoli
 * polynomial, as zlib's crc32_combine() does for its polynomial).
 *
 * Two modes:
 *   --mode=file (the default where the backend has PEL_FEAT_REGISTERED_FILES)
 *	the file is registered with lpel_register_files() and every op reads
 *	its piece straight from the page cache (PEL_SQE_FILE): no byte of the
 *	file is copied to this process to be summed;
 *   --mode=read	the old way: read() the whole file into memory, then
 *	one memory op per piece.
 *
 * Checked against a plain table-driven CRC-32C of the file read here: every
 * piece, the combined CRC, and the CRC of the whole file as one op.  Prints
 * every piece and both whole-file CRCs; exits 1 on any mismatch or failed op.
 *
 *   file_crc32c [--mode=file|read] FILE [PIECE_KIB]	(PIECE_KIB default 1024)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
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
	const unsigned char *buf;	/* --mode=read: the file's bytes */
	bool file;			/* --mode=file: registered file 0 */
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
			size_t off = sent < job->nr_pieces ? sent * job->piece : 0;
			size_t len = sent < job->nr_pieces ?
				     piece_len(job, sent) : job->len;

			if (job->file)
				lpel_prep_file_crc32c(sqe, 0, off, len, 0);
			else
				lpel_prep_crc32c(sqe, job->buf + off, len, 0);
			lpel_sqe_set_data(sqe, sent < job->nr_pieces ? sent :
					  WHOLE_FILE);
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

static void usage(void)
{
	fprintf(stderr, "usage: file_crc32c [--mode=file|read] FILE [PIECE_KIB]\n");
	exit(2);
}

/* --mode=file: register FILE as file 0 of the ring.  0 or -errno. */
static int register_file(struct lpel_ring *ring, const char *path)
{
	int fd, res = 0, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = lpel_register_files(ring, &fd, 1, &res);
	close(fd);
	if (ret < 0)
		return ret;
	return ret == 1 ? 0 : res;
}

int main(int argc, char **argv)
{
	struct job job = { 0 };
	unsigned long kib = 1024;
	uint32_t sw_whole, combined = 0;
	struct lpel_ring ring;
	unsigned int nr_queues;
	const char *path, *mode = NULL;
	unsigned char *buf;
	int ret, bad = 0, argi = 1;
	size_t i;

	if (argi < argc && !strncmp(argv[argi], "--mode=", 7)) {
		mode = argv[argi++] + 7;
		if (strcmp(mode, "file") && strcmp(mode, "read")) {
			fprintf(stderr, "file_crc32c: bad mode '%s' (file or read)\n",
				mode);
			return 2;
		}
	}
	if (argc - argi < 1 || argc - argi > 2)
		usage();
	path = argv[argi];
	if (argc - argi == 2)
		kib = strtoul(argv[argi + 1], NULL, 0);
	if (!kib || kib > (PEL_MAX_OP_LEN >> 10)) {
		fprintf(stderr, "file_crc32c: bad piece size '%s'\n",
			argv[argi + 1]);
		return 2;
	}

	/* The check value of CRC-32C; it vouches for the reference below. */
	crc32c_init_table();
	if (crc32c_sw(0, (const unsigned char *)"123456789", 9) != 0xe3069283) {
		fprintf(stderr, "file_crc32c: userspace CRC-32C is broken\n");
		return 1;
	}

	/* The reference reads the file here in both modes; PEL does not in one. */
	buf = read_file(path, &job.len);
	if (!buf)
		return 1;
	if (job.len > PEL_MAX_OP_LEN) {
		fprintf(stderr, "file_crc32c: %s: larger than one op may be (%llu bytes)\n",
			path, (unsigned long long)PEL_MAX_OP_LEN);
		return 1;
	}
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
	if (!mode)
		mode = ring.features & PEL_FEAT_REGISTERED_FILES ? "file" : "read";
	if (!strcmp(mode, "file")) {
		ret = register_file(&ring, path);
		if (ret) {
			fprintf(stderr, "file_crc32c: %s: cannot register it: %s\n",
				path, strerror(-ret));
			return 1;
		}
		job.file = true;
	} else {
		job.buf = buf;
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

	printf("file_crc32c: %s: %zu bytes, %zu pieces of %zu bytes over %u queues, %s\n",
	       path, job.len, job.nr_pieces, job.piece, nr_queues,
	       job.file ? "read by PEL from the page cache (mode file)" :
			  "read() into memory first (mode read)");
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
