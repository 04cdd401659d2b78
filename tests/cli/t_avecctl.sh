#!/bin/bash
# tests/cli/t_avecctl.sh - the real avecctl against a store and a CA in the
# scratch directory: every command, its --json output, its exit codes,
# hostile input, quota (also under 8 concurrent registrations), EAP-TLS
# files checked with openssl, and no secret ever on stderr.
#
# Never touches /var/lib/avec: AVEC_DB and AVEC_CA_DIR point into
# $T_SCRATCH.  AVECCTL=build/san/bin/avecctl runs it under ASan+UBSan.
. "$(dirname "$0")/../lib/common.sh"

need python3 openssl
[ -x "$AVECCTL" ] || skip "$AVECCTL is not built (make)"

export AVEC_DB=$T_SCRATCH/avec.db
export AVEC_CA_DIR=$T_SCRATCH/ca
OUT=$T_SCRATCH/stdout
ERRF=$T_SCRATCH/stderr
ALLERR=$T_SCRATCH/stderr.all	# every command's stderr, checked at the end
SECRETS=$T_SCRATCH/secrets	# every secret and PKCS#12 password delivered
: >"$ALLERR"
: >"$SECRETS"

# ctl ARGS... : run avecctl; stdout in $OUT, stderr in $ERRF, status in $RC
ctl() {
	"$AVECCTL" "$@" >"$OUT" 2>"$ERRF"
	RC=$?
	cat "$ERRF" >>"$ALLERR"
}
# expect CODE DESC ARGS... : ok if avecctl ARGS exits with CODE
expect() {
	local code=$1 desc=$2
	shift 2
	ctl "$@"
	if [ "$RC" = "$code" ]; then
		ok "$desc"
	else
		fail "$desc (exit $RC, expected $code): $(head -c 300 "$ERRF")"
	fi
}
# jcheck DESC EXPR : ok if the Python EXPR holds, j being the JSON on $OUT
jcheck() {
	if python3 -c 'import json, re, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$OUT" "$2" 2>>"$T_SCRATCH/py.log"; then
		ok "$1"
	else
		fail "$1 (json: $(head -c 400 "$OUT"))"
	fi
}
# jget EXPR : print a value from the JSON on $OUT
jget() {
	python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$OUT" "$1"
}
json_valid() { python3 -m json.tool <"$OUT" >/dev/null 2>&1; }
# sql QUERY [ARGS...] : one value from the store, read directly
sql() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(c.execute(sys.argv[2], sys.argv[3:]).fetchone()[0])' "$AVEC_DB" "$@"
}
# snap : a digest of the whole store's content
snap() {
	python3 -c 'import hashlib, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
print(hashlib.sha256("\n".join(c.iterdump()).encode()).hexdigest())' "$AVEC_DB"
}
mode_of() { stat -c %a "$1"; }
stderr_has() { grep -qF -- "$1" "$ERRF"; }

# ---------------------------------------------------------------- usage
expect 0 "avecctl -h exits 0" -h
check "-h prints the usage" grep -q '^usage: avecctl \[-q\] \[-d DB\] \[--ca-dir DIR\] COMMAND' "$OUT"
check "-h lists device add" grep -q 'avecctl device add PRINCIPAL --name NAME --type tls|ttls|peap' "$OUT"
"$AVECCTL" >/dev/null 2>"$T_SCRATCH/nocmd.err"
check "no command exits 1 with the usage on stderr" \
	test $? = 1 -a "$(head -c 15 "$T_SCRATCH/nocmd.err")" = "usage: avecctl "
expect 1 "unknown command exits 1" frobnicate
expect 1 "unknown global option exits 1" --frob init
expect 0 "account add -h exits 0" account add -h
check "account add -h gives its usage" grep -q '^usage: avecctl account add PRINCIPAL --role ROLE' "$OUT"
expect 0 "device -h exits 0" device -h
expect 1 "device without subcommand exits 1" device
expect 1 "device frob exits 1" device frob

# ---------------------------------------------------------------- store
expect 4 "account list before init: exit 4" account list
check "... says to run init" stderr_has "avecctl init"
check "no store file created by a reader" test ! -e "$AVEC_DB"
expect 0 "init creates the store" init
check "store file exists" test -f "$AVEC_DB"
expect 0 "init again is harmless" init
expect 1 "init with an argument exits 1" init extra
expect 0 "-d overrides AVEC_DB" -d "$T_SCRATCH/other.db" init
check "... the other store was created" test -f "$T_SCRATCH/other.db"

