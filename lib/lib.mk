# libavec: the core library (no FreeRADIUS, no HTTP types).

LIB_SRCS := lib/err.c lib/model.c lib/policy.c lib/ident.c lib/secret.c \
	lib/store_account.c lib/store_policy.c lib/store_device.c lib/store_scan.c \
	lib/store_block.c \
	lib/md4.c lib/log.c lib/store.c lib/index.c lib/writer.c \
	lib/store_session.c lib/store_retention.c lib/store_addr.c lib/addr_parse.c \
	lib/store_addr_feed.c \
	lib/aaf.c lib/store_ent.c lib/store_nas.c
LIB_SRCS += lib/authcount.c lib/store_report.c lib/store_token.c
LIB_SQL  := $(sort $(wildcard lib/sql/*.sql))
# The AAF reader (aaf.c) uses libxml2; the lib's users link it (PKG_LIBS).
LIBXML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
$(BUILD)/obj/lib/aaf.o $(SAN)/obj/lib/aaf.o: CPPFLAGS += $(LIBXML_CFLAGS)
LIB_GEN  := $(BUILD)/gen/migrations.c

LIBAVEC     := $(BUILD)/lib/libavec.a
LIBAVEC_SAN := $(SAN)/lib/libavec.a
LIB_OBJS     := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/$(LIB_GEN:.c=.o)
LIB_SAN_OBJS := $(LIB_SRCS:%.c=$(SAN)/obj/%.o) $(SAN)/obj/$(LIB_GEN:.c=.o)

# Migrations are compiled in: the binary and its schema cannot drift apart.
$(LIB_GEN): $(LIB_SQL) mk/embed-sql.sh
	@mkdir -p $(@D)
	$(Q)sh mk/embed-sql.sh $(LIB_SQL) > $@.tmp && mv $@.tmp $@

$(LIBAVEC): $(LIB_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^
$(LIBAVEC_SAN): $(LIB_SAN_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  AR      $@")
	$(Q)$(AR) rcs $@ $^

ALL += $(LIBAVEC)
