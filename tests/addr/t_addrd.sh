#!/bin/bash
# shellcheck disable=SC2317,SC2154 # small functions called through check and wait_for; PID_*: set by spawn
# tests/addr/t_addrd.sh - avec-addrd on a real bridge with a real DHCP
# server and real DHCP clients, in network namespaces (root only).
#
#   ap    the bridge br-addr (10.77.0.1/24, 2001:db8:77::1/64), dnsmasq
#         serving one address (10.77.0.50, lease 2 min) on it, and
#         avec-addrd watching it as VLAN 20, run as "nobody";
#   sta1  station A (02:a5:ec:00:77:0a), a TTLS device of a pupil whose
#         RADIUS session is open (a fixture row, as an Accounting-Start
#         leaves it: tests/radius covers that path);
#   sta2  station B (02:a5:ec:00:77:0b), nobody's.
#
#   (a) A gets 10.77.0.50 by DHCP (busybox udhcpc): "log query --ip --at"
#       names A's binding, the pupil and the device, within 3 s of the ACK;
#   (b) A renews: the same binding, its expiry moved;
#   (c) A releases: the binding ends ("release"), nothing holds it after;
#   (d) B gets the same address: it maps to B from then, still to A before;
#   (e) B takes an IPv6 address (SLAAC-style, the kernel's DAD): bound by
#       neighbour discovery;
#   (f) 5,000 hostile frames from A (a forged server, a RELEASE of B's
#       lease, cut frames, bad options, overload loops, lying lengths,
#       garbage, bad advertisements): the listener lives, B's binding is
#       untouched, no row is added, and its counters say what it refused;
#       then B renews and that is still recorded;
#   (g) the listener gave up root: its uid is nobody's, no capability left.
#
#   Beside it, the RADIUS single sign-on copy: avec-rsso reads the store
#   and tells a second FreeRADIUS (tests/lib/receiver.sh, on loopback,
#   playing the firewall's receiver) who holds each address:
#   (a) A's lease reaches the receiver's log within a second, with the
#       address, the pupil and the role; (c) the release gives a Stop;
#   (d) B, nobody's, is never announced; (e) A's IPv6 address is
#   (Framed-IPv6-Address); (h) a second avec-rsso with a secret that is
#   not the receiver's gets nothing accepted and logs that, never a
#   secret; (g) avec-rsso gave up root too.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/lib/receiver.sh
. "$(dirname "$0")/../lib/receiver.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, packet sockets)"
need ip dnsmasq busybox python3 jq sqlite3 freeradius ss
ADDRD=${ADDRD:-$AVEC_BUILD/bin/avec-addrd}
RSSO=${RSSO:-$AVEC_BUILD/bin/avec-rsso}
[ -x "$ADDRD" ] || skip "no $ADDRD (make)"
[ -x "$RSSO" ] || skip "no $RSSO (make)"

NS=avec-addr-$$
NS1=avec-sta1-$$
NS2=avec-sta2-$$
MAC_A=02:a5:ec:00:77:0a
MAC_B=02:a5:ec:00:77:0b
ADDR=10.77.0.50
V6B=2001:db8:77::b
export AVEC_DB=$T_SCRATCH/db/avec.db
mkdir -p "$T_SCRATCH/db"

# iso T : Unix seconds as ISO 8601 UTC
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
# q ADDR T : the query's JSON, compacted
q() { "$AVECCTL" log query --ip "$1" --at "$(iso "$2")" --json | jq -c .; }
# rows : the bindings in the store
rows() { sqlite3 "$AVEC_DB" "SELECT count(*) FROM addr_bindings"; }

# ---- the store, a pupil's device and its open session ----
if ! "$AVECCTL" -q init ||
	! "$AVECCTL" -q account add eleve.addr@lycee-test --role student; then
	fail "store"; finish
fi
dev=$("$AVECCTL" device add eleve.addr@lycee-test --name phone --type ttls --json | jq -r .id)
now=$(date +%s)
sqlite3 "$AVEC_DB" "INSERT INTO sessions (nas_address, acct_session_id, account_id,
	device_id, principal, mac, started_at, updated_at) SELECT '192.0.2.10', 'S-ADDR',
	d.account_id, d.id, a.principal, '$MAC_A', $((now - 5)), $((now - 5))
	FROM devices d JOIN accounts a ON a.id = d.account_id WHERE d.id = $dev" ||
	{ fail "session fixture"; finish; }
# the listener runs as nobody, who owns the store (as avec does on the appliance)
chmod o+x "$T_SCRATCH"
chown -R nobody: "$T_SCRATCH/db"

# ---- the namespaces: a bridge and two stations ----
if ! netns_add "$NS" || ! netns_add "$NS1" || ! netns_add "$NS2"; then
	fail "namespaces"; finish
