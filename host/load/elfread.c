/* elfread.c - reads section headers and the symbol table of 64-bit ELF files. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfread.h"

struct image {
	unsigned char *bytes;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
};

static int load(const char *path, struct image *im)
{
	FILE *f = fopen(path, "rb");
	long len;

	memset(im, 0, sizeof *im);
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(im->bytes = malloc((size_t)len ? (size_t)len : 1)) ||
	    fread(im->bytes, 1, (size_t)len, f) != (size_t)len) {
		fclose(f);
		free(im->bytes);
		return -EIO;
	}
	fclose(f);
	im->len = (size_t)len;
	im->eh = (const Elf64_Ehdr *)im->bytes;
	if (im->len < sizeof *im->eh || memcmp(im->eh->e_ident, ELFMAG, SELFMAG) ||
	    im->eh->e_ident[EI_CLASS] != ELFCLASS64 || im->eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    im->eh->e_shoff > im->len ||
	    (size_t)im->eh->e_shnum * sizeof(Elf64_Shdr) > im->len - im->eh->e_shoff) {
		free(im->bytes);
		return -ENOEXEC;
	}
	im->sh = (const Elf64_Shdr *)(im->bytes + im->eh->e_shoff);
	return 0;
}

/* Whether section s lies inside the file (no overflow in the sum). */
static int within(const struct image *im, const Elf64_Shdr *s)
{
	return s->sh_offset <= im->len && s->sh_size <= im->len - s->sh_offset;
}

int mgf_elf_sizes(const char *path, struct mgf_sizes *out)
{
	struct image im;
	int rc = load(path, &im);

	memset(out, 0, sizeof *out);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < im.eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im.sh[i];

		if (!(s->sh_flags & SHF_ALLOC))
			continue;
		if (s->sh_type == SHT_NOBITS)
			out->bss += s->sh_size;
		else if (s->sh_flags & SHF_WRITE)
			out->data += s->sh_size;
		else
			out->text += s->sh_size;
	}
	free(im.bytes);
	return 0;
}

int mgf_elf_globals(const char *path, void (*cb)(void *arg, const char *name), void *arg)
{
	struct image im;
	int rc = load(path, &im);

	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < im.eh->e_shnum; i++) {
		const Elf64_Shdr *s = &im.sh[i], *strs;
		const Elf64_Sym *syms;

		if (s->sh_type != SHT_SYMTAB || s->sh_link >= im.eh->e_shnum)
			continue;
		strs = &im.sh[s->sh_link];
		if (!within(&im, s) || !within(&im, strs) || !strs->sh_size ||
		    im.bytes[strs->sh_offset + strs->sh_size - 1] != '\0') {
			rc = -ENOEXEC; /* cut short, or names that would run off the end */
			break;
		}
		syms = (const Elf64_Sym *)(im.bytes + s->sh_offset);
		for (size_t k = 0; k < s->sh_size / sizeof *syms; k++) {
			unsigned bind = ELF64_ST_BIND(syms[k].st_info);

			if ((bind == STB_GLOBAL || bind == STB_WEAK) && syms[k].st_shndx != SHN_UNDEF &&
			    syms[k].st_name < strs->sh_size)
				cb(arg, (const char *)im.bytes + strs->sh_offset + syms[k].st_name);
		}
	}
	free(im.bytes);
	return rc;
}
