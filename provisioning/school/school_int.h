/*
 * school_int.h - what the school profile's readers share (school.c, which
 * reads the whole profile, and school_net.c, which reads its network and
 * management keys): the walk's state and the helpers that read a node and
 * report an error at it.  Not for other programs.
 */
#ifndef AVEC_SCHOOL_INT_H
#define AVEC_SCHOOL_INT_H

#include <stdbool.h>

#include <yaml.h>

#include "common/yerr.h"
#include "school/school.h"

struct sp {
	const char *name;
	const char *root;
	yaml_document_t ydoc;
	struct school *s;
	struct yerr e;			/* every problem found */
	/* where each secret was given, for the reuse message */
	const yaml_node_t *radios_secret_node;
	const yaml_node_t *auth_secret_node[SCHOOL_MAX_AUTH];
	/* where each network was given, for the overlap message (NULL: a
	 * default) */
	const yaml_node_t *onboarding_node;
	const yaml_node_t *gateway_node[AVEC_ROLE__COUNT];
	const yaml_node_t *mgmt_addr4_node;
	const yaml_node_t *mgmt_net_node[SCHOOL_MAX_MGMT_NETS];
};

#define sp_at(p, line, col, ...)	yerr_at(&(p)->e, line, col, __VA_ARGS__)
#define sp_err(p, n, path, ...)	yerr_node(&(p)->e, n, path, __VA_ARGS__)

/* The node @idx of the document. */
yaml_node_t *sp_node(struct sp *p, int idx);
/* "a single value", "a list", "a map": what @n is, for messages. */
const char *sp_kind_name(const yaml_node_t *n);
/* The text of scalar @n, or NULL after an error naming @want. */
const char *sp_scalar(struct sp *p, const yaml_node_t *n, const char *path,
		      const char *want);
/*
 * sp_map_fields - the values of the keys @keys (NULL-terminated) of
 * mapping @map into vals[] (NULL when absent); unknown and repeated keys
 * are errors.  Returns 0, or -1 when @map is not a mapping.
 */
int sp_map_fields(struct sp *p, const yaml_node_t *map, const char *path,
		  const char *const *keys, yaml_node_t **vals);
/* "PATH.KEY: missing (WHAT)" at @map. */
void sp_missing(struct sp *p, const yaml_node_t *map, const char *path,
		const char *key, const char *what);
/* A decimal integer in [min, max] into *out; else an error. */
int sp_get_uint(struct sp *p, const yaml_node_t *n, const char *path,
		unsigned long min, unsigned long max, unsigned long *out);
/* A text value into @out (size @len, so at most len - 1 bytes). */
int sp_get_text(struct sp *p, const yaml_node_t *n, const char *path,
		char *out, size_t len, const char *want);
/* A Linux interface name. */
bool sp_ifname_ok(const char *s);

/* school_net.c: network.onboarding, network.vlans, management */
void sp_parse_onboarding(struct sp *p, const yaml_node_t *n);
void sp_parse_vlans(struct sp *p, const yaml_node_t *n);
void sp_parse_management(struct sp *p, const yaml_node_t *n);
/* after the walk: the garden's CAS host, the defaults, the overlaps */
void sp_net_finish(struct sp *p);

#endif
