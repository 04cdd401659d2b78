# shellcheck shell=bash
# tests/lib/cas.sh - a real CAS server on loopback, backed by a real LDAP
# directory of ENT people.
#
# Sourced after common.sh.  cas_start builds, under the script's scratch
# directory, a throw-away certificate authority and a server certificate
# for 127.0.0.1/localhost, a slapd holding AVEC's test ENT directory
# (tests/cas/ldap/: its schema and its people, all in the repository), and
# Debian's django-cas-server (tests/cas/django/) served by gunicorn over
# HTTPS.  Both processes are started through spawn, so common.sh's exit
# trap stops them by process id even when a test dies half-way; cas_stop
# does the same on purpose and removes their files.
#
# cas_ticket logs in the way a browser would (login form, cookie, CSRF
# token, POST) and prints the service ticket from the redirect it gets;
# cas_validate prints the server's validation answer.  The logins and
# what they release are listed in tests/cas/README.md.
#
# Set before cas_start, for a client that is not on the host's loopback
# (the VM test reaches the server through qemu's user-mode network):
#   CAS_NAMES          more DNS names the server is reached by (its
#                      certificate's and Django's allowed hosts), e.g.
#                      "cas.avec.test"
#   CAS_SERVICE_HOSTS  more host names whose https:// services it accepts
#                      (the portal's host name), e.g. "wifi.avec.test"
# cas_issue makes a server certificate for another name from the same test
# CA, so that one CA file is all such a client trusts.
#
# Variables exported by cas_start:
#   CAS_URL        https://127.0.0.1:PORT/cas
#   CAS_CA_FILE    PEM of the test CA, the one AVEC must trust
#   CAS_LDAP_URI   ldap://127.0.0.1:PORT (no trailing slash: ldap3 refuses one)
#   CAS_SLAPD_PID CAS_HTTP_PID  the two processes
#   CAS_DIR        their files (under $T_SCRATCH)

CAS_SRC=$AVEC_TOP/tests/cas
CAS_SUFFIX=dc=esco-centre,dc=fr
# Debian's python, the one its django-cas-server and gunicorn belong to
CAS_PYTHON=${CAS_PYTHON:-/usr/bin/python3}

# cas_need : skip without the programs
cas_need() {
	need slapd slapadd ldapsearch openssl curl "$CAS_PYTHON"
	"$CAS_PYTHON" -c 'import cas_server, ldap3, django, gunicorn' 2>/dev/null ||
		skip "python3-django-cas-server, python3-ldap3 or gunicorn is not installed (make deps)"
}

# cas_fail MSG [LOG] : say why the server did not start, show the end of
# LOG (a file of $CAS_DIR) and where the logs are
cas_fail() {
	echo "# cas: $1" >&2
	[ -n "${2:-}" ] && [ -e "$CAS_DIR/$2" ] && tail -n 15 "$CAS_DIR/$2" | sed 's/^/# | /' >&2
	echo "# cas: logs in $CAS_DIR (slapd.log, gunicorn.log, setup.log); T_KEEP=1 keeps them" >&2
	return 1
}

# cas_pki DIR [NAME...] : a test CA and a server certificate for
# 127.0.0.1/localhost (and each NAME)
cas_pki() {
	local d=$1 n san=IP:127.0.0.1,DNS:localhost
	shift
	for n in "$@"; do san=$san,DNS:$n; done
	(
		set -e
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/ca.key" -out "$d/ca.pem" -days 2 \
			-subj "/O=AVEC tests/CN=AVEC test CAS CA" \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$d/server.key" -out "$d/server.csr" \
			-subj "/O=AVEC tests/CN=127.0.0.1"
		cat > "$d/server.ext" <<-EOF
			basicConstraints=critical,CA:FALSE
			keyUsage=critical,digitalSignature
			extendedKeyUsage=serverAuth
			subjectAltName=$san
		EOF
		openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/server.ext" -out "$d/server.pem"
		chmod 644 "$d/ca.pem" "$d/server.pem"
	) >"$d/pki.log" 2>&1
}

