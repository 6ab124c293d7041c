/*
 * The AWS CLI profile `tidepool claim --profile` writes (runner/aws_profile.h):
 * a table of config files and what the splice makes of them, the atomic
 * rewrite (mode 0600, through a symlink, nothing left behind), and shell
 * quoting of the credential_process command.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/aws_profile.h"
#include "runner/project.h"
#include "tests/support/testutil.h"

#define DEV "[profile dev]\ncredential_process = tp\nregion = us-east-1\n"

static void test_claim_profile__splice(void **state)
{
	static const struct {
		const char *name, *profile, *in, *want;
	} cases[] = {
		{ "empty file", "dev", "", DEV },
		{ "appended after others", "dev", "[default]\nregion = x\n",
		  "[default]\nregion = x\n\n" DEV },
		{ "no final newline", "dev", "[default]\nregion = x",
		  "[default]\nregion = x\n\n" DEV },
		{ "replaced in place", "dev",
		  "[a]\nk = 1\n[profile dev]\naws_access_key_id = OLD\nregion = y\n[profile b]\nk = 2\n",
		  "[a]\nk = 1\n" DEV "[profile b]\nk = 2\n" },
		{ "trailing comments kept", "dev",
		  "[profile dev]\nregion = y\n\n# about b\n[profile b]\n",
		  DEV "\n# about b\n[profile b]\n" },
		{ "comments inside go", "dev",
		  "[profile dev]\n# old\nregion = y\nx = 1\n", DEV },
		{ "spacing in the header", "dev",
		  "[ profile   dev ]\nregion = y\n[profile devx]\nk = 1\n",
		  DEV "[profile devx]\nk = 1\n" },
		{ "bare [dev] is not the profile", "dev", "[dev]\nk = 1\n", "[dev]\nk = 1\n\n" DEV },
		{ "duplicates collapse", "dev",
		  "[profile dev]\nk = 1\n[profile o]\n[profile dev]\nk = 2\n", DEV "[profile o]\n" },
		{ "default", "default", "[profile x]\nk = 1\n[default]\nk = 2\n",
		  "[profile x]\nk = 1\n[default]\ncredential_process = tp\nregion = us-east-1\n" },
	};
	tp_profile_setting s[] = { { "credential_process", "tp" }, { "region", "us-east-1" } };
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		char *section = tp_aws_profile_section(cases[i].profile, s, 2);
		char *out = tp_aws_profile_splice(cases[i].in, cases[i].profile, section);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("%s:\n--- got\n%s--- want\n%s", cases[i].name, out, cases[i].want);
		free(out);
		free(section);
	}
}

static size_t entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	while (d && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_claim_profile__atomic_rewrite(void **state)
{
	static const char before[] = "[profile other]\nregion = eu-west-1\n";
	char *dir = tp_test_tmpdir("profile"), *real, *link, *aws_dir, *text, *want;
	tp_profile_setting s[] = { { "credential_process", "tp" }, { "region", "us-east-1" } };
	struct stat st;
	size_t len;

	(void)state;
	real = tp_test_write_file(dir, "real/config", before);
	chmod(real, 0644);
	link = tp_xasprintf("%s/config-link", dir);
	assert_int_equal(symlink(real, link), 0);
	assert_int_equal(tp_aws_profile_write(link, "dev", s, 2), 0);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));          /* the link stays a link */
	assert_int_equal(stat(real, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(tp_read_file(real, &text, &len), 0);
	want = tp_xasprintf("%s\n%s", before, DEV);
	assert_string_equal(text, want);
	free(text);
	free(want);
	aws_dir = tp_xasprintf("%s/real", dir);
	assert_int_equal(entries(aws_dir), 1);      /* no temporary file left */
	/* a new file in a new directory */
	free(link);
	link = tp_xasprintf("%s/home/.aws/config", dir);
	assert_int_equal(tp_aws_profile_write(link, "dev", s, 2), 0);
	assert_int_equal(tp_read_file(link, &text, &len), 0);
	assert_string_equal(text, DEV);
	free(text);
	assert_int_equal(tp_aws_profile_write(link, "bad]name", s, 2), TP_EINVAL);
	tp_test_rmtree(dir);
	free(dir);
	free(real);
	free(link);
	free(aws_dir);
}

static void test_claim_profile__config_path(void **state)
{
	char *p;

	(void)state;
	setenv("HOME", "/home/u", 1);
	unsetenv("AWS_CONFIG_FILE");
	p = tp_aws_config_path();
	assert_string_equal(p, "/home/u/.aws/config");
	free(p);
	setenv("AWS_CONFIG_FILE", "~/cfg/aws", 1);
	p = tp_aws_config_path();
	assert_string_equal(p, "/home/u/cfg/aws");
	free(p);
	setenv("AWS_CONFIG_FILE", "/etc/aws.conf", 1);
	p = tp_aws_config_path();
	assert_string_equal(p, "/etc/aws.conf");
	free(p);
}

static void test_claim_profile__shell_quoting(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "/usr/bin/tidepool", "/usr/bin/tidepool" },
		{ "/home/Jo Doe/p", "'/home/Jo Doe/p'" },
		{ "/tmp/it's", "'/tmp/it'\"'\"'s'" },
		{ "", "''" },
		{ "a$b", "'a$b'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		char *q = tp_shell_quote(cases[i].in);
		assert_string_equal(q, cases[i].want);
		free(q);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claim_profile__splice),
		cmocka_unit_test(test_claim_profile__atomic_rewrite),
		cmocka_unit_test(test_claim_profile__config_path),
		cmocka_unit_test(test_claim_profile__shell_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
