/*
 * aaf.h - reading the academic directory's account feed (AAF) files.
 *
 * An AAF file (root ficAlimMENESR) is a list of addRequest, modifyRequest
 * and deleteRequest elements.  The reader streams it (never a tree of the
 * whole file) and hands each request to a callback as one record.  It
 * touches no store: what a record means is the caller's business
 * (store_ent.c).
 *
 * Safety: no network, no DTD loading, no entity substitution; an entity
 * reference other than the five predefined ones is an error.
 */
#ifndef AVEC_AAF_H
#define AVEC_AAF_H

#include <stdint.h>

#include "avec/err.h"

/*
 * The longest value the reader accepts, in bytes (after decoding to
 * UTF-8, before trimming): an attribute value, an identifier, an attribute
 * or modification name.  The longest values of a real export (a
 * structure's name, ENTPersonFonctions "UAI$TYPE$LABEL$CODE$LABEL", a
 * teacher's ENTAuxEnsClassesMatieres) stay under 256 bytes; 1 KB leaves
 * them room while bounding what one request may make the reader and the
 * store hold (libxml2's own limit is 10 MB a text node).  A longer value
 * means a broken or hostile file: the import is refused with FILE:LINE.
 */
#define AVEC_AAF_VALUE_MAX	1024

enum avec_aaf_op {
	AVEC_AAF_ADD = 0,
	AVEC_AAF_MODIFY,
	AVEC_AAF_DELETE,
};

/* What a modification does to the attribute's values; ADD requests'
 * attributes are all REPLACE (the whole value list). */
enum avec_aaf_mod {
	AVEC_AAF_REPLACE = 0,
	AVEC_AAF_ADD_VALUES,
	AVEC_AAF_DELETE_VALUES,
};

struct avec_aaf_attr {
	const char *name;
	enum avec_aaf_mod mod;
	unsigned nvalues;
	const char *const *values;	/* as in the file; may be "" */
};

/* One request.  Everything points into the parser's memory and is valid
 * only during the callback. */
struct avec_aaf_rec {
	enum avec_aaf_op op;
	const char *category;	/* Eleve, PersEducNat, PersRelEleve, EtabEducNat, ... */
	const char *id;		/* identifier/id, never empty */
	unsigned nattrs;
	const struct avec_aaf_attr *attrs;
	const char *file;	/* the path given to avec_aaf_parse_file */
	long line;		/* line of the request's start tag */
};

/*
 * Called once per request.  Return 0 to go on; anything else stops the
 * parse and is returned by avec_aaf_parse_file (fill @err first: say
 * rec->file and rec->line).
 */
typedef int (*avec_aaf_cb)(const struct avec_aaf_rec *rec, void *ctx,
			   struct avec_err *err);
/* Called as bytes are read (done of total), for a progress display. */
typedef void (*avec_aaf_progress)(uint64_t done, uint64_t total, void *ctx);

/* Attribute @name of @rec, or NULL; avec_aaf_first: its first non-empty
 * value, or NULL. */
const struct avec_aaf_attr *avec_aaf_attr(const struct avec_aaf_rec *rec,
					  const char *name);
const char *avec_aaf_first(const struct avec_aaf_rec *rec, const char *name);

/*
 * avec_aaf_parse_file - parse the file at @path, calling @cb per request.
 * Encoding: as declared; a file without an encoding declaration is read as
 * UTF-8 when all its bytes are valid UTF-8, else as ISO-8859-15 (the
 * file is scanned once before parsing to decide).
 * @progress may be NULL.
 * Returns: 0; -1 with @err "FILE:LINE: ELEMENT: what" for anything
 * malformed (not well-formed, wrong root, unknown element, request
 * without identifier or category, unknown operation, entity reference,
 * a value or name longer than AVEC_AAF_VALUE_MAX) or unreadable; or the callback's non-zero value.
 */
int avec_aaf_parse_file(const char *path, avec_aaf_cb cb, void *ctx,
			avec_aaf_progress progress, void *pctx,
			struct avec_err *err);

#endif
