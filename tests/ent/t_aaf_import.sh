#!/bin/bash
# shellcheck disable=SC2016 # join keys and groups hold a literal $
# The ENT account feed: `avecctl ent import` of generated AAF files with
# hundreds of people (split files, ISO-8859-15 with CRLF, undeclared
# encodings).  A Complet import creates the people with the right roles,
# schools and classes, and fills linked accounts' schools and groups; a
# second identical import changes nothing; a Delta adds, modifies and
# deletes; a pupil dropped from the next Complet has their account
# suspended at once and their devices revoked after the grace period; a
# returning person's account comes back only if the feed had suspended it;
# an account linked to a key the feed does not hold keeps its memberships;
# half a split Complet, or parts not numbered from 0000, are refused, and
# so is marking more than ent_max_departure_pct of a school as departed
# without --allow-mass-departure;
# a broken file, or a value longer than 1,024 bytes, changes nothing at
# all and names file and line.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need python3 jq sqlite3
[ -x "$AVECCTL" ] || { echo "not ok - $AVECCTL is built (run make)"; exit 1; }

DB=$T_SCRATCH/avec.db
GEN=$AVEC_TOP/tests/ent/gen_aaf.py
DAY=86400
T0=1790000000			# the first import's time (2026-09-21)
A() { "$AVECCTL" -q -d "$DB" "$@"; }
gen() { local d=$T_SCRATCH/$1; shift; python3 "$GEN" --out "$d" "$@" && echo "$d"; }
# person ID FIELD : one field of `ent people --json`
person() { A ent people --json | jq -r --arg id "$1" ".[] | select(.id == \$id) | .$2"; }
acct() { A account show "$1" --json | jq -r ".$2"; }
q() { sqlite3 "$DB" "$1"; }
# dump : the whole store but the import log, for before/after comparisons
dump() { sqlite3 "$DB" .dump | grep -v '^INSERT INTO ent_imports'; }

A init >/dev/null || { fail "avecctl init"; finish; }

# Linked accounts (join keys from the feed), one of them with a device.
A account add eleve.a --role student --join-key 'AC-OT$1000005' &&
A account add eleve.b --role student --join-key 'AC-OT$1000006' &&
A account add eleve.c --role student --join-key 'AC-OT$1000007' &&
A account add eleve.e --role student --join-key 'AC-OT$1000008' &&
A account add prof.p --role student --join-key 'AC-OT$2000001' &&
A account add cpe.s --role teacher --join-key 'AC-OT$2000031' &&
A account add libre --role student &&
A account add eleve.x --role student --join-key 'AC-OT$9999999' --school 0290009C --group '0290009C$TS2'
check "accounts linked by --join-key" [ $? -eq 0 ]
A account add autre --role student --join-key 'AC-OT$1000005' 2>/dev/null
check "a join key links one account only (exit 3)" [ $? -eq 3 ]
A account show autre >/dev/null 2>&1
check "... and the refused account was not created" [ $? -eq 2 ]
A account add bad --role student --join-key 'a b' 2>/dev/null
check "a join key with a blank is refused (exit 1)" [ $? -eq 1 ]
A device add eleve.a --name ph --type ttls --json > "$T_SCRATCH/dev-a.json" &&
A device add eleve.e --name ph --type peap --json > "$T_SCRATCH/dev-e.json"
check "devices registered" [ $? -eq 0 ]
dev_a=$(jq -r .id "$T_SCRATCH/dev-a.json")
dev_e=$(jq -r .id "$T_SCRATCH/dev-e.json")