# the store holds password hashes, PSK keys and pupils' data: private
# whatever the umask.  modes FILE... : "MODE NAME" of each, NAME relative
# to $T_SCRATCH; held_modes DB : the modes of DB, -wal and -shm while a
# connection holds them open (SQLite removes -wal and -shm at the last
# close), and of its directory
modes() { local f; for f in "$@"; do stat -c "%a ${f#"$T_SCRATCH"/}" "$f"; done; }
held_modes() {
	(umask 022; python3 - "$1" <<'PY'
import os, sqlite3, stat, sys
db = sys.argv[1]
c = sqlite3.connect(db)
c.execute("select count(*) from sqlite_master").fetchall()
for f in (db, db + "-wal", db + "-shm", os.path.dirname(db)):
    print(oct(stat.S_IMODE(os.stat(f).st_mode))[2:], os.path.basename(f))
c.close()
PY
)
}
ctl_022() { local m; m=$(umask); umask 022; ctl "$@"; umask "$m"; }
ctl_022 -d "$T_SCRATCH/fresh/store/avec.db" init
check "init under umask 022 makes a missing store directory (exit ${RC})" \
	test -f "$T_SCRATCH/fresh/store/avec.db"
got=$(held_modes "$T_SCRATCH/fresh/store/avec.db" 2>&1 | tr '\n' ' ')
check "... avec.db, -wal, -shm 0640 and the directory 0750 ($got)" \
	[ "$got" = "640 avec.db 640 avec.db-wal 640 avec.db-shm 750 store " ]
mkdir -m 0755 "$T_SCRATCH/shared"
ctl_022 -d "$T_SCRATCH/shared/avec.db" init
check "in an existing directory, under umask 022, the store is 0640 ($(modes "$T_SCRATCH/shared/avec.db"))" \
	[ "$(stat -c %a "$T_SCRATCH/shared/avec.db")" = 640 ]
check "... and the directory keeps its mode (0755, documented)" \
	[ "$(stat -c %a "$T_SCRATCH/shared")" = 755 ]
chmod 0644 "$T_SCRATCH/shared/avec.db"	# a store made by an older avecctl
ctl_022 -d "$T_SCRATCH/shared/avec.db" init
check "init takes the others' permissions from an existing store ($(modes "$T_SCRATCH/shared/avec.db"))" \
	[ "$(stat -c %a "$T_SCRATCH/shared/avec.db")" = 640 ]
chmod 0660 "$T_SCRATCH/shared/avec.db"	# the appliance's: FreeRADIUS's group writes
ctl_022 -d "$T_SCRATCH/shared/avec.db" init
check "... and leaves its group permissions as they are (0660)" \
	[ "$(stat -c %a "$T_SCRATCH/shared/avec.db")" = 660 ]
mkdir -m 0777 "$T_SCRATCH/open"
ctl_022 -d "$T_SCRATCH/open/avec.db" init
check "init warns when others may write in the store's directory" \
	bash -c "[ $RC = 0 ] && grep -q 'other users may write in .*/open' '$ERRF'"

# ---------------------------------------------------------------- CA
expect 2 "ca show without a CA: exit 2" ca show
expect 1 "ca init with a bad server name: exit 1" ca init --server-name 'bad name'
check "... nothing created" test ! -e "$AVEC_CA_DIR/ca.key"
expect 0 "ca init" ca init --server-name radius.test
for f in ca.pem ca.key server.pem server.key; do
	check "ca init wrote $f" test -s "$AVEC_CA_DIR/$f"
done
check "CA directory is 0700" test "$(mode_of "$AVEC_CA_DIR")" = 700
check "ca.key is 0600" test "$(mode_of "$AVEC_CA_DIR/ca.key")" = 600
check "server.key is 0600" test "$(mode_of "$AVEC_CA_DIR/server.key")" = 600
check "server cert verifies against the CA" \
	openssl verify -CAfile "$AVEC_CA_DIR/ca.pem" -purpose sslserver "$AVEC_CA_DIR/server.pem"
