/*
 * routes.c - what each URL of avecd's portal does.
 *
 * HTTPS: the welcome page, the ENT login (a redirect to CAS, and the
 * callback that validates the ticket server to server), the owner's
 * devices (list, add, remove and install again, each revocation after a
 * confirmation page), the "device ready" page with its one-time
 * profile downloads (for a PSK device: its key, on a page shown once), the public CA certificate, the language switch, the
 * RFC 8908 captive-portal API, and log out.  HTTP: the operating systems'
 * captive-portal probes, answered with a redirect to the portal until the
 * client has registered a device, then with the success each OS expects;
 * and the ACME HTTP-01 challenges (portal.acme_dir), which the engine
 * reads.
 *
 * This file owns the checks in front of every state change: a session
 * for anything personal, the form's CSRF token and Origin on every POST,
 * the login nonce that binds a CAS ticket to the browser that asked for
 * it, the rate limits on logins and on the admin API, local-only
 * redirect targets (redirect.c, the one rule for them).  The CAS
 * callback comes in two halves: the checks, then the ticket handed to
 * the validators (validate.c) with the connection suspended; and, once
 * resumed with their verdict, the identity, the engine and the session.
 * It never logs a ticket, a token, a cookie or a secret.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "avec/ident.h"
#include "avec/log.h"
#include "avec/secret.h"
#include "portal.h"
#include "profile/profile.h"

#define NONCE_COOKIE	"avec_login"
#define SESSION_COOKIE	"avec_session"

/* ---- operating systems ---- */

static const char *const os_names[OS__COUNT] = {
	"ios", "macos", "android", "windows", "chromeos", "linux", "other",
};

const char *
os_name(enum os o)
{
	return o < OS__COUNT ? os_names[o] : "other";
}

int
os_parse(const char *s, enum os *out)
{
	unsigned i;

	for (i = 0; i < OS__COUNT; i++)
		if (strcmp(s, os_names[i]) == 0) {
			*out = (enum os)i;
			return 0;
		}
	return -1;
}

enum os
os_detect(const char *ua)
{
	if (ua == NULL)
		return OS_OTHER;
	if (strstr(ua, "iPhone") || strstr(ua, "iPad") || strstr(ua, "iPod"))
		return OS_IOS;
	if (strstr(ua, "Android"))
		return OS_ANDROID;
	if (strstr(ua, "CrOS"))
		return OS_CHROMEOS;
	if (strstr(ua, "Windows"))
		return OS_WINDOWS;
	if (strstr(ua, "Macintosh") || strstr(ua, "Mac OS X"))
		return OS_MACOS;
	if (strstr(ua, "Linux"))
		return OS_LINUX;
	return OS_OTHER;
}

/* ---- pending registrations ---- */

void
pending_free(struct pending *pd)
{
	unsigned i;

	for (i = 0; i < pd->nfiles; i++)
		avec_buf_free(&pd->files[i].body);
	avec_secret_wipe(pd, sizeof(*pd));
}

/* ---- small helpers ---- */

static enum MHD_Result
message(struct req *r, unsigned status, const char *title, const char *text)
{
	struct avec_buf b = { 0 };

	page_message(r, &b, title, text, r->s ? "/devices" : "/",
		     r->s ? T(r, "Mes appareils", "My devices")
			  : T(r, "Accueil", "Home"));
	return respond_page(r, status, &b);
}

static enum MHD_Result
engine_down(struct req *r)
{
	return message(r, 503, T(r, "Service indisponible",
				 "Service unavailable"),
		       T(r, "Le service d'inscription ne répond pas. "
			 "Réessayez dans quelques minutes.",
			 "The registration service does not answer. "
			 "Try again in a few minutes."));
}

/* A POST must come from our own form: the session's token, our origin. */
static bool
post_ok(struct req *r)
{
	char csrf[TOKEN_LEN + 2];
	const char *origin = req_header(r, "Origin");

	if (r->s == NULL || !req_form(r, "csrf", csrf, sizeof(csrf)) ||
	    strlen(csrf) != TOKEN_LEN ||
	    CRYPTO_memcmp(csrf, r->s->csrf, TOKEN_LEN) != 0)
		return false;
	if (origin != NULL && strcmp(origin, r->p->c->portal_url) != 0)
		return false;
	return true;
}

static enum MHD_Result
forbidden_post(struct req *r)
{
	avec_warn("%s %s from %s refused: no valid session or form token",
		  r->method, r->url, r->addr);
	return message(r, 403, T(r, "Action refusée", "Action refused"),
		       T(r, "Cette page a expiré ou ne vient pas du portail. "
			 "Revenez à vos appareils et recommencez.",
			 "This page has expired or did not come from the "
			 "portal. Go back to your devices and try again."));
}

static enum MHD_Result show_devices(struct req *r, unsigned status,
				    const char *notice);

/* Another account's device, or one gone: the same answer. */
static enum MHD_Result
not_yours(struct req *r)
{
	return show_devices(r, 404, T(r, "Cet appareil n'est pas dans votre "
				      "liste.",
				      "This device is not in your list."));
}

static enum MHD_Result
need_login(struct req *r)
{
	return respond_redirect(r, 303, "/", NULL);
}

/* ---- login ---- */

static void
service_url(struct req *r, const char *nonce, char *out, size_t len)
{
	snprintf(out, len, "%s/cas?n=%s", r->p->c->portal_url, nonce);
}

static enum MHD_Result
do_login(struct req *r)
{
	char nonce[TOKEN_LEN + 1], service[AVECD_URL_MAX + 64], cookie[160];
	struct avec_buf url = { 0 };
	enum MHD_Result ret;

	if (portal_token(nonce) < 0)
		return engine_down(r);
	service_url(r, nonce, service, sizeof(service));
	if (avec_cas_login_url(r->p->c->cas_url, service, &url) < 0 ||
	    avec_buf_failed(&url)) {
		avec_buf_free(&url);
		return engine_down(r);
	}
	snprintf(cookie, sizeof(cookie), NONCE_COOKIE "=%s; Path=/; Secure; "
		 "HttpOnly; SameSite=Lax; Max-Age=600", nonce);
	ret = respond_redirect(r, 302, url.data, cookie);
	avec_buf_free(&url);
	return ret;
}

