/*
 * The project model as written in tidepool.yaml (DESIGN.md, "Configuration").
 *
 *   tp_config *c = NULL;
 *   if (tp_config_load_dir(&c, "examples/shop") < 0)
 *       die(tp_error_last()->msg);     // "FILE:LINE:COL: KEY.PATH: what is wrong"
 *   ...
 *   tp_config_free(c);
 *
 * Loading validates the whole schema: unknown keys (with a "did you mean"),
 * types, durations, `${VAR}` expansion, references between stacks and suites,
 * `depends_on` cycles. Every error is TP_EINVAL with a message that starts with
 * `file:line:column:` and names the key path (`stacks[1].depends_on`). Only the
 * first error is reported.
 *
 * Ownership: a tp_config owns every string and array reachable from it; all
 * of it is freed by tp_config_free and nothing may be freed separately. The
 * struct is read-only for its users once loaded; it is safe to read from many
 * threads at once.
 *
 * Environment: `${VAR}` in any scalar value (not in keys) is replaced by the
 * variable's value, `${VAR:-default}` uses `default` when VAR is unset or
 * empty, `$$` is a literal `$`. A `$` followed by anything else (`$HOME`) is
 * kept as written, so shell variables in commands reach the shell.
 *
 * A key written with no value (`template:` or `template: ~`) counts as absent.
 */
#ifndef TP_CONFIG_H
#define TP_CONFIG_H

#include <regex.h>
#include <stddef.h>
#include <time.h>

/* Where something was written: 1-based line and column in tp_config.path. */
typedef struct tp_config_mark {
	unsigned line;
	unsigned column;
} tp_config_mark;

/* A list of strings; marks[i] is where items[i] was written (0:0 for a default). */
typedef struct tp_config_list {
	char **items;
	tp_config_mark *marks;
	size_t n;
} tp_config_list;

/* One entry of a map, in the order written; mark is where the key was written. */
typedef struct tp_config_pair {
	char *key;
	char *value; /* scalars are kept as their text: 3 -> "3", true -> "true" */
	tp_config_mark mark;
} tp_config_pair;

/* A string -> string map that keeps the order of the file. Keys are unique. */
typedef struct tp_config_map {
	tp_config_pair *items;
	size_t n;
} tp_config_map;

typedef enum tp_config_store_kind {
	TP_CONFIG_STORE_SQLITE,   /* sqlite:PATH */
	TP_CONFIG_STORE_DYNAMODB  /* dynamodb:TABLE */
} tp_config_store_kind;

typedef struct tp_config_pool {
	char *store;                 /* as written; default "sqlite:.tidepool/pool.db" */
	tp_config_store_kind store_kind;
	char *store_target;          /* SQLite: the database path resolved against
	                                tp_config.dir; DynamoDB: the table name */
	char *role;                  /* default "OrganizationAccountAccessRole" */
	tp_config_list accounts;     /* 12-digit ids; empty when not given */
	char *organizational_unit;   /* NULL when not given (never both with accounts) */
	long lease_ttl;              /* seconds; default 2h */
	tp_config_list blocklist;    /* 12-digit ids, never leased, never nuked */
	tp_config_mark mark;         /* where `pool:` was written */
} tp_config_pool;

typedef struct tp_config_stack {
	char *name;                  /* [A-Za-z][A-Za-z0-9-]* */
	char *template;              /* as written, NULL for a command stack */
	char *template_path;         /* resolved against tp_config.dir, or NULL */
	char *command;               /* NULL for a template stack */
	tp_config_map parameters;    /* file order */
	tp_config_list capabilities; /* CAPABILITY_IAM, CAPABILITY_NAMED_IAM, CAPABILITY_AUTO_EXPAND */
	tp_config_map tags;
	tp_config_list watch;        /* as written */
	char **watch_paths;          /* watch.n paths resolved against tp_config.dir */
	tp_config_list depends_on;   /* names of stacks in tp_config.stacks */
	tp_config_mark mark;         /* where this list item (the stack's map) starts */
} tp_config_stack;

typedef struct tp_config_suite {
	char *name;                  /* [A-Za-z0-9][A-Za-z0-9._-]* */
	char *command;
	tp_config_list stacks;       /* names of stacks in tp_config.stacks */
	long timeout;                /* seconds; default 30m */
	int retries;                 /* 0..100; default 0 */
	tp_config_list tags;
	tp_config_map env;           /* extra environment; no AWS_* or TIDEPOOL_* names */
	tp_config_mark mark;
} tp_config_suite;

