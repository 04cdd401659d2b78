#!/usr/bin/env python3
"""tests/portal/browser_selftest.py - proves tests/lib/browser.py against
small pages served on loopback.

    browser_selftest.py run DIR    serve the pages (HTTP, and HTTPS when
                                   DIR holds the certificates t_browser.sh
                                   made), drive a phone browser through them,
                                   print one "ok - ..." / "not ok - ..." line
                                   per check; the browser's processes are
                                   written to DIR/pids.run
    browser_selftest.py hold DIR   start a browser, write its processes to
                                   DIR/pids.hold, then wait to be signalled

Pages: / (a form, a download link), POST /login -> /step1 -> /step2 (sets
a cookie) -> /welcome, /download (Content-Disposition: attachment), /ua.
The servers listen on 127.0.0.1 only, on ports the kernel picks.
"""

import html
import os
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from browser import UA, Browser, BrowserError, BrowserTimeout, WebDriverError  # noqa: E402

PAYLOAD = os.urandom(3000) + b"AVEC\x00profile\xff"
HOST = "portail.avec.test"


class Pages(BaseHTTPRequestHandler):
    def log_message(self, *_args):
        pass

    def _send(self, code, body=b"", ctype="text/html; charset=utf-8", headers=()):
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _page(self, title, body):
        return ("<!doctype html><html><head><meta charset=utf-8>"
                "<meta name=viewport content='width=device-width, initial-scale=1'>"
                "<title>%s</title></head><body>%s</body></html>" % (title, body)).encode()

    def do_GET(self):
        path, _, query = self.path.partition("?")
        q = urllib.parse.parse_qs(query)
        if path == "/":
            self._send(200, self._page("AVEC test", (
                "<h1>Connexion</h1><form id=login method=post action=/login>"
                "<input id=user name=user required>"
                "<button id=go type=submit>Entrer</button></form>"
                "<a id=dl href=/download>profil</a>")))
        elif path == "/step1":
            self._send(302, headers=[("Location", "/step2?user=" +
                                      urllib.parse.quote(q.get("user", [""])[0]))])
        elif path == "/step2":
            self._send(303, headers=[("Location", "/welcome?user=" +
                                      urllib.parse.quote(q.get("user", [""])[0])),
                                     ("Set-Cookie", "avec_sid=s3ss10n-42; Path=/; HttpOnly")])
        elif path == "/welcome":
            self._send(200, self._page("Bienvenue", (
                "<p id=hello>Bienvenue %s</p><p id=cookie>%s</p><p id=ua>%s</p>" % (
                    html.escape(q.get("user", [""])[0]),
                    html.escape(self.headers.get("Cookie", "")),
                    html.escape(self.headers.get("User-Agent", ""))))))
        elif path == "/ua":
            self._send(200, self._page("ua", "<p id=ua>%s</p>" %
                                       html.escape(self.headers.get("User-Agent", ""))))
        elif path == "/download":
            self._send(200, PAYLOAD, "application/octet-stream",
                       [("Content-Disposition", 'attachment; filename="profil-avec.bin"')])
        else:
            self._send(404, self._page("absent", "absent"))

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if self.path == "/login":
            self._send(302, headers=[("Location", "/step1?user=" +
                                      urllib.parse.quote(form.get("user", [""])[0]))])
        else:
            self._send(404, self._page("absent", "absent"))


def serve(cert=None, key=None):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    srv.daemon_threads = True
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, srv.server_address[1]


results = []


def check(desc, cond, detail=""):
    results.append(bool(cond))
    print(("ok - " if cond else "not ok - ") + desc +
          ("" if cond or not detail else " (%s)" % detail), flush=True)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", head[16:24])


def write_pids(b, path):
    with open(path + ".tmp", "w") as f:
        for pid, start in sorted(b.pids().items()):
            f.write("%d %d\n" % (pid, start))
    os.rename(path + ".tmp", path)


def step(desc, fn):
    """Run one group of checks; an exception is a failed check, not a crash."""
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - every failure must be reported
        check(desc, False, "%s: %s" % (type(e).__name__, e))


