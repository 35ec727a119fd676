seg_add_test(test_io SOURCES test_io.c LIBS seg_io PkgConfig::FFMPEG)
