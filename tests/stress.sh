#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test VM with pel.ko loaded, from tests/vm-suite.sh, when
# tests/run.sh staged Debian's trinity and stress-ng under /pel/dyn
# (tests/stage-dynamic.sh).
#
#   stress.sh trinity SECONDS   trinity's ioctl fuzzing with /dev/pel among
#                               its victims, as nobody; then /dev/pel works
#   stress.sh stress TEST...    the named selftests while stress-ng loads
#                               CPUs, memory and the scheduler (tests of
#                               correctness: timing claims such as fairness
#                               do not hold on a machine stress-ng owns)
dyn=/pel/dyn

# trinity drops to nobody and wants to find it.
grep -q '^nobody:' /etc/passwd 2>/dev/null ||
	echo 'nobody:x:65534:65534:nobody:/tmp:/bin/sh' >> /etc/passwd
grep -q '^nogroup:' /etc/group 2>/dev/null ||
	echo 'nogroup:x:65534:' >> /etc/group
chmod 1777 /tmp

case $1 in
trinity)
	secs=${2:-60}
	cd /tmp || exit 1
	# -T WARN: stop on a kernel warning only (pel.ko's out-of-tree taint
	# is expected).  Bounded by time; the kernel log is scanned after.
	# The time running out is how it normally ends, so its exit status
	# says nothing; what counts is the kernel log (scanned by the rig)
	# and that /dev/pel still does its job afterwards.
	# trinity runs as nobody: open the device to it for the run (the
	# module makes it 0600, root's).
	mode=$(stat -c %a /dev/pel) || exit 1
	chmod 0666 /dev/pel || exit 1
	timeout "$secs" "$dyn/trinity" -q -l off -X -T WARN -c ioctl -V /dev/pel \
		--disable-fds=sockets,pipes,perf,epoll,eventfd,pseudo,timerfd,memfd,drm \
		-s 1 -C 2 > /tmp/trinity.out 2>&1
	chmod "$mode" /dev/pel || exit 1
	grep -q 'Using pid_max' /tmp/trinity.out || { tail -20 /tmp/trinity.out; exit 1; }
	pel_demo 1 > /dev/null
	;;
stress)
	shift
	"$dyn/stress-ng" --cpu 1 --vm 1 --vm-bytes 64M --switch 1 \
		--timeout 600 > /tmp/stress-ng.out 2>&1 &
	spid=$!
	sleep 1
	rc=0
	for t in "$@"; do
		"/pel/bin/$t" > /tmp/stress-$t.out 2>&1 || {
			rc=1
			grep -E '^not ok|Expected' /tmp/stress-$t.out | head -20
		}
	done
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	exit $rc
	;;
*)
	echo "usage: stress.sh trinity SECONDS | stress TEST..." >&2
	exit 2
	;;
esac
