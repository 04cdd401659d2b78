#!/bin/bash
# images/test.sh - the appliance image's boot test (`make image-test`).
#
# Owns: booting build/image/root.img in qemu (TCG, direct kernel boot, the
# image opened with snapshot=on so it is never changed, no network card),
# with avec.test on the kernel command line so that the image's test unit
# (/usr/lib/avec/image-test) runs; a 9p share receives its result lines.
# The exit status is the test's: 0 only when the summary says 0 failed.
# Must never: write to the image, or leave qemu running (stopped by its
# process id on every exit path).
#
# usage: images/test.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$top/build}")
img=$build/image
deadline=${AVEC_IMAGE_TEST_TIMEOUT:-900}
for f in root.img vmlinuz initrd.img; do
	[ -r "$img/$f" ] || { echo "image-test: $img/$f missing (make image)" >&2; exit 1; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "image-test: qemu-system-x86_64 missing (make deps)" >&2; exit 1; }

res=$(mktemp -d /tmp/avec-image-test.XXXXXX)
chmod 0777 "$res"
console=$img/test-console.log
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	[ -s "$res/results.txt" ] && cp "$res/results.txt" "$img/test-results.txt"
	rm -rf "$img/test-logs"
	[ -d "$res/logs" ] && (umask 077; cp -r "$res/logs" "$img/test-logs")
	rm -rf "$res"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$(date +%s)
qemu-system-x86_64 -accel tcg -m 1536 -smp 2 \
	-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
	-append "root=/dev/vda rw console=ttyS0 panic=-1 avec.test ${AVEC_IMAGE_TEST_ARGS:-}" \
	-drive "file=$img/root.img,if=virtio,format=raw,snapshot=on" \
	-virtfs "local,path=$res,mount_tag=avecresult,security_model=none" \
	-nic none -display none -serial "file:$console" -no-reboot \
	>"$img/test-qemu.log" 2>&1 &
qpid=$!
echo "image-test: qemu started (pid $qpid), console in $console"
while kill -0 "$qpid" 2>/dev/null; do
	if [ $(( $(date +%s) - t0 )) -gt "$deadline" ]; then
		echo "image-test: no result after $deadline s; stopping the VM" >&2
		break
	fi
	sleep 2
done
kill "$qpid" 2>/dev/null; wait "$qpid" 2>/dev/null; qpid=
echo "image-test: VM ran $(( $(date +%s) - t0 )) s"
if [ ! -s "$res/results.txt" ]; then
	echo "image-test: no results from the VM; end of the console:" >&2
	tail -n 40 "$console" >&2
	exit 1
fi
cat "$res/results.txt"
summary=$(tail -n 1 "$res/results.txt")
case $summary in
*" passed, 0 failed") exit 0 ;;
*) exit 1 ;;
esac
