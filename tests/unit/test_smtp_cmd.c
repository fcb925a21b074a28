/*
 * test_smtp_cmd.c - unit tests for lib/smtp/smtp_cmd.c (command line
 * parser).
 *
 * Replies are compared with the Postfix 3.7.11 reference sessions (A3, A6,
 * A8, A9, A13, J): unknown verbs, blank lines, argument syntax per verb,
 * the MAIL/RCPT path word with and without a blank after the colon, BDAT
 * counts, line terminators (CRLF, bare LF, none) and NUL / 8-bit bytes
 * under both smtputf8_enable settings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "smtp/smtp_cmd.h"
#include "util/buf.h"

static const struct smtp_cmd_opts opts_utf8 = {1, 0};
static const struct smtp_cmd_opts opts_ascii = {0, 0};

static enum smtp_cmd_status parse(struct smtp_cmd *cmd, const char *line)
{
    return smtp_cmd_parse(cmd, line, strlen(line), 0, &opts_utf8);
}

static void test_verbs(void **state)
{
    static const struct {
        const char *line;
        enum smtp_verb verb;
    } verbs[] = {
        {"EHLO x\r\n", SMTP_VERB_EHLO},
        {"helo x\r\n", SMTP_VERB_HELO},
        {"Mail FROM:<>\r\n", SMTP_VERB_MAIL},
        {"rcpt TO:<a>\r\n", SMTP_VERB_RCPT},
        {"DATA\r\n", SMTP_VERB_DATA},
        {"BDAT 1\r\n", SMTP_VERB_BDAT},
        {"RSET\r\n", SMTP_VERB_RSET},
        {"NOOP\r\n", SMTP_VERB_NOOP},
        {"QUIT now\r\n", SMTP_VERB_QUIT},
        {"VRFY a\r\n", SMTP_VERB_VRFY},
        {"ETRN x\r\n", SMTP_VERB_ETRN},
        {"StartTLS\r\n", SMTP_VERB_STARTTLS},
        {"AUTH PLAIN\r\n", SMTP_VERB_AUTH},
        {"XCLIENT A=B\r\n", SMTP_VERB_XCLIENT},
        {"XFORWARD A=B\r\n", SMTP_VERB_XFORWARD},
        {"  NOOP  \r\n", SMTP_VERB_NOOP},
        {"NOOP\n", SMTP_VERB_NOOP},
        {"NOOP", SMTP_VERB_NOOP},
    };
    struct smtp_cmd cmd;

    (void)state;
    smtp_cmd_init(&cmd);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        assert_int_equal(parse(&cmd, verbs[i].line), SMTP_CMD_OK);
        assert_int_equal(cmd.verb, verbs[i].verb);
        assert_string_equal(smtp_verb_name(cmd.verb), smtp_verb_name(verbs[i].verb));
    }
    assert_string_equal(smtp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS");
    assert_string_equal(smtp_verb_name(SMTP_VERB_NONE), "UNKNOWN");
    smtp_cmd_release(&cmd);
}

static void test_unknown_and_empty(void **state)
{
    static const char *const unknown[] = {"FOO\r\n",           "FOO bar baz\r\n", "HELP\r\n",
                                          "HELP MAIL\r\n",     "EXPN alice\r\n",  "TURN\r\n",
                                          "MAIL:FROM:<a>\r\n", "EHLOx\r\n",       "NOOPNOOP\r\n"};
    struct smtp_cmd cmd;
    struct smtp_cmd_opts help = {1, 1};

    (void)state;
    smtp_cmd_init(&cmd);
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_int_equal(parse(&cmd, unknown[i]), SMTP_CMD_UNKNOWN);
        assert_string_equal(buf_str(&cmd.reply), "500 5.5.2 Error: command not recognized");
        assert_int_equal(cmd.verb, SMTP_VERB_NONE);
    }
    assert_int_equal(smtp_cmd_parse(&cmd, "HELP\r\n", 6, 0, &help), SMTP_CMD_OK);
    assert_int_equal(cmd.verb, SMTP_VERB_HELP);
    assert_int_equal(parse(&cmd, "\r\n"), SMTP_CMD_EMPTY);
    assert_string_equal(buf_str(&cmd.reply), "500 5.5.2 Error: bad syntax");
    assert_int_equal(parse(&cmd, " \r\n"), SMTP_CMD_EMPTY);
    assert_int_equal(parse(&cmd, "\t \n"), SMTP_CMD_EMPTY);
    assert_int_equal(parse(&cmd, ""), SMTP_CMD_EMPTY);
    smtp_cmd_release(&cmd);
}

static void test_terminators(void **state)
{
    struct smtp_cmd cmd;

    (void)state;
    smtp_cmd_init(&cmd);
    assert_int_equal(parse(&cmd, "NOOP x \r\n"), SMTP_CMD_OK);
    assert_string_equal(buf_str(&cmd.text), "NOOP x");
    assert_false(cmd.bare_lf);
    assert_int_equal(parse(&cmd, "NOOP x\n"), SMTP_CMD_OK);
    assert_true(cmd.bare_lf);
    assert_int_equal(parse(&cmd, "NOOP x\r\r\n"), SMTP_CMD_OK);
    assert_false(cmd.bare_lf);
    assert_string_equal(buf_str(&cmd.text), "NOOP x");
    /* Reference J: a line cut at the limit is still parsed. */
    assert_int_equal(smtp_cmd_parse(&cmd, "RSET     ", 9, 1, &opts_utf8), SMTP_CMD_OK);
    assert_true(cmd.truncated);
    assert_int_equal(smtp_cmd_check_args(&cmd, &cmd.reply), 0);
    smtp_cmd_release(&cmd);
}

