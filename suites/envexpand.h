/*
 * `${VAR}` expansion of configuration values from the environment.
 *
 *   ${VAR}            the value of VAR; an error when VAR is unset
 *   ${VAR:-default}   VAR's value, or `default` (taken literally) when VAR
 *                     is unset or empty
 *   $$                a literal $
 *   $ anything else   kept as written ($HOME, $TIDEPOOL_JUNIT reach the shell)
 *
 * VAR is [A-Za-z_][A-Za-z0-9_]*.
 */
#ifndef TP_ENVEXPAND_H
#define TP_ENVEXPAND_H

/* An expanded value is at most this long. */
#define TP_ENVEXPAND_MAX ((size_t)1 << 20)

/*
 * Expand `in`. Returns 0 with *out a new string the caller owns, or -1
 * (TP_EINVAL) with a message such as "environment variable 'X' is not set"
 * (no position: the caller adds it) and *out NULL.
 */
int tp_envexpand(char **out, const char *in);

#endif
