/*
 * cas_http.c - the URLs of the CAS exchange and the server-to-server
 * ticket validation (libcurl).
 *
 * It owns the login URL the browser is sent to, the checking of a ticket
 * before it goes anywhere, and one bounded HTTPS GET to the configured
 * CAS server per validation (two when the server has no /p3 and the v2
 * fallback is on).  The answer is handed to cas_parse.c.
 *
 * It must never follow a redirect, take a proxy from the environment,
 * talk plain HTTP outside tests, skip peer or host verification, read
 * more than AVEC_CAS_BODY_MAX bytes, or write the ticket (a bearer
 * credential until used) into an error or a log: the URL that carries it
 * is wiped once sent, and libcurl's own error text (which may quote the
 * URL) is not used.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "avec/ident.h"
#include "cas.h"
#include "common/mono.h"

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

bool
avec_cas_ticket_valid(const char *t)
{
	size_t i;

	if (t == NULL || strncmp(t, "ST-", 3) != 0)
		return false;
	for (i = 3; t[i] != '\0'; i++)
		if (i >= AVEC_CAS_TICKET_MAX || !unreserved((unsigned char)t[i]))
			return false;
	return i > 3;
}

void
avec_cas_url_encode(struct avec_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;
	char e[3];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (unreserved(*p)) {
			avec_buf_append(b, p, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hex[*p >> 4];
		e[2] = hex[*p & 15];
		avec_buf_append(b, e, 3);
	}
}

int
avec_cas_login_url(const char *base, const char *service, struct avec_buf *out)
{
	if (base == NULL || base[0] == '\0' || service == NULL ||
	    service[0] == '\0')
		return -1;
	avec_buf_puts(out, base);
	avec_buf_puts(out, "/login?service=");
	avec_cas_url_encode(out, service);
	return avec_buf_failed(out) ? -1 : 0;
}

int
avec_cas_global_init(struct avec_err *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return avec_err_set(err, "CAS: libcurl initialisation failed");
	xmlInitParser();	/* so that threads may parse answers at once */
	return 0;
}

/* The body being received, capped. */
struct body {
	struct avec_buf b;
	bool too_big;
};

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct body *bd = arg;
	size_t len = size * n;

	if (bd->b.len + len > AVEC_CAS_BODY_MAX) {
		bd->too_big = true;
		return 0;		/* makes libcurl stop with a write error */
	}
	avec_buf_append(&bd->b, p, len);
	return avec_buf_failed(&bd->b) ? 0 : len;
}

/*
 * One GET of BASE + @path.  Returns the HTTP status (> 0) with the body in
 * @bd, or -1 with @err set and *res the result to report.
 */
static long
get(const struct avec_cas_client *c, const char *path, const char *service,
    const char *ticket, long timeout_ms, struct body *bd,
    enum avec_cas_result *res, struct avec_err *err)
{
	struct avec_buf url = { 0 };
	CURL *h;
	CURLcode rc;
	long status = -1;

