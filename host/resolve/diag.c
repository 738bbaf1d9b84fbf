/* diag.c - error lines, typo suggestions and the small allocation helpers
 * the resolver uses (a resolver that runs out of memory has nothing useful
 * left to report, so it aborts). */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

void *mgr_xalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p)
		abort();
	return p;
}

void *mgr_xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		abort();
	return p;
}

static char *vstrf(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;
	char *s;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		abort();
	s = mgr_xalloc((size_t)n + 1);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	return s;
}

char *mgr_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = vstrf(fmt, ap);
	va_end(ap);
	return s;
}

char *mgr_strdup(const char *s)
{
	return mgr_strf("%s", s);
}

static void take(struct mgr_lines *l, char *s)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->lines = mgr_xrealloc(l->lines, l->cap * sizeof *l->lines);
	}
	l->lines[l->n++] = s;
}

void mgr_lines_push(struct mgr_lines *l, const char *s)
{
	take(l, mgr_strdup(s));
}

#define QUOTED_MAX 60 /* longest quoted value shown whole */

/* A message made printable on one line: control characters escaped, and
 * each quoted value ('...') longer than QUOTED_MAX cut with "...", since
 * messages echo config values (a 70 KB string, one with newlines). */
static char *printable(const char *msg)
{
	char *out = mgr_xalloc(strlen(msg) * 4 + 1), *o = out;
	size_t quoted = 0;
	int in_quote = 0;

	for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
		/* a quote opens after a non-word character ("a plugin's" is prose) */
		if (*p == '\'' && (in_quote || p == (const unsigned char *)msg || !isalnum(p[-1]))) {
			in_quote = !in_quote;
			quoted = 0;
		} else if (in_quote && ++quoted > QUOTED_MAX) {
			if (quoted == QUOTED_MAX + 1)
				o += sprintf(o, "...");
			continue;
		}
		if (*p < 0x20 || *p == 0x7f)
			o += *p == '\n' ? sprintf(o, "\\n") : *p == '\t' ? sprintf(o, "\\t")
									 : sprintf(o, "\\x%02x", *p);
		else
			*o++ = (char)*p;
	}
	*o = '\0';
	return out;
}

void mgr_diag_add(struct mgr_lines *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *raw, *msg;

	va_start(ap, fmt);
	raw = vstrf(fmt, ap);
	va_end(ap);
	msg = printable(raw);
	free(raw);
	if (file && line > 0)
		take(d, mgr_strf("%s:%d: %s", file, line, msg));
	else if (file)
		take(d, mgr_strf("%s: %s", file, msg));
	else
		take(d, mgr_strdup(msg));
	free(msg);
}

void mgr_lines_print(const struct mgr_lines *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s\n", d->lines[i]);
}

void mgr_lines_free(struct mgr_lines *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	memset(d, 0, sizeof *d);
}

/* Levenshtein distance with one row; names are short. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = mgr_xalloc((lb + 1) * sizeof *row);
	size_t d;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

void mgr_suggest_init(struct mgr_suggest *s, const char *name)
{
	s->name = name;
	s->best[0] = '\0';
	s->best_dist = (size_t)-1;
}

void mgr_suggest_add(struct mgr_suggest *s, const char *candidate)
{
	size_t d = edit_distance(s->name, candidate);
	size_t limit = strlen(s->name) / 3 + 1;

	if (limit < 2)
		limit = 2;
	if (d <= limit && d < s->best_dist && strlen(candidate) < sizeof s->best) {
		strcpy(s->best, candidate);
		s->best_dist = d;
	}
}

const char *mgr_suggest_text(const struct mgr_suggest *s, char *buf, size_t cap)
{
	if (!s->best[0])
		return "";
	snprintf(buf, cap, " (did you mean '%s'?)", s->best);
	return buf;
}
