# net.direct: stackv4 over lwIP 2.1.3 (raw API, NO_SYS) on a network device.
# lwIP comes from Debian's source package (scripts/deps.sh lwip), unpacked
# into $(LWIP_DIR) once; its objects are linked into the plugin, so the
# pre-linked NAME.*.o keeps them local behind the descriptor.
LWIP_DIR := $(BUILD)/src/lwip
LWIP_STAMP := $(LWIP_DIR)/src/include/lwip/init.h
LWIP_SRCS := $(addprefix $(LWIP_DIR)/src/core/,init.c def.c inet_chksum.c ip.c mem.c \
	memp.c netif.c pbuf.c stats.c sys.c tcp.c tcp_in.c tcp_out.c timeouts.c udp.c \
	ipv4/dhcp.c ipv4/etharp.c ipv4/icmp.c ipv4/ip4.c ipv4/ip4_addr.c ipv4/ip4_frag.c) \
	$(LWIP_DIR)/src/netif/ethernet.c
DIRECT_SRCS := direct.c dnetif.c dtcp.c dudp.c daddr.c

$(LWIP_STAMP): | $(DEPS_STAMP)
	LWIP_DIR=$(LWIP_DIR) bash scripts/deps.sh lwip
$(LWIP_SRCS): | $(LWIP_STAMP) ;

$(call mg_plugin,net.direct,unix xen,$(DIRECT_SRCS) $(LWIP_SRCS),,\
	-Iplugins/net/direct -isystem $(LWIP_DIR)/src/include)
# Every object includes lwIP's headers: they must be unpacked first.  And
# lwIP's options: -MMD leaves them out, as included by -isystem headers.
$(call mg_objs,net.direct,pic,$(DIRECT_SRCS) $(LWIP_SRCS)) \
	$(call mg_objs,net.direct,xen,$(DIRECT_SRCS) $(LWIP_SRCS)): \
	plugins/net/direct/lwipopts.h plugins/net/direct/arch/cc.h | $(LWIP_STAMP)
