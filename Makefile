# SPDX-License-Identifier: GPL-2.0
#
# PEL top-level build.
#
#   make              liblpel.a/.so, pelctl, pelbench, and pel.ko if there
#                     are kernel headers (KDIR below; none: it says so and
#                     skips the module)
#   make LINK=shared  the programs linked with liblpel.so (as packaged)
#   make demo         setup if needed, build, boot a VM, run the example, pelctl status
#   make check        setup if needed, run the whole test suite on 6.1 and 6.12
#   make KDIR=...     build the module against other kernel headers
#   make module W=1 C=1   extra warnings and sparse
#   make install      pel.ko, liblpel, headers, liblpel.pc, pelctl, man pages,
#                     udev rule (PREFIX=/usr/local, DESTDIR=; see
#                     Documentation/install.md); make uninstall undoes it
#   make install-user the same without pel.ko (install-lib: just the library);
#                     both install tools/bpftrace/ in PREFIX/share/pel/bpftrace
#   make install-dkms the module's source in /usr/src/pel-VERSION for dkms

TOP := $(CURDIR)

# The kernel pel.ko is built for: KDIR, a kernel build tree, or KVER, for
# /lib/modules/KVER/build.  By default the running kernel's headers if they
# are installed, else Debian 12's 6.1 headers that scripts/setup.sh installs
# (the kernel versions it resolved are in .cache/kernels/versions.mk).  With
# neither, KDIR is empty: `make` and `make install` build and install the
# rest and say how to get headers, `make module` fails saying it.  KDIR= on
# the command line: no module (the packages leave it to DKMS).
-include $(TOP)/.cache/kernels/versions.mk
ifeq ($(origin KDIR),undefined)
ifneq ($(KVER),)
KDIR := /lib/modules/$(KVER)/build
else
KDIR := $(patsubst %/Makefile,%,$(firstword \
	$(wildcard /lib/modules/$(shell uname -r)/build/Makefile) \
	$(if $(KVER_6_1),$(wildcard /lib/modules/$(KVER_6_1)/build/Makefile))))
endif
endif
NO_KDIR_MSG = pel.ko: no kernel headers (KDIR is empty): install the running \
kernel's (apt-get install linux-headers-$$(uname -r)), or run scripts/setup.sh \
for Debian's 6.1 and 6.12, or pass KDIR=<kernel build tree>

CC      ?= cc
AR      ?= ar
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	   -I$(TOP)/include -I$(TOP)/include/uapi -I$(TOP)/lib
# Programs link dynamically: liblpel needs ISA-L, of which Debian ships no
# static library.  They link lib/liblpel.a (so they run from any checkout,
# with no rpath) and the shared system libraries; tools/vm/run-vm.sh puts
# the loader and every shared object a staged program needs in the VM.
LDFLAGS ?=
# LINK=shared: pelctl and pelbench link liblpel.so (-llpel), as the packages
# ship them; LINK=static (the default): lib/liblpel.a, so that they run from
# the checkout and in the VM with no liblpel.so beside them.
LINK ?= static
ifeq ($(LINK),shared)
LPEL_LINK := -Wl,--as-needed -L$(TOP)/lib -llpel
LPEL_DEP := lib/liblpel.so
else ifeq ($(LINK),static)
LPEL_LINK := lib/liblpel.a
LPEL_DEP := lib/liblpel.a
else
$(error LINK=$(LINK): must be static or shared)
endif

