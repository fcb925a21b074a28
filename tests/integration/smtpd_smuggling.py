# smtpd_smuggling.py - SMTP smuggling (smtpd_forbid_bare_newline) against a
# real instance: every end-of-data look-alike ('\n.\n', '\r\n.\n', '\n.\r\n',
# '\r.\r\n', '.\n' first) followed by a second MAIL/RCPT/DATA in ONE write.
# Under normalize (the default), yes and reject no second message may ever
# be queued; under "no" (and for clients in
# smtpd_forbid_bare_newline_exclusions) the legacy behaviour of the
# reference is kept, with the "improper command pipelining after DATA"
# log line. Bare LF body lines: kept as lines (normalize) or refused with
# "550 5.5.2 <host> Error: bare <LF> received" (reject).
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

inst = L.Instance("smuggling", services={
    "default": "",
    "yes": "-o smtpd_forbid_bare_newline=yes",
    "reject": "-o smtpd_forbid_bare_newline=reject",
    "no": "-o smtpd_forbid_bare_newline=no",
    "excluded": "-o smtpd_forbid_bare_newline_exclusions=127.0.0.0/8",
})
inst.start()

SMUGGLED = ("MAIL FROM:<evil@client.example.test>\r\nRCPT TO:<bob@mx.example.test>\r\nDATA\r\n"
            "Subject: smuggled\r\n\r\nsmuggled\r\n.\r\n")
VARIANTS = {"LF.LF": "\n.\n", "CRLF.LF": "\r\n.\n", "LF.CRLF": "\n.\r\n", "CR.CRLF": "\r.\r\n",
            "CRLF.CR": "\r\n.\r"}


def open_data(label):
    s = L.Session(inst.ports[label])
    s.reply()
    s.cmd("EHLO client.example.test")
    L.check_eq(label + ": MAIL", "250 2.1.0 Ok", s.cmd("MAIL FROM:<sender@client.example.test>"))
    L.check_eq(label + ": RCPT", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
    L.check_eq(label + ": DATA", "354 End data with <CR><LF>.<CR><LF>", s.cmd("DATA"))
    return s


def bob_messages():
    n = 0
    for qid in os.listdir(os.path.join(inst.dir, "spool", "incoming")):
        if "recipient: bob@mx.example.test" in inst.dump(qid):
            n += 1
    return n


for label in ("default", "yes", "reject"):
    for vname, variant in VARIANTS.items():
        name = "%s %s" % (label, vname)
        s = open_data(label)
        s.send("Subject: smuggle\r\n\r\nbefore" + variant + SMUGGLED)
        reply = s.reply()
        if label == "reject" and "\n" in variant.replace("\r\n", ""):
            L.check_eq(name + ": refused", "550 5.5.2 mx.example.test Error: bare <LF> received",
                       reply)
        else:
            qid = L.queued_id(reply)
            L.check(name + ": one message queued", qid is not None, reply)
            if qid:
                body = L.content(inst.dump(qid)).split("\n\n", 1)[-1]
                L.check(name + ": the smuggled commands are content",
                        "MAIL FROM:<evil@client.example.test>\n" in body
                        and "smuggled\n" in body, body)
        L.check(name + ": no second reply", s.quiet(1))
        L.check_eq(name + ": QUIT", "221 2.0.0 Bye", s.cmd("QUIT"))
        s.close()
L.check_eq("no smuggled message for bob under normalize/yes/reject", 0, bob_messages())

# Bare LF body lines.
for label, want in (("default", "ok"), ("reject", "refused")):
    s = open_data(label)
    s.send(b"Subject: bare lf\r\n\r\nline one\nline two\r\nline three\r\n.\r\n")
    reply = s.reply()
    if want == "ok":
        qid = L.queued_id(reply)
        L.check(label + " bare LF: accepted", qid is not None, reply)
        L.check_eq(label + " bare LF: lines kept", "line one\nline two\nline three\n",
                   L.content(inst.dump(qid or "none")).split("\n\n", 1)[-1])
    else:
        L.check_eq(label + " bare LF: refused",
                   "550 5.5.2 mx.example.test Error: bare <LF> received", reply)
    L.check_eq(label + " bare LF: NOOP after", "250 2.0.0 Ok", s.cmd("NOOP"))
    L.check_eq(label + " bare LF: QUIT", "221 2.0.0 Bye", s.cmd("QUIT"))
    s.close()
L.check("reject: END-OF-MESSAGE log line", inst.wait_log(
    r"smtpd\[\d+\]: [0-9A-Z]+: reject: END-OF-MESSAGE from localhost\[127\.0\.0\.1\]: bare <LF> "
    r"received; from=<sender@client\.example\.test> to=<alice@mx\.example\.test> proto=ESMTP "
    r"helo=<client\.example\.test>"))
L.check("reject: data=0/1 in the disconnect line", inst.wait_log(
    r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=0/1 noop=1 quit=1 "
    r"commands=5/6"))

# NUL and 8-bit bytes pass through (cleanup keeps them; queue-dump shows '?').
s = open_data("default")
s.send(b"Subject: bytes\r\n\r\na\x00b \xe9t\xc3\xa9\r\n.\r\n")
reply = s.reply()
qid = L.queued_id(reply)
L.check("NUL and 8-bit: accepted", qid is not None, reply)
L.check("NUL and 8-bit: the line keeps its length", "regular_text: a?b ?t??\n"
        in inst.dump(qid or "none"))
s.cmd("QUIT")
s.close()

# Legacy "no" (and an excluded client): ".\n" ends DATA, as in the
# reference, and the DATA sent without waiting for 354 is logged.
for label in ("no", "excluded"):
    before = bob_messages()
    s = open_data(label)
    s.send("Subject: smuggle\r\n\r\nbefore\r\n.\n" + SMUGGLED)
    replies = [s.reply() for _ in range(5)]
    L.check(label + ": legacy: two messages", L.queued_id(replies[0]) is not None
            and replies[1:4] == ["250 2.1.0 Ok", "250 2.1.5 Ok",
                                 "354 End data with <CR><LF>.<CR><LF>"]
            and L.queued_id(replies[4]) is not None, repr(replies))
    L.check_eq(label + ": legacy: QUIT", "221 2.0.0 Bye", s.cmd("QUIT"))
    s.close()
    L.check_eq(label + ": legacy: bob got the second message", before + 1, bob_messages())
L.check("improper command pipelining after DATA logged", inst.wait_log(
    r"improper command pipelining after DATA from localhost\[127\.0\.0\.1\]: "
    r"Subject: smuggled\\r\\n\\r\\nsmuggled\\r\\n\.\\r\\n"))

inst.stop()
L.check("no panics", not re.search(r"smtpd\[\d+\]: (panic|fatal)", inst.maillog()))
inst.cleanup()
L.finish()
