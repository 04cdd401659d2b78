/*
 * aaf.c - the AAF file reader: a stream of requests out of an XML file.
 *
 * This file owns the shape of an AAF file (ficAlimMENESR, its three kinds
 * of request and their children), its encodings (declared, or undeclared:
 * UTF-8 if valid, else ISO-8859-15) and the safety of reading it: libxml2's
 * xmlTextReader with no network, no DTD loading and no entity
 * substitution, so a file can neither fetch anything nor read a local
 * file through an external entity, and memory stays bounded by the largest
 * request, not the file; no value, identifier or name may be longer than
 * AVEC_AAF_VALUE_MAX (aaf.h says why).  Every malformation is reported as
 * "FILE:LINE: ELEMENT: what".  It is on the import's hot path: once its
 * buffers have grown, a request costs no allocation of its own, and line
 * numbers are looked up only for a request's start and for errors.
 *
 * It must never touch the store, decide what a record means (roles,
 * schools, who has left), or keep anything after a callback returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlreader.h>

#include "avec/aaf.h"

/* Where the reader is inside a request. */
enum where {
	IN_NONE = 0,
	IN_OPATTRS,		/* operationalAttributes */
	IN_IDENT,		/* identifier */
	IN_ATTRS,		/* attributes */
	IN_MODS,		/* modifications */
};

#define NO_OFF ((size_t)-1)
/* Bytes asked of the file per read (libxml2 asks for 4 KB at a time). */
#define READ_CHUNK (256u << 10)

/*
 * A request is gathered without one allocation per string: its attribute
 * names, values, identifier and category are offsets into one byte buffer
 * (strings), its values' offsets are one array (voff, consecutive per
 * attribute); all are kept from request to request and only grow, so the
 * memory is that of the largest request.  Pointers are made at emit().
 */
struct attr_buf {
	size_t name;		/* offset in strings */
	bool opattr;		/* from operationalAttributes */
	enum avec_aaf_mod mod;
	unsigned v0, n;		/* its values: voff[v0 .. v0 + n) */
};

struct parse {
	const char *path;
	int fd;
	uint64_t done, total;
	avec_aaf_progress progress;
	void *pctx;
	unsigned char *in;	/* read-ahead: in[ipos .. ilen) not yet given */
	size_t ipos, ilen;
	/* the first libxml2 error */
	int xml_failed;
	int xml_line;
	char xml_msg[160];
	/* the request being read */
	enum avec_aaf_op op;
	long line;
	enum where where;
	size_t category, id;	/* offsets in strings, or NO_OFF */
	bool have_ident;
	unsigned nattrs, cap;
	struct attr_buf *attrs;
	struct attr_buf *cur;	/* attr or modification being read */
	bool in_value, in_id, cur_is_op;
	size_t tstart;		/* where the text being gathered starts */
	char *strings;
	size_t slen, scap;
	size_t *voff;
	unsigned nv, vcap;
	/* emit()'s pointer arrays, kept between requests */
	const char **vptr;
	unsigned vpcap;
	struct avec_aaf_attr *out;
	unsigned outcap;
};

static void
reset_request(struct parse *p)
{
	p->nattrs = 0;
	p->nv = 0;
	p->slen = 0;
	p->category = p->id = NO_OFF;
	p->have_ident = false;
	p->where = IN_NONE;
	p->cur = NULL;
	p->in_value = p->in_id = p->cur_is_op = false;
}

static void
free_parse(struct parse *p)
{
	free(p->attrs);
	free(p->strings);
	free(p->voff);
	free(p->vptr);
	free(p->out);
	free(p->in);
}

const struct avec_aaf_attr *
avec_aaf_attr(const struct avec_aaf_rec *rec, const char *name)
{
	unsigned i;

	for (i = 0; i < rec->nattrs; i++)
		if (strcmp(rec->attrs[i].name, name) == 0)
			return &rec->attrs[i];
	return NULL;
}

const char *
avec_aaf_first(const struct avec_aaf_rec *rec, const char *name)
{
	const struct avec_aaf_attr *a = avec_aaf_attr(rec, name);
	unsigned i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < a->nvalues; i++)
		if (a->values[i][0] != '\0')
			return a->values[i];
	return NULL;
}

