/* fanout.c - one control request to every worker, their replies in one.
 * The supervisor has nothing else to do, so it serves a client at a
 * time, blocking, with timeouts; the workers work on it side by side. */
#define _GNU_SOURCE /* accept4 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "control.h"
#include "fanout.h"
#include "resolve/diag.h"

#define REQUEST_MAX 8192
#define CLIENT_S 5   /* for the request to arrive */
#define WORKER_S 60  /* for a worker's reply: past the 30 s a connect may take */

struct mgt_fanout {
	char *path;
	int fd;
	struct mgh_workers *w;
};

/* One worker's answer. */
struct answer {
	int fd;
	int ok;
	char *text; /* the reply after its first line, or why there is none */
	int none;   /* no reply: text says why */
};

char *mgt_fanout_worker_path(const char *path, unsigned i)
{
	return mgr_strf("%s.worker%u", path, i);
}

int mgt_fanout_start(const char *path, struct mgh_workers *w, struct mgt_fanout **out)
{
	struct mgt_fanout *f = mgr_xalloc(sizeof *f);
	int rc = mgt_control_listen(path, &f->fd);

	if (rc < 0) {
		free(f);
		return rc;
	}
	f->path = mgr_strdup(path);
	f->w = w;
	*out = f;
	return 0;
}

int mgt_fanout_fd(const struct mgt_fanout *f)
{
	return f->fd;
}

static void timeout(int fd, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Everything fd sends until it closes, or NULL with errno. */
static char *read_all(int fd)
{
	char *buf = NULL, chunk[4096];
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ssize_t n = 0;

	while (out && ((n = read(fd, chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			fwrite(chunk, 1, (size_t)n, out);
	if (out)
		fclose(out);
	if (n < 0) {
		int e = errno;

		free(buf);
		errno = e == EAGAIN ? ETIMEDOUT : e;
		return NULL;
	}
	return buf;
}

/* Sends the request to worker i; a->fd, or a->none with why. */
static void ask(struct mgt_fanout *f, unsigned i, const char *req, size_t len, struct answer *a)
{
	struct sockaddr_un sa;
	char *path = mgt_fanout_worker_path(f->path, i);

	a->fd = -1;
	if (!mgh_workers_pid(f->w, i)) {
		a->none = 1;
		a->text = mgr_strdup("it has ended");
	} else if (mgt_control_address(path, &sa) < 0 ||
		   (a->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		   (timeout(a->fd, WORKER_S), connect(a->fd, (struct sockaddr *)&sa, sizeof sa)) < 0 ||
		   send_all(a->fd, req, len) < 0) {
		a->none = 1;
		a->text = mgr_strf("no reply (%s)", strerror(errno));
	} else {
		shutdown(a->fd, SHUT_WR); /* the request is whole */
	}
	free(path);
}

/* Reads worker i's reply into a. */
static void hear(struct answer *a)
{
	char *reply, *nl;

	if (a->none)
		return;
	reply = read_all(a->fd);
	nl = reply ? strchr(reply, '\n') : NULL;
	if (!nl) {
		a->none = 1;
		a->text = mgr_strf("no reply (%s)", reply ? "it closed" : strerror(errno));
	} else {
		a->ok = !strncmp(reply, "ok\n", 3);
		a->text = mgr_strdup(nl + 1);
	}
	free(reply);
}

static void say_text(FILE *out, struct mgt_fanout *f, unsigned i, const struct answer *a)
{
	long pid = mgh_workers_pid(f->w, i);

	if (a->none) {
		fprintf(out, "worker %u (pid %ld): %s\n", i, pid, a->text);
		return;
	}
	for (const char *line = a->text; *line;) {
		size_t l = strcspn(line, "\n");

		fprintf(out, "worker %u (pid %ld): %.*s\n", i, pid, (int)l, line);
		line += l + (line[l] == '\n');
	}
}

static void say_json(FILE *out, struct mgt_fanout *f, unsigned i, const struct answer *a)
{
	size_t len = strlen(a->text);

	while (len && a->text[len - 1] == '\n')
		len--;
	fprintf(out, "%s\n {\"worker\": %u, \"pid\": %ld, \"ok\": %s, ", i > 1 ? "," : "", i,
		mgh_workers_pid(f->w, i), a->ok ? "true" : "false");
	if (a->none) /* strerror's words, no quotes */
		fprintf(out, "\"error\": \"%s\"}", a->text);
	else if (a->text[0] == '{') /* a usage error's reply is text */
		fprintf(out, "\"reply\": %.*s}", (int)len, a->text);
	else
		fprintf(out, "\"reply\": null}");
}

void mgt_fanout_serve(void *arg)
{
	struct mgt_fanout *f = arg;
	unsigned n = mgh_workers_count(f->w), oks = 0;
	struct answer *as;
	char req[REQUEST_MAX], *body = NULL;
	size_t len = 0, blen = 0;
	int fd = accept4(f->fd, NULL, NULL, SOCK_CLOEXEC), json;
	FILE *out;

	if (fd < 0)
		return;
	timeout(fd, CLIENT_S);
	while (len < sizeof req - 1 && !memmem(req, len, "\n\n", 2)) {
		ssize_t got = read(fd, req + len, sizeof req - 1 - len);

		if (got <= 0)
			break;
		len += (size_t)got;
	}
	req[len] = '\0';
	if (!memmem(req, len, "\n\n", 2)) { /* cut short: nothing to ask the workers */
		static const char cut[] = "error\nexpected a request ended by an empty line\n";

		send_all(fd, cut, sizeof cut - 1);
		close(fd);
		return;
	}
	as = mgr_xalloc(n * sizeof *as);
	json = !strncmp(req, "--json\n", 7) || strstr(req, "\n--json\n");
	for (unsigned i = 0; i < n; i++)
		ask(f, i + 1, req, len, &as[i]);
	for (unsigned i = 0; i < n; i++) {
		hear(&as[i]);
		oks += (unsigned)as[i].ok;
	}
	out = open_memstream(&body, &blen);
	if (out) {
		fprintf(out, "%s\n%s", oks == n ? "ok" : "error", json ? "{\"workers\": [" : "");
		for (unsigned i = 0; i < n; i++)
			(json ? say_json : say_text)(out, f, i + 1, &as[i]);
		if (json)
			fprintf(out, "\n], \"ok\": %s}\n", oks == n ? "true" : "false");
		else if (oks && oks < n && strncmp(req, "status\n", 7) && strncmp(req, "graph\n", 6))
			fprintf(out, "%u of %u workers applied it, the others did not: the workers differ now (ctl %s.workerN asks one)\n",
				oks, n, f->path);
		fclose(out);
		send_all(fd, body, blen);
	}
	for (unsigned i = 0; i < n; i++) {
		if (as[i].fd >= 0)
			close(as[i].fd);
		free(as[i].text);
	}
	free(as);
	free(body);
	close(fd);
}

void mgt_fanout_stop(struct mgt_fanout *f)
{
	if (!f)
		return;
	close(f->fd);
	unlink(f->path);
	free(f->path);
	free(f);
}
