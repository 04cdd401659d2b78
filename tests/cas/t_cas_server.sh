#!/bin/bash
# tests/cas/t_cas_server.sh - the CAS server AVEC's tests log in against.
#
# Starts slapd and django-cas-server over HTTPS on loopback (tests/lib/cas.sh),
# logs people of every role in as a browser would, and checks the
# validation answers AVEC will read: the principal (uid), each released
# attribute, single-use tickets, wrong passwords and foreign services
# refused, CAS 2 and CAS 3 validation.  One answer per role is printed,
# as comments, into the test's log.  Ends by checking that both servers
# are gone.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/cas.sh"

cas_need
SVC=https://127.0.0.1/avec/portal/cas
ATTRS="ENTPersonProfils ESCOUAI ESCOUAICourant ENTPersonStructRattach isMemberOf
ENTEleveClasses ENTPersonJointure displayName givenName sn"

t0=$(date +%s%N)
if ! cas_start; then
	fail "the CAS server starts"
	finish
fi
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ok "the CAS server starts (${ms} ms)"
check "it starts in under 15 s" [ "$ms" -lt 15000 ]
check "the login page is served over HTTPS with the test CA" \
	cas_curl -f -o /dev/null "$CAS_URL/login"
check "the server certificate is refused without the test CA" \
	eval '! curl -sS --max-time 5 -o /dev/null "$CAS_URL/login" 2>/dev/null'

# has XML ELEMENT VALUE : the answer holds <cas:ELEMENT>VALUE</cas:ELEMENT>
has() { grep -qF "<cas:$2>$3</cas:$2>" <<<"$1"; }
# show ROLE XML : keep the answer in the log, as comments
show() { echo "# --- $1"; sed 's/^/# /' <<<"$2"; }
# login_xml LOGIN [SERVICE] : log in and validate (CAS 3); prints the XML
login_xml() {
	local t
	t=$(cas_ticket "$1" test "${2:-$SVC}") || return 1
	cas_validate "${2:-$SVC}" "$t"
}

# --- a pupil of the appliance's school, every released attribute
t=$(cas_ticket test1 test "$SVC")
check "test1 logs in and gets a service ticket" [ "${t#ST-}" != "$t" ]
xml=$(cas_validate "$SVC" "$t")
show "test1 (pupil, p3/serviceValidate)" "$xml"
check "p3: authentication success" grep -q '<cas:authenticationSuccess>' <<<"$xml"
check "p3: cas:user is uid F1abc" has "$xml" user F1abc
missing=
for a in $ATTRS; do
	grep -q "<cas:$a>" <<<"$xml" || missing="$missing $a"
done
check "p3: every released attribute is there${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "p3: multi-valued attributes repeat the element" \
	[ "$(grep -c '<cas:isMemberOf>' <<<"$xml")" -ge 2 ]
check "p3: a value is also given as <cas:attribute name= value=>" \
	grep -qF '<cas:attribute name="ESCOUAI" value="0290009C"/>' <<<"$xml"
check "p3: test1's profile, school and class" \
	eval 'has "$xml" ENTPersonProfils National_ELV && has "$xml" ESCOUAICourant 0290009C &&
	grep -q "<cas:isMemberOf>esco:Etablissements:DE L IROISE_0290009C:.*:Eleves_TS2</cas:isMemberOf>" <<<"$xml"'
check "p3: attributes not released stay out (mail, userPassword)" \
	eval '! grep -qiE "<cas:(mail|userPassword)>|name=\"(mail|userPassword)\"" <<<"$xml"'

xml=$(cas_validate "$SVC" "$t")
check "a ticket validated twice: INVALID_TICKET" \
	grep -q 'authenticationFailure code="INVALID_TICKET"' <<<"$xml"

t=$(cas_ticket test1 test "$SVC")
xml=$(cas_validate "$SVC/other" "$t")
check "a ticket validated for another service: refused" \
	eval 'grep -q "authenticationFailure code=\"INVALID_SERVICE\"" <<<"$xml"'

