#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# A/B steps: pel.ko built from several revisions, loaded in turn in one VM
# boot and measured with the same pelbench runs, the rounds interleaved
# (A B C A B C ...) so that every variant shares the host's mood.  What
# Documentation/performance.md shows as "each change as its own step".
#
#   scripts/ab.sh [-k 6.1] [-c 2] [-R ROUNDS] [-t SECONDS] [-o LOG] NAME=REV...
#
#   NAME=REV  a variant: pel.ko built from kmod/ of git revision REV (a
#             commit, a branch, or "." for the working tree); pelbench and
#             the library are the working tree's for every variant, so only
#             the module differs.
#   -R        rounds (default 2); -t seconds per run (default 1)
#   -r FILE   the pelbench runs, one argument list a line (default: the
#             workloads of the fast path's targets, below)
#   -o        where the VM's output goes (default .cache/vm/logs/ab.log);
#             the summary (medians per variant) is printed at the end
#
# Run it only on a quiet host: no builds, no other VMs.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kernel=6.1
cpus=2
rounds=2
secs=1
log=.cache/vm/logs/ab.log
runsfile=
while getopts "k:c:R:t:o:r:h" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	c) cpus=$OPTARG ;;
	R) rounds=$OPTARG ;;
	t) secs=$OPTARG ;;
	o) log=$OPTARG ;;
	r) runsfile=$OPTARG ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "ab: name at least one NAME=REV" >&2; exit 2; }

# shellcheck source=/dev/null
. .cache/kernels/versions.mk 2>/dev/null || true
case $kernel in
6.1) kver=${KVER_6_1:-6.1.0-57-amd64} ;;
6.12) kver=${KVER_6_12:-6.12.117+deb12-amd64} ;;
*) kver=$kernel ;;
esac

out=build/ab
rm -rf "$out"
mkdir -p "$out"
names=()
files=()
for spec; do
	name=${spec%%=*}
	rev=${spec#*=}
	[ "$name" != "$spec" ] || { echo "ab: '$spec' is not NAME=REV" >&2; exit 2; }
	if [ "$rev" = . ]; then
		ko=$(scripts/build-kmod.sh -o "ab-$name" "$kver" | tail -n 1)
	else
		wt=$(mktemp -d /tmp/pel-ab.XXXXXX)
		git worktree add -q --detach "$wt" "$rev"
		ln -s "$top/.cache" "$wt/.cache"
		ko=$(cd "$wt" && scripts/build-kmod.sh "$kver" | tail -n 1)
		cp "$ko" "$out/$name.ko"
		ko=$out/$name.ko
		git worktree remove --force "$wt"
	fi
	[ "$ko" = "$out/$name.ko" ] || cp "$ko" "$out/$name.ko"
	names+=("$name")
	files+=(-f "$out/$name.ko")
	echo "ab: $name = $rev ($(git rev-parse --short "${rev/#./HEAD}")${rev/#./ + working tree})"
done
make -s tools/pelbench/pelbench

# The runs: the fast path's targets' workloads, each with its baselines.
if [ -n "$runsfile" ]; then
	cp "$runsfile" "$out/runs"
else
cat > "$out/runs" <<EOF
-w nop -q 128 -b 32 -B io_uring
-w nop -q 128 -b 32 -P block -B none
-w nop -q 1 -b 1 -B io_uring
-w copy -o 4K -q 1 -b 1 -B cpu
-w copy -o 64M -q 2 -B cpu,pthread_pool
-w copy -o 64M -q 2 -F -B none
-w crc32c -o 64M -q 2 -B cpu,pthread_pool
-w crc32c -o 64M -q 2 -F -B none
EOF
fi
cat > "$out/ab-vm.sh" <<EOF
cd /pel
for r in \$(seq 1 $rounds); do
	for n in ${names[*]}; do
		insmod /pel/\$n.ko || { echo "### \$n: insmod failed"; continue; }
		while read -r args; do
			echo "### \$n r\$r: \$args"
			/pel/pelbench -t $secs \$args 2>&1 || echo "### failed"
		done < /pel/runs
		rmmod pel
	done
done
echo "### ab done"
EOF
mkdir -p "$(dirname "$log")"
tools/vm/run-vm.sh -k "$kver" -c "$cpus" -M crc32c_intel -M libcrc32c -M xor \
	"${files[@]}" -f tools/pelbench/pelbench -f "$out/runs" -f "$out/ab-vm.sh" \
	-- 'sh /pel/ab-vm.sh' > "$log" 2>&1 || true
grep -q '### ab done' "$log" || { echo "ab: the VM did not finish: $log" >&2; exit 1; }

# Medians per variant and run of what the targets use.
scripts/ab-summary.py "$log"
echo "ab: full output in $log"
