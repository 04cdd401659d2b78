# Tests: Check unit suites (built twice: plain and ASan+UBSan) and the
# integration scripts that drive the real programs (tests/run.sh).

UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_LIBS := $(shell pkg-config --libs check 2>/dev/null) $(PKG_LIBS) $(YAML_LIBS) \
	$(CURL_LIBS) $(QRENCODE_LIBS)
UNIT      := $(BUILD)/tests/unit
UNIT_SAN  := $(SAN)/tests/unit
# Extra objects a unit suite needs besides libavec (e.g. the CA code).
UNIT_EXTRA     ?=
UNIT_EXTRA_SAN ?=

$(UNIT): $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o) $(UNIT_EXTRA) $(LIBAVEC)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(UNIT_LIBS)
$(UNIT_SAN): $(UNIT_SRCS:%.c=$(SAN)/obj/%.o) $(UNIT_EXTRA_SAN) $(LIBAVEC_SAN)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(UNIT_LIBS)

.PHONY: unit integration stress
# Each binary runs every suite in forked children; the runner reads Check's
# summary line, so a failure names its suite, test and line.
unit: $(UNIT) $(UNIT_SAN)
	@bash tests/run.sh --unit $(UNIT) $(UNIT_SAN)

integration: all
	@bash tests/run.sh $(TESTS)

# Not part of `make check`: FreeRADIUS stopped with SIGTERM in the middle
# of an accounting burst, STRESS_N times (20), beside two busy loops
# (tests/stress/sigterm.sh, docs/freeradius-notes.md).
STRESS_N ?= 20
stress: all
	@STRESS_N=$(STRESS_N) bash tests/stress/sigterm.sh

# The scripts that drive avecctl hardest run a second time with its
# ASan+UBSan build.
SAN_SCRIPTS := tests/cli/t_avecctl.sh tests/cli/t_policy.sh \
	tests/ent/t_aaf_import.sh tests/radius/t_accounting.sh \
	tests/radius/t_report.sh tests/provision/t_provision.sh
# ... and the portal's, with avecd built the same way
SAN_PORTAL_SCRIPTS := tests/portal/t_portal.sh

# `make check` is the whole suite, set-up included (README).
check: deps
	@$(MAKE) --no-print-directory all $(UNIT) $(UNIT_SAN) $(AVECCTL_SAN) \
		$(AVECD_SAN) $(PROFILE_SAMPLE) $(FUZZ_CHECK_BINS)
	@bash tests/run.sh --unit $(UNIT) $(UNIT_SAN) --all $(TESTS) \
		--env AVECCTL=$(CURDIR)/$(AVECCTL_SAN) $(SAN_SCRIPTS) \
		--env AVECD=$(CURDIR)/$(AVECD_SAN) $(SAN_PORTAL_SCRIPTS)

# A sample of every profile format for every EAP method, from a throwaway
# CA: tests/profile/t_profiles.sh checks them with xmllint, openssl, python3.
PROFILE_SAMPLE := $(BUILD)/tests/profile-sample
$(BUILD)/obj/tests/tools/%.o: CPPFLAGS += $(PROV_CPPFLAGS)
$(PROFILE_SAMPLE): $(BUILD)/obj/tests/tools/profile_sample.o \
	$(PROFILE_SRCS:%.c=$(BUILD)/obj/%.o) $(CA_SRCS:%.c=$(BUILD)/obj/%.o) \
	$(COMMON_SRCS:%.c=$(BUILD)/obj/%.o) $(LIBAVEC)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(QRENCODE_LIBS)
.PHONY: profile-sample
profile-sample: $(PROFILE_SAMPLE)
