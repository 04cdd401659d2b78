#!/bin/bash
# tests/portal/t_browser.sh - the headless browser the portal tests drive
# (tests/lib/browser.py), against small pages on loopback: a form, a
# redirect chain that sets a cookie, a download, a phone-sized screenshot,
# HTTPS signed by a throwaway CA made here (and refused when signed by
# another), a User-Agent change, clear errors and timeouts.  Then: no
# chromium or chromedriver process the test started outlives it, whether
# the browser was closed or its Python process got SIGTERM.
#
# The checks themselves run in tests/portal/browser_selftest.py; this
# script makes the certificates, replays its results and checks the
# recorded process ids.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

need python3 openssl
[ -x /usr/bin/chromedriver ] || skip "chromedriver is not installed (make deps)"
[ -x /usr/lib/chromium/chromium ] || [ -x /usr/bin/chromium ] ||
	skip "chromium is not installed (make deps)"

SELFTEST=$AVEC_TOP/tests/portal/browser_selftest.py
export PYTHONDONTWRITEBYTECODE=1
D=$T_SCRATCH

# ca NAME : a throwaway CA; leaf NAME CA : a server certificate for
# portail.avec.test signed by CA, its file holding the CA after the leaf
ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$D/$1.key" -out "$D/$1.pem" -days 2 -subj "/CN=AVEC test $1" \
		-addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign 2>>"$D/openssl.log"
}
leaf() {
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$D/$1.key" -out "$D/$1.csr" -subj "/CN=portail.avec.test" \
		2>>"$D/openssl.log" &&
	printf 'subjectAltName=DNS:portail.avec.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$D/$1.ext" &&
	openssl x509 -req -in "$D/$1.csr" -CA "$D/$2.pem" -CAkey "$D/$2.key" \
		-CAcreateserial -days 2 -extfile "$D/$1.ext" -out "$D/$1.crt" \
		2>>"$D/openssl.log" &&
	cat "$D/$1.crt" "$D/$2.pem" >"$D/$1.pem"
}
if ca ca && ca other && leaf portal ca && leaf rogue other; then
	ok "throwaway CAs and server certificates"
else
	fail "throwaway CAs and server certificates: $(tail -n 3 "$D/openssl.log")"
fi

# survivors FILE : the recorded "pid start-time" lines whose process still runs
survivors() {
	local pid start now
	while read -r pid start; do
		[ -r "/proc/$pid/stat" ] || continue
		now=$(sed -E 's/^.*\) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $20, $1}')
		[ "${now%% *}" = "$start" ] && [ "${now#* }" != Z ] && echo "$pid"
	done <"$1"
}

# --------------------------------------------------------------- the checks
python3 "$SELFTEST" run "$D" >"$D/run.out" 2>"$D/run.err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) fail "${line#not ok - }" ;;
	esac
done <"$D/run.out"
[ $rc -eq 0 ] || fail "browser_selftest.py run exited $rc: $(tail -n 5 "$D/run.err")"

if [ -s "$D/pids.run" ]; then
	n=$(wc -l <"$D/pids.run")
	left=$(survivors "$D/pids.run" | tr '\n' ' ')
	if [ "$n" -ge 2 ] && [ -z "$left" ]; then
		ok "none of the $n recorded driver/browser processes survives"
	else
		fail "processes left after the run: ${left:-none} ($n recorded)"
	fi
else
	fail "the run recorded no process ids"
fi

# ------------------------------------------------- SIGTERM to the Python side
spawn hold python3 "$SELFTEST" hold "$D"
if wait_for 25 test -s "$D/pids.hold"; then
	# shellcheck disable=SC2154 # PID_hold is set by spawn
	stop_pid "$PID_hold"
	sleep 0.2
	n=$(wc -l <"$D/pids.hold")
	left=$(survivors "$D/pids.hold" | tr '\n' ' ')
	if [ "$n" -ge 2 ] && [ -z "$left" ]; then
		ok "SIGTERM to the test process stops its $n driver/browser processes"
	else
		fail "processes left after SIGTERM: ${left:-none} ($n recorded)"
	fi
else
	fail "the held browser did not start: $(tail -n 5 "$T_SCRATCH/hold.log")"
fi

# whatever is still there is stopped by its recorded pid, never by name
for f in "$D/pids.run" "$D/pids.hold"; do
	[ -s "$f" ] || continue
	for pid in $(survivors "$f"); do kill -KILL "$pid" 2>/dev/null; done
done
finish
