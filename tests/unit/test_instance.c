/*
 * test_instance.c - unit tests for lib/server/instance.c: the lock, pid and
 * socket paths, and who owns the queue in root mode (mail_owner and
 * setgid_group, with Postfix's fatal messages for unusable values) and in
 * non-root mode (the invoking user; setgid_group only if a member).
 * Cases that end in msg_fatal() or change ids run in forked children
 * (unit_child.h); the root-only cases skip without root.
 */
#include <grp.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "conf/conf.h"
#include "server/instance.h"
#include "unit_child.h"
#include "util/buf.h"
#include "util/msg.h"

static char dir[64];
static char confdir[96]; /* where configure() writes main.cf */

/* Loads a main.cf with these two settings and applies it. Exits (no
 * cmocka assertions: it also runs in forked children) when it cannot. */
static void configure(const char *owner, const char *group)
{
    char path[160];
    FILE *fp;

    snprintf(path, sizeof(path), "%s/main.cf", confdir);
    if ((fp = fopen(path, "w")) == NULL)
        _exit(97);
    fprintf(fp,
            "queue_directory = /q/spool\ndata_directory = /q/data\n"
            "mail_owner = %s\nsetgid_group = %s\n",
            owner, group);
    fclose(fp);
    conf_reset();
    conf_set_config_dir(confdir);
    conf_load_or_die();
    conf_apply_globals();
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/postern-instance-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(confdir, sizeof(confdir), "%s", dir);
    msg_init("test_instance");
    return 0;
}

static int teardown(void **state)
{
    char path[160];

    (void)state;
    snprintf(path, sizeof(path), "%s/main.cf", dir);
    (void)unlink(path);
    snprintf(path, sizeof(path), "%s/nr/main.cf", dir);
    (void)unlink(path);
    snprintf(path, sizeof(path), "%s/nr", dir);
    (void)rmdir(path);
    return rmdir(dir);
}

static void test_paths(void **state)
{
    struct buf out = BUF_INIT;

    (void)state;
    configure("nobody", "nogroup");
    instance_master_lock_path(&out);
    assert_string_equal(buf_str(&out), "/q/data/master.lock");
    instance_master_pid_path(&out);
    assert_string_equal(buf_str(&out), "/q/spool/pid/master.pid");
    instance_service_path(&out, 1, "cleanup");
    assert_string_equal(buf_str(&out), "/q/spool/private/cleanup");
    instance_service_path(&out, 0, "qmgr");
    assert_string_equal(buf_str(&out), "/q/spool/public/qmgr");
    buf_release(&out);
}

/* A group the process is not in (root's group 0 is refused anyway). */
static const char *foreign_group(gid_t mine)
{
    static const char *const names[] = {"daemon", "bin", "sys", "adm", "mail", NULL};
    struct group *gr;
    int i;

    for (i = 0; names[i]; i++)
        if ((gr = getgrnam(names[i])) != NULL && gr->gr_gid != mine && gr->gr_gid != 0)
            return names[i];
    return NULL;
}

/* Non-root mode semantics, run as whoever we are (nobody when root). */
static void nonroot_case(void *arg)
{
    struct passwd *pw = getpwnam("nobody");
    const char *other;
    struct group *gr;
    uid_t uid;
    gid_t gid;

    (void)arg;
    snprintf(confdir, sizeof(confdir), "%s/nr", dir);
    if (mkdir(confdir, 0700) < 0)
        _exit(89);
    if (geteuid() == 0) {
        if (pw == NULL || chown(confdir, pw->pw_uid, pw->pw_gid) < 0 || chmod(dir, 0711) < 0 ||
            setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
            _exit(90);
    }
    if (!instance_nonroot())
        _exit(91);
    gr = getgrgid(getgid());
    if (gr == NULL)
        _exit(92);
    /* The user's own group: used. */
    configure("no-such-user-anywhere", gr->gr_name);
    instance_owner_ids(&uid, &gid);
    if (uid != getuid() || gid != getgid())
        _exit(93);
    /* A group we do not belong to: the primary group instead. */
    if ((other = foreign_group(getgid())) != NULL) {
        configure("root", other);
        if (instance_group_id() != getgid())
            _exit(94);
    }
    /* An unknown group: the primary group too, no fatal error. */
    configure("root", "no-such-group-anywhere");
    if (instance_group_id() != getgid())
        _exit(95);
    _exit(0);
}

static void test_nonroot(void **state)
{
    struct unit_child res;

    (void)state;
    assert_int_equal(unit_child_run(nonroot_case, NULL, &res), 0);
    if (unit_child_exit_code(&res) != 0)
        fprintf(stderr, "%s", res.err);
    assert_int_equal(unit_child_exit_code(&res), 0);
}

struct root_case {
    const char *owner;
    const char *group;
};

static void root_owner_case(void *arg)
{
    const struct root_case *c = arg;
    uid_t uid;
    gid_t gid;

    configure(c->owner, c->group);
    instance_owner_ids(&uid, &gid);
    printf("%ld %ld\n", (long)uid, (long)gid);
    _exit(0);
}

/* Runs a root-mode case; returns its exit code, stderr in res. */
static int run_root_case(const char *owner, const char *group, struct unit_child *res)
{
    struct root_case c = {owner, group};

    assert_int_equal(unit_child_run(root_owner_case, &c, res), 0);
    return unit_child_exit_code(res);
}

static void test_root(void **state)
{
    struct unit_child res;
    struct passwd *pw = getpwnam("nobody");
    const char *other;

    (void)state;
    if (geteuid() != 0 || pw == NULL) {
        skip();
        return;
    }
    assert_false(instance_nonroot());
    assert_int_equal(run_root_case("root", "nogroup", &res), 1);
    assert_non_null(strstr(res.err, "parameter mail_owner: user root has privileged user ID"));
    assert_int_equal(run_root_case("no-such-user-anywhere", "nogroup", &res), 1);
    assert_non_null(
        strstr(res.err, "parameter mail_owner: unknown user name value: no-such-user-anywhere"));
    assert_int_equal(run_root_case("nobody", "no-such-group-anywhere", &res), 1);
    assert_non_null(
        strstr(res.err, "parameter setgid_group: unknown group name: no-such-group-anywhere"));
    assert_int_equal(run_root_case("nobody", "root", &res), 1);
    assert_non_null(strstr(res.err, "group root has privileged group ID"));
    if (getgrgid(pw->pw_gid) != NULL) {
        assert_int_equal(run_root_case("nobody", getgrgid(pw->pw_gid)->gr_name, &res), 1);
        assert_non_null(strstr(res.err, "have the same group ID"));
    }
    if ((other = foreign_group(pw->pw_gid)) != NULL)
        assert_int_equal(run_root_case("nobody", other, &res), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_nonroot),
        cmocka_unit_test(test_root),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
