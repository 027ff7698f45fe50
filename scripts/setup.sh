#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install, from Debian's archive, everything PEL needs to build and to run its
# VM test rig, and fetch the kernel images the VM boots.  Safe to run again:
# it only does what is missing.  Kernel images are unpacked with dpkg -x into
# .cache/kernels/ (git-ignored); they are never installed on the host.  An
# unpacked image is checked on each run and unpacked again if it lacks a file
# the rig needs (one line says so).
#
# Prints the resolved kernel versions to .cache/kernels/versions.mk so the
# Makefile and the VM rig agree on which kernels "6.1" and "6.12" are.
#
#   scripts/setup.sh [-k 6.1|6.12]... [-d]
#
# -k: only this kernel's headers and image (repeatable; default both).
# -d: only what `make demo` needs: no kselftest harness and checkpatch (and
#     not linux-source-6.12, trinity, stress-ng, sparse or e2fsprogs, which
#     the tests and checks use; tests/run.sh makes its ext4 disk image with
#     mkfs.ext4; nor debhelper, dh-dkms, lintian, dpkg-dev, fakeroot and
#     file, for building and checking the Debian packages, tests/package.sh;
#     nor Open MPI, rhash and bpftrace, for the MPI example's test and the
#     bpftrace scripts' check).
set -euo pipefail

want=()
demo_only=
while getopts "k:dh" opt; do
	case $opt in
	k) case $OPTARG in
	   6.1 | 6.12) want+=("$OPTARG") ;;
	   *) echo "setup: -k takes 6.1 or 6.12, not '$OPTARG'" >&2; exit 2 ;;
	   esac ;;
	d) demo_only=1 ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done
[ ${#want[@]} -gt 0 ] || want=(6.1 6.12)

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
kvers=()
for k in "${want[@]}"; do
	kvers+=("$(sed -n "s/^KVER_${k//./_} := //p" "$versions")")
done

pkgs=(build-essential bc kmod cpio xz-utils busybox-static qemu-system-x86
      dwarves liburing-dev libisal-dev libssl-dev pkg-config)
# Building and checking the Debian packages (debian/, tests/package.sh).
[ -n "$demo_only" ] || pkgs+=(debhelper dh-dkms lintian dpkg-dev fakeroot file)
[ -n "$demo_only" ] || pkgs+=(sparse trinity stress-ng linux-source-6.12 e2fsprogs)
# examples/mpi_crc32c and its test (mpicc, mpirun; rhash --crc32c is the
# test's reference), and tools/bpftrace/'s scripts (their parse check).
[ -n "$demo_only" ] || pkgs+=(openmpi-bin libopenmpi-dev rhash bpftrace)
for kv in "${kvers[@]}"; do
	pkgs+=("linux-headers-$kv")
done
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

# Kernel images for the VM, unpacked but not installed.  Their .deb is kept
# in .cache/debs/ so that an image can be unpacked again without the network.
#
# Each run checks what tools/vm/run-vm.sh needs of an image: the kernel, its
# config, modules.dep and the other index files it reads, an entry for each
# module the rig loads (-M crc32c_intel -M libcrc32c -M xor), and every module file
# modules.dep lists (which covers those and their dependencies).  Something
# a `make clean` of old, or a hand, removed makes it unpack the image again.
rig_modules=(crc32c_intel libcrc32c xor)
debs="$cache/debs"

# image_missing KVER: print what is missing of the unpacked image, one item a
# line (nothing if it is complete).
image_missing() {
	local kv=$1 root="$kdir/$1" f m re
	local mods="$root/lib/modules/$1"
	for f in "boot/vmlinuz-$kv" "boot/config-$kv"; do
		[ -s "$root/$f" ] || echo "$f"
	done
	for f in modules.dep modules.softdep modules.alias modules.builtin; do
		[ -s "$mods/$f" ] || echo "lib/modules/$kv/$f"
	done
	[ -s "$mods/modules.dep" ] || return 0
	for m in "${rig_modules[@]}"; do
		re=${m//[-_]/[-_]}
		grep -qE "^([^:]*/)?$re\.ko(\.[a-z]+)?:" "$mods/modules.dep" ||
			echo "$m in lib/modules/$kv/modules.dep"
	done
	# Listed in modules.dep but not there (comm: both sides sorted alike).
	comm -23 <(cut -d: -f1 "$mods/modules.dep" | LC_ALL=C sort) \
		 <(cd "$mods" && find . -name '*.ko*' -printf '%P\n' | LC_ALL=C sort) |
		sed "s|^|lib/modules/$kv/|"
}

# download_image KVER: fetch linux-image-KVER into .cache/debs/; print its path.
download_image() {
	(cd "$debs" && apt-get download -qq "linux-image-$1" >/dev/null 2>&1) || {
		apt_update_once
		(cd "$debs" && apt-get download -qq "linux-image-$1" >/dev/null)
	}
	ls "$debs"/linux-image-"$1"_*.deb | head -n1
}

# unpack_image KVER: unpack linux-image-KVER into .cache/kernels/KVER from
# the kept .deb, downloading it when it is not there (or is damaged).  The
# tree is made beside the old one and takes its place when it is complete.
unpack_image() {
	local kv=$1 root="$kdir/$1" new="$kdir/.$1.new" deb
	mkdir -p "$debs"
	deb=$(ls "$debs"/linux-image-"${kv}"_*.deb 2>/dev/null | head -n1 || true)
	if [ -n "$deb" ] && ! dpkg-deb --info "$deb" >/dev/null 2>&1; then
		rm -f "$deb"
		deb=
	fi
	if [ -z "$deb" ]; then
		deb=$(download_image "$kv")
	fi
	rm -rf "$new" && mkdir -p "$new"
	if ! dpkg -x "$deb" "$new" 2>/dev/null; then
		# A damaged .deb whose control part reads: fetch it once more.
		rm -f "$deb"
		deb=$(download_image "$kv")
		rm -rf "$new" && mkdir -p "$new"
		dpkg -x "$deb" "$new"
	fi
	# Debian ships no modules.dep; build one for the unpacked tree.
	depmod -b "$new" "$kv"
	touch "$new/.done"
	rm -rf "$root"
	mv "$new" "$root"
}

for kv in "${kvers[@]}"; do
	root="$kdir/$kv"
	if [ ! -f "$root/.done" ]; then
		log "fetching linux-image-$kv"
	else
		mapfile -t gone < <(image_missing "$kv")
		[ ${#gone[@]} -gt 0 ] || continue
		what=${gone[0]}
		[ ${#gone[@]} -eq 1 ] || what+=" and $(( ${#gone[@]} - 1 )) more"
		log ".cache/kernels/$kv is incomplete (missing $what): re-extracting"
	fi
	unpack_image "$kv"
	mapfile -t gone < <(image_missing "$kv")
	if [ ${#gone[@]} -gt 0 ]; then
		log "linux-image-$kv unpacked into .cache/kernels/$kv still lacks ${gone[0]}"
		exit 1
	fi
done

# kselftest harness and checkpatch from the 6.12 source tarball.
ksrc="$cache/linux-src"
if [ -z "$demo_only" ] && [ ! -f "$ksrc/.done" ]; then
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
log "ready: kernels $(IFS=,; echo "${kvers[*]}" | sed 's/,/, /g')"
