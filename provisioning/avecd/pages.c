/*
 * pages.c - the HTML of avecd's portal, in French first and in English.
 *
 * It owns what a person reads: layout, words, the device list, the steps
 * per operating system on the "device ready" page.  Pages work on a
 * 360-px phone and in the captive-portal mini-browsers of iOS and Android:
 * no script, no external resource, one small stylesheet, plain forms.
 * They are accessible: a lang attribute, a label on every field, visible
 * focus (an outline of 3:1 or more against what surrounds it), text
 * contrast above 7:1, buttons that are buttons.  What revokes a
 * credential (remove, install again) asks first, on a page that names
 * the device.  A PSK device's key is shown on a page of its own, once,
 * with a WIFI: QR code of the network and key.
 *
 * Every string that did not come from this file goes through
 * avec_buf_xml(): device names, display names, school names, attribute
 * values are all escaped, always.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "avec/policy.h"
#include "portal.h"
#include "profile/profile.h"

const char portal_css[] =
	"*{box-sizing:border-box}"
	"body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:#1a1a1a;background:#f4f5f7}"
	"header{background:#003b70;color:#fff;padding:.75rem 1rem;display:flex;"
	"justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.5rem}"
	"header a{color:#fff}"
	"header .school{font-weight:600}"
	"main{max-width:40rem;margin:0 auto;padding:1rem}"
	"h1{font-size:1.4rem;margin:.5rem 0 1rem}"
	"h2{font-size:1.15rem;margin:1.5rem 0 .5rem}"
	".card{background:#fff;border:1px solid #c9ced6;border-radius:8px;padding:1rem;margin:0 0 1rem}"
	".notice{background:#fff4ce;border-color:#8a6d00}"
	".ok{background:#e3f4e6;border-color:#1e6b34}"
	"label{display:block;font-weight:600;margin:.75rem 0 .25rem}"
	"input,select{width:100%;font:inherit;padding:.6rem;border:2px solid #5a6270;border-radius:6px;background:#fff;color:#1a1a1a}"
	"button,.button{display:inline-block;font:inherit;font-weight:600;padding:.65rem 1.1rem;"
	"border:0;border-radius:6px;background:#003b70;color:#fff;text-decoration:none;cursor:pointer;margin:.75rem 0 0}"
	"button.secondary{background:#fff;color:#8b0000;border:2px solid #8b0000}"
	"button.alt{background:#fff;color:#003b70;border:2px solid #003b70}"
	".actions{display:flex;flex-wrap:wrap;gap:0 1rem;align-items:center}"
	".actions>a{margin:.75rem 0 0;padding:.65rem 0}"
	"a{color:#003b70}"
	/* focus: #b35c00 is 4.33:1 on the page (#f4f5f7), 4.72:1 on a card
	 * (#fff), 4.29:1 on a notice (#fff4ce), 4.13:1 on an "ok" card
	 * (#e3f4e6); in the header, white on #003b70 is 11.29:1 */
	":focus{outline:3px solid #b35c00;outline-offset:2px}"
	"header :focus{outline-color:#fff}"
	"ul.devices{list-style:none;padding:0;margin:0}"
	"ul.devices li{border-top:1px solid #c9ced6;padding:.75rem 0}"
	"ul.devices li:first-child{border-top:0}"
	".meta{color:#404750;font-size:.9rem}"
	"dl.values dt{font-weight:600;margin-top:.5rem}"
	"dl.values dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}"
	"ol li{margin:.3rem 0}"
	"footer{max-width:40rem;margin:0 auto;padding:1rem;color:#404750;font-size:.9rem}"
	".qr svg{width:180px;height:180px}"
	"fieldset{border:0;padding:0;margin:.75rem 0 0}"
	"legend{font-weight:600;padding:0;margin:0 0 .25rem}"
	"label.choice{display:flex;gap:.5rem;align-items:flex-start;font-weight:400;margin:.35rem 0}"
	"label.choice input{width:auto;margin:.3rem 0 0}"
	"form.inline{display:inline}";

void
page_begin(struct req *r, struct avec_buf *b, const char *title)
{
	const char *other = r->lang == LANG_EN ? "fr" : "en";

	avec_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head>"
			"<meta charset=\"utf-8\">"
			"<meta name=\"viewport\" content=\"width=device-width, "
			"initial-scale=1\">"
			"<title>", r->lang == LANG_EN ? "en" : "fr");
	avec_buf_xml(b, title);
	avec_buf_puts(b, " – ");
	avec_buf_xml(b, r->p->c->school_name);
	avec_buf_puts(b, "</title><link rel=\"stylesheet\" href=\"/style.css\">"
		      "</head><body><header><span class=\"school\">");
	avec_buf_xml(b, r->p->c->school_name);
	avec_buf_puts(b, " · Wi-Fi</span><span>");
	avec_buf_printf(b, "<a href=\"/lang?l=%s&amp;next=", other);
	/* the same rule /lang applies: a strange URL is not echoed back */
	avec_buf_xml(b, avecd_local_path(r->url));
	avec_buf_printf(b, "\" lang=\"%s\">%s</a>", other,
			r->lang == LANG_EN ? "Français" : "English");
	avec_buf_puts(b, "</span></header><main>");
	avec_buf_puts(b, "<h1>");
	avec_buf_xml(b, title);
	avec_buf_puts(b, "</h1>");
}

