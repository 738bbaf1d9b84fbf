/* test_tarindex.c - kvro.tar's index finished in the smallest steps (a
 * deadline already past): every stage resumes where it stopped, the tree
 * comes out whole and in order, and the index can be freed at any step. */
#include "checkrun.h"
#include <stdio.h>
#include <string.h>

#include "fakehost.h"
#include "../../plugins/kvro/tar/index.h"

#define FILES 1200
#define FOLDERS 30

static struct fakehost host;
static struct mg_env env;
static struct tar_index x;

static void setup(void)
{
	fakehost_init(&host);
	env = (struct mg_env){ .host = &host.host, .name = "kvro.tar" };
	tar_index_init(&x, &env);
}

static void teardown(void)
{
	tar_index_free(&x);
	ck_assert_int_eq(host.allocs, 0);
}

/* The members of an archive whose folders' files come interleaved (so the
 * sort has work), then one of them again (the later one is kept). */
static void add_members(void)
{
	char key[64];

	for (int i = 0; i < FILES; i++) {
		snprintf(key, sizeof key, "d%02d/f%05d.txt", i % FOLDERS, i);
		ck_assert_int_eq(tar_index_add(&x, key, MG_KV_VALUE, 512u * i, 512u * i + 512, 1, 0), 0);
	}
	ck_assert_int_eq(tar_index_add(&x, "d00/f00000.txt", MG_KV_VALUE, 999, 1000, 7, 0), 0);
}

/* Finishes with a deadline in the past, at most max steps; the last rc. */
static int finish(char *why, size_t cap, long max, long *steps)
{
	int rc = 1;

	for (*steps = 0; rc == 1 && *steps < max; ++*steps)
		rc = tar_index_finish(&x, 0, why, cap);
	return rc;
}

START_TEST(resumed_steps_make_the_whole_tree)
{
	char why[256] = "", key[64];
	long steps;
	const struct tar_entry *root, *d;

	add_members();
	ck_assert_int_eq(finish(why, sizeof why, 10000000, &steps), 0);
	ck_assert_msg(steps > 100, "finished in %ld steps: nothing was resumed", steps);
	root = tar_index_find(&x, "");
	ck_assert_ptr_nonnull(root);
	ck_assert_uint_eq(root->nkids, FOLDERS);
	for (uint32_t i = 0; i < root->nkids; i++) {
		d = &x.v[x.kids[root->kids + i]];
		snprintf(key, sizeof key, "d%02u", i);
		ck_assert_str_eq(d->key, key);
		ck_assert_int_eq(d->kind, MG_KV_DICTIONARY);
		ck_assert_uint_eq(d->nkids, FILES / FOLDERS);
		for (uint32_t k = 1; k < d->nkids; k++)
			ck_assert_int_lt(strcmp(x.v[x.kids[d->kids + k - 1]].name,
						x.v[x.kids[d->kids + k]].name), 0);
	}
	for (int i = 0; i < FILES; i++) {
		const struct tar_entry *e;

		snprintf(key, sizeof key, "d%02d/f%05d.txt", i % FOLDERS, i);
		e = tar_index_find(&x, key);
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(e->size, i ? 1 : 7); /* the later member of the two */
	}
	ck_assert_ptr_null(tar_index_find(&x, "d00/nope"));
}
END_TEST

START_TEST(a_member_inside_a_file_is_refused)
{
	char why[256] = "";
	long steps;

	add_members();
	ck_assert_int_eq(tar_index_add(&x, "a.txt", MG_KV_VALUE, 0, 512, 1, 0), 0);
	ck_assert_int_eq(tar_index_add(&x, "a.txt/inner", MG_KV_VALUE, 4096, 4608, 1, 0), 0);
	ck_assert_int_eq(finish(why, sizeof why, 10000000, &steps), -EINVAL);
	ck_assert_msg(strstr(why, "offset 4096 (a.txt/inner): it is inside a.txt, which is a file"), "%s", why);
}
END_TEST

/* Stopped after any number of steps (every fifth, through every stage: a
 * disconnect while connecting), the index frees what it holds, no more
 * and no less (the fixture checks; the sanitizers too). */
START_TEST(freed_at_any_step)
{
	char why[256];
	long steps;

	add_members();
	finish(why, sizeof why, 5 * _i, &steps);
}
END_TEST

static Suite *tarindex_suite(void)
{
	Suite *s = suite_create("tarindex");
	TCase *tc = tcase_create("finish");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, resumed_steps_make_the_whole_tree);
	tcase_add_test(tc, a_member_inside_a_file_is_refused);
	tcase_add_loop_test(tc, freed_at_any_step, 0, 450); /* 2,218 steps in all */
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(tarindex_suite());
}
