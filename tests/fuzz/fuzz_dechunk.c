/* fuzz_dechunk.c - the chunked-body decoder (http_dechunk in
 * plugins/http/server/parser.c), fed as the server feeds it: the same buffer
 * growing piece by piece, with the state kept between calls.  Each call
 * must answer what a fresh decode of the same bytes answers, so the
 * incremental bookkeeping can never accept, refuse or decode otherwise.
 *
 * Input: byte 0 picks max_body, byte 1 the number of pieces (0-7), the
 * next bytes their lengths; the rest is the body. */
#include <string.h>

#include "fuzz.h"
#include "parser.h"

/* Decodes a copy of body[0..n) in an exactly sized buffer; the decoded
 * bytes go to out (n bytes) when complete. */
static long decode(const uint8_t *body, size_t n, size_t max, struct http_chunks *st,
		   size_t *body_len, char *out)
{
	char *buf = malloc(n ? n : 1);
	long rc;

	FUZZ_ASSERT(buf);
	memcpy(buf, body, n);
	rc = http_dechunk(buf, n, max, st, body_len);
	FUZZ_ASSERT(rc == 0 || rc == -400 || rc == -413 || (rc > 0 && (size_t)rc <= n));
	if (rc > 0) {
		FUZZ_ASSERT(*body_len <= max && *body_len < (size_t)rc);
		memcpy(out, buf, *body_len);
	}
	free(buf);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_chunks st = { 0, 0 };
	size_t max, npieces, at, len, pos = 0;
	char *a, *b;

	if (size < 2)
		return 0;
	max = data[0] ? (size_t)data[0] * 16 : (size_t)1 << 30;
	npieces = data[1] % 8;
	if (size < 2 + npieces)
		return 0;
	at = 2 + npieces;
	len = size - at;
	a = malloc(len + 1);
	b = malloc(len + 1);
	FUZZ_ASSERT(a && b);
	for (size_t i = 0; i <= npieces; i++) {
		struct http_chunks fresh = { 0, 0 };
		size_t la = 0, lb = 0;
		long ra, rb;

		pos = i == npieces ? len : pos + data[2 + i];
		if (pos > len)
			pos = len;
		ra = decode(data + at, pos, max, &st, &la, a);
		rb = decode(data + at, pos, max, &fresh, &lb, b);
		FUZZ_ASSERT(ra == rb);
		FUZZ_ASSERT(ra <= 0 || (la == lb && memcmp(a, b, la) == 0));
		if (ra != 0)
			break; /* the server answers, or has the body */
	}
	free(a);
	free(b);
	return 0;
}
