#!/bin/bash
# tests/cli/t_policy.sh - the policy file through the real avecctl: the
# shipped example checks and applies; `policy show` prints a file that
# applies again to the same policy; a broken file reports every error at
# its line and column and changes nothing in the store; `policy effective`
# resolves school, group and account overrides; `policy set` still edits
# one role in place; block lists and account memberships.
#
# Never touches /var/lib/avec: AVEC_DB points into $T_SCRATCH.  The live
# effect on FreeRADIUS is tests/radius/t_policy_live.sh.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

need python3
[ -x "$AVECCTL" ] || skip "$AVECCTL is not built (make)"

export AVEC_DB=$T_SCRATCH/avec.db
OUT=$T_SCRATCH/stdout
ERRF=$T_SCRATCH/stderr
EXAMPLE=$AVEC_TOP/appliance/policy.yaml

ctl() {
	"$AVECCTL" "$@" >"$OUT" 2>"$ERRF"
	RC=$?
}
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
jcheck() {
	if python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$OUT" "$2" 2>>"$T_SCRATCH/py.log"; then
		ok "$1"
	else
		fail "$1 (json: $(head -c 400 "$OUT"))"
	fi
}
# dump : the policy tables and the decision generation, as text
dump() {
	python3 -c 'import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
for t in ("role_policies", "holidays", "policy_overrides", "blocks",
          "account_schools", "account_groups"):
    for row in c.execute("SELECT * FROM " + t + " ORDER BY 1, 2"):
        print(t, row)
print(c.execute("SELECT value FROM store_meta WHERE key = ?",
                ("generation",)).fetchone())' "$AVEC_DB"
}

expect 0 "init" init

# ---------------------------------------------------------------- check/apply
expect 0 "policy check: the shipped example is valid" policy check "$EXAMPLE"
check "... and says what it holds" grep -q 'valid (roles admitted: student, teacher, staff; 4 holidays; 3 overrides)' "$OUT"
before=$(dump)
check "policy check writes nothing" test "$before" = "$(dump)"
expect 0 "policy apply: the example" policy apply "$EXAMPLE"
check "... prints a summary of the changes" \
	grep -q '^overrides: 3 (3 added, 0 removed, 0 changed)$' "$OUT"
check "... holidays in the summary" grep -q '^holidays: 4 (4 added, 0 removed)$' "$OUT"
expect 0 "policy apply: the same file again" policy apply "$EXAMPLE"
check "... changes nothing the second time" \
	grep -q '^overrides: 3 (0 added, 0 removed, 0 changed)$' "$OUT"
check "... each role unchanged" test "$(grep -c ': unchanged$' "$OUT")" = 3

# ---------------------------------------------------------------- show
expect 0 "policy show" policy show
cp "$OUT" "$T_SCRATCH/shown.yaml"
check "show: the student windows" grep -q 'windows: "mon-fri 07:30-18:30, sat 08:00-12:30"' "$T_SCRATCH/shown.yaml"
check "show: parents not admitted" grep -Pzq 'parent:\n    admitted: false\n' "$T_SCRATCH/shown.yaml"
expect 0 "show's output passes policy check" policy check "$T_SCRATCH/shown.yaml"
gen1=$(dump)
expect 0 "show's output applies" policy apply "$T_SCRATCH/shown.yaml"
expect 0 "policy show again" policy show
check "round trip: show -> apply -> show is identical" cmp -s "$OUT" "$T_SCRATCH/shown.yaml"
check "round trip: the policy tables are unchanged" \
	test "$(printf '%s\n' "$gen1" | grep -v '^(')" = "$(dump | grep -v '^(')"
expect 0 "policy show --json" policy show --json
jcheck "show --json: roles, holidays, overrides" \
	'j["roles"]["student"]["vlan"] == 20 and j["roles"]["parent"] == {"admitted": False} and len(j["holidays"]) == 4 and j["holidays"][1]["from"] == "2026-12-19" and [o["scope"] for o in j["overrides"]] == ["school", "group", "account"] and j["roles"]["student"]["session_timeout"] == 28800 and j["roles"]["student"]["lifetime_until"] == "08-31"'

# ---------------------------------------------------------------- errors
cat > "$T_SCRATCH/broken.yaml" <<'EOF'
holidays:
  - { name: "Noël", from: 2026-12-19, to: 2026-12-01 }
roles:
  student:
    vlan: 5000
    max_devices: 3
    credentials: [tls, wep]
    windows: "mon-fri 08:00-25:00"
    colour: blue
  teacher: { vlan: 31, max_devices: 5, credentials: [tls], vlan: 32 }
overrides:
  - { school: 0450822x, vlan: 22 }
