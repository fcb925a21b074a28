/*
 * master_ent.c - master.cf to service table, at start and on reload.
 *
 * Decides which entries become services (duplicates: the last one wins,
 * with Postfix's warning; pass services and programs that postern does
 * not provide are skipped with a warning; master_service_disable is
 * honoured) and reconciles a reload: a service that is still there keeps
 * its listeners when its endpoint is unchanged and gets a new status pipe
 * and generation, so its old children exit when idle and new ones read the
 * new configuration; a removed service is closed and its children told to
 * terminate. Warnings about skipped entries are not repeated on reload
 * for an entry that did not change.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "master.h"
#include "util/events.h"
#include "util/htable.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

static uint32_t master_generation;

/* Fingerprints of entries warned about by the previous configuration. */
static struct htable *master_warned;

/* Everything an administrator wrote for an entry, to recognise it. */
static char *master_fingerprint(const struct master_entry *e)
{
    struct buf fp = BUF_INIT;
    size_t i;

    for (i = 0; i < MASTER_FIELD_COUNT; i++)
        buf_printf(&fp, "%s\x1f", e->field[i]);
    buf_append_str(&fp, e->command);
    for (i = 0; i < e->nargs; i++)
        buf_printf(&fp, "\x1f%s", e->args[i]);
    return buf_steal(&fp);
}

/* Warns once per unchanged entry (see the file header); fatal_too makes
 * the initial configuration's errors fatal. */
static void master_entry_warn(struct htable *warned, const struct master_entry *e, int fatal_too,
                              const char *text)
{
    char *fp = master_fingerprint(e);

    if (fatal_too)
        msg_fatal("%s", text);
    if (master_warned == NULL || htable_get(master_warned, fp) == NULL)
        msg_warn("%s", text);
    htable_put(warned, fp, (void *)1);
    mem_free(fp);
}

