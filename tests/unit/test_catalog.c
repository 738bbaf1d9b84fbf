/* test_catalog.c - loading plugin files: every way a file can fail to be a
 * usable plugin, and the message each one gives.  Fixtures are built into
 * $FIXTURE_DIR (default build/tests/fixtures). */
#include "checkrun.h"
#include <stdlib.h>
#include <string.h>

#include "load/catalog.h"
#include "resolve/types.h"

#define MG_ABI_MAJOR_NEXT 2 /* tests/fixtures/badmajor.c: MG_ABI_MAJOR + 1 */
_Static_assert(MG_ABI_MAJOR_NEXT == MG_ABI_MAJOR + 1, "badmajor.c builds for the next major");

static struct mgl_catalog cat;
static char err[1024];

static void setup(void)
{
	const char *dir = getenv("FIXTURE_DIR");

	mgl_catalog_init(&cat);
	mgl_catalog_add_dir(&cat, dir ? dir : "build/tests/fixtures");
	err[0] = '\0';
}

static void teardown(void)
{
	mgl_catalog_free(&cat);
}

/* find fails, and its reason has both fragments. */
static void expect_find_error(const char *name, const char *frag1, const char *frag2)
{
	const struct mg_plugin *p = NULL;
	int rc = cat.base.find(&cat.base, name, &p, err, sizeof err);

	ck_assert_msg(rc < 0 && rc != -ENOENT, "%s: rc %d", name, rc);
	ck_assert_msg(strstr(err, frag1), "'%s' lacks '%s'", err, frag1);
	ck_assert_msg(strstr(err, frag2), "'%s' lacks '%s'", err, frag2);
}

START_TEST(file_that_is_not_elf)
{
	expect_find_error("notelf", "notelf.so: not a plugin", "not an ELF shared object");
}
END_TEST

START_TEST(shared_object_without_descriptor)
{
	expect_find_error("nodesc", "nodesc.so: not a plugin", "no 'mirage_plugin' descriptor");
}
END_TEST

START_TEST(dlopen_failure_shows_its_text)
{
	expect_find_error("undefsym", "undefsym.so: dlopen failed:",
			  "undefined symbol: fixture_missing_symbol");
}
END_TEST

START_TEST(descriptor_name_must_match_file)
{
	expect_find_error("wrongname", "its descriptor names 'another.name', expected 'wrongname'",
			  "NAME.so");
}
END_TEST

START_TEST(wrong_abi_major_is_refused)
{
	const struct mg_plugin *p = NULL;

	ck_assert_int_eq(cat.base.find(&cat.base, "badmajor", &p, err, sizeof err), 0);
	ck_assert_int_eq(mgr_plugin_check(p, err, sizeof err), -EPROTO);
	ck_assert_msg(strstr(err, "built for plugin ABI " MG_STR(MG_ABI_MAJOR_NEXT) "." MG_STR(MG_ABI_MINOR)
				  ", but this host speaks " MG_STR(MG_ABI_MAJOR) "." MG_STR(MG_ABI_MINOR)),
		      "%s", err);
}
END_TEST

/* Loaded to run, a plugin that cannot run here is read, never bound. */
START_TEST(plugin_of_another_target_is_read_only)
{
	const struct mg_plugin *p = NULL;

	ck_assert_int_eq(cat.base.find(&cat.base, "xenonly", &p, err, sizeof err), 0);
	ck_assert_uint_eq(p->targets, MG_TARGET_XEN);
}
END_TEST

START_TEST(absent_plugin_is_enoent)
{
	const struct mg_plugin *p = NULL;

	ck_assert_int_eq(cat.base.find(&cat.base, "nothing.here", &p, err, sizeof err), -ENOENT);
	ck_assert_int_eq(cat.base.find(&cat.base, "../fixtures/badmajor", &p, err, sizeof err), -ENOENT);
}
END_TEST

static Suite *catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("loading");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, file_that_is_not_elf);
	tcase_add_test(tc, shared_object_without_descriptor);
	tcase_add_test(tc, dlopen_failure_shows_its_text);
	tcase_add_test(tc, plugin_of_another_target_is_read_only);
	tcase_add_test(tc, descriptor_name_must_match_file);
	tcase_add_test(tc, wrong_abi_major_is_refused);
	tcase_add_test(tc, absent_plugin_is_enoent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(catalog_suite());
}
