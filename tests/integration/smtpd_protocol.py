# smtpd_protocol.py - the SMTP server's commands and replies against the
# Postfix reference (/work/shared/reference/smtp-session.txt, "postern"
# where Postfix says "Postfix"): greeting, EHLO/HELO, MAIL/RCPT syntax and
# parameters, sequence errors, VRFY, ETRN, AUTH/STARTTLS/XCLIENT entry
# points, BDAT, size and recipient limits, smtpd_helo_required,
# disable_vrfy_command, the hard error limit, smtpd_junk_command_limit,
# smtpd_discard_ehlo_keywords, over-long lines, a pipelined transaction in
# one write, the queued file (Received: header with and without "for",
# ESMTP and SMTP, content through queue-dump) and the smtpd log lines.
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

inst = L.Instance("protocol", services={
    "default": "",
    "size": "-o message_size_limit=20000",
    "nosize": "-o message_size_limit=0",
    "rcptlimit": "-o smtpd_recipient_limit=2",
    "novrfy": "-o disable_vrfy_command=yes",
    "helo": "-o smtpd_helo_required=yes",
    "errors": "-o smtpd_hard_error_limit=3",
    "junk": "-o smtpd_junk_command_limit=2 -o smtpd_hard_error_limit=2",
    "discard": "-o smtpd_discard_ehlo_keywords=pipelining,enhancedstatuscodes,chunking",
})
inst.start()

GREETING = "220 mx.example.test ESMTP acceptance"
EHLO = L.EHLO_DEFAULT


def script(name, label, steps, greet=True):
    """steps: (command, expected reply); checks each reply in order."""
    s = L.Session(inst.ports[label])
    if greet:
        L.check_eq(name + ": greeting", GREETING, s.reply())
    for i, (cmd, want) in enumerate(steps):
        got = s.cmd(cmd)
        L.check_eq("%s: %d %r" % (name, i, cmd[:60]), want, got)
    return s


def quit(s, name):
    L.check_eq(name + ": QUIT", "221 2.0.0 Bye", s.cmd("QUIT"))
    L.check(name + ": closed after QUIT", s.closed())
    s.close()


# A1-A3: greeting, EHLO, HELO, missing argument, lower case, EHLO twice.
s = script("A1", "default", [("EHLO client.example.test", EHLO)])
quit(s, "A1")
s = script("A2", "default", [("HELO client.example.test", "250 mx.example.test")])
quit(s, "A2")
s = script("A3", "default", [
    ("EHLO", "501 Syntax: EHLO hostname"),
    ("HELO", "501 Syntax: HELO hostname"),
    ("ehlo client.example.test", EHLO),
    ("EHLO second.example.test", EHLO),
])
quit(s, "A3")

# A4: MAIL, RCPT, RCPT, DATA in one write; body + "." + QUIT in one write.
s = L.Session(inst.port)
s.reply()
s.cmd("EHLO client.example.test")
s.send("MAIL FROM:<sender@client.example.test>\r\nRCPT TO:<alice@mx.example.test>\r\n"
       "RCPT TO:<bob@mx.example.test>\r\nDATA\r\n")
got = [s.reply() for _ in range(4)]
L.check_eq("A4: pipelined replies", ["250 2.1.0 Ok", "250 2.1.5 Ok", "250 2.1.5 Ok",
                                     "354 End data with <CR><LF>.<CR><LF>"], got)
s.send("From: <sender@client.example.test>\r\nTo: <alice@mx.example.test>\r\n"
       "Subject: pipelined\r\nMessage-ID: <pipe1@client.example.test>\r\n"
       "Date: Mon, 01 Jan 2024 00:00:00 +0000\r\n\r\nHello.\r\n.\r\nQUIT\r\n")
reply = s.reply()
qid = L.queued_id(reply)
L.check("A4: queued", qid is not None, reply)
L.check_eq("A4: QUIT after the pipelined end of data", "221 2.0.0 Bye", s.reply())
L.check("A4: closed", s.closed())
dump = inst.dump(qid or "none")
L.check("A4: queue file complete", dump.startswith("mode: complete"), dump[:200])
L.check("A4: Received header, several recipients (no 'for')",
        re.search(r"regular_text: Received: from client\.example\.test \(localhost \[127\.0\.0\.1\]\)\n"
                  r"regular_text: \?by mx\.example\.test \(postern\) with ESMTP id %s;\n"
                  r"regular_text: \?[A-Z][a-z]{2}, [ 0-9]\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [-+]\d{4}"
                  % qid, dump) is not None, dump)
