/* control.c - the control socket.  A request is the command's words, one a
 * line, ended by an empty line; the reply's first line is "ok" or "error",
 * the rest is for people (or JSON with --json), and the server closes. */
#define _GNU_SOURCE /* accept4 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "runtime/loop.h"
#include "resolve/resolve.h"
#include "resolve/value.h"

#define REQUEST_MAX 8192

struct client;

struct mgt_control {
	struct mgt_session *s;
	int fd;
	struct mg_watch *watch;
	char *path;
	struct client *clients;
};

/* A connection: its request is read, executed (a change may wait on a
 * connect in progress), then the reply is queued and written as the
 * socket takes it: the loop never blocks on a slow reader. */
struct client {
	struct mgt_control *c;
	struct client *next;
	int fd;
	struct mg_watch *watch;
	int json;
	size_t len;
	char buf[REQUEST_MAX];
	char *out;          /* the reply, once there is one */
	size_t out_len, out_sent;
};

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void status(struct mgt_session *s, int json, FILE *out)
{
	const struct mg_plan *plan = mgh_rt_plan(s->rt);
	struct mgr_lines pinned = { 0 };

	mgt_session_pins(s, &pinned);
	if (json) {
		fprintf(out, "{\"name\": ");
		json_str(out, plan->name);
		fprintf(out, ", \"config\": ");
		json_str(out, s->args->config);
		fprintf(out, ", \"devices\": %u, \"jobs_running\": %u, \"changes\": %u, \"last_change_us\": %llu, \"changing\": %s, \"pinned\": [",
			plan->ndevices, mgh_rt_jobs_running(s->rt), s->changes,
			(unsigned long long)(s->last_pause_ns / 1000),
			mgh_rt_changing(s->rt) ? "true" : "false");
		for (size_t i = 0; i < pinned.n; i++) {
			fprintf(out, "%s", i ? ", " : "");
			json_str(out, pinned.lines[i]);
		}
		fprintf(out, "]}\n");
	} else {
		fprintf(out, "%s (%s): %u devices, %u jobs running, %u changes applied (the last in %llu us)%s\n",
			plan->name, s->args->config, plan->ndevices, mgh_rt_jobs_running(s->rt),
			s->changes, (unsigned long long)(s->last_pause_ns / 1000),
			mgh_rt_changing(s->rt) ? "; a change waits on a connect" : "");
		for (size_t i = 0; i < pinned.n; i++)
			fprintf(out, "pinned by ctl swap: %s (the config's entry is not applied; ctl unpin %s)\n",
				pinned.lines[i], pinned.lines[i]);
	}
	mgr_lines_free(&pinned);
}

/* A device's parameter values, as a config would write them. */
static void params(const struct mg_plan_device *d, int json, FILE *out)
{
	char value[512];

	fprintf(out, json ? ", \"params\": {" : "");
	for (uint32_t i = 0; i < d->plugin->nparams; i++) {
		const struct mg_param *pa = &d->plugin->params[i];

		mgr_value_text(pa, &d->params[i], value, sizeof value);
		if (json) {
			fprintf(out, "%s", i ? ", " : "");
			json_str(out, pa->name);
			if (pa->type == MG_PARAM_INT || pa->type == MG_PARAM_BOOL)
				fprintf(out, ": %s", value);
			else {
				fprintf(out, ": ");
				json_str(out, d->params[i].s);
			}
		} else {
			fprintf(out, " %s=%s", pa->name, value);
		}
	}
	fprintf(out, json ? "}" : "");
}

static void graph(struct mgt_session *s, int json, FILE *out)
{
	const struct mg_plan *plan = mgh_rt_plan(s->rt);

	fprintf(out, json ? "{\"devices\": [" : "");
	for (unsigned k = 0; k < plan->ndevices; k++) {
		const struct mg_plan_device *d = &plan->devices[k];
		const struct mg_plugin *p = d->plugin;

		if (json) {
			fprintf(out, "%s\n  {\"name\": ", k ? "," : "");
			json_str(out, d->name);
			fprintf(out, ", \"impl\": ");
			json_str(out, p->name);
			fprintf(out, ", \"type\": ");
			json_str(out, p->provides.name);
			fprintf(out, ", \"deps\": {");
		} else {
			fprintf(out, "%s %s %s", d->name, p->name, p->provides.name);
		}
		for (uint32_t i = 0; i < p->nslots; i++) {
			const char *to = d->deps[i] >= 0 ? plan->devices[d->deps[i]].name : NULL;

			if (json) {
				fprintf(out, "%s", i ? ", " : "");
				json_str(out, p->slots[i].name);
				fprintf(out, ": ");
				if (to)
					json_str(out, to);
				else
					fprintf(out, "null");
			} else {
				fprintf(out, " %s=%s", p->slots[i].name, to ? to : "-");
			}
		}
		fprintf(out, json ? "}" : "");
		params(d, json, out);
		fprintf(out, json ? "}" : "\n");
	}
	fprintf(out, json ? "\n]}\n" : "");
}

