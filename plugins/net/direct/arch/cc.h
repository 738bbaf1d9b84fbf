/* arch/cc.h - lwIP's port header for net.direct: the compiler's types and
 * byte swaps, and asserts reported through net.direct's log (no printf in
 * an image). */
#ifndef NET_DIRECT_ARCH_CC_H
#define NET_DIRECT_ARCH_CC_H

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) __builtin_bswap16(x)
#define lwip_htonl(x) __builtin_bswap32(x)

/* Debug output is compiled out (LWIP_DEBUG unset); an assert logs its
 * place and ends the program, as a broken invariant must. */
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
__attribute__((noreturn)) void direct_lwip_assert(const char *msg, const char *file, int line);
#define LWIP_PLATFORM_ASSERT(x) direct_lwip_assert(x, __FILE__, __LINE__)

#endif
