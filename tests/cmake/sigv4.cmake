# SigV4 (aws/sigv4): AWS's test suite and a differential test against botocore.
# Both programs need only tp_aws, so they link just that and build while the
# rest of the tree is broken.

# AWS's aws-signing-test-suite/v4 (Apache-2.0, tests/sigv4/LICENSE), vendored
# so a clone anywhere can run it; test_sigv4_suite DIR runs any copy of it,
# recursing into every directory that holds a context.json.
add_executable(test_sigv4_suite ${CMAKE_CURRENT_SOURCE_DIR}/sigv4_suite.c)
target_link_libraries(test_sigv4_suite PRIVATE tp_aws)
add_test(NAME test_sigv4_suite
         COMMAND test_sigv4_suite ${CMAKE_CURRENT_SOURCE_DIR}/sigv4/v4)
set_tests_properties(test_sigv4_suite PROPERTIES LABELS unit TIMEOUT 120)

# Differential test against botocore's signer (the oracle): random requests
# signed by both, compared (tests/sigv4_differential.py says what it covers).
# Skipped (exit 77) where botocore is not installed.
find_package(Python3 COMPONENTS Interpreter)
add_executable(sigv4_sign_stdin ${CMAKE_CURRENT_SOURCE_DIR}/sigv4_sign_stdin.c)
target_link_libraries(sigv4_sign_stdin PRIVATE tp_aws)
if(Python3_Interpreter_FOUND)
  add_test(NAME test_sigv4_differential
           COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/sigv4_differential.py
                   --driver $<TARGET_FILE:sigv4_sign_stdin>)
  set_tests_properties(test_sigv4_differential PROPERTIES
    LABELS unit TIMEOUT 300 SKIP_RETURN_CODE 77)
endif()
