# shellcheck shell=bash
# tests/lib/netns.sh - AVEC's wired 802.1X bench: an access point and a
# station in two network namespaces joined by a veth.
#
# Sourced after tests/lib/common.sh (it uses spawn, netns_add, wait_for and
# the scratch directory).  The access-point namespace holds hostapd
# (driver=wired, the 802.1X authenticator) and, because hostapd talks
# RADIUS to 127.0.0.1, the RADIUS server too (ap_radius_start runs
# tests/lib/radius.sh's server there).  The station namespace holds
# wpa_supplicant -Dwired, one simulated device at a time.
# Nothing here touches the host's own network: every address is loopback
# inside the AP namespace, and the veth lives only between the two
# namespaces.
#
# This host has no 802.1Q and no wireless stack, so hostapd runs without
# dynamic_vlan: the port state (hostapd_cli) and the RADIUS reply dumped in
# hostapd's debug log are what a test asserts, never the supplicant's word.
#
#   netns_pair                      create the namespaces and the veth
#   ns_ap_exec CMD... / ns_sta_exec CMD...
#   hostapd_start [CONF_LINE...]    needs HAPD_AUTH_PORT, HAPD_SECRET
#   hapd_cli CMD...                 hostapd_cli on our control socket
#   hapd_sta_flags MAC              the flags hostapd shows for a station
#   hapd_wait_authorized MAC SECS   wait for [AUTHORIZED]
#   hapd_log_mark                   a mark in hostapd's log, then, for what
#                                   came after it:
#   hapd_radius_reply MARK          Access-Accept / Access-Reject
#   hapd_reply_attr MARK NAME       one attribute of that answer
#   hapd_vlan_since MARK            its VLAN (Tunnel-Private-Group-Id)
#   ap_radius_start [-X|-f]         radius.sh's FreeRADIUS, in the AP side
#                                   (sets R_NETNS for radius.sh)
#   hostapd_start_for_radius        hostapd_start pointed at it
#   hapd_disconnect MAC             a Disconnect-Request to hostapd's DAS
#   supplicant_start NAME MAC PROFILE
#   supplicant_stop NAME [MAC]
#
# Timing: a wired supplicant waits ~2 s (its EAPOL-Start timer) before it
# speaks.  supplicant_start cuts that short the way a Wi-Fi association
# does: once the supplicant is listening, hostapd is told of the new
# station (NEW_STA) and sends the EAP-Request/Identity itself, so an
# accept takes ~0.1 s.  Set NETNS_EAPOL_START=1 to leave it to the
# supplicant's own EAPOL-Start.  A station that left is kept by hostapd
# for 5 s and ignored meanwhile: supplicant_start waits that out when the
# same MAC comes back.  FreeRADIUS delays every reject by 1 s.

# Names are per run, so two runs (or a run and a demo) never collide.
NS_AP=${NS_AP:-avec-ap-$$}
NS_STA=${NS_STA:-avec-sta-$$}
NS_AP_IF=${NS_AP_IF:-avec-ap0}
NS_STA_IF=${NS_STA_IF:-avec-sta0}
HAPD_DIR=$T_SCRATCH/hostapd
HAPD_CTRL=$HAPD_DIR/ctrl
HAPD_LOG=$HAPD_DIR/hostapd.log
HAPD_CONF=$HAPD_DIR/hostapd.conf
HAPD_SECRET=${HAPD_SECRET:-}
HAPD_AUTH_PORT=${HAPD_AUTH_PORT:-}
HAPD_ACCT_PORT=${HAPD_ACCT_PORT:-}
HAPD_DAS_PORT=${HAPD_DAS_PORT:-}
HAPD_DAS_SECRET=${HAPD_DAS_SECRET:-}
SUPP_DIR=$T_SCRATCH/supplicant

ns_ap_exec()  { ip netns exec "$NS_AP" "$@"; }
ns_sta_exec() { ip netns exec "$NS_STA" "$@"; }

# netns_pair : the two namespaces (deleted by common.sh's cleanup) and a
# veth between them, created directly inside them: nothing appears, even
# for a moment, in the host's namespace.
netns_pair() {
	netns_add "$NS_AP" || return 1
	netns_add "$NS_STA" || return 1
	ip link add "$NS_AP_IF" netns "$NS_AP" type veth \
		peer name "$NS_STA_IF" netns "$NS_STA" || return 1
	ip -n "$NS_AP" link set "$NS_AP_IF" up || return 1
	ip -n "$NS_STA" link set "$NS_STA_IF" up || return 1
}

