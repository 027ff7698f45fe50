#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build pel.ko for one kernel in its own tree, build/<KVER>/, so that
# modules for several kernels can sit side by side.  The tree holds links to
# the sources; objects land beside them (the Makefile's module-build target).
#
#   scripts/build-kmod.sh KVER [extra make args, e.g. W=1 C=1]
#   scripts/build-kmod.sh debug [...]   against the debug kernel's build tree
#                                       (scripts/build-debug-kernel.sh), in build/debug/
#   scripts/build-kmod.sh -o NAME KVER [...]   in build/NAME/ instead: a variant
#                                       beside the usual module, e.g.
#                                       -o 6.1-uninit KVER KCFLAGS=-ftrivial-auto-var-init=uninitialized
# Prints the path of the built pel.ko on its last line.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
name=
if [ "${1:-}" = -o ]; then
	name=${2:?usage: build-kmod.sh [-o NAME] KVER|debug [make args]}
	case $name in */*|.|..) echo "build-kmod: -o takes a name, not a path" >&2; exit 2 ;; esac
	shift 2
fi
kver=${1:?usage: build-kmod.sh [-o NAME] KVER|debug [make args]}
shift
if [ "$kver" = debug ]; then
	dbg=$("$top/scripts/build-debug-kernel.sh" -p) ||
		{ echo "build-kmod: the debug kernel is not built (run scripts/build-debug-kernel.sh)" >&2; exit 1; }
	kdir=$dbg/build
else
	kdir=/lib/modules/$kver/build
fi
[ -d "$kdir" ] || { echo "build-kmod: no headers for $kver at $kdir (run scripts/setup.sh)" >&2; exit 1; }

out=$top/build/${name:-$kver}
# The top Makefile makes the tree (links to the sources only: an in-tree
# build would leave generated files such as pel.mod.c in kmod/, and Kbuild
# pointed at the checkout would reach .cache/) and runs Kbuild in it.
make -C "$top" --no-print-directory module-build KDIR="$kdir" KOUT="$out" "$@" >&2
echo "$out/kmod/pel.ko"
