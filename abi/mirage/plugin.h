/* plugin.h - the plugin descriptor: static data that names a plugin, its
 * module type, its typed dependencies (slots), its parameters and its hooks.
 *
 * A plugin is one translation unit set that ends with one MG_PLUGIN(...) use.
 * Built as a .so, the descriptor is the only exported symbol; frozen, the
 * plugin is pre-linked so the descriptor is its only global.  The host reads
 * the descriptor without calling any plugin code (inspect, check, freeze).
 *
 * The descriptor grows like an ops table: members are appended, `size` tells
 * the host which ones this plugin was built with. */
#ifndef MIRAGE_PLUGIN_H
#define MIRAGE_PLUGIN_H

#include "mirage.h"

/* Version of this header together with host.h: the descriptor layout and the
 * services table.  A host rejects a plugin with another major, or a newer
 * minor than its own. */
#define MG_ABI_MAJOR 1
#define MG_ABI_MINOR 4 /* 1.1: hot-swap hooks, host->retired; 1.2: minors stated (MG_TYPE), host->connected; 1.3: host->workers, host->at_fault; 1.4: host->turn */
#define MG_PLUGIN_MAGIC 0x4d475031u /* "MGP1" */

/* Binary-compatibility signature, compared as a string at load: catches a
 * plugin built for another word size, byte order or ABI major. */
#define MG_STR_(x) #x
#define MG_STR(x) MG_STR_(x)
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define MG_ENDIAN_ "be"
#else
#define MG_ENDIAN_ "le"
#endif
#define MG_SIGNATURE                                                   \
	"mirage-abi=" MG_STR(MG_ABI_MAJOR) ",ptr=" MG_STR(__SIZEOF_POINTER__) \
	",long=" MG_STR(__SIZEOF_LONG__) ",endian=" MG_ENDIAN_

/* Targets a plugin supports (bit set). */
#define MG_TARGET_UNIX 0x1u
#define MG_TARGET_XEN 0x2u
#define MG_TARGET_ANY (MG_TARGET_UNIX | MG_TARGET_XEN)

/* A dependency: the functor argument `(FS : KV_RO)`.  The host fills it with
 * a device whose type has the same name and major and at least this minor. */
struct mg_slot {
	const char *name;   /* slot name, the key used in a config's deps */
	struct mg_type type;
	int optional;       /* may stay empty (NULL) when nothing fits */
	/* Implementations to create when no device fits, the first that
	 * supports the target ("a b").  NULL: the target's default for the
	 * type (host/resolve/defaults.c), the usual choice. */
	const char *def;
	const char *doc;
};

enum mg_param_type {
	MG_PARAM_STRING = 1,
	MG_PARAM_INT,    /* 64-bit signed */
	MG_PARAM_BOOL,
	MG_PARAM_PATH,   /* a string; relative values are taken from the config's folder */
	MG_PARAM_ENUM,   /* a string, one of `choices` */
};

struct mg_param {
	const char *name;
	enum mg_param_type type;
	const char *def;     /* default, written as in a config; NULL: required */
	const char *doc;
	const char *choices; /* MG_PARAM_ENUM: "a|b|c" */
	int64_t min, max;    /* MG_PARAM_INT: bounds when min < max */
};

/* A parameter's value as given to connect, in the descriptor's param order. */
union mg_value {
	const char *s; /* STRING, PATH, ENUM: NUL-terminated, owned by the host */
	int64_t i;     /* INT */
	int b;         /* BOOL: 0 or 1 */
};

struct mg_env;

/* What a running device hands to its successor when it is replaced: a few
 * tagged pointers to objects its dependencies own (a stackv4 listener, say),
 * which outlive the swap.  Never its own memory: the successor may be a
 * rebuilt plugin that lays its instance out differently. */
#define MG_HANDOVER_MAX 8
struct mg_handover {
	unsigned n;
	struct {
		const char *tag; /* what ptr is: "stackv4.tcp_listener", ... */
		void *ptr;
	} items[MG_HANDOVER_MAX];
};

/* A job's start function: `int start(struct mg_job *self, T1 *dep1, ...)`,
 * one typed argument per slot in slot order, called once every device is
 * connected.  Stored untyped because its arity is the plugin's. */
typedef void (*mg_start_fn)(void);

