/* value.c - parameter values: parsing and checks shared by the resolver
 * and frozen programs' boot-time --set. */
#include <stdio.h>
#include <string.h>

#include "value.h"

static int digit(char c, int base)
{
	int d = c >= '0' && c <= '9' ? c - '0' :
		c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;

	return d < base ? d : -1;
}

int mgr_parse_int(const char *text, int64_t *out)
{
	const char *p = text;
	int neg = *p == '-', base = 10;
	uint64_t v = 0, limit;

	p += *p == '-' || *p == '+';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return -EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p; p++) {
		int d = digit(*p, base);

		if (d < 0)
			return -EINVAL;
		if (v > (limit - (uint64_t)d) / (uint64_t)base)
			return -ERANGE;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int mgr_parse_bool(const char *text, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < MG_COUNTOF(yes); i++) {
		if (!strcmp(text, yes[i]) || !strcmp(text, no[i])) {
			*out = !strcmp(text, yes[i]);
			return 0;
		}
	}
	return -EINVAL;
}

int mgr_check_int(const struct mg_param *p, int64_t v, char *err, size_t cap)
{
	if (p->min < p->max && (v < p->min || v > p->max)) {
		snprintf(err, cap, "expected an integer from %lld to %lld, found %lld",
			 (long long)p->min, (long long)p->max, (long long)v);
		return -EINVAL;
	}
	return 0;
}

int mgr_check_enum(const struct mg_param *p, const char *text, char *err, size_t cap)
{
	size_t len = strlen(text);

	for (const char *c = p->choices; c; c = strchr(c, '|')) {
		c += *c == '|';
		if (!strncmp(c, text, len) && (c[len] == '|' || c[len] == '\0'))
			return 0;
	}
	snprintf(err, cap, "expected one of %s, found \"%s\"", p->choices, text);
	return -EINVAL;
}

int mgr_value_from_text(const struct mg_param *p, const char *text, union mg_value *out, char *err,
			size_t cap)
{
	switch (p->type) {
	case MG_PARAM_INT:
		if (mgr_parse_int(text, &out->i) < 0) {
			snprintf(err, cap, "expected an integer, found \"%s\"", text);
			return -EINVAL;
		}
		return mgr_check_int(p, out->i, err, cap);
	case MG_PARAM_BOOL:
		if (mgr_parse_bool(text, &out->b) < 0) {
			snprintf(err, cap, "expected a boolean (true or false), found \"%s\"", text);
			return -EINVAL;
		}
		return 0;
	case MG_PARAM_ENUM:
		if (mgr_check_enum(p, text, err, cap) < 0)
			return -EINVAL;
		out->s = text;
		return 0;
	case MG_PARAM_STRING:
	case MG_PARAM_PATH:
		out->s = text;
		return 0;
	}
	snprintf(err, cap, "parameter has unknown type %d", (int)p->type);
	return -EINVAL;
}

const char *mgr_value_text(const struct mg_param *p, const union mg_value *v, char *buf, size_t cap)
{
	if (p->type == MG_PARAM_INT)
		snprintf(buf, cap, "%lld", (long long)v->i);
	else if (p->type == MG_PARAM_BOOL)
		snprintf(buf, cap, "%s", v->b ? "true" : "false");
	else
		snprintf(buf, cap, "\"%s\"", v->s);
	return buf;
}
