/* test_libc.c - the image's vsnprintf against glibc's on the conversions the
 * project uses, and its heap under a random alloc/free/realloc mix (blocks
 * keep their bytes, page-aligned ones are, the heap coalesces back to one
 * free block).  The
 * image's functions are compiled under mgx_test_* names (xen.mk). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mgx_test_snprintf(char *buf, size_t cap, const char *fmt, ...);
void *mgx_test_malloc(size_t size);
void *mgx_test_realloc(void *p, size_t size);
void mgx_test_free(void *p);
void mgx_heap_add(void *start, size_t len);
void *mgx_heap_aligned(size_t align, size_t size);

static int failures;

#define SAME(fmt, ...)                                                              \
	do {                                                                        \
		char want[128], got[128] = "";                                      \
		int nw = snprintf(want, sizeof want, fmt, __VA_ARGS__);             \
		int ng = mgx_test_snprintf(got, sizeof got, fmt, __VA_ARGS__);     \
		if (nw != ng || strcmp(want, got)) {                                \
			printf("FAIL %s: want \"%s\" (%d), got \"%s\" (%d)\n", fmt, \
			       want, nw, got, ng);                                  \
			failures++;                                                 \
		}                                                                   \
	} while (0)

static void test_format(void)
{
	char small[5];
	int n;

	SAME("%d %i %u", -42, 7, 3000000000u);
	SAME("%x %X %#x %#o %o", 255u, 255u, 255u, 8u, 0u);
	SAME("%lx %llu %zu %ld %lld", 0xdeadbeefcafeul, 18446744073709551615ull, (size_t)12,
	     -9223372036854775807l - 1, -5ll);
	SAME("%s|%5s|%-5s|%.2s|%c|%%", "abc", "ab", "ab", "abc", 'z');
	SAME("%5d|%-5d|%05d|%+d|% d|%.3d|%8.3d|%-8.3d|%.0d", 42, 42, -42, 42, 42, 7, 7, -7, 0);
	SAME("%*d|%-*d|%.*s|%*s", 6, 1, 6, 2, 3, "abcdef", -4, "x");
	SAME("%p %p", (void *)0x1234, (void *)NULL);
	SAME("%02d:%02d:%03ld %hhu %hd", 5, 7, 9l, 300, 70000);
	n = mgx_test_snprintf(small, sizeof small, "%s", "truncated");
	if (n != 9 || strcmp(small, "trun")) {
		printf("FAIL truncation: %d \"%s\"\n", n, small);
		failures++;
	}
}

static void test_heap(void)
{
	static _Alignas(16) unsigned char arena[1 << 20];
	void *p[256] = { 0 };
	size_t len[256] = { 0 };

	mgx_heap_add(arena, sizeof arena);
	srand(1);
	for (int round = 0; round < 20000; round++) {
		int i = rand() % 256;
		uintptr_t align;

		if (p[i]) {
			for (size_t k = 0; k < len[i]; k++)
				if (((unsigned char *)p[i])[k] != (unsigned char)i) {
					printf("FAIL heap: block %d lost its bytes\n", i);
					failures++;
					return;
				}
		}
		if (p[i] && rand() % 2) {
			mgx_test_free(p[i]);
			p[i] = NULL;
			continue;
		}
		len[i] = (size_t)(rand() % 3000);
		/* a quarter of the new blocks as the page allocator asks */
		align = p[i] || rand() % 4 ? 16 : 4096;
		p[i] = p[i] ? mgx_test_realloc(p[i], len[i])
			    : align == 16 ? mgx_test_malloc(len[i]) : mgx_heap_aligned(align, len[i]);
		if (!p[i] || ((uintptr_t)p[i] & (align - 1))) {
			printf("FAIL heap: %zu bytes gave %p\n", len[i], p[i]);
			failures++;
			return;
		}
		memset(p[i], i, len[i]);
	}
	for (int i = 0; i < 256; i++)
		mgx_test_free(p[i]);
	/* Everything merged back: the whole arena is one block again. */
	if (!mgx_test_malloc(sizeof arena - 32)) {
		printf("FAIL heap: free blocks did not coalesce\n");
		failures++;
	}
}

int main(void)
{
	test_format();
	test_heap();
	printf("test_libc: %s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
