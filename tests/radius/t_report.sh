#!/bin/bash
# shellcheck disable=SC2154 # pp_*, ep_*, er_*, pt_*: set by device_add
# tests/radius/t_report.sh - the reports and the audit trail, with the real
# server.
#
#   (a) PAP requests through FreeRADIUS and rlm_avec: 3 accepts, 2 wrong
#       secrets, 1 unknown device, 1 revoked device, 1 suspended account;
#       after one stats_interval (1 s here) `avecctl report auth` shows
#       exactly those counts by reason, and no more after the server stops
#       (the stop flushes, nothing twice); the stop logs the totals;
#   (b) `report devices --by role` and `--by status` count the devices;
#   (c) `report sessions` after an Accounting Start carrying AVEC's Class
#       shows the account, device, MAC, NAS, address and start;
#   (d) the audit trail holds one row per state-changing command the test
#       ran (done, refused, not found), by this Unix user, none for reads
#       or usage errors; no device secret and no PKCS#12 password is
#       anywhere in the store's files, the NAS secret not in the trail;
#   (e) stats_interval is bounded: 0 stops "freeradius -XC" naming it.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need sqlite3
radius_setup
sed -i 's/^\([[:space:]]*stats_interval = \).*/\11/' "$R_RADDB/mods-available/avec"

PROF=prof.report@lycee-test
ELEVE=eleve.report@lycee-test
GONE=eleve.suspendu@lycee-test
PARENT=parent.report@lycee-test
NAS_IP=192.0.2.20
MAC=02-A5-EC-00-00-21
FRAMED=10.20.30.41
P12PW="p12-Pw-$(head -c 9 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
NAS_SECRET="nas-Secret-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
echo "$P12PW" >> "$R_SECRETS"

if ! { account_add "$PROF" teacher && account_add "$ELEVE" student &&
	account_add "$GONE" student && account_add "$PARENT" parent; }; then
	fail "accounts"; finish
fi
if ! { device_add pp "$PROF" ttls && device_add ep "$ELEVE" peap &&
	device_add er "$ELEVE" ttls && device_add gs "$GONE" ttls; }; then
	fail "devices"; finish
fi
avecctl device add "$PROF" --name labo --type tls --out "$R_CREDS" \
	--p12-password "$P12PW" >/dev/null || fail "tls device with a p12 password"
avecctl device add "$PARENT" --name x --type ttls >/dev/null
check "a parent's device is refused (exit 3)" [ $? = 3 ]
avecctl device revoke "$er_id" --reason lost --no-disconnect >/dev/null || fail "revoke"
avecctl device revoke 999999 >/dev/null
check "revoking no device: exit 2" [ $? = 2 ]
avecctl account suspend "$GONE" --no-disconnect >/dev/null || fail "suspend"
printf '%s\n' "$NAS_SECRET" > "$T_SCRATCH/nas.secret"
avecctl nas add ap1 --nas-address "$NAS_IP" --das 127.0.0.1:3799 \
	--secret-file "$T_SCRATCH/nas.secret" >/dev/null || fail "nas add"
avecctl device revoke >/dev/null	# usage error: not recorded
avecctl account list >/dev/null	# a read: not recorded

start_radiusd -f || { fail "freeradius starts"; finish; }

pap() {
	printf 'User-Name = "%s"\nUser-Password = "%s"\nCalling-Station-Id = "%s"\nMessage-Authenticator = 0x00\n' \
		"$2" "$3" "$MAC" | rad_send "$1"
}
# the rejects in the background (reject_delay), the accepts meanwhile
pids=()
pap w1 "$pp_user" "not-${pp_secret:4}" & pids+=("$!")
pap w2 "$ep_user" "not-${ep_secret:4}" & pids+=("$!")
pap unk dv-cccccccccccccccc "abcd-efgh-ijkl-mnop-qrst" & pids+=("$!")
pap rev "$er_user" "$er_secret" & pids+=("$!")
pap sus "$gs_user" "$gs_secret" & pids+=("$!")
pap a1 "$pp_user" "$pp_secret"
pap a2 "$pp_user" "$pp_secret"
pap a3 "$ep_user" "$ep_secret"
wait "${pids[@]}"
codes=
for n in a1 a2 a3 w1 w2 unk rev sus; do codes="$codes $(rad_code $n)"; done
check "(a) 3 accepts then 5 rejects on the wire" \
	[ "$codes" = " Access-Accept Access-Accept Access-Accept Access-Reject Access-Reject Access-Reject Access-Reject Access-Reject" ]

