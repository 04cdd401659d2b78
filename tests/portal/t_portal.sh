#!/bin/bash
# shellcheck disable=SC2016 # join keys and groups hold a literal $
# t_portal.sh - avecd's portal over HTTP, without a browser: its
# configuration check, the captive-portal probes and RFC 8908 API, the
# CAS login (a first login with a join key and no ENT feed yet keeps its
# school and class, so a class override applies at once) and what it
# refuses, the device list's words and the focus outline's contrast,
# "Retirer" and "Installer à nouveau" (each asks first; only the confirmed
# POST revokes; install again makes a new credential and revokes the old),
# a device without 802.1X (its own Wi-Fi key, bound to its MAC, shown once
# with a WIFI: QR code; the access point's MAC query gets that key;
# refused to a policy without psk), and an attacker's tour (CSRF, session
# fixation, open redirects, replayed or forged tickets, another user's
# device, reused or guessed download links, oversized bodies, login
# flooding), then privilege separation: the portal process runs as
# nobody, holds no store handle, cannot read the CA key, and dies with
# the engine.  The browser journey is t_portal_browser.sh.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/radius.sh"
. "$(dirname "$0")/../lib/cas.sh"
. "$(dirname "$0")/../lib/portal.sh"
need curl jq python3 xmllint sqlite3
cas_need
radius_setup
avecctl policy set student --vlan 20 --max-devices 3 --creds tls,ttls >/dev/null
avecctl policy set teacher --vlan 30 --max-devices 3 --creds ttls >/dev/null
cas_start || { fail "the CAS server starts"; finish; }
P_CLIENT_TIMEOUT=3 P_REQUEST_TIMEOUT=6 portal_start || { fail "avecd starts"; finish; }
ok "avecd starts and answers over HTTPS"
LOG=$T_SCRATCH/avecd.log
H=$T_SCRATCH/headers

# ---- configuration ----
bad=$T_SCRATCH/bad.yaml
sed -e 's/uai: 0290009C/uai: 12345/' -e 's/^  timeout_ms:.*/  timeout_ms: 7\n  colour: blue/' \
	-e "s|url: $CAS_URL|url: ${CAS_URL/https/http}|" "$P_CONF" > "$bad"
out=$("$AVECD" -n -f "$bad" 2>&1); rc=$?
check "avecd -n refuses a bad file (exit 1)" [ "$rc" = 1 ]
check "... naming the UAI" grep -q 'school.uai: not a UAI' <<<"$out"
check "... the unknown key, with its line" grep -Eq "$bad:[0-9]+:[0-9]+: cas.colour: unknown setting" <<<"$out"
check "... the out-of-range timeout" grep -q 'cas.timeout_ms: expected a whole number' <<<"$out"
check "... and the plain-http CAS URL" grep -q 'cas.url: expected https://' <<<"$out"
check "avecd -n accepts the good file" "$AVECD" -n -f "$P_CONF"

# ---- captive portal ----
for probe in /hotspot-detect.html /generate_204 /connecttest.txt /ncsi.txt; do
	loc=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$P_HTTP$probe")
	check "probe $probe before registering: redirected to the portal" \
		[ "$loc" = "302 $P_URL/?captive=1" ]
done
check "any other plain-http page goes to the portal" \
	[ "$(curl -s -o /dev/null -w '%{redirect_url}' "$P_HTTP/some/page")" = "$P_URL/" ]
# no portal.acme_dir here: an ACME CA gets a 404, never the redirect it
# would follow to the portal (t_acme.sh serves challenges)
check "an ACME challenge without portal.acme_dir: 404, not a redirect" \
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$P_HTTP/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0")" = 404 ]
pcurl -D "$H" -o "$T_SCRATCH/api.json" "$P_URL/api/captive"
check "RFC 8908 API: application/captive+json" grep -qi '^Content-Type: application/captive+json' "$H"
check "... captive true, with the portal URL" \
	[ "$(jq -r '"\(.captive) \(."user-portal-url")"' "$T_SCRATCH/api.json")" = "true $P_URL/" ]
pcurl -o "$T_SCRATCH/captive.html" "$P_URL/?captive=1"
check "the captive page sends the user to the real browser" grep -q 'navigateur' "$T_SCRATCH/captive.html"
check "... with a QR code of the portal's address" grep -q '<svg' "$T_SCRATCH/captive.html"

# ---- headers of every page ----
pcurl -D "$H" -o /dev/null "$P_URL/"
for h in 'Cache-Control: no-store' 'X-Content-Type-Options: nosniff' \
	"Content-Security-Policy: default-src 'none'" 'X-Frame-Options: DENY' \
	'Strict-Transport-Security:' 'Referrer-Policy: same-origin'; do
	check "header $h" grep -qi "^$h" "$H"
done