EOF
before=$(dump)
expect 1 "policy apply of a broken file: exit 1" policy apply "$T_SCRATCH/broken.yaml"
B=$T_SCRATCH/broken.yaml
cat > "$T_SCRATCH/want.err" <<EOF
$B:2:43: holidays[0].to: before from: a holiday ends on or after its first day
$B:5:11: roles.student.vlan: 5000 is not a VLAN (1-4094)
$B:7:24: roles.student.credentials: "wep" is not a credential type (tls, ttls, peap)
$B:8:15: roles.student.windows: at "mon-fri 08:0": times must be HH:MM-HH:MM (00:00 to 24:00)
$B:9:5: roles.student.colour: unknown key (expected admitted, vlan, max_devices, credentials, session_timeout, lifetime, windows)
$B:10:60: roles.teacher.vlan: duplicate key (first given at line 10)
$B:12:15: overrides[0].school: "0450822x" is not a UAI (7 digits and a capital letter, e.g. 0450822X)
avecctl: $B: 7 errors, nothing applied
EOF
check "every error, each at its line and column, in file order" cmp -s "$ERRF" "$T_SCRATCH/want.err"
[ "${T_VERBOSE:-0}" = 1 ] && diff "$ERRF" "$T_SCRATCH/want.err"
check "... nothing on stdout" test ! -s "$OUT"
check "... the store is unchanged (policy, holidays, overrides, generation)" test "$before" = "$(dump)"
expect 1 "policy check of the broken file: exit 1 too" policy check "$B"
check "... the same errors" cmp -s "$ERRF" "$T_SCRATCH/want.err"
printf 'roles:\n  student: { vlan: 20\n' > "$T_SCRATCH/syntax.yaml"
expect 1 "a YAML syntax error: exit 1" policy apply "$T_SCRATCH/syntax.yaml"
check "... named with its line" grep -q "^$T_SCRATCH/syntax.yaml:3:1: YAML syntax: " "$ERRF"
expect 1 "a missing file: exit 1" policy apply "$T_SCRATCH/nope.yaml"
check "... says it cannot be read" grep -q 'nope.yaml: cannot read: No such file' "$ERRF"
check "the store is still unchanged" test "$before" = "$(dump)"

# ---------------------------------------------------------------- effective
expect 0 "account add with a school and a group" \
	account add E1 --role student --school 0450822X --group '0450822X$1AQUA'
expect 0 "a pupil of another school" account add E2 --role student --school 0450001A
expect 0 "a teacher of the overridden school" account add P1 --role teacher --school 0450822X
expect 0 "the account with its own override" account add F1abc --role student
expect 1 "account add --school with a bad UAI: exit 1" account add E3 --role student --school 450822X
expect 1 "account add --group with a control character: exit 1" account add E3 --role student --group $'1A\001'
expect 0 "policy effective E1" policy effective E1 --json
jcheck "E1: school VLAN 22, group windows, role quota" \
	'j["vlan"] == 22 and j["windows"] == "mon-fri 08:00-17:00" and j["max_devices"] == 3 and j["schools"] == ["0450822X"] and j["groups"] == ["0450822X$1AQUA"]'
jcheck "E1: school then group override, in that order" \
	'[(o["scope"], o["target"]) for o in j["overrides"]] == [("school", "0450822X"), ("group", "0450822X$1AQUA")]'
jcheck "E1: expiry rule and the date a device registered now gets" \
	'j["device_lifetime"] == 365 * 86400 and j["lifetime_until"] == "08-31" and j["expires_if_registered_now"] > 0'
expect 0 "policy effective E2" policy effective E2 --json
jcheck "E2: the role's VLAN 20 and windows, no override" \
	'j["vlan"] == 20 and j["windows"] == "mon-fri 07:30-18:30, sat 08:00-12:30" and j["overrides"] == []'
expect 0 "policy effective P1" policy effective P1 --json
jcheck "P1: a student-only school override leaves teachers at 30" \
	'j["vlan"] == 30 and j["overrides"] == [] and j["windows"] is None'
expect 0 "policy effective F1abc (text)" policy effective F1abc
check "F1abc: max_devices 5 from its account override" grep -q '^max_devices: *5$' "$OUT"
check "F1abc: the override is listed" grep -q '^  account "F1abc": max_devices: 5$' "$OUT"
expect 2 "policy effective of an unknown account: exit 2" policy effective nobody
expect 1 "policy effective of a bad principal: exit 1" policy effective 'a b'

# ---------------------------------------------------------------- policy set
expect 0 "policy set changes one role in place" policy set student --vlan 21
expect 0 "policy show after set" policy show
check "... student VLAN 21" grep -Pzq 'student:\n    vlan: 21\n' "$OUT"
check "... windows, lifetime and overrides kept" \
	bash -c "grep -q 'windows: \"mon-fri 07:30-18:30, sat 08:00-12:30\"' '$OUT' && grep -q 'lifetime: \[365d, \"until 08-31\"\]' '$OUT' && grep -q 'account: \"F1abc\"' '$OUT'"
expect 0 "policy list still works" policy list --json
jcheck "policy list: student at 21" '[p["vlan"] for p in j if p["role"] == "student"] == [21]'

# ---------------------------------------------------------------- blocks
expect 0 "block add account" block add account E1 --reason "lost phone"
expect 0 "block add account again: harmless" block add account E1
expect 2 "block add account of an unknown principal: exit 2" block add account nobody
expect 2 "block add device of an unknown id: exit 2" block add device 4242
expect 1 "block add device with a bad id: exit 1" block add device 12x
expect 1 "block add with a bad kind: exit 1" block add mac E1
expect 0 "block list --json" block list --json
jcheck "block list: the account with its reason" \
	'j == [{"kind": "account", "target": "E1", "reason": "lost phone", "created_at": j[0]["created_at"]}]'
expect 0 "block remove account" block remove account E1
expect 2 "block remove again: exit 2" block remove account E1
expect 0 "block list --json, empty" block list --json
jcheck "block list: empty" 'j == []'

finish
