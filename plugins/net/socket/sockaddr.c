/* sockaddr.c - numeric IPv4/IPv6 addresses as text and back. */
#include <arpa/inet.h>
#include <string.h>

#include "sock.h"

int sock_addr_parse(const char *addr, uint16_t port, struct sockaddr_storage *ss,
		    socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (strchr(addr, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof *s6;
		return inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	*len = sizeof *s4;
	if (*addr == '\0') {
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		return 0;
	}
	return inet_pton(AF_INET, addr, &s4->sin_addr) == 1 ? 0 : -EINVAL;
}

uint16_t sock_addr_text(const struct sockaddr_storage *ss, char *buf, size_t cap)
{
	const void *a;
	uint16_t port;

	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		a = &s6->sin6_addr;
		port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		a = &s4->sin_addr;
		port = ntohs(s4->sin_port);
	}
	if (buf && !inet_ntop(ss->ss_family, a, buf, (socklen_t)cap))
		buf[0] = '\0';
	return port;
}
