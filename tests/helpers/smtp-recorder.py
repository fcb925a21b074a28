#!/usr/bin/python3
# smtp-recorder.py - a scripted SMTP server on 127.0.0.1 for the SMTP client
# tests: it records every chunk it receives (one recv() each, so commands
# that arrive in one write show up together: PIPELINING) and answers from a
# small script, where smtp-sink cannot show the commands themselves.
#
# Usage: smtp-recorder.py -f PORTFILE -o RECORD [-x EXTENSIONS] [--no-ehlo]
#                         [--hang STAGE]
#   -x "PIPELINING,SIZE 1000,DSN"  EHLO keywords (default: none)
#   --no-ehlo     answer EHLO with 502 (the client must fall back to HELO)
#   --hang STAGE  stop answering at STAGE (greeting, ehlo, mail, rcpt, data,
#                 dot): the client's timeout for that stage must fire
# RECORD gets "PEER address" per connection and one line per chunk:
# "CHUNK " + repr(bytes). Serves connections
# one after another until killed.
import os
import socket
import sys


def main():
    args = sys.argv[1:]
    portfile = record = None
    ext, no_ehlo, hang = [], False, None
    while args:
        opt = args.pop(0)
        if opt == "-f":
            portfile = args.pop(0)
        elif opt == "-o":
            record = args.pop(0)
        elif opt == "-x":
            ext = [e for e in args.pop(0).split(",") if e]
        elif opt == "--no-ehlo":
            no_ehlo = True
        elif opt == "--hang":
            hang = args.pop(0)
        else:
            sys.exit("usage: smtp-recorder.py -f PORTFILE -o RECORD [options]")
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    out = open(record, "a", buffering=1)
    while True:
        conn, peer = srv.accept()
        out.write("PEER %s\n" % peer[0])
        serve(conn, out, ext, no_ehlo, hang)
        conn.close()


def serve(conn, out, ext, no_ehlo, hang):
    def send(text):
        conn.sendall(text.encode())

    if hang == "greeting":
        conn.recv(1)
        return
    send("220 rec.test ESMTP\r\n")
    pending, in_data = b"", False
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        out.write("CHUNK %r\n" % chunk)
        pending += chunk
        while True:
            if in_data:
                end = pending.find(b"\r\n.\r\n")
                if end < 0 and not pending.startswith(b".\r\n"):
                    break
                cut = 3 if pending.startswith(b".\r\n") else end + 5
                pending = pending[cut:]
                in_data = False
                if hang == "dot":
                    return drain(conn)
                send("250 2.0.0 Ok: queued as REC1\r\n")
                continue
            nl = pending.find(b"\r\n")
            if nl < 0:
                break
            line, pending = pending[:nl].decode("latin-1"), pending[nl + 2:]
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            stage = {"EHLO": "ehlo", "HELO": "ehlo", "MAIL": "mail", "RCPT": "rcpt",
                     "DATA": "data"}.get(verb)
            if stage is not None and stage == hang:
                return drain(conn)
            if verb == "EHLO":
                if no_ehlo:
                    send("502 5.5.1 Error: command not implemented\r\n")
                else:
                    lines = ["rec.test"] + ext
                    send("".join("250%s%s\r\n" % ("-" if i < len(lines) - 1 else " ", l)
                                 for i, l in enumerate(lines)))
            elif verb == "HELO":
                send("250 rec.test\r\n")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                send("250 2.1.0 Ok\r\n")
            elif verb == "DATA":
                send("354 End data with <CR><LF>.<CR><LF>\r\n")
                in_data = True
            elif verb == "QUIT":
                send("221 2.0.0 Bye\r\n")
                return
            else:
                send("502 5.5.2 Error: command not recognized\r\n")


def drain(conn):
    # Say nothing until the client gives up and closes.
    conn.settimeout(30)
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass


if __name__ == "__main__":
    main()