static int
fail_at(struct parse *p, struct avec_err *err, long line, const char *elem,
	const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int
fail_at(struct parse *p, struct avec_err *err, long line, const char *elem,
	const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return avec_err_set(err, "%s:%ld: %s: %s", p->path, line,
			    elem != NULL && *elem != '\0' ? elem : "-", what);
}

/* The line of the reader's current node, as an error message names it. */
static long
cur_line(xmlTextReaderPtr r)
{
	xmlNodePtr node = xmlTextReaderCurrentNode(r);
	long line = node != NULL ? xmlGetLineNo(node) : -1;

	if (line <= 0)
		line = xmlTextReaderGetParserLineNumber(r);
	return line;
}

/* libxml2's errors: keep the first, with its line. */
static void
on_xml_error(void *arg, xmlErrorPtr e)
{
	struct parse *p = arg;
	size_t n;

	if (p->xml_failed || e == NULL || e->level < XML_ERR_ERROR)
		return;
	p->xml_failed = 1;
	p->xml_line = e->line;
	snprintf(p->xml_msg, sizeof(p->xml_msg), "%s",
		 e->message != NULL ? e->message : "malformed XML");
	n = strlen(p->xml_msg);
	while (n > 0 && (p->xml_msg[n - 1] == '\n' || p->xml_msg[n - 1] == ' '))
		p->xml_msg[--n] = '\0';
}

static int
io_read(void *arg, char *buf, int len)
{
	struct parse *p = arg;
	size_t n;

	if (len <= 0)
		return 0;
	if (p->ipos == p->ilen) {
		ssize_t got;

		do
			got = read(p->fd, p->in, READ_CHUNK);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return -1;
		p->ipos = 0;
		p->ilen = (size_t)got;
		p->done += (uint64_t)got;
		if (p->progress != NULL)
			p->progress(p->done, p->total, p->pctx);
		if (got == 0)
			return 0;
	}
	n = p->ilen - p->ipos;
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, p->in + p->ipos, n);
	p->ipos += n;
	return (int)n;
}

static int
io_close(void *arg)
{
	(void)arg;
	return 0;
}

/* Is every byte of the file valid UTF-8?  1 yes, 0 no, -1 read error. */
static int
file_is_utf8(int fd)
{
	unsigned char buf[65536 + 4];
	size_t carry = 0;
	ssize_t n;

	for (;;) {
		size_t len, i;

		n = read(fd, buf + carry, sizeof(buf) - 4 - carry);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		len = carry + (size_t)n;
		i = 0;
		while (i < len) {
			unsigned char c = buf[i];
			size_t k, need;
			uint32_t cp;

			if (c < 0x80) {
				i++;
				continue;
			}
			if (c >= 0xc2 && c <= 0xdf)
				need = 1, cp = c & 0x1f;
			else if (c >= 0xe0 && c <= 0xef)
				need = 2, cp = c & 0x0f;
			else if (c >= 0xf0 && c <= 0xf4)
				need = 3, cp = c & 0x07;
			else
				return 0;
			if (i + need >= len) {
				if (n == 0)
					return 0;	/* truncated at the end */
				break;
			}
			for (k = 1; k <= need; k++) {
				if ((buf[i + k] & 0xc0) != 0x80)
					return 0;
				cp = (cp << 6) | (buf[i + k] & 0x3f);
			}
			if ((need == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
			    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)))
				return 0;
			i += need + 1;
		}
		if (n == 0)
			return 1;
		carry = len - i;
		memmove(buf, buf + i, carry);
	}
}

/* Does the XML declaration at the start of the file name an encoding? */
static int
declares_encoding(int fd)
{
	char head[512];
	ssize_t n;
	char *end;

	n = pread(fd, head, sizeof(head) - 1, 0);
	if (n <= 0)
		return 0;
	head[n] = '\0';
	if (strncmp(head, "\xef\xbb\xbf", 3) == 0)
		return 1;	/* a UTF-8 byte order mark says it */
	if (strncmp(head, "<?xml", 5) != 0)
		return 0;
	end = strstr(head, "?>");
	if (end == NULL)
		return 0;
	*end = '\0';
	return strstr(head, "encoding") != NULL;
}

/* Room for @n more bytes in strings. */
static int
strings_room(struct parse *p, size_t n)
{
	if (p->slen + n > p->scap) {
		size_t cap = (p->slen + n) * 2;
		char *t = realloc(p->strings, cap);

		if (t == NULL)
			return -1;
		p->strings = t;
		p->scap = cap;
	}
	return 0;
}

