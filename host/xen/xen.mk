# xen.mk - the Xen platform (host/xen/README.md), included by the Makefile.
#   make xen-platform   $(BUILD)/xen/platform.a, what a frozen image links
#   make xen-symbols    plugins' undefined symbols against host/libc/libc.symbols
#   make xen-run        boots hello.xen in QEMU (TCG, no Xen), prints its output
# Plugins' NAME.xen.o come from their fragments (plugins/plugin.mk).

XEN_BUILD := $(BUILD)/xen
# The folder holding Xen's public headers as xen/ (Debian: libxen-dev).
XEN_PUBLIC_INCLUDE ?= /usr/include
XEN_HDRS := $(XEN_BUILD)/include/xen

# Flags for everything compiled into an image, portable plugins included.
# Freestanding: the compiler's own stddef/stdint/stdarg, the image's libc,
# Xen's public headers (only through a folder holding nothing but xen/).
XEN_ARCH_FLAGS := -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-mno-red-zone -mcmodel=small -fno-asynchronous-unwind-tables -fno-common \
	-fno-tree-loop-distribute-patterns -fvisibility=hidden -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -D__XEN_INTERFACE_VERSION__=0x00040e00
XEN_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -MMD -MP $(XEN_ARCH_FLAGS) \
	-isystem host/libc/include -isystem $(XEN_BUILD)/include -Iabi
# Xen plugins (plugins/xen/) also see the platform's exports, mgx.h.
XEN_PLUGIN_CFLAGS := $(XEN_CFLAGS) -Ihost/xen
XEN_PLAT_CFLAGS := $(XEN_CFLAGS) -Ihost -Ihost/xen
# A Xen plugin's descriptor built for the build machine (NAME.so).
XEN_DESC_FLAGS := -Ihost/xen -isystem $(XEN_BUILD)/include -D__XEN_INTERFACE_VERSION__=0x00040e00
# The flags of out-of-tree portable plugins for the image (mirage-plugin-xen.pc).
# (-isystemDIR, joined: pkg-config would merge repeated words.)
XEN_CFLAGS_ABS = $(subst -isystem ,-isystem,$(XEN_ARCH_FLAGS)) -isystem$(abspath host/libc/include) \
	-isystem$(abspath $(XEN_BUILD)/include) -I$(abspath abi)
XEN_LDFLAGS := -nostdlib -static -z max-page-size=0x1000 -z noexecstack \
	--no-warn-rwx-segments -T host/xen/image.ld
XEN_LIBGCC := $(shell $(CC) -print-libgcc-file-name)
XEN_PLUGIN_OBJS :=

# The platform, the portable runtime and the libc, as one archive.
XEN_PLAT_SRC := $(wildcard host/xen/*.c host/runtime/*.c host/libc/*.c) host/resolve/value.c
XEN_PLAT_OBJ := $(patsubst host/xen/%.S,$(XEN_BUILD)/obj/xen/%.o,$(wildcard host/xen/*.S)) \
	$(patsubst host/%.c,$(XEN_BUILD)/obj/%.o,$(XEN_PLAT_SRC))

.PHONY: xen-platform xen-symbols xen-run xen-freeze
xen-platform: $(XEN_BUILD)/platform.a

$(XEN_HDRS): | $(DEPS_STAMP)
	@mkdir -p $(@D)
	@test -d $(XEN_PUBLIC_INCLUDE)/xen || \
		{ echo "no Xen headers in $(XEN_PUBLIC_INCLUDE)/xen: bash scripts/deps.sh build"; exit 1; }
	ln -sfn $(abspath $(XEN_PUBLIC_INCLUDE)/xen) $@

$(XEN_BUILD)/obj/xen/%.o: host/xen/%.S | $(XEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -c -o $@ $<
$(XEN_BUILD)/obj/%.o: host/%.c | $(XEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(XEN_PLAT_CFLAGS) -c -o $@ $<
$(XEN_BUILD)/platform.a: $(XEN_PLAT_OBJ)
	rm -f $@
	ar rcs $@ $^

XEN_QEMU := qemu-system-x86_64 -accel tcg -nographic -no-reboot -m 64 \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
xen-run: $(BUILD)/hello.xen
	$(XEN_QEMU) -kernel $< ; echo "qemu exit status $$? (1: the image ended with 0)"

# Which symbols a plugin object may leave undefined follows from the targets
# its descriptor claims (portable: the libc; Xen-only: also the platform).
xen-symbols: $(XEN_PLUGIN_OBJS) $(BUILD)/bin/mirage-host
	BUILD=$(BUILD) bash tests/xen/symbols.sh host/libc/libc.symbols $(XEN_PLUGIN_OBJS)

# The image's formatter and heap, checked on the build machine against glibc.
XEN_TEST_RENAME := -Dsnprintf=mgx_test_snprintf -Dvsnprintf=mgx_test_vsnprintf \
	-Dmalloc=mgx_test_malloc -Dfree=mgx_test_free -Drealloc=mgx_test_realloc \
	-Dcalloc=mgx_test_calloc
$(XEN_BUILD)/test/%.o: host/libc/%.c | $(XEN_HDRS)
	@mkdir -p $(@D)
	$(CC) $(filter-out -mno-red-zone -mcmodel=small -fvisibility=hidden,$(XEN_PLAT_CFLAGS)) \
		$(XEN_TEST_RENAME) -c -o $@ $<
$(XEN_BUILD)/test/test_libc: tests/xen/test_libc.c $(XEN_BUILD)/test/format.o \
		$(XEN_BUILD)/test/malloc.o
	$(CC) $(CFLAGS_BASE) -no-pie -o $@ $^
.PHONY: xen-test-libc
xen-test-libc: $(XEN_BUILD)/test/test_libc
	$<

# The PV clock's arithmetic, checked on the build machine.
$(XEN_BUILD)/test/test_pvclock: tests/xen/test_pvclock.c host/xen/pvclock.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -Ihost/xen -o $@ $<
.PHONY: xen-test-pvclock
xen-test-pvclock: $(XEN_BUILD)/test/test_pvclock
	$<

# What mirage-freeze links an image with (lib/xen/, like lib/unix/): the
# platform archive and the flags, absolute since the link runs elsewhere.
$(BUILD)/lib/xen/libmirage-rt.a: $(XEN_BUILD)/platform.a host/xen/image.ld
	@mkdir -p $(@D)
	cp $< $@
	echo "$(XEN_CFLAGS_ABS) -I$(CURDIR)/host -I$(CURDIR)/host/xen -std=gnu11 -O2 -Wall -Wextra" > $(@D)/cflags
	echo "-nostdlib -static -no-pie -Wl,-z,max-page-size=0x1000 -Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,-T,$(CURDIR)/host/xen/image.ld -Wl,--strip-all $(XEN_LIBGCC)" > $(@D)/ldflags

xen-freeze: $(BUILD)/lib/xen/libmirage-rt.a

# The example configs frozen for Xen (test-xen and tests/xen/qemu.sh boot them).
XEN_FROZEN := $(BUILD)/hello.xen $(BUILD)/kv-crunch.xen $(BUILD)/xenstore.xen
$(XEN_FROZEN): $(BUILD)/%.xen: configs/%.cfg all
	$(BUILD)/bin/mirage-freeze -q $< --target xen -o $@
