/* test_pvclock.c - the image's PV clock arithmetic (host/xen/pvclock.h) on
 * the build machine: a delta is scaled as Xen defines it, and a TSC read
 * behind Xen's stamp counts as no time, never as a wrap far ahead. */
#include <stdio.h>

#include "pvclock.h"

static int checks, failures;

static void same(const char *what, uint64_t got, uint64_t want)
{
	checks++;
	if (got != want) {
		printf("FAIL %s: got %llu, want %llu\n", what, (unsigned long long)got,
		       (unsigned long long)want);
		failures++;
	}
}

int main(void)
{
	/* 2 GHz: shift 0, mul 2^31 (half a ns per tick) */
	same("2e9 ticks at 2 GHz", mgx_pv_elapsed(5000000000u, 3000000000u, 1u << 31, 0),
	     1000000000u);
	/* shift -1 halves the ticks first, shift 1 doubles them */
	same("shift -1", mgx_pv_elapsed(1000, 0, 1u << 31, -1), 250);
	same("shift 1", mgx_pv_elapsed(1000, 0, 1u << 31, 1), 1000);
	same("a TSC equal to the stamp", mgx_pv_elapsed(77, 77, 1u << 31, 0), 0);
	same("a TSC 1000 ticks behind the stamp", mgx_pv_elapsed(1000, 2000, 1u << 31, 0), 0);
	same("a TSC behind a stamp past 2^63", mgx_pv_elapsed(1ull << 63, (1ull << 63) + 5,
							       1u << 31, 0), 0);
	same("a delta across the TSC's wrap", mgx_pv_elapsed(4, UINT64_MAX - 3, 1u << 31, 0), 4);
	same("the TSC path's 64-bit mul", mgx_pv_scale(1u << 20, 3ull << 32, 0), 3u << 20);
	if (!failures)
		printf("pvclock: %d checks passed\n", checks);
	return failures != 0;
}
