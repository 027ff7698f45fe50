#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: PEL's benchmark suite (pelbench -S) in VMs on Debian's
# 6.1 kernel, with 2 and with 4 vCPUs, each machine booted RUNS times; in
# each boot the suite runs on both backends, pel.ko (pelbench -S) and
# liblpel's user backend (pelbench -S -e user), one after the other, the
# first alternating from boot to boot.  Then the host part: the user
# backend's targets on the host itself (pelbench -S -e user
# --subset=user-backend: the user backend against the pthread pool and the
# SPSC ring; no VM).
# Absolute figures under TCG on a shared host mean little; the ratios
# pelbench measures inside one boot are what count, and the spread over
# boots says how far to trust them.
#
#   scripts/bench.sh [-c "2 4"] [-u "2 4"] [-r RUNS] [-t SECONDS] [-R ROUNDS]
#                    [-k 6.1|KVER] [-o DIR] [-A KERNEL_ARG]... [-n | -H]
#   scripts/bench.sh -x [-R ROUNDS] [-o DIR]
#
#   -c  vCPU counts of the machines (default "2 4")
#   -u  vCPU counts whose boots also run the suite on the user backend
#       (default: all of -c; -u "" for none)
#   -r  boots per machine (default 2)
#   -t  seconds per pelbench run (default 0.5; the host part too)
#   -R  rounds of the runs the targets use, per boot; medians (default 3)
#   -k  kernel (default 6.1)
#   -o  results directory (default Documentation/perf)
#   -A  extra kernel command-line argument for the VM (repeatable)
#   -n  no new boots: rebuild the tables and the plot from DIR/raw/
#   -H  only the host part (no VM), then the tables from DIR/raw/ as -n
#       (with no VM results there, just the host's own target table)
#   -x  instead of the suite, the experiments behind Documentation/performance.md
#       (A/B runs of module parameters, queue choice, clocksource; scheduler
#       and syscall event counts from tracefs; variants of pel.ko built from
#       kmod/ with the patches in DIR/patches/ applied), -R rounds each
#       (default 3), into DIR/experiments.md
#
# Writes into DIR (the suite):
#   bench.md        Markdown tables: per machine, the median over boots, and
#                   for ratios and targets the spread (min..max)
#   bench.json      the same figures, machine-readable
#   bench.png       throughput vs transfer size, and vs vCPUs (gnuplot)
#   raw/cN-rR.json  every boot's pelbench JSON; raw/cN-rR.md its tables
#   raw/user-cN-rR.{json,md}  the same boot's suite on the user backend
#   raw/host.{json,md,host}   the host part, and the host's load around it
# bench.md and bench.json end with the backend comparison (kernel vs user,
# per machine, run by run) and the user backend's targets in the VMs and on
# the host (scripts/bench-backends.py).
# The suite's file runs (file ranges and per-block digests) read a 256 MiB file on an ext4 disk:
# build/bench-ext4.img (512 MiB, sparse, made with mkfs.ext4 for each
# bench), attached with run-vm.sh -d and mounted at /mnt/ext4 in the VM
# (PEL_BENCH_FILE_DIR), so that they, and the cold-cache runs, read through
# the block layer.  Without mkfs.ext4, or if the mount fails, the file is on
# the VM's /tmp (in RAM: the cold runs are n/a), and the log says so.
# VM logs stay in .cache/vm/logs/bench-*.log (the host part's: bench-host.log).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

cpus_list="2 4"
user_list=default
runs=2
seconds=0.5
rounds=3
kernel=6.1
outdir=Documentation/perf
reuse=
experiments=
hostonly=
kargs=()
while getopts "c:u:r:t:R:k:o:A:nHxh" opt; do
	case $opt in
	c) cpus_list=$OPTARG ;;
	u) user_list=$OPTARG ;;
	r) runs=$OPTARG ;;
	t) seconds=$OPTARG ;;
	R) rounds=$OPTARG ;;
	k) kernel=$OPTARG ;;
	o) outdir=$OPTARG ;;
	A) kargs+=(-A "$OPTARG") ;;
	n) reuse=1 ;;
	H) hostonly=1 ;;
	x) experiments=1 ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done
[ "$user_list" != default ] || user_list=$cpus_list

