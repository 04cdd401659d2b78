#!/bin/bash
# shellcheck disable=SC2154 # s1_user, s1_secret...: set by device_add
# shellcheck disable=SC2317,SC2016 # functions run through check / eval
# The policy file against the real server: policy files applied with
# `avecctl policy apply` while FreeRADIUS runs, each change answered by
# rlm_avec within a second without a restart (its index reloads on store
# changes).  Plain RADIUS with radclient (PAP with a TTLS device's
# secret) for speed.
#
# Windows are built around the real current time in Europe/Paris (Python's
# zoneinfo): a window that closes in about two minutes gives a
# Session-Timeout of that many seconds; a window on another day refuses
# with "outside the hours..."; a holiday covering today refuses windowed
# roles only.  A class-group override gives its pupils VLAN 25 while other
# pupils keep 20; an account override lifts a lowered device quota; the
# device block list refuses and then admits again.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need python3
python3 -c 'from zoneinfo import ZoneInfo; ZoneInfo("Europe/Paris")' 2>/dev/null ||
	skip "python3 has no Europe/Paris time zone (tzdata)"
radius_setup

P=$T_SCRATCH/policy.yaml

# paris : "WEEKDAY(0=mon) SECONDS-SINCE-MIDNIGHT YYYY-MM-DD UTC-OFFSET" in
# Europe/Paris (Python starts slowly: later times use `date` + the offset)
paris() {
	python3 -c 'from datetime import datetime; from zoneinfo import ZoneInfo
n = datetime.now(ZoneInfo("Europe/Paris"))
print(n.weekday(), n.hour * 3600 + n.minute * 60 + n.second, n.strftime("%Y-%m-%d"),
      int(n.utcoffset().total_seconds()))'
}
paris_s() { echo $(( ($(date +%s) + utc_off) % 86400 )); }
days=(mon tue wed thu fri sat sun)
hhmm() { printf '%02d:%02d' $(($1 / 60)) $(($1 % 60)); }

# policy WINDOWS [HOLIDAYS] [OVERRIDES] : write the policy file
policy() {
	cat > "$P" <<EOF
holidays: [${2:-}]
roles:
  student:
    vlan: 20
    max_devices: 3
    credentials: [tls, ttls, peap]
    windows: "$1"
  teacher: { vlan: 30, max_devices: 5, credentials: [ttls] }
  parent: { admitted: false }
overrides:
  - { group: "1AQUA", role: student, vlan: 25 }
${3:-}
EOF
}
apply() { avecctl policy apply "$P" >/dev/null; }

# pap NAME USER PASSWORD : one Access-Request (radclient), output kept
pap() {
	printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
		"$2" "$3" | rad_send "$1"
}
accepted() { [ "$(rad_code "$1")" = Access-Accept ]; }
vlan_is() { [ "$(rad_attr "$1" Tunnel-Private-Group-Id)" = "\"$2\"" ]; }
# refused NAME CODE : Access-Reject saying libavec's text for CODE, once
refused() {
	[ "$(rad_code "$1")" = Access-Reject ] &&
		[ "$(rad_attr "$1" Reply-Message)" = "\"$(reason_text "$2")\"" ]
}
# after_change NAME USER SECRET : the answer one second after a change
after_change() { sleep 1; pap "$@"; }
# ms_until_accept NAME USER SECRET : send a request every 100 ms for 2 s,
# without waiting for the answers (a reject is delayed by reject_delay);
# prints the milliseconds from the call to the sending of the first
# request that was accepted (NAME-N is its radclient log), or 9999
ms_until_accept() {
	local t0 i pids=() ts=()
	t0=$(date +%s%N)
	for i in $(seq 0 19); do
		ts[i]=$(date +%s%N)
		pap "$1-$i" "$2" "$3" &
		pids+=("$!")
		sleep 0.1
	done
	wait "${pids[@]}"
	for i in $(seq 0 19); do
		accepted "$1-$i" && { echo $(( (ts[i] - t0) / 1000000 )); return; }
	done
	echo 9999
}

policy always
apply || { fail "apply the first policy"; finish; }
avecctl account add s1 --role student --group 1AQUA >/dev/null &&
	avecctl account add s2 --role student >/dev/null &&
	avecctl account add q1 --role student >/dev/null &&
	avecctl account add t1 --role teacher >/dev/null ||
	{ fail "create the accounts"; finish; }
device_add s1 s1 ttls && device_add s2 s2 ttls && device_add t1 t1 ttls &&
	device_add qa q1 ttls && device_add qb q1 ttls ||
	{ fail "register devices"; finish; }
start_radiusd -f || { fail "freeradius starts"; finish; }

