#!/usr/bin/env python3
"""tests/portal/portal_browser.py - a person's journey through avecd's
portal in a headless phone browser, against the real CAS server.

    portal_browser.py WORKDIR            the journey (see below)
    portal_browser.py eapconfig FILE DIR the facts of an eap-config, as
                                         files in DIR (ca.pem, client.p12,
                                         passphrase, server_id, outer,
                                         username, password, method)

The journey is driven by tests/portal/t_portal_browser.sh, which starts
the CAS server, FreeRADIUS and avecd and gives their addresses in the
environment (P_URL, P_HTTP, P_CA_FILE, CAS_URL, SHOTS, and TRUST: the
portal's chain and the CAS server's certificate, what the browser trusts).  It
prints one "ok - ..." / "not ok - ..." line per check; a failure names
the step, the reason, the current URL and the page title.  Where the
shell must act (authenticate the new device with eapol_test, stop the
CAS server) it prints "sync NAME" and waits for one line on stdin.

The steps: 1 Android (TLS), 2 iPhone, 3 the device list's words, the
focus outline's contrast, and a removal through its confirmation page,
4 a teacher's Windows device (TTLS), 4b "Installer à nouveau" on it
(confirmation, a new ready page), 6 English, 5 refused people, 7 a forged
ticket, 8 CAS down.

Every portal page is photographed into $SHOTS/NN-name.png.  Downloaded
profiles are copied into WORKDIR/out/ under fixed names; WORKDIR/out/
state holds "key value" lines for the shell (device ids, and the session
cookies and login nonces the shell must not find in avecd's log).  The
people's password is the test directory's; nothing else secret is
printed.
"""

import base64
import json
import os
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from browser import UA, Browser, BrowserError  # noqa: E402

PASSWORD = "test"                       # every test person's (tests/cas/README.md)
FORGED = "ST-forged-0123456789"
DEVICE_NAME = "Téléphone <b>de Léa</b> ✓"
IOS_NAME = "iPhone d'Éloïse"
WIN_NAME = "PC portable « salle 12 »"
PSK_NAME = "Console du CDI"
PSK_MAC = "02:A5:EC:00:00:61"
LOGIN_BURST, LOGIN_REFILL = 10, 6.0     # avecd's defaults (conf.c)


class StepFailed(Exception):
    pass


