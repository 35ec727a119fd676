/* main.c - segstream: the command is the first argument (--run-model,
 * --bench-model, --model-info), else the job (cli_job.c). */
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} COMMANDS[] = {
    {"--run-model", cli_run_model_main},
    {"--bench-model", cli_bench_model_main},
    {"--model-info", cli_model_info_main},
    {"--list-devices", cli_list_devices_main},
    {"--list-formats", cli_list_formats_main},
};

int main(int argc, char **argv)
{
    size_t n = sizeof COMMANDS / sizeof COMMANDS[0];
    for (size_t k = 0; k < n; k++)
        if (argc > 1 && strcmp(argv[1], COMMANDS[k].name) == 0)
            return COMMANDS[k].main(argc, argv);
    /* A command further along: say where it goes rather than take it for
     * an unknown job option. */
    for (int i = 2; i < argc; i++)
        for (size_t k = 0; k < n; k++)
            if (strcmp(argv[i], COMMANDS[k].name) == 0) {
                fprintf(stderr, "segstream: %s is a command of its own and comes first: "
                        "segstream %s ...\n", argv[i], argv[i]);
                return EXIT_USAGE;
            }
    return cli_job_main(argc, argv);
}
