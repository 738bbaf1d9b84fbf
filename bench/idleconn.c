/* idleconn - holds N idle HTTP/1.1 keep-alive connections to 127.0.0.1:PORT,
 * each after one complete response to GET PATH, so that a server's memory
 * per idle connection can be read off its resident size.
 * usage: idleconn PORT N PATH HOLD_S
 * Prints "ready N" once all are open (or "failed ..." and exits 1), then
 * keeps them HOLD_S seconds at most, or until standard input closes. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* One request on a new connection, its response read whole: the fd, or -1. */
static int one(const struct sockaddr_in *sa, const char *req, size_t req_len)
{
	char buf[65536];
	size_t have = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)sa, sizeof *sa) < 0 ||
	    write(fd, req, req_len) != (ssize_t)req_len)
		goto fail;
	for (;;) { /* headers, then Content-Length bytes of body */
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		char *end, *cl;

		if (n <= 0)
			goto fail;
		have += (size_t)n;
		buf[have] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (!cl || cl > end)
			goto fail;
		if (have >= (size_t)(end + 4 - buf) + strtoul(cl + 17, NULL, 10))
			return fd;
		if (have == sizeof buf - 1)
			goto fail; /* a body this tool does not expect */
	}
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char req[512];
	int n, hold, len;
	int *fds;

	if (argc != 5 || !strcmp(argv[1], "--help")) {
		fprintf(stderr, "usage: idleconn PORT N PATH HOLD_S\n"
				"  holds N idle keep-alive connections, each after one response\n");
		return argc == 2 ? 0 : 2;
	}
	sa.sin_port = htons((uint16_t)atoi(argv[1]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	n = atoi(argv[2]);
	hold = atoi(argv[4]);
	len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", argv[3]);
	fds = calloc((size_t)(n > 0 ? n : 1), sizeof *fds);
	if (n <= 0 || hold <= 0 || !fds || len <= 0 || len >= (int)sizeof req) {
		fprintf(stderr, "idleconn: expected PORT N>0 PATH HOLD_S>0\n");
		return 2;
	}
	for (int i = 0; i < n; i++) {
		fds[i] = one(&sa, req, (size_t)len);
		if (fds[i] < 0) {
			printf("failed at connection %d\n", i + 1);
			return 1;
		}
	}
	printf("ready %d\n", n);
	fflush(stdout);
	poll(&(struct pollfd){ .fd = 0, .events = POLLIN }, 1, hold * 1000);
	return 0;
}