static void test_nul_8bit(void **state)
{
    struct smtp_cmd cmd;

    (void)state;
    smtp_cmd_init(&cmd);
    assert_int_equal(smtp_cmd_parse(&cmd, "NOOP \0x\r\n", 9, 0, &opts_utf8), SMTP_CMD_BAD_UTF8);
    assert_string_equal(buf_str(&cmd.reply), "500 5.5.2 Error: bad UTF-8 syntax");
    assert_int_equal(smtp_cmd_parse(&cmd, "NOOP \0x\r\n", 9, 0, &opts_ascii), SMTP_CMD_BAD_NUL);
    assert_string_equal(buf_str(&cmd.reply), "500 5.5.2 Error: bad syntax");
    assert_int_equal(parse(&cmd, "NOOP \xff\r\n"), SMTP_CMD_BAD_UTF8);
    assert_int_equal(parse(&cmd, "NOOP \xc3\r\n"), SMTP_CMD_BAD_UTF8);
    assert_int_equal(parse(&cmd, "NOOP \xc3\xb6\r\n"), SMTP_CMD_OK);
    assert_int_equal(smtp_cmd_parse(&cmd, "NOOP \xff\r\n", 8, 0, &opts_ascii), SMTP_CMD_OK);
    assert_int_equal(parse(&cmd, "MAIL FROM:<j\xc3\xb6rg@x>\r\n"), SMTP_CMD_OK);
    assert_int_equal(cmd.argc, 2);
    smtp_cmd_release(&cmd);
}

