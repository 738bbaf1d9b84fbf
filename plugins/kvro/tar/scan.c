/* scan.c - reads the archive's headers at connect, a window of the disk
 * at a time, each window parsed in one loop callback; members' data is
 * skipped, not read.  A malformed header stops the connect with the
 * member's offset and name; members tar would not extract as files or
 * folders are skipped with a warning. */
#include <stdio.h>
#include <string.h>

#include "header.h"
#include "tar.h"

#define WINDOW (64u << 10)

struct tar_scan {
	struct tar *t;
	unsigned char *win;
	size_t cap, len;      /* the window's size, and what it holds */
	uint64_t at;          /* its offset on the disk */
	uint64_t pos;         /* the next header */
	char name[TAR_NAME_MAX + 1]; /* a GNU long name for the next member */
	int longname;
	uint64_t longname_hdr;
	unsigned zeros, skipped;
	uint64_t t0, longest; /* when it began; its longest callback (ns) */
	unsigned windows, steps;
	struct mg_timer *timer; /* an empty disk's end, from the loop */
};

static uint64_t round_up(uint64_t n)
{
	return (n + TAR_BLOCK - 1) / TAR_BLOCK * TAR_BLOCK;
}

static void report(void *arg)
{
	struct tar *t = arg;

	t->report = NULL;
	t->env->host->connected(t->env, t->status);
}

static void done(struct tar_scan *s, int rc)
{
	struct tar *t = s->t;
	const struct mg_env *env = t->env;

	if (rc == 0) {
		/* in whole microseconds: the image's formatter has no %f */
		unsigned long long took = (env->host->now_ns() - s->t0) / 1000, step = s->longest / 1000;

		mg_log(env, MG_LOG_INFO,
		       "%u entries indexed in %llu.%03llu ms (%u reads, %u steps; longest step %llu.%03llu ms)",
		       t->index.n, took / 1000, took % 1000, s->windows, s->steps, step / 1000, step % 1000);
	} else
		tar_index_free(&t->index);
	mg_free(env, s->win);
	mg_free(env, s);
	t->scan = NULL;
	/* Told from a callback of kvro.tar's own: a failed connect makes the
	 * host disconnect the disk too, which must not be inside its own. */
	t->status = rc;
	if (env->host->timer_start(env, 0, report, t, &t->report) < 0)
		env->host->connected(env, rc);
}

/* How long a slice of the index's finishing may take: well below the
 * millisecond a loop may stall, as a busy machine stretches it.  A
 * window's parse is bounded by its size (at most 128 headers). */
#define STEP_NS 200000u

static void took(struct tar_scan *s, uint64_t t0)
{
	uint64_t dt = s->t->env->host->now_ns() - t0;

	s->steps++;
	if (dt > s->longest)
		s->longest = dt;
}

/* The index is sorted and linked a slice at a time, from timers. */
static void on_finish(void *arg)
{
	struct tar_scan *s = arg;
	const struct mg_env *env = s->t->env;
	uint64_t t0 = env->host->now_ns();
	char why[512];
	int rc = tar_index_finish(&s->t->index, t0 + STEP_NS, why, sizeof why);

	s->timer = NULL;
	took(s, t0);
	if (rc == 1 && env->host->timer_start(env, 0, on_finish, s, &s->timer) == 0)
		return;
	if (rc == -EINVAL)
		mg_log(env, MG_LOG_ERROR, "%s", why);
	done(s, rc == 1 ? -ENOMEM : rc);
}

static void on_window(void *arg, int err);
static void on_timer(void *arg);

/* Reads the window that starts at the sector holding pos. */
static int read_window(struct tar_scan *s)
{
	struct tar *t = s->t;
	uint64_t ss = t->info.sector_size, start = s->pos / ss * ss, left = t->disk_bytes - start;

	s->at = start;
	s->len = left < s->cap ? (size_t)left : s->cap;
	s->windows++;
	return t->disk->ops->read(t->disk, start / ss, s->win, (uint32_t)(s->len / ss), on_window, s);
}

