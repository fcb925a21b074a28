/*
 * test_dict_common.h - helpers shared by the test_dict_*.c unit tests:
 * capture of warnings through msg_set_hook() and scratch files under /tmp.
 * Header-only (static functions) so that each test stays one program.
 */
#ifndef TEST_DICT_COMMON_H
#define TEST_DICT_COMMON_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/msg.h"

static struct buf warned = BUF_INIT;

static void capture(enum msg_level level, const char *text)
{
    if (level == MSG_WARN) {
        buf_append_str(&warned, text);
        buf_append_char(&warned, '\n');
    }
}

static int setup(void **state)
{
    (void)state;
    buf_reset(&warned);
    msg_set_stderr(0);
    msg_set_hook(capture);
    return 0;
}

/* Writes text to a new file under /tmp; the caller unlinks and frees. */
__attribute__((unused)) static char *write_file(const char *text)
{
    char tmpl[] = "/tmp/test_dict.XXXXXX";
    int fd = mkstemp(tmpl);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return strdup(tmpl);
}

#endif
