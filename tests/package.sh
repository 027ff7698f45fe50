#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The package stage: build the Debian packages the way a user would
# (dpkg-buildpackage -us -uc -b, in a copy of the tree under a temporary
# directory, so that nothing lands beside the checkout), run lintian on them
# (an error fails), check what each package holds, unpack them into a
# throwaway root (dpkg -x) and build examples/pel_demo.c against that root
# with nothing but pkg-config, then run it there on the user backend
# (LPEL_BACKEND=user, LD_LIBRARY_PATH into the root: no module on the
# host).  First, that the project has one version: VERSION, dkms.conf,
# debian/changelog, the library, liblpel.pc, pelctl, the packages and the
# module (pel.ko built from the pel-dkms source with dkms.conf's MAKE line,
# if there are kernel headers for Debian's 6.1) all agree.
#
#   tests/package.sh [-k]
#
# -k: keep the temporary directory (its path is printed).
# Needs what scripts/setup.sh installs (debhelper, dh-dkms, lintian,
# dpkg-dev, fakeroot, pkg-config and the Build-Depends).  Ends with
# "PACKAGE_SUITE passed=N failed=N skipped=N" (tests/run.sh adds it up);
# exits non-zero on any failure.  The log of each step is in build/package/.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

keep=
while getopts "kh" opt; do
	case $opt in
	k) keep=1 ;;
	*) sed -n '2,/^set /p' "$0" | sed -n 's/^# \{0,1\}//p' >&2; exit 2 ;;
	esac
done

passed=0
failed=0
skipped=0
ok() { echo "package: ok - $*"; passed=$((passed + 1)); }
fail() { echo "package: not ok - $*"; failed=$((failed + 1)); }
skip() { echo "package: skip - $*"; skipped=$((skipped + 1)); }
finish() {
	[ -n "$keep" ] && echo "package: kept $tmp" || rm -rf "$tmp"
	echo "PACKAGE_SUITE passed=$passed failed=$failed skipped=$skipped"
	[ "$failed" -eq 0 ]
	exit
}

logs=$top/build/package
rm -rf "$logs" && mkdir -p "$logs"
tmp=$(mktemp -d) || { fail "mktemp"; finish; }

# --- One version --------------------------------------------------------
version=$(cat VERSION 2>/dev/null)
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
	fail "VERSION holds '$version', not MAJOR.MINOR.PATCH"
	finish
fi
# check_version WHAT VALUE: VALUE must be $version.
check_version() {
	if [ "$2" = "$version" ]; then
		ok "version: $1 is $version"
	else
		fail "version: $1 is '$2', VERSION is $version"
	fi
}
check_version dkms.conf "$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)"
check_version debian/changelog "$(dpkg-parsechangelog -l debian/changelog -S Version)"
check_version "the Makefile's LIB_VERSION" "$(make -s print-LIB_VERSION)"
if make -s lib/liblpel.pc > /dev/null; then
	check_version lib/liblpel.pc "$(sed -n 's/^Version: //p' lib/liblpel.pc)"
else
	fail "make lib/liblpel.pc"
fi

