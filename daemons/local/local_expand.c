/*
 * local_expand.c - what local(8) does with one address: alias_maps (with
 * owner- aliases), the user's account, luser_relay, the user's .forward
 * files (forward_path), :include: files, and finally the mailbox. Items
 * of an alias or file are dispatched by type (address, /file, |command,
 * :include:); addresses outside the local domains are collected for one
 * resubmission through cleanup. Called from local_main.c per recipient.
 *
 * An address seen before in the same expansion (a: a, b) goes to its own
 * mailbox instead of being expanded again, and the depth is bounded, so no
 * alias or .forward can make this loop.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "dict/dict.h"
#include "local.h"
#include "mail/alias_value.h"
#include "mail/mail_table.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/safe_open.h"
#include "util/str.h"

/* ---- $name expansion ---------------------------------------------------------- */

static const char *local_var(const struct local_vars *v, const char *name, size_t len)
{
    static const struct {
        const char *name;
        size_t offset;
    } names[] = {
        {"user", offsetof(struct local_vars, user)},
        {"home", offsetof(struct local_vars, home)},
        {"shell", offsetof(struct local_vars, shell)},
        {"local", offsetof(struct local_vars, local)},
        {"extension", offsetof(struct local_vars, extension)},
        {"domain", offsetof(struct local_vars, domain)},
        {"recipient", offsetof(struct local_vars, recipient)},
        {"recipient_delimiter", offsetof(struct local_vars, delimiter)},
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strlen(names[i].name) == len && strncmp(names[i].name, name, len) == 0)
            return *(const char *const *)((const char *)v + names[i].offset);
    return NULL;
}

static void local_append_filtered(struct buf *out, const char *value, const char *filter)
{
    for (; value && *value; value++)
        buf_append_char(out, strchr(filter, *value) ? *value : '_');
}

int local_expand(const char *tmpl, const struct local_vars *vars, const char *filter,
                 struct buf *out, struct buf *err)
{
    const char *p = tmpl, *name, *end, *value, *text;
    size_t nlen;
    char op;

    buf_reset(out);
    while (*p) {
        if (*p != '$') {
            buf_append_char(out, *p++);
            continue;
        }
        p++;
        if (*p == '$') {
            buf_append_char(out, *p++);
            continue;
        }
        op = 0;
        text = NULL;
        if (*p == '{') {
            name = ++p;
            while (*p && (isalnum((unsigned char)*p) || *p == '_'))
                p++;
            nlen = (size_t)(p - name);
            if (*p == '?' || *p == ':') {
                op = *p++;
                text = p;
            }
            if ((end = strchr(p, '}')) == NULL) {
                buf_printf(err, "missing '}' in \"%s\"", tmpl);
                return -1;
            }
            if (op == 0 && end != p) {
                buf_printf(err, "bad ${name} syntax in \"%s\"", tmpl);
                return -1;
            }
            p = end + 1;
        } else {
            name = p;
            while (*p && (isalnum((unsigned char)*p) || *p == '_'))
                p++;
            nlen = (size_t)(p - name);
            end = NULL;
        }
        if (nlen == 0) {
            buf_printf(err, "bad $name syntax in \"%s\"", tmpl);
            return -1;
        }
        value = local_var(vars, name, nlen);
        if (op == '?') {
            if (value && *value)
                buf_append(out, text, (size_t)(end - text));
        } else if (op == ':') {
            if (!value || !*value)
                buf_append(out, text, (size_t)(end - text));
        } else {
            local_append_filtered(out, value, filter);
        }
    }
    return 0;
}

/* ---- helpers --------------------------------------------------------------------- */

/* True when domain is one of mydestination's names (or empty). */
static int local_domain_is_local(const char *domain)
{
    char *list, *cursor, *name;
    int found = 0;

    if (domain == NULL || *domain == '\0' || strcasecmp(domain, var_myhostname) == 0 ||
        strcasecmp(domain, "localhost") == 0)
        return 1;
    list = mem_strdup(var_mydestination);
    for (cursor = list; !found && (name = str_token_list(&cursor)) != NULL;)
        found = strcasecmp(name, domain) == 0;
    mem_free(list);
    return found;
}

