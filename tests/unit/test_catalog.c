/* test_catalog.c - loading plugin files: every way a file can fail to be a
 * usable plugin, and the message each one gives.  Fixtures are built into
 * $FIXTURE_DIR (default build/tests/fixtures). */
#include "checkrun.h"
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "load/catalog.h"
#include "load/elfread.h"
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

/* ---- files made from a fixture: cut short, moved around, mislabelled ---- */

static char *fixture_bytes(const char *name, size_t *len)
{
	const char *dir = getenv("FIXTURE_DIR");
	char path[512];
	FILE *f;
	char *b;

	snprintf(path, sizeof path, "%s/%s", dir ? dir : "build/tests/fixtures", name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(*len + sizeof(Elf64_Shdr) * 64 + 1);
	ck_assert(b && fread(b, 1, *len, f) == *len);
	fclose(f);
	return b;
}

/* Writes len bytes of b to a fresh file; its path in out (then unlinked by the caller). */
static void write_temp(const char *b, size_t len, char *out, size_t cap)
{
	FILE *f;

	snprintf(out, cap, "%s/mirage-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	close(mkstemp(out));
	f = fopen(out, "wb");
	ck_assert(f && fwrite(b, 1, len, f) == len);
	fclose(f);
}

static void expect_load_error(const char *b, size_t len, const char *frag)
{
	const struct mgl_plugin *lp = NULL;
	char path[512];
	int rc;

	write_temp(b, len, path, sizeof path);
	rc = mgl_load_file(&cat, path, &lp, err, sizeof err);
	unlink(path);
	ck_assert_msg(rc == -ENOEXEC, "rc %d (%s)", rc, err);
	ck_assert_msg(strstr(err, frag), "'%s' lacks '%s'", err, frag);
}

/* An interrupted copy: dlopen would map past the end of the file (SIGBUS). */
START_TEST(plugin_cut_short_is_refused)
{
	size_t len;
	char *b = fixture_bytes("kvone.so", &len);

	expect_load_error(b, len / 2, "cut short");
	expect_load_error(b, 100, "");
	free(b);
}
END_TEST

START_TEST(plugin_for_another_machine_is_refused)
{
	size_t len;
	char *b = fixture_bytes("kvone.so", &len);
	Elf64_Ehdr eh;

	memcpy(&eh, b, sizeof eh);
	eh.e_machine = eh.e_machine == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
	memcpy(b, &eh, sizeof eh);
	expect_load_error(b, len, "another machine");
	free(b);
}
END_TEST

static void count_descriptor(void *arg, const char *name)
{
	*(int *)arg += !strcmp(name, MG_PLUGIN_SYMBOL);
}

/* Section headers at an odd offset: read by copying, not by casting (UBSan
 * aborted on the misaligned load). */
START_TEST(section_headers_at_an_odd_offset)
{
	size_t len;
	char *b = fixture_bytes("kvone.so", &len);
	const struct mgl_plugin *lp = NULL;
	char path[512];
	Elf64_Ehdr eh;
	int found = 0;

	memcpy(&eh, b, sizeof eh);
	ck_assert(eh.e_shnum <= 64);
	b[len] = 0;
	memcpy(b + len + 1, b + eh.e_shoff, eh.e_shnum * sizeof(Elf64_Shdr));
	eh.e_shoff = len + 1;
	memcpy(b, &eh, sizeof eh);
	write_temp(b, len + 1 + eh.e_shnum * sizeof(Elf64_Shdr), path, sizeof path);
	ck_assert_int_eq(mgl_elf_globals(path, count_descriptor, &found), 0);
	ck_assert_int_eq(found, 1);
	ck_assert_msg(mgl_load_file(&cat, path, &lp, err, sizeof err) == 0, "%s", err);
	unlink(path);
	free(b);
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
	tcase_add_test(tc, plugin_cut_short_is_refused);
	tcase_add_test(tc, plugin_for_another_machine_is_refused);
	tcase_add_test(tc, section_headers_at_an_odd_offset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(catalog_suite());
}
