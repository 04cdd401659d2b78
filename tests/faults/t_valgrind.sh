#!/bin/bash
# shellcheck disable=SC2154,SC2317 # tt_*, pk_*, tl_*: set by device_add; spawn sets PID_*; functions run through check
# t_valgrind.sh - FreeRADIUS with rlm_avec under valgrind's memcheck.
#
# The server runs single-threaded in the foreground (-f -t, -m so that
# SIGINT frees everything before exit) under memcheck with full leak
# checking, and serves a real mix: EAP-TTLS/PAP, PEAP/MSCHAPv2 and
# EAP-TLS through eapol_test, plain PAP through radclient, and accounting
# Start/Stop carrying AVEC's Class.  Two runs, one of N rounds and one of
# 5N: neither may report a memcheck error (valgrind's exit status), and
# the bytes "definitely lost" must not grow with the number of requests
# (a per-request leak would multiply them by five).  Suppressions for
# libraries outside AVEC are in freeradius.supp, each one explained.
#
# About 1-2 minutes; AVEC_VG_ROUNDS sets N (default 2).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need valgrind python3
radius_setup
N=${AVEC_VG_ROUNDS:-2}
VG_ERR=42
SUPP=$AVEC_TOP/tests/faults/freeradius.supp

account_add prof.vg teacher || { fail "account"; finish; }
avecctl policy set teacher --vlan 30 --max-devices 5 --creds tls,ttls,peap >/dev/null
device_add tt prof.vg ttls && device_add pk prof.vg peap && device_add tl prof.vg tls ||
	{ fail "register devices"; finish; }
class_hex=$(printf 'avec1:%s' "$tt_id" | xxd -p | tr -d '\n')

# vg_start TAG : the server under memcheck, its report in vg-TAG.log
vg_start() {
	local n=600
	spawn "radiusd_$1" valgrind --tool=memcheck --leak-check=full \
		--errors-for-leak-kinds=definite --error-exitcode=$VG_ERR \
		--show-leak-kinds=definite --num-callers=30 \
		--suppressions="$SUPP" --log-file="$T_SCRATCH/vg-$1.log" \
		freeradius -f -t -m -d "$R_RADDB"
	R_PID=${T_PIDS[-1]}
	while ! radius_alive; do
		n=$((n - 1))
		kill -0 "$R_PID" 2>/dev/null && [ $n -gt 0 ] && continue
		echo "# freeradius under valgrind did not answer"
		tail -n 20 "$T_SCRATCH/vg-$1.log" "$R_LOGDIR/radius.log" 2>/dev/null | sed 's/^/#   /'
		return 1
	done
}

# vg_stop TAG : SIGINT (with -m: free everything), wait, valgrind's status
vg_stop() {
	local rc _
	kill -INT "$R_PID"
	for _ in $(seq 1 600); do
		kill -0 "$R_PID" 2>/dev/null || break
		sleep 0.1
	done
	wait "$R_PID"; rc=$?
	local keep=() p
	for p in "${T_PIDS[@]}"; do [ "$p" = "$R_PID" ] || keep+=("$p"); done
	T_PIDS=("${keep[@]}")
	R_PID=
	return $rc
}

# definitely TAG : the bytes valgrind reports as definitely lost
definitely() {
	sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$T_SCRATCH/vg-$1.log" | tr -d , | tail -n 1
}

# rounds TAG COUNT : COUNT rounds of TTLS, PEAP, TLS, PAP and accounting;
# counts the answers that were right into GOOD
rounds() {
	local tag=$1 i good=0 bad=0
	for i in $(seq 1 "$2"); do
		eapol_auth "$tag-ttls" ttls "$tt_user" "$tt_secret" && good=$((good + 1)) || bad=$((bad + 1))
		eapol_auth "$tag-peap" peap "$pk_user" "$pk_secret" && good=$((good + 1)) || bad=$((bad + 1))
		eapol_auth "$tag-tls" tls "$tl_cert" "$tl_key" && good=$((good + 1)) || bad=$((bad + 1))
		printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
			"$tt_user" "$tt_secret" | radclient -r 1 -t 20 "$R_HOST:$R_AUTH_PORT" auth "$R_SECRET" \
			> "$T_SCRATCH/pap-$tag.log" 2>&1
		grep -q '^Received Access-Accept' "$T_SCRATCH/pap-$tag.log" && good=$((good + 1)) || bad=$((bad + 1))
		# a wrong secret too: the reject path
		printf 'User-Name = "%s"\nUser-Password = "wrong"\nMessage-Authenticator = 0x00\n' \
			"$tt_user" | radclient -r 1 -t 20 "$R_HOST:$R_AUTH_PORT" auth "$R_SECRET" \
			> "$T_SCRATCH/papx-$tag.log" 2>&1
		grep -q '^Received Access-Reject' "$T_SCRATCH/papx-$tag.log" && good=$((good + 1)) || bad=$((bad + 1))
		for st in Start Stop; do
			printf 'User-Name = "anonymous"\nNAS-IP-Address = 192.0.2.7\nAcct-Session-Id = "VG-%s-%s"\nAcct-Status-Type = %s\nFramed-IP-Address = 10.9.0.%s\nClass = 0x%s\nAcct-Session-Time = 5\n' \
				"$tag" "$i" "$st" "$i" "$class_hex" |
				radclient -r 1 -t 20 "$R_HOST:$R_ACCT_PORT" acct "$R_SECRET" > "$T_SCRATCH/acct-$tag.log" 2>&1
			grep -q '^Received Accounting-Response' "$T_SCRATCH/acct-$tag.log" && good=$((good + 1)) || bad=$((bad + 1))
		done
	done
	GOOD=$good BAD=$bad
}

t0=$(date +%s)
lost=()
for run in "small:$N" "large:$((5 * N))"; do
	tag=${run%%:*} count=${run#*:}
	vg_start "$tag" || { fail "freeradius starts under valgrind ($tag)"; finish; }
	rounds "$tag" "$count"
	check "($tag) $count rounds: every answer right ($GOOD right, $BAD wrong)" [ "$BAD" = 0 ]
	vg_stop "$tag"; rc=$?
	check "($tag) no memcheck error (valgrind exit $rc)" [ "$rc" = 0 ]
	if [ "$rc" != 0 ]; then
		grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Syscall|Mismatched|.*definitely lost in)' \
			"$T_SCRATCH/vg-$tag.log" | head -n 10 | sed 's/^/# /'
	fi
	d=$(definitely "$tag")
	echo "# ($tag) definitely lost: ${d:-none reported} bytes"
	lost+=("${d:-0}")
done
check "definitely lost does not grow from $N to $((5 * N)) rounds (${lost[0]} -> ${lost[1]} bytes)" \
	[ "${lost[1]}" -le "${lost[0]}" ]
check "the whole run took under 3 minutes ($(( $(date +%s) - t0 )) s)" [ $(( $(date +%s) - t0 )) -lt 180 ]
finish