static enum MHD_Result
cas_refused(struct req *r, const struct avec_cas_response *cr)
{
	avec_warn("CAS refused a ticket from %s: %s", r->addr, cr->code);
	if (strcmp(cr->code, "INVALID_TICKET") == 0 ||
	    strcmp(cr->code, "INVALID_TICKET_SPEC") == 0)
		return message(r, 403, T(r, "Connexion expirée",
					 "Login expired"),
			       T(r, "Ce lien de connexion a déjà servi ou a "
				 "expiré. Reconnectez-vous avec l'ENT.",
				 "This login link was already used or has "
				 "expired. Log in with the ENT again."));
	if (strcmp(cr->code, "INVALID_SERVICE") == 0)
		return message(r, 403, T(r, "Portail non reconnu",
					 "Portal not recognised"),
			       T(r, "L'ENT ne reconnaît pas ce portail. "
				 "Prévenez le service informatique du lycée.",
				 "The ENT does not recognise this portal. "
				 "Tell the school's IT staff."));
	return message(r, 502, T(r, "Connexion impossible",
				 "Login failed"),
		       T(r, "L'ENT a refusé la connexion. Réessayez ; si cela "
			 "continue, prévenez le service informatique.",
			 "The ENT refused the login. Try again; if it goes "
			 "on, tell the school's IT staff."));
}

static enum MHD_Result
identity_refused(struct req *r, int verdict)
{
	struct avec_buf b = { 0 }, t = { 0 };
	enum MHD_Result ret;

	switch (verdict) {
	case AVEC_CAS_OTHER_SCHOOL:
	case AVEC_CAS_NO_SCHOOL:
		avec_buf_printf(&t, r->lang == LANG_EN
			? "This portal is the Wi-Fi of %s. Your ENT account "
			  "belongs to another school: please use your own "
			  "school's Wi-Fi portal."
			: "Ce portail est celui du Wi-Fi de %s. Votre compte "
			  "ENT est rattaché à un autre établissement : "
			  "utilisez le portail de votre établissement.",
			r->p->c->school_name);
		page_message(r, &b, T(r, "Autre établissement",
				      "Another school"), t.data, "/",
			     T(r, "Accueil", "Home"));
		break;
	default:
		page_message(r, &b, T(r, "Profil non admis",
				      "Profile not admitted"),
			     T(r, "Votre profil ENT ne permet pas d'inscrire "
			       "un appareil sur le Wi-Fi du lycée.",
			       "Your ENT profile cannot register a device "
			       "on the school's Wi-Fi."), "/",
			     T(r, "Accueil", "Home"));
		break;
	}
	avec_buf_free(&t);
	ret = respond_page(r, 403, &b);
	return ret;
}

/*
 * The callback's first half: the checks, then the ticket to the
 * validators (validate.c), the connection suspended until their verdict;
 * or at once the "too many logins waiting" page when cas.max_pending
 * logins already wait.
 */
static enum MHD_Result
callback_start(struct req *r)
{
	const char *n = req_arg(r, "n"), *ticket = req_arg(r, "ticket");
	const char *cookie = MHD_lookup_connection_value(r->conn,
							 MHD_COOKIE_KIND,
							 NONCE_COOKIE);
	struct cas_job *j;

	if (!rate_allow(r->p, RATE_LOGIN, r->addr))
		return message(r, 429, T(r, "Trop de tentatives",
					 "Too many attempts"),
			       T(r, "Trop de connexions depuis cet appareil. "
				 "Attendez une minute et réessayez.",
				 "Too many logins from this device. Wait a "
				 "minute and try again."));
	/* the ticket must come back to the browser that went to get it */
	if (n == NULL || cookie == NULL || strlen(n) != TOKEN_LEN ||
	    strlen(cookie) != TOKEN_LEN ||
	    CRYPTO_memcmp(n, cookie, TOKEN_LEN) != 0) {
		avec_warn("CAS callback from %s without its login nonce",
			  r->addr);
		return message(r, 400, T(r, "Connexion expirée",
					 "Login expired"),
			       T(r, "Cette connexion n'a pas été commencée "
				 "ici, ou a expiré. Reconnectez-vous.",
				 "This login was not started here, or has "
				 "expired. Log in again."));
	}
	if (ticket == NULL || !avec_cas_ticket_valid(ticket)) {
		avec_warn("CAS callback from %s with a malformed ticket",
			  r->addr);
		return message(r, 400, T(r, "Connexion impossible",
					 "Login failed"),
			       T(r, "Le retour de l'ENT est incomplet. "
				 "Reconnectez-vous.",
				 "The ENT's answer is incomplete. Log in "
				 "again."));
	}
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return engine_down(r);
	service_url(r, n, j->service, sizeof(j->service));
	snprintf(j->ticket, sizeof(j->ticket), "%s", ticket);
	j->conn = r->conn;
	if (!validate_submit(r->p, j)) {
		validate_job_free(j);
		avec_warn("CAS: %u logins already wait for the ENT: one from "
			  "%s turned away", r->p->val.max, r->addr);
		return message(r, 503, T(r, "Trop de connexions en attente",
					 "Too many logins waiting"),
			       T(r, "L'ENT répond lentement et beaucoup de "
				 "connexions l'attendent déjà. Vos appareils "
				 "déjà inscrits continuent de fonctionner. "
				 "Réessayez dans une minute.",
				 "The ENT is answering slowly and many logins "
				 "are already waiting for it. Devices already "
				 "registered keep working. Try again in a "
				 "minute."));
	}
	r->cas = j;
	return MHD_YES;		/* resumed with the verdict: callback_end */
}

