# mirage: module types as C headers, implementations as plugins.
#   make            everything into $(BUILD)/
#   make run        build and run the main example
#   make test       build and run every test
#   make test-asan  every test under AddressSanitizer and UBSan
#   make test-xen   boot the Xen guest images on Xen 4.17 in QEMU (TCG)
#   make clean
BUILD ?= build
export ASAN_OPTIONS ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1
CC ?= cc
SAN ?=

CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Iabi
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_SAN := -fsanitize=address,undefined
endif
PLUGIN_CFLAGS := $(CFLAGS_BASE) -fPIC -fvisibility=hidden
HOST_CFLAGS = $(CFLAGS_BASE) -Ihost $(shell pkg-config --cflags libconfig libffi 2>/dev/null)
HOST_LIBS = $(shell pkg-config --libs libconfig libffi 2>/dev/null) -ldl

ABI_HEADERS := $(wildcard abi/mirage/*.h)
DEPS_STAMP := $(BUILD)/.deps-build

.PHONY: all run test test-asan clean deps plugins
all: $(DEPS_STAMP) host plugins xen-freeze

# Debian packages; the stamp keeps deps.sh off the hot path.  Flags from
# pkg-config use `=` so they are read after the packages are in.
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	bash scripts/deps.sh build
	@touch $@
deps:
	bash scripts/deps.sh build test

# ---- host tools --------------------------------------------------------
RESOLVER_SRC := host/config.c host/resolve.c host/catalog.c host/types.c host/diag.c host/setup.c
RUNTIME_SRC := host/runtime.c host/swap.c host/loop.c host/unix.c
HOST_SRC := $(RESOLVER_SRC) $(RUNTIME_SRC) host/ffistart.c host/describe.c host/session.c \
	host/watch.c host/control.c host/main.c

.PHONY: host freeze
host: $(BUILD)/bin/mirage-host $(BUILD)/bin/mirage-crunch $(BUILD)/pkgconfig/mirage-plugin.pc freeze

$(BUILD)/bin/mirage-host: $(HOST_SRC) $(wildcard host/*.h) $(ABI_HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $(HOST_SRC) $(HOST_LIBS) $(LDFLAGS_SAN)

$(BUILD)/bin/mirage-crunch: host/crunch.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -o $@ $< -lcrypto $(LDFLAGS_SAN)

# mirage-freeze and what it links with: headers in include/, the runtime
# and its flags per target in lib/TARGET/.
FREEZE_SRC := $(RESOLVER_SRC) host/wiring.c host/elfread.c host/freeze.c
FROZEN_HEADERS := host/plan.h host/runtime.h host/frozen.h
UNIX_RT_OBJS := $(patsubst host/%.c,$(BUILD)/obj/unix/%.o,$(RUNTIME_SRC) host/frozen_main.c)
freeze: $(BUILD)/bin/mirage-freeze $(BUILD)/lib/unix/libmirage-rt.a $(BUILD)/include/.stamp

$(BUILD)/bin/mirage-freeze: $(FREEZE_SRC) $(wildcard host/*.h) $(ABI_HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $(FREEZE_SRC) $(HOST_LIBS) $(LDFLAGS_SAN)

$(BUILD)/obj/unix/%.o: host/%.c $(wildcard host/*.h) $(ABI_HEADERS) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -Ihost -c -o $@ $<
$(BUILD)/lib/unix/libmirage-rt.a: $(UNIX_RT_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcsD $@ $^
	echo "-std=gnu11 -O2 -Wall -Wextra $(filter -fsanitize% -fno-%,$(CFLAGS_BASE))" > $(@D)/cflags
	echo "$(LDFLAGS_SAN)" > $(@D)/ldflags
$(BUILD)/include/.stamp: $(ABI_HEADERS) $(FROZEN_HEADERS)
	@mkdir -p $(BUILD)/include/mirage
	cp $(ABI_HEADERS) $(BUILD)/include/mirage/
	cp $(FROZEN_HEADERS) $(BUILD)/include/
	@touch $@

# pkg-config file for out-of-tree plugins (abi/README.md)
$(BUILD)/pkgconfig/mirage-plugin.pc: abi/mirage-plugin.pc.in
	@mkdir -p $(@D)
	sed 's|@ABI_DIR@|$(abspath abi)|; s|@PLUGIN_DIR@|$(abspath $(BUILD)/plugins)|' $< > $@

# ---- plugins -----------------------------------------------------------
# $(call plugin,NAME,SOURCES,LIBS) builds $(BUILD)/plugins/NAME.so for
# mirage-host and, from the same sources, NAME.unix.o for mirage-freeze: one
# relocatable object whose only global symbol is the descriptor (so frozen
# plugins never clash), with the libraries it needs in NAME.unix.libs.
PLUGIN_NAMES :=
define plugin
PLUGIN_NAMES += $(1)
$(BUILD)/plugins/$(1).so: $(2) $(ABI_HEADERS) | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(PLUGIN_CFLAGS) -shared -o $$@ $(2) $(3) $$(LDFLAGS_SAN)
$(BUILD)/plugins/$(1).unix.o: $(2) $(ABI_HEADERS) | $(DEPS_STAMP)
	@mkdir -p $$(@D)
	$$(CC) $$(PLUGIN_CFLAGS) -r -nostdlib -o $$@ $(2)
	objcopy --keep-global-symbol=$(MG_DESCRIPTOR) $$@
	echo "$(3)" > $$(@:.o=.libs)
endef
MG_DESCRIPTOR := mirage_plugin

$(eval $(call plugin,console.unix,plugins/console/unix.c,))
$(eval $(call plugin,clock.unix,plugins/clock/unix.c,))
$(eval $(call plugin,time.unix,plugins/time/unix.c,))
$(eval $(call plugin,random.openssl,plugins/random/openssl.c,-lcrypto))
$(eval $(call plugin,kvro.dir,plugins/kvro/dir.c,))
$(eval $(call plugin,kvro.crunch,plugins/kvro/crunch.c $(BUILD)/gen/kvro.crunch.c,))
# the generated table includes "crunch.h"
$(BUILD)/plugins/kvro.crunch.so $(BUILD)/plugins/kvro.crunch.unix.o: PLUGIN_CFLAGS += -Iplugins/kvro
$(BUILD)/plugins/kvro.crunch.so $(BUILD)/plugins/kvro.crunch.unix.o: plugins/kvro/crunch.h
$(eval $(call plugin,hello,apps/hello/hello.c,))
$(eval $(call plugin,kvcat,apps/kvcat/kvcat.c,))
$(eval $(call plugin,net.socket,plugins/net/socket.c plugins/net/sockflow.c plugins/net/sockaddr.c,))
HTTP_SRC := plugins/http/server.c plugins/http/conn.c plugins/http/response.c \
	plugins/http/parser.c plugins/http/date.c
$(eval $(call plugin,http.server,$(HTTP_SRC),))
$(BUILD)/plugins/http.server.so $(BUILD)/plugins/http.server.unix.o: $(wildcard plugins/http/*.h)
$(BUILD)/plugins/net.socket.so $(BUILD)/plugins/net.socket.unix.o: plugins/net/sock.h
$(eval $(call plugin,website,apps/website/website.c apps/website/site.c,))
$(BUILD)/plugins/website.so $(BUILD)/plugins/website.unix.o: apps/website/site.h
# kvro.crunch.htdocs: the website's files compiled in (configs/website-crunch.cfg).
$(eval $(call plugin,kvro.crunch.htdocs,plugins/kvro/crunch.c $(BUILD)/gen/kvro.crunch.htdocs.c,))
$(BUILD)/plugins/kvro.crunch.htdocs.so $(BUILD)/plugins/kvro.crunch.htdocs.unix.o: PLUGIN_CFLAGS += -Iplugins/kvro
$(BUILD)/plugins/kvro.crunch.htdocs.so $(BUILD)/plugins/kvro.crunch.htdocs.unix.o: plugins/kvro/crunch.h
$(BUILD)/gen/kvro.crunch.htdocs.c: $(BUILD)/bin/mirage-crunch $(shell find apps/website/htdocs)
	@mkdir -p $(@D)
	$(BUILD)/bin/mirage-crunch --name kvro.crunch.htdocs -o $@ apps/website/htdocs

# kvro.crunch: the files of apps/kvcat/sample compiled in.
CRUNCH_DIR := apps/kvcat/sample
$(BUILD)/gen/kvro.crunch.c: $(BUILD)/bin/mirage-crunch $(shell find $(CRUNCH_DIR)) 
	@mkdir -p $(@D)
	$(BUILD)/bin/mirage-crunch --name kvro.crunch -o $@ $(CRUNCH_DIR)

plugins: $(PLUGIN_NAMES:%=$(BUILD)/plugins/%.so) $(PLUGIN_NAMES:%=$(BUILD)/plugins/%.unix.o)

# ---- tests -------------------------------------------------------------
CHECK_FLAGS = $(shell pkg-config --cflags --libs check 2>/dev/null)
TEST_STAMP := $(BUILD)/.deps-test
FIXTURES := $(patsubst tests/fixtures/%.c,$(BUILD)/tests/fixtures/%.so,$(wildcard tests/fixtures/*.c)) \
	$(BUILD)/tests/fixtures/notelf.so
TESTS := $(BUILD)/tests/test_resolver $(BUILD)/tests/test_catalog $(BUILD)/tests/test_loop $(BUILD)/tests/test_kvro \
	$(BUILD)/tests/test_http_parser

$(TEST_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	bash scripts/deps.sh test
	@touch $@

$(BUILD)/tests/fixtures/%.so: tests/fixtures/%.c $(ABI_HEADERS) | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -shared -o $@ $< $(LDFLAGS_SAN)
$(BUILD)/tests/fixtures/notelf.so:
	@mkdir -p $(@D)
	echo "this text file is named like a plugin" > $@

$(BUILD)/tests/test_resolver: tests/test_resolver.c tests/checkrun.c host/config.c host/resolve.c \
		host/types.c host/diag.c | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -o $@ $^ $(HOST_LIBS) $(CHECK_FLAGS) $(LDFLAGS_SAN)
$(BUILD)/tests/test_catalog: tests/test_catalog.c tests/checkrun.c $(RESOLVER_SRC) | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -o $@ $^ $(HOST_LIBS) $(CHECK_FLAGS) $(LDFLAGS_SAN)
$(BUILD)/tests/test_http_parser: tests/test_http_parser.c tests/checkrun.c plugins/http/parser.c \
		plugins/http/date.c $(wildcard plugins/http/*.h) | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_BASE) -Itests -Iplugins/http -o $@ $(filter %.c,$^) $(CHECK_FLAGS) $(LDFLAGS_SAN)
$(BUILD)/tests/test_loop: tests/test_loop.c tests/checkrun.c host/loop.c | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -o $@ $^ $(CHECK_FLAGS) $(LDFLAGS_SAN)
$(BUILD)/tests/test_kvro: tests/test_kvro.c tests/fakehost.c tests/checkrun.c | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests -o $@ $^ -ldl $(CHECK_FLAGS) $(LDFLAGS_SAN)

.PHONY: test-build test-run
test-build: all $(TESTS) $(FIXTURES)

# Each suite prints its own summary; e2e.sh prints "N passed, N failed".
test-run: test-build
	@set -e; for t in $(TESTS); do echo "== $$t"; \
		FIXTURE_DIR=$(BUILD)/tests/fixtures MIRAGE_PLUGIN_DIR=$(BUILD)/plugins $$t; done
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/http.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/guide.sh
	BUILD=$(BUILD) bash tests/freeze.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/swap.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/xen/qemu.sh
	$(if $(SAN),@echo "skip - fuzzers: make test runs them (always built with the sanitizers)",$(MAKE) fuzz-check)

test: $(TEST_STAMP)
	$(MAKE) test-run

test-asan: $(TEST_STAMP)
	$(MAKE) BUILD=build-asan SAN=1 test-run

# ---- Xen testbed ------------------------------------------------------------
# test-xen boots the guests of tests/xen/guests.list on a real Xen 4.17 + Linux
# dom0 inside QEMU (TCG, no KVM), all in one boot (tests/xen/test.sh).  The dom0
# initramfs is built once from Debian packages into $(BUILD)/xen-testbed/.
# The guests: a PVH probe (tests/xen/probe/) and the example configs frozen.
# A new guest: its make target in XEN_GUEST_IMAGES, a line in tests/xen/guests.list.
XEN_PROBE := $(BUILD)/xen-testbed/probe.xen
XEN_GUEST_IMAGES = $(XEN_PROBE) $(XEN_FROZEN)

$(XEN_PROBE): tests/xen/probe/probe.S tests/xen/probe/probe.ld
	@mkdir -p $(@D)
	$(CC) -m32 -c -o $(@:.xen=.o) tests/xen/probe/probe.S
	ld -m elf_i386 --no-warn-rwx-segments -T tests/xen/probe/probe.ld -o $@ $(@:.xen=.o)

.PHONY: test-xen
test-xen:
	bash scripts/deps.sh xen
	$(MAKE) $(XEN_GUEST_IMAGES)
	BUILD=$(BUILD) bash tests/xen/test.sh

# ---- running -----------------------------------------------------------
# the seed's website on http://127.0.0.1:8080/ (Ctrl-C stops it)
run: all
	$(BUILD)/bin/mirage-host configs/website.cfg -v

.PHONY: run-hello
run-hello: all
	$(BUILD)/bin/mirage-host configs/hello.cfg

# wrk against the website and nginx; swaps under wrk load (bash scripts/deps.sh bench)
.PHONY: bench
bench: all
	bash scripts/deps.sh bench
	BUILD=$(BUILD) bash bench/http.sh
	BUILD=$(BUILD) bash bench/swap.sh
	BUILD=$(BUILD) bash bench/freeze.sh

clean:
	rm -rf build build-asan

# ---- Xen image: platform, plugins and a hand-wired hello ------------------
include host/xen/xen.mk
include tests/fuzz/fuzz.mk