check "a wrong password gets no ticket" eval '! cas_ticket test1 wrong "$SVC" 2>/dev/null'
check "an unknown login gets no ticket" eval '! cas_ticket nobody test "$SVC" 2>/dev/null'
check "a plain http service is refused" \
	eval '! cas_ticket test1 test http://127.0.0.1/avec/portal/cas 2>/dev/null'
check "a service on another host is refused" \
	eval '! cas_ticket test1 test https://portal.example.org/cas 2>/dev/null'
check "a service only starting like the pattern is refused" \
	eval '! cas_ticket test1 test https://127.0.0.1.example.org/cas 2>/dev/null'
check "https://localhost:PORT is an allowed service" \
	eval 'login_xml test2 https://localhost:8443/avec/cb | grep -qF "<cas:user>F2abc</cas:user>"'

# --- CAS 2
t=$(cas_ticket test1 test "$SVC")
xml=$(cas_validate "$SVC" "$t" serviceValidate)
show "test1 (pupil, serviceValidate v2)" "$xml"
check "v2 serviceValidate: success with cas:user F1abc" \
	eval 'grep -q "<cas:authenticationSuccess>" <<<"$xml" && has "$xml" user F1abc'

# --- the other roles
xml=$(login_xml prof1)
show "prof1 (teacher)" "$xml"
check "prof1: uid E1abc, National_ENS at 0290009C" \
	eval 'has "$xml" user E1abc && has "$xml" ENTPersonProfils National_ENS &&
	has "$xml" ESCOUAI 0290009C && has "$xml" ESCOUAICourant 0290009C'
xml=$(login_xml prof2)
check "prof2: National_ENS at 0290009C and 0291595B" \
	eval 'has "$xml" user E2abc && has "$xml" ENTPersonProfils National_ENS &&
	has "$xml" ESCOUAI 0290009C && has "$xml" ESCOUAI 0291595B'
xml=$(login_xml cpe1)
show "cpe1 (school-life staff)" "$xml"
check "cpe1: National_EVS at 0290009C" \
	eval 'has "$xml" user V1abc && has "$xml" ENTPersonProfils National_EVS &&
	has "$xml" ESCOUAICourant 0290009C'
xml=$(login_xml parent1)
show "parent1 (parent)" "$xml"
check "parent1: National_TUT at 0290009C, no class" \
	eval 'has "$xml" user R1abc && has "$xml" ENTPersonProfils National_TUT &&
	has "$xml" ESCOUAI 0290009C && ! grep -q "<cas:ENTEleveClasses>" <<<"$xml"'
xml=$(login_xml autre1)
show "autre1 (pupil of another school)" "$xml"
check "autre1: pupil of 0379999Z only" \
	eval 'has "$xml" user F2001abc && has "$xml" ENTPersonProfils National_ELV &&
	has "$xml" ESCOUAI 0379999Z && ! grep -q "0290009C" <<<"$xml"'
xml=$(login_xml num1)
show "num1 (pupil, numeric profile)" "$xml"
check "num1: only National_1, class 1S1 at 0290009C" \
	eval 'has "$xml" user F2002abc && has "$xml" ENTPersonProfils National_1 &&
	[ "$(grep -c "<cas:ENTPersonProfils>" <<<"$xml")" = 1 ] &&
	grep -q "<cas:ENTEleveClasses>.*\\\$1S1</cas:ENTEleveClasses>" <<<"$xml"'

check "no password reaches the server's logs" \
	eval '! grep -qE "password=|wrong" "$CAS_DIR/gunicorn.log" "$CAS_DIR/slapd.log"'

# --- stop: both processes gone, their files removed
# gunicorn's worker too: it must not outlive its master
pids="$CAS_SLAPD_PID $CAS_HTTP_PID $(ps -o pid= --ppid "$CAS_HTTP_PID")"
dir=$CAS_DIR
cas_stop
alive=
for p in $pids; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
check "cas_stop: slapd, gunicorn and its worker are gone${alive:+ (alive:$alive)}" [ -z "$alive" ]
check "cas_stop: their files are removed" [ ! -e "$dir" ]
finish
