/* elf_seed.c - compiled into the seed objects of fuzz_elf: a symbol of
 * each kind the reader sorts (code, data, bss, weak, local). */
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