# ---- login ----
J1=$T_SCRATCH/alice.jar
pcurl -c "$J1" -D "$H" -o /dev/null "$P_URL/login"
loc=$(awk 'tolower($1) == "location:" { print $2 }' "$H" | tr -d '\r')
check "/login redirects to CAS's /login with an encoded service" \
	grep -q "^$CAS_URL/login?service=https%3A%2F%2F127.0.0.1%3A$P_PORT%2Fcas%3Fn%3D" <<<"$loc"
check "the login nonce cookie is Secure, HttpOnly, SameSite" \
	grep -qi '^Set-Cookie: avec_login=[A-Za-z0-9_-]\{43\}; Path=/; Secure; HttpOnly; SameSite=Lax' "$H"
# an attacker plants a session id before the login: it must not survive
printf '127.0.0.1\tFALSE\t/\tTRUE\t0\tavec_session\tAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n' >> "$J1"
service=$(python3 -c 'import sys, urllib.parse as u
print(u.parse_qs(u.urlparse(sys.argv[1]).query)["service"][0])' "$loc")
t=$(cas_ticket test1 test "$service")
pcurl -b "$J1" -c "$J1" -D "$H" -o /dev/null "$service&ticket=$t"
check "a valid ticket logs in (303 to /devices)" grep -q '^HTTP/1.1 303' "$H"
check "the session cookie is Secure, HttpOnly, SameSite" \
	grep -qi '^Set-Cookie: avec_session=[A-Za-z0-9_-]\{43\}; Path=/; Secure; HttpOnly; SameSite=Lax' "$H"
check "the planted session id is replaced (no fixation)" \
	bash -c "! grep -q 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' <(awk '\$6 == \"avec_session\"' '$J1')"
code=$(pcurl -b "$J1" -o "$T_SCRATCH/replay.html" -w '%{http_code}' "$service&ticket=$t")
check "the same ticket a second time is refused (403)" [ "$code" = 403 ]
check "... with a clear page" grep -q 'déjà servi ou a expiré' "$T_SCRATCH/replay.html"
acct=$(avecctl account list --json | jq -r '.[] | select(.principal == "F1abc") | "\(.role) \(.status)"')
check "account F1abc created at login as an active student" [ "$acct" = "student active" ]
# her answer carries ENTPersonJointure and no feed was ever imported: the
# link to that key must not wipe what the login released
check "... linked to her join key (ENTPersonJointure), no feed imported" \
	[ "$(sqlite3 -batch -readonly "$R_DB" "SELECT join_key FROM accounts WHERE principal = 'F1abc'")|$(avecctl ent status --json | jq -c '[.present, .left]')" = 'AC-RENNES$1|[0,0]' ]
check "... with her school and class from that first login" \
	[ "$(avecctl account export F1abc | jq -c '[.schools, .groups]')" = '[["0290009C"],["0290009C$TS2"]]' ]
cat > "$T_SCRATCH/policy.yaml" <<'EOF'
roles:
  student: { vlan: 20, max_devices: 3, credentials: [tls, ttls] }
  teacher: { vlan: 30, max_devices: 3, credentials: [ttls] }
overrides:
  - { group: "0290009C$TS2", vlan: 25 }
EOF
avecctl policy apply "$T_SCRATCH/policy.yaml" >/dev/null
check "... so her class's override applies to her at once (vlan 25)" \
	[ "$(avecctl policy effective F1abc --json | jq -c '[.groups, .vlan]')" = '[["0290009C$TS2"],25]' ]

J0=$T_SCRATCH/nonce.jar
s0=$(portal_service "$J0")
code=$(pcurl -o /dev/null -w '%{http_code}' "$s0&ticket=$(cas_ticket test2 test "$s0")")
check "a callback without the browser's nonce cookie is refused (400)" [ "$code" = 400 ]
code=$(pcurl -b "$J0" -o /dev/null -w '%{http_code}' "$P_URL/cas?n=${s0##*n=}&ticket=ST-<script>")
check "a malformed ticket is refused (400)" [ "$code" = 400 ]
code=$(pcurl -b "$J0" -o "$T_SCRATCH/forged.html" -w '%{http_code}' \
	"$P_URL/cas?n=${s0##*n=}&ticket=ST-1-forgedforgedforged")
check "a forged ticket is refused by CAS and by the portal (403)" [ "$code" = 403 ]
# a ticket issued for another service (a foreign portal) is refused
t=$(cas_ticket test2 test "https://localhost:1/elsewhere")
code=$(pcurl -b "$J0" -o /dev/null -w '%{http_code}' "$P_URL/cas?n=${s0##*n=}&ticket=$t")
check "a ticket issued for another service is refused" [ "$code" = 403 ]

# ---- refused people ----
JP=$T_SCRATCH/parent.jar
code=$(portal_login "$JP" parent1)
check "a parent is refused (403)" [ "$code" = 403 ]
code=$(portal_login "$JP" autre1)
check "a pupil of another school is refused (403)" [ "$code" = 403 ]
check "... and gets no account" \
	[ "$(avecctl account list --json | jq '[.[] | select(.principal == "F2001abc")] | length')" = 0 ]
check "avecd's log says why, politely, without the ticket" \
	grep -q 'login of F2001abc refused: another school' "$LOG"

# ---- registering, CSRF, XSS ----
csrf=$(portal_csrf "$J1")
count() { avecctl device list --json | jq '[.[] | select(.status == "active")] | length'; }
n0=$(count)
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' --data-urlencode "name=x" "$P_URL/devices")
check "adding without the CSRF token is refused (403)" [ "$code" = 403 ]
# the token with its last character changed (to one it is not)
last=${csrf: -1}; [ "$last" = x ] && bad=${csrf%?}y || bad=${csrf%?}x
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$bad" \
	--data-urlencode "name=x" "$P_URL/devices")
check "adding with a wrong CSRF token is refused (403)" [ "$code" = 403 ]
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' -H 'Origin: https://evil.example' \
	--data-urlencode "csrf=$csrf" --data-urlencode "name=x" "$P_URL/devices")
