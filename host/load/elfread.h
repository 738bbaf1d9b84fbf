/* elfread.h - the little of ELF that the host reads: section sizes for
 * mirage-freeze's size report, the global symbols of a pre-linked plugin
 * object, and whether a plugin file is whole before dlopen maps it. */
#ifndef MIRAGE_ELFREAD_H
#define MIRAGE_ELFREAD_H

#include <stddef.h>
#include <stdint.h>

struct mgl_sizes {
	uint64_t text; /* allocated, not writable: code and read-only data */
	uint64_t data; /* allocated, writable, in the file */
	uint64_t bss;  /* allocated, writable, zero-filled */
};

/* 0, or a negative errno (-ENOEXEC: not a 64-bit ELF file; -ERANGE: cut
 * short). */
int mgl_elf_sizes(const char *path, struct mgl_sizes *out);

/* Calls cb for each defined global (or weak) symbol.  0 or negative errno. */
int mgl_elf_globals(const char *path, void (*cb)(void *arg, const char *name), void *arg);

/* What a shared object must be to be loaded into this process. */
struct mgl_elf_want {
	unsigned char data;  /* EI_DATA: byte order */
	uint16_t machine;    /* e_machine */
	const char *symbol;  /* defined in the dynamic symbol table */
};

/* Whether path is a 64-bit shared object for `want` with every segment and
 * section inside the file (a file cut short makes dlopen fault).  0;
 * -ENOENT when only the symbol is missing (looked for only when the file
 * has section headers); else a negative errno with the reason in why. */
int mgl_elf_check_dso(const char *path, const struct mgl_elf_want *want, char *why, size_t cap);

#endif
