/*
 * defaults.c - computed parameter defaults (see defaults.h).
 *
 * myhostname comes from gethostname(); a name without a dot gets
 * ".$mydomain" when main.cf sets mydomain, else ".localdomain" (as Postfix).
 * mydomain is myhostname without its first label. mynetworks lists the
 * networks of the interfaces that inet_interfaces names, per mynetworks_style.
 */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/defaults.h"
#include "util/mem.h"
#include "util/msg.h"
#include "util/str.h"

static void defaults_myhostname(struct buf *out)
{
    char host[256];

    if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    buf_append_str(out, host);
    if (strchr(host, '.') == NULL) {
        if (conf_is_set("mydomain") && *conf_raw("mydomain") != '\0')
            buf_printf(out, ".%s", conf_get("mydomain"));
        else
            buf_append_str(out, ".localdomain");
    }
}

static void defaults_mydomain(struct buf *out)
{
    const char *host = conf_get("myhostname");
    const char *dot = host ? strchr(host, '.') : NULL;

    if (dot != NULL && dot[1] != '\0')
        buf_append_str(out, dot + 1);
    else
        buf_append_str(out, "localdomain");
}

static int defaults_prefix_len(const struct sockaddr *mask, int family)
{
    const unsigned char *b;
    size_t n;
    size_t i;
    int bits = 0;

    if (mask == NULL)
        return family == AF_INET ? 32 : 128;
    if (family == AF_INET) {
        b = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
        n = 4;
    } else {
        b = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
        n = 16;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = b[i];

        while (c & 0x80) {
            bits++;
            c = (unsigned char)(c << 1);
        }
        if (b[i] != 0xff)
            break;
    }
    return bits;
}

/* Appends "net/len" for one address, masked to len bits. */
static void defaults_append_net(struct buf *out, int family, const void *addr, int len)
{
    unsigned char bytes[16];
    char text[INET6_ADDRSTRLEN];
    size_t n = (family == AF_INET) ? 4 : 16;
    size_t i;

    memcpy(bytes, addr, n);
    for (i = 0; i < n; i++) {
        int keep = len - (int)(i * 8);

        if (keep <= 0)
            bytes[i] = 0;
        else if (keep < 8)
            bytes[i] &= (unsigned char)(0xff << (8 - keep));
    }
    if (inet_ntop(family, bytes, text, sizeof(text)) == NULL)
        return;
    if (buf_len(out))
        buf_append_char(out, ' ');
    if (family == AF_INET)
        buf_printf(out, "%s/%d", text, len);
    else
        buf_printf(out, "[%s]/%d", text, len);
}

static int defaults_class_len(const unsigned char *a)
{
    if (a[0] < 128)
        return 8;
    if (a[0] < 192)
        return 16;
    return 24;
}

static int defaults_wanted(const char *interfaces, const struct sockaddr *sa, const char *name)
{
    char text[INET6_ADDRSTRLEN];
    char *copy;
    char *cursor;
    char *tok;
    int found = 0;

    if (strcasecmp(interfaces, "all") == 0)
        return 1;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, text, sizeof(text));
    else
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof(text));
    copy = mem_strdup(interfaces);
    cursor = copy;
    while (!found && (tok = str_token(&cursor, STR_LIST_SEP)) != NULL) {
        size_t len = strlen(tok);

        if (tok[0] == '[' && len > 2 && tok[len - 1] == ']') {
            tok[len - 1] = '\0';
            tok++;
        }
        if (strcasecmp(tok, "loopback-only") == 0)
            found = strcmp(name, "lo") == 0;
        else
            found = strcmp(tok, text) == 0;
    }
    mem_free(copy);
    return found;
}

void defaults_mynetworks(const char *style, const char *interfaces, const char *protocols,
                         struct buf *out)
{
    struct ifaddrs *list = NULL;
    struct ifaddrs *ifa;
    int want4 = strstr(protocols, "ipv4") || strcasecmp(protocols, "all") == 0;
    int want6 = strstr(protocols, "ipv6") || strcasecmp(protocols, "all") == 0;
    struct buf seen = BUF_INIT;

    if (getifaddrs(&list) < 0) {
        msg_warn("getifaddrs: %m; using loopback networks for mynetworks");
        if (want4)
            buf_append_str(out, "127.0.0.0/8");
        if (want6)
            buf_printf(out, "%s[::1]/128", buf_len(out) ? " " : "");
        return;
    }
    for (ifa = list; ifa; ifa = ifa->ifa_next) {
        const struct sockaddr *sa = ifa->ifa_addr;
        struct buf one = BUF_INIT;
        const void *addr;
        int family;
        int len;

        if (sa == NULL || !(ifa->ifa_flags & IFF_UP))
            continue;
        family = sa->sa_family;
        if ((family == AF_INET && !want4) || (family == AF_INET6 && !want6)
            || (family != AF_INET && family != AF_INET6))
            continue;
        if (!defaults_wanted(interfaces, sa, ifa->ifa_name))
            continue;
        addr = family == AF_INET ? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
                                 : (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (strcasecmp(style, "host") == 0)
            len = family == AF_INET ? 32 : 128;
        else if (strcasecmp(style, "class") == 0 && family == AF_INET)
            len = defaults_class_len(addr);
        else
            len = defaults_prefix_len(ifa->ifa_netmask, family);
        defaults_append_net(&one, family, addr, len);
        /* Skip duplicates (several addresses in one subnet). */
        buf_append_char(&one, ' ');
        if (strstr(buf_str(&seen), buf_str(&one)) == NULL) {
            buf_append_str(&seen, buf_str(&one));
            buf_truncate(&one, buf_len(&one) - 1);
            if (buf_len(out))
                buf_append_char(out, ' ');
            buf_append_str(out, buf_str(&one));
        }
        buf_release(&one);
    }
    freeifaddrs(list);
    buf_release(&seen);
}

int defaults_compute(const char *name, struct buf *out)
{
    if (strcmp(name, "myhostname") == 0) {
        defaults_myhostname(out);
    } else if (strcmp(name, "mydomain") == 0) {
        defaults_mydomain(out);
    } else if (strcmp(name, "mynetworks") == 0) {
        const char *style = conf_get("mynetworks_style");

        defaults_mynetworks(style ? style : "host", conf_get("inet_interfaces"),
                            conf_get("inet_protocols"), out);
    } else if (strcmp(name, "process_id") == 0) {
        buf_printf(out, "%ld", (long)getpid());
    } else if (strcmp(name, "process_name") == 0) {
        buf_append_str(out, msg_process_name());
    } else {
        return -1;
    }
    return 0;
}