	avec_buf_puts(&url, c->base);
	avec_buf_puts(&url, path);
	avec_buf_puts(&url, "?service=");
	avec_cas_url_encode(&url, service);
	avec_buf_puts(&url, "&ticket=");
	avec_cas_url_encode(&url, ticket);
	*res = AVEC_CAS_UNAVAILABLE;
	if (avec_buf_failed(&url)) {
		avec_buf_free(&url);
		avec_err_set(err, "CAS: out of memory");
		return -1;
	}
	if ((h = curl_easy_init()) == NULL) {
		avec_buf_free(&url);
		avec_err_set(err, "CAS: libcurl could not start a transfer");
		return -1;
	}
	rc = curl_easy_setopt(h, CURLOPT_URL, url.data);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR,
				      c->allow_http ? "http,https" : "https");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	if (rc == CURLE_OK)	/* "" disables the environment's proxies */
		rc = curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rc == CURLE_OK && c->ca_pem != NULL) {
		struct curl_blob blob = { (void *)(uintptr_t)c->ca_pem,
					  strlen(c->ca_pem), CURL_BLOB_COPY };

		rc = curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
	} else if (rc == CURLE_OK && c->ca_file != NULL) {
		rc = curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	}
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	if (rc == CURLE_OK)	/* threads: no SIGALRM for name lookups */
		rc = curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
				      (curl_off_t)AVEC_CAS_BODY_MAX);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_USERAGENT, "avecd");
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	if (rc == CURLE_OK)
		rc = curl_easy_setopt(h, CURLOPT_WRITEDATA, bd);
	if (rc != CURLE_OK) {
		avec_err_set(err, "CAS: libcurl refused an option (%s)",
			     curl_easy_strerror(rc));
		goto out;
	}
	rc = curl_easy_perform(h);
	if (bd->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		*res = AVEC_CAS_GARBAGE;
		avec_err_set(err, "CAS: the answer is larger than %u bytes",
			     AVEC_CAS_BODY_MAX);
		goto out;
	}
	if (rc != CURLE_OK) {
		avec_err_set(err, "CAS: %s the server failed: %s",
			     rc == CURLE_OPERATION_TIMEDOUT ? "waiting for" :
			     rc == CURLE_COULDNT_CONNECT ? "connecting to" :
			     "talking to", curl_easy_strerror(rc));
		goto out;
	}
	if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status <= 0) {
		status = -1;
		avec_err_set(err, "CAS: no HTTP status in the answer");
	}
out:
	curl_easy_cleanup(h);
	avec_buf_free(&url);
	return status;
}

enum avec_cas_result
avec_cas_validate(const struct avec_cas_client *c, const char *service,
		  const char *ticket, struct avec_cas_response *out,
		  struct avec_err *err)
{
	struct body bd = { { 0 }, false };
	enum avec_cas_result res = AVEC_CAS_UNAVAILABLE;
	long timeout = c->timeout_ms > 0 ? c->timeout_ms : 5000, status;
	int64_t deadline = avec_mono_ms() + timeout, left;
	bool https;

	memset(out, 0, sizeof(*out));
	https = c->base != NULL && strncmp(c->base, "https://", 8) == 0;
	if (c->base == NULL ||
	    (!https && !(c->allow_http && strncmp(c->base, "http://", 7) == 0))) {
		avec_err_set(err, "CAS: the server URL must start with "
			     "https://");
		return AVEC_CAS_UNAVAILABLE;
	}
	if (service == NULL || !avec_text_valid(service, 2048)) {
		avec_err_set(err, "CAS: the service URL is empty or not text");
		return AVEC_CAS_UNAVAILABLE;
	}
	if (!avec_cas_ticket_valid(ticket)) {
		snprintf(out->code, sizeof(out->code), "INVALID_TICKET_SPEC");
		avec_err_set(err, "CAS: the ticket is not of the form ST-...");
		return AVEC_CAS_REFUSED;
	}

	status = get(c, "/p3/serviceValidate", service, ticket, timeout, &bd,
		     &res, err);
	if (status == 404 && c->v2_fallback) {
		left = deadline - avec_mono_ms();
		if (left <= 0) {
			avec_err_set(err, "CAS: waiting for the server failed: "
				     "timeout");
			res = AVEC_CAS_UNAVAILABLE;
			goto out;
		}
		avec_buf_reset(&bd.b);
		status = get(c, "/serviceValidate", service, ticket, (long)left,
			     &bd, &res, err);
	}
	if (status < 0)
		goto out;
	if (status != 200) {
		res = AVEC_CAS_UNAVAILABLE;
		if (status >= 300 && status < 400)
			avec_err_set(err, "CAS: the server answered with a "
				     "redirect (HTTP %ld), not followed", status);
		else
			avec_err_set(err, "CAS: the server answered HTTP %ld",
				     status);
		goto out;
	}
	if (avec_cas_parse(bd.b.data, bd.b.len, out, err) < 0) {
		res = AVEC_CAS_GARBAGE;
		goto out;
	}
	res = out->success ? AVEC_CAS_VALID : AVEC_CAS_REFUSED;
out:
	avec_buf_free(&bd.b);
	return res;
}
