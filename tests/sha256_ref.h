/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * A small SHA-256 for the PEL selftests, written from FIPS 180-2 (sections
 * 4.1.2, 4.2.2, 5.1.1, 5.3.2 and 6.2), independent of the kernel's
 * lib/crypto: PEL_OP_SHA256 is checked against it.  Plain and unoptimised
 * on purpose: clarity over speed.
 */
#ifndef SHA256_REF_H
#define SHA256_REF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SHA256_REF_DIGEST_SIZE	32
#define SHA256_REF_BLOCK_SIZE	64

struct sha256_ref {
	uint32_t h[8];			/* H(i), the intermediate hash value */
	uint64_t bytes;			/* message bytes seen so far */
	uint8_t block[SHA256_REF_BLOCK_SIZE];	/* a partial block */
	size_t fill;			/* bytes in block[] */
};

/*
 * 4.2.2: the first 32 bits of the fractional parts of the cube roots of
 * the first 64 primes.
 */
static const uint32_t sha256_ref_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5,
	0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
	0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3,
	0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5,
	0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t sha256_ref_rotr(uint32_t x, unsigned int n)
{
	return (x >> n) | (x << (32 - n));
}

/* 4.1.2 */
#define SHA256_REF_CH(x, y, z)	(((x) & (y)) ^ (~(x) & (z)))
#define SHA256_REF_MAJ(x, y, z)	(((x) & (y)) ^ ((x) & (z)) ^ ((y) & (z)))
#define SHA256_REF_BSIG0(x)	(sha256_ref_rotr(x, 2) ^ sha256_ref_rotr(x, 13) ^ sha256_ref_rotr(x, 22))
#define SHA256_REF_BSIG1(x)	(sha256_ref_rotr(x, 6) ^ sha256_ref_rotr(x, 11) ^ sha256_ref_rotr(x, 25))
#define SHA256_REF_SSIG0(x)	(sha256_ref_rotr(x, 7) ^ sha256_ref_rotr(x, 18) ^ ((x) >> 3))
#define SHA256_REF_SSIG1(x)	(sha256_ref_rotr(x, 17) ^ sha256_ref_rotr(x, 19) ^ ((x) >> 10))

/* 6.2.2: process one 512-bit block M(i). */
static inline void sha256_ref_block(uint32_t h[8], const uint8_t *m)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int t;

	for (t = 0; t < 16; t++)
		w[t] = (uint32_t)m[4 * t] << 24 | (uint32_t)m[4 * t + 1] << 16 |
		       (uint32_t)m[4 * t + 2] << 8 | (uint32_t)m[4 * t + 3];
	for (t = 16; t < 64; t++)
		w[t] = SHA256_REF_SSIG1(w[t - 2]) + w[t - 7] +
		       SHA256_REF_SSIG0(w[t - 15]) + w[t - 16];

	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (t = 0; t < 64; t++) {
		t1 = hh + SHA256_REF_BSIG1(e) + SHA256_REF_CH(e, f, g) +
		     sha256_ref_k[t] + w[t];
		t2 = SHA256_REF_BSIG0(a) + SHA256_REF_MAJ(a, b, c);
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* 5.3.2: H(0), the fractional parts of the square roots of the first 8 primes. */
static inline void sha256_ref_init(struct sha256_ref *s)
{
	static const uint32_t h0[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, h0, sizeof(h0));
	s->bytes = 0;
	s->fill = 0;
}

static inline void sha256_ref_update(struct sha256_ref *s, const void *data,
				     size_t len)
{
	const uint8_t *p = data;

	s->bytes += len;
	while (len) {
		size_t n = SHA256_REF_BLOCK_SIZE - s->fill;

		if (n > len)
			n = len;
		memcpy(s->block + s->fill, p, n);
		s->fill += n;
		p += n;
		len -= n;
		if (s->fill == SHA256_REF_BLOCK_SIZE) {
			sha256_ref_block(s->h, s->block);
			s->fill = 0;
		}
	}
}

/*
 * 5.1.1: append the bit "1", then k zero bits so the length is 448 mod
 * 512, then the message length in bits as a 64-bit big-endian number.
 */
static inline void sha256_ref_final(struct sha256_ref *s,
				    uint8_t out[SHA256_REF_DIGEST_SIZE])
{
	uint64_t bits = s->bytes * 8;
	int i;

	s->block[s->fill++] = 0x80;
	if (s->fill > 56) {
		memset(s->block + s->fill, 0, SHA256_REF_BLOCK_SIZE - s->fill);
		sha256_ref_block(s->h, s->block);
		s->fill = 0;
	}
	memset(s->block + s->fill, 0, 56 - s->fill);
	for (i = 0; i < 8; i++)
		s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_ref_block(s->h, s->block);

	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

/* One-shot digest of len bytes. */
static inline void sha256_ref(const void *data, size_t len,
			      uint8_t out[SHA256_REF_DIGEST_SIZE])
{
	struct sha256_ref s;

	sha256_ref_init(&s);
	sha256_ref_update(&s, data, len);
	sha256_ref_final(&s, out);
}

#endif /* SHA256_REF_H */