/* The callback's second half, with the validators' verdict in @j. */
static enum MHD_Result
callback_end(struct req *r, struct cas_job *j)
{
	struct avec_err err = { { 0 } };
	struct avecd_login q;
	struct avecd_login_reply a;
	struct session *s;
	char setc[160];
	int verdict;

	switch (j->res) {
	case AVEC_CAS_VALID:
		break;
	case AVEC_CAS_REFUSED: {
		enum MHD_Result ret = cas_refused(r, &j->cr);

		avec_cas_response_clear(&j->cr);
		return ret;
	}
	case AVEC_CAS_UNAVAILABLE:
		avec_warn("CAS unavailable: %s", j->err.msg);
		avec_cas_response_clear(&j->cr);
		return message(r, 503, T(r, "ENT indisponible",
					 "ENT unavailable"),
			       T(r, "L'ENT ne répond pas pour le moment. Vos "
				 "appareils déjà inscrits continuent de "
				 "fonctionner. Réessayez plus tard.",
				 "The ENT is not answering right now. Devices "
				 "already registered keep working. Try again "
				 "later."));
	case AVEC_CAS_GARBAGE:
	default:
		/* the ENT answered: not "unavailable", and a retry gets the
		 * same answer; the reason is for the log, not the page */
		avec_warn("CAS answer unreadable: %s", j->err.msg);
		avec_cas_response_clear(&j->cr);
		return message(r, 502, T(r, "Réponse de l'ENT illisible",
					 "Unreadable ENT answer"),
			       T(r, "AVEC n'a pas pu lire la réponse de l'ENT. "
				 "Réessayer n'y changera rien : prévenez le "
				 "service informatique. Vos appareils déjà "
				 "inscrits continuent de fonctionner.",
				 "AVEC could not read the ENT's answer. "
				 "Trying again will not help: tell the "
				 "school's IT staff. Devices already "
				 "registered keep working."));
	}

	memset(&q, 0, sizeof(q));
	snprintf(q.addr, sizeof(q.addr), "%s", r->addr);
	verdict = avec_cas_identify(&j->cr, &r->p->c->cas_map, r->p->c->uai,
				    &q.id, &err);
	avec_cas_response_clear(&j->cr);
	if (verdict < 0) {
		avec_warn("CAS identity from %s refused: %s", r->addr,
			  err.msg);
		return message(r, 502, T(r, "Connexion impossible",
					 "Login failed"),
			       T(r, "L'identité transmise par l'ENT est "
				 "inutilisable. Prévenez le service "
				 "informatique.",
				 "The identity sent by the ENT cannot be "
				 "used. Tell the school's IT staff."));
	}
	if (verdict != AVEC_CAS_ADMITTED) {
		avec_info("login of %s refused: %s", q.id.principal,
			  verdict == AVEC_CAS_NO_ROLE ? "no known profile"
						      : "another school");
		return identity_refused(r, verdict);
	}
	if (portal_engine_call(r->p, AVECD_MSG_LOGIN, &q, sizeof(q), &a,
			       sizeof(a)) < 0)
		return engine_down(r);
	if (a.st.code == AVECD_REFUSED) {
		avec_info("login of %s refused: %s", q.id.principal,
			  a.st.message);
		if (a.account_status != AVEC_ACCOUNT_ACTIVE)
			return message(r, 403, T(r, "Compte suspendu",
						 "Account suspended"),
				       T(r, "Votre compte n'est plus actif sur "
					 "le Wi-Fi du lycée. Adressez-vous à "
					 "la vie scolaire ou au service "
					 "informatique.",
					 "Your account is no longer active on "
					 "the school's Wi-Fi. Ask the school "
					 "office or the IT staff."));
		return message(r, 403, T(r, "Profil non admis",
					 "Profile not admitted"),
			       q.id.role == AVEC_ROLE_PARENT
			       ? T(r, "Les comptes parents ne peuvent pas "
				   "inscrire d'appareil sur le Wi-Fi du lycée.",
				   "Parent accounts cannot register devices "
				   "on the school's Wi-Fi.")
			       : T(r, "Votre profil ENT ne permet pas "
				   "d'inscrire un appareil sur le Wi-Fi du "
				   "lycée.",
				   "Your ENT profile cannot register a "
				   "device on the school's Wi-Fi."));
	}
	if (a.st.code != AVECD_OK) {
		avec_err_log("login of %s failed: %s", q.id.principal,
			     a.st.message);
		return engine_down(r);
	}
	/* a fresh session id at every login: no fixation */
	pthread_mutex_lock(&r->p->lock);
	s = session_new(r->p, q.id.principal, q.id.display_name, q.id.role);
	if (s != NULL)
		snprintf(setc, sizeof(setc), SESSION_COOKIE "=%s; Path=/; "
			 "Secure; HttpOnly; SameSite=Lax", s->id);
	pthread_mutex_unlock(&r->p->lock);
	if (s == NULL)
		return engine_down(r);
	avec_info("login of %s (%s) from %s", q.id.principal,
		  avec_role_name(q.id.role), r->addr);
	{
		enum MHD_Result ret = respond_redirect(r, 303, "/devices", setc);

		avec_secret_wipe(setc, sizeof(setc));
		return ret;
	}
}

static enum MHD_Result
do_callback(struct req *r)
{
	struct cas_job *j = r->cas;
	enum MHD_Result ret;

	if (j == NULL)
		return callback_start(r);
	if (!j->done)		/* called again before the verdict: wait on */
		return MHD_YES;
	ret = callback_end(r, j);
	r->cas = NULL;
	validate_job_free(j);
	return ret;
}

static enum MHD_Result
do_logout(struct req *r)
{
	if (!post_ok(r))
		return forbidden_post(r);
	session_drop(r->p, r->s->id);
	return respond_redirect(r, 303, "/", SESSION_COOKIE "=; Path=/; "
				"Secure; HttpOnly; SameSite=Lax; Max-Age=0");
}

/* ---- devices ---- */

static enum MHD_Result
show_devices(struct req *r, unsigned status, const char *notice)
{
	struct avecd_who q;
	struct avecd_devices *d;
	struct avec_buf b = { 0 };
	enum MHD_Result ret;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return MHD_NO;
	memset(&q, 0, sizeof(q));
	snprintf(q.principal, sizeof(q.principal), "%s", r->s->principal);
	if (portal_engine_call(r->p, AVECD_MSG_DEVICES, &q, sizeof(q), d,
			       sizeof(*d)) < 0 || d->st.code != AVECD_OK) {
		free(d);
		return engine_down(r);
	}
	page_devices(r, &b, d, os_detect(req_header(r, "User-Agent")),
		     notice);
	free(d);
	ret = respond_page(r, status, &b);
	return ret;
}

/* The method offered: the configured one if the policy allows it. */
static int
pick_method(const struct avecd_conf *c, uint32_t allowed)
{
	static const enum avec_cred_type order[] = {
		AVEC_CRED_TLS, AVEC_CRED_TTLS, AVEC_CRED_PEAP,
	};
	unsigned i;

	if (allowed & AVEC_CRED_BIT(c->method))
		return c->method;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (allowed & AVEC_CRED_BIT(order[i]))
			return order[i];
	return -1;
}

static int
add_file(struct pending *pd, const char *kind, const char *mime,
	 const char *filename, struct avec_buf *body)
{
	struct pfile *f;

	if (pd->nfiles >= PENDING_FILES || avec_buf_failed(body))
		return -1;
	f = &pd->files[pd->nfiles];
	if (portal_token(f->token) < 0)
		return -1;
	f->kind = kind;
	f->mime = mime;
	snprintf(f->filename, sizeof(f->filename), "%s", filename);
	f->body = *body;		/* moved */
	memset(body, 0, sizeof(*body));
	pd->nfiles++;
	return 0;
}

