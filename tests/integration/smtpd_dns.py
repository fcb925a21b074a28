# smtpd_dns.py - the DNS-based restrictions against tests/helpers/dns-responder.py:
# reject_unknown_sender_domain / _recipient_domain (MX, A-only, NXDOMAIN,
# SERVFAIL tempfail, null MX, unknown_address_reject_code),
# reject_unknown_client_hostname, reject_unknown_reverse_client_hostname,
# reject_unknown_helo_hostname, reject_rbl_client (TXT reason, result
# filters "=127.0.0.2" and "=127.0.0.[5..10]", maps_rbl_reject_code,
# rbl_reply_maps),
# reject_rhsbl_sender / _helo / _client, with default_rbl_reply expanded;
# and permit_mynetworks with "!", /file and cidr: entries (lib/mail/net_list);
# defer_if_permit / defer_if_reject bookkeeping: a SERVFAIL sender domain
# (unknown_address_tempfail_action = defer_if_permit) defers only when the
# evaluation would permit, a later explicit reject keeps its own reply, the
# elements defer_if_permit and defer_if_reject, warn_if_reject, and
# smtpd_delay_reject = no carrying the deferral from MAIL to RCPT.
# The test re-runs itself in a private network + mount namespace
# (unshare -mn) whose /etc/resolv.conf names 127.0.0.1, where the responder
# listens on port 53: smtpd uses the system resolver unchanged. Clients
# come from other loopback addresses (127.0.0.2 has no PTR, 127.0.0.3 a
# forward-confirmed one, 127.0.0.4 a PTR whose name does not resolve).
import os
import re
import subprocess
import sys
import shutil
import tempfile

if os.environ.get("SMTPD_DNS_NS") is None:
    if subprocess.run(["unshare", "-mn", "true"], capture_output=True).returncode != 0:
        print("SKIP: cannot create a network namespace (unshare -mn)")
        sys.exit(77)
    os.environ["SMTPD_DNS_NS"] = "1"
    os.execvp("unshare", ["unshare", "-mn", sys.executable, os.path.abspath(__file__)])

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
scratch = tempfile.mkdtemp(prefix="postern-smtpd-dns.")
with open(scratch + "/resolv.conf", "w") as f:
    f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:2\n")
subprocess.run(["mount", "--bind", scratch + "/resolv.conf", "/etc/resolv.conf"], check=True)

ZONE = [
    "client.example.test MX 10 mx.client.example.test",
    "mx.client.example.test A 127.0.0.1",
    "aonly.example.test A 127.0.0.1",
    "nullmx.example.test MX 0 .",
    "broken.example.test SERVFAIL",
    "helo.example.test A 127.0.0.1",
    "2.0.0.127.zen.test A 127.0.0.2",
    "2.0.0.127.zen.test TXT listed for testing",
    "2.0.0.127.other.test A 127.0.0.10",
    "spam.example.test.dbl.test A 127.0.1.2",
    "badhelo.example.test.dbl.test A 127.0.1.2",
    "3.0.0.127.in-addr.arpa PTR named.example.test",
    "named.example.test A 127.0.0.3",
    "named.example.test.dbl.test A 127.0.1.2",
    "4.0.0.127.in-addr.arpa PTR fake.example.test",
    "2.0.0.127.custom.test A 127.0.0.2",
    "2.0.0.127.custom.test TXT see the list",
    "2.0.0.127.nodsn.test A 127.0.0.2",
]
responder = subprocess.Popen([sys.executable, os.path.join(L.TOP_SRC, "tests/helpers/dns-responder.py"),
                              "-p", "53", "-f", scratch + "/port"] + ZONE,
                             stdout=subprocess.DEVNULL, stderr=open(scratch + "/dns.log", "w"))
L.check("DNS responder started", L.wait_until(10, lambda: os.path.exists(scratch + "/port") and
                                              os.path.getsize(scratch + "/port") > 0))

# mynetworks through lib/mail/net_list: "!" exclusion, /file, cidr: table.
with open(scratch + "/nets", "w") as f:
    f.write("# clients allowed to relay\n127.0.0.3\n")
with open(scratch + "/nets.cidr", "w") as f:
    f.write("127.0.0.4/32 OK\n")
with open(scratch + "/rbl_reply", "w") as f:
    f.write("custom.test 550 5.7.2 Custom: $rbl_class $rbl_what listed by $rbl_domain"
            "${rbl_reason?: $rbl_reason}\n"
            "nodsn.test 451 Try later, $rbl_domain\n")
