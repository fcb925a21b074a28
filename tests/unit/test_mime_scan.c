/*
 * test_mime_scan.c - unit tests of lib/mail/mime_scan.h: part headers,
 * boundaries, the closing boundary, nested multiparts (an outer boundary
 * closes inner parts), message/rfc822 attachments, folded and quoted
 * boundary parameters, a non-MIME top level, and the nesting limit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mail/mime_scan.h"
#include "util/buf.h"

/* Classifies each line of text; returns one letter per line:
 * b body, m MIME header, n nested header, - boundary/blank. */
static const char *classify(struct mime_scan *ms, const char *text)
{
    static struct buf out;
    const char *p = text;

    buf_reset(&out);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        static const char letters[] = {'b', 'm', 'n', '-'};

        buf_append_char(&out, (unsigned char)letters[mime_scan_line(ms, p, len)]);
        p += len + (nl != NULL);
    }
    return buf_str(&out);
}

static void test_multipart(void **st)
{
    struct mime_scan *ms = mime_scan_new(10);
    const char *ct = " multipart/mixed; boundary=\"b 1\"";

    (void)st;
    mime_scan_content_type(ms, ct, strlen(ct));
    assert_string_equal(classify(ms, "pre\n--b 1\nContent-Type: text/plain\n X: y\n\nbody\n"
                                     "--b 1x\n--b 1--\nepilogue\n--b 1\n"),
                        "b-mm-bb-bb");
    mime_scan_free(ms);
}

static void test_nested(void **st)
{
    struct mime_scan *ms = mime_scan_new(10);
    const char *ct = "multipart/mixed;\n\tboundary=outer";

    (void)st;
    mime_scan_content_type(ms, ct, strlen(ct));
    /* An inner multipart with a folded Content-Type, then a boundary of the
     * outer one closes it; then an attached message. */
    assert_string_equal(classify(ms, "--outer\nContent-Type: multipart/alternative;\n"
                                     "  boundary=\"inner\"\n\n--inner\nA: b\n\ntext\n--outer\n"
                                     "Content-Type: message/rfc822\n\nSubject: x\nFrom: y\n\n"
                                     "nested body\n--inner\n--outer--\n"),
                        "-mm--m-b-m-nn-bb-");
    mime_scan_free(ms);
}

static void test_not_mime(void **st)
{
    struct mime_scan *ms = mime_scan_new(10);
    const char *ct = "text/plain; boundary=zzz";

    (void)st;
    mime_scan_content_type(ms, ct, strlen(ct));
    assert_string_equal(classify(ms, "--zzz\nA: b\n\n"), "bbb");
    mime_scan_free(ms);
    /* multipart without a boundary: nothing to follow. */
    ms = mime_scan_new(10);
    ct = "multipart/mixed";
    mime_scan_content_type(ms, ct, strlen(ct));
    assert_string_equal(classify(ms, "--\nA: b\n"), "bb");
    mime_scan_free(ms);
}

static void test_depth_limit(void **st)
{
    struct mime_scan *ms = mime_scan_new(1);
    const char *ct = "multipart/mixed; boundary=a";

    (void)st;
    mime_scan_content_type(ms, ct, strlen(ct));
    /* The inner boundary is beyond the limit: its lines are body. */
    assert_string_equal(classify(ms, "--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n"
                                     "X: y\n--a--\n"),
                        "-m-bb-");
    mime_scan_free(ms);
    mime_scan_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_nested),
        cmocka_unit_test(test_not_mime),
        cmocka_unit_test(test_depth_limit),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