/* Append @n bytes of @s (no terminator). */
static int
push_bytes(struct parse *p, const char *s, size_t n)
{
	if (strings_room(p, n + 1) < 0)
		return -1;
	memcpy(p->strings + p->slen, s, n);
	p->slen += n;
	return 0;
}

/* A string of its own in strings; its offset, or NO_OFF. */
static size_t
push_str(struct parse *p, const char *s)
{
	size_t off = p->slen;

	if (push_bytes(p, s, strlen(s) + 1) < 0)
		return NO_OFF;
	return off;
}

/* The text gathered since tstart, trimmed if asked, terminated: its
 * offset, or NO_OFF. */
static size_t
take_text(struct parse *p, bool trim)
{
	size_t b = p->tstart, e = p->slen;
	char *s = p->strings;

	if (trim) {
		while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' ||
				 s[b] == '\r'))
			b++;
		while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' ||
				 s[e - 1] == '\n' || s[e - 1] == '\r'))
			e--;
		if (b > p->tstart)
			memmove(s + p->tstart, s + b, e - b);
		e = p->tstart + (e - b);
	}
	p->slen = e;
	if (strings_room(p, 1) < 0)
		return NO_OFF;
	p->strings[p->slen++] = '\0';
	return p->tstart;
}

static struct attr_buf *
new_attr(struct parse *p, const char *name, enum avec_aaf_mod mod)
{
	struct attr_buf *a;
	size_t off;

	if (p->nattrs == p->cap) {
		unsigned cap = p->cap ? p->cap * 2 : 32;
		struct attr_buf *t = realloc(p->attrs, cap * sizeof(*t));

		if (t == NULL)
			return NULL;
		p->attrs = t;
		p->cap = cap;
	}
	if ((off = push_str(p, name)) == NO_OFF)
		return NULL;
	a = &p->attrs[p->nattrs];
	memset(a, 0, sizeof(*a));
	a->name = off;
	a->mod = mod;
	a->v0 = p->nv;
	p->nattrs++;
	return a;
}

/* A value (offset @off in strings) for the current attribute. */
static int
add_value(struct parse *p, size_t off)
{
	if (off == NO_OFF)
		return -1;
	if (p->nv == p->vcap) {
		unsigned cap = p->vcap ? p->vcap * 2 : 64;
		size_t *t = realloc(p->voff, cap * sizeof(*t));

		if (t == NULL)
			return -1;
		p->voff = t;
		p->vcap = cap;
	}
	p->voff[p->nv++] = off;
	p->cur->n++;
	return 0;
}

/*
 * The value of the attribute @name of the current element, without a copy
 * when it is plain text in the tree (*@own NULL); otherwise as libxml2
 * gives it (*@own set: the caller xmlFree()s it).  NULL: no such attribute.
 */
static const char *
get_attr(xmlTextReaderPtr r, const char *name, char **own)
{
	xmlNodePtr node = xmlTextReaderCurrentNode(r);
	xmlAttrPtr a;

	*own = NULL;
	if (node != NULL && node->type == XML_ELEMENT_NODE) {
		for (a = node->properties; a != NULL; a = a->next) {
			if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
				continue;
			if (a->children == NULL)
				return "";
			if (a->children->next == NULL &&
			    a->children->type == XML_TEXT_NODE &&
			    a->children->content != NULL)
				return (const char *)a->children->content;
			break;
		}
	}
	*own = (char *)xmlTextReaderGetAttribute(r, BAD_CAST name);
	return *own;
}

/* A value (or identifier) past AVEC_AAF_VALUE_MAX: the error, naming the
 * attribute it belongs to. */
static int
too_long(struct parse *p, xmlTextReaderPtr r, struct avec_err *err)
{
	char name[48] = "id";

	if (p->in_value && p->cur != NULL)
		snprintf(name, sizeof(name), "%.40s", p->strings + p->cur->name);
	return fail_at(p, err, cur_line(r), p->in_id ? "id" : "value",
		       "value of %s longer than %u bytes (the limit for an "
		       "AAF value)", name, (unsigned)AVEC_AAF_VALUE_MAX);
}

/* An attr or modification name past AVEC_AAF_VALUE_MAX. */
static int
name_too_long(struct parse *p, xmlTextReaderPtr r, const char *elem,
	      struct avec_err *err)
{
	return fail_at(p, err, cur_line(r), elem, "name longer than %u bytes "
		       "(the limit for an AAF value)",
		       (unsigned)AVEC_AAF_VALUE_MAX);
}

