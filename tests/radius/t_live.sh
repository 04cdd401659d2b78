#!/bin/bash
# shellcheck disable=SC2154 # x_user, x_secret, x_cert...: set by device_add
# Changes made with avecctl while FreeRADIUS runs are obeyed within about a
# second, by the same server process (no restart, no HUP): a revoked
# device, a suspended then reactivated account, a new VLAN and session
# timeout for a role.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_setup

account_add eleve.live student
device_add ph eleve.live ttls && device_add lt eleve.live tls && device_add tb eleve.live peap ||
	{ fail "register devices"; finish; }
start_radiusd -X || { fail "freeradius starts"; finish; }
pid=$R_PID

eapol_auth before ttls "$ph_user" "$ph_secret"
check "TTLS device accepted before the revocation" [ $? -eq 0 ]
eapol_auth before-tls tls "$lt_cert" "$lt_key"
check "EAP-TLS device accepted before the revocation" [ $? -eq 0 ]

# Revoke both while the server runs; one second later they are refused.
avecctl device revoke "$ph_id" --reason "stolen" >/dev/null &&
	avecctl device revoke "$lt_id" --reason "stolen" >/dev/null
check "avecctl revoked the devices" [ $? -eq 0 ]
sleep 1
eapol_auth after ttls "$ph_user" "$ph_secret" &
p1=$!
eapol_auth after-tls tls "$lt_cert" "$lt_key"
wait "$p1"
expect_reject after device-revoked
expect_reject after-tls device-revoked

# Suspend the account: its last device is refused; reactivate: let in.
avecctl account suspend eleve.live >/dev/null
sleep 1
eapol_auth suspended peap "$tb_user" "$tb_secret"
expect_reject suspended account-suspended
avecctl account activate eleve.live >/dev/null
sleep 1
eapol_auth reactivated peap "$tb_user" "$tb_secret"
expect_accept reactivated 20

# A new VLAN and a session timeout for students.
avecctl policy set student --vlan 21 --max-devices 3 --creds tls,ttls,peap \
	--session-timeout 3600 >/dev/null
check "avecctl changed the student policy" [ $? -eq 0 ]
sleep 1
eapol_auth new-policy peap "$tb_user" "$tb_secret"
expect_accept new-policy 21 3600

check "the same server process answered throughout" \
	[ "$R_PID" = "$pid" ] && kill -0 "$pid"
check "the server was never re-instantiated" \
	[ "$(grep -c 'Instantiating module "avec"' "$T_SCRATCH/radiusd.log")" = 1 ]

finish
