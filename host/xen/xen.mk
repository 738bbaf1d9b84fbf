# xen.mk - the Xen platform (host/xen/README.md), included by the Makefile.
#   make xen-platform   $(BUILD)/xen/platform.a, what a frozen image links
#   make xen-plugins    $(BUILD)/plugins/NAME.xen.o for mirage-freeze --target xen
#   make xen-hello      $(BUILD)/xen/hello.xen from tests/xen/hello_plan.c
#   make xen-images     that and the kvcat images (tests/xen/kvcat_plan.c)
#   make xen-run        boots it in QEMU (TCG, no Xen), prints its output
#   make xen-symbols    checks plugins' undefined symbols against libc.symbols

XEN_BUILD := $(BUILD)/xen
# The folder holding Xen's public headers as xen/ (Debian: libxen-dev).
XEN_PUBLIC_INCLUDE ?= /usr/include
XEN_HDRS := $(XEN_BUILD)/include/xen

# Flags for everything compiled into an image, portable plugins included.
# Freestanding: the compiler's own stddef/stdint/stdarg, the image's libc,
# Xen's public headers (only through a folder holding nothing but xen/).
XEN_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-mno-red-zone -mcmodel=small -fno-asynchronous-unwind-tables -fno-common \
	-fno-tree-loop-distribute-patterns -fvisibility=hidden \
	-nostdinc -isystem $(shell $(CC) -print-file-name=include) \
	-isystem host/xen/libc/include -isystem $(XEN_BUILD)/include \
	-D__XEN_INTERFACE_VERSION__=0x00040e00 -Iabi
# Xen plugins (plugins/xen/) also see the platform's exports, mgx.h.
XEN_PLUGIN_CFLAGS := $(XEN_CFLAGS) -Ihost/xen
XEN_PLAT_CFLAGS := $(XEN_CFLAGS) -Ihost -Ihost/xen -Ihost/xen/libc
XEN_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T host/xen/image.ld
XEN_LIBGCC := $(shell $(CC) -print-libgcc-file-name)

