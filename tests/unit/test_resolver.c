/* test_resolver.c - every resolver error, with its message and line, over a
 * catalog of static descriptors (no plugin files, no dlopen). */
#include "checkrun.h"
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mirage/job.h>

#include "arraycat.h"

#define FAKE(var, ...)                                                       \
	static const struct mg_plugin var = { .magic = MG_PLUGIN_MAGIC,      \
					      .abi_major = MG_ABI_MAJOR,     \
					      .abi_minor = MG_ABI_MINOR,     \
					      .size = sizeof(struct mg_plugin), \
					      .signature = MG_SIGNATURE,     \
					      .connect = fake_connect, __VA_ARGS__ }

/* Never called: resolving does not connect. */
static int fake_connect(const struct mg_env *env, struct mg_device **out)
{
	(void)env;
	(void)out;
	return -ENOSYS;
}

static int fake_start(void)
{
	return 0;
}

static const struct mg_param con_params[] = {
	{ .name = "level", .type = MG_PARAM_ENUM, .def = "info", .choices = "error|warn|info|debug" },
};
FAKE(con, .name = "console.fake", .provides = { "console", 1, 0 }, .targets = MG_TARGET_ANY,
     .params = con_params, .nparams = 1);
FAKE(con_xen, .name = "console.xenonly", .provides = { "console", 1, 0 },
     .targets = MG_TARGET_XEN);
FAKE(con_major2, .name = "console.major2", .provides = { "console", 2, 0 },
     .targets = MG_TARGET_ANY);
FAKE(con_minor9, .name = "console.minor9", .provides = { "console", 1, 9 },
     .targets = MG_TARGET_ANY);
FAKE(tm, .name = "time.fake", .provides = { "time", 1, 0 }, .targets = MG_TARGET_ANY);

static const struct mg_param kv_params[] = {
	{ .name = "root", .type = MG_PARAM_PATH, .doc = "folder to serve" },
	{ .name = "depth", .type = MG_PARAM_INT, .def = "1", .min = 0, .max = 10 },
	{ .name = "flag", .type = MG_PARAM_BOOL, .def = "false" },
};
FAKE(kv, .name = "kv.fake", .provides = { "kv_ro", 1, 0 }, .targets = MG_TARGET_ANY,
     .params = kv_params, .nparams = MG_COUNTOF(kv_params));

static const struct mg_slot cyc_slots[] = { { .name = "other", .type = { "kv_ro", 1, 0 } } };
FAKE(cyc, .name = "kv.layered", .provides = { "kv_ro", 1, 0 }, .targets = MG_TARGET_ANY,
     .slots = cyc_slots, .nslots = 1);

static const struct mg_slot app_slots[] = {
	{ .name = "console", .type = { "console", 1, 0 } },
	{ .name = "fs", .type = { "kv_ro", 1, 0 } },
	{ .name = "time", .type = { "time", 1, 0 }, .def = "time.missing time.fake" },
	{ .name = "random", .type = { "random", 1, 0 }, .optional = 1 },
};
FAKE(app, .name = "app.fake", .provides = { "job", 1, 0 }, .targets = MG_TARGET_ANY,
     .slots = app_slots, .nslots = MG_COUNTOF(app_slots), .start = (mg_start_fn)fake_start);

/* A type no header of this tree defines: the set of types is open. */
FAKE(greeter, .name = "greeter.fake", .provides = { "greeter", 1, 0 }, .targets = MG_TARGET_ANY);
static const struct mg_slot greet_slots[] = { { .name = "g", .type = { "greeter", 1, 0 } } };
FAKE(greet_app, .name = "greet.app", .provides = { "job", 1, 0 }, .targets = MG_TARGET_ANY,
     .slots = greet_slots, .nslots = 1, .start = (mg_start_fn)fake_start);
static const struct mg_slot greet2_slots[] = { { .name = "g", .type = { "greeter", 1, 2 } } };
FAKE(greet2_app, .name = "greet2.app", .provides = { "job", 1, 0 }, .targets = MG_TARGET_ANY,
     .slots = greet2_slots, .nslots = 1, .start = (mg_start_fn)fake_start);

