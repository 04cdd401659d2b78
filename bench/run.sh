#!/bin/bash
# bench/run.sh - `make bench`: rlm_avec against stock FreeRADIUS, measured.
#
# What it owns: it generates the data (bench/avec-benchgen: the same
# made-up devices as a `files` users file, an rlm_sql SQLite table and an
# AVEC store), starts one `freeradius -f` (threaded) per setup, each in its
# own private -d directory under a scratch directory and on its own
# loopback port, and drives them with build/bin/avec-load, ALTERNATELY,
# round after round, so that a noisy machine hurts every contender alike.
# It prints one table and writes bench/results.json (not committed).
#
# Setups:   avec         AVEC's own template (tests/lib/radius.sh render_raddb)
#           files        rlm_files, "{ssha256}" hashes (the same rlm_pap work)
#           files-clear  rlm_files, Cleartext-Password (reference line)
#           sql          rlm_sql on SQLite as FreeRADIUS ships it: the user's
#                        check and reply rows, then its groups' (read_groups,
#                        the VLAN is a group reply), and one radpostauth row
#                        per answer in post-auth (the stock site logs every
#                        authentication there; AVEC logs them too, through
#                        its writer).  The password column is left empty.
#           sql-min      rlm_sql reading the user's check and reply rows
#                        only: no groups, no post-auth log (reference line)
# What it must never do: send to anything but 127.0.0.1, stop a process it
# did not start (common.sh stops them by PID), or print a secret: the
# device secrets and the shared secret stay in the scratch directory.
#
# Two more scenarios, AVEC alone:
#   morning rush  BENCH_RUSH devices (from bench/avec-benchgen --tls: client
#                 certificates of the run's appliance CA, registered with
#                 their serials) each do one full EAP-TLS handshake through
#                 avec-load --eap-tls, as fast as the server answers (window
#                 BENCH_RUSH_WINDOW), then again at 80 % of the rate reached
#                 (--rate): handshakes/s, p99, p99 at 80 % (eap_tls_rush).
#   AAF import    a Complet feed of BENCH_AAF_PEOPLE people (tests/ent/
#                 gen_aaf.py --full, split in files of 20000 as an export
#                 is) imported by `avecctl ent import` into a fresh store,
#                 against `xmllint --stream --noout` over the same files,
#                 the parsing floor: records/s, ratio, peak RSS (aaf_import).
#
# Knobs (environment): BENCH_N (10000) BENCH_ROUNDS (5) BENCH_SECS (3)
# BENCH_WINDOW (64) BENCH_SMALL (1; 0 skips the small scenario)
# BENCH_BIG (500000 devices; 0 to skip) BENCH_BIG_ACCOUNTS (300000)
# BENCH_RUSH (5000 devices; 0 to skip) BENCH_RUSH_WINDOW (64)
# BENCH_AAF (1; 0 to skip) BENCH_AAF_PEOPLE (300000)
# BENCH_DHCP_RATE (200 DHCP exchanges/s logged by avec-addrd while the
# small scenario's authentication runs, bench/dhcp.sh; 0 to skip; root)
# BENCH_OUT (bench/results.json)
set -u
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../tests/lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$AVEC_TOP/tests/lib/radius.sh"
# shellcheck source=bench/dhcp.sh
. "$AVEC_TOP/bench/dhcp.sh"

N=${BENCH_N:-10000}
ROUNDS=${BENCH_ROUNDS:-5}
SECS=${BENCH_SECS:-3}
WINDOW=${BENCH_WINDOW:-64}
BIG=${BENCH_BIG:-500000}
BIG_ACCOUNTS=${BENCH_BIG_ACCOUNTS:-300000}
SMALL=${BENCH_SMALL:-1}
RUSH=${BENCH_RUSH:-5000}
RUSH_WINDOW=${BENCH_RUSH_WINDOW:-64}
AAF=${BENCH_AAF:-1}
AAF_PEOPLE=${BENCH_AAF_PEOPLE:-300000}
OUT=${BENCH_OUT:-$AVEC_TOP/bench/results.json}
LOAD=$AVEC_BUILD/bin/avec-load
GEN=$AVEC_BUILD/bin/avec-benchgen
RES=$T_SCRATCH/results	# one JSON object a line, gathered at the end
: > "$RES"

need freeradius sqlite3 jq
for f in "$LOAD" "$GEN" "$RLM_AVEC_SO" "$AVECCTL"; do
	[ -x "$f" ] || [ -e "$f" ] || { echo "bench: $f is not built (run make)" >&2; exit 1; }
done
[ -e /usr/lib/freeradius/rlm_sql_sqlite.so ] ||
	{ echo "bench: rlm_sql_sqlite is not installed" >&2; exit 1; }

say() { printf '# %s\n' "$*" >&2; }
emit() { printf '%s\n' "$1" >> "$RES"; }

# ---- stock configurations -------------------------------------------------