/* The messages of a change, and the reply's end. */
static void messages(FILE *out, int json, const struct mgr_lines *msgs, int rc)
{
	for (size_t i = 0; i < msgs->n; i++) {
		if (json) {
			fprintf(out, "%s", i ? ",\n " : "{\"messages\": [");
			json_str(out, msgs->lines[i]);
		} else {
			fprintf(out, "%s\n", msgs->lines[i]);
		}
	}
	if (json && msgs->n)
		fprintf(out, "], \"ok\": %s}\n", rc ? "false" : "true");
}

static void end_client(struct client *cl)
{
	struct client **pp = &cl->c->clients;

	while (*pp != cl)
		pp = &(*pp)->next;
	*pp = cl->next;
	mgh_fd_unwatch(cl->watch);
	close(cl->fd);
	free(cl->out);
	free(cl);
}

/* Writes what the socket takes of the reply; ends the client when all is out. */
static void flush_reply(struct client *cl)
{
	while (cl->out_sent < cl->out_len) {
		ssize_t n = write(cl->fd, cl->out + cl->out_sent, cl->out_len - cl->out_sent);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			mgh_fd_update(cl->watch, MG_EV_WRITE);
			return;
		}
		if (n < 0) {
			fprintf(stderr, "mirage-host: control: reply lost: %s\n", strerror(errno));
			break;
		}
		cl->out_sent += (size_t)n;
	}
	end_client(cl);
}

/* Queues the reply: "ok" or "error", then body. */
static void send_reply(struct client *cl, int rc, const char *body, size_t len)
{
	cl->out = mgr_strf("%s\n%.*s", rc ? "error" : "ok", (int)len, body);
	cl->out_len = strlen(cl->out);
	flush_reply(cl);
}

/* A change the client asked for waited on a connect and has ended. */
static void change_done(void *arg, int rc, const struct mgr_lines *msgs)
{
	struct client *cl = arg;
	char *body = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&body, &len);

	if (out) {
		messages(out, cl->json, msgs, rc);
		fclose(out);
	}
	send_reply(cl, rc, body ? body : "", len);
	free(body);
}

/* Runs one request; returns 0 for ok, -EINPROGRESS when change_done will
 * give the outcome. */
static int execute(struct client *cl, char **words, size_t n, FILE *out)
{
	struct mgt_session *s = cl->c->s;
	struct mgr_lines msgs = { 0 };
	int rc = 0;

	const char *cwd = NULL;

	if (n >= 2 && !strcmp(words[n - 2], "--cwd")) { /* the asking ctl's folder */
		cwd = words[n - 1];
		n -= 2;
	}
	cl->json = n > 1 && !strcmp(words[n - 1], "--json");
	n -= (size_t)cl->json;
	if (n == 1 && !strcmp(words[0], "status")) {
		status(s, cl->json, out);
	} else if (n == 1 && !strcmp(words[0], "graph")) {
		graph(s, cl->json, out);
	} else if (n >= 3 && !strcmp(words[0], "swap")) {
		rc = mgt_session_swap(s, words[1], words[2], words + 3, n - 3, cwd, &msgs, change_done,
				      cl);
	} else if (n == 2 && !strcmp(words[0], "unpin")) {
		rc = mgt_session_unpin(s, words[1], &msgs, change_done, cl);
	} else if (n == 1 && !strcmp(words[0], "reload")) {
		rc = mgt_session_reload(s, &msgs, change_done, cl);
	} else {
		fprintf(out, "expected status, graph, swap DEVICE IMPL [KEY=VALUE]..., unpin DEVICE or reload\n");
		rc = -EINVAL;
	}
	if (rc != -EINPROGRESS)
		messages(out, cl->json, &msgs, rc);
	mgr_lines_free(&msgs);
	return rc;
}

static void reply(struct client *cl)
{
	char *words[64], *body = NULL;
	size_t n = 0, len = 0;
	FILE *out = open_memstream(&body, &len);
	int rc;

	for (char *line = cl->buf, *nl; n < MG_COUNTOF(words) && (nl = strchr(line, '\n')) && nl != line;
	     line = nl + 1) {
		*nl = '\0';
		words[n++] = line;
	}
	mgh_fd_update(cl->watch, 0); /* the request is read */
	rc = out && n ? execute(cl, words, n, out) : -EINVAL;
	if (out)
		fclose(out);
	if (rc != -EINPROGRESS)
		send_reply(cl, rc, body ? body : "", len);
	free(body);
}

