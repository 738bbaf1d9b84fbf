# plugin.mk - how a plugin is built.  Each plugin folder has a fragment,
# plugin.mk, that the Makefile includes; it is one call:
#   $(call mg_plugin,NAME,TARGETS,SOURCES[,LIBS[,CFLAGS]])
# NAME     the descriptor's name, as configs use it ("net.socket")
# TARGETS  "unix xen" (a portable plugin), "unix" or "xen" (a platform's);
#          tests check it against the targets the descriptor claims
# SOURCES  from the fragment's folder, or $(BUILD)/... when generated
# LIBS     libraries the Unix builds link with ("-lcrypto")
# CFLAGS   more flags for this plugin's sources
# Into $(BUILD)/plugins/: NAME.so for mirage-host (for a Xen-only plugin a
# build of its descriptor that tools read but never run), and what
# mirage-freeze links: NAME.unix.o / NAME.xen.o, each one relocatable object
# whose only global is the descriptor, with the libraries in NAME.*.libs.
MG_DESCRIPTOR := mirage_plugin
PLUGIN_NAMES :=
PLUGIN_OUTPUTS :=

mg_plugin = $(eval $(call mg_plugin_rules,$(strip $1),$(strip $2),$(foreach s,$3,$(if \
	$(filter $(BUILD)/%,$s),$s,$(dir $(lastword $(MAKEFILE_LIST)))$s)),$4,$5))

# mg_obj OBJECT,SOURCE,FLAGS,ORDER-ONLY PREREQUISITES
define mg_obj
$1: $2 | $(DEPS_STAMP) $4
	@mkdir -p $$(@D)
	$(CC) $3 -c -o $$@ $$<
endef
# mg_prelink OBJECT,OBJECTS,LIBS: one object, the descriptor its only global.
define mg_prelink
$1: $2
	ld -r -o $$@ $$^
	objcopy --keep-global-symbol=$(MG_DESCRIPTOR) $$@
	echo "$3" > $$(@:.o=.libs)
endef

mg_objs = $(foreach s,$3,$(BUILD)/obj/plugins/$1/$(notdir $(basename $s)).$2.o)
mg_unix_flags = $(PLUGIN_CFLAGS) $(if $(filter unix,$1),,$(XEN_DESC_FLAGS))
mg_xen_flags = $(if $(filter unix,$1),$(XEN_CFLAGS),$(XEN_PLUGIN_CFLAGS))

define mg_plugin_rules
PLUGIN_NAMES += $1
PLUGIN_TARGETS.$1 := $2
$(foreach s,$3,$(eval $(call mg_obj,$(BUILD)/obj/plugins/$1/$(notdir $(basename $s)).pic.o,$s,\
	$(call mg_unix_flags,$2) $5,$(if $(filter unix,$2),,$(XEN_HDRS)))))
$(BUILD)/plugins/$1.so: $(call mg_objs,$1,pic,$3)
	@mkdir -p $$(@D)
	$(CC) -shared -o $$@ $$^ $4 $(LDFLAGS_SAN)
PLUGIN_OUTPUTS += $(BUILD)/plugins/$1.so
$(if $(filter unix,$2),$(eval $(call mg_prelink,$(BUILD)/plugins/$1.unix.o,$(call mg_objs,$1,pic,$3),$4)))
$(if $(filter unix,$2),PLUGIN_OUTPUTS += $(BUILD)/plugins/$1.unix.o)
$(if $(filter xen,$2),$(foreach s,$3,$(eval $(call mg_obj,$(BUILD)/obj/plugins/$1/$(notdir \
	$(basename $s)).xen.o,$s,$(call mg_xen_flags,$2) $5,$(XEN_HDRS)))))
$(if $(filter xen,$2),$(eval $(call mg_prelink,$(BUILD)/plugins/$1.xen.o,$(call mg_objs,$1,xen,$3),)))
$(if $(filter xen,$2),XEN_PLUGIN_OBJS += $(BUILD)/plugins/$1.xen.o)
$(if $(filter xen,$2),PLUGIN_OUTPUTS += $(BUILD)/plugins/$1.xen.o)
endef
