/* tlsalpn.c - the alpn parameter (tlsalpn.h). */
#include <string.h>

#include "tlsalpn.h"

int tls_alpn_wire(const struct mg_env *env, const char *list, unsigned char **out, unsigned *len)
{
	size_t n = 0;
	const char *p = list;

	*out = NULL;
	*len = 0;
	if (!*list)
		return 0; /* no ALPN */
	*out = mg_alloc(env, strlen(list) + 1);
	if (!*out)
		return -ENOMEM;
	for (;;) {
		size_t w = strcspn(p, ",");

		if (w == 0 || w > 255) {
			mg_log(env, MG_LOG_ERROR,
			       "parameter 'alpn': expected protocol names of 1 to 255 bytes separated by commas (\"h2,http/1.1\"), found \"%s\"",
			       list);
			return -EINVAL;
		}
		(*out)[n++] = (unsigned char)w;
		memcpy(*out + n, p, w);
		n += w;
		if (!p[w])
			break;
		p += w + 1;
	}
	*len = (unsigned)n;
	return 0;
}
