// SPDX-License-Identifier: MIT
/*
 * mpi_crc32c: the CRC-32C of a file, one shard per MPI rank, each shard
 * checksummed by PEL on the rank's own node, the shards' CRCs joined
 * exactly by an MPI reduction (Documentation/scaling.md).
 *
 * Rank r of n takes the bytes [r * size / n, (r + 1) * size / n) of FILE
 * (the same path on every node: a shared filesystem, or a copy on each).
 * It sets up one PEL context (LPEL_BACKEND_AUTO: pel.ko where it is loaded,
 * liblpel's user backend where it is not, or what $LPEL_BACKEND says when
 * it is set; rank 0 lists each rank's), registers
 * the file when the backend can read registered files (PEL_SQE_FILE: the
 * ops read the page cache in place) and otherwise pread()s each chunk into
 * memory, and keeps DEPTH ops of CHUNK bytes in flight over every queue.
 * The chunks' CRCs are folded in file order with lpel_crc32c_combine().
 *
 * Each rank then holds (crc, len) of its shard.  MPI_Reduce joins the
 * pairs in rank order with a user-defined, non-commutative MPI_Op: for a
 * shard A below a shard B, (crc, len) = (combine(crcA, crcB, lenB),
 * lenA + lenB).  CRC-32C is linear, so this is exact: the same 32 bits as
 * one pass over the whole file.  Rank 0 prints it:
 *
 *	mpi_crc32c: FILE: SIZE bytes, N ranks: crc32c 0xXXXXXXXX
 *
 * --verify: rank 0 also reads the whole file itself, checksums it with
 * ISA-L's crc32_iscsi(), prints both and exits 1 if they differ.
 *
 *   mpirun -np 4 mpi_crc32c [--verify] [--chunk KIB] [--depth N] FILE
 *
 * CHUNK defaults to 1024 KiB, DEPTH to 8.  Exit status: 0 when every rank
 * succeeded (and, with --verify, the CRCs agree), 1 on a failure, 2 on a
 * bad argument.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <isa-l/crc.h>
#include <mpi.h>

#include <lpel.h>

#define PROG		"mpi_crc32c"
#define DEF_CHUNK_KIB	1024
#define DEF_DEPTH	8
#define MAX_DEPTH	256

/* What a rank contributes to the reduction: its shard's CRC and length. */
struct crc_pair {
	uint32_t crc;
	uint64_t len;
};

/* One chunk in flight: slot chunk % depth. */
struct slot {
	uint64_t chunk;		/* its index in the shard */
	uint32_t crc;
	bool done;
	unsigned char *buf;	/* without registered files: the pread() copy */
};

struct shard {
	struct lpel_ring ring;
	int fd;
	bool file;		/* registered as file 0: ops read it in place */
	uint64_t off, len;	/* of the file */
	uint64_t chunk;
	unsigned int depth;
	uint64_t nr_chunks;
	struct slot *slots;
	uint32_t crc;		/* the chunks folded so far */
	uint64_t folded;	/* chunks folded */
};

static int rank;

static void die_usage(const char *why, const char *arg)
{
	if (rank == 0) {
		if (why)
			fprintf(stderr, PROG ": %s%s%s%s\n", why,
				arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
		fprintf(stderr, "usage: mpirun -np N " PROG
			" [--verify] [--chunk KIB] [--depth N] FILE\n");
	}
	MPI_Finalize();
	exit(2);
}

static unsigned long parse_num(const char *opt, const char *s,
			       unsigned long max)
{
	unsigned long v;
	char *end;

	if (!s)
		die_usage("missing value for", opt);
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || !v || v > max || *s == '-') {
		if (rank == 0)
			fprintf(stderr, PROG ": %s takes 1 to %lu, not '%s'\n",
				opt, max, s);
		die_usage(NULL, NULL);
	}
	return v;
}

/*
 * The reduction: inout = in (the lower ranks' bytes) followed by inout
 * (the higher ranks'), as MPI defines a non-commutative op's order.
 */
