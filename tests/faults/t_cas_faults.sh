#!/bin/bash
# shellcheck disable=SC2154,SC2317,SC2016 # d1_*: set by device_add; spawn sets PID_*; functions run through check; groups hold a literal $
# t_cas_faults.sh - the ENT's CAS server down, slow, or answering garbage.
#
# avecd's portal is pointed at a small HTTPS server on loopback (Python's
# standard library, a throw-away certificate) whose behaviour a file
# chooses for each request: "slow" sleeps far longer than cas.timeout_ms,
# "garbage" answers 200 with a truncated CAS document, "binary" with
# random bytes, "error" with a 500; "down" is the server stopped (the
# connection refused).  For each, a login callback (/cas with the
# browser's nonce and a ticket) gets the portal's clear page within the
# timeout plus a margin: 503 "ENT indisponible" when the ENT does not
# answer, 502 "AVEC n'a pas pu lire la réponse de l'ENT" (not "try again
# later": a retry gets the same answer) when it answered something AVEC
# cannot read; the portal keeps serving; and a device registered earlier
# keeps being accepted by FreeRADIUS.  "nested" answers a success that
# carries a vendor's structured attributes (elements inside elements):
# the pupil is logged in, with the school and class the answer released
# even though her join key names no person of a feed (the login's
# memberships stand until a feed knows her).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
# shellcheck source=tests/lib/cas.sh
. "$(dirname "$0")/../lib/cas.sh"
# shellcheck source=tests/lib/portal.sh
. "$(dirname "$0")/../lib/portal.sh"
need curl jq python3 openssl
radius_setup
account_add eleve.cf student && avecctl policy set student --vlan 20 --max-devices 3 --creds ttls,tls >/dev/null &&
	device_add d1 eleve.cf ttls || { fail "a device registered earlier"; finish; }
start_radiusd -f || { fail "freeradius starts"; finish; }

# the fake CAS
F=$T_SCRATCH/fakecas
mkdir -p "$F"
cas_pki "$F" || { fail "the fake CAS's certificate"; finish; }
cat > "$F/cas.py" <<'PY'
# cas.py PORT DIR : HTTPS on 127.0.0.1:PORT; DIR/mode says how to answer
import http.server, os, ssl, sys, time
port, d = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        mode = open(os.path.join(d, "mode")).read().strip()
        with open(os.path.join(d, "requests"), "a") as f:
            f.write(mode + " " + self.path.split("?")[0] + "\n")
        if mode == "slow":
            time.sleep(8)
            body = b"<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>"
        elif mode == "garbage":
            body = (b"<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>"
                    b"<cas:authenticationSuccess><cas:user>F1ab")
        elif mode == "nested":
            body = (b"<cas:serviceResponse xmlns:cas='http://www.yale.edu/tp/cas'>"
                    b"<cas:authenticationSuccess><cas:user>F9nested</cas:user>"
                    b"<cas:vendorThing><nested>x</nested></cas:vendorThing>"
                    b"<cas:attributes>"
                    b"<cas:vendorThing><nested><deeper a='1'>x</deeper></nested></cas:vendorThing>"
                    b"<cas:ENTPersonProfils>National_ELV</cas:ENTPersonProfils>"
                    b"<cas:ESCOUAI>0290009C</cas:ESCOUAI>"
                    b"<cas:ENTEleveClasses>0290009C$TS2</cas:ENTEleveClasses>"
                    b"<cas:ENTPersonJointure>AC-TEST$99</cas:ENTPersonJointure>"
                    b"</cas:attributes></cas:authenticationSuccess></cas:serviceResponse>")
        elif mode == "binary":
            body = os.urandom(3000)
        elif mode == "error":
            self.send_error(500)
            return
        else:
            body = b"?"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.daemon_threads = True