/* read_window, or, while the disk's queue is full of others' requests
 * (a shared disk), again in a millisecond. */
static int next_window(struct tar_scan *s)
{
	const struct mg_env *env = s->t->env;
	int rc = read_window(s);

	return rc == -EAGAIN ? env->host->timer_start(env, 1000000, on_timer, s, &s->timer) : rc;
}

static int refuse(struct tar_scan *s, uint64_t off, const char *name, const char *why)
{
	char shown[128];

	mg_log(s->t->env, MG_LOG_ERROR, "archive member at offset %llu (%s): %s",
	       (unsigned long long)off, *name ? tar_printable(name, shown, sizeof shown) : "no name",
	       why);
	return -EINVAL;
}

/* The member whose header is h at pos; its data follows. */
static int member(struct tar_scan *s, struct tar_hdr *h)
{
	struct tar *t = s->t;
	uint64_t hdr = s->longname ? s->longname_hdr : s->pos;
	char *name = s->longname ? s->name : h->name, why[128], raw[256];
	int rc;

	s->longname = 0;
	if (h->type == TAR_SKIP) {
		char shown[128];

		mg_log(t->env, MG_LOG_WARN,
		       "archive member at offset %llu (%s): type '%c' is not a file or a folder; skipped",
		       (unsigned long long)hdr, tar_printable(name, shown, sizeof shown),
		       h->typeflag >= 0x20 && h->typeflag < 0x7f ? h->typeflag : '?');
		s->skipped++;
		return 0;
	}
	memcpy(raw, name, sizeof raw - 1);
	raw[sizeof raw - 1] = '\0';
	if (tar_name_key(name, why, sizeof why) < 0)
		return refuse(s, hdr, raw, why); /* as the archive spells it */
	rc = tar_index_add(&t->index, name, h->type == TAR_DIR ? MG_KV_DICTIONARY : MG_KV_VALUE,
			   hdr, s->pos + TAR_BLOCK, h->type == TAR_DIR ? 0 : h->size, h->mtime);
	return rc;
}

/* Parses the headers the window holds; 1 when it needs the next window,
 * 0 at the archive's end, or a negative errno. */
static int parse(struct tar_scan *s)
{
	struct tar *t = s->t;
	char why[160];

	for (;;) {
		const unsigned char *b = s->win + (s->pos - s->at);
		struct tar_hdr h;
		uint64_t end;

		if (s->pos + TAR_BLOCK > t->disk_bytes) {
			if (s->longname)
				return refuse(s, s->longname_hdr, s->name, "a long name with no member after it");
			if (s->pos && !s->zeros)
				mg_log(t->env, MG_LOG_WARN, "the archive has no end-of-archive blocks; it ends with the disk");
			return 0;
		}
		if (s->pos + TAR_BLOCK > s->at + s->len)
			return 1;
		if (tar_block_zero(b)) {
			if (s->longname) /* the end, or a lone zero block where the member should be */
				return refuse(s, s->longname_hdr, s->name, "a long name with no member after it");
			s->pos += TAR_BLOCK;
			if (++s->zeros == 2)
				return 0;
			continue;
		}
		if (s->zeros)
			mg_log(t->env, MG_LOG_WARN, "a lone zero block at offset %llu; skipped",
			       (unsigned long long)(s->pos - TAR_BLOCK));
		s->zeros = 0;
		if (tar_header_parse(b, &h, why, sizeof why) < 0)
			return refuse(s, s->pos, s->longname ? s->name : h.name, why);
		end = s->pos + TAR_BLOCK + round_up(h.size);
		if (h.size > t->disk_bytes) {
			snprintf(why, sizeof why, "its size, %llu bytes, is past the disk's %llu",
				 (unsigned long long)h.size, (unsigned long long)t->disk_bytes);
			return refuse(s, s->pos, s->longname ? s->name : h.name, why);
		}
		if (end > t->disk_bytes) {
			snprintf(why, sizeof why, "truncated: its %llu bytes end at %llu, past the disk's end at %llu",
				 (unsigned long long)h.size, (unsigned long long)(s->pos + TAR_BLOCK + h.size),
				 (unsigned long long)t->disk_bytes);
			return refuse(s, s->pos, s->longname ? s->name : h.name, why);
		}
		if (h.type == TAR_LONGNAME) {
			if (h.size > TAR_NAME_MAX)
				return refuse(s, s->pos, h.name, "a GNU long name longer than 4096 bytes");
			if (end > s->at + s->len)
				return 1; /* the name's data is in the next window */
			memcpy(s->name, b + TAR_BLOCK, (size_t)h.size);
			s->name[h.size] = '\0';
			s->longname = 1;
			s->longname_hdr = s->pos;
		} else {
			int rc = member(s, &h);

			if (rc < 0)
				return rc;
		}
		s->pos = end;
	}
}

