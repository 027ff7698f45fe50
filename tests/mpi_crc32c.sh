#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# examples/mpi_crc32c under mpirun on this machine, on liblpel's user
# backend (LPEL_BACKEND=user): files of 0, 3, 4099, 1000003 bytes and
# 64 MiB + 13, each with -np 1, 3 and 4 (4 ranks over 3 bytes: some shards
# are empty), and small chunks at depths 2 and 16 (many chunks, folded out
# of completion order).  Each run must exit 0, list every rank on the user
# backend, print "verify: ok" (the example's own check against ISA-L) and a
# CRC equal to rhash --crc32c's of the file, an independent implementation.
# Bad arguments must exit 2 (1 for a missing file) with a message naming
# what was wrong.  TAP output ("ok N - ...", the plan last).
#
#   tests/mpi_crc32c.sh [PROGRAM]
#
# PROGRAM defaults to examples/bin/mpi_crc32c.  tests/host.sh runs it in
# its plain flavour only, with PROGRAM built by mpicc from the flavour's
# library objects (HOST_CFLAGS, HOST_LIB_OBJS, HOST_LIB_LIBS set): Open MPI
# is not built with the sanitizers, and its shared-memory transport and
# progress threads would bury ASan's and TSan's findings about ours.
# Without mpicc and mpirun (openmpi-bin, libopenmpi-dev) or rhash, the one
# test SKIPs.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

n=0
failed=0
ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
}
finish() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit
}

missing=
for t in mpicc mpirun rhash; do
	command -v "$t" > /dev/null || missing+=" $t"
done
if [ -n "$missing" ]; then
	ok "mpi_crc32c # SKIP no$missing (apt-get install openmpi-bin libopenmpi-dev rhash)"
	finish
fi

prog=${1:-}
if [ -z "$prog" ] && [ -n "${HOST_LIB_OBJS:-}" ]; then
	prog=build/host/plain/mpi_crc32c
	# shellcheck disable=SC2086  # lists of flags and paths without spaces
	if ! mpicc $HOST_CFLAGS -o "$prog" examples/mpi_crc32c.c \
		$HOST_LIB_OBJS $HOST_LIB_LIBS; then
		not_ok "mpicc examples/mpi_crc32c.c"
		finish
	fi
fi
prog=${prog:-examples/bin/mpi_crc32c}
if [ ! -x "$prog" ]; then
	not_ok "$prog: not built (make examples)"
	finish
fi

# Open MPI as root needs these two; every rank runs here, so shared memory
# (vader) and self are the transports, without its single-copy mechanism
# (CMA: process_vm_readv, which containers often refuse), and no ssh or rsh
# agent (a fresh machine may have neither: mpirun would refuse to start).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
export OMPI_MCA_plm_rsh_agent=
export LPEL_BACKEND=user LPEL_QUIET=1
mpirun_=(mpirun --oversubscribe)

dir=$(mktemp -d /tmp/mpi_crc32c.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT

# rhash itself, on CRC-32C's check value.
printf 123456789 > "$dir/check"
if [ "$(rhash --crc32c --printf '%{crc32c}' "$dir/check")" = e3069283 ]; then
	ok "rhash --crc32c gives the check value e3069283"
else
	not_ok "rhash --crc32c of \"123456789\" is not e3069283"
	finish
fi

# run NP FILE [OPTION...]: one mpirun, its output checked.
run() {
	local np=$1 f=$2 out rc want got what ranks
	shift 2
	what="-np $np${*:+ $*} $(basename "$f") ($(stat -c %s "$f") bytes)"
	out=$(timeout -k 10 300 "${mpirun_[@]}" -np "$np" "$prog" --verify "$@" "$f" 2>&1)
	rc=$?
	want=0x$(rhash --crc32c --printf '%{crc32c}' "$f")
	got=$(sed -n 's/^mpi_crc32c: .*: [0-9]* bytes, [0-9]* ranks: crc32c \(0x[0-9a-f]*\)$/\1/p' <<< "$out")
	ranks=$(grep -c '^mpi_crc32c: rank [0-9]*: user backend, bytes ' <<< "$out")
	if [ "$rc" -eq 0 ] && [ "$got" = "$want" ] && [ "$ranks" -eq "$np" ] &&
	   grep -q '^mpi_crc32c: verify: ok' <<< "$out"; then
		ok "$what: $got"
	else
		not_ok "$what: exit $rc, crc '$got', rhash $want, $ranks of $np ranks listed on the user backend"
		sed 's/^/# /' <<< "$out"
	fi
}

: > "$dir/empty"
head -c 3 /dev/urandom > "$dir/three"
head -c 4099 /dev/urandom > "$dir/odd"
head -c 1000003 /dev/urandom > "$dir/1m"
head -c $((64 * 1024 * 1024 + 13)) /dev/urandom > "$dir/64m"
for f in empty three odd 1m 64m; do
	for np in 1 3 4; do
		run "$np" "$dir/$f"
	done
done
run 4 "$dir/1m" --chunk 4 --depth 2
run 3 "$dir/1m" --chunk 1 --depth 16
run 4 "$dir/64m" --chunk 256 --depth 4

# expect_fail RC PATTERN ARGS...: a bad run, its exit status and message.
expect_fail() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$(timeout -k 10 120 "${mpirun_[@]}" -np 2 "$prog" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want" ] && grep -q -- "$pat" <<< "$out"; then
		ok "$* exits $want: $pat"
	else
		not_ok "$*: exit $rc (want $want), message '$pat' not found"
		sed 's/^/# /' <<< "$out"
	fi
}
expect_fail 2 "^mpi_crc32c: --chunk takes 1 to [0-9]*, not '0'" --chunk 0 "$dir/1m"
expect_fail 2 "^mpi_crc32c: --depth takes 1 to 256, not 'x'" --depth x "$dir/1m"
expect_fail 2 "^mpi_crc32c: unknown option '--bogus'" --bogus "$dir/1m"
expect_fail 2 "^mpi_crc32c: no FILE given"
expect_fail 1 "^mpi_crc32c: rank 1: $dir/nothere: No such file or directory" "$dir/nothere"
expect_fail 1 "^mpi_crc32c: rank 0: $dir: not a regular file" "$dir"
finish
