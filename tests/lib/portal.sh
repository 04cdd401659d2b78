# shellcheck shell=bash
# tests/lib/portal.sh - avecd (portal + engine) on loopback, in front of
# the test CAS server (tests/lib/cas.sh) and on the store and CA of the
# RADIUS harness (tests/lib/radius.sh).
#
# Sourced after common.sh, radius.sh and cas.sh; call radius_setup and
# cas_start first.  portal_start writes a configuration, a portal
# certificate from a throw-away CA (cas_pki), and starts avecd through
# spawn, so common.sh stops it by process id.  When the tests run as
# root, the portal process drops to "nobody", as it drops to its own user
# on the appliance.
#
# Optional, set before portal_start: P_ACME_DIR (portal.acme_dir), P_CERT
# and P_KEY (where the portal's pair is installed and read from).
#
# Variables set by portal_start:
#   P_URL        https://127.0.0.1:PORT, the portal
#   P_HTTP       http://127.0.0.1:PORT, the captive-portal probes
#   P_CA_FILE    the PEM a client must trust for the portal
#   P_ADMIN      https://127.0.0.1:PORT, the admin API (tokens)
#   P_SOCK       the admin API's local socket
#   P_CONF       the configuration file
#   P_PID        avecd's (the engine's) process id

AVECD=${AVECD:-$AVEC_BUILD/bin/avecd}

# portal_conf FILE [KEY=VALUE...] : avecd's configuration for this run
portal_conf() {
	local f=$1
	cat > "$f" <<-EOF
		school:
		  uai: 0290009C
		  name: "Lycée de l'Iroise"
		portal:
		  url: $P_URL
		  listen: 127.0.0.1:$P_PORT
		  http_listen: 127.0.0.1:$P_HTTP_PORT
		  certificate: ${P_CERT:-$P_DIR/pki/server.pem}
		  key: ${P_KEY:-$P_DIR/pki/server.key}
		  user: nobody
		  support_url: https://aide.avec.test/wifi
		  login_burst: ${P_LOGIN_BURST:-50}
		  client_timeout: ${P_CLIENT_TIMEOUT:-15}
		cas:
		  url: $CAS_URL
		  ca_file: $CAS_CA_FILE
		  timeout_ms: ${P_CAS_TIMEOUT:-3000}
		wifi:
		  ssid: AVEC
		  onboarding_ssid: AVEC-Bienvenue
		  psk_ssid: AVEC-Objets
		  method: ${P_METHOD:-tls}
		radius:
		  server_name: radius.avec.test
		  realm: avec.test
		store:
		  database: $R_DB
		  ca_dir: $R_CA
		  user: ""
		admin:
		  socket: $P_DIR/admin.sock
		  listen: 127.0.0.1:$P_ADMIN_PORT
		  avecctl: ${AVECCTL}
		schedule:
		  purge_at: "${P_PURGE_AT:-03:30}"
		  ent_import_dir: "${P_ENT_DIR:-}"
	EOF
	# only when asked: avecd's default otherwise (docs/avecd.md)
	if [ -n "${P_REQUEST_TIMEOUT:-}" ]; then
		sed -i "/^  client_timeout:/a\\  request_timeout: $P_REQUEST_TIMEOUT" "$f"
	fi
	if [ -n "${P_ACME_DIR:-}" ]; then
		sed -i "/^  http_listen:/a\\  acme_dir: $P_ACME_DIR" "$f"
	fi
}

# portal_ports : fresh loopback ports for the portal, its probes and API
portal_ports() {
	P_PORT=$(free_port tcp)
	P_HTTP_PORT=$(free_port tcp)
	while [ "$P_HTTP_PORT" = "$P_PORT" ]; do P_HTTP_PORT=$(free_port tcp); done
	P_ADMIN_PORT=$(free_port tcp)
	while [ "$P_ADMIN_PORT" = "$P_PORT" ] || [ "$P_ADMIN_PORT" = "$P_HTTP_PORT" ]; do
		P_ADMIN_PORT=$(free_port tcp)
	done
	P_URL=https://127.0.0.1:$P_PORT
	P_HTTP=http://127.0.0.1:$P_HTTP_PORT
	P_ADMIN=https://127.0.0.1:$P_ADMIN_PORT
}

