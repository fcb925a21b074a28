# smtpd_anvil.py - smtpd's per-client limits through a real anvil service
# (master.cf "anvil unix ... anvil"), with mynetworks leaving 127.0.0.1
# outside so that the default smtpd_client_event_limit_exceptions
# ($mynetworks) does not exempt the test client: connection count (421
# instead of the greeting, freed again at disconnect), connection rate,
# message rate (450 at MAIL), recipient rate (450 at RCPT), each with
# Postfix's warning; the exceptions (an explicit list and the $mynetworks
# default); and fail-open when no anvil runs. Every wait is bounded.
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

SERVICES = {
    "count": "-o smtpd_client_connection_count_limit=2",
    "rate": "-o smtpd_client_connection_count_limit=0 -o smtpd_client_connection_rate_limit=3",
    "mail": "-o smtpd_client_message_rate_limit=2",
    "rcpt": "-o smtpd_client_recipient_rate_limit=3",
    "except": "-o smtpd_client_connection_count_limit=1"
              " -o smtpd_client_event_limit_exceptions=127.0.0.1",
    "mynet": "-o smtpd_client_connection_count_limit=1 -o smtpd_client_message_rate_limit=1"
             " -o mynetworks=127.0.0.0/8",
}
inst = L.Instance("anvil", main_extra={"mynetworks": "192.0.2.0/24"}, services=SERVICES)
inst.start()
P = inst.ports
TOO_MANY = "421 4.7.0 mx.example.test Error: too many connections from 127.0.0.1"
GREETING = "220 mx.example.test ESMTP acceptance"


def svc(label):
    return re.escape("127.0.0.1:%d" % P[label])


def disconnects(label):
    return len(re.findall(r"disconnect from localhost\[127\.0\.0\.1\]", inst.maillog()))


# --- connection count: 2 allowed, the third refused before the greeting.
a = L.Session(P["count"])
b = L.Session(P["count"])
L.check_eq("count: first greeted", GREETING, a.reply())
L.check_eq("count: second greeted", GREETING, b.reply())
c = L.Session(P["count"])
L.check_eq("count: third refused with 421", TOO_MANY, c.reply())
L.check("count: third closed", c.closed(5))
c.close()
L.check("count: warning logged", inst.wait_log(
    r"warning: Connection concurrency limit exceeded: 3 from localhost\[127\.0\.0\.1\] "
    r"for service " + svc("count") + "\n"))
L.check("count: the refused session logs a disconnect line", inst.wait_log(
    r"disconnect from localhost\[127\.0\.0\.1\] commands=0/0\n"))
# A session that ends gives its slot back (anvil disconnect).
before = disconnects("count")
a.cmd("QUIT")
a.close()
L.check("count: first session ended", L.wait_until(10, lambda: disconnects("count") > before))
d = L.Session(P["count"])
L.check_eq("count: a slot freed by a disconnect is usable again", GREETING, d.reply())
d.cmd("QUIT")
d.close()
b.cmd("QUIT")
b.close()

# --- connection rate: 3 per time unit. Instance.start() made one probe
# connection to every port already: two more are greeted, then 421s.
replies = []
for i in range(4):
    s = L.Session(P["rate"])
    replies.append(s.reply())
    s.close()
L.check_eq("rate: the probe and two greeted, then refused", [GREETING] * 2 + [TOO_MANY] * 2,
           replies)
for n in (4, 5):
    L.check("rate: warning logged (%d)" % n, inst.wait_log(
        r"warning: Connection rate limit exceeded: %d from localhost\[127\.0\.0\.1\] "
        r"for service " % n + svc("rate") + "\n"))

# --- message rate: MAIL counted; the third in one time unit gets 450.
s = L.Session(P["mail"])
s.reply()
s.cmd("EHLO client.example.test")
got = []
for i in range(3):
    got.append(s.cmd("MAIL FROM:<sender@client.example.test>"))
    s.cmd("RSET")
