/*
 * SigV4 hashing and the signing-key cache.
 *
 * DESIGN
 * Hashing: OpenSSL's SHA256_CTX functions rather than EVP. They have been
 * deprecated since OpenSSL 3.0 but are in every 3.x libcrypto, and run the
 * same block code (SHA-NI where the CPU has it). Through EVP, copying a
 * keyed HMAC state (EVP_MD_CTX_copy_ex) frees and allocates the provider's
 * context, twice per signature, and every call pays EVP's dispatch: on the
 * bench's requests SHA256_CTX made a signature ~0.1 us faster, allocation
 * free, and lets the cache below keep states it copies by assignment.
 * HMAC is built on it (RFC 2104: two hashes over the key xored with pads).
 *
 * Per thread: the scratch buffers sigv4.c and sigv4_canon.c write into, in
 * thread-specific data created on a thread's first signature and freed by
 * the key's destructor when the thread exits. Nothing in it is shared.
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
 * sign. A string to sign begins with a 64-byte block that only changes
 * with the second and the scope ("AWS4-HMAC-SHA256\n<date>\n<scope>\n"), so
 * a slot also remembers the last such block and the inner state after it:
 * a busy signer hashes one block less. A thread copies a slot's states
 * under the lock (so eviction cannot change them mid-copy) and hashes
 * outside it, but for that first block, hashed under the lock once per
 * second and scope.
 * A slot is named by its (secret, date, region, service), compared byte for
 * byte after a 64-bit hash of them has found it in `slot_index` (open
 * addressing, rebuilt whenever a slot changes: only when a key is derived).
 * The secret is kept in the slot and wiped (OPENSSL_cleanse) when the slot
 * is replaced or the cache cleared; the derived key and states next to it
 * are as sensitive anyway.
 */
#define OPENSSL_SUPPRESS_DEPRECATED     /* SHA256_Init & co.: see DESIGN */

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/sigv4_internal.h"
#include "aws/util.h"

#define KEY_SLOTS 64
#define INDEX_SIZE 128          /* power of two, twice KEY_SLOTS: short probes */
#define BLOCK SHA256_CBLOCK     /* 64 */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t tls_key;   /* its destructor frees a thread's state ... */
static int tls_key_ok;          /* pthread_key_create succeeded */
static _Thread_local tp_sigv4__tls *current;   /* ... found through this */

struct key_slot {
	uint64_t hash;                  /* of the name, compared first */
	char *name;                     /* secret NUL date NUL region NUL service NUL */
	size_t len[4];                  /* of each part */
	unsigned char key[32];
	SHA256_CTX inner, outer;        /* after key^ipad / key^opad */
	int has_first;                  /* first_block and after_first are set */
	unsigned char first_block[BLOCK];       /* of the last string signed ... */
	SHA256_CTX after_first;         /* ... and inner after it */
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
static unsigned char slot_index[INDEX_SIZE];    /* under cache_lock: slot + 1, 0 = free */
static uint64_t cache_clock;                    /* under cache_lock */

static void tls_free(void *p)
{
	tp_sigv4__tls *t = p;

	current = NULL;         /* a later destructor that signs makes a new one */
	tp_buf_release(&t->scratch);
	tp_buf_release(&t->path);
	tp_buf_release(&t->names);
	tp_buf_release(&t->signed_list);
	tp_buf_release(&t->query);
	tp_buf_release(&t->scope);
	free(t->hdrs);
	free(t->params);
	free(t);
}

static void init_process(void)
{
	tls_key_ok = pthread_key_create(&tls_key, tls_free) == 0;
}

tp_sigv4__tls *tp_sigv4__tls_get(void)
{
	tp_sigv4__tls *t = current;

	if (t)
		return t;
	pthread_once(&init_once, init_process);
	if (!tls_key_ok) {
		tp_error_set(TP_ERROR, "SigV4: cannot set up (no thread-specific key is left)");
		return NULL;
	}
	t = tp_xcalloc(1, sizeof(*t));
	if (pthread_setspecific(tls_key, t) != 0) {
		tls_free(t);
		tp_error_set(TP_ERROR, "SigV4: cannot set up per-thread state");
		return NULL;
	}
	current = t;
	return t;
}

static int crypto_failed(const char *what)
{
	return tp_error_set(TP_ERROR, "SigV4: %s failed in libcrypto", what);
}

int tp_sigv4__sha256(unsigned char out[32], const void *data, size_t len)
{
	SHA256_CTX c;

	if (!SHA256_Init(&c) || !SHA256_Update(&c, data, len) || !SHA256_Final(out, &c))
		return crypto_failed("SHA-256");
	return 0;
}

void tp_sigv4__hex(char *out, const unsigned char *in, size_t len)
{
	static const char pairs[] =     /* byte b is pairs[2b], pairs[2b + 1] */
		"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
		"404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
		"606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
		"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
		"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
		"c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
		"e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
	size_t i;

	for (i = 0; i < len; i++)
		memcpy(out + 2 * i, pairs + 2 * (size_t)in[i], 2);
	out[2 * len] = '\0';
}

int tp_sigv4__sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];

	if (tp_sigv4__sha256(md, data, len) < 0)
		return -1;
	tp_sigv4__hex(out, md, sizeof(md));
	return 0;
}

