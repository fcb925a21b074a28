/*
 * fuzz_smtp_cmd.c - libFuzzer target for the SMTP command side of smtpd:
 * the command line parser (lib/smtp/smtp_cmd.c), the path parser
 * (smtp_addr.c), the ESMTP parameters (smtp_esmtp.c) and reply formatting
 * (smtp_reply.c), chained the way smtpd chains them.
 *
 * The first input byte picks the switches (smtputf8_enable, strict
 * envelopes, size limit); the rest is one command line. Contracts checked
 * (abort() on breach): every error reply is one well-formed line that
 * smtp_reply_append_line() accepts; an accepted address is NUL-free,
 * 8-bit only when allowed, matches smtp_addr_inspect() and survives
 * externalize -> internalize unchanged; decoded xtext re-encodes and
 * decodes to itself. Defines no main(): replay_main.c supplies one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/smtp_addr.h"
#include "smtp/smtp_cmd.h"
#include "smtp/smtp_esmtp.h"
#include "smtp/smtp_reply.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_reply(const struct buf *reply)
{
    struct buf wire = BUF_INIT;

    if (buf_len(reply) < 3 || memchr(buf_str(reply), '\n', buf_len(reply)) != NULL ||
        memchr(buf_str(reply), '\r', buf_len(reply)) != NULL ||
        strlen(buf_str(reply)) != buf_len(reply))
        abort();
    if (smtp_reply_append_line(&wire, buf_str(reply), 1) != 0)
        abort();
    if (buf_len(&wire) < 5 || memcmp(buf_str(&wire) + buf_len(&wire) - 2, "\r\n", 2) != 0 ||
        memchr(buf_str(&wire), '\n', buf_len(&wire) - 1) != NULL)
        abort();
    buf_release(&wire);
}

static void fuzz_check_xtext(const struct buf *decoded)
{
    struct buf enc = BUF_INIT;
    struct buf dec = BUF_INIT;

    smtp_xtext_encode(&enc, buf_str(decoded), buf_len(decoded));
    if (smtp_xtext_decode(&dec, buf_str(&enc), buf_len(&enc)) != 0 ||
        buf_len(&dec) != buf_len(decoded) ||
        memcmp(buf_str(&dec), buf_str(decoded), buf_len(&dec)) != 0)
        abort();
    buf_release(&enc);
    buf_release(&dec);
}

static void fuzz_check_addr(const struct smtp_addr *addr, int flags)
{
    const char *in = buf_str(&addr->internal);
    struct buf ext = BUF_INIT;
    struct buf back = BUF_INIT;

    if (strlen(in) != buf_len(&addr->internal) || addr->flags != smtp_addr_inspect(in))
        abort();
    if (!(flags & SMTP_ADDR_UTF8) && (addr->flags & SMTP_ADDR_F_8BIT))
        abort();
    if (!smtp_utf8_valid(in, strlen(in)))
        abort();
    smtp_addr_externalize(&ext, in);
    if (smtp_addr_internalize(&back, buf_str(&ext)) != 0 || strcmp(buf_str(&back), in) != 0)
        abort();
    buf_release(&ext);
    buf_release(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smtp_cmd_opts copts;
    struct smtp_esmtp_opts eopts;
    struct smtp_cmd cmd;
    struct smtp_addr addr;
    struct smtp_mail_params mp;
    struct smtp_rcpt_params rp;
    struct buf reply = BUF_INIT;
    const char *path;
    size_t path_len, first;
    int aflags;

    if (size < 1)
        return 0;
    copts.smtputf8_enable = data[0] & 1;
    copts.help_enable = (data[0] >> 1) & 1;
    eopts.smtputf8_enable = copts.smtputf8_enable;
    eopts.size_limit = (data[0] & 4) ? 1000 : 0;
    aflags = ((data[0] & 8) ? SMTP_ADDR_STRICT : 0) | (copts.smtputf8_enable ? SMTP_ADDR_UTF8 : 0);

    smtp_cmd_init(&cmd);
    smtp_addr_init(&addr);
    smtp_mail_params_init(&mp);
    smtp_rcpt_params_init(&rp);
    if (smtp_cmd_parse(&cmd, (const char *)data + 1, size - 1, data[0] >> 7, &copts) !=
        SMTP_CMD_OK) {
        fuzz_check_reply(&cmd.reply);
        goto done;
    }
    if (cmd.argc < 1 || cmd.argv[cmd.argc] != NULL ||
        strlen(buf_str(&cmd.text)) != buf_len(&cmd.text))
        abort();
    for (size_t i = 0; i < cmd.argc; i++) {
        if (cmd.argv[i][0] == 0)
            abort();
    }
    switch (cmd.verb) {
    case SMTP_VERB_MAIL:
    case SMTP_VERB_RCPT:
        if (smtp_cmd_path(&cmd, &path, &path_len, &first, &reply) != 0) {
            fuzz_check_reply(&reply);
            break;
        }
        if (cmd.verb == SMTP_VERB_MAIL)
            aflags |= SMTP_ADDR_NULL_OK;
        if (smtp_addr_parse(&addr, path, path_len, aflags, 2048) != 0)
            break;
        fuzz_check_addr(&addr, aflags);
        if (cmd.verb == SMTP_VERB_MAIL) {
            if (smtp_esmtp_mail(&mp, cmd.argv + first, cmd.argc - first, &eopts, &reply) != 0) {
                fuzz_check_reply(&reply);
                break;
            }
            if (mp.have_envid)
                fuzz_check_xtext(&mp.envid);
            if (mp.have_size && eopts.size_limit > 0 && mp.size > eopts.size_limit)
                abort();
        } else {
            if (smtp_esmtp_rcpt(&rp, cmd.argv + first, cmd.argc - first, &eopts, &reply) != 0) {
                fuzz_check_reply(&reply);
                break;
            }
            if (rp.have_orcpt)
                fuzz_check_xtext(&rp.orcpt_addr);
            if ((rp.notify & SMTP_DSN_NOTIFY_NEVER) && rp.notify != SMTP_DSN_NOTIFY_NEVER)
                abort();
        }
        break;
    case SMTP_VERB_BDAT: {
        uint64_t count;
        int last;

        if (smtp_cmd_bdat(&cmd, &count, &last, &reply) != 0)
            fuzz_check_reply(&reply);
        break;
    }
    case SMTP_VERB_EHLO: {
        struct smtp_ehlo_opts eo = {cmd.rest, 1000, 0, 1, 0, NULL, 0, 0};
        struct buf ehlo = BUF_INIT;

        eo.discard = smtp_ehlo_discard_mask(cmd.rest);
        smtp_ehlo_build(&ehlo, &eo);
        if (buf_len(&ehlo) < 6 || memcmp(buf_str(&ehlo), "250", 3) != 0)
            abort();
        buf_release(&ehlo);
    }
        /* fall through */
    default:
        if (smtp_cmd_check_args(&cmd, &reply) != 0)
            fuzz_check_reply(&reply);
        break;
    }
done:
    smtp_cmd_release(&cmd);
    smtp_addr_release(&addr);
    smtp_mail_params_release(&mp);
    smtp_rcpt_params_release(&rp);
    buf_release(&reply);
    return 0;
}