os.chmod(scratch, 0o755)
inst = L.Instance("dns", main_extra={"mynetworks": "192.0.2.0/24",
                                     "rbl_reply_maps": "texthash:%s/rbl_reply" % scratch},
                 services={
    "default": "",
    "mynets": "-o mynetworks=!127.0.0.2,%s/nets,cidr:%s/nets.cidr" % (scratch, scratch),
    "sender": "-o smtpd_sender_restrictions=reject_unknown_sender_domain",
    "rcpt": "-o smtpd_relay_restrictions=reject_unknown_recipient_domain,permit",
    "rcpt550": "-o smtpd_relay_restrictions=reject_unknown_recipient_domain,permit"
               " -o unknown_address_reject_code=550",
    "tfdunno": "-o smtpd_sender_restrictions=reject_unknown_sender_domain"
               " -o unknown_address_tempfail_action=dunno",
    "client": "-o smtpd_client_restrictions=reject_unknown_client_hostname",
    "reverse": "-o smtpd_client_restrictions=reject_unknown_reverse_client_hostname",
    "helo": "-o smtpd_helo_restrictions=reject_unknown_helo_hostname",
    "rbl": "-o smtpd_client_restrictions=reject_rbl_client,zen.test",
    "rbl550": "-o smtpd_client_restrictions=reject_rbl_client,zen.test -o maps_rbl_reject_code=550",
    "rblexact": "-o smtpd_client_restrictions=reject_rbl_client,other.test=127.0.0.2",
    "rblrange": "-o smtpd_client_restrictions=reject_rbl_client,other.test=127.0.0.[5..10]",
    "rblcustom": "-o smtpd_client_restrictions=reject_rbl_client,custom.test",
    "rblnodsn": "-o smtpd_client_restrictions=reject_rbl_client,nodsn.test",
    "dipermit": "-o smtpd_sender_restrictions=reject_unknown_sender_domain,permit",
    "direject": "-o smtpd_sender_restrictions=reject_unknown_sender_domain"
                " -o smtpd_relay_restrictions=reject_unauth_destination",
    "tfdefer": "-o smtpd_sender_restrictions=reject_unknown_sender_domain"
               " -o smtpd_relay_restrictions=reject_unauth_destination"
               " -o unknown_address_tempfail_action=defer",
    "elem_dir": "-o smtpd_sender_restrictions=defer_if_reject,reject_non_fqdn_sender",
    "elem_dir_ok": "-o smtpd_sender_restrictions=defer_if_reject,permit"
                   " -o smtpd_relay_restrictions=reject_unauth_destination",
    "elem_dip": "-o smtpd_recipient_restrictions=defer_if_permit",
    "elem_dip_rej": "-o smtpd_relay_restrictions=defer_if_permit,reject_unauth_destination",
    "warn": "-o smtpd_sender_restrictions=warn_if_reject,reject_unknown_sender_domain",
    "nodelay": "-o smtpd_delay_reject=no"
               " -o smtpd_sender_restrictions=reject_unknown_sender_domain",
    "rhsbl": "-o smtpd_sender_restrictions=reject_rhsbl_sender,dbl.test"
             " -o smtpd_helo_restrictions=reject_rhsbl_helo,dbl.test"
             " -o smtpd_client_restrictions=reject_rhsbl_client,dbl.test",
})
inst.start()
P = inst.ports


def rcpt(label, sender="s@client.example.test", to="alice@mx.example.test",
         helo="client.example.test", source=None):
    """The reply to RCPT TO (smtpd_delay_reject: every list runs there)."""
    s = L.Session(P[label], source=source)
    s.reply()
    s.cmd("EHLO " + helo)
    r = s.cmd("MAIL FROM:<%s>" % sender)
    if r.startswith("250"):
        r = s.cmd("RCPT TO:<%s>" % to)
    s.cmd("QUIT")
    s.close()
    return r


OK = "250 2.1.5 Ok"
# --- sender and recipient domains.
L.check_eq("sender: MX domain", OK, rcpt("sender"))
L.check_eq("sender: A-only domain", OK, rcpt("sender", sender="s@aonly.example.test"))
L.check_eq("sender: NXDOMAIN",
           "450 4.1.8 <s@nx.example.test>: Sender address rejected: Domain not found",
           rcpt("sender", sender="s@nx.example.test"))
L.check_eq("sender: SERVFAIL is a temporary failure",
           "450 4.1.8 <s@broken.example.test>: Sender address rejected: Domain not found",
           rcpt("sender", sender="s@broken.example.test"))
L.check_eq("sender: SERVFAIL with tempfail action dunno", OK,
           rcpt("tfdunno", sender="s@broken.example.test"))
L.check_eq("sender: null MX", "550 5.7.27 <s@nullmx.example.test>: Sender address rejected: "
           "Domain nullmx.example.test does not accept mail (nullMX)",
           rcpt("sender", sender="s@nullmx.example.test"))
