# rlm_avec: the FreeRADIUS module (glue only; the decision is in libavec).
#
# The module is compiled against the FreeRADIUS server headers that
# mk/fr-headers.sh unpacks into $(BUILD)/include.  They are included as
# system headers, so that their own warnings do not trip our -Werror while
# the module's code keeps the project's full warning set.  The shared
# object links libavec in statically and hides its symbols: the server
# sees one export, `rlm_avec`.

RLM_AVEC_SRCS := plugins/rlm_avec/rlm_avec.c plugins/rlm_avec/exit_guard.c
RLM_AVEC_OBJS := $(RLM_AVEC_SRCS:%.c=$(BUILD)/obj/%.o)
RLM_AVEC      := $(BUILD)/plugins/rlm_avec.so

RLM_AVEC_CPPFLAGS := $(CPPFLAGS) -isystem $(BUILD)/include \
	-include freeradius/build.h
RLM_AVEC_LDFLAGS := -shared -Wl,--no-undefined -Wl,--exclude-libs,ALL \
	-L/usr/lib/freeradius -Wl,-rpath,/usr/lib/freeradius
RLM_AVEC_LIBS := -lfreeradius-server -lfreeradius-radius -ltalloc \
	$(PKG_LIBS)

# More specific than the generic $(BUILD)/obj/%.o rule, so make picks it.
$(BUILD)/obj/plugins/rlm_avec/%.o: plugins/rlm_avec/%.c $(BUILD)/include/.stamp
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(RLM_AVEC_CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(RLM_AVEC): $(RLM_AVEC_OBJS) $(LIBAVEC)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(CFLAGS) $(RLM_AVEC_LDFLAGS) -o $@ $(RLM_AVEC_OBJS) $(LIBAVEC) \
		$(RLM_AVEC_LIBS)

.PHONY: rlm_avec
rlm_avec: $(RLM_AVEC)

ALL += $(RLM_AVEC)
