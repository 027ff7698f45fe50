/* SPDX-License-Identifier: GPL-2.0 */
/*
 * References: what the best userspace code says an op's result is.  CRC-32C
 * from ISA-L, SHA-256 from OpenSSL's libcrypto (both also what liblpel's
 * user backend runs on).  crc32c_test.c and sha256_test.c check these
 * against published known answers, so a wrong reference cannot pass.
 * Included by pel_test.h, and by the TAP unit tests that do not use the
 * kselftest harness.
 */
#ifndef PEL_REF_H
#define PEL_REF_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <isa-l/crc.h>
#include <openssl/sha.h>

/*
 * The CRC-32C (Castagnoli, reflected 0x82f63b78, pre- and post-inverted:
 * "123456789" gives 0xe3069283) of buf, continued from seed: 0 for a new
 * CRC, or the result for the bytes before buf.  ISA-L's crc32_iscsi() does
 * neither inversion, and takes an int length.
 */
static inline uint32_t pel_ref_crc32c(uint32_t seed, const void *buf,
				      size_t len)
{
	const unsigned char *p = buf;
	uint32_t crc = ~seed;

	while (len) {
		int n = len > (size_t)INT_MAX ? 1 << 30 : (int)len;

		crc = crc32_iscsi((unsigned char *)p, n, crc);
		p += n;
		len -= (size_t)n;
	}
	return ~crc;
}

/* The SHA-256 digest of len bytes at buf. */
static inline void pel_ref_sha256(const void *buf, size_t len,
				  uint8_t out[SHA256_DIGEST_LENGTH])
{
	SHA256(buf, len, out);
}

#endif /* PEL_REF_H */
