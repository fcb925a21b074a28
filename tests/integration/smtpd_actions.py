# smtpd_actions.py - the access actions decided after cleanup has the
# envelope (REDIRECT, FILTER, BCC, a HOLD at a later RCPT, DISCARD: all
# sent in cleanup's "end" request), reject_unauth_pipelining and
# reject_multi_recipient_bounce, against a real instance: replies, the
# NOQUEUE log lines, and what the queue file holds (queue-dump).
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

d = tempfile.mkdtemp(prefix="postern-smtpd-actions-tables.")
os.chmod(d, 0o755)
with open(d + "/sender_access", "w") as f:
    f.write("redirect@client.example.test REDIRECT other@elsewhere.example.test\n"
            "filter@client.example.test FILTER smtp:[127.0.0.1]:10025\n"
            "bcc@client.example.test BCC carol@mx.example.test\n"
            "discard@client.example.test DISCARD\n"
            "badfilter@client.example.test FILTER nocolon\n"
            "twice@client.example.test REDIRECT first@elsewhere.example.test\n")
with open(d + "/rcpt_access", "w") as f:
    f.write("bob@mx.example.test HOLD\n"
            "carol@mx.example.test REDIRECT second@elsewhere.example.test\n")

inst = L.Instance("actions", main_extra={"mynetworks": "192.0.2.0/24"}, services={
    "default": "-o smtpd_sender_restrictions=check_sender_access,texthash:%s/sender_access"
               " -o smtpd_recipient_restrictions=check_recipient_access,texthash:%s/rcpt_access"
               % (d, d),
    "pipe": "-o smtpd_data_restrictions=reject_unauth_pipelining",
    "bounce": "-o smtpd_recipient_restrictions=reject_multi_recipient_bounce",
    "bounce_data": "-o smtpd_data_restrictions=reject_multi_recipient_bounce",
})
inst.start()
P = inst.ports


def session(label, sender, rcpts):
    s = L.Session(P[label])
    s.reply()
    s.cmd("EHLO client.example.test")
    L.check_eq("%s: MAIL" % sender, "250 2.1.0 Ok", s.cmd("MAIL FROM:<%s>" % sender))
    for r in rcpts:
        L.check_eq("%s: RCPT %s" % (sender, r), "250 2.1.5 Ok", s.cmd("RCPT TO:<%s>" % r))
    return s


def send(s, subject):
    L.check_eq("DATA", "354 End data with <CR><LF>.<CR><LF>", s.cmd("DATA"))
    s.send("Subject: %s\r\n\r\nbody\r\n.\r\n" % subject)
    qid = L.queued_id(s.reply())
    s.cmd("QUIT")
    s.close()
    return qid


def dump_path(path):
    return subprocess.run([L.DUMP, path], capture_output=True).stdout.decode("latin-1")


def logged(action, sender, text, to="alice@mx.example.test"):
    return inst.wait_log(
        r"(?:NOQUEUE|[0-9A-Z]+): %s: RCPT from localhost\[127\.0\.0\.1\]: %s; from=<%s> to=<%s> proto=ESMTP "
        r"helo=<client\.example\.test>" % (action, re.escape(text), re.escape(sender),
                                           re.escape(to)))


# --- REDIRECT: recorded for the queue manager, logged like HOLD.
qid = send(session("default", "redirect@client.example.test", ["alice@mx.example.test"]), "r")
L.check("REDIRECT: queued", qid is not None)
L.check("REDIRECT: recorded in the queue file",
        "named_attribute: redirect_to=other@elsewhere.example.test" in inst.dump(qid or "x"),
        inst.dump(qid or "x"))
L.check("REDIRECT: logged", logged("redirect", "redirect@client.example.test",
                                   "<redirect@client.example.test>: Sender address triggers "
                                   "REDIRECT other@elsewhere.example.test"))

# Two REDIRECTs: the last one wins.
qid = send(session("default", "twice@client.example.test", ["carol@mx.example.test"]), "r2")
dump = inst.dump(qid or "x")
L.check("REDIRECT twice: the last wins",
        "redirect_to=second@elsewhere.example.test" in dump and "first@" not in dump, dump)

