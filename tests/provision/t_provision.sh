#!/bin/bash
# tests/provision/t_provision.sh - `avecctl provision` on the committed
# school profile (appliance/school.yaml), rendered into a scratch root:
# FreeRADIUS accepts what was rendered (`freeradius -XC`), a second run
# changes nothing (not even an mtime), the PSK network's BSS per radio
# reports a NAS address of its own and is registered in the NAS table
# with its DAS port (and removed with the network), a broken profile is refused at its
# line and leaves the previous rendering as it was, a configuration that
# FreeRADIUS refuses is never switched in, a change keeps the replaced file
# in provision.prev; avecd's drop-in directory (avecd.yaml.d/) is made
# empty, and the local settings put there survive a profile change that
# rewrites avecd.yaml (content and mtime untouched), are in effect
# (`avecd -n -v`), and a bad one is refused naming its own file and line;
# FreeRADIUS started from the rendered configuration
# accepts a device registered with avecctl (EAP-TTLS, eapol_test) and
# drops a request without Message-Authenticator; no secret ever appears
# in avecctl's output or in the store's audit; the role bridges are made
# in a network namespace (this kernel has no 802.1Q: the VLAN interfaces
# fail, with a message that says so).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_need
need ip sha256sum

ROOT=$T_SCRATCH/root
PROFILE=$T_SCRATCH/school.yaml
OUT=$T_SCRATCH/stdout
ERRF=$T_SCRATCH/stderr
ALL=$T_SCRATCH/avecctl-all.out	# every word avecctl printed, for the scan
R_DIR=$T_SCRATCH/radius
R_DB=$ROOT/var/lib/avec/avec.db
R_CA=$ROOT/var/lib/avec/ca
R_RADDB=$ROOT/etc/freeradius/avec
R_LOGDIR=$ROOT/var/log/avec-radius
R_RUNDIR=$ROOT/run/avec-radius
R_CREDS=$R_DIR/creds
R_SECRETS=$R_DIR/secrets.list
R_PID=
R_AUTH_PORT=$(free_port udp)
R_ACCT_PORT=$(free_port udp)
while [ "$R_ACCT_PORT" = "$R_AUTH_PORT" ]; do R_ACCT_PORT=$(free_port udp); done
mkdir -p "$R_DIR" "$R_CREDS" "$ROOT/etc/avec/secrets" "$ROOT/var/lib/avec"
: > "$R_SECRETS"
cp "$AVEC_TOP/appliance/school.yaml" "$PROFILE"

# the external authenticators' secrets, as the administrator puts them
for n in ap-cdi wlc-batiment-b; do
	head -c 30 /dev/urandom | base64 | tr -d '\n/+=' | head -c 32 > "$ROOT/etc/avec/secrets/$n"
	chmod 600 "$ROOT/etc/avec/secrets/$n"
	cat "$ROOT/etc/avec/secrets/$n" >> "$R_SECRETS"; echo >> "$R_SECRETS"
done

# prov ARGS... : avecctl provision on the scratch root and profile
prov() {
	"$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" provision "$PROFILE" "$@" --root "$ROOT" \
		--module-dir "$(dirname "$RLM_AVEC_SO")" \
		--templates "${TEMPLATES:-$AVEC_TOP/plugins/raddb}" \
		--units "$AVEC_TOP/appliance/systemd" \
		--auth-port "$R_AUTH_PORT" --acct-port "$R_ACCT_PORT" \
		>"$OUT" 2>"$ERRF"
	RC=$?
	cat "$OUT" "$ERRF" >> "$ALL"
}
# snapshot : every file under the root's etc/, with content hash and mtime
snapshot() {
	(cd "$ROOT" && find etc -type f -printf '%p %T@ %m\n' | sort &&
		find etc -type f -print0 | sort -z | xargs -0 sha256sum)
}

"$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" init >/dev/null 2>>"$ALL" ||
	{ fail "avecctl init"; finish; }

# ---- first run ------------------------------------------------------------
prov
check "first run succeeds" [ "$RC" = 0 ]
[ "$RC" = 0 ] || sed 's/^/# /' "$ERRF"
check "first run: FreeRADIUS checked with freeradius -XC, hostapd with our check" \
	grep -q "checked FreeRADIUS with \`freeradius -XC\`, hostapd with AVEC's own syntax check" "$OUT"
