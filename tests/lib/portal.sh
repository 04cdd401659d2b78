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
# Variables set by portal_start:
#   P_URL        https://127.0.0.1:PORT, the portal
#   P_HTTP       http://127.0.0.1:PORT, the captive-portal probes
#   P_CA_FILE    the PEM a client must trust for the portal
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
		  certificate: $P_DIR/pki/server.pem
		  key: $P_DIR/pki/server.key
		  user: nobody
		  support_url: https://aide.avec.test/wifi
		cas:
		  url: $CAS_URL
		  ca_file: $CAS_CA_FILE
		  timeout_ms: ${P_CAS_TIMEOUT:-3000}
		wifi:
		  ssid: AVEC
		  onboarding_ssid: AVEC-Bienvenue
		  method: ${P_METHOD:-tls}
		radius:
		  server_name: radius.avec.test
		  realm: avec.test
		store:
		  database: $R_DB
		  ca_dir: $R_CA
	EOF
}

# portal_start : configuration, certificate, avecd; waits for HTTPS
portal_start() {
	[ -x "$AVECD" ] || { echo "# $AVECD is not built"; return 1; }
	P_DIR=$T_SCRATCH/portal
	mkdir -p "$P_DIR/pki" || return 1
	P_PORT=$(free_port tcp)
	P_HTTP_PORT=$(free_port tcp)
	while [ "$P_HTTP_PORT" = "$P_PORT" ]; do P_HTTP_PORT=$(free_port tcp); done
	P_URL=https://127.0.0.1:$P_PORT
	P_HTTP=http://127.0.0.1:$P_HTTP_PORT
	cas_pki "$P_DIR/pki" || { echo "# portal certificate: see $P_DIR/pki/pki.log"; return 1; }
	# the chain a browser pins: the server certificate, then its CA
	cat "$P_DIR/pki/server.pem" "$P_DIR/pki/ca.pem" > "$P_DIR/pki/chain.pem"
	P_CA_FILE=$P_DIR/pki/ca.pem
	P_CONF=$P_DIR/avecd.yaml
	portal_conf "$P_CONF"
	# the portal process, once it drops to nobody, reads nothing more
	"$AVECD" -n -f "$P_CONF" >/dev/null || { echo "# avecd -n refused the configuration"; return 1; }
	spawn avecd "$AVECD" -d -f "$P_CONF"
	# shellcheck disable=SC2154 # set by spawn
	P_PID=$PID_avecd
	if ! wait_for 10 curl -sf --cacert "$P_CA_FILE" -o /dev/null "$P_URL/"; then
		echo "# avecd did not answer; end of its log:"
		tail -n 20 "$T_SCRATCH/avecd.log" | sed 's/^/#   /'
		return 1
	fi
}

portal_stop() {
	[ -n "${P_PID:-}" ] && stop_pid "$P_PID"
	P_PID=
}
