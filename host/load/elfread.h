/* elfread.h - the little of ELF that mirage-freeze reads: section sizes for the
 * size report and the global symbols of a pre-linked plugin object. */
#ifndef MIRAGE_ELFREAD_H
#define MIRAGE_ELFREAD_H

#include <stddef.h>
#include <stdint.h>

struct mgf_sizes {
	uint64_t text; /* allocated, not writable: code and read-only data */
	uint64_t data; /* allocated, writable, in the file */
	uint64_t bss;  /* allocated, writable, zero-filled */
};

/* 0, or a negative errno (-ENOEXEC: not a 64-bit ELF file). */
int mgf_elf_sizes(const char *path, struct mgf_sizes *out);

/* Calls cb for each defined global (or weak) symbol.  0 or negative errno. */
int mgf_elf_globals(const char *path, void (*cb)(void *arg, const char *name), void *arg);

#endif
