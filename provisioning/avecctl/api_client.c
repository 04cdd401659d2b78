/*
 * api_client.c - avecctl as a client of avecd's admin API.
 *
 * With --api URL, avecctl does not open the store: it sends its command
 * line to avecd, which runs the same command on the appliance (as avecctl
 * itself, under the token's scope) and sends back its exit status, its
 * stderr and its stdout, which are relayed here as they are.  URL is
 * "unix:PATH" (the local admin socket: the file's permissions decide who
 * may connect) or "https://HOST:PORT" (a token is then needed:
 * --token-file FILE or $AVEC_API_TOKEN).
 *
 * The wire: POST BASE/v1/avecctl, a form of repeated "arg" fields; the
 * answer is "avecctl-result 1\nexit N\nstderr LEN\n", LEN bytes of
 * stderr, then stdout.  The token travels in an Authorization header over
 * TLS only, and is wiped once sent; it is never printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "avec/secret.h"
#include "avecctl.h"
#include "common/buf.h"

#define RESULT_MAX	(16u << 20)

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct avec_buf *b = arg;

	if (b->len + size * n > RESULT_MAX)
		return 0;
	avec_buf_append(b, p, size * n);
	return avec_buf_failed(b) ? 0 : size * n;
}

static int
read_token(const char *path, char *out, size_t len)
{
	const char *env = getenv("AVEC_API_TOKEN");
	FILE *f;

	if (path == NULL) {
		if (env == NULL || *env == '\0')
			return ctl_fail(CTL_USAGE, "an https admin API needs a "
					"token: --token-file FILE or "
					"$AVEC_API_TOKEN");
		snprintf(out, len, "%s", env);
		return CTL_OK;
	}
	if ((f = fopen(path, "re")) == NULL)
		return ctl_fail(CTL_IO, "cannot read the token file %s: %s",
				path, strerror(errno));
	setvbuf(f, NULL, _IONBF, 0);
	if (fgets(out, (int)len, f) == NULL)
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0')
		return ctl_fail(CTL_USAGE, "the token file %s is empty", path);
	return CTL_OK;
}

/* Relay "avecctl-result 1\nexit N\nstderr LEN\n" + stderr + stdout. */
static int
relay(const struct avec_buf *b)
{
	const char *p = b->data, *end = b->data + b->len;
	unsigned long ex, elen;
	int n = 0;

	if (p == NULL || sscanf(p, "avecctl-result 1\nexit %lu\nstderr %lu\n%n",
				&ex, &elen, &n) != 2 || n <= 0 ||
	    elen > (size_t)(end - p - n))
		return ctl_fail(CTL_IO, "the admin API's answer is not a "
				"command result");
	p += n;
	fflush(stdout);
	fwrite(p, 1, elen, stderr);
	fwrite(p + elen, 1, (size_t)(end - p - elen), stdout);
	return ex <= 255 ? (int)ex : CTL_IO;
}

int
ctl_api_run(const char *url, const char *token_file, const char *ca_file,
	    int argc, char **argv)
{
	struct avec_buf body = { 0 }, form = { 0 }, endpoint = { 0 };
	struct curl_slist *hdrs = NULL;
	char token[256], auth[300];
	bool unix_socket = strncmp(url, "unix:", 5) == 0;
	long status = 0;
	CURLcode cc;
	CURL *h;
	int i, rc;

	token[0] = auth[0] = '\0';
	if (!unix_socket && strncmp(url, "https://", 8) != 0)
		return ctl_fail(CTL_USAGE, "--api takes unix:PATH or "
				"https://HOST:PORT");
	if (!unix_socket &&
	    (rc = read_token(token_file, token, sizeof(token))) != CTL_OK)
		return rc;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (h = curl_easy_init()) == NULL)
		return ctl_fail(CTL_IO, "libcurl failed to start");
	for (i = 0; i < argc; i++) {
		char *e = curl_easy_escape(h, argv[i], 0);

		if (e == NULL) {
			rc = ctl_fail(CTL_IO, "out of memory");
			goto out;
		}
		avec_buf_printf(&form, "%sarg=%s", i ? "&" : "", e);
		curl_free(e);
	}
	if (unix_socket) {
		curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, url + 5);
		avec_buf_puts(&endpoint, "http://localhost/v1/avecctl");
	} else {
		avec_buf_printf(&endpoint, "%s/v1/avecctl", url);
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
		avec_secret_wipe(auth, sizeof(auth));
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
		if (ca_file != NULL)
			curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	}
	if (avec_buf_failed(&form) || avec_buf_failed(&endpoint)) {
		rc = ctl_fail(CTL_IO, "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, endpoint.data);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, form.data ? form.data : "");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK)
		rc = ctl_fail(CTL_IO, "the admin API at %s: %s", url,
			      curl_easy_strerror(cc));
	else if (status == 401)
		rc = ctl_fail(CTL_REFUSED, "the admin API refused the token");
	else if (status == 429)
		rc = ctl_fail(CTL_REFUSED, "the admin API refuses: too many "
			      "attempts, try again later");
	else if (status != 200)
		rc = ctl_fail(CTL_IO, "the admin API answered HTTP %ld", status);
	else
		rc = relay(&body);
out:
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	avec_secret_wipe(token, sizeof(token));
	avec_buf_free(&body);
	avec_buf_free(&form);
	avec_buf_free(&endpoint);
	return rc;
}
