#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, from Debian's archive, everything PEL needs to build and to run its
# VM test rig, and fetch the kernel images the VM boots.  Safe to run again:
# it only does what is missing.  Kernel images are unpacked with dpkg -x into
# .cache/kernels/ (git-ignored); they are never installed on the host.
#
# Prints the resolved kernel versions to .cache/kernels/versions.mk so the
# Makefile and the VM rig agree on which kernels "6.1" and "6.12" are.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/.cache"
kdir="$cache/kernels"
mkdir -p "$kdir"

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	log "apt-get update"
	as_root apt-get update -qq >/dev/null
	apt_updated=1
}

# dep_of PKG: the exact package a Debian meta-package depends on.
dep_of() {
	apt-cache show "$1" 2>/dev/null | sed -n 's/^Depends: \([^ ,]*\).*/\1/p' | head -n1
}

# Resolve the two kernels: Debian 12's default (linux-image-amd64, 6.1) and
# the bookworm backport of 6.12.  Cached so that later runs need no apt.
versions="$kdir/versions.mk"
if [ ! -s "$versions" ]; then
	if [ -z "$(dep_of linux-image-amd64)" ]; then
		apt_update_once
	fi
	img61=$(dep_of linux-image-amd64)
	img612=$(dep_of linux-image-6.12-amd64)
	if [ -z "$img61" ] || [ -z "$img612" ]; then
		log "cannot resolve kernel packages from apt (linux-image-amd64, linux-image-6.12-amd64)"
		exit 1
	fi
	{
		echo "KVER_6_1 := ${img61#linux-image-}"
		echo "KVER_6_12 := ${img612#linux-image-}"
	} > "$versions.tmp"
	mv "$versions.tmp" "$versions"
fi
kv61=$(sed -n 's/^KVER_6_1 := //p' "$versions")
kv612=$(sed -n 's/^KVER_6_12 := //p' "$versions")

pkgs=(build-essential bc kmod cpio xz-utils busybox-static qemu-system-x86
      sparse dwarves liburing-dev pkg-config trinity stress-ng
      "linux-headers-$kv61" "linux-headers-$kv612" linux-source-6.12)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	apt_update_once
	log "installing: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Kernel images for the VM, unpacked but not installed.
for kv in "$kv61" "$kv612"; do
	root="$kdir/$kv"
	[ -f "$root/.done" ] && continue
	log "fetching linux-image-$kv"
	rm -rf "$root" && mkdir -p "$root"
	(cd "$kdir" && rm -f "linux-image-${kv}_"*.deb &&
		apt-get download -qq "linux-image-$kv" >/dev/null) || {
		apt_update_once
		(cd "$kdir" && apt-get download -qq "linux-image-$kv" >/dev/null)
	}
	dpkg -x "$kdir"/linux-image-"${kv}"_*.deb "$root"
	# Debian ships no modules.dep; build one for the unpacked tree.
	depmod -b "$root" "$kv"
	rm -f "$kdir"/linux-image-"${kv}"_*.deb
	touch "$root/.done"
done

# kselftest harness and checkpatch from the 6.12 source tarball.
ksrc="$cache/linux-src"
if [ ! -f "$ksrc/.done" ]; then
	tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
	if [ -z "$tarball" ]; then
		log "linux-source-6.12 tarball not found in /usr/src"
		exit 1
	fi
	log "extracting kselftest harness and checkpatch from $tarball"
	rm -rf "$ksrc" && mkdir -p "$ksrc"
	tar -xf "$tarball" -C "$ksrc" --strip-components=1 --wildcards \
		'*/tools/testing/selftests/kselftest_harness.h' \
		'*/tools/testing/selftests/kselftest.h' \
		'*/scripts/checkpatch.pl' \
		'*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch'
	touch "$ksrc/.done"
fi
log "ready: kernels $kv61, $kv612"
