#!/bin/bash
# shellcheck disable=SC2154 # phone_*: set by device_add
# tests/radius/t_accounting.sh - the connection log, fed by real RADIUS
# accounting through FreeRADIUS and rlm_avec.
#
#   (a) a TTLS device is accepted (eapol_test): the Access-Accept carries
#       AVEC's Class naming the device;
#   (b) Accounting Start / Interim-Update / Stop (radclient) carrying that
#       Class, with an anonymous User-Name: "avecctl log query --ip --at"
#       returns exactly that account and device, with the bytes (Gigawords
#       included) and the end time; outside the session, nothing;
#   (c) a Stop without a Start is recorded, its start from Acct-Session-Time;
#   (d) Accounting-On closes the NAS's open sessions;
#   (e) "account erase" removes the account and its devices but keeps
#       the log (with the principal), as the law requires;
#   (f) after the retention period ("log purge --now <future>") the query
#       returns nothing, and neither the address nor the principal is left
#       in the store's files;
#   (g) no loss on stop: a burst of 2,000 Accounting-Requests (a small
#       sender keeping 100 in flight) while FreeRADIUS is killed with
#       SIGKILL, then stopped with SIGTERM, in the middle: every request
#       that was acknowledged is in the store, and after SIGTERM the
#       server is gone within 5 s (tests/stress/sigterm.sh repeats that
#       case under load);
#   (h) the module's writer settings are bounded: a value out of bounds
#       stops "freeradius -XC" with an error naming the setting.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need python3 sqlite3 strings
radius_setup

WHO=eleve.acct@lycee-test
NAS_IP=192.0.2.10
NAS_IP2=192.0.2.11
FRAMED=10.20.30.40
MAC=02-A5-EC-00-00-11
T0=$(( $(date +%s) - 600 ))

account_add "$WHO" student || { fail "account"; finish; }
device_add phone "$WHO" ttls phone || { fail "device"; finish; }
start_radiusd -f || { fail "freeradius starts"; finish; }

# iso T : Unix seconds as ISO 8601 UTC
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# acct NAME < ATTRIBUTES : one Accounting-Request; true on an answer
# shellcheck disable=SC2317 # called through check
acct() {
	radclient -x -r 2 -t 3 "$R_HOST:$R_ACCT_PORT" acct "$R_SECRET" \
		> "$T_SCRATCH/acct-$1.log" 2>&1 &&
		grep -q '^Received Accounting-Response' "$T_SCRATCH/acct-$1.log"
}

# q ARGS... : avecctl log query --json, compacted
q() { avecctl log query "$@" --json | jq -c .; }

# (a) the accept carries the Class
eapol_auth phone ttls "$phone_user" "$phone_secret"
check "(a) TTLS device accepted" [ "$(reply_code phone)" = 2 ]
class_hex=$(printf 'avec1:%s' "$phone_id" | xxd -p | tr -d '\n')
check "(a) Access-Accept has Class = avec1:$phone_id, exactly once" \
	[ "$(reply_value phone 25)" = "$class_hex" ]

# (b) Start, Interim, Stop with that Class and the anonymous outer name
base="User-Name = \"anonymous\"
NAS-IP-Address = $NAS_IP
NAS-Port = 3
Calling-Station-Id = \"$MAC\"
Acct-Session-Id = \"S-0001\"
Class = 0x$class_hex"
check "(b) Accounting Start acknowledged" acct start <<EOF
$base
Acct-Status-Type = Start
Framed-IP-Address = $FRAMED
Event-Timestamp = $T0
EOF
check "(b) Interim-Update acknowledged" acct interim <<EOF
$base
Acct-Status-Type = Interim-Update
Framed-IP-Address = $FRAMED
Acct-Session-Time = 60
Acct-Input-Octets = 500
Acct-Output-Octets = 700
Event-Timestamp = $((T0 + 60))
EOF
check "(b) Stop acknowledged" acct stop <<EOF
$base
Acct-Status-Type = Stop
Framed-IP-Address = $FRAMED
Acct-Session-Time = 120
Acct-Input-Octets = 1000
Acct-Input-Gigawords = 1
Acct-Output-Octets = 2000
Acct-Terminate-Cause = User-Request
Event-Timestamp = $((T0 + 120))
EOF
r=$(q --ip "$FRAMED" --at "$(iso $((T0 + 30)))")
echo "# query: $r"
check "(b) exactly one session held $FRAMED at T0+30" [ "$(jq length <<<"$r")" = 1 ]
check "(b) ... of $WHO, device $phone_id (phone)" \
	[ "$(jq -r '.[0] | "\(.principal) \(.device_id) \(.device_name)"' <<<"$r")" = "$WHO $phone_id phone" ]
