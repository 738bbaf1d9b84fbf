/* dtcp.c - net.direct's TCP: listeners and flows over lwIP's raw pcbs.
 *
 * Backpressure both ways: write queues only what the pcb's send buffer
 * holds and asks for on_writable, which comes from tcp_sent; received data
 * a flow does not read stays queued and un-acknowledged to lwIP
 * (tcp_recved), so the advertised window closes.  Callbacks into a flow's
 * handler never run inside one of its ops: what an op starts (read_start,
 * a listener's hold 0) is delivered from the stack's kick. */
#include <string.h>

#include <lwip/priv/tcp_priv.h>

#include "direct.h"

struct dlistener {
	struct direct *st;
	struct tcp_pcb *pcb;
	uint16_t port;
	mg_accept_cb cb;
	void *arg;
	int held;
	struct dflow *pending; /* accepted while held, in arrival order */
	struct dlistener *next;
};

struct dflow {
	struct mg_flow flow;
	struct direct *st;
	struct tcp_pcb *pcb;     /* NULL once lwIP freed it (error) or after close */
	const struct mg_flow_handler *h;
	void *arg;
	struct pbuf *rxq;        /* received, not yet delivered */
	struct dlistener *listener; /* waiting in its pending list */
	struct dflow *next;      /* in a listener's pending list */
	struct dflow *next_ready, *next_dirty;
	int reading, fin, fin_done, want_writable, shut, shut_sent, closed, queued_ready, dirty;
	int busy;                /* depth of callbacks into the handler */
	int err;                 /* the error lwIP reported (pcb gone) */
	char peer[16];
};

struct dconnect {
	struct direct *st;
	mg_accept_cb cb;
	void *arg;
};

static const struct mg_flow_ops dflow_ops;
static void flow_attach(struct dflow *f, struct tcp_pcb *pcb);

/* ---- helpers ---- */

static void list_remove(struct dflow **head, struct dflow *f, size_t link)
{
	for (struct dflow **p = head; *p; p = (struct dflow **)(void *)((char *)*p + link))
		if (*p == f) {
			*p = *(struct dflow **)(void *)((char *)f + link);
			return;
		}
}
#define LIST_REMOVE(head, f, member) list_remove(head, f, offsetof(struct dflow, member))

/* Frees f once no callback into its handler is running. */
static int flow_release(struct dflow *f)
{
	if (!f->closed || f->busy)
		return 0;
	if (f->rxq)
		pbuf_free(f->rxq);
	mg_free(f->st->env, f);
	return 1;
}

/* The return value of an lwIP callback in which pcb may have been aborted. */
static err_t cb_result(struct direct *st, struct tcp_pcb *pcb)
{
	if (st->aborted != pcb)
		return ERR_OK;
	st->aborted = NULL;
	return ERR_ABRT;
}

static void detach_pcb(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

/* Closes pcb (its queued data still goes out); aborts it when lwIP is out
 * of memory for the FIN. */
static void close_pcb(struct direct *st, struct tcp_pcb *pcb)
{
	detach_pcb(pcb);
	if (tcp_close(pcb) != ERR_OK) {
		tcp_abort(pcb);
		if (st->in_lwip)
			st->aborted = pcb;
	}
}

static void mark_dirty(struct dflow *f)
{
	if (f->st->in_lwip) {
		if (!f->dirty) {
			f->dirty = 1;
			f->next_dirty = f->st->dirty;
			f->st->dirty = f;
		}
	} else if (f->pcb) {
		tcp_output(f->pcb);
	}
}

void dtcp_flush(struct direct *st)
{
	while (st->dirty) {
		struct dflow *f = st->dirty;

		st->dirty = f->next_dirty;
		f->dirty = 0;
		if (f->pcb)
			tcp_output(f->pcb);
	}
}

static void want_delivery(struct dflow *f)
{
	if (!f->queued_ready) {
		f->queued_ready = 1;
		f->next_ready = f->st->ready_flows;
		f->st->ready_flows = f;
	}
	direct_kick(f->st);
}

/* Delivers queued data while the flow reads, then the peer's FIN. */
static void deliver(struct dflow *f)
{
	f->busy++;
	while (f->reading && !f->closed && f->rxq) {
		struct pbuf *q = f->rxq;
		u16_t len = q->len;

		/* Counted as read before the call: a handler that closes the
		 * flow in it has read these bytes, and lwIP resets instead of
		 * closing a connection with bytes not taken (the response
		 * just written would be lost). */
		if (f->pcb && len)
			tcp_recved(f->pcb, len);
		if (len)
			f->h->on_data(f->arg, q->payload, len);
		if (f->closed)
			break;
		f->rxq = q->next;
		if (f->rxq)
			pbuf_ref(f->rxq);
		pbuf_free(q);
	}
	if (f->reading && !f->closed && !f->rxq && f->fin && !f->fin_done) {
		f->fin_done = 1;
		f->h->on_data(f->arg, NULL, 0);
	}
	f->busy--;
}

/* ---- lwIP's callbacks ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct dflow *f = arg;
	struct direct *st = f->st;

	(void)err;
	if (!p)
		f->fin = 1;
	else if (f->rxq)
		pbuf_cat(f->rxq, p);
	else
		f->rxq = p;
	if (f->h)
		deliver(f);
	flow_release(f);
	return cb_result(st, pcb);
}

static void writable(struct dflow *f)
{
	if (f->shut && !f->shut_sent && f->pcb && tcp_shutdown(f->pcb, 0, 1) == ERR_OK)
		f->shut_sent = 1;
	/* Space is back once a good part of the buffer is (lwIP's low-water
	 * marks): a writer woken for every acknowledged segment would queue
	 * segment-sized writes, and send segment-sized packets. */
	if (!f->want_writable || !f->pcb || f->closed || tcp_sndbuf(f->pcb) <= TCP_SNDLOWAT ||
	    tcp_sndqueuelen(f->pcb) >= TCP_SNDQUEUELOWAT)
		return;
	f->want_writable = 0;
	f->busy++;
	f->h->on_writable(f->arg);
	f->busy--;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct dflow *f = arg;
	struct direct *st = f->st;

	(void)len;
	writable(f);
	flow_release(f);
	return cb_result(st, pcb);
}

