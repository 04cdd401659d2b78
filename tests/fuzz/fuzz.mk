# Fuzzing: one libFuzzer harness per parser of untrusted input
# (tests/fuzz/fuzz_*.c), built with clang into build/fuzz/.  The library
# and provisioning sources are compiled a third time, with
# -fsanitize=fuzzer-no-link,address,undefined; each harness links them
# with -fsanitize=fuzzer.
#
#   make fuzz          every harness for FUZZ_TIME seconds (default 60),
#                      FUZZ_JOBS harnesses at a time (default 1), on a
#                      working copy of its corpus (build/fuzz/corpus-work);
#                      crashes go to build/fuzz/crashes/NAME/
#   make fuzz-replay   every harness once over tests/fuzz/corpus/NAME and
#                      tests/fuzz/regress/NAME (also part of `make check`)

FUZZ      := $(BUILD)/fuzz
FUZZ_CC   ?= clang
FUZZ_TIME ?= 60
FUZZ_JOBS ?= 1
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS  := $(FUZZ_NAMES:%=$(FUZZ)/bin/fuzz_%)

FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
# Code that is not the harnesses' keeps its warnings but does not fail
# on one that only clang gives: the gcc builds are the judge of those.
FUZZ_LIB_CFLAGS := -std=gnu11 -O1 -g -fPIC $(WARN) -Wno-error $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link
FUZZ_CFLAGS := -std=gnu11 -O1 -g -fPIC $(WARN) $(FUZZ_SAN) \
	-fsanitize=fuzzer-no-link
FUZZ_XCFLAGS := $(LIBXML_CFLAGS) $(CURL_CFLAGS) \
	$(shell pkg-config --cflags libqrencode 2>/dev/null)

# avecd's HTTP side, for fuzz_portal and fuzz_admin_args (not its main()
# nor its engine: the portal harness plays the engine itself)
FUZZ_AVECD_SRCS := provisioning/avecd/msg.c provisioning/avecd/portal.c \
	provisioning/avecd/routes.c provisioning/avecd/pages.c \
	provisioning/avecd/admin.c provisioning/avecd/priv.c \
	provisioning/avecd/redirect.c provisioning/avecd/validate.c \
	provisioning/avecd/acme.c
FUZZ_SRCS := $(LIB_SRCS) $(LIB_GEN) $(COMMON_SRCS) $(CA_SRCS) $(DAS_SRCS) \
	$(CAS_SRCS) $(PROFILE_SRCS) provisioning/avecd/conf.c \
	$(FUZZ_AVECD_SRCS) $(SCHOOL_SRCS)
FUZZ_LIB := $(FUZZ)/lib/libavec-fuzz.a

$(FUZZ)/obj/provisioning/%.o $(FUZZ)/obj/tests/fuzz/%.o: \
	CPPFLAGS += $(PROV_CPPFLAGS)
$(FUZZ)/obj/tests/fuzz/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_XCFLAGS) $(FUZZ_CFLAGS) -MMD -MP -c -o $@ $<
$(FUZZ)/obj/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC-FUZZ $<")
	$(Q)$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_XCFLAGS) $(FUZZ_LIB_CFLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_SRCS:%.c=$(FUZZ)/obj/%.o)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(FUZZ)/bin/fuzz_%: $(FUZZ)/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD-FUZZ $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(PKG_LIBS) \
		$(YAML_LIBS) $(CURL_LIBS) $(QRENCODE_LIBS) $(MHD_LIBS)

# `make check` builds the harnesses only where clang has its libFuzzer
# runtime (tests/fuzz/t_fuzz_replay.sh skips otherwise).
FUZZ_RT = $(wildcard $(dir $(shell $(FUZZ_CC) --rtlib=compiler-rt \
	-print-libgcc-file-name 2>/dev/null))libclang_rt.fuzzer-*.a)
FUZZ_CHECK_BINS = $(if $(FUZZ_RT),$(FUZZ_BINS))

.PHONY: fuzz fuzz-build fuzz-replay
fuzz-build: $(FUZZ_BINS)
fuzz: fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) bash tests/fuzz/fuzz.sh \
		$(FUZZ) $(FUZZ_NAMES)
fuzz-replay: fuzz-build
	@bash tests/run.sh tests/fuzz/t_fuzz_replay.sh
# keep the harness objects (make would delete them as intermediates)
.SECONDARY: $(FUZZ_NAMES:%=$(FUZZ)/obj/tests/fuzz/fuzz_%.o)