check "server cert names radius.test" \
	bash -c "openssl x509 -in '$AVEC_CA_DIR/server.pem' -noout -ext subjectAltName | grep -q DNS:radius.test"
ca_sum=$(sha256sum "$AVEC_CA_DIR/ca.key" "$AVEC_CA_DIR/server.key")
expect 0 "ca init again" ca init --server-name other.test
check "... keeps the CA and server keys" test "$(sha256sum "$AVEC_CA_DIR/ca.key" "$AVEC_CA_DIR/server.key")" = "$ca_sum"
expect 0 "ca show" ca show
check "ca show gives the CA subject" grep -q 'CN=AVEC appliance CA' "$OUT"
expect 0 "ca show --json" ca show --json
check "ca show --json is JSON" json_valid
jcheck "ca show --json fields" \
	'"AVEC" in j["ca"]["subject"] and "radius.test" in j["server"]["subject"] and re.fullmatch("[0-9a-f]{64}", j["ca"]["fingerprint"]) and j["ca"]["not_after"] > j["ca"]["not_before"]'

# ---------------------------------------------------------------- accounts
expect 0 "account add alice (student)" account add alice --role student --name 'Alice Élève'
expect 0 "account add bob (teacher)" account add bob --role teacher
expect 0 "account add carol (parent)" account add carol --role parent
expect 0 "account add dave (staff)" account add dave --role staff
expect 1 "account add with an unknown role: exit 1" account add eve --role king
expect 1 "account add of a new account without --role: exit 1" account add eve
expect 1 "account add without a principal: exit 1" account add --role student
expect 0 "account add updates the display name" account add bob --name 'Bob "B." \ Martin'
expect 0 "account list --json" account list --json
check "account list --json is JSON" json_valid
jcheck "account list has the four accounts, in order" \
	'[a["principal"] for a in j] == ["alice", "bob", "carol", "dave"]'
jcheck "account list fields" \
	'j[0]["role"] == "student" and j[0]["status"] == "active" and j[0]["display_name"] == "Alice Élève" and j[0]["active_devices"] == 0 and j[1]["role"] == "teacher"'
jcheck "quotes and backslashes survive JSON" 'j[1]["display_name"] == "Bob \"B.\" \\ Martin"'
expect 0 "account list (columns)" account list
check "account list has a header" grep -q '^PRINCIPAL  *ROLE  *STATUS  *DEVICES' "$OUT"
expect 0 "account show alice --json" account show alice --json
check "account show --json is JSON" json_valid
jcheck "account show fields" 'j["principal"] == "alice" and j["role"] == "student" and j["devices"] == []'
expect 2 "account show of an unknown account: exit 2" account show nobody
expect 2 "account suspend of an unknown account: exit 2" account suspend nobody
expect 0 "account suspend" account suspend dave
ctl account show dave --json
jcheck "... dave is suspended" 'j["status"] == "suspended" and j["ended_at"] is not None'
expect 0 "account leave" account leave dave
ctl account show dave --json
jcheck "... dave has left" 'j["status"] == "left"'
expect 0 "account activate" account activate dave
ctl account show dave --json
jcheck "... dave is active again" 'j["status"] == "active" and j["ended_at"] is None'
expect 0 "-q silences confirmations" -q account add zed --role staff
check "... nothing on stdout" test ! -s "$OUT"

# Hostile principals are refused before the store is touched.
before=$(snap)
long=$(printf 'a%.0s' $(seq 1 300))
for p in $'al\x01ice' $'al\nice' 'al"ice' "al'ice" 'a b' "$long" '' 'élève' 'a;drop' 'a/b' $'a\x1b[2Jb'; do
	label=$(printf '%q' "$p" | head -c 40)
	expect 1 "account add refuses principal $label" account add "$p" --role student
	expect 1 "device add refuses principal $label" device add "$p" --name n --type ttls
	expect 1 "account show refuses principal $label" account show "$p"
done
expect 1 "device list refuses a 300-byte principal" device list "$long"
expect 1 "account suspend refuses a quoted principal" account suspend 'x"y'
check "the store is unchanged by hostile input" test "$(snap)" = "$before"
check "no escape sequence echoed to stderr" bash -c "! grep -q $'\x1b' '$ALLERR'"

