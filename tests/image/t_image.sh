#!/bin/bash
# tests/image/t_image.sh - the appliance image boots and its radios work
# (`make image-test`, ~3 min under qemu TCG).
#
# Needs an image already built (`make image`, ~2-4 min, not part of
# `make check`): AVEC's freshly built files are reinstalled into its root
# filesystem first (AVEC_IMAGE_REFRESH, a few seconds), then the VM runs
# the cases of /usr/lib/avec/image-test (images/README.md); its
# "ok - ..." lines are this script's.  Skips without root, qemu, or an
# image.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

[ "$(id -u)" = 0 ] || skip "the image is built as root"
need qemu-system-x86_64 mkfs.ext4 mkfs.fat mcopy sfdisk
[ -x "$AVEC_BUILD/image/rootfs/usr/sbin/avecctl" ] ||
	skip "no image root filesystem in $AVEC_BUILD/image (make image)"

AVEC_IMAGE_REFRESH=1 bash "$AVEC_TOP/images/build.sh" "$AVEC_BUILD" \
	>"$T_SCRATCH/build.log" 2>&1 ||
	{ echo "not ok - image refreshed with the built files"; tail -n 20 "$T_SCRATCH/build.log"; exit 1; }
bash "$AVEC_TOP/images/test.sh" "$AVEC_BUILD"
