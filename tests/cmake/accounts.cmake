# The account pool (accounts/): the lease-store contract as one table of
# cases (tests/store_cases.c), run by test_store against SQLite and by
# test_lease_store_dynamodb against DynamoDB on moto; a worker program for
# the multi-process lease tests.
add_library(tp_store_cases STATIC ${CMAKE_CURRENT_SOURCE_DIR}/store_cases.c)
target_link_libraries(tp_store_cases PUBLIC tp_testsupport)
foreach(_t test_store test_lease_store_dynamodb)
  if(TARGET ${_t})
    target_link_libraries(${_t} PRIVATE tp_store_cases)
  endif()
endforeach()

# Helpers of the pool integration tests, and the lease worker they spawn.
add_library(tp_pool_testutil STATIC ${CMAKE_CURRENT_SOURCE_DIR}/pool_testutil.c)
target_link_libraries(tp_pool_testutil PUBLIC tp_testsupport)
foreach(_t test_lease_safety test_lease_fencing test_claim test_pool_import)
  if(TARGET ${_t})
    target_link_libraries(${_t} PRIVATE tp_pool_testutil)
    add_dependencies(${_t} lease_worker tidepool)
  endif()
endforeach()
add_executable(lease_worker ${CMAKE_CURRENT_SOURCE_DIR}/lease_worker.c)
target_link_libraries(lease_worker PRIVATE tp_accounts)
