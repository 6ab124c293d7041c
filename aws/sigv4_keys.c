/*
 * SigV4 hashing and the signing-key cache.
 *
 * DESIGN
 * Hashing: OpenSSL 3's one-shot SHA256()/HMAC() fetch their algorithm from
 * the provider store on every call (a lock and a hash lookup each), which
 * costs more than hashing a canonical request. So the algorithms are fetched
 * once per process, and every thread keeps its own EVP_MD_CTX / EVP_MAC_CTX
 * (plus the scratch buffers sigv4.c uses) in thread-specific data, created on
 * its first signature and freed by the key destructor when the thread exits.
 * Nothing in it is shared, so it needs no lock.
 *
 * Key cache: deriving a signing key is four HMACs, the larger part of a
 * signature's cost, and a key is valid for a whole UTC day per (secret,
 * region, service). tidepool signs for many accounts at once from a pool of
 * threads, and a request for one account may run on any thread, so a
 * per-thread cache would derive every key once per thread; instead one
 * process-wide table of KEY_SLOTS entries, protected by `cache_lock`, holds
 * the most recently used keys (least recently used is replaced). The lock is
 * held only to scan/copy 64 small entries, never while hashing.
 * An entry is identified by SHA-256(secret NUL date NUL region NUL service),
 * so the table never holds the long-lived secret itself, only keys that
 * expire with their day.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/sigv4_internal.h"
#include "aws/util.h"

#define KEY_SLOTS 64

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t tls_key;
static EVP_MD *sha256_md;       /* fetched once, never freed */
static EVP_MAC *hmac_mac;

struct key_slot {
	unsigned char id[32];
	unsigned char key[32];
	uint64_t used;          /* cache_clock at last use; 0 = empty */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct key_slot slots[KEY_SLOTS];        /* under cache_lock */
static uint64_t cache_clock;                    /* under cache_lock */

static void tls_free(void *p)
{
	tp_sigv4__tls *t = p;

	EVP_MD_CTX_free(t->md);
	EVP_MAC_CTX_free(t->mac);
	tp_buf_release(&t->tmp1);
	tp_buf_release(&t->names);
	tp_buf_release(&t->headers);
	tp_buf_release(&t->signed_list);
	tp_buf_release(&t->query);
	free(t->hdrs);
	free(t);
}

static void init_process(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (pthread_key_create(&tls_key, tls_free) != 0)
		abort();
}

static EVP_MAC_CTX *new_hmac_ctx(void)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[2];
	EVP_MAC_CTX *mac = EVP_MAC_CTX_new(hmac_mac);

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (mac && !EVP_MAC_CTX_set_params(mac, params)) {
		EVP_MAC_CTX_free(mac);
		mac = NULL;
	}
	return mac;
}

tp_sigv4__tls *tp_sigv4__tls_get(void)
{
	tp_sigv4__tls *t;

	pthread_once(&init_once, init_process);
	if (!sha256_md || !hmac_mac) {
		tp_error_set(TP_ERROR, "SigV4: libcrypto has no SHA-256/HMAC");
		return NULL;
	}
	t = pthread_getspecific(tls_key);
	if (t)
		return t;
	t = tp_xcalloc(1, sizeof(*t));
	t->md = EVP_MD_CTX_new();
	t->mac = new_hmac_ctx();
	if (!t->md || !t->mac || pthread_setspecific(tls_key, t) != 0) {
		tls_free(t);
		tp_error_set(TP_ERROR, "SigV4: cannot set up hashing contexts");
		return NULL;
	}
	return t;
}

int tp_sigv4__sha256(tp_sigv4__tls *t, unsigned char out[32], const void *data,
		     size_t len)
{
	if (!EVP_DigestInit_ex2(t->md, sha256_md, NULL) ||
	    !EVP_DigestUpdate(t->md, data, len) ||
	    !EVP_DigestFinal_ex(t->md, out, NULL))
		return tp_error_set(TP_ERROR, "SigV4: SHA-256 failed");
	return 0;
}

int tp_sigv4__sha256_hex(tp_sigv4__tls *t, char out[65], const void *data, size_t len)
{
	unsigned char md[32];

	if (tp_sigv4__sha256(t, md, data, len) < 0)
		return -1;
	tp_hex(out, md, sizeof(md));
	return 0;
}

