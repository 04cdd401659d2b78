#!/bin/bash
# tests/image/t_image.sh - the appliance image boots and its radios work
# (`make image-test`, ~5-7 min under qemu TCG on 2 cores).
#
# Part of `make check`: a missing or outdated image (made by another
# images/build.sh) is built first (`make image`, ~4 min on 2 cores from
# an empty package cache, fetched from Debian's archive); an up-to-date
# one only gets AVEC's freshly built files (seconds).  AVEC_IMAGE_BUILD=0
# never builds: it skips without an image.  Then images/test.sh boots
# root.img and runs the cases of /usr/lib/avec/image-test, and boots
# disk.img through OVMF and systemd-boot; its "ok - ..." / "not ok - ..."
# lines are this script's, a failing boot followed by the end of its
# console.  Skips without root or qemu.
# timeout: 1800 s
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

[ "$(id -u)" = 0 ] || skip "the image is built as root"
need qemu-system-x86_64 mkfs.ext4 mkfs.fat mcopy sfdisk
refresh=1
if [ "${AVEC_IMAGE_BUILD:-1}" = 1 ]; then
	need mmdebstrap zstd
	refresh=auto
elif [ ! -x "$AVEC_BUILD/image/rootfs/usr/sbin/avecctl" ]; then
	skip "no image root filesystem in $AVEC_BUILD/image and AVEC_IMAGE_BUILD=0 (make image)"
fi

if ! AVEC_IMAGE_REFRESH=$refresh bash "$AVEC_TOP/images/build.sh" "$AVEC_BUILD" \
	>"$T_SCRATCH/build.log" 2>&1; then
	echo "not ok - image brought up to date (AVEC_IMAGE_REFRESH=$refresh images/build.sh); end of its log:"
	tail -n 30 "$T_SCRATCH/build.log" | sed 's/^/# | /'
	exit 1
fi
bash "$AVEC_TOP/images/test.sh" "$AVEC_BUILD"
