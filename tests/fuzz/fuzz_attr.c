/*
 * fuzz_attr.c - libFuzzer target for the attribute decoder (lib/util/attr.c).
 *
 * Decodes the input as a stream of messages and checks the codec's contract
 * on each: an OK message re-encodes to exactly the bytes it came from (the
 * format is canonical) and decodes again to the same dump; every NEED_MORE
 * hint asks for more than is there; every BAD has a reason. Any breach
 * abort()s. Small limits so the fuzzer reaches every limit check. Defines no
 * main(): replay_main.c supplies one outside libFuzzer builds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/attr.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_PREFIX_MAX 512 /* prefixes of messages up to this size are rechecked */

static void fuzz_check_group(const struct attr_group *g)
{
    const struct attr_list *list;
    const char *data;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    size_t i, e, len;

    for (i = 0; i < g->count; i++) {
        const struct attr_value *v = &g->items[i];

        if (attr_find(g, v->name) != v || strlen(v->name) != v->name_len)
            abort();
        switch (v->type) {
        case ATTR_INT:
            if (attr_get_int(g, v->name, &u32) != ATTR_FOUND || u32 != v->v.u32 ||
                attr_get_str(g, v->name, &data, &len) != ATTR_WRONG_TYPE)
                abort();
            break;
        case ATTR_LONG:
            if (attr_get_long(g, v->name, &i64) != ATTR_FOUND || i64 != v->v.i64)
                abort();
            break;
        case ATTR_ULONG:
            if (attr_get_ulong(g, v->name, &u64) != ATTR_FOUND || u64 != v->v.u64)
                abort();
            break;
        case ATTR_STR:
            if (attr_get_str(g, v->name, &data, &len) != ATTR_FOUND || len != v->v.str.len ||
                data[len] != '\0')
                abort();
            if (attr_get_cstr(g, v->name, &data) !=
                (memchr(data, '\0', len) ? ATTR_WRONG_TYPE : ATTR_FOUND))
                abort();
            break;
        case ATTR_LIST:
            if (attr_get_list(g, v->name, &list) != ATTR_FOUND || list != &v->v.list)
                abort();
            for (e = 0; e < list->count; e++)
                fuzz_check_group(attr_list_at(list, e));
            break;
        }
    }
}

static void fuzz_check_msg(const uint8_t *data, size_t used, const struct attr_msg *m,
                           const struct attr_limits *lim)
{
    struct buf dump = BUF_INIT, again = BUF_INIT, redump = BUF_INIT;
    struct attr_msg m2;
    size_t used2, cut;

    if (m->size != used)
        abort();
    attr_dump(m, &dump);
    attr_put_msg(&again, m);
    if (buf_len(&again) != used || memcmp(buf_str(&again), data, used) != 0)
        abort();
    attr_msg_init(&m2, lim);
    if (attr_decode(buf_str(&again), buf_len(&again), &used2, &m2, NULL) != ATTR_OK ||
        used2 != used)
        abort();
    attr_dump(&m2, &redump);
    if (strcmp(buf_str(&dump), buf_str(&redump)) != 0)
        abort();
    /* Every name is found by lookup in its group, to itself, and the exact
     * decoder agrees with the stream decoder. */
    fuzz_check_group(&m->top);
    if (attr_decode_exact(data, used, &m2, NULL) != ATTR_OK || m2.size != used)
        abort();
    /* Every proper prefix of an accepted message is a valid prefix. */
    if (used <= FUZZ_PREFIX_MAX) {
        for (cut = 0; cut < used; cut++) {
            if (attr_decode(data, cut, &used2, &m2, NULL) != ATTR_NEED_MORE || used2 <= cut ||
                used2 > used)
                abort();
        }
    }
    attr_msg_free(&m2);
    buf_release(&dump);
    buf_release(&again);
    buf_release(&redump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct attr_limits lim;
    struct attr_msg m;
    struct buf err = BUF_INIT;
    enum attr_status st;
    size_t pos = 0, used;

    attr_limits_init(&lim);
    /* Small enough that mutations cross every limit; the seed corpus
     * (tests/fuzz/corpus/attr) fits inside them. */
    lim.max_name_len = 32;
    lim.max_str_len = 256;
    lim.max_attrs = 24;
    lim.max_msg_size = 512;
    attr_msg_init(&m, &lim);
    while (pos < size) {
        buf_reset(&err);
        st = attr_decode(data + pos, size - pos, &used, &m, &err);
        if (st == ATTR_OK) {
            if (used == 0 || used > size - pos)
                abort();
            fuzz_check_msg(data + pos, used, &m, &lim);
            pos += used;
        } else if (st == ATTR_NEED_MORE) {
            if (used <= size - pos || used > lim.max_msg_size || m.top.count != 0)
                abort();
            break;
        } else {
            if (buf_len(&err) == 0 || used > size - pos || m.top.count != 0 || m.proto != NULL)
                abort();
            break;
        }
    }
    attr_msg_free(&m);
    buf_release(&err);
    return 0;
}