static const char *const REQ_NAMES[] = {
	[AVEC_AAF_ADD] = "addRequest",
	[AVEC_AAF_MODIFY] = "modifyRequest",
	[AVEC_AAF_DELETE] = "deleteRequest",
};

/* The end of a request: check it and hand it over. */
static int
emit(struct parse *p, avec_aaf_cb cb, void *ctx, struct avec_err *err)
{
	struct avec_aaf_rec rec;
	const char *rq = REQ_NAMES[p->op];
	const char *s = p->strings;
	unsigned i, n = 0;

	if (p->id == NO_OFF || s[p->id] == '\0')
		return fail_at(p, err, p->line, rq, "request without identifier/id");
	if (p->category == NO_OFF || s[p->category] == '\0')
		return fail_at(p, err, p->line, rq, "request without a category "
			       "(operationalAttributes categoriePersonne or "
			       "categorieStructure)");
	if (p->nv > p->vpcap) {
		const char **t = realloc(p->vptr, p->nv * sizeof(*t));

		if (t == NULL)
			return fail_at(p, err, p->line, rq, "out of memory");
		p->vptr = t;
		p->vpcap = p->nv;
	}
	if (p->nattrs > p->outcap) {
		struct avec_aaf_attr *t = realloc(p->out, p->nattrs * sizeof(*t));

		if (t == NULL)
			return fail_at(p, err, p->line, rq, "out of memory");
		p->out = t;
		p->outcap = p->nattrs;
	}
	for (i = 0; i < p->nv; i++)
		p->vptr[i] = s + p->voff[i];
	for (i = 0; i < p->nattrs; i++) {
		if (p->attrs[i].opattr)
			continue;
		p->out[n].name = s + p->attrs[i].name;
		p->out[n].mod = p->attrs[i].mod;
		p->out[n].nvalues = p->attrs[i].n;
		p->out[n].values = p->vptr + p->attrs[i].v0;
		n++;
	}
	memset(&rec, 0, sizeof(rec));
	rec.op = p->op;
	rec.category = s + p->category;
	rec.id = s + p->id;
	rec.nattrs = n;
	rec.attrs = p->out;
	rec.file = p->path;
	rec.line = p->line;
	return cb(&rec, ctx, err);
}

