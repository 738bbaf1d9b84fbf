/* memfile.h - the fuzzer's bytes as a file path, for readers that open
 * files themselves (the ELF reader, the config loader). */
#ifndef MIRAGE_FUZZ_MEMFILE_H
#define MIRAGE_FUZZ_MEMFILE_H

#include <stddef.h>
#include <stdint.h>

/* Replaces the content of one in-memory file (made on the first call) with
 * data[0..size) and returns its path, valid for the process's life. */
const char *memfile_put(const uint8_t *data, size_t size);

#endif