# stock_raddb DIR PORT MODULE_FILE_CONTENT AUTHORIZE : a minimal private
# configuration with the same log, security and thread settings as AVEC's
stock_raddb() {	# DIR PORT MODULES AUTHORIZE [POST-AUTH]
	local d=$1 port=$2 mod=$3 authz=$4 post=${5:-}
	mkdir -p "$d/log" "$d/run"
	cat > "$d/radiusd.conf" <<EOF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
logdir = $d/log
raddbdir = $d
radacctdir = \${logdir}/radacct
name = freeradius
confdir = \${raddbdir}
modconfdir = \${confdir}/mods-config
certdir = \${confdir}
cadir = \${confdir}
run_dir = $d/run
db_dir = \${run_dir}
pidfile = \${run_dir}/\${name}.pid
libdir = /usr/lib/freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 16384
hostname_lookups = no
log {
	destination = files
	colourise = no
	file = \${logdir}/radius.log
	syslog_facility = daemon
	stripped_names = no
	auth = yes
	auth_badpass = no
	auth_goodpass = no
}
security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 1
	status_server = yes
}
thread pool {
	start_servers = 4
	max_servers = 32
	min_spare_servers = 2
	max_spare_servers = 8
	max_queue_size = 65536
	max_requests_per_server = 0
	auto_limit_acct = no
}
modules {
	pap {
		normalise = yes
	}
	always ok {
		rcode = ok
	}
$mod
}
instantiate {
}
policy {
}
client bench {
	ipaddr = 127.0.0.1
	secret = $R_SECRET
	require_message_authenticator = yes
	nas_type = other
	shortname = bench
}
server bench {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $port
	}
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $((port + 1))
	}
	authorize {
		$authz
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
	}
	accounting {
		ok
	}
	post-auth {
		$post
		Post-Auth-Type REJECT {
			ok
		}
	}
}
EOF
}

files_module() {	# USERS_FILE
	printf '\tfiles {\n\t\tusersfile = %s\n\t}\n' "$1"
}
sql_module() {	# DB [stock]
	local groups=no
	[ "${2:-}" = stock ] && groups=yes
	cat <<EOF
	sql {
		dialect = "sqlite"
		driver = "rlm_sql_sqlite"
		sqlite {
			filename = "$1"
			busy_timeout = 200
		}
		radius_db = "radius"
		authcheck_table = "radcheck"
		authreply_table = "radreply"
		groupcheck_table = "radgroupcheck"
		groupreply_table = "radgroupreply"
		usergroup_table = "radusergroup"
		read_groups = $groups
		read_profiles = no
		group_attribute = "SQL-Group"
		authorize_group_check_query = "SELECT id, groupname, attribute, Value, op FROM \${groupcheck_table} WHERE groupname = '%{\${group_attribute}}' ORDER BY id"
		authorize_group_reply_query = "SELECT id, groupname, attribute, value, op FROM \${groupreply_table} WHERE groupname = '%{\${group_attribute}}' ORDER BY id"
		group_membership_query = "SELECT groupname FROM \${usergroup_table} WHERE username='%{SQL-User-Name}' ORDER BY priority"
		postauth_table = "radpostauth"
		post-auth {
			query = "INSERT INTO \${..postauth_table} (username, pass, reply, authdate) VALUES ('%{SQL-User-Name}', '', '%{reply:Packet-Type}', '%S')"
		}
		sql_user_name = "%{User-Name}"
		authorize_check_query = "SELECT id, username, attribute, value, op FROM \${authcheck_table} WHERE username = '%{SQL-User-Name}' ORDER BY id"
		authorize_reply_query = "SELECT id, username, attribute, value, op FROM \${authreply_table} WHERE username = '%{SQL-User-Name}' ORDER BY id"
		pool {
			start = 4
			min = 4
			max = 32
			spare = 8
			uses = 0
			retry_delay = 30
			lifetime = 0
			idle_timeout = 60
		}
	}
EOF
}

# ---- servers ---------------------------------------------------------------

declare -A PID PORT

