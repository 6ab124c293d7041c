/*
 * What the deployer checks in a CloudFormation template before any AWS
 * call: that it is YAML or JSON (libyaml, which reads JSON too; tags such as
 * !Ref, !Sub and !GetAtt are CloudFormation's short forms and are
 * accepted), that its top level is a map with Resources, and which
 * Parameters it declares (and whether each has a Default).
 */
#ifndef TP_DEPLOY_TEMPLATE_H
#define TP_DEPLOY_TEMPLATE_H

#include <stddef.h>

/* CloudFormation's limit on a template passed by TemplateURL. */
#define TP_TEMPLATE_MAX_BYTES ((size_t)1000000)

typedef struct tp_template_param {
	char *name;
	int has_default;
	unsigned line, column;    /* where the template declares it */
} tp_template_param;

typedef struct tp_template_info {
	tp_template_param *params;   /* in the template's order */
	size_t nparams;
} tp_template_info;

#define TP_TEMPLATE_INFO_INIT { NULL, 0 }

/*
 * Read `len` bytes of template `name` (used in messages). Returns 0 with
 * `out` filled (caller releases), or TP_EINVAL with "NAME:LINE:COL: not
 * YAML or JSON: <what the parser says>", "NAME: a CloudFormation template
 * is a map (this one is a list)", "NAME: no Resources section" or "NAME:
 * N bytes is more than CloudFormation's limit of 1000000".
 */
int tp_template_inspect(tp_template_info *out, const char *name, const char *data, size_t len);

/* The declared parameter `name`, or NULL. */
const tp_template_param *tp_template_param_find(const tp_template_info *t, const char *name);

void tp_template_info_release(tp_template_info *t);

#endif
