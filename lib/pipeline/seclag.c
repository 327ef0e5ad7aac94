/* seclag.c -- how far a primary's secondaries lag: SOA serials, a report */
/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "json.h"
#include "promfile.h"
#include "seclag.h"

int
seclag_init(struct seclag *s, const char *backend,
    const struct config_secondary *sec)
{
	const char *why;

	memset(s, 0, sizeof(*s));
	snprintf(s->backend, sizeof(s->backend), "%s", backend);
	snprintf(s->address, sizeof(s->address), "%s", sec->address);
	if (dnsq_server_parse(sec->address, &s->srv, &why) < 0) {
		s->state = SECLAG_DOWN;
		snprintf(s->why, sizeof(s->why), "invalid address: %s", why);
		return -1;
	}
	return 0;
}

size_t
seclag_check(struct seclag *s, const char *const zones[],
    const uint32_t want[], size_t n, int timeout_ms, seclag_fn *fn,
    void *arg)
{
	const char **z;
	uint32_t *w;
	struct dnsq_result *res;
	size_t i, k, got, lag = 0;
	int round;

	if (s->state == SECLAG_DOWN || n == 0)
		return 0;
	z = calloc(n, sizeof(*z));
	w = calloc(n, sizeof(*w));
	res = calloc(n, sizeof(*res));
	if (z == NULL || w == NULL || res == NULL) {
		s->unchecked += n;
		goto out;
	}
	memcpy(z, zones, n * sizeof(*z));
	memcpy(w, want, n * sizeof(*w));
	for (round = 0; round < 2 && n > 0; round++) {
		if (dnsq_soa(&s->srv, z, n, timeout_ms, res) < 0) {
			if (!s->answered) {
				s->state = SECLAG_DOWN;
				snprintf(s->why, sizeof(s->why), "unable to "
				    "query: %s", strerror(errno));
				goto out;
			}
			break;
		}
		for (got = 0, i = 0, k = 0; k < n; k++) {
			if (res[k].status == DNSQ_NONE) {
				z[i] = z[k];
				w[i++] = w[k];
				continue;
			}
			got++;
			s->checked++;
			if (res[k].status == DNSQ_SOA &&
			    res[k].serial == w[k])
				continue;
			s->behind++;
			lag++;
			if (s->state == SECLAG_OK)
				s->state = SECLAG_BEHIND;
			if (fn != NULL)
				fn(arg, s, z[k], &res[k], w[k]);
		}
		if (got > 0)
			s->answered = 1;
		else if (!s->answered) {
			s->state = SECLAG_DOWN;
			snprintf(s->why, sizeof(s->why), "no answer to %zu SOA "
			    "queries in %d ms", n, timeout_ms);
			goto out;
		}
		n = i;
	}
	s->unchecked += n;
out:
	free(z);
	free(w);
	free(res);
	return lag;
}

const char *
seclag_state_name(enum seclag_state st)
{
	return st == SECLAG_DOWN ? "down" : st == SECLAG_BEHIND ? "behind" :
	    "ok";
}

/* Append s as a JSON string: the names and addresses here are plain, but
 * a quote or a control byte must still not break the object. */
static void
json_str(struct buf *out, const char *s)
{
	const unsigned char *p;

	buf_printf(out, "\"");
	for (p = (const unsigned char *)s; *p; p++)
		if (*p == '"' || *p == '\\')
			buf_printf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			buf_printf(out, "\\u%04x", *p);
		else
			buf_printf(out, "%c", *p);
	buf_printf(out, "\"");
}

void
seclag_json(const struct seclag *s, size_t n, long long now_us,
    struct buf *out)
{
	time_t t = (time_t)(now_us / 1000000);
	char iso[32];
	struct tm tm;
	size_t i;

