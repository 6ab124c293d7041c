/*
 * Retries, as the AWS SDKs' "standard" mode.
 *
 * Up to max_attempts (AWS_MAX_ATTEMPTS, default 3) for throttling errors and
 * transient faults (500/502/503/504, connection reset, timeouts); never for
 * validation or other client errors. The delay before attempt i+1 is full
 * jitter: random(0, 1) * min(20 s, base * 2^i). A retry token bucket (500
 * tokens; 5 a retry, 10 a timeout retry; a success gives 1 back, or the
 * retry's cost when it was a retry) stops a storm from amplifying itself.
 *
 * The bucket and the counters are thread-safe (atomics / one mutex).
 */
#ifndef TP_RETRY_H
#define TP_RETRY_H

#include <stdint.h>

typedef enum tp_retry_class {
	TP_RETRY_NONE = 0,       /* success, or an error never retried */
	TP_RETRY_THROTTLE,
	TP_RETRY_TRANSIENT,      /* 5xx, reset */
	TP_RETRY_TIMEOUT
} tp_retry_class;

/*
 * Classify an outcome: `net_error` is the transport error code (TP_ENET /
 * TP_ETIMEOUT) or 0 when a response arrived; `status` the HTTP status;
 * `aws_code` the parsed AWS error code (may be NULL).
 */
tp_retry_class tp_retry_classify(int net_error, long status, const char *aws_code);

int tp_retry_is_throttle_code(const char *aws_code);

typedef struct tp_retry_bucket tp_retry_bucket;

tp_retry_bucket *tp_retry_bucket_new(int capacity);   /* 0 = 500 */
void tp_retry_bucket_free(tp_retry_bucket *b);
/* Take the cost of a retry; 0 when granted, -1 when the bucket is empty. */
int tp_retry_bucket_acquire(tp_retry_bucket *b, tp_retry_class cls);
/* After a success: return `1`, or the cost when the success was a retry. */
void tp_retry_bucket_release(tp_retry_bucket *b, tp_retry_class retried_cls);
int tp_retry_bucket_level(tp_retry_bucket *b);

/* Full-jitter delay in ms before attempt `attempt` (1-based retries). */
int64_t tp_retry_delay_ms(int attempt, int64_t base_ms, int64_t cap_ms);

/* AWS_MAX_ATTEMPTS, or 3 when unset/invalid. */
int tp_retry_max_attempts_from_env(void);

#endif