void
page_end(struct req *r, struct avec_buf *b)
{
	const struct avecd_conf *c = r->p->c;

	avec_buf_puts(b, "</main><footer>");
	if (r->s != NULL) {
		avec_buf_puts(b, "<form class=\"inline\" method=\"post\" "
			      "action=\"/logout\"><input type=\"hidden\" "
			      "name=\"csrf\" value=\"");
		avec_buf_xml(b, r->s->csrf);
		avec_buf_printf(b, "\"><button type=\"submit\" "
				"class=\"secondary\">%s</button></form> ",
				T(r, "Se déconnecter", "Log out"));
	}
	if (c->support_url[0]) {
		avec_buf_puts(b, "<p><a href=\"");
		avec_buf_xml(b, c->support_url);
		avec_buf_printf(b, "\">%s</a></p>",
				T(r, "Aide et assistance", "Help and support"));
	}
	avec_buf_printf(b, "<p>%s</p></footer></body></html>\n",
			T(r, "Vos données : votre identifiant ENT, votre "
			  "profil, votre classe et vos appareils, gardés "
			  "tant que votre compte est actif. Le journal des "
			  "connexions est conservé un an, comme la loi "
			  "l'exige.",
			  "Your data: your ENT identifier, profile, class "
			  "and devices, kept while your account is active. "
			  "The connection log is kept for one year, as the "
			  "law requires."));
}

void
page_message(struct req *r, struct avec_buf *b, const char *title,
	     const char *text, const char *link, const char *link_text)
{
	page_begin(r, b, title);
	avec_buf_puts(b, "<div class=\"card notice\" role=\"alert\"><p>");
	avec_buf_xml(b, text);
	avec_buf_puts(b, "</p></div>");
	if (link != NULL) {
		avec_buf_puts(b, "<p><a class=\"button\" href=\"");
		avec_buf_xml(b, link);
		avec_buf_puts(b, "\">");
		avec_buf_xml(b, link_text);
		avec_buf_puts(b, "</a></p>");
	}
	page_end(r, b);
}

void
page_time(struct req *r, struct avec_buf *b, int64_t t)
{
	struct avec_localtime lt;
	int y, m, d;

	if (t == 0) {
		avec_buf_puts(b, T(r, "jamais", "never"));
		return;
	}
	avec_paris_time((time_t)t, &lt);
	y = lt.date / 10000;
	m = lt.date / 100 % 100;
	d = lt.date % 100;
	if (r->lang == LANG_EN)
		avec_buf_printf(b, "%04d-%02d-%02d %02u:%02u", y, m, d,
				lt.second / 3600, lt.second / 60 % 60);
	else
		avec_buf_printf(b, "%02d/%02d/%04d %02uh%02u", d, m, y,
				lt.second / 3600, lt.second / 60 % 60);
}

static void
qr(struct req *r, struct avec_buf *b, const char *url, const char *title)
{
	struct avec_buf q = { 0 };

	if (avec_qr_svg(url, title, &q, NULL) == 0 && !avec_buf_failed(&q)) {
		avec_buf_puts(b, "<div class=\"qr\">");
		avec_buf_append(b, q.data, q.len);
		avec_buf_puts(b, "</div>");
	}
	avec_buf_free(&q);
	(void)r;
}

void
page_welcome(struct req *r, struct avec_buf *b, bool captive)
{
	const struct avecd_conf *c = r->p->c;
	char url[AVECD_URL_MAX + 16];

	snprintf(url, sizeof(url), "%s/", c->portal_url);
	page_begin(r, b, T(r, "Wi-Fi du lycée", "School Wi-Fi"));
	if (captive) {
		/* the mini-browser closes on app switch and cannot install a
		 * profile: send the person to the real browser */
		avec_buf_printf(b, "<div class=\"card notice\"><p>%s</p>"
				"<p><strong>", T(r,
			"Cette fenêtre ne peut pas installer le profil Wi-Fi. "
			"Ouvrez cette adresse dans votre navigateur "
			"(Safari, Chrome…) :",
			"This window cannot install the Wi-Fi profile. Open "
			"this address in your browser (Safari, Chrome…):"));
		avec_buf_xml(b, url);
		avec_buf_puts(b, "</strong></p>");
		qr(r, b, url, T(r, "Code QR de l'adresse du portail",
				"QR code of the portal's address"));
		avec_buf_printf(b, "<p><a href=\"/\">%s</a></p></div>",
				T(r, "Continuer ici quand même",
				  "Continue here anyway"));
	}
	avec_buf_printf(b, "<div class=\"card\"><p>%s</p>", T(r,
		"Inscrivez votre téléphone, tablette ou ordinateur pour "
		"rejoindre le réseau",
		"Register your phone, tablet or computer to join the "
		"network"));
	avec_buf_puts(b, "<p><strong>");
	avec_buf_xml(b, c->ssid);
	avec_buf_printf(b, "</strong></p><p>%s</p>", T(r,
		"Connectez-vous avec votre compte ENT, nommez l'appareil, "
		"puis installez le profil proposé.",
		"Log in with your ENT account, name the device, then "
		"install the profile offered."));
	avec_buf_printf(b, "<a class=\"button\" href=\"/login\">%s</a></div>",
			T(r, "Se connecter avec l'ENT", "Log in with the ENT"));
	page_end(r, b);
}

