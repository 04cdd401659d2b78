#!/bin/bash
# tests/provision/t_network.sh - the onboarding network and the management
# side as `avecctl provision` renders them from the committed school
# profile (appliance/school.yaml) and from a variant with a gateway VLAN
# and a static management address: dnsmasq itself (`dnsmasq --test -C`)
# and nftables itself (`nft -c -f`, in a throw-away network namespace)
# accept what was rendered, and provision says it checked them; the key
# lines are there (option 114, the walled garden's nftset, RADIUS from the
# declared access points only, the masquerade, networkd, sshd, journald,
# rsyslog); a broken walled-garden name is refused with its line, and a
# ruleset that nft refuses is never switched in (its file and the
# checker's line named); --dry-run shows the ruleset and the dnsmasq file;
# no secret reaches these files or avecctl's output.
#
# Then the files at work, in network namespaces this test makes and
# removes: an appliance namespace loads the rendered firewall.nft and runs
# dnsmasq from the rendered dnsmasq.conf (only its paths changed), with a
# stand-in portal on port 80; an "upstream" namespace plays the school's
# router, its DNS and two web hosts (one in the walled garden, one not);
# two client namespaces on two ports of br-onboarding (wlan0_ob, wlan1_ob)
# play phones with busybox's udhcpc.  A client gets an address and option
# 114; a DNS answer for a garden name lands in the nft set garden4, and
# follows DNS when the name moves; the garden host answers, plain HTTP to
# another host is redirected to the portal, HTTPS to it fails; one client
# cannot reach the other.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/radius.sh
. "$(dirname "$0")/../lib/radius.sh"
radius_need
need ip dnsmasq nft busybox xxd
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, nft -c)"

ROOT=$T_SCRATCH/root
PROFILE=$T_SCRATCH/school.yaml
OUT=$T_SCRATCH/stdout
ERRF=$T_SCRATCH/stderr
ALL=$T_SCRATCH/avecctl-all.out
SECRETS=$T_SCRATCH/secrets.list
DB=$ROOT/var/lib/avec/avec.db
CA=$ROOT/var/lib/avec/ca
D=etc/avec/dnsmasq.conf
F=etc/avec/firewall.nft
mkdir -p "$ROOT/etc/avec/secrets" "$ROOT/var/lib/avec"
: > "$SECRETS"
cp "$AVEC_TOP/appliance/school.yaml" "$PROFILE"
for n in ap-cdi wlc-batiment-b; do
	head -c 30 /dev/urandom | base64 | tr -d '\n/+=' | head -c 32 > "$ROOT/etc/avec/secrets/$n"
	chmod 600 "$ROOT/etc/avec/secrets/$n"
	cat "$ROOT/etc/avec/secrets/$n" >> "$SECRETS"; echo >> "$SECRETS"
done

# prov ARGS... : avecctl provision on the scratch root and profile
prov() {
	"$AVECCTL" -d "$DB" --ca-dir "$CA" provision "$PROFILE" "$@" --root "$ROOT" \
		--module-dir "$(dirname "$RLM_AVEC_SO")" \
		--templates "$AVEC_TOP/plugins/raddb" \
		--units "$AVEC_TOP/appliance/systemd" >"$OUT" 2>"$ERRF"
	RC=$?
	cat "$OUT" "$ERRF" >> "$ALL"
}
# snapshot : every file under the root's etc/, with content hash and mtime
snapshot() {
	(cd "$ROOT" && find etc -type f -printf '%p %T@ %m\n' | sort &&
		find etc -type f -print0 | sort -z | xargs -0 sha256sum)
}
# has FILE LINE : FILE (under the root) holds LINE, whole
has() { grep -qxF -- "$2" "$ROOT/$1"; }
NSC=avecnetc$$
netns_add "$NSC" || { fail "create a network namespace"; finish; }
# checkers : dnsmasq and nft themselves accept the rendered files
checkers() {
	ip netns exec "$NSC" dnsmasq --test -C "$ROOT/$D" >"$T_SCRATCH/dq.log" 2>&1 &&
		ip netns exec "$NSC" nft -c -f "$ROOT/$F" >"$T_SCRATCH/nft.log" 2>&1 ||
		{ sed 's/^/# /' "$T_SCRATCH/dq.log" "$T_SCRATCH/nft.log"; return 1; }
}

