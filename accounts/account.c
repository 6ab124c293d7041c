/* Account records: lifecycle, state names, the recorded stacks, lists. */
#include "accounts/account.h"

#include <string.h>

#include "aws/util.h"

static const char *const state_names[] = {
	[TP_ACCOUNT_AVAILABLE] = "available",
	[TP_ACCOUNT_LEASED] = "leased",
	[TP_ACCOUNT_DIRTY] = "dirty",
	[TP_ACCOUNT_CLEANING] = "cleaning",
	[TP_ACCOUNT_QUARANTINED] = "quarantined",
	[TP_ACCOUNT_EXPIRED] = "expired",
};

void tp_account_init_new(tp_account *a, const char *id, time_t now)
{
	tp_account init = TP_ACCOUNT_INIT;

	*a = init;
	tp_strlcpy(a->id, id, sizeof(a->id));
	a->version = 1;
	a->changed_at = now;
}

void tp_account_release(tp_account *a)
{
	tp_account init = TP_ACCOUNT_INIT;

	if (!a)
		return;
	free(a->holder);
	free(a->run_id);
	free(a->reason);
	tp_account_clear_stacks(a);
	*a = init;
}

void tp_account_copy(tp_account *dst, const tp_account *src)
{
	size_t i;

	*dst = *src;
	dst->holder = tp_xstrdup(src->holder);
	dst->run_id = tp_xstrdup(src->run_id);
	dst->reason = tp_xstrdup(src->reason);
	dst->stacks = src->n_stacks ? tp_xcalloc(src->n_stacks, sizeof(*dst->stacks)) : NULL;
	for (i = 0; i < src->n_stacks; i++) {
		dst->stacks[i].name = tp_xstrdup(src->stacks[i].name);
		dst->stacks[i].hash = tp_xstrdup(src->stacks[i].hash);
	}
}

tp_account_state tp_account_state_at(const tp_account *a, time_t now)
{
	if (a->state == TP_ACCOUNT_LEASED && a->expires_at <= now)
		return TP_ACCOUNT_EXPIRED;
	return a->state;
}

const char *tp_account_state_name(tp_account_state s)
{
	if ((size_t)s >= TP_ARRAY_SIZE(state_names))
		return "unknown";
	return state_names[s];
}

int tp_account_state_parse(const char *name, tp_account_state *out)
{
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(state_names); i++) {
		if (i != TP_ACCOUNT_EXPIRED && tp_streq(name, state_names[i])) {
			*out = (tp_account_state)i;
			return 0;
		}
	}
	return -1;
}

/* Index of `name`, or of where it would go (with *found 0). */
static size_t stack_slot(const tp_account *a, const char *name, int *found)
{
	size_t i;

	for (i = 0; i < a->n_stacks; i++) {
		int c = strcmp(a->stacks[i].name, name);
		*found = c == 0;
		if (c >= 0)
			return i;
	}
	*found = 0;
	return a->n_stacks;
}

const char *tp_account_stack_hash(const tp_account *a, const char *name)
{
	int found;
	size_t i = stack_slot(a, name, &found);

	return found ? a->stacks[i].hash : NULL;
}

static void forget_stack(tp_account *a, size_t i)
{
	free(a->stacks[i].name);
	free(a->stacks[i].hash);
	memmove(&a->stacks[i], &a->stacks[i + 1], (a->n_stacks - i - 1) * sizeof(*a->stacks));
	a->n_stacks--;
}

void tp_account_set_stack(tp_account *a, const char *name, const char *hash)
{
	int found;
	size_t i = stack_slot(a, name, &found);

	if (found && !hash) {
		forget_stack(a, i);
	} else if (found) {
		free(a->stacks[i].hash);
		a->stacks[i].hash = tp_xstrdup(hash);
	} else if (hash) {
		a->stacks = tp_xrealloc(a->stacks, (a->n_stacks + 1) * sizeof(*a->stacks));
		memmove(&a->stacks[i + 1], &a->stacks[i], (a->n_stacks - i) * sizeof(*a->stacks));
		a->stacks[i].name = tp_xstrdup(name);
		a->stacks[i].hash = tp_xstrdup(hash);
		a->n_stacks++;
	}
}

void tp_account_clear_stacks(tp_account *a)
{
	size_t i;

	for (i = 0; i < a->n_stacks; i++) {
		free(a->stacks[i].name);
		free(a->stacks[i].hash);
	}
	free(a->stacks);
	a->stacks = NULL;
	a->n_stacks = 0;
}

tp_account *tp_account_list_push(tp_account_list *l)
{
	tp_account init = TP_ACCOUNT_INIT;

	if (l->n == l->alloc) {
		l->alloc = l->alloc ? 2 * l->alloc : 16;
		l->items = tp_xrealloc(l->items, l->alloc * sizeof(*l->items));
	}
	l->items[l->n] = init;
	return &l->items[l->n++];
}

static int by_id(const void *a, const void *b)
{
	return strcmp(((const tp_account *)a)->id, ((const tp_account *)b)->id);
}

void tp_account_list_sort(tp_account_list *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), by_id);
}

const tp_account *tp_account_list_find(const tp_account_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i].id, id) == 0)
			return &l->items[i];
	return NULL;
}

void tp_account_list_release(tp_account_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		tp_account_release(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->alloc = 0;
}