fi
ip -n "$NS" link add br-addr type bridge
ip -n "$NS" addr add 10.77.0.1/24 dev br-addr
ip -n "$NS" addr add 2001:db8:77::1/64 dev br-addr nodad
ip -n "$NS" link set br-addr up
for i in 1 2; do
	ns=NS$i mac=MAC_A
	[ $i = 2 ] && mac=MAC_B
	ip link add "sta$i" netns "${!ns}" type veth peer name "port$i" netns "$NS"
	ip -n "${!ns}" link set "sta$i" address "${!mac}"
	ip -n "$NS" link set "port$i" master br-addr
	ip -n "$NS" link set "port$i" up
	ip -n "${!ns}" link set "sta$i" up
done

spawn dnsmasq ip netns exec "$NS" dnsmasq -d -C /dev/null -u root -i br-addr \
	--bind-interfaces -p 0 -F "$ADDR,$ADDR,255.255.255.0,2m" \
	-l "$T_SCRATCH/leases" --dhcp-authoritative --log-dhcp --log-facility=-
spawn addrd ip netns exec "$NS" "$ADDRD" -d "$AVEC_DB" -u nobody -i br-addr=20 -f 100
wait_for 5 grep -q "watching br-addr" "$T_SCRATCH/addrd.log" ||
	{ fail "avec-addrd starts: $(tail -n 5 "$T_SCRATCH/addrd.log")"; finish; }
ok "avec-addrd watches br-addr"

# ---- the firewall's receiver, and avec-rsso telling it (one with a
# secret that is not the receiver's) ----
V6A=2001:db8:77::a
RX=$T_SCRATCH/receiver
mkdir -p "$RX"
(umask 077
	head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 > "$T_SCRATCH/rsso.secret"
	head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24 > "$T_SCRATCH/wrong.secret")
RX_PORT=$(free_port udp)
receiver_start "$RX" "$RX_PORT" "$T_SCRATCH/rsso.secret" ||
	{ fail "the receiver starts"; finish; }
spawn rsso "$RSSO" -d "$AVEC_DB" -u nobody -r 127.0.0.1 -P "$RX_PORT" \
	-s "$T_SCRATCH/rsso.secret" -R student,teacher -p 100
spawn rsso_wrong "$RSSO" -d "$AVEC_DB" -u nobody -r 127.0.0.1 -P "$RX_PORT" \
	-s "$T_SCRATCH/wrong.secret" -n avec-wrong -p 100
check "avec-rsso sends copies to the receiver" \
	wait_for 5 grep -q "copies to 127.0.0.1 port $RX_PORT" "$T_SCRATCH/rsso.log"
# copy STATUS ADDRESS : the receiver's line for it, from the right sender
copy() { grep -E "^$1 $2 .* avec " "$RX/copies.log" 2>/dev/null | tail -n 1; }

# udhcpc's script: the address on the interface, so that renewals go unicast
cat >"$T_SCRATCH/udhcpc.sh" <<'EOF'
#!/bin/sh
case $1 in
bound|renew) ip addr flush dev "$interface" scope global
	ip addr add "$ip/${mask:-24}" dev "$interface" ;;
deconfig) ip addr flush dev "$interface" scope global ;;
esac
echo "$1 ${ip:-}" >> "$(dirname "$0")/udhcpc-$interface.events"
EOF
chmod +x "$T_SCRATCH/udhcpc.sh"
# dhcp N : station N's DHCP client, in the foreground (released on SIGUSR2)
dhcp() {
	local ns=NS$1
	spawn "udhcpc$1" ip netns exec "${!ns}" busybox udhcpc -f -i "sta$1" \
		-s "$T_SCRATCH/udhcpc.sh" -t 10 -T 1
}
bound() { grep -q "^bound $ADDR" "$T_SCRATCH/udhcpc-sta$1.events" 2>/dev/null; }

# ---- (a) A gets the address ----
dhcp 1
if wait_for 15 bound 1; then
	t_ack=$(date +%s.%N)
	ok "(a) station A bound $ADDR by DHCP"
else
	fail "(a) station A got no lease: $(tail -n 5 "$T_SCRATCH/dnsmasq.log")"; finish
