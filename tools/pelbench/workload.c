// SPDX-License-Identifier: GPL-2.0
/*
 * pelbench: the workloads: their names, each thread's buffers, what an
 * op must have produced (-y), and the file of the file workloads.
 */
#include "pelbench.h"

/* ------------------------------------------------------------------------
 * Configuration
 */
const char *const workload_names[W_NR] = {
	"nop", "copy", "fill", "compare", "crc32c", "copy_crc32c", "xor",
	"sha256", "file_crc32c", "file_copy", "file_sha256",
	"sha256_blocks", "file_sha256_blocks", "file_crc32c_blocks",
};

/* What the single-thread baseline does for each workload. */
const char *const cpu_names[W_NR] = {
	"nothing", "memcpy", "memset", "memcmp", "ISA-L crc32c",
	"memcpy + ISA-L crc32c", "ISA-L xor_gen", "OpenSSL sha256",
	"pread + ISA-L crc32c", "pread", "pread + OpenSSL sha256",
	"OpenSSL sha256/blk", "pread + OpenSSL sha256/blk",
	"pread + ISA-L crc32c/blk",
};

/* ... and the naive reference row (only where it differs). */
const char *const naive_names[W_NR] = {
	[W_CRC32C] = "naive SSE4.2 crc32c loop",
	[W_COPY_CRC32C] = "memcpy + naive SSE4.2 loop",
	[W_XOR] = "naive xor loop",
};

bool w_is_file(enum workload w)
{
	return w == W_FILE_CRC32C || w == W_FILE_COPY || w == W_FILE_SHA256 ||
	       w == W_FILE_SHA256_BLOCKS || w == W_FILE_CRC32C_BLOCKS;
}

/*
 * Per-block digests (PEL_OPF_BLOCKS): an op's range is digested every
 * --block bytes (cfg.block; the last block may be shorter) into an array
 * per slot, 32 bytes a SHA-256, 4 a CRC-32C.
 */
bool w_is_blocks(enum workload w)
{
	return w == W_SHA256_BLOCKS || w == W_FILE_SHA256_BLOCKS ||
	       w == W_FILE_CRC32C_BLOCKS;
}

bool w_is_sha(enum workload w)
{
	return w == W_SHA256 || w == W_FILE_SHA256 || w == W_SHA256_BLOCKS ||
	       w == W_FILE_SHA256_BLOCKS;
}

/* Bytes of one digest of @w's array (or its one digest). */
size_t w_digest_size(enum workload w)
{
	return w == W_FILE_CRC32C_BLOCKS ? sizeof(uint32_t) : PEL_SHA256_DIGEST_SIZE;
}

/* The file workloads' file (-f, -s): pelbench.h. */
const char *file_path;
uint64_t file_total = 256ULL << 20;
int file_fd = -1;
uint64_t file_nranges;
bool file_given_total;		/* -s given */
const char *file_na;		/* -S: why its file could not be made */
const char *file_dir;		/* -S: --file-dir, else $PEL_BENCH_FILE_DIR, else /tmp */

/* ------------------------------------------------------------------------
 * Buffers.  Each submitting thread has its own: one source (and a second
 * for COMPARE, more for XOR), a destination per slot of its depth, and the
 * expected results when verifying.
 */
void *buf_alloc(size_t n)
{
	void *p;

	if (!n)
		n = 1;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void buf_free(void *p, size_t n)
{
	if (p)
		munmap(p, n ? n : 1);
}

/* Pseudo-random bytes: 64 KiB of xorshift, repeated (cheap under TCG). */
void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	size_t first = n < 65536 ? n : 65536, i;
	uint64_t x = seed | 1;

	for (i = 0; i < first; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
	for (i = first; i < n; i += first)
		memcpy(p + i, p, n - i < first ? n - i : first);
}

bool w_has_src(enum workload w)
{
	return w != W_NOP && w != W_FILL && !w_is_file(w);
}

/* File workloads: the buffer each slot's range is pread() (or copied) into. */
bool w_has_dst(enum workload w)
{
	return w == W_COPY || w == W_FILL || w == W_COPY_CRC32C || w == W_XOR ||
	       w_is_file(w);
}

/* pread() all of [off, off + n) unless EOF or an error: bytes read, or -errno. */
int64_t pread_full(int fd, uint8_t *buf, uint64_t n, uint64_t off)
{
	uint64_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, buf + done, n - done, (off_t)(off + done));

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!r)
			break;
		done += (uint64_t)r;
	}
	return (int64_t)done;
}

