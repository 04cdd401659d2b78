#!/bin/bash
# images/test.sh - the appliance image's boot tests (`make image-test`).
#
# Owns two boots of the built image in qemu (TCG), each opened with
# snapshot=on so the image is never changed:
#   root   root.img by direct kernel boot, with avec.test on the kernel
#          command line so that the image's test unit
#          (/usr/lib/avec/image-test) runs; a 9p share receives its result
#          lines (test-results.txt, test-logs/, test-console.log) and
#          carries the test's inputs to the VM (in/: the CAS's CA, the
#          portal's certificate, cas.env).  One network card, qemu's
#          user-mode network with restrict=on: nothing leaves the host and
#          nothing is forwarded to the VM; the guest's connections to
#          10.0.2.100:443 and 10.0.2.101:443 (the CAS host as the VM's
#          school network names it, before and after it moves) are handed
#          to socat, which connects to the host's CAS on loopback;
#   uefi   disk.img as a real machine boots it, without a network card: OVMF, systemd-boot from the
#          EFI system partition, its loader entry; passes when the kernel
#          command line on the serial console is the entry's (initrd= as
#          systemd-boot adds it, root=PARTUUID= of disk.img's root
#          partition) and avec-ready.service's line says multi-user was
#          reached (uefi-console.log).  Powered off as soon as it is seen.
# Prints every case line, then `N passed, M failed` over both boots; the
# exit status is 0 only when nothing failed.
# Must never: write to the images, or leave qemu running (stopped by its
# process id on every exit path).
#
# usage: images/test.sh BUILD_DIR
#   AVEC_IMAGE_TEST_BOOTS="root uefi"   which boots (default: both)
#   AVEC_IMAGE_TEST_TIMEOUT=900         seconds for the root.img run
#   AVEC_IMAGE_UEFI_TIMEOUT=300         seconds for disk.img to come up
#   AVEC_IMAGE_TEST_ARGS=...            more kernel arguments (root.img)
#   AVEC_IMAGE_CAS_PORT=PORT            the CAS on the host's 127.0.0.1:PORT
#   AVEC_IMAGE_TEST_IN=DIR              files for the VM (its in/ folder):
#                                       cas.env, cas-ca.pem, portal.pem/.key
#   (tests/image/t_image.sh starts the CAS and sets both; without them
#   the VM skips the cases that need the CAS)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$top/build}")
img=$build/image
boots=${AVEC_IMAGE_TEST_BOOTS:-root uefi}
deadline=${AVEC_IMAGE_TEST_TIMEOUT:-900}
uefi_deadline=${AVEC_IMAGE_UEFI_TIMEOUT:-300}
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
command -v qemu-system-x86_64 >/dev/null || { echo "image-test: qemu-system-x86_64 missing (make deps)" >&2; exit 1; }

