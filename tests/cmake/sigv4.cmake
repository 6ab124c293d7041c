# SigV4 (aws/sigv4): AWS's test suite and a differential test against botocore.

# AWS's aws-signing-test-suite/v4 (Apache-2.0, tests/sigv4/LICENSE), vendored
# so a clone anywhere can run it; test_sigv4_suite DIR runs any copy of it.
tp_test(test_sigv4_suite ${CMAKE_CURRENT_SOURCE_DIR}/sigv4_suite.c
        LABELS unit ARGS ${CMAKE_CURRENT_SOURCE_DIR}/sigv4/v4)
