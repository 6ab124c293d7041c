/*
 * Credential values, the static provider and the refreshing cache.
 * DESIGN: a cache holds one tp_creds under its mutex; tp_creds_get copies
 * them out, refreshing through the inner provider first when they expire
 * within REFRESH_MARGIN. Only one thread refreshes at a time (the mutex is
 * held across `load`); the others wait and then copy the fresh value.
 */
#include "aws/creds.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

#define REFRESH_MARGIN 300 /* seconds before expiry */

void tp_creds_release(tp_creds *c)
{
	if (!c)
		return;
	if (c->secret_access_key)
		memset(c->secret_access_key, 0, strlen(c->secret_access_key));
	if (c->session_token)
		memset(c->session_token, 0, strlen(c->session_token));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	free(c->account_id);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

void tp_creds_copy(tp_creds *dst, const tp_creds *src)
{
	dst->access_key_id = tp_xstrdup(src->access_key_id);
	dst->secret_access_key = tp_xstrdup(src->secret_access_key);
	dst->session_token = tp_xstrdup(src->session_token);
	dst->expiration = src->expiration;
	dst->account_id = tp_xstrdup(src->account_id);
	dst->source = tp_xstrdup(src->source);
}

const char *tp_creds_redact(char *buf, unsigned size, const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n < 12)
		snprintf(buf, size, "****");
	else
		snprintf(buf, size, "%.4s****%s", id, id + n - 4);
	return buf;
}

int tp_creds_get(tp_cred_provider *p, tp_creds *out)
{
	memset(out, 0, sizeof(*out));
	if (!p)
		return tp_error_set(TP_EAUTH, "no credential provider");
	return p->load(p, out);
}

void tp_cred_provider_free(tp_cred_provider *p)
{
	if (p && p->free)
		p->free(p);
}

/* ---- static ---------------------------------------------------------- */

struct static_provider {
	tp_cred_provider base;
	tp_creds creds;
};

static int static_load(tp_cred_provider *self, tp_creds *out)
{
	struct static_provider *s = (struct static_provider *)self;

	tp_creds_copy(out, &s->creds);
	return 0;
}

static void static_free(tp_cred_provider *self)
{
	struct static_provider *s = (struct static_provider *)self;

	tp_creds_release(&s->creds);
	free(s);
}

tp_cred_provider *tp_creds_static(const char *access_key_id,
				  const char *secret_access_key,
				  const char *session_token)
{
	struct static_provider *s = tp_xcalloc(1, sizeof(*s));

	s->base.name = "static";
	s->base.load = static_load;
	s->base.free = static_free;
	s->creds.access_key_id = tp_xstrdup(access_key_id);
	s->creds.secret_access_key = tp_xstrdup(secret_access_key);
	s->creds.session_token = session_token && *session_token ? tp_xstrdup(session_token) : NULL;
	s->creds.source = tp_xstrdup("static");
	return &s->base;
}

/* ---- cache ----------------------------------------------------------- */

struct cache {
	tp_cred_provider base;
	tp_cred_provider *inner;
	pthread_mutex_t lock;    /* protects creds and have */
	tp_creds creds;
	int have;
};

static int fresh(const struct cache *c)
{
	return c->have && (c->creds.expiration == 0 ||
			   c->creds.expiration - REFRESH_MARGIN > tp_time_now());
}

static int cache_load(tp_cred_provider *self, tp_creds *out)
{
	struct cache *c = (struct cache *)self;
	tp_creds next = TP_CREDS_INIT;
	int rc = 0;

	pthread_mutex_lock(&c->lock);
	if (!fresh(c)) {
		rc = c->inner->load(c->inner, &next);
		if (rc == 0) {
			tp_creds_release(&c->creds);
			c->creds = next;
			c->have = 1;
		} else if (c->have && c->creds.expiration > tp_time_now()) {
			rc = 0;  /* refresh failed, but the old ones still work */
		}
	}
	if (rc == 0)
		tp_creds_copy(out, &c->creds);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static void cache_free(tp_cred_provider *self)
{
	struct cache *c = (struct cache *)self;

	tp_cred_provider_free(c->inner);
	tp_creds_release(&c->creds);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

tp_cred_provider *tp_creds_cached(tp_cred_provider *inner)
{
	struct cache *c = tp_xcalloc(1, sizeof(*c));

	c->base.name = inner->name;
	c->base.load = cache_load;
	c->base.free = cache_free;
	c->inner = inner;
	pthread_mutex_init(&c->lock, NULL);
	return &c->base;
}
