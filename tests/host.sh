#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The host stage: liblpel's user backend, held to the same tests as the
# kernel, on the host, before any VM boots (tests/run.sh runs it first).
# Each program of tests/host-tests.list is built three times, with the
# library's sources compiled in with the same flags:
#
#   plain  -O2
#   asan   AddressSanitizer + UndefinedBehaviorSanitizer, every finding fatal
#   tsan   ThreadSanitizer (the pool's threads, the rings' barriers)
#
# and run with LPEL_BACKEND=user.  Programs named *_unit are unit tests of
# the library's internals (TAP "ok N", "ok N - ... # SKIP why", "not ok N"
# lines); the others are the kselftest programs the VM stage runs against
# pel.ko.  A program that fails has its log printed (a unit test's without
# its "ok" lines); every log is in build/host/FLAVOUR/NAME.out.  Ends with
# "HOST_SUITE passed=N failed=N skipped=N", which tests/run.sh reads.
#
#   tests/host.sh [-f plain,asan,tsan] [-t TEST_GLOB] [-j JOBS]
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

flavours=plain,asan,tsan
glob='*'
jobs=$(nproc)
while getopts "f:t:j:h" opt; do
	case $opt in
	f) flavours=$OPTARG ;;
	t) glob=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done

CC=${CC:-cc}
base_cflags=(-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wno-unused-parameter
	     -Wno-sign-compare -Wno-clobbered -Iinclude/uapi -Ilib -Itests
	     -I.cache/linux-src/tools/testing/selftests)
declare -A fl=(
	[plain]=""
	[asan]="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
	[tsan]="-fsanitize=thread -Wno-tsan"
)
# halt_on_error: a finding fails the test that made it, not just the log.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
export LPEL_BACKEND=user LPEL_QUIET=1

read -r -a lib_srcs <<< "$(make -s print-LIB_SRCS)"
read -r -a lib_libs <<< "$(make -s print-LIB_LIBS)"

# tests/host-tests.list: "NAME [FLAVOURS]", FLAVOURS a comma list (default
# all); # starts a comment.
declare -A want=()
names=()
while read -r name its _; do
	[ -n "$name" ] || continue
	# shellcheck disable=SC2053  # $glob is a glob
	[[ $name == $glob ]] || continue
	names+=("$name")
	want[$name]=${its:-plain,asan,tsan}
done < <(sed 's/#.*//' tests/host-tests.list)

pass=0
fail=0
skip=0
note_fail() {
	echo "not ok - host: $*"
	fail=$((fail + 1))
}

field() {
	sed -n "s/.* $2:\([0-9]*\).*/\1/p" <<< "$1"
}

# Seconds since $1 (an $EPOCHREALTIME), to a tenth.
since() {
	local now=$EPOCHREALTIME
	awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

# build FLAVOUR: the library's objects once, then every program.
build() {
	local f=$1 out=build/host/$1 src obj name
	local -a objs=() flags
	read -r -a flags <<< "${fl[$f]}"
	mkdir -p "$out"
	for src in "${lib_srcs[@]}"; do
		obj=$out/$(basename "${src%.c}").o
		$CC "${base_cflags[@]}" "${flags[@]}" -c -o "$obj" "$src" || return 1
		objs+=("$obj")
	done
	for name in "${names[@]}"; do
		[[ ,${want[$name]}, == *,$f,* ]] || continue
		echo "$CC ${base_cflags[*]} ${flags[*]} -o $out/$name tests/$name.c ${objs[*]} ${lib_libs[*]}"
	done | xargs -P "$jobs" -I{} sh -c '{}' || return 1
}

# The log of a program that failed.
show() {
	echo "--- host/$1 $2: build/host/$1/$2.out${3:+ $3}"
	if [ -n "${3:-}" ]; then
		grep -v '^ok ' "build/host/$1/$2.out"
	else
		cat "build/host/$1/$2.out"
	fi
	echo "--- end of host/$1 $2"
}

# run FLAVOUR NAME: one program, its results added to ours.
run() {
	local f=$1 name=$2 bin=build/host/$1/$2 out rc totals p fa xf xp s e t0 plan
	out=build/host/$f/$name.out
	t0=$EPOCHREALTIME
	timeout -k 10 600 "$bin" > "$out" 2>&1
	rc=$?
	echo "=== host/$f $name: exit $rc, $(since "$t0") s"
	if [[ $name == *_unit ]]; then
		p=$(grep '^ok ' "$out" | grep -vc '# SKIP')
		s=$(grep '^ok ' "$out" | grep -c '# SKIP')
		fa=$(grep -c '^not ok ' "$out")
		pass=$((pass + p))
		skip=$((skip + s))
		fail=$((fail + fa))
		# A unit test prints its plan last: without it, it did not finish.
		plan=$(grep -c '^1\.\.[0-9]' "$out")
		if [ "$rc" -ne 0 ] || [ "$fa" -ne 0 ] || [ "$plan" -eq 0 ]; then
			show "$f" "$name" '(without its "ok" lines)'
		fi
		if [ "$plan" -eq 0 ]; then
			note_fail "$f/$name: did not finish (exit $rc)"
		elif [ "$rc" -ne 0 ] && [ "$fa" -eq 0 ]; then
			note_fail "$f/$name: exit $rc with no failed test"
		fi
		return
	fi
	totals=$(grep '^# Totals:' "$out" | tail -n 1)
	if [ -z "$totals" ]; then
		show "$f" "$name"
		note_fail "$f/$name: no totals (exit $rc)"
		return
	fi
	p=$(field "$totals" pass)
	fa=$(field "$totals" fail)
	xf=$(field "$totals" xfail)
	xp=$(field "$totals" xpass)
	s=$(field "$totals" skip)
	e=$(field "$totals" error)
	pass=$((pass + ${p:-0} + ${xf:-0}))
	fail=$((fail + ${fa:-0} + ${xp:-0} + ${e:-0}))
	skip=$((skip + ${s:-0}))
	# The failures, and every sanitizer report, in the log.
	if [ "${fa:-0}" -ne 0 ] || [ "${xp:-0}" -ne 0 ] || [ "${e:-0}" -ne 0 ] ||
	   [ "$rc" -ne 0 ] || grep -q 'Sanitizer\|runtime error:' "$out"; then
		show "$f" "$name"
	fi
	if grep -q 'Sanitizer\|runtime error:' "$out" && [ "${fa:-0}" -eq 0 ]; then
		note_fail "$f/$name: a sanitizer report"
	elif [ "$rc" -ne 0 ] && [ "${fa:-0}" -eq 0 ] && [ "${e:-0}" -eq 0 ]; then
		note_fail "$f/$name: exit $rc with no failed test"
	fi
}

t_start=$EPOCHREALTIME
IFS=, read -r -a fls <<< "$flavours"
for f in "${fls[@]}"; do
	[ -n "${fl[$f]+x}" ] || { note_fail "unknown flavour $f"; continue; }
	if ! build "$f"; then
		note_fail "$f: build"
		continue
	fi
	for name in "${names[@]}"; do
		[[ ,${want[$name]}, == *,$f,* ]] || continue
		run "$f" "$name"
	done
done
echo "host: time: $(since "$t_start") s"
echo "HOST_SUITE passed=$pass failed=$fail skipped=$skip"
[ "$fail" -eq 0 ]
