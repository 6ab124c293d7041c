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
