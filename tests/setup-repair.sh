#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# tests/setup-repair.sh [6.1|6.12]: a module file of an unpacked kernel image
# removed (by hand, or by a `make clean` of old) is put back by the next
# scripts/setup.sh, which says so in one line.  Removes the image's
# crc32c-intel module (every VM boot loads it), runs setup, and checks the
# message and the file; the file is restored from a copy if setup did not.
# Exit 0 passed, 1 failed, 77 skipped: the image's .deb is not kept in
# .cache/debs/, so the repair would need the network.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
k=${1:-6.1}
kver=$(sed -n "s/^KVER_${k//./_} := //p" .cache/kernels/versions.mk 2>/dev/null)
[ -n "$kver" ] || { echo "setup-repair: no kernel $k in .cache/kernels/versions.mk"; exit 1; }
ls .cache/debs/linux-image-"${kver}"_*.deb >/dev/null 2>&1 || exit 77

mods=.cache/kernels/$kver/lib/modules/$kver
rel=$(grep -m1 -oE '^[^:]*/crc32c-intel\.ko(\.[a-z]+)?:' "$mods/modules.dep" | tr -d :)
[ -n "$rel" ] && [ -f "$mods/$rel" ] || { echo "setup-repair: no crc32c-intel in $mods"; exit 1; }

keep=$(mktemp) || exit 1
cp -p "$mods/$rel" "$keep" && rm -f "$mods/$rel" || exit 1
out=$(scripts/setup.sh -k "$k" 2>&1)
rc=$?
ok=1
if [ $rc -ne 0 ]; then
	echo "setup-repair: scripts/setup.sh exited $rc"
	ok=0
elif [ "$(grep -c "^setup: .cache/kernels/$kver is incomplete (missing .*crc32c-intel\.ko.*): re-extracting$" <<<"$out")" != 1 ] ||
     [ "$(grep -c '^setup: ' <<<"$out")" != 2 ]; then
	echo "setup-repair: expected one 'incomplete ... re-extracting' line (and 'ready'), got:"
	printf '%s\n' "$out"
	ok=0
fi
if [ ! -f "$mods/$rel" ] || ! cmp -s "$keep" "$mods/$rel"; then
	echo "setup-repair: $mods/$rel was not put back"
	ok=0
	[ -f "$mods/$rel" ] || cp -p "$keep" "$mods/$rel"
fi
rm -f "$keep"
[ $ok = 1 ]
