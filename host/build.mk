# build.mk - the host's layers (host/README.md), included by the Makefile.
# Each layer is a folder and a library; a layer includes only the layers
# below it (tests/unit/layers.sh checks):
#   resolve/  config -> checked plan, no I/O      libmirage-resolve.a
#   load/     plugins from .so files, ELF reading libmirage-load.a
#   runtime/  portable: devices, plans applied    (compiled per platform)
#   unix/     the Unix platform: epoll loop, signals, frozen main
#   xen/      the Xen platform (xen.mk); libc/ the images' libc
#   tools/    mirage-host, mirage-freeze, mirage-sign
HOST_OBJ = $(patsubst host/%.c,$(BUILD)/obj/host/%.o,$(1))
$(BUILD)/obj/host/%.o: host/%.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c -o $@ $<

RESOLVE_LIB := $(BUILD)/lib/libmirage-resolve.a
LOAD_LIB := $(BUILD)/lib/libmirage-load.a
$(RESOLVE_LIB): $(call HOST_OBJ,$(wildcard host/resolve/*.c))
$(LOAD_LIB): $(call HOST_OBJ,$(wildcard host/load/*.c))
$(RESOLVE_LIB) $(LOAD_LIB):
	@mkdir -p $(@D)
	rm -f $@ && ar rcsD $@ $^

# The runtime with the Unix platform, for mirage-host and frozen programs.
UNIX_RT_OBJ := $(call HOST_OBJ,$(wildcard host/runtime/*.c) host/unix/loop.c host/unix/unix.c \
	host/unix/workers.c \
	host/resolve/value.c)
TOOLS_SHARED_OBJ := $(call HOST_OBJ,host/tools/setup.c)
MIRAGE_HOST_OBJ := $(call HOST_OBJ,host/tools/mirage-host.c host/tools/session.c \
	host/tools/control.c host/tools/fanout.c host/tools/watch.c host/tools/ffistart.c host/tools/fault.c)
MIRAGE_FREEZE_OBJ := $(call HOST_OBJ,host/tools/mirage-freeze.c host/tools/wiring.c host/tools/xl.c)
MIRAGE_SIGN_OBJ := $(call HOST_OBJ,host/tools/mirage-sign.c)

host: $(BUILD)/bin/mirage-host $(BUILD)/bin/mirage-crunch $(BUILD)/pkgconfig/mirage-plugin.pc freeze \
	$(BUILD)/bin/mirage-sign
$(BUILD)/bin/mirage-host: $(MIRAGE_HOST_OBJ) $(TOOLS_SHARED_OBJ) $(UNIX_RT_OBJ) $(LOAD_LIB) $(RESOLVE_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LIBS) $(LDFLAGS_SAN)
$(BUILD)/bin/mirage-freeze: $(MIRAGE_FREEZE_OBJ) $(TOOLS_SHARED_OBJ) $(LOAD_LIB) $(RESOLVE_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LIBS) $(LDFLAGS_SAN)
$(BUILD)/bin/mirage-sign: $(MIRAGE_SIGN_OBJ) $(LOAD_LIB) $(RESOLVE_LIB)
	@mkdir -p $(@D)
	$(CC) -o $@ $^ $(HOST_LIBS) $(LDFLAGS_SAN)

# mirage-freeze's inputs besides the plugins: the headers a wiring file
# includes (include/), the runtime and its flags per target (lib/TARGET/).
FROZEN_HEADERS := host/resolve/plan.h host/runtime/runtime.h host/runtime/frozen.h
freeze: $(BUILD)/bin/mirage-freeze $(BUILD)/lib/unix/libmirage-rt.a $(BUILD)/include/.stamp
$(BUILD)/lib/unix/libmirage-rt.a: $(UNIX_RT_OBJ) $(call HOST_OBJ,host/unix/frozen_main.c)
	@mkdir -p $(@D)
	rm -f $@ && ar rcsD $@ $^
	echo "-std=gnu11 -O2 -Wall -Wextra $(filter -fsanitize% -fno-%,$(CFLAGS_BASE))" > $(@D)/cflags
	echo "$(LDFLAGS_SAN)" > $(@D)/ldflags
$(BUILD)/include/.stamp: $(ABI_HEADERS) $(FROZEN_HEADERS)
	@mkdir -p $(BUILD)/include/mirage
	cp $(ABI_HEADERS) $(BUILD)/include/mirage/
	for h in $(FROZEN_HEADERS); do mkdir -p $(BUILD)/include/$$(dirname $${h#host/}) && \
		cp $$h $(BUILD)/include/$${h#host/}; done
	@touch $@

# pkg-config data for out-of-tree plugins (abi/README.md): mirage-plugin for
# the .so and .unix.o, mirage-plugin-xen for the .xen.o; the version is the ABI's.
MG_ABI_VERSION = $(shell sed -n 's/^\#define MG_ABI_MAJOR \([0-9]*\).*/\1/p' abi/mirage/plugin.h).$(shell \
	sed -n 's/^\#define MG_ABI_MINOR \([0-9]*\).*/\1/p' abi/mirage/plugin.h)
$(BUILD)/pkgconfig/%.pc: abi/%.pc.in abi/mirage/plugin.h host/xen/xen.mk
	@mkdir -p $(@D)
	sed -e 's|@ABI_DIR@|$(abspath abi)|; s|@PLUGIN_DIR@|$(abspath $(BUILD)/plugins)|' \
	    -e 's|@VERSION@|$(MG_ABI_VERSION)|; s|@XEN_CFLAGS@|$(XEN_CFLAGS_ABS)|' $< > $@
host: $(BUILD)/pkgconfig/mirage-plugin-xen.pc

# The out-of-tree plugin builder (abi/README.md, "Freezing").
host: $(BUILD)/bin/mirage-plugin-build
$(BUILD)/bin/mirage-plugin-build: host/tools/mirage-plugin-build
	@mkdir -p $(@D)
	cp $< $@
