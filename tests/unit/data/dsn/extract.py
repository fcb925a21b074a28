#!/usr/bin/env python3
"""extract.py - makes the golden files of tests/unit/test_dsn_build.c from
the reference captures (/work/shared/reference/dsn.txt, or the path given).

For every notification captured there, NAME.ref is the notice as
dsn_build() must write it: the Maildir file without the three lines the
local agent adds (Return-Path, X-Original-To, Delivered-To), with the
notice's own "(Postfix)" and "X-Postfix" spelled "(postern)" and
"X-Postern" (the quoted original keeps its text). NAME.content is the
original message as the queue file holds it (the quoted part without the
Return-Path line the bounce daemon adds); when only its headers were
quoted, a body is appended that the notice must not show.
"""
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else '/work/shared/reference/dsn.txt'
text = open(src).read()
files = re.findall(r'----- begin file [^\n]*-----\n(.*?)----- end file -----', text, re.S)
names = ['s1_bounce', 's2_hdrs', 's3_local', 's4_delay', 's5_expired', 's6_success',
         's7_relayed', 's8_expanded', 's9_pmcopy', 's9_2bounce']
assert len(files) == len(names), len(files)
for name, body in zip(names, files):
    lines = body.split('\n')
    assert lines[0].startswith('Return-Path:') and lines[2].startswith('Delivered-To:')
    notice = '\n'.join(lines[3:])
    boundary = re.search(r'boundary="([^"]+)"', notice).group(1)
    parts = notice.split('--' + boundary + '\n')
    # parts[0] headers+preamble, [1] human, [2] status, [3] original
    parts[0] = parts[0].replace(' (Postfix)\n', ' (postern)\n', 1)
    parts[2] = parts[2].replace('X-Postfix', 'X-Postern')
    orig = parts[3]
    ohead, obody = orig.split('\n\n', 1)
    assert obody.startswith('Return-Path: ')
    obody = obody.split('\n', 1)[1]
    closing = '\n--' + boundary + '--\n'
    assert obody.endswith(closing)
    content = obody[:-len(closing)]
    if 'text/rfc822-headers' in ohead:
        assert content.endswith('\n')
        content += '\nThis body must not come back.\n'
    open(name + '.ref', 'w').write(('--' + boundary + '\n').join(parts))
    open(name + '.content', 'w').write(content)
