/* cli_devices.c - `segstream --list-devices` (the V4L2 capture and output
 * devices) and `segstream --list-formats /dev/videoN` (their formats, frame
 * sizes and rates, like ffmpeg's -list_formats all). */
#include <string.h>

#include "cli.h"
#include "io.h"

int cli_list_devices_main(int argc, char **argv)
{
    (void)argv;
    if (argc != 2) {
        fprintf(stderr, "usage: segstream --list-devices\n");
        return EXIT_USAGE;
    }
    int n = io_v4l2_list_devices(stdout, NULL);
    if (n > 0)
        printf("webcams (capture) are inputs: segstream /dev/videoN --display; a virtual "
               "camera (output, v4l2loopback) takes -o /dev/videoN; formats: segstream "
               "--list-formats /dev/videoN\n");
    else
        printf("a virtual camera needs v4l2loopback: sudo modprobe v4l2loopback devices=1 "
               "video_nr=10 card_label=segstream exclusive_caps=1\n");
    return EXIT_OK;
}

int cli_list_formats_main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: segstream --list-formats /dev/videoN\n");
        return EXIT_USAGE;
    }
    char err[SEG_MSG_SIZE];
    if (io_v4l2_list_formats(stdout, argv[2], err, sizeof err) != SEG_OK) {
        fprintf(stderr, "segstream: %s\n", err);
        return EXIT_INPUT;
    }
    return EXIT_OK;
}
