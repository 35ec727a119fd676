# io/ tests: real media made at test time with the ffmpeg CLI (skipped without it).
seg_add_test(test_io SOURCES test_io.c LIBS seg_io PkgConfig::FFMPEG)
# Fault injection: test_io.c replaces seg_io's calls to these decoder entry
# points (FFmpeg's internal calls are untouched).
target_link_options(test_io PRIVATE
  "LINKER:--wrap=avcodec_send_packet" "LINKER:--wrap=avcodec_receive_frame")