/* Every profile of the new device, rendered now, each served once. */
static int
build_files(struct req *r, struct pending *pd, const struct avecd_added *a)
{
	const struct avecd_conf *c = r->p->c;
	const unsigned char *ca[1] = { r->p->ca_der };
	size_t ca_len[1] = { r->p->ca_len };
	struct avec_err err = { { 0 } };
	struct avec_profile pr;
	struct avec_buf b = { 0 }, s = { 0 };
	char org[64], lower[AVEC_UAI_MAX + 1], fname[96];
	unsigned i;
	int rc = -1;

	for (i = 0; c->uai[i]; i++)
		lower[i] = (char)(c->uai[i] >= 'A' && c->uai[i] <= 'Z'
				  ? c->uai[i] + 32 : c->uai[i]);
	lower[i] = '\0';
	snprintf(org, sizeof(org), "fr.avec.%s", lower);
	memset(&pr, 0, sizeof(pr));
	pr.school_name = c->school_name;
	pr.org_id = org;
	pr.ssid = c->ssid;
	pr.onboarding_ssid = c->onboarding_ssid[0] ? c->onboarding_ssid : NULL;
	pr.method = (enum avec_cred_type)a->type;
	pr.server_name = c->server_name;
	pr.realm = c->realm;
	pr.ca_der = ca;
	pr.ca_len = ca_len;
	pr.nca = 1;
	pr.username = a->username;
	if (a->type == AVEC_CRED_TLS) {
		pr.p12 = a->p12;
		pr.p12_len = a->p12_len;
		pr.p12_password = a->p12_password;
	} else {
		pr.secret = a->secret;
	}
	pr.expires_at = a->expires_at;
	pr.device_name = pd->name;
	pr.support_url = c->support_url[0] ? c->support_url : NULL;
	pr.support_email = c->support_email[0] ? c->support_email : NULL;

	/* Apple: signed with the portal's certificate */
	if (avec_profile_mobileconfig(&pr, &b, &err) < 0)
		goto out;
	if (avec_profile_sign_pem(&b, r->p->cert_pem, strlen(r->p->cert_pem),
				  r->p->key_pem, strlen(r->p->key_pem), &s,
				  &err) < 0)
		goto out;
	avec_buf_free(&b);
	snprintf(fname, sizeof(fname), "%s.mobileconfig", c->ssid);
	if (add_file(pd, "mobileconfig",
		     avec_profile_mime(AVEC_PROFILE_MOBILECONFIG), fname,
		     &s) < 0)
		goto out;
	if (avec_profile_eapconfig(&pr, &b, &err) < 0)
		goto out;
	snprintf(fname, sizeof(fname), "%s.eap-config", c->ssid);
	if (add_file(pd, "eap-config",
		     avec_profile_mime(AVEC_PROFILE_EAPCONFIG), fname, &b) < 0)
		goto out;
	if (avec_profile_wlan_xml(&pr, &b, &err) < 0)
		goto out;
	snprintf(fname, sizeof(fname), "%s-windows.xml", c->ssid);
	if (add_file(pd, "windows", avec_profile_mime(AVEC_PROFILE_WLAN_XML),
		     fname, &b) < 0)
		goto out;
	if (avec_profile_onc(&pr, &b, &err) < 0)
		goto out;
	snprintf(fname, sizeof(fname), "%s.onc", c->ssid);
	if (add_file(pd, "onc", avec_profile_mime(AVEC_PROFILE_ONC), fname,
		     &b) < 0)
		goto out;
	if (a->type == AVEC_CRED_TLS) {
		avec_buf_append(&b, a->p12, a->p12_len);
		snprintf(fname, sizeof(fname), "%s.p12", a->username);
		if (add_file(pd, "p12", "application/x-pkcs12", fname, &b) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		avec_err_log("profiles of device %" PRId64 ": %s",
			     a->id, err.msg[0] ? err.msg : "out of memory");
	avec_buf_free(&b);
	avec_buf_free(&s);
	return rc;
}

/*
 * The new credential @a of device @name, registered for @os: its pending
 * record (the ready page and its one-time downloads, or a PSK device's
 * one-time key page, for this session only), then the redirect to the
 * ready page.  @mac: a PSK device's (normalised), else NULL.  @a stays
 * the caller's to wipe and free.
 */
static enum MHD_Result
ready(struct req *r, const struct avecd_added *a, const char *name,
      const char *mac, enum os os)
{
	struct pending *pd = NULL;
	char loc[64];
	unsigned i;

	pthread_mutex_lock(&r->p->lock);
	{
		int64_t now = (int64_t)time(NULL);
		struct pending *oldest = &r->p->pending[0];

		for (i = 0; i < PENDING_MAX; i++) {
			struct pending *x = &r->p->pending[i];

			if (x->sid[0] == '\0' || x->until <= now) {
				pd = x;
				break;
			}
			if (x->until < oldest->until)
				oldest = x;
		}
		if (pd == NULL)
			pd = oldest;
		pending_free(pd);
		snprintf(pd->sid, sizeof(pd->sid), "%s", r->s->id);
		pd->device_id = a->id;
		pd->until = now + PENDING_LIFE;
		pd->os = os;
		pd->type = a->type;
		snprintf(pd->name, sizeof(pd->name), "%.*s", AVEC_DEVICE_NAME_MAX, name);
		snprintf(pd->username, sizeof(pd->username), "%s",
			 a->username);
		snprintf(pd->secret, sizeof(pd->secret), "%s", a->secret);
		snprintf(pd->p12_password, sizeof(pd->p12_password), "%s",
			 a->p12_password);
		pd->expires_at = a->expires_at;
		/* a PSK device has a key and no profile */
		if (a->type == AVEC_CRED_PSK)
			snprintf(pd->mac, sizeof(pd->mac), "%s", mac);
		else if (build_files(r, pd, a) < 0)
			pd->nfiles = 0;
	}
	pthread_mutex_unlock(&r->p->lock);
	/* the browsing device installs a profile; for a PSK device, another
	 * device joins another network: the probes keep their portal */
	if (a->type != AVEC_CRED_PSK)
		registered_add(r->p, r->addr);
	avec_info("device %" PRId64 " registered by %s (%s) from %s", a->id,
		  r->s->principal, os_name(os), r->addr);
	snprintf(loc, sizeof(loc), "/devices/ready?id=%" PRId64, a->id);
	return respond_redirect(r, 303, loc, NULL);
}

/*
 * "Add a device": an 802.1X device (the method pick_method() chooses), or,
 * when the form says kind=psk, a device without 802.1X with a key of its
 * own bound to the MAC the form gives.  Either goes to the engine's one
 * registration path; the PSK kind only when the policy allows psk and the
 * portal knows the PSK network.  The key is never logged.
 */
static enum MHD_Result
do_add(struct req *r)
{
	char name[AVEC_DEVICE_NAME_MAX * 4], os_s[16], kind[8], mac_s[64];
	char mac[AVEC_MAC_STRLEN + 1] = "";
	struct avecd_devices *d = NULL;
	struct avecd_added *a = NULL;
	struct avecd_who w;
	struct avecd_add q;
	enum MHD_Result ret;
	enum os os = OS_OTHER;
	bool psk;
	int method;

	if (!post_ok(r))
		return forbidden_post(r);
	if (!req_form(r, "name", name, sizeof(name)) ||
	    !avec_device_name_valid(name))
		return show_devices(r, 400, T(r, "Donnez à l'appareil un nom "
					      "de 1 à 64 caractères.",
					      "Give the device a name of 1 "
					      "to 64 characters."));
	if (req_form(r, "os", os_s, sizeof(os_s)))
		os_parse(os_s, &os);
	psk = req_form(r, "kind", kind, sizeof(kind)) &&
	      strcmp(kind, "psk") == 0;
	if (psk && (!req_form(r, "mac", mac_s, sizeof(mac_s)) ||
		    avec_mac_normalize(mac_s, mac) < 0 ||
		    !avec_mac_is_station(mac)))
		return show_devices(r, 400, T(r, "Adresse MAC invalide : "
					      "donnez celle de l'appareil, "
					      "six paires de chiffres ou de "
					      "lettres a à f, comme "
					      "aa:bb:cc:dd:ee:ff.",
					      "Invalid MAC address: give the "
					      "device's own, six pairs of "
					      "digits or letters a to f, like "
					      "aa:bb:cc:dd:ee:ff."));

	d = calloc(1, sizeof(*d));
	a = calloc(1, sizeof(*a));
	if (d == NULL || a == NULL) {
		ret = MHD_NO;
		goto out;
	}
	memset(&w, 0, sizeof(w));
	snprintf(w.principal, sizeof(w.principal), "%s", r->s->principal);
	if (portal_engine_call(r->p, AVECD_MSG_DEVICES, &w, sizeof(w), d,
			       sizeof(*d)) < 0 || d->st.code != AVECD_OK) {
		ret = engine_down(r);
		goto out;
	}
	if (psk && (r->p->c->psk_ssid[0] == '\0' ||
		    !(d->allowed_creds & AVEC_CRED_BIT(AVEC_CRED_PSK)))) {
		avec_warn("a PSK device of %s refused: %s", r->s->principal,
			  r->p->c->psk_ssid[0] == '\0' ? "no wifi.psk_ssid"
			  : "the policy has no psk");
		ret = show_devices(r, 403, T(r, "Votre profil ne permet pas "
					     "d'inscrire un appareil sans "
					     "802.1X.",
					     "Your profile cannot register a "
					     "device without 802.1X."));
		goto out;
	}
	method = psk ? AVEC_CRED_PSK : pick_method(r->p->c, d->allowed_creds);
	if (method < 0) {
		ret = show_devices(r, 403, T(r, "Votre profil ne permet "
					     "aucun type d'appareil.",
					     "Your profile allows no kind of "
					     "device."));
		goto out;
	}
	memset(&q, 0, sizeof(q));
	snprintf(q.addr, sizeof(q.addr), "%s", r->addr);
	snprintf(q.principal, sizeof(q.principal), "%s", r->s->principal);
	snprintf(q.name, sizeof(q.name), "%.*s", AVEC_DEVICE_NAME_MAX, name);
	q.type = method;
	if (psk)
		snprintf(q.mac, sizeof(q.mac), "%s", mac);
	if (portal_engine_call(r->p, AVECD_MSG_ADD, &q, sizeof(q), a,
			       sizeof(*a)) < 0) {
		ret = engine_down(r);
		goto out;
	}
	switch (a->st.code) {
	case AVECD_OK:
		break;
	case AVECD_QUOTA:
		ret = show_devices(r, 409, T(r, "Vous avez atteint le nombre "
					     "maximal d'appareils. Retirez-en "
					     "un pour en ajouter un autre.",
					     "You have reached the maximum "
					     "number of devices. Remove one to "
					     "add another."));
		goto out;
	case AVECD_MAC_TAKEN:
		ret = show_devices(r, 409, T(r, "Cette adresse MAC est déjà "
					     "celle d'un autre appareil "
					     "inscrit. Si c'est l'un des "
					     "vôtres, retirez-le d'abord ; "
					     "sinon, adressez-vous au service "
					     "informatique.",
					     "This MAC address is already "
					     "another registered device's. If "
					     "it is one of yours, remove it "
					     "first; otherwise, ask the IT "
					     "staff."));
		goto out;
	case AVECD_REFUSED:
		ret = show_devices(r, 403, T(r, "L'inscription d'un appareil "
					     "vous est refusée pour le moment.",
					     "Registering a device is refused "
					     "to you for now."));
		goto out;
	default:
		avec_err_log("device of %s not added: %s", r->s->principal,
			     a->st.message);
		ret = engine_down(r);
		goto out;
	}

	ret = ready(r, a, name, psk ? mac : NULL, os);
out:
	if (a != NULL) {
		avec_secret_wipe(a, sizeof(*a));
		free(a);
	}
	free(d);
	return ret;
}

/*
 * The form's device, looked up among the session owner's own (the engine
 * lists only theirs): 0 with its row in @row, or the page already
 * answered in @ret (unknown id, engine down).  @allowed: the policy's
 * credential types, when asked for.
 */
static int
form_device(struct req *r, struct avecd_device_row *row, uint32_t *allowed,
	    enum MHD_Result *ret)
{
	char id_s[24], *end;
	struct avecd_devices *d;
	struct avecd_who w;
	long long id;
	unsigned i;
	int rc = -1;

	if (!req_form(r, "id", id_s, sizeof(id_s)) ||
	    (id = strtoll(id_s, &end, 10)) <= 0 || *end != '\0') {
		*ret = show_devices(r, 400, T(r, "Appareil inconnu.",
					      "Unknown device."));
		return -1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		*ret = MHD_NO;
		return -1;
	}
	memset(&w, 0, sizeof(w));
	snprintf(w.principal, sizeof(w.principal), "%s", r->s->principal);
	if (portal_engine_call(r->p, AVECD_MSG_DEVICES, &w, sizeof(w), d,
			       sizeof(*d)) < 0 || d->st.code != AVECD_OK) {
		free(d);
		*ret = engine_down(r);
		return -1;
	}
	for (i = 0; i < d->ndev && i < AVECD_DEVICES_MAX; i++)
		if (d->dev[i].id == id) {
			*row = d->dev[i];
			rc = 0;
		}
	if (allowed != NULL)
		*allowed = d->allowed_creds;
	free(d);
	if (rc < 0)
		*ret = not_yours(r);
	return rc;
}

/* Asked to confirm?  The form of the confirmation page says "confirm=1". */
static bool
confirmed(struct req *r)
{
	char c[4];

	return req_form(r, "confirm", c, sizeof(c)) && strcmp(c, "1") == 0;
}

static enum MHD_Result
confirm_page(struct req *r, enum confirm what,
	     const struct avecd_device_row *row)
{
	struct avec_buf b = { 0 };

	page_confirm(r, &b, what, row, os_detect(req_header(r, "User-Agent")));
	return respond_page(r, 200, &b);
}

/* The first POST asks (a page naming the device); only the confirmed
 * one revokes. */
static enum MHD_Result
do_remove(struct req *r)
{
	struct avecd_device_row row;
	struct avecd_remove q;
	struct avecd_status a;
	enum MHD_Result ret;
	int64_t id;

	if (!post_ok(r))
		return forbidden_post(r);
	if (form_device(r, &row, NULL, &ret) < 0)
		return ret;
	if (!confirmed(r))
		return confirm_page(r, CONFIRM_REMOVE, &row);
	id = row.id;
	memset(&q, 0, sizeof(q));
	snprintf(q.addr, sizeof(q.addr), "%s", r->addr);
	snprintf(q.principal, sizeof(q.principal), "%s", r->s->principal);
	q.id = id;
	if (portal_engine_call(r->p, AVECD_MSG_REMOVE, &q, sizeof(q), &a,
			       sizeof(a)) < 0)
		return engine_down(r);
	if (a.code == AVECD_NOTFOUND)
		return not_yours(r);
	if (a.code != AVECD_OK)
		return engine_down(r);
	return respond_redirect(r, 303, "/devices?removed=1", NULL);
}

/*
 * "Install again": after the confirmation, the engine revokes the old
 * credential and registers the device anew (its one registration path);
 * the fresh credential gets a ready page like a new device's.  The type
 * stays the device's own while the policy allows it.
 */
static enum MHD_Result
do_reinstall(struct req *r)
{
	struct avecd_device_row row;
	struct avecd_reinstall q;
	struct avecd_added *a;
	enum MHD_Result ret;
	enum os os = OS_OTHER;
	uint32_t allowed = 0;
	char os_s[16];
	int method;

	if (!post_ok(r))
		return forbidden_post(r);
	if (form_device(r, &row, &allowed, &ret) < 0)
		return ret;
	if (row.type == AVEC_CRED_PSK)
		return show_devices(r, 409, T(r, "Cet appareil est installé "
					      "par le service informatique.",
					      "This device is installed by "
					      "the IT staff."));
	if (!confirmed(r))
		return confirm_page(r, CONFIRM_REINSTALL, &row);
	if (req_form(r, "os", os_s, sizeof(os_s)))
		os_parse(os_s, &os);
	method = row.type >= 0 && row.type < AVEC_CRED_PSK &&
		 (allowed & AVEC_CRED_BIT(row.type))
		 ? row.type : pick_method(r->p->c, allowed);
	if (method < 0)
		return show_devices(r, 403, T(r, "Votre profil ne permet "
					      "aucun type d'appareil.",
					      "Your profile allows no kind of "
					      "device."));
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return MHD_NO;
	memset(&q, 0, sizeof(q));
	snprintf(q.addr, sizeof(q.addr), "%s", r->addr);
	snprintf(q.principal, sizeof(q.principal), "%s", r->s->principal);
	q.id = row.id;
	q.type = method;
	if (portal_engine_call(r->p, AVECD_MSG_REINSTALL, &q, sizeof(q), a,
			       sizeof(*a)) < 0) {
		ret = engine_down(r);
		goto out;
	}
	switch (a->st.code) {
	case AVECD_OK: {
		unsigned i;

		avec_info("device %" PRId64 " of %s installed again as device "
			  "%" PRId64, row.id, r->s->principal, a->id);
		/* the revoked credential's files, if still pending: wiped */
		pthread_mutex_lock(&r->p->lock);
		for (i = 0; i < PENDING_MAX; i++)
			if (r->p->pending[i].sid[0] != '\0' &&
			    r->p->pending[i].device_id == row.id)
				pending_free(&r->p->pending[i]);
		pthread_mutex_unlock(&r->p->lock);
		ret = ready(r, a, row.name, NULL, os);
		break;
	}
	case AVECD_NOTFOUND:
		ret = not_yours(r);
		break;
	case AVECD_REFUSED:
		ret = show_devices(r, 403, T(r, "Votre profil ne permet pas "
					     "d'installer à nouveau cet "
					     "appareil pour le moment.",
					     "Your profile cannot install this "
					     "device again for now."));
		break;
	default:
		/* the old credential may be revoked already: say so */
		avec_err_log("device %" PRId64 " of %s not installed again: %s",
			     row.id, r->s->principal, a->st.message);
		ret = show_devices(r, 503, T(r, "Le nouveau profil n'a pas pu "
					     "être préparé. Si l'appareil "
					     "n'est plus dans la liste, "
					     "ajoutez-le de nouveau.",
					     "The new profile could not be "
					     "made. If the device is no "
					     "longer listed, add it again."));
		break;
	}
out:
	avec_secret_wipe(a, sizeof(*a));
	free(a);
	return ret;
}

static struct pending *
pending_of(struct req *r, int64_t id)
{
	int64_t now = (int64_t)time(NULL);
	unsigned i;

	for (i = 0; i < PENDING_MAX; i++) {
		struct pending *x = &r->p->pending[i];

		if (x->sid[0] != '\0' && x->until > now &&
		    strcmp(x->sid, r->s->id) == 0 &&
		    (id == 0 || x->device_id == id))
			return x;
	}
	return NULL;
}

static enum MHD_Result
show_ready(struct req *r)
{
	const char *id_s = req_arg(r, "id");
	struct avec_buf b = { 0 };
	struct pending *pd;
	long long id = id_s ? strtoll(id_s, NULL, 10) : 0;
	bool psk_shown = false;

	if (id <= 0)
		return respond_redirect(r, 303, "/devices", NULL);
	pthread_mutex_lock(&r->p->lock);
	pd = pending_of(r, id);
	if (pd != NULL && pd->type == AVEC_CRED_PSK) {
		/* a key is shown once: then wiped, the page gone */
		psk_shown = pd->shown;
		if (!pd->shown)
			page_ready_psk(r, &b, pd);
		pd->shown = true;
		avec_secret_wipe(pd->secret, sizeof(pd->secret));
	} else if (pd != NULL) {
		page_ready(r, &b, pd);
	}
	pthread_mutex_unlock(&r->p->lock);
	if (psk_shown)
		return message(r, 410, T(r, "Page expirée", "Page expired"),
			       T(r, "La clé Wi-Fi de cet appareil ne "
				 "s'affiche qu'une fois, et elle l'a été. "
				 "Perdue ? Retirez l'appareil et inscrivez-le "
				 "de nouveau : il aura une nouvelle clé.",
				 "This device's Wi-Fi key is shown only once, "
				 "and it was. Lost it? Remove the device and "
				 "register it again: it gets a new key."));
	if (pd == NULL)
		return message(r, 410, T(r, "Page expirée", "Page expired"),
			       T(r, "Les fichiers de cet appareil ne sont plus "
				 "disponibles. Sur la page de vos appareils, "
				 "choisissez « Installer à nouveau » pour "
				 "obtenir un nouveau profil.",
				 "This device's files are no longer "
				 "available. On your devices page, choose "
				 "\"Install again\" to get a new profile."));
	return respond_page(r, 200, &b);
}

static enum MHD_Result
download(struct req *r, const char *token)
{
	int64_t now = (int64_t)time(NULL);
	struct avec_buf body = { 0 };
	char fname[96], mime[64];
	enum MHD_Result ret;
	unsigned i, k;

	fname[0] = '\0';
	pthread_mutex_lock(&r->p->lock);
	for (i = 0; i < PENDING_MAX && fname[0] == '\0'; i++) {
		struct pending *x = &r->p->pending[i];

		if (x->sid[0] == '\0' || x->until <= now ||
		    strcmp(x->sid, r->s->id) != 0)
			continue;
		for (k = 0; k < x->nfiles; k++) {
			struct pfile *f = &x->files[k];

			if (f->used || strlen(token) != TOKEN_LEN ||
			    CRYPTO_memcmp(f->token, token, TOKEN_LEN) != 0)
				continue;
			f->used = true;
			body = f->body;		/* moved out: served once */
			memset(&f->body, 0, sizeof(f->body));
			snprintf(fname, sizeof(fname), "%s", f->filename);
			snprintf(mime, sizeof(mime), "%s", f->mime);
			break;
		}
	}
	pthread_mutex_unlock(&r->p->lock);
	if (fname[0] == '\0')
		return message(r, 410, T(r, "Lien expiré", "Link expired"),
			       T(r, "Ce lien de téléchargement a déjà servi "
				 "ou a expiré.",
				 "This download link was already used or has "
				 "expired."));
	ret = respond_data(r, 200, mime, body.data, body.len, fname, NULL);
	avec_buf_free(&body);
	return ret;
}

/* ---- public bits ---- */

static enum MHD_Result
ca_cert(struct req *r, bool pem)
{
	struct avec_buf b = { 0 };
	enum MHD_Result ret;
	size_t i;

	if (!pem)
		return respond_data(r, 200, "application/x-x509-ca-cert",
				    r->p->ca_der, r->p->ca_len, "avec-ca.crt",
				    NULL);
	avec_buf_base64(&b, r->p->ca_der, r->p->ca_len);
	{
		struct avec_buf p = { 0 };

		avec_buf_puts(&p, "-----BEGIN CERTIFICATE-----\n");
		for (i = 0; i < b.len; i += 64) {
			avec_buf_append(&p, b.data + i,
					b.len - i < 64 ? b.len - i : 64);
			avec_buf_puts(&p, "\n");
		}
		avec_buf_puts(&p, "-----END CERTIFICATE-----\n");
		ret = respond_data(r, 200, "application/x-pem-file", p.data,
				   p.len, "avec-ca.pem", NULL);
		avec_buf_free(&p);
	}
	avec_buf_free(&b);
	return ret;
}

static enum MHD_Result
set_lang(struct req *r)
{
	const char *l = req_arg(r, "l");
	const char *next = avecd_local_path(req_arg(r, "next"));

	return respond_redirect(r, 303, next, l && strcmp(l, "en") == 0
		? "avec_lang=en; Path=/; Secure; SameSite=Lax; Max-Age=31536000"
		: "avec_lang=fr; Path=/; Secure; SameSite=Lax; Max-Age=31536000");
}

/* RFC 8908: the captive-portal API, per client. */
static enum MHD_Result
captive_api(struct req *r)
{
	struct avec_buf b = { 0 };
	enum MHD_Result ret;
	bool captive = !registered_has(r->p, r->addr);

	avec_buf_printf(&b, "{\"captive\": %s, \"user-portal-url\": \"%s/\"",
			captive ? "true" : "false", r->p->c->portal_url);
	if (r->p->c->support_url[0])
		avec_buf_printf(&b, ", \"venue-info-url\": \"%s\"",
				r->p->c->support_url);
	avec_buf_puts(&b, "}\n");
	ret = respond_data(r, 200, "application/captive+json", b.data, b.len,
			   NULL, NULL);
	avec_buf_free(&b);
	return ret;
}

enum MHD_Result
route_https(struct req *r)
{
	bool get = strcmp(r->method, "GET") == 0 ||
		   strcmp(r->method, "HEAD") == 0;
	bool post = strcmp(r->method, "POST") == 0;
	const char *u = r->url;

	if (get && strcmp(u, "/style.css") == 0)
		return respond_data(r, 200, "text/css; charset=utf-8",
				    portal_css, strlen(portal_css), NULL, NULL);
	if (get && strcmp(u, "/") == 0) {
		struct avec_buf b = { 0 };
		const char *cap = req_arg(r, "captive");

		if (r->s != NULL && cap == NULL)
			return respond_redirect(r, 303, "/devices", NULL);
		page_welcome(r, &b, cap != NULL);
		return respond_page(r, 200, &b);
	}
	if (get && strcmp(u, "/login") == 0)
		return do_login(r);
	if (get && strcmp(u, "/cas") == 0)
		return do_callback(r);
	if (get && strcmp(u, "/lang") == 0)
		return set_lang(r);
	if (get && strcmp(u, "/ca.pem") == 0)
		return ca_cert(r, true);
	if (get && strcmp(u, "/ca.crt") == 0)
		return ca_cert(r, false);
	if (get && strcmp(u, "/api/captive") == 0)
		return captive_api(r);

	/* everything below is personal */
	if (strcmp(u, "/devices") == 0 || strcmp(u, "/devices/ready") == 0 ||
	    strcmp(u, "/devices/remove") == 0 ||
	    strcmp(u, "/devices/reinstall") == 0 || strcmp(u, "/logout") == 0 ||
	    strncmp(u, "/dl/", 4) == 0) {
		if (r->s == NULL)
			return post ? forbidden_post(r) : need_login(r);
		if (get && strcmp(u, "/devices") == 0)
			return show_devices(r, 200, req_arg(r, "removed")
					    ? T(r, "L'appareil a été retiré.",
						"The device was removed.")
					    : NULL);
		if (post && strcmp(u, "/devices") == 0)
			return do_add(r);
		if (post && strcmp(u, "/devices/remove") == 0)
			return do_remove(r);
		if (post && strcmp(u, "/devices/reinstall") == 0)
			return do_reinstall(r);
		if (get && strcmp(u, "/devices/ready") == 0)
			return show_ready(r);
		if (get && strncmp(u, "/dl/", 4) == 0)
			return download(r, u + 4);
		if (post && strcmp(u, "/logout") == 0)
			return do_logout(r);
		return message(r, 405, T(r, "Méthode non permise",
					 "Method not allowed"),
			       T(r, "Cette action n'existe pas ici.",
				 "This action does not exist here."));
	}
	return message(r, 404, T(r, "Page introuvable", "Page not found"),
		       T(r, "Cette page n'existe pas.",
			 "This page does not exist."));
}

/* ---- plain HTTP: the captive-portal probes ---- */

struct probe {
	const char *path;
	unsigned status;
	const char *mime, *body;
};

static const struct probe probes[] = {
	/* Apple */
	{ "/hotspot-detect.html", 200, "text/html",
	  "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>" },
	{ "/library/test/success.html", 200, "text/html",
	  "<HTML><HEAD><TITLE>Success</TITLE></HEAD><BODY>Success</BODY></HTML>" },
	/* Android, ChromeOS */
	{ "/generate_204", 204, NULL, "" },
	{ "/gen_204", 204, NULL, "" },
	/* Windows */
	{ "/connecttest.txt", 200, "text/plain", "Microsoft Connect Test" },
	{ "/ncsi.txt", 200, "text/plain", "Microsoft NCSI" },
	/* Firefox */
	{ "/success.txt", 200, "text/plain", "success\n" },
	{ "/canonical.html", 200, "text/html",
	  "<meta http-equiv=\"refresh\" content=\"0;url=https://support.mozilla.org/kb/captive-portal\"/>" },
};

/* ---- plain HTTP: ACME HTTP-01 challenges (acme.c, read by the engine) ---- */

#define ACME_PREFIX	"/.well-known/acme-challenge/"

static enum MHD_Result
acme_not_found(struct req *r)
{
	static const char text[] = "no such challenge\n";

	return respond_data(r, 404, "text/plain; charset=utf-8", text,
			    strlen(text), NULL, NULL);
}

/*
 * GET ACME_PREFIX TOKEN: the key authorisation the ACME client left for
 * the CA.  Every path under the prefix is answered here, a 404 unless
 * portal.acme_dir is set, the method GET or HEAD and the token base64url;
 * never a redirect, which a CA would follow to the portal's HTTPS door.
 */
static enum MHD_Result
acme_challenge(struct req *r, const char *token)
{
	struct avecd_acme q;
	struct avecd_acme_reply *rep;
	enum MHD_Result ret;

	if (r->p->c->acme_dir[0] == '\0' ||
	    (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0) ||
	    !avecd_acme_token_valid(token))
		return acme_not_found(r);
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return MHD_NO;
	memset(&q, 0, sizeof(q));
	snprintf(q.token, sizeof(q.token), "%s", token);
	if (portal_engine_call(r->p, AVECD_MSG_ACME, &q, sizeof(q), rep,
			       sizeof(*rep)) < 0 ||
	    rep->st.code != AVECD_OK || rep->len > sizeof(rep->body))
		ret = acme_not_found(r);
	else
		ret = respond_data(r, 200, "text/plain", rep->body, rep->len,
				   NULL, NULL);
	free(rep);
	return ret;
}

enum MHD_Result
route_http(struct req *r)
{
	char loc[AVECD_URL_MAX + 16];
	unsigned i;

	if (strncmp(r->url, ACME_PREFIX, strlen(ACME_PREFIX)) == 0)
		return acme_challenge(r, r->url + strlen(ACME_PREFIX));
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		if (strcmp(r->url, probes[i].path) != 0)
			continue;
		if (registered_has(r->p, r->addr))
			return respond_data(r, probes[i].status,
					    probes[i].mime, probes[i].body,
					    strlen(probes[i].body), NULL, NULL);
		snprintf(loc, sizeof(loc), "%s/?captive=1",
			 r->p->c->portal_url);
		return respond_redirect(r, 302, loc, NULL);
	}
	snprintf(loc, sizeof(loc), "%s/", r->p->c->portal_url);
	return respond_redirect(r, 302, loc, NULL);
}

/* ---- the admin API over HTTPS: checked and run by the engine ---- */

static enum MHD_Result
admin_text(struct req *r, unsigned status, const char *text)
{
	return respond_data(r, status, "text/plain; charset=utf-8", text,
			    strlen(text), NULL, NULL);
}

enum MHD_Result
route_admin(struct req *r)
{
	const char *auth = req_header(r, "Authorization");
	struct avecd_admin *m;
	char *args[AVECD_ADMIN_ARGS + 1], *res = NULL;
	size_t len = 0;
	unsigned n, i, status;
	enum MHD_Result ret;

	if (strcmp(r->method, "POST") != 0 || strcmp(r->url, "/v1/avecctl") != 0)
		return admin_text(r, 404, "no such API call\n");
	/* token guessing has a bucket of its own, sized like the logins' */
	if (!rate_allow(r->p, RATE_ADMIN, r->addr))
		return admin_text(r, 429, "too many attempts\n");
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
	    strlen(auth + 7) >= sizeof(m->token))
		return admin_text(r, 401, "a token is needed\n");
	n = avecd_admin_args(r->body.data, args, AVECD_ADMIN_ARGS);
	if (n == 0 || n > AVECD_ADMIN_ARGS)
		return admin_text(r, 400, "expected 1 to 32 arg fields\n");
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return MHD_NO;
	snprintf(m->token, sizeof(m->token), "%s", auth + 7);
	snprintf(m->origin, sizeof(m->origin), "admin api %s", r->addr);
	m->nargs = n;
	for (i = 0; i < n; i++) {
		if (strlen(args[i]) >= AVECD_ADMIN_ARG_MAX) {
			avec_secret_wipe(m, sizeof(*m));
			free(m);
			return admin_text(r, 400, "an argument is too long\n");
		}
		snprintf(m->args[i], sizeof(m->args[i]), "%s", args[i]);
	}
	pthread_mutex_lock(&r->p->engine_lock);
	if (avecd_msg_send(r->p->engine_fd, AVECD_MSG_ADMIN, m, sizeof(*m)) < 0 ||
	    avecd_msg_recv_var(r->p->engine_fd, AVECD_MSG_ADMIN, &res, &len,
			       AVECD_ADMIN_RESULT_MAX) < 0) {
		pthread_mutex_unlock(&r->p->engine_lock);
		avec_secret_wipe(m, sizeof(*m));
		free(m);
		free(res);
		return admin_text(r, 503, "the engine does not answer\n");
	}
	pthread_mutex_unlock(&r->p->engine_lock);
	avec_secret_wipe(m, sizeof(*m));
	free(m);
	if (sscanf(res, "%u\n", &status) != 1 || strchr(res, '\n') == NULL)
		status = 503;
	if (status != 200)
		ret = admin_text(r, status, status == 401
				 ? "unknown or revoked token\n"
				 : "refused\n");
	else {
		const char *body = strchr(res, '\n') + 1;

		ret = respond_data(r, 200, "application/x-avecctl-result", body,
				   len - (size_t)(body - res), NULL, NULL);
	}
	avec_secret_wipe(res, len);
	free(res);
	return ret;
}