static const struct mg_plugin *const all[] = { &con, &con_xen, &con_major2, &con_minor9, &tm,
					       &kv, &cyc, &app, &greeter, &greet_app, &greet2_app };

static struct arraycat catalog;

static const char *fake_env(const char *name)
{
	return !strcmp(name, "ROOT") ? "/from/env" : !strcmp(name, "MODE") ? "big" : NULL;
}

/* State of one case: a config file in a fresh folder, then its result. */
static char dir[64], file[96];
static struct mgr_config cfg;
static struct mgr_resolved res;
static struct mgr_lines diag;

static void setup(void)
{
	arraycat_init(&catalog, all, MG_COUNTOF(all));
	strcpy(dir, "/tmp/mirage-resolver-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/app.cfg", dir);
	memset(&diag, 0, sizeof diag);
}

static void teardown(void)
{
	mgr_resolved_free(&res);
	mgr_config_free(&cfg);
	mgr_lines_free(&diag);
	unlink(file);
	rmdir(dir);
}

/* Writes text as the config, loads and resolves it; returns the status. */
static int resolve_sets(const char *text, uint32_t target, char *const *sets, size_t nsets)
{
	FILE *f = fopen(file, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	if (mgr_config_load(&cfg, file, sets, nsets, fake_env, target, &diag) < 0)
		return -EINVAL;
	return mgr_resolve(&cfg, &catalog.base, target, &res, &diag);
}

static int resolve(const char *text)
{
	return resolve_sets(text, MG_TARGET_UNIX, NULL, 0);
}

/* The only error is at `line` and contains every fragment. */
static void expect_error(int line, const char *frag1, const char *frag2)
{
	char prefix[128];

	snprintf(prefix, sizeof prefix, "%s:%d: ", file, line);
	ck_assert_msg(diag.n == 1, "expected 1 error, got %zu (first: %s)", diag.n,
		      diag.n ? diag.lines[0] : "none");
	ck_assert_msg(!strncmp(diag.lines[0], prefix, strlen(prefix)), "'%s' does not start with '%s'",
		      diag.lines[0], prefix);
	ck_assert_msg(strstr(diag.lines[0], frag1), "'%s' lacks '%s'", diag.lines[0], frag1);
	ck_assert_msg(!frag2 || strstr(diag.lines[0], frag2), "'%s' lacks '%s'", diag.lines[0], frag2);
}

static const struct mg_plan_device *device(const char *name)
{
	int k = mgr_plan_find(&res.plan, name);

	ck_assert_msg(k >= 0, "no device %s", name);
	return &res.plan.devices[k];
}

#define GOOD                                                         \
	"name = \"t\";\n"                                            \
	"devices = {\n"                                              \
	"  console = { impl = \"console.fake\"; };\n"                \
	"  fs = { impl = \"kv.fake\"; root = \"www\"; };\n"          \
	"  main = { impl = \"app.fake\"; deps = { fs = \"fs\"; }; };\n" \
	"};\n"

START_TEST(good_config_is_wired_in_dependency_order)
{
	const struct mg_plan_device *main_dev, *fs;

	ck_assert_int_eq(resolve(GOOD), 0);
	ck_assert_uint_eq(res.plan.ndevices, 4); /* time.fake added for the default */
	main_dev = device("main");
	fs = device("fs");
	ck_assert_ptr_eq(main_dev, &res.plan.devices[3]);
	ck_assert_str_eq(res.plan.devices[main_dev->deps[0]].name, "console");
	ck_assert_ptr_eq(&res.plan.devices[main_dev->deps[1]], fs);
	ck_assert_str_eq(res.plan.devices[main_dev->deps[2]].plugin->name, "time.fake");
	ck_assert_int_eq(main_dev->deps[3], MG_PLAN_NONE); /* optional, nothing fits */
	ck_assert_uint_eq(res.plan.njobs, 1);
	ck_assert_uint_eq(res.plan.jobs[0], 3);
	/* relative paths are taken from the config's folder; defaults typed */
	ck_assert_str_eq(fs->params[0].s, strcat(strcpy((char[128]){ 0 }, dir), "/www"));
	ck_assert_int_eq(fs->params[1].i, 1);
	ck_assert_int_eq(fs->params[2].b, 0);
}
END_TEST

START_TEST(unknown_implementation_suggests_closest)
{
	ck_assert_int_eq(resolve("devices = {\n  fs = {\n    impl = \"kv.fak\"; root = \"/\"; };\n};\n"),
			 -EINVAL);
	expect_error(3, "unknown implementation 'kv.fak'", "did you mean 'kv.fake'?");
}
END_TEST

/* Values are echoed on one line: control characters escaped, long ones cut. */
START_TEST(messages_quote_values_printably)
{
	static char text[8192];
	char name[5001];

	ck_assert_int_eq(resolve("devices = {\n  fs = {\n    impl = \"kv\\nfake\\x01\"; root = \"/\"; };\n};\n"),
			 -EINVAL);
	expect_error(3, "unknown implementation 'kv\\nfake\\x01'", NULL);
	mgr_lines_free(&diag);
	mgr_config_free(&cfg);
	memset(name, 'k', sizeof name - 1);
	name[sizeof name - 1] = '\0';
	snprintf(text, sizeof text, "devices = {\n  fs = {\n    impl = \"%s\"; root = \"/\"; };\n};\n", name);
	ck_assert_int_eq(resolve(text), -EINVAL);
	expect_error(3, "unknown implementation 'kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...'", NULL);
	ck_assert_uint_lt(strlen(diag.lines[0]), 300);
}
END_TEST

START_TEST(wrong_type_on_slot)
{
	ck_assert_int_eq(resolve("devices = {\n  console = { impl = \"console.fake\"; };\n"
				 "  fs = { impl = \"kv.fake\"; root = \"/\"; };\n"
				 "  main = { impl = \"app.fake\";\n    deps = { fs = \"console\"; }; };\n};\n"),
			 -EINVAL);
	expect_error(5, "slot 'fs' of app.fake expects a kv_ro", "device 'console' (console.fake) is a console");
}
END_TEST

START_TEST(missing_dependency)
{
	ck_assert_int_eq(resolve("devices = {\n  console = { impl = \"console.fake\"; };\n"
				 "  main = { impl = \"app.fake\"; };\n};\n"),
			 -EINVAL);
	expect_error(3, "missing dependency: slot 'fs' of app.fake needs a kv_ro", "no default");
}
END_TEST

START_TEST(ambiguous_dependency)
{
	ck_assert_int_eq(resolve("devices = {\n  a = { impl = \"console.fake\"; };\n"
				 "  b = { impl = \"console.fake\"; };\n"
				 "  fs = { impl = \"kv.fake\"; root = \"/\"; };\n"
				 "  main = { impl = \"app.fake\"; };\n};\n"),
			 -EINVAL);
	expect_error(5, "slot 'console' of app.fake is ambiguous", "devices 'a' and 'b'");
}
END_TEST

START_TEST(dependency_on_unknown_device)
{
	ck_assert_int_eq(resolve("devices = {\n  console = { impl = \"console.fake\"; };\n"
				 "  fs = { impl = \"kv.fake\"; root = \"/\"; };\n"
				 "  main = { impl = \"app.fake\";\n    deps = {\n      fs = \"fss\"; }; };\n};\n"),
			 -EINVAL);
	expect_error(6, "deps.fs names unknown device 'fss'", "did you mean 'fs'?");
}
END_TEST

START_TEST(unknown_slot_in_deps)
{
	ck_assert_int_eq(resolve("devices = {\n  console = { impl = \"console.fake\"; };\n"
				 "  fs = { impl = \"kv.fake\"; root = \"/\"; };\n"
				 "  main = { impl = \"app.fake\"; deps = { fs = \"fs\";\n  f = \"fs\"; }; };\n};\n"),
			 -EINVAL);
	expect_error(5, "app.fake has no slot 'f'", "did you mean 'fs'?");
}
END_TEST

START_TEST(dependency_cycle)
{
	ck_assert_int_eq(resolve("devices = {\n  a = { impl = \"kv.layered\";\n    deps = { other = \"b\"; }; };\n"
				 "  b = { impl = \"kv.layered\"; deps = { other = \"c\"; }; };\n"
				 "  c = { impl = \"kv.layered\"; deps = { other = \"a\"; }; };\n};\n"),
			 -EINVAL);
	expect_error(3, "dependency cycle: a -> b -> c -> a", NULL);
}
END_TEST

START_TEST(self_dependency_is_a_cycle)
{
	ck_assert_int_eq(resolve("devices = {\n  a = { impl = \"kv.layered\"; deps = { other = \"a\"; }; };\n};\n"),
			 -EINVAL);
	expect_error(2, "dependency cycle: a -> a", NULL);
}
END_TEST

START_TEST(abi_major_mismatch)
{
	ck_assert_int_eq(resolve("devices = {\n  c = { impl = \"console.major2\"; };\n};\n"), -EINVAL);
	expect_error(2, "provides console 2.0, but this host speaks console 1.x", "major versions differ");
}
END_TEST

/* Only consumers' minimums matter: the host itself calls no console op. */
START_TEST(newer_minor_than_host)
{
	ck_assert_int_eq(resolve("devices = {\n\n  c = { impl = \"console.minor9\"; };\n};\n"), 0);
}
END_TEST

START_TEST(type_defined_outside_the_tree)
{
	ck_assert_int_eq(resolve("devices = {\n  g = { impl = \"greeter.fake\"; };\n  main = { impl = \"greet.app\"; };\n};\n"),
			 0);
}
END_TEST

/* One resolve per case: the fixture frees one result. */
START_TEST(type_defined_outside_the_tree_has_its_minor_checked)
{
	ck_assert_int_eq(resolve("devices = {\n  g = { impl = \"greeter.fake\"; };\n  main = { impl = \"greet2.app\"; };\n};\n"),
			 -EINVAL);
	expect_error(3, "slot 'g' of greet2.app expects greeter >= 1.2, but device 'g' (greeter.fake) provides greeter 1.0",
		     NULL);
}
END_TEST

START_TEST(unknown_parameter_suggests_closest)
{
	ck_assert_int_eq(resolve("devices = {\n  fs = { impl = \"kv.fake\"; root = \"/\";\n    rooot = \"x\"; };\n};\n"),
			 -EINVAL);
	expect_error(3, "unknown parameter 'rooot' for kv.fake (did you mean 'root'?)", "it takes: root, depth, flag");
}
END_TEST

START_TEST(mistyped_parameters)
{
	static const char *const cases[][2] = {
		{ "root = \"/\"; depth = \"deep\";",
		  "parameter 'depth': expected an integer, found string \"deep\"" },
		{ "root = \"/\"; depth = 11;", "expected an integer from 0 to 10, found 11" },
		{ "root = \"/\"; flag = 3;",
		  "parameter 'flag': expected a boolean (true or false), found integer 3" },
		{ "root = [ 1, 2 ];", "parameter 'root': expected a path (a string), found an array" },
	};

	for (size_t i = 0; i < MG_COUNTOF(cases); i++) {
		char text[256];

		snprintf(text, sizeof text, "devices = {\n  fs = { impl = \"kv.fake\";\n %s };\n};\n",
			 cases[i][0]);
		ck_assert_int_eq(resolve(text), -EINVAL);
		expect_error(3, cases[i][1], NULL);
		teardown();
		setup();
	}
}
END_TEST

START_TEST(enum_value_must_be_a_choice)
{
	ck_assert_int_eq(resolve("devices = {\n  c = { impl = \"console.fake\";\n level = \"loud\"; };\n};\n"),
			 -EINVAL);
	expect_error(3, "expected one of error|warn|info|debug, found \"loud\"", NULL);
}
END_TEST

START_TEST(missing_required_parameter)
{
	ck_assert_int_eq(resolve("devices = {\n  fs = { impl = \"kv.fake\"; };\n};\n"), -EINVAL);
	expect_error(2, "missing required parameter 'root' (path: folder to serve) for kv.fake", NULL);
}
END_TEST

START_TEST(plugin_without_the_target)
{
	ck_assert_int_eq(resolve("devices = {\n  c = { impl = \"console.xenonly\"; };\n};\n"), -EINVAL);
	expect_error(2, "'console.xenonly' does not support target unix (it supports: xen)", NULL);
}
END_TEST

START_TEST(device_without_impl)
{
	ck_assert_int_eq(resolve("devices = {\n  c = { level = \"info\"; };\n};\n"), -EINVAL);
	expect_error(2, "device 'c' has no implementation", NULL);
}
END_TEST

START_TEST(syntax_error_has_its_line)
{
	ck_assert_int_eq(resolve("name = \"x\";\ndevices = {\n  c = { impl = ; };\n};\n"), -EINVAL);
	expect_error(3, "syntax error", NULL);
}
END_TEST

START_TEST(unknown_top_level_setting)
{
	ck_assert_int_eq(resolve("name = \"x\";\ndevice = {};\n"), -EINVAL);
	expect_error(2, "unknown setting 'device'", "did you mean 'devices'?");
}
END_TEST

START_TEST(every_error_is_reported)
{
	ck_assert_int_eq(resolve("devices = {\n  a = { impl = \"nope\"; };\n  fs = { impl = \"kv.fake\"; };\n};\n"),
			 -EINVAL);
	ck_assert_uint_eq(diag.n, 2);
}
END_TEST

START_TEST(set_overrides_a_value)
{
	char *sets[] = { "devices.fs.root=/srv", "devices.console.impl=console.fake" };

	ck_assert_int_eq(resolve_sets(GOOD, MG_TARGET_UNIX, sets, 2), 0);
	ck_assert_str_eq(device("fs")->params[0].s, "/srv");
}
END_TEST

START_TEST(set_value_is_type_checked_at_its_line)
{
	char *sets[] = { "devices.fs.depth=deep" };

	ck_assert_int_eq(resolve_sets(GOOD, MG_TARGET_UNIX, sets, 1), -EINVAL);
	expect_error(4, "parameter 'depth' (from --set): expected an integer", NULL);
}
END_TEST

START_TEST(set_with_bad_path)
{
	char *sets[] = { "device.fs.root=/srv" };

	ck_assert_int_eq(resolve_sets(GOOD, MG_TARGET_UNIX, sets, 1), -EINVAL);
	ck_assert_uint_eq(diag.n, 1);
	ck_assert_ptr_nonnull(strstr(diag.lines[0], "--set device.fs.root=/srv: expected PATH=VALUE"));
}
END_TEST

START_TEST(set_replaces_an_implementation_and_its_params)
{
	char *sets[] = { "devices.console=console.other" , "devices.fs=kv.fake", "devices.fs.root=/x" };

	ck_assert_int_eq(resolve_sets(GOOD, MG_TARGET_UNIX, sets, 1), -EINVAL);
	expect_error(3, "unknown implementation 'console.other'", NULL);
	teardown();
	setup();
	/* fs's old root is gone: without the new one it is missing */
	ck_assert_int_eq(resolve_sets(GOOD, MG_TARGET_UNIX, sets + 1, 1), -EINVAL);
	expect_error(4, "missing required parameter 'root'", NULL);
	teardown();
	setup();
	ck_assert_int_eq(resolve_sets(GOOD, MG_TARGET_UNIX, sets + 1, 2), 0);
	ck_assert_str_eq(device("fs")->params[0].s, "/x");
}
END_TEST

START_TEST(environment_variables_expand)
{
	ck_assert_int_eq(resolve("devices = {\n  fs = { impl = \"kv.fake\"; root = \"${ROOT}/x\"; };\n"
				 "  g = { impl = \"${KV:-kv.fake}\"; root = \"$${literal}\"; };\n};\n"),
			 0);
	ck_assert_str_eq(device("fs")->params[0].s, "/from/env/x");
	ck_assert_str_eq(device("g")->params[0].s, strcat(strcpy((char[128]){ 0 }, dir), "/${literal}"));
}
END_TEST

/* when.MODE.big while MODE=big; when.target.xen for a Xen read only. */
#define WHEN                                                                  \
	"devices = {\n  fs = { impl = \"kv.fake\"; root = \"www\"; depth = 2; };\n"      \
	"  main = { impl = \"greet.app\"; };\n};\n"                              \
	"when = {\n  MODE = { small = { }; big = { fs = { root = \"big\"; };\n"     \
	"    g = { impl = \"greeter.fake\"; }; }; };\n"                          \
	"  UNSET = { x = { fs = { root = \"never\"; }; }; };\n"                  \
	"  target = { xen = { fs = { impl = \"kv.layered\"; deps = { other = \"k2\"; }; };\n" \
	"    k2 = { impl = \"kv.fake\"; root = \"x\"; }; }; };\n};\n"

START_TEST(when_lays_groups_over_devices)
{
	ck_assert_msg(resolve(WHEN) == 0, "%s", diag.n ? diag.lines[0] : "?");
	ck_assert_str_eq(device("fs")->params[0].s, strcat(strcpy((char[128]){ 0 }, dir), "/big"));
	ck_assert_int_eq(device("fs")->params[1].i, 2); /* kept: only root was laid over */
	ck_assert_str_eq(device("g")->plugin->name, "greeter.fake"); /* a device added */
	ck_assert_int_lt(mgr_plan_find(&res.plan, "k2"), 0); /* target unix: no xen group */
}
END_TEST

START_TEST(when_target_and_another_impl)
{
	/* Another impl drops the parameters of the one it replaces. */
	ck_assert_int_eq(resolve_sets(WHEN, MG_TARGET_XEN, NULL, 0), 0);
	ck_assert_str_eq(device("fs")->plugin->name, "kv.layered");
	ck_assert_str_eq(res.plan.devices[device("fs")->deps[0]].name, "k2");
}
END_TEST

START_TEST(when_value_not_listed)
{
	ck_assert_int_eq(resolve("devices = {\n  main = { impl = \"greet.app\"; };\n};\n"
				 "when = {\n  MODE = { small = { }; tiny = { }; };\n};\n"),
			 -EINVAL);
	expect_error(5, "environment variable MODE is \"big\": expected one of small, tiny, or unset",
		     NULL);
}
END_TEST

START_TEST(unset_variable_without_default)
{
	ck_assert_int_eq(resolve("devices = {\n  fs = { impl = \"kv.fake\";\n    root = \"${NOPE}\"; };\n};\n"),
			 -EINVAL);
	expect_error(3, "environment variable NOPE is not set", "${NOPE:-default}");
}
END_TEST

static Suite *resolver_suite(void)
{
	Suite *s = suite_create("resolver");
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_config_is_wired_in_dependency_order);
	tcase_add_test(tc, messages_quote_values_printably);
	tcase_add_test(tc, unknown_implementation_suggests_closest);
	tcase_add_test(tc, wrong_type_on_slot);
	tcase_add_test(tc, missing_dependency);
	tcase_add_test(tc, ambiguous_dependency);
	tcase_add_test(tc, dependency_on_unknown_device);
	tcase_add_test(tc, unknown_slot_in_deps);
	tcase_add_test(tc, dependency_cycle);
	tcase_add_test(tc, self_dependency_is_a_cycle);
	tcase_add_test(tc, abi_major_mismatch);
	tcase_add_test(tc, newer_minor_than_host);
	tcase_add_test(tc, type_defined_outside_the_tree);
	tcase_add_test(tc, type_defined_outside_the_tree_has_its_minor_checked);
	tcase_add_test(tc, unknown_parameter_suggests_closest);
	tcase_add_test(tc, mistyped_parameters);
	tcase_add_test(tc, enum_value_must_be_a_choice);
	tcase_add_test(tc, missing_required_parameter);
	tcase_add_test(tc, plugin_without_the_target);
	tcase_add_test(tc, device_without_impl);
	tcase_add_test(tc, syntax_error_has_its_line);
	tcase_add_test(tc, unknown_top_level_setting);
	tcase_add_test(tc, every_error_is_reported);
	tcase_add_test(tc, set_overrides_a_value);
	tcase_add_test(tc, set_value_is_type_checked_at_its_line);
	tcase_add_test(tc, set_with_bad_path);
	tcase_add_test(tc, set_replaces_an_implementation_and_its_params);
	tcase_add_test(tc, environment_variables_expand);
	tcase_add_test(tc, unset_variable_without_default);
	tcase_add_test(tc, when_lays_groups_over_devices);
	tcase_add_test(tc, when_target_and_another_impl);
	tcase_add_test(tc, when_value_not_listed);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(resolver_suite());
}