"$AVECCTL" -d "$DB" --ca-dir "$CA" init >/dev/null 2>>"$ALL" ||
	{ fail "avecctl init"; finish; }

# ---- the committed profile -------------------------------------------------
prov
check "school.yaml: provision succeeds" [ "$RC" = 0 ]
[ "$RC" = 0 ] || sed 's/^/# /' "$ERRF"
check "school.yaml: provision checked both files with their own programs" \
	grep -qx "checked $D with \`dnsmasq --test\`, $F with \`nft -c\`" "$OUT"
for f in $D $F etc/sysctl.d/60-avec.conf etc/systemd/network/30-avec-br-onboarding.network \
	etc/systemd/network/20-avec-mgmt.network etc/systemd/timesyncd.conf.d/avec.conf \
	etc/ssh/sshd_config.d/avec.conf etc/avec/ssh/avecadm.keys \
	etc/systemd/journald.conf.d/avec.conf etc/rsyslog.d/60-avec-forward.conf \
	etc/systemd/system/avec-firewall.service etc/systemd/system/avec-dnsmasq.service; do
	check "school.yaml: rendered $f" grep -qx "created $f" "$OUT"
done
check "school.yaml: dnsmasq --test -C and nft -c -f (in a namespace) accept the files" checkers
check "dnsmasq: option 114, the portal's API URL" \
	has $D 'dhcp-option=tag:onb,114,"https://wifi.lycee-voltaire.fr/api/captive"'
check "dnsmasq: the onboarding range, 10 min leases" \
	has $D 'dhcp-range=set:onb,172.31.0.2,172.31.3.254,255.255.252.0,10m'
check "dnsmasq: the CAS host and the listed name fill the garden sets" \
	sh -c "grep -qxF 'nftset=/ent.netocentre.fr/4#inet#avec#garden4,6#inet#avec#garden6' '$ROOT/$D' &&
		grep -qxF 'nftset=/static.netocentre.fr/4#inet#avec#garden4,6#inet#avec#garden6' '$ROOT/$D'"
check "dnsmasq: no query logging" sh -c "! grep -q '^log-queries' '$ROOT/$D'"
check "nft: RADIUS only from the declared external addresses" \
	sh -c "grep -qxF '		elements = { 10.45.8.21/32, 10.45.9.0/24 }' '$ROOT/$F' &&
		grep -qxF '		ip saddr @radius4 udp dport { 1812, 1813 } accept' '$ROOT/$F'"
check "nft: the onboarding network masqueraded out of the management interface" \
	has $F '		oifname "eth0" ip saddr { 172.31.0.0/22 } masquerade'
check "nft: SSH from management.networks only" \
	sh -c "grep -qxF '		elements = { 10.45.0.0/16 }' '$ROOT/$F' &&
		grep -qxF '		ip saddr @admin4 tcp dport 22 accept' '$ROOT/$F'"
check "nft: plain HTTP outside the garden redirected to the portal" \
	has $F '		iifname "br-onboarding" tcp dport 80 ip daddr != @garden4 fib daddr type != local redirect to :80'
check "sysctl: forwarding on" has etc/sysctl.d/60-avec.conf net.ipv4.ip_forward=1
check "networkd: the management interface by DHCP, time from the profile only" \
	sh -c "grep -qx 'DHCP=ipv4' '$ROOT/etc/systemd/network/20-avec-mgmt.network' &&
		grep -qx 'UseNTP=no' '$ROOT/etc/systemd/network/20-avec-mgmt.network'"
check "timesyncd: the profile's servers, no fallback" \
	sh -c "grep -qx 'NTP=ntp1.ac-orleans-tours.fr ntp2.ac-orleans-tours.fr' '$ROOT/etc/systemd/timesyncd.conf.d/avec.conf' &&
		grep -qx 'FallbackNTP=' '$ROOT/etc/systemd/timesyncd.conf.d/avec.conf'"
