#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug kernel the VM suite can also run on: Debian's
# linux-source-6.1, `make tinyconfig` plus what the VM and pel.ko need plus
# KASAN (generic, inline), lockdep (PROVE_LOCKING), DEBUG_ATOMIC_SLEEP,
# kmemleak, UBSAN, DEBUG_VM/LIST/OBJECTS and fault injection.  Everything is
# built in (no modules), so the VM needs no module tree.
#
#   scripts/build-debug-kernel.sh [-j JOBS]   build if needed; prints the
#                                             cache directory on its last line
#   scripts/build-debug-kernel.sh -p          print the cache directory if it
#                                             is built, else exit 1 (no build)
#   scripts/build-debug-kernel.sh -C DIR      only configure the unpacked tree
#                                             DIR and verify (for editing the
#                                             fragment below)
#
# The result is cached in .cache/debug-kernel/<key>/, <key> being a hash of
# the linux-source-6.1 package version, the compiler version and this script
# (the config fragment is in it), so a second run is instant:
#   build/                      the kernel tree, built in place: the KDIR for
#                               out-of-tree modules (scripts/build-kmod.sh debug)
#   root/boot/vmlinuz-KVER      the bzImage (tools/vm/run-vm.sh -k debug boots it)
#   root/boot/config-KVER, root/lib/modules/KVER/   as an unpacked Debian kernel
#   kernelrelease               KVER;  build-seconds  how long the build took
# A build interrupted part-way resumes where it stopped.  On success the
# caches of other keys are removed (one debug kernel per checkout).
set -euo pipefail

prog=build-debug-kernel
top=$(cd "$(dirname "$0")/.." && pwd)
self="$top/scripts/${0##*/}"
cache="$top/.cache/debug-kernel"
tarball=/usr/src/linux-source-6.1.tar.xz

log() { printf '%s: %s\n' "$prog" "$*" >&2; }
die() { log "$*"; exit 1; }

jobs=$(nproc)
mode=build
cfgdir=
while getopts "j:pC:h" opt; do
	case $opt in
	j) jobs=$OPTARG ;;
	p) mode=print ;;
	C) mode=config; cfgdir=$OPTARG ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done