static void crc_pair_op(void *in, void *inout, int *count, MPI_Datatype *type)
{
	const struct crc_pair *a = in;
	struct crc_pair *b = inout;
	int i;

	(void)type;
	for (i = 0; i < *count; i++) {
		b[i].crc = lpel_crc32c_combine(a[i].crc, b[i].crc, b[i].len);
		b[i].len += a[i].len;
	}
}

static MPI_Datatype crc_pair_type(void)
{
	int lens[2] = { 1, 1 };
	MPI_Aint disp[2] = { offsetof(struct crc_pair, crc),
			     offsetof(struct crc_pair, len) };
	MPI_Datatype types[2] = { MPI_UINT32_T, MPI_UINT64_T };
	MPI_Datatype t, pair;

	MPI_Type_create_struct(2, lens, disp, types, &t);
	MPI_Type_create_resized(t, 0, sizeof(struct crc_pair), &pair);
	MPI_Type_free(&t);
	MPI_Type_commit(&pair);
	return pair;
}

static uint64_t chunk_len(const struct shard *s, uint64_t i)
{
	uint64_t o = i * s->chunk;

	return s->len - o < s->chunk ? s->len - o : s->chunk;
}

/* Queue chunk i; 0 or -errno. */
static int submit_chunk(struct shard *s, uint64_t i, unsigned int q)
{
	struct slot *sl = &s->slots[i % s->depth];
	uint64_t len = chunk_len(s, i), off = s->off + i * s->chunk;
	struct pel_sqe *sqe = lpel_get_sqe_on(&s->ring, q);

	if (!sqe)
		return -EBUSY;
	sl->chunk = i;
	sl->done = false;
	if (s->file) {
		lpel_prep_file_crc32c(sqe, 0, off, len, 0);
	} else {
		uint64_t got = 0;

		while (got < len) {
			ssize_t n = pread(s->fd, sl->buf + got, len - got,
					  (off_t)(off + got));

			if (n < 0)
				return -errno;
			if (n == 0)
				return -ENODATA;
			got += (uint64_t)n;
		}
		lpel_prep_crc32c(sqe, sl->buf, len, 0);
	}
	lpel_sqe_set_data(sqe, i);
	return 0;
}

/* The shard's CRC: DEPTH chunks in flight, folded in order.  0 or -errno. */
static int checksum_shard(struct shard *s)
{
	uint64_t sent = 0;
	unsigned int q = 0;
	int ret;

	while (s->folded < s->nr_chunks) {
		struct pel_cqe *cqe;

		while (sent < s->nr_chunks && sent < s->folded + s->depth) {
			ret = submit_chunk(s, sent, q);
			if (ret == -EBUSY)
				break;
			if (ret)
				return ret;
			sent++;
			q = (q + 1) % s->ring.nr_queues;
		}
		ret = lpel_submit(&s->ring);
		if (ret < 0)
			return ret;
		ret = lpel_wait_cqe(&s->ring, &cqe);
		if (ret)
			return ret;
		do {
			uint64_t i = cqe->user_data;
			struct slot *sl = &s->slots[i % s->depth];

			if (cqe->res < 0) {
				ret = cqe->res;
			} else if ((uint64_t)cqe->res != chunk_len(s, i)) {
				/* Short: the file ended early (truncated?). */
				ret = -ENODATA;
			} else {
				sl->crc = (uint32_t)cqe->result;
				sl->done = true;
			}
			lpel_cqe_seen(&s->ring, cqe);
			if (ret)
				return ret;
		} while (lpel_peek_cqe(&s->ring, &cqe) == 0);
		/* Fold every chunk that is done, in order. */
		while (s->folded < sent) {
			struct slot *sl = &s->slots[s->folded % s->depth];

			if (!sl->done || sl->chunk != s->folded)
				break;
			s->crc = lpel_crc32c_combine(s->crc, sl->crc,
						     chunk_len(s, s->folded));
			sl->done = false;
			s->folded++;
		}
	}
	return 0;
}

/* ISA-L over the whole file, read here: --verify's reference. */
static int whole_file_crc(const char *path, uint32_t *crc)
{
	static unsigned char buf[1 << 20];
	uint32_t c = ~0u;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		c = crc32_iscsi(buf, (int)n, c);
	if (n < 0)
		n = -errno;
	close(fd);
	*crc = ~c;
	return (int)n;
}

