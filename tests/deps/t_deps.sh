#!/bin/bash
# tests/deps/t_deps.sh - everything AVEC uses from the system comes from a
# package that mk/deps.sh installs.
#
# A machine that was used before keeps what someone once installed by
# hand, so a build or a test can pass there and fail on a fresh Debian 12.
# This test asks dpkg where each thing AVEC uses comes from, and fails when
# that package is neither in mk/deps.sh's list nor pulled in by one in it
# (its Depends and Pre-Depends, recursively) nor part of every Debian
# system (Essential, or of priority "required"):
#   (a) every <system header> that a C file of the repository includes;
#   (b) every pkg-config module and every -l library the build names;
#   (c) every program the build, the demo, the tests and the benchmark
#       call: each word of their scripts that is a program in /usr/bin,
#       /usr/sbin, /bin or /sbin (comment lines left out), so a program
#       called through a wrapper (check, spawn, wait_for, timeout) counts;
#   (d) every Python module the test programs import, found with Debian's
#       python3 (the one that runs them).
# Each offender is one "not ok" line naming the thing, where it is used
# and its package.
#
# AVEC_DEPS_LIST=FILE checks against the packages listed in FILE (one a
# line, # comments) instead of mk/deps.sh's list: that is how to see the
# test fail, e.g. with libmicrohttpd-dev taken out.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need dpkg dpkg-query apt-cache
cd "$AVEC_TOP" || exit 1
export LC_ALL=C

# Words of the scripts that name an installed program but are not called
# as one, or programs that a fresh machine has before AVEC is there.
# Each needs its reason.
NOT_CALLED="
git	the repository is a git clone; scripts that ask git fall back without it
col	a Python variable (t_avecctl.sh)
column	a word of a check's description
file	a FreeRADIUS configuration key
init	an avecctl command
jar	a shell variable (a cookie jar)
look	a word of a check's description
man	part of a path (/usr/share/man)
pc	a device's name
write	a word of an error message
zip	a Python builtin
ex	a gdb option (-ex)
systemctl	deps.sh itself calls it only where systemd runs the machine
route	a word of ip's command lines (ip route)
ssh	part of a path (etc/ssh)
wget	busybox's applet (busybox wget), not the wget package
"

# lsf PATTERN... : the repository's files matching git pathspec globs (a
# tree from `git archive`, as in tests/fresh/t_fresh.sh, has no git)
lsf() {
	local p
	if git rev-parse --git-dir >/dev/null 2>&1; then
		git ls-files "$@"
	else
		for p in "$@"; do
			find . -path ./build -prune -o -type f -path "./$p" -print | sed 's|^\./||'
		done | sort -u
	fi
}

# ---- the packages: the list and its closure ----
if [ -n "${AVEC_DEPS_LIST:-}" ]; then
	grep -v '^[[:space:]]*#' "$AVEC_DEPS_LIST" | tr -s ' \t' '\n\n' | sed '/^$/d' \
		> "$T_SCRATCH/list"
else
	sh mk/deps.sh --list > "$T_SCRATCH/list"
fi
check "mk/deps.sh lists packages ($(wc -l < "$T_SCRATCH/list"))" [ -s "$T_SCRATCH/list" ]
not_installed=$(while read -r p; do
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || echo "$p"
done < "$T_SCRATCH/list")
check "every listed package is installed here (make deps)${not_installed:+: missing $not_installed}" \
	[ -z "$not_installed" ]

# The closure: the listed packages and, recursively, what they depend on
# (apt-cache prints each package of the closure once, unindented; a
# virtual one as <name>), plus what every Debian system has.
# shellcheck disable=SC2046
apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
	--no-breaks --no-replaces --no-enhances $(cat "$T_SCRATCH/list") 2>/dev/null |
	sed -n 's/^<\{0,1\}\([^ <>]*\)>\{0,1\}$/\1/p' > "$T_SCRATCH/closure"
dpkg-query -W -f='${Package} ${Essential} ${Priority}\n' |
	awk '$2 == "yes" || $3 == "required" { print $1 }' >> "$T_SCRATCH/closure"
