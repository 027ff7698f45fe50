#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM (busybox sh): load pel.ko, run every selftest in
# /pel/bin, show pelctl status, unload the module, and tally.  The last line,
# "PEL_SUITE passed=N failed=N skipped=N", is what tests/run.sh reads.
#
#   vm-suite.sh [TEST_NAME_GLOB...]
#
# One argument may hold several globs, separated by spaces or commas
# ("fuzz_test,lifetime_test").  With /pel/pel-uninit.ko present (pel.ko
# built with -ftrivial-auto-var-init=uninitialized, see tests/run.sh),
# cqe_bytes_test runs a second time on that module, then pel.ko is back.
#
# PEL_EXT4_DEV (tests/run.sh, the Debian kernels: /dev/vda, an ext4 image
# attached with run-vm.sh -d) is mounted at /mnt/ext4 first, and
# PEL_TEST_EXT4_DIR=/mnt/ext4 exported to the tests; unmounted at the end.
# Unset (the debug kernel): said so, and the tests that want ext4 skip.  A
# mount that fails is a failed check, and those tests skip.
pass=0
fail=0
skip=0
globs=$(echo "${*:-*_test}" | tr ',' ' ')

# check NAME CMD...: one pass or fail; returns CMD's success.
check() {
	name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		pass=$((pass + 1))
	else
		echo "not ok - $name"
		fail=$((fail + 1))
		return 1
	fi
}

# Pull "pass:N fail:N xfail:N xpass:N skip:N error:N" out of a Totals line.
field() {
	echo "$1" | sed -n "s/.* $2:\([0-9]*\).*/\1/p"
}

# On a kernel with kmemleak (the debug kernel): forget what the kernel
# itself leaked while booting, so that the scan at the end shows only what
# was lost during the suite.  Absent on the Debian kernels: nothing done.
leakfile=/sys/kernel/debug/kmemleak
if [ -e $leakfile ]; then
	echo scan > $leakfile && echo clear > $leakfile ||
		{ echo "not ok - leak detector: cannot scan/clear $leakfile"; fail=$((fail + 1)); }
fi

# The ext4 disk.
ext4_dir=/mnt/ext4
ext4_mounted=
case ${PEL_EXT4_DEV:-} in
'')
	echo "ext4: no disk in this boot (PEL_EXT4_DEV unset): PEL_TEST_EXT4_DIR unset, the tests that want ext4 skip"
	;;
none)
	echo "not ok - ext4: NO DISK (tests/run.sh could not make the image): PEL_TEST_EXT4_DIR unset, the tests that want ext4 skip"
	fail=$((fail + 1))
	;;
*)
	mkdir -p $ext4_dir
	if mount -t ext4 "$PEL_EXT4_DEV" $ext4_dir 2> /tmp/mount.err; then
		ext4_mounted=1
		PEL_TEST_EXT4_DIR=$ext4_dir
		export PEL_TEST_EXT4_DIR
		echo "ok - ext4: mounted: $(grep " $ext4_dir " /proc/mounts); PEL_TEST_EXT4_DIR=$ext4_dir"
		pass=$((pass + 1))
	else
		echo "not ok - ext4: MOUNT FAILED: mount -t ext4 $PEL_EXT4_DEV $ext4_dir: $(cat /tmp/mount.err)"
		echo "ext4: PEL_TEST_EXT4_DIR unset: the tests that want ext4 skip"
		fail=$((fail + 1))
	fi
	;;
esac
# A file on it survives sync and a dropped page cache (read from the disk).
ext4_readback() {
	dd if=/dev/urandom of=/tmp/ext4-probe bs=65536 count=64 2> /dev/null &&
		cp /tmp/ext4-probe $ext4_dir/rig-probe && sync &&
		echo 3 > /proc/sys/vm/drop_caches &&
		cmp /tmp/ext4-probe $ext4_dir/rig-probe &&
		rm -f $ext4_dir/rig-probe /tmp/ext4-probe
}
[ -z "$ext4_mounted" ] ||
	check "ext4: 4 MiB written, synced, read back from the disk after drop_caches" ext4_readback

