# provisioning: the appliance CA (ca/), the helpers the programs share
# (common/) and the admin CLI avecctl (avecctl/).
#
# Sources here include "ca/ca.h" and "common/json.h" from provisioning/,
# and may use no deprecated OpenSSL interface.

PROV_CPPFLAGS := -Iprovisioning -DOPENSSL_API_COMPAT=30000 -DOPENSSL_NO_DEPRECATED
$(BUILD)/obj/provisioning/%.o: CPPFLAGS += $(PROV_CPPFLAGS)
$(SAN)/obj/provisioning/%.o: CPPFLAGS += $(PROV_CPPFLAGS)

CA_SRCS     := provisioning/ca/ca.c provisioning/enrol/enrol.c
COMMON_SRCS := provisioning/common/json.c provisioning/common/text.c \
	provisioning/common/yerr.c \
	provisioning/common/buf.c
# The Disconnect-Request client (RFC 5176), avecctl's now, avecd's later
DAS_SRCS    := provisioning/das/das.c provisioning/das/revoke.c
# The administrator's policy file (YAML through libyaml): avecctl's and the
# unit suite's; then avecctl's block lists
POLICY_SRCS := provisioning/policy/policy_file.c
YAML_LIBS   := $(shell pkg-config --libs yaml-0.1 2>/dev/null)
DAS_SRCS    += $(POLICY_SRCS)
# avecd's CAS v3 client (libcurl for the validation, libxml2 for the answer)
CAS_SRCS    := provisioning/cas/cas_parse.c provisioning/cas/cas_identity.c \
	provisioning/cas/cas_http.c
CURL_LIBS   := $(shell pkg-config --libs libcurl 2>/dev/null)
CURL_CFLAGS := $(shell pkg-config --cflags libcurl 2>/dev/null)
$(CAS_SRCS:%.c=$(BUILD)/obj/%.o) $(CAS_SRCS:%.c=$(SAN)/obj/%.o): \
	CPPFLAGS += $(LIBXML_CFLAGS) $(CURL_CFLAGS)
AVECCTL_SRCS := provisioning/avecctl/main.c provisioning/avecctl/util.c \
	provisioning/avecctl/cmd_store.c provisioning/avecctl/cmd_ca.c \
	provisioning/avecctl/cmd_account.c provisioning/avecctl/cmd_policy.c \
	provisioning/avecctl/cmd_device.c provisioning/avecctl/cmd_log.c provisioning/avecctl/cmd_nas.c \
	provisioning/avecctl/revoke_das.c provisioning/avecctl/cmd_ent.c
AVECCTL_SRCS += provisioning/avecctl/cmd_block.c
AVECCTL_SRCS += provisioning/avecctl/cmd_report.c provisioning/avecctl/audit.c \
	provisioning/avecctl/cmd_token.c provisioning/avecctl/api_client.c
# The school profile and `avecctl provision`: the profile's parser and
# renderer (school/), the bridges and VLANs through libnl (net/, the only
# place that includes <netlink/...>)
SCHOOL_SRCS := provisioning/school/school.c provisioning/school/school_net.c \
	provisioning/school/netval.c provisioning/school/render.c \
	provisioning/school/render_net.c
# the portal's certificate from ACME: dehydrated's files
SCHOOL_SRCS += provisioning/school/render_acme.c
NET_SRCS    := provisioning/net/net.c
NL_CFLAGS   := $(shell pkg-config --cflags libnl-route-3.0 2>/dev/null)
NL_LIBS     := $(shell pkg-config --libs libnl-route-3.0 2>/dev/null)
$(NET_SRCS:%.c=$(BUILD)/obj/%.o) $(NET_SRCS:%.c=$(SAN)/obj/%.o): \
	CPPFLAGS += $(NL_CFLAGS)
AVECCTL_SRCS += provisioning/avecctl/cmd_provision.c provisioning/avecctl/cmd_status.c \
	$(SCHOOL_SRCS) $(NET_SRCS)
# status's clock line (adjtimex): avecctl's and the unit suite's
CLOCK_SRCS   := provisioning/avecctl/clock.c
AVECCTL_SRCS += $(CLOCK_SRCS)

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
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(YAML_LIBS) $(CURL_LIBS) $(NL_LIBS)
# The same program with ASan+UBSan, for tests: AVECCTL=build/san/bin/avecctl
$(AVECCTL_SAN): $(AVECCTL_SAN_OBJS) $(LIBAVEC_SAN)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(PKG_LIBS) $(YAML_LIBS) $(CURL_LIBS) $(NL_LIBS)

.PHONY: avecctl avecctl-san
avecctl: $(AVECCTL)
avecctl-san: $(AVECCTL_SAN)

ALL += $(AVECCTL)

