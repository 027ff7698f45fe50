// SPDX-License-Identifier: GPL-2.0
/*
 * Per-block digests (PEL_OPF_BLOCKS on CRC32C and SHA256): every block's
 * digest equals the reference over the same bytes, in memory and in a
 * registered file, split sizes included; the last block short; a range
 * past EOF has fewer blocks; the argument checks; a digest array that
 * faults gives -EFAULT with every block before the fault written.
 * The same test runs on both backends (tests/host-tests.list).
 */
#include <stdlib.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define KIB		1024ULL
#define MIB		(1024 * KIB)

struct case_len {
	uint64_t len, block;
};

/* Lengths against block sizes: exact multiples, short last blocks, splits. */
static const struct case_len cases[] = {
	{ 0, 4096 }, { 1, 512 }, { 512, 512 }, { 513, 512 }, { 4097, 4096 },
	{ 100000, 3000 }, { MIB, 64 * KIB }, { MIB + 5, 4096 },
	{ 9 * MIB + 123, MIB }, { 5 * MIB, 5 * MIB }, { 3 * MIB, 8 * MIB },
};

static uint64_t nr_blocks(uint64_t len, uint64_t block)
{
	return (len + block - 1) / block;
}

FIXTURE(blk) {
	struct lpel_ring ring;
	uint8_t *src;
	size_t src_len;
	char dir[64];
	char path[96];
	int fd;
};

FIXTURE_SETUP(blk)
{
	int ret = lpel_init(&self->ring, 64);

	ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret));
	if (!(self->ring.features & PEL_FEAT_BLOCK_DIGESTS))
		SKIP(return, "no PEL_FEAT_BLOCK_DIGESTS on the %s backend",
		     lpel_backend_name(lpel_backend(&self->ring)));
	self->src_len = 10 * MIB;
	self->src = malloc(self->src_len);
	ASSERT_NE(NULL, self->src);
	pel_test_fill_random(self->src, self->src_len, 77);
	/* Blocks that repeat, as a deduplicating store would see. */
	memcpy(self->src + 2 * MIB, self->src, MIB);

	strcpy(self->dir, "/tmp/pel-blocks-XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/data", self->dir);
	self->fd = open(self->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ((ssize_t)self->src_len,
		  pwrite(self->fd, self->src, self->src_len, 0));
}

FIXTURE_TEARDOWN(blk)
{
	lpel_exit(&self->ring);
	if (self->src) {
		close(self->fd);
		unlink(self->path);
		rmdir(self->dir);
		free(self->src);
	}
}

/* Run one op and check every digest of [off, off + len) of src. */
static void check_blocks(struct __test_metadata *_metadata,
			 struct lpel_ring *ring, const uint8_t *src,
			 uint8_t op, bool file, uint64_t off, uint64_t len,
			 uint64_t avail, uint64_t block, uint32_t seed)
{
	uint64_t done = off >= avail ? 0 : (avail - off < len ? avail - off : len);
	uint64_t nr = nr_blocks(done, block), i;
	size_t dsize = op == PEL_OP_CRC32C ? 4 : PEL_SHA256_DIGEST_SIZE;
	size_t room = (nr_blocks(len, block) + 1) * dsize;
	uint8_t *out = malloc(room), ref[PEL_SHA256_DIGEST_SIZE];
	struct pel_sqe s;
	char what[128];

	ASSERT_NE(NULL, out);
	memset(out, 0xee, room);
	if (op == PEL_OP_CRC32C && file)
		lpel_prep_file_crc32c_blocks(&s, (uint32_t *)out, 0, off, len,
					     block, seed);
	else if (op == PEL_OP_CRC32C)
		lpel_prep_crc32c_blocks(&s, (uint32_t *)out, src + off, len,
					block, seed);
	else if (file)
		lpel_prep_file_sha256_blocks(&s, out, 0, off, len, block);
	else
		lpel_prep_sha256_blocks(&s, out, src + off, len, block);
	snprintf(what, sizeof(what), "%s%s off %llu len %llu block %llu",
		 file ? "file " : "", op == PEL_OP_CRC32C ? "crc32c" : "sha256",
		 (unsigned long long)off, (unsigned long long)len,
		 (unsigned long long)block);
	pel_test_expect_op(_metadata, ring, &s, (int)done, nr, what);
	for (i = 0; i < nr; i++) {
		uint64_t b = i * block, n = done - b < block ? done - b : block;

		if (op == PEL_OP_CRC32C) {
			uint32_t got, want = pel_ref_crc32c(seed, src + off + b, n);

			memcpy(&got, out + 4 * i, 4);
			ASSERT_EQ(want, got) TH_LOG("%s: block %llu", what,
						    (unsigned long long)i);
		} else {
			pel_ref_sha256(src + off + b, n, ref);
			ASSERT_EQ(0, memcmp(ref, out + 32 * i, 32))
				TH_LOG("%s: block %llu", what, (unsigned long long)i);
		}
	}
	/* Nothing past the last digest. */
	for (i = nr * dsize; i < room; i++)
		ASSERT_EQ(0xee, out[i]) TH_LOG("%s: byte %llu after the digests",
					       what, (unsigned long long)i);
	free(out);
}