# ---------------------------------------------------------------- policies
expect 0 "policy list --json" policy list --json
check "policy list --json is JSON" json_valid
jcheck "default policies: student 20, parent not admitted" \
	'[p["role"] for p in j] == ["student", "teacher", "staff", "parent"] and j[0]["admitted"] and j[0]["vlan"] == 20 and j[0]["creds"] == ["tls", "ttls", "peap"] and not j[3]["admitted"]'
expect 0 "policy set student (every option)" policy set student --vlan 120 --max-devices 2 --creds tls,ttls,peap --session-timeout 3600 --lifetime-days 30
ctl policy list --json
jcheck "... stored" 'j[0]["vlan"] == 120 and j[0]["max_devices"] == 2 and j[0]["session_timeout"] == 3600 and j[0]["device_lifetime"] == 30 * 86400'
expect 0 "policy set student --vlan only" policy set student --vlan 121
ctl policy list --json
jcheck "... other options keep their value" 'j[0]["vlan"] == 121 and j[0]["max_devices"] == 2 and j[0]["session_timeout"] == 3600 and j[0]["device_lifetime"] == 30 * 86400'
expect 1 "policy set of an unadmitted role needs the full policy" policy set parent --vlan 50
expect 1 "policy set with VLAN 5000: exit 1" policy set student --vlan 5000
expect 1 "policy set with VLAN 0: exit 1" policy set student --vlan 0
expect 1 "policy set with --vlan 12abc: exit 1" policy set student --vlan 12abc
expect 1 "policy set with --max-devices -1: exit 1" policy set student --max-devices -1
expect 1 "policy set with unknown creds: exit 1" policy set student --creds tls,wep
expect 1 "policy set with an unknown role: exit 1" policy set king --vlan 5
expect 0 "policy unset staff" policy unset staff
ctl policy list --json
jcheck "... staff is no longer admitted" 'not j[2]["admitted"]'
expect 0 "policy set staff again, TLS only" policy set staff --vlan 40 --max-devices 5 --creds tls
expect 0 "policy list (columns)" policy list
check "policy list has a header" grep -q '^ROLE  *ADMITTED  *VLAN  *MAX-DEVICES' "$OUT"

# ---------------------------------------------------------------- devices: TTLS/PEAP
expect 0 "device add ttls --json" device add bob --name 'Téléphone de Bob' --type ttls --json
check "device add --json is JSON" json_valid
jcheck "ttls fields" 'isinstance(j["id"], int) and re.fullmatch("dv-[a-z2-7]{16}", j["username"]) and re.fullmatch("[a-z2-7]{4}(-[a-z2-7]{4}){4}", j["secret"]) and j["type"] == "ttls"'
ttls_id=$(jget 'j["id"]')
jget 'j["secret"]' >>"$SECRETS"
expect 0 "device add peap (text)" device add bob --name 'Laptop' --type peap
peap_secret=$(sed -n 's/^secret: *//p' "$OUT")
peap_user=$(sed -n 's/^username: *//p' "$OUT")
check "peap secret printed once on stdout" test "$(grep -c "$peap_secret" "$OUT")" = 1
check "peap username printed" grep -qE '^dv-[a-z2-7]{16}$' <<<"$peap_user"
echo "$peap_secret" >>"$SECRETS"
no_secret_in_store() {
	python3 -c 'import sqlite3, sys
print("\n".join(sqlite3.connect(sys.argv[1]).iterdump()))' "$AVEC_DB" >"$T_SCRATCH/dump.sql"
	! grep -qF -f "$SECRETS" "$T_SCRATCH/dump.sql" "$AVEC_DB"*
}
check "the store holds no secret in clear" no_secret_in_store
check "the peap hash is an NT hash" test "$(sql "select secret_hash from credentials where username = ?" "$peap_user" | cut -c1-8)" = '{nthash}'