# A window must not cross midnight: near it, wait for the new day.
read -r wd now_s today utc_off < <(paris)
if [ $((now_s + 300)) -ge 86400 ]; then
	echo "# waiting for midnight in Paris"
	sleep $((86400 - now_s + 2))
	read -r wd now_s today utc_off < <(paris)
fi
end_min=$(( (now_s + 120 + 59) / 60 ))	# >= 120 s from now, < 180 s
start_min=$(( now_s / 60 - 60 )); [ $start_min -lt 0 ] && start_min=0
open_now="${days[$wd]} $(hhmm $start_min)-$(hhmm $end_min)"
other_day="${days[$(( (wd + 1) % 7 ))]} 08:00-09:00"
echo "# Paris: ${days[$wd]} $today $(hhmm $((now_s / 60))); window \"$open_now\""
policy "$open_now"
apply || { fail "apply the windows open now"; finish; }
sleep 1

# ---------------------------------------------------------------- windows
t_before=$(paris_s)
pap open-s1 "$s1_user" "$s1_secret"
t_after=$(paris_s)
st=$(rad_attr open-s1 Session-Timeout)
want=$((end_min * 60 - t_after))
echo "# window closes in $want to $((end_min * 60 - t_before)) s; Session-Timeout = ${st:-none}"
check "inside a window: Access-Accept" accepted open-s1
check "the class group's pupil gets the group's VLAN 25" vlan_is open-s1 25
st_ok() {
	[ -n "$st" ] && [ "$st" -ge "$want" ] && [ "$st" -le $((end_min * 60 - t_before)) ] &&
		[ "$st" -ge 100 ] && [ "$st" -le 180 ]
}
check "Session-Timeout = the seconds until the window closes (about 120 s)" st_ok
pap open-s2 "$s2_user" "$s2_secret"
check "a pupil outside the group: Access-Accept, the role's VLAN 20" eval 'accepted open-s2 && vlan_is open-s2 20'

policy "$other_day"
apply || fail "apply: windows on another day"
after_change closed-s2 "$s2_user" "$s2_secret"
check "a window on another day: Access-Reject \"$(reason_text outside-hours)\"" \
	refused closed-s2 outside-hours
pap closed-t1 "$t1_user" "$t1_secret"
check "... a role without windows is still accepted (VLAN 30)" \
	eval 'accepted closed-t1 && vlan_is closed-t1 30'

# ---------------------------------------------------------------- holiday
policy "$open_now" "{ name: \"Test\", from: $today, to: $today }"
apply || fail "apply: a holiday today"
after_change hol-s2 "$s2_user" "$s2_secret"
check "a holiday covering today: Access-Reject \"$(reason_text holiday)\"" refused hol-s2 holiday
pap hol-t1 "$t1_user" "$t1_secret"
check "... teachers (no windows) are accepted on holidays" accepted hol-t1

# ---------------------------------------------------------------- quota
# q1 has two devices; the role's quota drops to 1, then q1 gets 2 back
policy "$open_now" "" ""
sed -i 's/max_devices: 3/max_devices: 1/' "$P"
apply || fail "apply: quota 1"
after_change quota-qa "$qa_user" "$qa_secret"
pap quota-qb "$qb_user" "$qb_secret"
check "quota 1: the older device is accepted" accepted quota-qa
check "quota 1: the second is refused \"$(reason_text over-quota)\"" refused quota-qb over-quota
printf '  - { account: q1, max_devices: 2 }\n' >> "$P"
apply || fail "apply: an account override of max_devices"
after_change quota-qb2 "$qb_user" "$qb_secret"
check "an account override of max_devices 2: the second device is accepted" accepted quota-qb2
avecctl policy effective q1 --json > "$T_SCRATCH/eff.json"
check "policy effective q1 shows the account override" \
	[ "$(jq -c '[.max_devices, [.overrides[].scope]]' "$T_SCRATCH/eff.json")" = '[2,["account"]]' ]

# ---------------------------------------------------------------- blocks
avecctl block add device "$s2_id" --reason test >/dev/null || fail "block add device"
after_change blocked-s2 "$s2_user" "$s2_secret"
check "a blocked device: Access-Reject \"$(reason_text device-blocked)\"" refused blocked-s2 device-blocked
pap blocked-s1 "$s1_user" "$s1_secret"
check "... another device is still accepted" accepted blocked-s1
avecctl block remove device "$s2_id" >/dev/null || fail "block remove device"
ms=$(ms_until_accept unblocked-s2 "$s2_user" "$s2_secret")
echo "# unblocked device accepted after $ms ms"
check "block remove: accepted again within a second (${ms} ms)" [ "$ms" -lt 1000 ]

check "the server was never restarted" kill -0 "$R_PID"
finish