check "adding from another origin is refused (403)" [ "$code" = 403 ]
code=$(pcurl -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	--data-urlencode "name=x" "$P_URL/devices")
check "adding without a session is refused (403)" [ "$code" = 403 ]
check "... and none of these added a device" [ "$(count)" = "$n0" ]
head -c 20000 /dev/zero | tr '\0' a > "$T_SCRATCH/big"
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' --data-binary "@$T_SCRATCH/big" "$P_URL/devices")
check "an oversized form is refused (413)" [ "$code" = 413 ]
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' -A 'Mozilla/5.0 (X11; Linux x86_64)' \
	--data-urlencode "csrf=$csrf" --data-urlencode 'name=<script>alert(1)</script>' \
	-d os=linux "$P_URL/devices")
check "a device named with markup is registered (303)" [ "$code" = 303 ]
pcurl -b "$J1" -o "$T_SCRATCH/devices.html" "$P_URL/devices"
check "its name comes back escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;' "$T_SCRATCH/devices.html"
check "... never as markup" bash -c "! grep -q '<script>' '$T_SCRATCH/devices.html'"
dev1=$(avecctl device list --json | jq -r '[.[] | select(.owner == "F1abc")][0].id')
type1=$(avecctl device list --json | jq -r ".[] | select(.id == $dev1) | .type")
case $type1 in
tls) words1='Connexion par certificat' ;;
*) words1='Connexion par identifiant et mot de passe' ;;
esac
check "the device list names the method in words ($type1: $words1)" grep -q "$words1" "$T_SCRATCH/devices.html"
check "... says \"jamais connecté\" for a device never seen" grep -q 'jamais connecté' "$T_SCRATCH/devices.html"
check "... and no jargon (\"Type $type1\", \"vu jamais\")" \
	bash -c "! grep -Eq 'Type (tls|ttls|peap|psk)|vu jamais' '$T_SCRATCH/devices.html'"
check "... and offers \"Installer à nouveau\" and \"Retirer\" for it" \
	bash -c "grep -q 'action=\"/devices/reinstall\"' '$T_SCRATCH/devices.html' &&
		grep -q '>Installer à nouveau</button>' '$T_SCRATCH/devices.html' &&
		grep -q '>Retirer</button>' '$T_SCRATCH/devices.html'"
pcurl -b "$J1" -c "$T_SCRATCH/en.jar" -L -o "$T_SCRATCH/devices-en.html" "$P_URL/lang?l=en&next=/devices"
check "... in English too (\"never connected\", \"Signs in with\", \"Install again\")" \
	bash -c "grep -q 'never connected' '$T_SCRATCH/devices-en.html' &&
		grep -q 'Signs in with' '$T_SCRATCH/devices-en.html' &&
		grep -q '>Install again</button>' '$T_SCRATCH/devices-en.html'"

