/* pool.c - spare blocks of the server's three buffer sizes. */
#include "server.h"

static void init(struct http_pool *p, size_t size)
{
	*p = (struct http_pool){ .size = size };
}

void http_pools_init(struct http_srv *s)
{
	init(&s->in_pool, s->lim.max_head);
	init(&s->out_pool, OUT_START);
	/* the header array, the path, then the arena, 16-aligned */
	init(&s->work_pool, ((s->lim.max_headers * sizeof(struct mg_http_header) + s->lim.max_line +
			      15) & ~(size_t)15) + HTTP_ARENA);
}

void *http_pool_get(struct http_srv *s, struct http_pool *p)
{
	void *b = p->free;

	if (!b)
		return mg_alloc(s->env, p->size);
	p->free = *(void **)b;
	if (--p->n < p->low)
		p->low = p->n;
	return b;
}

void http_pool_put(struct http_pool *p, void *block)
{
	*(void **)block = p->free;
	p->free = block;
	p->n++;
}

static void trim(struct http_srv *s, struct http_pool *p, unsigned n)
{
	while (n-- > 0 && p->free) {
		void *b = p->free;

		p->free = *(void **)b;
		p->n--;
		mg_free(s->env, b);
	}
	p->low = p->n;
}

void http_pools_trim(struct http_srv *s)
{
	trim(s, &s->in_pool, s->in_pool.low);
	trim(s, &s->out_pool, s->out_pool.low);
	trim(s, &s->work_pool, s->work_pool.low);
}

void http_pools_free(struct http_srv *s)
{
	trim(s, &s->in_pool, s->in_pool.n);
	trim(s, &s->out_pool, s->out_pool.n);
	trim(s, &s->work_pool, s->work_pool.n);
}