# auth_counts : "reason=count ..." from report auth --json, sorted
auth_counts() {
	avecctl report auth --json | jq -r '[.rows[] | "\(.reason)=\(.count)"] | join(" ")'
}
# shellcheck disable=SC2317 # called through wait_for
counts_are() { [ "$(auth_counts)" = "$1" ]; }
want="accept=3 account-suspended=1 device-revoked=1 unknown-device=1 wrong-secret=2"
t0=$(date +%s%N)
wait_for 10 counts_are "$want"
got=$(auth_counts)
echo "# report auth after $(( ($(date +%s%N) - t0) / 1000000 )) ms: $got"
check "(a) report auth, within stats_interval: exactly the outcomes sent" [ "$got" = "$want" ]
j=$(avecctl report auth --json)
check "(a) ... 3 accepted, 5 refused" \
	[ "$(jq -r '"\(.accepted) \(.refused)"' <<<"$j")" = "3 5" ]
hour=$(( $(date +%s) / 3600 * 3600 ))
check "(a) ... within this hour (--from)" \
	[ "$(avecctl report auth --from "$hour" --json | jq -r .accepted)" = 3 ]
check "(a) ... nothing in the hour before (--to)" \
	[ "$(avecctl report auth --from $((hour - 3600)) --to "$hour" --json | jq -r '.accepted + .refused')" = 0 ]
check "(a) the text report names the reasons" \
	grep -q '^wrong-secret  *2$' <(avecctl report auth)
check "(a) the request path wrote no row per request: one row per reason" \
	[ "$(sqlite3 "$R_DB" 'SELECT COUNT(*) FROM auth_stats')" = 5 ]

# (c) an Accounting Start with the Class of the accepted device
class_hex=$(printf 'avec1:%s' "$pp_id" | xxd -p | tr -d '\n')
radclient -x -r 2 -t 3 "$R_HOST:$R_ACCT_PORT" acct "$R_SECRET" > "$T_SCRATCH/acct-start.log" 2>&1 <<EOF
User-Name = "anonymous"
NAS-IP-Address = $NAS_IP
NAS-Port = 7
Calling-Station-Id = "$MAC"
Acct-Session-Id = "R-0001"
Class = 0x$class_hex
Acct-Status-Type = Start
Framed-IP-Address = $FRAMED
Event-Timestamp = 1800000000
EOF
check "(c) Accounting Start acknowledged" grep -q '^Received Accounting-Response' "$T_SCRATCH/acct-start.log"
s=$(avecctl report sessions --json)
echo "# sessions: $(jq -c .rows <<<"$s")"
check "(c) report sessions: one open session" [ "$(jq '.rows | length' <<<"$s")" = 1 ]
check "(c) ... of $PROF, device $pp_id (pp), $MAC, NAS $NAS_IP, $FRAMED, since 1800000000" \
	[ "$(jq -r '.rows[0] | "\(.account) \(.device) \(.device_name) \(.mac) \(.nas) \(.ip) \(.since)"' <<<"$s")" = \
	  "$PROF $pp_id pp 02:a5:ec:00:00:21 $NAS_IP $FRAMED 1800000000" ]
check "(c) the text report shows it" grep -q "^$PROF .* $FRAMED " <(avecctl report sessions)