# the focus outline against the backgrounds it is drawn on (WCAG 2.1
# 1.4.11: 3:1); the header's links have a focus colour of their own
pcurl -o "$T_SCRATCH/style.css" "$P_URL/style.css"
ratios=$(python3 - "$T_SCRATCH/style.css" <<'PY'
import re, sys
css = open(sys.argv[1]).read()
def lum(h):
    if len(h) == 4:                     # #rgb
        h = "#" + "".join(x * 2 for x in h[1:])
    c = [int(h[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    c = [x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]
def ratio(a, b):
    a, b = lum(a), lum(b)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)
focus = re.search(r"(?:^|\})\s*:focus\{outline:\d+px solid (#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1)
hfocus = re.search(r"header :focus\{outline-color:(#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1)
bg = {"body": re.search(r"body\{[^}]*background:(#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1),
      "card": re.search(r"\.card\{[^}]*background:(#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1),
      "notice": re.search(r"\.notice\{background:(#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1),
      "ok": re.search(r"\.ok\{background:(#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1)}
head = re.search(r"header\{background:(#[0-9a-f]{6}|#[0-9a-f]{3})", css).group(1)
r = {k: ratio(focus, v) for k, v in bg.items()}
r["header"] = ratio(hfocus, head)
print(" ".join("%s=%.2f" % (k, v) for k, v in sorted(r.items())))
print("min=%.2f" % min(r.values()))
PY
)
check "the focus outline has 3:1 or more on every background ($(head -n 1 <<<"$ratios"))" \
	python3 -c "import sys; sys.exit(not float('$(sed -n 's/^min=//p' <<<"$ratios")') >= 3)"
check "... and is no longer #e07b00 (2.75:1 on the page)" bash -c "! grep -qi 'e07b00' '$T_SCRATCH/style.css'"

# downloads: once, to their owner, never guessed
pcurl -b "$J1" -o "$T_SCRATCH/ready.html" "$P_URL/devices/ready?id=$dev1"
tok=$(grep -o 'data-kind="eap-config" href="/dl/[^"]*"' "$T_SCRATCH/ready.html" | head -n 1 | sed 's/.*\/dl\///; s/"$//')
J2=$T_SCRATCH/bob.jar
check "a second pupil logs in" [ "$(portal_login "$J2" test2)" = 303 ]
code=$(pcurl -b "$J2" -o /dev/null -w '%{http_code}' "$P_URL/dl/$tok")
check "another user's download link is refused (410)" [ "$code" = 410 ]
code=$(pcurl -b "$J2" -o /dev/null -w '%{http_code}' "$P_URL/devices/ready?id=$dev1")
check "another user's ready page is refused (410)" [ "$code" = 410 ]
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' "$P_URL/dl/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
check "a guessed download link is refused (410)" [ "$code" = 410 ]
pcurl -b "$J1" -D "$H" -o "$T_SCRATCH/one.eap-config" "$P_URL/dl/$tok"
check "the owner downloads the eap-config once" grep -q '^HTTP/1.1 200' "$H"
check "... served no-store, as an attachment" \
	bash -c "grep -qi '^Cache-Control: no-store' '$H' && grep -qi '^Content-Disposition: attachment' '$H'"
check "... a well-formed eap-config" xmllint --noout "$T_SCRATCH/one.eap-config"
xsd_check "... and it validates against the EAP metadata schema" "$T_SCRATCH/one.eap-config"
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' "$P_URL/dl/$tok")
check "the same link a second time is refused (410)" [ "$code" = 410 ]

# install again: a confirmation first, then a fresh credential, the old one revoked
status_of() { avecctl device list --json | jq -r ".[] | select(.id == $1) | .status"; }
user_of() { avecctl device list --json | jq -r ".[] | select(.id == $1) | .username"; }
csrf2=$(portal_csrf "$J2")
code=$(pcurl -b "$J2" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf2" \
	-d "id=$dev1" -d confirm=1 "$P_URL/devices/reinstall")
check "installing another user's device again is refused (404)" [ "$code" = 404 ]
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' -d "id=$dev1" -d confirm=1 "$P_URL/devices/reinstall")
check "installing again without the CSRF token is refused (403)" [ "$code" = 403 ]
check "... and the device stays active" [ "$(status_of "$dev1")" = active ]
code=$(pcurl -b "$J1" -o "$T_SCRATCH/reinstall.html" -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	-d "id=$dev1" "$P_URL/devices/reinstall")
check "\"Installer à nouveau\" first asks (200, a confirmation page)" \
	bash -c "[ $code = 200 ] && grep -q '<h1>Installer à nouveau ?</h1>' '$T_SCRATCH/reinstall.html'"
check "... naming the device, escaped" grep -q '<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>' "$T_SCRATCH/reinstall.html"
check "... saying the old profile will be revoked" grep -q 'ancien sera révoqué' "$T_SCRATCH/reinstall.html"
check "... with a confirming form (CSRF, id, confirm=1)" \
	bash -c "grep -q 'name=\"confirm\" value=\"1\"' '$T_SCRATCH/reinstall.html' &&
		grep -q 'name=\"id\" value=\"$dev1\"' '$T_SCRATCH/reinstall.html' &&
		grep -q 'name=\"csrf\" value=\"$csrf\"' '$T_SCRATCH/reinstall.html'"
check "... and asking has changed nothing" [ "$(status_of "$dev1")" = active ]
olduser=$(user_of "$dev1")
olddev=$dev1
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code} %{redirect_url}' --data-urlencode "csrf=$csrf" \
	-d "id=$dev1" -d confirm=1 -d os=windows "$P_URL/devices/reinstall")
dev1b=$(sed -n 's|.*/devices/ready?id=\([0-9]*\)$|\1|p' <<<"$code")
check "the confirmed POST installs it again (303 to a new ready page: $code)" \
	bash -c "[ -n '$dev1b' ] && [ '$dev1b' != '$dev1' ] && [ '${code%% *}' = 303 ]"
check "... the old device (its credential) is revoked" [ "$(status_of "$dev1")" = revoked ]
check "... the new one is active, same owner, name and type, a new username" \
	[ "$(avecctl device list --json | jq -r ".[] | select(.id == ${dev1b:-0}) | \"\(.status) \(.owner) \(.type)\"")|$(user_of "${dev1b:-0}" | grep -vx "$olduser")" = "active F1abc $type1|$(user_of "${dev1b:-0}")" ]
pcurl -b "$J1" -o "$T_SCRATCH/ready2.html" "$P_URL/devices/ready?id=$dev1b"
check "... its ready page offers fresh downloads, for the system chosen (Windows)" \
	bash -c "grep -q 'data-kind=\"windows\" href=\"/dl/' '$T_SCRATCH/ready2.html' &&
		grep -q 'Installer sur Windows' '$T_SCRATCH/ready2.html'"
check "... and says where the CA file is: above" \
	bash -c "grep -q 'ci-dessus' '$T_SCRATCH/ready2.html' && ! grep -q 'fichier ci-dessous' '$T_SCRATCH/ready2.html'"
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' "$P_URL/devices/ready?id=$olddev")
check "... and the old device's ready page and files are gone (410)" [ "$code" = 410 ]
n=$(avecctl audit list --json | jq '[.[] | select(.action == "portal device reinstall" and .outcome == "ok")] | length')
check "the audit trail records the reinstall, from the portal" [ "$n" = 1 ]
check "... and the new device's add, replacing the old one" \
	bash -c "avecctl audit list --json | jq -e '.[] | select(.action == \"portal device add\" and (.detail | test(\"replacing device $dev1\$\")))' >/dev/null"
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	-d "id=$dev1" -d confirm=1 "$P_URL/devices/reinstall")
check "the revoked device cannot be installed again (404)" [ "$code" = 404 ]
dev1=$dev1b

# another user's device
code=$(pcurl -b "$J2" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf2" \
	-d "id=$dev1" -d confirm=1 "$P_URL/devices/remove")
check "removing another user's device is refused (404)" [ "$code" = 404 ]
check "... and it stays active" [ "$(status_of "$dev1")" = active ]
code=$(pcurl -b "$J1" -o "$T_SCRATCH/confirm.html" -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	-d "id=$dev1" "$P_URL/devices/remove")
check "\"Retirer\" first asks (200, a confirmation page)" \
	bash -c "[ $code = 200 ] && grep -q '<h1>Retirer cet appareil ?</h1>' '$T_SCRATCH/confirm.html'"
check "... naming the device, escaped" grep -q '<strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>' "$T_SCRATCH/confirm.html"
check "... with a way back to the list" grep -q '<a href="/devices">Annuler</a>' "$T_SCRATCH/confirm.html"
check "... and asking has not revoked it" [ "$(status_of "$dev1")" = active ]
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' -d "id=$dev1" -d confirm=1 "$P_URL/devices/remove")
check "a confirmed removal without the CSRF token is refused (403)" [ "$code" = 403 ]
check "... and it stays active" [ "$(status_of "$dev1")" = active ]
code=$(pcurl -b "$J1" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" \
	-d "id=$dev1" -d confirm=1 "$P_URL/devices/remove")
check "its owner confirms the removal (303)" [ "$code" = 303 ]
check "... and it is revoked" [ "$(status_of "$dev1")" = revoked ]
n=$(avecctl audit list --json | jq '[.[] | select(.origin == "avecd portal 127.0.0.1" and .action == "portal device remove")] | length')
check "the audit trail records the removal, from the portal (the other user's stopped before the engine)" [ "$n" = 1 ]

# ---- redirects and methods ----
check "the language switch keeps a local path" \
	[ "$(pcurl -o /dev/null -w '%{redirect_url}' "$P_URL/lang?l=en&next=/devices")" = "$P_URL/devices" ]
for next in //evil.example 'https://evil.example/' '/\evil.example' '%2F%2Fevil.example'; do
	check "no open redirect through next=$next" \
		[ "$(pcurl -o /dev/null -w '%{redirect_url}' "$P_URL/lang?l=en&next=$next")" = "$P_URL/" ]
done
# location NEXT : the exact Location header /lang?next=NEXT answers with
location() {
	pcurl -D - -o /dev/null "$P_URL/lang?l=en&next=$1" |
		sed -n 's/^[Ll]ocation: //p' | sed 's/\r$//'
}
check "the Location of a local path is that path" [ "$(location /devices/ready)" = /devices/ready ]
# browsers drop tab, CR, LF from a URL and read "\" as "/": each of these
# would be //evil.example, another site; so would their encoded forms
for next in /%09/evil.example /%0b/evil.example /%0B/evil.example /%0a/evil.example \
	/%0d%0a/evil.example %09//evil.example /%0c/evil.example /%01/evil.example \
	/%1f/evil.example /%7f/evil.example /%5c/evil.example /%5C%5Cevil.example \
	/%2F/evil.example /%252F/evil.example /%2509/evil.example /%250b/evil.example \
	/%25252F/evil.example '/%E2%80%8B/evil.example' '/%EF%BC%8F/evil.example' \
	'http:evil.example' 'javascript:alert(1)' '/devices%0d%0aSet-Cookie:%20x=1'; do
	check "no open redirect through next=$next (Location: /)" [ "$(location "$next")" = / ]
done
check "an unknown page is 404" [ "$(pcurl -o /dev/null -w '%{http_code}' "$P_URL/nope")" = 404 ]
check "a wrong method is 405" \
	[ "$(pcurl -b "$J1" -X PUT -o /dev/null -w '%{http_code}' "$P_URL/devices")" = 405 ]
code=$(pcurl -b "$J1" -D "$H" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$csrf" "$P_URL/logout")
check "log out (303) clears the cookie" \
	bash -c "[ $code = 303 ] && grep -qi '^Set-Cookie: avec_session=;.*Max-Age=0' '$H'"
check "... and the old session no longer works" \
	[ "$(pcurl -b "$J1" -o /dev/null -w '%{redirect_url}' "$P_URL/devices")" = "$P_URL/" ]

# ---- login flooding ----
J3=$T_SCRATCH/flood.jar
s3=$(portal_service "$J3")
codes=""
for _ in $(seq 1 60); do
	codes="$codes $(pcurl -b "$J3" -o /dev/null -w '%{http_code}' "$P_URL/cas?n=${s3##*n=}&ticket=ST-flood")"
done
check "a login flood from one address is cut off (429)" grep -q 429 <<<"$codes"
# the admin API has a bucket of its own: a class logging in behind the
# school's one NAT address does not lock the administrators out
code=$(curl -s --cacert "$P_CA_FILE" -o /dev/null -w '%{http_code}' \
	-H 'Authorization: Bearer avt_nothing' -d arg=policy -d arg=list "$P_ADMIN/v1/avecctl")
check "... and the admin API still answers that address (401, not 429)" [ "$code" = 401 ]

# ---- slow clients ----
# a client that connects and says nothing is dropped after client_timeout
# (3 s here), and others are served meanwhile
python3 - "$P_PORT" > "$T_SCRATCH/slow.out" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(20)
t = time.time()
s.send(b"\x16\x03\x01")          # the start of a TLS record, then nothing
try:
    while s.recv(100):
        pass
except OSError:
    pass
print(round(time.time() - t, 1))
PY
slow=$!
sleep 0.5
code=$(pcurl -o /dev/null -w '%{http_code}' --max-time 3 "$P_URL/")
check "a slow client does not hold the portal up (200 meanwhile)" [ "$code" = 200 ]
wait "$slow"
secs=$(cat "$T_SCRATCH/slow.out")
check "a silent client is dropped after the client timeout (${secs} s)" \
	python3 -c "import sys; sys.exit(not 2.5 <= float('$secs') <= 8)"
# a client that trickles its request, one byte a second over TLS, is
# never silent for client_timeout (3 s); request_timeout (6 s) bounds the
# whole request.  It sends for at most 30 s; "30+" means never dropped.
python3 - "$P_PORT" "$P_CA_FILE" > "$T_SCRATCH/trickle.out" <<'PY'
import select, socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))))
t = time.time()
req = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200
dropped = None
for c in req:
    try:
        s.send(bytes([c]))
        if select.select([s], [], [], 1.0)[0] and s.recv(100) == b"":
            dropped = time.time() - t
    except (OSError, ssl.SSLError):
        dropped = time.time() - t
    if dropped is not None or time.time() - t > 30:
        break
print(round(dropped, 1) if dropped is not None else "30+")
PY
secs=$(cat "$T_SCRATCH/trickle.out")
check "a trickling TLS client is dropped at the request deadline (${secs} s)" \
	python3 -c "import sys; sys.exit(not 5 <= float('$secs') <= 16)"
check "... and avecd's log says so" grep -q 'did not send its request within 6 s: dropped' "$LOG"
# at most 32 connections per address on the plain-http probe listener, as
# on HTTPS: the 33rd from 127.0.0.1 is closed at once, the first 32 stay
python3 - "$P_HTTP_PORT" > "$T_SCRATCH/perip.out" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
time.sleep(0.5)
extra = socket.create_connection(("127.0.0.1", port))
extra.settimeout(5)
try:
    refused = extra.recv(100) == b""
except ConnectionResetError:
    refused = True
except socket.timeout:
    refused = False
open_ = 0
for s in held:
    s.settimeout(0.05)
    try:
        open_ += s.recv(100) != b""
    except socket.timeout:
        open_ += 1
    except OSError:
        pass
print("refused" if refused else "kept", open_)
PY
check "32 probe connections from one address are kept, the 33rd refused ($(cat "$T_SCRATCH/perip.out"))" \
	[ "$(cat "$T_SCRATCH/perip.out")" = "refused 32" ]
# (204: this address registered a device above)
probe_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$P_HTTP/generate_204")" = 204 ]; }
check "... and once they are gone, the probes answer again" wait_for 10 probe_answers

# ---- a device without 802.1X: a Wi-Fi key of its own ----
# teachers may register one (psk in their policy), pupils may not
avecctl policy set teacher --vlan 30 --max-devices 3 --creds ttls,psk >/dev/null
JT=$T_SCRATCH/prof.jar
check "a teacher logs in" [ "$(portal_login "$JT" prof1)" = 303 ]
pcurl -b "$JT" -o "$T_SCRATCH/tdev.html" "$P_URL/devices"
check "psk allowed: the form offers a device without 802.1X, with a MAC field" \
	sh -c "grep -qF 'name=\"kind\" value=\"psk\"> Appareil sans 802.1X (console, TV…)' '$T_SCRATCH/tdev.html' &&
		grep -qF '<input id=\"mac\" name=\"mac\"' '$T_SCRATCH/tdev.html' &&
		grep -qF 'AVEC-Objets' '$T_SCRATCH/tdev.html'"
csrft=$(portal_csrf "$JT")
# addpsk JAR CSRF NAME MAC OUT : the form's POST of a PSK device; prints the status
addpsk() {
	pcurl -b "$1" -D "$H" -o "$5" -w '%{http_code}' --data-urlencode "csrf=$2" \
		--data-urlencode "name=$3" -d kind=psk --data-urlencode "mac=$4" -d os=other "$P_URL/devices"
}
npsk() { avecctl device list --json | jq '[.[] | select(.status == "active" and .type == "psk")] | length'; }
for bad in 01:00:5e:00:00:01 ff:ff:ff:ff:ff:ff 00:00:00:00:00:00 02:00:00:00:zz:01 02:00:00:00:01 ''; do
	code=$(addpsk "$JT" "$csrft" "Console" "$bad" "$T_SCRATCH/badmac.html")
	check "a PSK device with MAC '$bad' is refused (400, with a clear message)" \
		sh -c "[ '$code' = 400 ] && grep -q 'Adresse MAC invalide' '$T_SCRATCH/badmac.html'"
done
check "... and none is registered" [ "$(npsk)" = 0 ]
code=$(addpsk "$JT" "$csrft" "Console du CDI" 02-A5-EC-00-00-51 /dev/null)
loc=$(awk 'tolower($1) == "location:" { print $2 }' "$H" | tr -d '\r')
check "a PSK device registers (303 to its page)" \
	sh -c "[ '$code' = 303 ] && echo '$loc' | grep -q '^/devices/ready?id=[0-9]*$'"
pid=${loc##*id=}
check "... through the engine: a psk device with its MAC, in one form" \
	[ "$(avecctl device list --json | jq -r ".[] | select(.id == ${pid:-0}) | \"\(.type) \(.mac) \(.status)\"")" = "psk 02:a5:ec:00:00:51 active" ]
pcurl -b "$JT" -D "$H" -o "$T_SCRATCH/psk.html" "$P_URL/devices/ready?id=$pid"
dd() { xmllint --html --xpath "string(//dd[@id='$1'])" "$T_SCRATCH/psk.html" 2>/dev/null; }
key=$(dd v-psk)
stored=$(sqlite3 -batch -readonly "$R_DB" "SELECT psk FROM credentials WHERE device_id = ${pid:-0}")
check "the one-time page shows the device's key" sh -c "[ -n '$key' ] && [ '$key' = '$stored' ]"
check "... the PSK network and the MAC" sh -c "[ '$(dd v-psk-ssid)' = AVEC-Objets ] && [ '$(dd v-mac)' = 02:a5:ec:00:00:51 ]"
check "... a QR code (SVG) of the network and key" \
	grep -q '<svg[^>]*role="img"' "$T_SCRATCH/psk.html"
check "... the QR code's text: WIFI:T:WPA;S:AVEC-Objets;P:<key>;;" [ "$(dd v-wifi)" = "WIFI:T:WPA;S:AVEC-Objets;P:$key;;" ]
check "... says it is shown once" grep -q "ne s'affiche qu'une fois" "$T_SCRATCH/psk.html"
check "... marked no-store" grep -qi '^Cache-Control: no-store' "$H"
code=$(pcurl -b "$JT" -o "$T_SCRATCH/psk2.html" -w '%{http_code}' "$P_URL/devices/ready?id=$pid")
check "the page a second time: gone (410), without the key" \
	sh -c "[ '$code' = 410 ] && ! grep -qF -- '$key' '$T_SCRATCH/psk2.html'"
pcurl -b "$JT" -o "$T_SCRATCH/tdev.html" "$P_URL/devices"
check "the device list says \"clé Wi-Fi\" with its MAC, and no key" \
	sh -c "xmllint --html --xpath 'string(//li[@id=\"device-$pid\"])' '$T_SCRATCH/tdev.html' 2>/dev/null |
		grep -q 'Connexion par clé Wi-Fi.*adresse MAC 02:a5:ec:00:00:51' && ! grep -qF -- '$key' '$T_SCRATCH/tdev.html'"
code=$(addpsk "$JT" "$csrft" "Autre console" 02:a5:ec:00:00:51 "$T_SCRATCH/taken.html")
check "the same MAC for another device: refused (409), saying why" \
	sh -c "[ '$code' = 409 ] && grep -q 'Cette adresse MAC est déjà celle d' '$T_SCRATCH/taken.html' && [ '$(npsk)' = 1 ]"
# the access point's MAC query (hostapd, macaddr_acl=2) gets that key
start_radiusd -f || fail "freeradius starts"
{
	printf 'User-Name = "02a5ec000051"\nUser-Password = "02a5ec000051"\n'
	printf 'Calling-Station-Id = "02-A5-EC-00-00-51"\nNAS-Port-Type = Wireless-802.11\n'
	printf 'Message-Authenticator = 0x00\n'
} | rad_send pskportal
check "RADIUS: the access point's MAC query is accepted with that key (Tunnel-Password)" \
	sh -c "[ '$(rad_code pskportal)' = Access-Accept ] && [ '$(rad_attr pskportal Tunnel-Password)' = '\"$key\"' ]"
stop_radiusd
check "the key is nowhere in avecd's log" sh -c "[ -n '$key' ] && ! grep -qF -- '$key' '$LOG'"
# a pupil's policy has no psk: no such choice, and a forged POST is refused
pcurl -b "$J2" -o "$T_SCRATCH/sdev.html" "$P_URL/devices"
check "psk not in the policy: the form has no PSK choice" \
	sh -c "grep -q 'Ajouter un appareil\|nombre maximal' '$T_SCRATCH/sdev.html' && ! grep -q 'value=\"psk\"\|name=\"mac\"' '$T_SCRATCH/sdev.html'"
code=$(addpsk "$J2" "$(portal_csrf "$J2")" "Console" 02:a5:ec:00:00:52 "$T_SCRATCH/forged.html")
check "... and a forged POST of a PSK device is refused (403)" \
	sh -c "[ '$code' = 403 ] && grep -q 'sans 802.1X' '$T_SCRATCH/forged.html' && [ '$(npsk)' = 1 ]"

# ---- secrets and privileges ----
sid=$(awk '$6 == "avec_session" { print $7 }' "$J2" | tail -n 1)
check "no session id in avecd's log" bash -c "[ -n '$sid' ] && ! grep -qF '$sid' '$LOG'"
check "no ticket in avecd's log" bash -c "! grep -q 'ST-[A-Za-z0-9]' '$LOG'"
child=$(sed -n 's/.*portal is process \([0-9]*\).*/\1/p' "$LOG" | head -n 1)
if [ "$(id -u)" = 0 ]; then
	check "the portal process runs as nobody" \
		[ "$(awk '/^Uid:/ { print $2 }' "/proc/$child/status")" = "$(id -u nobody)" ]
	check "... with no handle on the store" bash -c "! ls -l /proc/$child/fd | grep -q 'avec.db'"
	check "... unable to read the CA key" \
		bash -c "! setpriv --reuid=nobody --regid=nogroup --clear-groups cat '$R_CA/ca.key' >/dev/null 2>&1"
	check "... and with no_new_privs" grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$child/status"
fi
kill -KILL "$P_PID"
# gone, or a zombie waiting for a reaper that is not ours
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:[[:space:]]*Z' "/proc/$1/status"; }
check "the portal process ends with its engine" wait_for 5 gone "$child"
check "no sanitizer report in avecd's log" \
	bash -c "! grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' '$LOG'"
finish
