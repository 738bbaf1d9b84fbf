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

/* The header of the image whose bytes and len are set.  0, -ENOEXEC (not a
 * 64-bit ELF file) or -ERANGE (cut short). */
static int parse(struct image *im)
{
	if (im->len >= sizeof im->eh)
		memcpy(&im->eh, im->bytes, sizeof im->eh);
	if (im->len < sizeof im->eh || memcmp(im->eh.e_ident, ELFMAG, SELFMAG) ||
	    im->eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    (im->eh.e_shnum && im->eh.e_shentsize != sizeof(Elf64_Shdr)))
		return -ENOEXEC;
	if (!within(im, im->eh.e_shoff, im->eh.e_shnum, sizeof(Elf64_Shdr)))
		return -ERANGE; /* cut short */
	return 0;
}

int mgl_read_file(const char *path, unsigned char **bytes, size_t *len)
{
	FILE *f = fopen(path, "rb");
	long n;

	*bytes = NULL;
	*len = 0;
	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
	    !(*bytes = malloc((size_t)n ? (size_t)n : 1)) ||
	    fread(*bytes, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(*bytes);
		*bytes = NULL;
		return -EIO;
	}
	fclose(f);
	*len = (size_t)n;
	return 0;
}

static int load(const char *path, struct image *im)
{
	int rc;

	memset(im, 0, sizeof *im);
	rc = mgl_read_file(path, &im->bytes, &im->len);
	if (rc == 0 && (rc = parse(im)) < 0)
		free(im->bytes);
	return rc;
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
		       int (*cb)(void *arg, const char *name, const Elf64_Sym *sym), void *arg)
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
			rc = cb(arg, (const char *)im->bytes + strs.sh_offset + sym.st_name, &sym);
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