L.check_eq("sender: null sender is not looked up", OK, rcpt("sender", sender=""))
L.check_eq("sender: address literal is not looked up", OK, rcpt("sender", sender="s@[127.0.0.1]"))
L.check_eq("recipient: MX domain", OK, rcpt("rcpt", to="r@client.example.test"))
L.check_eq("recipient: NXDOMAIN",
           "450 4.1.2 <r@nx.example.test>: Recipient address rejected: Domain not found",
           rcpt("rcpt", to="r@nx.example.test"))
L.check_eq("recipient: unknown_address_reject_code=550",
           "550 5.1.2 <r@nx.example.test>: Recipient address rejected: Domain not found",
           rcpt("rcpt550", to="r@nx.example.test"))
L.check_eq("recipient: null MX", "556 5.1.10 <r@nullmx.example.test>: Recipient address "
           "rejected: Domain nullmx.example.test does not accept mail (nullMX)",
           rcpt("rcpt", to="r@nullmx.example.test"))
L.check("recipient reject logged", inst.wait_log(
    r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 450 4\.1\.2 <r@nx\.example\.test>: "
    r"Recipient address rejected: Domain not found; from=<s@client\.example\.test> "
    r"to=<r@nx\.example\.test> proto=ESMTP helo=<client\.example\.test>"))

# --- client names.
L.check_eq("client: no PTR",
           "450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.2]",
           rcpt("client", source="127.0.0.2"))
L.check_eq("client: PTR not confirmed by A",
           "450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.4]",
           rcpt("client", source="127.0.0.4"))
L.check_eq("client: confirmed name", OK, rcpt("client", source="127.0.0.3"))
L.check("client: the confirmed name is logged", inst.wait_log(
    r"connect from named\.example\.test\[127\.0\.0\.3\]"))
L.check_eq("reverse: no PTR",
           "450 4.7.25 Client host rejected: cannot find your reverse hostname, [127.0.0.2]",
           rcpt("reverse", source="127.0.0.2"))
L.check_eq("reverse: a PTR is enough", OK, rcpt("reverse", source="127.0.0.4"))

# --- HELO names.
L.check_eq("helo: known", OK, rcpt("helo", helo="helo.example.test"))
L.check_eq("helo: unknown", "450 4.7.1 <nx.example.test>: Helo command rejected: Host not found",
           rcpt("helo", helo="nx.example.test"))
L.check_eq("helo: address literal not looked up", OK, rcpt("helo", helo="[127.0.0.1]"))

# --- mynetworks with an exclusion, a file and a table (net_list).
DENIED = "454 4.7.1 <x@elsewhere.example.test>: Relay access denied"
for src, want in (("127.0.0.3", OK), ("127.0.0.4", OK), ("127.0.0.2", DENIED),
                  ("127.0.0.5", DENIED)):
    L.check_eq("mynetworks (file, cidr, !): relay from " + src, want,
               rcpt("mynets", to="x@elsewhere.example.test", source=src))

# --- DNSBL (client address) with the default reply template.
L.check_eq("rbl: listed, TXT reason",
           "554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.test; "
           "listed for testing", rcpt("rbl", source="127.0.0.2"))
L.check("rbl: logged", inst.wait_log(
    r"NOQUEUE: reject: RCPT from unknown\[127\.0\.0\.2\]: 554 5\.7\.1 Service unavailable; "
    r"Client host \[127\.0\.0\.2\] blocked using zen\.test; listed for testing; "
    r"from=<s@client\.example\.test> to=<alice@mx\.example\.test> proto=ESMTP "
    r"helo=<client\.example\.test>"))
L.check_eq("rbl: not listed", OK, rcpt("rbl", source="127.0.0.3"))
L.check_eq("rbl: maps_rbl_reject_code=550",
           "550 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using zen.test; "
           "listed for testing", rcpt("rbl550", source="127.0.0.2"))
L.check_eq("rbl: result filter that does not match", OK, rcpt("rblexact", source="127.0.0.2"))
L.check_eq("rbl: result range that matches, no TXT",
           "554 5.7.1 Service unavailable; Client host [127.0.0.2] blocked using other.test",
           rcpt("rblrange", source="127.0.0.2"))

L.check_eq("rbl_reply_maps: the list's own template",
           "550 5.7.2 Custom: Client host 127.0.0.2 listed by custom.test: see the list",
           rcpt("rblcustom", source="127.0.0.2"))
L.check_eq("rbl_reply_maps: a template without an enhanced code gets X.7.1",
           "451 4.7.1 Try later, nodsn.test", rcpt("rblnodsn", source="127.0.0.2"))

# --- RHSBL (domains).
L.check_eq("rhsbl: sender domain listed",
           "554 5.7.1 Service unavailable; Sender address [spam.example.test] blocked using "
           "dbl.test", rcpt("rhsbl", sender="s@spam.example.test"))
