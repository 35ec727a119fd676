seg_add_test(test_nn_kernels SOURCES test_nn_kernels.c LIBS seg_nn m LABELS nn)
seg_add_test(test_nn_model SOURCES test_nn_model.c tflite_builder.c LIBS seg_nn m LABELS nn)

# Inference benchmark (not a test): the same code as `segstream --bench-model`.
add_executable(bench_model bench_model_main.c ${PROJECT_SOURCE_DIR}/pipeline/cli/cli_bench_model.c)
target_include_directories(bench_model PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/cli)
target_link_libraries(bench_model PRIVATE seg_nn seg_flags m)
seg_add_test(test_nn_ops SOURCES test_nn_ops.c tflite_builder.c LIBS seg_nn m LABELS nn)
seg_add_test(test_common SOURCES test_common.c LIBS seg_common LABELS common)
seg_add_test(test_nn_detectors SOURCES test_nn_detectors.c LIBS seg_nn m LABELS nn)
