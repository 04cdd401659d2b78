# shellcheck shell=bash
# tests/lib/receiver.sh - a second FreeRADIUS playing a firewall's RADIUS
# single sign-on receiver: accounting only, on 127.0.0.1, one client
# (127.0.0.1) with the secret given, and every accounting copy it accepts
# written by linelog as one line:
#   STATUS ADDRESS USER-NAME FILTER-ID CALLING-STATION-ID ACCT-SESSION-ID
#   NAS-IDENTIFIER TERMINATE-CAUSE CLASS
# (ADDRESS is Framed-IP-Address or Framed-IPv6-Address).  A request with
# another secret fails its Request Authenticator: FreeRADIUS drops it,
# answers nothing and logs nothing of it in that file.
#
# Sourced after common.sh.  receiver_start DIR PORT SECRET_FILE starts it
# through spawn (PID_receiver) and waits for its port; its copies are in
# DIR/copies.log, its own log in DIR/log/radius.log.

# receiver_start DIR PORT SECRET_FILE
receiver_start() {
	local d=$1 port=$2 secret n=50
	secret=$(head -n 1 "$3")
	mkdir -p "$d/log" "$d/run"
	(umask 077; cat > "$d/radiusd.conf") <<EOF2
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
logdir = $d/log
raddbdir = $d
radacctdir = \${logdir}/radacct
name = freeradius
confdir = \${raddbdir}
run_dir = $d/run
pidfile = \${run_dir}/\${name}.pid
libdir = /usr/lib/freeradius
max_request_time = 30
cleanup_delay = 5
max_requests = 1024
hostname_lookups = no
log {
	destination = files
	colourise = no
	file = \${logdir}/radius.log
}
security {
	allow_core_dumps = no
	max_attributes = 200
	status_server = no
}
thread pool {
	start_servers = 2
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 2
	max_requests_per_server = 0
}
modules {
	always ok {
		rcode = ok
	}
	linelog copies {
		filename = $d/copies.log
		permissions = 0600
		format = "%{Acct-Status-Type} %{%{Framed-IP-Address}:-%{Framed-IPv6-Address}} %{User-Name} %{Filter-Id} %{Calling-Station-Id} %{Acct-Session-Id} %{NAS-Identifier} %{%{Acct-Terminate-Cause}:--} %{string:Class}"
	}
}
instantiate {
}
policy {
}
client firewall {
	ipaddr = 127.0.0.1
	secret = $secret
	nas_type = other
	shortname = avec
}
server receiver {
	listen {
		type = acct
		ipaddr = 127.0.0.1
		port = $port
	}
	preacct {
		ok
	}
	accounting {
		copies
		ok
	}
}
EOF2
	spawn receiver freeradius -f -d "$d"
	until ss -Hlnu "sport = :$port" | grep -q .; do
		n=$((n - 1))
		# shellcheck disable=SC2154 # set by spawn
		if ! kill -0 "$PID_receiver" 2>/dev/null || [ $n -le 0 ]; then
			tail -n 10 "$T_SCRATCH/receiver.log" "$d/log/radius.log" 2>/dev/null | sed 's/^/# /'
			return 1
		fi
		sleep 0.1
	done
}
