#!/bin/bash
# shellcheck disable=SC2154,SC2317 # d1_*: set by device_add; spawn sets PID_*; functions run through check
# t_config_faults.sh - a corrupt or truncated configuration on restart.
#
# avecd: its good configuration is spoilt in several ways (truncated in
# the middle of a line, an unclosed quote, a tab in the indentation, an
# unclosed bracket, invalid UTF-8, an empty file, an unknown key beside a
# store that does not exist yet, a good file with a misspelt key in a
# drop-in file beside it).  For each, "avecd -n" refuses it naming
# FILE:LINE:COL; "avecd -f" with it stops at once with the same message,
# and leaves the store as it was (same bytes, no new file, no store
# created); the good file, restarted, serves again.
# FreeRADIUS: the template of plugins/raddb rendered, then broken (the
# avec module's section truncated, a setting that is not a number, a
# site with a stray line): "freeradius -XC" refuses each naming the file
# and line, starting with it fails without touching the store, and the
# good configuration, restarted, accepts a registered device again.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
# shellcheck source=tests/lib/cas.sh
. "$(dirname "$0")/../lib/cas.sh"
# shellcheck source=tests/lib/portal.sh
. "$(dirname "$0")/../lib/portal.sh"
need curl openssl sha256sum
radius_setup
account_add eleve.cfg student && avecctl policy set student --vlan 20 --max-devices 3 --creds ttls,tls >/dev/null &&
	device_add d1 eleve.cfg ttls || { fail "a registered device"; finish; }

# avecd only needs a CAS URL and CA to start: nothing talks to it here
CAS_DIR=$T_SCRATCH/cas
mkdir -p "$CAS_DIR"
cas_pki "$CAS_DIR" || { fail "test certificates"; finish; }
CAS_URL=https://127.0.0.1:$(free_port tcp)/cas
CAS_CA_FILE=$CAS_DIR/ca.pem
portal_start || { fail "avecd starts with the good configuration"; finish; }
portal_stop

# store_state : the store's files, their sizes and contents
store_state() {
	(cd "$(dirname "$R_DB")" && for f in avec.db*; do
		[ -e "$f" ] && echo "$f $(sha256sum < "$f")"
	done)
}

# bad_avecd NAME : $T_SCRATCH/NAME.yaml is refused by -n and by a start
bad_avecd() {
	local n=$1 f=$T_SCRATCH/$1.yaml out rc before after
	out=$("$AVECD" -n -f "$f" 2>&1); rc=$?
	echo "# $n: -n says: $(head -n 2 <<<"$out")"
	check "avecd $n: -n refuses it (exit $rc)" [ "$rc" = 1 ]
	check "avecd $n: ... naming the file, line and column" grep -Eq "^$f:[0-9]+:[0-9]+: " <<<"$out"
	before=$(store_state)
	out=$(timeout 10 "$AVECD" -f "$f" 2>&1); rc=$?
	after=$(store_state)
	check "avecd $n: a start with it fails at once (exit $rc)" bash -c "[ '$rc' != 0 ] && [ '$rc' != 124 ]"
	check "avecd $n: ... with the same message" grep -Eq "$f:[0-9]+:[0-9]+: " <<<"$out"
	check "avecd $n: ... and the store is untouched" [ "$before" = "$after" ]
}

lines=$(wc -l < "$P_CONF")
# truncated in the middle of a line, inside the store section
head -c "$(( $(grep -b '^store:' "$P_CONF" | cut -d: -f1) + 14 ))" "$P_CONF" > "$T_SCRATCH/truncated.yaml"
sed 's/^\(  name: \)"\(.*\)"$/\1"\2/' "$P_CONF" > "$T_SCRATCH/quote.yaml"
sed 's/^  ssid: /\tssid: /' "$P_CONF" > "$T_SCRATCH/tab.yaml"
sed 's/^  realm: .*/  realm: [avec.test/' "$P_CONF" > "$T_SCRATCH/bracket.yaml"
# an invalid UTF-8 sequence on line lines/2 + 1: its bad (second) octet is column 10
{ head -n $((lines / 2)) "$P_CONF"; printf '  name: \303\050\377\n'; tail -n +$((lines / 2 + 1)) "$P_CONF"; } \
	> "$T_SCRATCH/bytes.yaml"
: > "$T_SCRATCH/empty.yaml"
sed -e "s|^  database: .*|  database: $T_SCRATCH/new/avec.db|" -e 's/^  ca_dir: /  colour: blue\n  ca_dir: /' \
	"$P_CONF" > "$T_SCRATCH/newstore.yaml"
for n in truncated quote tab bracket bytes empty newstore; do
	bad_avecd "$n"
done
check "avecd newstore: no store was created" [ ! -e "$T_SCRATCH/new/avec.db" ]
check "avecd bytes: the line and column of the bad byte (not 1:1)" \
	bash -c "'$AVECD' -n -f '$T_SCRATCH/bytes.yaml' 2>&1 | grep -q '^$T_SCRATCH/bytes.yaml:$((lines / 2 + 1)):10: '"
