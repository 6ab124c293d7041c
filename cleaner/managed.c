/*
 * Managed stacks and what they own (managed.h). Physical ids are kept in
 * one array sorted by id once sealed, so a lookup is three binary searches
 * (id, name, ARN) however many stacks the account has.
 */
#include "cleaner/managed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"

typedef struct owned {
	char *key;     /* physical id, or a stack's name / ARN */
	char *region;
	char *stack;   /* owning managed stack */
	int is_stack;  /* key names the managed stack itself */
} owned;

struct tp_managed {
	owned *items;
	size_t n, alloc;
	size_t nstacks;
	int sealed;
};

tp_managed *tp_managed_new(void)
{
	return tp_xcalloc(1, sizeof(tp_managed));
}

void tp_managed_free(tp_managed *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->items[i].key);
		free(m->items[i].region);
		free(m->items[i].stack);
	}
	free(m->items);
	free(m);
}

/*
 * URLs (SQS queues) compare by their path: a stack records the queue under
 * the canonical endpoint (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME),
 * a listing may see it under another (legacy queue.amazonaws.com, an
 * endpoint override).
 */
static const char *key_of(const char *s)
{
	const char *host;

	if (!s || (!tp_starts_with(s, "https://") && !tp_starts_with(s, "http://")))
		return s;
	host = strstr(s, "://") + 3;
	return host + strcspn(host, "/");
}

static void add(tp_managed *m, const char *region, const char *key, const char *stack,
		int is_stack)
{
	owned *o;

	key = key_of(key);
	if (!key || !*key)
		return;
	if (m->n == m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 32;
		m->items = tp_xrealloc(m->items, m->alloc * sizeof(*m->items));
	}
	o = &m->items[m->n++];
	o->key = tp_xstrdup(key);
	o->region = tp_xstrdup(region);
	o->stack = tp_xstrdup(stack);
	o->is_stack = is_stack;
	m->sealed = 0;
}

void tp_managed_add_stack(tp_managed *m, const char *region, const char *name,
			  const char *arn)
{
	add(m, region, name, name, 1);
	add(m, region, arn, name, 1);
	m->nstacks++;
}

void tp_managed_add_owned(tp_managed *m, const char *region, const char *physical_id,
			  const char *stack)
{
	add(m, region, physical_id, stack, 0);
}

void tp_managed_merge(tp_managed *dst, tp_managed *src)
{
	size_t i;

	for (i = 0; i < src->n; i++) {
		if (dst->n == dst->alloc) {
			dst->alloc = dst->alloc ? dst->alloc * 2 : 32;
			dst->items = tp_xrealloc(dst->items, dst->alloc * sizeof(*dst->items));
		}
		dst->items[dst->n++] = src->items[i];
	}
	dst->nstacks += src->nstacks;
	dst->sealed = 0;
	free(src->items);
	src->items = NULL;
	src->n = src->alloc = src->nstacks = 0;
}

static int by_key(const void *a, const void *b)
{
	return strcmp(((const owned *)a)->key, ((const owned *)b)->key);
}

void tp_managed_seal(tp_managed *m)
{
	if (m->n)
		qsort(m->items, m->n, sizeof(*m->items), by_key);
	m->sealed = 1;
}

size_t tp_managed_stack_count(const tp_managed *m)
{
	return m->nstacks;
}

static int same_region(const owned *o, const char *region)
{
	return strcmp(region, "global") == 0 || strcmp(o->region, region) == 0;
}

