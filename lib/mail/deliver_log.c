/*
 * deliver_log.c - the delivery log line (see deliver_log.h).
 */
#include <stdio.h>
#include <string.h>

#include "conf/param.h"
#include "mail/deliver_log.h"
#include "util/msg.h"
#include "util/str.h"

static double deliver_log_diff(long sec2, long usec2, long sec1, long usec1)
{
    double d = (double)(sec2 - sec1) + (double)(usec2 - usec1) / 1e6;

    return d < 0 ? 0 : d;
}

void deliver_log_format_delay(struct buf *out, double seconds, int digits)
{
    char text[64];
    double unit;
    char *end;

    if (digits < 0)
        digits = 0;
    if (digits > 6)
        digits = 6;
    unit = 1.0;
    for (int i = 0; i < digits; i++)
        unit /= 10.0;
    /* Below the resolution a delay is shown as 0; large values lose the
     * fraction (Postfix shows whole seconds from 10 s up). */
    if (seconds < unit) {
        buf_append_str(out, "0");
        return;
    }
    if (seconds >= 10)
        snprintf(text, sizeof(text), "%.0f", seconds);
    else if (seconds >= 1)
        snprintf(text, sizeof(text), "%.1f", seconds);
    else
        snprintf(text, sizeof(text), "%.*f", digits, seconds);
    if (strchr(text, '.')) {
        end = text + strlen(text) - 1;
        while (*end == '0')
            *end-- = '\0';
        if (*end == '.')
            *end = '\0';
    }
    buf_append_str(out, text);
}

static const char *deliver_log_status_word(const struct deliver_result *res)
{
    switch (res->status) {
    case DELIVER_STATUS_OK:
        return "sent";
    case DELIVER_STATUS_DEFER:
        return "deferred";
    default:
        return "bounced";
    }
}

void deliver_log_format(struct buf *out, const struct deliver_request *req,
                        const struct deliver_rcpt *rcpt, const struct deliver_result *res,
                        const struct deliver_times *t, int digits)
{
    struct buf safe = BUF_INIT;
    double a = deliver_log_diff(req->active_sec, req->active_usec, req->arrival_sec,
                                req->arrival_usec);
    double b = deliver_log_diff(t->agent_start.tv_sec, t->agent_start.tv_usec, req->active_sec,
                                req->active_usec);
    double c = deliver_log_diff(t->conn_done.tv_sec, t->conn_done.tv_usec, t->agent_start.tv_sec,
                                t->agent_start.tv_usec);
    double d = deliver_log_diff(t->done.tv_sec, t->done.tv_usec, t->conn_done.tv_sec,
                                t->conn_done.tv_usec);
    double total = deliver_log_diff(t->done.tv_sec, t->done.tv_usec, req->arrival_sec,
                                    req->arrival_usec);

    buf_printf(out, "to=<%s>", rcpt->address);
    if (rcpt->orcpt && *rcpt->orcpt && strcmp(rcpt->orcpt, rcpt->address) != 0)
        buf_printf(out, ", orig_to=<%s>", rcpt->orcpt);
    buf_printf(out, ", relay=%s, delay=", res->relay && *res->relay ? res->relay : "none");
    deliver_log_format_delay(out, total, digits);
    buf_append_str(out, ", delays=");
    deliver_log_format_delay(out, a, digits);
    buf_append_char(out, '/');
    deliver_log_format_delay(out, b, digits);
    buf_append_char(out, '/');
    deliver_log_format_delay(out, c, digits);
    buf_append_char(out, '/');
    deliver_log_format_delay(out, d, digits);
    buf_printf(out, ", dsn=%s, status=%s (", res->dsn_status, deliver_log_status_word(res));
    str_printable(&safe, res->reason, strlen(res->reason));
    buf_append_str(out, buf_str(&safe));
    buf_append_char(out, ')');
    buf_release(&safe);
}

void deliver_log(const struct deliver_request *req, const struct deliver_rcpt *rcpt,
                 const struct deliver_result *res, const struct deliver_times *t)
{
    struct buf line = BUF_INIT;

    deliver_log_format(&line, req, rcpt, res, t, var_delay_logging_resolution_limit);
    msg_info("%s: %s", req->queue_id, buf_str(&line));
    buf_release(&line);
}