static int
start_element(struct parse *p, xmlTextReaderPtr r, const char *name, int depth,
	      avec_aaf_cb cb, void *ctx, struct avec_err *err)
{
	bool empty = xmlTextReaderIsEmptyElement(r) == 1;
	const char *a;
	char *own;

	switch (depth) {
	case 0:
		if (strcmp(name, "ficAlimMENESR") != 0)
			return fail_at(p, err, cur_line(r), name, "not an AAF file "
				       "(the root must be ficAlimMENESR)");
		return 0;
	case 1:
		reset_request(p);
		p->line = cur_line(r);
		if (strcmp(name, "addRequest") == 0)
			p->op = AVEC_AAF_ADD;
		else if (strcmp(name, "modifyRequest") == 0)
			p->op = AVEC_AAF_MODIFY;
		else if (strcmp(name, "deleteRequest") == 0)
			p->op = AVEC_AAF_DELETE;
		else
			return fail_at(p, err, p->line, name, "unknown request "
				       "(expected addRequest, modifyRequest "
				       "or deleteRequest)");
		if (empty)
			return emit(p, cb, ctx, err);
		return 0;
	case 2:
		if (strcmp(name, "operationalAttributes") == 0)
			p->where = IN_OPATTRS;
		else if (strcmp(name, "identifier") == 0)
			p->where = IN_IDENT, p->have_ident = true;
		else if (strcmp(name, "attributes") == 0 && p->op == AVEC_AAF_ADD)
			p->where = IN_ATTRS;
		else if (strcmp(name, "modifications") == 0 && p->op == AVEC_AAF_MODIFY)
			p->where = IN_MODS;
		else
			return fail_at(p, err, cur_line(r), name, "unexpected element "
				       "in %s", REQ_NAMES[p->op]);
		if (empty)
			p->where = IN_NONE;
		return 0;
	case 3:
		if (p->where == IN_IDENT && strcmp(name, "id") == 0) {
			if (p->id != NO_OFF)
				return fail_at(p, err, cur_line(r), name,
					       "second identifier");
			p->in_id = !empty;
			p->tstart = p->slen;
			if (empty && (p->id = push_str(p, "")) == NO_OFF)
				return fail_at(p, err, cur_line(r), name,
					       "out of memory");
			return 0;
		}
		if ((p->where == IN_OPATTRS || p->where == IN_ATTRS) &&
		    strcmp(name, "attr") == 0) {
			a = get_attr(r, "name", &own);
			if (a == NULL || *a == '\0') {
				xmlFree(own);
				return fail_at(p, err, cur_line(r), name,
					       "attr without a name");
			}
			if (strlen(a) > AVEC_AAF_VALUE_MAX) {
				xmlFree(own);
				return name_too_long(p, r, name, err);
			}
			p->cur = new_attr(p, a, AVEC_AAF_REPLACE);
			p->cur_is_op = p->where == IN_OPATTRS;
			xmlFree(own);
			if (p->cur == NULL)
				return fail_at(p, err, cur_line(r), name, "out of memory");
			p->cur->opattr = p->cur_is_op;
			if (empty)
				p->cur = NULL;
			return 0;
		}
		if (p->where == IN_MODS && strcmp(name, "modification") == 0) {
			enum avec_aaf_mod mod;
			const char *opn;
			char *own_opn;

			a = get_attr(r, "name", &own);
			opn = get_attr(r, "operation", &own_opn);
			if (a == NULL || *a == '\0') {
				xmlFree(own);
				xmlFree(own_opn);
				return fail_at(p, err, cur_line(r), name,
					       "modification without a name");
			}
			if (strlen(a) > AVEC_AAF_VALUE_MAX) {
				xmlFree(own);
				xmlFree(own_opn);
				return name_too_long(p, r, name, err);
			}
			if (opn == NULL || strcmp(opn, "replace") == 0) {
				mod = AVEC_AAF_REPLACE;
			} else if (strcmp(opn, "add") == 0) {
				mod = AVEC_AAF_ADD_VALUES;
			} else if (strcmp(opn, "delete") == 0) {
				mod = AVEC_AAF_DELETE_VALUES;
			} else {
				char op[40];

				snprintf(op, sizeof(op), "%s", opn);
				xmlFree(own);
				xmlFree(own_opn);
				return fail_at(p, err, cur_line(r), name, "unknown "
					       "operation \"%s\" (expected "
					       "replace, add or delete)", op);
			}
			xmlFree(own_opn);
			p->cur = new_attr(p, a, mod);
			p->cur_is_op = false;
			xmlFree(own);
			if (p->cur == NULL)
				return fail_at(p, err, cur_line(r), name, "out of memory");
			if (empty)
				p->cur = NULL;
			return 0;
		}
		return fail_at(p, err, cur_line(r), name, "unexpected element");
	case 4:
		if (p->cur != NULL && strcmp(name, "value") == 0) {
			p->tstart = p->slen;
			if (empty) {
				if (add_value(p, push_str(p, "")) < 0)
					return fail_at(p, err, cur_line(r), name,
						       "out of memory");
			} else {
				p->in_value = true;
			}
			return 0;
		}
		return fail_at(p, err, cur_line(r), name, "unexpected element");
	default:
		return fail_at(p, err, cur_line(r), name, "unexpected element");
	}
}

static int
end_element(struct parse *p, xmlTextReaderPtr r, int depth, const char *name,
	    avec_aaf_cb cb, void *ctx, struct avec_err *err)
{
	size_t v;

	switch (depth) {
	case 1:
		return emit(p, cb, ctx, err);
	case 2:
		p->where = IN_NONE;
		return 0;
	case 3:
		if (p->in_id) {
			p->in_id = false;
			if ((p->id = take_text(p, true)) == NO_OFF)
				return fail_at(p, err, cur_line(r), name, "out of memory");
		}
		p->cur = NULL;
		return 0;
	case 4:
		if (!p->in_value)
			return 0;
		p->in_value = false;
		if ((v = take_text(p, p->cur_is_op)) == NO_OFF)
			return fail_at(p, err, cur_line(r), name, "out of memory");
		if (p->cur_is_op) {
			const char *an = p->strings + p->cur->name;

			if (strcmp(an, "categoriePersonne") == 0 ||
			    strcmp(an, "categorieStructure") == 0)
				p->category = v;
		}
		return add_value(p, v) < 0 ?
		    fail_at(p, err, cur_line(r), name, "out of memory") : 0;
	default:
		return 0;
	}
}

