#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The whole test suite: set up what is missing, build, then for each kernel
# (Debian 12's 6.1 and 6.12) and each machine (2 vCPUs; 4 vCPUs on two NUMA
# nodes) boot a VM, load pel.ko, run every selftest, unload, and scan the
# kernel log.  Then the debug stage: the debug kernel (KASAN, lockdep,
# kmemleak, UBSAN, fault injection; scripts/build-debug-kernel.sh builds it
# into .cache/debug-kernel/ if it is not cached, and a failed build is a
# failed test), one 2-vCPU boot running $PEL_DEBUG_TESTS with shorter long
# tests, and kmemleak scans at the end.  Ends with "N passed, N failed";
# exits non-zero on any failure or kernel-log finding.
#
#   tests/run.sh [-k 6.1|6.12|debug]... [-c NCPUS|4numa] [-t TEST_GLOB] [-D|-S|-H|-P]
#
# First, before any VM boots, the host stage (tests/host.sh): the programs
# of tests/host-tests.list against liblpel's user backend, plain and under
# ASan+UBSan and TSan.  -H: only the host stage; -k, or PEL_CHECK_HOST=0,
# skips it.  Then the package stage (tests/package.sh): the Debian packages
# built, lintian, unpacked into a throwaway root and an example built and run
# against them, and every copy of the version compared.  -P: only the
# package stage; -k, -H, -S, or PEL_CHECK_PACKAGE=0, skips it.
#
# -k: only these kernels (no debug stage unless -k debug); -k debug: the
# whole suite (or -t) on the debug kernel, both machines (or -c).
# -t: tests to run, globs separated by spaces or commas ('copy*,nop_test').
# -D, or PEL_CHECK_DEBUG=0: skip the debug stage (quick local runs);
# -S: only the debug stage.
# PEL_DEBUG_TESTS: the debug stage's tests (default: fuzz, lifetime,
# faultinj, rbuf, fastpath, pinned, file, blocks and, once it exists,
# hardening).
#
# The Debian kernels' boots get an ext4 disk: build/ext4.img (512 MiB,
# sparse, made with mkfs.ext4 once per run), attached with run-vm.sh -d;
# vm-suite.sh mounts it at /mnt/ext4 and exports PEL_TEST_EXT4_DIR to the
# tests.  The debug kernel (tinyconfig: no virtio-blk, no ext4) boots
# without it, and its log says that the ext4 part is skipped.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

kernels=()
cpus=
glob='*_test'
debug_stage=${PEL_CHECK_DEBUG:-1}
host_stage=${PEL_CHECK_HOST:-1}
package_stage=${PEL_CHECK_PACKAGE:-1}
debian=1
while getopts "k:c:t:DSHPh" opt; do
	case $opt in
	k) kernels+=("$OPTARG"); debug_stage=0; host_stage=0; package_stage=0 ;;
	c) cpus=$OPTARG ;;
	t) glob=$OPTARG ;;
	D) debug_stage=0 ;;
	S) debian=0; debug_stage=1; host_stage=0; package_stage=0 ;;
	H) debian=0; debug_stage=0; host_stage=1; package_stage=0 ;;
	P) debian=0; debug_stage=0; host_stage=0; package_stage=1 ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done
