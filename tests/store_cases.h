/*
 * The lease-store contract (accounts/store.h) as cmocka cases, run against
 * every backend: tests/unit/test_store.c (SQLite) and
 * tests/integration/test_lease_store_dynamodb.c (DynamoDB on moto).
 *
 * Each case gets a fresh, empty store on an injected clock; the program
 * that runs the cases supplies how to open and close one.
 */
#ifndef TP_TEST_STORE_CASES_H
#define TP_TEST_STORE_CASES_H

#include <stddef.h>
#include <time.h>

#include "accounts/store.h"

typedef struct tp_store_fixture {
	tp_store *store;
	time_t now;          /* what the store's clock reads; cases move it */
	void *backend;       /* the program's own */
} tp_store_fixture;

/* The program's part: open an empty store whose clock is tp_store_fixture_clock(f). */
extern int (*tp_store_cases_open)(tp_store_fixture *f);
extern void (*tp_store_cases_close)(tp_store_fixture *f);

/* The clock to pass as tp_store_opts.clock, with the fixture as its ctx. */
time_t tp_store_fixture_clock(void *fixture);

/* Run every case; returns cmocka's result. */
int tp_store_cases_run(const char *group_name);

#endif