int
avec_aaf_parse_file(const char *path, avec_aaf_cb cb, void *ctx,
		    avec_aaf_progress progress, void *pctx, struct avec_err *err)
{
	struct parse p;
	xmlTextReaderPtr r = NULL;
	const char *encoding = NULL;
	struct stat sb;
	int rc = 0, ret;
	bool seen_root = false;

	memset(&p, 0, sizeof(p));
	reset_request(&p);
	p.path = path;
	p.progress = progress;
	p.pctx = pctx;
	p.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p.fd < 0)
		return avec_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(p.fd, &sb) == 0)
		p.total = (uint64_t)sb.st_size;
	if ((p.in = malloc(READ_CHUNK)) == NULL) {
		rc = avec_err_set(err, "%s: out of memory", path);
		goto out;
	}
	if (!declares_encoding(p.fd)) {
		int u = file_is_utf8(p.fd);

		if (u < 0 || lseek(p.fd, 0, SEEK_SET) != 0) {
			rc = avec_err_set(err, "%s: cannot read: %s", path,
					  strerror(errno));
			goto out;
		}
		encoding = u ? "UTF-8" : "ISO-8859-15";
	}
	/*
	 * No XML_PARSE_NOENT (no entity substitution), no DTDLOAD/DTDATTR/
	 * DTDVALID (the DOCTYPE's DTD is never read), NONET (nothing fetched).
	 */
	r = xmlReaderForIO(io_read, io_close, &p, path, encoding,
			   XML_PARSE_NONET | XML_PARSE_NOERROR |
			   XML_PARSE_NOWARNING | XML_PARSE_BIG_LINES |
			   XML_PARSE_COMPACT | XML_PARSE_NOCDATA);
	if (r == NULL) {
		rc = avec_err_set(err, "%s: cannot start the XML reader", path);
		goto out;
	}
	xmlTextReaderSetStructuredErrorHandler(r, on_xml_error, &p);

	while ((ret = xmlTextReaderRead(r)) == 1) {
		int type = xmlTextReaderNodeType(r);
		int depth;
		const char *name;

		switch (type) {
		case XML_READER_TYPE_ELEMENT:
		case XML_READER_TYPE_END_ELEMENT:
			depth = xmlTextReaderDepth(r);
			name = (const char *)xmlTextReaderConstLocalName(r);
			if (name == NULL)
				name = "";
			if (type == XML_READER_TYPE_END_ELEMENT) {
				rc = end_element(&p, r, depth, name, cb, ctx, err);
				break;
			}
			if (depth == 0) {
				if (seen_root) {
					rc = fail_at(&p, err, cur_line(r), name,
						     "second root element");
					goto out;
				}
				seen_root = true;
			}
			rc = start_element(&p, r, name, depth, cb, ctx, err);
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
		case XML_READER_TYPE_WHITESPACE:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
			if (p.in_value || p.in_id) {
				const char *v = (const char *)xmlTextReaderConstValue(r);
				size_t vl = v != NULL ? strlen(v) : 0;

				if (p.slen - p.tstart + vl > AVEC_AAF_VALUE_MAX)
					rc = too_long(&p, r, err);
				else if (v != NULL && push_bytes(&p, v, vl) < 0)
					rc = fail_at(&p, err, cur_line(r), "value",
						     "out of memory");
			} else if (type == XML_READER_TYPE_TEXT ||
				   type == XML_READER_TYPE_CDATA) {
				rc = fail_at(&p, err, cur_line(r),
					     xmlTextReaderDepth(r) > 0 ? "text" :
					     "document", "unexpected text");
			}
			break;
		case XML_READER_TYPE_ENTITY_REFERENCE:
		case XML_READER_TYPE_ENTITY:
			name = (const char *)xmlTextReaderConstLocalName(r);
			rc = fail_at(&p, err, cur_line(r), name != NULL ? name : "",
				     "entity reference refused (AAF files use none)");
			break;
		default:	/* comments, DOCTYPE, processing instructions */
			break;
		}
		if (rc != 0)
			goto out;
	}
	if (ret < 0 || p.xml_failed) {
		rc = fail_at(&p, err, p.xml_failed ? p.xml_line :
			     xmlTextReaderGetParserLineNumber(r), "XML",
			     "not well-formed: %s", p.xml_failed ? p.xml_msg :
			     "read error");
		goto out;
	}
	if (!seen_root)
		rc = fail_at(&p, err, xmlTextReaderGetParserLineNumber(r), "XML",
			     "no root element");
out:
	if (r != NULL)
		xmlFreeTextReader(r);
	free_parse(&p);
	close(p.fd);
	return rc;
}