/* master_service_disable: "type" or "name/type" words. */
static int master_disabled(const struct master_entry *e)
{
    char *copy = mem_strdup(var_master_service_disable);
    char *cursor = copy;
    char *word;
    const char *type = master_type_name(e->type);
    size_t nlen = strlen(e->field[MASTER_FIELD_SERVICE]);
    int off = 0;

    while (!off && (word = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        off =
            strcmp(word, type) == 0 || (strncmp(word, e->field[MASTER_FIELD_SERVICE], nlen) == 0 &&
                                        word[nlen] == '/' && strcmp(word + nlen + 1, type) == 0);
    }
    mem_free(copy);
    return off;
}

void master_service_free(struct master_service *serv)
{
    size_t i;

    mem_free(serv->name);
    mem_free(serv->label);
    mem_free(serv->key);
    mem_free(serv->endpoint);
    mem_free(serv->command);
    mem_free(serv->path);
    mem_free(serv->socket_path);
    for (i = 0; i < serv->nargs; i++)
        mem_free(serv->args[i]);
    mem_free(serv->args);
    mem_free(serv);
}

/* A service object for an entry, without listeners; NULL (and a warning,
 * or fatal at start) when the entry is not run. */
static struct master_service *master_service_new(const struct master_entry *e,
                                                 struct htable *warned, int initial)
{
    struct master_service *serv;
    struct buf text = BUF_INIT;
    struct buf why = BUF_INIT;
    struct stat st;
    size_t i;

    if (master_disabled(e))
        return NULL;
    if (e->type == MASTER_TYPE_PASS) {
        buf_printf(&text, "service %s: type pass is not supported yet; service skipped",
                   e->field[MASTER_FIELD_SERVICE]);
        master_entry_warn(warned, e, 0, buf_str(&text));
        buf_release(&text);
        return NULL;
    }
    serv = mem_calloc(1, sizeof(*serv));
    serv->status_fd[0] = serv->status_fd[1] = -1;
    serv->name = mem_strdup(e->field[MASTER_FIELD_SERVICE]);
    serv->type = e->type;
    serv->private_flag = e->private_flag;
    serv->unpriv = e->unpriv_flag;
    serv->chroot = e->chroot_flag;
    serv->wakeup = e->wakeup;
    serv->wakeup_if_used = e->wakeup_if_used;
    serv->max_proc = e->maxproc < 0 ? var_default_process_limit : e->maxproc;
    serv->keepalive = e->wakeup > 0 && !e->wakeup_if_used;
    serv->command = mem_strdup(e->command);
    buf_printf(&text, "%s/%s", var_daemon_directory, e->command);
    serv->path = buf_steal(&text);
    serv->nargs = e->nargs;
    serv->args = mem_calloc(mem_size_add(e->nargs, 1), sizeof(*serv->args));
    for (i = 0; i < e->nargs; i++)
        serv->args[i] = mem_strdup(e->args[i]);

    if (stat(serv->path, &st) < 0 && errno == ENOENT) {
        buf_printf(&text, "service %s: program %s is not provided by postern; service skipped",
                   serv->name, serv->command);
        master_entry_warn(warned, e, 0, buf_str(&text));
    } else if (master_listen_describe(serv, &why) < 0) {
        master_entry_warn(warned, e, initial, buf_str(&why));
    } else {
        if (serv->wakeup > 0 && serv->socket_path == NULL) {
            buf_printf(&text, "service %s: wakeup is not supported for inet services; ignored",
                       serv->name);
            master_entry_warn(warned, e, 0, buf_str(&text));
            serv->wakeup = 0;
            serv->keepalive = 0;
        }
        buf_release(&text);
        buf_release(&why);
        return serv;
    }
    buf_release(&text);
    buf_release(&why);
    master_service_free(serv);
    return NULL;
}

void master_service_stop(struct master_service *serv, int kill_children)
{
    struct master_child *child;
    int i;

    if (serv->listening)
        for (i = 0; i < serv->listen_count; i++)
            event_remove(master_loop, serv->listen_fd[i]);
    master_listen_close(serv);
    master_status_close(serv);
    master_wakeup_stop(serv);
    master_throttle_cancel(serv);
    if (kill_children)
        master_signal_children(serv, SIGTERM);
    for (child = master_children; child; child = child->next)
        if (child->serv == serv)
            child->serv = NULL;
}

static struct master_service *master_take(struct master_service **list, const char *key)
{
    struct master_service **pp;
    struct master_service *serv;

    for (pp = list; *pp; pp = &(*pp)->next) {
        if (strcmp((*pp)->key, key) == 0) {
            serv = *pp;
            *pp = serv->next;
            serv->next = NULL;
            return serv;
        }
    }
    return NULL;
}

/* Removes from list a service listening on the same endpoint as serv. */
static struct master_service *master_take_endpoint(struct master_service **list,
                                                   const struct master_service *serv)
{
    struct master_service **pp;
    struct master_service *found;

    for (pp = list; *pp; pp = &(*pp)->next) {
        if ((*pp)->type == serv->type && (*pp)->listen_count > 0 &&
            strcmp((*pp)->endpoint, serv->endpoint) == 0) {
            found = *pp;
            *pp = found->next;
            found->next = NULL;
            return found;
        }
    }
    return NULL;
}

/*
 * Moves what survives a reload from old to serv: the listeners when the
 * endpoint is the same, and the children (retired: their status pipe is
 * closed, but they still count against the process limit until they exit).
 */
static void master_inherit(struct master_service *serv, struct master_service *old)
{
    struct master_child *child;
    int i;

    if (old->listening)
        for (i = 0; i < old->listen_count; i++)
            event_remove(master_loop, old->listen_fd[i]);
    old->listening = 0;
    if (strcmp(old->endpoint, serv->endpoint) == 0) {
        for (i = 0; i < old->listen_count; i++)
            serv->listen_fd[i] = old->listen_fd[i];
        serv->listen_count = old->listen_count;
        old->listen_count = 0;
    }
    master_listen_close(old);
    master_status_close(old);
    master_wakeup_stop(old);
    master_throttle_cancel(old);
    for (child = master_children; child; child = child->next) {
        if (child->serv == old) {
            child->serv = serv;
            serv->total_proc++;
        }
    }
    serv->used = old->used;
    master_service_free(old);
}

/* Adds serv to list, replacing (with Postfix's warning) an earlier entry
 * for the same endpoint and type. */
static void master_add_candidate(struct master_service **list, struct master_service *serv)
{
    struct master_service *dup = master_take(list, serv->key);

    if (dup) {
        msg_warn("duplicate master.cf entry for service \"%s\" (%s) -- using the last entry",
                 serv->name, serv->label);
        master_service_free(dup);
    }
    serv->next = *list;
    *list = serv;
}

void master_config(int initial)
{
    struct master_cf cf;
    struct buf path = BUF_INIT;
    struct buf err = BUF_INIT;
    struct master_service *candidates = NULL;
    struct master_service *old = master_services;
    struct master_service *serv;
    struct master_service *next;
    struct master_service *prev;
    struct htable *warned = htable_new(16);
    size_t i;

    buf_printf(&path, "%s/master.cf", master_config_dir);
    if (master_cf_load(buf_str(&path), &cf, &err) < 0) {
        if (initial)
            msg_fatal("%s", buf_str(&err));
        msg_warn("%s; keeping the current services", buf_str(&err));
        htable_free(warned, NULL);
        buf_release(&path);
        buf_release(&err);
        return;
    }
    for (i = 0; i < cf.count; i++)
        if ((serv = master_service_new(&cf.entry[i], warned, initial)) != NULL)
            master_add_candidate(&candidates, serv);
    master_cf_free(&cf);
    if (master_warned)
        htable_free(master_warned, NULL);
    master_warned = warned;

    /* Candidates were prepended: restore file order for readable logs. */
    for (prev = NULL, serv = candidates; serv; serv = next) {
        next = serv->next;
        serv->next = prev;
        prev = serv;
    }
    candidates = prev;

    /* Same service (name and type): it inherits listeners and children. */
    for (serv = candidates; serv; serv = serv->next)
        if ((prev = master_take(&old, serv->key)) != NULL)
            master_inherit(serv, prev);
    /* A renamed service on the same endpoint ("2525" that became
     * "127.0.0.1:2525") keeps the open listener: binding it again would
     * fail while the old one is open. */
    for (serv = candidates; serv; serv = serv->next)
        if (serv->listen_count == 0 && (prev = master_take_endpoint(&old, serv)) != NULL)
            master_inherit(serv, prev);
    /* What is left of the old table was removed from master.cf: close it
     * before opening new listeners, which may reuse its addresses. */
    for (serv = old; serv; serv = next) {
        next = serv->next;
        master_service_stop(serv, 1);
        master_service_free(serv);
    }

    master_services = NULL;
    for (serv = candidates; serv; serv = next) {
        next = serv->next;
        serv->next = NULL;
        if (serv->listen_count == 0 && master_listen_open(serv, &err) < 0) {
            if (initial)
                msg_fatal("%s", buf_str(&err));
            msg_warn("service %s: %s; service skipped", serv->name, buf_str(&err));
            master_service_stop(serv, 1);
            master_service_free(serv);
            continue;
        }
        serv->generation = ++master_generation;
        if (master_status_open(serv) < 0)
            msg_fatal("service %s: status pipe: %s", serv->name, strerror(errno));
        serv->next = master_services;
        master_services = serv;
        master_wakeup_start(serv);
        master_avail_update(serv);
    }
    buf_release(&path);
    buf_release(&err);
}