# (b) devices
d=$(avecctl report devices --by role --json | jq -r '[.rows[] | "\(.key)=\(.devices)/\(.active)"] | join(" ")')
check "(b) report devices --by role: student=3/2 teacher=2/2 ($d)" [ "$d" = "student=3/2 teacher=2/2" ]
d=$(avecctl report devices --by status --json | jq -r '[.rows[] | "\(.key)=\(.devices)"] | join(" ")')
check "(b) report devices --by status: active=4 revoked=1 ($d)" [ "$d" = "active=4 revoked=1" ]
avecctl report devices --by colour >/dev/null
check "(b) --by something else is a usage error (exit 1)" [ $? = 1 ]

# the stop flushes what is left, and nothing twice
pap a4 "$pp_user" "$pp_secret"
stop_radiusd
check "(a) after the stop: the last accept is in, nothing counted twice" \
	[ "$(auth_counts)" = "accept=4 account-suspended=1 device-revoked=1 unknown-device=1 wrong-secret=2" ]
check "(a) the stop logs the totals since start" \
	grep -q 'authentication outcomes since start: accept=4 .*wrong-secret=2' "$R_LOGDIR/radius.log"

# (d) the audit trail
a=$(avecctl audit list --json)
actions=$(jq -r '[.[] | "\(.action)/\(.outcome)"] | join(" ")' <<<"$a")
echo "# audit: $actions"
want_actions="init/ok ca init/ok account add/ok account add/ok account add/ok account add/ok"
want_actions="$want_actions device add/ok device add/ok device add/ok device add/ok device add/ok"
want_actions="$want_actions device add/refused device revoke/ok device revoke/not found"
want_actions="$want_actions account suspend/ok nas add/ok"
check "(d) one row per state-changing command, in order, none for reads or usage errors" \
	[ "$actions" = "$want_actions" ]
check "(d) actor: this Unix user ($(id -un)), origin cli" \
	[ "$(jq -r --arg u "$(id -un)" '[.[] | select(.actor != $u or (.origin | startswith("cli") | not))] | length' <<<"$a")" = 0 ]
check "(d) device revoke: target $er_id, detail --reason lost --no-disconnect" \
	[ "$(jq -r '.[] | select(.action == "device revoke" and .outcome == "ok") | "\(.target)|\(.detail)"' <<<"$a")" = \
	  "$er_id|--reason lost --no-disconnect" ]
check "(d) the p12 password is [REMOVED] in the trail" \
	[ "$(jq -r '.[] | select(.detail | contains("--p12-password")) | .detail' <<<"$a")" = \
	  "--name labo --type tls --out $R_CREDS --p12-password [REMOVED]" ]
check "(d) the NAS secret is not in the trail (its file's path is)" \
	[ "$(sqlite3 "$R_DB" "SELECT COUNT(*) FROM audit WHERE instr(detail, '$NAS_SECRET') OR instr(target, '$NAS_SECRET')")$(jq -r '.[] | select(.action == "nas add") | .detail' <<<"$a" | grep -c nas.secret)" = 01 ]
sqlite3 "$R_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
leaks=0
while IFS= read -r sec; do
	[ -n "$sec" ] || continue
	for f in "$R_DB" "$R_DB-wal"; do
		[ -e "$f" ] && grep -qaF -- "$sec" "$f" && leaks=$((leaks + 1))
	done
done < <(tail -n +2 "$R_SECRETS")	# line 1 is the RADIUS client secret
check "(d) no device secret and no p12 password in the store's files ($(($(wc -l < "$R_SECRETS") - 1)) looked for)" \
	[ "$leaks" = 0 ]

# (e) bounds
sed -i 's/^\([[:space:]]*stats_interval = \).*/\10/' "$R_RADDB/mods-available/avec"
freeradius -XC -d "$R_RADDB" > "$T_SCRATCH/bounds.log" 2>&1
rc=$?
check "(e) stats_interval = 0: the configuration check fails" [ $rc != 0 ]
check "(e) ... naming the setting" \
	grep -q 'stats_interval must be between 1 and 3600' "$T_SCRATCH/bounds.log"

finish
