// SPDX-License-Identifier: MIT
/*
 * dedup_scan: find the duplicate blocks of a file, as a deduplicating store
 * would: the SHA-256 of every BLOCK bytes (default 1 MiB) of the registered
 * file (PEL_SQE_FILE), hashed in parallel by the workers of every CPU,
 * straight from the page cache.  SHA-256, sequential within one stream,
 * scales here because every block is a stream of its own.  With
 * PEL_FEAT_BLOCK_DIGESTS one op digests SPAN_BLOCKS blocks at once
 * (PEL_OPF_BLOCKS: the module splits it at block boundaries); without it,
 * one op per block.
 *
 * Then the digests are sorted and equal ones counted.  With --verify each
 * digest is checked against OpenSSL's over a pread() of the block.  Exits 1
 * on a failed op or a mismatch.
 *
 *   dedup_scan [--verify] FILE [BLOCK_KIB]		(BLOCK_KIB default 1024)
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

#include <openssl/evp.h>

#include <lpel.h>

/* Pairs of duplicates listed (the count is always exact). */
#define MAX_LISTED	8
/* Blocks one PEL_OPF_BLOCKS op digests. */
#define SPAN_BLOCKS	64

struct block {
	uint64_t index;
	uint8_t digest[PEL_SHA256_DIGEST_SIZE];
};

static int cmp_block(const void *a, const void *b)
{
	const struct block *x = a, *y = b;
	int c = memcmp(x->digest, y->digest, sizeof(x->digest));

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static void hex(char *out, const uint8_t *d)
{
	unsigned int i;

	for (i = 0; i < PEL_SHA256_DIGEST_SIZE; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

/*
 * One op per span of `per` blocks (1 without PEL_FEAT_BLOCK_DIGESTS),
 * round-robin over the queues, digests into dig; the failed ops, or -errno.
 */
static int hash_blocks(struct lpel_ring *ring, uint8_t *dig, uint64_t nr,
		       uint64_t size, uint64_t block, uint64_t per)
{
	uint64_t nops = (nr + per - 1) / per, sent = 0, done = 0;
	int failed = 0;

	while (done < nops) {
		struct pel_sqe *sqe;
		struct pel_cqe *cqe;
		int ret;

		while (sent < nops &&
		       (sqe = lpel_get_sqe_on(ring, sent % ring->nr_queues))) {
			uint64_t off = sent * per * block;
			uint64_t len = size - off < per * block ? size - off :
								 per * block;
			uint8_t *out = dig + sent * per * PEL_SHA256_DIGEST_SIZE;

			if (per > 1)
				lpel_prep_file_sha256_blocks(sqe, out, 0, off, len,
							     block);
			else
				lpel_prep_file_sha256(sqe, out, 0, off, len);
			lpel_sqe_set_data(sqe, sent);
			sent++;
		}
		ret = lpel_submit(ring);
		if (ret < 0)
			return ret;
		ret = lpel_wait_cqe(ring, &cqe);
		if (ret)
			return ret;
		do {
			uint64_t i = cqe->user_data, off = i * per * block;
			uint64_t want = size - off < per * block ? size - off :
								  per * block;

			if (cqe->res < 0 || (uint64_t)cqe->res != want ||
			    (per > 1 && cqe->result != (want + block - 1) / block)) {
				fprintf(stderr, "dedup_scan: blocks from %" PRIu64 ": res %d%s%s\n",
					i * per, cqe->res, cqe->res < 0 ? " " : "",
					cqe->res < 0 ? strerror(-cqe->res) : "");
				failed++;
			}
			lpel_cqe_seen(ring, cqe);
			done++;
		} while (lpel_peek_cqe(ring, &cqe) == 0);
	}
	return failed;
}

/* OpenSSL's SHA-256 of each block over pread(): the mismatches, or -1. */
static int verify(int fd, const struct block *blk, uint64_t nr, uint64_t size,
		  uint64_t block)
{
	uint8_t *buf = malloc(block), md[EVP_MAX_MD_SIZE];
	int bad = 0;
	uint64_t i;

	if (!buf)
		return -1;
	for (i = 0; i < nr; i++) {
		uint64_t off = blk[i].index * block, got = 0;
		uint64_t len = size - off < block ? size - off : block;
		unsigned int mdlen;

		while (got < len) {
			ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));

			if (n <= 0) {
				free(buf);
				return -1;
			}
			got += (uint64_t)n;
		}
		if (!EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) ||
		    memcmp(md, blk[i].digest, PEL_SHA256_DIGEST_SIZE)) {
			fprintf(stderr, "dedup_scan: block %" PRIu64 ": digest MISMATCH\n",
				blk[i].index);
			bad++;
		}
	}
	free(buf);
	return bad;
}