# The config: applied with scripts/config on top of `make tinyconfig`, then
# `make olddefconfig`; every line must survive as written (checked after).
fragment() {
	cat <<'EOF'
CONFIG_LOCALVERSION="-pel-debug"
# CONFIG_LOCALVERSION_AUTO is not set
# --- what the VM needs: x86_64 SMP, serial console, initramfs, ACPI poweroff
CONFIG_64BIT=y
CONFIG_X86_64=y
# 4-level paging: with 5-level (QEMU's -cpu max has LA57), an interrupt in
# the window where identify_cpu() has cleared the boot CPU's feature bits
# makes KASAN see the direct map as outside the kernel ("BUG: KASAN:
# wild-memory-access in do_raw_spin_lock", at boot, now and then).
# CONFIG_X86_5LEVEL is not set
CONFIG_CC_OPTIMIZE_FOR_PERFORMANCE=y
# CONFIG_CC_OPTIMIZE_FOR_SIZE is not set
CONFIG_SMP=y
CONFIG_NR_CPUS=16
CONFIG_SCHED_MC=y
# CONFIG_SCHED_MC_PRIO is not set
CONFIG_HOTPLUG_CPU=y
CONFIG_NUMA=y
CONFIG_X86_64_ACPI_NUMA=y
CONFIG_NUMA_EMU=y
CONFIG_ACPI=y
CONFIG_PCI=y
# No PVH entry: in 6.1 it runs KASAN-instrumented C before KASAN is set up
# (a triple fault); the rig boots the bzImage.
# CONFIG_HYPERVISOR_GUEST is not set
CONFIG_PREEMPT=y
# CONFIG_PREEMPT_NONE is not set
CONFIG_HZ_250=y
CONFIG_NO_HZ_IDLE=y
# CONFIG_HZ_PERIODIC is not set
CONFIG_HIGH_RES_TIMERS=y
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_LOG_BUF_SHIFT=20
CONFIG_BUG=y
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_KERNEL_GZIP=y
# CONFIG_KERNEL_XZ is not set
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_PROC_FS=y
CONFIG_PROC_SYSCTL=y
CONFIG_SYSFS=y
CONFIG_TMPFS=y
CONFIG_SHMEM=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_MULTIUSER=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_DEVPORT=y
CONFIG_MAGIC_SYSRQ=y
# --- what olddefconfig would add and the VM does not use (build/boot time)
# CONFIG_VT is not set
# CONFIG_LEGACY_PTYS is not set
# CONFIG_INPUT is not set
# CONFIG_SERIO is not set
# CONFIG_HID is not set
# CONFIG_SERIAL_8250_PCI is not set
# CONFIG_SERIAL_8250_LPSS is not set
# CONFIG_SERIAL_8250_MID is not set
# CONFIG_ACPI_AC is not set
# CONFIG_ACPI_BATTERY is not set
# CONFIG_ACPI_BUTTON is not set
# CONFIG_ACPI_FAN is not set
# CONFIG_ACPI_THERMAL is not set
# CONFIG_ACPI_PROCESSOR is not set
# CONFIG_ACPI_TABLE_UPGRADE is not set
# CONFIG_THERMAL is not set
# CONFIG_CPU_FREQ is not set
# CONFIG_VGA_ARB is not set
# CONFIG_ETHTOOL_NETLINK is not set
# --- what PEL, its tests and examples use
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_EVENTFD=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_POSIX_TIMERS=y
CONFIG_FILE_LOCKING=y
CONFIG_AIO=y
CONFIG_IO_URING=y
CONFIG_ADVISE_SYSCALLS=y
CONFIG_MEMBARRIER=y
CONFIG_RSEQ=y
CONFIG_CROSS_MEMORY_ATTACH=y
CONFIG_USERFAULTFD=y
CONFIG_TRANSPARENT_HUGEPAGE=y
CONFIG_MIGRATION=y
CONFIG_NET=y
CONFIG_UNIX=y
CONFIG_CRYPTO=y
CONFIG_CRYPTO_CRC32C=y
CONFIG_CRYPTO_CRC32C_INTEL=y
CONFIG_LIBCRC32C=y
CONFIG_CRYPTO_SHA256=y
CONFIG_CRYPTO_LIB_SHA256=y
CONFIG_FTRACE=y
CONFIG_KPROBES=y
CONFIG_KPROBE_EVENTS=y
CONFIG_DEBUG_FS=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
# --- hardening as in Debian's kernels
CONFIG_SLUB=y
# CONFIG_SLOB is not set
CONFIG_VMAP_STACK=y
CONFIG_HARDENED_USERCOPY=y
CONFIG_FORTIFY_SOURCE=y
CONFIG_STACKPROTECTOR=y
CONFIG_STACKPROTECTOR_STRONG=y
# --- debugging
CONFIG_DEBUG_KERNEL=y
# CONFIG_DEBUG_INFO is not set
CONFIG_DEBUG_INFO_NONE=y
CONFIG_DEBUG_BUGVERBOSE=y
CONFIG_FRAME_WARN=2048
CONFIG_STACKTRACE=y
CONFIG_UNWINDER_ORC=y
# CONFIG_UNWINDER_GUESS is not set
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KASAN_VMALLOC=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_PREEMPT=y
CONFIG_DEBUG_KMEMLEAK=y
# CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF is not set
# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set
CONFIG_DEBUG_KMEMLEAK_MEM_POOL_SIZE=16000
CONFIG_UBSAN=y
CONFIG_UBSAN_BOUNDS=y
CONFIG_UBSAN_SHIFT=y
CONFIG_UBSAN_BOOL=y
CONFIG_UBSAN_ENUM=y
CONFIG_UBSAN_SANITIZE_ALL=y
# CONFIG_UBSAN_TRAP is not set
CONFIG_SLUB_DEBUG=y
CONFIG_DEBUG_VM=y
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_FAULT_INJECTION=y
CONFIG_FAILSLAB=y
CONFIG_FAIL_PAGE_ALLOC=y
CONFIG_FAULT_INJECTION_USERCOPY=y
CONFIG_FAULT_INJECTION_DEBUG_FS=y
CONFIG_DETECT_HUNG_TASK=y
CONFIG_SOFTLOCKUP_DETECTOR=y
CONFIG_WQ_WATCHDOG=y
# CONFIG_PANIC_ON_OOPS is not set
# CONFIG_BOOTPARAM_SOFTLOCKUP_PANIC is not set
# CONFIG_BOOTPARAM_HUNG_TASK_PANIC is not set
EOF
}

