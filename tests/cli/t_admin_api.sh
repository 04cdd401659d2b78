#!/bin/bash
# t_admin_api.sh - avecd's admin API: avecctl as its client, over the
# local socket (an administrator of the machine) and over HTTPS with
# tokens (hashed in the store, scoped read or write), the audit trail of
# what came through it, and what it refuses: bad, revoked or missing
# tokens, changes with a read token, commands that touch the appliance's
# files, avecctl's global options and path options sent as arguments
# (another store, the engine's child as an API client), token guessing
# (with a bucket of its own, apart from logins').  The admin socket's mode
# is read the moment bind() made it, by a small LD_PRELOAD library built
# here (bind_mode.so), not only after start-up.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/radius.sh"
. "$(dirname "$0")/../lib/cas.sh"
. "$(dirname "$0")/../lib/portal.sh"
need curl jq sqlite3 cc
radius_setup
# no CAS server is needed here: nothing logs in through the portal
CAS_URL=https://127.0.0.1:9/cas
CAS_CA_FILE=$R_CA/ca.pem
avecctl policy set student --vlan 20 --max-devices 3 --creds tls,ttls >/dev/null
avecctl account add F1abc --role student >/dev/null
# bind_mode.so: after each bind() of a Unix socket, its path's mode
cat > "$T_SCRATCH/bind_mode.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	int (*real)(int, const struct sockaddr *, socklen_t) =
		(int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	const char *log = getenv("AVEC_T_BIND_LOG");
	const char *path = ((const struct sockaddr_un *)(const void *)sa)->sun_path;
	int rc = real(fd, sa, len);
	struct stat sb;
	FILE *f;

	if (rc == 0 && log != NULL && sa->sa_family == AF_UNIX && path[0] != '\0' &&
	    lstat(path, &sb) == 0 && (f = fopen(log, "a")) != NULL) {
		fprintf(f, "%o %s\n", (unsigned)(sb.st_mode & 07777), path);
		fclose(f);
	}
	return rc;
}
EOF
cc -shared -fPIC -o "$T_SCRATCH/bind_mode.so" "$T_SCRATCH/bind_mode.c" -ldl ||
	{ fail "build bind_mode.so"; finish; }
LD_PRELOAD=$T_SCRATCH/bind_mode.so AVEC_T_BIND_LOG=$T_SCRATCH/bind.log \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	P_LOGIN_BURST=20 portal_start || { fail "avecd starts"; finish; }
LOG=$T_SCRATCH/avecd.log
ERR=$T_SCRATCH/api.err

api() { "$AVECCTL" --api "$@" 2>"$ERR"; }

# ---- the local socket ----
check "the admin socket is private (0600)" [ "$(stat -c %a "$P_SOCK")" = 600 ]
# made with that mode, not chmod-ed to it after bind (a window where it
# was another mode); avecd itself runs under umask 077, so a later chmod
# would show as 700 here
bound=$(awk -v s="$P_SOCK" '$2 == s { print $1 }' "$T_SCRATCH/bind.log" 2>/dev/null)
check "... from the moment bind() made it (${bound:-not seen})" [ "$bound" = 600 ]
local_out=$(api "unix:$P_SOCK" policy list --json)
check "policy list through the local socket equals the store's" \
	[ "$local_out" = "$(avecctl policy list --json)" ]
out=$(api "unix:$P_SOCK" device add F1abc --name "Tablette" --type ttls --json); rc=$?
check "a device added through the local socket (exit 0)" [ "$rc" = 0 ]
dev=$(jq -r .id <<<"$out")
check "... is in the store" [ "$(avecctl device list --json | jq -r ".[] | select(.id == $dev) | .status")" = active ]
audit=$(avecctl audit list --json | jq -r '.[] | select(.action == "device add") | "\(.actor)|\(.origin)"' | tail -n 1)
check "the audit trail names the local user and the socket" \
	grep -Eq '^uid [0-9]+ \(.*\)\|admin socket$' <<<"$audit"
api "unix:$P_SOCK" account show nobody-here >/dev/null; rc=$?
check "a command's exit status comes back (2: not found)" [ "$rc" = 2 ]
check "... with its message on stderr" grep -q 'no account nobody-here' "$ERR"

# ---- what the API refuses, whoever asks ----
api "unix:$P_SOCK" policy apply /etc/passwd >/dev/null; rc=$?
check "policy apply FILE is refused through the API (3)" \
	bash -c "[ $rc = 3 ] && grep -q 'not available through the admin API' '$ERR'"