static const char *
os_label(struct req *r, enum os o)
{
	switch (o) {
	case OS_IOS: return "iPhone / iPad";
	case OS_MACOS: return "Mac";
	case OS_ANDROID: return "Android";
	case OS_WINDOWS: return "Windows";
	case OS_CHROMEOS: return "Chromebook";
	case OS_LINUX: return "Linux";
	case OS_OTHER:
	case OS__COUNT:
		break;
	}
	return T(r, "Autre", "Other");
}

static void
csrf_field(struct req *r, struct avec_buf *b)
{
	avec_buf_puts(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	avec_buf_xml(b, r->s->csrf);
	avec_buf_puts(b, "\">");
}

/* How a device signs in, in words a pupil reads. */
static const char *
method_words(struct req *r, int32_t type)
{
	switch ((enum avec_cred_type)type) {
	case AVEC_CRED_TLS:
		return T(r, "Connexion par certificat",
			 "Signs in with a certificate");
	case AVEC_CRED_TTLS:
	case AVEC_CRED_PEAP:
		return T(r, "Connexion par identifiant et mot de passe",
			 "Signs in with a username and password");
	case AVEC_CRED_PSK:
		return T(r, "Connexion par clé Wi-Fi",
			 "Signs in with a Wi-Fi key");
	case AVEC_CRED__COUNT:
		break;
	}
	return T(r, "Connexion", "Signs in");
}

/* A device's action button: a POST of its id to @action, which answers
 * with a confirmation page before anything is done. */
static void
device_button(struct req *r, struct avec_buf *b,
	      const struct avecd_device_row *x, const char *action,
	      const char *cls, const char *label)
{
	avec_buf_printf(b, "<form class=\"inline\" method=\"post\" "
			"action=\"%s\">", action);
	csrf_field(r, b);
	avec_buf_printf(b, "<input type=\"hidden\" name=\"id\" value=\"%"
			PRId64 "\"><button type=\"submit\" class=\"%s\" "
			"aria-label=\"", x->id, cls);
	avec_buf_xml(b, label);
	avec_buf_puts(b, " : ");
	avec_buf_xml(b, x->name);
	avec_buf_puts(b, "\">");
	avec_buf_xml(b, label);
	avec_buf_puts(b, "</button></form>");
}

static void
os_select(struct req *r, struct avec_buf *b, enum os guess)
{
	int o;

	avec_buf_printf(b, "<label for=\"os\">%s</label>"
			"<select id=\"os\" name=\"os\">",
			T(r, "Système", "System"));
	for (o = 0; o < OS__COUNT; o++)
		avec_buf_printf(b, "<option value=\"%s\"%s>%s</option>",
				os_name((enum os)o),
				o == (int)guess ? " selected" : "",
				os_label(r, (enum os)o));
	avec_buf_puts(b, "</select>");
}

#define DOT1X_BITS (AVEC_CRED_BIT(AVEC_CRED_TLS) | \
		    AVEC_CRED_BIT(AVEC_CRED_TTLS) | AVEC_CRED_BIT(AVEC_CRED_PEAP))

/* PSK devices are offered when the policy allows them and the portal
 * knows the PSK network's name. */
static bool
psk_offered(struct req *r, const struct avecd_devices *d)
{
	return r->p->c->psk_ssid[0] != '\0' &&
	       (d->allowed_creds & AVEC_CRED_BIT(AVEC_CRED_PSK)) != 0;
}