# ---------------------------------------------------------------- devices: TLS
mkdir -p "$T_SCRATCH/tls"
expect 0 "device add tls --json" device add bob --name 'Bob PC' --type tls --out "$T_SCRATCH/tls" --p12-password 'pw-for-bob-1' --json
echo 'pw-for-bob-1' >>"$SECRETS"
check "tls --json is JSON" json_valid
jcheck "tls fields" 're.fullmatch("dv-[a-z2-7]{16}", j["username"]) and j["type"] == "tls" and re.fullmatch("[0-7][0-9a-f]{31}", j["serial"]) and not j["serial"].startswith("00") and re.fullmatch("[0-9a-f]{64}", j["fingerprint"]) and j["p12_password"] == "pw-for-bob-1"'
tls_id=$(jget 'j["id"]')
tls_user=$(jget 'j["username"]')
tls_serial=$(jget 'j["serial"]')
tls_fp=$(jget 'j["fingerprint"]')
cert=$(jget 'j["cert"]'); key=$(jget 'j["key"]'); p12=$(jget 'j["p12"]')
check "cert path is OUT/USERNAME.pem" test "$cert" = "$T_SCRATCH/tls/$tls_user.pem"
check "cert, key, p12 written" test -s "$cert" -a -s "$key" -a -s "$p12"
check "key file is 0600" test "$(mode_of "$key")" = 600
check "p12 file is 0600" test "$(mode_of "$p12")" = 600
check "cert verifies with openssl verify -CAfile ca.pem" \
	openssl verify -CAfile "$AVEC_CA_DIR/ca.pem" -purpose sslclient "$cert"
check "cert CN is the device username" \
	bash -c "openssl x509 -in '$cert' -noout -subject -nameopt RFC2253 | grep -q 'CN=$tls_user'"
check "cert serial (openssl) = stored serial" \
	test "$(openssl x509 -in "$cert" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')" = "$tls_serial"
check "cert fingerprint (openssl) = stored fingerprint" \
	test "$(openssl x509 -in "$cert" -noout -fingerprint -sha256 | sed 's/^.*=//; s/://g' | tr 'A-F' 'a-f')" = "$tls_fp"
check "store has the serial and fingerprint" \
	test "$(sql "select cert_fingerprint from credentials where cert_serial = ?" "$tls_serial")" = "$tls_fp"
check "key matches cert" test "$(openssl pkey -in "$key" -pubout | sha256sum)" = "$(openssl x509 -in "$cert" -noout -pubkey | sha256sum)"
check "p12 readable with its password (openssl pkcs12 -info)" \
	openssl pkcs12 -info -noout -in "$p12" -passin pass:pw-for-bob-1
check "p12 refused with a wrong password" \
	bash -c "! openssl pkcs12 -info -noout -in '$p12' -passin pass:wrong-password 2>/dev/null"
check "p12 uses PBES2/AES-256-CBC and a SHA-256 MAC" \
	bash -c "openssl pkcs12 -info -noout -in '$p12' -passin pass:pw-for-bob-1 2>&1 | grep -q 'MAC: sha256' && ! openssl pkcs12 -info -noout -in '$p12' -passin pass:pw-for-bob-1 2>&1 | grep -Eiq 'rc2|3des|des-ede|sha1'"
check "p12 holds the certificate" \
	bash -c "openssl pkcs12 -in '$p12' -passin pass:pw-for-bob-1 -nokeys -clcerts | openssl x509 -noout -serial | tr A-F a-f | grep -q '=$tls_serial'"
check "p12 holds the CA certificate" \
	bash -c "openssl pkcs12 -in '$p12' -passin pass:pw-for-bob-1 -nokeys -cacerts | openssl x509 -noout -fingerprint -sha256 | grep -qF \"\$(openssl x509 -in '$AVEC_CA_DIR/ca.pem' -noout -fingerprint -sha256)\""

expect 0 "device add tls with a generated p12 password" device add bob --name 'Bob tablet' --type tls --out "$T_SCRATCH/tls"
gen_pw=$(sed -n 's/^p12 password: *//p' "$OUT")
gen_p12=$(sed -n 's/^pkcs12: *//p' "$OUT")
echo "$gen_pw" >>"$SECRETS"
check "generated p12 password printed on stdout" test -n "$gen_pw"
check "... and opens the p12" openssl pkcs12 -info -noout -in "$gen_p12" -passin "pass:$gen_pw"

