/*
 * Helpers shared by the tests: temporary directories, files, environment,
 * and running the tidepool binary.
 */
#ifndef TP_TESTUTIL_H
#define TP_TESTUTIL_H

#include <stddef.h>

/* A fresh directory under $TMPDIR (or /tmp); caller frees the path. */
char *tp_test_tmpdir(const char *tag);

/* Remove a directory tree (best effort). */
void tp_test_rmtree(const char *path);

/* Write `data` to dir/name (creating parent dirs); returns the full path (caller frees). */
char *tp_test_write_file(const char *dir, const char *name, const char *data);

/* Path of a file in the source tree: TP_SOURCE_DIR "/" rel (caller frees). */
char *tp_test_source_path(const char *rel);

/* Path of the tidepool binary ($TIDEPOOL, or build dir's tidepool). */
const char *tp_test_tidepool_bin(void);

/* setenv each "NAME=value" of envp_add (NULL-terminated); "NAME=" unsets NAME. */
void tp_test_apply_env(char *const envp_add[]);

/*
 * Run argv (argv[0] resolved through PATH) with `envp` additions
 * ("NAME=value", NULL-terminated; "NAME=" with nothing after unsets NAME) and
 * stdin from /dev/null. Captures stdout/stderr (caller frees). Returns the
 * exit status (128+signal when killed), -1 when it could not start.
 */
int tp_test_run(char *const argv[], char *const envp_add[], char **out, char **err);

#endif
