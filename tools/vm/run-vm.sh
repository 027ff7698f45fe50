#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh - boot one of the unpacked Debian kernels under QEMU (TCG) with a
# throw-away busybox initramfs, run one command inside, and judge the run.
#
#   tools/vm/run-vm.sh [-k 6.1|6.12|KVER|debug|PATH] [-c NCPUS] [-m MEM_MB] [-t TIMEOUT_S]
#                      [-l LOGFILE] [-M MODULE]... [-f HOSTPATH]... [-d IMAGE]...
#                      [-a QEMU_ARG]... [-A KERNEL_ARG]... [-b] [-v]
#                      -- COMMAND [ARGS...]
#
# The serial console is saved (without \r) to LOGFILE and streamed to stdout
# (the final dmesg dump only with -v).
# Dynamically linked programs among the -f files get the loader and their
# shared objects (ldd's list) at their host paths in the initramfs.
# Each -d IMAGE is a raw disk image attached as a virtio-blk disk (/dev/vda,
# /dev/vdb, ... in order); with -d, the modules for virtio-blk and ext4
# (virtio_pci, virtio_blk, ext4 and their dependencies) are loaded first
# where the kernel has them as modules.
# Inside the VM, /init loads the -M modules, runs COMMAND in /pel and prints
# a sentinel line "PEL_VM_EXIT=<status>" followed by the full dmesg between
# "=== PEL_DMESG_BEGIN ===" and "=== PEL_DMESG_END ===", then powers off.
# The sentinel is the source of truth: a clean poweroff and a panic both make
# QEMU exit with status 0.
#
# Afterwards the whole log is scanned for kernel problems (BUG:, WARNING:,
# lockdep, hung tasks, RCU stalls, ...).  Exit status:
#   the command's status  sentinel seen, no findings
#   1 (or the status)     findings in the kernel log, or a module failed to load
#   124                   the VM was killed after TIMEOUT_S seconds
#   125                   the VM ended without the sentinel (panic, crash)
#   2                     usage or setup error on the host
#
# -k debug boots the debug kernel of scripts/build-debug-kernel.sh (KASAN,
# lockdep, kmemleak, UBSAN; everything built in, so -M of a module such as
# libcrc32c is a no-op there).  -k PATH boots a kernel build tree (its
# vmlinux through PVH, or its bzImage), a .cache/debug-kernel/<key>
# directory, or an image file as it is.
#
# Requires what scripts/setup.sh installs and unpacks.  Never uses KVM.
set -euo pipefail

prog=run-vm
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kcache="$top/.cache/kernels"
vmcache="$top/.cache/vm"

die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 2
}

log() { printf '%s: %s\n' "$prog" "$*"; }

# verdict: log, and keep the line at the end of the serial log too.
verdict() {
	log "$@"
	log "$@" >>"$logfile"
}

usage() {
	cat <<EOF
usage: ${0##*/} [options] -- COMMAND [ARGS...]
  -k KERNEL   6.1 (default), 6.12, or a full version unpacked in .cache/kernels;
              debug: the kernel of scripts/build-debug-kernel.sh; or a path:
              a kernel build tree, a .cache/debug-kernel/<key> directory, or
              a bzImage/vmlinux file (booted as is)
  -c NCPUS    number of vCPUs (default 2)
  -m MEM_MB   guest memory in MiB (default 1024)
  -t SECONDS  kill the VM after this long (default 300)
  -l LOGFILE  serial log (default .cache/vm/logs/<time>-<kver>-<pid>.log)
  -M MODULE   load this module (a name from the kernel's tree, or a path to a
              .ko file) with its dependencies before COMMAND; repeatable
  -f PATH     copy a host file or directory into /pel in the VM; repeatable
              (with the loader and the shared objects of dynamic programs)
  -d IMAGE    attach a raw disk image as a virtio-blk disk (/dev/vda, then
              /dev/vdb, ...); loads virtio_pci, virtio_blk and ext4 (with
              their dependencies) where they are modules; repeatable
  -a ARG      extra QEMU argument; repeatable
  -A ARG      extra kernel command-line argument; repeatable
  -b          boot the compressed bzImage as shipped (slower; by default the
              vmlinux inside is extracted once and booted via PVH)
  -v          also show the final dmesg dump on stdout (always in the log)
COMMAND is shell code run by sh in /pel; ARGS are appended to it as quoted
words.  PATH in the VM is /pel:/pel/bin:/bin:/sbin.
EOF
}

# --- options ---------------------------------------------------------------

kernel=6.1
ncpus=2
mem=1024
timeout_s=300
logfile=
modules=()
files=()
disks=()
qemu_extra=()
kargs_extra=()
verbose=0
bzimage=0

while getopts ':k:c:m:t:l:M:f:d:a:A:bvh' opt; do
	case "$opt" in
	k) kernel=$OPTARG ;;
	c) ncpus=$OPTARG ;;
	m) mem=$OPTARG ;;
	t) timeout_s=$OPTARG ;;
	l) logfile=$OPTARG ;;
	M) modules+=("$OPTARG") ;;
	f) files+=("$OPTARG") ;;
	d) disks+=("$OPTARG") ;;
	a) qemu_extra+=("$OPTARG") ;;
	A) kargs_extra+=("$OPTARG") ;;
	v) verbose=1 ;;
	b) bzimage=1 ;;
	h) usage; exit 0 ;;
	:) usage >&2; die "option -$OPTARG needs an argument" ;;
	*) usage >&2; die "unknown option -$OPTARG" ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { usage >&2; die "no command given (put it after --)"; }