/* Every two seconds: a writer that waited for lwIP's memory (no tcp_sent
 * was due) tries again. */
static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	return on_sent(arg, pcb, 0);
}

static void on_err(void *arg, err_t err)
{
	struct dflow *f = arg;

	/* lwIP freed the pcb already. */
	f->pcb = NULL;
	f->err = daddr_errno(err);
	if (f->err == -ECONNABORTED)
		f->err = -ETIMEDOUT; /* lwIP aborts on its retransmission limits */
	if (f->listener) { /* nobody has it yet */
		LIST_REMOVE(&f->listener->pending, f, next);
		f->closed = 1;
		flow_release(f);
		return;
	}
	if (f->h && !f->closed) {
		f->busy++;
		f->h->on_error(f->arg, f->err);
		f->busy--;
	}
	flow_release(f);
}

static void flow_attach(struct dflow *f, struct tcp_pcb *pcb)
{
	f->pcb = pcb;
	ip4addr_ntoa_r(&pcb->remote_ip, f->peer, sizeof f->peer);
	tcp_arg(pcb, f);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, 4);
	tcp_nagle_disable(pcb);
}

static struct dflow *flow_new(struct direct *st, struct tcp_pcb *pcb)
{
	struct dflow *f = mg_zalloc(st->env, sizeof *f);

	if (!f)
		return NULL;
	f->flow.ops = &dflow_ops;
	f->st = st;
	flow_attach(f, pcb);
	return f;
}

static void hand_over(struct dlistener *l, struct dflow *f)
{
	tcp_backlog_accepted(f->pcb);
	l->cb(l->arg, &f->flow, 0);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct dlistener *l = arg;
	struct dflow *f;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	f = flow_new(l->st, pcb);
	if (!f)
		return ERR_MEM; /* lwIP aborts the connection */
	if (l->held) {
		struct dflow **tail = &l->pending;

		while (*tail)
			tail = &(*tail)->next;
		*tail = f;
		f->listener = l;
		tcp_backlog_delayed(pcb);
		return ERR_OK;
	}
	l->cb(l->arg, &f->flow, 0);
	return cb_result(l->st, pcb);
}

/* ---- the kick: deliveries started by ops ---- */

void dtcp_kick(struct direct *st)
{
	for (struct dlistener *l = st->listeners; l; l = l->next)
		while (!l->held && l->pending) {
			struct dflow *f = l->pending;

			l->pending = f->next;
			f->listener = NULL;
			hand_over(l, f);
		}
	while (st->ready_flows) {
		struct dflow *f = st->ready_flows;

		st->ready_flows = f->next_ready;
		f->queued_ready = 0;
		deliver(f);
		flow_release(f);
	}
}

/* ---- the flow's ops ---- */

static struct dflow *dflow_of(struct mg_flow *fl)
{
	return mg_container_of(fl, struct dflow, flow);
}