/* Every rank's ok: 1 if all are, 0 if any is not (a collective). */
static int all_ok(int ok)
{
	int all;

	MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
	return all;
}

int main(int argc, char **argv)
{
	struct shard s = { .fd = -1 };
	struct lpel_params p = { .backend = LPEL_BACKEND_AUTO, .sq_entries = 64 };
	unsigned long chunk_kib = DEF_CHUNK_KIB, depth = DEF_DEPTH;
	struct crc_pair mine, total = { 0, 0 };
	const char *path = NULL;
	bool verify = false, ring_up = false;
	uint64_t size = 0, base, rem;
	int nranks, ret = 0, ok = 1, backend = 0, *backends = NULL;
	struct stat st;
	MPI_Datatype pair_type;
	MPI_Op op;
	char err[256] = "";
	int i;

	/* $LPEL_BACKEND, when set, chooses (lpel_init_params(3)). */
	if (getenv("LPEL_BACKEND"))
		p.backend = LPEL_BACKEND_DEFAULT;
	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &nranks);

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--verify"))
			verify = true;
		else if (!strcmp(argv[i], "--chunk"))
			chunk_kib = parse_num("--chunk", argv[++i],
					      PEL_MAX_OP_LEN >> 10);
		else if (!strcmp(argv[i], "--depth"))
			depth = parse_num("--depth", argv[++i], MAX_DEPTH);
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			die_usage(NULL, NULL);
		else if (argv[i][0] == '-' && argv[i][1])
			die_usage("unknown option", argv[i]);
		else if (path)
			die_usage("more than one FILE:", argv[i]);
		else
			path = argv[i];
	}
	if (!path)
		die_usage("no FILE given", NULL);

	/* Every rank opens the file; they must agree on its size. */
	s.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s.fd < 0 || fstat(s.fd, &st) < 0) {
		snprintf(err, sizeof(err), "%s: %s", path, strerror(errno));
		ok = 0;
	} else if (!S_ISREG(st.st_mode)) {
		snprintf(err, sizeof(err), "%s: not a regular file", path);
		ok = 0;
	} else {
		size = (uint64_t)st.st_size;
	}
	if (ok) {
		uint64_t size0 = size;

		MPI_Bcast(&size0, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
		if (size0 != size) {
			snprintf(err, sizeof(err),
				 "%s: %" PRIu64 " bytes here, %" PRIu64
				 " on rank 0 (not the same file)", path, size, size0);
			ok = 0;
		}
	} else {
		uint64_t dummy = 0;

		MPI_Bcast(&dummy, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
	}

	/* The shard: [rank * size / n, (rank + 1) * size / n), overflow-free. */
	base = size / (uint64_t)nranks;
	rem = size % (uint64_t)nranks;
	s.off = (uint64_t)rank * base + (uint64_t)rank * rem / (uint64_t)nranks;
	s.len = (uint64_t)(rank + 1) * base +
		(uint64_t)(rank + 1) * rem / (uint64_t)nranks - s.off;
	s.chunk = (uint64_t)chunk_kib << 10;
	s.depth = (unsigned int)depth;
	s.nr_chunks = (s.len + s.chunk - 1) / s.chunk;

	if (ok) {
		ret = lpel_init_params(&s.ring, &p);
		if (ret) {
			snprintf(err, sizeof(err), "lpel_init_params: %s",
				 strerror(-ret));
			ok = 0;
		} else {
			ring_up = true;
			backend = lpel_backend(&s.ring);
			if (!(s.ring.features & PEL_FEAT_OP_CRC32C)) {
				snprintf(err, sizeof(err),
					 "the %s backend has no CRC32C op",
					 lpel_backend_name(backend));
				ok = 0;
			}
		}
	}
	if (ok && (s.ring.features & PEL_FEAT_REGISTERED_FILES)) {
		int res = 0;

		ret = lpel_register_files(&s.ring, &s.fd, 1, &res);
		if (ret == 1 && !res) {
			s.file = true;
		} else {
			snprintf(err, sizeof(err), "%s: lpel_register_files: %s",
				 path, strerror(ret < 0 ? -ret : -res));
			ok = 0;
		}
	}
	if (ok) {
		s.slots = calloc(s.depth, sizeof(*s.slots));
		ok = s.slots != NULL;
		for (i = 0; ok && !s.file && i < (int)s.depth; i++) {
			s.slots[i].buf = malloc(s.chunk);
			ok = s.slots[i].buf != NULL;
		}
		if (!ok)
			snprintf(err, sizeof(err), "out of memory");
	}
	if (ok) {
		ret = checksum_shard(&s);
		if (ret) {
			snprintf(err, sizeof(err),
				 "%s: bytes [%" PRIu64 ", %" PRIu64 "): %s", path,
				 s.off, s.off + s.len,
				 ret == -ENODATA ? "the file is shorter than it was" :
				 strerror(-ret));
			ok = 0;
		}
	}
	if (!ok)
		fprintf(stderr, PROG ": rank %d: %s\n", rank, err);

	/* Who ran where: rank 0 lists every rank's backend and shard. */
	if (rank == 0)
		backends = calloc((size_t)nranks, sizeof(*backends));
	MPI_Gather(&backend, 1, MPI_INT, backends, 1, MPI_INT, 0, MPI_COMM_WORLD);

	if (!all_ok(ok)) {
		if (rank == 0)
			fprintf(stderr, PROG ": failed on at least one rank\n");
		ret = 1;
		goto out;
	}

	pair_type = crc_pair_type();
	MPI_Op_create(crc_pair_op, 0, &op);	/* 0: not commutative */
	mine.crc = s.crc;
	mine.len = s.len;
	MPI_Reduce(&mine, &total, 1, pair_type, op, 0, MPI_COMM_WORLD);
	MPI_Op_free(&op);
	MPI_Type_free(&pair_type);

	ret = 0;
	if (rank == 0) {
		for (i = 0; i < nranks; i++) {
			uint64_t lo = (uint64_t)i * base + (uint64_t)i * rem / (uint64_t)nranks;
			uint64_t hi = (uint64_t)(i + 1) * base +
				      (uint64_t)(i + 1) * rem / (uint64_t)nranks;

			printf(PROG ": rank %d: %s backend, bytes [%" PRIu64 ", %"
			       PRIu64 ")\n", i, backends && backends[i] ?
			       lpel_backend_name(backends[i]) : "?", lo, hi);
		}
		if (total.len != size) {
			fprintf(stderr, PROG ": the shards add up to %" PRIu64
				" bytes, not %" PRIu64 "\n", total.len, size);
			ret = 1;
		}
		printf(PROG ": %s: %" PRIu64 " bytes, %d ranks: crc32c 0x%08" PRIx32 "\n",
		       path, size, nranks, total.crc);
		if (verify) {
			uint32_t ref = 0;
			int r = whole_file_crc(path, &ref);

			if (r < 0) {
				fprintf(stderr, PROG ": --verify: %s: %s\n", path,
					strerror(-r));
				ret = 1;
			} else if (ref != total.crc) {
				printf(PROG ": verify: MISMATCH: ISA-L over the whole file 0x%08"
				       PRIx32 ", ranks combined 0x%08" PRIx32 "\n",
				       ref, total.crc);
				ret = 1;
			} else {
				printf(PROG ": verify: ok (ISA-L over the whole file 0x%08"
				       PRIx32 ")\n", ref);
			}
		}
		fflush(stdout);
	}
	/* Every rank exits with rank 0's verdict. */
	MPI_Bcast(&ret, 1, MPI_INT, 0, MPI_COMM_WORLD);
out:
	free(backends);
	if (s.slots)
		for (i = 0; i < (int)s.depth; i++)
			free(s.slots[i].buf);
	free(s.slots);
	if (ring_up)
		lpel_exit(&s.ring);
	if (s.fd >= 0)
		close(s.fd);
	MPI_Finalize();
	return ret;
}
