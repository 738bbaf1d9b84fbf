/* header.h - one 512-byte header of a POSIX ustar or GNU tar archive:
 * what it says, whether it is well formed, and its member's name made a
 * kv_ro key.  Pure: bytes in, values out. */
#ifndef MIRAGE_KVRO_TAR_HEADER_H
#define MIRAGE_KVRO_TAR_HEADER_H

#include <stddef.h>
#include <stdint.h>

#define TAR_BLOCK 512u
#define TAR_NAME_MAX 4096u /* longest name kept, GNU long names included */

enum tar_type {
	TAR_VALUE,     /* '0', '\0', '7': a regular file */
	TAR_DIR,       /* '5' */
	TAR_LONGNAME,  /* 'L': the next header's name is this member's data */
	TAR_SKIP,      /* links, devices, fifos, pax and other headers */
};

struct tar_hdr {
	enum tar_type type;
	char typeflag;
	uint64_t size;   /* bytes of data after the header */
	int64_t mtime;   /* seconds since the epoch */
	char name[256];  /* ustar prefix "/" name, NUL-terminated */
};

/* Is the block all zeros (the end-of-archive marker)? */
int tar_block_zero(const unsigned char *b);

/* Reads header b into *h.  -EINVAL with the reason in why (cap bytes)
 * when its checksum, magic or a number field is wrong; h->name is set
 * even then. */
int tar_header_parse(const unsigned char *b, struct tar_hdr *h, char *why, size_t cap);

/* Makes a member's name its key in place: "./" prefixes and one trailing
 * '/' go ("./" itself is the root, ""); -EINVAL with the reason in why
 * for an absolute name, a ".." or "." segment or an empty one. */
int tar_name_key(char *name, char *why, size_t cap);

/* Copies s into out (cap bytes) with bytes that are not printable ASCII
 * made '?', for messages. */
const char *tar_printable(const char *s, char *out, size_t cap);

#endif