# start_server NAME RADDB : freeradius -f, waits until it answers
start_server() {
	local name=$1 d=$2 n=600
	local v=srv_${name//-/_}
	spawn "$v" freeradius -f -d "$d"
	v=PID_$v
	PID[$name]=${!v}
	until printf 'Message-Authenticator = 0x00\n' |
		radclient -r 1 -t 1 "127.0.0.1:${PORT[$name]}" status "$R_SECRET" 2>/dev/null |
		grep -q '^Received Access-Accept'; do
		n=$((n - 1))
		if ! kill -0 "${PID[$name]}" 2>/dev/null || [ $n -le 0 ]; then
			say "$name did not start; end of its output:"
			tail -n 15 "$T_SCRATCH/srv_${name//-/_}.log" "$d/log/radius.log" 2>/dev/null | sed 's/^/#   /' >&2
			return 1
		fi
		sleep 0.1
	done
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# measured NAME CMD... : run CMD (an avec-load against server NAME); its
# JSON line on stdout, plus the server's cores used meanwhile ("srv_cores"),
# over the seconds the load itself reports (.secs): avec-load --eap-tls
# first reads its certificates and keys, seconds in which the server idles
measured() {
	local name=$1; shift
	local c0 c1 t0 t1 json hz secs
	hz=$(getconf CLK_TCK)
	c0=$(cpu_ticks "${PID[$name]}"); t0=$(date +%s.%N)
	json=$("$@" | tail -n 1) || return 1
	[ -n "$json" ] || return 1
	c1=$(cpu_ticks "${PID[$name]}"); t1=$(date +%s.%N)
	secs=$(jq -r '.secs // 0' <<<"$json")
	if awk -v s="$secs" -v a="$t0" -v b="$t1" 'BEGIN { exit !(s > 0 && s < b - a) }'; then
		t0=0 t1=$secs
	fi
	jq -c --argjson c "$(awk -v a="$c0" -v b="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
		'BEGIN { printf "%.2f", (b - a) / hz / (t1 - t0) }')" '. + {srv_cores: $c}' <<<"$json"
}

# load NAME USERS WINDOW SECS [extra args] : one avec-load run (PAP)
load() {
	local name=$1 users=$2 win=$3 secs=$4; shift 4
	measured "$name" "$LOAD" -p "${PORT[$name]}" -S "$T_SCRATCH/secret" -u "$users" \
		-w "$win" -d "$secs" "$@"
}

# ---- one scenario ----------------------------------------------------------

# scenario LABEL DEVICES ACCOUNTS "SETUPS..." : data, servers, rounds
scenario() {
	local label=$1 n=$2 accts=$3 setups=$4
	local dir=$T_SCRATCH/$label s r json p
	mkdir -p "$dir"
	say "$label: generating $n devices over $accts accounts"
	"$GEN" "$dir" "$n" "$accts" || return 1
	for s in $setups; do
		p=$(free_port udp)
		while ss -Hlnu "sport = :$((p + 1))" | grep -q .; do p=$(free_port udp); done
		PORT[$s]=$p
		case $s in
		avec)
			# read by radius_render (tests/lib/radius.sh)
			# shellcheck disable=SC2034
			R_DB=$dir/avec.db R_AUTH_PORT=$p R_ACCT_PORT=$((p + 1))
			R_RADDB=$dir/raddb-avec
			"$AVECCTL" -d "$R_DB" init >/dev/null || return 1
			sqlite3 "$R_DB" < "$dir/avec.sql" || return 1
			radius_render "$R_RADDB" || return 1
			;;
		files)
			stock_raddb "$dir/raddb-files" "$p" "$(files_module "$dir/files-ssha")" files ;;
		files-clear)
			stock_raddb "$dir/raddb-files-clear" "$p" "$(files_module "$dir/files-clear")" files ;;
		sql)
			# its own file, in WAL mode (a setting kept in the file, as
			# an administrator would set it once: post-auth writes)
			sqlite3 "$dir/radius.db" < "$dir/radcheck.sql" || return 1
			sqlite3 "$dir/radius.db" 'PRAGMA journal_mode = WAL' >/dev/null || return 1
			stock_raddb "$dir/raddb-sql" "$p" "$(sql_module "$dir/radius.db" stock)" sql sql ;;
		sql-min)
			sqlite3 "$dir/radius-min.db" < "$dir/radcheck.sql" || return 1
			stock_raddb "$dir/raddb-sql-min" "$p" "$(sql_module "$dir/radius-min.db")" sql ;;
		esac
	done
	for s in $setups; do
		local t0 t1
		t0=$(date +%s.%N)
		start_server "$s" "$dir/raddb-$s" || return 1
		t1=$(date +%s.%N)
		say "$label: $s started on port ${PORT[$s]} in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	done
	# warm-up: every server answers every user once or so, then RSS
	for s in $setups; do
		json=$(load "$s" "$dir/users.txt" "$WINDOW" 1) || return 1
		emit "$(jq -c --arg l "$label" --arg s "$s" --argjson rss "$(rss_kb "${PID[$s]}")" \
			'{kind: "rss", scenario: $l, setup: $s, rss_kb: $rss, warmup: .}' <<<"$json")"
	done
	for r in $(seq 1 "$ROUNDS"); do
		for s in $setups; do
			json=$(load "$s" "$dir/users.txt" "$WINDOW" "$SECS") || return 1
			emit "$(jq -c --arg l "$label" --arg s "$s" --argjson r "$r" \
				'{kind: "round", scenario: $l, setup: $s, round: $r} + .' <<<"$json")"
			say "$label round $r $s: $(jq -r '"\(.rps|floor) req/s, p99 \(.p99_us) us, load cpu \(.cpu), server \(.srv_cores) cores, timeouts \(.timeouts)"' <<<"$json")"
		done
	done
}