# hostapd_start [CONF_LINE...] : hostapd as a wired 802.1X authenticator in
# the AP namespace, RADIUS on 127.0.0.1 (HAPD_AUTH_PORT, HAPD_SECRET;
# accounting on HAPD_ACCT_PORT when set; a Disconnect/CoA listener on
# HAPD_DAS_PORT for a client on 127.0.0.1 with HAPD_DAS_SECRET when set).
# Extra lines are appended to the configuration.  Debug log (with the
# RADIUS messages dumped) in $HAPD_LOG.  Returns once the control socket
# answers, 1 if hostapd did not come up.
hostapd_start() {
	local line
	if [ -z "$HAPD_AUTH_PORT" ] || [ -z "$HAPD_SECRET" ]; then
		echo "hostapd_start: HAPD_AUTH_PORT and HAPD_SECRET must be set" >&2
		return 1
	fi
	mkdir -p "$HAPD_DIR"
	{
		echo "# AVEC test access point (wired 802.1X authenticator)"
		echo "interface=$NS_AP_IF"
		echo "driver=wired"
		echo "ctrl_interface=$HAPD_CTRL"
		echo "logger_stdout=-1"
		echo "logger_stdout_level=0"
		echo "logger_syslog=0"
		echo "ieee8021x=1"
		echo "eapol_version=2"
		echo "use_pae_group_addr=1"
		echo "eap_server=0"
		echo "eap_reauth_period=0"
		echo "own_ip_addr=127.0.0.1"
		echo "nas_identifier=avec-test-ap"
		echo "auth_server_addr=127.0.0.1"
		echo "auth_server_port=$HAPD_AUTH_PORT"
		echo "auth_server_shared_secret=$HAPD_SECRET"
		if [ -n "$HAPD_ACCT_PORT" ]; then
			echo "acct_server_addr=127.0.0.1"
			echo "acct_server_port=$HAPD_ACCT_PORT"
			echo "acct_server_shared_secret=$HAPD_SECRET"
		fi
		if [ -n "$HAPD_DAS_PORT" ]; then
			echo "radius_das_port=$HAPD_DAS_PORT"
			echo "radius_das_client=127.0.0.1 ${HAPD_DAS_SECRET:-$HAPD_SECRET}"
			echo "radius_das_require_event_timestamp=0"
			echo "radius_das_require_message_authenticator=1"
		fi
		for line in "$@"; do echo "$line"; done
	} >"$HAPD_CONF"
	# -dd: debug with message dumps (the RADIUS attributes of each reply);
	# -t: timestamps.  No -K: key material stays out of the log.
	spawn hostapd ip netns exec "$NS_AP" hostapd -dd -t -f "$HAPD_LOG" "$HAPD_CONF"
	# shellcheck disable=SC2034,SC2154 # PID_hostapd: set by spawn; HAPD_PID: for callers
	HAPD_PID=$PID_hostapd
	if ! wait_for 10 hapd_cli ping; then
		echo "hostapd did not start; end of $HAPD_LOG:" >&2
		tail -n 20 "$HAPD_LOG" "$T_SCRATCH/hostapd.log" >&2 2>/dev/null
		return 1
	fi
}

# hapd_cli CMD... : hostapd_cli against our hostapd
hapd_cli() {
	ns_ap_exec hostapd_cli -p "$HAPD_CTRL" -i "$NS_AP_IF" "$@"
}

# hapd_sta_flags MAC : hostapd's flags line for the station ("" if unknown)
hapd_sta_flags() {
	hapd_cli sta "$1" 2>/dev/null | sed -n 's/^flags=//p'
}

# hapd_authorized MAC : true when hostapd has authorised the port for MAC
hapd_authorized() {
	hapd_sta_flags "$1" | grep -q '\[AUTHORIZED\]'
}

# hapd_unauthorized MAC : hostapd does not authorise MAC (or forgot it)
hapd_unauthorized() {
	! hapd_authorized "$1"
}

# hapd_sta_has MAC TEXT : hostapd's station record for MAC holds TEXT
hapd_sta_has() {
	hapd_cli sta "$1" 2>/dev/null | grep -qF "$2"
}

# hapd_knows MAC / hapd_forgot MAC : whether hostapd has a station entry
hapd_knows() {
	[ "$(hapd_cli sta "$1" 2>/dev/null | head -n 1)" = "$1" ]
}
hapd_forgot() {
	! hapd_knows "$1"
}

# hapd_wait_authorized MAC SECONDS
hapd_wait_authorized() {
	wait_for "$2" hapd_authorized "$1"
}

# hapd_log_since MARK : the part of hostapd's log after byte offset MARK
# (take a mark with hapd_log_mark before an exchange)
hapd_log_mark() { stat -c %s "$HAPD_LOG" 2>/dev/null || echo 0; }
hapd_log_since() { tail -c +"$(( $1 + 1 ))" "$HAPD_LOG"; }

