/* elfread.h - the little of ELF that the host reads: section sizes for
 * mirage-freeze's size report, the global symbols of a pre-linked plugin
 * object, whether a plugin file is whole before dlopen maps it, and the
 * descriptor's strings without running or linking it (signatures). */
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

/* The whole file at path, malloc'd.  0 or a negative errno. */
int mgl_read_file(const char *path, unsigned char **bytes, size_t *len);

/* Reads a symbol's data from the 64-bit ELF file (shared object or
 * relocatable) in bytes, without loading or linking it: n bytes at offset
 * off of the symbol (defined, global).  0; -ENOENT: no such symbol;
 * -ENOEXEC: not such a file, or the data lies outside it. */
int mgl_elf_symbol_bytes(const void *bytes, size_t len, const char *symbol, uint64_t off,
			 void *out, size_t n);
/* The string the pointer at offset off of the symbol points to, as the
 * loader (shared object: its relative relocation) or the linker
 * (relocatable: the relocation against a section) would fill it in.  0
 * with *out malloc'd (NULL for a null pointer), or as above. */
int mgl_elf_symbol_string(const void *bytes, size_t len, const char *symbol, uint64_t off,
			  char **out);

#endif
