#include "aws/retry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

#define RETRY_COST 5
#define TIMEOUT_RETRY_COST 10
#define NO_RETRY_INCREMENT 1

static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException", "TransactionInProgressException",
	"RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
	"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException",
};

static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError",
	"InternalFailure", "InternalServerError", "ServiceUnavailable",
	"ServiceUnavailableException", "IDPCommunicationError",
};

static int in_list(const char *code, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; code && i < n; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

int tp_retry_is_throttle_code(const char *aws_code)
{
	return in_list(aws_code, throttle_codes, TP_ARRAY_SIZE(throttle_codes));
}

tp_retry_class tp_retry_classify(int net_error, long status, const char *aws_code)
{
	if (net_error == TP_ETIMEOUT)
		return TP_RETRY_TIMEOUT;
	if (net_error)
		return TP_RETRY_TRANSIENT;
	if (status >= 200 && status < 300)
		return TP_RETRY_NONE;
	if (status == 429 || tp_retry_is_throttle_code(aws_code))
		return TP_RETRY_THROTTLE;
	if (in_list(aws_code, transient_codes, TP_ARRAY_SIZE(transient_codes)))
		return TP_RETRY_TRANSIENT;
	if (status == 500 || status == 502 || status == 503 || status == 504)
		return TP_RETRY_TRANSIENT;
	return TP_RETRY_NONE;
}

struct tp_retry_bucket {
	pthread_mutex_t lock;
	int capacity;
	int level;
};

tp_retry_bucket *tp_retry_bucket_new(int capacity)
{
	tp_retry_bucket *b = tp_xcalloc(1, sizeof(*b));

	pthread_mutex_init(&b->lock, NULL);
	b->capacity = capacity > 0 ? capacity : 500;
	b->level = b->capacity;
	return b;
}

void tp_retry_bucket_free(tp_retry_bucket *b)
{
	if (!b)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b);
}

static int cost(tp_retry_class cls)
{
	return cls == TP_RETRY_TIMEOUT ? TIMEOUT_RETRY_COST : RETRY_COST;
}

int tp_retry_bucket_acquire(tp_retry_bucket *b, tp_retry_class cls)
{
	int ok;

	pthread_mutex_lock(&b->lock);
	ok = b->level >= cost(cls);
	if (ok)
		b->level -= cost(cls);
	pthread_mutex_unlock(&b->lock);
	return ok ? 0 : -1;
}

void tp_retry_bucket_release(tp_retry_bucket *b, tp_retry_class retried_cls)
{
	int give = retried_cls == TP_RETRY_NONE ? NO_RETRY_INCREMENT : cost(retried_cls);

	pthread_mutex_lock(&b->lock);
	b->level += give;
	if (b->level > b->capacity)
		b->level = b->capacity;
	pthread_mutex_unlock(&b->lock);
}

int tp_retry_bucket_level(tp_retry_bucket *b)
{
	int level;

	pthread_mutex_lock(&b->lock);
	level = b->level;
	pthread_mutex_unlock(&b->lock);
	return level;
}

int64_t tp_retry_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms)
{
	int64_t ceiling = base_ms;
	int i;

	for (i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	return (int64_t)(tp_random_unit() * (double)ceiling);
}

int tp_retry_max_attempts_from_env(void)
{
	const char *s = getenv("AWS_MAX_ATTEMPTS");
	long v;

	if (!s || tp_parse_long(s, &v) < 0 || v < 1 || v > 100)
		return 3;
	return (int)v;
}
