/*
 * fuzz_mastercf.c - libFuzzer target for the master.cf parser and printer.
 *
 * Parses the input as a master.cf file; when it parses, prints every entry
 * (plain and folded, as postconf -M / -Mf), parses the printed text again
 * and aborts unless it describes the same entries: the printer must never
 * write text that postern (or postconf -M -e) would read differently. The
 * shared driver supplies main(); warnings are silenced, not checked.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/mastercf.h"
#include "util/buf.h"
#include "util/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_same_strings(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int fuzz_same_entry(const struct master_entry *a, const struct master_entry *b)
{
    size_t i;

    for (i = 0; i < MASTER_FIELD_COUNT; i++) {
        if (strcmp(a->field[i], b->field[i]) != 0)
            return 0;
    }
    if (strcmp(a->command, b->command) != 0 || a->nargs != b->nargs ||
        a->noverride != b->noverride || a->type != b->type || a->private_flag != b->private_flag ||
        a->unpriv_flag != b->unpriv_flag || a->chroot_flag != b->chroot_flag ||
        a->wakeup != b->wakeup || a->wakeup_if_used != b->wakeup_if_used ||
        a->maxproc != b->maxproc)
        return 0;
    for (i = 0; i < a->nargs; i++) {
        if (strcmp(a->args[i], b->args[i]) != 0)
            return 0;
    }
    for (i = 0; i < a->noverride; i++) {
        if (strcmp(a->override[i].name, b->override[i].name) != 0 ||
            !fuzz_same_strings(a->override[i].value, b->override[i].value) ||
            a->override[i].arg != b->override[i].arg ||
            a->override[i].has_next != b->override[i].has_next)
            return 0;
    }
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialized;
    struct master_cf cf, again;
    struct buf err = BUF_INIT, text = BUF_INIT;
    size_t i;
    int fold;

    if (!initialized) {
        msg_set_stderr(0);
        initialized = 1;
    }
    if (master_cf_parse("fuzz", (const char *)data, size, &cf, &err) != 0) {
        /* A failed parse leaves nothing behind and always says why. */
        if (cf.count != 0 || cf.entry != NULL || buf_len(&err) == 0)
            abort();
        buf_release(&err);
        return 0;
    }
    for (i = 0; i < cf.count; i++) {
        const struct master_entry *e = &cf.entry[i];

        if (e->first_line == 0 || e->last_line < e->first_line || e->args[e->nargs] != NULL ||
            master_cf_find(&cf, e->field[MASTER_FIELD_SERVICE], e->field[MASTER_FIELD_TYPE]) ==
                NULL)
            abort();
        if (cf.count <= 64 && master_cf_next_duplicate(&cf, i) <= i)
            abort();
    }
    for (fold = 0; fold <= 1; fold++) {
        buf_reset(&text);
        for (i = 0; i < cf.count; i++)
            master_entry_format(&cf.entry[i], fold, &text);
        if (master_cf_parse("fuzz-again", buf_str(&text), buf_len(&text), &again, &err) != 0)
            abort();
        if (again.count != cf.count)
            abort();
        for (i = 0; i < cf.count; i++) {
            if (!fuzz_same_entry(&cf.entry[i], &again.entry[i]))
                abort();
        }
        master_cf_free(&again);
    }
    master_cf_free(&cf);
    buf_release(&err);
    buf_release(&text);
    return 0;
}