# with_acct LABEL "SETUPS..." : the same auth load with Accounting-Requests
# alongside at BENCH_ACCT_RATE per second (AVEC records them in its
# connection log and answers once committed; stock `files` just says ok).
# Each round first runs the auth load alone, so that auth_ratio compares
# figures taken seconds apart on a machine whose load moves.  acct_lost
# counts the requests left unanswered (a NAS would resend them) and, for
# AVEC, the answered ones missing from the store (every request is a new
# session: rows added to sessions during the round, acct_stored).
with_acct() {
	local label=$1 setups=$2 rate=${BENCH_ACCT_RATE:-2000} r s json base n0 n1
	local db=$T_SCRATCH/$1/avec.db
	[ "$rate" -gt 0 ] || return 0
	for r in 1 2 3; do
		for s in $setups; do
			base=$(load "$s" "$T_SCRATCH/$label/users.txt" "$WINDOW" "$SECS") || return 1
			n0=0 n1=0
			[ "$s" = avec ] && n0=$(sqlite3 "$db" 'SELECT count(*) FROM sessions')
			json=$(load "$s" "$T_SCRATCH/$label/users.txt" "$WINDOW" "$SECS" \
				-a "$((PORT[$s] + 1))" -r "$rate") || return 1
			[ "$s" = avec ] && n1=$(sqlite3 "$db" 'SELECT count(*) FROM sessions')
			json=$(jq -c --argjson b "$(jq .rps <<<"$base")" --argjson st "$((n1 - n0))" \
				--arg s "$s" '. + {auth_rps_alone: $b,
				  auth_ratio: ((.rps / $b * 100 | round) / 100),
				  acct_stored: (if $s == "avec" then $st else null end),
				  acct_lost: (.acct_sent - .acct_ok +
				    (if $s == "avec" and .acct_ok > $st then .acct_ok - $st else 0 end))}' <<<"$json")
			emit "$(jq -c --arg l "$label" --arg s "$s" --argjson r "$r" --argjson rate "$rate" \
				'{kind: "acct", scenario: $l, setup: $s, round: $r, acct_rate: $rate} + .' <<<"$json")"
			say "$label +acct $rate/s round $r $s: $(jq -r '"\(.rps|floor) req/s auth (alone \(.auth_rps_alone|floor), ratio \(.auth_ratio)), acct answered \(.acct_ok)/\(.acct_sent), stored \(.acct_stored // "-"), lost \(.acct_lost) (slowest \(.acct_max_us / 1000 | floor) ms), p99 \(.p99_us) us"' <<<"$json"), load $(cut -d' ' -f1 /proc/loadavg)"
		done
	done
}

# saturation LABEL SETUP : throughput and the generator's own CPU as the
# window grows (the generator must not be the bottleneck)
saturation() {
	local label=$1 s=$2 w json
	for w in 8 32 64 128 256 512; do
		json=$(load "$s" "$T_SCRATCH/$label/users.txt" "$w" 2) || return 1
		emit "$(jq -c --arg l "$label" --arg s "$s" '{kind: "saturation", scenario: $l, setup: $s} + .' <<<"$json")"
		say "saturation $s window $w: $(jq -r '"\(.rps|floor) req/s, load cpu \(.cpu), server \(.srv_cores) cores, timeouts \(.timeouts)"' <<<"$json")"
	done
}

# revoke_delay LABEL : revoke device 1 with avecctl while a poller sends
# one request at a time for it; how long until the first reject
revoke_delay() {
	local label=$1 dir=$T_SCRATCH/$1 user tb ta out pid
	user=$(head -n 1 "$dir/users.txt" | cut -d' ' -f1)
	"$LOAD" -p "${PORT[avec]}" -S "$T_SCRATCH/secret" -u "$dir/users.txt" \
		--poll "$user" --poll-max 10 > "$dir/poll.out" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	if [ -n "${BENCH_PERF:-}" ] && command -v perf >/dev/null; then
		# where the reload's time goes (the refresher thread)
		mkdir -p "$BENCH_PERF"
		perf record -g -F 999 -o "$BENCH_PERF/perf-$label-revoke.data" \
			-p "${PID[avec]}" -- sleep 4 > "$T_SCRATCH/perf-revoke.log" 2>&1 &
		T_PIDS+=("$!")
	fi
	sleep 0.5
	tb=$(date +%s.%N)
	"$AVECCTL" -d "$dir/avec.db" device revoke 1 >/dev/null 2>&1 || say "revoke failed"
	ta=$(date +%s.%N)
	wait "$pid"
	out=$(<"$dir/poll.out")
	emit "$(awk -v tb="$tb" -v ta="$ta" -v l="$label" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
	} END {
		r = v["first_reject_sent"]; a = v["last_accept_sent"]
		if (r == 0) { printf "{\"kind\":\"revoke\",\"scenario\":\"%s\",\"visible_s\":null}\n", l; exit }
		printf "{\"kind\":\"revoke\",\"scenario\":\"%s\",\"visible_s\":%.3f,\"avecctl_s\":%.3f,\"last_accept_after_commit_s\":%.3f}\n",
			l, r - tb, ta - tb, a - ta
	}' <<<"$out")"
}

# profile LABEL SETUP : perf record of the server under load, when
# BENCH_PERF names a directory (its reports go there; perf may be refused)
profile() {
	local label=$1 s=$2 dir=${BENCH_PERF:-} pp
	[ -n "$dir" ] || return 0
	command -v perf >/dev/null || { say "perf is not installed"; return 0; }
	mkdir -p "$dir"
	perf record -g -F 999 -o "$dir/perf-$label-$s.data" -p "${PID[$s]}" -- sleep "$SECS" \
		> "$T_SCRATCH/perf-$s.log" 2>&1 &
	pp=$!
	T_PIDS+=("$pp")
	load "$s" "$T_SCRATCH/$label/users.txt" "$WINDOW" "$SECS" > /dev/null
	wait "$pp" || { say "perf record failed: $(tail -n 1 "$T_SCRATCH/perf-$s.log")"; return 0; }
	perf report -i "$dir/perf-$label-$s.data" --no-children --sort dso,sym --stdio 2>/dev/null |
		grep -v '^$' | head -n 300 > "$dir/perf-$label-$s.txt"
	perf report -i "$dir/perf-$label-$s.data" --no-children --sort dso --stdio -g none 2>/dev/null |
		grep -v '^#' | grep -v '^$' | head -n 25 > "$dir/perf-$label-$s-dso.txt"
	say "perf: $dir/perf-$label-$s.txt"
}

# host_load : the machine's load average and CPU pressure (the share of
# time some runnable task waited for a CPU, last 10 s), as JSON: the rush
# shares two cores with whatever else runs, and its figures need that noted
host_load() {
	local la psi
	la=$(cut -d' ' -f1 /proc/loadavg)
	psi=$(sed -n 's/^some avg10=\([0-9.]*\).*/\1/p' /proc/pressure/cpu 2>/dev/null)
	printf '{"loadavg":%s,"cpu_pressure_pct":%s}' "$la" "${psi:-null}"
}

# tls_load WINDOW COUNT [extra args] : one avec-load --eap-tls run against
# the morning-rush server, COUNT conversations, one per certificate; the
# host's load at its end is added ("host")
tls_load() {
	local win=$1 cnt=$2 json; shift 2
	json=$(measured tls "$LOAD" --eap-tls -p "${PORT[tls]}" -S "$T_SCRATCH/secret" \
		--ca "$R_CA/ca.pem" --server-name radius.avec.test \
		--cert-dir "$T_SCRATCH/rush/tls" -w "$win" -n "$cnt" -d 900 "$@") || return 1
	jq -c --argjson h "$(host_load)" '. + {host: $h}' <<<"$json"
}