static void test_words(void **state)
{
    struct smtp_cmd cmd;

    (void)state;
    smtp_cmd_init(&cmd);
    assert_int_equal(parse(&cmd, "MAIL FROM:<\"quoted local\"@x> SIZE=1\r\n"), SMTP_CMD_OK);
    assert_int_equal(cmd.argc, 3);
    assert_string_equal(cmd.argv[0], "MAIL");
    assert_string_equal(cmd.argv[1], "FROM:<\"quoted local\"@x>");
    assert_string_equal(cmd.argv[2], "SIZE=1");
    assert_null(cmd.argv[3]);
    assert_int_equal(parse(&cmd, "MAIL FROM:<sender with space@x>\r\n"), SMTP_CMD_OK);
    assert_int_equal(cmd.argc, 2);
    assert_string_equal(cmd.argv[1], "FROM:<sender with space@x>");
    assert_int_equal(parse(&cmd, "MAIL FROM:<\"a\\\" >b\"@x>  \t BODY=8BITMIME\r\n"), SMTP_CMD_OK);
    assert_int_equal(cmd.argc, 3);
    assert_string_equal(cmd.argv[1], "FROM:<\"a\\\" >b\"@x>");
    /* Unterminated: the word runs to the end. */
    assert_int_equal(parse(&cmd, "MAIL FROM:<a b\r\n"), SMTP_CMD_OK);
    assert_int_equal(cmd.argc, 2);
    assert_string_equal(cmd.argv[1], "FROM:<a b");
    assert_int_equal(parse(&cmd, "HELO  my host  \r\n"), SMTP_CMD_OK);
    assert_string_equal(cmd.rest, "my host");
    assert_int_equal(parse(&cmd, "ETRN #example.test\r\n"), SMTP_CMD_OK);
    assert_string_equal(cmd.rest, "#example.test");
    assert_int_equal(parse(&cmd, "DATA\r\n"), SMTP_CMD_OK);
    assert_string_equal(cmd.rest, "");
    /* A stray CR or LF inside the line separates words: none holds one. */
    assert_int_equal(parse(&cmd, "MAIL FROM:<a@b> X\r\nY\rZ\r\n"), SMTP_CMD_OK);
    assert_int_equal(cmd.argc, 5);
    assert_string_equal(cmd.argv[3], "Y");
    assert_string_equal(cmd.argv[4], "Z");
    smtp_cmd_release(&cmd);
}

static void test_check_args(void **state)
{
    static const struct {
        const char *line;
        const char *reply; /* NULL: accepted */
    } cases[] = {
        {"EHLO", "501 Syntax: EHLO hostname"},
        {"HELO", "501 Syntax: HELO hostname"},
        {"EHLO client.example.test", NULL},
        {"HELO a b", NULL},
        {"RSET extra", "501 5.5.4 Syntax: RSET"},
        {"RSET", NULL},
        {"DATA extra", "501 5.5.4 Syntax: DATA"},
        {"DATA", NULL},
        {"NOOP hello", NULL},
        {"QUIT now", NULL},
        {"VRFY", "501 5.5.4 Syntax: VRFY address [SMTPUTF8]"},
        {"VRFY alice", NULL},
        {"VRFY alice SMTPUTF8", NULL},
        {"VRFY alice x", "501 5.5.4 Syntax: VRFY address [SMTPUTF8]"},
        {"ETRN", "500 Syntax: ETRN domain"},
        {"ETRN example.test", NULL},
        {"STARTTLS", NULL},
        {"STARTTLS x", "501 5.5.4 Syntax: STARTTLS"},
        {"AUTH", "501 5.5.4 Syntax: AUTH mechanism"},
        {"AUTH PLAIN", NULL},
        {"AUTH PLAIN dGVzdA==", NULL},
        {"XCLIENT", "501 5.5.4 Syntax: XCLIENT attribute=value..."},
        {"XFORWARD", "501 5.5.4 Syntax: XFORWARD attribute=value..."},
    };
    struct smtp_cmd cmd;
    struct buf reply = BUF_INIT;

    (void)state;
    smtp_cmd_init(&cmd);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(&cmd, cases[i].line), SMTP_CMD_OK);
        buf_reset(&reply);
        if (cases[i].reply == NULL) {
            assert_int_equal(smtp_cmd_check_args(&cmd, &reply), 0);
        } else {
            assert_int_equal(smtp_cmd_check_args(&cmd, &reply), -1);
            assert_string_equal(buf_str(&reply), cases[i].reply);
        }
    }
    smtp_cmd_release(&cmd);
    buf_release(&reply);
}

