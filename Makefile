# AVEC - top-level build.  `make help` lists the targets.
#
# One non-recursive make: each part keeps its rules in its own fragment
# (lib/lib.mk, plugins/rlm_avec/module.mk, provisioning/provisioning.mk,
# tests/tests.mk).  Objects go under build/; a second tree, build/san/,
# holds the same code built with AddressSanitizer and UBSan for the tests.

.DEFAULT_GOAL := all
SHELL := /bin/bash

BUILD   := build
SAN     := $(BUILD)/san
CC      ?= cc

WARN := -Wall -Wextra -Werror -Wformat=2 -Wformat-security -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith -Wvla \
	-Wwrite-strings -Wundef -Wimplicit-fallthrough -Wnull-dereference \
	-Wcast-align -Wdouble-promotion -Wswitch-enum
OPT      ?= -O2
CPPFLAGS := -D_GNU_SOURCE -Ilib
CFLAGS   := -std=gnu11 $(OPT) -g -fPIC -fstack-protector-strong \
	-D_FORTIFY_SOURCE=2 $(WARN)
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# the sanitizer tree drops _FORTIFY_SOURCE, which ASan replaces
SAN_CFLAGS := -std=gnu11 -O1 -g -fPIC $(WARN) $(SANFLAGS)

PKG_LIBS := $(shell pkg-config --libs sqlite3 openssl libxml-2.0 2>/dev/null) -lpthread

# `make V=1` shows the commands; by default one line per file.
ifeq ($(V),1)
Q :=
else
Q := @
endif

# Objects of the normal and the sanitizer trees
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<
$(SAN)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC-SAN  $<")
	$(Q)$(CC) $(CPPFLAGS) $(SAN_CFLAGS) -MMD -MP -c -o $@ $<

ALL :=
include lib/lib.mk
include plugins/rlm_avec/module.mk
include provisioning/provisioning.mk
include tests/tests.mk
include tests/fuzz/fuzz.mk
include bench/bench.mk
include images/images.mk

.PHONY: all deps check demo clean help fresh-check
all: $(ALL)

deps:
	@sh mk/deps.sh $(BUILD)

# The FreeRADIUS server headers, fetched once per installed version.
$(BUILD)/include/.stamp:
	@sh mk/fr-headers.sh $(BUILD)/include
	@touch $@

# deps first, then a fresh make that sees what deps installed
demo: deps
	@$(MAKE) --no-print-directory all
	@bash tests/demo.sh

# The README's set-up on a clean Debian 12 root (mmdebstrap): make deps,
# make, make unit and the dependency test there; part of make check too.
fresh-check: deps
	@bash tests/run.sh tests/fresh/t_fresh.sh

clean:
	rm -rf $(BUILD)

help:
	@echo "make            build everything (libavec, rlm_avec, avecctl, avecd)"
	@echo "make rlm_avec   the FreeRADIUS module only (build/plugins/rlm_avec.so)"
	@echo "make avecctl    the admin CLI only (build/bin/avecctl)"
	@echo "make avecd      the portal and its engine only (build/bin/avecd)"
	@echo "make deps       install build and test dependencies from Debian (root)"
	@echo "make check      deps, build, unit tests (plain, ASan+UBSan), real-server tests"
	@echo "make unit       unit tests only (plain and sanitized)"
	@echo "make fresh-check make deps, make, make unit in a clean Debian 12 root (root; mmdebstrap)"
	@echo "make demo       the whole appliance: ENT login on the portal, a device joins, is revoked"
	@echo "make fuzz       every libFuzzer harness for FUZZ_TIME seconds (60); make fuzz-replay"
	@echo "make bench      rlm_avec against stock FreeRADIUS (files, rlm_sql): bench/results.json"
	@echo "make stress     SIGTERM during an accounting burst, STRESS_N times (20) under load"
	@echo "make image      the appliance image (build/image: root.img, disk.img, manifest; root)"
	@echo "make image-test boot the image in qemu with simulated radios (root; ~3 min)"
	@echo "make clean      remove build/"
	@echo "tests/run.sh T  run one integration test script (see README)"

-include $(shell find $(BUILD) -name '*.d' -type f -path '*/obj/*' 2>/dev/null)
