/* fuzz_decode.c - io/'s decode path on arbitrary bytes in memory.
 *
 * io_source_open_memory() probes the bytes with every demuxer FFmpeg has,
 * then io_source_read() runs io/'s real loop: demux, decode, skip corrupt
 * packets, convert to RGB24 or copy/convert to YUV 4:2:0 (odd-sized inputs
 * take the YUV path, the pipeline's default), hand out audio packets. Work per input is
 * bounded: the input is all there is to read (no file or network: the
 * demuxer may not open anything else), pictures are capped by SEG_MAX_DIM /
 * SEG_MAX_PIXELS, and at most MAX_READS results or MAX_PIXELS_PER_INPUT
 * decoded pixels are taken.
 *
 * FFmpeg's own code is not instrumented (Debian's libraries), so coverage
 * guidance comes from io/ and ASan sees FFmpeg only through what io/ reads
 * of its frames and packets. Seeds: corpus/media, tiny clips from
 * make_corpus.sh. */
#include <string.h>

#include "fuzz.h"
#include "io.h"

#define MAX_READS 48
/* Pixels decoded per input: one picture at SEG_MAX_PIXELS, or many small
 * ones. A mutated header can ask for 8192x8192 frames; 48 of them under
 * ASan would take the better part of a minute. */
#define MAX_PIXELS_PER_INPUT ((long long)1 << 27)

/* How many inputs got how far, printed at exit. */
static long n_inputs, n_opened, n_frames, n_audio;

static void print_counts(void)
{
    fprintf(stderr, "fuzz_decode: %ld inputs, %ld opened, %ld frames, %ld audio packets\n",
            n_inputs, n_opened, n_frames, n_audio);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (n_inputs++ == 0) {
        io_set_log_callback(NULL, NULL, IO_LOG_ERROR); /* FFmpeg stays silent */
        atexit(print_counts);
    }
    char err[512];
    io_source *src = NULL;
    io_source_opts o = {0};
    o.want_audio = 1;
    o.decoder_threads = 1;
    o.pixfmt = size & 1 ? SEG_PIX_YUV420P : SEG_PIX_RGB24;
    int st = io_source_open_memory(&src, data, size, "fuzz", &o, err, sizeof err);
    if (st != SEG_OK) {
        HARNESS_CHECK(st < 0 && src == NULL && err[0] != '\0');
        return 0;
    }
    n_opened++;
    const io_video_info *info = io_source_info(src);
    HARNESS_CHECK(info->width <= SEG_MAX_DIM && info->height <= SEG_MAX_DIM);
    HARNESS_CHECK(info->format_name && info->codec_name);
    seg_image frame;
    memset(&frame, 0, sizeof frame);
    io_packet *pkt = NULL;
    int64_t expect_index = 0;
    long long pixels = 0;
    for (int i = 0; i < MAX_READS && pixels < MAX_PIXELS_PER_INPUT; i++) {
        int kind = io_source_read(src, &frame, &pkt);
        if (kind == IO_READ_VIDEO) {
            HARNESS_CHECK(frame.data && frame.format == o.pixfmt);
            HARNESS_CHECK(frame.width > 0 && frame.height > 0 && frame.width <= SEG_MAX_DIM &&
                          frame.height <= SEG_MAX_DIM &&
                          (long long)frame.width * frame.height <= SEG_MAX_PIXELS);
            HARNESS_CHECK(frame.stride >= frame.width * seg_pixfmt_bpp(frame.format));
            HARNESS_CHECK(frame.index == expect_index++);
            pixels += (long long)frame.width * frame.height;
            n_frames++;
            /* Touch the first and the last pixel row: the buffer is as big
             * as it says. */
            volatile uint8_t t = frame.data[0];
            t ^= frame.data[(size_t)(frame.height - 1) * (size_t)frame.stride +
                            (size_t)frame.width * (size_t)seg_pixfmt_bpp(frame.format) - 1];
            if (frame.format == SEG_PIX_YUV420P) {
                /* ... and so are its chroma planes. */
                size_t last = (size_t)(seg_chroma_h(frame.height) - 1) * (size_t)frame.cstride +
                              (size_t)seg_chroma_w(frame.width) - 1;
                HARNESS_CHECK(frame.cb && frame.cr && frame.cstride >= seg_chroma_w(frame.width));
                t ^= frame.cb[last] ^ frame.cr[last];
            }
            (void)t;
        } else if (kind == IO_READ_AUDIO) {
            HARNESS_CHECK(pkt != NULL);
            io_packet_free(&pkt);
            n_audio++;
        } else {
            HARNESS_CHECK(kind < 0);
            HARNESS_CHECK(kind == SEG_EOF || io_source_last_error(src)[0] != '\0');
            /* Every later read says the same (documented for SEG_EOF). */
            if (kind == SEG_EOF)
                HARNESS_CHECK(io_source_read(src, &frame, &pkt) == SEG_EOF);
            break;
        }
    }
    io_packet_free(&pkt);
    seg_image_free(&frame);
    io_source_close(&src);
    HARNESS_CHECK(src == NULL);
    return 0;
}