static void on_window(void *arg, int err)
{
	struct tar_scan *s = arg;
	const struct mg_env *env = s->t->env;
	uint64_t t0 = env->host->now_ns();
	int rc = err, more = 0;

	if (err < 0)
		mg_log(env, MG_LOG_ERROR, "cannot read the disk at offset %llu: %s",
		       (unsigned long long)s->at, strerror(-err));
	else if ((rc = parse(s)) == 1)
		more = (rc = next_window(s)) == 0;
	else if (rc == 0) /* the archive's end: the index next */
		more = (rc = env->host->timer_start(env, 0, on_finish, s, &s->timer)) == 0;
	took(s, t0);
	if (!more)
		done(s, rc);
}

static void on_timer(void *arg)
{
	struct tar_scan *s = arg;
	int rc;

	s->timer = NULL;
	if (!s->t->disk_bytes) {
		on_window(s, 0); /* an empty disk: an empty archive */
		return;
	}
	rc = next_window(s);
	if (rc < 0)
		done(s, rc);
}

int tar_scan_start(struct tar *t)
{
	struct tar_scan *s;
	uint64_t ss = t->info.sector_size, most = (uint64_t)t->info.max_count * ss;
	int rc;

	if (most < TAR_BLOCK + TAR_NAME_MAX + ss) {
		mg_log(t->env, MG_LOG_ERROR, "the disk reads at most %llu bytes a request; kvro.tar needs %llu",
		       (unsigned long long)most, (unsigned long long)(TAR_BLOCK + TAR_NAME_MAX + ss));
		return -EINVAL;
	}
	s = mg_zalloc(t->env, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->t = t;
	s->t0 = t->env->host->now_ns();
	s->cap = WINDOW > most ? (size_t)(most / ss * ss) : WINDOW / ss * ss;
	if (s->cap < TAR_BLOCK + TAR_NAME_MAX + ss)
		s->cap = (size_t)most;
	s->win = mg_alloc(t->env, s->cap);
	if (!s->win) {
		mg_free(t->env, s);
		return -ENOMEM;
	}
	tar_index_init(&t->index, t->env);
	rc = t->disk_bytes ? next_window(s) : t->env->host->timer_start(t->env, 0, on_timer, s, &s->timer);
	if (rc < 0) {
		mg_log(t->env, MG_LOG_ERROR, "cannot read the disk: %s", strerror(-rc));
		mg_free(t->env, s->win);
		mg_free(t->env, s);
		return rc;
	}
	t->scan = s;
	return 0;
}

void tar_scan_stop(struct tar *t)
{
	struct tar_scan *s = t->scan;

	if (t->report)
		t->env->host->timer_cancel(t->report);
	t->report = NULL;
	if (!s)
		return;
	if (s->timer)
		t->env->host->timer_cancel(s->timer);
	else
		t->disk->ops->cancel(t->disk, on_window, s);
	tar_index_free(&t->index);
	mg_free(t->env, s->win);
	mg_free(t->env, s);
	t->scan = NULL;
}
