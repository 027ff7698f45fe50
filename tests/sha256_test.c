// SPDX-License-Identifier: GPL-2.0
/*
 * SHA256: the FIPS 180-2 test vectors, then random data of every length
 * and alignment against OpenSSL's SHA-256 (pel_ref_sha256(), checked here
 * against the same vectors first).
 * Exactly 32 bytes are written at the digest address, only once the whole
 * source was read; source faults give -EFAULT with the bytes hashed before
 * the fault and no digest; malformed SQEs give -EINVAL.
 */
#define PEL_TEST_USER_DATA_TAG	0x5a25000000000000ULL
#include <openssl/evp.h>

#include "pel_test.h"
#include "kselftest_harness.h"

#define GUARD 64
#define DIGEST PEL_SHA256_DIGEST_SIZE
/* The kernel reads the source in chunks of this many bytes. */
#define CHUNK (64 * 1024)

PEL_TEST_RING_FIXTURE(32)

static void to_hex(char *out, const uint8_t *d)
{
	int i;

	for (i = 0; i < DIGEST; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void from_hex(uint8_t *d, const char *hex)
{
	int i;

	for (i = 0; i < DIGEST; i++) {
		unsigned int v;

		sscanf(hex + 2 * i, "%2x", &v);
		d[i] = (uint8_t)v;
	}
}

/* A success has res = len and no result; a digest fault still hashed len. */
static void expect_sha(struct __test_metadata *_metadata, struct lpel_ring *ring,
		       void *digest, const void *src, uint64_t len, int res,
		       uint64_t result, const char *what)
{
	struct pel_sqe s;

	lpel_prep_sha256(&s, digest, src, len);
	pel_test_expect_op(_metadata, ring, &s, res, result, what);
}

/*
 * The kernel's digest of len bytes at src into a guarded 32 bytes at
 * digest offset doff; compared with want, the guards must stay.
 */
static void check_digest(struct __test_metadata *_metadata,
			 struct lpel_ring *ring, const void *src, size_t len,
			 size_t doff, const uint8_t *want, const char *what)
{
	uint8_t out[GUARD + DIGEST + GUARD + 8], *d = out + GUARD + doff;
	char got_hex[2 * DIGEST + 1], want_hex[2 * DIGEST + 1];

	memset(out, 0xa5, sizeof(out));
	expect_sha(_metadata, ring, d, src, len, (int)len, 0, what);
	to_hex(got_hex, d);
	to_hex(want_hex, want);
	ASSERT_EQ(0, memcmp(d, want, DIGEST))
		TH_LOG("%s: digest %s, want %s", what, got_hex, want_hex);
	ASSERT_EQ(GUARD + doff, pel_test_first_not(out, 0xa5, GUARD + doff))
		TH_LOG("%s: written before the digest", what);
	ASSERT_EQ(sizeof(out) - GUARD - doff - DIGEST,
		  pel_test_first_not(d + DIGEST, 0xa5, sizeof(out) - GUARD - doff - DIGEST))
		TH_LOG("%s: written after the digest", what);
}

static const struct {
	const char *msg;
	const char *hex;
} fips[] = {
	{ "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

#define MILLION_A_HEX \
	"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

/* The reference itself must give the published digests. */
TEST(reference_self_test)
{
	uint8_t want[DIGEST], got[DIGEST], *a = malloc(1000000);
	char hex[2 * DIGEST + 1];
	EVP_MD_CTX *s = EVP_MD_CTX_new();
	unsigned int i, n;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, s);
	for (i = 0; i < ARRAY_SIZE(fips); i++) {
		from_hex(want, fips[i].hex);
		pel_ref_sha256(fips[i].msg, strlen(fips[i].msg), got);
		to_hex(hex, got);
		ASSERT_EQ(0, memcmp(want, got, DIGEST))
			TH_LOG("reference of \"%s\": %s", fips[i].msg, hex);
	}
	memset(a, 'a', 1000000);
	from_hex(want, MILLION_A_HEX);
	pel_ref_sha256(a, 1000000, got);
	ASSERT_EQ(0, memcmp(want, got, DIGEST)) TH_LOG("reference of a million 'a'");
	/* Fed in odd pieces (OpenSSL's EVP interface), the same digest. */
	ASSERT_EQ(1, EVP_DigestInit_ex(s, EVP_sha256(), NULL));
	for (i = 0; i < 1000000; i += 997)
		ASSERT_EQ(1, EVP_DigestUpdate(s, a + i, 1000000 - i < 997 ? 1000000 - i : 997));
	ASSERT_EQ(1, EVP_DigestFinal_ex(s, got, &n));
	ASSERT_EQ(DIGEST, n);
	ASSERT_EQ(0, memcmp(want, got, DIGEST)) TH_LOG("reference in pieces");
	EVP_MD_CTX_free(s);
	free(a);
}

TEST_F(ring, fips_180_2_vectors)
{
	static const size_t offs[] = { 0, 1, 3, 7 };
	uint8_t want[DIGEST], *buf = malloc(1000000 + 8);
	unsigned int i, j;
	char what[96];

	ASSERT_NE(NULL, buf);
	for (i = 0; i < ARRAY_SIZE(fips); i++) {
		size_t len = strlen(fips[i].msg);

		from_hex(want, fips[i].hex);
		for (j = 0; j < ARRAY_SIZE(offs); j++) {
			memset(buf, 0xcc, 256);
			memcpy(buf + offs[j], fips[i].msg, len);
			snprintf(what, sizeof(what), "FIPS \"%.12s...\" (%zu bytes) at +%zu",
				 fips[i].msg, len, offs[j]);
			check_digest(_metadata, &self->ring, buf + offs[j], len,
				     offs[j], want, what);
		}
	}
	memset(buf, 'a', 1000000 + 8);
	from_hex(want, MILLION_A_HEX);
	check_digest(_metadata, &self->ring, buf, 1000000, 0, want,
		     "FIPS one million 'a'");
	check_digest(_metadata, &self->ring, buf + 3, 1000000, 5, want,
		     "FIPS one million 'a' at +3");
	free(buf);
}

/* Random data at len bytes, source at soff, digest at doff, vs the reference. */
static void check_random(struct __test_metadata *_metadata,
			 struct lpel_ring *ring, size_t len, size_t soff,
			 size_t doff)
{
	uint8_t *buf = malloc(len + 16), *snap = malloc(len + 16);
	uint8_t want[DIGEST];
	char what[96];

	ASSERT_TRUE(buf && snap);
	pel_test_fill_random(buf, len + 16, len * 7 + soff);
	memcpy(snap, buf, len + 16);
	pel_ref_sha256(buf + soff, len, want);
	snprintf(what, sizeof(what), "len %zu src+%zu digest+%zu", len, soff, doff);
	check_digest(_metadata, ring, buf + soff, len, doff, want, what);
	ASSERT_EQ(0, memcmp(buf, snap, len + 16)) TH_LOG("%s: source changed", what);
	free(buf);
	free(snap);
}

TEST_F(ring, lengths)
{
	static const size_t lens[] = {
		0, 1, 3, 7, 8, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128,
		4095, 4096, 4097, CHUNK - 1, CHUNK, CHUNK + 1, 100003,
		1 << 20, (1 << 20) + 3,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(lens); i++)
		check_random(_metadata, &self->ring, lens[i], 0, 0);
}

TEST_F(ring, misaligned)
{
	static const size_t soffs[] = { 1, 3, 7 };
	static const size_t doffs[] = { 0, 1, 3, 7 };
	static const size_t lens[] = { 1, 7, 8, 55, 63, 64, 65, 4095, 4097, CHUNK + 1, 100003 };
	unsigned int i, j, k;

	for (i = 0; i < ARRAY_SIZE(soffs); i++)
		for (j = 0; j < ARRAY_SIZE(doffs); j++)
			for (k = 0; k < ARRAY_SIZE(lens); k++)
				check_random(_metadata, &self->ring, lens[k],
					     soffs[i], doffs[j]);
	check_random(_metadata, &self->ring, (1 << 20) + 3, 7, 3);
	/* The digest unaligned and aligned, the source aligned. */
	check_random(_metadata, &self->ring, 4097, 0, 5);
}

/* The digest may overwrite its own source: it is written last. */
TEST_F(ring, digest_over_source)
{
	const size_t len = 100003;
	uint8_t *buf = malloc(len), want[DIGEST];

	ASSERT_NE(NULL, buf);
	pel_test_fill_random(buf, len, 8);
	pel_ref_sha256(buf, len, want);
	expect_sha(_metadata, &self->ring, buf, buf, len, len, 0,
		   "digest at the start of the source");
	ASSERT_EQ(0, memcmp(buf, want, DIGEST));
	pel_test_fill_random(buf, len, 9);
	pel_ref_sha256(buf, len, want);
	expect_sha(_metadata, &self->ring, buf + len - DIGEST, buf, len, len, 0,
		   "digest at the end of the source");
	ASSERT_EQ(0, memcmp(buf + len - DIGEST, want, DIGEST));
	free(buf);
}

/*
 * Source faults: 8 pages with an inaccessible one at page 0, 4 or 7.
 * -EFAULT with the bytes hashed before the fault; the digest untouched.
 */
TEST_F(ring, source_faults)
{
	static const unsigned int holes[] = { 0, 4, 7 };
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 8 * pg;
	uint8_t d[DIGEST + 2 * GUARD], want[DIGEST];
	unsigned int i;
	char what[96];

	for (i = 0; i < ARRAY_SIZE(holes); i++) {
		size_t h = holes[i] * pg;
		uint8_t *hb = pel_test_holey_buffer(len, h);

		ASSERT_NE(NULL, hb);
		if (h)
			pel_test_fill_random(hb, h, i);
		memset(d, 0xa5, sizeof(d));
		snprintf(what, sizeof(what), "hole at %zu", h);
		expect_sha(_metadata, &self->ring, d + GUARD, hb, len, -EFAULT, h, what);
		ASSERT_EQ(sizeof(d), pel_test_first_not(d, 0xa5, sizeof(d)))
			TH_LOG("%s: digest written", what);

		snprintf(what, sizeof(what), "hole at %zu, source +3", h);
		expect_sha(_metadata, &self->ring, d + GUARD + 1, hb + 3, len - 3,
			   -EFAULT, h ? h - 3 : 0, what);
		ASSERT_EQ(sizeof(d), pel_test_first_not(d, 0xa5, sizeof(d)))
			TH_LOG("%s: digest written", what);

		/* Up to the hole: a whole digest. */
		pel_ref_sha256(hb, h, want);
		snprintf(what, sizeof(what), "up to the hole at %zu", h);
		check_digest(_metadata, &self->ring, hb, h, 0, want, what);
		munmap(hb, len);
	}
}

/* A fault in a later chunk, and len = PEL_MAX_OP_LEN running into a hole. */
TEST_F(ring, fault_in_a_later_chunk_and_max_len)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = 24 * pg, h = 20 * pg;
	uint8_t *hb = pel_test_holey_buffer(len, h), d[DIGEST];

	ASSERT_NE(NULL, hb);
	pel_test_fill_random(hb, h, 11);
	memset(d, 0xa5, sizeof(d));
	expect_sha(_metadata, &self->ring, d, hb, len, -EFAULT, h, "hole at page 20");
	ASSERT_EQ(sizeof(d), pel_test_first_not(d, 0xa5, sizeof(d)));
	expect_sha(_metadata, &self->ring, d, hb + 1, len - 1, -EFAULT, h - 1,
		   "hole at page 20, source +1");
	ASSERT_EQ(sizeof(d), pel_test_first_not(d, 0xa5, sizeof(d)));
	expect_sha(_metadata, &self->ring, d, hb, PEL_MAX_OP_LEN, -EFAULT, h,
		   "max len");
	ASSERT_EQ(sizeof(d), pel_test_first_not(d, 0xa5, sizeof(d)));
	munmap(hb, len);
}

TEST_F(ring, bad_source)
{
	long pg = sysconf(_SC_PAGESIZE);
	const void *k = (const void *)PEL_TEST_KERNEL_ADDR;
	uint8_t *hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t d[DIGEST], empty[DIGEST];

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, pel_test_make_hole(hole, pg));
	memset(d, 0xa5, sizeof(d));
	expect_sha(_metadata, &self->ring, d, k, 256, -EFAULT, 0, "kernel source");
	expect_sha(_metadata, &self->ring, d, hole, 256, -EFAULT, 0, "unmapped source");
	expect_sha(_metadata, &self->ring, d, NULL, 1, -EFAULT, 0, "NULL source");
	ASSERT_EQ(sizeof(d), pel_test_first_not(d, 0xa5, sizeof(d)));
	/* len 0 reads nothing: the digest of the empty message. */
	from_hex(empty, fips[1].hex);
	check_digest(_metadata, &self->ring, NULL, 0, 0, empty, "NULL source, len 0");
	check_digest(_metadata, &self->ring, k, 0, 3, empty, "kernel source, len 0");
}

/* The digest cannot be written: -EFAULT, after hashing all of the source. */
TEST_F(ring, bad_digest)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *k = (void *)PEL_TEST_KERNEL_ADDR;
	uint8_t *hole = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *hb = pel_test_holey_buffer(2 * pg, pg);
	uint8_t src[1000];

	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(NULL, hb);
	ASSERT_EQ(0, pel_test_make_hole(hole, pg));
	pel_test_fill_random(src, sizeof(src), 1);

	expect_sha(_metadata, &self->ring, k, src, sizeof(src), -EFAULT,
		   sizeof(src), "kernel digest");
	expect_sha(_metadata, &self->ring, hole, src, sizeof(src), -EFAULT,
		   sizeof(src), "unmapped digest");
	expect_sha(_metadata, &self->ring, NULL, src, sizeof(src), -EFAULT,
		   sizeof(src), "NULL digest");
	expect_sha(_metadata, &self->ring, ro, src, sizeof(src), -EFAULT,
		   sizeof(src), "read-only digest");
	ASSERT_EQ(pg, pel_test_first_not(ro, 0, pg));
	/* Half of it in an inaccessible page. */
	expect_sha(_metadata, &self->ring, hb + pg - DIGEST / 2, src, sizeof(src),
		   -EFAULT, sizeof(src), "digest runs into PROT_NONE");
	expect_sha(_metadata, &self->ring, NULL, NULL, 0, -EFAULT, 0,
		   "NULL digest, len 0");
	/* Both bad: the source fault comes first. */
	expect_sha(_metadata, &self->ring, k, k, 64, -EFAULT, 0,
		   "kernel digest and source");
	munmap(ro, pg);
	munmap(hb, 2 * pg);
}

