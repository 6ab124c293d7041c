/*
 * Content hashes of stacks (DESIGN.md, "Deploying stacks"): what the
 * deployer compares with the `tidepool:hash` tag of a deployed stack to
 * decide whether it must deploy at all.
 *
 * The hash is SHA-256 over, in this order and each field length-prefixed
 * (so no two different inputs meet by concatenation):
 *   - a version string ("tidepool-stack-hash/1");
 *   - the template's bytes (template stacks) or the command string (command
 *     stacks), marked by kind;
 *   - the parameters sorted by name (name, value);
 *   - the capabilities, sorted;
 *   - the stack's own tags sorted by key (key, value);
 *   - every file under `watch`, recursively, sorted by path: its path
 *     relative to the project directory (the watch entry as written, "./"
 *     and trailing "/" dropped, then the path inside it, '/'-separated) and
 *     its bytes. A symbolic link is hashed as its target text, never
 *     followed. Directories count only through their files (an empty one
 *     changes nothing; git cannot hold one either), as do ownership,
 *     permissions and times. Version-control and bytecode-cache
 *     directories (.git, .hg, .svn, __pycache__) are skipped: they change
 *     without the sources changing. A file reached through two watch
 *     entries is hashed once.
 * Sorting is bytewise (strcmp), never locale-dependent, so the hash is the
 * same on every machine and for every order the file system lists in.
 *
 * The stack's name, its depends_on and the project are not part of it.
 */
#ifndef TP_HASH_H
#define TP_HASH_H

#include <stddef.h>

#include "suites/config.h"

#define TP_STACK_HASH_HEX 65   /* 64 lower-case hex digits and a NUL */

/*
 * The content hash of `s` (a stack of `c`), reading its template from
 * s->template_path and the watched files from disk. `template` / `len`
 * may give the template's bytes already read (then the file is not read
 * again); NULL = read it.
 *
 * Returns 0 with `out` set, or TP_EINVAL (a watched path or the template is
 * missing or unreadable) with "FILE:LINE:COL: stacks[i].watch[j]: PATH:
 * reason", naming where tidepool.yaml wrote it. `out` is unchanged on error.
 */
int tp_stack_hash(char out[TP_STACK_HASH_HEX], const tp_config *c, const tp_config_stack *s,
		  const char *template, size_t len);

#endif