L.check("A4: both recipients", "recipient: alice@mx.example.test" in dump
        and "recipient: bob@mx.example.test" in dump)
L.check("A4: content kept", "regular_text: Subject: pipelined\n" in dump
        and "regular_text: Message-ID: <pipe1@client.example.test>\n" in dump
        and "regular_text: \nregular_text: Hello.\n" in dump, dump)
L.check("A4: client= line", inst.wait_log(r"smtpd\[\d+\]: %s: client=localhost\[127\.0\.0\.1\]" % qid))
L.check("A4: disconnect line", inst.wait_log(
    r"disconnect from localhost\[127\.0\.0\.1\] ehlo=1 mail=1 rcpt=2 data=1 quit=1 commands=6"))

# A5: parameters, null sender, one recipient: the Received header has "for".
s = script("A5", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<> SIZE=300 BODY=8BITMIME RET=HDRS ENVID=abc123", "250 2.1.0 Ok"),
    ("RCPT TO:<alice@mx.example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;alice@mx.example.test",
     "250 2.1.5 Ok"),
    ("RCPT TO:<v1@virt.example.test> NOTIFY=NEVER", "250 2.1.5 Ok"),
    ("DATA", "354 End data with <CR><LF>.<CR><LF>"),
])
s.send("Subject: one at a time\r\n\r\nHello.\r\n.\r\n")
L.check("A5: queued", L.queued_id(s.reply()) is not None)
for cmd, want in [("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
                  ("RCPT TO:<Alice@MX.Example.Test>", "250 2.1.5 Ok"),
                  ("DATA", "354 End data with <CR><LF>.<CR><LF>")]:
    L.check_eq("A5: " + cmd, want, s.cmd(cmd))
s.send("Subject: no other headers\r\n\r\nbody\r\n.\r\n")
reply = s.reply()
qid = L.queued_id(reply)
L.check("A5: second message queued", qid is not None, reply)
quit(s, "A5")
dump = inst.dump(qid or "none")
L.check("A5: Received header with 'for <rcpt>'",
        re.search(r"regular_text: \?by mx\.example\.test \(postern\) with ESMTP id %s\n"
                  r"regular_text: \?for <Alice@MX\.Example\.Test>; [A-Z][a-z]{2}, " % qid,
                  dump) is not None, dump)
L.check("A5: body", "regular_text: Subject: no other headers\n" in dump
        and "regular_text: body\n" in dump)

# A6: unknown commands, HELP, NOOP, RSET, VRFY, EXPN, ETRN, AUTH, STARTTLS, XCLIENT.
s = script("A6a", "default", [
    ("EHLO client.example.test", EHLO),
    ("FOO", "500 5.5.2 Error: command not recognized"),
    ("FOO bar baz", "500 5.5.2 Error: command not recognized"),
    ("HELP", "500 5.5.2 Error: command not recognized"),
    ("HELP MAIL", "500 5.5.2 Error: command not recognized"),
    ("NOOP", "250 2.0.0 Ok"),
    ("NOOP hello", "250 2.0.0 Ok"),
    ("RSET", "250 2.0.0 Ok"),
])
quit(s, "A6a")
s = script("A6b", "default", [
    ("EHLO client.example.test", EHLO),
    ("RSET extra", "501 5.5.4 Syntax: RSET"),
    ("VRFY alice", "252 2.0.0 alice"),
    ("VRFY <alice@mx.example.test>", "252 2.0.0 <alice@mx.example.test>"),
    ("VRFY nosuchuser",
     "550 5.1.1 <nosuchuser>: Recipient address rejected: User unknown in local recipient table"),
    ("VRFY nosuch@virt.example.test", "550 5.1.1 <nosuch@virt.example.test>: Recipient address "
     "rejected: User unknown in virtual mailbox table"),
    ("VRFY v1@virt.example.test", "252 2.0.0 v1@virt.example.test"),
    ("VRFY someone@elsewhere.example.test", "252 2.0.0 someone@elsewhere.example.test"),
])
quit(s, "A6b")
s = script("A6c", "default", [
    ("EHLO client.example.test", EHLO),
    ("VRFY", "501 5.5.4 Syntax: VRFY address [SMTPUTF8]"),
    ("EXPN alice", "500 5.5.2 Error: command not recognized"),
    ("ETRN example.test", "459 <example.test>: service unavailable"),
    ("ETRN", "500 Syntax: ETRN domain"),
    ("ETRN #example.test", "459 <example.test>: service unavailable"),
    ("AUTH PLAIN", "503 5.5.1 Error: authentication not enabled"),
    ("STARTTLS", "502 5.5.1 Error: command not implemented"),
])
quit(s, "A6c")
s = script("A6d", "default", [
    ("EHLO client.example.test", EHLO),
    ("XCLIENT ADDR=192.0.2.1", "550 5.7.0 Error: insufficient authorization"),
    ("XFORWARD ADDR=192.0.2.1", "550 5.7.0 Error: insufficient authorization"),
    ("TURN", "500 5.5.2 Error: command not recognized"),
    ("", "500 5.5.2 Error: bad syntax"),
    (" ", "500 5.5.2 Error: bad syntax"),
    ("MAIL", "501 5.5.4 Syntax: MAIL FROM:<address>"),
    ("RCPT", "503 5.5.1 Error: need MAIL command"),
])
quit(s, "A6d")
s = script("A6e", "default", [("EHLO client.example.test", EHLO),
                              ("DATA extra", "503 5.5.1 Error: need RCPT command")])
quit(s, "A6e")

# A7: bad sequences; BDAT without MAIL still consumes its chunk.
s = script("A7", "default", [
    ("EHLO client.example.test", EHLO),
    ("RCPT TO:<alice@mx.example.test>", "503 5.5.1 Error: need MAIL command"),
    ("DATA", "503 5.5.1 Error: need RCPT command"),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("MAIL FROM:<sender@client.example.test>", "503 5.5.1 Error: nested MAIL command"),
    ("DATA", "554 5.5.1 Error: no valid recipients"),
    ("RCPT TO:<nosuchuser@mx.example.test>", "550 5.1.1 <nosuchuser@mx.example.test>: Recipient "
     "address rejected: User unknown in local recipient table"),
    ("DATA", "554 5.5.1 Error: no valid recipients"),
    ("RSET", "250 2.0.0 Ok"),
])
s.send("BDAT 10 LAST\r\n0123456789")
L.check_eq("A7: BDAT without MAIL", "503 5.5.1 Error: need RCPT command", s.reply())
quit(s, "A7")
L.check("A7: NOQUEUE reject line", inst.wait_log(
    r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 550 5\.1\.1 <nosuchuser@mx\.example\.test>: "
    r"Recipient address rejected: User unknown in local recipient table; "
    r"from=<sender@client\.example\.test> to=<nosuchuser@mx\.example\.test> proto=ESMTP "
    r"helo=<client\.example\.test>"))

# A7b: MAIL without HELO is allowed by default.
s = script("A7b", "default", [("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
                              ("RCPT TO:<alice@mx.example.test>", "250 2.1.5 Ok"),
                              ("RSET", "250 2.0.0 Ok")])
quit(s, "A7b")

# A8-A10: address and parameter syntax.
s = script("A8a", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL", "501 5.5.4 Syntax: MAIL FROM:<address>"),
    ("MAIL FROM", "501 5.5.4 Syntax: MAIL FROM:<address>"),
    ("MAIL FROM:", "501 5.5.4 Syntax: MAIL FROM:<address>"),
    ("MAIL TO:<sender@client.example.test>", "501 5.5.4 Syntax: MAIL FROM:<address>"),
    ("MAIL FROM:<sender@client.example.test", "501 5.1.7 Bad sender address syntax"),
    ("MAIL FROM:sender@client.example.test", "250 2.1.0 Ok"),
    ("MAIL FROM: <sender@client.example.test>", "503 5.5.1 Error: nested MAIL command"),
])
quit(s, "A8a")
s = script("A8b", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<sender@client.example.test> <x@y.example.test>",
     "555 5.5.4 Unsupported option: <x@y.example.test>"),
    ("MAIL FROM:<sender with space@client.example.test>", "501 5.1.7 Bad sender address syntax"),
    ('MAIL FROM:<"quoted local"@client.example.test>', "250 2.1.0 Ok"),
    ("RSET", "250 2.0.0 Ok"),
    ("MAIL FROM:<@route.example.test:sender@client.example.test>", "250 2.1.0 Ok"),
    ("RSET", "250 2.0.0 Ok"),
    ("MAIL FROM:<sender@[192.0.2.1]>", "250 2.1.0 Ok"),
])
quit(s, "A8b")
s = script("A9", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("RCPT", "501 5.5.4 Syntax: RCPT TO:<address>"),
    ("RCPT TO:", "501 5.5.4 Syntax: RCPT TO:<address>"),
    ("RCPT TO:<>", "501 5.1.3 Bad recipient address syntax"),
    ("RCPT FROM:<alice@mx.example.test>", "501 5.5.4 Syntax: RCPT TO:<address>"),
    ("RCPT TO:<alice@mx.example.test", "501 5.1.3 Bad recipient address syntax"),
    ("RCPT TO:alice@mx.example.test", "250 2.1.5 Ok"),
    ("RCPT TO:<alice@mx.example.test> <x>", "555 5.5.4 Unsupported option: <x>"),
    ("RCPT TO:<postmaster>", "250 2.1.5 Ok"),
    ("RCPT TO:<alice>", "250 2.1.5 Ok"),
    ("RCPT TO:<alice@>", "501 5.1.3 Bad recipient address syntax"),
    ("RCPT TO:<@mx.example.test>", "250 2.1.5 Ok"),
])
quit(s, "A9")
s = script("A10", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<sender@client.example.test> FOO=BAR", "555 5.5.4 Unsupported option: FOO=BAR"),
    ("MAIL FROM:<sender@client.example.test> SIZE=abc", "501 5.5.4 Bad message size syntax"),
    ("MAIL FROM:<sender@client.example.test> BODY=9BIT", "555 5.5.4 Unsupported option: BODY=9BIT"),
    ("MAIL FROM:<sender@client.example.test> RET=ALL", "501 5.5.4 Bad RET parameter syntax"),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("RCPT TO:<alice@mx.example.test> NOTIFY=SOMETIMES", "501 5.5.4 Error: Bad NOTIFY parameter syntax"),
    ("RCPT TO:<alice@mx.example.test> ORCPT=bogus", "501 5.5.4 Error: Bad ORCPT parameter syntax"),
    ("RCPT TO:<alice@mx.example.test> SIZE=10", "555 5.5.4 Unsupported option: SIZE=10"),
])
quit(s, "A10")

