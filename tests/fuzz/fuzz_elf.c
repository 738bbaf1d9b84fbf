/* fuzz_elf.c - the ELF reader of the plugin loader and mirage-freeze
 * (host/load/elfread.c) over arbitrary bytes: every entry point, every
 * symbol name read to its end, the descriptor's strings as signatures
 * read them. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "load/elfread.h"
#include "fuzz.h"
#include "memfile.h"

static void on_global(void *arg, const char *name)
{
	*(size_t *)arg += strlen(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = memfile_put(data, size);
	const struct mgl_elf_want want = { ELFDATA2LSB, EM_X86_64, "mirage_plugin" };
	struct mgl_sizes sz;
	size_t names = 0;
	char why[256] = "";
	int rc = mgl_elf_sizes(path, &sz);

	/* refused as not ELF, or as cut short: nothing else */
	FUZZ_ASSERT(rc == 0 || rc == -ENOEXEC || rc == -ERANGE);
	rc = mgl_elf_globals(path, on_global, &names);
	FUZZ_ASSERT(rc == 0 || rc == -ENOEXEC || rc == -ERANGE);
	FUZZ_ASSERT(names < size || !names);
	rc = mgl_elf_check_dso(path, &want, why, sizeof why);
	/* -ENOENT (only the descriptor missing) is the one refusal without a why */
	FUZZ_ASSERT(rc == 0 || rc == -ENOENT || (rc < 0 && why[0]));
	/* the descriptor's name and version (elf_seed.c lays them out so) */
	for (uint64_t off = 0; off <= 40; off += 8) {
		char *s = NULL;
		uint32_t word;

		rc = mgl_elf_symbol_string(data, size, "mirage_plugin", off, &s);
		FUZZ_ASSERT(rc == 0 || rc == -ENOENT || rc == -ENOEXEC);
		FUZZ_ASSERT(rc == 0 || !s);
		FUZZ_ASSERT(!s || strlen(s) < size);
		free(s);
		rc = mgl_elf_symbol_bytes(data, size, "mirage_plugin", off, &word, sizeof word);
		FUZZ_ASSERT(rc == 0 || rc == -ENOENT || rc == -ENOEXEC);
	}
	return 0;
}
