/* lwipopts.h - lwIP's build options for net.direct: the raw API on one
 * event loop (NO_SYS), IPv4 with ARP, ICMP echo, UDP, TCP and DHCP; no
 * sockets, netconn or threads.  Memory comes from net.direct's allocator
 * (direct_mem_*), which counts it against the `memory` parameter, so the
 * pools lwIP would keep statically are heap blocks under that budget. */
#ifndef NET_DIRECT_LWIPOPTS_H
#define NET_DIRECT_LWIPOPTS_H

#include <stddef.h>
#include <stdint.h>

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_STATS 0
#define LWIP_TESTMODE 1 /* exposes the timeout list, so disconnect can empty it */
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_CHECKSUM_ON_COPY 1
#define LWIP_TCP_KEEPALIVE 1
#define TCP_LISTEN_BACKLOG 1
#define SO_REUSE 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1

/* Memory: every pool and the heap from net.direct's allocator. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
void *direct_mem_malloc(size_t size);
void *direct_mem_calloc(size_t n, size_t size);
void direct_mem_free(void *p);
#define mem_clib_malloc direct_mem_malloc
#define mem_clib_calloc direct_mem_calloc
#define mem_clib_free direct_mem_free
#define PBUF_POOL_SIZE 256
#define MEMP_NUM_TCP_PCB 1024
#define MEMP_NUM_TCP_PCB_LISTEN 16
#define MEMP_NUM_UDP_PCB 16
#define MEMP_NUM_TCP_SEG 1024

/* TCP: lwIP caps its MSS by the device's MTU: 1460 on Ethernet and
 * netfront, up to 8960 on a jumbo-frame tap (MTU 9000).  A scaled window and
 * a send buffer of 256 KiB keep a 1 MiB response streaming between tcp_sent
 * callbacks. */
#define TCP_MSS 8960
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_WND (256 * 1024)
#define TCP_SND_BUF (256 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / 1460)
#define TCP_SNDLOWAT (16 * 1024)
#define TCP_OVERSIZE TCP_MSS
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0

/* Randomness from the `random` slot: TCP initial sequence numbers, DHCP
 * transaction ids, ephemeral ports. */
uint32_t direct_rand(void);
#define LWIP_RAND() direct_rand()
uint32_t direct_tcp_isn(void);
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) direct_tcp_isn()

#endif