L.check_eq("mail: two MAIL accepted, the third refused",
           ["250 2.1.0 Ok", "250 2.1.0 Ok", "450 4.7.1 Error: too much mail from 127.0.0.1"], got)
L.check_eq("mail: RCPT after a refused MAIL needs MAIL", "503 5.5.1 Error: need MAIL command",
           (s.cmd("MAIL FROM:<x@client.example.test>"), s.cmd("RCPT TO:<alice@mx.example.test>"))[1])
s.cmd("QUIT")
s.close()
L.check("mail: warning logged", inst.wait_log(
    r"warning: Message delivery request rate limit exceeded: 3 from localhost\[127\.0\.0\.1\] "
    r"for service " + svc("mail") + "\n"))
L.check("mail: counted as failed MAIL commands", inst.wait_log(
    r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 mail=2/4 rcpt=0/1 rset=3 quit=1"))

# --- recipient rate: the fourth RCPT in one time unit gets 450.
s = L.Session(P["rcpt"])
s.reply()
s.cmd("EHLO client.example.test")
s.cmd("MAIL FROM:<sender@client.example.test>")
got = [s.cmd("RCPT TO:<alice@mx.example.test>") for i in range(4)]
L.check_eq("rcpt: three accepted, the fourth refused",
           ["250 2.1.5 Ok"] * 3 + ["450 4.7.1 Error: too many recipients from 127.0.0.1"], got)
s.cmd("QUIT")
s.close()
L.check("rcpt: warning logged", inst.wait_log(
    r"warning: Recipient address rate limit exceeded: 4 from localhost\[127\.0\.0\.1\] "
    r"for service " + svc("rcpt") + "\n"))

# --- exceptions: an explicit list, and the $mynetworks default.
for label in ("except", "mynet"):
    sessions = [L.Session(P[label]) for i in range(3)]
    L.check_eq(label + ": an exempt client is never limited", [GREETING] * 3,
               [x.reply() for x in sessions])
    if label == "mynet":
        x = sessions[0]
        x.cmd("EHLO client.example.test")
        got = []
        for i in range(3):
            got.append(x.cmd("MAIL FROM:<sender@client.example.test>"))
            x.cmd("RSET")
        L.check_eq("mynet: message rate not applied to mynetworks", ["250 2.1.0 Ok"] * 3, got)
    for x in sessions:
        x.cmd("QUIT")
        x.close()

inst.stop()
log = inst.maillog()
L.check("no anvil connection warnings while anvil runs",
        not re.search(r"warning: (connect to private/anvil|anvil)", log), log[-2000:])
L.check("no panics", not re.search(r"(smtpd|anvil)\[\d+\]: (panic|fatal)", log), log[-2000:])
inst.cleanup()

# --- fail open: no anvil service; limits cannot fire, the client is served.
down = L.Instance("anvil-down", main_extra={"mynetworks": "192.0.2.0/24"},
                  services={"default": "-o smtpd_client_connection_count_limit=1"
                            " -o smtpd_client_recipient_rate_limit=1"}, anvil=False)
down.start()
a = L.Session(down.port)
b = L.Session(down.port)
L.check_eq("anvil down: first greeted", GREETING, a.reply())
L.check_eq("anvil down: second greeted (fail open)", GREETING, b.reply())
b.cmd("EHLO client.example.test")
b.cmd("MAIL FROM:<sender@client.example.test>")
L.check_eq("anvil down: recipients not limited", ["250 2.1.5 Ok"] * 2,
           [b.cmd("RCPT TO:<alice@mx.example.test>") for i in range(2)])
for x in (a, b):
    x.cmd("QUIT")
    x.close()
down.stop()
L.check("anvil down: a warning names the socket",
        re.search(r"smtpd\[\d+\]: warning: connect to private/anvil", down.maillog()),
        down.maillog()[-2000:])
down.cleanup()
L.finish()
