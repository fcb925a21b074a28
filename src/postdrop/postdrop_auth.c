/*
 * postdrop_auth.c - postdrop's policy checks (see postdrop.h).
 *
 * Lists are matched the Postfix way: left to right, first match wins,
 * "!" negates. Table lookups go through lib/dict, whose DICT_ERROR is
 * passed up as -1 so that postdrop answers "try again later" instead of
 * silently allowing or refusing. Nothing here logs the user's input
 * without bounds: names come from the password file, senders are checked
 * by the maildrop rules first.
 */
#include <string.h>
#include <strings.h>

#include "dict/dict.h"
#include "postdrop.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

/* One "type:table" pattern looked up with key: 1 found, 0 not, -1 error. */
static int postdrop_table_lookup(const char *spec, const char *key, const char **value,
                                 struct buf *err)
{
    struct dict *d;
    int status;

    if ((d = dict_open(spec, DICT_FLAGS_LOOKUP, err)) == NULL)
        return -1;
    status = dict_lookup(d, key, value);
    if (status == DICT_ERROR) {
        buf_set(err, "");
        buf_printf(err, "%s: table lookup failed", spec);
        return -1;
    }
    return status == DICT_FOUND;
}

int postdrop_user_authorized(const char *list, const char *login, struct buf *err)
{
    char *copy = mem_strdup(list);
    char *cursor = copy;
    const char *berr = NULL;
    const char *value;
    char *word;
    int result = 0;
    int match;

    while ((word = str_token_list_checked(&cursor, &berr)) != NULL) {
        int negate = 0;

        while (*word == '!') {
            negate = !negate;
            word++;
        }
        if (*word == '/') {
            msg_warn("authorized_submit_users: \"%s\": /file/name patterns are not supported;"
                     " use a type:table lookup",
                     word);
            continue;
        }
        if (strchr(word, ':') != NULL) {
            if ((match = postdrop_table_lookup(word, login, &value, err)) < 0) {
                result = -1;
                break;
            }
        } else {
            match = strcmp(word, login) == 0;
        }
        if (match) {
            result = !negate;
            break;
        }
    }
    if (berr != NULL && result != -1) {
        buf_set(err, "");
        buf_printf(err, "authorized_submit_users: %s", berr);
        result = -1;
    }
    mem_free(copy);
    return result;
}

/* sender without its address extension: "user+ext@domain" -> "user@domain". */
static char *postdrop_strip_extension(const char *sender, const char *delimiters)
{
    const char *at = strrchr(sender, '@');
    size_t local_len = at ? (size_t)(at - sender) : strlen(sender);
    size_t ext = local_len;
    struct buf out = BUF_INIT;

    if (delimiters != NULL && *delimiters != '\0') {
        size_t i;

        for (i = 0; i < local_len; i++) {
            if (strchr(delimiters, sender[i]) != NULL) {
                ext = i;
                break;
            }
        }
    }
    buf_append(&out, sender, ext);
    if (at)
        buf_append_str(&out, at);
    if (out.len == 0)
        return mem_strdup("");
    return buf_steal(&out);
}

/* Whether one pattern of a local_login_sender_maps result allows sender. */
static int postdrop_sender_pattern(const char *pattern, const char *sender, const char *bare,
                                   const char *empty_key)
{
    const char *at;

    if (strcmp(pattern, "*") == 0)
        return 1;
    if (strcmp(pattern, empty_key) == 0)
        return *sender == '\0';
    if (*sender == '\0')
        return 0;
    if (pattern[0] == '@') {
        at = strrchr(sender, '@');
        return at != NULL && strcasecmp(at, pattern) == 0;
    }
    return strcasecmp(pattern, bare) == 0;
}

int postdrop_sender_allowed(const char *maps, const char *login, const char *sender,
                            const char *empty_key, const char *delimiters, struct buf *err)
{
    char *copy = mem_strdup(maps);
    char *cursor = copy;
    const char *berr = NULL;
    const char *value = NULL;
    char *word;
    int found = 0;
    int result = 0;

    while (!found && (word = str_token_list_checked(&cursor, &berr)) != NULL) {
        if ((found = postdrop_table_lookup(word, login, &value, err)) < 0) {
            mem_free(copy);
            return -1;
        }
    }
    if (berr != NULL) {
        buf_set(err, "");
        buf_printf(err, "local_login_sender_maps: %s", berr);
        mem_free(copy);
        return -1;
    }
    if (found) {
        char *patterns = mem_strdup(value);
        char *pc = patterns;
        char *bare = postdrop_strip_extension(sender, delimiters);
        char *pattern;

        while ((pattern = str_token(&pc, STR_LIST_SEP)) != NULL) {
            if (postdrop_sender_pattern(pattern, sender, bare, empty_key)) {
                result = 1;
                break;
            }
        }
        mem_free(bare);
        mem_free(patterns);
    }
    mem_free(copy);
    return result;
}

/* a and b name the same directory string, trailing slashes ignored. */
static int postdrop_same_dir(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);

    while (la > 1 && a[la - 1] == '/')
        la--;
    while (lb > 1 && b[lb - 1] == '/')
        lb--;
    return la == lb && memcmp(a, b, la) == 0;
}

static int postdrop_dir_listed(const char *dir, const char *list)
{
    char *copy;
    char *cursor;
    char *word;
    int found = 0;

    if (list == NULL)
        return 0;
    copy = mem_strdup(list);
    cursor = copy;
    while (!found && (word = str_token(&cursor, STR_LIST_SEP)) != NULL)
        found = postdrop_same_dir(word, dir);
    mem_free(copy);
    return found;
}

int postdrop_config_dir_allowed(const char *dir, const char *default_dir, const char *alternates,
                                const char *multi_instance)
{
    /* Only absolute names can be listed meaningfully; a relative one would
     * depend on the caller's working directory. */
    if (postdrop_same_dir(dir, default_dir))
        return 1;
    if (dir[0] != '/')
        return 0;
    return postdrop_dir_listed(dir, alternates) || postdrop_dir_listed(dir, multi_instance);
}
