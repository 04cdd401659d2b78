#!/bin/bash
# images/build.sh - the AVEC appliance image (`make image`).
#
# Owns: turning Debian 12 packages and AVEC's built files into a bootable
# appliance, without loop devices, mounts or a running system:
#   1. mmdebstrap builds the root filesystem from the host's apt sources
#      (one directory, packages kept in an apt cache under the build tree);
#      its customize hook (images/customize.sh) installs AVEC's programs,
#      FreeRADIUS templates, systemd units, users and the first-boot unit;
#   2. mkfs.ext4 -d writes root.img from that directory; vmlinuz and
#      initrd.img are copied beside it for direct kernel boot (VM tests);
#   3. disk.img, for real hardware: GPT, a FAT EFI system partition made
#      with mkfs.fat and mtools (systemd-boot, kernel, initrd), and the
#      same ext4 root, placed with dd;
#   4. manifest.txt: every package and its version (dpkg-query), so two
#      builds can be compared.
# The VM test's NTP server is Debian's chronyd, unpacked from its package
# into /usr/lib/avec/test/ rather than installed: chrony and
# systemd-timesyncd, the appliance's client, conflict as packages (both
# provide time-daemon), and the appliance never runs chronyd.
# Must never: create a secret (CA, server certificate, RADIUS secrets,
# Diffie-Hellman parameters) at build time: they would be the same on every
# appliance made from one image.  They are made at first boot.
#
# usage: images/build.sh BUILD_DIR      (run as root)
# AVEC_IMAGE_REFRESH=1 only reinstalls AVEC's files into the last root
# filesystem (no mmdebstrap), then remakes the images.  AVEC_IMAGE_REFRESH=auto
# does that when the last root filesystem was made by this same build.sh
# (its SHA-256 in image/.build-sh.sha256: the package list and mmdebstrap's
# options), else builds from scratch (the tests use it).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$top/build}")
out=$build/image
cache=$build/image-cache/apt
rootfs=$out/rootfs
ROOT_SIZE=${AVEC_IMAGE_ROOT_SIZE:-2G}
ESP_MB=128
sources=${AVEC_IMAGE_SOURCES:-/etc/apt/sources.list.d/debian.sources}

[ "$(id -u)" = 0 ] || { echo "image: needs root (mmdebstrap)" >&2; exit 1; }
for p in mmdebstrap mkfs.ext4 mkfs.fat mcopy sfdisk zstd; do
	command -v "$p" >/dev/null || { echo "image: $p missing (make deps)" >&2; exit 1; }
done
efi=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[ -r "$efi" ] || { echo "image: $efi missing (systemd-boot-efi)" >&2; exit 1; }
for f in "$build/bin/avecd" "$build/bin/avecctl" "$build/bin/avec-addrd" "$build/bin/avec-rsso" "$build/plugins/rlm_avec.so"; do
	[ -x "$f" ] || [ -r "$f" ] || { echo "image: $f not built (make all)" >&2; exit 1; }
done

t0=$(date +%s)
stamp() { echo "image: $1 ($(( $(date +%s) - t0 )) s)"; }

# What the appliance runs, and what its programs link against.
pkgs=(
	systemd-sysv udev kmod dbus linux-image-amd64 initramfs-tools
	hostapd freeradius wpasupplicant iw iproute2 wireless-regdb
	iputils-ping procps ca-certificates openssl sqlite3 jq
	libmicrohttpd12 libcurl4 libqrencode4 libyaml-0-2 libxml2
	libnl-3-200 libnl-route-3-200 libsqlite3-0 libssl3 libtalloc2
	# the networks it serves and its management side: DHCP and DNS of the
	# onboarding network and the gateway VLANs, the host firewall, the
	# management address and resolver, time, remote access, log
	# forwarding, its administrators' sudo, the portal's ACME client
	dnsmasq-base nftables systemd-resolved systemd-timesyncd
	openssh-server rsyslog sudo dehydrated curl
	# for the VM test only (/usr/lib/avec/image-test): the school's side
	# of the network (SSH client, socat as a log collector, busybox's
	# udhcpc as a station's DHCP client that shows option 114, radclient)
	# and the libraries of the test's NTP server, chronyd (below)
	openssh-client socat busybox freeradius-utils libedit2 libgnutls30
)