static void df_set_handler(struct mg_flow *fl, const struct mg_flow_handler *h, void *arg)
{
	struct dflow *f = dflow_of(fl);

	f->h = h;
	f->arg = arg;
}

static int df_read_start(struct mg_flow *fl)
{
	struct dflow *f = dflow_of(fl);

	f->reading = 1;
	if (f->rxq || (f->fin && !f->fin_done))
		want_delivery(f);
	return 0;
}

static int df_read_stop(struct mg_flow *fl)
{
	dflow_of(fl)->reading = 0;
	return 0;
}

/* lwIP takes at most 64 KiB less one per tcp_write. */
#define WRITE_CHUNK 32768u

static long df_write(struct mg_flow *fl, const void *buf, size_t len)
{
	struct dflow *f = dflow_of(fl);
	size_t done = 0;

	if (!f->pcb)
		return f->err ? f->err : -ECONNRESET;
	if (f->shut)
		return -EPIPE;
	while (done < len) {
		size_t n = len - done, room = tcp_sndbuf(f->pcb);
		err_t e;

		if (n > room)
			n = room;
		if (n > WRITE_CHUNK)
			n = WRITE_CHUNK;
		if (n == 0 || tcp_sndqueuelen(f->pcb) >= TCP_SND_QUEUELEN - 1)
			break;
		e = tcp_write(f->pcb, (const char *)buf + done, (u16_t)n, TCP_WRITE_FLAG_COPY |
			      (done + n < len ? TCP_WRITE_FLAG_MORE : 0));
		if (e == ERR_MEM && n > TCP_MSS) {
			/* the segment queue or lwIP's memory is short: smaller */
			e = tcp_write(f->pcb, (const char *)buf + done, TCP_MSS, TCP_WRITE_FLAG_COPY);
			n = TCP_MSS;
		}
		if (e != ERR_OK)
			break;
		done += n;
	}
	if (done < len)
		f->want_writable = 1;
	if (done)
		mark_dirty(f);
	return (long)done;
}

static size_t df_pending(struct mg_flow *fl)
{
	struct dflow *f = dflow_of(fl);

	return f->pcb ? TCP_SND_BUF - tcp_sndbuf(f->pcb) : 0;
}

static int df_shutdown(struct mg_flow *fl)
{
	struct dflow *f = dflow_of(fl);

	if (!f->pcb)
		return f->err ? f->err : -ENOTCONN;
	f->shut = 1;
	/* Out of memory for the FIN: tcp_sent or the poll sends it. */
	if (!f->shut_sent && tcp_shutdown(f->pcb, 0, 1) == ERR_OK)
		f->shut_sent = 1;
	mark_dirty(f);
	return 0;
}

static const char *df_peer(struct mg_flow *fl)
{
	return dflow_of(fl)->peer;
}

static void df_close(struct mg_flow *fl)
{
	struct dflow *f = dflow_of(fl);
	struct direct *st = f->st;

	f->closed = 1;
	if (f->queued_ready)
		LIST_REMOVE(&st->ready_flows, f, next_ready);
	if (f->dirty)
		LIST_REMOVE(&st->dirty, f, next_dirty);
	if (f->pcb) {
		if (!st->in_lwip && !f->busy)
			tcp_output(f->pcb);
		close_pcb(st, f->pcb);
		f->pcb = NULL;
	}
	flow_release(f);
}

static const struct mg_flow_ops dflow_ops = {
	.hdr = MG_OPS_HDR(struct mg_flow_ops, 1, 0),
	.set_handler = df_set_handler,
	.read_start = df_read_start,
	.read_stop = df_read_stop,
	.write = df_write,
	.pending = df_pending,
	.shutdown = df_shutdown,
	.peer = df_peer,
	.close = df_close,
};

/* ---- listeners ---- */

/* addr as lwIP's, with the error logged. */
static int parse_or_log(struct direct *st, const char *what, const char *addr, uint16_t port,
			ip4_addr_t *ip)
{
	int rc = daddr_parse(addr, ip);

	if (rc < 0)
		mg_log(st->env, MG_LOG_ERROR, "cannot %s %s:%u: %s", what, *addr ? addr : "*", port,
		       rc == -EAFNOSUPPORT ? "net.direct speaks IPv4 only"
					   : "not a numeric IPv4 address");
	return rc;
}