check "rsyslog: no log_server, nothing forwarded" \
	sh -c "! grep -q omfwd '$ROOT/etc/rsyslog.d/60-avec-forward.conf'"
cp "$ROOT/$D" "$T_SCRATCH/dnsmasq.plain"
cp "$ROOT/$F" "$T_SCRATCH/firewall.plain"
prov
check "school.yaml: a second run changes none of these files" \
	[ "$RC" = 0 -a "$(grep -cE '^(created|updated) ' "$OUT")" = 0 ]

# ---- a gateway VLAN and a static management side ---------------------------
KEY="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMarUehiZgas1HLrIUNJWvAZLBATOpEhOiVzs6XdPJey admin@region"
python3 - "$PROFILE" "$KEY" <<'EOF'
import sys
p, key = sys.argv[1], sys.argv[2]
s = open(p).read()
s = s.replace("    teacher: 30\n", "    teacher:\n      vlan: 30\n      gateway: 10.30.0.1/22\n      lease: 8h\n")
a = s.index("management:")
b = s.index("\nradios:", a)
s = s[:a] + f"""management:
  interface: eth1
  ipv4: 192.0.2.10/24
  gateway4: 192.0.2.1
  ipv6: off
  dns: [192.0.2.53]
  ntp: [192.0.2.123]
  networks: [192.0.2.0/24, "2001:db8::/64"]
  ssh_keys: ["{key}"]
  admin_port: 8443
  log_server: tcp://logs.region.fr:6514
""" + s[b:]
open(p, "w").write(s)
EOF
prov
check "variant: provision succeeds" [ "$RC" = 0 ]
[ "$RC" = 0 ] || sed 's/^/# /' "$ERRF"
check "variant: dnsmasq --test -C and nft -c -f (in a namespace) accept the files" checkers
check "variant: dnsmasq serves br-teacher, its range and router" \
	sh -c "grep -qx 'interface=br-teacher' '$ROOT/$D' &&
		grep -qx 'dhcp-range=set:teacher,10.30.0.2,10.30.3.254,255.255.252.0,8h' '$ROOT/$D' &&
		grep -qx 'dhcp-option=tag:teacher,option:router,10.30.0.1' '$ROOT/$D'"
check "variant: br-teacher's address (networkd)" \
	grep -qx 'Address=10.30.0.1/22' "$ROOT/etc/systemd/network/30-avec-br-teacher.network"
check "variant: both subnets masqueraded out of eth1, br-teacher forwarded there" \
	sh -c "grep -qxF '		oifname \"eth1\" ip saddr { 172.31.0.0/22, 10.30.0.0/22 } masquerade' '$ROOT/$F' &&
		grep -qxF '		iifname { \"br-teacher\" } oifname \"eth1\" accept' '$ROOT/$F'"
check "variant: SSH and the admin door from management.networks, IPv4 and IPv6" \
	sh -c "grep -qxF '		ip saddr @admin4 tcp dport { 22, 8443 } accept' '$ROOT/$F' &&
		grep -qxF '		elements = { 2001:db8::/64 }' '$ROOT/$F'"
M=$ROOT/etc/systemd/network/20-avec-mgmt.network
check "variant: a static management address, its router and DNS" \
	sh -c "grep -qx 'Name=eth1' '$M' && grep -qx 'DHCP=no' '$M' && grep -qx 'Address=192.0.2.10/24' '$M' &&
		grep -qx 'Gateway=192.0.2.1' '$M' && grep -qx 'DNS=192.0.2.53' '$M' && grep -qx 'LinkLocalAddressing=no' '$M'"
check "variant: the administrators' key, sshd by key only" \
	sh -c "grep -qxF '$KEY' '$ROOT/etc/avec/ssh/avecadm.keys' &&
		grep -qx 'AuthenticationMethods publickey' '$ROOT/etc/ssh/sshd_config.d/avec.conf'"
check "variant: the journal forwarded over TCP" \
	grep -qF 'target="logs.region.fr" port="6514" protocol="tcp"' "$ROOT/etc/rsyslog.d/60-avec-forward.conf"
