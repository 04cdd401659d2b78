#!/bin/bash
# shellcheck disable=SC2154,SC2016,SC2015 # ph_user...: set by device_add; join keys hold a literal $; a && b || fail
# The ENT feed reaches RADIUS: a pupil's account linked by join key, with a
# TTLS device, is let in; a Complet import without that pupil suspends the
# account, and the running server refuses the device with "account
# suspended" at the next authentication (no restart); their classmate,
# still in the feed, is still let in.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need python3
radius_setup

GEN=$AVEC_TOP/tests/ent/gen_aaf.py
python3 "$GEN" --out "$T_SCRATCH/c1" --pupils 40 --teachers 4 --staff 1 --parents 10 &&
python3 "$GEN" --out "$T_SCRATCH/c2" --pupils 40 --teachers 4 --staff 1 --parents 10 \
	--drop 1000003 --date 20261001 || { fail "generate AAF files"; finish; }

avecctl account add eleve.depart --role student --join-key 'AC-OT$1000003' >/dev/null &&
avecctl account add eleve.reste --role student --join-key 'AC-OT$1000004' >/dev/null ||
	{ fail "accounts linked by join key"; finish; }
device_add ph eleve.depart ttls && device_add st eleve.reste peap ||
	{ fail "register devices"; finish; }
avecctl ent import "$T_SCRATCH"/c1/*.xml >/dev/null
check "first Complet imported" [ $? -eq 0 ]

start_radiusd -X || { fail "freeradius starts"; finish; }
pid=$R_PID
eapol_auth before ttls "$ph_user" "$ph_secret"
check "pupil's TTLS device accepted while in the feed" [ $? -eq 0 ]
expect_accept before 20

out=$(avecctl ent import "$T_SCRATCH"/c2/*.xml)
check "second Complet (pupil dropped) imported" [ $? -eq 0 ]
check "its summary: 1 left, 1 account suspended" grep -q 'left 1,.*accounts suspended 1' <<<"$out"
sleep 1		# the module's index refresh interval
eapol_auth after ttls "$ph_user" "$ph_secret"
check "the dropped pupil's device is refused" [ $? -ne 0 ]
expect_reject after account-suspended
eapol_auth classmate peap "$st_user" "$st_secret"
expect_accept classmate 20
check "the same server process answered throughout" bash -c "[ '$R_PID' = '$pid' ] && kill -0 '$pid'"

finish
