/*
 * queue-dump.c - test helper: prints a queue file record by record through
 * the queue file reader, for integration tests to compare.
 *
 * Usage: queue-dump [-e] PATH. Output: "mode: complete" or "mode:
 * incomplete", then one "NAME: DATA" line per record (DATA made printable,
 * offsets left out so that expected outputs stay stable). -e reads a file
 * without the complete bit too. Exits 1 on any reader error (after
 * printing "error: REASON"), 2 on usage errors. Never writes to the file.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mail/queue_file.h"
#include "mail/queue_reader.h"
#include "util/buf.h"
#include "util/msg.h"
#include "util/str.h"

int main(int argc, char **argv)
{
    struct queue_reader *r;
    struct queue_record rec;
    struct buf err = BUF_INIT, text = BUF_INIT;
    int flags = 0, ch, ret;

    msg_init(argv[0]);
    while ((ch = getopt(argc, argv, "e")) != -1) {
        if (ch == 'e')
            flags |= QUEUE_READ_INCOMPLETE;
        else
            return 2;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "usage: queue-dump [-e] PATH\n");
        return 2;
    }
    if ((r = queue_reader_open_path(argv[optind], flags, &err)) == NULL) {
        printf("error: %s\n", buf_str(&err));
        return 1;
    }
    printf("mode: %s\n", queue_file_is_complete(queue_reader_stat(r)) ? "complete" : "incomplete");
    while ((ret = queue_reader_next(r, &rec)) > 0) {
        buf_reset(&text);
        printf("%s: %s\n", queue_rec_name(rec.type), str_printable(&text, rec.data, rec.len));
    }
    if (ret < 0)
        printf("error: %s\n", queue_reader_error(r));
    queue_reader_close(r);
    buf_release(&err);
    buf_release(&text);
    return ret < 0 ? 1 : 0;
}
