seg_add_test(test_nn_kernels SOURCES test_nn_kernels.c LIBS seg_nn m LABELS nn)
seg_add_test(test_nn_model SOURCES test_nn_model.c tflite_builder.c LIBS seg_nn m LABELS nn)
