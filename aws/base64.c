#include "aws/base64.h"

#include <openssl/evp.h>


int tp_base64_encode(tp_buf *out, const void *data, size_t len)
{
	size_t need = 4 * ((len + 2) / 3);
	int rc;

	if ((rc = tp_buf_grow(out, need + 1)) < 0)
		return rc;
	/* EVP_EncodeBlock writes 4 characters per 3 bytes (padded) and a NUL. */
	EVP_EncodeBlock((unsigned char *)out->ptr + out->len, data, (int)len);
	out->len += need;
	out->ptr[out->len] = '\0';
	return 0;
}

void tp_base64_md5(char out[25], const void *data, size_t len)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	EVP_Digest(data, len, digest, &dlen, EVP_md5(), NULL);
	EVP_EncodeBlock((unsigned char *)out, digest, (int)dlen);
	out[24] = '\0';
}