/* The kind of device: 802.1X (a profile) or without (a key and its MAC). */
static void
kind_choice(struct req *r, struct avec_buf *b, const struct avecd_devices *d)
{
	bool dot1x = (d->allowed_creds & DOT1X_BITS) != 0;

	avec_buf_printf(b, "<fieldset><legend>%s</legend>",
			T(r, "Type d'appareil", "Kind of device"));
	if (dot1x)
		avec_buf_printf(b, "<label class=\"choice\"><input "
				"type=\"radio\" name=\"kind\" value=\"dot1x\" "
				"checked> %s</label>",
				T(r, "Téléphone, tablette ou ordinateur",
				  "Phone, tablet or computer"));
	avec_buf_printf(b, "<label class=\"choice\"><input type=\"radio\" "
			"name=\"kind\" value=\"psk\"%s> %s</label></fieldset>",
			dot1x ? "" : " checked",
			T(r, "Appareil sans 802.1X (console, TV…) : une clé "
			  "Wi-Fi pour lui seul",
			  "Device without 802.1X (console, TV…): a Wi-Fi key "
			  "of its own"));
	avec_buf_printf(b, "<label for=\"mac\">%s</label>"
			"<input id=\"mac\" name=\"mac\" maxlength=\"20\" "
			"autocomplete=\"off\" autocapitalize=\"none\" "
			"spellcheck=\"false\" placeholder=\"aa:bb:cc:dd:ee:ff\" "
			"aria-describedby=\"mac-help\">"
			"<p class=\"meta\" id=\"mac-help\">%s",
			T(r, "Adresse MAC (appareil sans 802.1X)",
			  "MAC address (device without 802.1X)"),
			T(r, "Dans les réglages réseau de l'appareil (adresse "
			  "Wi-Fi ou MAC). Réseau : ",
			  "In the device's network settings (Wi-Fi or MAC "
			  "address). Network: "));
	avec_buf_xml(b, r->p->c->psk_ssid);
	avec_buf_puts(b, "</p>");
}

void
page_devices(struct req *r, struct avec_buf *b, const struct avecd_devices *d,
	     enum os guess, const char *notice)
{
	bool full = d->max_devices != 0 && d->ndev >= d->max_devices;
	unsigned i;

	page_begin(r, b, T(r, "Mes appareils", "My devices"));
	if (r->s->display_name[0]) {
		avec_buf_puts(b, "<p>");
		avec_buf_xml(b, r->s->display_name);
		avec_buf_puts(b, "</p>");
	}
	if (notice != NULL) {
		avec_buf_puts(b, "<div class=\"card notice\" role=\"status\"><p>");
		avec_buf_xml(b, notice);
		avec_buf_puts(b, "</p></div>");
	}
	avec_buf_puts(b, "<div class=\"card\">");
	if (d->max_devices)
		avec_buf_printf(b, "<p>%s %u / %u</p>",
				T(r, "Appareils inscrits :", "Devices registered:"),
				d->ndev, d->max_devices);
	if (d->ndev == 0)
		avec_buf_printf(b, "<p>%s</p>", T(r, "Aucun appareil pour "
						  "l'instant.",
						  "No device yet."));
	avec_buf_puts(b, "<ul class=\"devices\">");
	for (i = 0; i < d->ndev && i < AVECD_DEVICES_MAX; i++) {
		const struct avecd_device_row *x = &d->dev[i];

		avec_buf_printf(b, "<li id=\"device-%" PRId64 "\"><strong>",
				x->id);
		avec_buf_xml(b, x->name);
		avec_buf_printf(b, "</strong><div class=\"meta\">%s · %s ",
				method_words(r, x->type),
				T(r, "inscrit le", "registered"));
		page_time(r, b, x->created_at);
		if (x->type == AVEC_CRED_PSK && x->mac[0] != '\0') {
			avec_buf_printf(b, " · %s <span class=\"mac\">",
					T(r, "adresse MAC", "MAC address"));
			avec_buf_xml(b, x->mac);
			avec_buf_puts(b, "</span>");
		}
		if (x->last_seen == 0) {
			avec_buf_printf(b, " · %s", T(r, "jamais connecté",
						      "never connected"));
		} else {
			avec_buf_printf(b, " · %s ", T(r, "dernière connexion "
						       "le", "last connected"));
			page_time(r, b, x->last_seen);
		}
		if (x->expires_at) {
			avec_buf_printf(b, " · %s ", T(r, "expire le",
						       "expires"));
			page_time(r, b, x->expires_at);
		}
		avec_buf_puts(b, "</div><div class=\"actions\">");
		/* a PSK device's key is shown once: to change it, the
		 * device is removed and added again */
		if (x->type != AVEC_CRED_PSK)
			device_button(r, b, x, "/devices/reinstall", "alt",
				      T(r, "Installer à nouveau",
					"Install again"));
		device_button(r, b, x, "/devices/remove", "secondary",
			      T(r, "Retirer", "Remove"));
		avec_buf_puts(b, "</div></li>");
	}
	avec_buf_puts(b, "</ul></div>");

