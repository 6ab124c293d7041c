/* Counting and logging the deployer's AWS calls (runner/deploy_calls.h). */
#include "runner/deploy_calls.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

typedef struct count {
	char *op;
	uint64_t n;
} count;

struct tp_deploy_calls {
	pthread_mutex_t lock;     /* protects counts and log */
	count *counts;
	size_t n, alloc;
	uint64_t total;
	FILE *log;
};

static _Thread_local const char *label_account;
static _Thread_local const char *label_stack;

int tp_deploy_calls_new(tp_deploy_calls **out, const char *log_path)
{
	tp_deploy_calls *c = tp_xcalloc(1, sizeof(*c));

	*out = NULL;
	if (log_path && !(c->log = fopen(log_path, "we"))) {
		free(c);
		return tp_error_set(TP_ERROR, "cannot write the API-call log %s: %s", log_path,
				    strerror(errno));
	}
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;
}

void tp_deploy_calls_free(tp_deploy_calls *c)
{
	size_t i;

	if (!c)
		return;
	if (c->log)
		fclose(c->log);
	for (i = 0; i < c->n; i++)
		free(c->counts[i].op);
	free(c->counts);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void tp_deploy_calls_label(const char *account, const char *stack)
{
	label_account = account;
	label_stack = stack;
}

void tp_deploy_calls_unlabel(void)
{
	label_account = NULL;
	label_stack = NULL;
}

static count *find(tp_deploy_calls *c, const char *op)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->counts[i].op, op) == 0)
			return &c->counts[i];
	return NULL;
}

static void bump(tp_deploy_calls *c, const char *op)
{
	count *k = find(c, op);

	if (!k) {
		if (c->n == c->alloc) {
			c->alloc = c->alloc ? 2 * c->alloc : 8;
			c->counts = tp_xrealloc(c->counts, c->alloc * sizeof(*c->counts));
		}
		k = &c->counts[c->n++];
		k->op = tp_xstrdup(op);
		k->n = 0;
	}
	k->n++;
	c->total++;
}

static void log_line(tp_deploy_calls *c, const tp_aws_call_info *info)
{
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:I, s:s}",
			      "start_ms", (json_int_t)info->start_ms,
			      "end_ms", (json_int_t)info->end_ms,
			      "account", label_account ? label_account : "",
			      "region", info->region ? info->region : "",
			      "stack", label_stack ? label_stack : "",
			      "op", info->operation ? info->operation : "",
			      "attempt", info->attempt,
			      "http", (json_int_t)info->http_status,
			      "code", info->aws_code ? info->aws_code : "");

	if (!o)
		return;
	json_dumpf(o, c->log, JSON_COMPACT);
	fputc('\n', c->log);
	fflush(c->log);
	json_decref(o);
}

void tp_deploy_calls_observe(void *ctx, const tp_aws_call_info *info)
{
	tp_deploy_calls *c = ctx;

	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	bump(c, info->operation ? info->operation : "?");
	if (c->log)
		log_line(c, info);
	pthread_mutex_unlock(&c->lock);
}

uint64_t tp_deploy_calls_count(tp_deploy_calls *c, const char *operation)
{
	count *k;
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	k = find(c, operation);
	n = k ? k->n : 0;
	pthread_mutex_unlock(&c->lock);
	return n;
}

uint64_t tp_deploy_calls_total(tp_deploy_calls *c)
{
	uint64_t n;

	pthread_mutex_lock(&c->lock);
	n = c->total;
	pthread_mutex_unlock(&c->lock);
	return n;
}

static int cmp_count(const void *a, const void *b)
{
	return strcmp(((const count *)a)->op, ((const count *)b)->op);
}

json_t *tp_deploy_calls_json(tp_deploy_calls *c)
{
	json_t *o = json_object();
	size_t i;

	pthread_mutex_lock(&c->lock);
	if (c->n > 1)
		qsort(c->counts, c->n, sizeof(*c->counts), cmp_count);
	for (i = 0; i < c->n; i++)
		json_object_set_new(o, c->counts[i].op, json_integer((json_int_t)c->counts[i].n));
	pthread_mutex_unlock(&c->lock);
	return o;
}
