#!/bin/bash
# shellcheck disable=SC2154,SC2317 # d1_*: set by device_add; spawn sets PID_*; functions run through check
# t_store_faults.sh - the store unwritable: locked by another process, or
# its file system full.
#
# The store lives on a 4 MiB tmpfs mounted in a private mount namespace
# (unshare -m): avecctl, sqlite3 and FreeRADIUS all run inside it
# (nsenter), so the mount never shows outside the test.
#   (a) another process holds a write transaction (sqlite3's BEGIN
#       EXCLUSIVE, kept open): "avecctl device add" fails within its busy
#       timeout with an error saying the store is locked; a registered
#       device is still accepted (PAP and EAP-TTLS, from the index); once
#       the lock is gone a registration succeeds;
#   (b) the file system is full: "avecctl device add" fails saying so,
#       the registered device is still accepted, and after space is freed
#       a registration succeeds;
#   (c) PRAGMA integrity_check says ok, and no half-registered device.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
need sqlite3 unshare nsenter
[ "$(id -u)" = 0 ] || skip "a private mount namespace with a tmpfs needs root"
radius_setup

# a mount namespace of our own, held by a sleeping process
spawn mntns unshare -m --propagation private sleep 3600
HOLD=$PID_mntns
wait_for 5 bash -c "[ \"\$(readlink /proc/$HOLD/ns/mnt)\" != \"\$(readlink /proc/self/ns/mnt)\" ]" ||
	skip "unshare -m gave no private mount namespace"
FS=$T_SCRATCH/fs
mkdir -p "$FS"
nsenter -t "$HOLD" -m -- mount -t tmpfs -o size=4m,mode=0755 tmpfs "$FS" ||
	skip "cannot mount a tmpfs in a private mount namespace"
# everything that touches the store runs in that namespace (radius.sh's
# avecctl goes through r_exec)
r_exec() { nsenter -t "$HOLD" -m -- "$@"; }
r_exec cp "$R_DB" "$FS/avec.db" || { fail "store moved to the tmpfs"; finish; }
R_DB=$FS/avec.db
radius_render "$R_RADDB" || { fail "render the FreeRADIUS template"; finish; }
check "the store is on the small tmpfs, seen only in our namespace" \
	bash -c "r() { nsenter -t $HOLD -m -- \"\$@\"; }; r test -s '$R_DB' && [ ! -e '$R_DB' ]"

account_add eleve.sf student && avecctl policy set student --vlan 20 --max-devices 20 --creds ttls >/dev/null ||
	{ fail "account and policy"; finish; }
device_add d1 eleve.sf ttls || { fail "register a device"; finish; }
spawn radiusd nsenter -t "$HOLD" -m -- freeradius -f -d "$R_RADDB"
R_PID=$PID_radiusd
check "freeradius starts on the store in the namespace" wait_for 15 radius_alive

pap() {
	printf 'User-Name = "%s"\nUser-Password = "%s"\nMessage-Authenticator = 0x00\n' \
		"$d1_user" "$d1_secret" | rad_send "$1"
	[ "$(rad_code "$1")" = Access-Accept ]
}
sq() { r_exec sqlite3 -batch "$R_DB" "$@"; }
check "the registered device is accepted (PAP)" pap before

# add TAG : one registration; its stderr in add-TAG.err, its time in SECS
add() {
	local t0=$SECONDS
	r_exec "$AVECCTL" -d "$R_DB" --ca-dir "$R_CA" device add eleve.sf --name "$1" --type ttls \
		--json >"$T_SCRATCH/add-$1.out" 2>"$T_SCRATCH/add-$1.err"
	local rc=$?
	SECS=$((SECONDS - t0))
	return $rc
}

# ---- (a) locked ----
mkfifo "$T_SCRATCH/lock.fifo"
spawn locker bash -c "exec nsenter -t $HOLD -m -- sqlite3 -batch '$R_DB' < '$T_SCRATCH/lock.fifo'"
# shellcheck disable=SC2154 # set by spawn
exec 9>"$T_SCRATCH/lock.fifo"
echo "BEGIN EXCLUSIVE; SELECT 'locked';" >&9
check "(a) another process holds a write transaction" \
	wait_for 5 grep -q '^locked$' "$T_SCRATCH/locker.log"
add locked; rc=$?
echo "# (a) avecctl: exit $rc after $SECS s: $(head -c 300 "$T_SCRATCH/add-locked.err")"
check "(a) a registration fails while the store is locked" [ "$rc" != 0 ]
check "(a) ... with a clear error (the store is locked)" grep -qi 'locked\|busy' "$T_SCRATCH/add-locked.err"
# two waits of the store's 5 s busy timeout: the command, then its
# attempt to record the refusal in the audit trail
check "(a) ... within two busy timeouts plus a margin ($SECS s)" [ "$SECS" -le 14 ]
check "(a) ... and no secret printed" [ ! -s "$T_SCRATCH/add-locked.out" ]
check "(a) the registered device is still accepted (PAP)" pap locked
eapol_auth locked-ttls ttls "$d1_user" "$d1_secret"
check "(a) ... and over EAP-TTLS" [ "$(reply_code locked-ttls)" = 2 ]
echo "ROLLBACK;" >&9
exec 9>&-
wait_for 5 bash -c "! kill -0 $PID_locker 2>/dev/null"
check "(a) once the lock is gone, a registration succeeds" add unlocked

# ---- (b) file system full ----
sq 'PRAGMA wal_checkpoint(TRUNCATE);' >/dev/null
r_exec dd if=/dev/zero of="$FS/filler" bs=64k >/dev/null 2>&1
echo "# (b) $(r_exec df -k "$FS" | tail -n 1)"
check "(b) the file system is full" [ "$(r_exec df -k --output=avail "$FS" | tail -n 1 | tr -d ' ')" = 0 ]
add full; rc=$?
echo "# (b) avecctl: exit $rc after $SECS s: $(head -c 300 "$T_SCRATCH/add-full.err")"
check "(b) a registration fails on a full disk" [ "$rc" != 0 ]
check "(b) ... with a clear error (disk full)" grep -qi 'full' "$T_SCRATCH/add-full.err"
check "(b) ... and no secret printed" [ ! -s "$T_SCRATCH/add-full.out" ]
check "(b) the registered device is still accepted (PAP)" pap full
eapol_auth full-ttls ttls "$d1_user" "$d1_secret"
check "(b) ... and over EAP-TTLS" [ "$(reply_code full-ttls)" = 2 ]
check "(b) freeradius is still running" kill -0 "$R_PID"
r_exec rm -f "$FS/filler"
check "(b) once space is freed, a registration succeeds" add freed

# ---- (c) nothing corrupt ----
stop_radiusd
check "(c) PRAGMA integrity_check: ok" [ "$(sq 'PRAGMA integrity_check')" = ok ]
check "(c) no device without its credential" [ "$(sq "SELECT count(*) FROM devices d
	LEFT JOIN credentials c ON c.device_id = d.id WHERE c.device_id IS NULL")" = 0 ]
check "(c) the failed registrations left no device" \
	[ "$(sq "SELECT group_concat(name, ' ') FROM (SELECT name FROM devices ORDER BY id)")" = "d1 unlocked freed" ]
finish
