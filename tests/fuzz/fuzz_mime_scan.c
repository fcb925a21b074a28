/*
 * fuzz_mime_scan.c - libFuzzer target for the MIME line classifier
 * (lib/mail/mime_scan.c). The first line of the input is the primary
 * Content-Type value, the rest body lines; the nesting limit is small so
 * that the limit path is reached. Checks: every answer is one of the four
 * classes, and nothing leaks or reads past a line. Defines no main():
 * replay_main.c supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mime_scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size, *nl;
    struct mime_scan *ms;

    if (size > FUZZ_MAX_INPUT)
        return 0;
    ms = mime_scan_new(4);
    nl = memchr(p, '\n', size);
    mime_scan_content_type(ms, p, nl ? (size_t)(nl - p) : size);
    p = nl ? nl + 1 : end;
    while (p < end) {
        size_t len;
        enum mime_line kind;

        nl = memchr(p, '\n', (size_t)(end - p));
        len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        /* An exact-size copy, so that a read past the line is caught. */
        {
            char *line = malloc(len ? len : 1);

            if (line == NULL)
                abort();
            memcpy(line, p, len);
            kind = mime_scan_line(ms, line, len);
            free(line);
        }
        if (kind != MIME_LINE_BODY && kind != MIME_LINE_MIME_HEADER &&
            kind != MIME_LINE_NESTED_HEADER && kind != MIME_LINE_BOUNDARY)
            abort();
        p += len + (nl != NULL);
    }
    mime_scan_free(ms);
    return 0;
}
