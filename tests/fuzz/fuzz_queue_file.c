/*
 * fuzz_queue_file.c - libFuzzer target for the queue file reader and the
 * record rules (lib/mail/queue_reader.c, lib/mail/queue_rec.c).
 *
 * Reads the input from memory and checks the reader's contract: records
 * follow each other without gaps inside the input, their data is
 * NUL-terminated, errors start with "offset N: " and are sticky, and an
 * accepted file re-encodes to exactly its bytes. An accepted file is then
 * copied into a memfd and read again through the file reader, after
 * in-place updates (every recipient marked done, the SIZE flags changed),
 * which must keep it valid. Any breach abort()s. Defines no main():
 * replay_main.c supplies one outside libFuzzer builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "mail/queue_file.h"
#include "mail/queue_reader.h"
#include "util/buf.h"
#include "util/mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LIMIT    65536 /* record limit: seeds fit, mutations cross it */
#define FUZZ_MAX_RCPT 64    /* recipients updated in place per input */

/* Reads r to the end; returns 1 for a valid file, 0 for an error. Appends
 * the re-encoded records to out and collects RCPT offsets. */
static int fuzz_read(struct queue_reader *r, size_t size, struct buf *out, off_t *rcpt,
                     size_t *nrcpt)
{
    struct queue_record rec;
    off_t next = 0;
    size_t before;
    int ret;

    while ((ret = queue_reader_next(r, &rec)) == 1) {
        if (rec.offset != next || rec.data[rec.len] != '\0' || rec.len > FUZZ_LIMIT ||
            queue_rec_name(rec.type) == NULL)
            abort();
        before = buf_len(out);
        queue_rec_append(out, rec.type, rec.data, rec.len);
        next = rec.offset + (off_t)(buf_len(out) - before);
        if ((size_t)next > size)
            abort();
        if (rec.type == QUEUE_REC_RCPT && *nrcpt < FUZZ_MAX_RCPT)
            rcpt[(*nrcpt)++] = rec.offset;
    }
    if (ret < 0) {
        if (strncmp(queue_reader_error(r), "offset ", 7) != 0 || queue_reader_next(r, &rec) != -1)
            abort();
        return 0;
    }
    if ((size_t)next != size || queue_reader_size(r) == NULL ||
        queue_reader_section(r) != QUEUE_SECTION_DONE || queue_reader_next(r, &rec) != 0)
        abort();
    return 1;
}

/* The valid file again, through a file descriptor and in-place updates. */
static void fuzz_file(const uint8_t *data, size_t size, const off_t *rcpt, size_t nrcpt)
{
    struct buf out = BUF_INIT, err = BUF_INIT;
    struct queue_reader *r;
    off_t again[FUZZ_MAX_RCPT];
    size_t n = 0, i;
    int fd;

    if ((fd = memfd_create("fuzz_queue_file", MFD_CLOEXEC)) < 0)
        return;
    if (write(fd, data, size) != (ssize_t)size || fchmod(fd, QUEUE_FILE_MODE_COMPLETE) < 0) {
        close(fd);
        return;
    }
    for (i = 0; i < nrcpt; i++)
        if (queue_file_mark_done(fd, rcpt[i], 0) < 0)
            abort();
    if (queue_file_update_flags(fd, 42, 0) < 0)
        abort();
    r = queue_reader_open_fd(fd, 0, &err); /* the reader closes fd */
    if (r == NULL)
        abort();
    if (!fuzz_read(r, size, &out, again, &n) || n != 0 || queue_reader_size(r)->qmgr_flags != 42)
        abort();
    queue_reader_close(r);
    buf_release(&out);
    buf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct queue_reader *r = queue_reader_open_mem(data, size);
    struct buf out = BUF_INIT;
    off_t rcpt[FUZZ_MAX_RCPT];
    size_t nrcpt = 0;
    int valid;

    queue_reader_set_limit(r, FUZZ_LIMIT);
    valid = fuzz_read(r, size, &out, rcpt, &nrcpt);
    queue_reader_close(r);
    if (valid) {
        if (buf_len(&out) != size || memcmp(buf_str(&out), data, size) != 0)
            abort();
        if (nrcpt < FUZZ_MAX_RCPT)
            fuzz_file(data, size, rcpt, nrcpt);
    }
    buf_release(&out);
    return 0;
}
