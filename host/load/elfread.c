/* elfread.c - reads 64-bit ELF files without trusting them: every header is
 * copied out (the file's offsets need not be aligned) and every offset and
 * size is checked against the file, without overflow. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elfread.h"

struct image {
	unsigned char *bytes;
	size_t len;
	Elf64_Ehdr eh;
};

/* Whether [off, off + n * size) lies inside the file. */
static int within(const struct image *im, uint64_t off, uint64_t n, uint64_t size)
{
	return off <= im->len && (size == 0 || n <= (im->len - off) / size);
}

static void section(const struct image *im, unsigned i, Elf64_Shdr *out)
{
	memcpy(out, im->bytes + im->eh.e_shoff + (size_t)i * sizeof *out, sizeof *out);
}

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
	if (im->len >= sizeof im->eh)
		memcpy(&im->eh, im->bytes, sizeof im->eh);
	if (im->len < sizeof im->eh || memcmp(im->eh.e_ident, ELFMAG, SELFMAG) ||
	    im->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (im->eh.e_shnum && im->eh.e_shentsize != sizeof(Elf64_Shdr))) {
		free(im->bytes);
		return -ENOEXEC;
	}
	if (!within(im, im->eh.e_shoff, im->eh.e_shnum, sizeof(Elf64_Shdr))) {
		free(im->bytes);
		return -ERANGE; /* cut short */
	}
	return 0;
}

int mgl_elf_sizes(const char *path, struct mgl_sizes *out)
{
	struct image im;
	int rc = load(path, &im);

	memset(out, 0, sizeof *out);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < im.eh.e_shnum; i++) {
		Elf64_Shdr s;

		section(&im, i, &s);
		if (!(s.sh_flags & SHF_ALLOC))
			continue;
		if (s.sh_type == SHT_NOBITS)
			out->bss += s.sh_size;
		else if (s.sh_flags & SHF_WRITE)
			out->data += s.sh_size;
		else
			out->text += s.sh_size;
	}
	free(im.bytes);
	return 0;
}

/* Calls cb for each defined symbol of the tables of type `type` whose
 * binding is in `binds` (a bit per STB_*); stops when cb returns nonzero
 * and returns that.  0, or -ENOEXEC for a table cut short or names that
 * would run off their string table's end. */
static int each_symbol(const struct image *im, unsigned type, unsigned binds,
		       int (*cb)(void *arg, const char *name), void *arg)
{
	for (unsigned i = 0; i < im->eh.e_shnum; i++) {
		Elf64_Shdr s, strs;

		section(im, i, &s);
		if (s.sh_type != type || s.sh_link >= im->eh.e_shnum)
			continue;
		section(im, s.sh_link, &strs);
		if (!within(im, s.sh_offset, 1, s.sh_size) || !within(im, strs.sh_offset, 1, strs.sh_size) ||
		    !strs.sh_size || im->bytes[strs.sh_offset + strs.sh_size - 1] != '\0')
			return -ENOEXEC;
		for (uint64_t k = 0; k < s.sh_size / sizeof(Elf64_Sym); k++) {
			Elf64_Sym sym;
			int rc;

			memcpy(&sym, im->bytes + s.sh_offset + k * sizeof sym, sizeof sym);
			if (!(binds & (1u << ELF64_ST_BIND(sym.st_info))) || sym.st_shndx == SHN_UNDEF ||
			    sym.st_name >= strs.sh_size)
				continue;
			rc = cb(arg, (const char *)im->bytes + strs.sh_offset + sym.st_name);
			if (rc)
				return rc;
		}
	}
	return 0;
}

struct globals_cb {
	void (*cb)(void *arg, const char *name);
	void *arg;
};

static int each_global(void *arg, const char *name)
{
	struct globals_cb *g = arg;

	g->cb(g->arg, name);
	return 0;
}

int mgl_elf_globals(const char *path, void (*cb)(void *arg, const char *name), void *arg)
{
	struct image im;
	struct globals_cb g = { cb, arg };
	int rc = load(path, &im);

	if (rc < 0)
		return rc;
	rc = each_symbol(&im, SHT_SYMTAB, 1u << STB_GLOBAL | 1u << STB_WEAK, each_global, &g);
	free(im.bytes);
	return rc;
}

static int is_symbol(void *arg, const char *name)
{
	return !strcmp(name, arg);
}

/* What dlopen maps: the program headers, each inside the file. */
static const char *check_segments(const struct image *im)
{
	if (im->eh.e_phentsize != sizeof(Elf64_Phdr) || !im->eh.e_phnum ||
	    !within(im, im->eh.e_phoff, im->eh.e_phnum, sizeof(Elf64_Phdr)))
		return "its program headers lie outside the file";
	for (unsigned i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr p;

		memcpy(&p, im->bytes + im->eh.e_phoff + (size_t)i * sizeof p, sizeof p);
		if (!within(im, p.p_offset, 1, p.p_filesz))
			return "a segment runs past the end of the file (cut short?)";
	}
	for (unsigned i = 0; i < im->eh.e_shnum; i++) {
		Elf64_Shdr s;

		section(im, i, &s);
		if (s.sh_type != SHT_NOBITS && !within(im, s.sh_offset, 1, s.sh_size))
			return "a section runs past the end of the file (cut short?)";
	}
	return NULL;
}

int mgl_elf_check_dso(const char *path, const struct mgl_elf_want *want, char *why, size_t cap)
{
	struct image im;
	const char *bad = NULL;
	int rc = load(path, &im), found;

	if (rc == -ENOEXEC || rc == -ERANGE) {
		snprintf(why, cap, "%s", rc == -ENOEXEC ? "not an ELF shared object" :
			 "its section headers lie outside the file (cut short?)");
		return -ENOEXEC;
	}
	if (rc < 0) {
		snprintf(why, cap, "%s", strerror(-rc));
		return rc;
	}
	if (im.eh.e_ident[EI_DATA] != want->data || im.eh.e_machine != want->machine)
		bad = "built for another machine or byte order";
	else if (im.eh.e_type != ET_DYN)
		bad = "not an ELF shared object";
	else if (!(bad = check_segments(&im)) && im.eh.e_shnum) { /* none: dlsym will tell */
		found = each_symbol(&im, SHT_DYNSYM, 1u << STB_GLOBAL | 1u << STB_WEAK, is_symbol,
				    (void *)want->symbol);
		if (found < 0)
			bad = "its dynamic symbol table is cut short";
		else if (found != 1)
			rc = -ENOENT;
	}
	if (bad) {
		snprintf(why, cap, "%s", bad);
		rc = -ENOEXEC;
	}
	free(im.bytes);
	return rc;
}