static void on_client(void *arg, unsigned events)
{
	struct client *cl = arg;
	ssize_t n;

	if (cl->out) {
		flush_reply(cl);
		return;
	}
	if (!(events & (MG_EV_READ | MG_EV_ERROR)))
		return;
	n = read(cl->fd, cl->buf + cl->len, sizeof cl->buf - 1 - cl->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 && !cl->len) {
		end_client(cl);
		return;
	}
	cl->len += n > 0 ? (size_t)n : 0;
	cl->buf[cl->len] = '\0';
	if (n <= 0 || strstr(cl->buf, "\n\n") || cl->len == sizeof cl->buf - 1)
		reply(cl);
}

static void on_accept(void *arg, unsigned events)
{
	struct mgt_control *c = arg;
	int fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *cl;

	(void)events;
	if (fd < 0)
		return;
	cl = mgr_xalloc(sizeof *cl);
	cl->c = c;
	cl->fd = fd;
	if (mgh_fd_watch(mgh_rt_loop(c->s->rt), NULL, fd, MG_EV_READ, on_client, cl, &cl->watch) < 0) {
		close(fd);
		free(cl);
		return;
	}
	cl->next = c->clients;
	c->clients = cl;
}

int mgt_control_address(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int mgt_control_listen(const char *path, int *fd)
{
	struct sockaddr_un sa;
	int rc = mgt_control_address(path, &sa);

	*fd = rc < 0 ? -1 : socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (rc == 0 && *fd < 0)
		rc = -errno;
	if (rc == 0) {
		unlink(path); /* a socket left by an earlier run */
		if (bind(*fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(*fd, SOMAXCONN) < 0)
			rc = -errno;
	}
	if (rc < 0) {
		fprintf(stderr, "mirage-host: --control %s: %s\n", path, strerror(-rc));
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
	}
	return rc;
}

int mgt_control_start(struct mgt_session *s, const char *path, struct mgt_control **out)
{
	struct mgt_control *c = mgr_xalloc(sizeof *c);
	int rc = mgt_control_listen(path, &c->fd);

	c->s = s;
	if (rc == 0) {
		rc = mgh_fd_watch(mgh_rt_loop(s->rt), NULL, c->fd, MG_EV_READ, on_accept, c, &c->watch);
		if (rc < 0) {
			fprintf(stderr, "mirage-host: --control %s: %s\n", path, strerror(-rc));
			close(c->fd);
			unlink(path);
		}
	}
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->path = mgr_strdup(path);
	*out = c;
	return 0;
}

void mgt_control_stop(struct mgt_control *c)
{
	if (!c)
		return;
	mgt_session_forget_done(c->s); /* a waiting change must not reply to a freed client */
	while (c->clients)
		end_client(c->clients);
	mgh_fd_unwatch(c->watch);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}

static const char ctl_usage[] =
	"usage: mirage-host ctl SOCKET COMMAND [--json]\n"
	"\n"
	"Asks an app run with --control SOCKET:\n"
	"  status                          name, devices, running jobs, changes applied\n"
	"  graph                           every device: implementation, type, wiring\n"
	"  swap DEVICE IMPL [KEY=VALUE]... give DEVICE another implementation (and parameters);\n"
	"                                  it stays so (pinned) through reloads; relative\n"
	"                                  paths are taken from this folder\n"
	"  unpin DEVICE                    drop DEVICE's pins: the config's entry applies again\n"
	"  reload                          re-read the config and apply what changed\n"
	"A change waits for connects in progress; the reply says what was applied, or\n"
	"why not, with the devices' own messages.\n"
	"--json prints JSON.  Exit status 0 when the app did it, 1 when it refused, 2 on\n"
	"usage errors or when nothing listens on SOCKET.\n";

int mgt_ctl_main(int argc, char **argv)
{
	struct sockaddr_un sa;
	char buf[4096];
	int fd, first = 1, ok = 0;
	FILE *in;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		fputs(ctl_usage, stdout);
		return 0;
	}
	if (argc < 3) {
		fputs(ctl_usage, stderr);
		return 2;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || mgt_control_address(argv[1], &sa) < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "mirage-host ctl: %s: %s (is an app running with --control %s?)\n",
			argv[1], strerror(errno), argv[1]);
		if (fd >= 0)
			close(fd);
		return 2;
	}
	for (int i = 2; i < argc; i++)
		dprintf(fd, "%s\n", argv[i]);
	if (getcwd(buf, sizeof buf))
		dprintf(fd, "--cwd\n%s\n", buf);
	dprintf(fd, "\n");
	in = fdopen(fd, "r");
	while (in && fgets(buf, sizeof buf, in)) {
		if (first)
			ok = !strcmp(buf, "ok\n");
		else
			fputs(buf, stdout);
		first = 0;
	}
	if (in)
		fclose(in);
	else
		close(fd);
	if (first) {
		fprintf(stderr, "mirage-host ctl: %s: no reply\n", argv[1]);
		return 2;
	}
	return ok ? 0 : 1;
}
