// SPDX-License-Identifier: GPL-2.0
/*
 * The in-place data path: a worker works on the owner's pages as GUP-fast
 * gives them, and stops at the first page it cannot have; the slow path
 * goes on from there.  What the owner sees must not change:
 *  - a fault at any page boundary of a range reports the exact offset, the
 *    bytes before it are right and the bytes after it untouched, unsplit
 *    and split alike;
 *  - a kernel address gives -EFAULT with nothing done;
 *  - memory never touched (no page yet) works, through the slow path.
 */
#include <sys/mman.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define HEAD		100	/* the op starts this far into its first page */
#define SPLIT_PARAM	"/sys/module/pel/parameters/split_bytes"

FIXTURE(pin) {
	struct lpel_ring ring;
	long pg;
	char split_saved[32];
};

FIXTURE_VARIANT(pin) {
	const char *split_bytes;
	unsigned int nr_pages;		/* of each buffer */
	size_t chunk;			/* bytes of a split chunk; 0: unsplit */
};

/* Ops of 8 pages run as one range on a worker. */
FIXTURE_VARIANT_ADD(pin, unsplit) {
	.split_bytes = "0",
	.nr_pages = 8,
};

/*
 * Ops of 40 pages split in chunks of 64 KiB (the least split_bytes takes),
 * on several workers: a fault in each page, chunk edges included.
 */
FIXTURE_VARIANT_ADD(pin, split) {
	.split_bytes = "65536",
	.nr_pages = 40,
	.chunk = 65536,
};

FIXTURE_SETUP(pin)
{
	FILE *f = fopen(SPLIT_PARAM, "r");
	int ret;

	self->pg = sysconf(_SC_PAGESIZE);
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(self->split_saved, sizeof(self->split_saved), f));
	fclose(f);
	ASSERT_EQ(0, pel_test_write_file(SPLIT_PARAM, variant->split_bytes, 0));
	ret = lpel_init(&self->ring, 32);
	ASSERT_EQ(0, ret) TH_LOG("lpel_init: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(pin)
{
	lpel_exit(&self->ring);
	pel_test_write_file(SPLIT_PARAM, self->split_saved, 0);
}

static uint8_t *map_pages(size_t len, bool touch, uint8_t seed)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (touch)
		pel_test_pattern(p, len, seed);
	return p;
}

/* The offset from the op's start (HEAD into page 0) of page k. */
static uint64_t hole_off(long pg, unsigned int k)
{
	return k ? k * pg - HEAD : 0;
}

enum side { SRC, DST };

/*
 * One op over nr pages less HEAD at either end, with page k of its source
 * or destination PROT_NONE: -EFAULT at exactly that page; the destination
 * holds the right bytes before it and its old bytes after it.  Split in
 * chunks of @chunk bytes, a later chunk than the fault's may have run too:
 * its bytes are each old or the op's.
 */
static void fault_at(struct __test_metadata *_metadata, struct lpel_ring *ring,
		     long pg, unsigned int nr, size_t chunk, uint8_t opcode,
		     enum side side, unsigned int k)
{
	size_t size = nr * pg, len = size - 2 * HEAD;
	uint8_t *src = map_pages(size, true, 1), *dst = map_pages(size, true, 2);
	uint8_t *ref = malloc(size), *want = malloc(size);
	uint64_t off = hole_off(pg, k), pattern = 0x0123456789abcdefULL;
	struct pel_sqe sqe;
	size_t i;
	char what[64];

	ASSERT_TRUE(src && dst && ref && want);
	memcpy(ref, dst, size);
	memset(&sqe, 0, sizeof(sqe));
	switch (opcode) {
	case PEL_OP_COPY:
		lpel_prep_copy(&sqe, dst + HEAD, src + HEAD, len);
		break;
	case PEL_OP_FILL:
		lpel_prep_fill(&sqe, dst + HEAD, pattern, len);
		break;
	case PEL_OP_CRC32C:
		lpel_prep_crc32c(&sqe, src + HEAD, len, 0);
		break;
	}
	ASSERT_EQ(0, mprotect((side == SRC ? src : dst) + k * pg, pg, PROT_NONE));
	snprintf(what, sizeof(what), "op %u, %s page %u", opcode,
		 side == SRC ? "source" : "destination", k);
	pel_test_expect_op(_metadata, ring, &sqe, -EFAULT, off, what);
	ASSERT_EQ(0, mprotect((side == SRC ? src : dst) + k * pg, pg,
			      PROT_READ | PROT_WRITE));

