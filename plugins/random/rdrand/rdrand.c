/* random.rdrand - the random type from the x86 CPU's own generator: RDSEED
 * when the CPU has it (straight from the entropy source), else RDRAND (its
 * DRBG, reseeded by the hardware).  What an image uses for TCP sequence
 * numbers and DHCP ids: it has no OS to ask.  A CPU with neither fails
 * connect, naming the fix for QEMU. */
#include <cpuid.h>
#include <string.h>

#include "mirage/host.h"
#include "mirage/random.h"

struct rdrand {
	struct mg_random rnd;
	const struct mg_env *env;
	int seed; /* RDSEED, else RDRAND */
};

/* Both may fail transiently when drained; Intel's guidance is to retry. */
#define RETRIES 100

static int next64(const struct rdrand *r, uint64_t *out)
{
	for (int i = 0; i < RETRIES; i++) {
		unsigned char ok;

		if (r->seed)
			__asm__ volatile("rdseed %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
		else
			__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
		if (ok)
			return 0;
		__builtin_ia32_pause();
	}
	return -EIO;
}

static int rd_fill(struct mg_random *mr, void *buf, size_t len)
{
	const struct rdrand *r = mg_container_of(mr, struct rdrand, rnd);
	unsigned char *p = buf;

	while (len) {
		uint64_t v;
		size_t n = len < sizeof v ? len : sizeof v;

		if (next64(r, &v) < 0)
			return -EIO;
		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
	return 0;
}

static const char *rd_source(struct mg_random *mr)
{
	return mg_container_of(mr, struct rdrand, rnd)->seed ? "RDSEED" : "RDRAND";
}

static const struct mg_random_ops rd_ops = {
	.hdr = MG_OPS_HDR(struct mg_random_ops, 1, 1),
	.fill = rd_fill,
	.source = rd_source,
};

static int rd_connect(const struct mg_env *env, struct mg_device **out)
{
	unsigned a, b, c, d;
	int has_seed = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & bit_RDSEED);
	int has_rand = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_RDRND);
	struct rdrand *r;
	uint64_t probe;

	if (!has_seed && !has_rand) {
		mg_log(env, MG_LOG_ERROR,
		       "the CPU has neither RDSEED nor RDRAND: no source of random numbers (under QEMU: -cpu max)");
		return -ENODEV;
	}
	r = mg_zalloc(env, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->rnd.ops = &rd_ops;
	r->env = env;
	r->seed = has_seed;
	if (next64(r, &probe) < 0) {
		mg_log(env, MG_LOG_ERROR, "%s returned no number in %d tries", r->seed ? "RDSEED" : "RDRAND",
		       RETRIES);
		mg_free(env, r);
		return -EIO;
	}
	mg_log(env, MG_LOG_DEBUG, "using %s", r->seed ? "RDSEED" : "RDRAND");
	*out = MG_DEVICE(&r->rnd);
	return 0;
}

static void rd_disconnect(struct mg_device *dev)
{
	struct rdrand *r = mg_container_of(dev, struct rdrand, rnd);

	mg_free(r->env, r);
}

MG_PLUGIN(.name = "random.rdrand", .version = "1.1",
	  .summary = "random bytes from the CPU's RDSEED or RDRAND instruction",
	  .provides = MG_TYPE(RANDOM, 1), .targets = MG_TARGET_XEN,
	  .connect = rd_connect, .disconnect = rd_disconnect);
