# smtpd_timeout.py - smtpd_timeout with a silent client (2 s here): after
# EHLO and in the middle of DATA the server sends "421 4.4.2 <host> Error:
# timeout exceeded", closes, logs "timeout after EHLO" / "timeout after
# DATA (20 bytes)" and the disconnect counters of the reference, and the
# unfinished message leaves no queue file. A client that vanishes is
# logged as "lost connection after CMD". No timing thresholds: only
# bounded waits.
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

inst = L.Instance("timeout", services={"default": "-o smtpd_timeout=2s"})
inst.start()
TIMEOUT = "421 4.4.2 mx.example.test Error: timeout exceeded"

s = L.Session(inst.port, timeout=30)
s.reply()
s.cmd("EHLO client.example.test")
L.check_eq("idle after EHLO: 421", TIMEOUT, s.reply())
L.check("idle after EHLO: closed", s.closed(10))
s.close()
L.check("idle after EHLO: logged", inst.wait_log(
    r"smtpd\[(\d+)\]: timeout after EHLO from localhost\[127\.0\.0\.1\]\n(?:.*\n)*?"
    r".*smtpd\[\1\]: disconnect from "
    r"localhost\[127\.0\.0\.1\] ehlo=1 commands=1\n"))

s = L.Session(inst.port, timeout=30)
s.reply()
s.cmd("EHLO client.example.test")
s.cmd("MAIL FROM:<sender@client.example.test>")
s.cmd("RCPT TO:<alice@mx.example.test>")
L.check_eq("DATA", "354 End data with <CR><LF>.<CR><LF>", s.cmd("DATA"))
s.send("Subject: partial\r\n\r\npartial line without end")
L.check_eq("idle in DATA: 421", TIMEOUT, s.reply())
L.check("idle in DATA: closed", s.closed(10))
s.close()
L.check("idle in DATA: logged", inst.wait_log(
    r"smtpd\[(\d+)\]: timeout after DATA \(20 bytes\) from localhost\[127\.0\.0\.1\]\n"
    r"(?:.*\n)*?.*smtpd\[\1\]: disconnect from "
    r"localhost\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=1 data=0/1 commands=3/4\n"))
qid = re.findall(r"([0-9A-Z]+): client=", inst.maillog())
L.check("idle in DATA: the unfinished file is removed", qid and L.wait_until(
    5, lambda: not os.path.exists(inst.incoming(qid[-1]))))

# A client that goes away in the middle of a transaction.
s = L.Session(inst.port)
s.reply()
s.cmd("EHLO client.example.test")
s.cmd("MAIL FROM:<sender@client.example.test>")
s.close()
L.check("vanished client: lost connection after MAIL", inst.wait_log(
    r"smtpd\[(\d+)\]: lost connection after MAIL from localhost\[127\.0\.0\.1\]\n"
    r"(?:.*\n)*?.*smtpd\[\1\]: disconnect from "
    r"localhost\[127\.0\.0\.1\] ehlo=1 mail=1 commands=2\n"))

inst.stop()
L.check("no panics", not re.search(r"smtpd\[\d+\]: (panic|fatal)", inst.maillog()))
inst.cleanup()
L.finish()
