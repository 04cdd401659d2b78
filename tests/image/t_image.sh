#!/bin/bash
# tests/image/t_image.sh - the appliance image boots, its radios work,
# a station onboards over Wi-Fi and the management side answers
# (~8-10 min under qemu TCG on 2 cores).
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
#
# The onboarding journey needs an ENT: the real CAS of the host tests
# (tests/lib/cas.sh, slapd + django-cas-server) runs on the host's
# loopback, named cas.avec.test for the VM and accepting the test
# portal's host name as a service.  The VM reaches it through qemu's
# isolated user-mode network (images/test.sh: guestfwd to socat, which
# connects to its port); it gets the CAS's CA and a portal certificate
# for wifi.avec.test from the same CA through the 9p share.
# timeout: 1800 s
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/cas.sh
. "$(dirname "$0")/../lib/cas.sh"

[ "$(id -u)" = 0 ] || skip "the image is built as root"
need qemu-system-x86_64 mkfs.ext4 mkfs.fat mcopy sfdisk socat
cas_need
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

# the CAS for the VM's onboarding journey
CAS_NAMES=cas.avec.test CAS_SERVICE_HOSTS=wifi.avec.test
if ! cas_start; then
	echo "not ok - the CAS server for the VM starts on the host"
	exit 1
fi
vmin=$T_SCRATCH/vm-in
mkdir -p "$vmin"
cp "$CAS_CA_FILE" "$vmin/cas-ca.pem"
if ! cas_issue wifi.avec.test "$vmin/portal"; then
	echo "not ok - a portal certificate for wifi.avec.test from the test CA"
	exit 1
fi
printf '%s\n' CAS_NAME=cas.avec.test CAS_ADDR=10.0.2.100 CAS_ADDR_MOVED=10.0.2.101 \
	PORTAL_HOST=wifi.avec.test > "$vmin/cas.env"
port=${CAS_URL##*:}
AVEC_IMAGE_CAS_PORT=${port%%/*} AVEC_IMAGE_TEST_IN=$vmin bash "$AVEC_TOP/images/test.sh" "$AVEC_BUILD"
rc=$?
cas_stop
exit $rc
