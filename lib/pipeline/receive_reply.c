/* receive_reply.c -- da-receive's replies and the counters they feed */
/* SPDX-License-Identifier: ISC */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <microhttpd.h>

#include "buf.h"
#include "clock.h"
#include "form.h"
#include "log.h"
#include "receive.h"

#define SERVER		"dadns/" DADNS_VERSION

const char *const rx_ep_name[EP_N] = {
	"root", "login_test", "dns_admin", "status", "metrics", "health",
	"internal", "other"
};

const unsigned rx_codes[NCODES] = {
	200, 400, 401, 403, 404, 405, 413, 429, 500, 503
};

struct receiver rx = {
	.rd_mu = PTHREAD_MUTEX_INITIALIZER,
	.stats = { .mu = PTHREAD_MUTEX_INITIALIZER },
	.au = { .mu = PTHREAD_MUTEX_INITIALIZER },
};

void
rx_note_error(const char *fmt, ...)
{
	char msg[240];
	va_list ap;
	unsigned i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("%s", msg);
	pthread_mutex_lock(&rx.stats.mu);
	i = rx.stats.nerrors++ % ERRORS_KEPT;
	rx.stats.errors[i].at_us = clock_wall_us();
	memcpy(rx.stats.errors[i].msg, msg, sizeof(msg));
	pthread_mutex_unlock(&rx.stats.mu);
}

void
rx_count_reject(enum reason why)
{
	pthread_mutex_lock(&rx.stats.mu);
	rx.stats.rejects[why]++;
	pthread_mutex_unlock(&rx.stats.mu);
}

void
rx_log_copy(char *dst, size_t size, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < size; i++)
		dst[i] = (s[i] > ' ' && s[i] <= '~') ? s[i] : '?';
	dst[i] = '\0';
}

enum MHD_Result
rx_reply(struct req *r, struct MHD_Connection *mc, unsigned status,
    const char *ctype, const char *body, size_t len)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t i;

	resp = MHD_create_response_from_buffer(len, (void *)body,
	    MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, SERVER);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	rx_auth_headers(r, resp, status);
	ret = MHD_queue_response(mc, status, resp);
	MHD_destroy_response(resp);
	r->status = status;
	for (i = 0; i < NCODES; i++)
		if (rx_codes[i] == status)
			break;
	pthread_mutex_lock(&rx.stats.mu);
	rx.stats.req[r->ep][i]++;
	pthread_mutex_unlock(&rx.stats.mu);
	return ret;
}

enum MHD_Result
rx_reply_str(struct req *r, struct MHD_Connection *mc, unsigned status,
    const char *body)
{
	return rx_reply(r, mc, status, CT_DA, body, strlen(body));
}

enum MHD_Result
rx_reply_json(struct req *r, struct MHD_Connection *mc, unsigned status,
    const char *body)
{
	return rx_reply(r, mc, status, CT_JSON, body, strlen(body));
}

enum MHD_Result
rx_reply_buf(struct req *r, struct MHD_Connection *mc, const char *ctype,
    struct buf *b)
{
	enum MHD_Result ret;

	if (b->oom)
		ret = rx_reply_json(r, mc, 500,
		    "{\"error\":\"out of memory\"}");
	else
		ret = rx_reply(r, mc, 200, ctype, b->p, b->len);
	buf_free(b);
	return ret;
}

enum MHD_Result
rx_reply_err(struct req *r, struct MHD_Connection *mc, unsigned status,
    enum reason why, const char *fmt, ...)
{
	char text[REPLY_MAX / 3 - 32], buf[REPLY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	rx_count_reject(why);
	if (form_reply(buf, sizeof(buf), "error", "1", "text", text,
	    (char *)NULL) < 0)
		strcpy(buf, "error=1");
	return rx_reply_str(r, mc, status, buf);
}
