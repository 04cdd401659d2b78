#!/bin/bash
# shellcheck disable=SC2154 # x_user, x_secret, x_cert...: set by device_add
# Every "no" of the policy reaches the device as an Access-Reject with an
# EAP-Failure and the reason in Reply-Message (libavec's own text), never
# with a VLAN or session keys; and the devices next to a refused one are
# still let in, so each refusal is about that one device.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_setup

reg() { device_add "$@" || { fail "register device $1 ($3) for $2"; finish; }; }
ctl() { avecctl "$@" >/dev/null || { fail "avecctl $*"; finish; }; }

# A student with revoked devices, one more device kept, and one used with
# the wrong secret.
account_add eleve.ok student
reg rv_ttls eleve.ok ttls
reg rv_tls eleve.ok tls
ctl device revoke "$rv_ttls_id" --reason "lost phone"
ctl device revoke "$rv_tls_id" --reason "lost laptop"
reg ok_ttls eleve.ok ttls
reg ok_peap eleve.ok peap
# Suspended and departed accounts.
account_add eleve.suspendu student
reg su_ttls eleve.suspendu ttls
ctl account suspend eleve.suspendu
account_add eleve.parti student
reg lf_peap eleve.parti peap
ctl account leave eleve.parti
# Three devices, then the quota lowered to two: the newest is over quota.
account_add eleve.quota student
reg q1 eleve.quota ttls
reg q2 eleve.quota ttls
reg q3 eleve.quota ttls
ctl policy set student --vlan 20 --max-devices 2 --creds tls,ttls,peap
# A parent device registered while parents were admitted, then no longer.
ctl policy set parent --vlan 50 --max-devices 1 --creds ttls
account_add parent.dupont parent
reg pa_ttls parent.dupont ttls
ctl policy unset parent
# Teachers lose TTLS: a TTLS device is refused, a PEAP one is not.
account_add prof.leroy teacher
reg te_ttls prof.leroy ttls
reg te_peap prof.leroy peap
ctl policy set teacher --vlan 30 --max-devices 5 --creds tls,peap

# Certificates that are valid TLS-wise but not a registered device: one
# signed by the appliance CA and never registered, one from another CA.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T_SCRATCH/stray.key" -subj "/CN=stray" -out "$T_SCRATCH/stray.csr" 2>/dev/null &&
openssl x509 -req -in "$T_SCRATCH/stray.csr" -CA "$R_CA/ca.pem" -CAkey "$R_CA/ca.key" \
	-set_serial 0x5eed0001 -days 2 -out "$T_SCRATCH/stray.pem" 2>/dev/null &&
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-keyout "$T_SCRATCH/other-ca.key" -subj "/CN=Other CA" -days 2 \
	-out "$T_SCRATCH/other-ca.pem" 2>/dev/null &&
openssl x509 -req -in "$T_SCRATCH/stray.csr" -CA "$T_SCRATCH/other-ca.pem" \
	-CAkey "$T_SCRATCH/other-ca.key" -set_serial 0x5eed0002 -days 2 \
	-out "$T_SCRATCH/foreign.pem" 2>/dev/null ||
	{ fail "make the stray certificates"; finish; }

start_radiusd -X || { fail "freeradius starts"; finish; }

# reject NAME REASON KIND ARGS... : authenticate (in the background: each
# reject is delayed by the server's reject_delay) and check later
pids=() names=() reasons=()
reject() {
	local n=$1 r=$2; shift 2
	eapol_auth "$n" "$@" &
	pids+=("$!") names+=("$n") reasons+=("$r")
}
accept() {
	local n=$1 vlan=$2; shift 2
	eapol_auth "$n" "$@"
	check "$n: eapol_test succeeds" [ $? -eq 0 ]
	expect_accept "$n" "$vlan"
}

reject unknown-ttls unknown-device ttls dv-aaaaaaaaaaaaaaaa abcd-efgh-ijkl-mnop-qrst
reject unknown-cert unknown-device tls "$T_SCRATCH/stray.pem" "$T_SCRATCH/stray.key"
reject revoked-ttls device-revoked ttls "$rv_ttls_user" "$rv_ttls_secret"
reject revoked-tls device-revoked tls "$rv_tls_cert" "$rv_tls_key"
reject suspended account-suspended ttls "$su_ttls_user" "$su_ttls_secret"
reject left account-left peap "$lf_peap_user" "$lf_peap_secret"
reject wrong-ttls wrong-secret ttls "$ok_ttls_user" "wrong-${ok_ttls_secret:6}"
reject wrong-peap wrong-secret peap "$ok_peap_user" "wrong-${ok_peap_secret:6}"
reject over-quota over-quota ttls "$q3_user" "$q3_secret"
reject parent role-not-admitted ttls "$pa_ttls_user" "$pa_ttls_secret"
reject cred-type credential-type ttls "$te_ttls_user" "$te_ttls_secret"
# A PEAP secret tried over TTLS/PAP (rlm_pap could check it against the NT
# hash): the credential was not issued for that method.
reject wrong-method wrong-method ttls "$ok_peap_user" "$ok_peap_secret"
reject anonymous-only malformed-identity ttls anonymous abcd-efgh-ijkl-mnop-qrst
eapol_auth foreign-ca tls "$T_SCRATCH/foreign.pem" "$T_SCRATCH/stray.key" &
pids+=("$!") names+=(foreign-ca) reasons+=("")

# The neighbours of refused devices are let in.
accept neighbour-ttls 20 ttls "$ok_ttls_user" "$ok_ttls_secret"
accept neighbour-peap 20 peap "$ok_peap_user" "$ok_peap_secret"
accept within-quota 20 ttls "$q2_user" "$q2_secret"
accept teacher-peap 30 peap "$te_peap_user" "$te_peap_secret"

for i in "${!pids[@]}"; do
	wait "${pids[$i]}"
	check "${names[$i]}: eapol_test fails" [ $? -ne 0 ]
	if [ -n "${reasons[$i]}" ]; then
		expect_reject "${names[$i]}" "${reasons[$i]}"
	fi
done
# A certificate from another CA fails in TLS itself: no Access-Accept was
# ever built, and the reject carries no keys or VLAN either.
check "foreign-ca: Access-Reject with EAP-Failure, nothing of an accept" \
	[ "$(reply_code foreign-ca)" = 3 -a "$(eap_last_code foreign-ca)" = 4 \
	  -a "$(reply_count foreign-ca 81)$(reply_mppe_count foreign-ca)" = 00 ]
check "the server is still up" kill -0 "$R_PID"

finish