check "variant: avecd's admin door on 8443" grep -qx '  listen: "0.0.0.0:8443"' "$ROOT/etc/avec/avecd.yaml"

# ---- refusals: nothing switched --------------------------------------------
snapshot > "$T_SCRATCH/snap1"
cp "$PROFILE" "$T_SCRATCH/good.yaml"
sed -i 's/^      - static.netocentre.fr .*/&\n      - ex ample.fr/' "$PROFILE"
line=$(grep -n 'ex ample.fr' "$PROFILE" | cut -d: -f1)
prov
check "a broken walled-garden name: refused (exit 1)" [ "$RC" = 1 ]
check "a broken walled-garden name: the error names line $line" \
	grep -q "school.yaml:$line:[0-9]*: network.onboarding.walled_garden\[1\]: \"ex ample.fr\" is not a DNS name" "$ERRF"
cp "$T_SCRATCH/good.yaml" "$PROFILE"
sed -i 's/^    address: 172.31.0.1\/22 /    address: 192.0.2.1\/24 /' "$PROFILE"
line=$(grep -n '^  networks: ' "$PROFILE" | cut -d: -f1)
prov
check "an onboarding network overlapping management.networks: refused at line $line" \
	grep -q "school.yaml:$line:[0-9]*: management.networks\[0\]: overlaps network.onboarding.address (192.0.2.0/24)" "$ERRF"
cp "$T_SCRATCH/good.yaml" "$PROFILE"
sed -i 's/^  networks: .*/  networks: [192.0.2.0\/24]/; s/^  admin_port: 8443/  admin_port: 8444/' "$PROFILE"
mkdir -p "$T_SCRATCH/fakebin"
printf '#!/bin/sh\necho "$3:42:9-20: Error: nft refused this on purpose" >&2\nexit 1\n' > "$T_SCRATCH/fakebin/nft"
chmod 755 "$T_SCRATCH/fakebin/nft"
PATH=$T_SCRATCH/fakebin:$PATH prov
check "a ruleset nft refuses: exit 4" [ "$RC" = 4 ]
check "a ruleset nft refuses: the file and nft's line are named" \
	sh -c "grep -q '$F was refused by \`nft -c -f\`' '$ERRF' && grep -q 'firewall.nft:42:9-20: Error: nft refused this on purpose' '$ERRF'"
snapshot > "$T_SCRATCH/snap2"
check "the refusals switched nothing" cmp -s "$T_SCRATCH/snap1" "$T_SCRATCH/snap2"
check "no staging copy left behind" [ ! -e "$ROOT/var/lib/avec/provision.new" ]
prov --dry-run
check "dry run: shows the ruleset and the dnsmasq file, changes nothing" \
	sh -c "[ $RC = 0 ] && grep -qx -- '---- $F ----' '$OUT' && grep -qx 'table inet avec' '$OUT' &&
		grep -qx -- '---- $D ----' '$OUT' && grep -qx 'interface=br-onboarding' '$OUT' &&
		grep -qx 'would update $F' '$OUT'"
snapshot > "$T_SCRATCH/snap3"
check "dry run: nothing switched" cmp -s "$T_SCRATCH/snap1" "$T_SCRATCH/snap3"

# ---- no secret in these files or in avecctl's output ------------------------
cat "$ROOT/etc/avec/secrets/radios" >> "$SECRETS"; echo >> "$SECRETS"
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	grep -qF -- "$s" "$ALL" && leaks=$((leaks + 1))
	(cd "$ROOT" && grep -rlF -- "$s" $D $F etc/systemd etc/ssh etc/sysctl.d etc/rsyslog.d \
		etc/avec/ssh etc/avec/avecd.yaml) && leaks=$((leaks + 1))
done < "$SECRETS"
check "no shared secret in avecctl's output or in the network and management files" [ "$leaks" = 0 ]

