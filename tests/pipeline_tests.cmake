# pipeline/ tests. Labels: "ring" (the SPSC ring), "pipeline" (the staged
# job, in-process) and "e2e" (the segstream binary). ring and pipeline also
# run under ThreadSanitizer in CI (.ci/run, tsan preset).
find_package(Threads REQUIRED)

seg_add_test(test_ring SOURCES test_ring.c LIBS seg_ring Threads::Threads LABELS ring)
set_tests_properties(test_ring PROPERTIES TIMEOUT 300)

seg_add_test(test_pipeline SOURCES test_pipeline.c test_pipeline_util.c tflite_builder.c
             LIBS seg_pipeline seg_test_proc Threads::Threads LABELS pipeline)
set_tests_properties(test_pipeline PROPERTIES TIMEOUT 300)

# Network streams on loopback (ffmpeg processes send and receive).
seg_add_test(test_pipeline_net SOURCES test_pipeline_net.c test_pipeline_util.c tflite_builder.c
             LIBS seg_pipeline seg_test_proc Threads::Threads LABELS "pipeline;net")
set_tests_properties(test_pipeline_net PROPERTIES TIMEOUT 300)

seg_add_test(test_cli SOURCES test_cli.c onnx_cases.c onnx_builder.c
  LIBS seg_test_proc seg_onnx_proto m LABELS e2e)
add_dependencies(test_cli segstream)
set_tests_properties(test_cli PROPERTIES TIMEOUT 600)

# Files as people have them (issue 14): phone clips with a display matrix,
# non-square pixels, pipes, the command line's messages. Links io/ and
# libavformat to make and read its clips.
seg_add_test(test_files SOURCES test_files.c LIBS seg_io seg_test_proc PkgConfig::FFMPEG
             LABELS e2e)
add_dependencies(test_files segstream)
set_tests_properties(test_files PROPERTIES TIMEOUT 600)