api "unix:$P_SOCK" device add F1abc --name x --type tls >/dev/null; rc=$?
check "device add --type tls (files on the appliance) is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q 'EAP-TLS devices are added through the portal' '$ERR'"
api "unix:$P_SOCK" device add F1abc --name tls --type ttls >/dev/null; rc=$?
check "... but a TTLS device that happens to be named \"tls\" is not (0)" [ "$rc" = 0 ]
api "unix:$P_SOCK" token add sneaky --scope write >/dev/null; rc=$?
check "tokens cannot be made through the API (3)" [ "$rc" = 3 ]
api "unix:$P_SOCK" init >/dev/null; rc=$?
check "init is refused through the API (3)" [ "$rc" = 3 ]

# ---- tokens ----
read_tok=$(avecctl token add reporter --scope read --json | jq -r .token)
write_tok=$(avecctl token add helpdesk --scope write --json | jq -r .token)
echo "$read_tok" > "$T_SCRATCH/read.token"
echo "$write_tok" > "$T_SCRATCH/write.token"
chmod 600 "$T_SCRATCH"/*.token
check "tokens look like avt_ + 43 characters" \
	grep -Eq '^avt_[A-Za-z0-9_-]{43}$' <<<"$read_tok"
check "the store keeps no token in clear" \
	bash -c "! sqlite3 '$R_DB' .dump | grep -qF -e '${read_tok#avt_}' -e '${write_tok#avt_}'"
check "avecctl token list shows both, by name" \
	[ "$(avecctl token list --json | jq -r '[.[].name] | join(",")')" = "reporter,helpdesk" ]

https() { api "$P_ADMIN" --api-ca "$P_CA_FILE" "$@"; }
out=$(https --token-file "$T_SCRATCH/read.token" report devices --json); rc=$?
check "a read token runs a report over HTTPS" \
	bash -c "[ $rc = 0 ] && [ '$(avecctl report devices --json | tr -d '\n')' = '$(tr -d '\n' <<<"$out")' ]"
https --token-file "$T_SCRATCH/read.token" device revoke "$dev" >/dev/null; rc=$?
check "a read token may not change anything (3)" \
	bash -c "[ $rc = 3 ] && grep -q 'this token may only read' '$ERR'"
check "... and the device is still active" \
	[ "$(avecctl device list --json | jq -r ".[] | select(.id == $dev) | .status")" = active ]
https --token-file "$T_SCRATCH/write.token" device revoke "$dev" --reason "lost" >/dev/null; rc=$?
check "a write token revokes the device" \
	bash -c "[ $rc = 0 ] && [ \"\$(AVECCTL=$AVECCTL; $AVECCTL -d '$R_DB' --ca-dir '$R_CA' device list --json | jq -r '.[] | select(.id == $dev) | .status')\" = revoked ]"
audit=$(avecctl audit list --json | jq -r '.[] | select(.action == "device revoke") | "\(.actor)|\(.origin)|\(.outcome)"')
check "the audit trail names the token and the address, refused then done" \
	[ "$audit" = $'token reporter|admin api 127.0.0.1|refused\ntoken helpdesk|admin api 127.0.0.1|ok' ]
AVEC_API_TOKEN=$read_tok api "$P_ADMIN" --api-ca "$P_CA_FILE" policy list --json >/dev/null
check "the token may come from \$AVEC_API_TOKEN" [ $? = 0 ]

echo "avt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" > "$T_SCRATCH/bad.token"
https --token-file "$T_SCRATCH/bad.token" policy list >/dev/null; rc=$?
check "an unknown token is refused (3, HTTP 401)" \
	bash -c "[ $rc = 3 ] && grep -q 'refused the token' '$ERR'"
code=$(curl -s --cacert "$P_CA_FILE" -o /dev/null -w '%{http_code}' -d arg=policy -d arg=list "$P_ADMIN/v1/avecctl")
check "no token at all: HTTP 401" [ "$code" = 401 ]
avecctl token revoke reporter >/dev/null
https --token-file "$T_SCRATCH/read.token" policy list >/dev/null; rc=$?
check "a revoked token stops working at once" [ "$rc" = 3 ]
check "plain http is refused by the client" \
	bash -c "! '$AVECCTL' --api http://127.0.0.1:$P_ADMIN_PORT --token-file '$T_SCRATCH/write.token' policy list 2>/dev/null"
check "no token, session or secret in avecd's log" \
	bash -c "! grep -qF -e '${read_tok#avt_}' -e '${write_tok#avt_}' '$LOG'"
check "the log says who ran what" grep -q 'admin API: token helpdesk ran "device revoke" from admin api 127.0.0.1: exit 0' "$LOG"

# ---- a caller names a command and its arguments, nothing else ----
# Each attack is sent as raw arg fields (the client's "--" ends
# its own options) with a read token over HTTPS, or through the local
# socket: avecd runs avecctl on its own store and CA only, never as a
# client of an admin API, never on a file the caller names.
avecctl account add G1vic --role student >/dev/null
victim=$(avecctl device add G1vic --name "Victime" --type ttls --json | jq -r .id)
aud_tok=$(avecctl token add auditor --scope read --json | jq -r .token)
echo "$aud_tok" > "$T_SCRATCH/aud.token"
chmod 600 "$T_SCRATCH/aud.token"
readapi() { https --token-file "$T_SCRATCH/aud.token" -- "$@"; }
sockapi() { api "unix:$P_SOCK" -- "$@"; }
victim_status() { avecctl device list --json | jq -r ".[] | select(.id == $victim) | .status"; }
g1_devices() { avecctl device list G1vic --json | jq length; }

# (a) another store: -d / --db
OTHER=$T_SCRATCH/other.db
"$AVECCTL" -d "$OTHER" --ca-dir "$R_CA" init >/dev/null 2>&1
"$AVECCTL" -d "$OTHER" --ca-dir "$R_CA" account add OTHERx9 --role student >/dev/null 2>&1
# an access time long past: any read of the file moves it (relatime)
touch -a -d '2000-01-01 00:00:00' "$OTHER"
other_atime=$(stat -c %X "$OTHER")
out=$(readapi -d "$OTHER" account list); rc=$?
check "injection: '-d OTHER.db account list' (read token, HTTPS) is refused (3), saying why" \
	bash -c "[ $rc = 3 ] && grep -q \"'-d' is not a command the admin API runs\" '$ERR'"
check "... no account of the other store is shown" bash -c "! grep -q OTHERx9 <<<'$out'"
check "... and the other store was not read (its access time is unchanged)" \
	[ "$(stat -c %X "$OTHER")" = "$other_atime" ]
sockapi -d "$OTHER" account list >/dev/null; rc=$?
check "injection: '-d OTHER.db account list' through the local socket is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q \"'-d' is not a command the admin API runs\" '$ERR'"
out=$(readapi --db=/etc/passwd account list); rc=$?
check "injection: '--db=/etc/passwd account list' is refused (3), saying why" \
	bash -c "[ $rc = 3 ] && grep -q \"'--db=/etc/passwd' is not a command the admin API runs\" '$ERR'"
check "... and /etc/passwd was not opened as a store" bash -c "! grep -qi 'database\|passwd:' '$ERR' && [ -z '$out' ]"
out=$(readapi account list --db="$OTHER"); rc=$?
check "injection: a global option after the command ('account list --db=FILE') is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q 'is a global option' '$ERR' && ! grep -q OTHERx9 <<<'$out'"
check "... the other store still not read" [ "$(stat -c %X "$OTHER")" = "$other_atime" ]

# (b) the engine's child as a client of the local (write) socket
readapi --api "unix:$P_SOCK" device revoke "$victim" >/dev/null; rc=$?
check "injection: '--api unix:ADMIN.sock device revoke N' with a read token is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q \"'--api' is not a command the admin API runs\" '$ERR'"
check "... the device is still active" [ "$(victim_status)" = active ]
check "... and nothing ran through the admin socket" \
	bash -c "! grep -q 'ran \"device revoke\" from admin socket' '$LOG'"
readapi report sessions --api "unix:$P_SOCK" >/dev/null; rc=$?
check "injection: '--api' after the command is refused too (3)" \
	bash -c "[ $rc = 3 ] && grep -q -- \"--api is a global option\" '$ERR'"

# (c) the engine's child sends a file's first line to the caller's server
L_PORT=$(free_port tcp)
cat > "$T_SCRATCH/listener.py" <<'EOF'
# an HTTPS server on 127.0.0.1 that writes down every connection and request
import http.server, ssl, sys
port, cert, key, got = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
def note(s):
    with open(got, "a") as f:
        f.write(s + "\n")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        note(self.requestline + "\n" + str(self.headers))
        body = b"avecctl-result 1\nexit 0\nstderr 0\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
class S(http.server.HTTPServer):
    def get_request(self):
        sock, addr = self.socket.accept()
        note("connection from %s" % addr[0])
        return ctx.wrap_socket(sock, server_side=True), addr
S(("127.0.0.1", port), H).serve_forever()
EOF
spawn listener python3 "$T_SCRATCH/listener.py" "$L_PORT" "$P_DIR/pki/server.pem" "$P_DIR/pki/server.key" "$T_SCRATCH/listener.got"
wait_for 10 bash -c "ss -Hltn 'sport = :$L_PORT' | grep -q ."
curl -s --cacert "$P_CA_FILE" -o /dev/null -d arg=probe "https://127.0.0.1:$L_PORT/probe"
check "the test's listener on 127.0.0.1 hears a request (a probe)" grep -q 'POST /probe' "$T_SCRATCH/listener.got"
: > "$T_SCRATCH/listener.got"
readapi --api "https://127.0.0.1:$L_PORT" --api-ca "$P_CA_FILE" --token-file "$R_CA/ca.key" report sessions >/dev/null; rc=$?
check "injection: '--api https://LISTENER --api-ca ... --token-file CA/ca.key report sessions' is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q \"'--api' is not a command the admin API runs\" '$ERR'"
readapi report sessions --api-ca "$P_CA_FILE" --token-file "$R_CA/ca.key" >/dev/null; rc=$?
check "injection: '--token-file' after the command is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q 'is a global option' '$ERR'"
stop_pid "$PID_listener"
check "... and the listener received nothing: no connection, no token" [ ! -s "$T_SCRATCH/listener.got" ]

# (d) options and arguments that name a file on the appliance
sockapi device add G1vic --name x --type ttls --out /tmp >/dev/null; rc=$?
check "path option: 'device add ... --out DIR' is refused through the API (3)" \
	bash -c "[ $rc = 3 ] && grep -q -- '--out names a file on the appliance: not available through the admin API' '$ERR'"
sockapi device add G1vic --name x --type ttls -o/tmp >/dev/null; rc=$?
check "path option: ... and as '-oDIR' (3)" \
	bash -c "[ $rc = 3 ] && grep -q -- '--out names a file' '$ERR'"
check "... no device was added" [ "$(g1_devices)" = 1 ]
check "... the refused attempt is in the audit trail" \
	[ "$(avecctl audit list --json | jq -r '[.[] | select(.action == "device add" and .outcome == "refused" and .origin == "admin socket")] | length')" -ge 2 ]
sockapi status --root / >/dev/null; rc=$?
check "path option: 'status --root DIR' is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q -- '--root names a file on the appliance' '$ERR'"
sockapi status --ro=/ >/dev/null; rc=$?
check "path option: ... abbreviated '--ro=DIR' too (3)" \
	bash -c "[ $rc = 3 ] && grep -q -- '--root names a file on the appliance' '$ERR'"
# this host's clock is not AVEC's to set: an unsynchronised one is a warning
sockapi status --allow-unsynced-clock >/dev/null; rc=$?
check "... but 'status' without a path runs (0)" [ "$rc" = 0 ]
sockapi policy check /etc/passwd >/dev/null; rc=$?
check "path argument: 'policy check FILE' is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q 'policy check is not available through the admin API' '$ERR' && ! grep -q passwd '$ERR'"
sockapi nas add ap-x --nas-address 127.0.0.1 --secret-file /etc/passwd >/dev/null; rc=$?
check "path option: 'nas add --secret-file FILE' is refused (3)" [ "$rc" = 3 ]
sockapi ent import /etc/passwd >/dev/null; rc=$?
check "path argument: 'ent import FILE' is refused (3)" [ "$rc" = 3 ]
readapi status --root / >/dev/null; rc=$?
check "path option: 'status --root DIR' with a read token over HTTPS is refused (3)" \
	bash -c "[ $rc = 3 ] && grep -q -- '--root names a file on the appliance' '$ERR'"

# guessing tokens: cut off
codes=""
for _ in $(seq 1 30); do
	codes="$codes $(curl -s --cacert "$P_CA_FILE" -o /dev/null -w '%{http_code}' \
		-H 'Authorization: Bearer avt_guess' -d arg=policy "$P_ADMIN/v1/avecctl")"
done
check "guessing tokens is cut off (429)" grep -q 429 <<<"$codes"
# logins have a bucket of their own: the admin API's being empty does not
# refuse a pupil's login from the same address (400 here: no login nonce)
code=$(curl -s --cacert "$P_CA_FILE" -o /dev/null -w '%{http_code}' "$P_URL/cas?n=x&ticket=ST-1-x")
check "... and logins from that address are still answered (400, not 429)" [ "$code" = 400 ]
finish