# The unit binaries link the CA (tests/unit/check_ca.c) and the helpers.
UNIT_EXTRA     := $(CA_SRCS:%.c=$(BUILD)/obj/%.o) $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o) \
	$(DAS_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_EXTRA_SAN := $(CA_SRCS:%.c=$(SAN)/obj/%.o) $(COMMON_SRCS:%.c=$(SAN)/obj/%.o) \
	$(DAS_SRCS:%.c=$(SAN)/obj/%.o)
UNIT_EXTRA     += $(CAS_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_EXTRA_SAN += $(CAS_SRCS:%.c=$(SAN)/obj/%.o)
# The school profile's parser and renderer (tests/unit/check_school.c)
UNIT_EXTRA     += $(SCHOOL_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_EXTRA_SAN += $(SCHOOL_SRCS:%.c=$(SAN)/obj/%.o)
$(BUILD)/obj/tests/unit/check_school.o $(SAN)/obj/tests/unit/check_school.o: \
	CPPFLAGS += $(PROV_CPPFLAGS)
# status's clock line (tests/unit/check_clock.c)
UNIT_EXTRA     += $(CLOCK_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_EXTRA_SAN += $(CLOCK_SRCS:%.c=$(SAN)/obj/%.o)
$(BUILD)/obj/tests/unit/check_clock.o $(SAN)/obj/tests/unit/check_clock.o \
$(BUILD)/obj/tests/unit/check_render_acme.o $(SAN)/obj/tests/unit/check_render_acme.o: \
	CPPFLAGS += $(PROV_CPPFLAGS)

# Device configuration profiles (mobileconfig, eap-config, Windows WLAN
# XML, ONC) and QR codes: avecd's portal and the unit suite (libqrencode)
PROFILE_SRCS := provisioning/profile/profile.c \
	provisioning/profile/mobileconfig.c provisioning/profile/eapconfig.c \
	provisioning/profile/wlan.c provisioning/profile/onc.c \
	provisioning/profile/qr.c
QRENCODE_LIBS := $(shell pkg-config --libs libqrencode 2>/dev/null)
$(PROFILE_SRCS:%.c=$(BUILD)/obj/%.o) $(PROFILE_SRCS:%.c=$(SAN)/obj/%.o): \
	CPPFLAGS += $(shell pkg-config --cflags libqrencode 2>/dev/null)
UNIT_EXTRA     += $(PROFILE_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_EXTRA_SAN += $(PROFILE_SRCS:%.c=$(SAN)/obj/%.o)
# check_profile.c reads the profiles back with libxml2 (XSD, XPath)
$(BUILD)/obj/tests/unit/check_profile.o $(SAN)/obj/tests/unit/check_profile.o: \
	CPPFLAGS += $(LIBXML_CFLAGS) $(PROV_CPPFLAGS)

# avecd: the portal (libmicrohttpd, CAS through libcurl, profiles) and its
# privileged engine (store, CA) in one program of two processes.
AVECD_SRCS := provisioning/avecd/main.c provisioning/avecd/conf.c \
	provisioning/avecd/msg.c provisioning/avecd/engine.c \
	provisioning/avecd/portal.c provisioning/avecd/routes.c \
	provisioning/avecd/pages.c provisioning/avecd/admin.c \
	provisioning/avecd/schedule.c provisioning/avecd/priv.c \
	provisioning/avecd/redirect.c provisioning/avecd/validate.c \
	provisioning/avecd/acme.c
MHD_LIBS := $(shell pkg-config --libs libmicrohttpd 2>/dev/null)
AVECD     := $(BUILD)/bin/avecd
AVECD_SAN := $(SAN)/bin/avecd
AVECD_DEPS = $(CA_SRCS) $(COMMON_SRCS) $(DAS_SRCS) $(CAS_SRCS) $(PROFILE_SRCS)
AVECD_OBJS     = $(AVECD_SRCS:%.c=$(BUILD)/obj/%.o) $(AVECD_DEPS:%.c=$(BUILD)/obj/%.o)
AVECD_SAN_OBJS = $(AVECD_SRCS:%.c=$(SAN)/obj/%.o) $(AVECD_DEPS:%.c=$(SAN)/obj/%.o)
$(AVECD_SRCS:%.c=$(BUILD)/obj/%.o) $(AVECD_SRCS:%.c=$(SAN)/obj/%.o): \
	CPPFLAGS += $(LIBXML_CFLAGS) $(CURL_CFLAGS)

$(AVECD): $(AVECD_OBJS) $(LIBAVEC)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(YAML_LIBS) $(CURL_LIBS) \
		$(QRENCODE_LIBS) $(MHD_LIBS)
$(AVECD_SAN): $(AVECD_SAN_OBJS) $(LIBAVEC_SAN)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(SAN_CFLAGS) -o $@ $^ $(PKG_LIBS) $(YAML_LIBS) $(CURL_LIBS) \
		$(QRENCODE_LIBS) $(MHD_LIBS)

.PHONY: avecd avecd-san
avecd: $(AVECD)
avecd-san: $(AVECD_SAN)
ALL += $(AVECD)

# The unit suite checks the portal-engine wire, the redirect rule and the
# ACME challenges' checks (tests/unit/check_avecd.c).
UNIT_EXTRA     += $(BUILD)/obj/provisioning/avecd/msg.o \
	$(BUILD)/obj/provisioning/avecd/redirect.o \
	$(BUILD)/obj/provisioning/avecd/acme.o
UNIT_EXTRA_SAN += $(SAN)/obj/provisioning/avecd/msg.o \
	$(SAN)/obj/provisioning/avecd/redirect.o \
	$(SAN)/obj/provisioning/avecd/acme.o
$(BUILD)/obj/tests/unit/check_avecd.o $(SAN)/obj/tests/unit/check_avecd.o: \
	CPPFLAGS += $(PROV_CPPFLAGS) $(LIBXML_CFLAGS)
