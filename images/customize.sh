#!/bin/bash
# images/customize.sh ROOTFS - mmdebstrap's customize hook for the AVEC
# appliance image (called by images/build.sh, on the build host).
#
# Owns: putting AVEC's built files into the Debian root filesystem ROOTFS
# and setting the system up to run them: avecd, avecctl, avec-addrd and
# avec-rsso in /usr/sbin,
# rlm_avec.so where FreeRADIUS loads modules, the FreeRADIUS templates and
# the systemd units under /usr/share/avec (what `avecctl provision` reads),
# the units installed and enabled, the avec and avec-portal users, the
# first-boot, certificate-copy, ready and test units (images/rootfs/),
# host name, fstab; the management side: the avecadm user (sudo, keys
# only), no SSH host key (made at first boot), rsyslog without local files,
# networkd, resolved, timesyncd, sshd, and the firewall and dnsmasq units
# enabled.
# Must never: create a secret.  It removes the ones Debian's packages made
# while installing (snakeoil key, FreeRADIUS's sample certificates and
# Diffie-Hellman file), which would be shared by every appliance.
set -euo pipefail
r=$1
top=${AVEC_TOP:?}
build=${AVEC_BUILD:?}

install -D -m 0755 "$build/bin/avecd" "$r/usr/sbin/avecd"
install -D -m 0755 "$build/bin/avecctl" "$r/usr/sbin/avecctl"
install -D -m 0755 "$build/bin/avec-addrd" "$r/usr/sbin/avec-addrd"
install -D -m 0755 "$build/bin/avec-rsso" "$r/usr/sbin/avec-rsso"
install -D -m 0644 "$build/plugins/rlm_avec.so" "$r/usr/lib/freeradius/rlm_avec.so"

rm -rf "$r/usr/share/avec"
mkdir -p "$r/usr/share/avec"
cp -r "$top/plugins/raddb" "$r/usr/share/avec/raddb"
cp -r "$top/appliance/systemd" "$r/usr/share/avec/systemd"
install -m 0644 "$top/appliance/school.yaml" "$top/appliance/policy.yaml" \
	"$top/appliance/avecd.yaml" "$r/usr/share/avec/"
install -m 0644 "$top"/appliance/systemd/* "$r/usr/lib/systemd/system/"
cp -r "$top/images/rootfs/." "$r/"
chmod 0755 "$r"/usr/lib/avec/*

# The appliance's users: avec holds the store and the CA; the portal drops
# to avec-portal; FreeRADIUS (freerad) reads the store and writes the
# connection log through it, so it is in avec's group.
chroot "$r" sh -eu <<'SH'
getent group avec >/dev/null || addgroup --system --quiet avec
getent passwd avec >/dev/null || adduser --system --quiet --ingroup avec \
	--home /var/lib/avec --no-create-home --shell /usr/sbin/nologin avec
getent group avec-portal >/dev/null || addgroup --system --quiet avec-portal
getent passwd avec-portal >/dev/null || adduser --system --quiet --ingroup avec-portal \
	--home /nonexistent --no-create-home --shell /usr/sbin/nologin avec-portal
adduser --quiet freerad avec
install -d -o avec -g avec -m 2770 /var/lib/avec	# setgid: see firstboot
install -d -m 0755 /etc/avec
install -d -m 0700 /etc/avec/secrets
install -d -m 0750 /etc/avec/avecd.yaml.d	# avecd's local settings

# The region's administrators: keys only (rendered by `avecctl provision`
# in /etc/avec/ssh/avecadm.keys), no password, sudo without one
getent passwd avecadm >/dev/null || adduser --quiet --disabled-password \
	--gecos "AVEC administrator" --shell /bin/bash avecadm
usermod -a -G sudo avecadm
passwd -q -l avecadm
printf 'avecadm ALL=(ALL:ALL) NOPASSWD: ALL\n' > /etc/sudoers.d/avecadm
chmod 0440 /etc/sudoers.d/avecadm
visudo -c -q -f /etc/sudoers.d/avecadm

# Debian's own services stay off: AVEC runs its own units
systemctl disable freeradius.service hostapd.service >/dev/null 2>&1 || true
systemctl mask wpa_supplicant.service >/dev/null 2>&1
systemctl enable avec-firstboot.service avec-freeradius.service avecd.service \
	avec-radius-certs.path avec-ready.service avec-image-test.service \
	avec-acme.timer >/dev/null 2>&1
# the management side: networkd and resolved (addresses and DNS from the
# profile), timesyncd, sshd, rsyslog (forwarding only)
systemctl enable systemd-networkd.service systemd-resolved.service \
	systemd-timesyncd.service ssh.service rsyslog.service >/dev/null 2>&1
# the onboarding network's DHCP/DNS and the host firewall: they start
# once provisioning has rendered their files (drop-ins under
# /etc/systemd/system, ConditionPathExists)
# and the connection log's address listener, once the store exists
for u in avec-firewall.service avec-dnsmasq.service avec-addrd.service; do
	if [ -e "/usr/lib/systemd/system/$u" ]; then
		systemctl enable "$u" >/dev/null 2>&1
	fi
done
SH

# SSH host keys: made at first boot (ssh-keygen -A), never shared
rm -f "$r"/etc/ssh/ssh_host_*

# rsyslog only forwards (etc/rsyslog.d/60-avec-forward.conf, rendered from
# the profile's log_server): the journal, rotated and size-capped, is the
# appliance's local log, so no file of rsyslog's own
cat > "$r/etc/rsyslog.conf" <<'RSYSLOG'
# /etc/rsyslog.conf - AVEC appliance: rsyslog keeps no local file.  The
# journal (journald, rotated and size-capped) is the local log; rsyslog
# only forwards it to the region's collector when the school profile
# names one (management.log_server -> /etc/rsyslog.d/60-avec-forward.conf).
module(load="imuxsock")
$IncludeConfig /etc/rsyslog.d/*.conf
# rsyslog refuses to run without any action: without a collector, this
# one throws everything away
*.* action(type="omfile" file="/dev/null")
RSYSLOG
rm -f "$r/etc/logrotate.d/rsyslog"

# Secrets Debian made at install time: the same in every image.
rm -f "$r/etc/ssl/private/ssl-cert-snakeoil.key" "$r/etc/ssl/certs/ssl-cert-snakeoil.pem"
rm -f "$r"/etc/freeradius/3.0/certs/dh "$r"/etc/freeradius/3.0/certs/*.key \
	"$r"/etc/freeradius/3.0/certs/*.pem "$r"/etc/freeradius/3.0/certs/*.crt \
	"$r"/etc/freeradius/3.0/certs/*.csr 2>/dev/null || true

echo avec > "$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tavec\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$r/etc/hosts"
printf 'LABEL=AVEC-ROOT\t/\text4\tdefaults,errors=remount-ro\t0\t1\n' > "$r/etc/fstab"
# a fresh machine id at first boot
: > "$r/etc/machine-id"
rm -f "$r/var/lib/dbus/machine-id"