# configure DIR: tinyconfig + fragment + olddefconfig, then verify.
configure() {
	local dir=$1 line sym val args=() bad=()

	make -s -C "$dir" tinyconfig >/dev/null
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*" is not set")
			sym=${line#\# CONFIG_}; sym=${sym% is not set}
			args+=(--disable "$sym") ;;
		CONFIG_*=y) sym=${line%%=*}; args+=(--enable "${sym#CONFIG_}") ;;
		CONFIG_*=\"*) sym=${line%%=*}; val=${line#*=\"}; val=${val%\"}
			args+=(--set-str "${sym#CONFIG_}" "$val") ;;
		CONFIG_*=*) sym=${line%%=*}
			args+=(--set-val "${sym#CONFIG_}" "${line#*=}") ;;
		esac
	done < <(fragment)
	"$dir/scripts/config" --file "$dir/.config" "${args[@]}"
	make -s -C "$dir" olddefconfig >&2

	# Every line of the fragment must be in .config as written (a "not
	# set" one may also be absent: its dependencies are off).
	while IFS= read -r line; do
		case $line in
		"# CONFIG_"*" is not set")
			sym=${line#\# }; sym=${sym%% *}
			! grep -q "^$sym=" "$dir/.config" || bad+=("$line") ;;
		CONFIG_*)
			grep -qxF -- "$line" "$dir/.config" || bad+=("$line") ;;
		esac
	done < <(fragment)
	if [ ${#bad[@]} -gt 0 ]; then
		log "these options did not survive make olddefconfig (missing dependencies?):"
		for line in "${bad[@]}"; do
			sym=${line#\# }; sym=${sym%%[= ]*}
			log "  wanted: $line   got: $(grep -E "^(# )?$sym[= ]" "$dir/.config" || echo '(absent)')"
		done
		die "config check failed in $dir/.config"
	fi
}

if [ "$mode" = config ]; then
	[ -x "$cfgdir/scripts/config" ] || die "$cfgdir is not a kernel tree"
	configure "$cfgdir"
	log "config ok: $cfgdir/.config"
	exit 0
fi

# --- what the build needs, from Debian's archive ----------------------------

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "$mode" = build ]; then
	pkgs=(linux-source-6.1 build-essential bc bison flex libelf-dev
	      libssl-dev xz-utils kmod cpio)
	missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "installing: ${missing[*]}"
		inst() {
			as_root env DEBIAN_FRONTEND=noninteractive apt-get install \
				-y -qq --no-install-recommends "${missing[@]}" >/dev/null
		}
		inst || { as_root apt-get update -qq >/dev/null && inst; } ||
			die "apt-get install ${missing[*]} failed"
	fi
fi

srcver=$(pkgver linux-source-6.1)
[ -n "$srcver" ] || { [ "$mode" = print ] && exit 1; die "linux-source-6.1 is not installed"; }
ccver=$(${CC:-gcc} --version 2>/dev/null | head -n 1)
key=$( { echo "$srcver"; echo "$ccver"; cat "$self"; } | sha256sum | cut -c1-16)
out="$cache/$key"

if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
[ "$mode" = build ] || exit 1

[ -f "$tarball" ] || die "$tarball missing (linux-source-6.1 $srcver installed?)"
mkdir -p "$out"
# One build at a time per key (two test runs started together wait here).
exec 9>"$out.lock"
flock 9
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

t0=$(date +%s)
tree="$out/build"
if [ ! -f "$out/.unpacked" ]; then
	log "unpacking $tarball ($srcver) into $tree"
	rm -rf "$tree" && mkdir -p "$tree"
	# amdgpu's register headers are a fifth of the tree and never built.
	tar -xf "$tarball" -C "$tree" --strip-components=1 \
		--exclude='*/drivers/gpu/drm/amd/include/asic_reg'
	touch "$out/.unpacked"
fi
if [ ! -f "$out/.configured" ]; then
	log "configuring (tinyconfig + debug fragment)"
	configure "$tree"
	touch "$out/.configured"
fi

log "building with -j$jobs (about 15 CPU-minutes; log: $out/make.log)"
if ! make -C "$tree" -j"$jobs" all >"$out/make.log" 2>&1 ||
   ! make -C "$tree" -j"$jobs" modules_prepare >>"$out/make.log" 2>&1; then
	tail -n 40 "$out/make.log" >&2
	die "kernel build failed; full log $out/make.log (rerun to resume)"
fi

kver=$(make -s -C "$tree" kernelrelease)
rm -rf "$out/root"
mkdir -p "$out/root/boot"
make -s -C "$tree" modules_install INSTALL_MOD_PATH="$out/root" \
	>>"$out/make.log" 2>&1 || die "modules_install failed; see $out/make.log"
cp "$tree/arch/x86/boot/bzImage" "$out/root/boot/vmlinuz-$kver"
cp "$tree/.config" "$out/root/boot/config-$kver"
echo "$kver" >"$out/kernelrelease"
echo $(($(date +%s) - t0)) >"$out/build-seconds"
touch "$out/.done"
log "built $kver in $(cat "$out/build-seconds") s: $out"

# One debug kernel per checkout: drop the caches of other keys.
for d in "$cache"/*/; do
	d=${d%/}
	[ "$d" = "$out" ] || rm -rf "$d" "$d.lock"
done
echo "$out"