	if (!d->policy_defined) {
		avec_buf_printf(b, "<div class=\"card notice\"><p>%s</p></div>",
				T(r, "Votre profil ne permet pas d'inscrire "
				  "d'appareil.", "Your profile cannot register "
				  "devices."));
	} else if (full) {
		avec_buf_printf(b, "<div class=\"card notice\" id=\"quota\">"
				"<p>%s</p></div>", T(r,
			"Vous avez atteint le nombre maximal d'appareils. "
			"Pour en ajouter un, retirez d'abord un appareil que "
			"vous n'utilisez plus (bouton « Retirer » ci-dessus).",
			"You have reached the maximum number of devices. To "
			"add one, first remove a device you no longer use "
			"(the \"Remove\" button above)."));
	} else {
		avec_buf_printf(b, "<div class=\"card\"><h2>%s</h2>"
				"<form method=\"post\" action=\"/devices\">",
				T(r, "Ajouter un appareil", "Add a device"));
		csrf_field(r, b);
		avec_buf_printf(b, "<label for=\"name\">%s</label>"
				"<input id=\"name\" name=\"name\" required "
				"maxlength=\"64\" autocomplete=\"off\" "
				"placeholder=\"%s\">",
				T(r, "Nom de l'appareil", "Device name"),
				T(r, "ex. Téléphone de Camille",
				  "e.g. Camille's phone"));
		if (psk_offered(r, d))
			kind_choice(r, b, d);
		os_select(r, b, guess);
		avec_buf_printf(b, "<button type=\"submit\">%s"
				"</button></form></div>",
				T(r, "Ajouter", "Add"));
	}
	page_end(r, b);
}

void
page_confirm(struct req *r, struct avec_buf *b, enum confirm what,
	     const struct avecd_device_row *x, enum os guess)
{
	bool again = what == CONFIRM_REINSTALL;

	page_begin(r, b, again ? T(r, "Installer à nouveau ?",
				   "Install again?")
			       : T(r, "Retirer cet appareil ?",
				   "Remove this device?"));
	avec_buf_puts(b, "<div class=\"card notice\" id=\"confirm\"><p><strong>");
	avec_buf_xml(b, x->name);
	avec_buf_puts(b, "</strong></p><p class=\"meta\">");
	avec_buf_xml(b, method_words(r, x->type));
	avec_buf_printf(b, " · %s ", T(r, "inscrit le", "registered"));
	page_time(r, b, x->created_at);
	avec_buf_puts(b, "</p><p>");
	avec_buf_xml(b, again
		? T(r, "Un nouveau profil sera préparé pour cet appareil, à "
		    "télécharger tout de suite. L'ancien sera révoqué : "
		    "l'appareil ne pourra plus se connecter avec lui, il "
		    "faudra installer le nouveau.",
		    "A new profile will be made for this device, to download "
		    "right away. The old one will be revoked: the device will "
		    "no longer connect with it, the new one must be "
		    "installed.")
		: T(r, "Cet appareil ne pourra plus se connecter au Wi-Fi. "
		    "Pour l'utiliser de nouveau, il faudra l'inscrire de "
		    "nouveau.",
		    "This device will no longer connect to the Wi-Fi. To use "
		    "it again, it must be registered again."));
	avec_buf_printf(b, "</p><form method=\"post\" action=\"%s\">",
			again ? "/devices/reinstall" : "/devices/remove");
	csrf_field(r, b);
	avec_buf_printf(b, "<input type=\"hidden\" name=\"id\" value=\"%"
			PRId64 "\"><input type=\"hidden\" name=\"confirm\" "
			"value=\"1\">", x->id);
	if (again)
		os_select(r, b, guess);
	avec_buf_printf(b, "<div class=\"actions\"><button type=\"submit\"%s>"
			"%s</button> <a href=\"/devices\">%s</a></div>"
			"</form></div>",
			again ? "" : " class=\"secondary\"",
			again ? T(r, "Oui, installer à nouveau",
				  "Yes, install again")
			      : T(r, "Oui, retirer l'appareil",
				  "Yes, remove the device"),
			T(r, "Annuler", "Cancel"));
	page_end(r, b);
}

static const struct pfile *
file_of(const struct pending *pd, const char *kind)
{
	unsigned i;

	for (i = 0; i < pd->nfiles; i++)
		if (strcmp(pd->files[i].kind, kind) == 0)
			return &pd->files[i];
	return NULL;
}

static void
file_link(struct req *r, struct avec_buf *b, const struct pending *pd,
	  const char *kind, const char *label)
{
	const struct pfile *f = file_of(pd, kind);

	if (f == NULL)
		return;
	if (f->used) {
		avec_buf_puts(b, "<p class=\"meta\">");
		avec_buf_xml(b, label);
		avec_buf_printf(b, " — %s</p>", T(r, "déjà téléchargé",
						  "already downloaded"));
		return;
	}
	avec_buf_printf(b, "<p><a class=\"button\" data-kind=\"%s\" "
			"href=\"/dl/%s\" download>", kind, f->token);
	avec_buf_xml(b, label);
	avec_buf_puts(b, "</a></p>");
}

static void
value(struct avec_buf *b, const char *dt, const char *dd, const char *id)
{
	avec_buf_puts(b, "<dt>");
	avec_buf_xml(b, dt);
	avec_buf_printf(b, "</dt><dd id=\"%s\">", id);
	avec_buf_xml(b, dd);
	avec_buf_puts(b, "</dd>");
}

