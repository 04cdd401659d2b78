"""tests/lib/browser.py - a headless Chromium that AVEC's portal tests drive.

This module owns one thing: starting chromedriver and a headless Chromium
for a test, speaking the W3C WebDriver protocol to it with the Python
standard library only, and stopping both again.  It never installs
anything, never talks to anything but loopback (the driver listens on
127.0.0.1, proxies are bypassed, and the browser resolves no name except
the ones a test maps to loopback), and never stops a process by name: the
driver is started in a session of its own, and close() stops the
processes of that session, found by its id in /proc.

    from browser import Browser
    with Browser(workdir, ca_file="ca.pem", hosts={"portail.avec.test": "127.0.0.1"}) as b:
        b.get("https://portail.avec.test:8443/")
        b.type(b.find("#login"), "eleve1")
        b.submit_form("form")
        b.wait_url("/merci")

Elements are returned as Element, a str subclass holding the WebDriver
element id; pass them back to text(), click(), execute() ...

Errors: a command the driver refuses raises WebDriverError naming the
command and the driver's message; a wait that runs out raises
BrowserTimeout naming what it waited for and the current URL.
"""

import atexit
import base64
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/lib/chromium/chromium"   # the Debian binary, not its shell launcher
CHROMEDRIVER = "/usr/bin/chromedriver"

UA = {
    "android": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
    "iphone": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
              "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
              "Mobile/15E148 Safari/604.1",
    "windows": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
               "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
}
PHONE_WIDTH, PHONE_HEIGHT = 360, 740
ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf"


class BrowserError(Exception):
    """Anything that went wrong starting or driving the browser."""


class WebDriverError(BrowserError):
    """The driver answered a command with an error."""

    def __init__(self, command, error, message):
        self.command, self.error, self.message = command, error, message
        first = (message or "").splitlines()[0] if message else ""
        if error and first.startswith(error + ": "):
            first = first[len(error) + 2:]
        super().__init__("%s: %s: %s" % (command, error, first))


class BrowserTimeout(BrowserError):
    """A wait ran out of time."""


class Element(str):
    """A WebDriver element id (a str), as find() returns it."""


def _free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def _der_len(buf, i):
    """Length of the DER value whose length octets start at buf[i]: (len, start)."""
    n = buf[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(buf[i + 1:i + 1 + k], "big"), i + 1 + k


def _der_children(buf, start, end):
    """(tag, tlv_start, value_start, value_end) of each DER element in buf[start:end]."""
    out, i = [], start
    while i < end:
        tag = buf[i]
        n, v = _der_len(buf, i + 1)
        out.append((tag, i, v, v + n))
        i = v + n
    return out


def spki_sha256(der):
    """base64 SHA-256 of a DER certificate's SubjectPublicKeyInfo."""
    import hashlib
    _, _, v, e = _der_children(der, 0, len(der))[0]          # Certificate
    _, _, tv, te = _der_children(der, v, e)[0]                # tbsCertificate
    kids = _der_children(der, tv, te)
    if kids[0][0] == 0xA0:                                    # [0] version
        kids = kids[1:]
    # serial, signature, issuer, validity, subject, subjectPublicKeyInfo
    _, s, _, se = kids[5]
    return base64.b64encode(hashlib.sha256(der[s:se]).digest()).decode()


def pem_certs(path):
    """The DER certificates in a PEM file."""
    out, cur = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line == "-----BEGIN CERTIFICATE-----":
                cur = []
            elif line == "-----END CERTIFICATE-----" and cur is not None:
                out.append(base64.b64decode("".join(cur)))
                cur = None
            elif cur is not None:
                cur.append(line)
    return out


_live = []
_handled = False


def _close_all():
    for b in list(_live):
        b.close()


def _on_signal(signum, _frame):
    _close_all()
    # leave through SystemExit so that atexit and finally blocks run too
    raise SystemExit(128 + signum)


def _install_handlers():
    global _handled
    if _handled:
        return
    _handled = True
    atexit.register(_close_all)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _on_signal)
        except ValueError:      # not the main thread: atexit still covers us
            pass


