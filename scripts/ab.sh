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
while getopts "k:c:R:t:o:h" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	c) cpus=$OPTARG ;;
	R) rounds=$OPTARG ;;
	t) secs=$OPTARG ;;
	o) log=$OPTARG ;;
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
make -s tools/pelbench

# The runs: the issue-13 targets' workloads, each with its baselines.
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
tools/vm/run-vm.sh -k "$kver" -c "$cpus" -M crc32c_intel -M libcrc32c \
	"${files[@]}" -f tools/pelbench -f "$out/runs" -f "$out/ab-vm.sh" \
	-- 'sh /pel/ab-vm.sh' > "$log" 2>&1 || true
grep -q '### ab done' "$log" || { echo "ab: the VM did not finish: $log" >&2; exit 1; }

# Medians per variant and run of what the targets use.
awk -v names="${names[*]}" '
function median(s,   n, a, i, j, t) {
	n = split(s, a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
		if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
	return n ? a[int((n + 1) / 2)] : "-"
}
/^### / && / r[0-9]+: / { v = $2; sub(/ r[0-9]+:.*/, "", $0); run = substr($0, index($0, ":") + 2); next }
/^### / { next }
/^### failed/ { next }
$1 == "pel" && $2 == "total" { key = v SUBSEP run; ops[key] = ops[key] " " $3; mib[key] = mib[key] " " $4; p50[key] = p50[key] " " $6; p99[key] = p99[key] " " $7; runs[run] = 1 }
/^pel \/ / && /throughput/ { key = v SUBSEP run SUBSEP $3 " " $4; gsub(/x,?/, "", $6); ratio[key] = ratio[key] " " $6; base[run SUBSEP $3 " " $4] = 1 }
/PEL_IOC_ENTER/ { for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^PEL_IOC_ENTER/) { key = v SUBSEP run; ent[key] = ent[key] " " $i } }
END {
	n = split(names, N, " ")
	for (run in runs) {
		printf "\n%s\n", run
		for (i = 1; i <= n; i++) {
			key = N[i] SUBSEP run
			printf "  %-12s ops/s %10s  MiB/s %8s  p50 %8s us  p99 %8s us", N[i], median(ops[key]), median(mib[key]), median(p50[key]), median(p99[key])
			for (b in base) { split(b, bb, SUBSEP); if (bb[1] == run) printf "  / %s %s", bb[2], median(ratio[N[i] SUBSEP run SUBSEP bb[2]]) }
			if (ent[key] != "") printf "  ENTER %s", median(ent[key])
			printf "\n"
		}
	}
}' "$log"
echo "ab: full output in $log"
