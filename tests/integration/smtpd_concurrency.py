# smtpd_concurrency.py - 200 SMTP sessions open at the same time, one smtpd
# process each: all are greeted and answer EHLO while the others are open
# (then the memory of every smtpd process is measured and printed: RSS and
# PSS from /proc, for the note), and then all 200 complete a
# transaction; every message must be queued under its own queue ID with a
# complete queue file. SESSIONS overrides the count.
import os
import re
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

N = int(os.environ.get("SESSIONS", "200"))
inst = L.Instance("concurrency", main_extra={"default_process_limit": str(N + 50)},
                  services={"default": "-o smtpd_timeout=120s"})
# master.cf's maxproc for smtpd must allow N at once.
with open(os.path.join(inst.dir, "master.cf")) as f:
    mcf = f.read()
with open(os.path.join(inst.dir, "master.cf"), "w") as f:
    f.write(mcf.replace(" 300 smtpd", " %d smtpd" % (N + 50)))
inst.start()

ready = threading.Barrier(N + 1, timeout=120)
go = threading.Event()
results = [None] * N


def client(i):
    try:
        s = L.Session(inst.port, timeout=120)
        greet = s.reply()
        ehlo = s.cmd("EHLO c%d.example.test" % i)
        ok = greet.startswith("220 ") and ehlo == L.EHLO_DEFAULT
        ready.wait()
        go.wait(120)
        steps = [s.cmd("MAIL FROM:<s%d@client.example.test>" % i),
                 s.cmd("RCPT TO:<alice@mx.example.test>"), s.cmd("DATA")]
        s.send("Subject: session %d\r\n\r\nbody %d\r\n.\r\n" % (i, i))
        qid = L.queued_id(s.reply())
        bye = s.cmd("QUIT")
        s.close()
        results[i] = (ok and steps == ["250 2.1.0 Ok", "250 2.1.5 Ok",
                                       "354 End data with <CR><LF>.<CR><LF>"]
                      and bye == "221 2.0.0 Bye", qid)
    except Exception as e:  # noqa: BLE001 - reported as a failed session
        results[i] = (False, repr(e))
        try:
            ready.abort()
        except Exception:  # noqa: BLE001
            pass


def smtpd_memory():
    """(count, RSS kB list, PSS kB list) of the smtpd processes."""
    rss, pss = [], []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
            if not argv0.endswith(b"/smtpd") and argv0 != b"smtpd":
                continue
            with open("/proc/%s/status" % pid) as f:
                st = f.read()
            if inst.dir.encode() not in open("/proc/%s/cmdline" % pid, "rb").read() and \
                    not os.readlink("/proc/%s/exe" % pid).startswith(L.TOP_BUILD):
                continue
            rss.append(int(re.search(r"VmRSS:\s+(\d+)", st).group(1)))
            try:
                with open("/proc/%s/smaps_rollup" % pid) as f:
                    pss.append(int(re.search(r"Pss:\s+(\d+)", f.read()).group(1)))
            except OSError:
                pass
        except (OSError, AttributeError):
            continue
    return rss, pss


threads = [threading.Thread(target=client, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
try:
    ready.wait()
    held = True
except threading.BrokenBarrierError:
    held = False
L.check("%d sessions greeted and past EHLO at the same time" % N, held)
rss, pss = smtpd_memory()
L.check("one smtpd process per open session (%d seen)" % len(rss), len(rss) >= N)
if rss:
    print("smtpd processes: %d; RSS kB avg %d min %d max %d; PSS kB avg %d" % (
        len(rss), sum(rss) // len(rss), min(rss), max(rss), sum(pss) // max(len(pss), 1)))
go.set()
for t in threads:
    t.join(180)
done = [r for r in results if r and r[0]]
L.check_eq("all sessions completed", N, len(done))
qids = [r[1] for r in done]
L.check_eq("distinct queue IDs", len(qids), len(set(qids)))
complete = sum(1 for q in qids if inst.dump(q).startswith("mode: complete"))
L.check_eq("every queue file complete", len(qids), complete)
bad = [r for r in results if not (r and r[0])]
if bad:
    print("failed sessions: %r" % bad[:5])

inst.stop()
L.check("no panics", not re.search(r"smtpd\[\d+\]: (panic|fatal)", inst.maillog()))
inst.cleanup()
L.finish()
