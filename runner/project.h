/*
 * The project a pool command acts on: tidepool.yaml, found with `-C DIR`
 * (default: the current directory) or `-c FILE`, and its account pool.
 */
#ifndef TP_PROJECT_H
#define TP_PROJECT_H

#include "accounts/pool.h"
#include "suites/config.h"

typedef struct tp_project {
	tp_config *config;       /* owned */
	tp_pool *pool;           /* owned; NULL until opened */
	int by_file;             /* found with -c FILE */
} tp_project;

#define TP_PROJECT_INIT { NULL, NULL, 0 }

/*
 * Load the configuration (`file` wins over `dir`; both NULL = ".") and open
 * its pool's store. A missing or invalid file is TP_EINVAL (exit 2), with
 * the loader's file:line:column message. `p` is left empty on error.
 */
int tp_project_open(tp_project *p, const char *dir, const char *file);

/* Free the pool and configuration; `p` is TP_PROJECT_INIT afterwards. */
void tp_project_release(tp_project *p);

/* The pool's region: the first of `regions` (the DynamoDB table, STS, Organizations). */
const char *tp_project_region(const tp_project *p);

/*
 * The arguments that make another tidepool process find this project:
 * "-c /abs/tidepool.yaml" when it was named with -c, else "-C /abs/dir",
 * each argument quoted for a shell when it needs it (caller frees).
 */
char *tp_project_locator(const tp_project *p);

/* $USER@$HOSTNAME (the host name from gethostname when HOSTNAME is unset); caller frees. */
char *tp_project_default_owner(void);

/* `s` quoted for sh and for shlex (as botocore splits credential_process) when needed; caller frees. */
char *tp_shell_quote(const char *s);

#endif
