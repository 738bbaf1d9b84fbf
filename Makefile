# mirage: module types as C headers, implementations as plugins.
#   make            everything into $(BUILD)/
#   make run        build and run the main example
#   make run-tls    the same on HTTPS and HTTP (a self-signed certificate)
#   make test       build and run every test
#   make test-asan  every test under AddressSanitizer and UBSan
#   make test-xen   boot the Xen guest images on Xen 4.17 in QEMU (TCG)
#   make bench      benchmarks against peers (bench/)
#   make clean
# Where things are built from: host/build.mk (the host's layers and tools),
# host/xen/xen.mk (the Xen platform), one plugin.mk per plugin folder
# (plugins/plugin.mk explains the fragment), tests/build.mk.
BUILD ?= build
export ASAN_OPTIONS ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1
CC ?= cc
SAN ?=

# -MMD -MP: every object gets a dependency file, so an edited header
# rebuilds what includes it.
CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -MMD -MP -Iabi
ifeq ($(SAN),1)
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS_SAN := -fsanitize=address,undefined
endif
PLUGIN_CFLAGS := $(CFLAGS_BASE) -fPIC -fvisibility=hidden
# `=`: pkg-config is asked when a recipe runs, after deps.sh installed it.
HOST_CFLAGS = $(CFLAGS_BASE) -Ihost $(shell pkg-config --cflags libconfig libffi libcrypto 2>/dev/null)
HOST_LIBS = $(shell pkg-config --libs libconfig libffi libcrypto 2>/dev/null) -ldl

ABI_HEADERS := $(wildcard abi/mirage/*.h)
DEPS_STAMP := $(BUILD)/.deps-build

.PHONY: all run test test-asan clean deps plugins host freeze
all: $(DEPS_STAMP) host plugins xen-freeze $(BUILD)/site.tar

# Debian packages; the stamp keeps deps.sh off the hot path.  Every compile
# rule has it as an order-only prerequisite, so `make -j` on a fresh machine
# installs the headers before anything includes them.
$(DEPS_STAMP): scripts/deps.sh
	@mkdir -p $(@D)
	bash scripts/deps.sh build
	@touch $@
deps:
	bash scripts/deps.sh build test

include plugins/plugin.mk
include host/build.mk
include host/xen/xen.mk
include $(sort $(wildcard plugins/*/*/plugin.mk apps/*/plugin.mk))
include tests/build.mk

plugins: $(PLUGIN_OUTPUTS)

# the website's files as a disk image, for configs/website-disk.cfg
$(BUILD)/site.tar: $(shell find apps/website/htdocs)
	@mkdir -p $(@D)
	tar --format=ustar -cf $@ -C apps/website/htdocs .

# ---- running -----------------------------------------------------------
# the seed's website on http://127.0.0.1:8080/ (Ctrl-C stops it)
run: all
	$(BUILD)/bin/mirage-host configs/website.cfg -v

# the website on https://127.0.0.1:8443/ and http://127.0.0.1:8080/, with a
# self-signed certificate made once into $(BUILD)/tls/ (curl --cacert it)
.PHONY: run-tls
run-tls: all
	[ -e $(BUILD)/tls/server.pem ] || bash scripts/tls-cert.sh $(BUILD)/tls
	TLS_CERT=$(abspath $(BUILD))/tls/server.pem TLS_KEY=$(abspath $(BUILD))/tls/server.key \
		$(BUILD)/bin/mirage-host configs/website-tls.cfg -v

.PHONY: run-hello
run-hello: all
	$(BUILD)/bin/mirage-host configs/hello.cfg

# wrk against the website and nginx (HTTP and HTTPS), net.direct against net.socket; swaps under wrk load (bash scripts/deps.sh bench)
.PHONY: bench
bench: all
	bash scripts/deps.sh bench
	BUILD=$(BUILD) bash bench/http.sh
	BUILD=$(BUILD) bash bench/direct.sh
	BUILD=$(BUILD) bash bench/tls.sh
	TLS=bearssl BUILD=$(BUILD) bash bench/tls.sh
	BUILD=$(BUILD) bash bench/disk.sh
	BUILD=$(BUILD) bash bench/swap.sh
	BUILD=$(BUILD) bash bench/freeze.sh

clean:
	rm -rf build build-asan

# every object's header dependencies, the image platform's (under $(BUILD)/xen) too
-include $(shell find $(BUILD)/obj $(BUILD)/tests $(BUILD)/xen/obj -name '*.d' 2>/dev/null)