# cas_issue NAME OUT : a server certificate for NAME from the test CA of
# cas_start, as OUT.pem and OUT.key (0600)
cas_issue() {
	local name=$1 out=$2
	(
		set -e
		umask 077
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$out.key" -out "$out.csr" -subj "/O=AVEC tests/CN=$name"
		printf '%s\n' basicConstraints=critical,CA:FALSE keyUsage=critical,digitalSignature \
			extendedKeyUsage=serverAuth "subjectAltName=DNS:$name" > "$out.ext"
		openssl x509 -req -in "$out.csr" -CA "$CAS_DIR/ca.pem" -CAkey "$CAS_DIR/ca.key" \
			-CAcreateserial -days 2 -extfile "$out.ext" -out "$out.pem"
		chmod 644 "$out.pem"
		rm -f "$out.csr" "$out.ext"
	) >"$out.log" 2>&1
}

# cas_slapd_conf : slapd.conf for a private mdb database of the ENT suffix:
# the standard schemas, then the test ENT attributes (tests/cas/ldap/)
cas_slapd_conf() {
	local s
	for s in core cosine inetorgperson; do
		echo "include /etc/ldap/schema/$s.schema"
	done
	echo "include $CAS_SRC/ldap/avec-ent.schema"
	cat <<-EOF
		pidfile $CAS_DIR/slapd.pid
		argsfile $CAS_DIR/slapd.args
		modulepath /usr/lib/ldap
		moduleload back_mdb
		database mdb
		suffix "$CAS_SUFFIX"
		rootdn "cn=admin,$CAS_SUFFIX"
		directory $CAS_DIR/ldap
		maxsize 67108864
		access to attrs=userPassword by anonymous auth by self read by * none
		access to * by * read
	EOF
}

# cas_ldif : every entry of tests/cas/ldap/NN-*.ldif, in the order of
# their numbers, as one LDIF stream.  "version:" and "changetype: add"
# lines are dropped because slapadd takes plain entries only.
cas_ldif() {
	local f
	for f in "$CAS_SRC"/ldap/[0-9][0-9]-*.ldif; do
		grep -Ev '^(version|changetype):' "$f"
		echo
	done
}

# cas_django CMD... : run CMD with the test CAS server's settings
cas_django() {
	AVEC_CAS_ALLOWED_HOSTS=${CAS_NAMES:-} AVEC_CAS_DB=$CAS_DIR/cas.sqlite3 AVEC_CAS_LDAP_URI=$CAS_LDAP_URI \
	AVEC_CAS_SECRET_KEY=$CAS_SECRET_KEY DJANGO_SETTINGS_MODULE=avec_cas.settings \
	PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$CAS_SRC/django${PYTHONPATH:+:$PYTHONPATH} "$@"
}

# cas_slapd_spawn : start slapd on a free port (-d keeps it in the
# foreground, so that the pid spawn records is slapd's)
cas_slapd_spawn() {
	CAS_LDAP_URI=ldap://127.0.0.1:$(free_port tcp)
	while [ "${CAS_LDAP_URI##*:}" = "$CAS_HTTP_PORT" ]; do
		CAS_LDAP_URI=ldap://127.0.0.1:$(free_port tcp)
	done
	spawn cas_slapd slapd -d stats -h "$CAS_LDAP_URI" -f "$CAS_DIR/slapd.conf"
	CAS_SLAPD_PID=${T_PIDS[-1]}
	ln -sf "$T_SCRATCH/cas_slapd.log" "$CAS_DIR/slapd.log"
}