XEN_LIBC_SRC := $(wildcard host/xen/libc/*.c)
XEN_PLAT_SRC := host/xen/main.c host/xen/xen.c host/xen/mem.c host/xen/cons.c \
	host/xen/time.c host/xen/rtc.c host/xen/evtchn.c host/xen/loop.c host/xen/platform.c \
	host/runtime.c host/swap.c $(XEN_LIBC_SRC)
XEN_PLAT_OBJ := $(XEN_BUILD)/obj/boot.o \
	$(patsubst %.c,$(XEN_BUILD)/obj/%.o,$(notdir $(XEN_PLAT_SRC)))
XEN_PLAT_HDRS := $(wildcard host/xen/*.h host/xen/libc/*.h host/xen/libc/include/*.h) \
	host/plan.h host/runtime.h host/rtdev.h host/frozen.h host/loop.h host/platform.h \
	$(ABI_HEADERS)

.PHONY: xen-platform xen-plugins xen-hello xen-images xen-run xen-symbols
xen-platform: $(XEN_BUILD)/platform.a

$(XEN_HDRS):
	@mkdir -p $(@D)
	@test -d $(XEN_PUBLIC_INCLUDE)/xen || \
		{ echo "no Xen headers in $(XEN_PUBLIC_INCLUDE)/xen: bash scripts/deps.sh xen"; exit 1; }
	ln -sfn $(abspath $(XEN_PUBLIC_INCLUDE)/xen) $@

$(XEN_BUILD)/obj/boot.o: host/xen/boot.S | $(XEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -c -o $@ $<
$(XEN_BUILD)/obj/%.o: host/xen/%.c $(XEN_PLAT_HDRS) | $(XEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -c -o $@ $<
$(XEN_BUILD)/obj/%.o: host/xen/libc/%.c $(XEN_PLAT_HDRS) | $(XEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -c -o $@ $<
# The shared runtime; host/main.c and host/loop.c are Unix's, not these.
$(XEN_BUILD)/obj/runtime.o $(XEN_BUILD)/obj/swap.o: $(XEN_BUILD)/obj/%.o: host/%.c \
		$(XEN_PLAT_HDRS) | $(XEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -c -o $@ $<

$(XEN_BUILD)/platform.a: $(XEN_PLAT_OBJ)
	rm -f $@
	ar rcs $@ $^

# $(call xen_plugin,NAME,SOURCES,CFLAGS,KIND) pre-links $(BUILD)/plugins/NAME.xen.o
# where mirage-freeze --target xen looks for it (beside NAME.unix.o): one
# relocatable object whose only global is the descriptor, mirage_plugin,
# with NAME.xen.libs (empty: the image has no libraries).  KIND is portable
# (libc only) or xen (may also use the platform's mgx.h).
XEN_PORTABLE_NAMES :=
XEN_XEN_NAMES :=
define xen_plugin
XEN_$(if $(filter xen,$(4)),XEN,PORTABLE)_NAMES += $(1)
$(BUILD)/plugins/$(1).xen.o: $(2) $(ABI_HEADERS) host/xen/mgx.h | $(XEN_HDRS)
	@rm -rf $$@.d && mkdir -p $$@.d
	$(foreach s,$(2),$$(CC) $(3) -c -o $$@.d/$(notdir $(s:.c=.o)) $(s) &&) true
	ld -r -o $$@ $$@.d/*.o
	objcopy --keep-global-symbol=mirage_plugin $$@
	rm -rf $$@.d
	: > $$(@:.o=.libs)
endef
$(eval $(call xen_plugin,hello,apps/hello/hello.c,$(XEN_CFLAGS),portable))
$(eval $(call xen_plugin,kvcat,apps/kvcat/kvcat.c,$(XEN_CFLAGS),portable))
$(eval $(call xen_plugin,kvro.crunch,plugins/kvro/crunch.c $(BUILD)/gen/kvro.crunch.c,\
	$(XEN_CFLAGS) -Iplugins/kvro,portable))
$(eval $(call xen_plugin,time.xen,plugins/xen/time.c,$(XEN_CFLAGS),portable))
$(eval $(call xen_plugin,console.xen,plugins/xen/console.c,$(XEN_PLUGIN_CFLAGS),xen))
$(eval $(call xen_plugin,clock.xen,plugins/xen/clock.c,$(XEN_PLUGIN_CFLAGS),xen))
$(eval $(call xen_plugin,xen.evtchn,plugins/xen/evtchn.c,$(XEN_PLUGIN_CFLAGS),xen))
$(eval $(call xen_plugin,xen.xenstore,plugins/xen/xenstore.c,$(XEN_PLUGIN_CFLAGS),xen))

# A plugin's object as freeze links it: the descriptor renamed
# mg_plugin_<NAME, '.' as '_'> (host/wiring.c, mgf_descriptor_symbol).
$(XEN_BUILD)/link/%.o: $(BUILD)/plugins/%.xen.o
	@mkdir -p $(@D)
	objcopy --redefine-sym mirage_plugin=mg_plugin_$(subst .,_,$*) $< $@

# $(call xen_image,NAME,WIRING OBJECT,PLUGIN NAMES) links $(XEN_BUILD)/NAME.xen:
# with symbols as NAME.xen.dbg, stripped as the bootable image.
define xen_image
$(XEN_BUILD)/$(1).xen: $(2) $(3:%=$(XEN_BUILD)/link/%.o) $(XEN_BUILD)/platform.a \
		host/xen/image.ld
	ld $$(XEN_LDFLAGS) -o $$@.dbg $(2) $(3:%=$(XEN_BUILD)/link/%.o) \
		$(XEN_BUILD)/platform.a $$(XEN_LIBGCC)
	strip -o $$@ $$@.dbg
endef

# Hand-made wiring files (what mirage-freeze --target xen will generate).
XEN_WIRING_DEPS := host/xen/image.h host/frozen.h host/plan.h $(ABI_HEADERS) | $(XEN_HDRS)
$(XEN_BUILD)/obj/hello_plan.o: tests/xen/hello_plan.c $(XEN_WIRING_DEPS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -c -o $@ $<
$(XEN_BUILD)/obj/kvcat_%_plan.o: tests/xen/kvcat_plan.c $(XEN_WIRING_DEPS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -DKV_DESCRIPTOR=mg_plugin_$(subst .,_,$*) -c -o $@ $<

# configs/hello.cfg: console.xen, time.xen, hello (3 lines, 100 ms apart).
$(eval $(call xen_image,hello,$(XEN_BUILD)/obj/hello_plan.o,console.xen time.xen hello))
# kvcat over files compiled in, and over the domain's xenstore keys (Xen).
$(eval $(call xen_image,kvcat-crunch,$(XEN_BUILD)/obj/kvcat_kvro.crunch_plan.o,\
	console.xen kvro.crunch kvcat))
$(eval $(call xen_image,kvcat-xenstore,$(XEN_BUILD)/obj/kvcat_xen.xenstore_plan.o,\
	console.xen xen.xenstore kvcat))
xen-hello: $(XEN_BUILD)/hello.xen
xen-images: $(XEN_BUILD)/hello.xen $(XEN_BUILD)/kvcat-crunch.xen $(XEN_BUILD)/kvcat-xenstore.xen

XEN_QEMU := qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 64 \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
xen-run: $(XEN_BUILD)/hello.xen
	$(XEN_QEMU) -kernel $< ; echo "qemu exit status $$? (1: the image ended with 0)"

XEN_PORTABLE_OBJ := $(XEN_PORTABLE_NAMES:%=$(BUILD)/plugins/%.xen.o)
XEN_XEN_OBJ := $(XEN_XEN_NAMES:%=$(BUILD)/plugins/%.xen.o)
xen-plugins: $(XEN_PORTABLE_OBJ) $(XEN_XEN_OBJ)
xen-symbols: $(XEN_PORTABLE_OBJ) $(XEN_XEN_OBJ)
	bash tests/xen/symbols.sh host/xen/libc.symbols $(XEN_PORTABLE_OBJ) --platform $(XEN_XEN_OBJ)

# xen.evtchn for mirage-host in a Linux domain on Xen: libxenevtchn (Debian
# libxen-dev).  Built with the other plugins when the header is there.
ifneq ($(wildcard /usr/include/xenevtchn.h),)
$(eval $(call plugin,xen.evtchn,plugins/xen/evtchn_unix.c,-lxenevtchn))
plugins: $(BUILD)/plugins/xen.evtchn.so
endif

# The image's formatter and heap, checked on the build machine against glibc.
XEN_TEST_RENAME := -Dsnprintf=mgx_test_snprintf -Dvsnprintf=mgx_test_vsnprintf \
	-Dmalloc=mgx_test_malloc -Dfree=mgx_test_free -Drealloc=mgx_test_realloc \
	-Dcalloc=mgx_test_calloc
$(XEN_BUILD)/test/%.o: host/xen/libc/%.c $(XEN_PLAT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(filter-out -mno-red-zone -mcmodel=small -fvisibility=hidden,$(XEN_PLAT_CFLAGS)) \
		$(XEN_TEST_RENAME) -c -o $@ $<
$(XEN_BUILD)/test/test_libc: tests/xen/test_libc.c $(XEN_BUILD)/test/format.o \
		$(XEN_BUILD)/test/malloc.o
	$(CC) $(CFLAGS_BASE) -no-pie -o $@ $^
.PHONY: xen-test-libc
xen-test-libc: $(XEN_BUILD)/test/test_libc
	$<

# ---- for mirage-freeze --target xen --------------------------------------
# Xen-only plugins get a .so too, built for the build machine: mirage-freeze
# and mirage-host read descriptors from .so files (lazily bound: the
# platform calls in them never run there).
XEN_DESC_CFLAGS := $(PLUGIN_CFLAGS) -Ihost/xen -isystem $(XEN_BUILD)/include \
	-D__XEN_INTERFACE_VERSION__=0x00040e00
define xen_descriptor
$(BUILD)/plugins/$(1).so: $(2) $(ABI_HEADERS) host/xen/mgx.h | $(XEN_HDRS)
	@mkdir -p $$(@D)
	$$(CC) $(XEN_DESC_CFLAGS) -shared -o $$@ $(2) $$(LDFLAGS_SAN)
endef
$(eval $(call xen_descriptor,console.xen,plugins/xen/console.c))
$(eval $(call xen_descriptor,clock.xen,plugins/xen/clock.c))
$(eval $(call xen_descriptor,time.xen,plugins/xen/time.c))
$(eval $(call xen_descriptor,xen.xenstore,plugins/xen/xenstore.c))
XEN_DESC_SO := $(patsubst %,$(BUILD)/plugins/%.so,console.xen clock.xen time.xen xen.xenstore)

# What mirage-freeze links an image with (lib/xen/, like lib/unix/): the
# platform archive and the flags, absolute since the link runs elsewhere.
$(BUILD)/lib/xen/libmirage-rt.a: $(XEN_BUILD)/platform.a host/xen/image.ld
	@mkdir -p $(@D)
	cp $< $@
	echo "$(subst -Ihost,-I$(CURDIR)/host,$(subst -isystem host,-isystem $(CURDIR)/host,$(subst -isystem $(XEN_BUILD),-isystem $(abspath $(XEN_BUILD)),$(subst -Iabi,-I$(CURDIR)/abi,$(XEN_PLAT_CFLAGS)))))" > $(@D)/cflags
	echo "-nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,-T,$(CURDIR)/host/xen/image.ld -Wl,--strip-all $(XEN_LIBGCC)" > $(@D)/ldflags

.PHONY: xen-freeze
xen-freeze: $(BUILD)/lib/xen/libmirage-rt.a xen-plugins $(XEN_DESC_SO)

# The example configs frozen for Xen (test-xen and tests/xen/qemu.sh boot them).
XEN_FROZEN := $(BUILD)/hello.xen $(BUILD)/kv-crunch.xen $(BUILD)/xenstore.xen
$(XEN_FROZEN): $(BUILD)/%.xen: configs/%.cfg xen-freeze $(BUILD)/bin/mirage-freeze
	$(BUILD)/bin/mirage-freeze -q $< --target xen -o $@