static void test_path(void **state)
{
    static const struct {
        const char *line;
        const char *path; /* NULL: syntax error */
        size_t first;
    } cases[] = {
        {"MAIL", NULL, 0},
        {"MAIL FROM", NULL, 0},
        {"MAIL FROM:", NULL, 0},
        {"MAIL TO:<a@b>", NULL, 0},
        {"MAIL FROM:<a@b", "<a@b", 2},
        {"MAIL FROM:a@b", "a@b", 2},
        {"MAIL FROM: <a@b>", "<a@b>", 3},
        {"mail from:<a@b> SIZE=1", "<a@b>", 2},
        {"MAIL FROM:<a@b> <x@y>", "<a@b>", 2},
        {"RCPT", NULL, 0},
        {"RCPT TO", NULL, 0},
        {"RCPT TO:", NULL, 0},
        {"RCPT FROM:<a@b>", NULL, 0},
        {"RCPT TO:<>", "<>", 2},
        {"RCPT TO: <alice@mx.example.test>", "<alice@mx.example.test>", 3},
        {"RCPT TO:<a> NOTIFY=NEVER", "<a>", 2},
    };
    struct smtp_cmd cmd;
    struct buf reply = BUF_INIT;
    const char *path;
    size_t len, first;

    (void)state;
    smtp_cmd_init(&cmd);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(parse(&cmd, cases[i].line), SMTP_CMD_OK);
        buf_reset(&reply);
        if (cases[i].path == NULL) {
            assert_int_equal(smtp_cmd_path(&cmd, &path, &len, &first, &reply), -1);
            assert_string_equal(buf_str(&reply), cmd.verb == SMTP_VERB_MAIL
                                                     ? "501 5.5.4 Syntax: MAIL FROM:<address>"
                                                     : "501 5.5.4 Syntax: RCPT TO:<address>");
        } else {
            assert_int_equal(smtp_cmd_path(&cmd, &path, &len, &first, &reply), 0);
            assert_string_equal(path, cases[i].path);
            assert_int_equal(len, strlen(cases[i].path));
            assert_int_equal(first, cases[i].first);
        }
    }
    smtp_cmd_release(&cmd);
    buf_release(&reply);
}

static void test_bdat(void **state)
{
    struct smtp_cmd cmd;
    struct buf reply = BUF_INIT;
    uint64_t count = 7;
    int last = 7;

    (void)state;
    smtp_cmd_init(&cmd);
    assert_int_equal(parse(&cmd, "BDAT 10"), SMTP_CMD_OK);
    assert_int_equal(smtp_cmd_bdat(&cmd, &count, &last, &reply), 0);
    assert_int_equal(count, 10);
    assert_int_equal(last, 0);
    assert_int_equal(parse(&cmd, "bdat 0 last"), SMTP_CMD_OK);
    assert_int_equal(smtp_cmd_bdat(&cmd, &count, &last, &reply), 0);
    assert_int_equal(count, 0);
    assert_int_equal(last, 1);
    assert_int_equal(parse(&cmd, "BDAT 18446744073709551615 LAST"), SMTP_CMD_OK);
    assert_int_equal(smtp_cmd_bdat(&cmd, &count, &last, &reply), 0);
    assert_true(count == UINT64_MAX);
    static const char *const bad[] = {"BDAT",       "BDAT abc",      "BDAT -1",
                                      "BDAT 1 NOW", "BDAT 1 LAST x", "BDAT 18446744073709551616",
                                      "BDAT +1",    "BDAT 1x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(&cmd, bad[i]), SMTP_CMD_OK);
        buf_reset(&reply);
        assert_int_equal(smtp_cmd_bdat(&cmd, &count, &last, &reply), -1);
        assert_string_equal(buf_str(&reply), "521 5.5.4 Syntax: BDAT count [LAST]");
    }
    smtp_cmd_release(&cmd);
    buf_release(&reply);
}

static void test_junk(void **state)
{
    (void)state;
    assert_true(smtp_verb_is_junk(SMTP_VERB_NOOP));
    assert_true(smtp_verb_is_junk(SMTP_VERB_VRFY));
    assert_true(smtp_verb_is_junk(SMTP_VERB_ETRN));
    assert_true(smtp_verb_is_junk(SMTP_VERB_RSET));
    assert_false(smtp_verb_is_junk(SMTP_VERB_MAIL));
    assert_false(smtp_verb_is_junk(SMTP_VERB_HELO));
    assert_false(smtp_verb_is_junk(SMTP_VERB_NONE));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verbs),       cmocka_unit_test(test_unknown_and_empty),
        cmocka_unit_test(test_terminators), cmocka_unit_test(test_nul_8bit),
        cmocka_unit_test(test_words),       cmocka_unit_test(test_check_args),
        cmocka_unit_test(test_path),        cmocka_unit_test(test_bdat),
        cmocka_unit_test(test_junk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