# --- FILTER.
qid = send(session("default", "filter@client.example.test", ["alice@mx.example.test"]), "f")
L.check("FILTER: recorded in the queue file",
        "named_attribute: content_filter=smtp:[127.0.0.1]:10025" in inst.dump(qid or "x"),
        inst.dump(qid or "x"))
L.check("FILTER: logged", logged("filter", "filter@client.example.test",
                                 "<filter@client.example.test>: Sender address triggers "
                                 "FILTER smtp:[127.0.0.1]:10025"))
# A FILTER without transport:nexthop is ignored with a warning.
qid = send(session("default", "badfilter@client.example.test", ["alice@mx.example.test"]), "bf")
L.check("bad FILTER: still queued, without a filter",
        qid is not None and "content_filter" not in inst.dump(qid or "x"))
L.check("bad FILTER: warned", inst.wait_log(r"warning: access table: bad FILTER action "
                                            r"argument \"nocolon\": ignored"))

# --- BCC: one more recipient in the queue file.
qid = send(session("default", "bcc@client.example.test", ["alice@mx.example.test"]), "b")
rcpts = re.findall(r"^recipient: (.*)$", inst.dump(qid or "x"), re.M)
L.check_eq("BCC: the copy's recipient is added", ["alice@mx.example.test", "carol@mx.example.test"],
           rcpts)
L.check("BCC: logged", logged("bcc", "bcc@client.example.test",
                              "<bcc@client.example.test>: Sender address triggers "
                              "BCC carol@mx.example.test"))

# --- HOLD decided at the second RCPT, after cleanup already had the envelope.
qid = send(session("default", "plain@client.example.test",
                   ["alice@mx.example.test", "bob@mx.example.test"]), "h")
held = [f for _, _, files in os.walk(os.path.join(inst.dir, "spool", "hold")) for f in files]
L.check("late HOLD: the file is in hold/", qid in held, repr(held))
L.check("late HOLD: logged", logged("hold", "plain@client.example.test",
                                    "<bob@mx.example.test>: Recipient address triggers HOLD "
                                    "action", to="bob@mx.example.test"))

# --- DISCARD: "queued", cleanup removes it without a warning.
qid = send(session("default", "discard@client.example.test", ["alice@mx.example.test"]), "d")
L.check("DISCARD: claimed queued", qid is not None)
L.check("DISCARD: cleanup accepted and removed it",
        inst.wait_log(r"%s: discard: message accepted and removed" % qid))
L.check("DISCARD: no queue file", not os.path.exists(inst.incoming(qid or "none")))
L.check("DISCARD: no cleanup warning about an abandoned file",
        not re.search(r"%s: .*queue file removed" % qid, inst.maillog()))

# --- reject_unauth_pipelining (in smtpd_data_restrictions).
PIPE_REJECT = ("503 5.5.0 <DATA>: Data command rejected: Improper use of SMTP command "
               "pipelining")
# Proper: EHLO answered first, then MAIL RCPT DATA in one write.
s = L.Session(P["pipe"])
s.reply()
s.cmd("EHLO client.example.test")
s.send("MAIL FROM:<a@client.example.test>\r\nRCPT TO:<alice@mx.example.test>\r\nDATA\r\n")
got = [s.reply() for i in range(3)]
L.check_eq("pipelining after EHLO's reply is allowed",
           ["250 2.1.0 Ok", "250 2.1.5 Ok", "354 End data with <CR><LF>.<CR><LF>"], got)
s.send("Subject: p\r\n\r\nx\r\n.\r\n")
L.check("pipelined message queued", L.queued_id(s.reply()) is not None)
s.close()
# Talking past EHLO: refused at DATA.
s = L.Session(P["pipe"])
s.reply()
s.send("EHLO client.example.test\r\nMAIL FROM:<a@client.example.test>\r\n"
       "RCPT TO:<alice@mx.example.test>\r\nDATA\r\n")
got = [s.reply() for i in range(4)][1:]
L.check_eq("sending past EHLO: DATA refused",
           ["250 2.1.0 Ok", "250 2.1.5 Ok", PIPE_REJECT], got)