# morning_rush : BENCH_RUSH EAP-TLS devices, one full handshake each, as
# fast as the server answers; then the same at 80 % of the rate reached
morning_rush() {
	local dir=$T_SCRATCH/rush p full at80 rate t0 t1 issue
	mkdir -p "$dir"
	say "rush: issuing $RUSH client certificates"
	t0=$(date +%s.%N)
	"$GEN" --tls "$R_CA" "$dir" "$RUSH" "$RUSH" || return 1
	t1=$(date +%s.%N)
	issue=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	p=$(free_port udp)
	while ss -Hlnu "sport = :$((p + 1))" | grep -q .; do p=$(free_port udp); done
	PORT[tls]=$p
	# read by radius_render (tests/lib/radius.sh)
	# shellcheck disable=SC2034
	R_DB=$dir/avec.db R_AUTH_PORT=$p R_ACCT_PORT=$((p + 1))
	R_RADDB=$dir/raddb-tls
	"$AVECCTL" -d "$R_DB" init >/dev/null || return 1
	sqlite3 "$R_DB" < "$dir/avec.sql" || return 1
	radius_render "$R_RADDB" || return 1
	start_server tls "$R_RADDB" || return 1
	say "rush: $RUSH devices registered in $issue s; server on port $p"
	# warm-up (not counted): the server's threads and the first loads
	tls_load 8 64 > /dev/null || return 1
	full=$(tls_load "$RUSH_WINDOW" "$RUSH") || return 1
	say "rush: $(jq -r '"\(.rps|floor) handshakes/s, p50 \(.p50_us) us, p99 \(.p99_us) us, accepts \(.accepts)/\(.started), timeouts \(.timeouts), tls_fail \(.tls_fail), \(.tls_version) \(.cipher), load cpu \(.cpu), server \(.srv_cores) cores, \(.round_trips) round trips; host load \(.host.loadavg), cpu pressure \(.host.cpu_pressure_pct) %"' <<<"$full")"
	rate=$(jq -r '.rps * 0.8 | floor' <<<"$full")
	[ "$rate" -gt 0 ] || rate=1
	at80=$(tls_load "$RUSH_WINDOW" "$RUSH" --rate "$rate") || return 1
	say "rush at $rate/s: $(jq -r '"\(.rps|floor) handshakes/s, p50 \(.p50_us) us, p99 \(.p99_us) us, accepts \(.accepts)/\(.started), timeouts \(.timeouts), load cpu \(.cpu), server \(.srv_cores) cores; host load \(.host.loadavg), cpu pressure \(.host.cpu_pressure_pct) %"' <<<"$at80")"
	emit "$(jq -nc --argjson f "$full" --argjson e "$at80" --argjson n "$RUSH" \
		--argjson w "$RUSH_WINDOW" --argjson is "$issue" --argjson rate "$rate" \
		--argjson rss "$(awk '/^VmHWM:/ { print $2 }' "/proc/${PID[tls]}/status")" \
		'{kind: "eap_tls", devices: $n, window: $w, issue_s: $is, rate_80: $rate,
		  server_peak_rss_kb: $rss, full: $f, at80: $e}')"
}

# aaf_import : a Complet feed of BENCH_AAF_PEOPLE people imported by avecctl
# into a fresh store, against xmllint --stream over the same files
aaf_import() {
	local dir=$T_SCRATCH/aaf pupils teachers staff parents t0 t1 t2 mb
	local xs='' is rss files recs added errs t
	if ! command -v xmllint >/dev/null || ! command -v python3 >/dev/null; then
		say "aaf: xmllint or python3 missing, skipped"; return 0
	fi
	# a lycée's proportions: 5/6 pupils, 1/20 teachers, 1/60 other staff,
	# the rest parents (of those pupils)
	pupils=$((AAF_PEOPLE * 5 / 6)); teachers=$((AAF_PEOPLE / 20))
	staff=$((AAF_PEOPLE / 60)); parents=$((AAF_PEOPLE - pupils - teachers - staff))
	say "aaf: generating $AAF_PEOPLE people ($pupils pupils, $teachers teachers, $staff staff, $parents parents)"
	python3 "$AVEC_TOP/tests/ent/gen_aaf.py" --out "$dir/feed" --full --split 20000 \
		--pupils "$pupils" --teachers "$teachers" --staff "$staff" --parents "$parents" || return 1
	files=("$dir"/feed/*.xml)
	mb=$(du -cm "${files[@]}" | tail -n 1 | cut -f1)
	cat "${files[@]}" > /dev/null	# both start with the files cached
	# the floor: the better of two xmllint runs
	for t in 1 2; do
		t0=$(date +%s.%N)
		xmllint --stream --noout "${files[@]}" 2> "$dir/xmllint.err" ||
			{ say "aaf: xmllint failed: $(tail -n 1 "$dir/xmllint.err")"; return 1; }
		t1=$(date +%s.%N)
		t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
		if [ -z "$xs" ] || awk -v a="$t" -v b="$xs" 'BEGIN { exit !(a < b) }'; then xs=$t; fi
	done
	"$AVECCTL" -d "$dir/avec.db" init >/dev/null || return 1
	t1=$(date +%s.%N)
	/usr/bin/time -v "$AVECCTL" -d "$dir/avec.db" ent import --complet --no-disconnect \
		"${files[@]}" > "$dir/import.out" 2> "$dir/import.err" ||
		{ say "aaf: import failed: $(grep -v '^\s' "$dir/import.err" | tail -n 2)"; return 1; }
	t2=$(date +%s.%N)
	# "records N, added N, ..., errors N": every person added, none refused
	read -r recs added errs < <(sed -n 's/^records \([0-9]*\), added \([0-9]*\),.* errors \([0-9]*\);.*/\1 \2 \3/p' "$dir/import.out")
	if [ "${added:-0}" != "$AAF_PEOPLE" ] || [ "${errs:-1}" != 0 ]; then
		say "aaf: the import added ${added:-?} of $AAF_PEOPLE people (errors ${errs:-?})"; return 1
	fi
	is=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.3f", b - a }')
	rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$dir/import.err")
	say "aaf: ${#files[@]} files, $mb MB: import $is s, xmllint $xs s, peak RSS $((rss / 1024)) MB"
	emit "$(jq -nc --argjson n "$AAF_PEOPLE" --argjson r "$recs" --argjson is "$is" --argjson xs "$xs" \
		--argjson rss "$rss" --argjson f "${#files[@]}" --argjson mb "$mb" \
		'{kind: "aaf", records: $n, feed_records: $r, files: $f, megabytes: $mb, seconds: $is,
		  records_per_s: (($n / $is) | floor), xmllint_seconds: $xs,
		  ratio_xmllint: ((($is / $xs) * 100 | round) / 100),
		  peak_rss_mb: (($rss / 1024 * 10 | round) / 10)}')"
}

stop_all() {
	local s
	for s in "${!PID[@]}"; do stop_pid "${PID[$s]}"; done
	PID=()
}

# ---- main --------------------------------------------------------------------

R_SECRET=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24)
(umask 077; echo "$R_SECRET" > "$T_SCRATCH/secret")
R_CA=$T_SCRATCH/ca R_LOGDIR=$T_SCRATCH/log-avec R_RUNDIR=$T_SCRATCH/run-avec
mkdir -p "$R_LOGDIR" "$R_RUNDIR"
if ! "$AVECCTL" -d "$T_SCRATCH/ca.db" --ca-dir "$R_CA" init >/dev/null ||
	! "$AVECCTL" -d "$T_SCRATCH/ca.db" --ca-dir "$R_CA" ca init --server-name radius.avec.test >/dev/null; then
	echo "bench: avecctl ca init failed" >&2; exit 1