TEST_F(ring, invalid)
{
	uint8_t src[64], d[DIGEST];
	struct pel_sqe base, s;

	memset(src, 0x61, sizeof(src));
	memset(d, 0xa5, sizeof(d));
	lpel_prep_sha256(&base, d, src, sizeof(src));
	pel_test_expect_op(_metadata, &self->ring, &base, 64, 0, "base");
	memset(d, 0xa5, sizeof(d));
#define BAD(stmt, name) do { s = base; stmt; \
	pel_test_expect_op(_metadata, &self->ring, &s, -EINVAL, 0, name); } while (0)
	BAD(s.arg0 = 1, "arg0 (unused)");
	BAD(s.arg0 = 1ULL << 63, "arg0 bit 63 (unused)");
	BAD(s.op_flags = 1, "op_flags");
	BAD(s.arg1 = 1, "arg1");
	BAD(s.file_index = 1, "file_index without PEL_SQE_FILE");
	BAD(s.flags = 1 << 5, "flag bit 5");
	BAD(s.flags = 0x80, "flag bit 7");
	BAD(s.deadline_ns = 1, "deadline without the flag");
	BAD(s.len = PEL_MAX_OP_LEN + 1, "len max + 1");
	BAD(s.len = 1ULL << 32, "len 2^32");
	BAD(s.len = ~0ULL, "len ~0");
	BAD(s.addr2 = ~0ULL - 4, "source wraps");
	BAD(s.addr = ~0ULL - 16, "digest wraps");
	BAD((s.addr = ~0ULL - 16, s.len = 0, s.addr2 = 0), "digest wraps, len 0");
	BAD(s.addr = ~0ULL, "digest at ~0");
