/* console.unix - the console on standard output.
 *
 * Lines and writes are buffered and go out in one write at the end of the
 * loop iteration that made them (a timer of no delay runs after the
 * iteration's fd callbacks), so a busy access log costs a syscall per
 * iteration, not per line.  Nothing is lost on the way out: disconnect
 * (exit, SIGTERM, SIGINT, a swap) writes what is left, and so does a line
 * that does not fit, and so does a fault that ends the process (host->
 * at_fault), before the host's report.  Errors and warnings are written at
 * once. */
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "mirage/console.h"
#include "mirage/host.h"

static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const char *const level_words[] = { "ERROR", "WARN", "INFO", "DEBUG" };
/* ANSI colours per level: red, yellow, green, cyan. */
static const char *const level_colors[] = { "31", "33", "32", "36" };

enum { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };
static const char *const color_names[] = { "auto", "always", "never" };

#define BUF_CAP 65536 /* flushed when full: the write size of a busy log */

struct ucons {
	struct mg_console con;
	const struct mg_env *env;
	unsigned level; /* lines above this level are dropped */
	int timestamps;
	int color;
	struct mg_timer *flush; /* armed while buf holds bytes */
	time_t stamp_sec;       /* the second stamp holds, -1 for none */
	char stamp[16];         /* "HH:MM:SS." of stamp_sec, local time */
	size_t len;
	char buf[BUF_CAP];
};

