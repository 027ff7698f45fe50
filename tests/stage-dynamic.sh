#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Stage dynamically linked host programs (Debian's trinity, stress-ng) for
# the VM's busybox initramfs, which has no C library: each program and the
# shared objects ldd names go under DIR/sysroot, and DIR/NAME is a wrapper
# that runs it through the staged loader.  tools/vm/run-vm.sh -f DIR puts
# DIR at /pel/$(basename DIR).
#
#   tests/stage-dynamic.sh DIR PROGRAM...
set -euo pipefail

dir=${1:?usage: stage-dynamic.sh DIR PROGRAM...}
shift
name=$(basename "$dir")
rm -rf "$dir"
mkdir -p "$dir/sysroot"

stage() {
	mkdir -p "$dir/sysroot$(dirname "$1")"
	cp -L "$1" "$dir/sysroot$1"
}

loader=
for prog in "$@"; do
	path=$(command -v "$prog") || { echo "stage-dynamic: $prog not installed" >&2; exit 1; }
	stage "$path"
	while read -r lib; do
		stage "$lib"
		case $lib in */ld-linux*) loader=$lib ;; esac
	done < <(ldd "$path" | grep -o '/[^ ]*' | sort -u)
	[ -n "$loader" ] || { echo "stage-dynamic: no loader for $prog" >&2; exit 1; }
	libpath=$(ldd "$path" | grep -o '/[^ ]*' | xargs -n1 dirname | sort -u |
		  sed "s|^|/pel/$name/sysroot|" | paste -sd:)
	cat > "$dir/$prog" <<WRAP
#!/bin/sh
exec /pel/$name/sysroot$loader --library-path $libpath /pel/$name/sysroot$path "\$@"
WRAP
	chmod +x "$dir/$prog"
done
