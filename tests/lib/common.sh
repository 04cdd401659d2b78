# shellcheck shell=bash
# tests/lib/common.sh - what every AVEC integration test script shares.
#
# Sourced by each tests/*/t_*.sh.  It gives the script a private scratch
# directory, remembers every process and network namespace the script
# starts, and removes them all on exit: processes are stopped by the
# process id we recorded, never by name.  Results are TAP-like lines
# ("ok - ..." / "not ok - ..."), which tests/run.sh counts.
#
# Exit status: 0 when every check passed, 1 otherwise, 77 to skip (with
# the reason on stdout) when the machine cannot run the test at all.

set -u
AVEC_TOP=${AVEC_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
AVEC_BUILD=${AVEC_BUILD:-$AVEC_TOP/build}
AVECCTL=${AVECCTL:-$AVEC_BUILD/bin/avecctl}
export AVEC_TOP AVEC_BUILD AVECCTL
# The developers' folder of reference files beside the checkout.  Optional:
# a clone without it runs every test, and the few checks against its
# files say "skip: ..." (skip_check) instead of running.
AVEC_SHARED=${AVEC_SHARED:-$AVEC_TOP/../shared}
# the EAP metadata schema eap-config files are validated against
EAP_XSD=${AVEC_PROFILE_XSD:-$AVEC_SHARED/reference/profiles/eap-metadata.xsd}

T_NAME=$(basename "${0%.sh}")
T_SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/avec-$T_NAME.XXXXXX")
T_PIDS=()
T_NETNS=()
T_FAILED=0
T_COUNT=0

# reap PID : after a TERM, wait up to 3 s for PID to exit, then KILL it
reap() {
	local _
	for _ in $(seq 1 30); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

t_cleanup() {
	local pid ns
	# every process gets its TERM first, so that they stop together
	for pid in "${T_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${T_PIDS[@]}"; do
		reap "$pid"
	done
	for ns in "${T_NETNS[@]}"; do
		ip netns delete "$ns" 2>/dev/null
	done
	if [ "${T_KEEP:-0}" = 1 ]; then
		echo "# scratch kept in $T_SCRATCH"
	else
		rm -rf "$T_SCRATCH"
	fi
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# spawn NAME CMD... : start CMD in the background, output to $T_SCRATCH/NAME.log
spawn() {
	local name=$1; shift
	"$@" >"$T_SCRATCH/$name.log" 2>&1 &
	T_PIDS+=("$!")
	eval "PID_$name=$!"
}

# stop_pid PID : stop one process we started, and forget it
stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null
	reap "$pid"
	local keep=() p
	for p in "${T_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	T_PIDS=("${keep[@]}")
}

# netns_add NAME : create a namespace that cleanup deletes
netns_add() {
	ip netns add "$1" || return 1
	T_NETNS+=("$1")
	ip -n "$1" link set lo up
}

ok()   { T_COUNT=$((T_COUNT + 1)); echo "ok - $*"; }
fail() { T_COUNT=$((T_COUNT + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok - $*"; }
skip() { echo "skip: $*"; exit 77; }
# skip_check DESC WHY : one check this machine cannot run, reported as
# skipped; neither a failure nor the end of the script (that is skip)
skip_check() { echo "skip: $1 ($2)"; }
# check DESC CMD... : ok if CMD succeeds
check() {
	local desc=$1; shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}
# xsd_check DESC FILE : FILE validates against the EAP metadata schema
# ($EAP_XSD); skipped, not failed, when that reference file is absent
xsd_check() {
	if [ ! -r "$EAP_XSD" ]; then
		skip_check "$1" "no $EAP_XSD: a check against a reference file of the developers' shared folder"
	elif xmllint --noout --schema "$EAP_XSD" "$2" >"$T_SCRATCH/xsd.log" 2>&1; then
		ok "$1"
	else
		fail "$1: $(head -c 400 "$T_SCRATCH/xsd.log")"
	fi
}
# finish : the script's exit status
finish() {
	[ "$T_COUNT" -gt 0 ] || { echo "not ok - $T_NAME ran no check"; exit 1; }
	[ "$T_FAILED" -eq 0 ]
	exit $?
}

# free_port udp|tcp : a port on loopback that no socket uses now, taken
# below the kernel's ephemeral range, so that the client sockets other
# programs open meanwhile (chosen by the kernel from that range) cannot
# take it before our server binds it
free_port() {
	local proto=${1:-udp} p low
	low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	[ "${low:-0}" -gt 12000 ] 2>/dev/null || low=32768
	while :; do
		p=$((10000 + RANDOM % (low - 10000)))
		if ! ss -Han"${proto:0:1}" "sport = :$p" | grep -q .; then
			echo "$p"; return 0
		fi
	done
}

# wait_for SECONDS CMD... : poll CMD every 0.1 s until it succeeds
wait_for() {
	local n=$(( $1 * 10 )); shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; n=$((n - 1))
	done
	return 1
}

# need PROGRAM... : skip the test when a program is missing
need() {
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 || skip "$p is not installed (make deps)"
	done
}