# ---- the files at work, in namespaces ---------------------------------------
AP=avecnetap$$ UP=avecnetup$$ C1=avecnetc1$$ C2=avecnetc2$$
N=$T_SCRATCH/net
mkdir -p "$N/portal" "$N/garden" "$N/outside"
chmod 711 "$T_SCRATCH"	# dnsmasq reads its resolv-file as user dnsmasq
chmod 755 "$N"
echo portal > "$N/portal/index.html"
echo garden > "$N/garden/index.html"
echo outside > "$N/outside/index.html"
echo "nameserver 198.51.100.1" > "$N/resolv.conf"
sed -e "s|^resolv-file=.*|resolv-file=$N/resolv.conf|" \
	-e "s|^dhcp-leasefile=.*|dhcp-leasefile=$N/leases|" "$T_SCRATCH/dnsmasq.plain" > "$N/dnsmasq.conf"
# udhcpc's script: the lease's variables into FILE, the address on the link
for c in 1 2; do
	printf '#!/bin/sh\n[ "$1" = bound ] || exit 0\nenv > %s\nip addr add "$ip/$mask" dev "$interface"\nip route add default via "$router"\n' \
		"$N/lease$c" > "$N/udhcpc$c.sh"
	chmod 755 "$N/udhcpc$c.sh"
done
# upstream DNS NAME-ADDRESS : the school's DNS in the upstream namespace
upstream_dns() {
	spawn updns ip netns exec "$UP" dnsmasq -k --conf-file=/dev/null --no-resolv --no-hosts \
		--listen-address=198.51.100.1 --bind-interfaces --pid-file= \
		"--address=/ent.netocentre.fr/$1" --address=/example.org/198.51.100.20
	wait_for 5 sh -c "ip netns exec '$UP' ss -Hlnu 'sport = :53' | grep -q 198.51.100.1"
}
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
# fetch NS URL : the page, fetched from NS (busybox wget's -T crashes it:
# timeout instead)
fetch() { ip netns exec "$1" timeout 5 busybox wget -q -O- "$2" 2>/dev/null; }

