/*
 * SigV4 hashing and the signing-key cache.
 *
 * DESIGN
 * Hashing: OpenSSL 3's one-shot SHA256()/HMAC() fetch their algorithm from
 * the provider store on every call (a lock and a lookup each), which costs
 * more than hashing a canonical request. So the algorithms are fetched once
 * per process, and every thread keeps its own EVP_MD_CTX / EVP_MAC_CTX (plus
 * the scratch buffers sigv4.c uses) in thread-specific data, created on its
 * first signature and freed by the key's destructor when the thread exits.
 * Nothing in it is shared, so it needs no lock.
 *
 * Key cache: deriving a signing key takes four HMACs, and keying the final
 * HMAC two more compressions; a key is good for a whole UTC day per
 * (secret, region, service). tidepool signs for many accounts at once from
 * a pool of threads, and a request for one account may run on any thread,
 * so a per-thread cache would derive every key once per thread; instead one
 * process-wide table of KEY_SLOTS entries, protected by `cache_lock`, keeps
 * the most recently used keys (the least recently used is replaced). A slot
 * holds the key as two SHA-256 states already fed with the HMAC inner and
 * outer pads, so a signature costs only the compressions of the string to
 * sign. A thread copies a slot's states into its own contexts under the
 * lock (so eviction cannot free them mid-copy) and hashes outside it.
 * A slot is named by its (secret, date, region, service), compared byte for
 * byte: hashing them into a name would cost more than the rest of a cached
 * signature. The secret is kept in the slot and wiped (OPENSSL_cleanse) when
 * the slot is replaced or the cache cleared; the derived key next to it is
 * as sensitive anyway.
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
#define SHA256_BLOCK 64

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t tls_key;
static int tls_key_ok;          /* pthread_key_create succeeded */
static EVP_MD *sha256_md;       /* fetched once, never freed */
static EVP_MAC *hmac_mac;

struct key_slot {
	uint64_t hash;                  /* of the name, compared first */
	char *name;                     /* secret NUL date NUL region NUL service NUL */
	size_t len[4];                  /* of each part */
	unsigned char key[32];
	EVP_MD_CTX *inner, *outer;      /* SHA-256 after key^ipad / key^opad */
	uint64_t used;                  /* cache_clock at last use; 0 = empty */
};

