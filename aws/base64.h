/* Base64 (RFC 4648, padded) and the Content-MD5 header value S3 asks for. */
#ifndef TP_BASE64_H
#define TP_BASE64_H

#include <stddef.h>

#include "aws/buf.h"

/* Append the base64 of `len` bytes to `out`. Returns 0 or TP_EINVAL (buffer cap). */
int tp_base64_encode(tp_buf *out, const void *data, size_t len);

/* Base64 of the MD5 digest of data: 24 characters + NUL (Content-MD5). */
void tp_base64_md5(char out[25], const void *data, size_t len);

#endif
