/* header.c - see header.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "header.h"

/* Field offsets and lengths of the ustar header (POSIX.1-1988). */
enum {
	H_NAME = 0, H_MTIME = 136, H_CHKSUM = 148, H_TYPE = 156, H_MAGIC = 257,
	H_PREFIX = 345,
};

int tar_block_zero(const unsigned char *b)
{
	for (unsigned i = 0; i < TAR_BLOCK; i++)
		if (b[i])
			return 0;
	return 1;
}

/* An octal field: digits after optional spaces, ended by a space, a NUL
 * or the field's end; or GNU's base-256 (first byte 0x80) for big sizes. */
static int number(const unsigned char *f, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;

	if (f[0] == 0x80) {
		for (i = 1; i < len; i++) {
			if (v >> 56)
				return -1;
			v = v << 8 | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < len && f[i] == ' ')
		i++;
	if (i == len || f[i] < '0' || f[i] > '7')
		return -1;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -1;
		v = v << 3 | (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != '\0')
			return -1;
	*out = v;
	return 0;
}

/* Field `len` bytes at f as a C string (it may fill the field). */
static size_t field(char *out, const unsigned char *f, size_t len)
{
	size_t n = strnlen((const char *)f, len);

	memcpy(out, f, n);
	out[n] = '\0';
	return n;
}

int tar_header_parse(const unsigned char *b, struct tar_hdr *h, char *why, size_t cap)
{
	uint64_t stored, mtime, sum = 0;
	int64_t ssum = 0;
	int posix = memcmp(b + H_MAGIC, "ustar\0" "00", 8) == 0;
	size_t n;

	/* The name first: a message about a bad header shows it.  GNU's old
	 * format keeps times where POSIX has the prefix. */
	n = posix ? field(h->name, b + H_PREFIX, 155) : 0;
	if (n)
		h->name[n++] = '/';
	field(h->name + n, b + H_NAME, 100);
	for (unsigned i = 0; i < TAR_BLOCK; i++) {
		unsigned char c = i >= H_CHKSUM && i < H_CHKSUM + 8 ? ' ' : b[i];

		sum += c;
		ssum += (signed char)c; /* some old tars summed signed bytes */
	}
	if (number(b + H_CHKSUM, 8, &stored) < 0) {
		snprintf(why, cap, "its checksum field is no octal number");
		return -EINVAL;
	}
	if (stored != sum && (int64_t)stored != ssum) {
		snprintf(why, cap, "bad header checksum (stored %llo, computed %llo)",
			 (unsigned long long)stored, (unsigned long long)sum);
		return -EINVAL;
	}
	if (!posix && memcmp(b + H_MAGIC, "ustar  \0", 8) != 0) {
		snprintf(why, cap, "not a ustar or GNU tar header (no \"ustar\" magic)");
		return -EINVAL;
	}
	if (number(b + 124, 12, &h->size) < 0 || number(b + H_MTIME, 12, &mtime) < 0) {
		snprintf(why, cap, "its size or mtime field is no number");
		return -EINVAL;
	}
	h->mtime = (int64_t)(mtime > INT64_MAX / 1000000000 ? INT64_MAX / 1000000000 : mtime);
	h->typeflag = (char)b[H_TYPE];
	switch (h->typeflag) {
	case '0': case '\0': case '7':
		h->type = TAR_VALUE;
		break;
	case '5':
		h->type = TAR_DIR;
		break;
	case 'L':
		h->type = TAR_LONGNAME;
		break;
	default:
		h->type = TAR_SKIP;
	}
	return 0;
}

int tar_name_key(char *name, char *why, size_t cap)
{
	char *s = name;
	size_t n;

	if (*s == '/') {
		snprintf(why, cap, "its name is absolute");
		return -EINVAL;
	}
	while (s[0] == '.' && (s[1] == '/' || s[1] == '\0'))
		s += s[1] ? 2 : 1;
	n = strlen(s);
	if (n && s[n - 1] == '/')
		s[--n] = '\0';
	memmove(name, s, n + 1);
	for (s = name; *name; s++) {
		char *end = strchr(s, '/');
		size_t len = end ? (size_t)(end - s) : strlen(s);

		if (len == 2 && s[0] == '.' && s[1] == '.') {
			snprintf(why, cap, "its name has a \"..\" segment");
			return -EINVAL;
		}
		if (len == 0 || (len == 1 && s[0] == '.')) {
			snprintf(why, cap, "its name has an empty or \".\" segment");
			return -EINVAL;
		}
		if (!end)
			break;
		s = end;
	}
	return 0;
}

const char *tar_printable(const char *s, char *out, size_t cap)
{
	size_t i = 0;

	for (; s[i] && i + 1 < cap; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
	return out;
}
