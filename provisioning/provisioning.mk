# provisioning: the appliance CA (ca/), the helpers the programs share
# (common/) and the admin CLI avecctl (avecctl/).
#
# Sources here include "ca/ca.h" and "common/json.h" from provisioning/,
# and may use no deprecated OpenSSL interface.

PROV_CPPFLAGS := -Iprovisioning -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
$(BUILD)/obj/provisioning/%.o: CPPFLAGS += $(PROV_CPPFLAGS)
$(SAN)/obj/provisioning/%.o: CPPFLAGS += $(PROV_CPPFLAGS)

CA_SRCS     := provisioning/ca/ca.c
COMMON_SRCS := provisioning/common/json.c provisioning/common/text.c
# The Disconnect-Request client (RFC 5176), avecctl's now, avecd's later
DAS_SRCS    := provisioning/das/das.c
# The administrator's policy file (YAML through libyaml): avecctl's and the
# unit suite's; then avecctl's block lists
POLICY_SRCS := provisioning/policy/policy_file.c
YAML_LIBS   := $(shell pkg-config --libs yaml-0.1 2>/dev/null)
DAS_SRCS    += $(POLICY_SRCS)
AVECCTL_SRCS := provisioning/avecctl/main.c provisioning/avecctl/util.c \
	provisioning/avecctl/cmd_store.c provisioning/avecctl/cmd_ca.c \
	provisioning/avecctl/cmd_account.c provisioning/avecctl/cmd_policy.c \
	provisioning/avecctl/cmd_device.c provisioning/avecctl/cmd_log.c provisioning/avecctl/cmd_nas.c \
	provisioning/avecctl/revoke_das.c provisioning/avecctl/cmd_ent.c
AVECCTL_SRCS += provisioning/avecctl/cmd_block.c
AVECCTL_SRCS += provisioning/avecctl/cmd_report.c provisioning/avecctl/audit.c

AVECCTL     := $(BUILD)/bin/avecctl
AVECCTL_SAN := $(SAN)/bin/avecctl
AVECCTL_OBJS     := $(AVECCTL_SRCS:%.c=$(BUILD)/obj/%.o) \
	$(CA_SRCS:%.c=$(BUILD)/obj/%.o) $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o) \
	$(DAS_SRCS:%.c=$(BUILD)/obj/%.o)
AVECCTL_SAN_OBJS := $(AVECCTL_SRCS:%.c=$(SAN)/obj/%.o) \
	$(CA_SRCS:%.c=$(SAN)/obj/%.o) $(COMMON_SRCS:%.c=$(SAN)/obj/%.o) \
	$(DAS_SRCS:%.c=$(SAN)/obj/%.o)

$(AVECCTL): $(AVECCTL_OBJS) $(LIBAVEC)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(YAML_LIBS)
# The same program with ASan+UBSan, for tests: AVECCTL=build/san/bin/avecctl
$(AVECCTL_SAN): $(AVECCTL_SAN_OBJS) $(LIBAVEC_SAN)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(PKG_LIBS) $(YAML_LIBS)

.PHONY: avecctl avecctl-san
avecctl: $(AVECCTL)
avecctl-san: $(AVECCTL_SAN)

ALL += $(AVECCTL)

# The unit binaries link the CA (tests/unit/check_ca.c) and the helpers.
UNIT_EXTRA     := $(CA_SRCS:%.c=$(BUILD)/obj/%.o) $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o) \
	$(DAS_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_EXTRA_SAN := $(CA_SRCS:%.c=$(SAN)/obj/%.o) $(COMMON_SRCS:%.c=$(SAN)/obj/%.o) \
	$(DAS_SRCS:%.c=$(SAN)/obj/%.o)