# device arguments
expect 1 "device add with an unknown type: exit 1" device add bob --name x --type wep
expect 1 "device add without --name: exit 1" device add bob --type ttls
expect 1 "device add with a control char in the name: exit 1" device add bob --name $'a\tb' --type ttls
expect 1 "device add with a 65-byte name: exit 1" device add bob --name "$(printf 'n%.0s' $(seq 1 65))" --type ttls
expect 1 "device add tls with a missing --out dir: exit 1" device add bob --name x --type tls --out "$T_SCRATCH/nowhere"
expect 1 "device add tls with a short p12 password: exit 1" device add bob --name x --type tls --out "$T_SCRATCH/tls" --p12-password 'short1'
echo 'short1' >>"$SECRETS"
expect 2 "device add for an unknown account: exit 2" device add nobody --name x --type ttls

# listings and revocation
expect 0 "device list --json" device list --json
check "device list --json is JSON" json_valid
jcheck "device list has bob's four devices" \
	'len(j) == 4 and all(d["owner"] == "bob" and d["status"] == "active" for d in j) and [d["type"] for d in j] == ["ttls", "peap", "tls", "tls"]'
jcheck "device list fields" \
	'j[0]["name"] == "Téléphone de Bob" and j[0]["username"] and j[0]["serial"] is None and j[2]["serial"] == "'"$tls_serial"'" and j[2]["fingerprint"] == "'"$tls_fp"'" and j[2]["expires_at"] > j[2]["created_at"] and j[0]["last_seen"] is None'
expect 0 "device list bob --json" device list bob --json
jcheck "... four devices" 'len(j) == 4'
expect 0 "device list alice --json (none)" device list alice --json
jcheck "... empty list" 'j == []'
expect 2 "device list of an unknown account: exit 2" device list nobody
expect 0 "device list (columns)" device list
check "device list header" grep -q '^ID  *OWNER  *NAME  *TYPE  *STATUS  *CREATED  *EXPIRES  *LAST-SEEN  *USERNAME/SERIAL/MAC$' "$OUT"
check "device list columns are aligned" python3 -c '
import sys
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
col = lines[0].index("STATUS")
sys.exit(0 if all(l[col:].split()[0] in ("active", "revoked", "expired") for l in lines[1:]) else 1)' "$OUT"
expect 0 "device revoke with a reason" device revoke "$ttls_id" --reason 'lost phone'
ctl device list bob --json
jcheck "... the device is revoked, with its reason" \
	'[d for d in j if d["id"] == '"$ttls_id"'][0]["status"] == "revoked" and [d for d in j if d["id"] == '"$ttls_id"'][0]["revoke_reason"] == "lost phone"'
expect 2 "revoking it again: exit 2" device revoke "$ttls_id"
expect 2 "revoking an unknown device: exit 2" device revoke 999999
expect 1 "device revoke abc: exit 1" device revoke abc
expect 1 "device revoke 0: exit 1" device revoke 0
expect 1 "device revoke with a control char in the reason: exit 1" device revoke "$tls_id" --reason $'a\x07b'
expect 0 "account show bob --json lists his devices" account show bob --json
jcheck "... 4 devices, 3 active" 'len(j["devices"]) == 4 and j["active_devices"] == 3'

# ---------------------------------------------------------------- policy refusals and quota
expect 3 "parent (not admitted): exit 3" device add carol --name x --type ttls
check "... says the role is not admitted" stderr_has "not admitted"
expect 0 "account suspend alice" account suspend alice
expect 3 "suspended account: exit 3" device add alice --name x --type ttls
expect 0 "account activate alice" account activate alice
expect 3 "staff allows TLS only: ttls exit 3" device add dave --name x --type ttls
check "... says which types are allowed" stderr_has "allowed: tls"
expect 0 "staff TLS device" device add dave --name 'Dave PC' --type tls --out "$T_SCRATCH/tls" --p12-password 'pw-for-dave-1'
echo 'pw-for-dave-1' >>"$SECRETS"