/* Writes every byte of iov[0..n), resuming after partial writes and EINTR. */
static int write_all(struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(STDOUT_FILENO, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		for (; n > 0 && (size_t)w >= iov->iov_len; iov++, n--)
			w -= (ssize_t)iov->iov_len;
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Writes what the buffer holds.  On an error the bytes are dropped: the
 * next line must not wait behind a stdout that is gone. */
static int flush(struct ucons *u)
{
	struct iovec iov = { .iov_base = u->buf, .iov_len = u->len };
	int rc = u->len ? write_all(&iov, 1) : 0;

	u->len = 0;
	return rc;
}

/* The process dies of a fault: what is buffered goes out, with write(2)
 * alone (a signal handler runs this). */
static void on_fault(void *arg)
{
	const struct ucons *u = arg;

	for (size_t off = 0; off < u->len;) {
		ssize_t w = write(STDOUT_FILENO, u->buf + off, u->len - off);

		if (w <= 0 && errno != EINTR)
			return;
		off += w > 0 ? (size_t)w : 0;
	}
}

static void on_flush(void *arg)
{
	struct ucons *u = arg;

	u->flush = NULL;
	flush(u);
}

/* Appends iov[0..n) as one piece (never split across writes), or writes
 * it at once after what is buffered when it does not fit, or now is set. */
static int put(struct ucons *u, struct iovec *iov, int n, int now)
{
	size_t total = 0;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	if (now || total > BUF_CAP - u->len) {
		int rc = flush(u);

		if (now || total > BUF_CAP)
			return write_all(iov, n) < 0 ? -EIO : rc;
	}
	for (int i = 0; i < n; i++) {
		memcpy(u->buf + u->len, iov[i].iov_base, iov[i].iov_len);
		u->len += iov[i].iov_len;
	}
	if (!u->flush && u->env->host->timer_start(u->env, 0, on_flush, u, &u->flush) < 0) {
		u->flush = NULL;
		return flush(u); /* no timer: unbuffered */
	}
	return 0;
}

static long ucons_write(struct mg_console *c, const void *buf, size_t len)
{
	struct ucons *u = mg_container_of(c, struct ucons, con);
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };

	return put(u, &iov, 1, 0) < 0 ? -EIO : (long)len;
}

/* "HH:MM:SS.mmm " in local wall time; "" when the clock fails.  The
 * seconds are formatted once per second. */
static size_t format_time(struct ucons *u, char *buf, size_t cap)
{
	struct timespec ts;
	struct tm tm;
	int n;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return 0;
	if (ts.tv_sec != u->stamp_sec) {
		if (!localtime_r(&ts.tv_sec, &tm))
			return 0;
		snprintf(u->stamp, sizeof u->stamp, "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		u->stamp_sec = ts.tv_sec;
	}
	n = snprintf(buf, cap, "%s%03ld ", u->stamp, ts.tv_nsec / 1000000);
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static int ucons_log(struct mg_console *c, enum mg_log_level level,
		     const char *msg, size_t len)
{
	struct ucons *u = mg_container_of(c, struct ucons, con);
	char prefix[64];
	size_t n = 0;
	int w;
	struct iovec iov[3];

	if ((unsigned)level > u->level)
		return 0;
	if (u->timestamps)
		n = format_time(u, prefix, sizeof prefix);
	if (u->color)
		w = snprintf(prefix + n, sizeof prefix - n, "\033[%sm%s\033[0m ",
			     level_colors[level], level_words[level]);
	else
		w = snprintf(prefix + n, sizeof prefix - n, "%s ", level_words[level]);
	iov[0] = (struct iovec){ .iov_base = prefix, .iov_len = n + (size_t)w };
	iov[1] = (struct iovec){ .iov_base = (void *)msg, .iov_len = len };
	iov[2] = (struct iovec){ .iov_base = "\n", .iov_len = 1 };
	return put(u, iov, 3, level <= MG_LOG_WARN);
}

static const struct mg_console_ops ucons_ops = {
	.hdr = MG_OPS_HDR(struct mg_console_ops, 1, 0),
	.write = ucons_write,
	.log = ucons_log,
};

/* Index of s in names[0..n), or -1. */
static int choice(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

static int ucons_connect(const struct mg_env *env, struct mg_device **out)
{
	int level = choice(level_names, MG_COUNTOF(level_names), env->params[0].s);
	int color = choice(color_names, MG_COUNTOF(color_names), env->params[2].s);
	struct ucons *u;

	if (level < 0 || color < 0) {
		mg_log(env, MG_LOG_ERROR, "bad level '%s' or color '%s'",
		       env->params[0].s, env->params[2].s);
		return -EINVAL;
	}
	u = mg_zalloc(env, sizeof *u);
	if (!u)
		return -ENOMEM;
	u->con.ops = &ucons_ops;
	u->env = env;
	u->level = (unsigned)level;
	u->timestamps = env->params[1].b;
	u->color = color == COLOR_ALWAYS || (color == COLOR_AUTO && isatty(STDOUT_FILENO));
	u->stamp_sec = -1;
	if (MG_OPS_HAS(env->host, at_fault) && env->host->at_fault(env, on_fault, u) < 0)
		mg_log(env, MG_LOG_WARN, "a fault would lose the lines buffered then");
	*out = MG_DEVICE(&u->con);
	return 0;
}

static void ucons_disconnect(struct mg_device *dev)
{
	struct ucons *u = mg_container_of(dev, struct ucons, con);

	if (u->flush)
		u->env->host->timer_cancel(u->flush);
	if (MG_OPS_HAS(u->env->host, at_fault))
		u->env->host->at_fault(u->env, NULL, NULL);
	flush(u);
	mg_free(u->env, u);
}

static const struct mg_param ucons_params[] = {
	{ .name = "level", .type = MG_PARAM_ENUM, .def = "info",
	  .choices = "error|warn|info|debug", .doc = "lowest level logged" },
	{ .name = "timestamps", .type = MG_PARAM_BOOL, .def = "true",
	  .doc = "start log lines with the local time" },
	{ .name = "color", .type = MG_PARAM_ENUM, .def = "auto",
	  .choices = "auto|always|never",
	  .doc = "colour level words (auto: when stdout is a terminal)" },
};

MG_PLUGIN(.name = "console.unix", .version = "1.0",
	  .summary = "console on standard output",
	  .provides = MG_TYPE(CONSOLE, 0), .targets = MG_TARGET_UNIX,
	  .params = ucons_params, .nparams = MG_COUNTOF(ucons_params),
	  .connect = ucons_connect, .disconnect = ucons_disconnect);
