/* daddr.c - net.direct's addresses as text, and lwIP's errors as errnos. */
#include <string.h>

#include "direct.h"

/* Four decimal octets, nothing else (no inet_aton shorthands). */
static int parse_quad(const char *s, const char **end, ip4_addr_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++) {
		unsigned octet = 0, digits = 0;

		if (i > 0 && *s++ != '.')
			return -EINVAL;
		for (; *s >= '0' && *s <= '9' && digits < 4; s++, digits++)
			octet = octet * 10 + (unsigned)(*s - '0');
		if (digits == 0 || digits > 3 || octet > 255)
			return -EINVAL;
		v = v << 8 | octet;
	}
	*end = s;
	ip4_addr_set_u32(out, lwip_htonl(v));
	return 0;
}

int daddr_parse(const char *text, ip4_addr_t *out)
{
	const char *end;

	if (!*text) {
		ip4_addr_set_any(out);
		return 0;
	}
	if (strchr(text, ':'))
		return -EAFNOSUPPORT;
	return parse_quad(text, &end, out) == 0 && !*end ? 0 : -EINVAL;
}

int daddr_cidr(const char *text, ip4_addr_t *ip, ip4_addr_t *mask)
{
	const char *end;
	unsigned prefix = 0, digits = 0;

	if (parse_quad(text, &end, ip) < 0 || *end++ != '/')
		return -EINVAL;
	for (; *end >= '0' && *end <= '9' && digits < 3; end++, digits++)
		prefix = prefix * 10 + (unsigned)(*end - '0');
	if (digits == 0 || *end || prefix > 32 || prefix == 0)
		return -EINVAL;
	ip4_addr_set_u32(mask, lwip_htonl(prefix == 32 ? 0xffffffffu : ~(0xffffffffu >> prefix)));
	return 0;
}

int daddr_prefix(const ip4_addr_t *mask)
{
	int n = 0;

	for (uint32_t m = ip4_addr_get_u32(mask); m; m &= m - 1)
		n++;
	return n;
}

int daddr_errno(err_t err)
{
	switch (err) {
	case ERR_OK: return 0;
	case ERR_MEM:
	case ERR_BUF: return -ENOMEM;
	case ERR_TIMEOUT: return -ETIMEDOUT;
	case ERR_RTE: return -ENETUNREACH;
	case ERR_INPROGRESS: return -EINPROGRESS;
	case ERR_VAL:
	case ERR_ARG: return -EINVAL;
	case ERR_WOULDBLOCK: return -EAGAIN;
	case ERR_USE: return -EADDRINUSE;
	case ERR_ALREADY:
	case ERR_ISCONN: return -EISCONN;
	case ERR_CONN: return -ENOTCONN;
	case ERR_IF: return -EIO;
	case ERR_ABRT: return -ECONNABORTED;
	case ERR_RST: return -ECONNRESET;
	case ERR_CLSD: return -EPIPE;
	default: return -EIO;
	}
}
