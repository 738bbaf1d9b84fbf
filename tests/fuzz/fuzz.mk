# tests/fuzz/fuzz.mk - libFuzzer targets (tests/fuzz/README.md).
#   make fuzz [FUZZ_TIME=60] [FUZZ_TARGETS="fuzz_elf ..."]
#       runs each target for FUZZ_TIME seconds on fresh inputs; what it
#       finds stays in $(BUILD)/fuzz/corpus/NAME for the next run
#   make fuzz-check   (part of make test) each target over its seed corpus
#       plus 10 s of fresh inputs
# Crashes go to $(BUILD)/fuzz/crashes/NAME/, printed as a command that
# reproduces them.  The targets are always built with ASan and UBSan, so
# test-asan does not run them a second time.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_ALL := fuzz_http_head fuzz_dechunk fuzz_http_conn fuzz_elf fuzz_config fuzz_sig
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_DIR := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Iabi -Itests/fuzz -fno-omit-frame-pointer \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
HTTP_DIR := plugins/http/server
HTTP_SRC := $(wildcard $(HTTP_DIR)/*.c)
FUZZ_HTTP_DEPS := tests/fuzz/fuzz.mk $(wildcard $(HTTP_DIR)/*.h) tests/fuzz/fuzz.h
FUZZ_HOST_DEPS := tests/fuzz/fuzz.mk $(wildcard host/*/*.h) tests/fuzz/fuzz.h tests/fuzz/memfile.h tests/fuzz/memfile.c

$(FUZZ_DIR)/fuzz_http_head: tests/fuzz/fuzz_http_head.c $(HTTP_DIR)/parser.c $(FUZZ_HTTP_DEPS)
$(FUZZ_DIR)/fuzz_dechunk: tests/fuzz/fuzz_dechunk.c $(HTTP_DIR)/parser.c $(FUZZ_HTTP_DEPS)
$(FUZZ_DIR)/fuzz_http_conn: tests/fuzz/fuzz_http_conn.c $(HTTP_SRC) $(FUZZ_HTTP_DEPS)
$(FUZZ_DIR)/fuzz_http_head $(FUZZ_DIR)/fuzz_dechunk $(FUZZ_DIR)/fuzz_http_conn: | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(HTTP_DIR) -o $@ $(filter %.c,$^)

$(FUZZ_DIR)/fuzz_elf: tests/fuzz/fuzz_elf.c host/load/elfread.c $(FUZZ_HOST_DEPS) | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ihost -o $@ $(filter %.c,$^)
$(FUZZ_DIR)/fuzz_sig: tests/fuzz/fuzz_sig.c host/load/sigfile.c host/load/elfread.c host/resolve/diag.c \
		$(FUZZ_HOST_DEPS) | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ihost -o $@ $(filter %.c,$^) $(shell pkg-config --libs libcrypto)
$(FUZZ_DIR)/fuzz_config: tests/fuzz/fuzz_config.c tests/fuzz/fuzzcat.c tests/fuzz/fuzzcat.h \
		tests/unit/arraycat.c tests/unit/arraycat.h \
		$(wildcard host/resolve/*.c) $(FUZZ_HOST_DEPS) | $(TEST_STAMP)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Ihost -Itests/unit $(shell pkg-config --cflags libconfig) -o $@ \
		$(filter %.c,$^) $(shell pkg-config --libs libconfig)

# Seeds beyond tests/fuzz/corpus/NAME: the example configs, and ELF objects
# made here rather than kept in the repo as binaries.
FUZZ_SEEDS_fuzz_config := configs
FUZZ_SEEDS_fuzz_elf := $(FUZZ_DIR)/seeds/elf
# libconfig leaks on some parse errors (tests/fuzz/lsan.supp); checking for
# leaks after each such input would make this target ten times slower, so
# leaks are looked for once, at the end of the run.
FUZZ_FLAGS_fuzz_config := -detect_leaks=0
$(FUZZ_DIR)/seeds/elf: tests/fuzz/elf_seed.c | $(TEST_STAMP)
	@mkdir -p $@
	$(CC) -c -O1 -o $@/seed.o $<
	$(CC) -c -O1 -g0 -ffunction-sections -o $@/seed-sections.o $<
	strip -o $@/seed-stripped.o --strip-unneeded $@/seed.o
	$(CC) -shared -fPIC -O1 -o $@/seed.so $<
	touch $@

FUZZ_BUILT := $(FUZZ_ALL:%=$(FUZZ_DIR)/%) $(FUZZ_DIR)/seeds/elf
.PHONY: fuzz fuzz-build fuzz-check
fuzz-build: $(FUZZ_BUILT)

# run.sh MODE SECONDS BINARY SEED_DIR...; every target runs, and any
# failure fails the make target.
FUZZ_MODE = $(if $(filter fuzz,$@),fuzz $(FUZZ_TIME),check 10)
fuzz-check fuzz: fuzz-build
	@rc=0; $(foreach t,$(FUZZ_TARGETS),BUILD=$(BUILD) FUZZ_FLAGS='$(FUZZ_FLAGS_$(t))' \
		bash tests/fuzz/run.sh $(FUZZ_MODE) $(FUZZ_DIR)/$(t) tests/fuzz/corpus/$(t) \
		$(FUZZ_SEEDS_$(t)) || rc=1;) exit $$rc