# hapd_reply_attrs MARK : the last Access-Accept or Access-Reject hostapd
# received since MARK, as it dumped it in its debug log: a first line
# "code=Access-Accept", then one "Attribute-Name=value" line per attribute,
# the value as hostapd printed it (text in quotes, else hex).  hostapd
# without dynamic_vlan does not act on the VLAN attributes, but it dumps
# every attribute of every RADIUS message at -dd.
hapd_reply_attrs() {
	hapd_log_since "$1" | awk '
		/RADIUS message: code=/ {
			inmsg = 0
			if ($0 ~ /\((Access-Accept|Access-Reject)\)/) {
				inmsg = 1; n = 0
				c = $0; sub(/.*\(/, "", c); sub(/\).*/, "", c)
				msg[n++] = "code=" c
			}
			next
		}
		inmsg && /^[0-9.]*: *   Attribute [0-9]+ \(/ {
			a = $0; sub(/.*Attribute [0-9]+ \(/, "", a); sub(/\).*/, "", a)
			next
		}
		inmsg && a != "" && /^[0-9.]*: *      Value: / {
			v = $0; sub(/.*      Value: /, "", v)
			msg[n++] = a "=" v; a = ""
			next
		}
		inmsg && !/^[0-9.]*: *   / { inmsg = 0 }
		END { for (i = 0; i < n; i++) print msg[i] }'
}

# hapd_log_since_has MARK TEXT / hapd_log_since_lacks MARK TEXT
hapd_log_since_has() {
	hapd_log_since "$1" | grep -qF "$2"
}
hapd_log_since_lacks() {
	! hapd_log_since_has "$@"
}

# hapd_radius_reply MARK : "Access-Accept", "Access-Reject" or "" for the
# last answer to an authentication that hostapd received since MARK
hapd_radius_reply() {
	hapd_reply_attrs "$1" | sed -n 's/^code=//p'
}

# hapd_has_reply MARK : true once hostapd got an Access-Accept or -Reject
# after MARK
hapd_has_reply() {
	[ -n "$(hapd_radius_reply "$1")" ]
}

# hapd_wait_reply MARK SECONDS : wait for that answer
hapd_wait_reply() {
	wait_for "$2" hapd_has_reply "$1"
}

# hapd_reply_attr MARK NAME : one attribute of that answer, decoded: text
# without its quotes, hex turned into text for the tunnel attributes
# (Tunnel-Private-Group-Id, maybe with a leading tag byte), else as dumped
hapd_reply_attr() {
	local v
	v=$(hapd_reply_attrs "$1" | sed -n "s/^$2=//p" | head -n 1)
	case $v in
	\'*\') v=${v#\'}; v=${v%\'} ;;
	*)
		case $2 in
		Tunnel-Private-Group-Id) v=$(hex_to_text "$v") ;;
		# a tag byte, then a 24-bit value
		Tunnel-Type|Tunnel-Medium-Type) v=$(( 16#$v & 16#ffffff )) ;;
		esac
		;;
	esac
	printf '%s\n' "$v"
}

# hapd_vlan_since MARK : the VLAN id (Tunnel-Private-Group-Id) of the last
# Access-Accept since MARK, "" if there was none or it carried no VLAN
hapd_vlan_since() {
	[ "$(hapd_radius_reply "$1")" = Access-Accept ] || return 0
	hapd_reply_attr "$1" Tunnel-Private-Group-Id
}

# hex_to_text HEX : printable text of a hex string, skipping a leading tag
# byte (RFC 2868) and anything not printable
hex_to_text() {
	local h=$1 out="" b i=0
	while [ $i -lt ${#h} ]; do
		b=$((16#${h:$i:2}))
		i=$((i + 2))
		if [ $b -lt 32 ] || [ $b -ge 127 ]; then continue; fi
		# shellcheck disable=SC2059
		out+=$(printf "\\$(printf '%03o' "$b")")
	done
	printf '%s\n' "$out"
}

# ap_radius_start [-X|-f] : tests/lib/radius.sh's server (after
# radius_setup), inside the AP namespace, where hostapd's 127.0.0.1 is.
ap_radius_start() {
	# shellcheck disable=SC2034 # read by radius.sh
	R_NETNS=$NS_AP
	start_radiusd "$@"
}

# hostapd_start_for_radius : hostapd_start pointed at that server (its
# ports and secret), with a DAS port of its own; extra configuration lines
# from the array HAPD_EXTRA, if set
hostapd_start_for_radius() {
	HAPD_AUTH_PORT=$R_AUTH_PORT
	HAPD_ACCT_PORT=$R_ACCT_PORT
	HAPD_SECRET=$R_SECRET
	HAPD_DAS_PORT=${HAPD_DAS_PORT:-$(free_port udp)}
	hostapd_start ${HAPD_EXTRA[@]+"${HAPD_EXTRA[@]}"}
}

# hapd_disconnect MAC : a Disconnect-Request (RFC 5176) for MAC to
# hostapd's DAS port, as avecd will send on a revocation; prints radclient's
# verdict line ("Received Disconnect-ACK ..." or "...-NAK ..."); its full
# output in $T_SCRATCH/das.log
hapd_disconnect() {
	printf 'Calling-Station-Id = "%s"\nMessage-Authenticator = 0x00\n' \
		"$(echo "$1" | tr 'a-f:' 'A-F-')" |
		ns_ap_exec radclient -x -r 1 -t 2 "127.0.0.1:$HAPD_DAS_PORT" disconnect \
			"${HAPD_DAS_SECRET:-$HAPD_SECRET}" >"$T_SCRATCH/das.log" 2>&1
	grep -m 1 '^Received Disconnect-' "$T_SCRATCH/das.log"
}

# supplicant_start NAME MAC PROFILE : wpa_supplicant -Dwired in the
# station namespace, as the simulated device NAME.  PROFILE is a file of
# network={} blocks, the device's profile (tests/lib/radius.sh writes them
# with eapol_conf_ttls / _peap / _tls).  The station's address becomes MAC
# first: one address per simulated device, as phones use one per network.
# Log in $SUPP_DIR/NAME.log.  Returns once the supplicant listens; the
# authentication then runs on its own (see hapd_wait_authorized).
supplicant_start() {
	local name=$1 mac=$2 profile=$3 conf
	mkdir -p "$SUPP_DIR"
	conf=$SUPP_DIR/$name.conf
	(
		umask 077
		echo "# AVEC simulated device $name (wired 802.1X)"
		echo "ctrl_interface=$SUPP_DIR/ctrl-$name"
		echo "ap_scan=0"
		echo "eapol_version=2"
		echo "fast_reauth=0"
		cat "$profile"
	) >"$conf" || return 1
	# A wired station that left (EAPOL-Logoff, EAP-Failure, Disconnect)
	# lingers in hostapd, deauthenticated, for 5 s
	# (AP_MAX_INACTIVITY_AFTER_DEAUTH); hostapd ignores it meanwhile, and
	# the supplicant would only try again 30 s later.  A device coming
	# back waits for hostapd to forget it (bounded: past that, the
	# supplicant's own EAPOL-Start has to do).
	if hapd_knows "$mac" && ! hapd_authorized "$mac"; then
		wait_for 7 hapd_forgot "$mac" ||
			echo "# hostapd still holds station $mac; going on" >&2
	fi
	ip -n "$NS_STA" link set "$NS_STA_IF" address "$mac" || return 1
	spawn "supp_$name" ip netns exec "$NS_STA" \
		wpa_supplicant -Dwired -i "$NS_STA_IF" -c "$conf" -dd -t \
		-f "$SUPP_DIR/$name.log"
	wait_for 5 supp_cli "$name" ping || {
		echo "wpa_supplicant ($name) did not start; see $SUPP_DIR/$name.log" >&2
		return 1
	}
	# The association a Wi-Fi station would make: hostapd asks for the
	# identity at once.  Without it, the supplicant's EAPOL-Start comes
	# after ~2 s.  A station hostapd still knows is left to that path.
	if [ "${NETNS_EAPOL_START:-0}" != 1 ]; then
		hapd_cli new_sta "$mac" >/dev/null
	fi
}

# supp_cli NAME CMD... : wpa_cli against the supplicant NAME
supp_cli() {
	local name=$1; shift
	ns_sta_exec wpa_cli -p "$SUPP_DIR/ctrl-$name" -i "$NS_STA_IF" "$@"
}

# supplicant_stop NAME [MAC] : the device leaves.  If hostapd has its
# port (MAC) open, an EAPOL-Logoff first, so that hostapd closes it as a
# Wi-Fi disassociation would (wpa_supplicant -Dwired sends none when it
# stops; a logoff to a port already closed would only make hostapd add
# the station again).  Then the supplicant is stopped by its process id.
supplicant_stop() {
	local pidvar=PID_supp_$1 mac=${2:-}
	[ -n "${!pidvar:-}" ] || return 0
	if [ -z "$mac" ] || hapd_authorized "$mac"; then
		supp_cli "$1" logoff >/dev/null 2>&1
	fi
	stop_pid "${!pidvar}"
	eval "$pidvar="
}