log() { printf 'bench: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# gnuplot and jq are needed only here, not by make check: installed on demand.
need=()
command -v gnuplot >/dev/null || need+=(gnuplot-nox)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
	log "installing ${need[*]}"
	as_root apt-get update -qq >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

raw=$outdir/raw
mkdir -p "$raw"
logdir=$top/.cache/vm/logs
mkdir -p "$logdir"

hostload() { cut -d' ' -f1-3 /proc/loadavg; }

build() {
	scripts/setup.sh
	make -s lib tools/pelbench/pelbench tools/pelctl/pelctl
	kver=$(sed -n "s/^KVER_${kernel//./_} := //p" .cache/kernels/versions.mk)
	[ -n "$kver" ] || kver=$kernel
	if ! ko=$(scripts/build-kmod.sh "$kver" 2> "$logdir/bench-build-$kver.log" | tail -n 1); then
		cat "$logdir/bench-build-$kver.log" >&2
		log "pel.ko build for $kver failed"
		exit 1
	fi
}

# ---------------------------------------------------------------------------
# -x: the experiments.  ab.sh runs variants of a pelbench command, each
# ROUNDS times, interleaved, and prints medians; events.sh counts scheduler
# and ioctl events during one run (tracefs).
experiments() {
	local tmp vmlog out=$outdir/experiments.md r=${1:-3}

	tmp=$(mktemp -d)
	cat > "$tmp/ab.sh" <<'AB'
R=$1; shift
: > /tmp/ab.txt
r=0
while [ $r -lt $R ]; do
	r=$((r + 1))
	for v in "$@"; do
		label=$(echo "${v%%|*}" | tr ' ' _)
		out=$(eval "${v#*|} -j" 2>/dev/null)
		get() { echo "$out" | grep -m1 "\"$1\"" | sed 's/.*: //; s/,//'; }
		echo "$label $(get ops_per_s) $(get mib_per_s) $(get p50) $(get p99) $(get wakeups) $(get per_s)" >> /tmp/ab.txt
	done
done
printf '| variant | ops/s | MiB/s | p50 us | p99 us | worker wake-ups | PEL_IOC_ENTER/s | ops/s, each round |\n|---|---:|---:|---:|---:|---:|---:|---|\n'
for v in "$@"; do
	label=$(echo "${v%%|*}" | tr ' ' _)
	grep "^$label " /tmp/ab.txt | awk -v l="$label" '
	function med(x, n,   i, j, t) {
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (x[j] + 0 < x[i] + 0) { t = x[i]; x[i] = x[j]; x[j] = t }
		return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
	}
	{ o[NR] = $2; m[NR] = $3; a[NR] = $4; b[NR] = $5; w[NR] = $6; e[NR] = $7; all = all " " int($2) }
	END { gsub(/_/, " ", l); printf "| %s | %.0f | %.1f | %.1f | %.1f | %s | %s | %s |\n", l, med(o, NR), med(m, NR), med(a, NR) / 1000, med(b, NR) / 1000, w[1] == "" ? "-" : med(w, NR), e[1] == "" ? "-" : int(med(e, NR)), all }'
done
AB
	cat > "$tmp/events.sh" <<'EV'
T=/sys/kernel/tracing
ev="sched/sched_wakeup sched/sched_switch syscalls/sys_enter_ioctl"
echo 16384 > $T/buffer_size_kb
echo > $T/trace
for e in $ev; do echo 1 > $T/events/$e/enable; done
echo 1 > $T/tracing_on
"$@" -j > /tmp/ev.json
echo 0 > $T/tracing_on
for e in $ev; do echo 0 > $T/events/$e/enable; done
cat $T/trace > /tmp/ev.txt
ops=$(grep -m1 '"ops_per_s"' /tmp/ev.json | sed 's/.*: //; s/,//')
win=$(grep -m1 '"window_s"' /tmp/ev.json | sed 's/.*: //; s/,//')
printf '| `%s` | %.0f | %s | %s | %s | %s |
' "$*" "$ops" 	"$(grep -c 'pelbench.*sys_ioctl' /tmp/ev.txt)" 	"$(grep sched_wakeup /tmp/ev.txt | grep -c 'comm=pel/')" 	"$(grep 'sched_switch: prev_comm=pel/' /tmp/ev.txt | grep -c 'prev_state=S')" 	"$(grep 'sched_switch: prev_comm=pelbench' /tmp/ev.txt | grep -c 'next_comm=pel/')"
EV
	# Variants of pel.ko: kmod/ plus patches from $outdir/patches, each
	# built in its own tree.  A patch that no longer applies is reported
	# and its variant left out.
	printf 'rmmod pel 2>/dev/null\ninsmod /pel/$1.ko\n' > "$tmp/sw.sh"
	local variants=() vfiles=()
	variant() {
		local name=$1 d=$tmp/v-$1 p
		shift
		mkdir -p "$d"
		cp Kbuild VERSION "$d/"
		ln -s "$top/include" "$d/include"
		cp -r kmod "$d/kmod"
		rm -f "$d"/kmod/*.o "$d"/kmod/*.ko "$d"/kmod/*.mod* "$d"/kmod/.*.cmd "$d"/kmod/modules.order
		for p in "$@"; do
			if ! patch -s -d "$d" -p1 < "$outdir/patches/$p.patch" > "$d/patch.log" 2>&1; then
				log "variant $name: $p.patch does not apply to kmod/; left out"
				return 0
			fi
		done
		if ! make -s -C "/lib/modules/$kver/build" M="$d" modules > "$d/build.log" 2>&1; then
			log "variant $name: build failed ($d/build.log); left out"
			return 0
		fi
		cp "$d/kmod/pel.ko" "$tmp/pel-$name.ko"
		variants+=("$name")
		vfiles+=(-f "$tmp/pel-$name.ko")
	}
	variant base
	variant localclock localclock
	variant nohome nohome
	variant lc-nohome localclock nohome
	variant lc-nohome-bp localclock nohome batchpost
	variant pinned pinned
	has() { [[ " ${variants[*]} " == *" $1 "* ]]; }
	# ab.sh variants "label|command" for the variants that were built.
	vab() {
		local label=$1 v=$2 cmd=$3
		has "$v" && printf '"%s|sh /pel/sw.sh pel-%s; %s" ' "$label" "$v" "$cmd"
	}

	# One boot per clocksource: the default (HPET under TCG) and the TSC.
	{
		echo "# pelbench experiments"
		echo
		echo "Generated by \`scripts/bench.sh -x\` on $(date -u +%Y-%m-%d), 2 vCPUs, kernel $kver, $r rounds per variant (medians)."
		echo "Host load average before: $(hostload)."
	} > "$out"
	for cs in hpet tsc; do
		vmlog=$logdir/bench-x-$cs.log
		log "experiments, clocksource $cs (log $vmlog)"
		local args=()
		[ "$cs" = tsc ] && args=(-A tsc=reliable)
		tools/vm/run-vm.sh -k "$kver" -c 2 -m 2048 -t 3600 -l "$vmlog" "${args[@]}" \
			-M crc32c_intel -M libcrc32c -M xor \
			-f "$ko" -f tools/pelbench/pelbench -f "$tmp/ab.sh" -f "$tmp/events.sh" \
			-- "insmod pel.ko && dmesg -n 1
			    P=/sys/module/pel/parameters
			    B='pelbench -B none'
			    echo PELX_BEGIN
			    echo; echo \"## clocksource \$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)\"; echo
			    echo '### NOP, depth 128, batch 32: which queue, and blocking waits'; echo
			    sh ab.sh $r \"local|\$B -w nop -q 128 -b 32 -t 1\" \"next|\$B -w nop -q 128 -b 32 -t 1 --sq=next\" \
				\"local-block|\$B -w nop -q 128 -b 32 -t 1 -P block\" \"io_uring|\$B -w nop -q 128 -b 32 -t 1 -e io_uring\" \
				\"sqpoll|\$B -w nop -q 128 -b 32 -t 1 -e io_uring_sqpoll\" \"spsc|\$B -w nop -q 128 -b 32 -t 1 -e spsc_ring\"
			    echo; echo '### COPY 4 KiB at depth 1: which queue, polled or blocking'; echo
			    sh ab.sh $r \"local|\$B -w copy -o 4K -q 1 -b 1 -t 1\" \"next|\$B -w copy -o 4K -q 1 -b 1 -t 1 --sq=next\" \
				\"local-block|\$B -w copy -o 4K -q 1 -b 1 -t 1 -P block\" \"sqpoll-nop|\$B -w nop -q 1 -b 1 -t 1 -e io_uring_sqpoll\"
			    echo; echo '### Scheduler and ioctl events in one 1 s NOP run (tracefs)'; echo
			    echo '| command | ops/s | PEL_IOC_ENTER ioctls | pel/N wake-ups | pel/N sleeps | pelbench preempted by pel/N |'
			    echo '|---|---:|---:|---:|---:|---:|'
			    sh events.sh pelbench -B none -w nop -q 128 -b 32 -t 1
			    sh events.sh pelbench -B none -w nop -q 128 -b 32 -t 1 --sq=next
			    sh events.sh pelbench -B none -w copy -o 4K -q 1 -b 1 -t 1
			    if [ $cs = hpet ]; then
			    echo; echo '### Module parameters: idle_us and batch (NOP, depth 128, batch 32)'; echo
			    sh ab.sh $r \"idle_us=50|echo 50 > \$P/idle_us; \$B -w nop -q 128 -b 32 -t 1\" \
				\"idle_us=500|echo 500 > \$P/idle_us; \$B -w nop -q 128 -b 32 -t 1\" \
				\"idle_us=5000|echo 5000 > \$P/idle_us; \$B -w nop -q 128 -b 32 -t 1\" \
				\"batch=8|echo 500 > \$P/idle_us; echo 8 > \$P/batch; \$B -w nop -q 128 -b 32 -t 1\" \
				\"batch=64|echo 64 > \$P/batch; \$B -w nop -q 128 -b 32 -t 1\"
			    echo 32 > \$P/batch
			    echo; echo '### The data path: one worker per op (split_bytes=0) against one user thread'; echo
			    sh ab.sh $r \"pel copy 4M q2 nosplit|echo 0 > \$P/split_bytes; \$B -w copy -o 4M -q 2 -b 1 -t 1\" \
				\"memcpy 4M 1T|\$B -w copy -o 4M -q 1 -t 1 -e cpu\" \
				\"rep movsb 64K 1T|\$B -w copy -o 64K -q 1 -t 1 -e cpu --cpu-copy=movsb\" \
				\"pel crc 4M q2 nosplit|\$B -w crc32c -o 4M -q 2 -b 1 -t 1\" \
				\"crc32c 4M 1T|\$B -w crc32c -o 4M -q 1 -t 1 -e cpu\" \
				\"pool crc 4M q2|\$B -w crc32c -o 4M -q 2 -b 1 -t 1 -e pthread_pool\"
			    echo; echo '### Splitting: 64 MiB ops at depth 1 by split_bytes'; echo
			    sh ab.sh $r \"crc split=1M|echo 1048576 > \$P/split_bytes; \$B -w crc32c -o 64M -q 1 -t 1\" \
				\"crc split=8M|echo 8388608 > \$P/split_bytes; \$B -w crc32c -o 64M -q 1 -t 1\" \
				\"crc 1T|\$B -w crc32c -o 64M -q 1 -t 1 -e cpu\" \
				\"crc pool|\$B -w crc32c -o 64M -q 1 -t 1 -e pthread_pool\" \
				\"copy split=1M|echo 1048576 > \$P/split_bytes; \$B -w copy -o 64M -q 1 -t 1\" \
				\"copy split=8M|echo 8388608 > \$P/split_bytes; \$B -w copy -o 64M -q 1 -t 1\" \
				\"copy 1T|\$B -w copy -o 64M -q 1 -t 1 -e cpu\" \
				\"copy pool|\$B -w copy -o 64M -q 1 -t 1 -e pthread_pool\"
			    fi
			    echo PELX_END" > /dev/null || log "experiments ($cs): run-vm exit $?; see $vmlog"
		sed -n '/^PELX_BEGIN$/,/^PELX_END$/p' "$vmlog" | sed '1d;$d' >> "$out"
	done
	# The module variants, in one boot.
	vmlog=$logdir/bench-x-variants.log
	log "experiments, pel.ko variants: ${variants[*]} (log $vmlog)"
	local nop="pelbench -B none -w nop -q 128 -b 32 -t 1"
	local lat="pelbench -B none -w copy -o 4K -q 1 -b 1 -t 1"
	local sp="echo 0 > /sys/module/pel/parameters/split_bytes;"
	tools/vm/run-vm.sh -k "$kver" -c 2 -m 2048 -t 3600 -l "$vmlog" \
		-M crc32c_intel -M libcrc32c -M xor "${vfiles[@]}" \
		-f tools/pelbench/pelbench -f "$tmp/ab.sh" -f "$tmp/sw.sh" \
		-- "dmesg -n 1
		    echo PELX_BEGIN
		    echo; echo '## pel.ko variants (patches in Documentation/perf/patches/)'; echo
		    echo '### NOP, depth 128, batch 32'; echo
		    sh ab.sh $r $(vab base base "$nop") $(vab localclock localclock "$nop") \
			$(vab nohome nohome "$nop") $(vab localclock+nohome lc-nohome "$nop") \
			$(vab localclock+nohome+batchpost lc-nohome-bp "$nop") \
			\"io_uring|$nop -e io_uring\" \"sqpoll|$nop -e io_uring_sqpoll\" \"spsc|$nop -e spsc_ring\"
		    echo; echo '### COPY 4 KiB at depth 1'; echo
		    sh ab.sh $r $(vab base base "$lat") $(vab localclock+nohome lc-nohome "$lat") \
			$(vab localclock+nohome+batchpost lc-nohome-bp "$lat") \
			$(vab 'base, --sq=next' base "$lat --sq=next") \
			\"sqpoll NOP|pelbench -B none -w nop -q 1 -b 1 -t 1 -e io_uring_sqpoll\"
		    echo; echo '### The data path: bounce buffer (base) or pinned pages'; echo
		    sh ab.sh $r $(vab 'base COPY 4M q2 nosplit' base "$sp pelbench -B none -w copy -o 4M -q 2 -b 1 -t 1") \
			$(vab 'pinned COPY 4M q2 nosplit' pinned "$sp pelbench -B none -w copy -o 4M -q 2 -b 1 -t 1") \
			\"memcpy 4M 1 thread|pelbench -B none -w copy -o 4M -q 1 -t 1 -e cpu\" \
			$(vab 'base CRC32C 4M q2 nosplit' base "$sp pelbench -B none -w crc32c -o 4M -q 2 -b 1 -t 1") \
			$(vab 'pinned CRC32C 4M q2 nosplit' pinned "$sp pelbench -B none -w crc32c -o 4M -q 2 -b 1 -t 1") \
			\"crc32c 4M 1 thread|pelbench -B none -w crc32c -o 4M -q 1 -t 1 -e cpu\" \
			$(vab 'base COPY 64M split' base "pelbench -B none -w copy -o 64M -q 1 -t 1") \
			$(vab 'pinned COPY 64M split' pinned "pelbench -B none -w copy -o 64M -q 1 -t 1") \
			\"pool COPY 64M|pelbench -B none -w copy -o 64M -q 1 -t 1 -e pthread_pool\" \
			$(vab 'base CRC32C 64M split' base "pelbench -B none -w crc32c -o 64M -q 1 -t 1") \
			$(vab 'pinned CRC32C 64M split' pinned "pelbench -B none -w crc32c -o 64M -q 1 -t 1") \
			\"pool CRC32C 64M|pelbench -B none -w crc32c -o 64M -q 1 -t 1 -e pthread_pool\"
		    echo; echo 'Results checked (-y) with every variant:'
		    for v in ${variants[*]}; do sh /pel/sw.sh pel-\$v; for w in copy crc32c nop; do
			pelbench -B none -w \$w -o 3M -q 4 -b 2 -t 0.3 -y > /tmp/y.txt 2>&1 && echo \"- \$v \$w: ok\" || { echo \"- \$v \$w: FAILED\"; cat /tmp/y.txt; }; done; done
		    echo PELX_END" > /dev/null || log "experiments (variants): run-vm exit $?; see $vmlog"
	sed -n '/^PELX_BEGIN$/,/^PELX_END$/p' "$vmlog" | sed '1d;$d' >> "$out"

	echo "" >> "$out"
	echo "Host load average after: $(hostload)." >> "$out"
	rm -rf "$tmp"
	log "wrote $out"
	cat "$out"
}

if [ -n "$experiments" ]; then
	mkdir -p "$outdir"
	build
	experiments "$rounds"
	exit 0
fi

# The host part: the user backend's targets where there is no VM and no pel.ko,
# liblpel's user backend on the host's own CPUs, with the same pelbench and
# the same rules (pelbench -S --subset=user-backend: its runs, -R rounds each,
# interleaved; medians).
host_part() {
	local hlog=$logdir/bench-host.log rc=0

	make -s lib tools/pelbench/pelbench
	rm -f "$raw"/host.json "$raw"/host.md "$raw"/host.host
	log "host part: pelbench -S -e user --subset=user-backend on the host (log $hlog)"
	echo "host load average before: $(hostload)" > "$raw/host.host"
	LPEL_BACKEND=user tools/pelbench/pelbench -S -e user --subset=user-backend \
		-t "$seconds" -R "$rounds" -J "$raw/host.json" \
		> "$raw/host.md" 2> "$hlog" || rc=$?
	echo "host load average after: $(hostload)" >> "$raw/host.host"
	if ! jq -e .runs "$raw/host.json" > /dev/null 2>&1; then
		log "host part: no results (pelbench exit $rc); see $hlog"
		rm -f "$raw/host.json" "$raw/host.md"
		status=1
		return 0
	fi
	[ "$rc" -eq 0 ] || { log "host part: pelbench exit $rc (failed ops); see $hlog"; status=1; }
	cat "$raw/host.md"
}

# One suite's results out of a boot's console log: between NAME_BEGIN and
# NAME_END lines, into FILE.
extract() {
	sed -n "/^$2_BEGIN\$/,/^$2_END\$/p" "$1" | sed '1d;$d' > "$3"
}

# The ext4 disk of the file runs: made anew for each bench (sparse).
bench_disk() {
	local img=$top/build/bench-ext4.img mkfs
	mkfs=$(PATH=$PATH:/sbin:/usr/sbin command -v mkfs.ext4 || true)
	disk=()
	if [ -z "$mkfs" ]; then
		log "file runs: mkfs.ext4 not found: the file is on the VM's /tmp (cold runs n/a)"
	elif mkdir -p build && rm -f "$img" && truncate -s 512M "$img" &&
	     "$mkfs" -q -F -L pel-bench -E lazy_itable_init=0,lazy_journal_init=0 \
		"$img" > "$logdir/bench-mkfs.log" 2>&1; then
		disk=(-d "$img")
		log "file runs: ext4 disk $img (512 MiB, sparse), /mnt/ext4 in the VM"
	else
		log "file runs: mkfs.ext4 of $img failed ($logdir/bench-mkfs.log): the file is on the VM's /tmp (cold runs n/a)"
	fi
}

status=0
if [ -n "$hostonly" ]; then
	host_part
elif [ -z "$reuse" ]; then
	build
	bench_disk
	rm -f "$raw"/c*-r*.json "$raw"/c*-r*.md "$raw"/c*-r*.host \
		"$raw"/user-c*-r*.json "$raw"/user-c*-r*.md
	for c in $cpus_list; do
		for r in $(seq 1 "$runs"); do
			vmlog=$logdir/bench-c$c-r$r.log
			# Both backends where -u asks for it; which goes first
			# alternates from boot to boot, so that a drift of the
			# host over a boot hits each alike.
			order=kernel
			if [[ " $user_list " == *" $c "* ]]; then
				if [ $((r % 2)) -eq 1 ]; then order="kernel user"; else order="user kernel"; fi
			fi
			log "machine $c vCPUs, boot $r of $runs: suites on $order (log $vmlog)"
			echo "host load average before: $(hostload)" > "$raw/c$c-r$r.host"
			# The console carries the results: quiet the kernel on it.
			rc=0
			tools/vm/run-vm.sh -k "$kver" -c "$c" -m 2048 -t 3600 \
				-l "$vmlog" "${kargs[@]}" "${disk[@]}" \
				-M crc32c_intel -M libcrc32c -M xor \
				-f "$ko" -f tools/pelbench/pelbench -f tools/pelctl/pelctl \
				-- "rc=0
				    insmod pel.ko && dmesg -n 1 || rc=1
				    if [ -b /dev/vda ] && mkdir -p /mnt/ext4 && mount -t ext4 /dev/vda /mnt/ext4; then
					export PEL_BENCH_FILE_DIR=/mnt/ext4
					echo \"bench: file runs on ext4: \$(grep ' /mnt/ext4 ' /proc/mounts)\"
				    else
					echo 'bench: file runs on /tmp (no ext4 disk mounted): cold runs n/a'
				    fi
				    for b in $order; do
					e=; [ \$b = user ] && e='-e user'
					pelbench -S \$e -t $seconds -R $rounds -J /tmp/bench-\$b.json > /tmp/bench-\$b.md || rc=1
				    done
				    echo PELBENCH_MD_BEGIN; cat /tmp/bench-kernel.md; echo PELBENCH_MD_END
				    echo PELBENCH_JSON_BEGIN; cat /tmp/bench-kernel.json; echo PELBENCH_JSON_END
				    if [ -f /tmp/bench-user.json ]; then
					echo PELBENCH_USER_MD_BEGIN; cat /tmp/bench-user.md; echo PELBENCH_USER_MD_END
					echo PELBENCH_USER_JSON_BEGIN; cat /tmp/bench-user.json; echo PELBENCH_USER_JSON_END
				    fi
				    pelctl status
				    rm -f /mnt/ext4/pelbench-file-*; umount /mnt/ext4 2>/dev/null
				    exit \$rc" > /dev/null || rc=$?
			echo "host load average after: $(hostload)" >> "$raw/c$c-r$r.host"
			extract "$vmlog" PELBENCH_JSON "$raw/c$c-r$r.json"
			extract "$vmlog" PELBENCH_MD "$raw/c$c-r$r.md"
			if [[ $order == *user* ]]; then
				extract "$vmlog" PELBENCH_USER_JSON "$raw/user-c$c-r$r.json"
				extract "$vmlog" PELBENCH_USER_MD "$raw/user-c$c-r$r.md"
				if ! jq -e .runs "$raw/user-c$c-r$r.json" > /dev/null 2>&1; then
					log "boot c$c r$r: no user-backend results (run-vm exit $rc); see $vmlog"
					rm -f "$raw/user-c$c-r$r.json" "$raw/user-c$c-r$r.md"
					status=1
				fi
			fi
			if ! jq -e .runs "$raw/c$c-r$r.json" > /dev/null 2>&1; then
				log "boot c$c r$r: no results (run-vm exit $rc); see $vmlog"
				rm -f "$raw/c$c-r$r.json" "$raw/c$c-r$r.md"
				status=1
				continue
			fi
			# Failed ops, miscompares or kernel-log findings: keep the
			# figures, but say so.
			[ "$rc" -eq 0 ] || { log "boot c$c r$r: run-vm exit $rc (failed ops or log findings); see $vmlog"; status=1; }
			cat "$raw/c$c-r$r.md"
			[ ! -f "$raw/user-c$c-r$r.md" ] || cat "$raw/user-c$c-r$r.md"
		done
	done
	host_part
fi

shopt -s nullglob
files=("$raw"/c*-r*.json)
if [ ${#files[@]} -eq 0 ] && [ -n "$hostonly" ] && [ -f "$raw/host.json" ]; then
	log "no VM results in $raw: the host part's table only ($raw/host.md)"
	exit "$status"
fi
[ ${#files[@]} -gt 0 ] || { log "no results in $raw"; exit 1; }

# ---------------------------------------------------------------------------
# Aggregate: per machine, each figure over the boots (median, min, max);
# ratios are formed inside each boot first, then summarised.
machines=$(for f in "${files[@]}"; do jq -r .cpus "$f"; done | sort -n | uniq)
agg=$(mktemp)
trap 'rm -f "$agg" "$agg".*' EXIT
for c in $machines; do
	jq -s '
	def stats: (map(select(. != null)) | sort) as $v
		| ($v | length) as $n
		| if $n == 0 then null else
		  { median: (if $n % 2 == 1 then $v[($n - 1) / 2]
			     else ($v[$n / 2 - 1] + $v[$n / 2]) / 2 end),
		    min: $v[0], max: $v[-1], n: $n } end;
	def fig($b; $id; f): [$b.runs[] | select(.id == $id) | .median | select(. != null) | f][0];
	def div($a; $b): if $a == null or $b == null or $b == 0 then null else $a / $b end;
	# As pelbench judges it: a spinning baseline counts only when it was not
	# starved in that run; N x one thread only with the parallelism of N.
	# pelbench writes its own judgement (.valid) into each target; this is
	# for the raw files of older pelbenches, which did not.
	def p50us($b; $id): (fig($b; $id; .latency_ns.p50) // 1e15) / 1000;
	def valid($b; $tid):
		if $tid == "nop_vs_sqpoll" then p50us($b; "nop.b32.io_uring_sqpoll") < 200
		elif $tid == "nop_vs_spsc" then p50us($b; "nop.b32.spsc_ring") < 200
		elif $tid == "lat_p50" or $tid == "lat_p99" then p50us($b; "lat.nop.io_uring_sqpoll") < 50
		elif $tid == "copy64m_vs_1t" or $tid == "crc64m_vs_1t" then
			(div(fig($b; "crc32c.64M.pthread_pool"; .mib_per_s); fig($b; "crc32c.64M.cpu"; .mib_per_s)) // 0) >= 0.75 * $b.cpus
		else true end;
	. as $boots
	| ($boots[0].runs | map(.id)) as $ids
	| { cpus: $boots[0].cpus, kernel: $boots[0].kernel,
	    module: $boots[0].module, seconds: $boots[0].seconds,
	    rounds: $boots[0].rounds, boots: ($boots | length),
	    runs: [ $ids[] as $id | { id: $id,
		ops_per_s: [ $boots[] | fig(.; $id; .ops_per_s) ] | stats,
		mib_per_s: [ $boots[] | fig(.; $id; .mib_per_s) ] | stats,
		p50_ns: [ $boots[] | fig(.; $id; .latency_ns.p50) ] | stats,
		p99_ns: [ $boots[] | fig(.; $id; .latency_ns.p99) ] | stats,
		enters_per_s: [ $boots[] | fig(.; $id; .enters_per_s) ] | stats } ],
	    ratios: [ $ids[] | select(test("\\.pel$")) | sub("\\.pel$"; "") as $base
		| select($base | startswith("nop.") or startswith("lat.") | not)
		| { id: $base,
		    pel_vs_cpu: [ $boots[] | div(fig(.; $base + ".pel"; .mib_per_s);
						 fig(.; $base + ".cpu"; .mib_per_s)) ] | stats,
		    pel_vs_pool: [ $boots[] | div(fig(.; $base + ".pel"; .mib_per_s);
						  fig(.; $base + ".pthread_pool"; .mib_per_s)) ] | stats } ],
	    targets: [ $boots[0].targets[] | . as $t
		| [ $boots[] | . as $b | .targets[] | select(.id == $t.id)
		    | .valid = (if has("valid") then .valid else valid($b; $t.id) end) ] as $per
		# .group: what the target measures; older raw files numbered it (.issue).
		| { id: $t.id,
		    group: ($t.group // ({"14": "user-backend", "15": "file"}[($t.issue // 13) | tostring]
				       // "fast-path")),
		    what: $t.what, goal: $t.goal, cmp: $t.cmp,
		    value: [ $per[] | .value ] | stats,
		    valid_value: [ $per[] | select(.valid != false) | .value ] | stats,
		    valid_boots: [ $per[] | select(.valid != false) ] | length,
		    invalid: ([ $per[] | select(.valid == false) | .invalid ][0] // null),
		    na: ([ $per[] | .na | select(. != null) ][0] // null) }
		| .verdict = (if .valid_value == null then
				(if .na != null then "n/a: \(.na)"
				 elif .value == null then "n/a" else "not valid on this host" end)
			      elif .cmp == ">=" then (if .valid_value.median >= .goal then "met" else "missed" end)
			      elif .cmp == "==" then (if .valid_value.median == .goal then "met" else "missed" end)
			      else (if .valid_value.median <= .goal then "met" else "missed" end) end) ],
	    host_check: { spsc_round_trip_p50_us: [ $boots[].host_check.spsc_round_trip_p50_us ] | stats,
			  sqpoll_round_trip_p50_us: [ $boots[].host_check.sqpoll_round_trip_p50_us ] | stats,
			  pool_crc32c_scaling: [ $boots[].host_check.pool_crc32c_scaling ] | stats,
			  pool_copy_scaling: [ $boots[].host_check.pool_copy_scaling ] | stats },
	    idle_pct: [ $boots[].idle.pct_one_cpu ] | stats }
	' "$raw"/c"$c"-r*.json > "$agg.$c"
done
jq -s --arg host "$(nproc) host CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)" \
	--arg date "$(date -u +%Y-%m-%d)" \
	'{ tool: "pelbench", date: $date, host: $host, machines: . }' \
	$(for c in $machines; do echo "$agg.$c"; done) > "$outdir/bench.json"

# ---------------------------------------------------------------------------
# Markdown.
jq -r '
def f($p): if . == null then "-" else (. * pow(10; $p) | round / pow(10; $p) | tostring) end;
def s($p): if . == null then "-"
	   elif .n > 1 then "\(.median | f($p)) (\(.min | f($p))..\(.max | f($p)))"
	   else (.median | f($p)) end;
def m($p): if . == null then "-" else (.median | f($p)) end;
def us: if . == null then null else { median: (.median / 1000), min: (.min / 1000), max: (.max / 1000), n } end;
def run($mc; $id): ($mc.runs[] | select(.id == $id)) // null;
def ratio($mc; $id): ($mc.ratios[] | select(.id == $id)) // null;
.machines as $ms
| "# pelbench results",
  "",
  "Generated by `make bench` (scripts/bench.sh) on \(.date); host: \(.host).",
  "Kernel \($ms[0].kernel), TCG; pel.ko idle_us \($ms[0].module.idle_us), batch \($ms[0].module.batch), split_bytes \($ms[0].module.split_bytes).",
  "Each machine booted \($ms[0].boots) times; in each boot every run lasted \($ms[0].seconds) s (longer for large ops, until 5 completions),",
  "and the runs the targets use were repeated \($ms[0].rounds) times, interleaved: a figure is the median over rounds, then over boots.",
  "Ratios are formed inside each boot; \"a (b..c)\" is the median over boots and the range.",
  "",
  "## Targets: the fast path (pel.ko)",
  "",
  "| target | goal | " + ([$ms[] | "\(.cpus) vCPUs"] | join(" | ")) + " |",
  "|---|---|" + ([$ms[] | "---"] | join("|")) + "|",
  ($ms[0].targets[] | select(.group == "fast-path") | .id as $tid
   | "| \(.what) | \(.cmp) \(.goal) | "
     + ([$ms[] | .boots as $nb | (.targets[] | select(.id == $tid))
	 | if .valid_value == null then "\(.value | s(2)) \(.verdict)"
	   elif .valid_boots < $nb then "\(.valid_value | s(2)) \(.verdict) (valid in \(.valid_boots)/\($nb) boots; all: \(.value | s(2)))"
	   else "\(.valid_value | s(2)) \(.verdict)" end]
	| join(" | ")) + " |"),
  "",
  "Valid: a comparison with a spinning baseline (SQPOLL, the SPSC ring) counts only when the host ran both vCPUs at once",
  "(the baseline run itself had a p50 under 200 us, under 50 us at depth 1: healthy is about 15 and 1 us, starved milliseconds);",
  "one with N x one thread only when the host gave the parallelism of N vCPUs",
  "(the pthread pool itself at least 0.9 N x one thread on COPY 64 MiB). A verdict uses the valid boots;",
  "registered-buffer targets are n/a where the module lacks PEL_FEAT_REGISTERED_BUFFERS.",
  "PEL_IOC_ENTER/s: the calls of the contexts of the run itself (pel_ctx_stats.enters) over its measuring window.",
  "Host check, median (range) over boots: round trip p50 us, SPSC ring "
    + ([$ms[] | "\(.cpus) vCPUs \(.host_check.spsc_round_trip_p50_us | s(1))"] | join("; "))
    + "; SQPOLL " + ([$ms[] | "\(.cpus) vCPUs \(.host_check.sqpoll_round_trip_p50_us | s(1))"] | join("; "))
    + "; pool CRC32C scaling " + ([$ms[] | "\(.cpus) vCPUs \(.host_check.pool_crc32c_scaling | s(2))x"] | join("; "))
    + "; pool COPY scaling " + ([$ms[] | "\(.cpus) vCPUs \(.host_check.pool_copy_scaling | s(2))x"] | join("; ")) + ".",
  "",
  (if [$ms[0].targets[] | select(.group == "file")] | length == 0 then empty else
   "## Targets: file ranges and per-block digests",
   "",
   "| target | goal | " + ([$ms[] | "\(.cpus) vCPUs"] | join(" | ")) + " |",
   "|---|---|" + ([$ms[] | "---"] | join("|")) + "|",
   ($ms[0].targets[] | select(.group == "file") | .id as $tid
    | "| \(.what) | \(.cmp) \(.goal) | "
      + ([$ms[] | .boots as $nb | (.targets[] | select(.id == $tid))
	  | if .valid_value == null then "\(.value | s(2)) \(.verdict)"
	    elif .valid_boots < $nb then "\(.valid_value | s(2)) \(.verdict) (valid in \(.valid_boots)/\($nb) boots; all: \(.value | s(2)))"
	    else "\(.valid_value | s(2)) \(.verdict)" end]
	 | join(" | ")) + " |"),
   "",
   "The file runs: 64 MiB ranges of a 256 MiB file on the ext4 disk of the VM, depth 1; cached (repeated) and cold",
   "(the page cache dropped before each op, outside the timed span; run once, not a target). MiB/s; PEL/1T and PEL/pool per boot.",
   "",
   "| run | " + ([$ms[] | "\(.cpus) vCPUs: PEL | 1T | pool | PEL/1T | PEL/pool"] | join(" | ")) + " |",
   "|---|" + ([$ms[] | "---:|---:|---:|---:|---:"] | join("|")) + "|",
   ([$ms[0].runs[] | .id | select(startswith("file.") and endswith(".pel")) | sub("\\.pel$"; "")][] as $b
    | "| \($b) | " + ([$ms[] | . as $mc
	| [run($mc; "\($b).pel").mib_per_s | m(1)] + [run($mc; "\($b).cpu").mib_per_s | m(1)]
	  + [run($mc; "\($b).pthread_pool").mib_per_s | m(1)]
	  + [ratio($mc; $b).pel_vs_cpu | s(2)] + [ratio($mc; $b).pel_vs_pool | s(2)]
	| join(" | ")] | join(" | ")) + " |"),
   "" end),
  "## NOP hand-off: ops/s (depth 128, batch 32, one submitting thread)",
  "",
  "| engine | " + ([$ms[] | "\(.cpus) vCPUs"] | join(" | ")) + " |",
  "|---|" + ([$ms[] | "---:"] | join("|")) + "|",
  ([["PEL, polled", "nop.b32.pel"], ["PEL, blocking waits", "nop.b32.pel_block"],
    ["io_uring, plain submit", "nop.b32.io_uring"], ["io_uring, SQPOLL", "nop.b32.io_uring_sqpoll"],
    ["raw SPSC ring, 2 pinned threads", "nop.b32.spsc_ring"], ["pthread pool", "nop.b32.pthread_pool"],
    ["PEL, a thread per vCPU", "nop.b32.T.pel"], ["io_uring, a thread per vCPU", "nop.b32.T.io_uring"]][]
   | . as [$name, $id]
   | "| \($name) | " + ([$ms[] | run(.; $id).ops_per_s | s(0)] | join(" | ")) + " |"),
  "",
  "PEL_IOC_ENTER/s, PEL polled / blocking waits: "
    + ([$ms[] | "\(.cpus) vCPUs \(run(.; "nop.b32.pel").enters_per_s | s(0)) / \(run(.; "nop.b32.pel_block").enters_per_s | s(0))"] | join("; ")) + ".",
  "",
  "## Latency at depth 1: p50 / p99 in microseconds",
  "",
  "| run | " + ([$ms[] | "\(.cpus) vCPUs"] | join(" | ")) + " |",
  "|---|" + ([$ms[] | "---:"] | join("|")) + "|",
  ([["PEL COPY 4 KiB, polled", "lat.copy4k.pel"], ["PEL COPY 4 KiB, blocking", "lat.copy4k.pel_block"],
    ["PEL NOP", "lat.nop.pel"], ["io_uring SQPOLL NOP", "lat.nop.io_uring_sqpoll"],
    ["io_uring NOP", "lat.nop.io_uring"], ["raw SPSC ring NOP", "lat.nop.spsc_ring"],
    ["memcpy 4 KiB, 1 thread", "lat.copy4k.cpu"]][]
   | . as [$name, $id]
   | "| \($name) | " + ([$ms[] | run(.; $id) | "\(.p50_ns | us | m(1)) / \(.p99_ns | us | m(1))"] | join(" | ")) + " |"),
  "",
  (["copy", "crc32c"][] as $w
   | "## \($w): MiB/s vs transfer size",
     "",
     "PEL, one thread in the VM doing the op (1T), and a pthread pool of one thread per vCPU; PEL/1T and PEL/pool per boot.",
     "",
     "| size | " + ([$ms[] | "\(.cpus) vCPUs: PEL | 1T | pool | PEL/1T | PEL/pool"] | join(" | ")) + " |",
     "|---:|" + ([$ms[] | "---:|---:|---:|---:|---:"] | join("|")) + "|",
     (["4K", "64K", "1M", "4M", "16M", "64M"][] as $sz
      | "| \($sz) | " + ([$ms[] | . as $mc
	  | [run($mc; "\($w).\($sz).pel").mib_per_s | m(1)] + [run($mc; "\($w).\($sz).cpu").mib_per_s | m(1)]
	    + [run($mc; "\($w).\($sz).pthread_pool").mib_per_s | m(1)]
	    + [ratio($mc; "\($w).\($sz)").pel_vs_cpu | s(2)] + [ratio($mc; "\($w).\($sz)").pel_vs_pool | s(2)]
	  | join(" | ")] | join(" | ")) + " |"),
     ""),
  "## Other ops: MiB/s",
  "",
  "| op | " + ([$ms[] | "\(.cpus) vCPUs: PEL | 1T | pool | PEL/1T | PEL/pool"] | join(" | ")) + " |",
  "|---|" + ([$ms[] | "---:|---:|---:|---:|---:"] | join("|")) + "|",
  (["fill.64K", "fill.64M", "compare.64K", "compare.64M", "copy_crc32c.64K", "copy_crc32c.64M",
    "xor.64K", "xor.64M", "sha256.64K"][] as $b
   | "| \($b) | " + ([$ms[] | . as $mc
	| [run($mc; "\($b).pel").mib_per_s | m(1)] + [run($mc; "\($b).cpu").mib_per_s | m(1)]
	  + [run($mc; "\($b).pthread_pool").mib_per_s | m(1)]
	  + [ratio($mc; $b).pel_vs_cpu | s(2)] + [ratio($mc; $b).pel_vs_pool | s(2)]
	| join(" | ")] | join(" | ")) + " |"),
  "",
  "Idle, pel/N threads 1 s after the last op, % of one CPU: "
    + ([$ms[] | "\(.cpus) vCPUs \(.idle_pct | s(3))"] | join("; ")) + ".",
  "",
  "How much parallelism the VMs got from the host: the pthread pool over one thread, CRC32C 64 MiB: "
    + ([$ms[] | . as $mc | "\(.cpus) vCPUs \((run($mc; "crc32c.64M.pthread_pool").mib_per_s.median // null) as $p
	| (run($mc; "crc32c.64M.cpu").mib_per_s.median // null) as $c
	| if $p == null or $c == null then "-" else ($p / $c * 100 | round / 100 | tostring) end)x"] | join("; "))
    + " (on an idle 2-core host, 2 vCPUs give about 1.9x; 4 vCPUs cannot beat the 2 host cores)."
' "$outdir/bench.json" > "$outdir/bench.md"
# The backend comparison and the user backend's targets (into bench.json as well).
python3 scripts/bench-backends.py "$raw" "$outdir/bench.json" >> "$outdir/bench.md"
{
	echo
	echo "Host load average around each boot:"
	echo
	for h in "$raw"/c*-r*.host; do
		[ -f "$h" ] && echo "- $(basename "$h" .host): $(tr '\n' ';' < "$h" | sed 's/;$//; s/;/; /g')"
	done
} >> "$outdir/bench.md"

# ---------------------------------------------------------------------------
# The plot: throughput vs transfer size (COPY, CRC32C), and vs vCPUs.
dat=$agg.dat
for w in copy crc32c; do
	jq -r --arg w "$w" '
	def v($mc; $id): (($mc.runs[] | select(.id == $id) | .mib_per_s.median) // "NaN");
	[["4K", 4096], ["64K", 65536], ["1M", 1048576], ["4M", 4194304], ["16M", 16777216], ["64M", 67108864]][] as [$sz, $n]
	| ([$n] + [.machines[] | . as $mc | v($mc; "\($w).\($sz).pel"), v($mc; "\($w).\($sz).cpu"), v($mc; "\($w).\($sz).pthread_pool")])
	| map(tostring) | join("\t")' "$outdir/bench.json" > "$dat.$w"
done
jq -r '
def v($mc; $id; $f): (($mc.runs[] | select(.id == $id) | .[$f].median) // "NaN");
.machines[] | . as $mc
| [.cpus, v($mc; "copy.64M.pel"; "mib_per_s"), v($mc; "copy.64M.pthread_pool"; "mib_per_s"),
   v($mc; "copy.64M.cpu"; "mib_per_s"),
   v($mc; "crc32c.64M.pel"; "mib_per_s"), v($mc; "crc32c.64M.pthread_pool"; "mib_per_s"),
   v($mc; "crc32c.64M.cpu"; "mib_per_s"),
   v($mc; "nop.b32.pel"; "ops_per_s"), v($mc; "nop.b32.io_uring"; "ops_per_s"),
   v($mc; "nop.b32.io_uring_sqpoll"; "ops_per_s"), v($mc; "nop.b32.spsc_ring"; "ops_per_s")]
| map(tostring) | join("\t")' "$outdir/bench.json" > "$dat.cpus"

ncols=$(echo "$machines" | wc -w)
{
	cat <<EOF
set terminal pngcairo size 1400,1000 font "sans,11" noenhanced
set output "$outdir/bench.png"
set multiplot layout 2,2 title "pelbench: PEL vs baselines in the same VM boot (TCG, medians over boots)"
set grid
set key bottom right font ",9"
set logscale x 2
set logscale y 10
set xrange [3000:90000000]
set xtics ("4K" 4096, "64K" 65536, "1M" 1048576, "4M" 4194304, "16M" 16777216, "64M" 67108864)
set xlabel "transfer size (bytes)"
set ylabel "MiB/s"
EOF
	for w in copy crc32c; do
		echo "set title \"$w: throughput vs transfer size\""
		plot="plot"
		i=0
		for c in $machines; do
			# A colour per machine; PEL solid, the pool dashed, 1 thread dotted.
			lc=$(echo "#1f77b4 #d62728 #2ca02c #9467bd" | cut -d' ' -f$((i % 4 + 1)))
			base=$((2 + 3 * i))
			plot+=" \"$dat.$w\" using 1:$base with linespoints lw 2.5 pt 7 lc rgb \"$lc\" title \"PEL, $c vCPUs\","
			plot+=" \"$dat.$w\" using 1:$((base + 2)) with linespoints dt 2 pt 5 lc rgb \"$lc\" title \"pthread pool, $c vCPUs\","
			plot+=" \"$dat.$w\" using 1:$((base + 1)) with linespoints dt 3 pt 3 lc rgb \"$lc\" title \"1 thread, $c vCPUs\","
			i=$((i + 1))
		done
		echo "${plot%,}"
	done
	cat <<EOF
unset logscale x
set logscale y 10
set xlabel "vCPUs"
set xtics ($(echo $machines | sed 's/ /, /g'))
set xrange [$(echo $machines | awk '{print $1 - 0.5}'):$(echo $machines | awk '{print $NF + 0.5}')]
set ylabel "MiB/s"
set title "64 MiB ops: throughput vs vCPUs"
plot "$dat.cpus" using 1:2 with linespoints lw 2 pt 7 title "PEL copy", \\
     "$dat.cpus" using 1:3 with linespoints dt 2 pt 5 title "pool copy", \\
     "$dat.cpus" using 1:(\$1 * \$4) with linespoints dt 3 pt 3 title "N x 1-thread memcpy", \\
     "$dat.cpus" using 1:5 with linespoints lw 2 pt 9 title "PEL crc32c", \\
     "$dat.cpus" using 1:6 with linespoints dt 2 pt 11 title "pool crc32c", \\
     "$dat.cpus" using 1:(\$1 * \$7) with linespoints dt 3 pt 13 title "N x 1-thread crc32c"
set ylabel "ops/s"
set key bottom left
set title "NOP, depth 128, batch 32: ops/s vs vCPUs"
plot "$dat.cpus" using 1:8 with linespoints lw 2 pt 7 title "PEL", \\
     "$dat.cpus" using 1:9 with linespoints dt 2 pt 5 title "io_uring", \\
     "$dat.cpus" using 1:10 with linespoints dt 3 pt 9 title "io_uring SQPOLL", \\
     "$dat.cpus" using 1:11 with linespoints dt 4 pt 11 title "raw SPSC ring"
unset multiplot
EOF
} > "$agg.gp"
[ "$ncols" -gt 0 ] && gnuplot "$agg.gp"

log "wrote $outdir/bench.md, $outdir/bench.json, $outdir/bench.png"
cat "$outdir/bench.md"
exit "$status"
