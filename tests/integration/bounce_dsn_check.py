#!/usr/bin/python3
"""bounce_dsn_check.py - checks a notice written by postern's bounce daemon, for
tests/integration/bounce_dsn.sh (not run on its own); qmgr_trace.sh imports
queue_content() from it.

Usage: bounce_dsn_check.py KIND QUEUE_FILE ORIG_ID RCPT ACTION STATUS DIAG REFERENCE
KIND is one of KINDS below; DIAG is a regular expression for the whole
Diagnostic-Code. The notice's message is read
from its queue file (record format of lib/mail/queue_rec.h: type byte,
base-128 length, data; content between MESG and XTRA). Python's email
package must read it as a multipart/report of report-type delivery-status
whose message/delivery-status part has the right fields; its layout (top
header names in order, part types and descriptions, field names of each
group, the template text) must equal that of Postfix's notice in
REFERENCE (/work/shared/reference/dsn.txt: the notice of the section
KINDS names), after masking dates, queue IDs,
boundaries and addresses, with X-Postfix spelled X-Postern. Prints "ok: ..."
lines or "FAILED: ..." lines; the exit status is the number of failures.
"""
import email
import email.policy
import re
import sys

failures = 0

# kind: (Subject, Auto-Submitted, type of the third part, index of the
# reference notice: the Maildir files of dsn.txt in order, 0-based).
KINDS = {
    'sender': ('Undelivered Mail Returned to Sender', 'auto-replied', 'message/rfc822', 2),
    'postmaster': ('Postmaster Copy: Undelivered Mail', 'auto-generated', 'text/rfc822-headers',
                   8),
    '2bounce': ('Postmaster Copy: Undelivered Mail', 'auto-generated', 'message/rfc822', 9),
    'delay': ('Delayed Mail (still being retried)', 'auto-replied', 'text/rfc822-headers', 3),
    'success': ('Successful Mail Delivery Report', 'auto-replied', 'text/rfc822-headers', 5),
}


def check(name, cond, detail=''):
    global failures
    if cond:
        print('ok: ' + name)
    else:
        print('FAILED: ' + name + (': ' + detail if detail else ''))
        failures += 1


def queue_content(path):
    data = open(path, 'rb').read()
    pos, out, in_content = 0, [], False
    while pos < len(data):
        rtype = chr(data[pos])
        pos += 1
        length, shift = 0, 0
        while True:
            b = data[pos]
            pos += 1
            length |= (b & 0x7f) << shift
            shift += 7
            if not b & 0x80:
                break
        rec = data[pos:pos + length]
        pos += length
        if rtype == 'M':
            in_content = True
        elif rtype == 'X':
            break
        elif in_content and rtype == 'N':
            out.append(rec + b'\n')
        elif in_content and rtype == 'L':
            out.append(rec)
    return b''.join(out)


def reference_notices(path):
    text = open(path).read()
    files = re.findall(r'----- begin file [^\n]*-----\n(.*?)----- end file -----', text, re.S)
    # Without the three lines the local agent adds.
    return [f.split('\n', 3)[3] for f in files]


def field_groups(part):
    """The delivery-status groups as lists of (name, unfolded value)."""
    body = part.get_payload()
    if isinstance(body, list):  # the email package parses it into messages
        groups = []
        for sub in body:
            groups.append([(k, ' '.join(str(v).split())) for k, v in sub.items()])
        return groups
    groups, cur = [], []
    for line in body.split('\n'):
        if not line.strip():
            if cur:
                groups.append(cur)
            cur = []
        elif line[0] in ' \t':
            cur[-1] = (cur[-1][0], cur[-1][1] + ' ' + line.strip())
        else:
            k, v = line.split(':', 1)
            cur.append((k, v.strip()))
    if cur:
        groups.append(cur)
    return groups