if netns_add "$AP" && netns_add "$UP" && netns_add "$C1" && netns_add "$C2"; then
	# the management side: eth0 to the school's router (upstream)
	ip -n "$AP" link add eth0 type veth peer name up0 netns "$UP"
	ip -n "$AP" addr add 198.51.100.2/24 dev eth0
	ip -n "$AP" link set eth0 up
	ip -n "$AP" route add default via 198.51.100.1
	ip -n "$UP" addr add 198.51.100.1/24 dev up0
	ip -n "$UP" addr add 198.51.100.10/32 dev up0
	ip -n "$UP" addr add 198.51.100.11/32 dev up0
	ip -n "$UP" addr add 198.51.100.20/32 dev up0
	ip -n "$UP" link set up0 up
	# the onboarding bridge and two "BSSes", one phone on each
	ip -n "$AP" link add br-onboarding type bridge
	ip -n "$AP" addr add 172.31.0.1/22 dev br-onboarding
	ip -n "$AP" link set br-onboarding up
	for c in 1 2; do
		ns=$C1; [ $c = 2 ] && ns=$C2
		ip -n "$AP" link add "wlan$((c - 1))_ob" type veth peer name cl0 netns "$ns"
		ip -n "$AP" link set "wlan$((c - 1))_ob" master br-onboarding up
		ip -n "$ns" link set cl0 up
	done
	in_ns "$AP" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$AP" nft -f "$T_SCRATCH/firewall.plain" > "$T_SCRATCH/nftload.log" 2>&1
	check "namespace: the rendered firewall.nft loads" [ $? = 0 ]
	spawn portal ip netns exec "$AP" busybox httpd -f -p 0.0.0.0:80 -h "$N/portal"
	spawn garden ip netns exec "$UP" busybox httpd -f -p 198.51.100.10:80 -h "$N/garden"
	spawn garden2 ip netns exec "$UP" busybox httpd -f -p 198.51.100.11:80 -h "$N/garden"
	spawn out80 ip netns exec "$UP" busybox httpd -f -p 198.51.100.20:80 -h "$N/outside"
	spawn out443 ip netns exec "$UP" busybox httpd -f -p 198.51.100.20:443 -h "$N/outside"
	upstream_dns 198.51.100.10 || fail "the upstream DNS starts"
	spawn dnsmasq ip netns exec "$AP" dnsmasq -k -C "$N/dnsmasq.conf"
	wait_for 5 sh -c "ip netns exec '$AP' ss -Hlnu 'sport = :67' | grep -q ."
	check "namespace: dnsmasq runs from the rendered dnsmasq.conf" kill -0 "$PID_dnsmasq"

	in_ns "$C1" busybox udhcpc -i cl0 -f -q -n -t 5 -T 1 -O 114 -s "$N/udhcpc1.sh" \
		> "$T_SCRATCH/udhcpc1.log" 2>&1
	check "client 1: a lease on the onboarding network" grep -qx 'ip=172\.31\.[0-3]\.[0-9]*' "$N/lease1"
	check "client 1: the appliance is its router and DNS" \
		sh -c "grep -qx 'router=172.31.0.1' '$N/lease1' && grep -qx 'dns=172.31.0.1' '$N/lease1'"
	o114=$(sed -n 's/^opt114=//p' "$N/lease1" | xxd -r -p 2>/dev/null)
	[ -n "$o114" ] || o114=$(grep -o 'https://[^ ]*/api/captive' "$N/lease1" | head -n 1)
	echo "# client 1: option 114 = ${o114:-none}"
	check "client 1: option 114 carries the portal's API URL" \
		[ "$o114" = "https://wifi.lycee-voltaire.fr/api/captive" ]
	IP1=$(sed -n 's/^ip=//p' "$N/lease1")
	in_ns "$C2" busybox udhcpc -i cl0 -f -q -n -t 5 -T 1 -s "$N/udhcpc2.sh" > "$T_SCRATCH/udhcpc2.log" 2>&1
	check "client 2: a lease too" grep -q '^ip=172\.31\.' "$N/lease2"

	in_ns "$C1" busybox nslookup ent.netocentre.fr 172.31.0.1 > "$T_SCRATCH/ns1.log" 2>&1
	check "client 1: the garden name resolves through the appliance" grep -q '198.51.100.10' "$T_SCRATCH/ns1.log"
	garden_has() { in_ns "$AP" nft list set inet avec garden4 | grep -q "$1"; }
	check "the DNS answer landed in the nft set garden4" garden_has 198.51.100.10
	in_ns "$C1" busybox nslookup example.org 172.31.0.1 > /dev/null 2>&1
	check "a name outside the garden does not" sh -c "! ip netns exec '$AP' nft list set inet avec garden4 | grep -q 198.51.100.20"
	check "client 1: the garden host answers (HTTP)" \
		[ "$(fetch "$C1" http://198.51.100.10/)" = garden ]
	check "client 1: plain HTTP to another host gets the portal" \
		[ "$(fetch "$C1" http://198.51.100.20/)" = portal ]
	check "client 1: port 443 of that host is closed to it" \
		sh -c "! ip netns exec '$C1' busybox nc -w 3 198.51.100.20 443 </dev/null"
	check "client 2 reaches the appliance" in_ns "$C2" busybox ping -c 1 -W 2 172.31.0.1
	check "client 2 cannot reach client 1 ($IP1)" \
		sh -c "! ip netns exec '$C2' busybox ping -c 2 -W 2 '$IP1' >/dev/null 2>&1"
	# the CAS moves: the next answer carries its new address into the set
	stop_pid "$PID_updns"
	upstream_dns 198.51.100.11 || fail "the upstream DNS starts again"
	sleep 1
	in_ns "$C1" busybox nslookup ent.netocentre.fr 172.31.0.1 > "$T_SCRATCH/ns2.log" 2>&1
	check "the garden follows DNS: the moved host's address is in garden4" garden_has 198.51.100.11
	check "... and answers" \
		[ "$(fetch "$C1" http://198.51.100.11/)" = garden ]
	check "dnsmasq logged no query" sh -c "! grep -q 'query\[' '$T_SCRATCH/dnsmasq.log'"
else
	fail "create the network namespaces"
fi

finish
