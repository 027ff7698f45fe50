# SPDX-License-Identifier: GPL-2.0
#
# PEL top-level build.
#
#   make              pel.ko (against KDIR), liblpel.a/.so, pelctl
#   make demo         setup if needed, build, boot a VM, run the example, pelctl status
#   make check        setup if needed, run the whole test suite on 6.1 and 6.12
#   make KDIR=...     build the module against other kernel headers
#   make module W=1 C=1   extra warnings and sparse

TOP := $(CURDIR)

# Kernel versions resolved by scripts/setup.sh (Debian 12's 6.1 and the
# bookworm 6.12).  The host's own kernel has no headers here.
-include $(TOP)/.cache/kernels/versions.mk
KVER ?= $(KVER_6_1)
KDIR ?= /lib/modules/$(KVER)/build

CC      ?= cc
AR      ?= ar
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
	   -I$(TOP)/include/uapi -I$(TOP)/lib
# Binaries meant for the VM's busybox initramfs must be static.
STATIC  ?= -static

LIB_MAJOR := 1
LIB_VERSION := 1.0.0
LIB_SRCS := lib/lpel.c
LIB_OBJS := $(LIB_SRCS:.c=.o)
LIB_PIC_OBJS := $(LIB_SRCS:.c=.pic.o)

KSELFTEST_DIR ?= $(TOP)/.cache/linux-src/tools/testing/selftests
# The harness compares int literals with unsigned values by design.
TEST_CFLAGS := -Wno-sign-compare -Wno-clobbered
TEST_SRCS := $(wildcard tests/*_test.c)
TEST_BINS := $(patsubst tests/%.c,tests/bin/%,$(TEST_SRCS))
EXAMPLE_SRCS := $(wildcard examples/*.c)
EXAMPLE_BINS := $(patsubst examples/%.c,examples/bin/%,$(EXAMPLE_SRCS))

.PHONY: all module lib tools tests examples setup demo check clean

all: module lib tools

module:
	@test -d "$(KDIR)" || { echo "KDIR=$(KDIR) not found: run 'make setup' or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

lib: lib/liblpel.a lib/liblpel.so

lib/%.o: lib/%.c lib/lpel.h include/uapi/pel.h
	$(CC) $(CFLAGS) -c -o $@ $<

lib/%.pic.o: lib/%.c lib/lpel.h include/uapi/pel.h
	$(CC) $(CFLAGS) -fPIC -c -o $@ $<

lib/liblpel.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

lib/liblpel.so: $(LIB_PIC_OBJS) lib/liblpel.map
	$(CC) -shared -Wl,-soname,liblpel.so.$(LIB_MAJOR) \
		-Wl,--version-script=lib/liblpel.map -o lib/liblpel.so.$(LIB_VERSION) $(LIB_PIC_OBJS)
	ln -sf liblpel.so.$(LIB_VERSION) lib/liblpel.so.$(LIB_MAJOR)
	ln -sf liblpel.so.$(LIB_VERSION) $@

tools: tools/pelctl

tools/pelctl: tools/pelctl.c lib/liblpel.a include/uapi/pel.h
	$(CC) $(CFLAGS) $(STATIC) -o $@ $< lib/liblpel.a

tests: $(TEST_BINS)

tests/bin/%: tests/%.c tests/pel_test.h lib/liblpel.a lib/lpel.h include/uapi/pel.h
	@test -f $(KSELFTEST_DIR)/kselftest_harness.h || { echo "kselftest_harness.h missing: run 'make setup'" >&2; exit 1; }
	@mkdir -p tests/bin
	$(CC) $(CFLAGS) $(TEST_CFLAGS) -I$(KSELFTEST_DIR) -Itests $(STATIC) -o $@ $< lib/liblpel.a -lpthread

examples: $(EXAMPLE_BINS)

examples/bin/%: examples/%.c lib/liblpel.a lib/lpel.h include/uapi/pel.h
	@mkdir -p examples/bin
	$(CC) $(CFLAGS) $(STATIC) -o $@ $< lib/liblpel.a

setup:
	scripts/setup.sh

demo:
	scripts/demo.sh

check:
	tests/run.sh

clean:
	-test -d "$(KDIR)" && $(MAKE) -C $(KDIR) M=$(TOP) clean
	rm -f lib/*.o lib/liblpel.a lib/liblpel.so* tools/pelctl
	rm -rf tests/bin examples/bin build
