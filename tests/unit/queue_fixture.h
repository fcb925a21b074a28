/*
 * queue_fixture.h - a throw-away queue directory for the lib/mail queue
 * tests: mkdtemp() under /tmp with every queue subdirectory (mode 0700),
 * removed with everything in it at teardown.
 *
 * Header-only (static inline) so each test program stays one .c file. It
 * must never touch anything outside its own mkdtemp() directory.
 */
#ifndef POSTERN_TESTS_UNIT_QUEUE_FIXTURE_H
#define POSTERN_TESTS_UNIT_QUEUE_FIXTURE_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/queue_dir.h"

struct queue_fixture {
    char top[64];
    struct queue_dir *qd;
};

static inline int queue_fixture_rm(const char *path, const struct stat *st, int type,
                                   struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

/* Creates the directory tree; hash_names and depth as in queue_dir_new(). */
static inline struct queue_fixture *queue_fixture_new(const char *hash_names, int depth,
                                                      int long_ids)
{
    struct queue_fixture *fx = calloc(1, sizeof(*fx));
    struct buf err = BUF_INIT;
    char path[128];
    size_t i;

    if (fx == NULL)
        return NULL;
    snprintf(fx->top, sizeof(fx->top), "/tmp/postern-queue-XXXXXX");
    if (mkdtemp(fx->top) == NULL) {
        free(fx);
        return NULL;
    }
    for (i = 0; queue_dir_names[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/%s", fx->top, queue_dir_names[i]);
        if (mkdir(path, 0700) < 0)
            return NULL;
    }
    fx->qd = queue_dir_new(fx->top, hash_names, depth, long_ids, &err);
    if (fx->qd == NULL)
        fprintf(stderr, "queue_fixture_new: %s\n", buf_str(&err));
    buf_release(&err);
    return fx->qd ? fx : NULL;
}

static inline int queue_fixture_free(struct queue_fixture *fx)
{
    int rc;

    if (fx == NULL)
        return 0;
    queue_dir_free(fx->qd);
    rc = nftw(fx->top, queue_fixture_rm, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return rc;
}

/* Creates an empty file top/rel (for scanner tests); 0 or -1. */
static inline int queue_fixture_touch(const struct queue_fixture *fx, const char *rel)
{
    char path[256];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/%s", fx->top, rel);
    if ((fp = fopen(path, "w")) == NULL)
        return -1;
    return fclose(fp);
}

/* Whether top/rel exists (lstat). */
static inline int queue_fixture_exists(const struct queue_fixture *fx, const char *rel)
{
    char path[256];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", fx->top, rel);
    return lstat(path, &st) == 0;
}

#endif
