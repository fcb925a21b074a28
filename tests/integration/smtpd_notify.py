# smtpd_notify.py - the session transcript and the postmaster notice:
# with notify_classes = protocol, policy a session with an unknown command
# (protocol) and a relay refusal (policy) ends with a notice to
# error_notice_recipient from the double-bounce address, submitted through
# cleanup (no qmgr here: the queue file in incoming/ holds the bytes that
# are delivered); its headers, body and Out:/In: lines are asserted exactly.
# With the default notify_classes (resource, software) no notice is sent;
# with smtpd_history_flush_threshold = 2 the lines before RSET are gone;
# the AUTH argument is masked.
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

inst = L.Instance("notify", main_extra={"mynetworks": "192.0.2.0/24",
                                        "notify_classes": "protocol, policy"},
                  services={
    "default": "",
    "quiet": "-o notify_classes=resource,software",
    "small": "-o smtpd_history_flush_threshold=2",
    "policy": "-o notify_classes=policy",
})
inst.start()
P = inst.ports
INCOMING = os.path.join(inst.dir, "spool", "incoming")
disconnects = [len(re.findall(r"disconnect from", inst.maillog()))]


def queued():
    try:
        return set(os.listdir(INCOMING))
    except OSError:
        return set()


def session(label, lines):
    """Runs the commands; returns (replies, new queue files after the session)."""
    before = queued()
    s = L.Session(P[label])
    replies = [s.reply()]
    for line in lines:
        replies.append(s.cmd(line))
    s.close()
    disconnects[0] += 1
    # The notice goes out before the "disconnect from" line.
    L.check(label + ": session ended", inst.wait_log(r"disconnect from", 10, disconnects[0]))
    return replies, sorted(queued() - before)


def notice(qid):
    dump = inst.dump(qid)
    body = L.content(dump)
    body = re.sub(r"(?m)^Message-Id: <[^>]*>$", "Message-Id: <ID>", body)
    body = re.sub(r"(?m)^Date: .*$", "Date: DATE", body)
    env = [ln for ln in dump.split("\n") if ln.startswith(("sender:", "recipient:"))]
    return env, body


EHLO = ["Out: " + ln for ln in L.EHLO_DEFAULT.split("\n")]

# --- protocol + policy errors, notify_classes = protocol, policy.
replies, new = session("default", ["EHLO client.example.test", "FOO",
                                   "MAIL FROM:<s@client.example.test>",
                                   "RCPT TO:<x@elsewhere.example.test>", "QUIT"])
L.check_eq("unknown command", "500 5.5.2 Error: command not recognized", replies[2])
L.check_eq("relay refused", "454 4.7.1 <x@elsewhere.example.test>: Relay access denied",
           replies[4])
L.check_eq("one notice queued", 1, len(new))
if new:
    env, body = notice(new[0])
    L.check_eq("notice envelope", ["sender: double-bounce@mx.example.test",
                                   "recipient: postmaster@mx.example.test"],
               env)
    want = "\n".join([
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.test>",
        "To: Postmaster <postmaster@mx.example.test>",
        "Subject: postern SMTP server: errors from localhost[127.0.0.1]",
        "Message-Id: <ID>",
        "Date: DATE",
        "",
        "Client: localhost[127.0.0.1]",
        "Errors: protocol, policy",
        "",
        "Transcript of session follows.",
        "",
        " Out: 220 mx.example.test ESMTP acceptance",
        " In:  EHLO client.example.test"] +
        [" " + ln for ln in EHLO] + [
        " In:  FOO",
        " Out: 500 5.5.2 Error: command not recognized",
        " In:  MAIL FROM:<s@client.example.test>",
        " Out: 250 2.1.0 Ok",
        " In:  RCPT TO:<x@elsewhere.example.test>",
        " Out: 454 4.7.1 <x@elsewhere.example.test>: Relay access denied",
        " In:  QUIT",
        " Out: 221 2.0.0 Bye",
        "",
        "For other details, see the local mail logfile",
        ""])
    L.check_eq("notice headers and transcript", want, body)

# --- the default notify_classes: no notice for the same session.
replies, new = session("quiet", ["EHLO client.example.test", "FOO",
                                 "MAIL FROM:<s@client.example.test>",
                                 "RCPT TO:<x@elsewhere.example.test>", "QUIT"])
L.check_eq("notify_classes = resource, software: no notice", [], new)

# --- policy only: a protocol error alone sends nothing.
replies, new = session("policy", ["EHLO client.example.test", "FOO", "QUIT"])
L.check_eq("notify_classes = policy, protocol error only: no notice", [], new)

# --- smtpd_history_flush_threshold = 2: RSET drops what came before; the
# AUTH argument is masked; a lost connection is the abort reason.
replies, new = session("small", ["EHLO client.example.test", "FOO", "RSET",
                                 "AUTH PLAIN c2VjcmV0AHNlY3JldABzZWNyZXQ=", "BAR"])
L.check_eq("AUTH refused", "503 5.5.1 Error: authentication not enabled", replies[4])
L.check_eq("one notice queued (threshold)", 1, len(new))
if new:
    env, body = notice(new[0])
    transcript = body.split("Transcript of session follows.\n\n", 1)[-1]
    L.check_eq("history flushed at RSET, AUTH masked", "\n".join([
        " Out: 250 2.0.0 Ok",
        " In:  AUTH PLAIN ********",
        " Out: 503 5.5.1 Error: authentication not enabled",
        " In:  BAR",
        " Out: 500 5.5.2 Error: command not recognized",
        "",
        "Session aborted, reason: lost connection",
        "",
        "For other details, see the local mail logfile",
        ""]), transcript)
    L.check("the secret never reaches the notice", "c2VjcmV0" not in body)

inst.stop()
log = inst.maillog()
L.check("no panics", not re.search(r"smtpd\[\d+\]: (panic|fatal)", log), log[-2000:])
inst.cleanup()
L.finish()