/* Where the CA comes from when its button is above the values. */
#define CA_ABOVE(r) T(r, "AVEC (le fichier « Certificat de l'autorité " \
			 "(CA) » ci-dessus)", "AVEC (the \"Authority (CA) " \
			 "certificate\" file above)")

/* The values to type by hand (Android, Linux, anything else). */
static void
manual_values(struct req *r, struct avec_buf *b, const struct pending *pd,
	      const char *ca)
{
	const struct avecd_conf *c = r->p->c;
	char anon[AVECD_NAME_MAX + 16];

	snprintf(anon, sizeof(anon), "anonymous@%s", c->realm);
	avec_buf_printf(b, "<dl class=\"values\">");
	value(b, T(r, "Réseau (SSID)", "Network (SSID)"), c->ssid, "v-ssid");
	value(b, T(r, "Méthode EAP", "EAP method"),
	      pd->type == AVEC_CRED_TLS ? "TLS"
	      : pd->type == AVEC_CRED_TTLS ? "TTLS" : "PEAP", "v-eap");
	if (pd->type == AVEC_CRED_TTLS)
		value(b, T(r, "Authentification phase 2",
			   "Phase 2 authentication"), "PAP", "v-phase2");
	if (pd->type == AVEC_CRED_PEAP)
		value(b, T(r, "Authentification phase 2",
			   "Phase 2 authentication"), "MSCHAPV2", "v-phase2");
	value(b, T(r, "Certificat CA", "CA certificate"), ca, "v-ca");
	value(b, T(r, "Domaine", "Domain"), c->server_name, "v-domain");
	if (pd->type == AVEC_CRED_TLS) {
		value(b, T(r, "Certificat utilisateur", "User certificate"),
		      pd->username, "v-cert");
		value(b, T(r, "Mot de passe du certificat (.p12)",
			   "Certificate (.p12) password"), pd->p12_password,
		      "v-p12-password");
		value(b, T(r, "Identité", "Identity"), pd->username,
		      "v-identity");
	} else {
		value(b, T(r, "Identité", "Identity"), pd->username,
		      "v-identity");
		value(b, T(r, "Identité anonyme", "Anonymous identity"),
		      anon, "v-anonymous");
		value(b, T(r, "Mot de passe", "Password"), pd->secret,
		      "v-password");
	}
	avec_buf_puts(b, "</dl>");
}

/*
 * The start of a ready page: its heading, and the card saying that the
 * device is registered (until when), left open in its first paragraph.
 */
static void
ready_begin(struct req *r, struct avec_buf *b, const struct pending *pd)
{
	page_begin(r, b, T(r, "Appareil inscrit", "Device registered"));
	avec_buf_puts(b, "<div class=\"card ok\" role=\"status\"><p><strong>");
	avec_buf_xml(b, pd->name);
	avec_buf_printf(b, "</strong> %s ", T(r, "est inscrit.",
					      "is registered."));
	if (pd->expires_at) {
		avec_buf_printf(b, "%s ", T(r, "Valable jusqu'au",
					    "Valid until"));
		page_time(r, b, pd->expires_at);
		avec_buf_puts(b, ".");
	}
}

