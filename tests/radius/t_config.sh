#!/bin/bash
# shellcheck disable=SC2154 # x_user, x_secret, x_cert...: set by device_add
# The shipped FreeRADIUS configuration passes `freeradius -XC`; a broken
# avec setting stops the server with a message that names the setting.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_setup

# xc NAME DIR : freeradius -XC on DIR, output in $T_SCRATCH/xc-NAME.log
xc() { freeradius -XC -d "$2" > "$T_SCRATCH/xc-$1.log" 2>&1; }
# broken NAME SED : a rendered copy whose mods-available/avec is edited
broken() {
	local d=$T_SCRATCH/raddb-$1
	radius_render "$d" && sed -i "$2" "$d/mods-available/avec" &&
		! cmp -s "$R_RADDB/mods-available/avec" "$d/mods-available/avec" ||
		fail "$1: could not edit the avec settings"
}
said() { grep -qE "$2" "$T_SCRATCH/xc-$1.log"; }

no_placeholder() { ! grep -rqE '@[A-Z_]+@' "$1"; }
check "rendered configuration has no placeholder left" no_placeholder "$R_RADDB"
render_raddb "$T_SCRATCH/partial" DB=/x 2>"$T_SCRATCH/partial.err"
check "render_raddb refuses a template value it was not given" [ $? -ne 0 ]
check "render_raddb names the placeholder left without a value" \
	grep -q '@SECRET@' "$T_SCRATCH/partial.err"

xc good "$R_RADDB"
check "shipped configuration passes freeradius -XC" [ $? -eq 0 ]
check "-XC instantiated rlm_avec on the store" \
	said good "Instantiating module \"avec\" from file .*/mods-available/avec"
check "-XC says the configuration is OK" said good "Configuration appears to be OK"

for v in 10 10000; do
	broken "ri$v" "s/refresh_interval = 200/refresh_interval = $v/"
	xc "ri$v" "$T_SCRATCH/raddb-ri$v"
	check "refresh_interval = $v (a bound) is accepted" [ $? -eq 0 ]
done

for v in 0 9 10001; do
	broken "ri$v" "s/refresh_interval = 200/refresh_interval = $v/"
	xc "ri$v" "$T_SCRATCH/raddb-ri$v"
	check "refresh_interval = $v stops the server" [ $? -ne 0 ]
	check "refresh_interval = $v: the error names the setting and its file" \
		said "ri$v" "mods-available/avec\[[0-9]+\]: refresh_interval must be between 10 and 10000"
done

broken nodb "s|database = .*|database = \"$T_SCRATCH/missing/avec.db\"|"
xc nodb "$T_SCRATCH/raddb-nodb"
check "a missing database stops the server" [ $? -ne 0 ]
check "missing database: the error names the setting and the file" \
	said nodb "mods-available/avec\[[0-9]+\]: database \"$T_SCRATCH/missing/avec.db\" is not a readable file"

head -c 4096 /dev/urandom > "$T_SCRATCH/garbage.db"
broken baddb "s|database = .*|database = \"$T_SCRATCH/garbage.db\"|"
xc baddb "$T_SCRATCH/raddb-baddb"
check "a file that is not an AVEC store stops the server" [ $? -ne 0 ]
check "not a store: the error names the setting" \
	said baddb "mods-available/avec\[[0-9]+\]: database \"$T_SCRATCH/garbage.db\""

broken nosetting "/^[[:space:]]*database = /d"
xc nosetting "$T_SCRATCH/raddb-nosetting"
check "no database setting stops the server" [ $? -ne 0 ]
check "no database setting: the error names it" said nosetting '"database"'

finish
