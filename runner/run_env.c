/*
 * The environment of a suite process (DESIGN.md, "What a suite process
 * gets"): the runner's environment scrubbed of every AWS credential,
 * profile and config variable (runner/child_env.h), the attempt's
 * temporary credentials of its leased account only, the region, the
 * endpoint override when one is in force, TIDEPOOL_ACCOUNT_ID, _SUITE,
 * _RUN_ID, _ATTEMPT, _JUNIT, _ARTIFACTS, TIDEPOOL_OUTPUT_<STACK>_<KEY> for
 * every output of every stack it needs, and the suite's own `env`.
 */
#include <stdio.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/util.h"
#include "runner/run_internal.h"

extern char **environ;

/* Outputs of `stack` known on the account ("STACK\tKEY" -> value). */
static void set_outputs(tp_env *e, const run_acct *acct, const char *stack)
{
	size_t n = strlen(stack), i;
	tp_buf name = TP_BUF_INIT;

	for (i = 0; i < acct->outputs.n; i++) {
		const tp_kv *kv = &acct->outputs.items[i];
		if (strncmp(kv->key, stack, n) != 0 || kv->key[n] != '\t' || !kv->key[n + 1])
			continue;
		tp_buf_reset(&name);
		tp_env_output_name(&name, stack, kv->key + n + 1);
		tp_env_set(e, tp_buf_cstr(&name), kv->value);
	}
	tp_buf_release(&name);
}

void tp_run_suite_env(tp_env *e, const run_state *r, const run_attempt *a)
{
	const tp_config_suite *s = a->suite->cfg;
	char num[16];
	size_t i;

	tp_env_init_scrubbed(e, environ);
	tp_env_set_account(e, &a->creds, r->region, r->endpoint);
	snprintf(num, sizeof(num), "%d", a->number);
	tp_env_set(e, "TIDEPOOL_ACCOUNT_ID", a->acct->id);
	tp_env_set(e, "TIDEPOOL_SUITE", s->name);
	tp_env_set(e, "TIDEPOOL_RUN_ID", r->run_id);
	tp_env_set(e, "TIDEPOOL_ATTEMPT", num);
	tp_env_set(e, "TIDEPOOL_JUNIT", a->junit_path);
	tp_env_set(e, "TIDEPOOL_ARTIFACTS", a->artifacts);
	for (i = 0; i < a->suite->nstacks; i++)
		set_outputs(e, a->acct, a->suite->stacks[i].name);
	for (i = 0; i < s->env.n; i++)
		tp_env_set(e, s->env.items[i].key, s->env.items[i].value);
}