check "(b) ... from $MAC on NAS $NAS_IP port 3" \
	[ "$(jq -r '.[0] | "\(.mac) \(.nas_address) \(.nas_port)"' <<<"$r")" = "02:a5:ec:00:00:11 $NAS_IP 3" ]
check "(b) ... bytes in $((4294967296 + 1000)) (Gigawords), out 2000" \
	[ "$(jq -r '.[0] | "\(.input_bytes) \(.output_bytes)"' <<<"$r")" = "$((4294967296 + 1000)) 2000" ]
check "(b) ... from T0 to T0+120, User-Request" \
	[ "$(jq -r '.[0] | "\(.started_at) \(.ended_at) \(.terminate_cause)"' <<<"$r")" = "$T0 $((T0 + 120)) User-Request" ]
check "(b) the same instant with a +01:00 offset finds it too" \
	[ "$(q --ip "$FRAMED" --at "$(date -u -d "@$((T0 + 30))" +%Y-%m-%dT%H:%M:%S)+00:00" | jq length)" = 1 ]
check "(b) nothing at T0-1 or T0+121" \
	[ "$(q --ip "$FRAMED" --at $((T0 - 1)) | jq length)$(q --ip "$FRAMED" --at $((T0 + 121)) | jq length)" = 00 ]
check "(b) the account's sessions: that one" \
	[ "$(q --account "$WHO" | jq -r '.[].acct_session_id')" = S-0001 ]

# (c) a Stop without a Start (another NAS, the Class only)
check "(c) a Stop without a Start is acknowledged" acct lone-stop <<EOF
NAS-IP-Address = $NAS_IP2
Acct-Session-Id = "S-LONE"
Acct-Status-Type = Stop
Class = 0x$class_hex
Framed-IP-Address = 10.20.30.41
Acct-Session-Time = 300
Event-Timestamp = $((T0 + 400))
EOF
check "(b) a requisition time without a zone is refused, not guessed" \
	eval '! avecctl log query --ip "$FRAMED" --at "$(date -u -d "@$((T0 + 30))" +%Y-%m-%dT%H:%M:%S)" >/dev/null'
r=$(q --ip 10.20.30.41 --at $((T0 + 200)))
check "(c) ... recorded from T0+100 to T0+400 for $WHO" \
	[ "$(jq -r '.[0] | "\(.started_at) \(.ended_at) \(.principal)"' <<<"$r")" = "$((T0 + 100)) $((T0 + 400)) $WHO" ]

# (d) Accounting-On closes what was open on that NAS
check "(d) a Start on $NAS_IP2 acknowledged" acct open <<EOF
NAS-IP-Address = $NAS_IP2
Acct-Session-Id = "S-OPEN"
Acct-Status-Type = Start
Framed-IP-Address = 10.20.30.42
Event-Timestamp = $((T0 + 450))
EOF
check "(d) ... still open" [ "$(q --ip 10.20.30.42 --at $((T0 + 5000)) | jq -r '.[0].ended')" = null ]
check "(d) Accounting-On from $NAS_IP2 acknowledged" acct on <<EOF
NAS-IP-Address = $NAS_IP2
Acct-Status-Type = Accounting-On
Event-Timestamp = $((T0 + 500))
EOF
r=$(q --ip 10.20.30.42 --at $((T0 + 460)))
check "(d) the open session ended at the Accounting-On, NAS-Reboot" \
	[ "$(jq -r '.[0] | "\(.ended_at) \(.terminate_cause)"' <<<"$r")" = "$((T0 + 500)) NAS-Reboot" ]
check "(d) the session of the other NAS is untouched" \
	[ "$(q --ip "$FRAMED" --at $((T0 + 30)) | jq -r '.[0].ended_at')" = $((T0 + 120)) ]

