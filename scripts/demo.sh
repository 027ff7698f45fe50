#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, end to end: install what is missing, build pel.ko, liblpel,
# pelctl and the example, boot a VM (Debian 12's 6.1 by default), load
# pel.ko, run the example linked with liblpel, and show it at work with
# `pelctl status` and `pelctl watch` while it runs; then the final status.
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

# Only what the demo needs: this kernel, no test sources.
case $kernel in
6.1 | 6.12) scripts/setup.sh -d -k "$kernel" ;;
*) scripts/setup.sh -d ;;
esac
kver=$(sed -n "s/^KVER_${kernel//./_} := //p" .cache/kernels/versions.mk)
[ -n "$kver" ] || kver=$kernel
make -s lib tools/pelctl/pelctl examples
ko=$(scripts/build-kmod.sh "$kver" 2>/dev/null | tail -n 1)

echo "demo: booting $kver with $cpus vCPUs"
# pel_demo checks a copy and NOPs, then keeps the layer busy (-s: up to 60 s,
# until told to stop) while pelctl shows it at work: status (its context,
# queues, ops in flight, per-op counts and latency, which workers ran them,
# stolen ops and split chunks) and three seconds of watch; then pel_demo is
# stopped, and status shows what is left once it has exited.
exec tools/vm/run-vm.sh -k "$kver" -c "$cpus" -t 600 \
	-M crc32c_intel -M libcrc32c -M xor \
	-f "$ko" -f tools/pelctl/pelctl -f examples/bin/pel_demo -- '
set -e
insmod /pel/pel.ko
echo "--- pel_demo -s 60 16 (in the background)"
: >/tmp/pel_demo.out
pel_demo -s 60 16 >/tmp/pel_demo.out 2>&1 &
demo=$!
n=0
while ! grep -q "keeping" /tmp/pel_demo.out && kill -0 $demo 2>/dev/null &&
      [ $n -lt 120 ]; do
	sleep 1
	n=$((n + 1))
done
cat /tmp/pel_demo.out
shown=$(wc -l </tmp/pel_demo.out)
sleep 1
echo "--- pelctl status (pel_demo running)"
pelctl status
echo "--- pelctl watch -n 3 (pel_demo running)"
# Into a file, not the console: on a terminal each block would replace the
# last; here they follow each other.
pelctl watch -n 3 >/tmp/watch.out
cat /tmp/watch.out
echo "--- stopping pel_demo"
kill -INT $demo 2>/dev/null || true
st=0
wait $demo || st=$?
sed "1,${shown}d" /tmp/pel_demo.out
echo "--- pelctl status (after pel_demo exited)"
pelctl status
exit $st
'
