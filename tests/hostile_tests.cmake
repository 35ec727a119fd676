# Hostile input: the fuzz harnesses and their corpus replays, and the fault
# matrix (test_faults.c).

# ---- fault matrix ------------------------------------------------------------
# Drives the segstream binary. Cases it fails today are named known_failure_*
# in test_faults.c: skipped by test_faults, and each run alone here with
# WILL_FAIL, so a fix shows up as this ctest "failing" (then move the case).
seg_add_test(test_faults SOURCES test_faults.c tflite_builder.c LIBS seg_test_proc m
             LABELS "e2e;faults")
add_dependencies(test_faults segstream)
set_tests_properties(test_faults PROPERTIES TIMEOUT 900)
# None today: the last one (a size change mid-stream) was fixed with the
# threaded pipeline. Add a case's name after known_failure_ to the list.
set(SEG_FAULTS_KNOWN_FAILURES "")
foreach(known IN LISTS SEG_FAULTS_KNOWN_FAILURES)
  add_test(NAME test_faults_known_failure_${known}
           COMMAND test_faults known_failure_${known})
  set_tests_properties(test_faults_known_failure_${known} PROPERTIES
    WILL_FAIL TRUE TIMEOUT 300 LABELS "e2e;faults;known-failure")
endforeach()

# ---- fuzzing -------------------------------------------------------------------
# tests/fuzz/, see fuzz.h. Every harness is always built with a
# plain replay main (any compiler, any preset, so the asan preset replays the
# corpora under ASan+UBSan) and registered as fuzz_replay_NAME over its
# committed corpus. With SEG_BUILD_FUZZERS (preset "fuzz", clang) each is
# also a libFuzzer binary, fuzz_NAME, with a short smoke run as a ctest;
# scripts/fuzz.sh runs them for real.
set(SEG_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(SEG_FUZZ_CORPUS ${SEG_FUZZ_DIR}/corpus)

# The seed generator (run by fuzz/make_corpus.sh, not by ctest).
add_executable(fuzz_make_seeds fuzz/make_seeds.c tflite_builder.c)
target_include_directories(fuzz_make_seeds PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(fuzz_make_seeds PRIVATE seg_flags)

# seg_fuzz_harness(NAME CORPUS dir... LIBS lib...)
function(seg_fuzz_harness name)
  cmake_parse_arguments(F "" "" "CORPUS;LIBS" ${ARGN})
  set(dirs "")
  foreach(d ${F_CORPUS})
    list(APPEND dirs ${SEG_FUZZ_CORPUS}/${d})
  endforeach()
  add_executable(fuzz_replay_${name} fuzz/fuzz_${name}.c fuzz/fuzz_replay_main.c)
  target_include_directories(fuzz_replay_${name} PRIVATE ${SEG_FUZZ_DIR})
  target_link_libraries(fuzz_replay_${name} PRIVATE seg_flags ${F_LIBS})
  add_test(NAME fuzz_replay_${name} COMMAND fuzz_replay_${name} ${dirs})
  set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS "fuzz" TIMEOUT 300)
  if(SEG_BUILD_FUZZERS)
    add_executable(fuzz_${name} fuzz/fuzz_${name}.c)
    target_include_directories(fuzz_${name} PRIVATE ${SEG_FUZZ_DIR})
    target_link_libraries(fuzz_${name} PRIVATE seg_flags ${F_LIBS})
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
    # New inputs go to a scratch directory, never into the committed seeds.
    set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz-smoke/${name})
    file(MAKE_DIRECTORY ${work})
    add_test(NAME fuzz_smoke_${name}
      COMMAND fuzz_${name} -runs=2000 -seed=1 -timeout=30 -rss_limit_mb=4096
              -print_final_stats=1 ${work} ${dirs})
    set_tests_properties(fuzz_smoke_${name} PROPERTIES LABELS "fuzz" TIMEOUT 300)
  endif()
endfunction()

# corpus/NAME: seeds from fuzz/make_corpus.sh (regenerated, do not edit);
# corpus/regress_NAME: inputs that once found a bug, kept by hand.
seg_fuzz_harness(model_load CORPUS model regress_model LIBS seg_nn)
seg_fuzz_harness(model_run CORPUS model regress_model LIBS seg_nn)
seg_fuzz_harness(decode CORPUS media regress_media LIBS seg_io)
seg_fuzz_harness(onnx_load CORPUS onnx regress_onnx LIBS seg_nn)