int tp_sigv4__hmac(tp_sigv4__tls *t, unsigned char out[32], const void *key,
		   size_t keylen, const void *data, size_t len)
{
	size_t outlen = 0;

	if (!EVP_MAC_init(t->mac, key, keylen, NULL) ||
	    !EVP_MAC_update(t->mac, data, len) ||
	    !EVP_MAC_final(t->mac, out, &outlen, 32) || outlen != 32)
		return tp_error_set(TP_ERROR, "SigV4: HMAC-SHA256 failed");
	return 0;
}

/* SHA-256 over the four parts, NUL-separated (none can contain a NUL). */
static int key_id(tp_sigv4__tls *t, unsigned char id[32], const char *parts[4])
{
	size_t i;

	if (!EVP_DigestInit_ex2(t->md, sha256_md, NULL))
		return tp_error_set(TP_ERROR, "SigV4: SHA-256 failed");
	for (i = 0; i < 4; i++)
		if (!EVP_DigestUpdate(t->md, parts[i], strlen(parts[i]) + 1))
			return tp_error_set(TP_ERROR, "SigV4: SHA-256 failed");
	if (!EVP_DigestFinal_ex(t->md, id, NULL))
		return tp_error_set(TP_ERROR, "SigV4: SHA-256 failed");
	return 0;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request") */
static int derive(tp_sigv4__tls *t, unsigned char key[32], const char *parts[4])
{
	tp_buf k0 = TP_BUF_INIT;
	unsigned char k[32];
	int rc = -1;

	if (tp_buf_adds(&k0, "AWS4") < 0 || tp_buf_adds(&k0, parts[0]) < 0)
		goto done;
	if (tp_sigv4__hmac(t, k, k0.ptr, k0.len, parts[1], strlen(parts[1])) < 0 ||
	    tp_sigv4__hmac(t, k, k, 32, parts[2], strlen(parts[2])) < 0 ||
	    tp_sigv4__hmac(t, k, k, 32, parts[3], strlen(parts[3])) < 0 ||
	    tp_sigv4__hmac(t, key, k, 32, "aws4_request", 12) < 0)
		goto done;
	rc = 0;
done:
	if (k0.ptr)
		OPENSSL_cleanse(k0.ptr, k0.alloc);
	tp_buf_release(&k0);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

static int cache_lookup(const unsigned char id[32], unsigned char key[32])
{
	size_t i;
	int found = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < KEY_SLOTS; i++) {
		if (slots[i].used && memcmp(slots[i].id, id, 32) == 0) {
			memcpy(key, slots[i].key, 32);
			slots[i].used = ++cache_clock;
			found = 1;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return found;
}

/* Insert, replacing the least recently used slot (an empty one first). */
static void cache_insert(const unsigned char id[32], const unsigned char key[32])
{
	size_t i, victim = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < KEY_SLOTS; i++) {
		if (slots[i].used && memcmp(slots[i].id, id, 32) == 0) {
			victim = i;     /* another thread derived it meanwhile */
			break;
		}
		if (slots[i].used < slots[victim].used)
			victim = i;
	}
	memcpy(slots[victim].id, id, 32);
	memcpy(slots[victim].key, key, 32);
	slots[victim].used = ++cache_clock;
	pthread_mutex_unlock(&cache_lock);
}

int tp_sigv4__signing_key(tp_sigv4__tls *t, unsigned char key[32], const char *secret,
			  const char *date8, const char *region, const char *service)
{
	const char *parts[4] = { secret, date8, region, service };
	unsigned char id[32];

	if (key_id(t, id, parts) < 0)
		return -1;
	if (cache_lookup(id, key))
		return 1;
	if (derive(t, key, parts) < 0)
		return -1;
	cache_insert(id, key);
	return 0;
}

int tp_sigv4_signing_key(unsigned char key[32], const char *secret, const char *date8,
			 const char *region, const char *service)
{
	tp_sigv4__tls *t = tp_sigv4__tls_get();

	if (!t)
		return -1;
	if (!secret || !date8 || !region || !service)
		return tp_error_set(TP_EINVAL, "SigV4: signing key needs secret, date, region and service");
	return tp_sigv4__signing_key(t, key, secret, date8, region, service);
}

void tp_sigv4_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	OPENSSL_cleanse(slots, sizeof(slots));
	cache_clock = 0;
	pthread_mutex_unlock(&cache_lock);
}
