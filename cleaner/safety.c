/*
 * The cleaner's safety checks (safety.h). Messages start with "refusing to
 * clean ACCOUNT:" so a user sees at once that nothing was deleted and why.
 */
#include "cleaner/safety.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "aws/xml.h"

static int refuse(const char *account, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int refuse(const char *account, const char *fmt, ...)
{
	char why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return tp_error_set(TP_EINVAL, "refusing to clean %s: %s", account, why);
}

static int listed(const tp_config_list *l, const char *id)
{
	size_t i;

	for (i = 0; l && i < l->n; i++)
		if (strcmp(l->items[i], id) == 0)
			return 1;
	return 0;
}

static int blocklisted(const tp_safety_opts *o)
{
	if (o->pool && tp_pool_is_blocklisted(o->pool, o->account))
		return 1;
	return o->config && listed(&o->config->pool.blocklist, o->account);
}

/* In the pool; a live lease refused unless allowed. */
static int check_membership(const tp_safety_opts *o)
{
	tp_account a = TP_ACCOUNT_INIT;
	char until[32];
	int rc = TP_ENOTFOUND;

	if (o->pool)
		rc = tp_store_get(tp_pool_store(o->pool), &a, o->account);
	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		if (o->config && listed(&o->config->pool.accounts, o->account))
			return 0;
		return refuse(o->account, "it is not in the pool (pool.accounts or `tidepool pool "
			      "add %s`)", o->account);
	}
	if (rc < 0)
		return rc;
	if (!o->allow_live_lease &&
	    tp_account_state_at(&a, tp_store_now(tp_pool_store(o->pool))) == TP_ACCOUNT_LEASED) {
		tp_time_iso8601(until, sizeof(until), a.expires_at);
		rc = refuse(o->account, "it is leased by %s until %s; release it first",
			    a.holder ? a.holder : "someone", until);
	}
	tp_account_release(&a);
	return rc < 0 ? rc : 0;
}

int tp_safety_check_pool(const tp_safety_opts *o)
{
	if (!o->account || !tp_is_account_id(o->account))
		return tp_error_set(TP_EINVAL, "'%s' is not an AWS account id (12 digits)",
				    o->account ? o->account : "");
	if (blocklisted(o))
		return refuse(o->account, "it is in pool.blocklist");
	if (o->caller_account && strcmp(o->caller_account, o->account) == 0)
		return refuse(o->account, "it is the caller's own account (the credentials "
			      "tidepool runs with belong to it)");
	return check_membership(o);
}

int tp_safety_caller_account(tp_aws_client *caller, char out[16])
{
	tp_identity id;
	int rc = tp_sts_get_caller_identity(caller, &id);

	if (rc < 0)
		return tp_error_prefix("who is the caller (STS GetCallerIdentity): ");
	tp_strlcpy(out, id.account, 16);
	return 0;
}

/* ---- with AWS ------------------------------------------------------------ */

static int check_identity(const tp_safety_opts *o)
{
	char acct[16];

	if (tp_safety_caller_account(o->target, acct) < 0)
		return tp_error_prefix("credentials for %s: ", o->account);
	if (strcmp(acct, o->account) != 0)
		return refuse(o->account, "the credentials obtained for it belong to account %s",
			      acct);
	return 0;
}

static int alias_of(tp_aws_client *c, char *alias, size_t size)
{
	xmlDocPtr doc = NULL;
	int rc;

	alias[0] = '\0';
	rc = tp_aws_query(c, &doc, "iam", NULL, "ListAccountAliases", NULL);
	if (rc < 0)
		return rc;
	tp_xml_text_buf(tp_xml_root(doc), "ListAccountAliasesResult/AccountAliases/member",
			alias, size);
	xmlFreeDoc(doc);
	return 0;
}

static int allow_prod(const tp_safety_opts *o)
{
	return o->config && o->config->cleaner.allow_prod_alias;
}

static int check_alias(const tp_safety_opts *o, char *alias, size_t size)
{
	if (alias_of(o->target, alias, size) < 0)
		return tp_error_prefix("cannot read the alias of %s (IAM ListAccountAliases): ",
				       o->account);
	if (strcasestr(alias, "prod") && !allow_prod(o))
		return refuse(o->account, "its alias '%s' contains \"prod\" (set "
			      "cleaner.allow_prod_alias: true to clean it anyway)", alias);
	return 0;
}

/*
 * The organization's management account as `c` sees it into mgmt[16]
 * ("" when not in an organization) and its id into org[64].
 */
static int management_account(tp_aws_client *c, char mgmt[16], char org[64])
{
	json_t *resp = NULL, *o;
	int rc;

	mgmt[0] = org[0] = '\0';
	rc = tp_aws_json(c, &resp, "organizations", NULL, "DescribeOrganization", NULL);
	if (rc < 0) {
		if (strcmp(tp_error_last()->aws_code, "AWSOrganizationsNotInUseException") == 0) {
			tp_error_clear();
			return 0;
		}
		return rc;
	}
	o = json_object_get(resp, "Organization");
	tp_strlcpy(mgmt, json_string_value(json_object_get(o, "MasterAccountId")) ?
		   json_string_value(json_object_get(o, "MasterAccountId")) : "", 16);
	tp_strlcpy(org, json_string_value(json_object_get(o, "Id")) ?
		   json_string_value(json_object_get(o, "Id")) : "", 64);
	json_decref(resp);
	return 0;
}

static int check_management(const tp_safety_opts *o)
{
	char mgmt[16], org[64];

	/* The caller's view: often the management account's own (errors: ask the account). */
	if (o->caller && management_account(o->caller, mgmt, org) == 0 &&
	    strcmp(mgmt, o->account) == 0)
		return refuse(o->account, "it is the management account of organization %s",
			      org);
	tp_error_clear();
	if (management_account(o->target, mgmt, org) < 0)
		return tp_error_prefix("cannot tell whether %s is its organization's management "
				       "account (Organizations DescribeOrganization): ", o->account);
	if (strcmp(mgmt, o->account) == 0)
		return refuse(o->account, "it is the management account of organization %s",
			      org);
	return 0;
}

int tp_safety_check_account(const tp_safety_opts *o, char *alias, size_t size)
{
	int rc;

	alias[0] = '\0';
	if ((rc = check_identity(o)) < 0 || (rc = check_alias(o, alias, size)) < 0 ||
	    (rc = check_management(o)) < 0)
		return rc;
	return 0;
}
