#!/usr/bin/python3
# smtpd_inline_lists.py - restriction lists that hold inline:{ ... } tables
# with spaces, as in shared/reference (smtpd_sender_restrictions =
# check_sender_access inline:{ holdme@client.example.test=HOLD }): the list
# must split only outside the braces, so the table sees every entry.
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import smtpd_lib as L  # noqa: E402

inst = L.Instance("inline", main_extra={
    "mynetworks": "127.0.0.0/8",
    "smtpd_sender_restrictions": "check_sender_access inline:{ holdme@client.example.test=HOLD, "
                                 "{ rejectme@client.example.test = REJECT go away } }",
})
inst.start()
port = inst.ports["default"]

s = L.Session(port)
s.reply()
s.cmd("EHLO client.example.test")
s.cmd("MAIL FROM:<rejectme@client.example.test>")
L.check_eq("braced entry with spaces: REJECT with its text",
           "554 5.7.1 <rejectme@client.example.test>: Sender address rejected: go away",
           s.cmd("RCPT TO:<alice@mx.example.test>"))
s.cmd("RSET")
s.cmd("MAIL FROM:<holdme@client.example.test>")
L.check_eq("first entry: HOLD accepted at RCPT", "250 2.1.5 Ok", s.cmd("RCPT TO:<alice@mx.example.test>"))
s.cmd("QUIT")
s.close()
L.check("HOLD logged as in the reference", inst.wait_log(
    r"NOQUEUE: hold: RCPT from localhost\[127\.0\.0\.1\]: <holdme@client\.example\.test>: "
    r"Sender address triggers HOLD action"))
L.check("no bad-syntax warning for the inline table",
        not re.search(r'bad syntax: "inline:\{"', inst.maillog()))
inst.cleanup()
L.finish()
