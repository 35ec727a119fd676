seg_add_test(test_nn_kernels SOURCES test_nn_kernels.c LIBS seg_nn m LABELS nn)
seg_add_test(test_nn_model SOURCES test_nn_model.c tflite_builder.c LIBS seg_nn m LABELS nn)

# Inference benchmark (not a test): the same code as `segstream --bench-model`.
add_executable(bench_model bench_model_main.c ${PROJECT_SOURCE_DIR}/pipeline/cli/cli_bench_model.c)
target_include_directories(bench_model PRIVATE ${PROJECT_SOURCE_DIR}/pipeline/cli)
target_link_libraries(bench_model PRIVATE seg_nn seg_flags m)
seg_add_test(test_nn_ops SOURCES test_nn_ops.c tflite_builder.c LIBS seg_nn m LABELS nn)
seg_add_test(test_common SOURCES test_common.c LIBS seg_common LABELS common)
seg_add_test(test_nn_detectors SOURCES test_nn_detectors.c LIBS seg_nn m LABELS nn)

# ONNX: the op cases (onnx_cases.c, written with the tests' own ONNX writer)
# against ONNX Runtime's outputs committed in data/onnx (tests/onnx_oracle.sh
# regenerates them; make_onnx_cases writes the models for it).
add_executable(make_onnx_cases make_onnx_cases.c onnx_cases.c onnx_builder.c)
target_link_libraries(make_onnx_cases PRIVATE seg_flags seg_onnx_proto)
seg_add_test(test_nn_onnx SOURCES test_nn_onnx.c onnx_cases.c onnx_builder.c
  LIBS seg_nn seg_onnx_proto m LABELS nn)
