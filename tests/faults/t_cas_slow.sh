#!/bin/bash
# shellcheck disable=SC2154 # PID_*: set by spawn
# t_cas_slow.sh - an ENT whose CAS server never answers, and a class
# logging in at once: the portal's pages keep answering.
#
# The fake CAS is a Python listener on loopback that accepts every
# connection and never sends a byte (not even the TLS handshake), so each
# ticket validation waits the whole cas.timeout_ms.  200 login callbacks
# (/cas with the browser's nonce and a ticket each) are started at once:
# 20 curl processes, each from its own loopback address (127.0.0.11 to
# .30: the portal keeps at most 32 connections per address) with 10
# transfers in parallel.  While they wait, the welcome page, /style.css
# and a captive-portal probe, asked from 127.0.0.1, each answer with
# their usual status within 5 s.  Then every login has ended, within the
# CAS timeout plus a margin, on one of the two clear pages: "ENT
# indisponible" (503, the validation timed out) or "Trop de connexions en
# attente" (503, at once: cas.max_pending, 64 by default, logins already
# waited).  Every process is started through spawn and stopped by pid.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
# shellcheck source=tests/lib/cas.sh
. "$(dirname "$0")/../lib/cas.sh"
# shellcheck source=tests/lib/portal.sh
. "$(dirname "$0")/../lib/portal.sh"
need curl python3 openssl
radius_setup

# the CAS that never answers
F=$T_SCRATCH/mutecas
mkdir -p "$F"
cas_pki "$F" || { fail "the fake CAS's certificate"; finish; }
cat > "$F/mute.py" <<'PY'
# mute.py PORT FILE : accept on 127.0.0.1:PORT, never answer; FILE counts
import os, socket, sys
port, count = int(sys.argv[1]), sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(1024)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(count + ".new", "w") as f:
        f.write("%d\n" % len(held))
    os.replace(count + ".new", count)
PY
FPORT=$(free_port tcp)
spawn mutecas python3 "$F/mute.py" "$FPORT" "$F/accepted"
FPID=$PID_mutecas
wait_for 10 python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$FPORT" ||
	{ fail "the fake CAS starts"; finish; }
CAS_URL=https://127.0.0.1:$FPORT/cas
CAS_CA_FILE=$F/ca.pem

TIMEOUT_MS=2000
SLACK_MS=6000
LOGINS=200 ADDRS=20
P_CAS_TIMEOUT=$TIMEOUT_MS
P_LOGIN_BURST=1000
portal_start || { fail "avecd starts"; finish; }
ok "avecd starts with cas.timeout_ms = $TIMEOUT_MS"

# one nonce for every login: each callback brings its own ticket
JAR=$T_SCRATCH/slow.jar
SERVICE=$(portal_service "$JAR")
check "the portal gives a login nonce" [ -n "$SERVICE" ]

# the logins, LOGINS/ADDRS from each address, all in parallel
L=$T_SCRATCH/logins
mkdir -p "$L"
per=$((LOGINS / ADDRS))
pids=()
for i in $(seq 1 "$ADDRS"); do
	spawn "login$i" curl -s --cacert "$P_CA_FILE" --interface "127.0.0.$((10 + i))" \
		-b "$JAR" --no-progress-meter -Z --parallel-immediate --parallel-max "$per" --max-time 40 \
		-o "$L/$i-#1.html" -w '%{http_code} %{time_total}\n' \
		"$SERVICE&ticket=ST-slow$i-[1-$per]"
	pids+=("$(eval echo "\$PID_login$i")")
done
# they wait on the mute CAS
wait_for 15 test -s "$F/accepted"
sleep 1
check "the logins are waiting on the CAS (it holds $(cat "$F/accepted" 2>/dev/null || echo 0) connections)" \
	test -s "$F/accepted"

# forget PID... : processes that ended by themselves, no longer ours to stop
forget() {
	local keep=() p
	for p in "${T_PIDS[@]}"; do
		[[ " $* " == *" $p "* ]] || keep+=("$p")
	done
	T_PIDS=("${keep[@]}")
}

