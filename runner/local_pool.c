/* The local pool (see local_pool.h). */
#include "runner/local_pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/local.h"
#include "aws/util.h"

struct tp_local_pool {
	tp_local *moto;
	tp_pool *pool;
	char *dir;
	char *log_path;
};

static char *make_dir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *t = tp_xasprintf("%s/tidepool-local-XXXXXX", tmp && *tmp ? tmp : "/tmp");

	if (!mkdtemp(t)) {
		tp_error_set(TP_ERROR, "cannot create a temporary directory for the local pool");
		free(t);
		return NULL;
	}
	return t;
}

static int open_pool(tp_local_pool *p)
{
	tp_pool_opts o = TP_POOL_OPTS_INIT;
	const char **ids = tp_xcalloc(tp_local_account_count(p->moto) + 1, sizeof(*ids));
	char *url = tp_xasprintf("sqlite:%s/pool.db", p->dir);
	size_t i, n = tp_local_account_count(p->moto);
	int rc;

	for (i = 0; i < n; i++)
		ids[i] = tp_local_account(p->moto, i);
	o.store_url = url;
	o.accounts = ids;
	o.n_accounts = n;
	rc = tp_pool_open(&p->pool, &o);
	if (rc == 0)
		rc = tp_pool_sync(p->pool, NULL);
	free(ids);
	free(url);
	return rc;
}

int tp_local_pool_start(tp_local_pool **out, int accounts)
{
	tp_local_pool *p = tp_xcalloc(1, sizeof(*p));
	tp_local_opts o = TP_LOCAL_OPTS_INIT;
	int rc;

	*out = NULL;
	if (!(p->dir = make_dir())) {
		free(p);
		return TP_ERROR;
	}
	p->log_path = tp_xasprintf("%s/moto.log", p->dir);
	o.accounts = accounts;
	o.log_path = p->log_path;
	rc = tp_local_start(&p->moto, &o);
	if (rc == TP_ENOTFOUND) {
		tp_error e;
		tp_error_save(&e);
		rc = tp_error_set(TP_EINVAL, "--local needs moto's server: %s", e.msg);
	}
	if (rc == 0)
		rc = open_pool(p);
	if (rc < 0) {
		tp_error e;
		tp_error_save(&e);
		tp_local_pool_stop(p);
		tp_error_restore(&e);
		return rc;
	}
	*out = p;
	return 0;
}

static void remove_dir(const char *dir)
{
	static const char *const files[] = { "pool.db", "pool.db-wal", "pool.db-shm", "moto.log" };
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(files); i++) {
		char *f = tp_xasprintf("%s/%s", dir, files[i]);
		unlink(f);
		free(f);
	}
	rmdir(dir);
}

void tp_local_pool_stop(tp_local_pool *p)
{
	if (!p)
		return;
	tp_pool_free(p->pool);
	tp_local_stop(p->moto);
	if (p->dir)
		remove_dir(p->dir);
	free(p->dir);
	free(p->log_path);
	free(p);
}

const char *tp_local_pool_endpoint(const tp_local_pool *p)
{
	return tp_local_endpoint(p->moto);
}

tp_pool *tp_local_pool_pool(const tp_local_pool *p)
{
	return p->pool;
}

tp_cred_provider *tp_local_pool_creds(const tp_local_pool *p)
{
	return tp_local_creds(p->moto);
}

size_t tp_local_pool_count(const tp_local_pool *p)
{
	return tp_local_account_count(p->moto);
}

const char *tp_local_pool_account(const tp_local_pool *p, size_t i)
{
	return tp_local_account(p->moto, i);
}
