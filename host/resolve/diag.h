/* diag.h - user-facing error lines, collected so that one run reports every
 * problem it can see, each as "FILE:LINE: message"; and the growable list of
 * strings that holds them. */
#ifndef MIRAGE_DIAG_H
#define MIRAGE_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct mgr_lines {
	char **lines;
	size_t n, cap;
};

void mgr_lines_push(struct mgr_lines *l, const char *s); /* copies s */
void mgr_lines_print(const struct mgr_lines *l, FILE *out);
void mgr_lines_free(struct mgr_lines *l);

/* Adds "FILE:LINE: message" (": message" alone when file is NULL, and no
 * line number when line <= 0). */
__attribute__((format(printf, 4, 5))) void
mgr_diag_add(struct mgr_lines *d, const char *file, int line, const char *fmt, ...);

/* The candidate closest to `name` by edit distance when it is close enough
 * to be a likely typo, else NULL.  Call with each candidate, then read. */
struct mgr_suggest {
	const char *name;
	char best[128]; /* a copy: candidates may be temporary */
	size_t best_dist;
};
void mgr_suggest_init(struct mgr_suggest *s, const char *name);
void mgr_suggest_add(struct mgr_suggest *s, const char *candidate);
/* " (did you mean 'x'?)" or "" */
const char *mgr_suggest_text(const struct mgr_suggest *s, char *buf, size_t cap);

/* printf into a fresh heap string; aborts when out of memory. */
__attribute__((format(printf, 1, 2))) char *mgr_strf(const char *fmt, ...);
char *mgr_strdup(const char *s);
void *mgr_xalloc(size_t size); /* zeroed; aborts when out of memory */
void *mgr_xrealloc(void *p, size_t size);

#endif
