/*
 * fuzz_bounce_proto.c - libFuzzer target for the bounce protocol decoder
 * (lib/mail/bounce_proto.h): the input is one attribute message as qmgr
 * would send it (or a reply as the bounce daemon would). A request or
 * reply that decodes must encode again and decode to the same values, and
 * a decoded request never names a file outside the queue (its queue name
 * and ID passed the validators).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/bounce_proto.h"
#include "mail/queue_dir.h"
#include "mail/queue_id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct attr_limits lim;
    struct attr_msg msg, again;
    struct bounce_request req, req2;
    struct buf err = BUF_INIT, out = BUF_INIT, reason = BUF_INIT, reason2 = BUF_INIT;
    int status, status2;

    bounce_attr_limits(&lim);
    attr_msg_init(&msg, &lim);
    attr_msg_init(&again, &lim);
    if (attr_decode_exact(data, size, &msg, &err) != ATTR_OK)
        goto done;
    if (bounce_decode_request(&msg, &req, &err) == 0) {
        check(bounce_req_name(req.kind) != NULL);
        check(queue_name_valid(req.queue_name) && queue_id_valid(req.queue_id));
        check(strchr(req.queue_id, '/') == NULL && strchr(req.queue_name, '/') == NULL);
        bounce_encode_request(&out, &req);
        check(attr_decode_exact(out.data, out.len, &again, &err) == ATTR_OK);
        check(bounce_decode_request(&again, &req2, &err) == 0);
        check(req.kind == req2.kind && req.ret == req2.ret);
        check(strcmp(req.queue_name, req2.queue_name) == 0);
        check(strcmp(req.queue_id, req2.queue_id) == 0);
        check(strcmp(req.sender, req2.sender) == 0 && strcmp(req.envid, req2.envid) == 0);
        bounce_request_free(&req);
        bounce_request_free(&req2);
    }
    if (bounce_decode_reply(&msg, &status, &reason, &err) == 0) {
        check(status == BOUNCE_STAT_OK || status == BOUNCE_STAT_FAIL);
        buf_reset(&out);
        bounce_encode_reply(&out, status, buf_str(&reason));
        check(attr_decode_exact(out.data, out.len, &again, &err) == ATTR_OK);
        check(bounce_decode_reply(&again, &status2, &reason2, &err) == 0);
        check(status == status2 && strcmp(buf_str(&reason), buf_str(&reason2)) == 0);
    }
done:
    attr_msg_free(&msg);
    attr_msg_free(&again);
    buf_release(&err);
    buf_release(&out);
    buf_release(&reason);
    buf_release(&reason2);
    return 0;
}
