#!/bin/bash
# shellcheck disable=SC2154 # x_user, x_secret, x_cert...: set by device_add
# No secret reaches a server log: not the RADIUS shared secret, not a
# device secret, not a stored hash.
#
# The normal log (freeradius -f, log file of radiusd.conf) is scanned in
# full.  The debug trace (freeradius -X) is scanned too: AVEC's
# configuration sets suppress_secrets, so FreeRADIUS prints
# "<<< secret >>>" instead of a User-Password there, and rlm_avec's own
# lines hold no secret or hash.  The clients'
# output (eapol_test, radclient act as the device and print what they
# send) stays in the scratch directory and is not scanned.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_setup

account_add eleve.secret student
account_add eleve.revoque student
device_add tt eleve.secret ttls && device_add pe eleve.secret peap &&
	device_add tl eleve.secret tls && device_add rv eleve.revoque ttls ||
	{ fail "register devices"; finish; }
avecctl device revoke "$rv_id" >/dev/null
# The stored hashes, and their bodies without the "{scheme}" prefix
sqlite3 -readonly "$R_DB" "SELECT secret_hash FROM credentials WHERE secret_hash != ''" \
	> "$R_DIR/hashes.list"
sed 's/^{[a-z0-9]*}//' "$R_DIR/hashes.list" >> "$R_DIR/hashes.list.body"
check "the store holds hashes to look for" [ "$(wc -l < "$R_DIR/hashes.list")" -ge 3 ]

# Every kind of exchange, accepted and refused.
exchanges() {
	local s=$1 p=()
	eapol_auth "ttls-wrong$s" ttls "$tt_user" "$pe_secret" & p+=($!)
	eapol_auth "peap-wrong$s" peap "$pe_user" "$tt_secret" & p+=($!)
	eapol_auth "revoked$s" ttls "$rv_user" "$rv_secret" & p+=($!)
	printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
		"$pe_user" "$tt_secret" | rad_send "pap-wrong$s" & p+=($!)
	eapol_auth "ttls$s" ttls "$tt_user" "$tt_secret"
	eapol_auth "peap$s" peap "$pe_user" "$pe_secret"
	eapol_auth "tls$s" tls "$tl_cert" "$tl_key"
	printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
		"$tt_user" "$tt_secret" | rad_send "pap$s"
	wait "${p[@]}"
	[ "$(reply_code "ttls$s")$(reply_code "peap$s")$(reply_code "tls$s")" = 222 ] &&
	[ "$(reply_code "ttls-wrong$s")$(reply_code "peap-wrong$s")$(reply_code "revoked$s")" = 333 ] &&
	[ "$(rad_code "pap$s")/$(rad_code "pap-wrong$s")" = Access-Accept/Access-Reject ]
}
# absent FILE LIST : no line of LIST occurs in FILE
absent() {
	local s
	while IFS= read -r s; do
		[ -n "$s" ] || continue
		grep -qF -- "$s" "$1" && return 1
	done < "$2"
	return 0
}

# 1. The normal log.
start_radiusd -f || { fail "freeradius -f starts"; finish; }
check "-f: accepts and rejects as expected" exchanges -f
stop_radiusd
log=$R_LOGDIR/radius.log
check "-f: the log records the accepts" grep -q "Login OK: \[anonymous\]" "$log"
check "-f: the log records why a device was refused" \
	grep -q "Login incorrect (avec: reject: principal eleve.revoque device $rv_id (inner identity): device-revoked)" "$log"
check "-f log: no shared secret, no device secret" absent "$log" "$R_SECRETS"
check "-f log: no stored hash" absent "$log" "$R_DIR/hashes.list.body"

# 2. The debug trace.
start_radiusd -X || { fail "freeradius -X starts"; finish; }
check "-X: accepts and rejects as expected" exchanges -X
stop_radiusd
trace=$T_SCRATCH/radiusd.log
check "-X trace: no shared secret" absent "$trace" <(head -n 1 "$R_SECRETS")
check "-X trace: no stored hash" absent "$trace" "$R_DIR/hashes.list.body"
check "-X trace: rlm_avec logged its decisions" grep -q "avec: accept: principal eleve.secret" "$trace"
grep -E '\) avec: ' "$trace" > "$T_SCRATCH/avec-lines.log"
check "-X trace: rlm_avec's lines hold no secret" \
	absent "$T_SCRATCH/avec-lines.log" "$R_SECRETS"
tail -n +2 "$R_SECRETS" > "$R_DIR/device-secrets.list"
grep -hF -f "$R_DIR/device-secrets.list" "$trace" > "$T_SCRATCH/leaks.log"
n=$(wc -l < "$T_SCRATCH/leaks.log")
echo "# -X trace: $n lines show a device secret"
check "-X trace: no device secret (suppress_secrets)" [ "$n" = 0 ]
check "-X trace: FreeRADIUS printed <<< secret >>> instead" grep -q '<<< secret >>>' "$trace"

# 3. This script's own output, when it goes to a file (tests/run.sh).
out=$(readlink /proc/$$/fd/1)
if [ -f "$out" ]; then
	check "test output: no secret" absent "$out" "$R_SECRETS"
fi

finish
