#!/bin/bash
# t_acme.sh - the portal's certificate from an ACME CA, on loopback:
# Debian's pebble (the ACME test server) with its own configuration, its
# HTTP-01 validations sent to avecd's plain-HTTP door (pebble's httpPort)
# and the portal's name answered 127.0.0.1 by pebble-challtestsrv's DNS;
# avecd with portal.acme_dir; /usr/lib/avec/acme (dehydrated --register
# --accept-terms, then --cron) with a configuration like the one
# `avecctl provision` renders, curl trusting pebble's own certificate.
# Checks: the challenge door's refusals (bad tokens, traversal, a planted
# link, FIFO or directory, other methods) and a planted answer served as
# text/plain; a certificate for the portal's name, issued by pebble, put
# in place as portal.pem and .key by the hook (modes), avecd serving it
# once restarted (its issuer, and a client that trusts only pebble's
# root); the challenge directory empty afterwards; no private key in any
# log.  Every process is stopped by its pid (common.sh).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/radius.sh"
. "$(dirname "$0")/../lib/cas.sh"
. "$(dirname "$0")/../lib/portal.sh"
need pebble pebble-challtestsrv dehydrated openssl curl ss
radius_setup
# no CAS server is needed: nothing logs in through the portal
CAS_URL=https://127.0.0.1:9/cas
CAS_CA_FILE=$R_CA/ca.pem
HOST=wifi.avec.test
ACME_BIN=$AVEC_TOP/images/rootfs/usr/lib/avec/acme
HOOK=$AVEC_TOP/images/rootfs/usr/lib/avec/acme-hook

# /etc/avec and /var/lib/avec of this run
ETC=$T_SCRATCH/etc
VAR=$T_SCRATCH/var
WK=$VAR/acme-challenge
mkdir -p "$ETC/acme" "$VAR"
P_ACME_DIR=$WK P_CERT=$ETC/portal.pem P_KEY=$ETC/portal.key
export P_ACME_DIR P_CERT P_KEY
mkdir -p "$WK"
chmod 0755 "$WK"
portal_start || { fail "avecd starts"; finish; }
ok "avecd starts with portal.acme_dir"
LOG=$T_SCRATCH/avecd.log
CH=$P_HTTP/.well-known/acme-challenge