TEST_F(blk, memory)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		check_blocks(_metadata, &self->ring, self->src, PEL_OP_CRC32C,
			     false, 0, cases[i].len, UINT64_MAX, cases[i].block, 0);
		check_blocks(_metadata, &self->ring, self->src, PEL_OP_SHA256,
			     false, 0, cases[i].len, UINT64_MAX, cases[i].block, 0);
	}
	/* Unaligned source, a seed on every block. */
	check_blocks(_metadata, &self->ring, self->src, PEL_OP_CRC32C, false,
		     4093, 3 * MIB, UINT64_MAX, 4096, 0xdeadbeef);
	check_blocks(_metadata, &self->ring, self->src, PEL_OP_SHA256, false,
		     7, 2 * MIB + 1, UINT64_MAX, 512 * KIB, 0);
}

TEST_F(blk, file)
{
	int res = 1;
	size_t i;

	if (!(self->ring.features & PEL_FEAT_REGISTERED_FILES))
		SKIP(return, "no registered files");
	ASSERT_EQ(1, lpel_register_files(&self->ring, &self->fd, 1, &res));
	EXPECT_EQ(0, res);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		check_blocks(_metadata, &self->ring, self->src, PEL_OP_CRC32C,
			     true, 0, cases[i].len, self->src_len,
			     cases[i].block, 0);
		check_blocks(_metadata, &self->ring, self->src, PEL_OP_SHA256,
			     true, 0, cases[i].len, self->src_len,
			     cases[i].block, 0);
	}
	/* Past EOF: fewer blocks, the last one short; at EOF: none. */
	check_blocks(_metadata, &self->ring, self->src, PEL_OP_SHA256, true,
		     self->src_len - MIB - 100, 4 * MIB, self->src_len, MIB, 0);
	check_blocks(_metadata, &self->ring, self->src, PEL_OP_CRC32C, true,
		     self->src_len - 5000, MIB, self->src_len, 4096, 3);
	check_blocks(_metadata, &self->ring, self->src, PEL_OP_CRC32C, true,
		     self->src_len, MIB, self->src_len, 4096, 0);
	EXPECT_EQ(0, lpel_unregister_files(&self->ring));
}

/* The repeated megabyte gives equal digests: what dedup looks for. */
TEST_F(blk, duplicates_are_equal)
{
	uint8_t *out = malloc(10 * 32);
	struct pel_sqe s;

	ASSERT_NE(NULL, out);
	lpel_prep_sha256_blocks(&s, out, self->src, 10 * MIB, MIB);
	pel_test_expect_op(_metadata, &self->ring, &s, (int)(10 * MIB), 10,
			   "sha256 blocks");
	EXPECT_EQ(0, memcmp(out, out + 2 * 32, 32));
	EXPECT_NE(0, memcmp(out, out + 32, 32));
	free(out);
}

TEST_F(blk, bad_arguments)
{
	uint32_t crcs[8];
	struct pel_sqe s;

	lpel_prep_crc32c_blocks(&s, crcs, self->src, 4096, PEL_BLOCK_MIN - 1, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "block < min");
	lpel_prep_crc32c_blocks(&s, crcs, self->src, 4096, 0, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "block 0");
	lpel_prep_sha256_blocks(&s, crcs, self->src, 4096, PEL_MAX_OP_LEN + 1);
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "block > max");
	/* arg1 without PEL_OPF_BLOCKS, an unknown op flag, BLOCKS on COPY. */
	lpel_prep_crc32c(&s, self->src, 4096, 0);
	s.arg1 = 4096;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "arg1 alone");
	lpel_prep_crc32c_blocks(&s, crcs, self->src, 4096, 4096, 0);
	s.op_flags |= 1U << 7;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "unknown op flag");
	lpel_prep_copy(&s, crcs, self->src, 16);
	s.op_flags = PEL_OPF_BLOCKS;
	s.arg1 = 4096;
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, "blocks on COPY");
	/* No digest array. */
	lpel_prep_crc32c_blocks(&s, NULL, self->src, 4096, 4096, 0);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, 0, "array NULL");
}

/*
 * The digest array runs into a page that cannot be written: -EFAULT, with
 * result the bytes of the blocks whose digests fit, all of them written.
 */
TEST_F(blk, array_fault)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t fit = 40;		/* SHA-256 digests before the hole */
	uint8_t *area, *arr, ref[32];
	struct pel_sqe s;
	size_t i;

	area = pel_test_holey_buffer(2 * (size_t)pg, (size_t)pg);
	ASSERT_NE(NULL, area);
	arr = area + pg - fit * 32;
	lpel_prep_sha256_blocks(&s, arr, self->src, 64 * 4096, 4096);
	pel_test_expect_op(_metadata, &self->ring, &s, -EFAULT, fit * 4096,
			   "sha256 blocks into a hole");
	for (i = 0; i < fit; i++) {
		pel_ref_sha256(self->src + i * 4096, 4096, ref);
		ASSERT_EQ(0, memcmp(ref, arr + 32 * i, 32)) TH_LOG("block %zu", i);
	}
	munmap(area, 2 * (size_t)pg);
}

TEST_HARNESS_MAIN
