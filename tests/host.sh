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
# and run with LPEL_BACKEND=user, one at a time (timing tests share the
# CPUs with nothing else of ours).  Programs named *_unit are unit tests of
# the library's internals (TAP "ok N", "ok N - ... # SKIP why", "not ok N"
# lines); the others are the kselftest programs the VM stage runs against
# pel.ko.  A program that fails has its log printed (a unit test's without
# its "ok" lines); every log is in build/host/FLAVOUR/NAME.out.  Names
# ending in .sh are scripts in tests/ that print TAP as the unit tests do;
# they are not built here but run with HOST_CFLAGS, HOST_LIB_OBJS and
# HOST_LIB_LIBS (the flavour's flags, library objects and libraries) in
# their environment, to build what they run (tests/mpi_crc32c.sh: the MPI
# example under mpirun, plain only).  Ends with
# "HOST_SUITE passed=N failed=N skipped=N", which tests/run.sh reads.
#
# The long tests are shorter here, unless their knobs are set already:
# PEL_KILL_ROUNDS=100 (lifetime_test's SIGKILLed processes: on the user
# backend a killed process runs none of our code, and 100 rounds still
# kill at every moment the test varies), and under the sanitizers
# PEL_FUZZ_SQES=200000 and PEL_CQE_SQES=50000 (the same code paths, each
# still taken thousands of times; plain runs the full counts).
#
#   tests/host.sh [-f plain,asan,tsan] [-t TEST_GLOB] [-j JOBS]
#
# JOBS (default: the CPUs) is for the builds; the tests run one by one.
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
	     -Wno-sign-compare -Wno-clobbered -Iinclude -Iinclude/uapi -Ilib -Itests
	     -I.cache/linux-src/tools/testing/selftests)
declare -A fl=(
	[plain]=""
	[asan]="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
	[tsan]="-fsanitize=thread -Wno-tsan"
)
# halt_on_error: a finding fails the test that made it, not just the log.
# atexit_sleep_ms: TSan's exit waits that long (1000 by default) for
# threads still running to finish and report; lifetime_test's 40 children
# exit with the pool's threads busy on purpose, 1 s each.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:atexit_sleep_ms=100}
export LPEL_BACKEND=user LPEL_QUIET=1
export PEL_KILL_ROUNDS=${PEL_KILL_ROUNDS:-100}
san_env=()
[ -n "${PEL_FUZZ_SQES+x}" ] || san_env+=(PEL_FUZZ_SQES=200000)
[ -n "${PEL_CQE_SQES+x}" ] || san_env+=(PEL_CQE_SQES=50000)

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

# build: the library's objects of every flavour, then every program, all
# with up to $jobs compilers at once.  Prints the flavours whose library
# did not build; a program that did not is missing from build/host/.
build() {
	local f src name
	local -a cmds=()
	local -A lib_objs=()
	for f in "${fls[@]}"; do
		mkdir -p "build/host/$f"
		for src in "${lib_srcs[@]}"; do
			lib_objs[$f]+=" build/host/$f/$(basename "${src%.c}").o"
		done
		# shellcheck disable=SC2086  # lists of paths without spaces
		rm -f ${lib_objs[$f]}
		for name in "${names[@]}"; do
			rm -f "build/host/$f/$name"
		done
	done
	for f in "${fls[@]}"; do
		for src in "${lib_srcs[@]}"; do
			echo "$CC ${base_cflags[*]} ${fl[$f]} -c -o build/host/$f/$(basename "${src%.c}").o $src"
		done
	done | xargs -P "$jobs" -I{} sh -c '{}' >&2
	for f in "${fls[@]}"; do
		# shellcheck disable=SC2086
		if ! ls ${lib_objs[$f]} > /dev/null 2>&1; then
			echo "$f"
			continue
		fi
		for name in "${names[@]}"; do
			[[ ,${want[$name]}, == *,$f,* ]] || continue
			[[ $name != *.sh ]] || continue
			cmds+=("$CC ${base_cflags[*]} ${fl[$f]} -o build/host/$f/$name tests/$name.c${lib_objs[$f]} ${lib_libs[*]}")
		done
	done
	[ ${#cmds[@]} -eq 0 ] ||
		printf '%s\n' "${cmds[@]}" | xargs -P "$jobs" -I{} sh -c '{}' >&2
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
	local -a env=()
	out=build/host/$f/$name.out
	[ "$f" = plain ] || env=("${san_env[@]}")
	if [[ $name == *.sh ]]; then
		local objs="" src
		for src in "${lib_srcs[@]}"; do
			objs+=" build/host/$f/$(basename "${src%.c}").o"
		done
		bin=tests/$name
		env+=("HOST_CFLAGS=${base_cflags[*]} ${fl[$f]}"
		      "HOST_LIB_OBJS=${objs# }" "HOST_LIB_LIBS=${lib_libs[*]}")
	fi
	t0=$EPOCHREALTIME
	env "${env[@]}" timeout -k 10 600 "$bin" > "$out" 2>&1
	rc=$?
	echo "=== host/$f $name: exit $rc, $(since "$t0") s"
	if [[ $name == *_unit || $name == *.sh ]]; then
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
IFS=, read -r -a req <<< "$flavours"
fls=()
for f in "${req[@]}"; do
	if [ -n "${fl[$f]+x}" ]; then
		fls+=("$f")
	else
		note_fail "unknown flavour $f"
	fi
done
declare -A broken=()
while read -r f; do
	[ -n "$f" ] && broken[$f]=1
done < <(build)
echo "host: build: $(since "$t_start") s"
for f in "${fls[@]}"; do
	if [ -n "${broken[$f]+x}" ]; then
		note_fail "$f: the library did not build"
		continue
	fi
	for name in "${names[@]}"; do
		[[ ,${want[$name]}, == *,$f,* ]] || continue
		if [[ $name != *.sh ]] && [ ! -x "build/host/$f/$name" ]; then
			note_fail "$f/$name: did not build"
			continue
		fi
		run "$f" "$name"
	done
done
echo "host: time: $(since "$t_start") s"
echo "HOST_SUITE passed=$pass failed=$fail skipped=$skip"
[ "$fail" -eq 0 ]
