/* unistd.h - of POSIX's unistd.h, an image has only the types: there are
 * no files or processes.  (lwIP's arch.h includes it for ssize_t.) */
#ifndef MGX_UNISTD_H
#define MGX_UNISTD_H

#include <stddef.h>

typedef long ssize_t;

#endif
