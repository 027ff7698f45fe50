#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, end to end: install what is missing, build pel.ko, liblpel,
# pelctl and the example, boot a VM (Debian 12's 6.1 by default), load
# pel.ko, run the example linked with liblpel, and print `pelctl status`.
#
#   scripts/demo.sh [-k 6.1|6.12] [-c NCPUS]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

kernel=6.1
cpus=2
while getopts "k:c:h" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	c) cpus=$OPTARG ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done

scripts/setup.sh
kver=$(sed -n "s/^KVER_${kernel//./_} := //p" .cache/kernels/versions.mk)
[ -n "$kver" ] || kver=$kernel
make -s lib tools examples
ko=$(scripts/build-kmod.sh "$kver" 2>/dev/null | tail -n 1)

echo "demo: booting $kver with $cpus vCPUs"
exec tools/vm/run-vm.sh -k "$kver" -c "$cpus" -t 600 \
	-M crc32c_intel -M libcrc32c \
	-f "$ko" -f tools/pelctl -f examples/bin/pel_demo -- '
set -e
insmod /pel/pel.ko
echo "--- pelctl status (just loaded)"
pelctl status
echo "--- pel_demo"
pel_demo 16
echo "--- pelctl status (after the demo)"
pelctl status
'
