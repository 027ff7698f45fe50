#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage installed host programs (Debian's trinity, stress-ng) for the VM:
# DIR/NAME is a copy of each.  They are dynamically linked, like our own
# programs: tools/vm/run-vm.sh -f DIR puts DIR at /pel/$(basename DIR) and
# the loader and every shared object they need at their own paths in the
# initramfs, so /pel/$(basename DIR)/NAME runs as it is.
#
#   tests/stage-dynamic.sh DIR PROGRAM...
set -euo pipefail

dir=${1:?usage: stage-dynamic.sh DIR PROGRAM...}
shift
rm -rf "$dir"
mkdir -p "$dir"

for prog in "$@"; do
	path=$(command -v "$prog") || { echo "stage-dynamic: $prog not installed" >&2; exit 1; }
	if ldd "$path" | grep -q '=> not found'; then
		echo "stage-dynamic: $prog: shared objects missing on the host" >&2
		exit 1
	fi
	cp -L "$path" "$dir/$prog"
done