# (e) the person's rights: export, then erase
r=$(avecctl account export "$WHO" | jq -c .)
check "(e) export: the account, its device (no hash), its 2 sessions" \
	[ "$(jq -r '"\(.account.principal) \(.devices | length) \(.devices[0] | has("secret_hash")) \(.sessions | length)"' <<<"$r")" = "$WHO 1 false 2" ]
check "(e) export holds no secret of this run" bash -c "! grep -qFf '$R_SECRETS' <<<'$r'"
avecctl account erase "$WHO" >/dev/null
check "(e) erase without --yes is refused" [ $? = 1 ]
check "(e) account erase --yes" avecctl -q account erase "$WHO" --yes
check "(e) the account is gone" bash -c "! '$AVECCTL' -d '$R_DB' account show '$WHO' 2>/dev/null"
r=$(q --ip "$FRAMED" --at $((T0 + 30)))
check "(e) the log still names $WHO for $FRAMED, device erased" \
	[ "$(jq -r '.[0] | "\(.principal) \(.device_id) \(.account_id)"' <<<"$r")" = "$WHO null null" ]

# (f) a requisition after the retention period
days=$(avecctl settings get log_retention_days)
check "(f) log_retention_days is 365 by default" [ "$days" = 365 ]
future=$(iso $((T0 + 500 + 366 * 86400)))
check "(f) log purge --now $future" avecctl -q log purge --now "$future"
check "(f) the requisition then finds nothing" \
	[ "$(q --ip "$FRAMED" --at $((T0 + 30)) | jq length)" = 0 ]
for needle in "$FRAMED" S-0001 "$WHO"; do
	check "(f) '$needle' is no longer anywhere in the store's files" \
		bash -c "! cat '$R_DB' '$R_DB-wal' 2>/dev/null | strings | grep -qF '$needle'"
done

# (g) no loss on stop (acct_burst: tests/lib/radius.sh)
# burst TAG SIGNAL : 2,000 Starts, the server signalled after 1,000 acks;
# it must be gone within 5 s of the signal, and every acknowledged
# session id must be in the store
burst() {
	local tag=$1 sig=$2
	acct_burst "$tag" "$sig" 5
	echo "# burst $tag: sent $BURST_SENT acked $BURST_ACKED in $BURST_MS ms; exited $BURST_EXIT_MS ms after signal $sig"
	check "($tag) FreeRADIUS is gone within 5 s of signal $sig" [ "$BURST_EXIT_MS" -ge 0 ]
	stop_radiusd
	check "($tag) at least 1,000 of 2,000 acknowledged before the signal" [ "$BURST_ACKED" -ge 1000 ]
	acct_burst_tally "$tag"
	echo "# ($tag) acknowledged $BURST_ACKED, stored $BURST_STORED, acknowledged but missing $BURST_MISSING"
	check "($tag) every acknowledged request is in the store" [ "$BURST_MISSING" = 0 ]
}
burst kill9 9
start_radiusd -f || { fail "freeradius restarts after SIGKILL"; finish; }
burst term 15
check "(term) FreeRADIUS logged no error while draining" \
	bash -c "! grep -q 'cannot be written\|Segmentation' '$R_LOGDIR/radius.log'"

# (h) the writer's settings, checked at start-up
for kv in queue_size=15 queue_size=65537 flush_interval=0 flush_interval=10001 \
	accounting_timeout=99 accounting_timeout=10001 accounting_waiters=0 accounting_waiters=1025; do
	k=${kv%=*} v=${kv#*=} d=$T_SCRATCH/raddb-$k-$v
	radius_render "$d" && sed -i "s/^\([[:space:]]*$k\) = .*/\1 = $v/" "$d/mods-available/avec"
	freeradius -XC -d "$d" > "$T_SCRATCH/xc-$k-$v.log" 2>&1
	check "(h) $k = $v stops the server" [ $? -ne 0 ]
	check "(h) ... with an error naming $k in mods-available/avec" \
		grep -qE "mods-available/avec\[[0-9]+\]: $k must be between" "$T_SCRATCH/xc-$k-$v.log"
done
finish