void wbuf_free(struct wbuf *b)
{
	unsigned int i;

	buf_free(b->src, b->size);
	buf_free(b->src2, b->size);
	for (i = 1; i < PEL_XOR_MAX_SRCS; i++)
		buf_free(b->xsrc[i], b->size);
	buf_free(b->dst, b->dst_bytes);
	buf_free(b->digest, (size_t)b->slots * b->dstride);
	buf_free(b->ref, b->size);
	buf_free(b->xptr, PEL_XOR_MAX_SRCS * sizeof(*b->xptr));
	free(b->foff);
	free(b->flen);
	memset(b, 0, sizeof(*b));
}

int wbuf_init(struct wbuf *b, const struct cfg *c, unsigned int seed)
{
	enum workload w = c->w;
	size_t sz = c->size;
	unsigned int i;

	memset(b, 0, sizeof(*b));
	b->size = c->size;
	b->slots = c->depth;
	if (w_has_src(w)) {
		b->src = buf_alloc(sz);
		if (!b->src)
			goto nomem;
		fill_random(b->src, sz, 0x9e3779b97f4a7c15ULL * (seed + 1));
	}
	if (w == W_COMPARE) {
		b->src2 = buf_alloc(sz);
		if (!b->src2)
			goto nomem;
		memcpy(b->src2, b->src, sz);
	}
	if (w == W_XOR) {
		b->xsrc[0] = b->src;
		for (i = 1; i < c->nsrcs; i++) {
			b->xsrc[i] = buf_alloc(sz);
			if (!b->xsrc[i])
				goto nomem;
			fill_random(b->xsrc[i], sz, 0x2545f4914f6cdd1dULL * (seed + i + 1));
		}
		b->xptr = buf_alloc(PEL_XOR_MAX_SRCS * sizeof(*b->xptr));
		if (!b->xptr)
			goto nomem;
		for (i = 0; i < c->nsrcs; i++)
			b->xptr[i] = b->xsrc[i];
	}
	if (w_has_dst(w)) {
		b->dst_bytes = sz * c->depth;
		b->dst = buf_alloc(b->dst_bytes);
		if (!b->dst)
			goto nomem;
		memset(b->dst, POISON_BYTE, b->dst_bytes);
	}
	if (w_is_sha(w) || w_is_blocks(w)) {
		b->dstride = w_is_blocks(w) ?
			     nr_blocks(sz, c->block) * w_digest_size(w) :
			     PEL_SHA256_DIGEST_SIZE;
		b->digest = buf_alloc((size_t)c->depth * b->dstride);
		if (!b->digest)
			goto nomem;
	}
	if (w_is_file(w)) {
		b->foff = calloc(c->depth, sizeof(*b->foff));
		b->flen = calloc(c->depth, sizeof(*b->flen));
		if (!b->foff || !b->flen)
			goto nomem;
	}
	if (!c->verify)
		return 0;
	/* File workloads: -y reads each range again into ref, and checks. */
	if (w_is_file(w)) {
		b->ref = buf_alloc(sz);
		if (!b->ref)
			goto nomem;
		return 0;
	}
	/* The expected results, computed once. */
	if (w == W_SHA256_BLOCKS) {
		/* ref holds the digests (fewer bytes than the source). */
		b->ref = buf_alloc(sz);
		if (!b->ref)
			goto nomem;
		digest_blocks(w, b->src, sz, c->block, b->ref);
	}
	if (w == W_CRC32C || w == W_COPY_CRC32C)
		b->crc_ref = crc32c(0, b->src, sz);
	if (w == W_SHA256)
		SHA256(b->src, sz, b->sha_ref);
	if (w == W_XOR) {
		b->ref = buf_alloc(sz);
		if (!b->ref)
			goto nomem;
		xor_naive(b->ref, b->xsrc, c->nsrcs, 0, sz);
	}
	return 0;
nomem:
	wbuf_free(b);
	return -ENOMEM;
}

