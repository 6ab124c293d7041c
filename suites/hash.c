/*
 * Stack content hashes (suites/hash.h): a framed SHA-256 stream. Every
 * field is a one-byte tag, its length as 8 bytes big-endian, then its
 * bytes; lists start with a tag and their item count the same way.
 * Watched files are collected first (lstat, readdir), sorted by path with
 * strcmp, deduplicated, then streamed in with their size as the frame
 * length; a file whose size changes while it is read is an error rather
 * than a hash of half of it.
 */
#include "suites/hash.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

#define HASH_VERSION "tidepool-stack-hash/1"
#define MAX_DEPTH 128

typedef struct entry {
	char *rel;      /* hashed path */
	char *abs;      /* where to read it */
	int symlink;
	size_t watch_i; /* the watch entry it came from, for messages */
} entry;

typedef struct walk {
	entry *v;
	size_t n, alloc;
	const tp_config *c;
	const tp_config_stack *s;
	size_t watch_i;      /* the watch entry being walked, for messages */
} walk;

/* ---- framing ---------------------------------------------------------------- */

static void frame(EVP_MD_CTX *md, char tag, uint64_t len)
{
	unsigned char h[9];
	int i;

	h[0] = (unsigned char)tag;
	for (i = 0; i < 8; i++)
		h[1 + i] = (unsigned char)(len >> (56 - 8 * i));
	EVP_DigestUpdate(md, h, sizeof(h));
}

static void field(EVP_MD_CTX *md, char tag, const void *data, size_t len)
{
	frame(md, tag, len);
	if (len)
		EVP_DigestUpdate(md, data, len);
}

static void field_str(EVP_MD_CTX *md, char tag, const char *s)
{
	field(md, tag, s, strlen(s));
}

/* ---- sorted views of the config's lists ------------------------------------ */

static int cmp_pair(const void *a, const void *b)
{
	return strcmp((*(const tp_config_pair *const *)a)->key,
		      (*(const tp_config_pair *const *)b)->key);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void hash_map(EVP_MD_CTX *md, char tag, const tp_config_map *m)
{
	const tp_config_pair **v = tp_xcalloc(m->n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < m->n; i++)
		v[i] = &m->items[i];
	qsort(v, m->n, sizeof(*v), cmp_pair);
	frame(md, tag, m->n);
	for (i = 0; i < m->n; i++) {
		field_str(md, 'k', v[i]->key);
		field_str(md, 'v', v[i]->value ? v[i]->value : "");
	}
	free(v);
}

static void hash_list(EVP_MD_CTX *md, char tag, const tp_config_list *l)
{
	const char **v = tp_xcalloc(l->n + 1, sizeof(*v));
	size_t i;

	for (i = 0; i < l->n; i++)
		v[i] = l->items[i];
	qsort(v, l->n, sizeof(*v), cmp_str);
	frame(md, tag, l->n);
	for (i = 0; i < l->n; i++)
		field_str(md, 'a', v[i]);
	free(v);
}

/* ---- watched files ------------------------------------------------------------ */

static int watch_error(const walk *w, size_t watch_i, const char *path, const char *reason)
{
	const tp_config_list *l = &w->s->watch;
	tp_config_mark m = l->marks ? l->marks[watch_i] : w->s->mark;

	return tp_error_set(TP_EINVAL, "%s:%u:%u: stacks[%zu].watch[%zu]: %s: %s", w->c->path,
			    m.line, m.column, (size_t)(w->s - w->c->stacks), watch_i, path,
			    reason);
}

static void add_entry(walk *w, const char *rel, const char *abs, int symlink)
{
	if (w->n == w->alloc) {
		w->alloc = w->alloc ? 2 * w->alloc : 16;
		w->v = tp_xrealloc(w->v, w->alloc * sizeof(*w->v));
	}
	w->v[w->n].rel = tp_xstrdup(rel);
	w->v[w->n].abs = tp_xstrdup(abs);
	w->v[w->n].symlink = symlink;
	w->v[w->n].watch_i = w->watch_i;
	w->n++;
}

static int skipped_dir(const char *name)
{
	return strcmp(name, ".git") == 0 || strcmp(name, ".hg") == 0 ||
	       strcmp(name, ".svn") == 0 || strcmp(name, "__pycache__") == 0;
}

static int walk_path(walk *w, const char *rel, const char *abs, int depth);

static int walk_dir(walk *w, const char *rel, const char *abs, int depth)
{
	DIR *d = opendir(abs);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return watch_error(w, w->watch_i, abs, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char *r, *a;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		r = *rel ? tp_xasprintf("%s/%s", rel, de->d_name) : tp_xstrdup(de->d_name);
		a = tp_xasprintf("%s/%s", abs, de->d_name);
		rc = walk_path(w, r, a, depth + 1);
		free(r);
		free(a);
	}
	closedir(d);
	return rc;
}

static int walk_path(walk *w, const char *rel, const char *abs, int depth)
{
	struct stat st;
	const char *base = strrchr(abs, '/');

	if (depth > MAX_DEPTH)
		return watch_error(w, w->watch_i, abs, "directories nested too deeply");
	if (lstat(abs, &st) < 0)
		return watch_error(w, w->watch_i, abs, strerror(errno));
	if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))
		add_entry(w, rel, abs, S_ISLNK(st.st_mode));
	else if (S_ISDIR(st.st_mode) && !(depth > 0 && skipped_dir(base ? base + 1 : abs)))
		return walk_dir(w, rel, abs, depth);
	return 0;   /* sockets, fifos, devices: not content */
}