/* What a slot is looked up by: the four parts, their lengths, a hash. */
struct key_name {
	const char *part[4];
	size_t len[4];
	uint64_t hash;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct key_slot slots[KEY_SLOTS];        /* under cache_lock */
static uint64_t cache_clock;                    /* under cache_lock */

static void tls_free(void *p)
{
	tp_sigv4__tls *t = p;

	EVP_MD_CTX_free(t->md);
	EVP_MD_CTX_free(t->inner);
	EVP_MD_CTX_free(t->outer);
	EVP_MAC_CTX_free(t->mac);
	tp_buf_release(&t->tmp1);
	tp_buf_release(&t->names);
	tp_buf_release(&t->headers);
	tp_buf_release(&t->signed_list);
	tp_buf_release(&t->query);
	tp_buf_release(&t->scope);
	tp_buf_release(&t->uri);
	tp_buf_release(&t->canon_query);
	free(t->hdrs);
	free(t->params);
	free(t);
}

static void init_process(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	tls_key_ok = pthread_key_create(&tls_key, tls_free) == 0;
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
	if (!sha256_md || !hmac_mac || !tls_key_ok) {
		tp_error_set(TP_ERROR, "SigV4: cannot set up (libcrypto has no SHA-256/HMAC, "
			     "or no thread-specific key is left)");
		return NULL;
	}
	t = pthread_getspecific(tls_key);
	if (t)
		return t;
	t = tp_xcalloc(1, sizeof(*t));
	t->md = EVP_MD_CTX_new();
	t->inner = EVP_MD_CTX_new();
	t->outer = EVP_MD_CTX_new();
	t->mac = new_hmac_ctx();
	if (!t->md || !t->inner || !t->outer || !t->mac ||
	    pthread_setspecific(tls_key, t) != 0) {
		tls_free(t);
		tp_error_set(TP_ERROR, "SigV4: cannot set up hashing contexts");
		return NULL;
	}
	return t;
}

static int crypto_failed(const char *what)
{
	return tp_error_set(TP_ERROR, "SigV4: %s failed in libcrypto", what);
}

int tp_sigv4__sha256(tp_sigv4__tls *t, unsigned char out[32], const void *data,
		     size_t len)
{
	if (!EVP_DigestInit_ex2(t->md, sha256_md, NULL) ||
	    !EVP_DigestUpdate(t->md, data, len) ||
	    !EVP_DigestFinal_ex(t->md, out, NULL))
		return crypto_failed("SHA-256");
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
		return crypto_failed("HMAC-SHA256");
	return 0;
}

/*
 * The parts, their lengths, and a hash of them taken eight bytes at a time
 * (FNV-1a's multiply over words): only a filter, the bytes decide.
 */
static void key_name_init(struct key_name *n, const tp_sigv4__key *k)
{
	uint64_t h = 14695981039346656037ULL, w;
	size_t i, off;

	n->part[0] = k->secret;
	n->part[1] = k->date8;
	n->part[2] = k->region;
	n->part[3] = k->service;
	for (i = 0; i < 4; i++) {
		n->len[i] = strlen(n->part[i]);
		for (off = 0; off < n->len[i]; off += sizeof(w)) {
			w = 0;
			memcpy(&w, n->part[i] + off,
			       n->len[i] - off < sizeof(w) ? n->len[i] - off : sizeof(w));
			h = (h ^ w) * 1099511628211ULL;
		}
		h = (h ^ n->len[i]) * 1099511628211ULL;
	}
	n->hash = h;
}

static int slot_is(const struct key_slot *s, const struct key_name *n)
{
	const char *p = s->name;
	size_t i;

	if (!s->used || s->hash != n->hash)
		return 0;
	for (i = 0; i < 4; i++) {
		if (s->len[i] != n->len[i] || memcmp(p, n->part[i], n->len[i]) != 0)
			return 0;
		p += n->len[i] + 1;
	}
	return 1;
}

static void slot_clear(struct key_slot *s)
{
	if (s->name)
		OPENSSL_cleanse(s->name, s->len[0] + s->len[1] + s->len[2] + s->len[3] + 4);
	free(s->name);
	EVP_MD_CTX_free(s->inner);
	EVP_MD_CTX_free(s->outer);
	OPENSSL_cleanse(s, sizeof(*s));
	memset(s, 0, sizeof(*s));
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request") */
static int derive(tp_sigv4__tls *t, unsigned char key[32], const struct key_name *n)
{
	const char *const *parts = n->part;
	tp_buf k0 = TP_BUF_INIT;
	unsigned char k[32];
	int rc = -1;

	if (tp_buf_add(&k0, "AWS4", 4) < 0 || tp_buf_add(&k0, parts[0], n->len[0]) < 0)
		goto done;
	if (tp_sigv4__hmac(t, k, k0.ptr, k0.len, parts[1], n->len[1]) < 0 ||
	    tp_sigv4__hmac(t, k, k, 32, parts[2], n->len[2]) < 0 ||
	    tp_sigv4__hmac(t, k, k, 32, parts[3], n->len[3]) < 0 ||
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

/* ctx = SHA-256 state after absorbing the 32-byte key padded and xored with pad. */
static int keyed_state(EVP_MD_CTX *ctx, const unsigned char key[32], unsigned char pad)
{
	unsigned char block[SHA256_BLOCK];
	size_t i;
	int ok;

	for (i = 0; i < sizeof(block); i++)
		block[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ pad);
	ok = EVP_DigestInit_ex2(ctx, sha256_md, NULL) &&
	     EVP_DigestUpdate(ctx, block, sizeof(block));
	OPENSSL_cleanse(block, sizeof(block));
	return ok ? 0 : crypto_failed("SHA-256");
}

/* Copy a slot's key into the thread's contexts (and key); cache_lock held. */
static int take_slot(tp_sigv4__tls *t, struct key_slot *s, unsigned char *key)
{
	if (key)
		memcpy(key, s->key, 32);
	s->used = ++cache_clock;
	if (!EVP_MD_CTX_copy_ex(t->inner, s->inner) || !EVP_MD_CTX_copy_ex(t->outer, s->outer))
		return crypto_failed("SHA-256 copy");
	return 0;
}

/* Look n up: 1 and the thread's contexts keyed when found, 0 when not, -1. */
static int cache_lookup(tp_sigv4__tls *t, const struct key_name *n, unsigned char *key)
{
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < KEY_SLOTS; i++) {
		if (slot_is(&slots[i], n)) {
			rc = take_slot(t, &slots[i], key) < 0 ? -1 : 1;
			break;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

/* "secret\0date\0region\0service\0", for a slot. */
static char *slot_name(const struct key_name *n)
{
	size_t i, total = n->len[0] + n->len[1] + n->len[2] + n->len[3] + 4;
	char *name = tp_xmalloc(total), *p = name;

	for (i = 0; i < 4; i++) {
		memcpy(p, n->part[i], n->len[i] + 1);
		p += n->len[i] + 1;
	}
	return name;
}

/*
 * Cache the thread's freshly keyed contexts under n, replacing the least
 * recently used slot (an empty one first). A failure to cache is no error:
 * the key is simply derived again next time.
 */
static void cache_insert(tp_sigv4__tls *t, const struct key_name *n,
			 const unsigned char key[32])
{
	EVP_MD_CTX *inner = EVP_MD_CTX_new(), *outer = EVP_MD_CTX_new();
	struct key_slot *s = &slots[0];
	size_t i;

	if (!inner || !outer || !EVP_MD_CTX_copy_ex(inner, t->inner) ||
	    !EVP_MD_CTX_copy_ex(outer, t->outer)) {
		EVP_MD_CTX_free(inner);
		EVP_MD_CTX_free(outer);
		return;
	}
	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < KEY_SLOTS; i++) {
		if (slot_is(&slots[i], n)) {
			s = &slots[i];  /* another thread derived it meanwhile */
			break;
		}
		if (slots[i].used < s->used)
			s = &slots[i];
	}
	slot_clear(s);
	s->name = slot_name(n);
	s->hash = n->hash;
	memcpy(s->len, n->len, sizeof(s->len));
	memcpy(s->key, key, 32);
	s->inner = inner;
	s->outer = outer;
	s->used = ++cache_clock;
	pthread_mutex_unlock(&cache_lock);
}

/*
 * Key t->inner / t->outer for k's signing key, and copy the key to `key`
 * unless NULL: from the cache (1) or derived and cached (0); -1 on failure.
 */
static int signing_key(tp_sigv4__tls *t, unsigned char *key, const tp_sigv4__key *k)
{
	unsigned char derived[32];
	struct key_name n;
	int rc;

	key_name_init(&n, k);
	rc = cache_lookup(t, &n, key);
	if (rc != 0)
		return rc;
	rc = derive(t, derived, &n) < 0 || keyed_state(t->inner, derived, 0x36) < 0 ||
	     keyed_state(t->outer, derived, 0x5c) < 0 ? -1 : 0;
	if (rc == 0) {
		cache_insert(t, &n, derived);
		if (key)
			memcpy(key, derived, 32);
	}
	OPENSSL_cleanse(derived, sizeof(derived));
	return rc;
}

int tp_sigv4__sign_string(tp_sigv4__tls *t, unsigned char mac[32], const tp_sigv4__key *k,
			  const void *data, size_t len)
{
	unsigned char inner[32];
	int rc = signing_key(t, NULL, k);

	if (rc < 0)
		return -1;
	if (!EVP_DigestUpdate(t->inner, data, len) ||
	    !EVP_DigestFinal_ex(t->inner, inner, NULL) ||
	    !EVP_DigestUpdate(t->outer, inner, sizeof(inner)) ||
	    !EVP_DigestFinal_ex(t->outer, mac, NULL))
		return crypto_failed("HMAC-SHA256");
	return rc;
}

int tp_sigv4_signing_key(unsigned char key[32], const char *secret, const char *date8,
			 const char *region, const char *service)
{
	const tp_sigv4__key k = { secret, date8, region, service };
	tp_sigv4__tls *t;

	if (!secret || !date8 || !region || !service)
		return tp_error_set(TP_EINVAL, "SigV4: a signing key needs secret, date, region and service");
	t = tp_sigv4__tls_get();
	if (!t)
		return -1;
	return signing_key(t, key, &k);
}

void tp_sigv4_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < KEY_SLOTS; i++)
		slot_clear(&slots[i]);
	cache_clock = 0;
	pthread_mutex_unlock(&cache_lock);
}
