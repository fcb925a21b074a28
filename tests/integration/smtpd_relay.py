# smtpd_relay.py - relay control and access restrictions against a real
# instance whose mynetworks leaves 127.0.0.1 OUTSIDE (192.0.2.0/24): the
# relay trick battery (user%other@here, other!user@here, "user@other"@here,
# @here:user@other, user@other.@here, trailing dots, address literals) must
# all be refused with the default smtpd_relay_restrictions (454 4.7.1) and
# with reject_unauth_destination (554 5.7.1), while local and virtual users
# are accepted; then check_*_access actions (OK REJECT DEFER DUNNO 4xx/5xx
# HOLD DISCARD, restriction classes), warn_if_reject, reject_non_fqdn_*,
# reject_invalid_helo_hostname and smtpd_delay_reject = no, with the
# replies and NOQUEUE log lines of the Postfix reference.
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

# The access tables live in a directory of their own: their paths go into
# master.cf before the instance directory exists.
d = tempfile.mkdtemp(prefix="postern-smtpd-tables.")
os.chmod(d, 0o755)
with open(d + "/sender_access", "w") as f:
    f.write("holdme@client.example.test HOLD\n"
            "rejectme@client.example.test REJECT\n"
            "customreject@client.example.test 550 5.7.0 go away\n"
            "defer.example.test DEFER\n"
            "dunno@client.example.test DUNNO\n"
            "discardme@client.example.test DISCARD\n"
            "okme@client.example.test OK\n"
            "prepend@client.example.test PREPEND X-Test: prepended\n")
with open(d + "/client_access", "w") as f:
    f.write("127.0.0.1 REJECT\n")
with open(d + "/helo_access", "w") as f:
    f.write("bad.example.test REJECT helo go away\n")
with open(d + "/rcpt_access", "w") as f:
    f.write("bob@mx.example.test 450 4.2.0 try later\ncarol@mx.example.test strict\n")

inst = L.Instance("relay", main_extra={
    "mynetworks": "192.0.2.0/24",
    "smtpd_restriction_classes": "strict",
    "strict": "reject",
}, services={
    "default": "",
    "reject": "-o smtpd_relay_restrictions=permit_mynetworks,permit_sasl_authenticated,"
              "reject_unauth_destination",
    "sender": "-o smtpd_sender_restrictions=check_sender_access,texthash:%s/sender_access" % d,
    "client": "-o smtpd_client_restrictions=check_client_access,texthash:%s/client_access" % d,
    "helo": "-o smtpd_helo_restrictions=check_helo_access,texthash:%s/helo_access" % d,
    "rcpt": "-o smtpd_recipient_restrictions=check_recipient_access,texthash:%s/rcpt_access" % d,
    "fqdn": "-o smtpd_recipient_restrictions=reject_non_fqdn_helo_hostname,"
            "reject_invalid_helo_hostname,reject_non_fqdn_sender,reject_non_fqdn_recipient",
    "warn": "-o smtpd_recipient_restrictions=warn_if_reject,reject",
    "data": "-o smtpd_data_restrictions=reject",
    "eod": "-o smtpd_end_of_data_restrictions=reject",
    "nodelay": "-o smtpd_delay_reject=no "
               "-o smtpd_sender_restrictions=check_sender_access,texthash:%s/sender_access" % d,
})
inst.start()


def session(label, helo="client.example.test", sender="sender@client.example.test"):
    s = L.Session(inst.ports[label])
    s.reply()
    s.cmd("EHLO " + helo)
    L.check_eq("%s: MAIL FROM:<%s>" % (label, sender), "250 2.1.0 Ok",
               s.cmd("MAIL FROM:<%s>" % sender))
    return s


TRICKS = [
    "someone@elsewhere.example.test",
    "SOMEONE@ELSEWHERE.EXAMPLE.TEST",
    "someone%elsewhere.example.test@mx.example.test",
    "elsewhere.example.test!someone@mx.example.test",
    '"someone@elsewhere.example.test"@mx.example.test',
    '"alice%elsewhere.example.test"@mx.example.test',
    "@mx.example.test:someone@elsewhere.example.test",
    "@mx.example.test,@localhost:someone@elsewhere.example.test",
    "someone@elsewhere.example.test.@mx.example.test",
    "someone@elsewhere.example.test.",
    "someone@elsewhere.example.test..",
    "someone@[192.0.2.99]",
    "someone@[IPv6:2001:db8::1]",
    "alice%mx.example.test@elsewhere.example.test",
    "alice@mx.example.test@elsewhere.example.test",
    "@elsewhere.example.test",
]

