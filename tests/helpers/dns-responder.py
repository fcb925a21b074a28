#!/usr/bin/python3
# dns-responder.py - a tiny authoritative DNS server for tests of lib/dns and
# the SMTP client: answers UDP queries on 127.0.0.1 from a zone given on the
# command line, nothing else (no recursion, no TCP, no EDNS).
#
# Usage: dns-responder.py [-a ADDR] [-p PORT] [-f PORTFILE] [--emit NAME TYPE] RECORD...
#   RECORD  "name TYPE data": "example.test MX 10 mx1.example.test",
#           "mx1.example.test A 127.0.0.1", "h.test AAAA ::1", "t.test TXT some text",
#           "alias.test CNAME target.test", "1.0.0.127.in-addr.arpa PTR h.test",
#           "name SERVFAIL" (answers SERVFAIL), "name DROP" (never answers)
#   A name without records answers NXDOMAIN; a name with records of other
#   types answers NOERROR with no data. CNAMEs are followed inside the zone.
#   -p 0 (default) picks a free port; the port is written to PORTFILE (or
#   printed) once the socket is bound. --emit prints one answer packet (the
#   reply to a query for NAME TYPE with ID 0) to stdout and exits: the fuzz
#   seed corpus is built this way.
import socket
import struct
import sys

TYPES = {"A": 1, "CNAME": 5, "PTR": 12, "MX": 15, "TXT": 16, "AAAA": 28}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rdata(rtype, data):
    if rtype == "A":
        return socket.inet_pton(socket.AF_INET, data)
    if rtype == "AAAA":
        return socket.inet_pton(socket.AF_INET6, data)
    if rtype in ("CNAME", "PTR"):
        return encode_name(data)
    if rtype == "MX":
        pref, host = data.split(None, 1)
        return struct.pack("!H", int(pref)) + encode_name(host)
    if rtype == "TXT":
        raw = data.encode()
        out = b""
        for i in range(0, max(len(raw), 1), 255):
            piece = raw[i:i + 255]
            out += bytes([len(piece)]) + piece
        return out
    raise ValueError("unknown type " + rtype)


def parse_zone(records):
    zone = {}
    for rec in records:
        parts = rec.split(None, 2)
        name = parts[0].lower().rstrip(".")
        rtype = parts[1].upper()
        data = parts[2] if len(parts) > 2 else ""
        zone.setdefault(name, []).append((rtype, data))
    return zone


def answer(zone, query):
    qid, _flags, qd = struct.unpack("!HHH", query[:6])
    pos, labels = 12, []
    while query[pos] != 0:
        n = query[pos]
        labels.append(query[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
    question = query[12:pos + 5]
    name = ".".join(labels).lower()
    recs = zone.get(name)
    if recs and any(t == "DROP" for t, _ in recs):
        return None
    if recs and any(t == "SERVFAIL" for t, _ in recs):
        return struct.pack("!HHHHHH", qid, 0x8182, 1, 0, 0, 0) + question
    answers, current, hops = [], name, 0
    while hops < 10:
        recs = zone.get(current, [])
        hit = [(t, d) for t, d in recs if TYPES.get(t) == qtype]
        if hit:
            answers += [(current, t, d) for t, d in hit]
            break
        cn = [d for t, d in recs if t == "CNAME"]
        if not cn:
            break
        answers.append((current, "CNAME", cn[0]))
        current = cn[0].lower().rstrip(".")
        hops += 1
    rcode = 0 if (answers or name in zone) else 3
    out = struct.pack("!HHHHHH", qid, 0x8580 | rcode, 1, len(answers), 0, 0) + question
    for owner, t, d in answers:
        rd = rdata(t, d)
        out += encode_name(owner) + struct.pack("!HHIH", TYPES[t], 1, 300, len(rd)) + rd
    return out


def main():
    args = sys.argv[1:]
    addr, port, portfile, emit = "127.0.0.1", 0, None, None
    while args and args[0].startswith("-"):
        opt = args.pop(0)
        if opt == "-a":
            addr = args.pop(0)
        elif opt == "-p":
            port = int(args.pop(0))
        elif opt == "-f":
            portfile = args.pop(0)
        elif opt == "--emit":
            emit = (args.pop(0), args.pop(0))
        else:
            sys.exit("usage: dns-responder.py [-a ADDR] [-p PORT] [-f PORTFILE] RECORD...")
    zone = parse_zone(args)
    if emit:
        q = struct.pack("!HHHHHH", 0, 0x0100, 1, 0, 0, 0) + encode_name(emit[0]) + \
            struct.pack("!HH", TYPES[emit[1]], 1)
        sys.stdout.buffer.write(answer(zone, q) or b"")
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((addr, port))
    bound = sock.getsockname()[1]
    if portfile:
        with open(portfile + ".tmp", "w") as f:
            f.write("%d\n" % bound)
        import os
        os.rename(portfile + ".tmp", portfile)
    else:
        print(bound, flush=True)
    while True:
        query, peer = sock.recvfrom(4096)
        try:
            reply = answer(zone, query)
        except (IndexError, struct.error, UnicodeError):
            continue
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
