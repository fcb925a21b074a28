# rewrite_address.sh - address rewriting in a real cleanup: canonical,
# sender and recipient canonical maps with their classes, masquerading
# with exceptions, virtual alias expansion (fan-out, self-mapping, the
# original recipient kept), extension propagation, @$myorigin and
# .$mydomain, header rewriting for local mail only (display names,
# comments and groups kept) unless remote_header_rewrite_domain is set,
# and the null-client configuration of seed 000 as written. Both the
# envelope records and the headers of each queue file are checked.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/rewrite_lib.sh"

mkdir -p "$tmp/tables"
cat >"$tmp/tables/canonical" <<'TABLE'
old@example.test new@example.test
@legacy.test @example.test
TABLE
cat >"$tmp/tables/sender_canonical" <<'TABLE'
joe joe.sender@example.test
TABLE
cat >"$tmp/tables/recipient_canonical" <<'TABLE'
alias-rcpt@example.test real-rcpt@example.test
TABLE
cat >"$tmp/tables/virtual" <<'TABLE'
team@example.test a@example.test, b@example.test
self@example.test self@example.test, other@example.test
ext@example.test extdest@example.test
TABLE
start_instance rw <<CONF
compatibility_level = 3.6
myhostname = mx.example.test
mydomain = example.test
myorigin = example.test
append_dot_mydomain = yes
recipient_delimiter = +
canonical_maps = texthash:$tmp/tables/canonical
sender_canonical_maps = texthash:$tmp/tables/sender_canonical
recipient_canonical_maps = texthash:$tmp/tables/recipient_canonical
virtual_alias_maps = texthash:$tmp/tables/virtual
masquerade_domains = !keep.example.test, example.test
masquerade_exceptions = root
CONF

# --- 1. local submission: envelope and headers ------------------------------
cat >"$tmp/in" <<'MSG'
From: Joe User <joe>
Sender: root@host.example.test
To: "Old, Person" <old@example.test> (the old one), x@keep.example.test,
	Team: y@legacy.test, <ext+tag@example.test>;
Cc: undisclosed-recipients:;
Reply-To: z@sub.example.test
Subject: rewriting

body
MSG
submit local -f joe -F 8 -a rewrite_context=local -r alias-rcpt@example.test -r team@example.test \
    -r self@example.test -r ext+tag@example.test -r user@host <"$tmp/in"
dump local
check_text "local: envelope and headers" "named_attribute: rewrite_context=local
sender: joe.sender@example.test
original_recipient: alias-rcpt@example.test
recipient: real-rcpt@example.test
original_recipient: team@example.test
recipient: a@example.test
original_recipient: team@example.test
recipient: b@example.test
original_recipient: self@example.test
recipient: self@example.test
original_recipient: self@example.test
recipient: other@example.test
original_recipient: ext+tag@example.test
recipient: extdest+tag@example.test
original_recipient: user@host
recipient: user@host.example.test
message_content: 
regular_text: From: Joe User <joe.sender@example.test>
regular_text: Sender: root@host.example.test
regular_text: To: \"Old, Person\" <new@example.test> (the old one), x@keep.example.test,
regular_text: ?Team: y@example.test, <ext+tag@example.test>;
regular_text: Cc: undisclosed-recipients:;
regular_text: Reply-To: z@example.test
regular_text: Subject: rewriting
regular_text: Message-Id: <STAMP.QID@mx.example.test>
regular_text: Date: DATE
regular_text: 
regular_text: body
extracted_info: 
message_end: 
" "$tmp/local.dump"

# --- 2. remote mail: envelope rewritten, headers left alone -----------------
# (old@legacy.test -> old@example.test -> new@example.test: nested mapping)
submit remote -f old@legacy.test -a rewrite_context=remote -a client_address=192.0.2.1 \
    -r old@example.test <"$tmp/in"
dump remote
check_text "remote: envelope only" "named_attribute: rewrite_context=remote
named_attribute: client_address=192.0.2.1
sender: new@example.test
original_recipient: old@example.test
recipient: new@example.test
message_content: 
regular_text: From: Joe User <joe>
regular_text: Sender: root@host.example.test
regular_text: To: \"Old, Person\" <old@example.test> (the old one), x@keep.example.test,
regular_text: ?Team: y@legacy.test, <ext+tag@example.test>;
regular_text: Cc: undisclosed-recipients:;
regular_text: Reply-To: z@sub.example.test
regular_text: Subject: rewriting
regular_text: 
regular_text: body
extracted_info: 
message_end: 
" "$tmp/remote.dump"
no_bad_logs rw

# --- 3. remote_header_rewrite_domain: remote headers completed with it ------
start_instance rhd <<CONF
compatibility_level = 3.6
myhostname = mx.example.test
mydomain = example.test
remote_header_rewrite_domain = domain.invalid
CONF
printf 'From: bare\nTo: Someone <someone>, full@x.test\n\nbody\n' >"$tmp/in"
submit rhd -f s@x.test -a rewrite_context=remote -r r@x.test <"$tmp/in"
dump rhd
sed -n '/^message_content/,/^regular_text: $/p' "$tmp/rhd.dump" >"$tmp/rhd.hdr"
check_text "remote_header_rewrite_domain" "message_content: 
regular_text: From: bare@domain.invalid
regular_text: To: Someone <someone@domain.invalid>, full@x.test
regular_text: 
" "$tmp/rhd.hdr"
no_bad_logs rhd

# --- 4. seed 000: the null client of "Centralise GNU/Linux email delivery" --
cat >"$tmp/tables/reply_to_header" <<'TABLE'
/^From:/ PREPEND Reply-To: me@personal.example
TABLE
start_instance seed000 <<CONF
compatibility_level = 2
header_checks = regexp:$tmp/tables/reply_to_header
inet_interfaces = loopback-only
masquerade_domains =
mydestination =
myhostname = pi.example.test
mynetworks = [::1]/128
myorigin =
relayhost = [relay.example.test]:587
recipient_canonical_maps = static:me@personal.example
sender_canonical_maps = static:pi
CONF
printf 'From: root (Cron Daemon)\nTo: root\nSubject: Cron <root@pi> apt-get update\n\nE: failed\n' >"$tmp/in"
submit seed -f root -F 8 -a uid=0 -a rewrite_context=local -r root <"$tmp/in"
dump seed
sed -e '/^regular_text: Received: by/,/^regular_text: ?id/d' "$tmp/seed.dump" >"$tmp/seed.cmp"
check_text "seed 000: sender, recipient and headers rewritten, Reply-To added" "named_attribute: uid=0
named_attribute: rewrite_context=local
sender: pi
original_recipient: root
recipient: me@personal.example
message_content: 
regular_text: Reply-To: me@personal.example
regular_text: From: pi (Cron Daemon)
regular_text: To: me@personal.example
regular_text: Subject: Cron <root@pi> apt-get update
regular_text: Message-Id: <STAMP.QID@pi.example.test>
regular_text: Date: DATE
regular_text: 
regular_text: E: failed
extracted_info: 
message_end: 
" "$tmp/seed.cmp"
no_bad_logs seed000
finish
