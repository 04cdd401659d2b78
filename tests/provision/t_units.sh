#!/bin/bash
# t_units.sh - every systemd unit of the appliance is sandboxed: systemd's
# own exposure score (systemd-analyze security, offline) stays at or below
# 4.0 ("OK") for each, and none runs with a capability it was not given on
# purpose.
. "$(dirname "$0")/../lib/common.sh"
need systemd-analyze
UNITS=$AVEC_TOP/appliance/systemd
for f in "$UNITS"/*.service; do
	u=$(basename "$f")
	out=$(cd "$UNITS" && systemd-analyze security --offline=true "$u" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$out")
	echo "# $u: exposure $score"
	check "$u: exposure ${score:-?} <= 4.0" \
		python3 -c "import sys; sys.exit(not float('${score:-99}') <= 4.0)"
	check "$u: a capability bounding set" grep -q '^CapabilityBoundingSet=' "$f"
	check "$u: no new privileges" grep -q '^NoNewPrivileges=yes' "$f"
	check "$u: a read-only system" grep -q '^ProtectSystem=strict' "$f"
	check "$u: a system call filter" grep -q '^SystemCallFilter=' "$f"
done
finish