check "insmod pel.ko" insmod /pel/pel.ko
[ -c /dev/pel ] || { echo "not ok - /dev/pel missing"; fail=$((fail + 1)); }

# run_test PATH [LABEL]: one kselftest program, its Totals added to ours.
run_test() {
	t=$1
	name=${2:-${t##*/}}
	echo "=== $name"
	t0=$(date +%s)
	"$t" > /tmp/out 2>&1
	rc=$?
	cat /tmp/out
	echo "=== $name: $(($(date +%s) - t0)) s"
	totals=$(grep '^# Totals:' /tmp/out | tail -n 1)
	if [ -z "$totals" ]; then
		echo "not ok - $name: no totals (exit $rc)"
		fail=$((fail + 1))
		return
	fi
	p=$(field "$totals" pass)
	f=$(field "$totals" fail)
	xf=$(field "$totals" xfail)
	xp=$(field "$totals" xpass)
	s=$(field "$totals" skip)
	e=$(field "$totals" error)
	pass=$((pass + ${p:-0} + ${xf:-0}))
	fail=$((fail + ${f:-0} + ${xp:-0} + ${e:-0}))
	skip=$((skip + ${s:-0}))
	if [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ] && [ "${e:-0}" -eq 0 ]; then
		echo "not ok - $name: exit $rc with no failed test"
		fail=$((fail + 1))
	fi
}

# rmmod pel, retried for a few seconds: a test's last context may still be
# on its way out.
unload_pel() {
	for i in 1 2 3 4 5 6 7 8 9 10; do
		rmmod pel 2>/dev/null && return 0
		sleep 1
	done
	rmmod pel
}

# The CQE-bytes test on a pel.ko without stack auto-init, where a CQE field
# the worker leaves unset shows as stack garbage; then pel.ko again.
run_uninit() {
	check "rmmod pel for pel-uninit.ko" unload_pel || return
	if check "insmod pel-uninit.ko" insmod /pel/pel-uninit.ko; then
		run_test /pel/bin/cqe_bytes_test "cqe_bytes_test on pel-uninit.ko"
		check "rmmod pel-uninit.ko" unload_pel
	fi
	check "insmod pel.ko again" insmod /pel/pel.ko
}

set -f
for g in $globs; do
	set +f
	for t in /pel/bin/$g; do
		[ -x "$t" ] || continue
		run_test "$t"
		if [ "${t##*/}" = cqe_bytes_test ] && [ -e /pel/pel-uninit.ko ]; then
			run_uninit
		fi
	done
done
set +f

# The example programs, built against liblpel, must run and verify; so must
# pkgconfig_check, which tests/run.sh built from an installed liblpel with
# pkg-config.  tests/run.sh ships them all: a missing one is a failure.
run_example() {
	name=$1
	shift
	label="example $name"
	[ $# -eq 0 ] || label="$label $*"
	if [ -x "/pel/$name" ]; then
		check "$label" "/pel/$name" "$@"
	else
		echo "not ok - example $name: not in /pel"
		fail=$((fail + 1))
	fi
}
# Inputs for file_crc32c: sizes that are not a multiple of the piece size.
dd if=/dev/urandom of=/tmp/crc-9M.bin bs=1000 count=9001 2>/dev/null
dd if=/dev/urandom of=/tmp/crc-odd.bin bs=1 count=4099 2>/dev/null
run_example pel_demo 4
run_example pel_demo -s 2 4
run_example file_crc32c /tmp/crc-9M.bin
run_example file_crc32c /tmp/crc-9M.bin 64
run_example file_crc32c /tmp/crc-odd.bin 1
run_example file_crc32c --mode=read /tmp/crc-9M.bin 64
run_example file_crc32c --mode=file /tmp/crc-9M.bin 64
# dedup_scan: 5 MiB where blocks 3 and 4 repeat block 0 (1 MiB blocks).
dedup_input() {
	dd if=/dev/urandom of=/tmp/dedup.bin bs=1048576 count=3 2>/dev/null &&
		dd if=/tmp/dedup.bin of=/tmp/dedup.bin bs=1048576 count=1 seek=3 conv=notrunc 2>/dev/null &&
		dd if=/tmp/dedup.bin of=/tmp/dedup.bin bs=1048576 count=1 seek=4 conv=notrunc 2>/dev/null
}
dedup_example() {
	dedup_input && /pel/dedup_scan --verify /tmp/dedup.bin > /tmp/dedup.out 2>&1 &&
		grep -q ": 5242880 bytes, 5 blocks of 1048576 bytes, 3 unique, 2 duplicates (every digest checked against OpenSSL)" /tmp/dedup.out
}
check "example dedup_scan --verify: 5 blocks, 2 duplicates" dedup_example
run_example epoll_loop 2000
run_example uring_poll 20
run_example pkgconfig_check

# pelbench: short runs with every result verified (-y), baselines included
# for copy and nop, so that the benchmark keeps working.  Figures are not
# judged here: make bench does that.
check "pelbench smoke copy" pelbench -w copy -o 64K -t 1 -y
check "pelbench smoke nop" pelbench -w nop -q 64 -b 16 -t 0.3 -y
check "pelbench smoke nop blocking, 2 threads" pelbench -w nop -q 32 -b 8 -T 2 -P block -t 0.3 -y -B none
for w in fill compare crc32c copy_crc32c xor sha256; do
	check "pelbench smoke $w" pelbench -w $w -o 2M -q 2 -b 1 -x 3 -t 0.3 -y -B none
done
check "pelbench smoke crc32c vs pool" pelbench -w crc32c -o 256K -q 8 -t 0.3 -y -B pool
# The default baselines of CRC32C and XOR: one thread and the pool (ISA-L)
# and the naive loops, every result checked.
check "pelbench smoke copy_crc32c vs its baselines" pelbench -w copy_crc32c -o 256K -q 2 -t 0.3 -y
check "pelbench smoke xor vs its baselines" pelbench -w xor -o 256K -q 2 -x 3 -t 0.3 -y
# The file workloads, on the ext4 disk when it is there: PEL on the
# registered file (or the line that says its file ops are not available)
# and the pread() baselines, every result checked.
pfile=${PEL_TEST_EXT4_DIR:-/tmp}/pelbench-file
for w in file_crc32c file_copy file_sha256; do
	check "pelbench smoke $w on $pfile" pelbench -w $w -f "$pfile" -s 8M -o 1M -q 2 -t 0.3 -y
done
# Per-block digests (PEL's side n/a without PEL_FEAT_BLOCK_DIGESTS), and a
# cold-cache run (n/a on /tmp).
for w in file_sha256_blocks file_crc32c_blocks; do
	check "pelbench smoke $w on $pfile" pelbench -w $w -f "$pfile" -s 8M -o 2M --block=256K -q 2 -t 0.3 -y
done
check "pelbench smoke sha256_blocks" pelbench -w sha256_blocks -o 2M --block=256K -q 2 -t 0.3 -y
check "pelbench smoke file_crc32c --cold on $pfile" pelbench -w file_crc32c --cold -f "$pfile" -s 8M -o 2M -q 1 -t 0.3 -y
rm -f "$pfile"

# Leak scans (kmemleak, the debug kernel): one with pel.ko still loaded,
# whose report names pel.ko's functions, then one after rmmod for what its
# teardown lost (pel.ko's frames are bare addresses by then: its load
# address is printed with the report).  kmemleak reports only objects older
# than 5 s, and a second scan drops pointers that were only in flight
# during the first.  Words such as "kmemleak" in this script's output are
# kernel-log findings for run-vm.sh: they are printed only on a leak.
pel_text=
leak_scan() {
	sleep 6
	echo scan > $leakfile && sleep 1 && echo scan > $leakfile || return 1
	cat $leakfile > /tmp/leaks || return 1
	[ -s /tmp/leaks ] || return 0
	echo "kmemleak: $(grep -c '^unreferenced object' /tmp/leaks) unreferenced objects $1:"
	[ -z "$pel_text" ] || echo "(pel.ko's .text was at $pel_text)"
	cat /tmp/leaks
	echo clear > $leakfile	# reported once, not again by the next scan
	return 1
}
if [ -e $leakfile ]; then
	check "leak scan with pel.ko loaded: no unreferenced objects" leak_scan "with pel.ko loaded"
	pel_text=$(cat /sys/module/pel/sections/.text 2>/dev/null)
fi

# Hostile load from outside: trinity fuzzing ioctls with /dev/pel among
# its victims, and selftests of correctness under stress-ng.
if [ -x /pel/dyn/trinity ]; then
	check "trinity on /dev/pel's ioctls (60 s)" sh /pel/stress.sh trinity 60
	check "selftests under stress-ng" sh /pel/stress.sh stress nop_test \
		copy_test crc32c_test ordering_test xor_test
fi

check "pelctl status" pelctl status
check "pelctl status -j" sh -c 'pelctl status -j | grep -q "^{\"module\":{"'
# Every context is gone once its processes are: unload must work.
check "rmmod pel" rmmod pel
check "/dev/pel gone after rmmod" test ! -e /dev/pel
check "pelctl says not loaded" sh -c '! pelctl status'
# In JSON mode the error is a document on stdout, and the exit status 1.
pelctl_json_not_loaded() {
	out=$(pelctl -j status)
	[ $? -eq 1 ] || return 1
	case $out in
	'{"error":'*'not loaded'*) return 0 ;;
	esac
	return 1
}
check "pelctl -j says not loaded" pelctl_json_not_loaded
check "pelctl set fails when not loaded" sh -c '! pelctl set idle_us 500'
# ... and says where liblpel programs go instead under LPEL_BACKEND=auto.
check "pelctl: liblpel on the user backend without the module" sh -c \
	'LPEL_BACKEND=auto pelctl status 2>/dev/null | grep -q "^liblpel: programs here run on the user backend (LPEL_BACKEND=auto, module absent)$"'

# The same programs without the module: the kernel backend says what is
# missing; LPEL_BACKEND=auto runs them on the user backend, verified, with
# the one line on stderr that says so (once per process), and they say
# which backend they got.
no_module_demo() {
	! /pel/pel_demo 1 > /tmp/demo.out 2>&1 &&
		grep -q "lpel_init: No such device (is pel.ko loaded?" /tmp/demo.out
}
check "pel_demo without the module: ENODEV, and what to do" no_module_demo
auto_example() {
	LPEL_BACKEND=auto "$@" > /tmp/auto.out 2> /tmp/auto.err || return 1
	[ "$(grep -c '^liblpel: /dev/pel absent (pel.ko not loaded): running on the user backend' /tmp/auto.err)" = 1 ]
}
check "pel_demo on the user backend (LPEL_BACKEND=auto)" sh -c \
	'LPEL_BACKEND=auto /pel/pel_demo 4 2>/dev/null | grep -q "^pel_demo: user backend, "'
for ex in "pel_demo 4" "file_crc32c /tmp/crc-9M.bin 64" "dedup_scan --verify /tmp/dedup.bin" "epoll_loop 2000" "uring_poll 20"; do
	# shellcheck disable=SC2086  # the program and its arguments
	check "example $ex on the user backend, saying so once" auto_example /pel/$ex
done
quiet_auto() {
	LPEL_BACKEND=auto LPEL_QUIET=1 /pel/pel_demo 4 > /tmp/auto.out 2> /tmp/auto.err &&
		grep -q "^pel_demo: user backend, " /tmp/auto.out &&
		! grep -q liblpel: /tmp/auto.err
}
check "LPEL_QUIET=1: on the user backend, no line" quiet_auto

if [ -e $leakfile ]; then
	check "leak scan after rmmod: no unreferenced objects" leak_scan "after rmmod"
fi

[ -z "$ext4_mounted" ] || check "ext4: umount $ext4_dir" umount $ext4_dir

echo "PEL_SUITE passed=$pass failed=$fail skipped=$skip"
[ "$fail" -eq 0 ]
