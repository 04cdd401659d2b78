# shellcheck shell=bash
# tests/lib/radius.sh - a real FreeRADIUS with rlm_avec, and real clients.
#
# Sourced after common.sh by tests/radius/t_*.sh (and later by the 802.1X
# tests).  It renders AVEC's FreeRADIUS template (plugins/raddb) into the
# script's scratch directory, makes a store and an appliance CA with
# avecctl, starts `freeradius -X` or `-f` in the foreground through spawn,
# and drives it with eapol_test (EAP-TTLS/PAP, PEAP/MSCHAPv2, EAP-TLS) and
# radclient.  Everything listens on 127.0.0.1, on ports from free_port, with
# a shared secret made for this run.
#
# What crossed the wire is read from the clients, not from the server:
# eapol_test dumps every RADIUS message it receives (attribute numbers and
# hex values), radclient -x prints the attributes it decoded.  The clients'
# own output holds secrets (they are the device), so it stays in the
# scratch directory and is never printed; only the parsed facts are.
#
# Main variables (set by radius_setup):
#   R_DIR R_RADDB R_DB R_CA R_LOGDIR R_RUNDIR  paths under $T_SCRATCH
#   R_SECRET                                   client shared secret
#   R_AUTH_PORT R_ACCT_PORT                    UDP ports on 127.0.0.1
#   R_PID                                      the running server, if any

R_HOST=127.0.0.1
RLM_AVEC_SO=${RLM_AVEC_SO:-$AVEC_BUILD/plugins/rlm_avec.so}

# radius_need : skip without the programs, fail without our build
radius_need() {
	need freeradius eapol_test radclient jq openssl cc
	local f
	for f in "$RLM_AVEC_SO" "$AVECCTL" "$AVEC_BUILD/lib/libavec.a"; do
		[ -e "$f" ] || { echo "not ok - $f is built (run make)"; exit 1; }
	done
}

