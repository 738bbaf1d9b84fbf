/* elf_seed.c - compiled into the seed objects of fuzz_elf: a symbol of
 * each kind the reader sorts (code, data, bss, weak, local), and a
 * descriptor's head (name and version at 24 and 32, as in plugin.h) whose
 * pointers a relocatable object and a shared object fill differently. */
int mg_seed_data = 1;
int mg_seed_bss;
static int mg_seed_local = 2;
int mg_seed_fn(int x);
__attribute__((weak)) int mg_seed_weak(int x);

int mg_seed_fn(int x)
{
	return x + mg_seed_local + mg_seed_bss;
}

int mg_seed_weak(int x)
{
	return x * mg_seed_data;
}

struct seed_descriptor {
	unsigned magic;
	unsigned short major, minor;
	unsigned size;
	const char *signature, *name, *version;
};
extern const struct seed_descriptor mirage_plugin;
const struct seed_descriptor mirage_plugin = { 0x4d475031u, 1, 2, 48, "sig", "seed", "1.0" };
