#!/bin/bash
# t_ent_schedule.sh - avecd's daily jobs: AAF files dropped in the import
# folder are imported in one transaction and moved to done/ (a broken one
# makes the whole batch go to failed/, changing nothing, and so does half
# a split Complet, the reason in failed/NAME.reason); the log purge
# runs; each job is in the audit trail as "avecd schedule".  SIGUSR1 runs
# the jobs at once, as an administrator would after dropping a file.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/radius.sh"
. "$(dirname "$0")/../lib/cas.sh"
. "$(dirname "$0")/../lib/portal.sh"
need jq python3
radius_setup
CAS_URL=https://127.0.0.1:9/cas
CAS_CA_FILE=$R_CA/ca.pem
GEN=$AVEC_TOP/tests/ent/gen_aaf.py
P_ENT_DIR=$T_SCRATCH/incoming
mkdir -p "$P_ENT_DIR"
portal_start || { fail "avecd starts"; finish; }
LOG=$T_SCRATCH/avecd.log
check "the first run of the day purges the connection log" \
	wait_for 10 grep -q 'schedule: connection log retention applied' "$LOG"

python3 "$GEN" --out "$T_SCRATCH/aaf" --uai 0290009C --pupils 40 --teachers 5 \
	--staff 2 --parents 6 --date 20261128 >/dev/null
cp "$T_SCRATCH"/aaf/*.xml "$P_ENT_DIR/"
n_files=$(ls "$P_ENT_DIR"/*.xml | wc -l)
kill -USR1 "$P_PID"
check "SIGUSR1: the dropped files are imported and moved to done/" \
	wait_for 20 bash -c "[ \$(ls '$P_ENT_DIR/done' 2>/dev/null | wc -l) = $n_files ]"
people=$(avecctl ent people --json | jq length)
check "the feed's people are in the store ($people)" [ "$people" -ge 50 ]
check "the import is recorded as the schedule's" \
	[ "$(avecctl audit list --json | jq -r '[.[] | select(.action == "ent import")][0] | "\(.actor)|\(.outcome)"')" = "avecd schedule|ok" ]
check "ent expire ran after it" \
	[ "$(avecctl audit list --json | jq '[.[] | select(.action == "ent expire" and .actor == "avecd schedule")] | length')" -ge 1 ]

# a broken file: nothing changes, the batch goes to failed/
python3 "$GEN" --out "$T_SCRATCH/aaf2" --uai 0290009C --pupils 3 --date 20261129 >/dev/null
f=$(ls "$T_SCRATCH"/aaf2/*Eleve*.xml | head -n 1)
head -c 600 "$f" > "$P_ENT_DIR/$(basename "$f")"
kill -USR1 "$P_PID"
check "a broken file goes to failed/" \
	wait_for 20 test -e "$P_ENT_DIR/failed/$(basename "$f")"
check "... and changed nothing" [ "$(avecctl ent people --json | jq length)" = "$people" ]
check "the log says the import was refused" \
	grep -q 'schedule: ENT import of 1 file(s): refused, nothing changed' "$LOG"

# half a split Complet (issue 13, item 6): the pupils of the missing part
# would leave at once; refused, the batch goes to failed/ with the reason
python3 "$GEN" --out "$T_SCRATCH/aaf3" --uai 0290009C --pupils 40 --teachers 5 \
	--staff 2 --parents 6 --split 20 --date 20261130 >/dev/null
half=ENT_0290009C_Complet_20261130_Eleve_0000.xml
cp "$T_SCRATCH/aaf3/$half" "$T_SCRATCH"/aaf3/*EtabEducNat*.xml "$P_ENT_DIR/"
kill -USR1 "$P_PID"
check "half a split Complet goes to failed/" \
	wait_for 20 test -e "$P_ENT_DIR/failed/$half.reason"
check "... with the reason: how many people would leave, and why" \
	grep -q '20 of the 53 people of school 0290009C (37 %) would be marked as departed, more than ent_max_departure_pct (5 %)' \
	"$P_ENT_DIR/failed/$half.reason"
check "... the file itself is in failed/ too" test -e "$P_ENT_DIR/failed/$half"
check "... nobody left and nothing changed" \
	[ "$(avecctl ent people --json | jq '[.[] | select(.status == "left")] | length'),$(avecctl ent people --json | jq length)" = "0,$people" ]
check "the log gives the reason" \
	grep -q 'schedule: ENT import of 2 file(s): refused, nothing changed: 20 of the 53 people' "$LOG"
finish
