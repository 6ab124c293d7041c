/*
 * The one entry every fuzz target defines (libFuzzer's contract): run the
 * code under test on `size` bytes and return 0. A crash, sanitizer report,
 * leak or abort() is a finding. Built either against libFuzzer, or with
 * standalone_main.c, which replays files given on the command line.
 */
#ifndef TP_FUZZ_H
#define TP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
