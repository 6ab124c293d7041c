/*
 * The shared config and credentials files, as botocore sees them: which
 * profile is selected, where the files are, the config file's
 * "[profile x]" sections by name, and the merge in which a key in the
 * credentials file wins over the same key in the config file.
 */
#include "aws/creds_internal.h"

#include <ctype.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"

static char *home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (h && *h)
		return tp_xstrdup(h);
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res && res->pw_dir)
		return tp_xstrdup(res->pw_dir);
	return NULL;
}

/* `env` (with "~/" expanded), else ~/.aws/<file>. NULL when there is no home. */
static char *file_path(const char *env, const char *file)
{
	const char *v = getenv(env);
	char *home, *path;

	if (v && *v && !tp_starts_with(v, "~/"))
		return tp_xstrdup(v);
	home = home_dir();
	if (!home)
		return NULL;
	if (v && *v)
		path = tp_xasprintf("%s/%s", home, v + 2);
	else
		path = tp_xasprintf("%s/.aws/%s", home, file);
	free(home);
	return path;
}

char *tp_creds_display_path(const char *path)
{
	char *home = home_dir(), *out;
	size_t n = home ? strlen(home) : 0;

	while (n > 1 && home[n - 1] == '/')
		n--;
	if (n > 1 && strncmp(path, home, n) == 0 && path[n] == '/')
		out = tp_xasprintf("~%s", path + n);
	else
		out = tp_xstrdup(path);
	free(home);
	return out;
}

static int load_file(tp_ini **ini, char **name, const char *env, const char *file)
{
	char *path = file_path(env, file);
	int rc;

	if (!path) {
		*name = tp_xasprintf("~/.aws/%s", file);
		return tp_ini_parse(ini, "", 0, *name);   /* no home: no files */
	}
	*name = tp_creds_display_path(path);
	rc = tp_ini_load(ini, path, *name);
	free(path);
	return rc;
}

/*
 * The profile a config-file section header names: "default", "profile x"
 * (any blanks, optional quotes), else NULL (sso-session, services, ...).
 */
static char *config_profile_name(const char *section)
{
	const char *p;
	size_t n;

	if (strcmp(section, "default") == 0)
		return tp_xstrdup(section);
	if (!tp_starts_with(section, "profile") || !isspace((unsigned char)section[7]))
		return NULL;
	for (p = section + 7; isspace((unsigned char)*p); p++)
		;
	n = strlen(p);
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n >= 2 && (p[0] == '"' || p[0] == '\'') && p[n - 1] == p[0]) {
		p++;
		n -= 2;
	}
	return n ? tp_xstrndup(p, n) : NULL;
}

/* Index the config file's profiles; a later section of the same profile replaces an earlier one. */
static void index_profiles(tp_creds_config *cfg)
{
	size_t i, j, n = tp_ini_count(cfg->config);

	cfg->names = tp_xcalloc(n, sizeof(*cfg->names));
	cfg->sections = tp_xcalloc(n, sizeof(*cfg->sections));
	for (i = 0; i < n; i++) {
		const tp_ini_section *s = tp_ini_at(cfg->config, i);
		char *name = config_profile_name(tp_ini_section_name(s));

		if (!name)
			continue;
		for (j = 0; j < cfg->nprofiles && strcmp(cfg->names[j], name) != 0; j++)
			;
		if (j < cfg->nprofiles) {
			free(name);
		} else {
			cfg->names[j] = name;
			cfg->nprofiles++;
		}
		cfg->sections[j] = s;
	}
}

static void select_profile(tp_creds_config *cfg, const char *profile)
{
	const char *env = getenv("AWS_DEFAULT_PROFILE");

	if (!env || !*env)
		env = getenv("AWS_PROFILE");
	cfg->use_env = profile == NULL;
	if (profile) {
		cfg->profile = tp_xstrdup(profile);
		cfg->profile_named = 1;
	} else if (env && *env) {
		cfg->profile = tp_xstrdup(env);
		cfg->profile_named = 1;
	} else {
		cfg->profile = tp_xstrdup("default");
	}
}

int tp_creds_config_load(tp_creds_config *cfg, const char *profile)
{
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	select_profile(cfg, profile);
	if ((rc = load_file(&cfg->config, &cfg->config_name, "AWS_CONFIG_FILE", "config")) < 0)
		return rc;
	rc = load_file(&cfg->credentials, &cfg->credentials_name,
		       "AWS_SHARED_CREDENTIALS_FILE", "credentials");
	if (rc < 0)
		return rc;
	index_profiles(cfg);
	if (cfg->profile_named && !tp_creds_config_has_profile(cfg, cfg->profile))
		return tp_error_set(TP_EINVAL, "the config profile (%s) could not be found "
				    "(looked in %s and %s)", cfg->profile,
				    cfg->config_name, cfg->credentials_name);
	return 0;
}

void tp_creds_config_release(tp_creds_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nprofiles; i++)
		free(cfg->names[i]);
	free(cfg->names);
	free(cfg->sections);
	tp_ini_free(cfg->config);
	tp_ini_free(cfg->credentials);
	free(cfg->config_name);
	free(cfg->credentials_name);
	free(cfg->profile);
	memset(cfg, 0, sizeof(*cfg));
}

const tp_ini_section *tp_creds_config_section(const tp_creds_config *cfg, tp_creds_file which,
					      const char *profile)
{
	size_t i;

	if (which == TP_CREDS_FILE_CREDENTIALS)
		return tp_ini_find(cfg->credentials, profile);
	for (i = 0; i < cfg->nprofiles; i++)
		if (strcmp(cfg->names[i], profile) == 0)
			return cfg->sections[i];
	return NULL;
}

int tp_creds_config_has_profile(const tp_creds_config *cfg, const char *profile)
{
	return tp_creds_config_section(cfg, TP_CREDS_FILE_CREDENTIALS, profile) ||
	       tp_creds_config_section(cfg, TP_CREDS_FILE_CONFIG, profile);
}

const char *tp_creds_config_get(const tp_creds_config *cfg, const char *profile, const char *key)
{
	const char *v = tp_ini_get(tp_creds_config_section(cfg, TP_CREDS_FILE_CREDENTIALS, profile), key);

	return v ? v : tp_ini_get(tp_creds_config_section(cfg, TP_CREDS_FILE_CONFIG, profile), key);
}

char *tp_creds_config_region(const tp_creds_config *cfg)
{
	const char *r = getenv("AWS_REGION");

	if (!r || !*r)
		r = getenv("AWS_DEFAULT_REGION");
	if (!r || !*r)
		r = tp_creds_config_get(cfg, cfg->profile, "region");
	return r && *r ? tp_xstrdup(r) : NULL;
}

const char *tp_profile_region(void)
{
	static _Thread_local char region[64];
	tp_creds_config cfg;
	const char *r = NULL;
	tp_error saved;

	tp_error_save(&saved);   /* a broken file is reported by the chain, not here */
	if (tp_creds_config_load(&cfg, NULL) == 0)
		r = tp_creds_config_get(&cfg, cfg.profile, "region");
	if (r && *r && strlen(r) < sizeof(region))
		tp_strlcpy(region, r, sizeof(region));
	else
		r = NULL;
	tp_creds_config_release(&cfg);
	tp_error_restore(&saved);
	return r ? region : NULL;
}
