/* tlsbuf.h - a growing byte buffer for TLS sessions: ciphertext kept
 * between a lower flow's calls. */
#ifndef MIRAGE_TLS_BUF_H
#define MIRAGE_TLS_BUF_H

#include "mirage/host.h"

/* Bytes from off to len are the content. */
struct tls_buf {
	char *p;
	size_t off, len, cap;
};

static inline size_t tls_buf_left(const struct tls_buf *b)
{
	return b->len - b->off;
}

/* Drops n bytes from the front. */
void tls_buf_take(struct tls_buf *b, size_t n);
/* Appends n bytes.  -ENOMEM. */
int tls_buf_put(const struct mg_env *env, struct tls_buf *b, const void *data, size_t n);
void tls_buf_free(const struct mg_env *env, struct tls_buf *b);

#endif
