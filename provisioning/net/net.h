/*
 * net.h - the appliance's network plumbing for the roles' VLANs: one
 * bridge per role (br-<role>) and the onboarding bridge, each with the
 * uplink's VLAN interface as a port.  Every <netlink/...> include of AVEC
 * is in this folder.
 */
#ifndef AVEC_NET_H
#define AVEC_NET_H

#include <stdint.h>

#include "avec/err.h"

struct avec_net;

/* Open a route netlink socket; NULL with @err on failure.  Free with
 * avec_net_close(). */
struct avec_net *avec_net_open(struct avec_err *err);
void avec_net_close(struct avec_net *n);

/*
 * avec_net_bridge - make sure the bridge @name exists and is up.
 * Returns 1 created, 0 already there, -1 with @err (also when @name is a
 * link that is not a bridge).
 */
int avec_net_bridge(struct avec_net *n, const char *name, struct avec_err *err);

/*
 * avec_net_vlan - make sure @uplink.@vid exists (802.1Q, VLAN @vid on
 * @uplink), is up and is a port of @bridge.  Returns 1 created, 0 already
 * there, -1 with @err (a kernel without 802.1Q support is named as such).
 */
int avec_net_vlan(struct avec_net *n, const char *uplink, uint16_t vid,
		  const char *bridge, struct avec_err *err);

#endif