# --- Build --------------------------------------------------------------
# The tree as it is (tracked and untracked files, not the ignored ones), in
# a directory of its own: dpkg-buildpackage writes the .debs beside it.
src=$tmp/src/pel-$version
mkdir -p "$src"
if ! git ls-files -z --cached --others --exclude-standard |
	(while IFS= read -r -d '' f; do
		[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
	 done) | tar -c --null -T - | tar -x -C "$src"; then
	fail "copy of the tree into $src"
	finish
fi
t0=$(date +%s)
if (cd "$src" && dpkg-buildpackage -us -uc -b) > "$logs/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - t0)) s)"
else
	tail -n 30 "$logs/build.log"
	fail "dpkg-buildpackage -us -uc -b (build/package/build.log)"
	finish
fi
changes=$tmp/src/pel_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
declare -A deb=(
	[pel-dkms]=$tmp/src/pel-dkms_${version}_all.deb
	[liblpel1]=$tmp/src/liblpel1_${version}_$arch.deb
	[liblpel-dev]=$tmp/src/liblpel-dev_${version}_$arch.deb
	[pel-tools]=$tmp/src/pel-tools_${version}_$arch.deb
)
for p in pel-dkms liblpel1 liblpel-dev pel-tools; do
	if [ -f "${deb[$p]}" ] && grep -q " ${deb[$p]##*/}\$" "$changes"; then
		check_version "package $p" "$(dpkg-deb -f "${deb[$p]}" Version)"
	else
		fail "${deb[$p]##*/} was not built, or is not in ${changes##*/}"
		finish
	fi
done

# --- lintian ------------------------------------------------------------
# Errors fail; warnings are listed (the log has every tag).
lintian --fail-on error --tag-display-limit 0 "$changes" > "$logs/lintian.log" 2>&1
rc=$?
grep -v '^running with root privileges' "$logs/lintian.log" | sed 's/^/package: lintian: /'
nerr=$(grep -c '^E: ' "$logs/lintian.log")
nwarn=$(grep -c '^W: ' "$logs/lintian.log")
if [ "$rc" -eq 0 ] && [ "$nerr" -eq 0 ]; then
	ok "lintian: no errors ($nwarn warnings)"
else
	fail "lintian: $nerr errors, exit $rc (build/package/lintian.log)"
fi

# --- What each package holds -------------------------------------------
# has PKG PATH...: each PATH is in PKG; lacks PKG PATH...: none is.
contents() { dpkg-deb -c "${deb[$1]}" | awk '{print $6}' | sed 's|^\./|/|; s|/$||'; }
has() {
	local p=$1 f list miss=()
	shift
	list=$(contents "$p")
	for f in "$@"; do
		grep -qxF "$f" <<<"$list" || miss+=("$f")
	done
	if [ ${#miss[@]} -eq 0 ]; then
		ok "$p has $*"
	else
		fail "$p lacks ${miss[*]}"
	fi
}
lacks() {
	local p=$1 f list extra=()
	shift
	list=$(contents "$p")
	for f in "$@"; do
		grep -qE "^$f\$" <<<"$list" && extra+=("$f")
	done
	if [ ${#extra[@]} -eq 0 ]; then
		ok "$p has none of $*"
	else
		fail "$p has ${extra[*]}"
	fi
}
has pel-dkms /usr/src/pel-$version/dkms.conf /usr/src/pel-$version/VERSION \
	/usr/src/pel-$version/Makefile /usr/src/pel-$version/Kbuild \
	/usr/src/pel-$version/kmod/Kbuild /usr/src/pel-$version/kmod/main.c \
	/usr/src/pel-$version/include/uapi/pel.h
has liblpel1 /usr/lib/$ma/liblpel.so.$version /usr/lib/$ma/liblpel.so.1
lacks liblpel1 '/usr/lib/[^/]*/liblpel\.so' '/usr/lib/[^/]*/liblpel\.a' '/usr/include.*'
has liblpel-dev /usr/include/lpel.h /usr/include/lpel/pel.h \
	/usr/lib/$ma/liblpel.so /usr/lib/$ma/liblpel.a \
	/usr/lib/$ma/pkgconfig/liblpel.pc /usr/share/man/man3/lpel_init.3.gz \
	/usr/share/man/man7/lpel.7.gz /usr/share/man/man3/lpel_crc32c_combine.3.gz \
	/usr/share/doc/liblpel-dev/examples/pel_demo.c
lacks liblpel-dev /usr/include/pel.h
has pel-tools /usr/sbin/pelctl /usr/bin/pelbench /usr/share/man/man8/pelctl.8.gz \
	/usr/share/man/man1/pelbench.1.gz /usr/lib/udev/rules.d/60-pel.rules \
	/usr/share/pel/bpftrace/pel-oplat.bt
# dkms.conf only in pel-dkms (dh_dkms is told which package).
for p in liblpel1 liblpel-dev pel-tools; do
	lacks "$p" '/usr/src/.*'
done
if dpkg-deb -f "${deb[pel-dkms]}" Depends | grep -q 'dkms'; then
	ok "pel-dkms depends on dkms"
else
	fail "pel-dkms does not depend on dkms: $(dpkg-deb -f "${deb[pel-dkms]}" Depends)"
fi
mkdir -p "$tmp/ctrl"
if dpkg-deb -e "${deb[pel-tools]}" "$tmp/ctrl" &&
   grep -q 'addgroup --quiet --system pel' "$tmp/ctrl/postinst"; then
	ok "pel-tools' postinst creates the system group pel"
else
	fail "pel-tools' postinst does not run 'addgroup --quiet --system pel'"
fi

# --- Unpacked into a throwaway root ------------------------------------
root=$tmp/root
mkdir -p "$root"
for p in pel-dkms liblpel1 liblpel-dev pel-tools; do
	dpkg -x "${deb[$p]}" "$root" || fail "dpkg -x ${deb[$p]##*/}"
done
rules=$root/usr/lib/udev/rules.d/60-pel.rules
if grep -qx 'SUBSYSTEM=="misc", KERNEL=="pel", GROUP="pel", MODE="0660"' "$rules" 2>/dev/null; then
	ok "the udev rule gives /dev/pel to group pel, mode 0660"
else
	fail "$rules lacks the rule for group pel, mode 0660"
fi
# Programs stripped (dh_strip), pelbench linked with liblpel.so.1.
for f in usr/sbin/pelctl usr/bin/pelbench usr/lib/$ma/liblpel.so.$version; do
	if file -b "$root/$f" | grep -q ', stripped'; then
		ok "/$f is stripped"
	else
		fail "/$f is not stripped: $(file -b "$root/$f")"
	fi
done
if readelf -d "$root/usr/bin/pelbench" | grep -q 'NEEDED.*\[liblpel\.so\.1\]'; then
	ok "pelbench is linked with liblpel.so.1"
else
	fail "pelbench is not linked with liblpel.so.1"
fi
libpath=$root/usr/lib/$ma
out=$(LD_LIBRARY_PATH=$libpath "$root/usr/sbin/pelctl" version 2>&1)
if grep -qx "pelctl $version, ABI [0-9]*" <<<"$out"; then
	ok "version: the packaged pelctl says $version"
else
	fail "version: the packaged pelctl says '$out', VERSION is $version"
fi

# pel_demo, built against the root with only what pkg-config says.
pc=(env PKG_CONFIG_LIBDIR="$libpath/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" pkg-config)
check_version "the packaged liblpel.pc" "$("${pc[@]}" --modversion liblpel 2>&1)"
demo=$tmp/pel_demo
if flags=$("${pc[@]}" --cflags --libs liblpel) &&
   [[ " $flags " == *" -I$root/usr/include "* ]] &&
   ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -o "$demo" \
	"$root/usr/share/doc/liblpel-dev/examples/pel_demo.c" $flags \
	> "$logs/demo-build.log" 2>&1; then
	ok "pel_demo built against the unpacked packages: cc ... $flags"
else
	cat "$logs/demo-build.log"
	fail "pel_demo against the unpacked packages (pkg-config: ${flags:-none})"
fi
if [ -x "$demo" ]; then
	lib=$(LD_LIBRARY_PATH=$libpath ldd "$demo" | sed -n 's/^\s*liblpel\.so\.1 => \(\S*\).*/\1/p')
	if [ "$lib" = "$libpath/liblpel.so.1" ]; then
		ok "pel_demo loads liblpel.so.1 from the unpacked root"
	else
		fail "pel_demo loads liblpel.so.1 from '${lib:-nowhere}', not $libpath"
	fi
	out=$(LD_LIBRARY_PATH=$libpath LPEL_BACKEND=user timeout 120 "$demo" 4 2>&1)
	rc=$?
	echo "$out" > "$logs/demo.log"
	if [ "$rc" -eq 0 ] &&
	   grep -q '^pel_demo: user backend, [0-9]* queues' <<<"$out" &&
	   grep -q '^pel_demo: copied 4 MiB in 16 ops, bytes verified' <<<"$out" &&
	   grep -q '^pel_demo: 10000 NOPs round-tripped' <<<"$out"; then
		ok "pel_demo on the user backend from the unpacked root: 4 MiB copied and verified, 10000 NOPs"
	else
		sed 's/^/package: | /' <<<"$out"
		fail "pel_demo from the unpacked root (exit $rc)"
	fi
fi

# --- The module from the pel-dkms source -------------------------------
# What DKMS does: its MAKE line from dkms.conf, in a copy of /usr/src/pel-V
# (DKMS builds in /var/lib/dkms/pel/V/build), for Debian's 6.1 headers.
kver=$(sed -n 's/^KVER_6_1 := //p' .cache/kernels/versions.mk 2>/dev/null)
kdir=/lib/modules/$kver/build
if [ -z "$kver" ] || [ ! -f "$kdir/Makefile" ]; then
	skip "the module from the pel-dkms source: no 6.1 headers (${kdir}; scripts/setup.sh)"
else
	dk=$tmp/dkms-build
	cp -r "$root/usr/src/pel-$version" "$dk"
	mk=$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' "$dk/dkms.conf")
	mk=${mk//\$\{kernel_source_dir\}/$kdir}
	if [ -z "$mk" ]; then
		fail "no MAKE[0] line in the packaged dkms.conf"
	elif (cd "$dk" && eval "$mk -j2 KERNELRELEASE=$kver") > "$logs/dkms-build.log" 2>&1 &&
	     [ -f "$dk/kmod/pel.ko" ]; then
		check_version "pel.ko built from the pel-dkms source ($mk)" \
			"$(/sbin/modinfo -F version "$dk/kmod/pel.ko")"
	else
		tail -n 20 "$logs/dkms-build.log"
		fail "pel.ko from the pel-dkms source with '$mk' (build/package/dkms-build.log)"
	fi
fi

finish
