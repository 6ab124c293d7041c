# Fuzz targets: one line each, tp_fuzz_target(<target> <source> <libraries...>),
# with its seed corpus in tests/fuzz/corpus/<target without "fuzz_">/ and an
# optional dictionary tests/fuzz/<same>.dict.
#
# With clang (or -DTIDEPOOL_FUZZ=ON) a target is a libFuzzer binary built
# with -fsanitize=fuzzer,address,undefined, linked against instrumented twins
# of the component libraries (<lib>_fuzz), so the ordinary libraries and the
# other tests stay as configured. With gcc it is the same source plus
# tests/fuzz/standalone_main.c, which replays the files it is given.
#
# Each target gets two ctests (label "fuzz"):
#   fuzz_replay_<name>  runs the target over its seed corpus once;
#   fuzz_smoke_<name>   runs tests/fuzz/smoke.sh <target> TP_FUZZ_SECONDS: real
#                       libFuzzer for that long, building the target with clang
#                       in ${CMAKE_BINARY_DIR}/fuzz-build when this build is not
#                       a libFuzzer one; skipped (77) when clang is missing.

set(TP_FUZZ_SECONDS 60 CACHE STRING "Seconds each fuzz_smoke_<name> test fuzzes")

if(CMAKE_C_COMPILER_ID STREQUAL "Clang" OR TIDEPOOL_FUZZ)
  set(TP_LIBFUZZER ON)
else()
  set(TP_LIBFUZZER OFF)
endif()
if(TP_LIBFUZZER AND TIDEPOOL_SANITIZE MATCHES "thread")
  if(TIDEPOOL_FUZZ)
    message(FATAL_ERROR "TIDEPOOL_FUZZ needs ASan, which cannot be combined with TIDEPOOL_SANITIZE=thread")
  endif()
  message(STATUS "fuzz: TIDEPOOL_SANITIZE=thread excludes ASan; fuzz targets replay their corpus only")
  set(TP_LIBFUZZER OFF)
endif()
set(TP_FUZZ_SANITIZE address,undefined)
set(TP_FUZZ_LIB_FLAGS -fsanitize=fuzzer-no-link,${TP_FUZZ_SANITIZE}
    -fno-sanitize-recover=all -fno-omit-frame-pointer)

# <lib>_fuzz: <lib>'s sources again, with coverage and sanitizers, linked to
# the twins of the tp_* libraries <lib> links.
function(tp_fuzz_twin lib)
  if(TARGET ${lib}_fuzz)
    return()
  endif()
  get_target_property(_type ${lib} TYPE)
  get_target_property(_deps ${lib} INTERFACE_LINK_LIBRARIES)
  set(_twin_deps "")
  foreach(_d IN LISTS _deps)
    if(_d MATCHES "^tp_")
      tp_fuzz_twin(${_d})
      list(APPEND _twin_deps ${_d}_fuzz)
    elseif(_d)
      list(APPEND _twin_deps ${_d})
    endif()
  endforeach()
  if(_type STREQUAL "INTERFACE_LIBRARY")
    add_library(${lib}_fuzz INTERFACE)
    target_link_libraries(${lib}_fuzz INTERFACE ${_twin_deps})
    return()
  endif()
  get_target_property(_src ${lib} SOURCES)
  add_library(${lib}_fuzz STATIC EXCLUDE_FROM_ALL ${_src})
  target_compile_options(${lib}_fuzz PRIVATE ${TP_FUZZ_LIB_FLAGS})
  target_link_libraries(${lib}_fuzz PUBLIC ${_twin_deps})
endfunction()

function(tp_fuzz_target target src)
  string(REGEX REPLACE "^fuzz_" "" _name ${target})
  set(_corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${_name})
  if(TP_LIBFUZZER)
    set(_libs "")
    foreach(_l IN LISTS ARGN)
      tp_fuzz_twin(${_l})
      list(APPEND _libs ${_l}_fuzz)
    endforeach()
    add_executable(${target} ${src})
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer,${TP_FUZZ_SANITIZE}
                           -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=fuzzer,${TP_FUZZ_SANITIZE})
    target_link_libraries(${target} PRIVATE ${_libs})
    add_test(NAME fuzz_replay_${_name} COMMAND ${target} -runs=0 ${_corpus})
    set(_smoke_env "TP_FUZZ_BINARY=$<TARGET_FILE:${target}>")
  else()
    add_executable(${target} ${src} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/standalone_main.c)
    target_link_libraries(${target} PRIVATE ${ARGN})
    add_test(NAME fuzz_replay_${_name} COMMAND ${target} ${_corpus})
    set(_smoke_env "")
  endif()
  set_tests_properties(fuzz_replay_${_name} PROPERTIES LABELS fuzz TIMEOUT 300)
  add_test(NAME fuzz_smoke_${_name}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/smoke.sh ${target} ${TP_FUZZ_SECONDS})
  set_tests_properties(fuzz_smoke_${_name} PROPERTIES LABELS fuzz TIMEOUT 1200
    SKIP_RETURN_CODE 77
    ENVIRONMENT "TP_SOURCE_DIR=${CMAKE_SOURCE_DIR};TP_BINARY_DIR=${CMAKE_BINARY_DIR};${_smoke_env}")
endfunction()

tp_fuzz_target(fuzz_config ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_config.c tp_suites)
tp_fuzz_target(fuzz_junit ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_junit.c tp_runner)
tp_fuzz_target(fuzz_xml ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_xml.c tp_runner)
tp_fuzz_target(fuzz_json ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_json.c tp_cleaner tp_accounts)
tp_fuzz_target(fuzz_sigv4 ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/fuzz_sigv4.c tp_aws)
