/* tlsalpn.h - the alpn parameter of the TLS plugins, checked once. */
#ifndef MIRAGE_TLS_ALPN_H
#define MIRAGE_TLS_ALPN_H

#include "mirage/host.h"

/* "h2,http/1.1" into ALPN's wire form (each name after its length byte),
 * a new buffer of *len bytes; *out NULL and *len 0 for "" (no ALPN).
 * -EINVAL (logged) for an empty name or one over 255 bytes, -ENOMEM. */
int tls_alpn_wire(const struct mg_env *env, const char *list, unsigned char **out, unsigned *len);

#endif