# The project's version, one for all of it (the VERSION file): pel.ko's
# PEL_VERSION (kmod/Kbuild reads the file through the build tree's link),
# liblpel.so.VERSION and liblpel.pc, pelctl's version, the DKMS source
# directory; dkms.conf and debian/changelog carry it as text, and
# tests/package.sh checks that all of them agree.
VERSION := $(shell cat $(TOP)/VERSION 2>/dev/null)
ifeq ($(VERSION),)
$(error $(TOP)/VERSION is missing or empty: it holds the project's version)
endif
CFLAGS += -DPELCTL_VERSION='"$(VERSION)"'

LIB_MAJOR := 1
LIB_VERSION := $(VERSION)
# lpel.c: the API and the ring protocol; user.c and uops.c: the user
# backend (Documentation/user.md); crc.c: lpel_crc32c_combine(); stats.c:
# the module's counters.
LIB_SRCS := lib/lpel.c lib/user.c lib/uops.c lib/crc.c lib/stats.c
LIB_HDRS := lib/lpel.h lib/lpel_internal.h lib/uops.h include/uapi/pel.h
LIB_OBJS := $(LIB_SRCS:.c=.o)
LIB_PIC_OBJS := $(LIB_SRCS:.c=.pic.o)
# What liblpel itself links: ISA-L (libisal-dev, shared only: Debian ships
# no libisal.a) and libcrypto (libssl-dev) for the user backend's CRC32C,
# XOR and SHA-256, and threads.  A program that links liblpel.a needs them too.
LIB_LIBS := -lisal -lcrypto -lpthread

KSELFTEST_DIR ?= $(TOP)/.cache/linux-src/tools/testing/selftests
# The harness compares int literals with unsigned values by design.
TEST_CFLAGS := -Wno-sign-compare -Wno-clobbered
TEST_SRCS := $(wildcard tests/*_test.c) tests/ufile_unit.c tests/crc_combine_unit.c
TEST_BINS := $(patsubst tests/%.c,tests/bin/%,$(TEST_SRCS))
# examples/mpi_*.c build with mpicc, when there is one (openmpi-bin and
# libopenmpi-dev, or MPICH's): `make examples` says so and goes on without.
EXAMPLE_SRCS := $(filter-out examples/mpi_%.c,$(wildcard examples/*.c))
EXAMPLE_BINS := $(patsubst examples/%.c,examples/bin/%,$(EXAMPLE_SRCS))
MPI_EXAMPLE_BINS := $(patsubst examples/%.c,examples/bin/%,$(wildcard examples/mpi_*.c))
MPICC ?= mpicc
HAVE_MPICC = $(shell command -v $(MPICC) 2>/dev/null)

.PHONY: all module module-build kout lib tools tests examples setup demo check host-check clean

ifneq ($(KDIR),)
all: module lib tools
else
all: lib tools
	@echo "$(NO_KDIR_MSG); built the library and the tools, not pel.ko" >&2
endif

# pel.ko is built in its own tree, build/<kernel release>/ (KOUT), which
# holds links to the sources only: Kbuild's M= is never the checkout itself,
# whose .cache/ holds the unpacked kernel images (thousands of *.ko files
# that a `make -C KDIR M=. clean` would delete).  kmod/pel.ko is a copy of
# the last one built (for dkms.conf and for `-f kmod/pel.ko`).
# scripts/build-kmod.sh builds through module-build, without the copy.
KOUT ?= $(TOP)/build/$(or $(KRELEASE),$(subst /,_,$(KDIR)))

module: module-build
	cp -f $(KOUT)/kmod/pel.ko kmod/pel.ko

module-build: kout
	$(MAKE) -C $(KDIR) M=$(KOUT) modules

# The build tree: links to Kbuild, include/ and kmod's sources, remade each
# time (a source added or removed in kmod/ is picked up).
kout:
	@test -n "$(KDIR)" || { echo "$(NO_KDIR_MSG)" >&2; exit 1; }
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) not found: run 'make setup' or pass KDIR=" >&2; exit 1; }
	@case "$(KOUT)" in "$(TOP)"/.cache|"$(TOP)"/.cache/*|"$(TOP)") \
		echo "KOUT=$(KOUT): must not be the checkout or under .cache/" >&2; exit 1 ;; esac
	@mkdir -p $(KOUT)/kmod
	@ln -sfn $(TOP)/include $(KOUT)/include
	@ln -sf $(TOP)/Kbuild $(KOUT)/Kbuild
	@ln -sf $(TOP)/VERSION $(KOUT)/VERSION
	@find $(KOUT)/kmod -maxdepth 1 -type l -delete
	@for f in $(filter-out %.mod.c,$(wildcard $(TOP)/kmod/*.[ch])) $(TOP)/kmod/Kbuild; do \
		ln -s $$f $(KOUT)/kmod/; done

lib: lib/liblpel.a lib/liblpel.so

lib/%.o: lib/%.c $(LIB_HDRS)
	$(CC) $(CFLAGS) -c -o $@ $<

lib/%.pic.o: lib/%.c $(LIB_HDRS)
	$(CC) $(CFLAGS) -fPIC -DLPEL_SHARED -c -o $@ $<

lib/liblpel.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

lib/liblpel.so: $(LIB_PIC_OBJS) lib/liblpel.map
	$(CC) -shared $(LDFLAGS) -Wl,-soname,liblpel.so.$(LIB_MAJOR) \
		-Wl,--version-script=lib/liblpel.map -o lib/liblpel.so.$(LIB_VERSION) \
		$(LIB_PIC_OBJS) $(LIB_LIBS)
	ln -sf liblpel.so.$(LIB_VERSION) lib/liblpel.so.$(LIB_MAJOR)
	ln -sf liblpel.so.$(LIB_VERSION) $@

tools: tools/pelctl/pelctl tools/pelbench/pelbench

# pelctl: tools/pelctl/*.c (main.c dispatches, one file per part) and the
# tools' shared code in tools/lib/ (the JSON writer); built as
# tools/pelctl/pelctl.
TOOLS_LIB_SRCS := $(wildcard tools/lib/*.c)
TOOLS_LIB_HDRS := $(wildcard tools/lib/*.h)
PELCTL_SRCS := $(wildcard tools/pelctl/*.c)

tools/pelctl/pelctl: $(PELCTL_SRCS) tools/pelctl/pelctl.h $(TOOLS_LIB_SRCS) \
		$(TOOLS_LIB_HDRS) $(LPEL_DEP) lib/lpel.h include/uapi/pel.h
	$(CC) $(CFLAGS) -Itools/lib -Itools/pelctl $(LDFLAGS) -o $@ \
		$(PELCTL_SRCS) $(TOOLS_LIB_SRCS) $(LPEL_LINK) $(LIB_LIBS) -lm

# pelbench: liburing (liburing-dev) for its io_uring baselines, and ISA-L
# and libcrypto (in LIB_LIBS) for its CPU and pthread-pool baselines.
# One program from tools/pelbench/*.c (tools/pelbench/pelbench.h says what
# each file holds) and tools/lib/ (the JSON writer), built as
# tools/pelbench/pelbench.
PELBENCH_SRCS := $(wildcard tools/pelbench/*.c)
tools/pelbench/pelbench: $(PELBENCH_SRCS) tools/pelbench/pelbench.h \
		$(TOOLS_LIB_SRCS) $(TOOLS_LIB_HDRS) $(LPEL_DEP) lib/lpel.h \
		include/uapi/pel.h
	$(CC) $(CFLAGS) -Itools/lib $(LDFLAGS) -o $@ $(PELBENCH_SRCS) \
		$(TOOLS_LIB_SRCS) $(LPEL_LINK) -luring $(LIB_LIBS) -lm

# Benchmarks in VMs with 2 and 4 vCPUs: Documentation/performance.md.
.PHONY: bench
bench:
	scripts/bench.sh

tests: $(TEST_BINS)

# The user backend's op layer, on the host (no module, no VM): links
# lib/uops.c itself, dynamically (ISA-L has no static library).
tests/bin/uops_unit: tests/uops_unit.c tests/tap.h lib/uops.c lib/uops.h include/uapi/pel.h
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) -o $@ tests/uops_unit.c lib/uops.c $(LIB_LIBS)

tests/bin/%: tests/%.c tests/pel_test.h tests/pel_ref.h tests/tap.h lib/liblpel.a lib/lpel.h include/uapi/pel.h
	@test -f $(KSELFTEST_DIR)/kselftest_harness.h || { echo "kselftest_harness.h missing: run 'make setup'" >&2; exit 1; }
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -I$(KSELFTEST_DIR) -Itests $(LDFLAGS) -o $@ $< lib/liblpel.a $(LIB_LIBS)

examples: $(EXAMPLE_BINS) mpi-examples

.PHONY: mpi-examples
mpi-examples:
	$(if $(HAVE_MPICC),@$(MAKE) --no-print-directory $(MPI_EXAMPLE_BINS),@echo "examples: no $(MPICC) (apt-get install openmpi-bin libopenmpi-dev): not building $(MPI_EXAMPLE_BINS)")

# Libraries an example needs besides liblpel: EXAMPLE_LIBS_<name>.
EXAMPLE_LIBS_uring_poll := -luring

examples/bin/%: examples/%.c lib/liblpel.a lib/lpel.h include/uapi/pel.h
	@mkdir -p examples/bin
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/liblpel.a $(EXAMPLE_LIBS_$*) $(LIB_LIBS)

# An MPI example (mpicc adds MPI's headers and libraries to $(CC)'s).
examples/bin/mpi_%: examples/mpi_%.c lib/liblpel.a lib/lpel.h include/uapi/pel.h
	@mkdir -p examples/bin
	$(MPICC) $(CFLAGS) $(LDFLAGS) -o $@ $< lib/liblpel.a $(LIB_LIBS)

setup:
	scripts/setup.sh

demo:
	scripts/demo.sh

check:
	tests/run.sh

# The host stage alone: the tests of tests/host-tests.list on the user
# backend, plain and under ASan+UBSan and TSan (tests/host.sh).
host-check:
	tests/host.sh

# `make -s print-VAR`: a variable's value, for scripts.
print-%:
	@echo '$($*)'

# ---------------------------------------------------------------------------
# Installing.  PREFIX and DESTDIR as usual; the module goes where the kernel
# looks (/lib/modules/KRELEASE/$(INSTALL_MOD_DIR)) and the udev rule where
# udev looks, whatever PREFIX is.  Without DESTDIR, depmod runs for KRELEASE.
PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
MANDIR		?= $(PREFIX)/share/man
DATADIR		?= $(PREFIX)/share
BPFTRACEDIR	?= $(DATADIR)/pel/bpftrace
UDEVDIR		?= /lib/udev/rules.d
INSTALL_MOD_DIR	?= extra
DKMS_SRCDIR	?= /usr/src
INSTALL		?= install

# The module's version (dkms.conf, /usr/src/pel-VERSION) and the release of
# the kernel KDIR builds for (its uname -r); evaluated only where used.
PEL_VERSION = $(VERSION)
KRELEASE = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DKMS_DIR = $(DESTDIR)$(DKMS_SRCDIR)/pel-$(PEL_VERSION)

# Uninstall removes the leaf directories install made, once they are empty.
rmdir_empty = for d in $(1); do [ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d; done
# The shared library cache, when installing to this system as root.
LDCONFIG = $(if $(DESTDIR),@:,@[ "$$(id -u)" != 0 ] || ldconfig)

# Every man page, by section: man/NAME.SECTION -> $(MANDIR)/manSECTION/.
MANPAGES := $(wildcard man/*.1 man/*.3 man/*.5 man/*.7 man/*.8)
MAN_SECTIONS := $(sort $(subst .,,$(suffix $(MANPAGES))))
BPFTRACE_SCRIPTS := $(wildcard tools/bpftrace/*.bt)

.PHONY: install uninstall install-user uninstall-user install-module \
	uninstall-module install-lib uninstall-lib install-tools \
	uninstall-tools install-man uninstall-man install-udev uninstall-udev \
	install-bpftrace uninstall-bpftrace install-dkms uninstall-dkms

# Without kernel headers (KDIR empty) both say so and leave pel.ko out.
install: $(if $(KDIR),install-module,no-module) install-user

uninstall: $(if $(KDIR),uninstall-module,no-module) uninstall-user

.PHONY: no-module
no-module:
	@echo "$(NO_KDIR_MSG); leaving pel.ko out" >&2

# Everything but the module, for a module installed with DKMS.
install-user: install-lib install-tools install-man install-udev install-bpftrace

uninstall-user: uninstall-lib uninstall-tools uninstall-man uninstall-udev uninstall-bpftrace

lib/liblpel.pc: lib/liblpel.pc.in Makefile
	sed -e 's|@prefix@|$(PREFIX)|' -e 's|@libdir@|$(LIBDIR)|' \
	    -e 's|@includedir@|$(INCLUDEDIR)|' -e 's|@version@|$(LIB_VERSION)|' \
	    $< > $@

# The .pc carries PREFIX: make it again for each install.
.PHONY: lib/liblpel.pc

# Where modules_install puts pel.ko: INSTALL_MOD_DIR plus its directory
# under M (kmod/), possibly compressed (.ko.xz) as the kernel's config says.
MOD_INSTDIR = $(DESTDIR)/lib/modules/$(KRELEASE)/$(INSTALL_MOD_DIR)
# Sign only when the kernel's signing key is there (a kernel built locally);
# distribution headers lack it, and sign-file would only print SSL errors.
MODSIGN_KEY = $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"/\1/p' $(KDIR)/.config 2>/dev/null)
MODSIGN = $(if $(wildcard $(MODSIGN_KEY) $(KDIR)/$(MODSIGN_KEY)),,CONFIG_MODULE_SIG_ALL=)

# depmod for the kernel installed to, so that `modprobe pel` finds pel.ko:
# on / only (a DESTDIR is a staging tree; its package runs depmod).  It is
# in /sbin, which a user's PATH may lack.
DEPMOD_KREL = $(if $(DESTDIR),,PATH="$$PATH:/usr/sbin:/sbin" depmod -a $(KRELEASE))
# modules_install would run depmod on DESTDIR, leaving files that uninstall
# cannot tell from the system's: DEPMOD=true, and depmod ourselves for /.
install-module: module
	@test -n "$(KRELEASE)" || { echo "no kernel release in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(KOUT) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) DEPMOD=true $(MODSIGN) modules_install
	$(DEPMOD_KREL)

uninstall-module:
	@test -n "$(KRELEASE)" || { echo "no kernel release in $(KDIR)" >&2; exit 1; }
	rm -f $(MOD_INSTDIR)/kmod/pel.ko $(MOD_INSTDIR)/kmod/pel.ko.*
	$(call rmdir_empty,$(MOD_INSTDIR)/kmod $(MOD_INSTDIR))
	$(DEPMOD_KREL)

install-lib: lib lib/liblpel.pc
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/lpel $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 lib/liblpel.a $(DESTDIR)$(LIBDIR)/liblpel.a
	$(INSTALL) -m 755 lib/liblpel.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/liblpel.so.$(LIB_VERSION)
	ln -sf liblpel.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/liblpel.so.$(LIB_MAJOR)
	ln -sf liblpel.so.$(LIB_MAJOR) $(DESTDIR)$(LIBDIR)/liblpel.so
	$(INSTALL) -m 644 lib/lpel.h $(DESTDIR)$(INCLUDEDIR)/lpel.h
	$(INSTALL) -m 644 include/uapi/pel.h $(DESTDIR)$(INCLUDEDIR)/lpel/pel.h
	$(INSTALL) -m 644 lib/liblpel.pc $(DESTDIR)$(PKGCONFIGDIR)/liblpel.pc
	$(LDCONFIG)

uninstall-lib:
	rm -f $(DESTDIR)$(LIBDIR)/liblpel.a $(DESTDIR)$(LIBDIR)/liblpel.so \
	      $(DESTDIR)$(LIBDIR)/liblpel.so.$(LIB_MAJOR) \
	      $(DESTDIR)$(LIBDIR)/liblpel.so.$(LIB_VERSION) \
	      $(DESTDIR)$(INCLUDEDIR)/lpel.h $(DESTDIR)$(INCLUDEDIR)/lpel/pel.h \
	      $(DESTDIR)$(PKGCONFIGDIR)/liblpel.pc
	$(call rmdir_empty,$(DESTDIR)$(INCLUDEDIR)/lpel $(DESTDIR)$(PKGCONFIGDIR))
	$(LDCONFIG)

# pelbench is installed when it has been built (make tools/pelbench/pelbench).
install-tools: tools
	$(INSTALL) -d $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 755 tools/pelctl/pelctl $(DESTDIR)$(SBINDIR)/pelctl
	if [ -x tools/pelbench/pelbench ]; then \
		$(INSTALL) -d $(DESTDIR)$(BINDIR) && \
		$(INSTALL) -m 755 tools/pelbench/pelbench $(DESTDIR)$(BINDIR)/pelbench; \
	fi

uninstall-tools:
	rm -f $(DESTDIR)$(SBINDIR)/pelctl $(DESTDIR)$(BINDIR)/pelbench

install-man:
	$(foreach s,$(MAN_SECTIONS),$(INSTALL) -d $(DESTDIR)$(MANDIR)/man$(s) && \
		$(INSTALL) -m 644 $(filter %.$(s),$(MANPAGES)) $(DESTDIR)$(MANDIR)/man$(s)/ &&) :

uninstall-man:
	rm -f $(foreach s,$(MAN_SECTIONS),$(patsubst man/%,$(DESTDIR)$(MANDIR)/man$(s)/%,$(filter %.$(s),$(MANPAGES))))
	$(call rmdir_empty,$(addprefix $(DESTDIR)$(MANDIR)/man,$(MAN_SECTIONS)))

install-udev:
	$(INSTALL) -d $(DESTDIR)$(UDEVDIR)
	$(INSTALL) -m 644 udev/60-pel.rules $(DESTDIR)$(UDEVDIR)/60-pel.rules

uninstall-udev:
	rm -f $(DESTDIR)$(UDEVDIR)/60-pel.rules

# tools/bpftrace/*.bt, executable (#!/usr/bin/env bpftrace): the module's
# tracepoints (Documentation/observability.md).
install-bpftrace:
	$(INSTALL) -d $(DESTDIR)$(BPFTRACEDIR)
	$(if $(BPFTRACE_SCRIPTS),$(INSTALL) -m 755 $(BPFTRACE_SCRIPTS) $(DESTDIR)$(BPFTRACEDIR)/)

uninstall-bpftrace:
	rm -f $(patsubst tools/bpftrace/%,$(DESTDIR)$(BPFTRACEDIR)/%,$(BPFTRACE_SCRIPTS))
	$(call rmdir_empty,$(DESTDIR)$(BPFTRACEDIR) $(DESTDIR)$(DATADIR)/pel)

# What dkms needs to build pel.ko, nothing else: this Makefile (its module
# target is dkms.conf's MAKE), Kbuild, VERSION (the Makefile and kmod/Kbuild
# read it), kmod/, the uapi header and the licence.
install-dkms:
	rm -rf $(DKMS_DIR)
	$(INSTALL) -d $(DKMS_DIR)/kmod $(DKMS_DIR)/include/uapi
	$(INSTALL) -m 644 Makefile Kbuild VERSION COPYING $(DKMS_DIR)/
	sed 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="$(PEL_VERSION)"/' dkms.conf > $(DKMS_DIR)/dkms.conf
	cd kmod && find . -type f \( -name '*.[ch]' -o -name Kbuild \) ! -name '*.mod.c' \
		-exec $(INSTALL) -D -m 644 {} $(DKMS_DIR)/kmod/{} \;
	$(INSTALL) -m 644 include/uapi/*.h $(DKMS_DIR)/include/uapi/

uninstall-dkms:
	rm -rf $(DKMS_DIR)

# Everything a build leaves, and nothing else: no Kbuild clean (its M= would
# be the checkout), and never anything under .cache/ (setup's downloads and
# the kernel images the VM boots).  kmod/ may still hold the objects of an
# in-tree build made before pel.ko moved to build/.
clean:
	rm -rf build tests/bin examples/bin
	rm -f lib/*.o lib/liblpel.a lib/liblpel.so* lib/liblpel.pc \
	      tools/pelctl/pelctl tools/pelbench/pelbench
	rm -f kmod/*.o kmod/*.ko kmod/*.mod kmod/*.mod.c kmod/.*.cmd kmod/*.o.d \
	      kmod/modules.order modules.order Module.symvers .*.cmd
	rm -rf .tmp_versions kmod/.tmp_versions