fi
found_a() { [ "$(q "$ADDR" "$(date +%s)" | jq -r '[.[] | select(.source == "dhcp")][0].mac')" = "$MAC_A" ]; }
got_start() { [ -n "$(copy Start "$ADDR")" ]; }
wait_for 3 got_start
t_rx=$(date +%s.%N)
wait_for 3 found_a
t_found=$(date +%s.%N)
check "(a) the query names A's binding within 3 s of the ACK" found_a
echo "# (a) found $(awk "BEGIN { printf \"%.2f\", $t_found - $t_ack }") s after the lease"
t_a=$(date +%s)
r=$(q "$ADDR" "$t_a")
echo "# (a) log query --ip $ADDR --at $(iso "$t_a"): $r"
check "(a) ... the pupil, the device, on br-addr VLAN 20" \
	[ "$(jq -r '.[0] | "\(.principal) \(.device_id) \(.device_name) \(.bridge) \(.vlan) \(.source)"' <<<"$r")" = \
	"eleve.addr@lycee-test $dev phone br-addr 20 dhcp" ]
check "(a) ... exactly one binding" [ "$(jq length <<<"$r")" = 1 ]
"$AVECCTL" log query --ip "$ADDR" --at "$(iso "$t_a")" | sed 's/^/# /'
echo "# (a) the receiver: $(copy Start "$ADDR")"
echo "# (a) ... logged $(awk "BEGIN { printf \"%.2f\", $t_rx - $t_ack }") s after the lease"
check "(a) the receiver logged a Start for $ADDR within a second" \
	awk "BEGIN { exit !($t_rx - $t_ack <= 1.0) }"
check "(a) ... naming the pupil, the role (Filter-Id, Class) and the MAC" \
	[ "$(copy Start "$ADDR" | awk '{ print $3, $4, $5, $9 }')" = \
	"eleve.addr@lycee-test student 02-A5-EC-00-77-0A student" ]

# ---- (b) A renews ----
exp1=$(jq -r '.[0].expires_at' <<<"$r")
sleep 1.2
kill -USR1 "$PID_udhcpc1"
renewed() { [ "$(q "$ADDR" "$(date +%s)" | jq -r '.[0].expires_at')" -gt "$exp1" ]; }
check "(b) a renewal extends the binding" wait_for 5 renewed
check "(b) ... still one row" [ "$(rows)" = 1 ]

# ---- (c) A releases ----
kill -USR2 "$PID_udhcpc1"
released() { [ "$(sqlite3 "$AVEC_DB" "SELECT end_cause FROM addr_bindings WHERE mac = '$MAC_A'")" = release ]; }
check "(c) a release ends the binding" wait_for 5 released
t_rel=$(sqlite3 "$AVEC_DB" "SELECT ended_at FROM addr_bindings WHERE mac = '$MAC_A'")
stop_pid "$PID_udhcpc1"
out=$("$AVECCTL" log query --ip "$ADDR" --at "$(iso "$t_rel")" 2>&1)
echo "# (c) at the release: $out"
check "(c) ... nothing holds $ADDR from then" \
	grep -q "no binding and no session held $ADDR" <<<"$out"
got_stop() { [ -n "$(copy Stop "$ADDR")" ]; }
check "(c) the receiver logged a Stop (User-Request) for $ADDR" wait_for 3 got_stop
echo "# (c) the receiver: $(copy Stop "$ADDR")"
check "(c) ... with the Start's session" \
	[ "$(copy Stop "$ADDR" | awk '{ print $6, $8 }')" = "$(copy Start "$ADDR" | awk '{ print $6 }') User-Request" ]

# ---- (d) the same address to B ----
sleep 1
dhcp 2
check "(d) station B bound $ADDR" wait_for 15 bound 2
found_b() { [ "$(q "$ADDR" "$(date +%s)" | jq -r '.[0].mac')" = "$MAC_B" ]; }
check "(d) the query now names B" wait_for 3 found_b
r=$(q "$ADDR" "$(date +%s)")
echo "# (d) now: $r"
check "(d) ... nobody's device: no principal" [ "$(jq -r '.[0].principal' <<<"$r")" = "" ]
check "(d) ... and A's binding still answers for A's time" \
	[ "$(q "$ADDR" "$t_a" | jq -r '.[0].mac')" = "$MAC_A" ]

# ---- (e) IPv6 by neighbour discovery ----
ip -n "$NS2" addr add "$V6B/64" dev sta2
found_v6() { [ "$(q "$V6B" "$(date +%s)" | jq -r '.[0] | "\(.mac) \(.source)"')" = "$MAC_B nd" ]; }
check "(e) B's IPv6 address, from its DAD, is bound to B" wait_for 5 found_v6
ip -n "$NS1" addr add "$V6A/64" dev sta1
got_v6() { [ -n "$(copy Start "$V6A")" ]; }
check "(e) A's IPv6 address reaches the receiver (Framed-IPv6-Address)" wait_for 5 got_v6
echo "# (e) the receiver: $(copy Start "$V6A")"
check "(d, e) B, nobody's, was never announced" \
	bash -c "! grep -q 02-A5-EC-00-77-0B '$RX/copies.log'"

