/* tlssess.h - the flow side every TLS implementation's sessions share: a
 * server-side session over an accepted TCP flow is itself a flow; this
 * part keeps the flags, the callbacks' nesting (close waits for them),
 * the lower flow's reading (while the handshake needs it or the upper
 * flow reads), the failure told once, and the kick that delivers from the
 * loop what read_start found waiting.  The implementation moves the
 * records (tls_sess_ops).  Its session struct starts with a tls_sess. */
#ifndef MIRAGE_TLS_SESS_H
#define MIRAGE_TLS_SESS_H

#include "mirage/flow.h"
#include "mirage/host.h"

struct tls_sess;

struct tls_sess_ops {
	/* The lower flow's bytes (len 0: its end, eof_in already set), valid
	 * during the call; then the session goes on as far as it can. */
	void (*lower_data)(struct tls_sess *s, const void *data, size_t len);
	/* The lower flow takes bytes again; also the kick (kicked 1). */
	void (*resume)(struct tls_sess *s, int kicked);
	/* Plaintext or records wait that a read_start must deliver. */
	int (*buffered)(struct tls_sess *s);
	/* The lower flow may read on (NULL: always): input not held. */
	int (*may_read)(struct tls_sess *s);
	/* write's work once the session is known to be alive: plaintext
	 * taken (a count, less when records wait) or an error. */
	long (*write)(struct tls_sess *s, const void *buf, size_t len);
	size_t (*pending)(struct tls_sess *s);
	/* shutdown's work (shut is set): close_notify, then the lower side. */
	int (*shutdown)(struct tls_sess *s);
	/* Frees the implementation's part; tls_sess closes the lower flow and
	 * frees the allocation that starts with s. */
	void (*free)(struct tls_sess *s);
};

struct tls_sess {
	struct mg_flow flow;
	const struct tls_sess_ops *ops;
	const struct mg_env *env;
	struct mg_flow *lower;
	struct mg_flow_handler h;
	void *arg;
	int werr;              /* the lower write failed: the session is over */
	struct mg_timer *kick; /* delivers what read_start found buffered */
	int depth;             /* our callbacks running: close waits for them */
	unsigned closed : 1, hs_done : 1, reading : 1, lower_reading : 1;
	unsigned eof_in : 1;   /* the lower flow ended */
	unsigned eof_out : 1;  /* the upper flow was told of the end */
	unsigned shut : 1, lower_shut : 1, failed : 1, want_writable : 1;
};

/* A zeroed session of size bytes (the implementation's struct, which
 * starts with its tls_sess) over lower, which it owns from now on; NULL
 * when out of memory (lower is then closed). */
struct tls_sess *tls_sess_new(const struct mg_env *env, size_t size, const struct tls_sess_ops *ops,
			      struct mg_flow *lower);
/* Makes s the handler of its lower flow and asks for the ClientHello. */
void tls_sess_start(struct tls_sess *s);
/* The lower flow reads while it should (see above). */
void tls_sess_lower_reading(struct tls_sess *s);
/* The session is over: the upper flow hears it once (unless it closed). */
void tls_sess_fail(struct tls_sess *s, int err);
/* A short write is over (ready: the implementation takes plaintext
 * again): on_writable, once. */
void tls_sess_writable(struct tls_sess *s, int ready);
/* Frees a session nobody holds yet (its set-up failed), lower closed. */
void tls_sess_free(struct tls_sess *s);

#endif