/* inner / outer = SHA-256 after absorbing key^ipad / key^opad (RFC 2104). */
static int hmac_keyed(SHA256_CTX *inner, SHA256_CTX *outer, const void *key, size_t len)
{
	unsigned char block[BLOCK], hashed[32];
	const unsigned char *k = key;
	size_t i;
	int ok;

	if (len > BLOCK) {      /* a key longer than a block is hashed first */
		if (tp_sigv4__sha256(hashed, key, len) < 0)
			return -1;
		k = hashed;
		len = sizeof(hashed);
	}
	for (i = 0; i < BLOCK; i++)
		block[i] = (unsigned char)((i < len ? k[i] : 0) ^ 0x36);
	ok = SHA256_Init(inner) && SHA256_Update(inner, block, BLOCK);
	for (i = 0; i < BLOCK; i++)
		block[i] ^= 0x36 ^ 0x5c;
	ok = ok && SHA256_Init(outer) && SHA256_Update(outer, block, BLOCK);
	OPENSSL_cleanse(block, sizeof(block));
	OPENSSL_cleanse(hashed, sizeof(hashed));
	return ok ? 0 : crypto_failed("HMAC-SHA256");
}

/* mac = HMAC of data from keyed states (which it consumes). */
static int hmac_finish(unsigned char mac[32], SHA256_CTX *inner, SHA256_CTX *outer,
		       const void *data, size_t len)
{
	unsigned char ih[32];

	if (!SHA256_Update(inner, data, len) || !SHA256_Final(ih, inner) ||
	    !SHA256_Update(outer, ih, sizeof(ih)) || !SHA256_Final(mac, outer))
		return crypto_failed("HMAC-SHA256");
	return 0;
}

static int hmac(unsigned char mac[32], const void *key, size_t keylen, const void *data,
		size_t len)
{
	SHA256_CTX inner, outer;
	int rc;

	rc = hmac_keyed(&inner, &outer, key, keylen) < 0 ? -1
	     : hmac_finish(mac, &inner, &outer, data, len);
	OPENSSL_cleanse(&inner, sizeof(inner));
	OPENSSL_cleanse(&outer, sizeof(outer));
	return rc;
}

/* The first and the last eight bytes of s[0..len) (zero-padded when shorter). */
static uint64_t ends_of(const char *s, size_t len)
{
	uint64_t first = 0, last = 0;

	memcpy(&first, s, len < 8 ? len : 8);
	if (len > 8)
		memcpy(&last, s + len - 8, 8);
	return first ^ (last * 0x9e3779b97f4a7c15ULL);
}

