# display/ tests: compositing modes, refinement, options (test_display), PNG
# dumps through io/ (test_display_dump) and the SDL window, under Xvfb when it
# is installed (test_display_window).
seg_add_test(test_display SOURCES test_display.c test_alloc_count.c LIBS seg_display m LABELS display)
# test_display counts allocations (no allocation per frame at a constant size).
target_link_options(test_display PRIVATE "LINKER:--wrap=malloc" "LINKER:--wrap=calloc"
  "LINKER:--wrap=realloc" "LINKER:--wrap=aligned_alloc")
seg_add_test(test_display_dump SOURCES test_display_dump.c LIBS seg_display seg_io
  LABELS display)
if(SDL2_FOUND)
  seg_add_test(test_display_window SOURCES test_display_window.c
    LIBS seg_display PkgConfig::SDL2 LABELS display)
endif()

# The compositing benchmark (not a test): tests/bench_display.c.
add_executable(bench_display bench_display.c)
target_link_libraries(bench_display PRIVATE seg_flags seg_display m)
# Scores masks made outside the pipeline with the --eval scorer (not a test):
# tests/score_masks.c, used by scripts/eval_tiles.sh.
add_executable(score_masks score_masks.c)
target_link_libraries(score_masks PRIVATE seg_flags seg_display m)
# test_display_score: the mask scorer's metrics (display/disp_score.c); it
# counts allocations too (none per frame at a constant size).
seg_add_test(test_display_score SOURCES test_display_score.c test_alloc_count.c LIBS seg_display m
  LABELS display)
target_link_options(test_display_score PRIVATE "LINKER:--wrap=malloc" "LINKER:--wrap=calloc"
  "LINKER:--wrap=realloc" "LINKER:--wrap=aligned_alloc")
# The window's keys while a job runs (seg_run on SDL's dummy driver).
if(SDL2_FOUND)
  seg_add_test(test_control SOURCES test_control.c test_pipeline_util.c tflite_builder.c
    LIBS seg_pipeline seg_test_proc PkgConfig::SDL2 LABELS display)
  set_tests_properties(test_control PROPERTIES TIMEOUT 300)
endif()
