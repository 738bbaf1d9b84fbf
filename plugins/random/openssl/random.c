/* random.openssl - random bytes from OpenSSL's CSPRNG. */
#include <limits.h>
#include <openssl/rand.h>

#include "mirage/host.h"
#include "mirage/random.h"

struct orand {
	struct mg_random rnd;
	const struct mg_env *env;
};

static int orand_fill(struct mg_random *r, void *buf, size_t len)
{
	unsigned char *p = buf;

	(void)r;
	/* RAND_bytes takes an int length. */
	while (len > 0) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		if (RAND_bytes(p, n) != 1)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *orand_source(struct mg_random *r)
{
	(void)r;
	return "the kernel, through OpenSSL's DRBG";
}

static const struct mg_random_ops orand_ops = {
	.hdr = MG_OPS_HDR(struct mg_random_ops, 1, 1),
	.fill = orand_fill,
	.source = orand_source,
};

static int orand_connect(const struct mg_env *env, struct mg_device **out)
{
	struct orand *o = mg_zalloc(env, sizeof *o);

	if (!o)
		return -ENOMEM;
	o->rnd.ops = &orand_ops;
	o->env = env;
	*out = MG_DEVICE(&o->rnd);
	return 0;
}

static void orand_disconnect(struct mg_device *dev)
{
	struct orand *o = mg_container_of(dev, struct orand, rnd);

	mg_free(o->env, o);
}

MG_PLUGIN(.name = "random.openssl", .version = "1.1",
	  .summary = "random bytes from OpenSSL RAND_bytes",
	  .provides = MG_TYPE(RANDOM, 1), .targets = MG_TARGET_UNIX,
	  .connect = orand_connect, .disconnect = orand_disconnect);
