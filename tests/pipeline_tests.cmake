seg_add_test(test_cli SOURCES test_cli.c LIBS m LABELS e2e)
add_dependencies(test_cli segstream)
set_tests_properties(test_cli PROPERTIES TIMEOUT 600)