# ---- a Complet import: 300 pupils, 30 teachers, 5 staff, 100 parents ----
c1=$(gen c1 --split 100 --encoding iso-8859-15 --crlf) || { fail "generate"; finish; }
check "the Complet is split into _0000.._0002 files" [ -e "$c1/ENT_0450000A_Complet_20260901_Eleve_0002.xml" ]
out=$(A ent import --now $T0 "$c1"/*.xml 2>&1)
check "Complet import succeeds" [ $? -eq 0 ]
check "summary: 436 records, 435 added" grep -q 'records 436, added 435, changed 0, left 0' <<<"$out"
A ent people --json > "$T_SCRATCH/people.json"
check "435 people: 300 students, 30 teachers, 5 staff, 100 parents" \
	[ "$(jq -r '[group_by(.role)[] | "\(.[0].role)=\(length)"] | join(",")' "$T_SCRATCH/people.json")" \
	= "parent=100,staff=5,student=300,teacher=30" ]
check "ISO-8859-15 names arrive as UTF-8" [ "$(person 1000000 display_name)" = "Élodie Lefèvre" ]
check "school resolved through the EtabEducNat record" [ "$(person 1000000 uai)" = 0450000A ]
check "class and group as UAI\$name" [ "$(person 1000000 groups)" = '0450000A$2NDE1 0450000A$LV2-ESP' ]
check "a teacher's classes (ENTAuxEnsClasses)" [ "$(person 2000001 groups)" = '0450000A$2NDE2' ]
check "linked account's school filled from the feed" \
	[ "$(q "SELECT uai FROM account_schools s JOIN accounts a ON a.id = s.account_id WHERE a.principal = 'eleve.a'")" = 0450000A ]
check "linked account's class filled from the feed" \
	[ "$(q "SELECT grp FROM account_groups g JOIN accounts a ON a.id = g.account_id WHERE a.principal = 'eleve.a'")" = '0450000A$TG2' ]
check "linked account's role follows the feed (teacher)" [ "$(acct prof.p role)" = teacher ]
check "account export holds the feed's record of the person" \
	[ "$(A account export eleve.a | jq -r '.ent_feed[0].join_key + " " + .ent_feed[0].schools')" = 'AC-OT$1000005 0450000A' ]
check "an unlinked account's export has no feed record" \
	[ "$(A account add solo --role student >/dev/null && A account export solo | jq -r '.ent_feed | length')" = 0 ]
check "National_EVS profile: staff" [ "$(acct cpe.s role)" = staff ]
check "unlinked account untouched" [ "$(q "SELECT count(*) FROM account_schools s JOIN accounts a ON a.id = s.account_id WHERE a.principal = 'libre'")" = 0 ]
# the feed rewrites only the accounts of people it knows
check "an account linked to a key the feed does not hold keeps its school and class" \
	[ "$(A account export eleve.x | jq -c '[.schools, .groups]')" = '[["0290009C"],["0290009C$TS2"]]' ]

out=$(A ent import --now $((T0 + 60)) "$c1"/*.xml 2>&1)
check "the same Complet again: 435 unchanged" grep -q 'added 0, changed 0, left 0, unchanged 435' <<<"$out"

# An administrator suspends eleve.c: the feed must not undo that later.
A account suspend eleve.c >/dev/null

# ---- a Delta: add, modify (replace), delete; undeclared UTF-8 ----
mkdir -p "$T_SCRATCH/d1"
d1=$T_SCRATCH/d1/ENT_0450000A_Delta_20260915_Eleve_0000.xml
opattr='<operationalAttributes><attr name="categoriePersonne"><value>Eleve</value></attr></operationalAttributes>'
cat > "$d1" <<EOF
<ficAlimMENESR>
<addRequest>$opattr<identifier><id>1000900</id></identifier><attributes>
<attr name="ENTPersonJointure"><value>AC-OT\$1000900</value></attr>
<attr name="sn"><value>Nouvelle</value></attr><attr name="givenName"><value>Maëlys</value></attr>
<attr name="ENTEleveStructRattachId"><value>4500</value></attr>
<attr name="ENTEleveClasses"><value>4500\$1G1</value></attr></attributes></addRequest>
<modifyRequest>$opattr<identifier><id>1000001</id></identifier><modifications>
<modification name="sn" operation="replace"><value>Dupont-Aïcha</value></modification>
<modification name="ENTEleveClasses" operation="replace"><value>4500\$TG1</value></modification>
</modifications></modifyRequest>
<deleteRequest>$opattr<identifier><id>1000006</id></identifier></deleteRequest>
<deleteRequest>$opattr<identifier><id>1000007</id></identifier></deleteRequest>
<deleteRequest>$opattr<identifier><id>1999999</id></identifier></deleteRequest>
</ficAlimMENESR>
EOF
out=$(A ent import --now $((T0 + DAY)) "$d1" 2>&1)
check "Delta import succeeds (kind from the name)" [ $? -eq 0 ]
check "Delta summary: 1 added, 1 changed, 2 left, 1 error (unknown person)" \
	grep -q 'added 1, changed 1, left 2, unchanged 0, errors 1' <<<"$out"
check "the unknown person is named in a warning with file:line" \
	grep -q "ENT_0450000A_Delta_20260915_Eleve_0000.xml:13: identifier 1999999" <<<"$out"
check "added pupil present" [ "$(person 1000900 status)/$(person 1000900 display_name)" = "present/Maëlys Nouvelle" ]
check "modified pupil: new name, class replaced" \
	[ "$(person 1000001 display_name)|$(person 1000001 groups)" = 'Zoé Dupont-Aïcha|0450000A$TG1' ]
check "deleted pupil left" [ "$(person 1000006 status)" = left ]
check "their linked account suspended at once" [ "$(acct eleve.b status)" = suspended ]
check "Delta import recorded" [ "$(A ent status --json | jq -r '.imports[0].kind + "/" + .imports[0].result')" = Delta/ok ]

# ---- the next Complet drops eleve.a's and eleve.e's pupils ----
c2=$(gen c2 --drop 1000005,1000008 --encoding none --date 20261001) || { fail "generate"; finish; }
out=$(A ent import --now $((T0 + 2 * DAY)) "$c2"/*.xml 2>&1)
check "second Complet succeeds (undeclared encoding)" [ $? -eq 0 ]
# left: 1000005, 1000008 (dropped), 1000900 (not in the Complet); back: 1000006, 1000007
check "second Complet: 3 left, 2 came back (changed), 1 modified back (changed)" \
	grep -q 'left 3,' <<<"$out"
check "dropped pupils left" [ "$(person 1000005 status)$(person 1000008 status)$(person 1000900 status)" = leftleftleft ]
check "eleve.a suspended at once" [ "$(acct eleve.a status)" = suspended ]
check "eleve.a's device still active inside the grace period" \
	[ "$(A device list eleve.a --json | jq -r '.[0].status')" = active ]
check "returning pupil present again" [ "$(person 1000006 status)" = present ]
check "the feed's suspension lifted on return (eleve.b active)" [ "$(acct eleve.b status)" = active ]
check "an administrator's suspension stays (eleve.c suspended)" [ "$(acct eleve.c status)" = suspended ]
check "the Complet puts the modified name back" [ "$(person 1000001 display_name)" = "Zoé Lefèvre" ]

# ---- after the grace period ----
check "ent expire refuses a time it cannot read (exit 1)" \
	eval '! A ent expire --now "yesterday" 2>/dev/null'
out=$(A ent expire --now $((T0 + 8 * DAY)))
check "ent expire 6 days after they left revokes nothing" [ "$out" = "devices revoked 0" ]
out=$(A ent expire --now $((T0 + 10 * DAY)))
check "ent expire 8 days after they left revokes two devices" [ "$out" = "devices revoked 2" ]
check "eleve.a's device revoked with the feed's reason" \
	[ "$(A device list eleve.a --json | jq -r '.[0].status + "/" + .[0].revoke_reason')" = "revoked/left the school (ENT feed)" ]
check "eleve.e's device too" [ "$(A device list eleve.e --json | jq -r '.[0].status')" = revoked ]
check "returned pupil's account keeps its devices" [ "$(acct eleve.b status)" = active ]
: "$dev_a" "$dev_e"

# grace through the import itself and the setting
A account add eleve.g --role student --join-key 'AC-OT$1000010' >/dev/null &&
A device add eleve.g --name ph --type ttls >/dev/null
c3=$(gen c3 --drop 1000005,1000008,1000010) || { fail "generate"; finish; }
A ent import --now $((T0 + 11 * DAY)) "$c3"/*.xml >/dev/null
check "eleve.g suspended" [ "$(acct eleve.g status)" = suspended ]
sqlite3 "$DB" "UPDATE settings SET value = 2 WHERE key = 'ent_grace_days'"
out=$(A ent import --now $((T0 + 14 * DAY)) "$c3"/*.xml 2>&1)
check "an import 3 days later, grace 2 days (setting): device revoked" \
	grep -q 'devices revoked 1$' <<<"$out"

# ---- broken files change nothing ----
before=$(dump)
bad=$T_SCRATCH/bad; mkdir -p "$bad"
head -c 20000 "$c3/ENT_0450000A_Complet_20260901_Eleve_0000.xml" > "$bad/ENT_X_Complet_20261101_Eleve_0000.xml"
out=$(A ent import --now $((T0 + 15 * DAY)) "$c3"/*EtabEducNat*.xml "$bad/ENT_X_Complet_20261101_Eleve_0000.xml" 2>&1)
rc=$?
check "truncated XML: exit non-zero" [ $rc -ne 0 ]
check "truncated XML: message names file:line" grep -Eq 'ENT_X_Complet_20261101_Eleve_0000.xml:[0-9]+: .*not well-formed' <<<"$out"
check "truncated XML: store unchanged" [ "$(dump)" = "$before" ]
awk '/<identifier>/ && ++n == 50 { sub(/<identifier>/, "<identifiant/><identifier>") } 1' \
	"$c3/ENT_0450000A_Complet_20260901_Eleve_0000.xml" > "$bad/ENT_Y_Complet_20261101_Eleve_0000.xml"
line=$(grep -n '<identifiant/>' "$bad/ENT_Y_Complet_20261101_Eleve_0000.xml" | cut -d: -f1)
out=$(A ent import --now $((T0 + 15 * DAY)) "$bad/ENT_Y_Complet_20261101_Eleve_0000.xml" 2>&1)
check "bad element: exit non-zero" [ $? -ne 0 ]
check "bad element: file:$line: identifiant" grep -q "ENT_Y_Complet_20261101_Eleve_0000.xml:$line: identifiant: unexpected" <<<"$out"
check "bad element: store unchanged" [ "$(dump)" = "$before" ]
# a 100 KB value (libxml2 alone would take up to 10 MB): refused, file:line
long=$(head -c 102400 /dev/zero | tr '\0' x)
printf '<ficAlimMENESR>\n<modifyRequest>%s<identifier><id>1000002</id></identifier><modifications>\n<modification name="sn" operation="replace"><value>%s</value></modification></modifications></modifyRequest>\n</ficAlimMENESR>\n' \
	"$opattr" "$long" > "$bad/ENT_Z_Delta_20261101_Eleve_0000.xml"
out=$(A ent import --now $((T0 + 15 * DAY)) "$bad/ENT_Z_Delta_20261101_Eleve_0000.xml" 2>&1)
check "100 KB value: exit non-zero" [ $? -ne 0 ]
check "100 KB value: file:3 and the limit named" \
	grep -q "ENT_Z_Delta_20261101_Eleve_0000.xml:3: value: value of sn longer than 1024 bytes" <<<"$out"
check "100 KB value: store unchanged" [ "$(dump)" = "$before" ]
check "failed import recorded with its error" \
	[ "$(A ent status --json | jq -r '.imports[0].result')" = failed ]
A ent import "$c1/ENT_0450000A_Complet_20260901_Eleve_0000.xml" "$d1" >/dev/null 2>&1
check "Complet and Delta files in one import are refused" [ $? -ne 0 ]

# ---- undeclared ISO-8859-15 (not UTF-8) ----
printf '<ficAlimMENESR>\n<modifyRequest>%s<identifier><id>1000002</id></identifier><modifications><modification name="sn" operation="replace"><value>Ch\xe2teau \xa4</value></modification></modifications></modifyRequest>\n</ficAlimMENESR>\n' "$opattr" > "$T_SCRATCH/latin-delta.xml"
A ent import --delta --now $((T0 + 16 * DAY)) "$T_SCRATCH/latin-delta.xml" >/dev/null
check "undeclared Latin-9 file read as ISO-8859-15" [ "$(person 1000002 display_name)" = "Jérôme Château €" ]

# ---- PersEducNat without title or profiles: ENTPersonFonctions decides ----
# (issue 13, item 7: a head of school became a teacher, and their account,
# set to staff by an administrator, was moved to the teachers' VLAN)
DB7=$T_SCRATCH/roles.db
A7() { "$AVECCTL" -q -d "$DB7" "$@"; }
role7() { A7 ent people --json | jq -r --arg id "$1" '.[] | select(.id == $id) | .role'; }
A7 init >/dev/null && A7 account add chef --role staff --join-key 'AC-OT$2000900' >/dev/null
check "roles store: an account set to staff by its administrator" [ $? -eq 0 ]
mkdir -p "$T_SCRATCH/f7"
f7=$T_SCRATCH/f7/ENT_0290009C_Delta_20260902_PersEducNat_0000.xml
pen='<operationalAttributes><attr name="categoriePersonne"><value>PersEducNat</value></attr></operationalAttributes>'
fn() { printf '<addRequest>%s<identifier><id>%s</id></identifier><attributes><attr name="ENTPersonJointure"><value>AC-OT$%s</value></attr><attr name="sn"><value>P%s</value></attr>%s</attributes></addRequest>\n' "$pen" "$1" "$1" "$1" "$2"; }
fv() { local v='' x; for x in "$@"; do v="$v<value>0290009C\$$x</value>"; done; printf '<attr name="ENTPersonFonctions">%s</attr>' "$v"; }
{
	echo '<ficAlimMENESR>'
	fn 2000900 "$(fv 'DIR$DIRECTION$-$-')"
	fn 2000901 "$(fv 'ENS$ENSEIGNEMENT$L0202$LETTRES MODERNES')"
	fn 2000902 "$(fv 'EDU$EDUCATION$-$-')"
	fn 2000903 "$(fv 'ADF$PERSONNELS ADMINISTRATIFS$-$-' 'DOC$DOCUMENTATION$-$-')"
	fn 2000904 "$(fv 'DOC$DOCUMENTATION$-$-' 'ENS$ENSEIGNEMENT$L1100$PHILOSOPHIE')"
	fn 2000905 "$(fv 'MDS$MEDICO-SOCIAL$-$-')"
	fn 2000906 ''
	fn 2000907 "<attr name=\"title\"><value>ENS</value></attr>$(fv 'DIR$DIRECTION$-$-')"
	echo '</ficAlimMENESR>'
} > "$f7"
A7 ent import --now $T0 "$f7" >/dev/null
check "roles: the Delta is imported" [ $? -eq 0 ]
check "ENTPersonFonctions DIR only: staff" [ "$(role7 2000900)" = staff ]
check "... and the administrator's staff account stays staff" \
	[ "$("$AVECCTL" -d "$DB7" account show chef --json | jq -r .role)" = staff ]
check "ENTPersonFonctions ENS with a discipline: teacher" [ "$(role7 2000901)" = teacher ]
check "ENTPersonFonctions EDU (education): staff" [ "$(role7 2000902)" = staff ]
check "ENTPersonFonctions ADF and DOC: staff" [ "$(role7 2000903)" = staff ]
check "ENTPersonFonctions DOC and ENS: teacher" [ "$(role7 2000904)" = teacher ]
check "ENTPersonFonctions MDS (medico-social): staff" [ "$(role7 2000905)" = staff ]
check "nothing to go by: teacher, as before" [ "$(role7 2000906)" = teacher ]
check "title ENS is read before ENTPersonFonctions" [ "$(role7 2000907)" = teacher ]
printf '<ficAlimMENESR>\n<modifyRequest>%s<identifier><id>2000901</id></identifier><modifications>\n<modification name="ENTPersonFonctions" operation="replace"><value>0290009C$DIR$DIRECTION$-$-</value></modification>\n</modifications></modifyRequest>\n</ficAlimMENESR>\n' \
	"$pen" > "$T_SCRATCH/f7/ENT_0290009C_Delta_20260903_PersEducNat_0000.xml"
A7 ent import --now $((T0 + 60)) "$T_SCRATCH/f7/ENT_0290009C_Delta_20260903_PersEducNat_0000.xml" >/dev/null
check "a modification of ENTPersonFonctions to DIR: staff" [ "$(role7 2000901)" = staff ]

# ---- an incomplete split Complet, too many departures (issue 13, item 6) ----
DB6=$T_SCRATCH/split.db
A6() { "$AVECCTL" -q -d "$DB6" "$@"; }
dump6() { sqlite3 "$DB6" .dump | grep -v '^INSERT INTO ent_imports'; }
A6 init >/dev/null && A6 account add half.a --role student --join-key 'AC-OT$1000200' >/dev/null
s1=$(gen s1 --uai 0290009C --pupils 242 --split 121 --teachers 10 --staff 2 --parents 20) ||
	{ fail "generate"; finish; }
s3=$(gen s3 --uai 0290009C --pupils 242 --split 100 --teachers 10 --staff 2 --parents 20) ||
	{ fail "generate"; finish; }
P=ENT_0290009C_Complet_20260901
check "the setting ent_max_departure_pct is 5 by default" [ "$(A6 settings get ent_max_departure_pct)" = 5 ]
out=$(A6 ent import --now $T0 "$s1"/*.xml 2>&1)
check "the first import into an empty store: nobody departs, no refusal" \
	grep -q 'records 275, added 274, changed 0, left 0' <<<"$out"
before=$(dump6)
others() { ls "$1"/*.xml | grep -v _Eleve_; }
out=$(A6 ent import --now $((T0 + DAY)) $(others "$s1") "$s1/${P}_Eleve_0000.xml" 2>&1)
check "only part 0000 of a Complet split in two: refused" [ $? -ne 0 ]
check "... saying how many people of which school, and why" \
	grep -q 'import refused, nothing changed: 121 of the 274 people of school 0290009C (44 %) would be marked as departed, more than ent_max_departure_pct (5 %).*--allow-mass-departure' <<<"$out"
check "... nothing changed (nobody left, half.a active)" \
	[ "$(dump6)" = "$before" ] && [ "$("$AVECCTL" -d "$DB6" account show half.a --json | jq -r .status)" = active ]
check "... the refusal is in ent status" \
	[ "$(A6 ent status --json | jq -r '.imports[0].result + " " + (.imports[0].detail | .[0:10])')" = "failed 121 of the" ]
out=$(A6 ent import --now $((T0 + DAY)) $(others "$s1") "$s1/${P}_Eleve_0001.xml" 2>&1)
check "only part 0001: refused, 0000 is missing" \
	grep -q 'incomplete Complet set: Eleve part 0000 is missing' <<<"$out"
out=$(A6 ent import --now $((T0 + DAY)) $(others "$s3") "$s3/${P}_Eleve_0000.xml" "$s3/${P}_Eleve_0002.xml" 2>&1)
check "parts 0000 and 0002 of three: refused, 0001 is missing" \
	grep -q 'incomplete Complet set: Eleve part 0001 is missing' <<<"$out"
check "... nothing changed" [ "$(dump6)" = "$before" ]
out=$(A6 ent import --now $((T0 + DAY)) "$s3"/*.xml 2>&1)
check "the same people split in three, all parts: accepted" grep -q 'left 0, unchanged 274' <<<"$out"
out=$(A6 ent import --allow-mass-departure --now $((T0 + 2 * DAY)) $(others "$s1") "$s1/${P}_Eleve_0000.xml" 2>&1)
check "--allow-mass-departure: the departures are applied" \
	grep -q 'left 121, .*accounts suspended 1' <<<"$out"
A6 ent import --now $((T0 + 3 * DAY)) "$s1"/*.xml >/dev/null
check "they come back with the whole set" [ "$("$AVECCTL" -d "$DB6" account show half.a --json | jq -r .status)" = active ]
A6 settings set ent_max_departure_pct 50 >/dev/null
out=$(A6 ent import --now $((T0 + 4 * DAY)) $(others "$s1") "$s1/${P}_Eleve_0000.xml" 2>&1)
check "with ent_max_departure_pct 50, 44 % departing is accepted" grep -q 'left 121,' <<<"$out"
A6 settings set ent_max_departure_pct 101 >/dev/null 2>&1
check "ent_max_departure_pct is 0 to 100" [ $? -ne 0 ]

check "ent people --left lists only who left" \
	[ "$(A ent people --left --json | jq -r '[.[].status] | unique | join(",")')" = left ]
check "ent status counts" [ "$(A ent status --json | jq -r '"\(.present)/\(.linked_accounts)"')" = "432/7" ]

finish