class Journey:
    def __init__(self, workdir):
        self.work = workdir
        self.out = os.path.join(workdir, "out")
        os.makedirs(self.out, exist_ok=True)
        self.p_url = os.environ["P_URL"]
        self.p_http = os.environ["P_HTTP"]
        self.cas_url = os.environ["CAS_URL"]
        self.shots = os.environ["SHOTS"]
        self.ctx = ssl.create_default_context(cafile=os.environ["P_CA_FILE"])
        self.b = None
        self.step = "start"
        self.failed = 0
        self.state = {}
        self.tokens, self.tokens_at = float(LOGIN_BURST), time.monotonic()

    # ------------------------------------------------------------- reporting
    def where(self):
        try:
            return "at %s, title %r" % (self.b.url(), self.b.title())
        except (BrowserError, AttributeError) as e:
            return "browser state unknown (%s)" % e

    def ok(self, desc):
        print("ok - %s" % desc, flush=True)

    def check(self, desc, cond, why=""):
        if cond:
            self.ok(desc)
            return True
        self.failed += 1
        print("not ok - %s [step %s]%s (%s)" % (desc, self.step,
              ": " + why if why else "", self.where()), flush=True)
        return False

    def need(self, desc, cond, why=""):
        """A check the rest of the step depends on."""
        if not self.check(desc, cond, why):
            raise StepFailed(desc)

    def note(self, key, value):
        self.state[key] = value
        with open(os.path.join(self.out, "state"), "w") as f:
            for k, v in sorted(self.state.items()):
                f.write("%s %s\n" % (k, v))

    def sync(self, name):
        print("sync %s" % name, flush=True)
        sys.stdin.readline()

    def shot(self, name):
        path = os.path.join(self.shots, name + ".png")
        self.b.screenshot(path)

    # ---------------------------------------------------------------- pages
    def status(self):
        """HTTP status of the page the browser shows (Navigation Timing)."""
        return self.b.execute(
            "var e = performance.getEntriesByType('navigation')[0];"
            "return e ? e.responseStatus : null;")

    # Read in one script, never through an element id: a page that is
    # being replaced (a redirect after a click) makes ids stale.
    def h1(self):
        return self.b.execute(
            "var h = document.querySelector('h1');"
            "return h ? h.innerText.trim() : '';") or ""

    def body(self):
        return self.b.execute(
            "return document.body ? document.body.innerText : '';") or ""

    def lang(self):
        return self.b.execute("return document.documentElement.lang;")

    def post_refused(self):
        """Why a form POST did not get through, as far as the page says."""
        why = "HTTP %s, %r" % (self.status(), self.h1())
        if self.h1() == "Action refusée":
            why += (": avecd refused the form's POST (Chromium sends "
                    "\"Origin: null\" from a page served with Referrer-Policy: "
                    "no-referrer; see avecd.log)")
        return why

    def rate_wait(self, n):
        """Stay inside avecd's login rate limit for the next n requests
        to /login or /cas (a token bucket per client address)."""
        now = time.monotonic()
        self.tokens = min(LOGIN_BURST, self.tokens + (now - self.tokens_at) / LOGIN_REFILL)
        self.tokens_at = now
        if self.tokens < n:
            wait = (n - self.tokens) * LOGIN_REFILL + 0.5
            print("# waiting %.1f s for the portal's login rate limit" % wait, flush=True)
            time.sleep(wait)
            self.tokens, self.tokens_at = float(n) + 0.5 / LOGIN_REFILL, time.monotonic()
        self.tokens -= n

    def cas_form(self, login, shot=None):
        """On the CAS login page: fill the form in and submit it."""
        self.b.wait_url(self.cas_url + "/login")
        user = self.b.wait_for("input[name=username]")
        pw = self.b.find("input[name=password]")
        if shot:
            self.shot(shot)
        self.b.type(user, login)
        self.b.type(pw, PASSWORD)
        self.b.submit_form("input[name=password]")

    def login(self, login, via_welcome=False, shot=None):
        """A fresh login of login through CAS; returns on the page avecd
        answers the callback with."""
        self.rate_wait(2)
        if via_welcome:
            self.b.click(self.b.find('a.button[href="/login"]'))
        else:
            self.b.get(self.p_url + "/login")
        self.cas_form(login, shot)
        self.b.wait_url(lambda u: u.startswith(self.p_url + "/"), timeout=15)

    def set_ua(self, ua):
        """The User-Agent of ua, and a French phone's Accept-Language."""
        self.b.set_ua(ua)
        ua = UA.get(ua, ua)
        for dom in ("Network", "Emulation"):
            self.b._cdp(dom + ".setUserAgentOverride",
                        {"userAgent": ua, "acceptLanguage": "fr-FR,fr;q=0.9"})

    def fresh(self, ua):
        """Forget every cookie (portal and CAS: one host), change the UA."""
        if not self.b.url().startswith("https://127.0.0.1"):
            self.b.get(self.p_url + "/style.css")
        self.b.delete_cookies()
        self.set_ua(ua)

    def download(self, kind, suffix, dest):
        links = self.b.find_all('a[data-kind="%s"]' % kind)
        self.need("%s: the ready page links a %s file" % (self.step, kind), links)
        href = self.b.attr(links[0], "href")
        # the browser writes over a file of the same name: start empty
        ddir = self.b.download_dir
        for n in os.listdir(ddir):
            os.unlink(os.path.join(ddir, n))
        self.b.click(links[0])

        def done():
            names = os.listdir(ddir)
            for n in names:
                if n.endswith(suffix) and n + ".crdownload" not in names:
                    return os.path.join(ddir, n)
            return None
        deadline = time.monotonic() + 20
        while not done() and time.monotonic() < deadline:
            time.sleep(0.1)
        got = done()
        self.need("%s: the %s file downloads" % (self.step, kind), got,
                  "nothing ending in %s in %s" % (suffix, ddir))
        shutil.move(got, os.path.join(self.out, dest))
        size = os.path.getsize(os.path.join(self.out, dest))
        self.check("%s: the %s download arrived (%d bytes)" % (self.step, kind, size),
                   size > 0)
        return href

    def add_device(self, name, want_os):
        sel = self.b.wait_for("select#os")
        self.check("%s: the OS list preselects %s" % (self.step, want_os),
                   self.b.prop(sel, "value") == want_os,
                   "selected %r" % self.b.prop(sel, "value"))
        self.b.type(self.b.find("input#name"), name)
        self.b.click(self.b.find('form[action="/devices"] button[type=submit]'))
        self.b.wait_url(lambda u: "/devices/ready?id=" in u or self.h1() != "Mes appareils",
                        timeout=20)
        url = self.b.url()
        self.need("%s: the add form leads to the ready page" % self.step,
                  "/devices/ready?id=" in url, self.post_refused())
        dev = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["id"][0]
        shown = self.b.find_all(".card.ok strong")
        self.check("%s: the ready page names the device as typed, as text" % self.step,
                   shown and self.b.text(shown[0]) == name
                   and not self.b.find_all(".card.ok strong b"),
                   "shown %r" % (self.b.text(shown[0]) if shown else None))
        return dev

    def http_get(self, url):
        """(status, content type, body) without following redirects."""
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None
        op = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=self.ctx),
                                         NoRedirect())
        try:
            with op.open(url, timeout=10) as r:
                return r.status, r.headers.get("Content-Type"), r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()

    # -------------------------------------------------------------- journey
    def run(self):
        for f in os.listdir(self.shots):
            os.unlink(os.path.join(self.shots, f))
        self.b = Browser(os.path.join(self.work, "browser"), phone=True,
                         ca_file=os.environ["TRUST"], ua="android")
        try:
            for name, fn in (("1-android", self.android), ("2-ios", self.ios),
                             ("3-remove", self.remove), ("4-windows", self.windows),
                             ("4b-reinstall", self.reinstall), ("4c-psk", self.psk),
                             ("6-language", self.language), ("5-refused", self.refused),
                             ("7-forged", self.forged), ("8-cas-down", self.cas_down)):
                self.step = name
                try:
                    fn()
                except (StepFailed, BrowserError, KeyError, OSError) as e:
                    if not isinstance(e, StepFailed):
                        self.failed += 1
                        print("not ok - step %s stopped: %s: %s (%s)" % (
                            name, type(e).__name__, e, self.where()), flush=True)
        finally:
            self.b.close()
        return 0 if self.failed == 0 else 1

    def android(self):
        b = self.b
        self.set_ua("android")
        b.get(self.p_http + "/generate_204")
        url = b.wait_url(self.p_url + "/?captive=1")
        self.check("1: the Android probe lands on the portal's captive card", "captive=1" in url)
        self.shot("01-captive")
        link = [a for a in b.find_all('.card.notice a[href="/"]')
                if b.text(a) == "Continuer ici quand même"]
        self.need("1: the captive card offers \"Continuer ici quand même\"", link)
        b.click(link[0])
        b.wait_url(lambda u: u == self.p_url + "/")
        self.check("1: the welcome page, without the captive card",
                   not b.find_all(".card.notice") and b.find_all('a.button[href="/login"]'))
        self.shot("02-welcome")
        self.login("test1", via_welcome=True, shot="03-cas-login")
        b.wait_url(self.p_url + "/devices")
        self.need("1: test1 is on /devices after the CAS login",
                  b.url() == self.p_url + "/devices" and self.h1() == "Mes appareils")
        self.note("session_test1", b.cookie("avec_session") or "-")
        self.shot("04-devices")
        dev = self.add_device(DEVICE_NAME, "android")
        self.note("dev_android", dev)
        self.shot("05-ready-android")
        href = self.download("eap-config", ".eap-config", "android.eap-config")
        self.download("p12", ".p12", "android.p12")
        b.get(self.p_url + href)
        self.check("1: the eap-config link a second time: 410, \"Lien expiré\"",
                   self.status() == 410 and self.h1() == "Lien expiré",
                   "status %s, h1 %r" % (self.status(), self.h1()))
        self.shot("05-used-link")
        st, _, _ = self.http_get(self.p_http + "/generate_204")
        self.check("1: the probe now answers 204", st == 204, "got %s" % st)
        st, ctype, body = self.http_get(self.p_url + "/api/captive")
        try:
            cap = json.loads(body)
        except ValueError:
            cap = {}
        self.check("1: /api/captive: captive false, application/captive+json",
                   st == 200 and ctype == "application/captive+json"
                   and cap.get("captive") is False,
                   "status %s, %s, %r" % (st, ctype, body[:120]))
        self.sync("android")

    def ios(self):
        b = self.b
        self.set_ua("iphone")
        b.get(self.p_url + "/devices")
        dev = self.add_device(IOS_NAME, "ios")
        self.note("dev_ios", dev)
        self.shot("06-ready-ios")
        self.download("mobileconfig", ".mobileconfig", "ios.mobileconfig")

    def meta(self, dev):
        """The words under device dev in the list."""
        return self.b.execute(
            "var m = document.querySelector('#device-' + arguments[0] + ' .meta');"
            "return m ? m.innerText : '';", dev) or ""

    def focus_contrast(self):
        """The focus outline's contrast with the background around it, for
        a device's button (on its card) and a header link (WCAG 2.1
        1.4.11: 3:1 at least)."""
        got = self.b.execute(
            "function bg(e) { for (; e; e = e.parentElement) {"
            "  var c = getComputedStyle(e).backgroundColor;"
            "  if (c !== 'rgba(0, 0, 0, 0)' && c !== 'transparent') return c; }"
            "  return getComputedStyle(document.body).backgroundColor; }"
            "var out = [];"
            "[document.querySelector('ul.devices button'),"
            " document.querySelector('header a'),"
            " document.querySelector('footer button')].forEach(function (e) {"
            "  if (!e) return; e.focus();"
            "  var s = getComputedStyle(e);"
            "  out.push([e.tagName + (e.className ? '.' + e.className : ''),"
            "            s.outlineColor, s.outlineStyle, s.outlineWidth,"
            "            bg(e.parentElement)]); e.blur(); });"
            "return out;")

        def rgb(c):
            v = [float(x) for x in c[c.index("(") + 1:c.index(")")].split(",")[:3]]
            v = [x / 255 for x in v]
            v = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in v]
            return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]
        for what, colour, style, width, around in got or []:
            a, b = rgb(colour), rgb(around)
            ratio = (max(a, b) + 0.05) / (min(a, b) + 0.05)
            self.check("3: the focus outline of %s: %s %s on %s, %.2f:1 (3:1 needed)"
                       % (what, width, colour, around, ratio),
                       style != "none" and ratio >= 3.0)
        self.check("3: the focus outline was measured on 3 elements", len(got or []) == 3,
                   "%r" % got)

    def remove(self):
        b = self.b
        b.get(self.p_url + "/devices")
        self.check("3: quota reached: #quota notice, 2 / 2, no add form",
                   b.find_all("#quota") and not b.find_all('form[action="/devices"]')
                   and "2 / 2" in self.body())
        meta = self.meta(self.state["dev_ios"])
        self.check("3: the list says \"Connexion par certificat\" and \"jamais connecté\""
                   " for the new iPhone, no jargon",
                   "Connexion par certificat" in meta and "jamais connecté" in meta
                   and "Type" not in meta and "vu " not in meta, "meta %r" % meta)
        self.focus_contrast()
        self.shot("07-quota")
        dev = self.state["dev_android"]
        btn = b.find_all('#device-%s form[action="/devices/remove"] button' % dev)
        self.need("3: the first device has a Remove button", btn)
        b.click(btn[0])
        b.wait_url(lambda u: self.h1() != "Mes appareils")
        self.need("3: \"Retirer\" first asks: \"Retirer cet appareil ?\"",
                  self.h1() == "Retirer cet appareil ?", self.post_refused())
        named = b.find_all("#confirm strong")
        self.check("3: the confirmation page names the device, as text",
                   named and b.text(named[0]) == DEVICE_NAME,
                   "shown %r" % (b.text(named[0]) if named else None))
        self.check("3: ... and offers a way back to the list",
                   b.find_all('#confirm a[href="/devices"]'))
        self.shot("08a-confirm-remove")
        b.click(b.find('#confirm button[type=submit]'))
        b.wait_url(lambda u: "/devices?removed=1" in u or self.h1() != "Retirer cet appareil ?")
        self.need("3: the Remove button leads to /devices?removed=1",
                  "/devices?removed=1" in b.url(), self.post_refused())
        notice = b.find_all('.card.notice[role=status]')
        self.check("3: /devices says the device was removed, and lists it no more",
                   notice and "retiré" in b.text(notice[0])
                   and not b.find_all("#device-%s" % dev))
        self.shot("08-removed")

    def windows(self):
        b = self.b
        self.fresh("windows")
        b.get(self.p_url + "/")
        self.login("prof1", via_welcome=True)
        b.wait_url(self.p_url + "/devices")
        self.need("4: prof1 is on /devices", self.h1() == "Mes appareils")
        self.note("session_prof1", b.cookie("avec_session") or "-")
        dev = self.add_device(WIN_NAME, "windows")
        self.note("dev_windows", dev)
        eap = b.find_all("#v-eap")
        self.check("4: the teacher's device is TTLS, with #v-identity and #v-password",
                   eap and b.text(eap[0]) == "TTLS" and b.find_all("#v-identity")
                   and b.find_all("#v-password"))
        self.shot("09-ready-windows")
        self.download("windows", ".xml", "windows.xml")
        other = b.find_all('a[data-kind="eap-config"]')
        self.check("4: the eap-config is offered once, under \"Autres formats\"",
                   len(other) == 1 and b.execute(
                       "return arguments[0].closest('.card').querySelector('h2')"
                       ".textContent;", other[0]) == "Autres formats")
        self.download("eap-config", ".eap-config", "windows.eap-config")

    def reinstall(self):
        """The teacher left the ready page: "Installer à nouveau" gives a
        new credential and revokes the old one (the shell tries both)."""
        b = self.b
        b.get(self.p_url + "/devices")
        old = self.state["dev_windows"]
        meta = self.meta(old)
        self.check("4b: the list says \"Connexion par identifiant et mot de passe\""
                   " and \"jamais connecté\"",
                   "Connexion par identifiant et mot de passe" in meta
                   and "jamais connecté" in meta, "meta %r" % meta)
        btn = b.find_all('#device-%s form[action="/devices/reinstall"] button' % old)
        self.need("4b: the device has an \"Installer à nouveau\" button",
                  btn and b.text(btn[0]) == "Installer à nouveau")
        b.click(btn[0])
        b.wait_url(lambda u: self.h1() != "Mes appareils")
        self.need("4b: it first asks: \"Installer à nouveau ?\"",
                  self.h1() == "Installer à nouveau ?", self.post_refused())
        named = b.find_all("#confirm strong")
        self.check("4b: the confirmation page names the device",
                   named and b.text(named[0]) == WIN_NAME,
                   "shown %r" % (b.text(named[0]) if named else None))
        self.check("4b: ... says the old profile will be revoked",
                   "révoqué" in self.body())
        sel = b.find_all("#confirm select#os")
        self.check("4b: ... and preselects Windows",
                   sel and b.prop(sel[0], "value") == "windows")
        self.shot("09a-confirm-reinstall")
        b.click(b.find('#confirm button[type=submit]'))
        b.wait_url(lambda u: "/devices/ready?id=" in u or self.h1() != "Installer à nouveau ?",
                   timeout=20)
        url = b.url()
        self.need("4b: the confirmation leads to a new ready page",
                  "/devices/ready?id=" in url, self.post_refused())
        dev = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["id"][0]
        self.note("dev_windows2", dev)
        self.check("4b: ... of a new device id (%s, was %s)" % (dev, old), dev != old)
        ca = b.find_all("#v-ca")
        self.check("4b: the CA value points to the button above it",
                   ca and "ci-dessus" in b.text(ca[0]),
                   "shown %r" % (b.text(ca[0]) if ca else None))
        self.shot("09b-ready-reinstall")
        self.download("eap-config", ".eap-config", "windows2.eap-config")
        b.get(self.p_url + "/devices")
        self.check("4b: the list has the device once, under its new id",
                   b.find_all("#device-%s" % dev) and not b.find_all("#device-%s" % old))

    def psk(self):
        """A device without 802.1X: its own Wi-Fi key and a WIFI: QR code,
        on a page shown once."""
        b = self.b
        b.get(self.p_url + "/devices")
        choice = b.find_all('input[name=kind][value=psk]')
        self.need("4c: the teacher's form offers a device without 802.1X", choice)
        b.type(b.find("input#name"), PSK_NAME)
        b.click(choice[0])
        b.type(b.find("input#mac"), PSK_MAC)
        b.click(b.find('form[action="/devices"] button[type=submit]'))
        b.wait_url(lambda u: "/devices/ready?id=" in u or self.h1() != "Mes appareils",
                   timeout=20)
        url = b.url()
        self.need("4c: the PSK device leads to its one-time page",
                  "/devices/ready?id=" in url, self.post_refused())
        key = b.find_all("#v-psk")
        ssid = b.find_all("#v-psk-ssid")
        wifi = b.find_all("#v-wifi")
        self.check("4c: the page shows the network, the key and a QR code of both",
                   key and len(b.text(key[0])) >= 8 and ssid
                   and b.text(ssid[0]) == "AVEC-Objets" and b.find_all(".qr svg")
                   and wifi and b.text(wifi[0]).startswith("WIFI:T:WPA;S:AVEC-Objets;P:"))
        self.shot("15-ready-psk")
        b.get(url)
        self.check("4c: the page a second time: gone (410)", self.status() == 410,
                   "status %r" % self.status())
        b.get(self.p_url + "/devices")
        dev = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["id"][0]
        meta = self.meta(dev)
        self.check("4c: the list says \"clé Wi-Fi\" with its MAC",
                   "clé Wi-Fi" in meta and PSK_MAC.lower() in meta, "meta %r" % meta)

    def language(self):
        b = self.b
        b.get(self.p_url + "/devices")
        b.click(b.find('header a[href^="/lang?l=en"]'))
        b.wait_url(lambda u: u == self.p_url + "/devices" and self.lang() == "en")
        self.check("6: the language link switches /devices to English",
                   self.lang() == "en" and self.h1() == "My devices",
                   "lang %r, h1 %r" % (self.lang(), self.h1()))
        meta = self.meta(self.state.get("dev_windows2", "0"))
        self.check("6: in English: \"Signs in with a username and password\", "
                   "\"never connected\"",
                   "Signs in with a username and password" in meta
                   and "never connected" in meta, "meta %r" % meta)
        self.shot("12-devices-en")
        b.click(b.find('header a[href^="/lang?l=fr"]'))
        b.wait_url(lambda u: self.lang() == "fr")

    def refused(self):
        b = self.b
        self.fresh("android")
        self.login("parent1")
        self.check("5: parent1 is refused: 403, a page about parents",
                   self.status() == 403 and "parents" in self.body(),
                   "status %s, h1 %r" % (self.status(), self.h1()))
        self.check("5: parent1 got no session", b.cookie("avec_session") is None)
        self.shot("10-parent")
        self.fresh("android")
        self.login("autre1")
        self.check("5: autre1 is refused: 403, \"Autre établissement\"",
                   self.status() == 403 and self.h1() == "Autre établissement",
                   "status %s, h1 %r" % (self.status(), self.h1()))
        self.shot("11-other-school")

    def forged(self):
        b = self.b
        self.fresh("android")
        self.rate_wait(2)
        b.get(self.p_url + "/login")
        url = b.wait_url(self.cas_url + "/login")
        nonce = b.cookie("avec_login")
        self.need("7: /login set the avec_login cookie", nonce)
        self.note("nonce_forged", nonce)
        self.check("7: the CAS service URL carries that nonce",
                   ("n%%3D%s" % nonce) in url or ("n=%s" % nonce) in
                   urllib.parse.unquote(url))
        b.get("%s/cas?n=%s&ticket=%s" % (self.p_url, nonce, FORGED))
        self.check("7: a forged ticket: 403, \"Connexion expirée\"",
                   self.status() == 403 and self.h1() == "Connexion expirée",
                   "status %s, h1 %r" % (self.status(), self.h1()))
        self.shot("13-forged-ticket")

    def cas_down(self):
        b = self.b
        self.rate_wait(2)
        b.get(self.p_url + "/login")
        b.wait_url(self.cas_url + "/login")
        nonce = b.cookie("avec_login")
        self.need("8: /login set the avec_login cookie", nonce)
        self.note("nonce_down", nonce)
        self.sync("cas-stop")
        b.get("%s/cas?n=%s&ticket=ST-1-casdowncasdowncasdown" % (self.p_url, nonce))
        self.check("8: CAS down: 503, \"ENT indisponible\"",
                   self.status() == 503 and self.h1() == "ENT indisponible",
                   "status %s, h1 %r" % (self.status(), self.h1()))
        self.shot("14-cas-down")