/*
 * The parts, their lengths, and a hash of them for the index. It is only a
 * filter (slot_is compares the bytes), so it mixes each part's length and
 * its first and last eight bytes, which tell apart secrets (random),
 * regions ("us-east-1", "us-east-2") and services: a full hash of some
 * 60 bytes costs more than the rest of a lookup.
 */
static void key_name_init(struct key_name *n, const tp_sigv4__key *k)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < 4; i++) {
		n->part[i] = k->part[i];
		n->len[i] = k->len[i];
		h = (h ^ ends_of(k->part[i], k->len[i]) ^ k->len[i]) * 1099511628211ULL;
	}
	n->hash = h ^ (h >> 29);        /* the index uses the low bits */
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

/* The slot named n, or NULL; cache_lock held. */
static struct key_slot *find_slot(const struct key_name *n)
{
	size_t i;

	for (i = n->hash & (INDEX_SIZE - 1); slot_index[i]; i = (i + 1) & (INDEX_SIZE - 1)) {
		struct key_slot *s = &slots[slot_index[i] - 1];

		if (slot_is(s, n))
			return s;
	}
	return NULL;
}

/* Index every used slot by its hash; cache_lock held. */
static void rebuild_index(void)
{
	size_t i, j;

	memset(slot_index, 0, sizeof(slot_index));
	for (i = 0; i < KEY_SLOTS; i++) {
		if (!slots[i].used)
			continue;
		for (j = slots[i].hash & (INDEX_SIZE - 1); slot_index[j];
		     j = (j + 1) & (INDEX_SIZE - 1))
			;
		slot_index[j] = (unsigned char)(i + 1);
	}
}

