/* fuzz_elf.c - the ELF reader of mirage-freeze (host/elfread.c) over
 * arbitrary bytes: both entry points, every symbol name read to its end. */
#include <errno.h>
#include <string.h>

#include "elfread.h"
#include "fuzz.h"
#include "memfile.h"

static void on_global(void *arg, const char *name)
{
	*(size_t *)arg += strlen(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = memfile_put(data, size);
	struct mgf_sizes sz;
	size_t names = 0;
	int rc = mgf_elf_sizes(path, &sz);

	FUZZ_ASSERT(rc == 0 || rc == -ENOEXEC);
	rc = mgf_elf_globals(path, on_global, &names);
	FUZZ_ASSERT(rc == 0 || rc == -ENOEXEC);
	FUZZ_ASSERT(names < size || !names);
	return 0;
}