# ---- the challenge door ----
tok=LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0
printf '%s.thumbprint' "$tok" > "$WK/$tok"
chmod 0644 "$WK/$tok"
H=$T_SCRATCH/headers
body=$(curl -s -D "$H" "$CH/$tok")
check "a challenge file is served (200)" grep -q '^HTTP/1.1 200' "$H"
check "... as it is" [ "$body" = "$tok.thumbprint" ]
check "... as text/plain" grep -qi '^Content-Type: text/plain' "$H"
check "... the engine read it, and says so" grep -q "ACME challenge $tok answered" "$LOG"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$CH/$tok")
check "HEAD is answered too (200)" [ "$code" = 200 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$CH/$tok")
check "POST is not (404)" [ "$code" = 404 ]
ln -s /etc/passwd "$WK/planted_link"
mkfifo "$WK/planted_fifo"
mkdir "$WK/planted_dir"
head -c 2048 /dev/zero | tr '\0' a > "$WK/too_big"
long=$(head -c 129 /dev/zero | tr '\0' A)
bad_ok=0 bad_n=0
for path in nothing planted_link planted_fifo planted_dir too_big \
	../../../../etc/passwd ..%2f..%2fetc%2fpasswd %2e%2e a.b "a%20b" "$long" \
	"$tok/x" ""; do
	bad_n=$((bad_n + 1))
	r=$(curl -s --path-as-is --max-time 5 -o "$T_SCRATCH/bad.out" -w '%{http_code}' "$CH/$path")
	if [ "$r" = 404 ] && ! grep -q 'root:' "$T_SCRATCH/bad.out"; then
		bad_ok=$((bad_ok + 1))
	else
		echo "# $CH/$path: $r"
	fi
done
check "every bad token, traversal, link, FIFO, directory or oversized file: 404 ($bad_ok of $bad_n)" \
	[ "$bad_ok" = "$bad_n" ]
code=$(curl -s -o /dev/null -w '%{http_code}' "$P_HTTP/generate_204")
check "the probes still answer beside it (302 to the portal)" [ "$code" = 302 ]
rm -rf "${WK:?}"/*

# ---- pebble, its DNS, and the portal's name ----
A=$T_SCRATCH/pebble
mkdir -p "$A"
(
	set -e
	umask 077
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$A/tls.key" -out "$A/tls.pem" -days 2 \
		-subj "/CN=pebble on loopback" \
		-addext subjectAltName=IP:127.0.0.1,DNS:localhost
	chmod 0644 "$A/tls.pem"
) >"$A/pki.log" 2>&1 || { fail "pebble's TLS pair"; finish; }
PEBBLE_PORT=$(free_port tcp)
PEBBLE_MGMT=$(free_port tcp)
PEBBLE_TLS=$(free_port tcp)
DNS_PORT=$(free_port udp)
CTS_MGMT=$(free_port tcp)
cat > "$A/pebble.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$PEBBLE_PORT",
    "managementListenAddress": "127.0.0.1:$PEBBLE_MGMT",
    "certificate": "$A/tls.pem",
    "privateKey": "$A/tls.key",
    "httpPort": $P_HTTP_PORT,
    "tlsPort": $PEBBLE_TLS,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
EOF
# every name is 127.0.0.1 (no AAAA: avecd listens on IPv4 loopback)
spawn challtestsrv pebble-challtestsrv -dns01 "127.0.0.1:$DNS_PORT" \
	-http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$CTS_MGMT" \
	-defaultIPv4 127.0.0.1 -defaultIPv6 ""
# no artificial sleeps and no rejected nonces: a test, not a rehearsal
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_VA_ALWAYS_VALID=0 \
	spawn pebble pebble -config "$A/pebble.json" -dnsserver "127.0.0.1:$DNS_PORT"
wait_for 10 curl -sf --cacert "$A/tls.pem" "https://127.0.0.1:$PEBBLE_PORT/dir" ||
	{ fail "pebble answers (see $T_SCRATCH/pebble.log)"; tail -n 5 "$T_SCRATCH/pebble.log" | sed 's/^/#   /'; finish; }
ok "pebble and its DNS start on loopback"

# ---- dehydrated through /usr/lib/avec/acme, configured as rendered ----
cat > "$ETC/acme/config" <<EOF
# as render_acme.c writes it, with this run's CA and folders
CA='https://127.0.0.1:$PEBBLE_PORT/dir'
CHALLENGETYPE=http-01
WELLKNOWN=$WK
BASEDIR=$VAR/acme
DOMAINS_TXT=$ETC/acme/domains.txt
KEY_ALGO=prime256v1
RENEW_DAYS=30
CONTACT_EMAIL='informatique@avec.test'
HOOK=$HOOK
EOF
printf '# the portal'"'"'s name\n%s\n' "$HOST" > "$ETC/acme/domains.txt"
# avecd reads the pair at start: the hook asks for a restart, the test
# does it (by pid)
cat > "$T_SCRATCH/restart" <<EOF
#!/bin/sh
touch "$T_SCRATCH/restart.asked"
EOF
chmod 0755 "$T_SCRATCH/restart"
old_fp=$(openssl x509 -in "$ETC/portal.pem" -noout -fingerprint -sha256)
AVEC_ACME_CONFIG=$ETC/acme/config AVEC_ACME_ETC=$ETC \
	AVEC_ACME_RESTART=$T_SCRATCH/restart CURL_CA_BUNDLE=$A/tls.pem \
	timeout 120 "$ACME_BIN" >"$T_SCRATCH/acme.log" 2>&1
rc=$?
check "/usr/lib/avec/acme: registered, then a certificate (exit 0)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || tail -n 15 "$T_SCRATCH/acme.log" | sed 's/^/#   /'
check "... the account registered with --accept-terms" \
	bash -c "ls '$VAR'/acme/accounts/*/registration_info.json >/dev/null 2>&1"
check "... pebble validated HTTP-01 through avecd's door" \
	bash -c "grep -E 'ACME challenge [A-Za-z0-9_-]+ answered' '$LOG' | grep -vq '$tok'"
check "the hook installed a new portal.pem" \
	[ "$(openssl x509 -in "$ETC/portal.pem" -noout -fingerprint -sha256)" != "$old_fp" ]
check "... for the portal's name" \
	bash -c "openssl x509 -in '$ETC/portal.pem' -noout -ext subjectAltName | grep -q 'DNS:$HOST'"
check "... issued by pebble" \
	bash -c "openssl x509 -in '$ETC/portal.pem' -noout -issuer | grep -q Pebble"
check "... with its chain (the full chain: two certificates at least)" \
	[ "$(grep -c 'BEGIN CERTIFICATE' "$ETC/portal.pem")" -ge 2 ]
check "... and its key, which matches it" \
	[ "$(openssl pkey -in "$ETC/portal.key" -pubout | sha256sum)" = "$(openssl x509 -in "$ETC/portal.pem" -noout -pubkey | sha256sum)" ]
check "... modes 0644 and 0640" \
	[ "$(stat -c %a "$ETC/portal.pem") $(stat -c %a "$ETC/portal.key")" = "644 640" ]
check "... no half-written file left beside them" \
	bash -c "! ls -A '$ETC' | grep -q '^\.portal'"
check "... and asked for avecd's restart" [ -e "$T_SCRATCH/restart.asked" ]
check "the challenge directory is empty afterwards" [ -z "$(ls -A "$WK")" ]

# ---- avecd restarted serves it ----
portal_stop
cp "$LOG" "$T_SCRATCH/avecd-before.log.txt"
spawn avecd "$AVECD" -d -f "$P_CONF"
P_PID=$PID_avecd
wait_for 10 curl -sk -o /dev/null "$P_URL/" || { fail "avecd starts again"; finish; }
curl -sf --cacert "$A/tls.pem" "https://127.0.0.1:$PEBBLE_MGMT/roots/0" > "$A/root.pem"
issuer=$(openssl s_client -connect "127.0.0.1:$P_PORT" -servername "$HOST" </dev/null 2>/dev/null |
	openssl x509 -noout -issuer 2>/dev/null)
echo "# avecd's certificate now: $issuer"
check "avecd serves the new certificate (s_client: issuer Pebble)" grep -q 'Pebble' <<<"$issuer"
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$A/root.pem" \
	--resolve "$HOST:$P_PORT:127.0.0.1" "https://$HOST:$P_PORT/")
check "a client trusting only pebble's root opens https://$HOST/ (200)" [ "$code" = 200 ]

# a second run: nothing to renew, nothing replaced
fp=$(openssl x509 -in "$ETC/portal.pem" -noout -fingerprint -sha256)
rm -f "$T_SCRATCH/restart.asked"
AVEC_ACME_CONFIG=$ETC/acme/config AVEC_ACME_ETC=$ETC \
	AVEC_ACME_RESTART=$T_SCRATCH/restart CURL_CA_BUNDLE=$A/tls.pem \
	timeout 60 "$ACME_BIN" >"$T_SCRATCH/acme2.log" 2>&1
rc=$?
check "a second run keeps the certificate (exit 0, unchanged, no restart)" \
	bash -c "[ $rc = 0 ] && [ \"\$(openssl x509 -in '$ETC/portal.pem' -noout -fingerprint -sha256)\" = '$fp' ] && [ ! -e '$T_SCRATCH/restart.asked' ]"

# ---- no private key in any log ----
leaks=$(grep -l 'PRIVATE KEY' "$T_SCRATCH"/*.log "$T_SCRATCH"/*.log.txt 2>/dev/null)
keyline=$(sed -n 2p "$ETC/portal.key")
[ -n "$keyline" ] && leaks="$leaks$(grep -lF -- "$keyline" "$T_SCRATCH"/*.log "$T_SCRATCH"/*.log.txt 2>/dev/null)"
check "no private key text in any log (avecd, pebble, dehydrated)" [ -z "$leaks" ]
[ -z "$leaks" ] || echo "# in: $leaks"
finish
