/*
 * A growable byte buffer with a size cap (after curl's dynbuf and git's
 * strbuf). The contents are always NUL-terminated once anything was added.
 *
 *   tp_buf b = TP_BUF_INIT;
 *   tp_buf_addf(&b, "%s/%s", a, c);
 *   char *s = tp_buf_detach(&b);       // caller owns s
 *
 * Adding past the cap fails with TP_EINVAL and leaves the buffer unchanged.
 * Allocation failure aborts (see util.h).
 */
#ifndef TP_BUF_H
#define TP_BUF_H

#include <stddef.h>

#define TP_BUF_DEFAULT_MAX ((size_t)1 << 30) /* 1 GiB */

typedef struct tp_buf {
	char *ptr;
	size_t len;
	size_t alloc;
	size_t max; /* 0 = TP_BUF_DEFAULT_MAX */
} tp_buf;

#define TP_BUF_INIT { NULL, 0, 0, 0 }

void tp_buf_init(tp_buf *b, size_t max);

int tp_buf_add(tp_buf *b, const void *data, size_t len);
int tp_buf_adds(tp_buf *b, const char *s);
int tp_buf_addc(tp_buf *b, char c);
int tp_buf_addf(tp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Make room for `extra` more bytes without changing len. */
int tp_buf_grow(tp_buf *b, size_t extra);

/* Empty the buffer, keeping its allocation. */
void tp_buf_reset(tp_buf *b);

/* Shorten to `len` bytes (no-op when already shorter). */
void tp_buf_truncate(tp_buf *b, size_t len);

/* The contents as a C string; "" for an empty buffer, never NULL. */
const char *tp_buf_cstr(const tp_buf *b);

/* Hand the contents to the caller (never NULL) and empty the buffer. */
char *tp_buf_detach(tp_buf *b);

/* Free the contents; the buffer is empty and reusable afterwards. */
void tp_buf_release(tp_buf *b);

#endif