int dtcp_listen(struct mg_stackv4 *s, const char *addr, uint16_t port, mg_accept_cb cb,
		void *arg, struct mg_tcp_listener **out)
{
	struct direct *st = direct_of(s);
	struct dlistener *l;
	struct tcp_pcb *pcb, *lpcb;
	ip4_addr_t ip;
	err_t e;
	int rc = parse_or_log(st, "listen on", addr, port, &ip);

	if (rc < 0)
		return rc;
	l = mg_zalloc(st->env, sizeof *l);
	pcb = l ? tcp_new() : NULL;
	if (!pcb) {
		mg_free(st->env, l);
		return -ENOMEM;
	}
	ip_set_option(pcb, SOF_REUSEADDR);
	e = tcp_bind(pcb, &ip, port);
	lpcb = e == ERR_OK ? tcp_listen_with_backlog_and_err(pcb, 255, &e) : NULL;
	if (!lpcb) {
		rc = daddr_errno(e);
		mg_log(st->env, MG_LOG_ERROR, "cannot listen on %s:%u: %s", *addr ? addr : "*", port,
		       strerror(-rc));
		tcp_close(pcb);
		mg_free(st->env, l);
		return rc;
	}
	*l = (struct dlistener){ .st = st, .pcb = lpcb, .port = lpcb->local_port, .cb = cb,
				 .arg = arg, .next = st->listeners };
	st->listeners = l;
	tcp_arg(lpcb, l);
	tcp_accept(lpcb, on_accept);
	*out = (struct mg_tcp_listener *)l;
	return 0;
}

uint16_t dtcp_port(struct mg_tcp_listener *tl)
{
	return ((struct dlistener *)tl)->port;
}

void dtcp_unlisten(struct mg_tcp_listener *tl)
{
	struct dlistener *l = (struct dlistener *)tl;
	struct direct *st = l->st;

	for (struct dlistener **p = &st->listeners; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	while (l->pending) { /* never handed to anybody: reset */
		struct dflow *f = l->pending;

		l->pending = f->next;
		detach_pcb(f->pcb);
		tcp_abort(f->pcb);
		f->pcb = NULL;
		f->closed = 1;
		flow_release(f);
	}
	tcp_arg(l->pcb, NULL);
	tcp_close(l->pcb);
	mg_free(st->env, l);
}

void dtcp_retarget(struct mg_tcp_listener *tl, mg_accept_cb cb, void *arg)
{
	struct dlistener *l = (struct dlistener *)tl;

	l->cb = cb;
	l->arg = arg;
}

void dtcp_hold(struct mg_tcp_listener *tl, int hold)
{
	struct dlistener *l = (struct dlistener *)tl;

	l->held = hold;
	if (!hold && l->pending)
		direct_kick(l->st);
}

/* ---- connect ---- */

static void on_connect_err(void *arg, err_t err)
{
	struct dconnect *c = arg;
	int rc = daddr_errno(err);

	c->cb(c->arg, NULL, rc == -ECONNRESET ? -ECONNREFUSED : rc == -ECONNABORTED ? -ETIMEDOUT : rc);
	mg_free(c->st->env, c);
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct dconnect *c = arg;
	struct direct *st = c->st;
	struct dflow *f;

	(void)err; /* always ERR_OK in lwIP 2.1 */
	f = flow_new(st, pcb);
	if (!f) {
		detach_pcb(pcb);
		tcp_abort(pcb);
		c->cb(c->arg, NULL, -ENOMEM);
		mg_free(st->env, c);
		return ERR_ABRT;
	}
	c->cb(c->arg, &f->flow, 0);
	mg_free(st->env, c);
	return cb_result(st, pcb);
}

int dtcp_connect(struct mg_stackv4 *s, const char *addr, uint16_t port, mg_accept_cb cb,
		 void *arg)
{
	struct direct *st = direct_of(s);
	struct dconnect *c;
	struct tcp_pcb *pcb;
	ip4_addr_t ip;
	err_t e;
	int rc = parse_or_log(st, "connect to", addr, port, &ip);

	if (rc < 0)
		return rc;
	if (ip4_addr_isany(&ip))
		return -EINVAL;
	c = mg_zalloc(st->env, sizeof *c);
	pcb = c ? tcp_new() : NULL;
	if (!pcb) {
		mg_free(st->env, c);
		return -ENOMEM;
	}
	*c = (struct dconnect){ .st = st, .cb = cb, .arg = arg };
	tcp_arg(pcb, c);
	tcp_err(pcb, on_connect_err);
	e = tcp_connect(pcb, &ip, port, on_connected);
	if (e != ERR_OK) {
		detach_pcb(pcb);
		tcp_abort(pcb);
		mg_free(st->env, c);
		return daddr_errno(e);
	}
	if (!st->in_lwip)
		direct_settle(st);
	return 0;
}