/* The watch entry as written, without "./" prefixes and trailing slashes. */
static char *normalize(const char *written)
{
	size_t len;

	while (written[0] == '.' && written[1] == '/')
		for (written += 2; *written == '/'; written++)
			;
	if (strcmp(written, ".") == 0)
		written = "";
	len = strlen(written);
	while (len > 1 && written[len - 1] == '/')
		len--;
	return tp_xstrndup(written, len);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->rel, ((const entry *)b)->rel);
}

static void drop_duplicates(walk *w)
{
	size_t i, k = 0;

	if (w->n > 1)
		qsort(w->v, w->n, sizeof(*w->v), cmp_entry);
	for (i = 0; i < w->n; i++) {
		if (k > 0 && strcmp(w->v[k - 1].rel, w->v[i].rel) == 0) {
			free(w->v[i].rel);
			free(w->v[i].abs);
			continue;
		}
		w->v[k++] = w->v[i];
	}
	w->n = k;
}

static int hash_link(EVP_MD_CTX *md, const walk *w, const entry *e)
{
	char target[4096];
	ssize_t n = readlink(e->abs, target, sizeof(target));

	if (n < 0 || (size_t)n >= sizeof(target))
		return watch_error(w, e->watch_i, e->abs, n < 0 ? strerror(errno) : "link target too long");
	field_str(md, 'l', e->rel);
	field(md, 't', target, (size_t)n);
	return 0;
}

static int hash_file(EVP_MD_CTX *md, const walk *w, const entry *e)
{
	char buf[65536];
	struct stat st;
	uint64_t left;
	ssize_t n;
	int fd = open(e->abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = watch_error(w, e->watch_i, e->abs, strerror(errno));
		goto done;
	}
	field_str(md, 'f', e->rel);
	frame(md, 'b', (uint64_t)st.st_size);
	for (left = (uint64_t)st.st_size; left > 0; left -= (uint64_t)n) {
		n = read(fd, buf, left < sizeof(buf) ? (size_t)left : sizeof(buf));
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			rc = watch_error(w, e->watch_i, e->abs, n < 0 ? strerror(errno) :
					 "file shrank while it was hashed");
			goto done;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
	}
	if (read(fd, buf, 1) > 0)
		rc = watch_error(w, e->watch_i, e->abs, "file grew while it was hashed");
done:
	if (fd >= 0)
		close(fd);
	return rc;
}

static void walk_release(walk *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->v[i].rel);
		free(w->v[i].abs);
	}
	free(w->v);
}

static int hash_watch(EVP_MD_CTX *md, const tp_config *c, const tp_config_stack *s)
{
	walk w = { NULL, 0, 0, c, s, 0 };
	size_t i;
	int rc = 0;

	for (i = 0; i < s->watch.n && rc == 0; i++) {
		char *rel = normalize(s->watch.items[i]);

		w.watch_i = i;
		rc = walk_path(&w, rel, s->watch_paths[i], 0);
		free(rel);
	}
	if (rc == 0) {
		drop_duplicates(&w);
		frame(md, 'W', w.n);
	}
	for (i = 0; i < w.n && rc == 0; i++) {
		rc = w.v[i].symlink ? hash_link(md, &w, &w.v[i]) : hash_file(md, &w, &w.v[i]);
	}
	walk_release(&w);
	return rc;
}

/* ---- the hash ------------------------------------------------------------------- */

/* The template cannot be read: a configuration error, at the stack. */
static int template_error(const tp_config *c, const tp_config_stack *s)
{
	tp_error e;

	tp_error_save(&e);
	e.code = TP_EINVAL;
	tp_error_restore(&e);
	return tp_error_prefix("%s:%u:%u: stacks[%zu].template: ", c->path, s->mark.line,
			       s->mark.column, (size_t)(s - c->stacks));
}

static int hash_body(EVP_MD_CTX *md, const tp_config *c, const tp_config_stack *s,
		     const char *template, size_t len)
{
	char *data = NULL;
	int rc = 0;

	field_str(md, 'V', HASH_VERSION);
	if (s->command) {
		field_str(md, 'C', s->command);
	} else if (template) {
		field(md, 'T', template, len);
	} else {
		if (tp_read_file(s->template_path, &data, &len) < 0)
			return template_error(c, s);
		field(md, 'T', data, len);
		free(data);
	}
	hash_map(md, 'P', &s->parameters);
	hash_list(md, 'A', &s->capabilities);
	hash_map(md, 'G', &s->tags);
	rc = hash_watch(md, c, s);
	return rc;
}

int tp_stack_hash(char out[TP_STACK_HASH_HEX], const tp_config *c, const tp_config_stack *s,
		  const char *template, size_t len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int rc;

	if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		return tp_error_set(TP_ERROR, "SHA-256 is not available");
	}
	rc = hash_body(md, c, s, template, len);
	if (rc == 0 && EVP_DigestFinal_ex(md, digest, &dlen) == 1)
		tp_hex(out, digest, dlen);
	else if (rc == 0)
		rc = tp_error_set(TP_ERROR, "SHA-256 failed");
	EVP_MD_CTX_free(md);
	return rc;
}