int local_table_lookup(const char *maps, const char *key, struct buf *out, struct buf *err)
{
    /* nis: and friends are not available here: Postfix skips them too. */
    return mail_table_list_lookup(maps, key, MAIL_TABLE_SKIP_NIS, NULL, out, err);
}

/* Looks key up in every alias_maps table (local_table_lookup). */
static int local_alias_lookup(const char *key, struct buf *out, struct buf *err)
{
    return local_table_lookup(var_alias_maps, key, out, err);
}

static int local_source_allows_include(const struct local_ctx *ctx)
{
    return ctx->source == LOCAL_SRC_ALIAS || ctx->source == LOCAL_SRC_FORWARD ||
           ctx->source == LOCAL_SRC_INCLUDE;
}

static void local_deliver_items(const struct local_ctx *ctx, const struct alias_list *items);

/* Reads an :include: file or .forward (at most LOCAL_MAX_FILE_SIZE bytes),
 * dropping # comment lines. 1 read, 0 missing, -1 error (err). */
static int local_read_list_file(const char *path, uid_t *owner, struct buf *text, struct buf *err)
{
    struct buf why = BUF_INIT, line = BUF_INIT;
    struct stat st;
    char data[4096];
    ssize_t n;
    int fd, ret = 1;
    size_t i;

    buf_reset(text);
    fd = safe_open(path, O_RDONLY | O_CLOEXEC, 0, &st, SAFE_OPEN_ANY_UID, SAFE_OPEN_ANY_GID, &why);
    if (fd < 0) {
        ret = errno == ENOENT ? 0 : -1;
        if (ret < 0)
            buf_printf(err, "cannot open %s: %s", path, buf_str(&why));
        buf_release(&why);
        return ret;
    }
    *owner = st.st_uid;
    while ((n = read(fd, data, sizeof(data))) > 0) {
        if (buf_len(&line) + (size_t)n > LOCAL_MAX_FILE_SIZE) {
            buf_printf(err, "%s: file is larger than %d bytes", path, LOCAL_MAX_FILE_SIZE);
            ret = -1;
            break;
        }
        buf_append(&line, data, (size_t)n);
    }
    if (n < 0) {
        buf_printf(err, "read %s: %s", path, strerror(errno));
        ret = -1;
    }
    close(fd);
    /* Comment lines go; everything else is one list. */
    for (i = 0; ret > 0 && i < buf_len(&line);) {
        const char *start = buf_str(&line) + i;
        const char *nl = memchr(start, '\n', buf_len(&line) - i);
        size_t len = nl ? (size_t)(nl - start) : buf_len(&line) - i;
        size_t k = 0;

        while (k < len && (start[k] == ' ' || start[k] == '\t'))
            k++;
        if (k == len || start[k] != '#') {
            buf_append(text, start, len);
            buf_append_char(text, '\n');
        }
        i += len + 1;
    }
    buf_release(&line);
    buf_release(&why);
    return ret;
}

static void local_deliver_include(const struct local_ctx *ctx, const char *path)
{
    struct local_rcpt_state *rs = ctx->rs;
    struct buf text = BUF_INIT, err = BUF_INIT;
    struct alias_list items;
    struct local_privs privs;
    struct local_ctx sub;
    struct passwd *pw;
    uid_t owner = 0;
    int rc;

    if (!local_source_allows_include(ctx)) {
        local_outcome(rs, DELIVER_STATUS_BOUNCE, "5.7.1", "mail to :include: file is restricted");
        return;
    }
    /* Read with the privileges of whoever pointed here. */
    if (local_privs_enter(ctx->privs, &err) < 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "%s", buf_str(&err));
        goto done;
    }
    rc = local_read_list_file(path, &owner, &text, &err);
    local_privs_leave();
    if (rc <= 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "%s",
                      rc == 0 ? "include file is missing" : buf_str(&err));
        if (rc == 0)
            msg_warn("cannot open include file %s: %s", path, strerror(ENOENT));
        goto done;
    }
    /* Files and commands from the list run as the file's owner (not root). */
    if (!local_config.nonroot && owner != 0 && (pw = getpwuid(owner)) != NULL)
        local_privs_from_pw(&privs, pw);
    else
        local_privs_from_pw(&privs, &(struct passwd){
                                        .pw_name = ctx->privs->user,
                                        .pw_uid = ctx->privs->uid,
                                        .pw_gid = ctx->privs->gid,
                                        .pw_dir = ctx->privs->home,
                                        .pw_shell = ctx->privs->shell,
                                    });
    alias_list_init(&items);
    if (alias_value_parse(buf_str(&text), buf_len(&text), &items, LOCAL_MAX_ITEMS,
                          LOCAL_MAX_ITEM_LEN, &err) < 0) {
        local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "%s: %s", path, buf_str(&err));
    } else {
        sub = *ctx;
        sub.source = LOCAL_SRC_INCLUDE;
        sub.privs = &privs;
        sub.level = ctx->level + 1;
        local_deliver_items(&sub, &items);
    }
    alias_list_free(&items);
    local_privs_release(&privs);