# ---- (f) a flood of hostile frames ----
before=$(sqlite3 "$AVEC_DB" "SELECT id, address, mac, ended_at, end_cause FROM addr_bindings ORDER BY id")
t0=$(date +%s.%N)
sent=$(ip netns exec "$NS1" python3 "$(dirname "$0")/flood.py" sta1 "$MAC_A" "$MAC_B" 5000)
echo "# (f) $sent hostile frames in $(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $t0 }") s"
sleep 1
check "(f) the listener is still running" kill -0 "$PID_addrd"
after=$(sqlite3 "$AVEC_DB" "SELECT id, address, mac, ended_at, end_cause FROM addr_bindings ORDER BY id")
check "(f) the bindings are as they were (none added, B's not ended)" [ "$before" = "$after" ]
check "(f) nothing names 10.77.0.99 (a station's forged ACK)" \
	[ "$(q 10.77.0.99 "$(date +%s)" | jq length)" = 0 ]
kill -USR1 "$PID_addrd"
wait_for 3 grep -q "frames [0-9]" "$T_SCRATCH/addrd.log"
counts=$(grep "frames [0-9]" "$T_SCRATCH/addrd.log" | tail -n 1)
echo "# (f) the listener's counters: ${counts#*: }"
n() { sed -n "s/.*[ ,]$1 \([0-9]*\).*/\1/p" <<<"$counts"; }
# (a bridge with br_netfilter drops IPv4 frames whose lengths lie before
# they reach the listener: the truncated count depends on the host)
refused() {
	[ "$(n untrusted)" -ge 500 ] && [ "$(n spoofed)" -ge 1000 ] &&
		[ "$(n malformed)" -ge 1000 ]
}
check "(f) ... untrusted, spoofed and malformed frames counted" refused
check "(f) ... and logged without an address or a MAC" \
	bash -c "! grep -qE '10\\.77\\.|2001:db8|02:a5:ec' '$T_SCRATCH/addrd.log'"
seen1=$(sqlite3 "$AVEC_DB" "SELECT seen_at FROM addr_bindings WHERE mac = '$MAC_B' AND family = 4")
sleep 1.2
kill -USR1 "$PID_udhcpc2"
renewed_b() { [ "$(sqlite3 "$AVEC_DB" "SELECT seen_at FROM addr_bindings WHERE mac = '$MAC_B' AND family = 4")" -gt "$seen1" ]; }
check "(f) after the flood, B's renewal is still recorded" wait_for 5 renewed_b

# ---- (g) privileges ----
# "ip netns exec" execs the program: the pid spawn recorded is the listener's
pid=$PID_addrd
check "(g) the listener runs as nobody" [ "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" = "$(id -u nobody)" ]
check "(g) ... with no capability" \
	[ "$(awk '/^CapEff:/ { print $2 } /^CapPrm:/ { print $2 }' "/proc/$pid/status" | sort -u)" = 0000000000000000 ]

stop_pid "$PID_addrd"
check "(g) it stops on SIGTERM, its last counts logged" grep -q "stopped" "$T_SCRATCH/addrd.log"
pid=$PID_rsso
check "(g) avec-rsso runs as nobody, with no capability" \
	[ "$(awk '/^Uid:/ { print $2 } /^CapEff:/ { print $2 } /^CapPrm:/ { print $2 }' "/proc/$pid/status" | sort -u | tr '\n' ' ')" = \
	"0000000000000000 $(id -u nobody) " ]

# ---- (h) a secret that is not the receiver's ----
unanswered() { grep -q "no valid answer to the Start of binding" "$T_SCRATCH/rsso_wrong.log"; }
check "(h) with the wrong secret: no answer, logged" wait_for 10 unanswered
echo "# (h) $(grep -m 1 "no valid answer" "$T_SCRATCH/rsso_wrong.log")"
check "(h) ... the receiver accepted none of its copies" \
	bash -c "! grep -q ' avec-wrong ' '$RX/copies.log'"
kill -USR1 "$PID_rsso"
wait_for 3 grep -q "copies queued" "$T_SCRATCH/rsso.log"
echo "# avec-rsso: $(grep "copies queued" "$T_SCRATCH/rsso.log" | tail -n 1 | sed 's/.*: copies/copies/')"
check "(h) ... and neither avec-rsso logged a secret" \
	bash -c "! grep -qF -e '$(cat "$T_SCRATCH/rsso.secret")' -e '$(cat "$T_SCRATCH/wrong.secret")' '$T_SCRATCH/rsso.log' '$T_SCRATCH/rsso_wrong.log'"
stop_pid "$PID_rsso"
check "(h) avec-rsso stops on SIGTERM" grep -q "stopped" "$T_SCRATCH/rsso.log"
finish