#undef BAD
	ASSERT_EQ(sizeof(d), pel_test_first_not(d, 0xa5, sizeof(d)));
}

/* Many in flight on every queue: each digest is its own source's. */
TEST_F(ring, batch_over_queues)
{
	enum { NR = 32 };
	uint8_t *src = malloc(NR * 40000), d[NR][DIGEST], want[DIGEST];
	uint8_t seen[NR] = { 0 };
	unsigned int i, got;
	struct pel_cqe *cqe;

	ASSERT_NE(NULL, src);
	pel_test_fill_random(src, NR * 40000, 12);
	memset(d, 0, sizeof(d));
	for (i = 0; i < NR; i++) {
		struct pel_sqe *sqe = lpel_get_sqe_on(&self->ring,
						      i % self->ring.nr_queues);

		ASSERT_NE(NULL, sqe);
		/* Lengths 0, 1237, ...: short and long ones mixed. */
		lpel_prep_sha256(sqe, d[i], src + i * 40000, (i * 1237) % 40000);
		lpel_sqe_set_data(sqe, i);
	}
	ASSERT_EQ(NR, lpel_submit(&self->ring));
	for (got = 0; got < NR; got++) {
		ASSERT_EQ(0, lpel_wait_cqe_timeout(&self->ring, &cqe, 20000000000ULL));
		i = cqe->user_data;
		ASSERT_GT(NR, i);
		EXPECT_EQ(0, seen[i]);
		seen[i] = 1;
		EXPECT_EQ((int)((i * 1237) % 40000), cqe->res) TH_LOG("batch op %u", i);
		EXPECT_EQ(0, cqe->result) TH_LOG("batch op %u", i);
		lpel_cqe_seen(&self->ring, cqe);
	}
	for (i = 0; i < NR; i++) {
		pel_ref_sha256(src + i * 40000, (i * 1237) % 40000, want);
		ASSERT_EQ(0, memcmp(d[i], want, DIGEST)) TH_LOG("batch op %u", i);
	}
	free(src);
}

TEST_HARNESS_MAIN
