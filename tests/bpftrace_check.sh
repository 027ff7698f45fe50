#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The bpftrace scripts of tools/bpftrace/, checked on the host without
# pel.ko: each goes through `bpftrace -d` (a dry run: parsed, its types
# resolved against the tracepoints' fields, compiled to BPF, not loaded)
# against a tracefs made here from kmod/trace.h.  In a private mount
# namespace (unshare -m), a tmpfs over /sys/kernel/tracing holds
# available_events and events/pel/NAME/format for every TRACE_EVENT and
# DEFINE_EVENT of trace.h, the fields at their natural offsets after the
# 8 bytes of common fields, as the kernel lays them out.  A script that
# names a field trace.h does not have, or misuses one, fails; so a renamed
# field fails here first.  A control script with a field that does not
# exist must fail, or the check proves nothing.  TAP output.
#
#   tests/bpftrace_check.sh
#
# SKIPs without bpftrace (apt-get install bpftrace), or without the rights
# to make a mount namespace (root).  tests/host.sh runs it in its plain
# flavour; tools/vm's 6.1 kernel runs the scripts for real
# (Documentation/testing.md).
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; exit; }

if ! command -v bpftrace > /dev/null; then
	ok "bpftrace scripts # SKIP no bpftrace (apt-get install bpftrace)"
	finish
fi
if ! unshare -m true 2> /dev/null; then
	ok "bpftrace scripts # SKIP cannot unshare a mount namespace (not root?)"
	finish
fi

dir=$(mktemp -d /tmp/bpftrace_check.XXXXXX) || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT

# trace.h -> "EVENT;TYPE|NAME;TYPE|NAME..." lines, one per event (a
# DEFINE_EVENT gets its class's fields).
awk '
	function flush() { if (cur != "") fields[cur] = f; f = "" }
	/^TRACE_EVENT\(/ { flush(); cur = $0; sub(/^TRACE_EVENT\(/, "", cur); sub(/,.*/, "", cur); events[cur] = cur; next }
	/^DECLARE_EVENT_CLASS\(/ { flush(); cur = $0; sub(/^DECLARE_EVENT_CLASS\(/, "", cur); sub(/,.*/, "", cur); next }
	/^DEFINE_EVENT\(/ { flush(); s = $0; sub(/^DEFINE_EVENT\(/, "", s); split(s, a, /, */); events[a[2]] = a[1]; cur = ""; next }
	/__field\(/ { s = $0; sub(/.*__field\(/, "", s); sub(/\).*/, "", s); split(s, a, /, */); f = f ";" a[1] "|" a[2] }
	END { flush(); for (e in events) print e fields[events[e]] }
' kmod/trace.h > "$dir/events"

# Sizes of the types trace.h uses; another one stops the check here.
size_of() {
	case $1 in
	u8 | s8 | char | "unsigned char") echo 1 ;;
	u16 | s16 | short | "unsigned short") echo 2 ;;
	u32 | s32 | int | "unsigned int" | pid_t) echo 4 ;;
	u64 | s64 | long | "unsigned long" | *"*") echo 8 ;;
	*) return 1 ;;
	esac
}

mkdir -p "$dir/tracefs/events/pel"
id=1000
bad=
while IFS=';' read -r ev rest; do
	[ -n "$ev" ] || continue
	id=$((id + 1))
	d=$dir/tracefs/events/pel/$ev
	mkdir -p "$d"
	echo "$id" > "$d/id"
	echo "pel:$ev" >> "$dir/tracefs/available_events"
	{
		printf 'name: %s\nID: %s\nformat:\n' "$ev" "$id"
		printf '\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n'
		printf '\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n'
		printf '\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n'
		printf '\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n'
		off=8
		while IFS='|' read -r type name; do
			[ -n "$type" ] || continue
			sz=$(size_of "$type") || { bad+=" $ev:$type"; continue; }
			off=$(( (off + sz - 1) / sz * sz ))
			case $type in s8|s16|s32|s64|int|long|char|short|pid_t) sg=1 ;; *) sg=0 ;; esac
			[[ $type == *"*" ]] && sg=0
			printf '\tfield:%s %s;\toffset:%d;\tsize:%d;\tsigned:%d;\n' \
				"$type" "$name" "$off" "$sz" "$sg"
			off=$((off + sz))
		done < <(tr ';' '\n' <<< "$rest")
		printf '\nprint fmt: "%s"\n' "$ev"
	} > "$d/format"
done < "$dir/events"
if [ -n "$bad" ]; then
	not_ok "kmod/trace.h: types this check has no size for:$bad"
	finish
fi
nev=$(wc -l < "$dir/tracefs/available_events")
if [ "$nev" -ge 5 ]; then
	ok "tracefs from kmod/trace.h: $nev pel events ($(sed 's/pel://' "$dir/tracefs/available_events" | sort | tr '\n' ' '))"
else
	not_ok "tracefs from kmod/trace.h: only $nev events"
fi

# dry_run FILE: bpftrace -d against that tracefs; its output in $dir/log.
dry_run() {
	# shellcheck disable=SC2016  # $1, $2: the inner sh's arguments
	unshare -m sh -c 'mount -t tmpfs pel-check /sys/kernel/tracing &&
		cp -r "$1"/. /sys/kernel/tracing/ && exec bpftrace -d "$2"' \
		sh "$dir/tracefs" "$1" > "$dir/log" 2>&1
}

for f in tools/bpftrace/*.bt; do
	if ! head -n 1 "$f" | grep -qx '#!/usr/bin/env bpftrace' ||
	   ! grep -q "bpftrace tools/bpftrace/${f##*/}" "$f"; then
		not_ok "$f: no '#!/usr/bin/env bpftrace' line or no 'bpftrace tools/bpftrace/${f##*/}' in its header"
	fi
	if dry_run "$f" && ! grep 'ERROR' "$dir/log" | grep -qv RLIMIT_MEMLOCK &&
	   grep -q "define i64 @\"tracepoint:pel:" "$dir/log"; then
		ok "$f: bpftrace -d compiles it"
	else
		not_ok "$f: bpftrace -d fails"
		grep 'ERROR' "$dir/log" | grep -v RLIMIT_MEMLOCK | sed 's/^/# /'
	fi
done

# The control: a field trace.h does not have must fail.
printf 'tracepoint:pel:pel_complete { @x[args->no_such_field] = count(); }\n' > "$dir/bad.bt"
if ! dry_run "$dir/bad.bt" && grep -q 'no_such_field' "$dir/log"; then
	ok "control: a field pel_complete does not have fails the dry run"
else
	not_ok "control: args->no_such_field passed the dry run (the check proves nothing)"
	sed 's/^/# /' "$dir/log" | tail -n 5
fi
finish
