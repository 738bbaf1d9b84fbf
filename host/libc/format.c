/* format.c - snprintf and vsnprintf, C99 semantics without floating point:
 * the result is the length the whole output would have; at most cap - 1
 * bytes are stored, always NUL-terminated when cap > 0. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap;
	size_t len; /* bytes produced so far, stored or not */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->cap)
		o->buf[o->len] = c;
	o->len++;
}

static void put_n(struct out *o, char c, int count)
{
	while (count-- > 0)
		put(o, c);
}

static void put_s(struct out *o, const char *s, size_t n)
{
	while (n--)
		put(o, *s++);
}

struct spec {
	int left, zero, plus, space, alt;
	int width;
	int prec; /* -1: none */
	int len;  /* 'H' hh, 'h', 'l', 'L' ll/j, 'z' z/t, 0 */
};

/* Pads a field of n bytes to the width: spaces left or right. */
static void field(struct out *o, const struct spec *sp, const char *s, size_t n)
{
	int fill = sp->width > (int)n ? sp->width - (int)n : 0;

	if (!sp->left)
		put_n(o, ' ', fill);
	put_s(o, s, n);
	if (sp->left)
		put_n(o, ' ', fill);
}

static void format_int(struct out *o, const struct spec *sp, uintmax_t v, int neg, unsigned base,
		       int upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int nd = 0, zeros, fill, plen;

	while (v) {
		tmp[nd++] = digits[v % base];
		v /= base;
	}
	if (nd == 0 && sp->prec != 0)
		tmp[nd++] = '0';
	if (neg)
		prefix = "-";
	else if (!prefix && sp->plus)
		prefix = "+";
	else if (!prefix && sp->space)
		prefix = " ";
	plen = prefix ? (int)strlen(prefix) : 0;
	zeros = sp->prec > nd ? sp->prec - nd : 0;
	fill = sp->width - plen - zeros - nd;
	if (fill < 0)
		fill = 0;
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += fill;
		fill = 0;
	}
	if (!sp->left)
		put_n(o, ' ', fill);
	if (prefix)
		put_s(o, prefix, (size_t)plen);
	put_n(o, '0', zeros);
	while (nd)
		put(o, tmp[--nd]);
	if (sp->left)
		put_n(o, ' ', fill);
}

static intmax_t arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return va_arg(*ap, ptrdiff_t);
	default: return va_arg(*ap, int);
	}
}

static uintmax_t arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->len) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned);
	case 'h': return (unsigned short)va_arg(*ap, unsigned);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned);
	}
}

/* Reads flags, width, precision and length; returns the conversion. */
static char parse_spec(const char **fmtp, struct spec *sp, va_list *ap)
{
	const char *f = *fmtp;

	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-') sp->left = 1;
		else if (*f == '0') sp->zero = 1;
		else if (*f == '+') sp->plus = 1;
		else if (*f == ' ') sp->space = 1;
		else if (*f == '#') sp->alt = 1;
		else break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = 1;
			sp->width = -sp->width;
		}
		f++;
	}
	for (; *f >= '0' && *f <= '9'; f++)
		sp->width = sp->width * 10 + (*f - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			if (sp->prec < 0)
				sp->prec = -1; /* as if none was given */
			f++;
		}
		for (; *f >= '0' && *f <= '9'; f++)
			sp->prec = sp->prec * 10 + (*f - '0');
	}
	if (*f == 'h') {
		sp->len = f[1] == 'h' ? (f++, 'H') : 'h';
		f++;
	} else if (*f == 'l') {
		sp->len = f[1] == 'l' ? (f++, 'L') : 'l';
		f++;
	} else if (*f == 'j') {
		sp->len = 'L';
		f++;
	} else if (*f == 'z' || *f == 't') {
		sp->len = 'z';
		f++;
	}
	*fmtp = *f ? f + 1 : f;
	return *f;
}

static void convert(struct out *o, char conv, const struct spec *sp, va_list *ap)
{
	switch (conv) {
	case 'd':
	case 'i': {
		intmax_t v = arg_signed(sp, ap);

		format_int(o, sp, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0, 10, 0, NULL);
		break;
	}
	case 'u':
		format_int(o, sp, arg_unsigned(sp, ap), 0, 10, 0, NULL);
		break;
	case 'o':
		format_int(o, sp, arg_unsigned(sp, ap), 0, 8, 0, sp->alt ? "0" : NULL);
		break;
	case 'x':
	case 'X': {
		uintmax_t v = arg_unsigned(sp, ap);

		format_int(o, sp, v, 0, 16, conv == 'X',
			   sp->alt && v ? (conv == 'X' ? "0X" : "0x") : NULL);
		break;
	}
	case 'p': {
		uintptr_t v = (uintptr_t)va_arg(*ap, void *);

		if (v)
			format_int(o, sp, v, 0, 16, 0, "0x");
		else
			field(o, sp, "(nil)", 5);
		break;
	}
	case 'c': {
		char c = (char)va_arg(*ap, int);

		field(o, sp, &c, 1);
		break;
	}
	case 's': {
		const char *s = va_arg(*ap, const char *);

		if (!s)
			s = "(null)";
		field(o, sp, s, sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s));
		break;
	}
	case '%':
		put(o, '%');
		break;
	default: /* unknown conversion: shown as written, to be noticed */
		put(o, '%');
		if (conv)
			put(o, conv);
	}
}

int vsnprintf(char *restrict buf, size_t cap, const char *restrict fmt, va_list ap)
{
	struct out o = { buf, cap, 0 };
	const char *f = fmt;
	va_list args;

	va_copy(args, ap);
	while (*f) {
		struct spec sp;
		char conv;

		if (*f != '%') {
			put(&o, *f++);
			continue;
		}
		f++;
		conv = parse_spec(&f, &sp, &args);
		convert(&o, conv, &sp, &args);
	}
	va_end(args);
	if (cap)
		buf[o.len < cap ? o.len : cap - 1] = '\0';
	return o.len > INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char *restrict buf, size_t cap, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}