# render_raddb DEST KEY=VALUE... : copy plugins/raddb into DEST and replace
# every @KEY@; fails naming any placeholder left without a value.
render_raddb() {
	local dest=$1; shift
	local src=$AVEC_TOP/plugins/raddb f kv content rest rc=0
	local re='@[A-Z_]+@'
	while IFS= read -r f; do
		[ -d "$dest/${f%/*}" ] || mkdir -p "$dest/${f%/*}" || return 1
		content=$(<"$src/$f")
		for kv in "$@"; do
			# quoted replacement: no '&' expansion (bash 5.2)
			content=${content//"@${kv%%=*}@"/"${kv#*=}"}
		done
		rest=$content
		while [[ $rest =~ $re ]]; do
			echo "render_raddb: ${f#./}: no value for ${BASH_REMATCH[0]}" >&2
			rest=${rest//"${BASH_REMATCH[0]}"/}
			rc=1
		done
		(umask 027; printf '%s\n' "$content" > "$dest/$f")
	done < <(cd "$src" && find . -type f ! -name '*~' | sort)
	return $rc
}

# radius_render [DEST] : render with this run's values (default $R_RADDB)
radius_render() {
	render_raddb "${1:-$R_RADDB}" \
		"RADDB=${1:-$R_RADDB}" "LIBDIR=$(dirname "$RLM_AVEC_SO")" \
		"DB=$R_DB" "CERTDIR=$R_CA" "LOGDIR=$R_LOGDIR" \
		"RUNDIR=$R_RUNDIR" "AUTH_PORT=$R_AUTH_PORT" \
		"ACCT_PORT=$R_ACCT_PORT" "SECRET=$R_SECRET" \
		"LISTEN_ADDR=$R_HOST" "CLIENT_ADDR=$R_HOST"
}

# avecctl ARGS... : the admin CLI on this run's store and CA.  Its output
# (which can hold a device secret) goes to stdout for the caller to parse;
# its errors go to $T_SCRATCH/avecctl.err.
avecctl() {
	# where the server runs (R_NETNS), so that a NAS's DAS on that
	# namespace's loopback is reachable for Disconnect-Requests
	r_exec "$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" "$@" 2>>"$T_SCRATCH/avecctl.err"
}

# radius_setup : store, CA, secret, ports, rendered configuration
radius_setup() {
	radius_need
	R_DIR=$T_SCRATCH/radius
	R_RADDB=$R_DIR/raddb
	R_DB=$R_DIR/avec.db
	R_CA=$R_DIR/ca
	R_LOGDIR=$R_DIR/log
	R_RUNDIR=$R_DIR/run
	R_CREDS=$R_DIR/creds
	R_SECRETS=$R_DIR/secrets.list	# every secret of this run, for scans
	mkdir -p "$R_DIR" "$R_LOGDIR" "$R_RUNDIR" "$R_CREDS" || return 1
	R_SECRET=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
	echo "$R_SECRET" > "$R_SECRETS"
	R_AUTH_PORT=$(free_port udp)
	R_ACCT_PORT=$(free_port udp)
	while [ "$R_ACCT_PORT" = "$R_AUTH_PORT" ]; do R_ACCT_PORT=$(free_port udp); done
	R_PID=
	avecctl init >/dev/null || { echo "not ok - avecctl init"; exit 1; }
	avecctl ca init --server-name radius.avec.test >/dev/null ||
		{ echo "not ok - avecctl ca init"; exit 1; }
	radius_render "$R_RADDB" || { echo "not ok - render the FreeRADIUS template"; exit 1; }
	reasons_build
}

# reasons_build : a tiny program that prints libavec's reason table, so that
# tests compare Reply-Message with the library's own words.
reasons_build() {
	cat > "$T_SCRATCH/reasons.c" <<'EOF'
#include <stdio.h>
#include "avec/policy.h"
int main(void)
{
	for (int r = 0; r < AVEC_REASON__COUNT; r++)
		printf("%s\t%s\n", avec_reason_code(r), avec_reason_text(r));
	return 0;
}
EOF
	# shellcheck disable=SC2046 # pkg-config prints several words
	if ! cc -std=gnu11 -I"$AVEC_TOP/lib" -o "$T_SCRATCH/reasons" "$T_SCRATCH/reasons.c" \
		"$AVEC_BUILD/lib/libavec.a" $(pkg-config --libs sqlite3 openssl) -lpthread ||
		! "$T_SCRATCH/reasons" > "$R_DIR/reasons.tsv"; then
		echo "not ok - build the reason table"; exit 1
	fi
}

# reason_text CODE : libavec's Reply-Message text for a reason code
reason_text() {
	awk -F'\t' -v c="$1" '$1 == c { print $2; f = 1 } END { exit !f }' "$R_DIR/reasons.tsv"
}

# radius_alive : the server answers a Status-Server on the auth port
radius_alive() {
	printf 'Message-Authenticator = 0x00\n' |
		r_exec radclient -r 1 -t 1 "$R_HOST:$R_AUTH_PORT" status "$R_SECRET" 2>&1 |
		grep -q '^Received Access-Accept'
}

# r_exec CMD... : run CMD where the server runs: in namespace $R_NETNS
# when that is set (tests/lib/netns.sh), else right here
r_exec() {
	if [ -n "${R_NETNS:-}" ]; then
		ip netns exec "$R_NETNS" "$@"
	else
		"$@"
	fi
}

# start_radiusd [-X|-f] : start the server in the foreground; -X (default)
# writes its debug trace to $T_SCRATCH/radiusd.log, -f logs to
# $R_LOGDIR/radius.log only.  Waits until the port answers.
start_radiusd() {
	local mode=${1:--X}
	local n=150
	local ns=()
	# spawn must see the program itself, so that R_PID is the server's
	[ -n "${R_NETNS:-}" ] && ns=(ip netns exec "$R_NETNS")
	spawn radiusd "${ns[@]}" freeradius "$mode" -d "$R_RADDB"
	# shellcheck disable=SC2154 # set by spawn
	R_PID=$PID_radiusd
	while ! radius_alive; do
		n=$((n - 1))
		kill -0 "$R_PID" 2>/dev/null && [ $n -gt 0 ] && { sleep 0.1; continue; }
		echo "# freeradius did not answer; end of its output:"
		tail -n 20 "$T_SCRATCH/radiusd.log" "$R_LOGDIR/radius.log" 2>/dev/null | sed 's/^/#   /'
		return 1
	done
}

stop_radiusd() {
	[ -n "$R_PID" ] && stop_pid "$R_PID"
	R_PID=
}

# ---- store helpers ----------------------------------------------------

# account_add PRINCIPAL ROLE
account_add() {
	avecctl account add "$1" --role "$2" >/dev/null
}

# device_add VAR PRINCIPAL TYPE [NAME [ARGS...]] : register a device (ARGS
# go to avecctl: --mac for psk); sets VAR_id, VAR_user, VAR_username, and
# VAR_secret (ttls/peap), VAR_cert VAR_key VAR_serial (tls) or VAR_psk
# VAR_mac (psk).  The secret or key is remembered in $R_SECRETS, never
# printed.
device_add() {
	local var=$1 who=$2 type=$3 name=${4:-$1} json k
	json=$(avecctl device add "$who" --name "$name" --type "$type" \
		--out "$R_CREDS" "${@:5}" --json) || return 1
	for k in id username secret cert key serial psk mac; do
		printf -v "${var}_${k}" '%s' "$(printf '%s' "$json" | jq -r ".$k // empty")"
	done
	printf -v "${var}_user" '%s' "$(printf '%s' "$json" | jq -r '.username')"
	local s="${var}_secret" p="${var}_psk"
	[ -n "${!s}" ] && echo "${!s}" >> "$R_SECRETS"
	[ -n "${!p}" ] && echo "${!p}" >> "$R_SECRETS"
	local i="${var}_id"
	[ -n "${!i}" ]
}

# ---- accounting bursts --------------------------------------------------

# acct_burst TAG SIGNAL [GONE_WAIT] : 2,000 Accounting-Request Starts
# (Acct-Session-Id TAG-NNNNN), 100 in flight, to the running server
# (R_PID), which gets SIGNAL after 1,000 acknowledgements (tests/lib/burst.py).
# Sets BURST_SENT, BURST_ACKED (the acknowledged ids are in
# $T_SCRATCH/acked-TAG), BURST_MS (the whole burst) and BURST_EXIT_MS (how
# long the server took to exit after the signal; -1 if it had not within
# GONE_WAIT seconds, default 10).  Leaves the server to the caller.
# shellcheck disable=SC2034 # BURST_*: read by the caller
acct_burst() {
	local tag=$1 sig=$2 wait=${3:-10} t0 t1 res
	t0=$(date +%s%N)
	res=$(python3 "$AVEC_TOP/tests/lib/burst.py" "$R_HOST" "$R_ACCT_PORT" \
		"$R_SECRET" 2000 100 "$tag" "$R_PID" "$sig" 1000 \
		"$T_SCRATCH/acked-$tag" "$wait")
	t1=$(date +%s%N)
	BURST_MS=$(( (t1 - t0) / 1000000 ))
	read -r _ BURST_SENT _ BURST_ACKED _ BURST_EXIT_MS <<<"$res"
	BURST_SENT=${BURST_SENT:-0} BURST_ACKED=${BURST_ACKED:-0} BURST_EXIT_MS=${BURST_EXIT_MS:--1}
}

# acct_burst_tally TAG : once the server is stopped, compare the
# acknowledged ids of acct_burst TAG with the store: sets BURST_STORED
# (records of TAG in the store) and BURST_MISSING (acknowledged, not
# stored: must be 0)
# shellcheck disable=SC2034 # BURST_*: read by the caller
acct_burst_tally() {
	local tag=$1
	sqlite3 -readonly "$R_DB" \
		"SELECT acct_session_id FROM sessions WHERE acct_session_id LIKE '$tag-%'" \
		| sort > "$T_SCRATCH/stored-$tag"
	BURST_STORED=$(wc -l < "$T_SCRATCH/stored-$tag")
	BURST_MISSING=$(sort "$T_SCRATCH/acked-$tag" | comm -23 - "$T_SCRATCH/stored-$tag" | wc -l)
}

# ---- eapol_test ---------------------------------------------------------

# eapol_conf_ttls FILE USER SECRET / eapol_conf_peap FILE USER SECRET /
# eapol_conf_tls FILE CERT KEY : a supplicant profile like the one a device
# gets (the appliance CA pinned, anonymous outer identity)
eapol_conf_ttls() {
	cat > "$1" <<EOF
network={
	key_mgmt=IEEE8021X
	eap=TTLS
	anonymous_identity="anonymous"
	identity="$2"
	password="$3"
	ca_cert="$R_CA/ca.pem"
	phase2="auth=PAP"
}
EOF
}
eapol_conf_peap() {
	cat > "$1" <<EOF
network={
	key_mgmt=IEEE8021X
	eap=PEAP
	anonymous_identity="anonymous"
	identity="$2"
	password="$3"
	ca_cert="$R_CA/ca.pem"
	phase1="peapver=0"
	phase2="auth=MSCHAPV2"
}
EOF
}
eapol_conf_tls() {
	cat > "$1" <<EOF
network={
	key_mgmt=IEEE8021X
	eap=TLS
	identity="anonymous"
	ca_cert="$R_CA/ca.pem"
	client_cert="$2"
	private_key="$3"
}
EOF
}

# eapol_run NAME CONF : one authentication; the client's log goes to
# $T_SCRATCH/eapol-NAME.log and the last RADIUS message it received,
# parsed, to $T_SCRATCH/eapol-NAME.reply (see eapol_reply).  Returns
# eapol_test's status (0 only on EAP success with keys).
eapol_run() {
	local name=$1 conf=$2 rc
	eapol_test -c "$conf" -a "$R_HOST" -p "$R_AUTH_PORT" -s "$R_SECRET" \
		-t 10 > "$T_SCRATCH/eapol-$name.log" 2>&1
	rc=$?
	eapol_reply "$T_SCRATCH/eapol-$name.log" > "$T_SCRATCH/eapol-$name.reply"
	return $rc
}

# eapol_auth NAME KIND ARGS... : write the profile for KIND (ttls, peap,
# tls) and run it
eapol_auth() {
	local name=$1 kind=$2; shift 2
	"eapol_conf_$kind" "$T_SCRATCH/eapol-$name.conf" "$@"
	eapol_run "$name" "$T_SCRATCH/eapol-$name.conf"
}

# eapol_reply LOG : the last RADIUS message eapol_test received, as lines
# "code N" then "ATTR VALUE" (attribute number, eapol_test's rendering:
# hex for most types, 'text' for strings), in wire order.
eapol_reply() {
	awk '
	function flush() { if (pend != "") { blk = blk pend "\n"; pend = "" } }
	/^Received RADIUS message$/ { inmsg = 1; blk = ""; pend = ""; next }
	inmsg && /^RADIUS message: code=/ {
		c = $3; sub(/^code=/, "", c); blk = "code " c "\n"; next }
	inmsg && /^   Attribute [0-9]+ / { flush(); pend = $2; next }
	inmsg && /^      Value: / {
		v = $0; sub(/^      Value: /, "", v); pend = pend " " v; flush(); next }
	inmsg { flush(); inmsg = 0; last = blk }
	END { flush(); if (inmsg) last = blk; printf "%s", last }
	' "$1"
}

# The parsed reply of eapol_run NAME:
#   reply_code NAME          the RADIUS code (2 Accept, 3 Reject, 11 Challenge)
#   reply_count NAME ATTR    how many ATTR attributes
#   reply_value NAME ATTR    their values, one a line
#   reply_mppe_count NAME    how many MS-MPPE-Send/Recv-Key (vendor 311)
reply_code() { awk '$1 == "code" { print $2 }' "$T_SCRATCH/eapol-$1.reply"; }
reply_count() { awk -v a="$2" '$1 == a { n++ } END { print n + 0 }' "$T_SCRATCH/eapol-$1.reply"; }
reply_value() { awk -v a="$2" '$1 == a { sub(/^[0-9]+ /, ""); print }' "$T_SCRATCH/eapol-$1.reply"; }
reply_mppe_count() {
	awk '$1 == 26 && $2 ~ /^00000137(10|11)/ { n++ } END { print n + 0 }' \
		"$T_SCRATCH/eapol-$1.reply"
}
# The EAP code eapol_test last decapsulated from the server (3 Success, 4 Failure)
eap_last_code() {
	sed -n 's/^decapsulated EAP packet (code=\([0-9]*\) .*/\1/p' \
		"$T_SCRATCH/eapol-$1.log" | tail -n 1
}

# expect_accept NAME VLAN [SESSION_TIMEOUT] : one check per fact about the
# Access-Accept of eapol_run NAME
expect_accept() {
	local n=$1 vlan=$2 st=${3:-} hex
	hex=$(printf '%s' "$vlan" | xxd -p)
	check "$n: Access-Accept" [ "$(reply_code "$n")" = 2 ]
	check "$n: Tunnel-Type = VLAN (13), exactly once" \
		[ "$(reply_value "$n" 64)" = 0000000d ]
	check "$n: Tunnel-Medium-Type = IEEE-802 (6), exactly once" \
		[ "$(reply_value "$n" 65)" = 00000006 ]
	check "$n: Tunnel-Private-Group-Id = \"$vlan\", exactly once" \
		[ "$(reply_value "$n" 81)" = "$hex" ]
	check "$n: EAP-Success and two MPPE keys" \
		[ "$(eap_last_code "$n")" = 3 -a "$(reply_mppe_count "$n")" = 2 ]
	if [ -n "$st" ]; then
		check "$n: Session-Timeout = $st, exactly once" \
			[ "$(reply_value "$n" 27)" = "$st" ]
	else
		check "$n: no Session-Timeout" [ "$(reply_count "$n" 27)" = 0 ]
	fi
}

# expect_reject NAME REASON_CODE : the Access-Reject of eapol_run NAME says
# libavec's text for REASON_CODE, carries an EAP-Failure, and nothing of
# an accept (no VLAN, no keys)
expect_reject() {
	local n=$1 code=$2 text
	text=$(reason_text "$code") || { fail "$n: reason $code is known to libavec"; return; }
	check "$n: Access-Reject" [ "$(reply_code "$n")" = 3 ]
	check "$n: Reply-Message = \"$text\", exactly once" \
		[ "$(reply_value "$n" 18)" = "'$text'" ]
	check "$n: EAP-Failure, no VLAN attributes, no MPPE keys" \
		[ "$(eap_last_code "$n")" = 4 -a "$(reply_count "$n" 64)$(reply_count "$n" 65)$(reply_count "$n" 81)" = 000 \
		  -a "$(reply_mppe_count "$n")" = 0 ]
}

# ---- radclient ------------------------------------------------------------

# rad_send NAME < ATTRIBUTES : one Access-Request (radclient's input format),
# output in $T_SCRATCH/radclient-NAME.log.  Returns radclient's status.
rad_send() {
	radclient -x -r 1 -t 3 "$R_HOST:$R_AUTH_PORT" auth "$R_SECRET" \
		> "$T_SCRATCH/radclient-$1.log" 2>&1
}
# rad_code NAME : "Access-Accept", "Access-Reject" or "none"
rad_code() {
	local c
	c=$(sed -n 's/^Received \(Access-[A-Za-z]*\) Id .*/\1/p' "$T_SCRATCH/radclient-$1.log" | tail -n 1)
	echo "${c:-none}"
}
# rad_attr NAME ATTR : the values of ATTR in the received reply, one a line
rad_attr() {
	awk -v a="$2" '
	/^Received / { r = 1; next }
	/^[^\t]/ { r = 0 }
	r && /^\t/ { l = $0; sub(/^\t/, "", l); n = l; sub(/ = .*/, "", n); sub(/:[0-9]+$/, "", n)
		if (n == a) { sub(/^[^=]*= /, "", l); print l } }
	' "$T_SCRATCH/radclient-$1.log"
}