# A11: unknown users; a foreign domain from a client inside mynetworks.
s = script("A11", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("RCPT TO:<nosuchuser@localhost>", "550 5.1.1 <nosuchuser@localhost>: Recipient address "
     "rejected: User unknown in local recipient table"),
    ("RCPT TO:<v1@virt.example.test>", "250 2.1.5 Ok"),
    ("RCPT TO:<someone@elsewhere.example.test>", "250 2.1.5 Ok"),
    ("RSET", "250 2.0.0 Ok"),
])
quit(s, "A11")

# A12 / J: over-long command lines are cut (and logged); long body lines kept.
s = script("A12", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<" + "a" * 4980 + "@client.example.test>", "501 5.1.7 Bad sender address syntax"),
    ("NOOP " + "x" * 5000, "250 2.0.0 Ok"),
    ("MAIL FROM:<sender@client.example.test>" + " " * 2100, "250 2.1.0 Ok"),
    ("RCPT TO:<" + "b" * 3000 + "@mx.example.test>", "501 5.1.3 Bad recipient address syntax"),
    ("RCPT TO:<carol@mx.example.test>", "250 2.1.5 Ok"),
    ("DATA", "354 End data with <CR><LF>.<CR><LF>"),
])
s.send("Subject: long line\r\n\r\n" + "x" * 5000 + "\r\nend\r\n.\r\n")
reply = s.reply()
qid = L.queued_id(reply)
L.check("A12: queued", qid is not None, reply)
quit(s, "A12")
dump = inst.dump(qid or "none")
L.check("A12: 5000-octet body line kept whole",
        L.content(dump).endswith("\n\n" + "x" * 5000 + "\nend\n"), dump[-300:])