void
page_ready(struct req *r, struct avec_buf *b, const struct pending *pd)
{
	const struct avecd_conf *c = r->p->c;
	char url[AVECD_URL_MAX + 16];

	ready_begin(r, b, pd);
	avec_buf_printf(b, "</p><p>%s</p><p>%s</p></div>", T(r,
		"Chaque fichier ne se télécharge qu'une fois, pendant 15 "
		"minutes. Il contient la clé de cet appareil : ne le "
		"partagez pas.",
		"Each file downloads once, within 15 minutes. It holds this "
		"device's key: do not share it."), T(r,
		"Page quittée trop tôt ? Dans « Mes appareils », le bouton "
		"« Installer à nouveau » prépare de nouveaux fichiers.",
		"Left this page too soon? In \"My devices\", the \"Install "
		"again\" button makes new files."));
	if (pd->nfiles == 0)
		avec_buf_printf(b, "<div class=\"card notice\"><p>%s</p></div>",
				T(r, "Les fichiers n'ont pas pu être préparés. "
				  "Sur la page de vos appareils, choisissez "
				  "« Installer à nouveau ».",
				  "The files could not be prepared. On your "
				  "devices page, choose \"Install again\"."));

	avec_buf_puts(b, "<div class=\"card\">");
	switch (pd->os) {
	case OS_IOS:
	case OS_MACOS:
		avec_buf_printf(b, "<h2>%s</h2>", T(r, "Installer le profil",
						    "Install the profile"));
		file_link(r, b, pd, "mobileconfig",
			  T(r, "Télécharger le profil", "Download the profile"));
		avec_buf_printf(b, "<ol><li>%s</li><li>%s</li><li>%s</li></ol>",
			T(r, "Ouvrez Réglages : « Profil téléchargé » apparaît "
			  "en haut.", "Open Settings: \"Profile Downloaded\" "
			  "appears at the top."),
			T(r, "Touchez Installer et confirmez.",
			  "Tap Install and confirm."),
			T(r, "L'appareil rejoint le réseau tout seul.",
			  "The device joins the network by itself."));
		break;
	case OS_WINDOWS:
		avec_buf_printf(b, "<h2>%s</h2>", T(r, "Installer sur Windows",
						    "Install on Windows"));
		avec_buf_printf(b, "<p><a class=\"button\" href=\"/ca.crt\" "
				"download>%s</a></p>",
				T(r, "Certificat de l'autorité (CA)",
				  "Authority (CA) certificate"));
		if (pd->type == AVEC_CRED_TLS)
			file_link(r, b, pd, "p12",
				  T(r, "Certificat de l'appareil (.p12)",
				    "Device certificate (.p12)"));
		file_link(r, b, pd, "windows",
			  T(r, "Profil Wi-Fi (.xml)", "Wi-Fi profile (.xml)"));
		avec_buf_printf(b, "<ol><li>%s</li>", T(r,
			"Double-cliquez sur avec-ca.crt, « Installer le "
			"certificat », Ordinateur local, « Autorités de "
			"certification racines de confiance ».",
			"Double-click avec-ca.crt, \"Install Certificate\", "
			"Local Machine, \"Trusted Root Certification "
			"Authorities\"."));
		if (pd->type == AVEC_CRED_TLS)
			avec_buf_printf(b, "<li>%s</li>", T(r,
				"Double-cliquez sur le fichier .p12, "
				"Utilisateur actuel, et saisissez son mot de "
				"passe (ci-dessous).",
				"Double-click the .p12 file, Current User, "
				"and type its password (below)."));
		avec_buf_printf(b, "<li>%s <code>netsh wlan add profile "
				"filename=\"", T(r,
			"Dans un terminal, dans le dossier Téléchargements :",
			"In a terminal, in the Downloads folder:"));
		avec_buf_xml(b, c->ssid);
		avec_buf_printf(b, "-windows.xml\" user=current</code></li>"
				"<li>%s</li></ol>", T(r,
			"Rejoignez le réseau ; à la demande, saisissez "
			"l'identité et le mot de passe ci-dessous.",
			"Join the network; when asked, type the identity and "
			"password below."));
		manual_values(r, b, pd, CA_ABOVE(r));
		break;
	case OS_CHROMEOS:
		avec_buf_printf(b, "<h2>%s</h2>", T(r, "Installer sur "
						    "Chromebook",
						    "Install on a Chromebook"));
		if (pd->type == AVEC_CRED_TLS) {
			file_link(r, b, pd, "p12",
				  T(r, "Certificat de l'appareil (.p12)",
				    "Device certificate (.p12)"));
			avec_buf_printf(b, "<p>%s</p>", T(r,
				"D'abord : chrome://settings/certificates, "
				"« Vos certificats », « Importer et "
				"associer », le fichier .p12 et son mot de "
				"passe (ci-dessous).",
				"First: chrome://settings/certificates, "
				"\"Your certificates\", \"Import and Bind\", "
				"the .p12 file and its password (below)."));
			manual_values(r, b, pd, T(r,
				"AVEC (dans le profil réseau .onc ci-dessous)",
				"AVEC (in the .onc network profile below)"));
		}
		file_link(r, b, pd, "onc", T(r, "Profil réseau (.onc)",
					     "Network profile (.onc)"));
		avec_buf_printf(b, "<ol><li>%s</li><li>%s</li></ol>", T(r,
			"Ouvrez chrome://network, onglet « Import ONC file ».",
			"Open chrome://network, \"Import ONC file\"."),
			T(r, "Choisissez le fichier téléchargé.",
			  "Pick the downloaded file."));
		break;
	case OS_ANDROID:
	case OS_LINUX:
	case OS_OTHER:
	case OS__COUNT:
		avec_buf_printf(b, "<h2>%s</h2>", T(r, "Installer le profil",
						    "Install the profile"));
		file_link(r, b, pd, "eap-config",
			  T(r, "Profil eap-config (application geteduroam)",
			    "eap-config profile (geteduroam app)"));
		avec_buf_printf(b, "<p>%s</p>", T(r,
			"Sans application : installez le certificat de "
			"l'autorité (Paramètres › Sécurité › Installer un "
			"certificat › Certificat Wi-Fi), puis ajoutez le "
			"réseau avec ces valeurs :",
			"Without an app: install the authority certificate "
			"(Settings › Security › Install a certificate › Wi-Fi "
			"certificate), then add the network with these "
			"values:"));
		avec_buf_printf(b, "<p><a class=\"button\" href=\"/ca.pem\" "
				"download>%s</a></p>",
				T(r, "Certificat de l'autorité (CA)",
				  "Authority (CA) certificate"));
		if (pd->type == AVEC_CRED_TLS)
			file_link(r, b, pd, "p12",
				  T(r, "Certificat de l'appareil (.p12)",
				    "Device certificate (.p12)"));
		manual_values(r, b, pd, CA_ABOVE(r));
		snprintf(url, sizeof(url), "%s/devices", c->portal_url);
		avec_buf_printf(b, "<p>%s</p>", T(r,
			"Pour ouvrir cette page sur un autre écran, scannez :",
			"To open this page on another screen, scan:"));
		qr(r, b, url, T(r, "Code QR de la page de vos appareils",
				"QR code of your devices page"));
		break;
	}
	avec_buf_puts(b, "</div>");

	/* every format, for a device that is not the one browsing */
	avec_buf_printf(b, "<div class=\"card\"><h2>%s</h2>",
			T(r, "Autres formats", "Other formats"));
	file_link(r, b, pd, "mobileconfig", "Apple (.mobileconfig)");
	file_link(r, b, pd, "eap-config", "eap-config (Android, Linux)");
	file_link(r, b, pd, "windows", "Windows (.xml)");
	file_link(r, b, pd, "onc", "ChromeOS (.onc)");
	if (pd->type == AVEC_CRED_TLS)
		file_link(r, b, pd, "p12", "PKCS#12 (.p12)");
	avec_buf_printf(b, "<p><a href=\"/ca.pem\">%s</a></p></div>",
			T(r, "Certificat de l'autorité (PEM)",
			  "Authority certificate (PEM)"));
	avec_buf_printf(b, "<p><a href=\"/devices\">%s</a></p>",
			T(r, "Retour à mes appareils", "Back to my devices"));
	page_end(r, b);
}

