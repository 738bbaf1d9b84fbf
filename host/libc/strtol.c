/* strtol.c - strtoull and strtoll: optional spaces and sign, base 2..36 or
 * 0 (prefix picks 8, 10 or 16).  Saturates on overflow (no errno here). */
#include <stdint.h>
#include <stdlib.h>

static int digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/* The magnitude; *neg says whether a '-' came first. */
static unsigned long long parse(const char *s, char **end, int base, int *neg)
{
	const char *p = s, *start;
	unsigned long long v = 0;
	int overflow = 0;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	*neg = *p == '-';
	if (*p == '-' || *p == '+')
		p++;
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
	    digit(p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}
	for (start = p; digit(*p) < base; p++) {
		unsigned d = (unsigned)digit(*p);

		if (v > (UINT64_MAX - d) / (unsigned)base)
			overflow = 1;
		v = v * (unsigned)base + d;
	}
	if (end)
		*end = (char *)(p == start ? s : p);
	return overflow ? UINT64_MAX : v;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
	int neg;
	unsigned long long v = parse(s, end, base, &neg);

	return neg ? -v : v;
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	int neg;
	unsigned long long v = parse(s, end, base, &neg);

	if (neg)
		return v > (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v;
	return v > INT64_MAX ? INT64_MAX : (long long)v;
}

/* long is 64 bits on the image's only ABI (x86_64). */
long strtol(const char *restrict s, char **restrict end, int base)
{
	return strtoll(s, end, base);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return strtoull(s, end, base);
}

int atoi(const char *s)
{
	long long v = strtoll(s, NULL, 10);

	return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int)v;
}