static void slot_clear(struct key_slot *s)
{
	if (s->name)
		OPENSSL_cleanse(s->name, s->len[0] + s->len[1] + s->len[2] + s->len[3] + 4);
	free(s->name);
	OPENSSL_cleanse(s, sizeof(*s));
	memset(s, 0, sizeof(*s));
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request") */
static int derive(unsigned char key[32], const struct key_name *n)
{
	const char *const *parts = n->part;
	tp_buf k0 = TP_BUF_INIT;
	unsigned char k[32];
	int rc = -1;

	if (tp_buf_add(&k0, "AWS4", 4) < 0 || tp_buf_add(&k0, parts[0], n->len[0]) < 0)
		goto done;
	if (hmac(k, k0.ptr, k0.len, parts[1], n->len[1]) < 0 ||
	    hmac(k, k, 32, parts[2], n->len[2]) < 0 ||
	    hmac(k, k, 32, parts[3], n->len[3]) < 0 ||
	    hmac(key, k, 32, "aws4_request", 12) < 0)
		goto done;
	rc = 0;
done:
	if (k0.ptr)
		OPENSSL_cleanse(k0.ptr, k0.alloc);
	tp_buf_release(&k0);
	OPENSSL_cleanse(k, sizeof(k));
	return rc;
}

/* What a signature takes from a slot. */
struct keyed {
	unsigned char key[32];
	SHA256_CTX inner, outer;
};

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
 * Cache `k` under n, replacing the least recently used slot (an empty one
 * first), unless another thread cached it meanwhile.
 */
static void cache_insert(const struct key_name *n, const struct keyed *k)
{
	struct key_slot *s;
	size_t i;

	pthread_mutex_lock(&cache_lock);
	s = find_slot(n);
	if (!s) {
		s = &slots[0];
		for (i = 1; i < KEY_SLOTS && s->used; i++)
			if (slots[i].used < s->used)
				s = &slots[i];
		slot_clear(s);
		s->name = slot_name(n);
		s->hash = n->hash;
		memcpy(s->len, n->len, sizeof(s->len));
		memcpy(s->key, k->key, 32);
		s->inner = k->inner;
		s->outer = k->outer;
		s->used = ++cache_clock;
		rebuild_index();
	}
	pthread_mutex_unlock(&cache_lock);
}

/*
 * k = the signing key named n and its keyed HMAC states: from the cache
 * (1), or derived and cached (0); -1 on failure.
 */
static int signing_key(struct keyed *k, const struct key_name *n)
{
	struct key_slot *s;

	pthread_mutex_lock(&cache_lock);
	s = find_slot(n);
	if (s) {
		s->used = ++cache_clock;
		memcpy(k->key, s->key, 32);
		k->inner = s->inner;
		k->outer = s->outer;
	}
	pthread_mutex_unlock(&cache_lock);
	if (s)
		return 1;
	if (derive(k->key, n) < 0 || hmac_keyed(&k->inner, &k->outer, k->key, 32) < 0)
		return -1;
	cache_insert(n, k);
	return 0;
}

/*
 * inner / outer = the keyed states of `name`'s slot, inner already fed with
 * the first block of data when that block is the one the slot remembers
 * (*skip = BLOCK then, else 0). A slot that remembers no block, or another
 * one, is given data's. Returns 1 when the slot exists, 0 when not.
 */
static int cached_states(SHA256_CTX *inner, SHA256_CTX *outer, size_t *skip,
			 const struct key_name *n, const unsigned char *data, size_t len)
{
	struct key_slot *s;

	*skip = 0;
	pthread_mutex_lock(&cache_lock);
	s = find_slot(n);
	if (s) {
		s->used = ++cache_clock;
		*outer = s->outer;
		if (len < BLOCK) {
			*inner = s->inner;
		} else if (s->has_first && memcmp(s->first_block, data, BLOCK) == 0) {
			*inner = s->after_first;
			*skip = BLOCK;
		} else {
			s->after_first = s->inner;
			s->has_first = SHA256_Update(&s->after_first, data, BLOCK);
			memcpy(s->first_block, data, BLOCK);
			*inner = s->has_first ? s->after_first : s->inner;
			*skip = s->has_first ? BLOCK : 0;
		}
	}
	pthread_mutex_unlock(&cache_lock);
	return s != NULL;
}

int tp_sigv4__sign_string(unsigned char mac[32], const tp_sigv4__key *k,
			  const void *data, size_t len)
{
	struct key_name n;
	struct keyed kd;
	size_t skip;
	int rc = 1;

	key_name_init(&n, k);
	if (!cached_states(&kd.inner, &kd.outer, &skip, &n, data, len)) {
		rc = signing_key(&kd, &n);
		OPENSSL_cleanse(kd.key, sizeof(kd.key));
		if (rc < 0)
			return -1;
	}
	if (hmac_finish(mac, &kd.inner, &kd.outer, (const char *)data + skip, len - skip) < 0)
		return -1;
	return rc;
}

int tp_sigv4_signing_key(unsigned char key[32], const char *secret, const char *date8,
			 const char *region, const char *service)
{
	tp_sigv4__key k = { { secret, date8, region, service }, { 0, 0, 0, 0 } };
	struct key_name n;
	struct keyed kd;
	size_t i;
	int rc;

	if (!secret || !date8 || !region || !service)
		return tp_error_set(TP_EINVAL, "SigV4: a signing key needs secret, date, region and service");
	for (i = 0; i < 4; i++)
		k.len[i] = strlen(k.part[i]);
	key_name_init(&n, &k);
	rc = signing_key(&kd, &n);
	if (rc >= 0)
		memcpy(key, kd.key, 32);
	OPENSSL_cleanse(&kd, sizeof(kd));
	return rc;
}

void tp_sigv4_cache_clear(void)
{
	size_t i;

	pthread_mutex_lock(&cache_lock);
	for (i = 0; i < KEY_SLOTS; i++)
		slot_clear(&slots[i]);
	memset(slot_index, 0, sizeof(slot_index));
	cache_clock = 0;
	pthread_mutex_unlock(&cache_lock);
}