def run(d):
    _, port = serve()
    base = "http://127.0.0.1:%d" % port
    tls = os.path.exists(os.path.join(d, "portal.pem"))
    if tls:
        _, sport = serve(os.path.join(d, "portal.pem"), os.path.join(d, "portal.key"))
        _, rport = serve(os.path.join(d, "rogue.pem"), os.path.join(d, "rogue.key"))

    t0 = time.monotonic()
    b = Browser(os.path.join(d, "b"), ca_file=os.path.join(d, "ca.pem") if tls else None,
                hosts={HOST: "127.0.0.1"})
    write_pids(b, os.path.join(d, "pids.run"))
    check("the browser starts (%.1f s)" % (time.monotonic() - t0), True)

    def form():
        b.get(base + "/")
        check("title of the first page", b.title() == "AVEC test", b.title())
        check("source has the form", 'id="login"' in b.source() or "id=login" in b.source())
        b.type(b.find("#user"), "eleve.1")
        check("typed text is in the input", b.prop(b.find("#user"), "value") == "eleve.1")
        check("attr reads an attribute", b.attr(b.find("#login"), "action") == "/login")
        b.submit_form("#login")
        u = b.wait_url("/welcome", 10)
        check("form submitted, redirects followed to /welcome", "/welcome?user=eleve.1" in u, u)
        el = b.wait_for("#hello", 5)
        check("welcome page greets the user", b.text(el) == "Bienvenue eleve.1", b.text(el))
        check("server saw the Android UA", b.text(b.find("#ua")) == UA["android"],
              b.text(b.find("#ua")))
    step("form and redirects", form)

    def cookie():
        c = [x for x in b.cookies() if x["name"] == "avec_sid"]
        check("cookie set on a redirect is kept", c and c[0]["value"] == "s3ss10n-42", c)
        check("cookie is HttpOnly", c and c[0].get("httpOnly") is True)
        check("cookie went back to the server", b.text(b.find("#cookie")) == "avec_sid=s3ss10n-42")
        b.delete_cookies()
        b.get(base + "/welcome")
        check("delete_cookies empties the jar", b.cookies() == [] and
              b.text(b.find("#cookie")) == "", b.cookies())
    step("cookies", cookie)

    def download():
        b.get(base + "/")
        b.click(b.find("#dl"))
        p = b.wait_download(".bin", 15)
        check("download lands in workdir/downloads as profil-avec.bin",
              os.path.basename(p) == "profil-avec.bin" and
              os.path.dirname(p) == b.download_dir, p)
        with open(p, "rb") as f:
            check("downloaded bytes are the served bytes", f.read() == PAYLOAD)
    step("download", download)

    def shot():
        b.get(base + "/")
        w = b.execute("return [window.innerWidth, window.devicePixelRatio]")
        check("phone viewport is 360 CSS px at scale 1", w == [360, 1], w)
        size = png_size(b.screenshot(os.path.join(d, "shot.png")))
        check("screenshot PNG is 360 px wide", size and size[0] == 360, size)
    step("screenshot", shot)

    def errors():
        try:
            b.find("#absent")
            check("find of a missing element raises", False)
        except WebDriverError as e:
            check("WebDriverError names the command and the driver's message",
                  "find '#absent'" in str(e) and "no such element" in str(e), e)
        try:
            b.wait_for("#absent", 0.3)
            check("wait_for times out", False)
        except BrowserTimeout as e:
            check("timeout names what it waited for and the URL",
                  "'#absent'" in str(e) and base + "/" in str(e), e)
        try:
            b.wait_url("/nowhere", 0.3)
            check("wait_url times out", False)
        except BrowserTimeout as e:
            check("wait_url timeout names the URL it wanted", "/nowhere" in str(e), e)
    step("errors", errors)

    def ua():
        b.set_ua("windows")
        b.get(base + "/ua")
        seen = b.text(b.find("#ua"))
        check("set_ua changes the User-Agent the server sees", seen == UA["windows"], seen)
        check("set_ua changes navigator.userAgent",
              b.execute("return navigator.userAgent") == UA["windows"])
        b.set_ua("android")
    step("set_ua", ua)

    def https():
        b.get("https://%s:%d/" % (HOST, sport))
        check("HTTPS page signed by the test CA loads", b.title() == "AVEC test", b.title())
        try:
            b.get("https://%s:%d/" % (HOST, rport))
            t = b.title()
        except WebDriverError as e:
            t = "refused: %s" % e
        check("HTTPS page signed by another CA is refused", t != "AVEC test", t)
        try:
            b.get("http://www.example.org/")
            t = b.source()
        except WebDriverError as e:
            t = "refused: %s" % e
        check("names outside the host map do not resolve",
              "ERR_NAME_NOT_RESOLVED" in t, t[:200])
    if tls:
        step("https", https)

    write_pids(b, os.path.join(d, "pids.run"))
    b.close()
    check("close() leaves none of the browser's processes", b.alive() == [], b.alive())
    try:
        b.url()
        check("a closed browser refuses commands", False)
    except BrowserError:
        check("a closed browser refuses commands", True)
    return 0 if all(results) else 1


def hold(d):
    b = Browser(os.path.join(d, "h"), ua="iphone")
    b.get("data:text/html,<title>hold</title>")
    write_pids(b, os.path.join(d, "pids.hold"))
    time.sleep(120)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("run", "hold"):
        sys.exit("usage: browser_selftest.py run|hold DIR")
    sys.exit(run(sys.argv[2]) if sys.argv[1] == "run" else hold(sys.argv[2]))
