/*
 * net.c - bridges and VLAN interfaces through libnl's route netlink.
 *
 * This file owns the only netlink code of AVEC: it makes the per-role
 * bridges (br-<role>) and the uplink's 802.1Q interfaces that join them,
 * and is idempotent: what already exists, as wanted, is left alone.  It
 * must never delete or reconfigure a link it did not name, never take an
 * address, and never crash on a kernel that lacks a feature: a missing
 * 802.1Q or bridge driver is reported in a sentence saying so.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/vlan.h>

#include "net/net.h"

struct avec_net {
	struct nl_sock *sk;
};

struct avec_net *
avec_net_open(struct avec_err *err)
{
	struct avec_net *n = calloc(1, sizeof(*n));
	int rc;

	if (n == NULL) {
		avec_err_set(err, "out of memory");
		return NULL;
	}
	if ((n->sk = nl_socket_alloc()) == NULL) {
		free(n);
		avec_err_set(err, "out of memory");
		return NULL;
	}
	if ((rc = nl_connect(n->sk, NETLINK_ROUTE)) < 0) {
		avec_err_set(err, "cannot open a netlink socket: %s",
			     nl_geterror(rc));
		nl_socket_free(n->sk);
		free(n);
		return NULL;
	}
	return n;
}

void
avec_net_close(struct avec_net *n)
{
	if (n == NULL)
		return;
	nl_socket_free(n->sk);
	free(n);
}

/* The link called @name, or NULL (*rc: 0 absent, < 0 error). */
static struct rtnl_link *
link_get(struct avec_net *n, const char *name, int *rc)
{
	struct rtnl_link *l = NULL;

	*rc = rtnl_link_get_kernel(n->sk, 0, name, &l);
	if (*rc == -NLE_OBJ_NOTFOUND || *rc == -NLE_NODEV)
		*rc = 0;
	return l;
}

static int
link_up(struct avec_net *n, struct rtnl_link *l, const char *name,
	struct avec_err *err)
{
	struct rtnl_link *chg;
	int rc;

	if (rtnl_link_get_flags(l) & IFF_UP)
		return 0;
	if ((chg = rtnl_link_alloc()) == NULL)
		return avec_err_set(err, "out of memory");
	rtnl_link_set_flags(chg, IFF_UP);
	rc = rtnl_link_change(n->sk, l, chg, 0);
	rtnl_link_put(chg);
	if (rc < 0)
		return avec_err_set(err, "cannot bring %s up: %s", name,
				    nl_geterror(rc));
	return 0;
}

int
avec_net_bridge(struct avec_net *n, const char *name, struct avec_err *err)
{
	struct rtnl_link *l;
	int rc, created = 0;

	l = link_get(n, name, &rc);
	if (rc < 0)
		return avec_err_set(err, "cannot look up %s: %s", name,
				    nl_geterror(rc));
	if (l != NULL && !rtnl_link_is_bridge(l)) {
		rtnl_link_put(l);
		return avec_err_set(err, "%s exists and is not a bridge", name);
	}
	if (l == NULL) {
		struct rtnl_link *b = rtnl_link_bridge_alloc();

		if (b == NULL)
			return avec_err_set(err, "out of memory");
		rtnl_link_set_name(b, name);
		rc = rtnl_link_add(n->sk, b, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(b);
		if (rc < 0)
			return avec_err_set(err, "cannot create the bridge "
					    "%s: %s%s", name, nl_geterror(rc),
					    rc == -NLE_OPNOTSUPP ||
					    rc == -NLE_NOATTR ?
					    " (no bridge support in this "
					    "kernel?)" : "");
		created = 1;
		l = link_get(n, name, &rc);
		if (l == NULL)
			return avec_err_set(err, "the bridge %s vanished", name);
	}
	rc = link_up(n, l, name, err);
	rtnl_link_put(l);
	return rc < 0 ? -1 : created;
}

int
avec_net_vlan(struct avec_net *n, const char *uplink, uint16_t vid,
	      const char *bridge, struct avec_err *err)
{
	struct rtnl_link *up, *l, *br;
	char name[32];
	int rc, created = 0;

	if (strlen(uplink) > 10)
		return avec_err_set(err, "the uplink name %s is too long for "
				    "its VLAN interfaces (at most 10)", uplink);
	snprintf(name, sizeof(name), "%s.%u", uplink, (unsigned)vid);
	up = link_get(n, uplink, &rc);
	if (up == NULL)
		return avec_err_set(err, "no uplink interface %s%s%s", uplink,
				    rc < 0 ? ": " : "",
				    rc < 0 ? nl_geterror(rc) : "");
	l = link_get(n, name, &rc);
	if (l != NULL && (!rtnl_link_is_vlan(l) ||
			  rtnl_link_vlan_get_id(l) != vid ||
			  rtnl_link_get_link(l) != rtnl_link_get_ifindex(up))) {
		rtnl_link_put(l);
		rtnl_link_put(up);
		return avec_err_set(err, "%s exists and is not VLAN %u of %s",
				    name, (unsigned)vid, uplink);
	}
	if (l == NULL) {
		struct rtnl_link *v = rtnl_link_vlan_alloc();

		if (v == NULL) {
			rtnl_link_put(up);
			return avec_err_set(err, "out of memory");
		}
		rtnl_link_set_name(v, name);
		rtnl_link_set_link(v, rtnl_link_get_ifindex(up));
		rtnl_link_vlan_set_id(v, vid);
		rc = rtnl_link_add(n->sk, v, NLM_F_CREATE | NLM_F_EXCL);
		rtnl_link_put(v);
		if (rc < 0) {
			rtnl_link_put(up);
			return avec_err_set(err, "cannot create %s (VLAN %u on "
					    "%s): %s%s", name, (unsigned)vid,
					    uplink, nl_geterror(rc),
					    rc == -NLE_OPNOTSUPP ||
					    rc == -NLE_NOATTR ||
					    rc == -NLE_OBJ_NOTFOUND ?
					    "; this kernel has no 802.1Q "
					    "support (modprobe 8021q)" : "");
		}
		created = 1;
		l = link_get(n, name, &rc);
		if (l == NULL) {
			rtnl_link_put(up);
			return avec_err_set(err, "%s vanished", name);
		}
	}
	rtnl_link_put(up);
	br = link_get(n, bridge, &rc);
	if (br == NULL) {
		rtnl_link_put(l);
		return avec_err_set(err, "no bridge %s", bridge);
	}
	if (rtnl_link_get_master(l) != rtnl_link_get_ifindex(br)) {
		rc = rtnl_link_enslave(n->sk, br, l);
		if (rc < 0) {
			rtnl_link_put(l);
			rtnl_link_put(br);
			return avec_err_set(err, "cannot add %s to %s: %s", name,
					    bridge, nl_geterror(rc));
		}
	}
	rtnl_link_put(br);
	rc = link_up(n, l, name, err);
	rtnl_link_put(l);
	return rc < 0 ? -1 : created;
}
