/*
 * render_acme.c - the portal's certificate from an ACME CA: dehydrated's
 * configuration (etc/avec/acme/config) and its list of names
 * (etc/avec/acme/domains.txt), rendered only when the school profile says
 * `portal.certificate: acme`.
 *
 * It owns what dehydrated is told: the CA's directory URL, HTTP-01
 * challenges left in RENDER_ACME_WELLKNOWN (avecd answers them on its
 * plain-HTTP door, portal.acme_dir), its account and certificates under
 * /var/lib/avec/acme, the contact e-mail, and the hook that puts a new
 * certificate in place (/usr/lib/avec/acme-hook).  The config is a bash
 * file dehydrated sources: every value from the profile is single-quoted,
 * and one that holds a quote, a backslash, a space, a control character or
 * a byte outside ASCII is refused rather than escaped.  It writes no file
 * and holds no secret (the account and certificate keys are dehydrated's,
 * made on the appliance).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "school/render.h"

#define ACME_BASEDIR	"/var/lib/avec/acme"
#define ACME_HOOK	"/usr/lib/avec/acme-hook"

const char *
render_acme_dir(const struct school *s)
{
	return s->portal_cert == SCHOOL_CERT_ACME ? RENDER_ACME_WELLKNOWN : NULL;
}

/* Safe between single quotes in a file bash sources: printable ASCII
 * with no quote, backslash or space. */
static bool
quotable(const char *v)
{
	for (; *v != '\0'; v++)
		if (*v <= ' ' || *v > '~' || *v == '\'' || *v == '\\')
			return false;
	return true;
}

/* Render @text (printf-style) into a malloc'd string, added as @path. */
static int
add_text(struct render_set *out, const char *path, struct avec_err *err,
	 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
add_text(struct render_set *out, const char *path, struct avec_err *err,
	 const char *fmt, ...)
{
	va_list ap;
	char *data = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&data, fmt, ap);
	va_end(ap);
	if (n < 0)
		return avec_err_set(err, "out of memory rendering %s", path);
	return render_set_add(out, path, data, (size_t)n, 0644, false, err);
}

int
render_acme(const struct school *s, struct render_set *out,
	    struct avec_err *err)
{
	char email[160] = "";

	if (s->portal_cert != SCHOOL_CERT_ACME)
		return 0;
	if (s->portal_host[0] == '\0' || !quotable(s->portal_host))
		return avec_err_set(err, "portal.host: not a name dehydrated "
				    "can be given");
	if (strncmp(s->acme_url, "https://", 8) != 0 ||
	    s->acme_url[8] == '\0' || !quotable(s->acme_url))
		return avec_err_set(err, "portal.acme_url: expected an https:// "
				    "URL without quotes, spaces or backslashes");
	if (s->acme_email[0] != '\0') {
		if (!quotable(s->acme_email) ||
		    strchr(s->acme_email, '@') == NULL)
			return avec_err_set(err, "portal.acme_email: expected "
					    "an e-mail address");
		snprintf(email, sizeof(email), "CONTACT_EMAIL='%s'\n",
			 s->acme_email);
	}
	if (add_text(out, "etc/avec/acme/config", err,
		     "# dehydrated's configuration for the portal's certificate, "
		     "rendered by\n# `avecctl provision` from the school profile "
		     "(portal.certificate: acme):\n# edit the profile, not this "
		     "file.  Run by /usr/lib/avec/acme (avec-acme.timer).\n"
		     "CA='%s'\n"
		     "CHALLENGETYPE=http-01\n"
		     "# avecd answers GET /.well-known/acme-challenge/TOKEN on "
		     "port 80 from here\n# (portal.acme_dir)\n"
		     "WELLKNOWN=" RENDER_ACME_WELLKNOWN "\n"
		     "BASEDIR=" ACME_BASEDIR "\n"
		     "DOMAINS_TXT=/etc/avec/acme/domains.txt\n"
		     "KEY_ALGO=prime256v1\n"
		     "RENEW_DAYS=30\n"
		     "%s"
		     "# installs the certificate as /etc/avec/portal.pem and "
		     ".key, restarts avecd\n"
		     "HOOK=" ACME_HOOK "\n",
		     s->acme_url, email) < 0)
		return -1;
	return add_text(out, "etc/avec/acme/domains.txt", err,
			"# the portal's name (school profile: portal.host)\n"
			"%s\n", s->portal_host);
}