fi

started=$(date +%s)
if [ "$SMALL" != 0 ]; then
	scenario small "$N" "$N" "avec files files-clear sql sql-min" || { echo "bench: small scenario failed" >&2; exit 1; }
	with_acct small "avec files"
	with_dhcp small || { echo "bench: the DHCP case failed" >&2; exit 1; }
	saturation small files-clear
	revoke_delay small
	profile small avec
	profile small files
	stop_all
fi
if [ "$BIG" -gt 0 ]; then
	scenario big "$BIG" "$BIG_ACCOUNTS" "avec files sql" || { echo "bench: big scenario failed" >&2; exit 1; }
	revoke_delay big
	# the peak, reload included (a refresh builds a second snapshot)
	emit "$(jq -nc --argjson a "$(awk '/^VmHWM:/ { print $2 }' "/proc/${PID[avec]}/status")" \
		--argjson f "$(awk '/^VmHWM:/ { print $2 }' "/proc/${PID[files]}/status")" \
		'{kind: "hwm", scenario: "big", avec_kb: $a, files_kb: $f}')"
	stop_all
fi
if [ "$RUSH" -gt 0 ]; then
	morning_rush || { echo "bench: morning rush failed" >&2; exit 1; }
	stop_all
fi
if [ "$AAF" != 0 ]; then
	aaf_import || { echo "bench: AAF import failed" >&2; exit 1; }
fi

# ---- results -------------------------------------------------------------------

