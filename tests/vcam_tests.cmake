# The virtual camera (-o /dev/videoN), --mirror, --config and the device
# listings, through the binary and the LD_PRELOAD V4L2 double
# (fake_v4l2.c): these machines cannot load v4l2loopback.

# The double is not instrumented (it runs inside every preset's binary).
add_library(fake_v4l2 SHARED fake_v4l2.c)
target_compile_options(fake_v4l2 PRIVATE -Wall -Wextra -Werror)
target_link_libraries(fake_v4l2 PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)

# Under ASan (gcc's shared runtime) libasan has to be the first library
# loaded, so the tests preload it before the double.
set(SEG_ASAN_RUNTIME "")
if(SEG_SANITIZE_ADDRESS AND CMAKE_C_COMPILER_ID STREQUAL "GNU")
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE _asan OUTPUT_STRIP_TRAILING_WHITESPACE)
  get_filename_component(SEG_ASAN_RUNTIME "${_asan}" REALPATH)
endif()

seg_add_test(test_vcam SOURCES test_vcam.c test_pipeline_util.c tflite_builder.c
             LIBS seg_pipeline seg_test_proc LABELS "e2e;vcam")
target_compile_definitions(test_vcam PRIVATE SEG_FAKE_V4L2_LIB="$<TARGET_FILE:fake_v4l2>"
                           SEG_ASAN_RUNTIME="${SEG_ASAN_RUNTIME}")
add_dependencies(test_vcam segstream fake_v4l2)
set_tests_properties(test_vcam PROPERTIES TIMEOUT 300)
