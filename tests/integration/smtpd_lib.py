# smtpd_lib.py - shared helpers for the smtpd integration tests (imported,
# not run): a private instance (master + cleanup + smtpd on a free loopback
# port, no qmgr, so accepted mail stays in incoming/ for queue-dump), raw
# SMTP sessions with deadlines, and a check counter whose finish() exits
# non-zero when any check failed. Every wait is bounded.
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

TOP_SRC = os.environ.get("top_srcdir")
TOP_BUILD = os.environ.get("top_builddir")
if not TOP_SRC or not TOP_BUILD:
    print("run through make check (top_srcdir, top_builddir)")
    sys.exit(99)
POSTERN = os.path.join(TOP_BUILD, "src/postern/postern")
DUMP = os.path.join(TOP_BUILD, "tests/helpers/queue-dump")

checks = 0
failures = 0


def check(name, ok, detail=""):
    global checks, failures
    checks += 1
    if ok:
        print("ok: " + name)
    else:
        failures += 1
        print("FAILED: " + name + (": " + detail if detail else ""))


def check_eq(name, want, got):
    check(name, want == got, "want %r, got %r" % (want, got))


def finish():
    print("%d checks, %d failed" % (checks, failures))
    sys.exit(1 if failures else 0)


_ports_given = set()


def free_port():
    """A port nobody listens on now, never the same twice in one test (the
    kernel may hand out a just-closed port again)."""
    for _ in range(100):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        if port not in _ports_given:
            _ports_given.add(port)
            return port
    raise RuntimeError("no free port")


class Instance:
    """A private running instance; stop() (or the atexit in start) ends it."""

    def __init__(self, name, main_extra=None, services=None, anvil=True):
        """services: {label: "-o name=value ..."}, one smtpd listener each
        (self.ports[label]); "default" (no overrides) when not given.
        anvil: run the anvil service (as the stock master.cf does)."""
        self.tmp = tempfile.mkdtemp(prefix="postern-smtpd-%s." % name)
        os.chmod(self.tmp, 0o755)
        self.dir = self.tmp
        self.services = services or {"default": ""}
        self.ports = {label: free_port() for label in self.services}
        self.port = self.ports.get("default", next(iter(self.ports.values())))
        libexec = os.path.join(self.dir, "libexec")
        os.makedirs(libexec)
        for prog in ("master", "cleanup", "smtpd", "anvil"):
            os.symlink(os.path.join(TOP_BUILD, "daemons", prog, prog), os.path.join(libexec, prog))
        etc = self.dir
        with open(os.path.join(etc, "aliases"), "w") as f:
            # texthash: "key value" lines (a hash: alias table needs postalias).
            f.write("postmaster root\nalice root\nbob root\ncarol root\nteam alice,bob\n")
        with open(os.path.join(etc, "vmailbox"), "w") as f:
            f.write("v1@virt.example.test virt.example.test/v1/\n")
        conf = {
            "compatibility_level": "3.6",
            "queue_directory": self.dir + "/spool",
            "data_directory": self.dir + "/data",
            "daemon_directory": libexec,
            "maillog_file": self.dir + "/maillog",
            "maillog_file_prefixes": self.dir,
            "myhostname": "mx.example.test",
            "mydomain": "example.test",
            "myorigin": "$myhostname",
            "mydestination": "$myhostname, localhost",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "smtpd_banner": "$myhostname ESMTP acceptance",
            "alias_maps": "texthash:" + etc + "/aliases",
            "virtual_mailbox_domains": "virt.example.test",
            "virtual_mailbox_maps": "texthash:" + etc + "/vmailbox",
            "smtpd_forbid_bare_newline_exclusions": "",
            "import_environment": "MAIL_CONFIG TZ LANG=C ASAN_OPTIONS UBSAN_OPTIONS",
        }
        if os.geteuid() != 0:
            import grp
            import pwd
            conf["mail_owner"] = pwd.getpwuid(os.getuid()).pw_name
            conf["setgid_group"] = grp.getgrgid(os.getgid()).gr_name
        conf.update(main_extra or {})
        with open(os.path.join(etc, "main.cf"), "w") as f:
            for k, v in conf.items():
                f.write("%s = %s\n" % (k, v))
        with open(os.path.join(etc, "master.cf"), "w") as f:
            for label, opts in self.services.items():
                f.write("127.0.0.1:%d inet n - n - 300 smtpd %s\n" % (self.ports[label], opts))
            f.write("cleanup unix n - n - 0 cleanup\n")
            if anvil:
                f.write("anvil unix - - n - 1 anvil\n")
        self.running = False

    def start(self):
        r = subprocess.run([POSTERN, "-c", self.dir, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            print("postern start failed: " + r.stdout + r.stderr)
            print(self.maillog())
            sys.exit(1)
        self.running = True
        deadline = time.time() + 10
        for port in self.ports.values():
            while time.time() < deadline:
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=1)
                    s.close()
                    break
                except OSError:
                    time.sleep(0.05)
        # Each probe made a session of its own: wait until they are logged.
        self.wait_log(r"disconnect from .* commands=0/0", 10, len(self.ports))
        return self

    def stop(self):
        if self.running:
            subprocess.run([POSTERN, "-c", self.dir, "stop"], capture_output=True)
            self.running = False

    def cleanup(self):
        self.stop()
        if failures == 0:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            print("instance kept in " + self.tmp)

    def maillog(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, regex, seconds=10, count=1):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if len(re.findall(regex, self.maillog())) >= count:
                return True
            time.sleep(0.05)
        return False

    def incoming(self, qid):
        return os.path.join(self.dir, "spool", "incoming", qid)

    def dump(self, qid):
        r = subprocess.run([DUMP, self.incoming(qid)], capture_output=True)
        return r.stdout.decode("latin-1")


class Session:
    """A raw SMTP client: bytes in, reply lines out, with deadlines."""

    def __init__(self, port, timeout=10, source=None):
        """source: the client's own address (another loopback address)."""
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("latin-1")

    def reply(self):
        """One whole (multi-line) reply, lines joined with '\\n'."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return "\n".join(lines)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def closed(self, seconds=5):
        """True when the server closes the connection within seconds."""
        self.sock.settimeout(seconds)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (socket.timeout, ConnectionResetError):
            return False

    def quiet(self, seconds):
        """True when nothing arrives within seconds."""
        self.sock.settimeout(seconds)
        try:
            chunk = self.sock.recv(65536)
            self.buf += chunk
            return False
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(10)

    def close(self):
        self.sock.close()


EHLO_DEFAULT = "\n".join([
    "250-mx.example.test", "250-PIPELINING", "250-SIZE 10240000", "250-VRFY", "250-ETRN",
    "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250-DSN", "250-SMTPUTF8", "250 CHUNKING"])


def queued_id(reply):
    m = re.match(r"250 2\.0\.0 Ok: (?:\d+ bytes )?queued as ([0-9A-Za-z]+)$", reply)
    return m.group(1) if m else None


def content(dump):
    """The message content of a queue-dump listing: regular_text records
    are lines, unterminated_text records pieces of a longer line."""
    out = []
    for line in dump.split("\n"):
        if line.startswith("regular_text: "):
            out.append(line[len("regular_text: "):] + "\n")
        elif line.startswith("unterminated_text: "):
            out.append(line[len("unterminated_text: "):])
    return "".join(out)


def wait_until(seconds, predicate):
    """Polls predicate every 0.05 s; True as soon as it holds."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()