# alice: student, --max-devices 2
expect 0 "alice device 1 (ttls)" device add alice --name 'A1' --type ttls --json
jget 'j["secret"]' >>"$SECRETS"
a1=$(jget 'j["id"]')
expect 0 "alice device 2 (tls)" device add alice --name 'A2' --type tls --out "$T_SCRATCH/tls" --p12-password 'pw-for-alice-2'
echo 'pw-for-alice-2' >>"$SECRETS"
ndev=$(sql "select count(*) from devices")
mkdir -p "$T_SCRATCH/quota"
expect 3 "alice device 3 (tls) over quota: exit 3" device add alice --name 'A3' --type tls --out "$T_SCRATCH/quota" --p12-password 'pw-for-alice-3'
echo 'pw-for-alice-3' >>"$SECRETS"
check "... the message names the quota" stderr_has "account alice already has 2 active devices (maximum 2 for role student)"
check "... nothing inserted" test "$(sql "select count(*) from devices")" = "$ndev"
check "... no certificate file left" test -z "$(ls -A "$T_SCRATCH/quota")"
expect 3 "alice device 3 (ttls) over quota: exit 3" device add alice --name 'A3' --type ttls
check "... nothing inserted" test "$(sql "select count(*) from devices")" = "$ndev"
check "... no secret on stdout" test ! -s "$OUT"
expect 0 "revoke one of alice's devices" device revoke "$a1"
expect 0 "... then a new device fits" device add alice --name 'A3' --type peap --json
jget 'j["secret"]' >>"$SECRETS"

# ---------------------------------------------------------------- concurrency
# 8 registrations at once for an account allowed 3: exactly 3 succeed, the
# others are refused with exit 3 and leave no file and no row behind.
expect 0 "policy set teacher --max-devices 3" policy set teacher --max-devices 3
race() {
	local acct=$1 dir=$2 i t pids=() n_ok=0 n_refused=0 n_other=0 rc
	local types=(tls ttls peap tls tls ttls tls peap)
	mkdir -p "$dir"
	"$AVECCTL" account add "$acct" --role teacher >/dev/null 2>>"$ALLERR"
	for i in 0 1 2 3 4 5 6 7; do
		t=${RACE_TYPE:-${types[$i]}}
		"$AVECCTL" device add "$acct" --name "dev $i" --type "$t" --out "$dir" \
			--p12-password "pw-race-$acct-$i" --json \
			>"$dir/out.$i" 2>"$dir/err.$i" &
		pids+=($!)
		echo "pw-race-$acct-$i" >>"$SECRETS"
	done
	for i in 0 1 2 3 4 5 6 7; do
		wait "${pids[$i]}"; rc=$?
		cat "$dir/err.$i" >>"$ALLERR"
		python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1])).get("secret") or "")
except Exception: pass' "$dir/out.$i" >>"$SECRETS"
		case $rc in
		0) n_ok=$((n_ok + 1)) ;;
		3) n_refused=$((n_refused + 1)) ;;
		*) n_other=$((n_other + 1)); echo "# race $acct $i: exit $rc: $(cat "$dir/err.$i")" ;;
		esac
	done
	rm -f "$dir"/out.* "$dir"/err.*
	check "race $acct: exactly 3 of 8 succeed" test "$n_ok" = 3
	check "race $acct: the other 5 exit 3" test "$n_refused" = 5 -a "$n_other" = 0
	check "race $acct: 3 active devices in the store" \
		test "$(sql "select count(*) from devices d join accounts a on a.id = d.account_id where a.principal = ? and d.status = 'active'" "$acct")" = 3
	check "race $acct: 3 devices in all (no refused row)" \
		test "$(sql "select count(*) from devices d join accounts a on a.id = d.account_id where a.principal = ?" "$acct")" = 3
	check "race $acct: one .p12 per accepted TLS device" \
		test "$(ls "$dir" | grep -c '\.p12$')" = "$(sql "select count(*) from devices d join accounts a on a.id = d.account_id where a.principal = ? and d.cred_type = 'tls'" "$acct")"
	check "race $acct: no orphan .pem or .key" \
		test "$(ls "$dir" | grep -c '\.pem$')" = "$(ls "$dir" | grep -c '\.p12$')" -a "$(ls "$dir" | grep -c '\.key$')" = "$(ls "$dir" | grep -c '\.p12$')"
}
RACE_TYPE=tls race race1 "$T_SCRATCH/race1"
race race2 "$T_SCRATCH/race2"
RACE_TYPE=ttls race race3 "$T_SCRATCH/race3"
race race4 "$T_SCRATCH/race4"
# A fresh CA directory: the first registrations race to create the CA.
AVEC_CA_DIR=$T_SCRATCH/ca2 RACE_TYPE=tls race race5 "$T_SCRATCH/race5"
check "race5: one CA was created, and every issued cert verifies against it" \
	bash -c "for c in '$T_SCRATCH'/race5/*.pem; do openssl verify -CAfile '$T_SCRATCH/ca2/ca.pem' \"\$c\" >/dev/null || exit 1; done"