s.close()
L.check("unauth pipelining: logged", inst.wait_log(
    r"[0-9A-Z]+: reject: DATA from localhost\[127\.0\.0\.1\]: " + re.escape(PIPE_REJECT) +
    r"; from=<a@client\.example\.test> to=<alice@mx\.example\.test> proto=ESMTP "
    r"helo=<client\.example\.test>"))
# Postfix's log line names the command sent ahead of and shows the input
# that followed it (escaped, at most 100 bytes).
L.check("sending past EHLO: improper pipelining logged", inst.wait_log(
    r"(?m)improper command pipelining after EHLO from localhost\[127\.0\.0\.1\]: "
    r"MAIL FROM:<a@client\.example\.test>\\r\\nRCPT TO:<alice@mx\.example\.test>\\r\\n"
    r"DATA\\r\\n$"))
# HELO (no PIPELINING offered): MAIL and RCPT in one write.
s = L.Session(P["pipe"])
s.reply()
s.cmd("HELO client.example.test")
s.send("MAIL FROM:<a@client.example.test>\r\nRCPT TO:<alice@mx.example.test>\r\n")
s.reply()
s.reply()
L.check_eq("HELO client pipelining: DATA refused", PIPE_REJECT, s.cmd("DATA"))
s.close()
L.check("HELO client pipelining: logged after MAIL", inst.wait_log(
    r"(?m)improper command pipelining after MAIL from localhost\[127\.0\.0\.1\]: "
    r"RCPT TO:<alice@mx\.example\.test>\\r\\n$"))
# Talking before the greeting.
s = L.Session(P["pipe"])
s.send("EHLO client.example.test\r\n")
s.reply()
s.reply()
s.cmd("MAIL FROM:<a@client.example.test>")
s.cmd("RCPT TO:<alice@mx.example.test>")
# Whether the EHLO reached smtpd before its check at CONNECT is a race the
# test cannot control; what must hold is that the verdict follows the
# detection: logged as an early talker -> DATA refused, else accepted.
got = s.cmd("DATA")
early = inst.wait_log(r"improper command pipelining after CONNECT from localhost\[127\.0\.0\.1\]",
                      seconds=2)
L.check_eq("early talker: DATA verdict follows the detection",
           PIPE_REJECT if early else "354 End data with <CR><LF>.<CR><LF>", got)
s.close()

# --- reject_multi_recipient_bounce, at RCPT and at DATA.
s = L.Session(P["bounce"])
s.reply()
s.cmd("EHLO client.example.test")
s.cmd("MAIL FROM:<>")
L.check_eq("bounce: first recipient", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
L.check_eq("bounce: second recipient refused",
           "550 5.5.3 <bob@mx.example.test>: Recipient address rejected: Multi-recipient bounce",
           s.cmd("RCPT TO:<bob@mx.example.test>"))
s.cmd("RSET")
s.cmd("MAIL FROM:<a@client.example.test>")
s.cmd("RCPT TO:<alice@mx.example.test>")
L.check_eq("not a bounce: two recipients", "250 2.1.5 Ok", s.cmd("RCPT TO:<bob@mx.example.test>"))
s.close()
s = L.Session(P["bounce_data"])
s.reply()
s.cmd("EHLO client.example.test")
s.cmd("MAIL FROM:<>")
s.cmd("RCPT TO:<alice@mx.example.test>")
s.cmd("RCPT TO:<bob@mx.example.test>")
L.check_eq("bounce at DATA: refused",
           "550 5.5.3 <DATA>: Data command rejected: Multi-recipient bounce", s.cmd("DATA"))
s.cmd("RSET")
s.cmd("MAIL FROM:<>")
s.cmd("RCPT TO:<alice@mx.example.test>")
L.check_eq("one-recipient bounce at DATA: accepted", "354 End data with <CR><LF>.<CR><LF>",
           s.cmd("DATA"))
s.close()

inst.stop()
log = inst.maillog()
L.check("no panics", not re.search(r"(smtpd|cleanup)\[\d+\]: (panic|fatal)", log), log[-2000:])
inst.cleanup()
if L.failures == 0:
    shutil.rmtree(d, ignore_errors=True)
L.finish()