/* The entry for `key` usable from `region`, or NULL. */
static const owned *find(tp_managed *m, const char *key, const char *region)
{
	size_t lo = 0, hi = m->n, mid;

	key = key_of(key);
	if (!key || !*key)
		return NULL;
	if (!m->sealed)
		tp_managed_seal(m);
	while (lo < hi) {                 /* first entry >= key */
		mid = lo + (hi - lo) / 2;
		if (strcmp(m->items[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < m->n && strcmp(m->items[lo].key, key) == 0; lo++)
		if (same_region(&m->items[lo], region))
			return &m->items[lo];
	return NULL;
}

static const owned *find_stack_named(tp_managed *m, const char *stack, const char *region)
{
	const owned *o = find(m, stack, region);

	return o && o->is_stack ? o : NULL;
}

int tp_managed_owns(tp_managed *m, const tp_resource *r, char *why, size_t size)
{
	const owned *o = find(m, r->id, r->region);

	if (!o)
		o = find(m, r->name, r->region);
	if (!o)
		o = find(m, r->arn, r->region);
	if (o && o->is_stack) {
		snprintf(why, size, "managed stack (%s=true)", TP_MANAGED_TAG);
		return 1;
	}
	if (o) {
		snprintf(why, size, "owned by managed stack %s", o->stack);
		return 1;
	}
	if (r->stack && (o = find_stack_named(m, r->stack, r->region)) != NULL) {
		snprintf(why, size, "owned by managed stack %s (aws:cloudformation:stack-name)",
			 o->stack);
		return 1;
	}
	return 0;
}

/* ---- scanning ----------------------------------------------------------- */

typedef struct scan {
	tp_managed *m;
	tp_aws_client *client;
	const char *region;
	const char *stack;    /* while listing one stack's resources */
	char **names;         /* managed stacks found in DescribeStacks */
	size_t nnames;
} scan;

static int is_managed(xmlNodePtr stack)
{
	xmlNodePtr tags = tp_xml_path(stack, "Tags"), t;
	char key[128], value[64];

	for (t = tags ? tags->children : NULL; t; t = t->next) {
		if (t->type != XML_ELEMENT_NODE)
			continue;
		tp_xml_text_buf(t, "Key", key, sizeof(key));
		tp_xml_text_buf(t, "Value", value, sizeof(value));
		if (strcmp(key, TP_MANAGED_TAG) == 0 && strcmp(value, "true") == 0)
			return 1;
	}
	return 0;
}

static int one_stack(void *ctx, xmlNodePtr stack)
{
	scan *s = ctx;
	char name[256], arn[1024], status[64];

	tp_xml_text_buf(stack, "StackStatus", status, sizeof(status));
	if (strcmp(status, "DELETE_COMPLETE") == 0 || !is_managed(stack))
		return 0;
	tp_xml_text_buf(stack, "StackName", name, sizeof(name));
	tp_xml_text_buf(stack, "StackId", arn, sizeof(arn));
	tp_managed_add_stack(s->m, s->region, name, arn);
	s->names = tp_xrealloc(s->names, (s->nnames + 1) * sizeof(*s->names));
	s->names[s->nnames++] = tp_xstrdup(name);
	return 0;
}

static int stacks_page(void *ctx, xmlDocPtr doc)
{
	return tp_xml_foreach(tp_xml_root(doc), "DescribeStacksResult/Stacks/member",
			      one_stack, ctx);
}

static int one_resource(void *ctx, xmlNodePtr res)
{
	scan *s = ctx;
	char *id = tp_xml_text(res, "PhysicalResourceId");

	tp_managed_add_owned(s->m, s->region, id, s->stack);
	free(id);
	return 0;
}

static int resources_page(void *ctx, xmlDocPtr doc)
{
	return tp_xml_foreach(tp_xml_root(doc),
			      "ListStackResourcesResult/StackResourceSummaries/member",
			      one_resource, ctx);
}

static int list_resources(scan *s, const char *stack)
{
	tp_params p = TP_PARAMS_INIT;
	int rc;

	s->stack = stack;
	tp_params_add(&p, "StackName", stack);
	rc = tp_aws_query_paginate(s->client, "cloudformation", s->region, "ListStackResources",
				   &p, "NextToken", "NextToken", resources_page, s);
	tp_params_release(&p);
	if (rc == TP_ENOTFOUND)   /* deleted since DescribeStacks: owns nothing now */
		rc = 0;
	if (rc < 0)
		tp_error_prefix("resources of managed stack %s in %s: ", stack, s->region);
	return rc;
}

int tp_managed_scan(tp_managed *m, tp_aws_client *c, const char *region)
{
	scan s = { m, c, region, NULL, NULL, 0 };
	size_t i;
	int rc;

	rc = tp_aws_query_paginate(c, "cloudformation", region, "DescribeStacks", NULL,
				   "NextToken", "NextToken", stacks_page, &s);
	if (rc < 0)
		tp_error_prefix("managed stacks in %s: ", region);
	for (i = 0; rc == 0 && i < s.nnames; i++)
		rc = list_resources(&s, s.names[i]);
	for (i = 0; i < s.nnames; i++)
		free(s.names[i]);
	free(s.names);
	return rc;
}
