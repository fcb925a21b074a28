/*
 * replay_main.c - main() for the replay build of a fuzz target.
 *
 * Without libFuzzer, each fuzz target is linked with this driver and run by
 * "make check": it feeds every file of the target's corpus (FUZZ_CORPUS,
 * the seeds plus every crash input kept as a regression case) and every file
 * named on the command line to LLVMFuzzerTestOneInput once. A crash or a
 * sanitizer report fails the test; an unreadable corpus fails it too, so a
 * test that silently replays nothing cannot pass.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t len = 0;
    size_t cap = 0;
    size_t n;
    uint8_t chunk[65536];

    if (fp == NULL) {
        perror(path);
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
        if (len + n > cap) {
            cap = (len + n) * 2;
            data = realloc(data, cap);
            if (data == NULL) {
                fclose(fp);
                return -1;
            }
        }
        memcpy(data + len, chunk, n);
        len += n;
    }
    fclose(fp);
    /* An exact-size copy, so that ASan sees reads past the end of the input. */
    {
        uint8_t *exact = malloc(len ? len : 1);

        if (exact == NULL) {
            free(data);
            return -1;
        }
        if (len)
            memcpy(exact, data, len);
        LLVMFuzzerTestOneInput(exact, len);
        free(exact);
    }
    free(data);
    return 0;
}

static int replay_dir(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    struct dirent *ent;
    char path[4096];

    if (d == NULL) {
        perror(dir);
        return -1;
    }
    while ((ent = readdir(d)) != NULL) {
        struct stat st;

        if (ent->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name) >= (int)sizeof(path))
            continue;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
            continue;
        if (replay_file(path) < 0) {
            closedir(d);
            return -1;
        }
        (*count)++;
    }
    closedir(d);
    return 0;
}

int main(int argc, char **argv)
{
    int count = 0;
    int i;

    if (argc > 1) {
        for (i = 1; i < argc; i++) {
            if (replay_file(argv[i]) < 0)
                return 1;
            count++;
        }
    } else if (replay_dir(FUZZ_CORPUS, &count) < 0) {
        return 1;
    }
    if (count == 0) {
        fprintf(stderr, "replay: no inputs in %s\n", FUZZ_CORPUS);
        return 1;
    }
    printf("replayed %d inputs\n", count);
    return 0;
}