def _die_with_parent():
    # chromedriver gets SIGTERM if the Python process is killed outright
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _proc_stat(pid):
    """(ppid, session id, start time) of a process, or None once it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()
    if rest[0] == "Z":
        return None
    return int(rest[1]), int(rest[3]), int(rest[19])


class Browser:
    """A headless Chromium behind chromedriver, for one test.

    Browser(workdir, phone=True, ca_file=None, ua="android", hosts=None,
            timeout=60)

    workdir   a directory the test owns; the browser profile goes into
              workdir/profile, downloads into workdir/downloads (never a
              prompt), the driver's log into workdir/chromedriver.log.
    phone     True: a 360x740 phone viewport, touch, device scale factor 1
              (so a screenshot is exactly 360 pixels wide).  False: a
              1280x800 desktop window.
    ua        "android" (default; Chrome on Android), "iphone" (Safari on
              iOS), "windows" (Chrome on Windows), or a full User-Agent.
              set_ua() changes it later for the current tab.
    ca_file   PEM file with the test CA (more certificates may follow).
              Trusting it: Chromium on Linux reads trust anchors from an
              NSS database that only certutil (not installed) can write,
              so instead the browser gets --ignore-certificate-errors-spki-list
              with the SHA-256 of every certificate's public key in
              ca_file.  Chromium then accepts a server whose chain
              *contains* one of those keys: the test server must send the
              CA certificate after its own (put both in its cert file), or
              ca_file may list the server certificate itself.  Any other
              certificate error still shows Chromium's interstitial;
              acceptInsecureCerts is NOT used.
    hosts     {name: "127.0.0.1"} names the browser resolves; every other
              name or address but 127.0.0.1 and localhost fails to
              resolve (net::ERR_NAME_NOT_RESOLVED), so a page cannot reach
              the outside.

    close() (or leaving a with block, interpreter exit, SIGTERM, SIGHUP)
    ends the session, stops the driver and any browser process left.
    """

    def __init__(self, workdir, phone=True, ca_file=None, ua="android",
                 hosts=None, timeout=60):
        self.workdir = os.path.abspath(workdir)
        self.download_dir = os.path.join(self.workdir, "downloads")
        self.timeout = timeout
        self.phone = phone
        self._proc = None
        self._session = None
        self._known = {}        # pid -> start time, every process seen
        self._taken = set()     # downloads wait_download() already returned
        os.makedirs(self.download_dir, exist_ok=True)
        home = os.path.join(self.workdir, "home")
        os.makedirs(home, exist_ok=True)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        _install_handlers()
        _live.append(self)
        try:
            self._start_driver(home)
            self._new_session(ua, ca_file, hosts or {})
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ life cycle
    def _start_driver(self, home):
        env = dict(os.environ, HOME=home,
                   XDG_CONFIG_HOME=os.path.join(home, ".config"),
                   XDG_CACHE_HOME=os.path.join(home, ".cache"))
        for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                  "all_proxy", "ALL_PROXY"):
            env.pop(k, None)
        log = os.path.join(self.workdir, "chromedriver.log")
        last = None
        for _ in range(3):
            self.port = _free_port()
            self._base = "http://127.0.0.1:%d" % self.port
            self._proc = subprocess.Popen(
                [CHROMEDRIVER, "--port=%d" % self.port, "--log-path=" + log,
                 "--allowed-ips=127.0.0.1"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, env=env, start_new_session=True,
                preexec_fn=_die_with_parent)
            self._note(self._proc.pid)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self._proc.poll() is None:
                try:
                    st = self._call("GET", "/status", what="status", timeout=2)
                    if st.get("ready", True):
                        return
                except (BrowserError, OSError) as e:
                    last = e
                time.sleep(0.1)
            self._stop_driver()
        raise BrowserError("chromedriver did not start on 127.0.0.1 (see %s): %s"
                           % (log, last))

    def _new_session(self, ua, ca_file, hosts):
        ua = UA.get(ua, ua)
        args = ["--headless=new", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + os.path.join(self.workdir, "profile"),
                "--no-first-run", "--no-default-browser-check",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-default-apps", "--disable-extensions",
                "--disable-features=Translate,MediaRouter,OptimizationHints,"
                "AutofillServerCommunication,HttpsUpgrades",
                "--no-proxy-server", "--password-store=basic",
                "--use-mock-keychain", "--hide-scrollbars",
                "--host-resolver-rules=" + ", ".join(
                    ["MAP %s %s" % kv for kv in sorted(hosts.items())]
                    + ["MAP * ~NOTFOUND", "EXCLUDE 127.0.0.1", "EXCLUDE localhost"])]
        if os.geteuid() == 0:
            args.append("--no-sandbox")
        if ca_file:
            spkis = [spki_sha256(c) for c in pem_certs(ca_file)]
            if not spkis:
                raise BrowserError("no certificate in %s" % ca_file)
            args.append("--ignore-certificate-errors-spki-list=" + ",".join(spkis))
        opts = {
            "binary": CHROMIUM if os.path.exists(CHROMIUM) else "/usr/bin/chromium",
            "args": args,
            "prefs": {"download.default_directory": self.download_dir,
                      "download.prompt_for_download": False,
                      "download.directory_upgrade": True,
                      "safebrowsing.enabled": False,
                      "profile.default_content_setting_values.automatic_downloads": 1},
        }
        if self.phone:
            opts["mobileEmulation"] = {
                "deviceMetrics": {"width": PHONE_WIDTH, "height": PHONE_HEIGHT,
                                  "pixelRatio": 1.0, "touch": True, "mobile": True}}
        else:
            args.append("--window-size=1280,800")
        # the UA by flag, not through mobileEmulation: chromedriver would
        # put its own back on every navigation and undo set_ua()
        args.append("--user-agent=" + ua)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "acceptInsecureCerts": False,
            "pageLoadStrategy": "normal",
            "timeouts": {"implicit": 0, "pageLoad": 30000, "script": 30000},
            "goog:chromeOptions": opts}}}
        r = self._call("POST", "/session", caps, what="new session", timeout=self.timeout)
        self._session = r["sessionId"]
        self.capabilities = r.get("capabilities", {})
        self._note_tree()
        self._cdp("Browser.setDownloadBehavior",
                  {"behavior": "allow", "downloadPath": self.download_dir,
                   "eventsEnabled": False})

    def _note(self, pid):
        st = _proc_stat(pid)
        if st:
            self._known[pid] = st[2]

    def _note_tree(self):
        """Remember the driver's session and descendants (the browser)."""
        if not self._proc:
            return
        root = self._proc.pid
        procs = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                st = _proc_stat(int(d))
                if st:
                    procs[int(d)] = st
        mine = {p for p, st in procs.items() if st[1] == root}
        grew = True
        while grew:
            new = {p for p, st in procs.items() if st[0] in mine and p not in mine}
            mine |= new
            grew = bool(new)
        for p in mine | {root}:
            if p in procs:
                self._known.setdefault(p, procs[p][2])

    def pids(self):
        """{pid: start time (clock ticks)} of the driver and every browser
        process seen so far; a pid whose /proc stat still shows that start
        time is the same process."""
        self._note_tree()
        return dict(self._known)

    def alive(self):
        """The recorded processes that still run."""
        out = []
        for pid, start in self._known.items():
            st = _proc_stat(pid)
            if st and st[2] == start:
                out.append(pid)
        return out

    def _stop_driver(self):
        p = self._proc
        if p is None:
            return
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        self._proc = None

    def close(self):
        """End the session and stop every process this Browser started.
        Safe to call twice."""
        if self._proc is not None:
            self._note_tree()
        if self._session is not None:
            try:
                self._call("DELETE", "/session/" + self._session,
                           what="close session", timeout=15)
            except (BrowserError, OSError):
                pass
            self._session = None
        self._stop_driver()
        # whatever outlived the driver: TERM, then KILL, by recorded pid only
        for sig in (signal.SIGTERM, signal.SIGKILL):
            left = self.alive()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            deadline = time.monotonic() + 3
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        if self in _live:
            _live.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        self.close()

    # ------------------------------------------------------------- protocol
    def _call(self, method, path, body=None, what=None, timeout=None):
        what = what or "%s %s" % (method, path)
        data = json.dumps(body if body is not None else {}).encode() \
            if method == "POST" else None
        req = urllib.request.Request(self._base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with self._opener.open(req, timeout=timeout or self.timeout) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                v = json.loads(raw)["value"]
                raise WebDriverError(what, v.get("error"), v.get("message")) from None
            except (ValueError, KeyError, TypeError, AttributeError):
                raise WebDriverError(what, "HTTP %d" % e.code,
                                     raw[:200].decode(errors="replace")) from None
        except (urllib.error.URLError, OSError) as e:
            raise BrowserError("%s: chromedriver on %s: %s" % (what, self._base, e)) from None
        return json.loads(raw).get("value") if raw else None

    def _s(self, method, path, body=None, what=None, timeout=None):
        if self._session is None:
            raise BrowserError("%s: the browser is closed" % (what or path))
        return self._call(method, "/session/%s%s" % (self._session, path), body,
                          what=what, timeout=timeout)

    def _cdp(self, cmd, params):
        return self._s("POST", "/goog/cdp/execute", {"cmd": cmd, "params": params},
                       what="cdp " + cmd)

    @staticmethod
    def _unwrap(v):
        if isinstance(v, dict) and ELEMENT_KEY in v and len(v) == 1:
            return Element(v[ELEMENT_KEY])
        if isinstance(v, list):
            return [Browser._unwrap(x) for x in v]
        if isinstance(v, dict):
            return {k: Browser._unwrap(x) for k, x in v.items()}
        return v

    @staticmethod
    def _wrap(v):
        if isinstance(v, Element):
            return {ELEMENT_KEY: str(v)}
        if isinstance(v, (list, tuple)):
            return [Browser._wrap(x) for x in v]
        return v

    # -------------------------------------------------------------- commands
    def get(self, url):
        """Open url and wait for it to load."""
        self._s("POST", "/url", {"url": url}, what="get " + url)

    def url(self):
        return self._s("GET", "/url", what="url")

    def title(self):
        return self._s("GET", "/title", what="title")

    def source(self):
        return self._s("GET", "/source", what="source")

    def find(self, css):
        """The first element matching css; WebDriverError if none."""
        v = self._s("POST", "/element", {"using": "css selector", "value": css},
                    what="find %r" % css)
        return Element(v[ELEMENT_KEY])

    def find_all(self, css):
        """Every element matching css (possibly none)."""
        v = self._s("POST", "/elements", {"using": "css selector", "value": css},
                    what="find_all %r" % css)
        return [Element(x[ELEMENT_KEY]) for x in v]

    def text(self, el):
        return self._s("GET", "/element/%s/text" % el, what="text")

    def attr(self, el, name):
        """The element's attribute name (None when absent)."""
        return self._s("GET", "/element/%s/attribute/%s" % (el, name),
                       what="attr %s" % name)

    def prop(self, el, name):
        """The element's DOM property name (e.g. the current value of an input)."""
        return self._s("GET", "/element/%s/property/%s" % (el, name),
                       what="prop %s" % name)

    def type(self, el, text, clear=True):
        """Type text into an input (cleared first unless clear=False)."""
        if clear:
            self._s("POST", "/element/%s/clear" % el, what="clear")
        self._s("POST", "/element/%s/value" % el, {"text": text}, what="type")

    def click(self, el):
        self._s("POST", "/element/%s/click" % el, what="click")

    def submit_form(self, css="form"):
        """Submit the form matching css (or the form of the element matching
        css) as a user would: validation and submit handlers run."""
        el = self.find(css)
        self.execute("var f = arguments[0].form || arguments[0];"
                     "if (f.requestSubmit) f.requestSubmit(); else f.submit();", el)

    def execute(self, js, *args):
        """Run js (a function body; arguments[i] are args, Elements allowed)
        and return its result, elements as Element."""
        v = self._s("POST", "/execute/sync",
                    {"script": js, "args": [self._wrap(a) for a in args]},
                    what="execute")
        return self._unwrap(v)

    def screenshot(self, path):
        """Write a PNG of the viewport to path; returns path."""
        png = base64.b64decode(self._s("GET", "/screenshot", what="screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return path

    def cookies(self):
        """The current page's cookies: a list of WebDriver cookie dicts
        (name, value, domain, path, httpOnly, secure, sameSite, expiry)."""
        return self._s("GET", "/cookie", what="cookies")

    def cookie(self, name):
        """The value of one cookie of the current page, or None."""
        for c in self.cookies():
            if c.get("name") == name:
                return c.get("value")
        return None

    def delete_cookies(self):
        self._s("DELETE", "/cookie", what="delete cookies")

    def set_ua(self, ua):
        """Change the User-Agent ("android", "iphone", "windows" or a string)
        for the current tab, from the next request on; a window the page
        opens later starts with the UA chosen in Browser()."""
        ua = UA.get(ua, ua)
        self._cdp("Network.enable", {})
        self._cdp("Network.setUserAgentOverride", {"userAgent": ua})
        self._cdp("Emulation.setUserAgentOverride", {"userAgent": ua})

    # ----------------------------------------------------------------- waits
    def _wait(self, what, timeout, probe):
        deadline = time.monotonic() + timeout
        while True:
            v = probe()
            if v:
                return v
            if time.monotonic() >= deadline:
                try:
                    where = self.url()
                except BrowserError as e:
                    where = "unknown (%s)" % e
                raise BrowserTimeout("timed out after %gs waiting for %s (at %s)"
                                     % (timeout, what, where))
            time.sleep(0.1)

    def wait_for(self, css, timeout=10):
        """The first element matching css, once there is one."""
        found = self._wait("element %r" % css, timeout, lambda: self.find_all(css))
        return found[0]

    def wait_url(self, want, timeout=10):
        """The current URL once it contains want (a str) or want(url) is
        true, and its document has finished loading (so that elements found
        next belong to it).  A predicate that meets a page being replaced
        (a stale element) is simply asked again."""
        if callable(want):
            what, test = "URL accepted by %s" % getattr(want, "__name__", want), want
        else:
            what, test = "URL containing %r" % want, lambda u: want in u

        def probe():
            try:
                u = self.url()
                if not test(u):
                    return None
                done = self.execute("return document.readyState;") == "complete"
                return u if done and self.url() == u else None
            except WebDriverError as e:
                if "stale element" in str(e):
                    return None
                raise
        return self._wait(what, timeout, probe)

    def wait_download(self, suffix="", timeout=20):
        """Path of a finished download whose name ends with suffix, not
        returned before (Chromium's partial .crdownload files are ignored)."""
        def probe():
            try:
                names = os.listdir(self.download_dir)
            except OSError:
                return None
            for n in sorted(names):
                p = os.path.join(self.download_dir, n)
                if (n.endswith(".crdownload") or n + ".crdownload" in names
                        or not n.endswith(suffix) or p in self._taken
                        or not os.path.isfile(p)):
                    continue
                self._taken.add(p)
                return p
            return None
        return self._wait("a download ending in %r in %s" % (suffix, self.download_dir),
                          timeout, probe)
