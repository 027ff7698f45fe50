#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite: set up what is missing, build, then for each kernel
# (Debian 12's 6.1 and 6.12) boot a VM, load pel.ko, run every selftest,
# unload, and scan the kernel log.  Ends with "N passed, N failed"; exits
# non-zero on any failure or kernel-log finding.
#
#   tests/run.sh [-k 6.1|6.12]... [-c NCPUS] [-t TEST_GLOB]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

kernels=()
cpus=2
glob='*_test'
while getopts "k:c:t:h" opt; do
	case $opt in
	k) kernels+=("$OPTARG") ;;
	c) cpus=$OPTARG ;;
	t) glob=$OPTARG ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)

passed=0
failed=0
skipped=0
fail_note() {
	echo "tests: FAIL: $*"
	failed=$((failed + 1))
}

scripts/setup.sh || { echo "tests: setup failed"; echo "0 passed, 1 failed"; exit 1; }
if ! make -s lib tools tests examples; then
	echo "tests: user-space build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

logdir=$top/.cache/vm/logs
mkdir -p "$logdir"
for k in "${kernels[@]}"; do
	kver=$(sed -n "s/^KVER_${k//./_} := //p" .cache/kernels/versions.mk)
	[ -n "$kver" ] || kver=$k
	echo "=== kernel $k ($kver)"
	# W=1 must stay clean: any compiler warning fails the build step.
	if ! ko=$(scripts/build-kmod.sh "$kver" W=1 2> "$logdir/build-$kver.log" | tail -n 1) ||
	   grep -q 'warning:' "$logdir/build-$kver.log"; then
		cat "$logdir/build-$kver.log"
		fail_note "pel.ko build for $kver"
		continue
	fi
	log=$logdir/suite-$kver.log
	tools/vm/run-vm.sh -k "$kver" -c "$cpus" -t 1200 -l "$log" \
		-M crc32c_intel -M libcrc32c \
		-f "$ko" -f tests/bin -f tools/pelctl -f tests/vm-suite.sh \
		-f examples/bin/pel_demo \
		-- sh vm-suite.sh "$glob" | tee "$log.out"
	rc=${PIPESTATUS[0]}
	line=$(grep -a '^PEL_SUITE ' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		fail_note "$kver: the suite did not finish (run-vm exit $rc, log $log)"
		continue
	fi
	p=$(sed -n 's/.*passed=\([0-9]*\).*/\1/p' <<<"$line")
	f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$line")
	s=$(sed -n 's/.*skipped=\([0-9]*\).*/\1/p' <<<"$line")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	# The suite passed but the VM run did not: a kernel-log finding.
	if [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; then
		fail_note "$kver: kernel log findings or VM failure (run-vm exit $rc, log $log)"
	fi
	echo "=== kernel $k: passed=$p failed=$f skipped=$s"
done

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