jq -s --arg date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" --argjson cores "$(nproc)" \
	--arg fr "$(freeradius -v 2>/dev/null | sed -n 's/.*FreeRADIUS Version \([^,]*\).*/\1/p' | head -n 1)" \
	--arg kernel "$(uname -r)" --arg sqlite "$(sqlite3 --version | cut -d' ' -f1)" \
	--arg commit "$(git -C "$AVEC_TOP" rev-parse --short HEAD 2>/dev/null)" \
	--argjson n "$N" --argjson big "$BIG" --argjson bigacc "$BIG_ACCOUNTS" \
	--argjson rounds "$ROUNDS" --argjson secs "$SECS" --argjson window "$WINDOW" \
	--argjson elapsed "$(( $(date +%s) - started ))" '
	def median: sort | if length == 0 then null elif length % 2 == 1 then .[length / 2 | floor]
		else (.[length / 2 - 1] + .[length / 2]) / 2 end;
	def r2: if . == null then null else (. * 100 | round) / 100 end;
	def ratio($a; $b): [range(0; [($a | length), ($b | length)] | min) | $a[.] / $b[.]];
	. as $all
	| [$all[] | select(.kind == "round")] as $rr
	| def rps($sc; $s): [$rr[] | select(.scenario == $sc and .setup == $s) | .rps];
	  def spread($x): {median: ($x | median | r2), min: ($x | min | r2), max: ($x | max | r2)};
	{
	  date: $date, cores: $cores, commit: $commit,
	  versions: {freeradius: $fr, kernel: $kernel, sqlite: $sqlite},
	  method: {rounds: $rounds, secs_per_round: $secs, window: $window, alternate: true,
	           server_mode: "freeradius -f", elapsed_s: $elapsed},
	  scenarios: [ ($all | map(.scenario // empty) | reduce .[] as $x ([]; if index([$x]) then . else . + [$x] end))[] as $sc
	    | { name: $sc,
	        devices: (if $sc == "small" then $n else $big end),
	        accounts: (if $sc == "small" then $n else $bigacc end),
	        throughput: ([$rr[] | select(.scenario == $sc) | .setup] | unique
	                     | map(. as $s | {key: $s, value: (spread(rps($sc; $s))
	                            + {p99_us_median: ([$rr[] | select(.scenario == $sc and .setup == $s) | .p99_us] | median),
	                               srv_cores_median: ([$rr[] | select(.scenario == $sc and .setup == $s) | .srv_cores] | median),
	                               load_cpu_median: ([$rr[] | select(.scenario == $sc and .setup == $s) | .cpu] | median)})})
	                     | from_entries),
	        ratio_files: (if (rps($sc; "files") | length) > 0 then spread(ratio(rps($sc; "avec"); rps($sc; "files"))) else null end),
	        ratio_files_clear: (if (rps($sc; "files-clear") | length) > 0 then spread(ratio(rps($sc; "avec"); rps($sc; "files-clear"))) else null end),
	        ratio_sql: (if (rps($sc; "sql") | length) > 0 then spread(ratio(rps($sc; "avec"); rps($sc; "sql"))) else null end),
	        ratio_sql_min: (if (rps($sc; "sql-min") | length) > 0 then spread(ratio(rps($sc; "avec"); rps($sc; "sql-min"))) else null end),
	        rss_kb: ([$all[] | select(.kind == "rss" and .scenario == $sc) | {key: .setup, value: .rss_kb}] | from_entries),
	        revoke: ([$all[] | select(.kind == "revoke" and .scenario == $sc)] | first),
	        peak_rss_kb: ([$all[] | select(.kind == "hwm" and .scenario == $sc)] | first),
	        with_acct: ([$all[] | select(.kind == "acct" and .scenario == $sc)] | group_by(.setup)
	                    | map({key: .[0].setup, value: {acct_rate: .[0].acct_rate,
	                           auth_rps_median: (map(.rps) | median | r2),
	                           acct_answered: (map(.acct_ok) | add), acct_sent: (map(.acct_sent) | add),
	                           acct_lost: (map(.acct_lost // 0) | add),
	                           auth_ratio_median: (map(.auth_ratio // empty) | median),
	                           acct_slowest_us: (map(.acct_max_us) | max),
	                           p99_us_median: (map(.p99_us) | median)}}) | from_entries),
	        saturation: [$all[] | select(.kind == "saturation" and .scenario == $sc)
	                     | {setup, window, rps, cpu, srv_cores, timeouts}]
	      } ],
	  raw: [$all[] | select(.kind == "round" or .kind == "rss")]
	}
	| .eap_tls_rush = ([$all[] | select(.kind == "eap_tls")] | first
	    | if . == null then null else
	      {devices, window, certificates_issue_s: .issue_s,
	       handshakes_per_s: .full.rps, p50_ms: (.full.p50_us / 1000), p99_ms: (.full.p99_us / 1000),
	       p999_ms: (.full.p999_us / 1000), accepts: .full.accepts, timeouts: .full.timeouts,
	       tls_fail: .full.tls_fail, round_trips: .full.round_trips,
	       tls_version: .full.tls_version, cipher: .full.cipher,
	       load_cpu: .full.cpu, srv_cores: .full.srv_cores, host: .full.host,
	       rate_at_80pct: .rate_80, handshakes_per_s_at_80pct: .at80.rps,
	       p50_ms_at_80pct: (.at80.p50_us / 1000), p99_ms_at_80pct: (.at80.p99_us / 1000),
	       p999_ms_at_80pct: (.at80.p999_us / 1000), accepts_at_80pct: .at80.accepts,
	       timeouts_at_80pct: .at80.timeouts, host_at_80pct: .at80.host,
	       server_peak_rss_kb} end)
	| .aaf_import = ([$all[] | select(.kind == "aaf")] | first | if . then del(.kind) else null end)
	| .dhcp_logging = ([$all[] | select(.kind == "dhcp")] | if length == 0 then null else
	    {scenario: .[0].scenario, target_rate: .[0].dhcp_target_rate,
	     dhcp_rate_median: (map(.dhcp_rate) | median), acks_sent: (map(.dhcp_sent) | add),
	     bindings_new: (map(.bindings_new) | add),
	     auth_rps_alone_median: (map(.auth_rps_alone) | median | r2),
	     auth_rps_median: (map(.rps) | median | r2),
	     auth_ratio_median: (map(.auth_ratio) | median),
	     auth_ratio_min: (map(.auth_ratio) | min),
	     p99_us_median: (map(.p99_us) | median),
	     rounds: map({round, auth_rps_alone, rps, auth_ratio, dhcp_rate, bindings_new, bindings_seen, p99_us})} end)
	| . as $r
	| ($r.scenarios | map(select(.name == "small"))[0]) as $sm
	| ($r.scenarios | map(select(.name == "big"))[0]) as $bg
	| .targets = {
	    auth_vs_files_ge_0_95: ([$r.scenarios[] | .ratio_files.median // empty] | if length == 0 then null else all(. >= 0.95) end),
	    auth_vs_sql_ge_4: ([$r.scenarios[] | .ratio_sql.median // empty] | if length == 0 then null else all(. >= 4) end),
	    big_extra_rss_mb_vs_stock: (if $bg then (($bg.rss_kb.avec - $sm.rss_kb.files) / 1024 | floor) else null end),
	    big_extra_rss_le_200mb: (if $bg then ($bg.rss_kb.avec - $sm.rss_kb.files) <= 204800 else null end),
	    revoke_lt_1s: ([$r.scenarios[] | .revoke.visible_s // empty] | if length == 0 then null else all(. < 1) end),
	    eap_tls_ge_500_per_s: (if $r.eap_tls_rush then $r.eap_tls_rush.handshakes_per_s >= 500 else null end),
	    eap_tls_p99_at_80pct_lt_50ms: (if $r.eap_tls_rush then $r.eap_tls_rush.p99_ms_at_80pct < 50 else null end),
	    aaf_le_3x_xmllint: (if $r.aaf_import then $r.aaf_import.ratio_xmllint <= 3 else null end),
	    aaf_peak_rss_lt_100mb: (if $r.aaf_import then $r.aaf_import.peak_rss_mb < 100 else null end),
	    auth_with_dhcp_ge_0_95: (if $r.dhcp_logging then $r.dhcp_logging.auth_ratio_median >= 0.95 else null end)
	  }' "$RES" > "$OUT.tmp" || { echo "bench: cannot write $OUT" >&2; exit 1; }
mv "$OUT.tmp" "$OUT" || exit 1

# ---- the table -------------------------------------------------------------------
jq -r '
	def f: if . == null then "-" else tostring end;
	"scenario  setup        req/s median [min-max]      ratio avec/x median [min-max]   RSS MB",
	(.scenarios[] as $s | $s.throughput | to_entries[] | .key as $k |
	  ($s.ratio_files // {}) as $rf | ($s.ratio_sql // {}) as $rq | ($s.ratio_files_clear // {}) as $rc |
	  ($s.ratio_sql_min // {}) as $rm |
	  [ $s.name, $k,
	    "\(.value.median|floor) [\(.value.min|floor)-\(.value.max|floor)]",
	    (if $k == "files" then "\($rf.median) [\($rf.min)-\($rf.max)]"
	     elif $k == "sql" then "\($rq.median) [\($rq.min)-\($rq.max)]"
	     elif $k == "files-clear" then "\($rc.median) [\($rc.min)-\($rc.max)]"
	     elif $k == "sql-min" then "\($rm.median) [\($rm.min)-\($rm.max)]"
	     else "" end),
	    (($s.rss_kb[$k] // null) | if . == null then "-" else (. / 1024 | floor | tostring) end)
	  ] | "\(.[0] | . + "          " | .[0:10])\(.[1] | . + "             " | .[0:13])\(.[2] | . + "                            " | .[0:28])\(.[3] | . + "                                " | .[0:32])\(.[4])"),
	"",
	(.scenarios[] | select(.rss_kb.avec and .rss_kb.files) | "\(.name): RSS avec - files = \(((.rss_kb.avec - .rss_kb.files) / 1024 * 10 | floor) / 10) MB"),
	(.scenarios as $ss | ($ss | map(select(.name == "small"))[0].rss_kb.files) as $base | $ss[] | select(.name == "big" and $base != null) |
	  "big: RSS avec - stock files server with \($ss[0].devices) users = \(((.rss_kb.avec - $base) / 1024 * 10 | floor) / 10) MB; peak (VmHWM, reload included) avec \((.peak_rss_kb.avec_kb // 0) / 1024 | floor) MB, files \((.peak_rss_kb.files_kb // 0) / 1024 | floor) MB"),
	(.scenarios[] | select(.revoke) | "\(.name): revocation visible to the module after \(.revoke.visible_s) s (avecctl itself \(.revoke.avecctl_s) s)"),
	(.scenarios[] | select(.with_acct | length > 0) | "\(.name) with accounting alongside: " +
	  ([.with_acct | to_entries[] | "\(.key) \(.value.auth_rps_median | floor) auth/s (\(.value.auth_ratio_median) of its own alone), acct \(.value.acct_answered)/\(.value.acct_sent) answered, \(.value.acct_lost) lost at \(.value.acct_rate)/s"] | join("; "))),
	(.dhcp_logging | select(.) | "\(.scenario) with \(.target_rate) DHCP exchanges/s logged (avec-addrd, same store): avec \(.auth_rps_median | floor) auth/s, alone \(.auth_rps_alone_median | floor); ratio \(.auth_ratio_median) [min \(.auth_ratio_min)] (target >= 0.95); \(.acks_sent) ACKs at \(.dhcp_rate_median)/s, \(.bindings_new) new bindings, the rest renewals"),
	(.scenarios[] | select(.saturation | length > 0) | "saturation, \(.saturation[0].setup): " +
	  ([.saturation[] | "w\(.window) \(.rps | floor)/s (load \(.cpu), server \(.srv_cores))"] | join("; "))),
	(.eap_tls_rush | select(.) | "morning rush, EAP-TLS (\(.tls_version) \(.cipher)), \(.devices) devices, window \(.window): \(.handshakes_per_s | floor) handshakes/s (target >= 500), p99 \(.p99_ms) ms; at 80 % (\(.rate_at_80pct)/s): p99 \(.p99_ms_at_80pct) ms (target < 50); timeouts \(.timeouts)+\(.timeouts_at_80pct), load cpu \(.load_cpu), server \(.srv_cores) cores"),
	(.aaf_import | select(.) | "AAF import, \(.records) people in \(.files) files (\(.megabytes) MB): \(.seconds) s, \(.records_per_s) records/s; xmllint --stream \(.xmllint_seconds) s; ratio \(.ratio_xmllint) (target <= 3); peak RSS \(.peak_rss_mb) MB (target < 100)"),
	"targets: \(.targets | tostring)",
	"cores \(.cores), FreeRADIUS \(.versions.freeradius), \(.method.rounds) rounds of \(.method.secs_per_round) s, window \(.method.window), \(.date)"
' "$OUT"
echo "# written: $OUT"