def eapconfig(path, dest):
    """Write the facts of an eap-config into files of dest."""
    root = ET.parse(path).getroot()
    m = root.find("./EAPIdentityProvider/AuthenticationMethods/AuthenticationMethod")
    os.makedirs(dest, exist_ok=True)

    def put(name, text):
        with open(os.path.join(dest, name), "w") as f:
            f.write((text or "") + "\n")
    ca = m.findtext("./ServerSideCredential/CA")
    b64 = base64.b64encode(base64.b64decode(ca)).decode()
    put("ca.pem", "-----BEGIN CERTIFICATE-----\n" + "\n".join(
        b64[i:i + 64] for i in range(0, len(b64), 64)) + "\n-----END CERTIFICATE-----")
    put("server_id", m.findtext("./ServerSideCredential/ServerID"))
    put("method", m.findtext("./EAPMethod/Type"))
    put("inner", m.findtext("./InnerAuthenticationMethod/NonEAPAuthMethod/Type") or "")
    csc = m.find("./ClientSideCredential")
    put("outer", csc.findtext("OuterIdentity"))
    p12 = csc.findtext("ClientCertificate")
    if p12:
        with open(os.path.join(dest, "client.p12"), "wb") as f:
            f.write(base64.b64decode(p12))
        put("passphrase", csc.findtext("Passphrase"))
    if csc.findtext("UserName"):
        put("username", csc.findtext("UserName"))
        put("password", csc.findtext("Password"))
    return 0


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "eapconfig":
        return eapconfig(sys.argv[2], sys.argv[3])
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    return Journey(sys.argv[1]).run()


if __name__ == "__main__":
    sys.exit(main())