check "avecd truncated: the message names the missing part" \
	bash -c "'$AVECD' -n -f '$T_SCRATCH/truncated.yaml' 2>&1 | grep -q 'store'"

# a good main file with a bad drop-in beside it (FILE.d/*.yaml, read after
# FILE): refused by -n and at start, naming the drop-in's own line
cp "$P_CONF" "$T_SCRATCH/dropin.yaml"
mkdir -p "$T_SCRATCH/dropin.yaml.d"
printf 'portal:
  support_email: it@avec.test
schedule:
  ent_import_dri: /var/lib/avec/aaf
' \
	> "$T_SCRATCH/dropin.yaml.d/50-local.yaml"
out=$("$AVECD" -n -f "$T_SCRATCH/dropin.yaml" 2>&1); rc=$?
echo "# dropin: -n says: $(head -n 1 <<<"$out")"
check "avecd bad drop-in: -n refuses it (exit $rc)" [ "$rc" = 1 ]
check "avecd bad drop-in: ... naming the drop-in file, line and column" \
	grep -qx "$T_SCRATCH/dropin.yaml.d/50-local.yaml:4:3: schedule.ent_import_dri: unknown setting" <<<"$out"
before=$(store_state)
out=$(timeout 10 "$AVECD" -f "$T_SCRATCH/dropin.yaml" 2>&1); rc=$?
after=$(store_state)
check "avecd bad drop-in: a start with it fails at once (exit $rc)" [ "$rc" != 0 -a "$rc" != 124 ]
check "avecd bad drop-in: ... with the same message" grep -q "$T_SCRATCH/dropin.yaml.d/50-local.yaml:4:3: " <<<"$out"
check "avecd bad drop-in: ... and the store is untouched" [ "$before" = "$after" ]
rm -rf "$T_SCRATCH/dropin.yaml.d" "$T_SCRATCH/dropin.yaml"

# the good one again
spawn avecd2 "$AVECD" -d -f "$P_CONF"
P_PID=$PID_avecd2
check "avecd restarted with the good configuration serves again" \
	wait_for 10 curl -sf --cacert "$P_CA_FILE" -o /dev/null "$P_URL/"
check "... and its engine answers (the login redirect)" \
	[ "$(pcurl -o /dev/null -w '%{http_code}' "$P_URL/login")" = 302 ]
portal_stop

# ---- FreeRADIUS ----
pap_ok() {
	printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
		"$d1_user" "$d1_secret" | rad_send "$1"
	[ "$(rad_code "$1")" = Access-Accept ]
}
start_radiusd -f || { fail "freeradius starts with the good configuration"; finish; }
check "freeradius with the good configuration accepts the device" pap_ok good1
stop_radiusd

# bad_radius NAME FILE PATTERN : raddb-NAME, broken in FILE, is refused
# with an error matching PATTERN
bad_radius() {
	local n=$1 d=$T_SCRATCH/raddb-$1 file=$2 pat=$3 rc before after
	freeradius -XC -d "$d" > "$T_SCRATCH/xc-$n.log" 2>&1; rc=$?
	echo "# radius $n: $(grep -E 'rror|[Ff]ailed|Invalid|expect' "$T_SCRATCH/xc-$n.log" | head -n 2 | tr '\n' ' ')"
	check "freeradius $n: -XC refuses it (exit $rc)" [ "$rc" != 0 ]
	check "freeradius $n: ... naming $file and its line" grep -Eq "$file\[[0-9]+\].*$pat" "$T_SCRATCH/xc-$n.log"
	before=$(store_state)
	timeout 20 freeradius -X -d "$d" > "$T_SCRATCH/start-$n.log" 2>&1; rc=$?
	after=$(store_state)
	check "freeradius $n: a start with it fails (exit $rc)" bash -c "[ '$rc' != 0 ] && [ '$rc' != 124 ]"
	check "freeradius $n: ... and the store is untouched" [ "$before" = "$after" ]
}
for n in truncated notnumber site; do
	radius_render "$T_SCRATCH/raddb-$n" || { fail "render raddb-$n"; finish; }
	sed -i "s|$R_RADDB|$T_SCRATCH/raddb-$n|g" "$T_SCRATCH/raddb-$n/radiusd.conf"
done
m=$T_SCRATCH/raddb-truncated/mods-available/avec
head -n "$(( $(grep -n 'refresh_interval = ' "$m" | cut -d: -f1) ))" "$m" > "$m.new" && mv "$m.new" "$m"
sed -i 's/^\([[:space:]]*refresh_interval\) = .*/\1 = often/' "$T_SCRATCH/raddb-notnumber/mods-available/avec"
s=$T_SCRATCH/raddb-site/sites-available/avec
awk '{ print } /^[[:space:]]*authorize[[:space:]]*\{/ && !d { print "\t}}} stray"; d = 1 }' "$s" > "$s.new" && mv "$s.new" "$s"
bad_radius truncated mods-available/avec ''
bad_radius notnumber mods-available/avec 'refresh_interval'
bad_radius site sites-available/avec ''
start_radiusd -f || { fail "freeradius restarts with the good configuration"; finish; }
check "freeradius restarted with the good configuration accepts the device" pap_ok good2
finish
