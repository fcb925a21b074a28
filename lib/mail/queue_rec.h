/*
 * queue_rec.h - the records of a queue file (format version 1): record
 * types and their names, the record header codec, the rules on which
 * record may come where, and parsers for the fixed-format records.
 *
 * Used by the queue file writer and reader (queue_file.c, queue_reader.c)
 * and by tools that print records (postcat). A record is: one type byte,
 * the data length as an unsigned base-128 varint (low 7 bits first, high
 * bit set on every byte but the last, no superfluous zero bytes), then
 * that many data bytes. The writer and the reader run the same checker
 * (struct queue_rec_check), so the writer can never produce a file the
 * reader refuses. The checker must never guess: anything it does not
 * expect is an error with the reason spelled out.
 *
 * A file, in order:
 *   VERSION "postern-queue 1"
 *   SIZE    "%15ld %15ld %15ld %15ld %15ld %15ld" (struct queue_size; fixed
 *           width so it can be rewritten in place)
 *   envelope: TIME "sec usec" (required), CTIME "sec usec", ATTR
 *           "name=value", SENDER (required, may be empty: the null sender),
 *           DSN_ENVID, DSN_RET, WARN "%15ld", FILTER, VERP, and per
 *           recipient: [ATTR dsn_orig_rcpt=...] [DSN_NOTIFY] [ORCPT] RCPT
 *           (DONE once delivered). No recipient record before SENDER.
 *   MESG    (empty) - the content starts at the next record
 *   content: one NORM per line without its LF; a longer line is a run of
 *           CONT records closed by a NORM. Data may hold any byte.
 *   XTRA    (empty) - the extracted section: ATTR and recipient records
 *   END     (empty) - nothing may follow
 * A format change bumps QUEUE_FILE_VERSION; the reader keeps accepting
 * every older version it knows.
 */
#ifndef POSTERN_MAIL_QUEUE_REC_H
#define POSTERN_MAIL_QUEUE_REC_H

#include <stddef.h>
#include <sys/time.h>
#include <sys/types.h>

#include "util/buf.h"

#define QUEUE_FILE_VERSION        1
#define QUEUE_FILE_VERSION_PREFIX "postern-queue "

/* Record types; the names are those postcat prints (Postfix's where
 * Postfix has the record). */
#define QUEUE_REC_VERSION    'Q' /* queue_file_version */
#define QUEUE_REC_SIZE       'C' /* message_size */
#define QUEUE_REC_TIME       'T' /* message_arrival_time */
#define QUEUE_REC_CTIME      'c' /* create_time */
#define QUEUE_REC_ATTR       'A' /* named_attribute */
#define QUEUE_REC_SENDER     'S' /* sender */
#define QUEUE_REC_ORCPT      'O' /* original_recipient */
#define QUEUE_REC_RCPT       'R' /* recipient */
#define QUEUE_REC_DONE       'D' /* done_recipient */
#define QUEUE_REC_DSN_NOTIFY 'n' /* dsn_notify_flags: decimal QUEUE_DSN_NOTIFY_* mask */
#define QUEUE_REC_DSN_ENVID  'i' /* dsn_envelope_id */
#define QUEUE_REC_DSN_RET    '<' /* dsn_return_flags: decimal QUEUE_DSN_RET_* */
#define QUEUE_REC_WARN       'W' /* warning_message_time: "%15ld", 0 = none due */
#define QUEUE_REC_FILTER     'F' /* content_filter: "transport:nexthop" */
#define QUEUE_REC_VERP       'V' /* verp_delimiters: two characters */
#define QUEUE_REC_MESG       'M' /* message_content: start of the content */
#define QUEUE_REC_NORM       'N' /* regular_text: a line (or a line's last piece) */
#define QUEUE_REC_CONT       'L' /* unterminated_text: a piece of a longer line */
#define QUEUE_REC_XTRA       'X' /* extracted_info: end of the content */
#define QUEUE_REC_END        'E' /* message_end */

/* DSN NOTIFY (RFC 3461 section 4.1) as a mask; NEVER excludes the others. */
#define QUEUE_DSN_NOTIFY_NEVER   0x1
#define QUEUE_DSN_NOTIFY_SUCCESS 0x2
#define QUEUE_DSN_NOTIFY_FAILURE 0x4
#define QUEUE_DSN_NOTIFY_DELAY   0x8
/* DSN RET (RFC 3461 section 4.3). */
#define QUEUE_DSN_RET_FULL 1
#define QUEUE_DSN_RET_HDRS 2