mkdir -p "$out" "$cache"
rm -f "$out/root.img" "$out/disk.img"
stamp_file=$out/.build-sh.sha256
this=$(sha256sum "$top/images/build.sh" | cut -d' ' -f1)
refresh=${AVEC_IMAGE_REFRESH:-0}
if [ "$refresh" = auto ]; then
	if [ -x "$rootfs/usr/sbin/avecctl" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$this" ]; then
		refresh=1
	else
		refresh=0
		echo "image: no root filesystem made by this build.sh; building one"
	fi
fi
if [ "$refresh" = 1 ] && [ -x "$rootfs/usr/sbin/avecctl" ]; then
	# only AVEC's files again, into the last root filesystem
	AVEC_TOP=$top AVEC_BUILD=$build "$top/images/customize.sh" "$rootfs"
	stamp "root filesystem refreshed"
else
rm -rf "$rootfs" "$stamp_file"
mkdir -p "$rootfs"

# The apt cache goes in before the download and comes back out after it;
# the image keeps none of it.
AVEC_TOP=$top AVEC_BUILD=$build mmdebstrap \
	--variant=minbase \
	--include="$(IFS=,; echo "${pkgs[*]}")" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--aptopt='APT::Install-Recommends "false"' \
	--skip=download/empty \
	--setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
	--setup-hook="sync-in '$cache' /var/cache/apt/archives/" \
	--customize-hook='APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-get -qq -y --download-only install chrony >/dev/null' \
	--customize-hook='d=$(mktemp -d) && dpkg-deb -x "$1"/var/cache/apt/archives/chrony_*.deb "$d" &&
		install -D -m 0755 "$d/usr/sbin/chronyd" "$1/usr/lib/avec/test/chronyd" && rm -rf "$d"' \
	--customize-hook="sync-out /var/cache/apt/archives '$cache'" \
	--customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
	--customize-hook="'$top/images/customize.sh' \"\$1\"" \
	bookworm "$rootfs" "$sources"
echo "$this" > "$stamp_file"
stamp "root filesystem"
fi

chroot "$rootfs" dpkg-query -W -f='${Package}\t${Version}\t${Architecture}\n' \
	| sort > "$out/manifest.txt"

# Kernel and initrd beside the root image, for direct kernel boot.
cp -L "$rootfs/vmlinuz" "$out/vmlinuz"
cp -L "$rootfs/initrd.img" "$out/initrd.img"

# root.img: ext4 from the directory, no mount.
mkfs.ext4 -q -F -L AVEC-ROOT -E root_owner=0:0 -d "$rootfs" "$out/root.img" "$ROOT_SIZE"
stamp "root.img"

# disk.img: GPT, ESP then root, 1 MiB aligned.
root_mb=$(( $(stat -c %s "$out/root.img") / 1048576 ))
part_uuid=$(cat /proc/sys/kernel/random/uuid)
esp=$out/esp.img
rm -f "$esp"
mkfs.fat -F 32 -n AVEC-ESP -C "$esp" $(( ESP_MB * 1024 )) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$esp" "$efi" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" "$out/vmlinuz" ::/vmlinuz
mcopy -i "$esp" "$out/initrd.img" ::/initrd.img
# kernel messages on the serial port and the screen; the screen last, so
# that it is /dev/console (systemd's status, the first-boot messages)
printf 'default avec.conf\ntimeout 2\n' > "$out/loader.conf"
printf 'title AVEC\nlinux /vmlinuz\ninitrd /initrd.img\noptions root=PARTUUID=%s ro console=ttyS0 console=tty0\n' \
	"$part_uuid" > "$out/avec.conf"
mcopy -i "$esp" "$out/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$out/avec.conf" ::/loader/entries/avec.conf
rm -f "$out/loader.conf" "$out/avec.conf"

total_mb=$(( 1 + ESP_MB + root_mb + 1 ))
truncate -s "${total_mb}M" "$out/disk.img"
sfdisk -q "$out/disk.img" <<SFDISK
label: gpt
start=1MiB, size=${ESP_MB}MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="AVEC-ESP"
start=$(( 1 + ESP_MB ))MiB, size=${root_mb}MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=$part_uuid, name="AVEC-ROOT"
SFDISK
dd if="$esp" of="$out/disk.img" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$out/root.img" of="$out/disk.img" bs=1M seek=$(( 1 + ESP_MB )) conv=notrunc,sparse status=none
rm -f "$esp"
stamp "disk.img"

echo "image: done in $(( $(date +%s) - t0 )) s; $(wc -l < "$out/manifest.txt") packages"
for f in root.img disk.img vmlinuz initrd.img; do
	printf 'image:   %-11s %6s apparent, %6s on disk\n' "$f" \
		"$(du -h --apparent-size "$out/$f" | cut -f1)" "$(du -h "$out/$f" | cut -f1)"
done
printf 'image:   rootfs      %6s\n' "$(du -sh "$rootfs" | cut -f1)"
