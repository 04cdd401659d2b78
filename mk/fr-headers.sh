#!/bin/sh
# Fetch the FreeRADIUS server headers that libfreeradius-dev leaves out.
#
# rlm_avec is built against the installed FreeRADIUS, so its headers must
# come from Debian's own source package of exactly that version.  They are
# unpacked into the build tree (never committed): DEST/freeradius/*.h with
# the upstream "freeradius-devel/" include prefix rewritten to "freeradius/".
# A stamp naming the version makes a second run a no-op.
set -eu
dest=${1:?usage: fr-headers.sh DEST}
mkdir -p "$dest"; dest=$(cd "$dest" && pwd)
ver=$(dpkg-query -W -f='${Version}' freeradius 2>/dev/null) || {
	echo "fr-headers: freeradius is not installed (run make deps)" >&2; exit 1; }
stamp="$dest/.freeradius-$ver"
[ -f "$stamp" ] && exit 0

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
# A private apt configuration with a deb-src line, leaving the system's alone.
mkdir -p "$work/apt/lists/partial" "$work/apt/sources.list.d" "$work/src"
# Every source the system uses, in either format, turned into deb-src.
n=0
for src in /etc/apt/sources.list.d/*.sources; do
	[ -f "$src" ] || continue
	n=$((n + 1))
	sed 's/^Types: deb$/Types: deb-src/' "$src" > "$work/apt/sources.list.d/src$n.sources"
done
for src in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[ -f "$src" ] || continue
	n=$((n + 1))
	sed -n 's/^deb /deb-src /p' "$src" > "$work/apt/sources.list.d/src$n.list"
done
[ "$n" -gt 0 ] || { echo "fr-headers: no apt sources in /etc/apt" >&2; exit 1; }
: > "$work/apt/sources.list"
aptopt="-o Dir::Etc::SourceList=$work/apt/sources.list -o Dir::Etc::SourceParts=$work/apt/sources.list.d -o Dir::State::Lists=$work/apt/lists -o Debug::NoLocking=1 -o APT::Sandbox::User=root"
# shellcheck disable=SC2086
apt-get -qq $aptopt update >/dev/null
cd "$work/src"
# shellcheck disable=SC2086
apt-get -qq $aptopt source --download-only "freeradius=$ver" >/dev/null
dpkg-source -x --skip-patches ./*.dsc tree >/dev/null 2>&1 || dpkg-source -x ./*.dsc tree >/dev/null
mkdir -p "$dest/freeradius"
for h in tree/src/include/*.h; do
	sed 's|freeradius-devel/|freeradius/|g' "$h" > "$dest/freeradius/$(basename "$h")"
done
# Prefer the installed, configured headers where Debian ships them.
for h in /usr/include/freeradius/*.h; do
	cp "$h" "$dest/freeradius/"
done
rm -f "$dest"/.freeradius-*
touch "$stamp"
echo "fr-headers: FreeRADIUS $ver headers in $dest/freeradius"