done:
    buf_release(&text);
    buf_release(&err);
}

static void local_deliver_items(const struct local_ctx *ctx, const struct alias_list *items)
{
    const char *address = ctx->rs->rcpt->address, *at = strrchr(address, '@');
    struct buf local = BUF_INIT;
    struct local_vars vars;
    size_t i, cut;

    /* Commands from aliases and files see the recipient's LOCAL, EXTENSION
     * and DOMAIN, as a mailbox_command does. */
    memset(&vars, 0, sizeof(vars));
    buf_set_mem(&local, address, at ? (size_t)(at - address) : strlen(address));
    vars.local = buf_str(&local);
    vars.domain = at ? at + 1 : "";
    vars.extension = "";
    if (var_recipient_delimiter[0] != '\0') {
        cut = strcspn(vars.local, var_recipient_delimiter);
        if (cut > 0 && cut < buf_len(&local))
            vars.extension = vars.local + cut + 1;
    }
    for (i = 0; i < items->count; i++) {
        const struct alias_item *item = &items->items[i];

        switch (item->type) {
        case ALIAS_ITEM_ADDRESS:
            local_deliver_address(ctx, item->text, item->no_alias);
            break;
        case ALIAS_ITEM_FILE:
            local_deliver_file(ctx, item->text);
            break;
        case ALIAS_ITEM_COMMAND:
            local_deliver_command(ctx, item->text, &vars);
            break;
        case ALIAS_ITEM_INCLUDE:
            local_deliver_include(ctx, item->text);
            break;
        }
    }
    buf_release(&local);
}

/* Expands value (from an alias or .forward) as source with privs. */
static void local_expand_value(const struct local_ctx *ctx, const char *what, const char *value,
                               enum local_source source, const struct local_privs *privs)
{
    struct alias_list items;
    struct buf err = BUF_INIT;
    struct local_ctx sub;

    alias_list_init(&items);
    if (alias_value_parse(value, strlen(value), &items, LOCAL_MAX_ITEMS, LOCAL_MAX_ITEM_LEN, &err) <
        0) {
        msg_warn("%s: %s", what, buf_str(&err));
        local_outcome(ctx->rs, DELIVER_STATUS_DEFER, "4.3.0", "%s: %s", what, buf_str(&err));
    } else {
        sub = *ctx;
        sub.source = source;
        sub.privs = privs;
        sub.level = ctx->level + 1;
        local_deliver_items(&sub, &items);
    }
    alias_list_free(&items);
    buf_release(&err);
}

/* Tries the user's .forward files: 1 when one was found and used. */
static int local_try_forward(const struct local_ctx *ctx, const struct passwd *pw,
                             const struct local_vars *vars)
{
    struct buf paths = BUF_INIT, err = BUF_INIT, text = BUF_INIT, what = BUF_INIT;
    struct local_privs privs;
    char *cursor, *path;
    uid_t owner = 0;
    int rc = 0;

    if (local_expand(var_forward_path, vars, var_forward_expansion_filter, &paths, &err) < 0) {
        msg_warn("forward_path: %s", buf_str(&err));
        buf_release(&paths);
        buf_release(&err);
        return 0;
    }
    local_privs_from_pw(&privs, pw);
    for (cursor = paths.data; rc == 0 && (path = str_token_list(&cursor)) != NULL;) {
        if (local_privs_enter(&privs, &err) < 0) {
            local_outcome(ctx->rs, DELIVER_STATUS_DEFER, "4.3.0", "%s", buf_str(&err));
            rc = 1;
            break;
        }
        rc = local_read_list_file(path, &owner, &text, &err);
        local_privs_leave();
        if (rc < 0) {
            local_outcome(ctx->rs, DELIVER_STATUS_DEFER, "4.3.0", "%s", buf_str(&err));
            rc = 1;
        } else if (rc > 0 && !local_config.nonroot && owner != pw->pw_uid) {
            msg_warn("file %s has bad owner uid %ld: ignored", path, (long)owner);
            rc = 0;
        } else if (rc > 0) {
            buf_printf(&what, "file %s", path);
            local_expand_value(ctx, buf_str(&what), buf_str(&text), LOCAL_SRC_FORWARD, &privs);
        }
    }
    local_privs_release(&privs);
    buf_release(&paths);
    buf_release(&err);
    buf_release(&text);
    buf_release(&what);
    return rc != 0;
}