typedef enum tp_config_match {
	TP_CONFIG_MATCH_EXACT,
	TP_CONFIG_MATCH_GLOB,        /* fnmatch(3) */
	TP_CONFIG_MATCH_REGEX        /* POSIX extended, compiled in name_re / arn_re */
} tp_config_match;

/*
 * A protect rule: a resource is protected when every criterion given matches
 * (or, with invert, when not all of them match). At least one of type, name,
 * arn, tag, created_after is given.
 */
typedef struct tp_config_protect {
	char *type;                  /* resource type such as "S3Bucket", or NULL */
	char *name;                  /* pattern for the resource's name, or NULL */
	char *arn;                   /* pattern for the resource's ARN, or NULL */
	tp_config_match match;       /* how name and arn compare; default exact */
	regex_t name_re;             /* valid when has_name_re */
	regex_t arn_re;              /* valid when has_arn_re */
	int has_name_re;
	int has_arn_re;
	char *tag;                   /* as written ("keep=true"), or NULL */
	char *tag_key;               /* before the first '=' (non-empty) */
	char *tag_value;             /* after it; a glob (fnmatch) */
	time_t created_after;        /* 0 when not given */
	int invert;
	tp_config_mark mark;         /* where the rule starts */
	tp_config_mark type_mark;    /* where type was written (when given) */
} tp_config_protect;

typedef enum tp_config_cleaner_mode {
	TP_CONFIG_CLEAN_KEEP_STACKS, /* "keep-stacks" (default) */
	TP_CONFIG_CLEAN_FULL         /* "full" */
} tp_config_cleaner_mode;

typedef struct tp_config_cleaner {
	tp_config_cleaner_mode mode;
	tp_config_protect *protect;
	size_t n_protect;
	tp_config_list include;      /* resource_types.include: empty = every type */
	tp_config_list exclude;      /* resource_types.exclude */
	int allow_prod_alias;        /* default 0: refuse accounts whose alias contains "prod" */
} tp_config_cleaner;

typedef struct tp_config {
	char *path;                  /* the file as given (used in every message) */
	char *dir;                   /* its directory, absolute when it exists */
	char *project;               /* default: the last component of dir */
	tp_config_list regions;      /* at least one; default us-east-1; the first is AWS_REGION */
	tp_config_pool pool;
	tp_config_stack *stacks;
	size_t n_stacks;
	tp_config_suite *suites;
	size_t n_suites;
	tp_config_cleaner cleaner;
} tp_config;

/* Larger inputs are rejected before parsing. */
#define TP_CONFIG_MAX_BYTES ((size_t)4 << 20)

/*
 * Load and validate the file at `path`. On success *out is a new tp_config
 * the caller owns (free with tp_config_free). On any error returns -1 with
 * TP_EINVAL and the message in tp_error_last(), and leaves *out NULL. Errors
 * in the file start "PATH:LINE:COLUMN: "; a file that cannot be read gives
 * "PATH: cannot read: REASON". Files over TP_CONFIG_MAX_BYTES are refused.
 */
int tp_config_load(tp_config **out, const char *path);

/*
 * Load DIR/tidepool.yaml, or DIR/tidepool.yml when only that exists (the
 * path in messages is DIR joined with the name). As tp_config_load; with
 * neither file: "DIR: no tidepool.yaml (or tidepool.yml) in this directory".
 */
int tp_config_load_dir(tp_config **out, const char *dir);

/*
 * Validate `len` bytes of YAML as if read from the file `name` (which need
 * not exist: it names messages and its directory anchors relative paths).
 * `data` need not be NUL-terminated. As tp_config_load.
 */
int tp_config_parse(tp_config **out, const char *name, const char *data, size_t len);

/* Free everything; NULL is a no-op. */
void tp_config_free(tp_config *c);

/* The stack / suite called `name`, or NULL. Linear in the number of them. */
const tp_config_stack *tp_config_find_stack(const tp_config *c, const char *name);
const tp_config_suite *tp_config_find_suite(const tp_config *c, const char *name);

/*
 * Check every resource type named in cleaner.protect[].type and
 * cleaner.resource_types against the cleaner's registry: `known(type)`
 * returns nonzero for a type it has. `names` (n_names entries) are offered
 * as "did you mean" suggestions; known may be NULL, then a type is known
 * when it is one of `names`. Returns 0, or -1 (TP_EINVAL) with
 * "FILE:LINE:COL: cleaner.protect[2].type: unknown resource type 'S3Buckt'
 * (did you mean 'S3Bucket'?)" for the first unknown one.
 */
int tp_config_validate_types(const tp_config *c, int (*known)(const char *type),
			     const char *const *names, size_t n_names);

#endif