L.check_eq("rhsbl: helo listed",
           "554 5.7.1 Service unavailable; Helo command [badhelo.example.test] blocked using "
           "dbl.test", rcpt("rhsbl", helo="badhelo.example.test"))
L.check_eq("rhsbl: client name listed",
           "554 5.7.1 Service unavailable; Client host [named.example.test] blocked using "
           "dbl.test", rcpt("rhsbl", source="127.0.0.3"))
L.check_eq("rhsbl: nothing listed", OK, rcpt("rhsbl"))

# --- defer_if_permit / defer_if_reject bookkeeping.
BROKEN = "s@broken.example.test"
TF = "450 4.1.8 <s@broken.example.test>: Sender address rejected: Domain not found"
L.check("tempfail + implicit permit: logged as Postfix", inst.wait_log(
    r"NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 450 4\.1\.8 "
    r"<s@broken\.example\.test>: Sender address rejected: Domain not found; "
    r"from=<s@broken\.example\.test> to=<alice@mx\.example\.test> proto=ESMTP "
    r"helo=<client\.example\.test>"))
L.check_eq("tempfail + explicit permit in the same list: deferred", TF,
           rcpt("dipermit", sender=BROKEN))
L.check_eq("tempfail + later explicit reject: the reject's own reply",
           "554 5.7.1 <x@elsewhere.example.test>: Relay access denied",
           rcpt("direject", sender=BROKEN, to="x@elsewhere.example.test"))
L.check_eq("tempfail + later reject, recipient permitted: deferred", TF,
           rcpt("direject", sender=BROKEN))
L.check_eq("unknown_address_tempfail_action=defer: deferred at once", TF,
           rcpt("tfdefer", sender=BROKEN, to="x@elsewhere.example.test"))
L.check_eq("defer_if_reject then a 5xx reject: deferred",
           "450 4.7.0 <s@nofqdn>: Sender address rejected: defer_if_reject requested",
           rcpt("elem_dir", sender="s@nofqdn"))
L.check_eq("defer_if_reject, nothing rejects: accepted", OK, rcpt("elem_dir"))
L.check_eq("defer_if_reject, permit, then a reject in the relay list: deferred",
           "450 4.7.0 <s@client.example.test>: Sender address rejected: defer_if_reject requested",
           rcpt("elem_dir_ok", to="x@elsewhere.example.test"))
L.check_eq("defer_if_permit element + implicit permit",
           "450 4.7.0 <alice@mx.example.test>: Recipient address rejected: "
           "defer_if_permit requested", rcpt("elem_dip"))
L.check_eq("defer_if_permit element + later reject: the reject",
           "554 5.7.1 <x@elsewhere.example.test>: Relay access denied",
           rcpt("elem_dip_rej", to="x@elsewhere.example.test"))
L.check_eq("warn_if_reject + tempfail: accepted", OK, rcpt("warn", sender=BROKEN))
L.check("warn_if_reject + tempfail: reject_warning logged", inst.wait_log(
    r"NOQUEUE: reject_warning: RCPT from localhost\[127\.0\.0\.1\]: 450 4\.1\.8 "
    r"<s@broken\.example\.test>: Sender address rejected: Domain not found;"))
L.check_eq("warn_if_reject + NXDOMAIN: accepted", OK, rcpt("warn", sender="s@nx.example.test"))
s = L.Session(P["nodelay"])
s.reply()
s.cmd("EHLO client.example.test")
L.check_eq("smtpd_delay_reject=no, tempfail: MAIL accepted", "250 2.1.0 Ok",
           s.cmd("MAIL FROM:<%s>" % BROKEN))
L.check_eq("smtpd_delay_reject=no, tempfail: RCPT deferred", TF,
           s.cmd("RCPT TO:<alice@mx.example.test>"))
L.check_eq("smtpd_delay_reject=no: a new MAIL forgets it", "250 2.0.0 Ok", s.cmd("RSET"))
s.cmd("MAIL FROM:<s@client.example.test>")
L.check_eq("smtpd_delay_reject=no: next transaction accepted", OK,
           s.cmd("RCPT TO:<alice@mx.example.test>"))
s.cmd("QUIT")
s.close()

inst.stop()
log = inst.maillog()
L.check("no panics", not re.search(r"smtpd\[\d+\]: (panic|fatal)", log), log[-2000:])
responder.terminate()
try:
    responder.wait(5)
except subprocess.TimeoutExpired:
    responder.kill()
subprocess.run(["umount", "/etc/resolv.conf"])
inst.cleanup()
if L.failures == 0:
    shutil.rmtree(scratch, ignore_errors=True)
else:
    print("DNS scratch kept in " + scratch)
L.finish()