	gmtime_r(&t, &tm);
	strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(out, "{\"checked_at\":\"%s\",\"backends\":{", iso);
	for (i = 0; i < n; i++) {
		if (i == 0 || strcmp(s[i].backend, s[i - 1].backend) != 0) {
			if (i > 0)
				buf_printf(out, "],");
			json_str(out, s[i].backend);
			buf_printf(out, ":[");
		} else
			buf_printf(out, ",");
		buf_printf(out, "{\"address\":");
		json_str(out, s[i].address);
		buf_printf(out, ",\"state\":\"%s\",\"checked\":%lld,"
		    "\"behind\":%lld,\"unchecked\":%lld,\"reason\":",
		    seclag_state_name(s[i].state), s[i].checked, s[i].behind,
		    s[i].unchecked);
		if (s[i].state == SECLAG_DOWN)
			json_str(out, s[i].why);
		else
			buf_printf(out, "null");
		buf_printf(out, "}");
	}
	buf_printf(out, "%s}}\n", n > 0 ? "]" : "");
}

int
seclag_write(const char *dir, const char *text, size_t len)
{
	char path[4096];

	if (io_fmt(path, sizeof(path), "%s/%s", dir, SECLAG_FILE) < 0)
		return -1;
	if (len == 0)
		return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
	return io_write_atomic(path, text, len, 0644);
}

char *
seclag_read(const char *dir)
{
	char path[4096], *text = NULL;
	struct json *v;
	const char *why;
	size_t len;

	if (io_fmt(path, sizeof(path), "%s/%s", dir, SECLAG_FILE) < 0 ||
	    io_read_file(AT_FDCWD, path, SECLAG_FILE_MAX, &text, &len) < 0)
		return NULL;
	if ((v = json_parse(text, len, &why)) == NULL ||
	    v->type != JSON_OBJECT) {
		json_free(v);
		free(text);
		errno = EINVAL;
		return NULL;
	}
	json_free(v);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		text[--len] = '\0';
	return text;
}

int
seclag_metrics(const char *text, size_t len, struct buf *out)
{
	static const char *const result[] = { "checked", "behind",
	    "unchecked" };
	const struct json *be, *s, *addr, *st;
	char lb[PROMFILE_LABEL_MAX], la[PROMFILE_LABEL_MAX];
	char l[2 * PROMFILE_LABEL_MAX + 32];
	struct buf up = { 0 }, zones = { 0 };
	struct json *v;
	const char *why;
	long long n;
	size_t i, j, k;
	int rc = -1;

	if ((v = json_parse(text, len, &why)) == NULL ||
	    (be = json_get(v, "backends")) == NULL || be->type != JSON_OBJECT)
		goto out;
	for (i = 0; i < be->nkids; i++) {
		if (be->kids[i].type != JSON_ARRAY)
			goto out;
		promfile_label(lb, sizeof(lb), "backend", be->kids[i].key);
		for (j = 0; j < be->kids[i].nkids; j++) {
			s = &be->kids[i].kids[j];
			if ((addr = json_get(s, "address")) == NULL ||
			    addr->type != JSON_STRING ||
			    (st = json_get(s, "state")) == NULL ||
			    st->type != JSON_STRING)
				goto out;
			promfile_label(la, sizeof(la), "secondary", addr->str);
			snprintf(l, sizeof(l), "%s,%s", lb, la);
			promfile_uint(&up, "dadns_secondary_up", l,
			    strcmp(st->str, "down") != 0);
			for (k = 0; k < 3; k++) {
				if (json_int(json_get(s, result[k]), &n) < 0 ||
				    n < 0)
					goto out;
				snprintf(l, sizeof(l), "%s,%s,result=\"%s\"", lb,
				    la, result[k]);
				promfile_uint(&zones, "dadns_secondary_zones", l,
				    (unsigned long long)n);
			}
		}
	}
	if (up.oom || zones.oom)
		goto out;
	rc = 0;
	if (up.len == 0)
		goto out;
	promfile_head(out, "dadns_secondary_up", "gauge", "Whether the"
	    " secondary answered reconcile's last SOA queries.");
	buf_add(out, up.p, up.len);
	promfile_head(out, "dadns_secondary_zones", "gauge", "Zones of the"
	    " secondary in reconcile's last pass: checked (answered),"
	    " behind (another serial or none), unchecked (no answer).");
	buf_add(out, zones.p, zones.len);
out:
	json_free(v);
	buf_free(&up);
	buf_free(&zones);
	return rc;
}
