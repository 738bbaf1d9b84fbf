/* pool.c - spare blocks of the sizes a busy connection uses. */
#include "server.h"

static void init(struct http_pool *p, size_t size)
{
	*p = (struct http_pool){ .size = size };
}

void http_pools_init(struct http_srv *s)
{
	size_t stream = OUT_START;

	while (stream < s->out_cap) /* where http_out_reserve's doubling ends */
		stream *= 2;
	init(&s->in_pool, s->lim.max_head);
	init(&s->out_pool, OUT_START);
	init(&s->stream_pool, stream);
	/* the work, the header array, the path, then the arena, 16-aligned */
	init(&s->work_pool, ((sizeof(struct http_work) + s->lim.max_headers * sizeof(struct mg_http_header) +
			      s->lim.max_line + 15) & ~(size_t)15) + HTTP_ARENA);
	init(&s->lent_pool, sizeof(struct http_lent));
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

/* The buffer pool of blocks of size bytes, or NULL. */
static struct http_pool *pool_for(struct http_srv *s, size_t size)
{
	struct http_pool *p[] = { &s->in_pool, &s->out_pool, &s->stream_pool };

	for (size_t i = 0; i < MG_COUNTOF(p); i++)
		if (p[i]->size == size)
			return p[i];
	return NULL;
}

void *http_buf_get(struct http_srv *s, size_t size)
{
	struct http_pool *p = pool_for(s, size);

	return p ? http_pool_get(s, p) : mg_alloc(s->env, size);
}

void http_buf_put(struct http_srv *s, void *b, size_t size)
{
	struct http_pool *p = b ? pool_for(s, size) : NULL;

	if (p)
		http_pool_put(p, b);
	else
		mg_free(s->env, b);
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
	trim(s, &s->stream_pool, s->stream_pool.low);
	trim(s, &s->work_pool, s->work_pool.low);
	trim(s, &s->lent_pool, s->lent_pool.low);
}

void http_pools_free(struct http_srv *s)
{
	trim(s, &s->in_pool, s->in_pool.n);
	trim(s, &s->out_pool, s->out_pool.n);
	trim(s, &s->stream_pool, s->stream_pool.n);
	trim(s, &s->work_pool, s->work_pool.n);
	trim(s, &s->lent_pool, s->lent_pool.n);
}