/* The name of the named attribute that holds a recipient's DSN ORCPT. */
#define QUEUE_ATTR_DSN_ORCPT "dsn_orig_rcpt"

/* Limits of format version 1. No record written is longer than
 * QUEUE_REC_MAX; readers may set a lower limit. */
#define QUEUE_REC_MAX       (1024 * 1024)
#define QUEUE_REC_HDR_MAX   6 /* type byte + up to 5 length bytes (35 bits) */
#define QUEUE_TIME_WIDTH    15
#define QUEUE_SIZE_FIELDS   6
#define QUEUE_SIZE_DATA_LEN (QUEUE_SIZE_FIELDS * (QUEUE_TIME_WIDTH + 1) - 1)

/* The SIZE record. */
struct queue_size {
    long content_size;   /* bytes of the content records, MESG to XTRA (what logs call size=) */
    long content_offset; /* file offset of the first content record */
    long rcpt_count;     /* RCPT plus DONE records in the file */
    long qmgr_flags;     /* opaque to this layer; qmgr's business */
    long content_length; /* the message as delivered: sum of line lengths plus one LF each */
    long smtputf8;       /* SMTPUTF8 flags from cleanup; opaque here */
};

/* The name of a record type ("recipient"), or NULL if type is unknown. */
const char *queue_rec_name(int type);

/* Writes a record header into out (QUEUE_REC_HDR_MAX bytes) and returns
 * its length. */
size_t queue_rec_put_header(unsigned char *out, int type, size_t len);
/* Appends a whole record to out. */
void queue_rec_append(struct buf *out, int type, const void *data, size_t len);

enum queue_rec_hdr_status {
    QUEUE_HDR_OK,    /* *type, *len and *hdr_len are set */
    QUEUE_HDR_SHORT, /* avail ends inside the header */
    QUEUE_HDR_BAD    /* unknown type, malformed length or length > max_len; why says */
};

/* Decodes the header at p (avail bytes there). */
enum queue_rec_hdr_status queue_rec_get_header(const unsigned char *p, size_t avail, size_t max_len,
                                               int *type, size_t *len, size_t *hdr_len,
                                               struct buf *why);

/* Parsers of record data; each returns 0, or -1 with the reason in why. */
int queue_size_parse(const char *data, size_t len, struct queue_size *size, struct buf *why);
int queue_time_parse(const char *data, size_t len, struct timeval *tv, struct buf *why);
int queue_warn_parse(const char *data, size_t len, long *when, struct buf *why);
/* Formatters: set out to the record data. */
void queue_size_format(struct buf *out, const struct queue_size *size);
void queue_time_format(struct buf *out, const struct timeval *tv);
void queue_warn_format(struct buf *out, long when);

/* Sections of a file, in order. */
enum queue_section {
    QUEUE_SECTION_VERSION, /* nothing read yet */
    QUEUE_SECTION_SIZE,    /* after VERSION */
    QUEUE_SECTION_ENVELOPE,
    QUEUE_SECTION_CONTENT,
    QUEUE_SECTION_EXTRACTED,
    QUEUE_SECTION_DONE /* after END */
};

/* The order checker's state; plain data, so it can be saved and restored. */
struct queue_rec_check {
    enum queue_section section;
    int writer;          /* set by the writer: SIZE holds placeholders */
    int version;         /* from VERSION */
    unsigned seen;       /* once-only records seen (internal bits) */
    unsigned pending;    /* ORCPT/DSN_NOTIFY still waiting for their RCPT */
    int text_open;       /* a CONT record still waits for its NORM */
    long rcpt_count;     /* RCPT and DONE records so far */
    long content_len;    /* sum of NORM lengths + 1 and CONT lengths */
    off_t content_start; /* offset after MESG */
    struct queue_size size;
};

/* writer: 1 for the writer (SIZE values are checked only by readers). */
void queue_rec_check_init(struct queue_rec_check *check, int writer);
/* Checks one record (at offset, the next record at next) against the file
 * so far. Returns 0, or -1 with the reason in why (without the offset). */
int queue_rec_check(struct queue_rec_check *check, int type, const char *data, size_t len,
                    off_t offset, off_t next, struct buf *why);

/* Appends "OFFSET NAME DATA\n" to out (data made printable; " DATA" left
 * out when empty): one record of a dump (golden files, debugging). */
void queue_rec_dump(struct buf *out, off_t offset, int type, const char *data, size_t len);

#endif
