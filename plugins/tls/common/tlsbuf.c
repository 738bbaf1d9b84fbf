/* tlsbuf.c - the buffer of tlsbuf.h. */
#include <string.h>

#include "tlsbuf.h"

#define BUF_MIN 4096

void tls_buf_take(struct tls_buf *b, size_t n)
{
	b->off += n;
	if (b->off == b->len)
		b->off = b->len = 0;
}

int tls_buf_put(const struct mg_env *env, struct tls_buf *b, const void *data, size_t n)
{
	if (b->off && b->len + n > b->cap) {
		memmove(b->p, b->p + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : BUF_MIN;
		char *p;

		while (cap < b->len + n)
			cap *= 2;
		p = mg_alloc(env, cap);
		if (!p)
			return -ENOMEM;
		memcpy(p, b->p, b->len);
		mg_free(env, b->p);
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	return 0;
}

void tls_buf_free(const struct mg_env *env, struct tls_buf *b)
{
	mg_free(env, b->p);
	b->p = NULL;
	b->off = b->len = b->cap = 0;
}
