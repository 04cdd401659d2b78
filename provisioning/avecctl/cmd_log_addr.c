/*
 * cmd_log_addr.c - the address bindings (avec-addrd's, lib/avec/addr.h)
 * as "avecctl log query --ip --at" and "account export" show them.
 *
 * A requisition names an address and an instant; the binding that covered
 * it says which MAC held the address on which bridge (VLAN), from when to
 * when, how it was learnt (dhcp, dhcpv6, nd), how it ended, and who: the
 * device and person of that MAC's RADIUS session, kept after an erasure.
 * This file owns how a binding looks, in a table and in JSON (each object
 * says "source", as the sessions listed beside it say "radius").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "avec/addr.h"
#include "avecctl.h"
#include "common/json.h"

void
ctl_json_binding(struct avec_json *j, const struct avec_binding_rec *b)
{
	char t[32];

	avec_json_obj_begin(j, NULL);
	avec_json_str(j, "source", b->source);
	avec_json_int(j, "id", b->id);
	avec_json_str(j, "address", b->address);
	avec_json_int(j, "family", b->family);
	avec_json_str(j, "principal", b->principal);
	avec_json_id(j, "account_id", b->account_id);
	avec_json_id(j, "device_id", b->device_id);
	avec_json_str(j, "device_name", b->device_name);
	avec_json_str(j, "mac", b->mac);
	avec_json_str(j, "bridge", b->bridge);
	avec_json_int(j, "vlan", b->vlan);
	avec_json_id(j, "session_id", b->session_id);
	avec_json_time(j, "bound_at", b->bound_at);
	avec_json_str(j, "bound", ctl_utc(b->bound_at, t, sizeof(t)));
	avec_json_time(j, "seen_at", b->seen_at);
	avec_json_time(j, "expires_at", b->expires_at);
	avec_json_time(j, "ended_at", b->ended_at);
	if (b->ended_at)
		avec_json_str(j, "ended", ctl_utc(b->ended_at, t, sizeof(t)));
	else
		avec_json_null(j, "ended");
	avec_json_str(j, "end_cause", b->end_cause);
	avec_json_obj_end(j);
}

struct bind_ctx {
	struct avec_json *j;	/* NULL: the table */
	struct ctl_table t;
	uint64_t n;
};

static int
bind_one(const struct avec_binding_rec *b, void *arg)
{
	struct bind_ctx *bc = arg;
	char bound[32], end[48], dev[96], vlan[8], how[24];
	const char *cells[9];

	bc->n++;
	if (bc->j != NULL) {
		ctl_json_binding(bc->j, b);
		return 0;
	}
	if (b->ended_at) {
		ctl_utc(b->ended_at, end, sizeof(end));
	} else {
		ctl_utc(b->expires_at, bound, sizeof(bound));
		snprintf(end, sizeof(end), "held (to %s)", bound);
	}
	snprintf(vlan, sizeof(vlan), "%d", b->vlan);
	snprintf(how, sizeof(how), "%s", b->end_cause[0] ? b->end_cause : "-");
	cells[0] = ctl_utc(b->bound_at, bound, sizeof(bound));
	cells[1] = end;
	cells[2] = b->source;
	cells[3] = b->principal[0] ? b->principal : "-";
	cells[4] = ctl_device_cell(b->device_id, b->device_name, dev,
				   sizeof(dev));
	cells[5] = b->mac;
	cells[6] = b->bridge[0] ? b->bridge : "-";
	cells[7] = b->vlan ? vlan : "-";
	cells[8] = how;
	return ctl_table_add(&bc->t, cells) < 0 ? -1 : 0;
}

static const char *const bind_headers[] = {
	"BOUND (UTC)", "END (UTC)", "HOW", "PRINCIPAL", "DEVICE", "MAC",
	"BRIDGE", "VLAN", "ENDED BY",
};

int
ctl_log_bindings(struct avec_store *st, const char *ip, int64_t at,
		 struct avec_json *j, uint64_t *n)
{
	struct avec_err err = { { 0 } };
	struct bind_ctx bc;
	int rc;

	memset(&bc, 0, sizeof(bc));
	bc.j = j;
	if (j == NULL && ctl_table_init(&bc.t, 9, bind_headers) < 0)
		return ctl_fail(CTL_IO, "out of memory");
	rc = avec_store_binding_query(st, ip, NULL, at, 0, bind_one, &bc, &err);
	if (rc != 0) {
		ctl_table_free(&bc.t);
		return ctl_fail(CTL_IO, "%s", rc < 0 ? err.msg :
				"out of memory listing bindings");
	}
	if (j == NULL && bc.n > 0) {
		printf("Address bindings seen on the appliance's bridges:\n");
		ctl_table_print(&bc.t, stdout);
	} else {
		ctl_table_free(&bc.t);
	}
	*n = bc.n;
	return CTL_OK;
}

int
ctl_export_bindings(struct avec_store *st, const char *principal,
		    struct avec_json *j)
{
	struct avec_err err = { { 0 } };
	struct bind_ctx bc;
	int rc;

	memset(&bc, 0, sizeof(bc));
	bc.j = j;
	rc = avec_store_binding_query(st, NULL, principal, 0, 0, bind_one, &bc,
				      &err);
	return rc == 0 ? CTL_OK : ctl_fail(CTL_IO, "%s", rc < 0 ? err.msg :
					   "out of memory");
}

static int
count_one(const struct avec_binding_rec *b, void *arg)
{
	(void)b;
	(*(uint64_t *)arg)++;
	return 0;
}

int
ctl_count_bindings(struct avec_store *st, const char *principal, uint64_t *n,
		   struct avec_err *err)
{
	*n = 0;
	return avec_store_binding_query(st, NULL, principal, 0, 0, count_one, n,
					err);
}