def layout(msg):
    top = [k for k in msg.keys() if k not in ('Return-Path', 'X-Original-To', 'Delivered-To')]
    parts = [(p.get('Content-Description'), p.get_content_type()) for p in msg.get_payload()]
    ds = [p for p in msg.get_payload() if p.get_content_type() == 'message/delivery-status'][0]
    # Remote-MTA depends on the transport (none for the error agent).
    fields = [[k.replace('X-Postfix', 'X-Postern') for k, _ in g if k != 'Remote-MTA']
              for g in field_groups(ds)]
    human = msg.get_payload()[0].get_payload()
    template = human.split('\n<', 1)[0]
    return top, parts, fields, template


def main():
    kind, qfile, orig_id, rcpt, action, status, diag, reference = sys.argv[1:9]
    want_subject, want_auto, want_third, ref_index = KINDS[kind]
    raw = queue_content(qfile)
    check(kind + ': content read from the queue file', len(raw) > 0)
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    check(kind + ': parsed without defects', not msg.defects, str(msg.defects))
    check(kind + ': multipart/report', msg.get_content_type() == 'multipart/report',
          msg.get_content_type())
    check(kind + ': report-type=delivery-status',
          msg.get_param('report-type') == 'delivery-status')
    parts = msg.get_payload()
    check(kind + ': three parts', isinstance(parts, list) and len(parts) == 3, str(len(parts)))
    for p in parts:
        check(kind + ': part without defects: ' + p.get_content_type(), not p.defects,
              str(p.defects))
    ds = [p for p in parts if p.get_content_type() == 'message/delivery-status']
    check(kind + ': one message/delivery-status part', len(ds) == 1)
    groups = field_groups(ds[0])
    check(kind + ': a per-message group and one recipient group', len(groups) == 2, str(groups))
    per_msg, per_rcpt = dict(groups[0]), dict(groups[1])
    check(kind + ': Reporting-MTA', per_msg.get('Reporting-MTA') == 'dns; mx.example.test',
          str(per_msg))
    check(kind + ': X-Postern-Queue-ID', per_msg.get('X-Postern-Queue-ID') == orig_id,
          str(per_msg))
    check(kind + ': Arrival-Date', re.match(r'\w{3}, [ \d]\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}',
                                             per_msg.get('Arrival-Date', '')) is not None)
    check(kind + ': Final-Recipient', per_rcpt.get('Final-Recipient') == 'rfc822; ' + rcpt,
          str(per_rcpt))
    check(kind + ': Action', per_rcpt.get('Action') == action, str(per_rcpt))
    check(kind + ': Status', per_rcpt.get('Status') == status, str(per_rcpt))
    check(kind + ': Diagnostic-Code', re.fullmatch(diag, per_rcpt.get('Diagnostic-Code', '')),
          str(per_rcpt))
    check(kind + ': From', msg['From'] == 'Mail Delivery System <MAILER-DAEMON@mx.example.test>',
          str(msg['From']))
    check(kind + ': Subject', msg['Subject'] == want_subject, str(msg['Subject']))
    check(kind + ': Auto-Submitted', msg['Auto-Submitted'] == want_auto)
    check(kind + ': the original as ' + want_third, parts[2].get_content_type() == want_third,
          parts[2].get_content_type())
    if want_third == 'message/rfc822':
        inner = parts[2].get_payload()[0]
        check(kind + ': the original\'s Return-Path', inner['Return-Path'] is not None)

    refs = reference_notices(reference)
    ref_raw = refs[ref_index]
    ref = email.message_from_string(ref_raw, policy=email.policy.compat32)
    ours, theirs = layout(msg), layout(ref)
    check(kind + ': top header names as Postfix', ours[0] == theirs[0],
          '%s != %s' % (ours[0], theirs[0]))
    check(kind + ': parts as Postfix', ours[1] == theirs[1], '%s != %s' % (ours[1], theirs[1]))
    check(kind + ': delivery-status field names as Postfix', ours[2] == theirs[2],
          '%s != %s' % (ours[2], theirs[2]))
    check(kind + ': template text as Postfix', ours[3] == theirs[3],
          '%r != %r' % (ours[3], theirs[3]))
    sys.exit(failures)


if __name__ == '__main__':
    main()