/* ---- one address ------------------------------------------------------------------ */

void local_deliver_address(const struct local_ctx *ctx, const char *address, int no_alias)
{
    struct local_rcpt_state *rs = ctx->rs;
    struct buf local = BUF_INIT, user = BUF_INIT, key = BUF_INIT, value = BUF_INIT;
    struct buf err = BUF_INIT, relay = BUF_INIT, owner = BUF_INIT, current = BUF_INIT;
    const char *at, *domain, *ext = "", *delim, *saved_current = rs->current;
    struct local_vars vars;
    struct passwd *pw;
    size_t cut;
    int rc;

    if (ctx->level > LOCAL_MAX_LEVEL) {
        local_outcome(rs, DELIVER_STATUS_BOUNCE, "5.4.6", "mail forwarding loop for %s",
                      rs->rcpt->address);
        return;
    }
    at = strrchr(address, '@');
    domain = at ? at + 1 : "";
    if (!local_domain_is_local(domain)) {
        buf_append_str(&rs->forward, address);
        buf_append_char(&rs->forward, '\n');
        return;
    }
    /* What the log lines of this address show: a bare name of an alias or
     * .forward item gets @$myorigin, as Postfix's rewriting gives it. */
    if (at)
        buf_set(&current, address);
    else
        buf_printf(&current, "%s@%s", address, var_myorigin);
    rs->current = buf_str(&current);
    buf_set_mem(&local, address, at ? (size_t)(at - address) : strlen(address));
    str_lower(local.data);
    /* user+ext: the extension is kept for aliases ("user+ext" first). */
    buf_set(&user, buf_str(&local));
    if (var_recipient_delimiter[0] != '\0') {
        cut = strcspn(buf_str(&user), var_recipient_delimiter);
        if (cut > 0 && cut < buf_len(&user)) {
            ext = buf_str(&local) + cut + 1;
            buf_truncate(&user, cut);
        }
    }
    delim = var_recipient_delimiter[0] ? var_recipient_delimiter : "";
    /* Each name is expanded once per recipient: the second time (a: a, b)
     * it is delivered to the mailbox. */
    buf_printf(&key, "%s", buf_str(&local));
    if (htable_find(rs->seen, buf_str(&key)) != NULL)
        no_alias = 1;
    else
        htable_put(rs->seen, buf_str(&key), NULL);

    if (!no_alias) {
        rc = local_alias_lookup(buf_str(&local), &value, &err);
        if (rc == 0 && strcmp(buf_str(&local), buf_str(&user)) != 0)
            rc = local_alias_lookup(buf_str(&user), &value, &err);
        if (rc < 0) {
            local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.0", "alias database unavailable: %s",
                          buf_str(&err));
            goto done;
        }
        if (rc > 0) {
            const char *saved_sender = rs->sender;
            char *owner_sender = NULL;
            struct buf what = BUF_INIT, okey = BUF_INIT, oval = BUF_INIT;

            /* owner-NAME receives the errors of NAME's list. */
            buf_printf(&okey, "owner-%s", buf_str(&user));
            if (var_owner_request_special && rs->sender[0] != '\0' &&
                local_alias_lookup(buf_str(&okey), &oval, &err) > 0) {
                buf_printf(&owner, "%s@%s", buf_str(&okey), var_myorigin);
                owner_sender = buf_steal(&owner);
                rs->sender = owner_sender;
            }
            buf_printf(&what, "alias %s", buf_str(&local));
            local_expand_value(ctx, buf_str(&what), buf_str(&value), LOCAL_SRC_ALIAS,
                               &local_config.default_privs);
            rs->sender = saved_sender;
            mem_free(owner_sender);
            buf_release(&what);
            buf_release(&okey);
            buf_release(&oval);
            goto done;
        }
    }
    /* Precedence (as Postfix): aliases, .forward, mailbox_transport(_maps),
     * then for a user with an account the mailbox, for one without
     * fallback_transport(_maps) and luser_relay. */
    pw = getpwnam(buf_str(&user));
    if (pw != NULL) {
        memset(&vars, 0, sizeof(vars));
        vars.user = pw->pw_name;
        vars.home = pw->pw_dir;
        vars.shell = pw->pw_shell;
        vars.local = buf_str(&local);
        vars.extension = ext;
        vars.domain = domain;
        vars.recipient = address;
        vars.delimiter = delim;
        if (!no_alias && local_try_forward(ctx, pw, &vars))
            goto done;
    }
    if (local_try_transport(ctx, "mailbox_transport", var_mailbox_transport_maps,
                            var_mailbox_transport, buf_str(&user)))
        goto done;
    if (pw == NULL) {
        if (local_try_transport(ctx, "fallback_transport", var_fallback_transport_maps,
                                var_fallback_transport, buf_str(&user)))
            goto done;
        if (var_luser_relay[0] != '\0' && ctx->level == 0) {
            memset(&vars, 0, sizeof(vars));
            vars.user = vars.local = buf_str(&user);
            vars.extension = ext;
            vars.domain = domain;
            vars.recipient = address;
            vars.delimiter = delim;
            vars.home = vars.shell = "";
            if (local_expand(var_luser_relay, &vars, var_command_expansion_filter, &relay, &err) <
                0) {
                local_outcome(rs, DELIVER_STATUS_DEFER, "4.3.5", "luser_relay: %s", buf_str(&err));
            } else {
                struct local_ctx sub = *ctx;

                sub.level = ctx->level + 1;
                local_deliver_address(&sub, buf_str(&relay), 0);
            }
            goto done;
        }
        local_outcome(rs, DELIVER_STATUS_BOUNCE, "5.1.1", "unknown user: \"%s\"", buf_str(&user));
        goto done;
    }
    local_deliver_mailbox(ctx, pw, &vars);