for label, code in (("default", "454 4.7.1"), ("reject", "554 5.7.1")):
    s = session(label)
    for rcpt in TRICKS:
        reply = s.cmd("RCPT TO:<%s>" % rcpt)
        L.check("%s: %s refused" % (label, rcpt),
                reply.startswith(code) and reply.endswith("Relay access denied")
                or reply.startswith("501 5.1.3"), reply)
    for rcpt, want in (("someone@elsewhere.example.test",
                        code + " <someone@elsewhere.example.test>: Relay access denied"),
                       ("someone%elsewhere.example.test@mx.example.test",
                        code + " <someone%elsewhere.example.test@mx.example.test>: Relay access denied"),
                       ("nosuchuser@mx.example.test", "550 5.1.1 <nosuchuser@mx.example.test>: "
                        "Recipient address rejected: User unknown in local recipient table"),
                       ("alice@mx.example.test", "250 2.1.5 Ok"),
                       ("alice@MX.example.test.", "250 2.1.5 Ok"),
                       ("v1@virt.example.test", "250 2.1.5 Ok")):
        L.check_eq("%s: RCPT %s" % (label, rcpt), want, s.cmd("RCPT TO:<%s>" % rcpt))
    L.check_eq(label + ": DATA", "354 End data with <CR><LF>.<CR><LF>", s.cmd("DATA"))
    s.send("Subject: x\r\n\r\nx\r\n.\r\n")
    reply = s.reply()
    qid = L.queued_id(reply)
    L.check(label + ": queued", qid is not None, reply)
    dump = inst.dump(qid or "none")
    L.check(label + ": only the accepted recipients",
            sorted(re.findall(r"^recipient: (.*)$", dump, re.M))
            == ["alice@MX.example.test.", "alice@mx.example.test", "v1@virt.example.test"], dump)
    L.check(label + ": nothing for elsewhere", "elsewhere" not in dump)
    s.cmd("QUIT")
    s.close()
L.check("relay reject logged", inst.wait_log(
    r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 454 4\.7\.1 "
    r"<someone@elsewhere\.example\.test>: Relay access denied; from=<sender@client\.example\.test> "
    r"to=<someone@elsewhere\.example\.test> proto=ESMTP helo=<client\.example\.test>"))

# check_sender_access (evaluated at RCPT: smtpd_delay_reject = yes).
for sender, want in (
        ("rejectme@client.example.test",
         "554 5.7.1 <rejectme@client.example.test>: Sender address rejected: Access denied"),
        ("customreject@client.example.test",
         "550 5.7.0 <customreject@client.example.test>: Sender address rejected: go away"),
        ("x@defer.example.test", "450 4.7.1 <x@defer.example.test>: Sender address rejected: "
         "Access denied"),
        ("x@sub.defer.example.test", "450 4.7.1 <x@sub.defer.example.test>: Sender address "
         "rejected: Access denied"),
        ("dunno@client.example.test", "250 2.1.5 Ok"),
        ("okme@client.example.test", "250 2.1.5 Ok")):
    s = session("sender", sender=sender)
    L.check_eq("sender " + sender, want, s.cmd("RCPT TO:<alice@mx.example.test>"))
    s.cmd("QUIT")
    s.close()
# OK in the sender list does not permit relaying.
s = session("sender", sender="okme@client.example.test")
L.check_eq("sender OK does not open the relay",
           "454 4.7.1 <someone@elsewhere.example.test>: Relay access denied",
           s.cmd("RCPT TO:<someone@elsewhere.example.test>"))
s.close()

