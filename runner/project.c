/* Finding tidepool.yaml and opening its pool (see project.h). */
#include "runner/project.h"

#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

static int load(tp_project *p, const char *dir, const char *file)
{
	int rc = file ? tp_config_load(&p->config, file)
		      : tp_config_load_dir(&p->config, dir ? dir : ".");
	tp_error e;


	if (rc < 0 && tp_error_last()->code == TP_ENOTFOUND) {
		tp_error_save(&e);         /* a missing file is a configuration error */
		return tp_error_set(TP_EINVAL, "%s", e.msg);
	}
	return rc < 0 ? TP_EINVAL : 0;
}

static int open_pool(tp_project *p)
{
	const tp_config_pool *c = &p->config->pool;
	tp_pool_opts o = TP_POOL_OPTS_INIT;

	o.store_url = c->store;
	o.accounts = (const char *const *)c->accounts.items;
	o.n_accounts = c->accounts.n;
	o.blocklist = (const char *const *)c->blocklist.items;
	o.n_blocklist = c->blocklist.n;
	o.store.base_dir = p->config->dir;
	o.store.region = tp_project_region(p);
	return tp_pool_open(&p->pool, &o);
}

int tp_project_open(tp_project *p, const char *dir, const char *file)
{
	tp_project init = TP_PROJECT_INIT;
	int rc;

	*p = init;
	p->by_file = file != NULL;
	if ((rc = load(p, dir, file)) == 0)
		rc = open_pool(p);
	if (rc < 0)
		tp_project_release(p);
	return rc;
}

void tp_project_release(tp_project *p)
{
	tp_project init = TP_PROJECT_INIT;

	tp_pool_free(p->pool);
	tp_config_free(p->config);
	*p = init;
}

const char *tp_project_region(const tp_project *p)
{
	const tp_config_list *r = &p->config->regions;

	return r->n ? r->items[0] : "us-east-1";
}

char *tp_shell_quote(const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789/._-+@%=:,";
	tp_buf b = TP_BUF_INIT;
	const char *p;

	if (*s && strspn(s, safe) == strlen(s))
		return tp_xstrdup(s);
	tp_buf_addc(&b, '\'');
	for (p = s; *p; p++) {
		if (*p == '\'')
			tp_buf_adds(&b, "'\"'\"'");
		else
			tp_buf_addc(&b, *p);
	}
	tp_buf_addc(&b, '\'');
	return tp_buf_detach(&b);
}

char *tp_project_locator(const tp_project *p)
{
	char abs[PATH_MAX], *q, *out;
	const char *where = p->by_file ? p->config->path : p->config->dir;

	if (realpath(where, abs))
		where = abs;
	q = tp_shell_quote(where);
	out = tp_xasprintf("%s %s", p->by_file ? "-c" : "-C", q);
	free(q);
	return out;
}

char *tp_project_default_owner(void)
{
	const char *user = getenv("USER"), *host = getenv("HOSTNAME");
	struct passwd *pw;
	char name[256];

	if (!user || !*user)
		user = getenv("LOGNAME");
	if ((!user || !*user) && (pw = getpwuid(getuid())) != NULL)
		user = pw->pw_name;
	if ((!host || !*host) && gethostname(name, sizeof(name)) == 0) {
		name[sizeof(name) - 1] = '\0';
		host = name;
	}
	return tp_xasprintf("%s@%s", user && *user ? user : "unknown",
			    host && *host ? host : "localhost");
}
