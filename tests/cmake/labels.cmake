# Extra ctest labels, added to the tests' own (unit / integration), so
# `ctest -L <label>` picks a cross-cutting set:
#
#   concurrency  tests whose point is threads or processes racing: what
#                ci/test runs again in a ThreadSanitizer build
#                (-DTIDEPOOL_SANITIZE=thread). Each exercises threads inside
#                tidepool (worker pools, the deployer's driver, the shared
#                signing-key and credential caches, parallel nuke/sweep) or
#                several tidepool processes on one pool (lease races).
#
# Labels are appended (set_property APPEND), never set: set_tests_properties
# would replace the unit / integration label ci/test selects by. A name
# that is not a test (yet) is skipped, so renaming a test file does not
# break the configure; tests/cmake/*.cmake are included after the globbed
# unit and integration tests exist.

set(TP_CONCURRENCY_TESTS
  # threads inside one process
  test_sigv4             # test_sigv4__threads: signing-key cache and per-thread scratch
  test_creds             # the refreshing credential cache shared by threads
  test_exec_loop         # the event loop and the worker pool under the executor
  test_exec              # suite processes, their reaper and guard
  test_deploy_driver     # the deployer's threads, bound on stack operations, cancellation
  test_store             # SQLite store: threads on one handle, busy timeout
  test_nuke              # the nuke loop's bounded parallel scan and delete passes
  test_sweep             # accounts cleaned in parallel
  test_pool_creds        # per-account credentials asked for by threads at once (moto)
  # processes racing for leases
  test_lease_safety      # 16 processes claim/release on SQLite and DynamoDB
  test_claim             # 12 simultaneous claims on 6 accounts, --wait
  # whole runs: scheduler, executor, deployer and cleaner threads together
  test_deploy            # tidepool deploy across member accounts (moto)
  test_run_local         # tidepool run --local end to end
  test_run_signals       # Ctrl-C / SIGTERM while everything is in flight
  test_run_shared_pool   # two runs sharing one DynamoDB pool
)

foreach(_t IN LISTS TP_CONCURRENCY_TESTS)
  if(TEST ${_t})
    set_property(TEST ${_t} APPEND PROPERTY LABELS concurrency)
  endif()
endforeach()
