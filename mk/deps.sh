#!/bin/sh
# Install what AVEC's build, tests and demo need from Debian (idempotent).
#
# Quiet when everything is already there: it asks dpkg first and only runs
# apt-get for what is missing.  Then it fetches the FreeRADIUS server headers
# (mk/fr-headers.sh) into the build tree.
#
#   mk/deps.sh [BUILD]   install what is missing, fetch the headers
#   mk/deps.sh --list    print the package list, one a line, and exit
#
# The list is the one place that names AVEC's Debian packages: every header,
# pkg-config module, library and program that the build, the demo and the
# tests use must come from one of them or from what they depend on, which
# tests/deps/t_deps.sh checks with dpkg.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}

pkgs="build-essential pkg-config clang libclang-rt-14-dev check libsubunit-dev
libsqlite3-dev sqlite3 libssl-dev openssl libcurl4-openssl-dev libmicrohttpd-dev libtalloc-dev libpcre3-dev libxml2-dev libyaml-dev
freeradius freeradius-utils libfreeradius-dev dpkg-dev
python3 binutils xxd
hostapd wpasupplicant eapoltest iproute2 procps jq dnsmasq-base nftables busybox linux-perf valgrind gdb systemd
libqrencode-dev libxml2-utils libnl-3-dev libnl-route-3-dev
slapd ldap-utils python3-django-cas-server python3-ldap3 gunicorn curl socat
dehydrated pebble
chromium chromium-driver
mmdebstrap qemu-system-x86 ovmf mtools dosfstools fdisk systemd-boot-efi e2fsprogs zstd"

if [ "${1:-}" = --list ]; then
	# shellcheck disable=SC2086
	printf '%s\n' $pkgs
	exit 0
fi

missing=
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] || { echo "deps: missing:$missing (run as root)" >&2; exit 1; }
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -qq update
	# shellcheck disable=SC2086
	apt-get -qq install -y --no-install-recommends $missing >/dev/null
	# The packaged services must not hold the RADIUS ports or run with
	# Debian's sample configuration: AVEC starts its own, by process id.
	for s in freeradius hostapd slapd; do
		if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
			systemctl disable --now "$s" >/dev/null 2>&1 || true
		fi
	done
fi
"$here/fr-headers.sh" "$build/include"