# cas_slapd_wait : wait up to 10 s for slapd to answer; fail at once if it died
cas_slapd_wait() {
	local _
	for _ in $(seq 1 100); do
		ldapsearch -x -LLL -H "$CAS_LDAP_URI" -b "$CAS_SUFFIX" -s base dn >/dev/null 2>&1 &&
			return 0
		kill -0 "$CAS_SLAPD_PID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# cas_start : CA, slapd, database, gunicorn; exports CAS_* (see above)
cas_start() {
	cas_need
	CAS_DIR=$T_SCRATCH/cas
	mkdir -p "$CAS_DIR/ldap" || return 1
	# shellcheck disable=SC2086 # a list of names
	cas_pki "$CAS_DIR" ${CAS_NAMES:-} || cas_fail "test CA or server certificate (pki.log)" pki.log || return 1
	CAS_CA_FILE=$CAS_DIR/ca.pem

	local try
	CAS_HTTP_PORT=$(free_port tcp)
	CAS_URL=https://127.0.0.1:$CAS_HTTP_PORT/cas
	CAS_SECRET_KEY=$(head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
	export CAS_URL CAS_CA_FILE

	cas_slapd_conf > "$CAS_DIR/slapd.conf"
	cas_ldif > "$CAS_DIR/people.ldif"
	slapadd -q -f "$CAS_DIR/slapd.conf" -l "$CAS_DIR/people.ldif" >"$CAS_DIR/slapadd.log" 2>&1 ||
		cas_fail "slapadd refused the directory data (slapadd.log)" slapadd.log || return 1
	cas_slapd_spawn

	# the database while slapd starts: one python for migrate and fixture,
	# and the service hosts of CAS_SERVICE_HOSTS added to the pattern
	cas_django "$CAS_PYTHON" -c '
import re, sys, django
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=0)
call_command("loaddata", sys.argv[1], verbosity=0)
hosts = sys.argv[2].split()
if hosts:
    from cas_server.models import ServicePattern
    sp = ServicePattern.objects.get(pk=1)
    names = [r"127\.0\.0\.1", "localhost"] + [re.escape(h) for h in hosts]
    sp.pattern = "^https://(%s)(:[0-9]+)?/.*$" % "|".join(names)
    sp.save()
' "$CAS_SRC/django/services.json" "${CAS_SERVICE_HOSTS:-}" >"$CAS_DIR/setup.log" 2>&1 ||
		cas_fail "django migrate/loaddata failed (setup.log)" setup.log || return 1

	# another test may have taken the port first: then slapd exits, and
	# starts again on another one
	for try in 1 2 3; do
		cas_slapd_wait && break
		# alive but silent, or the last try: give up
		if [ "$try" = 3 ] || kill -0 "$CAS_SLAPD_PID" 2>/dev/null; then
			cas_fail "slapd does not answer on $CAS_LDAP_URI (slapd.log)" slapd.log
			return 1
		fi
		stop_pid "$CAS_SLAPD_PID"
		mv "$T_SCRATCH/cas_slapd.log" "$CAS_DIR/slapd-$try.log"
		cas_slapd_spawn
	done
	export CAS_LDAP_URI

	spawn cas_http env AVEC_CAS_ALLOWED_HOSTS="${CAS_NAMES:-}" AVEC_CAS_DB="$CAS_DIR/cas.sqlite3" AVEC_CAS_LDAP_URI="$CAS_LDAP_URI" \
		AVEC_CAS_SECRET_KEY="$CAS_SECRET_KEY" DJANGO_SETTINGS_MODULE=avec_cas.settings \
		PYTHONDONTWRITEBYTECODE=1 "$CAS_PYTHON" -m gunicorn --chdir "$CAS_SRC/django" --bind "127.0.0.1:$CAS_HTTP_PORT" \
		--certfile "$CAS_DIR/server.pem" --keyfile "$CAS_DIR/server.key" \
		--workers 1 --threads 4 --worker-class gthread --graceful-timeout 2 \
		--pid "$CAS_DIR/gunicorn.pid" --access-logfile - --error-logfile - \
		avec_cas.wsgi:application
	CAS_HTTP_PID=${T_PIDS[-1]}
	ln -sf "$T_SCRATCH/cas_http.log" "$CAS_DIR/gunicorn.log"
	export CAS_SLAPD_PID CAS_HTTP_PID CAS_DIR

	wait_for 12 curl -fsS --cacert "$CAS_CA_FILE" -o /dev/null "$CAS_URL/login" ||
		cas_fail "no answer from $CAS_URL/login (gunicorn.log)" gunicorn.log || return 1
}

# cas_stop : stop gunicorn and slapd by their pids, remove their files
cas_stop() {
	[ -n "${CAS_HTTP_PID:-}" ] && stop_pid "$CAS_HTTP_PID"
	[ -n "${CAS_SLAPD_PID:-}" ] && stop_pid "$CAS_SLAPD_PID"
	CAS_HTTP_PID='' CAS_SLAPD_PID=''
	if [ -n "${CAS_DIR:-}" ] && [ "${T_KEEP:-0}" != 1 ]; then
		rm -rf "$CAS_DIR" "$T_SCRATCH/cas_slapd.log" "$T_SCRATCH/cas_http.log"
	fi
}

# cas_curl ARGS... : curl trusting only the test CA, never following redirects
cas_curl() {
	curl -sS --max-time 10 --cacert "$CAS_CA_FILE" --proto =https "$@"
}

# cas_ticket LOGIN PASSWORD SERVICE : log in as a browser would and print
# the service ticket (ST-...) the server redirects to SERVICE with.  The
# password goes to curl on its standard input, not on its command line.
cas_ticket() {
	local login=$1 password=$2 service=$3 jar page loc ticket
	local -a hidden=()
	jar=$(mktemp "$CAS_DIR/jar.XXXXXX") || return 1
	page=$(cas_curl -c "$jar" -b "$jar" -G --data-urlencode "service=$service" \
		"$CAS_URL/login") || { rm -f "$jar"; echo "cas_ticket: no login form" >&2; return 1; }
	# every hidden field of the form (lt, csrfmiddlewaretoken, service, ...)
	local re='<input type="hidden" name="([^"]*)" value="([^"]*)"'
	while [[ $page =~ $re ]]; do
		hidden+=(--data-urlencode "${BASH_REMATCH[1]}=$(cas_html_unescape "${BASH_REMATCH[2]}")")
		page=${page#*"${BASH_REMATCH[0]}"}
	done
	if [ ${#hidden[@]} -eq 0 ]; then
		rm -f "$jar"; echo "cas_ticket: the login form has no hidden fields" >&2; return 1
	fi
	loc=$(printf '%s' "$password" | cas_curl -c "$jar" -b "$jar" -o /dev/null \
		-w '%{redirect_url}' -H "Referer: $CAS_URL/login" \
		"${hidden[@]}" --data-urlencode "username=$login" --data-urlencode "password@-" \
		"$CAS_URL/login")
	rm -f "$jar"
	case $loc in
	"$service"*[?\&]ticket=ST-*) ;;
	*) echo "cas_ticket: $login got no ticket for $service (redirect: ${loc:-none})" >&2; return 1 ;;
	esac
	ticket=${loc##*ticket=}
	ticket=${ticket%%&*}
	echo "$ticket"
}

# cas_html_unescape TEXT : undo the HTML escaping Django applies to values
cas_html_unescape() {
	local s=$1
	# quoted patterns and replacements: no '&' expansion (bash 5.2)
	s=${s//'&quot;'/'"'}; s=${s//'&#x27;'/"'"}; s=${s//'&#39;'/"'"}
	s=${s//'&lt;'/'<'}; s=${s//'&gt;'/'>'}; s=${s//'&amp;'/'&'}
	printf '%s' "$s"
}

# cas_validate SERVICE TICKET [PATH] : print the validation answer (XML) of
# PATH, by default p3/serviceValidate (CAS 3); serviceValidate is CAS 2
cas_validate() {
	cas_curl -G --data-urlencode "service=$1" --data-urlencode "ticket=$2" \
		"$CAS_URL/${3:-p3/serviceValidate}"
}
