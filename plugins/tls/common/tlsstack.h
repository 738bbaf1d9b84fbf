/* tlsstack.h - what every TLS implementation of the stackv4 type shares
 * (tls.openssl, tls.bearssl): listeners that are the stack's below, whose
 * connections the implementation wraps in its sessions; UDP passed
 * through; the listeners handed to a successor at a hot swap and held
 * until it listens.  Compiled into each plugin, not a plugin itself. */
#ifndef MIRAGE_TLS_STACK_H
#define MIRAGE_TLS_STACK_H

#include "mirage/host.h"
#include "mirage/stackv4.h"

struct tls_base;
struct tls_listener;

/* Wraps an accepted TCP flow in a server-side session that owns it.
 * NULL when out of memory (lower is then closed). */
typedef struct mg_flow *(*tls_session_fn)(struct tls_base *b, struct mg_flow *lower);

/* The first member of an implementation's device. */
struct tls_base {
	struct mg_stackv4 stack;
	const struct mg_env *env;
	struct mg_stackv4 *net;      /* the stack below: TCP for the records */
	const char *impl;            /* the plugin's name, for messages */
	tls_session_fn session;
	struct tls_listener *listeners;
	struct mg_timer *sweep;      /* closes adopted listeners nobody claimed */
};

/* Sets up b over the stack below; the listeners come with tcp_listen. */
void tls_base_init(struct tls_base *b, const struct mg_env *env, struct mg_stackv4 *net,
		   const char *impl, tls_session_fn session);
/* Closes the listeners still held and the sweep. */
void tls_base_fini(struct tls_base *b);

/* The hot-swap hooks of the descriptor (MG_PLUGIN's handover_export and
 * handover_import), for a device whose first member is its tls_base. */
int tls_base_export(struct mg_device *dev, struct mg_handover *out);
void tls_base_import(struct mg_device *dev, const struct mg_handover *h);

#endif