[ ${#kernels[@]} -gt 0 ] || [ "$debian" = 0 ] || kernels=(6.1 6.12)

# The debug stage's tests: the hostile client, lifetimes, fault injection
# and registered buffers (pins, vmaps, refcounts) (and the hardening tests
# once tests/hardening_test.c is there), on the kernel whose detectors make
# their findings visible.
debug_tests=${PEL_DEBUG_TESTS:-fuzz_test lifetime_test faultinj_test rbuf_test fastpath_test pinned_test file_test blocks_test}
[ -n "${PEL_DEBUG_TESTS:-}" ] || [ ! -f tests/hardening_test.c ] ||
	debug_tests="$debug_tests hardening_test"
# ... with its long tests shorter than on the Debian kernels (KASAN and
# kmemleak under TCG run them several times slower).
debug_env=(PEL_KILL_ROUNDS=${PEL_DEBUG_KILL_ROUNDS:-100}
	   PEL_FUZZ_SQES=${PEL_DEBUG_FUZZ_SQES:-100000})

# The kernels whose 2-vCPU boot also gets /pel/pel-uninit.ko: pel.ko built
# without stack auto-init (Debian builds with INIT_STACK_ALL_ZERO, which
# would hide a CQE byte the worker leaves unset), for cqe_bytes_test.
uninit_kernels=(6.1)
# Whether the -t selection includes cqe_bytes_test.
selects_cqe_bytes() {
	local g
	for g in ${glob//,/ }; do
		# shellcheck disable=SC2053  # $g is a glob
		[[ cqe_bytes_test == $g ]] && return 0
	done
	return 1
}

passed=0
failed=0
skipped=0
fail_note() {
	echo "tests: FAIL: $*"
	failed=$((failed + 1))
}
# tally LINE: a stage's closing "... passed=N failed=N skipped=N" into the
# totals; its own counts are left in p, f and s.
tally() {
	p=$(sed -n 's/.*passed=\([0-9]*\).*/\1/p' <<<"$1")
	f=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' <<<"$1")
	s=$(sed -n 's/.*skipped=\([0-9]*\).*/\1/p' <<<"$1")
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

scripts/setup.sh || { echo "tests: setup failed"; echo "0 passed, 1 failed"; exit 1; }
# A module file removed from a kernel image is put back by setup.
tests/setup-repair.sh 6.1
case $? in
0) echo "tests: ok - setup re-extracts a kernel image that lost a module file"
   passed=$((passed + 1)) ;;
77) echo "tests: skip - setup repair (no .deb in .cache/debs; it would download)"
    skipped=$((skipped + 1)) ;;
*) fail_note "setup does not repair a kernel image that lost a module file (tests/setup-repair.sh)" ;;
esac
if ! make -s lib tools tests examples; then
	echo "tests: user-space build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# The host stage: the user backend against the same tests, before any VM.
if [ "$host_stage" != 0 ]; then
	echo "=== host stage (tests/host.sh)"
	t0=$(date +%s)
	mkdir -p build
	tests/host.sh | tee "build/host.log"
	line=$(grep -a '^HOST_SUITE ' build/host.log | tail -n 1)
	if [ -z "$line" ]; then
		fail_note "host stage: did not finish (build/host.log)"
	else
		tally "$line"
	fi
	echo "tests: time: host stage $(($(date +%s) - t0)) s"
fi

# The package stage: the Debian packages, built and used as a user would.
if [ "$package_stage" != 0 ]; then
	echo "=== package stage (tests/package.sh)"
	t0=$(date +%s)
	mkdir -p build
	tests/package.sh 2>&1 | tee "build/package.log"
	line=$(grep -a '^PACKAGE_SUITE ' build/package.log | tail -n 1)
	if [ -z "$line" ]; then
		fail_note "package stage: did not finish (build/package.log)"
	else
		tally "$line"
	fi
	echo "tests: time: package stage $(($(date +%s) - t0)) s"
fi
if [ "$debian" = 0 ] && [ "$debug_stage" = 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
fi

# The library as an outside program gets it: `make install-lib` into a
# DESTDIR; `pkg-config --static --libs liblpel` there names what liblpel.a
# needs (Libs.private: ISA-L, libcrypto, threads); tests/pkgconfig_check.c
# built with nothing but what `pkg-config --cflags --libs liblpel` says
# links liblpel.so.1 with its symbol version; and uninstall-lib leaves no
# file.  For the VM, the installed liblpel.so.1 goes beside the program in
# build/pkgconfig/liblpel/, which its rpath ($ORIGIN/liblpel) names, and
# vm-suite.sh runs it.
pkgcheck=build/pkgconfig/pkgconfig_check
pkglib=build/pkgconfig/liblpel
pkgconfig_build() {
	local root pcdir flags ret=1

	root=$(mktemp -d) || return 1
	pcdir=$root/usr/local/lib/pkgconfig
	if make -s install-lib DESTDIR="$root" > /dev/null &&
	   flags=$(PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_SYSROOT_DIR=$root \
		   pkg-config --static --libs liblpel) &&
	   [[ " $flags " == *" -lisal -lcrypto -lpthread "* ]] &&
	   flags=$(PKG_CONFIG_LIBDIR=$pcdir PKG_CONFIG_SYSROOT_DIR=$root \
		   pkg-config --cflags --libs liblpel) &&
	   ${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$pkgcheck" \
		tests/pkgconfig_check.c $flags -Wl,-rpath,'$ORIGIN/liblpel' &&
	   readelf -d "$pkgcheck" | grep -q 'NEEDED.*\[liblpel\.so\.1\]' &&
	   readelf -V "$pkgcheck" | grep -q 'Name: LIBLPEL_1\.0' &&
	   mkdir -p "$pkglib" &&
	   cp -L "$root/usr/local/lib/liblpel.so.1" "$pkglib/liblpel.so.1" &&
	   make -s uninstall-lib DESTDIR="$root" > /dev/null &&
	   [ -z "$(find "$root" ! -type d)" ]; then
		ret=0
	fi
	rm -rf "$root"
	return $ret
}
mkdir -p build/pkgconfig
rm -rf "$pkgcheck" "$pkgcheck.dyn" "$pkglib"
if pkgconfig_build; then
	echo "tests: ok - install-lib, pkg-config build of tests/pkgconfig_check.c, uninstall-lib"
	passed=$((passed + 1))
else
	rm -rf "$pkgcheck" "$pkglib"
	fail_note "install-lib / pkg-config build of tests/pkgconfig_check.c / uninstall-lib"
fi

# Every example, and pkgconfig_check with its liblpel.so.1, go to /pel in
# the VM (run-vm.sh adds the system's shared objects they need).
vmfiles=()
for e in examples/bin/* "$pkgcheck"; do
	[ -f "$e" ] && [ -x "$e" ] && vmfiles+=(-f "$e")
done
[ ! -d "$pkglib" ] || vmfiles+=(-f "$pkglib")

# The machines each kernel boots: 2 vCPUs, and 4 vCPUs on two NUMA nodes
# (two sockets, so that the scheduler's topology checks agree).
numa4=(-c 4 -a -smp -a 4,sockets=2,cores=2,threads=1
       -a -object -a memory-backend-ram,size=512M,id=m0
       -a -object -a memory-backend-ram,size=512M,id=m1
       -a -numa -a node,nodeid=0,cpus=0-1,memdev=m0
       -a -numa -a node,nodeid=1,cpus=2-3,memdev=m1)
if [ -n "$cpus" ]; then
	machines=("$cpus")
else
	machines=(2 4numa)
fi

# run_suite KVER KO MACHINE [TAG]: one VM boot running the suite ($glob);
# TAG names the debug stage's boot, which runs $debug_tests with $debug_env.
run_suite() {
	local kver=$1 ko=$2 machine=$3 tag=${4:-} log rc line p f s tmo t0
	local tests=$glob
	local -a mach
	case $machine in
	4numa) mach=("${numa4[@]}") ;;
	*) mach=(-c "$machine") ;;
	esac
	log=$logdir/suite-$kver-$machine${tag:+-$tag}.log
	# A run that dies before it writes its log must not be judged by the
	# last one's.
	rm -f "$log" "$log.out"
	echo "=== $kver, machine $machine${tag:+, $tag}"
	t0=$(date +%s)
	# The debug kernel runs the suite several times slower (KASAN, lockdep
	# and kmemleak under TCG).
	tmo=1200
	[ "$kver" != debug ] || tmo=3600
	# The 2-vCPU machine runs the long tests longer and trinity and
	# stress-ng (staged with their libraries); the 4-vCPU one shorter.
	# 500 kill rounds, not lifetime_test's 1000: at 1000 it was the
	# longest test (129 s of a 422 s boot), and the debug stage kills too.
	local -a env=(PEL_KILL_ROUNDS=500 PEL_FUZZ_SQES=1000000)
	local -a extra=(-f "$dynstage" -f tests/stress.sh)
	if [ "$machine" != 2 ]; then
		env=(PEL_KILL_ROUNDS=200 PEL_FUZZ_SQES=200000)
		extra=()
	fi
	if [ -n "$tag" ]; then
		env=("${debug_env[@]}")
		extra=()
		tests=$debug_tests
	fi
	# The 2-vCPU machine also runs cqe_bytes_test on pel-uninit.ko.
	if [ "$machine" = 2 ] && [ -n "${uninit_ko[$kver]:-}" ]; then
		extra+=(-f "${uninit_ko[$kver]}")
	fi
	# The ext4 disk, on the Debian kernels: vm-suite.sh mounts
	# PEL_EXT4_DEV.  The debug kernel has neither virtio-blk nor ext4.
	local -a disk=()
	if [ -n "$tag" ] || [ "$kver" = debug ]; then
		echo "tests: ext4: skipped on the debug kernel (its tinyconfig has no virtio-blk or ext4); PEL_TEST_EXT4_DIR unset" |
			tee -a "$log.out"
	elif [ -n "$ext4_img" ]; then
		disk=(-d "$ext4_img")
		env+=(PEL_EXT4_DEV=/dev/vda)
	else
		echo "tests: ext4: NO DISK: $ext4_err; the tests that want ext4 skip" |
			tee -a "$log.out"
		env+=(PEL_EXT4_DEV=none)
	fi
	# xor.ko has xor_blocks() for PEL_OP_XOR; the debug kernel has no
	# CONFIG_XOR_BLOCKS at all, and pel.ko built for it keeps its word loop.
	local mods=(-M crc32c_intel -M libcrc32c)
	[ "$kver" = debug ] || mods+=(-M xor)
	# watchdog_thresh=60: a vCPU the busy host does not run for a while
	# is not a soft lockup; a real one still shows within the timeout.
	tools/vm/run-vm.sh -k "$kver" "${mach[@]}" -t "$tmo" -l "$log" \
		-A watchdog_thresh=60 "${disk[@]}" "${mods[@]}" \
		-f "$ko" -f tests/bin -f tools/pelctl/pelctl -f tools/pelbench/pelbench -f tests/vm-suite.sh \
		"${vmfiles[@]}" "${extra[@]}" \
		-- env "${env[@]}" sh vm-suite.sh "$tests" | tee -a "$log.out"
	rc=${PIPESTATUS[0]}
	# The image after the boot: a consistent file system.
	if [ ${#disk[@]} -gt 0 ]; then
		if e2fsck -fn "$ext4_img" > "$logdir/e2fsck-$kver-$machine.log" 2>&1; then
			echo "tests: ok - ext4 image consistent after the $kver/$machine boot (e2fsck -fn)"
			passed=$((passed + 1))
		else
			cat "$logdir/e2fsck-$kver-$machine.log"
			fail_note "$kver/$machine: e2fsck -fn $ext4_img after the boot"
		fi
	fi
	timings+=("$kver/$machine${tag:+/$tag}: $(($(date +%s) - t0)) s")
	line=$(grep -a '^PEL_SUITE ' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		fail_note "$kver/$machine: the suite did not finish (run-vm exit $rc, log $log)"
		return
	fi
	tally "$line"
	# The suite passed but the VM run did not: a kernel-log finding.
	if [ "$f" -eq 0 ] && [ "$rc" -ne 0 ]; then
		fail_note "$kver/$machine: kernel log findings or VM failure (run-vm exit $rc, log $log)"
	fi
	echo "=== $kver, machine $machine${tag:+, $tag}: passed=$p failed=$f skipped=$s"
}

# Debian's trinity and stress-ng for the VM (run-vm.sh adds their libraries).
dynstage=$top/.cache/vm/dyn
if ! tests/stage-dynamic.sh "$dynstage" trinity stress-ng; then
	echo "tests: staging trinity and stress-ng failed"
	echo "0 passed, 1 failed"
	exit 1
fi

# A .cache shared by several checkouts (a symlink, as in a git worktree)
# gets a log directory per checkout: run-vm.sh judges a run by its log, so
# two runs must never write the same one.
logdir=$top/.cache/vm/logs
[ ! -L "$top/.cache" ] || logdir=$logdir/$(printf %s "$top" | tr -c 'A-Za-z0-9.-' _)
mkdir -p "$logdir"
timings=()
declare -A uninit_ko=()

# The ext4 disk of the Debian kernels' boots, made once per run: a sparse
# file, its inode tables and journal written here (lazy init off) so that
# the guest's ext4lazyinit thread has nothing to do under TCG.
ext4_img=
ext4_err=
if [ ${#kernels[@]} -gt 0 ]; then
	ext4_img=$top/build/ext4.img
	mkfs=$(PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4)
	e2fsck() { PATH=$PATH:/sbin:/usr/sbin command e2fsck "$@"; }
	if [ -z "$mkfs" ]; then
		ext4_err="mkfs.ext4 not found (scripts/setup.sh installs e2fsprogs)"
	elif ! { mkdir -p build && rm -f "$ext4_img" &&
		 truncate -s 512M "$ext4_img" &&
		 "$mkfs" -q -F -L pel-test -E lazy_itable_init=0,lazy_journal_init=0 \
			"$ext4_img"; } > "$logdir/mkfs-ext4.log" 2>&1; then
		ext4_err="mkfs.ext4 of $ext4_img failed: $(tail -n 1 "$logdir/mkfs-ext4.log")"
	fi
	if [ -n "$ext4_err" ]; then
		ext4_img=
		fail_note "ext4 disk image: $ext4_err"
	else
		echo "tests: ext4 disk image $ext4_img (512 MiB, sparse) for the Debian kernels' boots"
	fi
fi

# run_kernel K [TAG]: build pel.ko for kernel K (6.1, 6.12, a version, or
# debug) and boot it on each machine, or with TAG on the 2-vCPU one only
# (the debug stage).
run_kernel() {
	local k=$1 tag=${2:-} kver ko dbg t0 u
	local -a ms=("${machines[@]}")
	[ -z "$tag" ] || ms=(2)
	kver=$(sed -n "s/^KVER_${k//./_} := //p" .cache/kernels/versions.mk)
	[ -n "$kver" ] || kver=$k
	if [ "$k" = debug ]; then
		# Built once per machine (cached); its progress goes to stderr.
		t0=$(date +%s)
		if ! dbg=$(scripts/build-debug-kernel.sh | tail -n 1) || [ ! -d "$dbg" ]; then
			fail_note "debug kernel build (scripts/build-debug-kernel.sh)"
			return
		fi
		timings+=("debug kernel build or cache: $(($(date +%s) - t0)) s")
		echo "=== kernel debug ($(cat "$dbg/kernelrelease"), $dbg)"
	else
		echo "=== kernel $k ($kver)"
	fi
	# W=1 must stay clean: any compiler warning fails the build step.
	if ! ko=$(scripts/build-kmod.sh "$kver" W=1 2> "$logdir/build-$kver.log" | tail -n 1) ||
	   grep -q 'warning:' "$logdir/build-$kver.log"; then
		cat "$logdir/build-$kver.log"
		fail_note "pel.ko build for $kver"
		return
	fi
	for u in "${uninit_kernels[@]}"; do
		[ "$u" = "$k" ] && [ -z "$tag" ] && selects_cqe_bytes || continue
		# pel.ko without stack auto-init, staged as /pel/pel-uninit.ko.
		if u=$(scripts/build-kmod.sh -o "$k-uninit" "$kver" W=1 \
			KCFLAGS=-ftrivial-auto-var-init=uninitialized \
			2> "$logdir/build-$kver-uninit.log" | tail -n 1) &&
		   ! grep -q 'warning:' "$logdir/build-$kver-uninit.log" &&
		   cp "$u" "${u%/kmod/pel.ko}/pel-uninit.ko"; then
			uninit_ko[$kver]=${u%/kmod/pel.ko}/pel-uninit.ko
		else
			cat "$logdir/build-$kver-uninit.log"
			fail_note "pel-uninit.ko build for $kver"
		fi
	done
	for machine in "${ms[@]}"; do
		run_suite "$kver" "$ko" "$machine" $tag
	done
}

t_start=$(date +%s)
for k in "${kernels[@]+"${kernels[@]}"}"; do
	run_kernel "$k"
done
if [ "$debug_stage" != 0 ]; then
	run_kernel debug debug-stage
fi

for t in "${timings[@]}"; do
	echo "tests: time: $t"
done
echo "tests: time: VM stages $(($(date +%s) - t_start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