check "first run: the radios' secret is created" \
	grep -qx "created $ROOT/etc/avec/secrets/radios (the radios' shared secret)" "$OUT"
check "first run: the CA and the server certificate are created" \
	[ -s "$R_CA/ca.pem" -a -s "$R_CA/server.pem" -a -s "$R_CA/server.key" ]
check "first run: network skipped (root is not /)" grep -qx "network: skipped" "$OUT"
cat "$ROOT/etc/avec/secrets/radios" >> "$R_SECRETS"; echo >> "$R_SECRETS"
R_SECRET=$(cat "$ROOT/etc/avec/secrets/radios")
check "the radios' secret file is 0600" [ "$(stat -c %a "$ROOT/etc/avec/secrets/radios")" = 600 ]
for f in etc/freeradius/avec/radiusd.conf etc/freeradius/avec/clients.conf \
	etc/hostapd/avec-wlan0.conf etc/hostapd/avec-wlan1.conf \
	etc/hostapd/avec-wlan0.vlan etc/avec/avecd.yaml \
	etc/systemd/system/avec-freeradius.service \
	etc/systemd/system/avec-hostapd@.service etc/systemd/system/avecd.service \
	etc/systemd/system/avec-radio-off@wlan1.timer; do
	check "rendered $f" grep -qx "created $f" "$OUT"
done
freeradius -XC -d "$R_RADDB" > "$T_SCRATCH/xc.log" 2>&1
check "freeradius -XC accepts the rendered configuration" [ $? = 0 ]
check "clients.conf: 127.0.0.1 and the two external authenticators, each requiring Message-Authenticator" \
	[ "$(grep -c 'require_message_authenticator = yes' "$R_RADDB/clients.conf")" = 3 ]
check "hostapd: nl80211, 802.1X to 127.0.0.1, dynamic VLAN, DAS, onboarding BSS" \
	[ "$(grep -cE '^(driver=nl80211|ieee8021x=1|auth_server_addr=127.0.0.1|dynamic_vlan=2|radius_das_port=3799|bss=wlan0_ob|ssid=AVEC-Bienvenue)$' "$ROOT/etc/hostapd/avec-wlan0.conf")" = 7 ]
check "hostapd: the second radio's DAS port is the next one" \
	grep -qx 'radius_das_port=3800' "$ROOT/etc/hostapd/avec-wlan1.conf"