L.check("A12: request longer than 2048 logged", inst.wait_log(
    r"warning: localhost\[127\.0\.0\.1\]: request longer than 2048: NOOP x{25}\.\.\."))

# A13: BDAT.
s = script("A13", "default", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("RCPT TO:<alice@mx.example.test>", "250 2.1.5 Ok"),
])
s.send("BDAT 10\r\nSubject: b")
L.check_eq("A13: first chunk", "250 2.0.0 Ok: 10 bytes", s.reply())
s.send("BDAT 21 LAST\r\ndat\r\n\r\nchunked body\r\n")
reply = s.reply()
qid = L.queued_id(reply)
L.check("A13: last chunk", re.match(r"250 2\.0\.0 Ok: 31 bytes queued as [0-9A-Z]+$", reply)
        is not None, reply)
L.check_eq("A13: BDAT 0 LAST after the message", "503 5.5.1 Error: need RCPT command",
           s.cmd("BDAT 0 LAST"))
L.check_eq("A13: MAIL", "250 2.1.0 Ok", s.cmd("MAIL FROM:<sender@client.example.test>"))
L.check_eq("A13: RCPT", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
L.check_eq("A13: bad BDAT", "521 5.5.4 Syntax: BDAT count [LAST]", s.cmd("BDAT abc"))
L.check("A13: disconnected after a bad BDAT", s.closed())
dump = inst.dump(qid or "none")
L.check("A13: BDAT content", "regular_text: Subject: bdat\n" in dump
        and "regular_text: chunked body\n" in dump, dump)

# A14: QUIT with an argument.
s = L.Session(inst.port)
s.reply()
quit(s, "A14")

# B: message_size_limit = 20000 and 0.
s = script("B", "size", [
    ("EHLO client.example.test", EHLO.replace("SIZE 10240000", "SIZE 20000")),
    ("MAIL FROM:<sender@client.example.test> SIZE=20000", "250 2.1.0 Ok"),
    ("RSET", "250 2.0.0 Ok"),
    ("MAIL FROM:<sender@client.example.test> SIZE=20001", "552 5.3.4 Message size exceeds fixed limit"),
    ("MAIL FROM:<sender@client.example.test> SIZE=99999999999999999999",
     "552 5.3.4 Message size exceeds file system imposed limit"),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("RCPT TO:<alice@mx.example.test>", "250 2.1.5 Ok"),
    ("DATA", "354 End data with <CR><LF>.<CR><LF>"),
])
s.send("Subject: big\r\n\r\n" + ("y" * 99 + "\r\n") * 300 + ".\r\n")
L.check_eq("B: oversize at end of DATA", "552 5.3.4 Error: message file too big", s.reply())
L.check_eq("B: session continues", "250 2.0.0 Ok", s.cmd("NOOP"))
quit(s, "B")
s = script("B0", "nosize", [
    ("EHLO client.example.test", EHLO.replace("SIZE 10240000", "SIZE")),
    ("MAIL FROM:<sender@client.example.test> SIZE=99999999999", "250 2.1.0 Ok"),
])
quit(s, "B0")

# D: smtpd_recipient_limit = 2.
s = script("D", "rcptlimit", [
    ("EHLO client.example.test", EHLO),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("RCPT TO:<alice@mx.example.test>", "250 2.1.5 Ok"),
    ("RCPT TO:<bob@mx.example.test>", "250 2.1.5 Ok"),
    ("RCPT TO:<carol@mx.example.test>", "452 4.5.3 Error: too many recipients"),
    ("RCPT TO:<carol@mx.example.test>", "452 4.5.3 Error: too many recipients"),
    ("DATA", "354 End data with <CR><LF>.<CR><LF>"),
])
s.send("Subject: limit\r\n\r\nx\r\n.\r\n")
L.check("D: queued with two recipients", L.queued_id(s.reply()) is not None)
quit(s, "D")

# E: VRFY disabled (and not advertised).
s = script("E", "novrfy", [
    ("EHLO client.example.test", EHLO.replace("250-VRFY\n", "")),
    ("VRFY alice", "502 5.5.1 VRFY command is disabled"),
    ("VRFY", "502 5.5.1 VRFY command is disabled"),
    ("EXPN alice", "500 5.5.2 Error: command not recognized"),
])
quit(s, "E")

# F: smtpd_helo_required = yes.
s = script("F", "helo", [
    ("MAIL FROM:<sender@client.example.test>", "503 5.5.1 Error: send HELO/EHLO first"),
    ("VRFY alice", "252 2.0.0 alice"),
    ("HELO client.example.test", "250 mx.example.test"),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
])
quit(s, "F")

# G: smtpd_hard_error_limit = 3.
s = script("G", "errors", [
    ("EHLO client.example.test", EHLO),
    ("FOO", "500 5.5.2 Error: command not recognized"),
    ("BAR", "500 5.5.2 Error: command not recognized"),
    ("BAZ", "500 5.5.2 Error: command not recognized"),
    ("QUX", "421 4.7.0 mx.example.test Error: too many errors"),
])
L.check("G: disconnected", s.closed())

# smtpd_junk_command_limit: NOOPs past the limit count as errors, and the
# hard error limit then ends the session.
s = script("junk", "junk", [("NOOP", "250 2.0.0 Ok")] * 4
           + [("NOOP", "421 4.7.0 mx.example.test Error: too many errors")])
L.check("junk: disconnected", s.closed())

# smtpd_discard_ehlo_keywords: not offered, and no enhanced codes without
# ENHANCEDSTATUSCODES.
s = script("discard", "discard", [
    ("EHLO client.example.test", "\n".join([
        "250-mx.example.test", "250-SIZE 10240000", "250-VRFY", "250-ETRN", "250-8BITMIME",
        "250-DSN", "250 SMTPUTF8"])),
    ("MAIL FROM:<sender@client.example.test>", "250 Ok"),
    ("RCPT TO:<nosuchuser@mx.example.test>", "550 <nosuchuser@mx.example.test>: Recipient "
     "address rejected: User unknown in local recipient table"),
])
L.check_eq("discard: QUIT without enhanced code", "221 Bye", s.cmd("QUIT"))
s.close()

# HELO: the Received header says "with SMTP".
s = script("HELO message", "default", [
    ("HELO client.example.test", "250 mx.example.test"),
    ("MAIL FROM:<sender@client.example.test>", "250 2.1.0 Ok"),
    ("RCPT TO:<bob@mx.example.test>", "250 2.1.5 Ok"),
    ("DATA", "354 End data with <CR><LF>.<CR><LF>"),
])
s.send("Subject: helo\r\n\r\nx\r\n.\r\n")
qid = L.queued_id(s.reply())
quit(s, "HELO message")
L.check("HELO message: with SMTP", L.content(inst.dump(qid or "none")).startswith(
    "Received: from client.example.test (localhost [127.0.0.1])\n?by mx.example.test (postern) "
    "with SMTP id %s\n?for <bob@mx.example.test>; " % qid))  # queue-dump shows TAB as '?'

# A client that talks before the greeting is logged.
s = L.Session(inst.port)
s.send("EHLO early.example.test\r\n")
s.reply()
L.check_eq("early talker: EHLO still answered", EHLO, s.reply())
quit(s, "early talker")

inst.stop()
log = inst.maillog()
L.check("no smtpd warnings other than the long requests and no panics",
        not re.search(r"smtpd\[\d+\]: (panic|fatal)", log), log[-2000:])
L.check("every session logged a disconnect line",
        len(re.findall(r"smtpd\[\d+\]: connect from", log))
        == len(re.findall(r"smtpd\[\d+\]: disconnect from", log)))
inst.cleanup()
L.finish()
