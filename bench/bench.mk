# bench: AVEC's load generator (built by `make`, so its warnings count) and
# `make bench`, which measures rlm_avec against stock FreeRADIUS setups
# (bench/run.sh; never part of `make check`).

AVEC_LOAD      := $(BUILD)/bin/avec-load
AVEC_BENCHGEN  := $(BUILD)/bin/avec-benchgen
AVEC_LOAD_OBJS := $(BUILD)/obj/bench/avec-load.o

$(AVEC_LOAD): $(AVEC_LOAD_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# The data generator hashes secrets with libavec's own code and issues
# EAP-TLS certificates with the appliance CA's (provisioning/ca).
$(BUILD)/obj/bench/avec-benchgen.o: CPPFLAGS += $(PROV_CPPFLAGS)
$(AVEC_BENCHGEN): $(BUILD)/obj/bench/avec-benchgen.o \
		$(BUILD)/obj/provisioning/ca/ca.o $(LIBAVEC)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

.PHONY: bench avec-load
avec-load: $(AVEC_LOAD)
bench: $(AVEC_LOAD) $(AVEC_BENCHGEN) $(RLM_AVEC) $(AVECCTL) $(ADDRD)
	@bash bench/run.sh

ALL += $(AVEC_LOAD) $(AVEC_BENCHGEN)