int main(int argc, char **argv)
{
	uint64_t nr, size, block, i, first, per, dups = 0, listed = 0;
	uint8_t *dig;
	bool check = false;
	unsigned long kib = 1024;
	struct lpel_ring ring;
	struct block *blk;
	struct stat st;
	int fd, ret, res = 0, argi = 1;
	char h[2 * PEL_SHA256_DIGEST_SIZE + 1];

	if (argi < argc && !strcmp(argv[argi], "--verify")) {
		check = true;
		argi++;
	}
	if (argc - argi < 1 || argc - argi > 2) {
		fprintf(stderr, "usage: dedup_scan [--verify] FILE [BLOCK_KIB]\n");
		return 2;
	}
	if (argc - argi == 2)
		kib = strtoul(argv[argi + 1], NULL, 0);
	if (!kib || kib > (PEL_MAX_OP_LEN >> 10)) {
		fprintf(stderr, "dedup_scan: bad block size '%s'\n", argv[argi + 1]);
		return 2;
	}
	block = (uint64_t)kib << 10;
	fd = open(argv[argi], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "dedup_scan: %s: %s\n", argv[argi], strerror(errno));
		return 1;
	}
	size = (uint64_t)st.st_size;
	nr = (size + block - 1) / block;
	blk = calloc(nr ? nr : 1, sizeof(*blk));
	if (!blk) {
		fprintf(stderr, "dedup_scan: out of memory\n");
		return 1;
	}

	ret = lpel_init(&ring, 128);
	if (ret) {
		fprintf(stderr, "dedup_scan: lpel_init: %s%s\n", strerror(-ret),
			ret == -ENODEV ? " (is pel.ko loaded?)" : "");
		return 1;
	}
	if (!(ring.features & PEL_FEAT_OP_SHA256) ||
	    !(ring.features & PEL_FEAT_REGISTERED_FILES)) {
		fprintf(stderr, "dedup_scan: the %s backend has no %s\n",
			lpel_backend_name(lpel_backend(&ring)),
			ring.features & PEL_FEAT_OP_SHA256 ? "file ops" : "SHA256 op");
		return 1;
	}
	ret = lpel_register_files(&ring, &fd, 1, &res);
	if (ret != 1) {
		fprintf(stderr, "dedup_scan: %s: cannot register it: %s\n",
			argv[argi], strerror(ret < 0 ? -ret : -res));
		return 1;
	}
	per = ring.features & PEL_FEAT_BLOCK_DIGESTS ? SPAN_BLOCKS : 1;
	dig = calloc(nr ? nr : 1, PEL_SHA256_DIGEST_SIZE);
	if (!dig) {
		fprintf(stderr, "dedup_scan: out of memory\n");
		return 1;
	}
	ret = hash_blocks(&ring, dig, nr, size, block, per);
	lpel_exit(&ring);
	for (i = 0; i < nr; i++) {
		blk[i].index = i;
		memcpy(blk[i].digest, dig + i * PEL_SHA256_DIGEST_SIZE,
		       PEL_SHA256_DIGEST_SIZE);
	}
	free(dig);
	if (ret) {
		fprintf(stderr, "dedup_scan: %d ops failed%s%s\n",
			ret < 0 ? 0 : ret, ret < 0 ? ": " : "",
			ret < 0 ? strerror(-ret) : "");
		return 1;
	}
	if (check) {
		ret = verify(fd, blk, nr, size, block);
		if (ret) {
			fprintf(stderr, "dedup_scan: verify: %s\n",
				ret < 0 ? "cannot read the file" : "digests differ");
			return 1;
		}
	}
	close(fd);

	/* Sorted by digest, then index: a group's first is its original. */
	qsort(blk, nr, sizeof(*blk), cmp_block);
	for (i = 1, first = 0; i < nr; i++) {
		if (memcmp(blk[i].digest, blk[first].digest, PEL_SHA256_DIGEST_SIZE)) {
			first = i;
			continue;
		}
		dups++;
		if (listed++ < MAX_LISTED) {
			hex(h, blk[i].digest);
			printf("  block %" PRIu64 " = block %" PRIu64 "  %s\n",
			       blk[i].index, blk[first].index, h);
		}
	}
	printf("dedup_scan: %s: %" PRIu64 " bytes, %" PRIu64 " blocks of %" PRIu64
	       " bytes, %" PRIu64 " unique, %" PRIu64 " duplicates%s\n",
	       argv[argi], size, nr, block, nr - dups, dups,
	       check ? " (every digest checked against OpenSSL)" : "");
	printf("dedup_scan: %s\n", per > 1 ?
	       "one PEL_OPF_BLOCKS op per 64 blocks, split across the workers" :
	       "one op per block (no PEL_FEAT_BLOCK_DIGESTS)");
	free(blk);
	return 0;
}