static int each_global(void *arg, const char *name, const Elf64_Sym *sym)
{
	struct globals_cb *g = arg;

	(void)sym;
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

static int is_symbol(void *arg, const char *name, const Elf64_Sym *sym)
{
	(void)sym;
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

/* A place in the file as the loader or the linker sees it: a virtual
 * address (shared object), or an offset in section `shndx` (relocatable). */
struct place {
	unsigned shndx;
	uint64_t at;
};

struct named {
	const char *name;
	Elf64_Sym sym;
};

static int take_named(void *arg, const char *name, const Elf64_Sym *sym)
{
	struct named *n = arg;

	if (strcmp(name, n->name))
		return 0;
	n->sym = *sym;
	return 1;
}

/* The file offset of place and how many bytes of the file follow it there
 * (*avail 0 with *off 0: zero-filled, e.g. .bss).  0, or -ENOEXEC when the
 * place is in no part of the file. */
static int file_offset(const struct image *im, struct place p, uint64_t *off, uint64_t *avail)
{
	if (im->eh.e_type == ET_REL) {
		Elf64_Shdr s;

		if (p.shndx == SHN_UNDEF || p.shndx >= im->eh.e_shnum)
			return -ENOEXEC;
		section(im, p.shndx, &s);
		if (p.at > s.sh_size)
			return -ENOEXEC;
		*off = s.sh_type == SHT_NOBITS ? 0 : s.sh_offset + p.at;
		*avail = s.sh_type == SHT_NOBITS ? 0 : s.sh_size - p.at;
		return s.sh_type == SHT_NOBITS || within(im, s.sh_offset, 1, s.sh_size) ? 0 : -ENOEXEC;
	}
	if (im->eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    !within(im, im->eh.e_phoff, im->eh.e_phnum, sizeof(Elf64_Phdr)))
		return -ENOEXEC;
	for (unsigned i = 0; i < im->eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, im->bytes + im->eh.e_phoff + (size_t)i * sizeof ph, sizeof ph);
		if (ph.p_type != PT_LOAD || p.at < ph.p_vaddr || p.at - ph.p_vaddr >= ph.p_memsz)
			continue;
		if (!within(im, ph.p_offset, 1, ph.p_filesz))
			return -ENOEXEC;
		*off = p.at - ph.p_vaddr < ph.p_filesz ? ph.p_offset + (p.at - ph.p_vaddr) : 0;
		*avail = p.at - ph.p_vaddr < ph.p_filesz ? ph.p_filesz - (p.at - ph.p_vaddr) : 0;
		return 0;
	}
	return -ENOEXEC;
}

/* The relocation types that fill a 64-bit pointer on this file's machine. */
static void pointer_types(const struct image *im, unsigned *relative, unsigned *abs64)
{
	*relative = im->eh.e_machine == EM_AARCH64 ? R_AARCH64_RELATIVE : R_X86_64_RELATIVE;
	*abs64 = im->eh.e_machine == EM_AARCH64 ? R_AARCH64_ABS64 : R_X86_64_64;
}

/* Where the relocation of the pointer at p makes it point.  1 with *to,
 * 0 when no relocation fills it (its bytes are its value), -ENOEXEC. */
static int relocated(const struct image *im, struct place p, struct place *to)
{
	unsigned relative, abs64;

	pointer_types(im, &relative, &abs64);
	for (unsigned i = 0; i < im->eh.e_shnum; i++) {
		Elf64_Shdr s, syms;

		section(im, i, &s);
		if (s.sh_type != SHT_RELA || (im->eh.e_type == ET_REL && s.sh_info != p.shndx))
			continue;
		if (!within(im, s.sh_offset, 1, s.sh_size) || s.sh_link >= im->eh.e_shnum)
			return -ENOEXEC;
		section(im, s.sh_link, &syms);
		for (uint64_t k = 0; k < s.sh_size / sizeof(Elf64_Rela); k++) {
			Elf64_Rela r;
			Elf64_Sym sym;
			uint64_t n;

			memcpy(&r, im->bytes + s.sh_offset + k * sizeof r, sizeof r);
			if (r.r_offset != p.at)
				continue;
			if (ELF64_R_TYPE(r.r_info) == relative && im->eh.e_type == ET_DYN) {
				*to = (struct place){ 0, (uint64_t)r.r_addend };
				return 1;
			}
			n = ELF64_R_SYM(r.r_info);
			if (ELF64_R_TYPE(r.r_info) != abs64 || !within(im, syms.sh_offset, 1, syms.sh_size) ||
			    n >= syms.sh_size / sizeof sym)
				return -ENOEXEC;
			memcpy(&sym, im->bytes + syms.sh_offset + n * sizeof sym, sizeof sym);
			if (sym.st_shndx == SHN_UNDEF)
				return -ENOEXEC;
			*to = (struct place){ im->eh.e_type == ET_REL ? sym.st_shndx : 0,
					      sym.st_value + (uint64_t)r.r_addend };
			return 1;
		}
	}
	return 0;
}

/* The symbol's place and size. */
static int symbol_place(const struct image *im, const char *symbol, struct place *p,
			uint64_t *size)
{
	struct named n = { symbol, { 0 } };
	int found = each_symbol(im, im->eh.e_type == ET_REL ? SHT_SYMTAB : SHT_DYNSYM,
				1u << STB_GLOBAL | 1u << STB_WEAK, take_named, &n);

	if (found < 0)
		return found;
	if (found != 1)
		return -ENOENT;
	*p = (struct place){ im->eh.e_type == ET_REL ? n.sym.st_shndx : 0, n.sym.st_value };
	*size = n.sym.st_size;
	return 0;
}

static int image_of(const void *bytes, size_t len, struct image *im)
{
	memset(im, 0, sizeof *im);
	im->bytes = (unsigned char *)bytes; /* only read */
	im->len = len;
	if (parse(im) < 0 || (im->eh.e_type != ET_DYN && im->eh.e_type != ET_REL))
		return -ENOEXEC;
	return 0;
}

int mgl_elf_symbol_bytes(const void *bytes, size_t len, const char *symbol, uint64_t off,
			 void *out, size_t n)
{
	struct image im;
	struct place p;
	uint64_t size, at, avail;
	int rc = image_of(bytes, len, &im);

	if (rc == 0)
		rc = symbol_place(&im, symbol, &p, &size);
	if (rc < 0)
		return rc;
	if (off > size || n > size - off)
		return -ENOEXEC;
	p.at += off;
	if (file_offset(&im, p, &at, &avail) < 0 || (avail && avail < n))
		return -ENOEXEC;
	if (avail)
		memcpy(out, im.bytes + at, n);
	else
		memset(out, 0, n);
	return 0;
}

int mgl_elf_symbol_string(const void *bytes, size_t len, const char *symbol, uint64_t off,
			  char **out)
{
	struct image im;
	struct place p, to;
	uint64_t size, value, at, avail;
	const unsigned char *end;
	int rc;

	*out = NULL;
	rc = mgl_elf_symbol_bytes(bytes, len, symbol, off, &value, sizeof value);
	if (rc < 0)
		return rc;
	image_of(bytes, len, &im);
	symbol_place(&im, symbol, &p, &size);
	p.at += off;
	rc = relocated(&im, p, &to);
	if (rc < 0)
		return rc;
	if (rc == 0 && (value == 0 || im.eh.e_type == ET_REL))
		return 0; /* a null pointer */
	if (rc == 0)
		to = (struct place){ 0, value };
	if (file_offset(&im, to, &at, &avail) < 0 || !avail)
		return -ENOEXEC;
	end = memchr(im.bytes + at, '\0', avail);
	if (!end)
		return -ENOEXEC;
	*out = strdup((const char *)im.bytes + at);
	return *out ? 0 : -ENOMEM;
}