uint8_t *slot_dst(const struct wbuf *b, unsigned int slot)
{
	return b->dst + (size_t)slot * b->size;
}

uint8_t *slot_digest(const struct wbuf *b, unsigned int slot)
{
	return b->digest + (size_t)slot * b->dstride;
}

/* -y: make each op's output visibly stale before it runs. */
void poison(const struct cfg *c, const struct wbuf *b, unsigned int slot)
{
	if (w_has_dst(c->w))
		memset(slot_dst(b, slot), POISON_BYTE, b->size);
	if (b->digest)
		memset(slot_digest(b, slot), 0, b->dstride);
}

/* The bytes of @slot's op: the op size, or the slot's file range. */
uint64_t op_len(const struct cfg *c, const struct wbuf *b,
		unsigned int slot)
{
	return w_is_file(c->w) ? b->flen[slot] : c->size;
}

/* File workloads: pread() bytes [off, off + n) of @slot's range; 0 or set r->err. */
uint8_t *file_range(const struct wbuf *b, unsigned int slot,
		    uint64_t off, uint64_t n, struct rres *r)
{
	uint8_t *p = slot_dst(b, slot) + off;
	int64_t got = pread_full(file_fd, p, n, b->foff[slot] + off);

	if (got < 0)
		r->err = got;
	else if ((uint64_t)got != n)
		r->err = -ENODATA;	/* the file shrank under us */
	return p;
}