# page URL WANT : the page answers WANT within 5 s while the logins wait
page() {
	local out code ms
	out=$(curl -s --proto '=https,http' --cacert "$P_CA_FILE" -o /dev/null \
		-w '%{http_code} %{time_total}' --max-time 20 "$1")
	code=${out%% *}
	ms=$(awk -v t="${out#* }" 'BEGIN { printf "%d", t * 1000 }')
	echo "# $1 while $LOGINS logins wait: $code in $ms ms"
	check "while $LOGINS logins wait on the ENT, ${1#"$P_URL"} answers $2" [ "$code" = "$2" ]
	check "... within 5 s ($ms ms)" [ "$ms" -le 5000 ]
}
page "$P_URL/" 200
page "$P_URL/style.css" 200
page "$P_HTTP/generate_204" 302

# every login ends, on one of the two clear pages
for p in "${pids[@]}"; do
	wait "$p" 2>/dev/null
done
forget "${pids[@]}"
cat "$T_SCRATCH"/login*.log | grep -E '^[0-9]{3} ' > "$L/all"
answered=$(grep -c '^[0-9]' "$L/all")
timedout=$(grep -l 'ENT indisponible' "$L"/*.html 2>/dev/null | wc -l)
busy=$(grep -l 'Trop de connexions en attente' "$L"/*.html 2>/dev/null | wc -l)
not503=$(awk '$1 != 503' "$L/all" | wc -l)
maxms=$(awk 'BEGIN { m = 0 } { t = $2 * 1000; if (t > m) m = t } END { printf "%d", m }' "$L/all")
limit=$((TIMEOUT_MS + SLACK_MS))
awk '$1 != 503 { print "# not a 503: " $0 }' "$L/all" | head -n 5
echo "# $LOGINS logins: $answered answered, $timedout on the timeout page, $busy on the too-many page, the slowest in $maxms ms"
check "every login got an answer ($answered of $LOGINS)" [ "$answered" = "$LOGINS" ]
check "... each a 503 ($not503 others)" [ "$not503" = 0 ]
check "... each on a clear page: timeout ($timedout) + too many waiting ($busy) = $LOGINS" \
	[ $((timedout + busy)) = "$LOGINS" ]
check "... some waited and timed out" [ "$timedout" -ge 1 ]
check "... some beyond cas.max_pending were turned away at once" [ "$busy" -ge 1 ]
check "... none waited past the CAS timeout + $((SLACK_MS / 1000)) s ($maxms ms <= $limit ms)" \
	[ "$maxms" -le "$limit" ]
check "the too-many page says registered devices keep working" \
	bash -c "grep -l 'Trop de connexions en attente' '$L'/*.html | head -n 1 | xargs grep -q 'appareils déjà inscrits continuent'"
check "the portal still serves its welcome page" \
	[ "$(pcurl -o /dev/null -w '%{http_code}' --max-time 5 "$P_URL/")" = 200 ]
check "avecd's log says why, without a ticket" \
	bash -c "grep -q 'CAS unavailable' '$T_SCRATCH/avecd.log' && grep -q 'turned away' '$T_SCRATCH/avecd.log' && ! grep -q 'ST-slow' '$T_SCRATCH/avecd.log'"

# avecd stopped while logins wait: each is ended and resumed before
# libmicrohttpd stops (it must find no suspended connection)
before=$(cat "$F/accepted")
spawn stoplogins curl -s --cacert "$P_CA_FILE" --interface 127.0.0.31 -b "$JAR" \
	--no-progress-meter -Z --parallel-max 5 --max-time 20 -o /dev/null \
	-w '%{http_code}\n' "$SERVICE&ticket=ST-slowstop-[1-5]"
SPID=$PID_stoplogins
wait_for 10 bash -c "[ \"\$(cat '$F/accepted')\" -gt $before ]"
kill -TERM "$P_PID"
gone=no
for _ in $(seq 1 $((TIMEOUT_MS / 100 + 30))); do
	kill -0 "$P_PID" 2>/dev/null || { gone=yes; break; }
	sleep 0.1
done
check "avecd stops by itself within the CAS timeout + 3 s while logins wait" [ "$gone" = yes ]
portal_stop
check "... without a libmicrohttpd or sanitizer error" \
	bash -c "! grep -Eq 'Fatal error|suspended connections|Sanitizer|runtime error' '$T_SCRATCH/avecd.log'"
ended=no
for _ in $(seq 1 50); do
	kill -0 "$SPID" 2>/dev/null || { ended=yes; break; }
	sleep 0.1
done
check "... and the logins that waited are not left hanging" [ "$ended" = yes ]
reap "$SPID"
forget "$SPID"
stop_pid "$FPID"
rm -rf "$L" "$F" "$JAR"
finish