for v in "$ncpus" "$mem" "$timeout_s"; do
	[[ "$v" =~ ^[1-9][0-9]*$ ]] || die "not a positive integer: '$v'"
done
[ ${#disks[@]} -le 26 ] || die "too many -d disks (${#disks[@]}; at most 26, vda..vdz)"
for d in "${disks[@]}"; do
	[ -f "$d" ] || die "-d $d: no such disk image (a regular file is needed)"
	[ -r "$d" ] && [ -w "$d" ] || die "-d $d: the disk image must be readable and writable"
	[ "$(stat -c %s "$d")" -gt 0 ] || die "-d $d: the disk image is empty"
	case "$d" in
	*,*) die "-d $d: a comma in the image path is not supported (QEMU's -drive syntax)" ;;
	esac
done

# --- kernel ----------------------------------------------------------------

versions="$kcache/versions.mk"
# kroot: a tree laid out like an unpacked linux-image package (boot/,
# lib/modules/KVER/); ktree: a kernel build tree; kimage: an image file
# given by path.  Only the Debian kernels need scripts/setup.sh.
kroot=
ktree=
kimage=
case "$kernel" in
6.1 | 6.12)
	[ -s "$versions" ] ||
		die "$versions missing; run scripts/setup.sh first"
	key="KVER_${kernel//./_}"
	kver=$(sed -n "s/^$key := //p" "$versions")
	[ -n "$kver" ] || die "$key not set in $versions; run scripts/setup.sh"
	;;
debug)
	# Built by scripts/build-debug-kernel.sh, cached in .cache/debug-kernel.
	dbg=$("$top/scripts/build-debug-kernel.sh" -p) ||
		die "the debug kernel is not built; run scripts/build-debug-kernel.sh"
	kroot="$dbg/root"
	kver=$(cat "$dbg/kernelrelease")
	;;
*/*)
	if [ -f "$kernel/kernelrelease" ] && [ -d "$kernel/root/boot" ]; then
		kroot="$kernel/root"	# a .cache/debug-kernel/<key> directory
		kver=$(cat "$kernel/kernelrelease")
	elif [ -d "$kernel" ]; then
		ktree=$kernel
	elif [ -f "$kernel" ]; then
		kimage=$kernel
		case "$kernel" in
		*/arch/x86/boot/bzImage) ktree=${kernel%/arch/x86/boot/bzImage} ;;
		*/vmlinux) ktree=${kernel%/vmlinux} ;;
		esac
		[ -f "$ktree/include/config/kernel.release" ] || ktree=
	else
		die "no kernel at $kernel"
	fi
	;;
*)
	kver=$kernel
	;;
esac