done:
    rs->current = saved_current;
    buf_release(&local);
    buf_release(&user);
    buf_release(&key);
    buf_release(&value);
    buf_release(&err);
    buf_release(&relay);
    buf_release(&owner);
    buf_release(&current);
}

/* 1 when the transport parameter or its table takes user (unknown users
 * included), 0 when not, -1 on a table error. */
static int local_transport_takes(const char *maps, const char *value, const char *user,
                                 struct buf *err)
{
    struct buf found = BUF_INIT;
    int rc = 0;

    if (value[0] != '\0')
        rc = 1;
    else if (maps[0] != '\0')
        rc = local_table_lookup(maps, user, &found, err);
    buf_release(&found);
    return rc;
}

int local_address_known(const char *address, struct buf *err)
{
    struct buf local = BUF_INIT, value = BUF_INIT;
    const char *at = strrchr(address, '@');
    size_t cut;
    int rc;

    if (at && !local_domain_is_local(at + 1))
        return 1;
    buf_set_mem(&local, address, at ? (size_t)(at - address) : strlen(address));
    str_lower(local.data);
    rc = local_alias_lookup(buf_str(&local), &value, err);
    if (rc == 0 && var_recipient_delimiter[0] != '\0') {
        cut = strcspn(buf_str(&local), var_recipient_delimiter);
        if (cut > 0 && cut < buf_len(&local)) {
            buf_truncate(&local, cut);
            rc = local_alias_lookup(buf_str(&local), &value, err);
        }
    }
    if (rc == 0)
        rc = local_transport_takes(var_mailbox_transport_maps, var_mailbox_transport,
                                   buf_str(&local), err);
    if (rc == 0 && getpwnam(buf_str(&local)) == NULL)
        rc = local_transport_takes(var_fallback_transport_maps, var_fallback_transport,
                                   buf_str(&local), err);
    else if (rc == 0)
        rc = 1;
    if (rc == 0)
        rc = var_luser_relay[0] != '\0';
    buf_release(&local);
    buf_release(&value);
    return rc;
}
