# build.mk - the tests, included by the Makefile.
#   unit/      Check suites over the host's layers and portable plugins
#   e2e/       scripts driving the tools, configs and the website
#   fixtures/  plugins that misbehave on purpose
#   xen/       images under QEMU (make test) and on the Xen testbed (make test-xen)
CHECK_FLAGS = $(shell pkg-config --cflags --libs check 2>/dev/null)
TEST_STAMP := $(BUILD)/.deps-test
FIXTURES := $(patsubst tests/fixtures/%.c,$(BUILD)/tests/fixtures/%.so,$(wildcard tests/fixtures/*.c)) \
	$(BUILD)/tests/fixtures/notelf.so
UNIT_TESTS := resolver catalog loop swap kvro kvconform blockfile tarindex http_parser http_response blkq
TESTS := $(UNIT_TESTS:%=$(BUILD)/tests/test_%)

$(TEST_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	bash scripts/deps.sh test
	@touch $@

$(BUILD)/tests/fixtures/%.so: tests/fixtures/%.c | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(PLUGIN_CFLAGS) -shared -o $@ $< $(LDFLAGS_SAN)
$(BUILD)/tests/fixtures/notelf.so:
	@mkdir -p $(@D)
	echo "this text file is named like a plugin" > $@

# A suite: tests/unit/test_NAME.c and checkrun.c, with what it tests.
$(BUILD)/tests/obj/%.o: tests/unit/%.c | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -Itests/unit -Iplugins/http/server $(CFLAGS_TEST_EXTRA) -c -o $@ $<
TEST_OBJ = $(BUILD)/tests/obj/test_$(1).o $(BUILD)/tests/obj/checkrun.o
$(BUILD)/tests/test_resolver: $(call TEST_OBJ,resolver) $(BUILD)/tests/obj/arraycat.o $(RESOLVE_LIB)
$(BUILD)/tests/test_catalog: $(call TEST_OBJ,catalog) $(LOAD_LIB) $(RESOLVE_LIB)
$(BUILD)/tests/test_loop: $(call TEST_OBJ,loop) $(call HOST_OBJ,host/unix/loop.c)
$(BUILD)/tests/test_swap: $(call TEST_OBJ,swap) $(UNIX_RT_OBJ)
$(BUILD)/tests/test_kvro: $(call TEST_OBJ,kvro) $(BUILD)/tests/obj/fakehost.o
# kvro.dir, kvro.crunch.htdocs and kvro.tar over $(BUILD)/site.tar, the same answers
$(BUILD)/tests/test_kvconform: $(call TEST_OBJ,kvconform) $(BUILD)/tests/obj/fakehost.o
# block.file's ops over a file of its own
$(BUILD)/tests/test_blockfile: $(call TEST_OBJ,blockfile) $(BUILD)/tests/obj/fakehost.o
# kvro.tar's index, finished a few operations at a time
$(BUILD)/tests/test_tarindex: $(call TEST_OBJ,tarindex) $(BUILD)/tests/obj/fakehost.o \
	$(call mg_objs,kvro.tar,pic,index.c)
$(BUILD)/tests/test_http_parser: $(call TEST_OBJ,http_parser) \
	$(call mg_objs,http.server,pic,parser.c date.c)
# http.server's connection and response code over a fake flow
$(BUILD)/tests/test_http_response: $(call TEST_OBJ,http_response) $(BUILD)/tests/obj/fakehost.o \
	$(call mg_objs,http.server,pic,conn.c response.c parser.c pool.c)
# block.xen's request queue against a fake blkback (no Xen)
$(BUILD)/tests/test_blkq: $(call TEST_OBJ,blkq) $(call mg_objs,block.xen,pic,queue.c)
$(BUILD)/tests/obj/test_blkq.o: CFLAGS_TEST_EXTRA := -Iplugins/xen/block
$(TESTS):
	$(CC) -o $@ $^ $(HOST_LIBS) $(CHECK_FLAGS) $(LDFLAGS_SAN)

.PHONY: test-build test-run
test-build: all $(TESTS) $(FIXTURES)

# Each suite prints its own summary; the scripts print "N passed, N failed".
test-run: test-build
	@set -e; for t in $(TESTS); do echo "== $$t"; \
		FIXTURE_DIR=$(BUILD)/tests/fixtures MIRAGE_PLUGIN_DIR=$(BUILD)/plugins \
		SITE_TAR=$(BUILD)/site.tar $$t; done
	bash tests/unit/layers.sh
	bash scripts/libc-list.sh --check && echo "ok - abi/README.md lists what host/libc/libc.symbols exports"
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/e2e.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/http.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/fresh.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/lend.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/guide.sh
	BUILD=$(BUILD) bash tests/e2e/freeze.sh
	BUILD=$(BUILD) bash tests/e2e/golden.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/swap.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/sign.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/tls.sh
	TLS=bearssl BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/tls.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/disk.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/hostrel.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/workers.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/hostile.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/attack.sh
	BUILD=$(BUILD) SAN=$(SAN) bash tests/e2e/direct.sh
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

include tests/fuzz/fuzz.mk
include tests/xen/guests.mk
include tests/xen/fixtures.mk