static bool all_bytes(const uint8_t *p, size_t n, uint8_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/*
 * A failure: the op did not succeed as it should (res).  A miscompare
 * (only with -y): it said it did, but the data or the result is wrong.
 */
enum check check_op(const struct cfg *c, const struct wbuf *b,
		    unsigned int slot, int64_t res, uint64_t result)
{
	int64_t want = (c->w == W_NOP || c->w == W_COMPARE) ? 0 :
		       (int64_t)op_len(c, b, slot);

	if (res != want)
		return CHECK_FAILED;
	if (!c->verify)
		return CHECK_OK;
	if (w_is_blocks(c->w)) {
		uint64_t n = op_len(c, b, slot), i, k;
		size_t dsz = w_digest_size(c->w);
		uint8_t md[PEL_SHA256_DIGEST_SIZE];

		if (result != nr_blocks(n, c->block))
			return CHECK_MISCOMPARE;
		if (c->w == W_SHA256_BLOCKS)
			return memcmp(slot_digest(b, slot), b->ref, b->dstride) ?
			       CHECK_MISCOMPARE : CHECK_OK;
		/* Each block read again here, and digested with the libraries. */
		for (i = 0, k = 0; i < n; i += c->block, k++) {
			uint64_t len = n - i < c->block ? n - i : c->block;

			if (pread_full(file_fd, b->ref, len, b->foff[slot] + i) != (int64_t)len)
				return CHECK_MISCOMPARE;
			digest_blocks(c->w, b->ref, len, c->block, md);
			if (memcmp(slot_digest(b, slot) + k * dsz, md, dsz))
				return CHECK_MISCOMPARE;
		}
		return CHECK_OK;
	}
	if (w_is_file(c->w)) {
		uint64_t n = b->flen[slot];
		uint8_t md[PEL_SHA256_DIGEST_SIZE];

		/* The range again, read here: what the op must have seen. */
		if (pread_full(file_fd, b->ref, n, b->foff[slot]) != (int64_t)n)
			return CHECK_MISCOMPARE;
		switch (c->w) {
		case W_FILE_CRC32C:
			return result == crc32c(0, b->ref, n) ?
			       CHECK_OK : CHECK_MISCOMPARE;
		case W_FILE_COPY:
			return memcmp(slot_dst(b, slot), b->ref, n) ?
			       CHECK_MISCOMPARE : CHECK_OK;
		default:
			SHA256(b->ref, n, md);
			return memcmp(slot_digest(b, slot), md, sizeof(md)) ?
			       CHECK_MISCOMPARE : CHECK_OK;
		}
	}
	switch (c->w) {
	case W_COPY:
		return memcmp(slot_dst(b, slot), b->src, b->size) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	case W_FILL:
		return all_bytes(slot_dst(b, slot), b->size, FILL_BYTE) ?
		       CHECK_OK : CHECK_MISCOMPARE;
	case W_COMPARE:
		return result ? CHECK_MISCOMPARE : CHECK_OK;
	case W_CRC32C:
		return result == b->crc_ref ? CHECK_OK : CHECK_MISCOMPARE;
	case W_COPY_CRC32C:
		if (result != b->crc_ref)
			return CHECK_MISCOMPARE;
		return memcmp(slot_dst(b, slot), b->src, b->size) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	case W_XOR:
		return memcmp(slot_dst(b, slot), b->ref, b->size) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	case W_SHA256:
		return memcmp(slot_digest(b, slot), b->sha_ref,
			      PEL_SHA256_DIGEST_SIZE) ?
		       CHECK_MISCOMPARE : CHECK_OK;
	default:
		return CHECK_OK;
	}
}

#define DROP_CACHES_PATH	"/proc/sys/vm/drop_caches"
#define TMPFS_MAGIC_		0x01021994
#define RAMFS_MAGIC_		0x858458f6

/* Why the file workloads' file cannot be read cold here, or NULL. */
const char *cold_na(void)
{
	static char buf[200];
	struct statfs sf;
	int fd = open(DROP_CACHES_PATH, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return "cannot drop caches (not root or no " DROP_CACHES_PATH ")";
	close(fd);
	if (file_fd >= 0 && !fstatfs(file_fd, &sf) &&
	    (sf.f_type == TMPFS_MAGIC_ || sf.f_type == RAMFS_MAGIC_)) {
		snprintf(buf, sizeof(buf),
			 "cannot drop caches: %s is on tmpfs/ramfs, whose pages are the file (put it on a disk)",
			 file_path ? file_path : "the file");
		return buf;
	}
	return NULL;
}

/* Drop the clean page cache, dentries and inodes (echo 3): 0 or -errno. */
int drop_caches(void)
{
	int fd = open(DROP_CACHES_PATH, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "3", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * The file workloads' file: opened (made, or extended to @total bytes of
 * pseudo-random data, a different seed per MiB), then read once so that
 * every engine finds it in the page cache.  0, or 1 with a message.
 */
int file_open(const char *path, uint64_t total, bool quiet)
{
	const size_t chunk = 1 << 20;
	struct stat st;
	uint8_t *buf;
	uint64_t off, have = 0;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == EISDIR))
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "%s: -f %s: cannot open: %s\n", prog, path, strerror(errno));
		return 1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "%s: -f %s: not a regular file\n", prog, path);
		close(fd);
		return 1;
	}
	have = (uint64_t)st.st_size;
	buf = buf_alloc(chunk);
	if (!buf) {
		fprintf(stderr, "%s: -f %s: out of memory\n", prog, path);
		close(fd);
		return 1;
	}
	if (have < total) {
		if (!quiet)
			printf("%s: -f %s: %s, writing %" PRIu64 " MiB of pseudo-random bytes up to -s %" PRIu64 " bytes\n",
			       prog, path, have ? "shorter than -s" : "new",
			       (total - have + (1 << 20) - 1) >> 20, total);
		for (off = have; off < total && !err; ) {
			uint64_t n = total - off < chunk ? total - off : chunk;
			ssize_t w;

			fill_random(buf, n, 0x9e3779b97f4a7c15ULL * (off / chunk + 1) ^ off);
			w = pwrite(fd, buf, n, (off_t)off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				err = w < 0 ? errno : ENOSPC;
			else
				off += (uint64_t)w;
		}
		if (err) {
			fprintf(stderr, "%s: -f %s: cannot write it to %" PRIu64 " bytes: %s\n",
				prog, path, total, strerror(err));
			goto fail;
		}
	}
	/* Read once: into the page cache for every engine alike. */
	for (off = 0; off < total; off += chunk) {
		uint64_t n = total - off < chunk ? total - off : chunk;
		int64_t got = pread_full(fd, buf, n, off);

		if (got != (int64_t)n) {
			fprintf(stderr, "%s: -f %s: read at %" PRIu64 ": %s\n", prog, path,
				off, got < 0 ? strerror((int)-got) : "short read");
			goto fail;
		}
	}
	buf_free(buf, chunk);
	file_fd = fd;
	return 0;
fail:
	buf_free(buf, chunk);
	close(fd);
	return 1;
}