srv.serve_forever()
PY
FPORT=$(free_port tcp)
echo garbage > "$F/mode"
spawn fakecas python3 "$F/cas.py" "$FPORT" "$F"
FPID=$PID_fakecas
CAS_URL=https://127.0.0.1:$FPORT/cas
CAS_CA_FILE=$F/ca.pem
wait_for 10 curl -s --cacert "$CAS_CA_FILE" -o /dev/null "$CAS_URL/x" || { fail "the fake CAS starts"; finish; }

TIMEOUT_MS=1500
P_CAS_TIMEOUT=$TIMEOUT_MS
portal_start || { fail "avecd starts"; finish; }
ok "avecd starts with cas.timeout_ms = $TIMEOUT_MS"

pap_ok() {
	printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
		"$d1_user" "$d1_secret" | rad_send "$1"
	[ "$(rad_code "$1")" = Access-Accept ]
}

# callback MODE : a login callback with a fresh nonce; sets CODE and MS
callback() {
	local jar=$T_SCRATCH/$1.jar service out
	service=$(portal_service "$jar") || { CODE=none MS=0; return; }
	out=$(pcurl -b "$jar" -o "$T_SCRATCH/$1.html" -w '%{http_code} %{time_total}' --max-time 30 \
		"$service&ticket=ST-1-faultsfaultsfaults$RANDOM")
	CODE=${out%% *}
	MS=$(awk -v t="${out#* }" 'BEGIN { printf "%d", t * 1000 }')
}

# expect MODE CODE WORDS : the page for MODE
expect() {
	local mode=$1 want=$2 words=$3 limit=$((TIMEOUT_MS + 1500))
	[ "$mode" = down ] || echo "$mode" > "$F/mode"
	callback "$mode"
	echo "# $mode: $CODE in $MS ms"
	check "CAS $mode: the portal answers $want" [ "$CODE" = "$want" ]
	check "CAS $mode: ... within timeout + 1.5 s ($MS ms <= $limit ms)" [ "$MS" -le "$limit" ]
	check "CAS $mode: ... with the clear page (\"$words\")" grep -q "$words" "$T_SCRATCH/$mode.html"
	check "CAS $mode: ... which says registered devices keep working" \
		grep -q 'appareils déjà inscrits continuent' "$T_SCRATCH/$mode.html"
	check "CAS $mode: the portal keeps serving" \
		[ "$(pcurl -o /dev/null -w '%{http_code}' --max-time 5 "$P_URL/")" = 200 ]
	check "CAS $mode: a device registered earlier is still accepted" pap_ok "$mode"
}

# unreadable MODE : the page says AVEC could not read the answer, not that
# the ENT is down or that trying again would help
unreadable() {
	check "CAS $1: ... not the ENT-down page" \
		bash -c "! grep -Eq 'ENT indisponible|Réessayez plus tard' '$T_SCRATCH/$1.html'"
}

expect slow 503 'ENT indisponible'
check "the slow server was really asked (p3/serviceValidate)" grep -q '^slow /cas/p3/serviceValidate' "$F/requests"
expect garbage 502 "AVEC n&#39;a pas pu lire la réponse de l&#39;ENT"
unreadable garbage
expect binary 502 "AVEC n&#39;a pas pu lire la réponse de l&#39;ENT"
unreadable binary
echo nested > "$F/mode"
callback nested
check "CAS nested: a success with structured unknown attributes logs in (303)" [ "$CODE" = 303 ]
check "... the account is created, a student" \
	[ "$(avecctl account show F9nested --json | jq -r '"\(.role) \(.status)"')" = "student active" ]
check "... with the school and class of the answer, though its join key is no feed's" \
	[ "$(avecctl account export F9nested | jq -c '[.schools, .groups]')" = '[["0290009C"],["0290009C$TS2"]]' ]
expect error 503 'ENT indisponible'
stop_pid "$FPID"
expect down 503 'ENT indisponible'
check "avecd's log says why, without the ticket" \
	bash -c "grep -q 'CAS unavailable' '$T_SCRATCH/avecd.log' && grep -q 'CAS answer unreadable' '$T_SCRATCH/avecd.log' && ! grep -q 'ST-1-faults' '$T_SCRATCH/avecd.log'"
finish