sort -u -o "$T_SCRATCH/closure" "$T_SCRATCH/closure"
echo "# $(wc -l < "$T_SCRATCH/list") packages listed, $(wc -l < "$T_SCRATCH/closure") in their closure with the required ones"

# use KIND WHAT WHERE FILE : record one thing AVEC uses; judged below,
# all at once, against dpkg's file lists.  dpkg knows some files by the
# other side of the /usr merge, or behind an alternatives link: each of
# those names is a candidate.
use() {
	local f=$4 alt
	case $f in
	/usr/bin/* | /usr/sbin/* | /usr/lib/*) alt=${f#/usr} ;;
	/bin/* | /sbin/* | /lib/*) alt=/usr$f ;;
	*) alt=$f ;;
	esac
	printf '%s\t%s\t%s\t%s %s %s\n' "$1" "$2" "$3" "$f" "$alt" "$(readlink -f "$f")" \
		>> "$T_SCRATCH/uses"
}
: > "$T_SCRATCH/uses"

# ---- (a) headers ----
# where the compiler looks, and where the pkg-config modules add
incdirs=$(echo | cc -E -Wp,-v -xc - 2>&1 | sed -n 's/^ \(\/[^ ]*\)$/\1/p')
incdirs="$incdirs $(pkg-config --cflags-only-I libxml-2.0 libnl-route-3.0 2>/dev/null | sed 's/-I//g')"
while IFS=: read -r src h; do
	f=
	case $h in freeradius/*)
		# the server headers come from the build tree (mk/fr-headers.sh,
		# from Debian's freeradius source package) or from libfreeradius-dev
		[ -e "build/include/$h" ] && { echo "# header <$h>: mk/fr-headers.sh"; continue; } ;;
	esac
	for d in $incdirs; do
		[ -e "$d/$h" ] && { f=$d/$h; break; }
	done
	if [ -z "$f" ]; then
		fail "header <$h> ($src) is not on this machine"
		continue
	fi
	use "(a) header" "<$h>" "$src" "$f"
done < <(lsf '*.c' '*.h' | xargs grep -oE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<[^>]+>' |
	sed -E 's/^([^:]*):.*<([^>]+)>$/\1:\2/' | sort -t: -k2,2 -u)

# ---- (b) pkg-config modules and -l libraries ----
mkfiles=$(lsf Makefile '*.mk')
for m in $(grep -ohE 'pkg-config( --[a-z-]+)+( [A-Za-z0-9_.+-]+)+' $mkfiles |
	sed -E 's/pkg-config( --[a-z-]+)+//' | tr ' ' '\n' | grep -v '^[0-9]*$' | sort -u); do
	pc=$(pkg-config --variable=pcfiledir "$m" 2>/dev/null)
	if [ -z "$pc" ]; then
		fail "pkg-config module $m (the build) is not on this machine"
		continue
	fi
	use "(b) pkg-config module" "$m" "the build" "$pc/$m.pc"
done
libdirs="/usr/lib/x86_64-linux-gnu /usr/lib /usr/lib/freeradius /lib/x86_64-linux-gnu"
for l in $(grep -ohE '(^|[[:space:]])-l[A-Za-z0-9_+-]+' $mkfiles | sed 's/.*-l//' | sort -u); do
	f=
	for d in $libdirs; do
		for x in so a; do
			[ -e "$d/lib$l.$x" ] && { f=$d/lib$l.$x; break 2; }
		done
	done
	if [ -z "$f" ]; then
		fail "library -l$l (the build) is not on this machine"
		continue
	fi
	use "(b) library" "-l$l" "the build" "$f"
done

# ---- (c) programs ----
# The build, the demo, the tests (their scripts and programs), the
# benchmark and the image's host side (what runs inside the image is the
# image's own package list, images/build.sh).
scripts=$(lsf Makefile '*.mk' 'mk/*.sh' 'tests/*.sh' 'tests/*.py' 'bench/*.sh' \
	images/build.sh images/test.sh)
sysbin=/usr/sbin:/usr/bin:/sbin:/bin
while read -r w where; do
	f=$(PATH=$sysbin command -v "$w" 2>/dev/null) || continue
	case $f in /*) ;; *) continue ;; esac	# a shell builtin or keyword
	why=$(printf '%s\n' "$NOT_CALLED" | sed -n "s/^$w	//p")
	if [ -n "$why" ]; then
		echo "# program $w: not counted ($why)"
		continue
	fi
	use "(c) program" "$w" "$where" "$f"
done < <(for s in $scripts; do
	# comment lines out; every word that could name a program, once per
	# script, with the first line it stands on
	sed -e 's/^[[:space:]]*#.*//' "$s" | grep -noE '[A-Za-z_][A-Za-z0-9_.+-]*' |
		awk -F: -v s="$s" '!seen[$2]++ { print $2, s ":" $1 }'
done | sort -k1,1 -u | awk -v progs=<(ls /usr/sbin /usr/bin /sbin /bin | sort -u) '
	BEGIN { while ((getline l < progs) > 0) p[l] = 1 }
	$1 in p')

# ---- (d) Python modules of the test programs ----
pyfiles=$(lsf 'tests/*.py' 'bench/*.py')
for m in $(grep -ohE '^[[:space:]]*(import|from)[[:space:]]+[A-Za-z_][A-Za-z0-9_]*' $pyfiles |
	awk '{ print $2 }' | sort -u); do
	# the tests' own modules
	lsf "tests/*/$m.py" "tests/*/$m/__init__.py" | grep -q . && continue
	f=$(/usr/bin/python3 -c "
import importlib.util, sys
s = importlib.util.find_spec(sys.argv[1])
print(s.origin if s and s.origin not in (None, 'built-in', 'frozen') else '')" "$m" 2>/dev/null)
	[ -n "$f" ] || { echo "# python module $m: built into python3"; continue; }
	use "(d) python module" "$m" "$(grep -lE "^[[:space:]]*(import|from)[[:space:]]+$m\b" $pyfiles | head -n 1)" "$f"
done

# ---- the judgement: each use against dpkg's file lists and the closure ----
awk '{ f = FILENAME; sub(/.*\//, "", f); sub(/\.list$/, "", f); sub(/:.*/, "", f)
	print $0 "\t" f }' /var/lib/dpkg/info/*.list > "$T_SCRATCH/dpkg-files"
awk -F'\t' -v closure="$T_SCRATCH/closure" -v files="$T_SCRATCH/dpkg-files" '
BEGIN {
	while ((getline l < closure) > 0) ok[l] = 1
	while ((getline l < files) > 0) { split(l, a, "\t"); if (!(a[1] in owner)) owner[a[1]] = a[2] }
}
{
	kind = $1; what = $2; where = $3; n = split($4, cand, " "); pkg = ""
	for (i = 1; i <= n && pkg == ""; i++) if (cand[i] in owner) pkg = owner[cand[i]]
	count[kind]++
	if (pkg == "") {
		printf "not ok - %s %s (%s) is %s, which no Debian package installed\n", kind, what, where, cand[1]
		bad[kind]++
	} else if (!(pkg in ok)) {
		printf "not ok - %s %s (%s) comes from %s, which mk/deps.sh neither installs nor pulls in\n", kind, what, where, pkg
		bad[kind]++
	} else
		printf "# %s %s: %s\n", kind, what, pkg
}
END {
	for (k in count) if (!bad[k]) printf "ok - %s: all %d from packages that mk/deps.sh installs or pulls in\n", k, count[k]
}' "$T_SCRATCH/uses" | sort -s -k1,1 > "$T_SCRATCH/verdicts"
cat "$T_SCRATCH/verdicts"
T_COUNT=$((T_COUNT + $(grep -c '^\(not \)\{0,1\}ok - ' "$T_SCRATCH/verdicts")))
T_FAILED=$((T_FAILED + $(grep -c '^not ok - ' "$T_SCRATCH/verdicts")))
finish
