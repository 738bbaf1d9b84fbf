# tls.bearssl: TLS 1.2 on a stackv4's TCP connections (BearSSL), unix and xen.
# BearSSL comes from Debian's source package (scripts/deps.sh bearssl),
# unpacked into $(BEARSSL_DIR) once, and is built by its own Makefile into
# one archive per target: only the members the plugin calls are linked, and
# the pre-linked NAME.*.o keeps them local behind the descriptor.  No
# system seeder (urandom, getentropy, RDRAND): the random device seeds it.
BEARSSL_DIR := $(BUILD)/src/bearssl
BEARSSL_STAMP := $(BEARSSL_DIR)/inc/bearssl.h
BEARSSL_DEFS := -DBR_USE_URANDOM=0 -DBR_USE_GETENTROPY=0 -DBR_RDRAND=0
BEARSSL_PIC := $(BUILD)/obj/bearssl/pic/libbearssl.a
BEARSSL_XEN := $(BUILD)/obj/bearssl/xen/libbearssl.a
BSSL_SRCS := bearssl.c session.c keys.c ../common/tlsstack.c ../common/tlsbuf.c ../common/tlssess.c ../common/tlsalpn.c

$(BEARSSL_STAMP): | $(DEPS_STAMP)
	BEARSSL_DIR=$(BEARSSL_DIR) bash scripts/deps.sh bearssl
# its own flags, no sanitizer (third-party code); the image's freestanding ones
$(BEARSSL_PIC): | $(BEARSSL_STAMP)
	+$(MAKE) -s -C $(BEARSSL_DIR) lib BUILD=$(abspath $(@D)) CC=$(CC) \
		CFLAGS="-O2 -g -fPIC -fvisibility=hidden $(BEARSSL_DEFS)"
$(BEARSSL_XEN): | $(BEARSSL_STAMP) $(XEN_HDRS)
	+$(MAKE) -s -C $(BEARSSL_DIR) lib BUILD=$(abspath $(@D)) CC=$(CC) \
		CFLAGS="$(XEN_CFLAGS_ABS) -O2 -g $(BEARSSL_DEFS) -DBR_USE_UNIX_TIME=0 -DBR_AES_X86NI=0 -DBR_SSE2=0 -mgeneral-regs-only"

$(call mg_plugin,tls.bearssl,unix xen,$(BSSL_SRCS),,-isystem $(BEARSSL_DIR)/inc)
$(call mg_objs,tls.bearssl,pic,$(BSSL_SRCS)) $(call mg_objs,tls.bearssl,xen,$(BSSL_SRCS)): | $(BEARSSL_STAMP)
# the archive after the objects (make puts these prerequisites last)
$(BUILD)/plugins/tls.bearssl.so $(BUILD)/plugins/tls.bearssl.unix.o: $(BEARSSL_PIC)
$(BUILD)/plugins/tls.bearssl.xen.o: $(BEARSSL_XEN)