# ---------------------------------------------------------------- erasure and the audit trail
# (issue 13, item 9) erasure pseudonymises the person's audit rows; the
# export holds them
expect 0 "erase.me created with a display name" account add erase.me --role student --name "Zélie Oubli" --join-key 'AC-OT$4242'
expect 0 "keep.me created" account add keep.me --role student --name "Keep Me"
expect 0 "erase.me's device" device add erase.me --name "Tablette de Zélie" --type ttls --json
er_dev=$(jget 'j["id"]')
expect 0 "erase.me's device revoked" device revoke "$er_dev" --reason "perdue" --no-disconnect
expect 0 "erase.me blocked" block add account erase.me --reason "essai"
expect 0 "erase.me suspended" account suspend erase.me --no-disconnect
expect 0 "account export erase.me" account export erase.me
jcheck "the export holds the person's audit rows" \
	'[r["action"] for r in j["audit"]] == ["account add", "device add", "device revoke", "block add", "account suspend"]'
jcheck "... their display name and device name as recorded" \
	'"Zélie Oubli" in j["audit"][0]["detail"] and "Tablette de Zélie" in j["audit"][1]["detail"]'
jcheck "... and the revocation of their device, by its id" \
	'j["audit"][2]["target"] == "'"$er_dev"'"'
n_audit=$(sql "select count(*) from audit")
actor=$(sql "select actor from audit where action = 'account add' and target = 'erase.me'")
expect 0 "account erase erase.me --yes" account erase erase.me --yes
pseudo=$(grep -o 'erased-[0-9]*' "$OUT" | head -n 1)
check "erasure names the pseudonym ($pseudo)" test -n "$pseudo"
check "no audit row names erase.me any more" \
	test "$(sql "select count(*) from audit where actor || target || detail like '%erase.me%'")" = 0
check "no audit row holds their display name, device name or join key" \
	test "$(sql "select count(*) from audit where detail like '%Zélie%' or detail like '%Oubli%' or detail like '%Tablette%' or detail like '%4242%'")" = 0
check "their rows stay, under the pseudonym (account add, device add, block, suspend, erase)" \
	test "$(sql "select count(*) from audit where target in (?, ?)" "$pseudo" "account $pseudo")" = 5
check "... with who acted and what they did" \
	test "$(sql "select actor || '|' || detail from audit where action = 'account add' and target = ?" "$pseudo")" = "$actor|--role student --name [erased] --join-key [erased]"
check "... the erasure's own row too" \
	test "$(sql "select count(*) from audit where action = 'account erase' and target = ?" "$pseudo")" = 1
check "... and the revocation of their device, reason kept" \
	test "$(sql "select detail from audit where action = 'device revoke' and target = ?" "$er_dev")" = "--reason perdue --no-disconnect"
check "no audit row was deleted (one added: the erasure)" test "$(sql "select count(*) from audit")" = $((n_audit + 1))
check "another person's rows are untouched" \
	test "$(sql "select detail from audit where action = 'account add' and target = 'keep.me'")" = "--role student --name Keep Me"
expect 0 "keep.me erased too" account erase keep.me --yes
check "a second erasure gets another pseudonym" \
	bash -c "grep -o 'erased-[0-9]*' '$OUT' | grep -qvx '$pseudo'"
expect 2 "export of an erased principal: nothing is held" account export erase.me

# ---------------------------------------------------------------- secrets never on stderr
sort -u "$SECRETS" | grep -v '^$' >"$SECRETS.u"
check "secrets were collected" test "$(wc -l <"$SECRETS.u")" -ge 10
check "no secret or p12 password on any stderr" bash -c "! grep -qF -f '$SECRETS.u' '$ALLERR'"
check "every stderr line is 'avecctl: ...' or a usage line" \
	bash -c "! grep -vE '^(avecctl: |usage: avecctl)' '$ALLERR' | grep -q ."

finish