if [ -n "$ktree" ]; then
	[ -f "$ktree/include/config/kernel.release" ] && [ -f "$ktree/.config" ] ||
		die "$ktree is not a configured and built kernel tree"
	kver=$(cat "$ktree/include/config/kernel.release")
	kconfig="$ktree/.config"
	vmlinuz=${kimage:-$ktree/arch/x86/boot/bzImage}
	moddir=	# made below, in the scratch directory
	[ -f "$vmlinuz" ] || die "$vmlinuz missing: is $ktree built?"
elif [ -n "$kimage" ]; then
	kver=${kimage##*/}
	kconfig=
	vmlinuz=$kimage
	moddir=
else
	[ -n "$kroot" ] || kroot="$kcache/$kver"
	kconfig="$kroot/boot/config-$kver"
	vmlinuz="$kroot/boot/vmlinuz-$kver"
	moddir="$kroot/lib/modules/$kver"
	if [ "$kroot" = "$kcache/$kver" ]; then
		if [ ! -f "$vmlinuz" ] || [ ! -s "$moddir/modules.dep" ]; then
			die "kernel $kver is not unpacked in $kroot; run scripts/setup.sh"
		fi
	elif [ ! -f "$vmlinuz" ] || [ ! -f "$moddir/modules.dep" ]; then
		die "kernel $kver in $kroot is incomplete; rebuild it"
	fi
fi

for t in qemu-system-x86_64 busybox cpio gzip timeout; do
	command -v "$t" >/dev/null || die "$t not found; run scripts/setup.sh"
done
busybox=$(command -v busybox)

# --- boot image ------------------------------------------------------------
#
# Decompressing the bzImage in the guest is slow under TCG (6.1 is
# xz-compressed: about 4 s of a 6 s run).  So, unless -b, the ELF vmlinux is
# pulled out of it once on the host, cached, and booted through its PVH entry
# point (CONFIG_PVH=y in Debian's kernels).  One difference: no KASLR.

# elf_complete FILE: FILE is an ELF whose section headers (at its very end)
# are all there, i.e. not a truncated decompression.
elf_complete() {
	local shoff shentsize shnum
	[ "$(od -An -c -N 4 "$1" | tr -d ' ')" = '177ELF' ] || return 1
	shoff=$(od -An -t u8 -j 40 -N 8 "$1" | tr -d ' ')
	shentsize=$(od -An -t u2 -j 58 -N 2 "$1" | tr -d ' ')
	shnum=$(od -An -t u2 -j 60 -N 2 "$1" | tr -d ' ')
	[ $((shoff + shentsize * shnum)) -le "$(stat -c %s "$1")" ]
}

# extract_vmlinux BZIMAGE OUT: find the compressed payload and unpack it
# (the decompressors complain about the bytes after it; that is expected).
extract_vmlinux() {
	local magic unpack off
	for magic in '\xfd7zXZ\x00:xz -dcq' '\x28\xb5\x2f\xfd:zstd -dcq' \
		     '\x1f\x8b\x08:gzip -dcq'; do
		unpack=${magic#*:}
		for off in $(LC_ALL=C grep -obUaP "${magic%%:*}" "$1" |
			     cut -d: -f1 | head -n 3); do
			tail -c +$((off + 1)) "$1" | $unpack >"$2" 2>/dev/null
			elf_complete "$2" && return 0
		done
	done
	return 1
}

boot_image=$vmlinuz
if [ -n "$kimage" ]; then
	:	# an image given by path is booted as it is
elif [ "$bzimage" = 1 ] || ! grep -qs '^CONFIG_PVH=y' "$kconfig"; then
	:
elif grep -qs '^CONFIG_KASAN=y' "$kconfig"; then
	:	# 6.1's PVH entry runs KASAN-instrumented C code before KASAN is set up
elif [ -n "$ktree" ] && [ -s "$ktree/vmlinux" ]; then
	boot_image="$ktree/vmlinux"	# a build tree has the ELF already
else
	elf="$vmcache/vmlinux-$kver"
	if [ ! -s "$elf" ] || [ "$vmlinuz" -nt "$elf" ]; then
		mkdir -p "$vmcache"
		tmp=$(mktemp "$elf.XXXXXX")
		if extract_vmlinux "$vmlinuz" "$tmp"; then
			mv -f "$tmp" "$elf"
		else
			rm -f "$tmp"
			log "cannot extract vmlinux from $vmlinuz; booting it as is"
		fi
	fi
	[ ! -s "$elf" ] || boot_image=$elf
fi

# --- scratch space (private to this run) ------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/run-vm.XXXXXXXX")
trap 'rm -rf "$work"' EXIT
root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,run,pel,lib/modules,etc,usr}
ln -s bin "$root/sbin"
ln -s ../bin "$root/usr/bin"
ln -s ../bin "$root/usr/sbin"

# A kernel given as a build tree or an image file: its module tree is made
# here.  From a build tree, `make modules_install` (its modules.builtin, and
# its =m modules if any); from a bare image, an empty one, so -M takes only
# paths to .ko files.
if [ -z "$moddir" ]; then
	moddir="$work/modroot/lib/modules/$kver"
	if [ -n "$ktree" ]; then
		make -s -C "$ktree" modules_install INSTALL_MOD_PATH="$work/modroot" \
			>"$work/modules_install.log" 2>&1 || {
			cat "$work/modules_install.log" >&2
			die "make modules_install failed in $ktree"
		}
	fi
	mkdir -p "$moddir"
	for f in modules.dep modules.builtin modules.alias modules.softdep; do
		[ -f "$moddir/$f" ] || : >"$moddir/$f"
	done
fi

# --- modules ---------------------------------------------------------------
#
# Each -M is resolved in the kernel's tree: its soft "pre:" dependencies
# (modules.softdep; nothing in the VM would resolve them) and its hard
# dependencies (modules.dep) come first, depth first, each module once.  The
# order of -M options is kept.  Compressed modules are unpacked here because
# busybox insmod may not read them.

declare -A mod_seen=()
load_order=()

# mod_regex NAME: an ERE matching NAME with '-' and '_' interchangeable.
mod_regex() {
	local n=${1//[-_]/[-_]}
	printf '%s' "${n//./\\.}"
}

# mod_path NAME: the modules.dep path of NAME (empty if not in the tree).
mod_path() {
	grep -m1 -oE "^([^:]*/)?$(mod_regex "$1")\.ko(\.[a-z]+)?:" \
		"$moddir/modules.dep" | sed 's/:$//' || true
}

mod_builtin() {
	grep -qE "(^|/)$(mod_regex "$1")\.ko$" "$moddir/modules.builtin"
}

# mod_alias NAME: module implementing alias NAME; prefers *_generic ones.
mod_alias() {
	local cands
	cands=$(awk -v a="$1" '$1 == "alias" && $2 == a { print $3 }' \
		"$moddir/modules.alias")
	printf '%s\n' "$cands" | grep -m1 -E '_generic$' ||
		printf '%s\n' "$cands" | head -n1
}

# mod_name FILE: canonical module name of a .ko[.xz|.zst|.gz] path.
mod_name() {
	local b=${1##*/}
	b=${b%%.ko*}
	printf '%s' "${b//-/_}"
}

# mod_unpack SRC DST: copy a module, decompressing it if needed.
mod_unpack() {
	case "$1" in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -qdc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) die "unknown module format: $1" ;;
	esac
}

# mod_softdeps NAME: the "pre:" soft dependencies of NAME.
mod_softdeps() {
	awk -v m="$1" '$1 == "softdep" {
		n = $2; gsub("-", "_", n);
		if (n != m) next;
		pre = 0;
		for (i = 3; i <= NF; i++) {
			if ($i == "pre:") { pre = 1; continue }
			if ($i ~ /:$/) { pre = 0; continue }
			if (pre) print $i
		}
	}' "$moddir/modules.softdep"
}

# add_softdep NAME: load a soft dependency (a module or an alias) if it exists.
add_softdep() {
	local name=$1
	[ -n "$(mod_path "$name")" ] || name=$(mod_alias "$1")
	[ -n "$name" ] || return 0
	add_module "$name"
}

# add_module NAME|PATH: queue a module after its dependencies.
add_module() {
	local spec=$1 name rel src dep deps=() softs=()

	if [[ "$spec" == */* || "$spec" == *.ko* ]]; then
		# A module built outside the tree (e.g. pel.ko).
		[ -f "$spec" ] || die "module file not found: $spec"
		src=$spec
		name=$(mod_name "$spec")
		IFS=, read -r -a deps <<<"$(modinfo -F depends "$src" 2>/dev/null)"
		mapfile -t softs < <(modinfo -F softdep "$src" 2>/dev/null |
			awk '{ p = 0; for (i = 1; i <= NF; i++) {
				if ($i == "pre:") { p = 1; continue }
				if ($i ~ /:$/) { p = 0; continue }
				if (p) print $i } }')
	else
		name=${spec//-/_}
		rel=$(mod_path "$name")
		if [ -z "$rel" ]; then
			if mod_builtin "$name"; then
				log "module $name is built into $kver; not loading"
				mod_seen[$name]=1
				return 0
			fi
			die "module '$spec' not found in $moddir"
		fi
		src="$moddir/$rel"
		read -r -a deps <<<"$(grep -m1 "^$rel:" "$moddir/modules.dep" |
			cut -d: -f2)"
		mapfile -t softs < <(mod_softdeps "$name")
	fi

	[ -z "${mod_seen[$name]:-}" ] || return 0
	mod_seen[$name]=1

	for dep in "${softs[@]}"; do
		[ -n "$dep" ] && add_softdep "$dep"
	done
	for dep in "${deps[@]}"; do
		[ -n "$dep" ] || continue
		if [[ "$dep" == */* ]]; then
			add_module "$(mod_name "$dep")"
		else
			add_module "$dep"
		fi
	done

	mod_unpack "$src" "$root/lib/modules/$name.ko"
	load_order+=("$name")
}

# add_disk_module NAME: a module the -d disks need.  Built in: nothing to
# do; absent from the kernel (e.g. a tinyconfig kernel without virtio-blk or
# ext4): said once, and the disk may not show or mount (the command finds
# out, and says so).
add_disk_module() {
	local name=${1//-/_}
	[ -z "${mod_seen[$name]:-}" ] || return 0
	if [ -z "$(mod_path "$name")" ] && ! mod_builtin "$name"; then
		# A kernel built with everything in (modules.builtin may be
		# empty) is judged by its config, when there is one.
		local sym=
		case $name in
		virtio_pci) sym=CONFIG_VIRTIO_PCI ;;
		virtio_blk) sym=CONFIG_VIRTIO_BLK ;;
		ext4) sym=CONFIG_EXT4_FS ;;
		esac
		if [ -n "$kconfig" ] && [ -n "$sym" ] && grep -qs "^$sym=y" "$kconfig"; then
			log "module $name is built into $kver; not loading"
		else
			# Not "WARNING:": a word of the log scan.
			log "note: -d: $kver has no $name (neither a module nor built in);" \
			    "the disk may not be usable"
		fi
		mod_seen[$name]=1
		return 0
	fi
	add_module "$name"
}

