/*
 * What the three SigV4 files share and nothing else includes:
 *
 *   sigv4.c        signing and presigning (the public entry points);
 *   sigv4_canon.c  canonical URI, query and headers;
 *   sigv4_keys.c   per-thread hashing contexts and the signing-key cache.
 */
#ifndef TP_SIGV4_INTERNAL_H
#define TP_SIGV4_INTERNAL_H

#include <stddef.h>

#include "aws/buf.h"
#include "aws/sigv4.h"

/*
 * Append the canonical URI of a wire-form `path` (NULL or "" = "/") to `out`.
 * With `normalize`, dot segments and empty segments are removed (as botocore
 * does: "/a/./b//c/../" -> "/a/b/"); with `double_encode`, every byte outside
 * the unreserved set and '/' is percent-encoded again ('%' -> "%25"). `tmp`
 * is scratch space. Returns 0, or -1 when a buffer cap is exceeded.
 */
int tp_sigv4__canon_uri(tp_buf *out, tp_buf *tmp, const char *path,
			int normalize, int double_encode);

/*
 * Append the canonical query of a raw query string to `out`: every key and
 * value percent-decoded then encoded with the unreserved set, pairs sorted by
 * encoded key then value, "a" read as "a=", empty segments ("a&&b") dropped.
 * Uses t->tmp1 as scratch. Returns 0, or -1 with TP_EINVAL on a malformed
 * percent escape (`out` then holds a partial result).
 */
typedef struct tp_sigv4__tls tp_sigv4__tls;
int tp_sigv4__canon_query(tp_buf *out, tp_sigv4__tls *t, const char *query);

/*
 * The headers that go into a signature: the caller's, minus the ones the
 * signer sets itself, plus the signer's. `lname` is the name lower-cased
 * (NUL-terminated, pointing into scratch space).
 */
typedef struct tp_sigv4__hdr {
	const char *lname;
	size_t lname_len;
	const char *value;
	size_t order;           /* position in the request: repeated names keep it */
} tp_sigv4__hdr;

/*
 * Lower-case and sort `h` (n entries, names still as given) by name then
 * order, using `tmp` for the lower-cased names. Returns 0 or -1 (cap).
 */
int tp_sigv4__sort_headers(tp_sigv4__hdr *h, size_t n, tp_buf *tmp);

/*
 * Append "name:value\n" for each distinct name of sorted `h` (values of a
 * repeated name joined with ','), and the signed-headers list
 * "a;b;c" to `signed_list`. Values are trimmed and whitespace runs folded to
 * one space; a value spanning lines (obsolete folding) becomes its trimmed
 * lines joined with ',', as in AWS's test suite.
 */
int tp_sigv4__canon_headers(tp_buf *out, tp_buf *signed_list,
			    const tp_sigv4__hdr *h, size_t n);

/*
 * Per-thread state of the signer: reusable digest and MAC contexts and
 * scratch buffers, created on a thread's first signature and freed when the
 * thread exits. Never NULL (allocation failure aborts, see util.h).
 */
struct tp_sigv4__tls {
	void *md;               /* EVP_MD_CTX * */
	void *mac;              /* EVP_MAC_CTX * */
	tp_buf tmp1;            /* canonical URI / query scratch */
	tp_buf names;           /* lower-cased header names */
	tp_buf headers;         /* canonical headers block */
	tp_buf signed_list;     /* "host;x-amz-date" */
	tp_buf query;           /* presign: the query with X-Amz-* added */
	tp_sigv4__hdr *hdrs;
	size_t hdrs_alloc;
};

tp_sigv4__tls *tp_sigv4__tls_get(void);

/*
 * SHA-256 and HMAC-SHA256 with the thread's reusable contexts. Return 0, or
 * -1 when libcrypto fails (error set).
 */
int tp_sigv4__sha256(tp_sigv4__tls *t, unsigned char out[32], const void *data, size_t len);
int tp_sigv4__sha256_hex(tp_sigv4__tls *t, char out[65], const void *data, size_t len);
int tp_sigv4__hmac(tp_sigv4__tls *t, unsigned char out[32], const void *key,
		   size_t keylen, const void *data, size_t len);

/*
 * The signing key for (secret, date8 "20150830", region, service), from the
 * cache or derived and cached. Returns 1 when it came from the cache, 0 when
 * derived, -1 when hashing failed.
 */
int tp_sigv4__signing_key(tp_sigv4__tls *t, unsigned char key[32], const char *secret,
			  const char *date8, const char *region, const char *service);

#endif