	/* The destination: the op's bytes before the fault, the old after. */
	memcpy(want, ref, size);
	if (opcode == PEL_OP_COPY)
		memcpy(want + HEAD, src + HEAD, off);
	if (opcode == PEL_OP_FILL)
		for (i = 0; i < off; i++)
			want[HEAD + i] = pattern >> (8 * (i % 8));
	if (opcode == PEL_OP_COPY)
		memcpy(ref + HEAD, src + HEAD, len);
	if (opcode == PEL_OP_FILL)
		for (i = 0; i < len; i++)
			ref[HEAD + i] = pattern >> (8 * (i % 8));
	for (i = 0; i < size; i++) {
		bool later = chunk && i >= HEAD && i < HEAD + len &&
			     (i - HEAD) / chunk > off / chunk;

		if (dst[i] != want[i] && !(later && dst[i] == ref[i]))
			break;
	}
	EXPECT_EQ(size, i) TH_LOG("%s: destination byte %zu (op offset %zd) wrong",
				  what, i, (ssize_t)i - HEAD);
	munmap(src, size);
	munmap(dst, size);
	free(ref);
	free(want);
}

TEST_F_TIMEOUT(pin, fault_at_every_page, 120)
{
	unsigned int k, nr = variant->nr_pages;
	size_t c = variant->chunk;
	long pg = self->pg;

	for (k = 0; k < nr; k++) {
		fault_at(_metadata, &self->ring, pg, nr, c, PEL_OP_COPY, SRC, k);
		fault_at(_metadata, &self->ring, pg, nr, c, PEL_OP_COPY, DST, k);
		fault_at(_metadata, &self->ring, pg, nr, c, PEL_OP_FILL, DST, k);
		fault_at(_metadata, &self->ring, pg, nr, c, PEL_OP_CRC32C, SRC, k);
	}
}

/* Kernel addresses: -EFAULT, nothing done, the user side untouched. */
TEST_F(pin, kernel_address)
{
	size_t size = variant->nr_pages * self->pg;
	uint8_t *buf = map_pages(size, true, 3), *ref = malloc(size);
	void *kaddr = (void *)(uintptr_t)PEL_TEST_KERNEL_ADDR;
	struct pel_sqe sqe;

	ASSERT_TRUE(buf && ref);
	memcpy(ref, buf, size);
	memset(&sqe, 0, sizeof(sqe));
	lpel_prep_copy(&sqe, buf, kaddr, size);
	pel_test_expect_op(_metadata, &self->ring, &sqe, -EFAULT, 0, "copy from kernel");
	lpel_prep_copy(&sqe, kaddr, buf, size);
	pel_test_expect_op(_metadata, &self->ring, &sqe, -EFAULT, 0, "copy to kernel");
	lpel_prep_fill(&sqe, kaddr, 0, size);
	pel_test_expect_op(_metadata, &self->ring, &sqe, -EFAULT, 0, "fill kernel");
	lpel_prep_crc32c(&sqe, kaddr, size, 0);
	pel_test_expect_op(_metadata, &self->ring, &sqe, -EFAULT, 0, "crc32c kernel");
	EXPECT_EQ(0, memcmp(buf, ref, size));
	munmap(buf, size);
	free(ref);
}

/* Fresh mappings, never touched: no page until the slow path faults one. */
TEST_F(pin, not_resident)
{
	size_t size = variant->nr_pages * self->pg, i;
	uint8_t *src = map_pages(size, false, 0), *dst = map_pages(size, false, 0);
	uint8_t *full = map_pages(size, true, 4);
	struct pel_sqe sqe;

	ASSERT_TRUE(src && dst && full);
	memset(&sqe, 0, sizeof(sqe));
	/* Untouched source into untouched destination: zeros. */
	lpel_prep_copy(&sqe, dst + HEAD, src + HEAD, size - 2 * HEAD);
	pel_test_expect_op(_metadata, &self->ring, &sqe, size - 2 * HEAD,
			   size - 2 * HEAD, "copy fresh to fresh");
	EXPECT_EQ(size, pel_test_first_not(dst, 0, size));
	munmap(dst, size);

	/* A touched source into a fresh destination. */
	dst = map_pages(size, false, 0);
	ASSERT_NE(NULL, dst);
	lpel_prep_copy(&sqe, dst, full, size);
	pel_test_expect_op(_metadata, &self->ring, &sqe, size, size,
			   "copy into fresh");
	EXPECT_EQ(0, memcmp(dst, full, size));
	munmap(dst, size);

	dst = map_pages(size, false, 0);
	ASSERT_NE(NULL, dst);
	lpel_prep_fill(&sqe, dst, 0x1122334455667788ULL, size);
	pel_test_expect_op(_metadata, &self->ring, &sqe, size, size, "fill fresh");
	for (i = 0; i < size; i++)
		ASSERT_EQ((uint8_t)(0x1122334455667788ULL >> (8 * (i % 8))), dst[i]);

	munmap(src, size);
	src = map_pages(size, false, 0);
	ASSERT_NE(NULL, src);
	lpel_prep_crc32c(&sqe, src, size, 0);
	memset(full, 0, size);
	pel_test_expect_op(_metadata, &self->ring, &sqe, size,
			   pel_ref_crc32c(0, full, size), "crc32c fresh");
	munmap(src, size);
	munmap(dst, size);
	munmap(full, size);
}

TEST_HARNESS_MAIN
