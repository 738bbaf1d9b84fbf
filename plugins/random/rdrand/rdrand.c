/* random.rdrand - random bytes from the CPU's RDRAND instruction (x86's
 * generator, reseeded from its own entropy source), for images that have
 * no OS to ask: the default random of a Xen image.  Connect fails when
 * CPUID does not offer RDRAND. */
#include <string.h>

#include "mirage/host.h"
#include "mirage/random.h"

#define RETRIES 10 /* Intel's advice: RDRAND may fail briefly under load */

struct rdrand {
	struct mg_random rnd;
	const struct mg_env *env;
};

static int has_rdrand(void)
{
	unsigned a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (c >> 30) & 1; /* CPUID.1:ECX.RDRAND */
}

/* One 64-bit word: 0, or -EIO when the generator gave none. */
static int word(uint64_t *out)
{
	for (int i = 0; i < RETRIES; i++) {
		unsigned char ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
		if (ok)
			return 0;
	}
	return -EIO;
}

static int rdrand_fill(struct mg_random *r, void *buf, size_t len)
{
	unsigned char *p = buf;

	(void)r;
	while (len > 0) {
		uint64_t w;
		size_t n = len < sizeof w ? len : sizeof w;

		if (word(&w) < 0)
			return -EIO;
		memcpy(p, &w, n);
		p += n;
		len -= n;
	}
	return 0;
}

static const struct mg_random_ops rdrand_ops = {
	.hdr = MG_OPS_HDR(struct mg_random_ops, 1, 0),
	.fill = rdrand_fill,
};

static int rdrand_connect(const struct mg_env *env, struct mg_device **out)
{
	struct rdrand *d;
	uint64_t probe;

	if (!has_rdrand() || word(&probe) < 0) {
		mg_log(env, MG_LOG_ERROR, "this CPU %s: no random source (QEMU: -cpu max or host)",
		       has_rdrand() ? "has RDRAND but it gives no bytes" : "does not offer RDRAND (CPUID.1:ECX bit 30)");
		return -ENODEV;
	}
	if (!(d = mg_zalloc(env, sizeof *d)))
		return -ENOMEM;
	d->rnd.ops = &rdrand_ops;
	d->env = env;
	*out = MG_DEVICE(&d->rnd);
	return 0;
}

static void rdrand_disconnect(struct mg_device *dev)
{
	struct rdrand *d = mg_container_of(dev, struct rdrand, rnd);

	mg_free(d->env, d);
}

MG_PLUGIN(.name = "random.rdrand", .version = "1.0",
	  .summary = "random bytes from the CPU's RDRAND (x86)",
	  .provides = MG_TYPE(RANDOM, 0), .targets = MG_TARGET_ANY,
	  .connect = rdrand_connect, .disconnect = rdrand_disconnect);