if [ ${#disks[@]} -gt 0 ]; then
	for m in virtio_pci virtio_blk ext4; do
		add_disk_module "$m"
	done
fi
for m in "${modules[@]}"; do
	add_module "$m"
done
printf '%s\n' "${load_order[@]}" >"$root/lib/modules/load-order"
# The disks /init waits for (virtio-blk probes them asynchronously).
: >"$root/etc/disks"
letters=abcdefghijklmnopqrstuvwxyz
for ((i = 0; i < ${#disks[@]}; i++)); do
	printf 'vd%s\n' "${letters:i:1}" >>"$root/etc/disks"
done

# --- files and command -----------------------------------------------------

declare -A pel_seen=()
for f in "${files[@]}"; do
	[ -e "$f" ] || die "no such file or directory: $f"
	b=$(basename -- "$f")
	[ "$b" != .cmd ] || die "-f $f: the name .cmd is reserved"
	[ -z "${pel_seen[$b]:-}" ] || die "two -f paths named $b"
	pel_seen[$b]=1
	# Dereference symlinks; keep modes (executable bits).
	cp -RLp -- "$f" "$root/pel/$b" || die "cannot copy $f"
done

# --- shared objects --------------------------------------------------------
#
# The initramfs has no C library of its own.  For each dynamically linked
# ELF file among the -f files (programs, shared objects), the loader and
# every shared object ldd names go into it at their host paths
# (/lib64/ld-linux-x86-64.so.2, /lib/x86_64-linux-gnu/libc.so.6, ...),
# where the loader looks by default, so the programs run as they are.  ldd
# runs on the staged copies: an object it finds inside the initramfs tree
# (through an rpath such as $ORIGIN/lib) is there already.  libgcc_s.so.1
# comes too: glibc loads it at run time for pthread_cancel() and unwinding.

declare -A so_seen=()
so_staged=0

# stage_so HOSTPATH: copy one shared object (symlinks followed) to its path.
stage_so() {
	local p=$1
	[ -z "${so_seen[$p]:-}" ] || return 0
	so_seen[$p]=1
	mkdir -p "$root$(dirname -- "$p")"
	cp -L -- "$p" "$root$p" || die "cannot copy $p"
	so_staged=$((so_staged + 1))
}

# stage_deps FILE: the shared objects of FILE, if it is a dynamic ELF file.
stage_deps() {
	local f=$1 magic out lib
	LC_ALL=C IFS= read -r -N 4 magic <"$f" 2>/dev/null || return 0
	[ "$magic" = $'\x7fELF' ] || return 0
	# Static programs, relocatable objects (.ko) and the like: no deps.
	out=$(ldd "$f" 2>/dev/null) || return 0
	if grep -q '=> not found' <<<"$out"; then
		die "-f ${f#"$root"/pel/}: shared objects not found on the host:" \
		    "$(grep '=> not found' <<<"$out" | awk '{ print $1 }' | paste -sd' ')"
	fi
	while read -r lib; do
		case $lib in
		"$root"/*) ;;
		*) stage_so "$lib" ;;
		esac
	done < <(grep -o '/[^ ]*' <<<"$out" | sort -u)
}

command -v ldd >/dev/null || die "ldd not found"
while IFS= read -r -d '' f; do
	stage_deps "$f"
done < <(find "$root/pel" -type f -print0)
if [ "$so_staged" -gt 0 ]; then
	# awk reads to the end: an early exit would SIGPIPE ldconfig, and
	# pipefail would make that this script's exit status (141).
	gcc_s=$( (ldconfig -p 2>/dev/null || /sbin/ldconfig -p 2>/dev/null) |
		awk '$1 == "libgcc_s.so.1" && /x86-64/ && !p { print $NF; p = 1 }')
	[ -z "$gcc_s" ] || [ ! -f "$gcc_s" ] || stage_so "$gcc_s"
fi

# COMMAND is shell code; ARGS are appended as single-quoted words.
{
	printf '%s' "$1"
	shift
	for a in "$@"; do
		printf " '%s'" "${a//\'/\'\\\'\'}"
	done
	printf '\n'
} >"$root/pel/.cmd"

# --- busybox and /init -----------------------------------------------------

# Applet links are made at boot (busybox --install): ~300 ln forks here
# would cost more than the whole initramfs otherwise.
cp "$busybox" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
# The kernel opens /dev/console for init before devtmpfs is mounted.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

cat >"$root/init" <<'EOF'
#!/bin/sh
# /init of the run-vm initramfs.  Generated by tools/vm/run-vm.sh.
export PATH=/pel:/pel/bin:/bin:/sbin HOME=/pel TERM=dumb

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
exec </dev/console >/dev/console 2>&1

read -r up _ </proc/uptime
echo "run-vm: init started at ${up}s uptime, $(nproc) CPUs, kernel $(uname -r)"

status=
while read -r m; do
	[ -n "$m" ] || continue
	if ! insmod "/lib/modules/$m.ko"; then
		echo "PEL_VM_INSMOD_FAILED=$m"
		status=1
		break
	fi
done </lib/modules/load-order

# The -d disks: wait up to 20 s for each block device (the driver's probe and
# the partition scan may finish after insmod returns), and say what is there.
if [ -z "$status" ]; then
	while read -r d; do
		[ -n "$d" ] || continue
		n=0
		while [ ! -b "/dev/$d" ] && [ $n -lt 200 ]; do
			sleep 0.1
			n=$((n + 1))
		done
		if [ -b "/dev/$d" ]; then
			echo "run-vm: disk /dev/$d: $(cat /sys/block/$d/size 2>/dev/null) sectors"
		else
			echo "run-vm: disk /dev/$d did not appear within 20 s (no virtio-blk driver?)"
		fi
	done </etc/disks
fi

if [ -z "$status" ]; then
	cd /pel
	sh /pel/.cmd </dev/null
	status=$?
fi

echo "PEL_VM_EXIT=$status"
echo "=== PEL_DMESG_BEGIN ==="
dmesg -s 8388608
echo "=== PEL_DMESG_END ==="
# Let the serial port drain before the machine goes away (stty sets the
# unchanged mode with TCSADRAIN, which waits for pending output).
stty -F /dev/console "$(stty -F /dev/console -g)" 2>/dev/null
sync
poweroff -f
EOF
chmod 755 "$root/init"

initrd="$work/initramfs.cpio.gz"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$initrd"

# --- boot ------------------------------------------------------------------

if [ -z "$logfile" ]; then
	mkdir -p "$vmcache/logs"
	logfile="$vmcache/logs/$(date +%Y%m%d-%H%M%S)-$kver-$$.log"
else
	mkdir -p "$(dirname -- "$logfile")"
fi

# no_timer_check: on a busy host TCG can miss the IO-APIC timer check at
# boot, and the kernel panics ("IO-APIC + timer doesn't work").
append="console=ttyS0 panic=-1 loglevel=5 rdinit=/init no_timer_check"
[ ${#kargs_extra[@]} -eq 0 ] || append+=" ${kargs_extra[*]}"

# No -nographic: it puts a monitor on stdio and puts a terminal in raw mode.
# -nodefaults drops VGA, NIC, monitor, parallel; -serial stdio gives the one
# serial port (ttyS0).  stdin is /dev/null so the run works without a tty
# and never touches the caller's terminal.
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp "$ncpus" -m "$mem"
      -nodefaults -no-user-config -display none -serial stdio -nic none
      -no-reboot -kernel "$boot_image" -initrd "$initrd" -append "$append"
      "${qemu_extra[@]}")
# Raw images on virtio-blk (PCI), in order: vda, vdb, ...
i=0
for d in "${disks[@]}"; do
	qemu+=(-drive "file=$d,format=raw,if=none,id=pd$i,cache=writeback"
	       -device "virtio-blk-pci,drive=pd$i")
	i=$((i + 1))
done

log "kernel $kver (${boot_image##*/}), $ncpus CPUs, $mem MiB, timeout ${timeout_s}s"
log "log $logfile"
[ ${#load_order[@]} -eq 0 ] || log "modules: ${load_order[*]}"
[ ${#disks[@]} -eq 0 ] || log "disks (virtio-blk, raw): ${disks[*]}"
[ "$so_staged" -eq 0 ] || log "shared objects for the -f programs: $so_staged"

# show_console: echo the console, but fold the dmesg dump (it repeats the
# boot messages and is in the log anyway) unless -v.  sed -u, not awk: mawk
# reads its input in big blocks, which would stall the live view.
show_console() {
	if [ "$verbose" = 1 ]; then
		cat
	else
		sed -u -e '/^=== PEL_DMESG_BEGIN ===$/,/^=== PEL_DMESG_END ===$/{' \
		       -e '/^=== PEL_DMESG_END ===$/!d' \
		       -e 's/.*/(dmesg dump: see the log)/' -e '}'
	fi
}

# QEMU runs in the background so that an interrupt (Ctrl-C, or SIGTERM from
# CI) can be passed on to it: timeout(1) puts itself in its own process
# group, so a terminal's SIGINT would not reach it.  On timeout QEMU gets
# SIGTERM (it exits at once whatever the guest is doing, and timeout returns
# 124), and SIGKILL 10 s later if it is still there.
mkfifo "$work/console"
sed -u 's/\r//g' <"$work/console" | tee "$logfile" | show_console &
reader=$!
start=$(date +%s.%N)
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null >"$work/console" 2>&1 &
vm=$!

interrupted=
trap 'interrupted=1; kill -TERM "$vm" 2>/dev/null || true' INT TERM HUP
qemu_rc=0
while :; do
	wait "$vm" && qemu_rc=0 || qemu_rc=$?
	# wait returns early (status > 128) when a trapped signal arrives.
	kill -0 "$vm" 2>/dev/null || break
done
wait "$reader" || true
trap - INT TERM HUP
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", e - s }')

if [ -n "$interrupted" ]; then
	echo
	log "interrupted; VM stopped"
	log "log: $logfile"
	exit 130
fi

# --- verdict ---------------------------------------------------------------

# Kernel-log findings, one ERE per line.
findings_re='BUG:
kernel BUG at
WARNING:
Oops
general protection
KASAN
UBSAN
kmemleak
possible recursive locking
circular locking
lockdep
DEBUG_LOCKS_WARN_ON
INFO: task .* blocked
hung_task
soft lockup
hard LOCKUP
RCU stall
rcu_[a-z]+ (self-)?detected stalls
rcu: INFO
Kernel panic
Call Trace:'

# Lines that match the above but are expected.
benign_re='loading out-of-tree module taints kernel
module verification failed
Kernel command line:
Command line:
Unknown kernel command line parameters
kmemleak: Kernel memory leak detector initialized
kmemleak: Automatic memory scanning thread started
RCU lockdep checking is enabled'

# scan_log: print findings with two lines of context; fail if any.  The
# kernel lists -A arguments it does not know as init's arguments, one a line
# (e.g. "kmemleak=on" on a kernel without kmemleak): those are not findings.
scan_log() {
	awk -v pats="$findings_re" -v benign="$benign_re" \
	    -v kargs="${kargs_extra[*]}" '
	BEGIN {
		np = split(pats, p, "\n"); nb = split(benign, b, "\n")
		na = split(kargs, a, " "); for (j = 1; j <= na; j++) karg[a[j]] = 1
		max = 25
	}
	{ line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			hit = 0
			for (j = 1; j <= np && !hit; j++)
				if (line[i] ~ p[j]) hit = 1
			for (j = 1; j <= nb && hit; j++)
				if (index(line[i], b[j])) hit = 0
			if (hit) {
				l = line[i]; sub(/^\[ *[0-9.]+\] +/, "", l)
				if (l in karg) hit = 0
			}
			# The dmesg dump repeats what the console showed.
			if (hit && !(line[i] in seen)) {
				seen[line[i]] = 1
				found[++n] = i
			}
		}
		if (!n) exit 0
		last = 0
		for (k = 1; k <= n && k <= max; k++) {
			from = found[k] - 2; to = found[k] + 2
			if (from <= last) from = last + 1
			if (from < 1) from = 1
			if (from > last + 1 && last) print "  --"
			for (i = from; i <= to && i <= NR; i++)
				printf "  %5d%s %s\n", i, (i == found[k] ? ">" : ":"), line[i]
			if (to > last) last = to
		}
		if (n > max) printf "  ... %d more finding lines\n", n - max
		exit 1
	}' "$logfile"
}

findings=0
report=$(scan_log) || findings=1

# marker NAME: value of the last NAME=value printed by /init, i.e. before
# the dmesg dump (which could repeat one a test wrote to /dev/kmsg).
marker() {
	sed '/^=== PEL_DMESG_BEGIN ===$/q' "$logfile" |
		grep -aoE "$1=[^ ]+" | tail -n1 | cut -d= -f2- || true
}
sentinel=$(marker PEL_VM_EXIT)
[[ "$sentinel" =~ ^[0-9]+$ ]] || sentinel=
insmod_fail=$(marker PEL_VM_INSMOD_FAILED)

echo
if [ "$findings" -ne 0 ]; then
	log "kernel log finding:"
	printf '%s\n' "$report"
fi

if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	verdict "TIMEOUT after $timeout_s s"
	rc=124
elif [ -z "$sentinel" ]; then
	verdict "VM ended without PEL_VM_EXIT sentinel (kernel crash?), qemu status $qemu_rc"
	rc=125
else
	rc=$sentinel
	if [ -n "$insmod_fail" ]; then
		verdict "module $insmod_fail failed to load; command not run"
		[ "$rc" -ne 0 ] || rc=1
	elif [ "$rc" -ne 0 ]; then
		verdict "command exited with status $rc"
	fi
	if [ "$findings" -ne 0 ]; then
		verdict "FAIL: findings in the kernel log"
		[ "$rc" -ne 0 ] || rc=1
	fi
fi

verdict "wall time ${elapsed}s, exit $rc"
log "log: $logfile"
exit "$rc"
