/* value.h - a parameter's value checked against its descriptor: the one
 * place that says what a valid integer, boolean or choice is, and how a
 * wrong one is reported.  The resolver uses it for configs; frozen
 * programs, which have no resolver, for --set at boot.  Freestanding: it
 * links into images. */
#ifndef MIRAGE_VALUE_H
#define MIRAGE_VALUE_H

#include <stddef.h>

#include <mirage/plugin.h>

/* Decimal, or hexadecimal after 0x, with an optional sign; the whole text.
 * 0, or -EINVAL (not a number) or -ERANGE (past 64 bits). */
int mgr_parse_int(const char *text, int64_t *out);
/* true/yes/on/1 or false/no/off/0.  0, or -EINVAL. */
int mgr_parse_bool(const char *text, int *out);
/* p's bounds hold for v.  0, or -EINVAL with "expected an integer from MIN
 * to MAX, found V" in err. */
int mgr_check_int(const struct mg_param *p, int64_t v, char *err, size_t cap);
/* text is one of p's choices.  0, or -EINVAL with the reason in err. */
int mgr_check_enum(const struct mg_param *p, const char *text, char *err, size_t cap);
/* Text, as given on a command line, as a value of p: integers and
 * booleans parsed and checked, strings kept (out->s is text).  0, or
 * -EINVAL with the reason in err, worded as the resolver words it. */
int mgr_value_from_text(const struct mg_param *p, const char *text, union mg_value *out, char *err,
			size_t cap);
/* A value as a config would write it, into buf. */
const char *mgr_value_text(const struct mg_param *p, const union mg_value *v, char *buf, size_t cap);

#endif