struct mg_plugin {
	uint32_t magic;      /* MG_PLUGIN_MAGIC */
	uint16_t abi_major;  /* MG_ABI_MAJOR / MINOR as the plugin was built */
	uint16_t abi_minor;
	uint32_t size;       /* sizeof(struct mg_plugin) as built */
	const char *signature; /* MG_SIGNATURE */

	const char *name;    /* implementation name used in configs: "kvro.dir" */
	const char *version; /* the plugin's own version */
	const char *summary; /* one line */
	struct mg_type provides;
	uint32_t targets;    /* MG_TARGET_* */

	const struct mg_slot *slots;
	uint32_t nslots;
	const struct mg_param *params;
	uint32_t nparams;

	/* Creates the instance.  `env` (deps, params, services) stays valid
	 * until disconnect returns.  On success stores the handle in *out and
	 * returns 0; on failure returns a negative errno after logging why and
	 * releasing everything it took.  Optional for jobs: the host then makes
	 * a plain struct mg_job. */
	int (*connect)(const struct mg_env *env, struct mg_device **out);
	/* Releases the instance and everything it registered with the host. */
	void (*disconnect)(struct mg_device *dev);
	/* Jobs only (see mg_start_fn). */
	mg_start_fn start;
	/* Plugin-private static data, e.g. a crunched file table. */
	const void *data;

	/* ---- ABI 1.1: hot swap, every hook optional ----
	 * A swap connects the successor while the predecessor keeps serving,
	 * then commits: import, dep_replaced, then retire or disconnect the
	 * predecessor.  A failed connect leaves the predecessor untouched. */

	/* On the running instance: fill `out` with what a successor may adopt;
	 * the instance keeps serving meanwhile.  0, or a negative errno when
	 * there is nothing to hand over. */
	int (*handover_export)(struct mg_device *self, struct mg_handover *out);
	/* On the connected successor, at commit (so it cannot fail): adopt
	 * what the predecessor exported.  Only called when the predecessor's
	 * dependencies stay the same instances. */
	void (*handover_import)(struct mg_device *self, const struct mg_handover *h);
	/* On the predecessor, at commit: take no new work, finish what is in
	 * flight, then call host->retired(env).  The host disconnects it then
	 * (or after its grace period).  Without this hook: disconnected at
	 * once. */
	void (*retire)(struct mg_device *self);
	/* On a device whose dependency in `slot` is replaced by `dep`, at
	 * commit: use dep from now on (the old one stays valid during the
	 * call).  Without this hook the device is re-connected instead (a job
	 * is then started again). */
	void (*dep_replaced)(struct mg_device *self, uint32_t slot, struct mg_device *dep);
};

/* The descriptor a host built for ABI 1.0 knows ends here. */
#define MG_PLUGIN_SIZE_1_0 (offsetof(struct mg_plugin, data) + sizeof(const void *))
/* The layout, pinned for LP64 (the targets' ABI): 1.0, then 1.1's hooks. */
_Static_assert(sizeof(void *) != 8 || MG_PLUGIN_SIZE_1_0 == 136, "descriptor 1.0 layout changed");
_Static_assert(sizeof(void *) != 8 || sizeof(struct mg_plugin) == 168, "descriptor 1.1 layout changed");
_Static_assert(sizeof(void *) != 8 || sizeof(struct mg_slot) == 48, "slot layout changed");
_Static_assert(sizeof(void *) != 8 || sizeof(struct mg_param) == 56, "param layout changed");
/* Whether descriptor p has member m (and it is set): p may come from a
 * plugin built against an older minor. */
#define MG_PLUGIN_HAS(p, m) MG_OPS_HAS_SIZE((p)->size, struct mg_plugin, (p), m)

/* Emits the descriptor.  Use once per plugin with named initializers:
 *   MG_PLUGIN(.name = "kvro.dir", .provides = MG_TYPE(KV_RO, 0), ...);
 * The symbol name is fixed; freeze renames it per plugin when it pre-links. */
#define MG_PLUGIN_SYMBOL "mirage_plugin"
#define MG_PLUGIN(...)                                                  \
	__attribute__((visibility("default"))) extern const struct mg_plugin \
		mirage_plugin;                                          \
	const struct mg_plugin mirage_plugin = {                        \
		.magic = MG_PLUGIN_MAGIC,                               \
		.abi_major = MG_ABI_MAJOR,                              \
		.abi_minor = MG_ABI_MINOR,                              \
		.size = sizeof(struct mg_plugin),                       \
		.signature = MG_SIGNATURE,                              \
		__VA_ARGS__ }

#endif
