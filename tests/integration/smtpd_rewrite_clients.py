# smtpd_rewrite_clients.py - local_header_rewrite_clients: smtpd decides at
# MAIL whether the client is "local" (headers rewritten with @$myorigin,
# missing headers added) or "remote" (headers left alone, or completed with
# remote_header_rewrite_domain), and passes that rewrite context to cleanup.
# Elements: permit_inet_interfaces (the default), permit_mynetworks,
# check_address_map type:table, a bare type:table (static:all),
# permit_sasl_authenticated (false without AUTH). Asserts the To: header
# bytes and the rewrite_context attribute in the queue file cleanup wrote
# (no qmgr: what the file holds is what is delivered).
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

d = tempfile.mkdtemp(prefix="postern-smtpd-rwclients.")
os.chmod(d, 0o755)
with open(d + "/clients", "w") as f:
    f.write("127.0.0.1 OK\n")

RW = "-o local_header_rewrite_clients="
inst = L.Instance("rwclients", main_extra={"mynetworks": "192.0.2.0/24",
                                           "remote_header_rewrite_domain": "domain.invalid"},
                  services={
    "default": "",
    "mynets": RW + "permit_mynetworks",
    "mynets_in": RW + "permit_mynetworks -o mynetworks=127.0.0.0/8",
    "static": RW + "static:all",
    "map": RW + "check_address_map,texthash:%s/clients" % d,
    "sasl": RW + "permit_sasl_authenticated,permit_tls_clientcerts",
})
inst.start()
P = inst.ports


def send(label, source=None, inst=inst):
    """Sends "To: user" (no domain); returns (To: line, rewrite_context)."""
    s = L.Session(inst.ports[label], source=source)
    s.reply()
    s.cmd("EHLO client.example.test")
    s.cmd("MAIL FROM:<s@client.example.test>")
    s.cmd("RCPT TO:<alice@mx.example.test>")
    s.cmd("DATA")
    s.send("To: user\r\nSubject: rewrite %s\r\n\r\nbody\r\n.\r\n" % label)
    qid = L.queued_id(s.reply())
    s.cmd("QUIT")
    s.close()
    if qid is None:
        return None, None
    dump = inst.dump(qid)
    to = [ln for ln in L.content(dump).split("\n") if ln.startswith("To:")]
    ctx = [ln for ln in dump.split("\n") if "rewrite_context=" in ln]
    return (to[0] if to else None), (ctx[0].split("rewrite_context=", 1)[1] if ctx else None)


LOCAL = ("To: user@mx.example.test", "local")
REMOTE = ("To: user@domain.invalid", "remote")
L.check_eq("default (permit_inet_interfaces), client 127.0.0.1: local", LOCAL, send("default"))
L.check_eq("default, client 127.0.0.2 (not an interface address): remote", REMOTE,
           send("default", source="127.0.0.2"))
L.check_eq("permit_mynetworks, client outside mynetworks: remote", REMOTE, send("mynets"))
L.check_eq("permit_mynetworks, client inside mynetworks: local", LOCAL, send("mynets_in"))
L.check_eq("static:all: local", LOCAL, send("static"))
L.check_eq("static:all, client 127.0.0.2: local", LOCAL, send("static", source="127.0.0.2"))
L.check_eq("check_address_map, client listed: local", LOCAL, send("map"))
L.check_eq("check_address_map, client not listed: remote", REMOTE,
           send("map", source="127.0.0.2"))
L.check_eq("permit_sasl_authenticated/permit_tls_clientcerts without AUTH/TLS: remote", REMOTE,
           send("sasl"))
inst.stop()
inst.cleanup()

# remote_header_rewrite_domain is cleanup's: a second instance without it.
bare = L.Instance("rwclients2", main_extra={"mynetworks": "192.0.2.0/24"},
                  services={"default": RW + "permit_mynetworks"})
bare.start()
L.check_eq("remote without remote_header_rewrite_domain: header left alone",
           ("To: user", "remote"), send("default", inst=bare))
bare.stop()
bare.cleanup()
if L.failures == 0:
    shutil.rmtree(d, ignore_errors=True)
L.finish()