# HOLD: accepted, logged, and the queue file goes on hold.
s = session("sender", sender="holdme@client.example.test")
L.check_eq("HOLD: RCPT", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.cmd("DATA")
s.send("Subject: hold\r\n\r\nx\r\n.\r\n")
qid = L.queued_id(s.reply())
L.check("HOLD: queued", qid is not None)
s.cmd("QUIT")
s.close()
L.check("HOLD: logged as the reference", inst.wait_log(
    r"NOQUEUE: hold: RCPT from localhost\[127\.0\.0\.1\]: <holdme@client\.example\.test>: Sender "
    r"address triggers HOLD action; from=<holdme@client\.example\.test> to=<alice@mx\.example\.test> "
    r"proto=ESMTP helo=<client\.example\.test>"))
held = [f for _, _, files in os.walk(os.path.join(inst.dir, "spool", "hold")) for f in files]
L.check("HOLD: the file is in hold/", qid in held, repr(held))

# DISCARD: "queued", but nothing is kept.
s = session("sender", sender="discardme@client.example.test")
L.check_eq("DISCARD: RCPT", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.cmd("DATA")
s.send("Subject: discard\r\n\r\nx\r\n.\r\n")
qid = L.queued_id(s.reply())
L.check("DISCARD: claimed queued", qid is not None)
s.cmd("QUIT")
s.close()
L.check("DISCARD: logged", inst.wait_log(r"%s: discard: END-OF-MESSAGE from localhost" % qid))
L.check("DISCARD: no queue file (cleanup removes the abandoned file)",
        L.wait_until(5, lambda: not os.path.exists(inst.incoming(qid or "none"))))

# PREPEND: the header goes above our Received: header.
s = session("sender", sender="prepend@client.example.test")
s.cmd("RCPT TO:<alice@mx.example.test>")
s.cmd("DATA")
s.send("Subject: prepend\r\n\r\nx\r\n.\r\n")
qid = L.queued_id(s.reply())
s.close()
L.check("PREPEND: header added first", L.content(inst.dump(qid or "none")).startswith(
    "X-Test: prepended\nReceived: from client.example.test (localhost [127.0.0.1])\n"))

# smtpd_data_restrictions and smtpd_end_of_data_restrictions.
s = session("data")
s.cmd("RCPT TO:<alice@mx.example.test>")
L.check_eq("data restrictions", "554 5.7.1 <DATA>: Data command rejected: Access denied",
           s.cmd("DATA"))
s.close()
s = session("eod")
s.cmd("RCPT TO:<alice@mx.example.test>")
L.check_eq("end-of-data: DATA", "354 End data with <CR><LF>.<CR><LF>", s.cmd("DATA"))
s.send("Subject: eod\r\n\r\nx\r\n.\r\n")
L.check_eq("end-of-data restrictions",
           "554 5.7.1 <END-OF-MESSAGE>: End-of-data rejected: Access denied", s.reply())
L.check_eq("end-of-data: session goes on", "250 2.0.0 Ok", s.cmd("NOOP"))
s.close()
qid = re.findall(r"([0-9A-Z]+): reject: END-OF-MESSAGE", inst.maillog())
L.check("end-of-data: rejected file removed", qid != [] and L.wait_until(
    5, lambda: not os.path.exists(inst.incoming(qid[-1]))))

# check_client_access, check_helo_access, check_recipient_access, classes.
s = session("client")
L.check_eq("client access REJECT",
           "554 5.7.1 <localhost[127.0.0.1]>: Client host rejected: Access denied",
           s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()
s = session("helo", helo="bad.example.test")
L.check_eq("helo access REJECT text",
           "554 5.7.1 <bad.example.test>: Helo command rejected: helo go away",
           s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()
s = session("rcpt")
L.check_eq("recipient access 4xx text",
           "450 4.2.0 <bob@mx.example.test>: Recipient address rejected: try later",
           s.cmd("RCPT TO:<bob@mx.example.test>"))
L.check_eq("recipient access restriction class",
           "554 5.7.1 <carol@mx.example.test>: Recipient address rejected: Access denied",
           s.cmd("RCPT TO:<carol@mx.example.test>"))
L.check_eq("recipient access: not listed", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()

# reject_non_fqdn_* and reject_invalid_helo_hostname.
s = session("fqdn", helo="client")
L.check_eq("non-FQDN HELO", "504 5.5.2 <client>: Helo command rejected: need fully-qualified "
           "hostname", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()
s = session("fqdn", helo="bad_host!.example.test")
L.check_eq("invalid HELO", "501 5.5.2 <bad_host!.example.test>: Helo command rejected: Invalid name",
           s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()
s = session("fqdn", sender="sender")
L.check_eq("non-FQDN sender", "504 5.5.2 <sender>: Sender address rejected: need "
           "fully-qualified address", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()
s = session("fqdn")
L.check_eq("non-FQDN recipient", "504 5.5.2 <alice>: Recipient address rejected: need "
           "fully-qualified address", s.cmd("RCPT TO:<alice>"))
L.check_eq("FQDN everything", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()

# warn_if_reject: logged, not enforced.
s = session("warn")
L.check_eq("warn_if_reject reject", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.close()
L.check("warn_if_reject logged", inst.wait_log(
    r"NOQUEUE: reject_warning: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 "
    r"<alice@mx\.example\.test>: Recipient address rejected: Access denied;"))

# smtpd_delay_reject = no: the sender is refused at MAIL.
s = L.Session(inst.ports["nodelay"])
s.reply()
s.cmd("EHLO client.example.test")
L.check_eq("delay_reject=no: MAIL refused",
           "554 5.7.1 <rejectme@client.example.test>: Sender address rejected: Access denied",
           s.cmd("MAIL FROM:<rejectme@client.example.test>"))
L.check_eq("delay_reject=no: other sender", "250 2.1.0 Ok",
           s.cmd("MAIL FROM:<sender@client.example.test>"))
s.close()

inst.stop()
L.check("no panics", not re.search(r"smtpd\[\d+\]: (panic|fatal)", inst.maillog()))
inst.cleanup()
shutil.rmtree(d, ignore_errors=True)
L.finish()