void
page_ready_psk(struct req *r, struct avec_buf *b, const struct pending *pd)
{
	const struct avecd_conf *c = r->p->c;
	struct avec_buf w = { 0 };

	ready_begin(r, b, pd);
	avec_buf_printf(b, "</p></div><div class=\"card notice\" id=\"once\">"
			"<p><strong>%s</strong></p><p>%s</p></div>", T(r,
		"Cette page ne s'affiche qu'une fois.",
		"This page is shown only once."), T(r,
		"Saisissez la clé sur l'appareil maintenant, ou notez-la. "
		"Elle est à cet appareil seul : ne la partagez pas. Perdue ? "
		"Retirez l'appareil et inscrivez-le de nouveau : il aura une "
		"nouvelle clé.",
		"Type the key on the device now, or write it down. It is for "
		"this device alone: do not share it. Lost it? Remove the "
		"device and register it again: it gets a new key."));
	avec_buf_printf(b, "<div class=\"card\"><h2>%s</h2>"
			"<dl class=\"values\">",
			T(r, "Connecter l'appareil", "Connect the device"));
	value(b, T(r, "Réseau (SSID)", "Network (SSID)"), c->psk_ssid,
	      "v-psk-ssid");
	value(b, T(r, "Sécurité", "Security"), "WPA2", "v-security");
	value(b, T(r, "Clé Wi-Fi", "Wi-Fi key"), pd->secret, "v-psk");
	value(b, T(r, "Adresse MAC de l'appareil", "The device's MAC address"),
	      pd->mac, "v-mac");
	avec_buf_printf(b, "</dl><ol><li>%s ", T(r,
		"Sur l'appareil, ouvrez les réglages Wi-Fi et choisissez le "
		"réseau", "On the device, open the Wi-Fi settings and pick "
		"the network"));
	avec_buf_xml(b, c->psk_ssid);
	avec_buf_printf(b, ".</li><li>%s</li><li>%s</li></ol>", T(r,
		"Saisissez la clé ci-dessus.", "Type the key above."), T(r,
		"L'appareil doit se présenter avec l'adresse MAC ci-dessus : "
		"si ses réglages proposent une adresse « privée » ou "
		"« aléatoire » pour ce réseau, désactivez-la.",
		"The device must use the MAC address above: if its settings "
		"offer a \"private\" or \"random\" address for this network, "
		"turn it off."));
	if (avec_qr_wifi_text(c->psk_ssid, pd->secret, &w, NULL) == 0) {
		avec_buf_printf(b, "<h2>%s</h2><p>%s</p>",
				T(r, "Code QR", "QR code"), T(r,
			"Un appareil qui lit les codes QR rejoint le réseau "
			"en le scannant :",
			"A device that reads QR codes joins the network by "
			"scanning it:"));
		qr(r, b, w.data, T(r, "Code QR du réseau Wi-Fi et de sa clé",
				   "QR code of the Wi-Fi network and its key"));
		avec_buf_puts(b, "<dl class=\"values\">");
		value(b, T(r, "Texte du code QR", "The QR code's text"),
		      w.data, "v-wifi");
		avec_buf_puts(b, "</dl>");
	}
	avec_buf_free(&w);
	avec_buf_printf(b, "</div><p><a href=\"/devices\">%s</a></p>",
			T(r, "Retour à mes appareils", "Back to my devices"));
	page_end(r, b);
}