check "avecd.yaml: UAI, SSIDs, CAS URL, portal" \
	[ "$(grep -cE '^  (uai: "0450822X"|ssid: "AVEC"|onboarding_ssid: "AVEC-Bienvenue"|url: "https://ent.netocentre.fr/cas"|url: https://wifi.lycee-voltaire.fr)$' "$ROOT/etc/avec/avecd.yaml")" = 5 ]

# ---- second run: nothing changes ---------------------------------------
snapshot > "$T_SCRATCH/snap1"
sleep 1.1	# an mtime that moved would show
prov
check "second run succeeds" [ "$RC" = 0 ]
check "second run: every file unchanged" \
	[ "$(grep -cE '^(created|updated) ' "$OUT")" = 0 -a "$(grep -c '^unchanged etc/' "$OUT")" -ge 20 ]
check "second run: CA and server certificate unchanged" \
	[ "$(grep -c '^unchanged the ' "$OUT")" = 2 ]
snapshot > "$T_SCRATCH/snap2"
check "second run: no content, mtime or mode moved" cmp -s "$T_SCRATCH/snap1" "$T_SCRATCH/snap2"
prov --dry-run
check "dry run: nothing to do" [ "$RC" = 0 -a "$(grep -cE '^(would|created|updated) ' "$OUT")" = 0 ]

# ---- a broken profile is refused at its line ---------------------------
line=$(grep -n 'channel: 36' "$PROFILE" | cut -d: -f1)
sed 's/channel: 36/channel: 37/' "$PROFILE" > "$T_SCRATCH/broken.yaml"
sed -i 's/onboarding_ssid: AVEC-Bienvenue/onboarding_ssid: AVEC-Accueil/' "$T_SCRATCH/broken.yaml"
cp "$PROFILE" "$T_SCRATCH/good.yaml"
cp "$T_SCRATCH/broken.yaml" "$PROFILE"
prov
check "broken profile: refused (exit 1)" [ "$RC" = 1 ]
check "broken profile: the error names line $line" \
	grep -q "school.yaml:$line:[0-9]*: radios\[0\].channel: channel 37 is not" "$ERRF"
snapshot > "$T_SCRATCH/snap3"
check "broken profile: the previous rendering is untouched" cmp -s "$T_SCRATCH/snap1" "$T_SCRATCH/snap3"

# ---- a configuration FreeRADIUS refuses is not switched --------------------
sed 's/channel: 37/channel: 36/' "$T_SCRATCH/broken.yaml" > "$PROFILE"	# new SSID only
cp -r "$AVEC_TOP/plugins/raddb" "$T_SCRATCH/bad-templates"
printf '\nalways broken {\n\trcode = nonsense\n}\n' >> "$T_SCRATCH/bad-templates/mods-available/always"
TEMPLATES=$T_SCRATCH/bad-templates prov
check "refused by freeradius -XC: exit 4" [ "$RC" = 4 ]
check "refused by freeradius -XC: the error names the file and line" \
	grep -qE 'mods-available/always\[[0-9]+\]' "$ERRF"
check "refused by freeradius -XC: nothing switched" grep -q 'nothing switched' "$ERRF"
snapshot > "$T_SCRATCH/snap4"
check "refused by freeradius -XC: the previous rendering is untouched" \
	cmp -s "$T_SCRATCH/snap1" "$T_SCRATCH/snap4"

# ---- a change: switched, the old file kept -------------------------------
prov
check "changed profile: switched" [ "$RC" = 0 ]
check "changed profile: hostapd and avecd.yaml updated, FreeRADIUS unchanged" \
	[ "$(grep -cE '^updated etc/(hostapd/avec-wlan[01].conf|avec/avecd.yaml)$' "$OUT")" = 3 -a \
	"$(grep -c '^updated etc/freeradius' "$OUT")" = 0 ]
check "changed profile: the replaced file is kept in provision.prev" \
	grep -qx 'ssid=AVEC-Bienvenue' "$ROOT/var/lib/avec/provision.prev/etc/hostapd/avec-wlan0.conf"
check "changed profile: the new file has the new SSID" \
	grep -qx 'ssid=AVEC-Accueil' "$ROOT/etc/hostapd/avec-wlan0.conf"
check "no staging copy left behind" [ ! -e "$ROOT/var/lib/avec/provision.new" ]

# ---- the PSK network (devices without 802.1X) ------------------------------
sed -i 's/^  onboarding_ssid: .*/&\n  psk_ssid: AVEC-Objets/' "$PROFILE"
prov
H=$ROOT/etc/hostapd
check "psk_ssid: switched" [ "$RC" = 0 ]
# psk_bss RADIO : its PSK BSS asks RADIUS for each station's key
psk_bss() {
	sed -n "/^bss=${1}_pk\$/,\$p" "$H/avec-$1.conf" > "$T_SCRATCH/pk"
	grep -qx 'ssid=AVEC-Objets' "$T_SCRATCH/pk" && grep -qx 'wpa_key_mgmt=WPA-PSK' "$T_SCRATCH/pk" &&
		grep -qx 'macaddr_acl=2' "$T_SCRATCH/pk" && grep -qx 'wpa_psk_radius=2' "$T_SCRATCH/pk" &&
		grep -qx 'auth_server_addr=127.0.0.1' "$T_SCRATCH/pk" &&
		grep -qx "vlan_file=$H/avec-${1}_pk.vlan" "$T_SCRATCH/pk"
}
psk_bsses() { psk_bss wlan0 && psk_bss wlan1; }
check "psk_ssid: each radio gets a WPA-PSK BSS asking RADIUS for the key" psk_bsses
check "psk_ssid: its DAS ports follow the radios' (3801, 3802)" \
	sh -c "sed -n '/^bss=wlan0_pk/,\$p' '$H/avec-wlan0.conf' | grep -qx 'radius_das_port=3801' &&
		sed -n '/^bss=wlan1_pk/,\$p' '$H/avec-wlan1.conf' | grep -qx 'radius_das_port=3802'"
check "psk_ssid: its VLAN interfaces have their own names" \
	grep -qx '20 wlan0k.20 br-student' "$H/avec-wlan0_pk.vlan"
# own_ip RADIO BSS ADDR : that BSS of that radio reports NAS-IP-Address ADDR
own_ip() { sed -n "/^bss=$2\$/,/^bss=/p" "$H/avec-$1.conf" | grep -qx "own_ip_addr=$3"; }
own_ips() {
	[ "$(grep -m1 '^own_ip_addr=' "$H/avec-wlan0.conf")" = own_ip_addr=127.0.0.1 ] &&
		own_ip wlan0 wlan0_pk 127.0.1.1 && own_ip wlan1 wlan1_pk 127.0.1.2
}
check "psk_ssid: each PSK BSS has a NAS address of its own (127.0.1.1, 127.0.1.2), the 802.1X BSS 127.0.0.1" own_ips
check "psk_ssid: FreeRADIUS accepts its packets (they come from 127.0.0.1: client avec_radios)" \
	sh -c "sed -n '/^client avec_radios {/,/^}/p' '$R_RADDB/clients.conf' | grep -Eq '^[[:space:]]*ipaddr = 127.0.0.1\$'"
check "psk_ssid: avecd.yaml names the PSK network (wifi.psk_ssid)" \
	grep -qx '  psk_ssid: "AVEC-Objets"' "$ROOT/etc/avec/avecd.yaml"
nas_psk() { "$AVECCTL" -d "$R_DB" nas list --json |
	jq -c '[.[] | select(.name | endswith("-psk")) | [.name, .nas_address, .das_address, .das_port]]'; }
check "psk_ssid: each PSK BSS is registered in the NAS table with its DAS port" \
	[ "$(nas_psk)" = '[["avec-wlan0-psk","127.0.1.1","127.0.0.1",3801],["avec-wlan1-psk","127.0.1.2","127.0.0.1",3802]]' ]
check "... and provision says so" grep -qx 'registered NAS avec-wlan0-psk (NAS address 127.0.1.1, DAS 127.0.0.1 port 3801)' "$OUT"
check "... with the radios' secret as its DAS secret (hostapd's radius_das_client)" \
	[ "$(sqlite3 "$R_DB" "SELECT das_secret FROM nas_clients WHERE name = 'avec-wlan0-psk'")" = "$(cat "$ROOT/etc/avec/secrets/radios")" ]
prov
check "psk_ssid, a second run: the NAS entries unchanged" \
	sh -c "[ $RC = 0 ] && grep -qx 'unchanged NAS avec-wlan0-psk' '$OUT' && grep -qx 'unchanged NAS avec-wlan1-psk' '$OUT'"
sed -i '/^  psk_ssid: /s/.*/  psk_ssid: AVEC/' "$PROFILE"
prov
check "psk_ssid equal to secure_ssid: refused with its line" \
	[ "$RC" = 1 ] && grep -q "school.yaml:[0-9]*:.*wifi.psk_ssid" "$ERRF"
sed -i '/^  psk_ssid: /d' "$PROFILE"
prov
check "psk_ssid removed: switched back, no PSK BSS" \
	[ "$RC" = 0 ] && ! grep -q '^bss=wlan0_pk' "$H/avec-wlan0.conf"
check "psk_ssid removed: its NAS entries are removed" \
	sh -c "grep -qx 'removed NAS avec-wlan0-psk (no PSK network)' '$OUT' && [ \"\$(\"$AVECCTL\" -d '$R_DB' nas list --json | jq length)\" = 0 ]"

# ---- local settings: avecd.yaml.d, never touched by provision -------------
AVECD=${AVECD:-$(dirname "$AVECCTL")/avecd}
D=$ROOT/etc/avec/avecd.yaml.d
# dropin_dir_empty : avecd.yaml.d is a directory, mode 0750, empty
dropin_dir_empty() { [ -d "$D" ] && [ "$(stat -c %a "$D")" = 750 ] && [ -z "$(ls -A "$D")" ]; }
check "provision made avecd.yaml.d beside avecd.yaml, empty, mode 0750" dropin_dir_empty
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=wifi.lycee-voltaire.fr" -keyout "$T_SCRATCH/portal.key" \
	-out "$T_SCRATCH/portal.pem" 2>/dev/null || fail "a portal certificate"
# the portal's pair as this scratch root has it, then the school's own
# settings; a later file overrides an earlier one
printf 'portal:\n  certificate: %s\n  key: %s\n  support_email: nobody@example.invalid\n' \
	"$T_SCRATCH/portal.pem" "$T_SCRATCH/portal.key" > "$D/00-pki.yaml"
printf '# the school'"'"'s own settings\nportal:\n  support_email: informatique@lycee-voltaire.fr\nschedule:\n  ent_import_dir: /var/lib/avec/aaf\n' \
	> "$D/10-local.yaml"
touch -d '2020-01-02 03:04:05' "$D/00-pki.yaml" "$D/10-local.yaml"	# an mtime that moved would show
dropins() { (cd "$D" && stat -c '%n %Y %a %s' ./* && sha256sum ./*); }
dropins > "$T_SCRATCH/dropins1"
sed -i 's/^  name: "Lycée Voltaire" /  name: "Lycée Voltaire (Orléans)" /' "$PROFILE"
sed -i 's|^  # support_url: |  support_url: |' "$PROFILE"	# a portal setting the profile carries
prov
check "school name changed: switched" [ "$RC" = 0 ]
check "school name changed: avecd.yaml rewritten" grep -qx 'updated etc/avec/avecd.yaml' "$OUT"
check "school name changed: ... with the new name" grep -q 'Orléans' "$ROOT/etc/avec/avecd.yaml"
check "school name changed: provision says nothing of avecd.yaml.d" \
	[ "$(grep -c 'avecd.yaml.d' "$OUT")" = 0 ]
dropins > "$T_SCRATCH/dropins2"
check "the drop-in files are untouched (content, mtime, mode)" cmp -s "$T_SCRATCH/dropins1" "$T_SCRATCH/dropins2"
check "nothing of the drop-in directory in provision.prev" [ ! -e "$ROOT/var/lib/avec/provision.prev/etc/avec/avecd.yaml.d" ]
"$AVECD" -n -v -f "$ROOT/etc/avec/avecd.yaml" > "$T_SCRATCH/effective" 2> "$ERRF"
RC=$?
[ "$RC" = 0 ] || sed 's/^/# /' "$ERRF"
check "avecd -n accepts avecd.yaml with its drop-ins" [ "$RC" = 0 ]
check "avecd -n -v: the files read, in order" \
	[ "$(grep '^# read ' "$T_SCRATCH/effective" | sed 's/^# read //')" = "$(printf '%s\n' "$ROOT/etc/avec/avecd.yaml" "$D/00-pki.yaml" "$D/10-local.yaml")" ]
check "avecd -n -v: schedule.ent_import_dir of the drop-in in effect, named with its file and line" \
	grep -qx "schedule.ent_import_dir: /var/lib/avec/aaf  # $D/10-local.yaml:5" "$T_SCRATCH/effective"
check "avecd -n -v: portal.support_email of the later drop-in wins" \
	grep -qx "portal.support_email: informatique@lycee-voltaire.fr  # $D/10-local.yaml:3" "$T_SCRATCH/effective"
check "avecd -n -v: the rendered settings stay in effect (the new name)" \
	grep -qx "school.name: Lycée Voltaire (Orléans)  # $ROOT/etc/avec/avecd.yaml:7" "$T_SCRATCH/effective"
check "avecd -n -v: portal.support_url from the profile, through avecd.yaml" \
	grep -Eqx "portal.support_url: https://www.lycee-voltaire.fr/wifi  # $ROOT/etc/avec/avecd.yaml:[0-9]+" "$T_SCRATCH/effective"
check "avecd -n -v: a default says so" grep -qx 'schedule.purge_at: 03:30  # default' "$T_SCRATCH/effective"
# bad_dropin NAME WHAT: a drop-in file is refused by avecd -n at its line
bad_dropin() {
	"$AVECD" -n -f "$ROOT/etc/avec/avecd.yaml" > "$OUT" 2> "$ERRF"
	RC=$?
	echo "# $1: avecd -n says: $(head -n 1 "$ERRF")"
	check "bad drop-in ($1): avecd -n refuses it (exit 1)" [ "$RC" = 1 ]
	check "bad drop-in ($1): ... naming the drop-in file and line" grep -Eq "$2" "$ERRF"
}
printf 'schedule:\n  ent_import_dri: /var/lib/avec/aaf\n' > "$D/20-typo.yaml"
bad_dropin "a misspelt key" "^$D/20-typo.yaml:2:3: schedule.ent_import_dri: unknown setting$"
rm -f "$D/20-typo.yaml"
printf 'portal:\n  support_url: "https://www.lycee-voltaire.fr\nschedule:\n  purge_at: 04:00\n' > "$D/20-yaml.yaml"
bad_dropin "not YAML (an unclosed quote)" "^$D/20-yaml.yaml:[0-9]+:[0-9]+: "
rm -f "$D/20-yaml.yaml"
printf 'schedule:\n  ent_import_dir: var/lib/avec/aaf\n' > "$D/30-relative.yaml"
bad_dropin "a relative ent_import_dir" "^$D/30-relative.yaml:2:19: schedule.ent_import_dir: expected an absolute path$"
rm -f "$D/30-relative.yaml"
"$AVECD" -n -f "$ROOT/etc/avec/avecd.yaml" > "$OUT" 2> "$ERRF"
check "the drop-ins fixed: avecd -n accepts the configuration again" [ $? = 0 ]
prov
check "provision again: succeeds" [ "$RC" = 0 ]
dropins > "$T_SCRATCH/dropins3"
check "provision again: the drop-in files still untouched" cmp -s "$T_SCRATCH/dropins1" "$T_SCRATCH/dropins3"

# ---- FreeRADIUS from the rendered configuration ---------------------------
account_add eleve.martin student
device_add s_ttls eleve.martin ttls || fail "register a TTLS device"
reasons_build
start_radiusd -f || { fail "freeradius starts from the rendered configuration"; finish; }
ok "freeradius starts from the rendered configuration"
# shellcheck disable=SC2154 # set by device_add
eapol_auth ttls ttls "$s_ttls_user" "$s_ttls_secret"
check "EAP-TTLS of a registered device: eapol_test succeeds" [ $? -eq 0 ]
expect_accept ttls 20

printf 'User-Name = "%s"\nUser-Password = "%s"\n' "$s_ttls_user" "wrong" | rad_send no-ma
check "no Message-Authenticator: no answer at all" [ "$(rad_code no-ma)" = none ]
printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
	"$s_ttls_user" "wrong" | rad_send with-ma
check "with Message-Authenticator: an answer (Access-Reject)" [ "$(rad_code with-ma)" = Access-Reject ]
stop_radiusd	# the server adds its counts to auth_stats as it stops

# this host's clock is not AVEC's to set (a container's often says
# unsynchronised): status is told so, and reports it as a warning
"$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" status --root "$ROOT" --allow-unsynced-clock >"$OUT" 2>"$ERRF"
RC=$?
cat "$OUT" "$ERRF" >> "$ALL"
check "status: succeeds" [ "$RC" = 0 ]
check "status: services, or not under systemd" \
	grep -qE '^(services +not under systemd|avecd.service +[a-z]+)$' "$OUT"
check "status: the clock, with its estimated error" \
	grep -qE '^clock +(synchronised|warning: not synchronised) \(estimated error [0-9.]+ (us|ms|s), at most ' "$OUT"
"$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" status --root "$ROOT" >"$OUT" 2>"$ERRF"
RC=$?
if grep -qE '^clock +synchronised' "$OUT"; then
	check "status: a synchronised clock is no error (exit 0)" [ "$RC" = 0 ]
else
	check "status: without --allow-unsynced-clock, an unsynchronised clock is an error line (exit 4)" \
		bash -c "[ $RC = 4 ] && grep -qE '^clock +error: not synchronised' '$OUT' && grep -q '^avecctl: status: the clock is not synchronised' '$ERRF'"
	check "... and every other line is still printed" grep -qE '^RADIUS +[0-9]+ accepted' "$OUT"
fi
check "status: CA and RADIUS certificate expiry" \
	[ "$(grep -cE '^(CA|RADIUS) certificate +expires [0-9]{4}-' "$OUT")" = 2 ]
check "status: each radio and its hostapd unit" \
	[ "$(grep -cE '^radio +[a-z]+ \(avec-hostapd@wlan[01]\.service\)$' "$OUT")" = 2 ]
check "status: one device registered, one active, none connected" \
	grep -qE '^devices +1 registered, 1 active, 0 connected \(open sessions\)$' "$OUT"
check "status: no ENT import yet" grep -qE '^last ENT import +never$' "$OUT"
check "status: the last hour's RADIUS outcomes" \
	grep -qE '^RADIUS +1 accepted, [1-9][0-9]* refused' "$OUT"

# ---- no secret in avecctl's output, or in the store -------------------------
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	if grep -qF -- "$s" "$ALL"; then leaks=$((leaks + 1)); fi
	if sqlite3 "$R_DB" .dump | grep -qF -- "$s"; then leaks=$((leaks + 1)); fi
done < <(grep -v "${s_ttls_secret:-none}" "$R_SECRETS")
check "no shared secret in avecctl's output or in the store" [ "$leaks" = 0 ]

# ---- the bridges, in a network namespace ---------------------------------
NS=avecprov$$
if netns_add "$NS"; then
	ip -n "$NS" link add eth0 type veth peer name eth0p
	ip -n "$NS" link set eth0 up
	ip netns exec "$NS" "$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" provision "$PROFILE" \
		--root "$ROOT" --module-dir "$(dirname "$RLM_AVEC_SO")" \
		--templates "$AVEC_TOP/plugins/raddb" --units "$AVEC_TOP/appliance/systemd" \
		--auth-port "$R_AUTH_PORT" --acct-port "$R_ACCT_PORT" --network \
		>"$OUT" 2>"$ERRF"
	RC=$?
	cat "$OUT" "$ERRF" >> "$ALL"
	# bridge_up NAME : NAME is a bridge, and up, in the namespace
	bridge_up() { ip -n "$NS" -d link show "$1" type bridge up 2>/dev/null | grep -q "^[0-9]*: $1:"; }
	for br in br-student br-teacher br-staff br-onboarding; do
		check "namespace: bridge $br made and up" bridge_up "$br"
		check "namespace: $br reported" grep -qx "network: bridge $br created" "$OUT"
	done
	check "namespace: no bridge for a role without a VLAN" \
		[ -z "$(ip -n "$NS" link show br-parent 2>/dev/null)" ]
	if ip -n "$NS" link show eth0.20 >/dev/null 2>&1; then
		check "namespace: VLAN interfaces in their bridges (802.1Q here)" \
			ip -n "$NS" -d link show eth0.20 master br-student
	else
		check "namespace: no 802.1Q here: exit 4, a clear message per VLAN" \
			[ "$RC" = 4 -a "$(grep -c 'cannot create eth0\.[0-9]* (VLAN [0-9]* on eth0): .*802.1Q' "$ERRF")" = 4 ]
	fi
	ip netns exec "$NS" "$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" provision "$PROFILE" \
		--root "$ROOT" --module-dir "$(dirname "$RLM_AVEC_SO")" \
		--templates "$AVEC_TOP/plugins/raddb" --units "$AVEC_TOP/appliance/systemd" \
		--auth-port "$R_AUTH_PORT" --acct-port "$R_ACCT_PORT" --network \
		>"$OUT" 2>"$ERRF"
	cat "$OUT" "$ERRF" >> "$ALL"
	check "namespace: second run finds the bridges" \
		[ "$(grep -c '^network: bridge br-[a-z]* unchanged$' "$OUT")" = 4 ]
else
	fail "create a network namespace"
fi
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] && grep -qF -- "$s" "$ALL" && leaks=$((leaks + 1))
done < "$R_SECRETS"
check "still no shared secret in avecctl's output" [ "$leaks" = 0 ]

finish
