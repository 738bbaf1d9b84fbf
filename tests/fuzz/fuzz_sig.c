/* fuzz_sig.c - the .sig reader (host/load/sigfile.c) over arbitrary bytes:
 * what it accepts is exactly what the writer would write, so a signature
 * covers every byte of the file but its last line. */
#include <stdlib.h>
#include <string.h>

#include "load/sigfile.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mgl_statement st;
	unsigned char sig[MGL_SIG_BYTES];
	char why[256], hex[2 * MGL_SIG_BYTES + 1], *text, *whole;
	size_t signed_len = 0;

	if (mgl_sig_parse((const char *)data, size, &st, sig, &signed_len, why, sizeof why) < 0) {
		FUZZ_ASSERT(why[0]);
		return 0;
	}
	FUZZ_ASSERT(signed_len < size);
	text = mgl_statement_text(&st);
	mgl_hex(sig, MGL_SIG_BYTES, hex);
	whole = malloc(strlen(text) + sizeof hex + 32);
	FUZZ_ASSERT(whole);
	sprintf(whole, "%ssignature ed25519 %s\n", text, hex);
	FUZZ_ASSERT(strlen(text) == signed_len && !memcmp(text, data, signed_len));
	FUZZ_ASSERT(strlen(whole) == size && !memcmp(whole, data, size));
	free(whole);
	free(text);
	mgl_statement_free(&st);
	return 0;
}