res=$(mktemp -d /tmp/avec-image-test.XXXXXX)
chmod 0777 "$res"
out=$res/all-results.txt
: > "$out"
qpid=
stop_vm() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
		qpid=
	fi
}
cleanup() {
	stop_vm
	[ -s "$out" ] && cp "$out" "$img/test-results.txt"
	rm -rf "$res"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# case lines of the host's own checks
result() { echo "$*" >> "$out"; }
# the end of a console log, without its terminal escapes
console_tail() {
	sed -e 's/\x1b\[[0-9;?=]*[A-Za-z]//g' -e 's/\r//g' "$1" | tr -cd '\11\12\40-\176' |
		grep -v '^[[:space:]]*$' | tail -n "${2:-40}" | sed 's/^/# | /'
}

# ---- root.img: the cases with simulated radios ------------------------------
boot_root() {
	local console=$img/test-console.log f t0
	for f in root.img vmlinuz initrd.img; do
		if [ ! -r "$img/$f" ]; then
			result "not ok - root.img boot test: $img/$f missing (make image)"
			return
		fi
	done
	mkdir -p "$res/root/in"
	chmod 0777 "$res/root"
	if [ -n "${AVEC_IMAGE_TEST_IN:-}" ]; then
		cp -r "$AVEC_IMAGE_TEST_IN/." "$res/root/in/"
	fi
	# the school network's uplink: user-mode, isolated; the CAS host's
	# two addresses lead to the host's CAS through socat
	local nic=user,model=virtio-net-pci,mac=52:54:00:a5:ec:01,restrict=on a
	if [ -n "${AVEC_IMAGE_CAS_PORT:-}" ]; then
		command -v socat >/dev/null || { result "not ok - root.img boot test: socat missing (make deps)"; return; }
		for a in 10.0.2.100 10.0.2.101; do
			nic="$nic,guestfwd=tcp:$a:443-cmd:socat - TCP:127.0.0.1:$AVEC_IMAGE_CAS_PORT"
		done
	fi
	t0=$(date +%s)
	qemu-system-x86_64 -accel tcg -m 1536 -smp 2 \
		-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 panic=-1 avec.test ${AVEC_IMAGE_TEST_ARGS:-}" \
		-drive "file=$img/root.img,if=virtio,format=raw,snapshot=on" \
		-virtfs "local,path=$res/root,mount_tag=avecresult,security_model=none" \
		-nic "$nic" -display none -serial "file:$console" -no-reboot \
		>"$img/test-qemu.log" 2>&1 &
	qpid=$!
	echo "image-test: root.img: qemu started (pid $qpid), console in $console"
	while kill -0 "$qpid" 2>/dev/null; do
		if [ $(( $(date +%s) - t0 )) -gt "$deadline" ]; then
			echo "image-test: root.img: no result after $deadline s; stopping the VM" >&2
			break
		fi
		sleep 2
	done
	stop_vm
	echo "image-test: root.img: VM ran $(( $(date +%s) - t0 )) s"
	rm -rf "$img/test-logs"
	[ -d "$res/root/logs" ] && (umask 077; cp -r "$res/root/logs" "$img/test-logs")
	if [ ! -s "$res/root/results.txt" ]; then
		result "not ok - root.img boot test: no results from the VM within $deadline s (console: $console)"
		console_tail "$console" >> "$out"
		return
	fi
	# its case lines; the summary is made again below, over both boots
	grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$res/root/results.txt" >> "$out"
	if ! tail -n 1 "$res/root/results.txt" | grep -qE '^[0-9]+ passed, [0-9]+ failed$'; then
		result "not ok - root.img boot test: the VM's test stopped before its summary"
		console_tail "$console" 20 >> "$out"
	fi
}

# ---- disk.img: UEFI (OVMF), systemd-boot, multi-user ------------------------
boot_uefi() {
	local console=$img/uefi-console.log disk=$img/disk.img t0 t uuid why=
	local marker='avec-ready: AVEC appliance up, multi-user.target reached'
	if [ ! -r "$disk" ]; then
		result "not ok - uefi-boot: $disk missing (make image)"; return
	fi
	if [ ! -r "$ovmf_code" ] || [ ! -r "$ovmf_vars" ]; then
		result "not ok - uefi-boot: $ovmf_code or $ovmf_vars missing (ovmf; make deps)"; return
	fi
	uuid=$(sfdisk --part-uuid "$disk" 2 2>/dev/null | tr '[:upper:]' '[:lower:]')
	if [ -z "$uuid" ]; then
		result "not ok - uefi-boot: no partition 2 (root) in $disk"; return
	fi
	mkdir -p "$res/uefi"
	cp "$ovmf_vars" "$res/uefi/vars.fd"	# the firmware's variables, thrown away
	: > "$console"
	t0=$(date +%s)
	qemu-system-x86_64 -accel tcg -machine q35 -m 1024 -smp 2 \
		-drive "if=pflash,format=raw,readonly=on,file=$ovmf_code" \
		-drive "if=pflash,format=raw,file=$res/uefi/vars.fd" \
		-drive "file=$disk,if=virtio,format=raw,snapshot=on" \
		-nic none -display none -serial "file:$console" -no-reboot \
		>"$img/uefi-qemu.log" 2>&1 &
	qpid=$!
	echo "image-test: disk.img: qemu with OVMF started (pid $qpid), console in $console"
	while :; do
		grep -aqF "$marker" "$console" && break
		if ! kill -0 "$qpid" 2>/dev/null; then
			why="qemu stopped before the system was up"; break
		fi
		if [ $(( $(date +%s) - t0 )) -gt "$uefi_deadline" ]; then
			why="no \"$marker\" line on the serial console within $uefi_deadline s"; break
		fi
		sleep 2
	done
	t=$(( $(date +%s) - t0 ))
	stop_vm
	echo "image-test: disk.img: VM ran $t s"
	if [ -z "$why" ] && ! grep -aqF "initrd=\\initrd.img root=PARTUUID=$uuid " "$console"; then
		why="the kernel's command line is not systemd-boot's entry (initrd=\\initrd.img root=PARTUUID=$uuid)"
	fi
	if [ -n "$why" ]; then
		result "not ok - uefi-boot: disk.img under OVMF: $why (console: $console)"
		console_tail "$console" 30 >> "$out"
		return
	fi
	result "ok - uefi-boot: disk.img under OVMF: systemd-boot started the kernel with its entry (root=PARTUUID=$uuid), multi-user reached in $t s"
}

for b in $boots; do
	case $b in
	root) boot_root ;;
	uefi) boot_uefi ;;
	*) echo "image-test: unknown boot $b (root, uefi)" >&2; exit 2 ;;
	esac
done
passed=$(grep -c '^ok - ' "$out")
failed=$(grep -c '^not ok - ' "$out")
result "$passed passed, $failed failed"
cat "$out"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