# portal_start : configuration, certificate, avecd; waits for HTTPS.  A
# port taken by another program between the choice and the bind is
# retried with new ones (up to 3 times).
portal_start() {
	local try
	[ -x "$AVECD" ] || { echo "# $AVECD is not built"; return 1; }
	P_DIR=$T_SCRATCH/portal
	mkdir -p "$P_DIR/pki" || return 1
	P_SOCK=$P_DIR/admin.sock
	cas_pki "$P_DIR/pki" || { echo "# portal certificate: see $P_DIR/pki/pki.log"; return 1; }
	# the chain a browser pins: the server certificate, then its CA
	cat "$P_DIR/pki/server.pem" "$P_DIR/pki/ca.pem" > "$P_DIR/pki/chain.pem"
	# the pair where the test wants it (P_CERT, P_KEY: /etc/avec/portal.pem
	# and .key on the appliance), from the same throw-away CA
	if [ -n "${P_CERT:-}" ]; then
		install -m 0644 "$P_DIR/pki/server.pem" "$P_CERT" &&
			install -m 0600 "$P_DIR/pki/server.key" "$P_KEY" || return 1
	fi
	P_CA_FILE=$P_DIR/pki/ca.pem
	P_CONF=$P_DIR/avecd.yaml
	for try in 1 2 3; do
		portal_ports
		portal_conf "$P_CONF"
		# the portal process, once it drops to nobody, reads nothing more
		"$AVECD" -n -f "$P_CONF" >/dev/null || { echo "# avecd -n refused the configuration"; return 1; }
		spawn avecd "$AVECD" -d -f "$P_CONF"
		# shellcheck disable=SC2154 # set by spawn
		P_PID=$PID_avecd
		wait_for 10 curl -sf --cacert "$P_CA_FILE" -o /dev/null "$P_URL/" && return 0
		if [ "$try" -lt 3 ] && grep -q 'Address already in use' "$T_SCRATCH/avecd.log"; then
			stop_pid "$P_PID"
			cp "$T_SCRATCH/avecd.log" "$T_SCRATCH/avecd.log.$try"
			continue
		fi
		break
	done
	echo "# avecd did not answer; end of its log:"
	tail -n 20 "$T_SCRATCH/avecd.log" | sed 's/^/#   /'
	return 1
}

portal_stop() {
	[ -n "${P_PID:-}" ] && stop_pid "$P_PID"
	P_PID=
}

# ---- a browser-less client (curl), for protocol and attack tests ----

# pcurl ARGS... : curl trusting only the portal's test CA
pcurl() {
	curl -s --proto '=https,http' --cacert "$P_CA_FILE" "$@"
}

# portal_service JAR : GET /login with cookie jar JAR; prints the service
# URL (with its nonce) that the portal sent to CAS
portal_service() {
	local loc
	loc=$(pcurl -c "$1" -b "$1" -o /dev/null -w '%{redirect_url}' "$P_URL/login") || return 1
	python3 -c 'import sys, urllib.parse as u
q = u.parse_qs(u.urlparse(sys.argv[1]).query)
print(q["service"][0])' "$loc"
}

# portal_login JAR LOGIN [PASSWORD] : the whole login with a fresh nonce;
# prints the HTTP status of the callback (303 when logged in)
portal_login() {
	local jar=$1 login=$2 pw=${3:-test} service t
	service=$(portal_service "$jar") || return 1
	t=$(cas_ticket "$login" "$pw" "$service") || return 1
	pcurl -b "$jar" -c "$jar" -o /dev/null -w '%{http_code}' "$service&ticket=$t"
}

# portal_csrf JAR : the CSRF token of the session in JAR
portal_csrf() {
	pcurl -b "$1" "$P_URL/devices" | grep -o 'name="csrf" value="[^"]*"' |
		head -n 1 | sed 's/.*value="//; s/"$//'
}
