/*
 * aaf.c - the AAF file reader: a stream of requests out of an XML file.
 *
 * This file owns the shape of an AAF file (ficAlimMENESR, its three kinds
 * of request and their children), its encodings (declared, or undeclared:
 * UTF-8 if valid, else ISO-8859-15) and the safety of reading it: libxml2's
 * xmlTextReader with no network, no DTD loading and no entity
 * substitution, so a file can neither fetch anything nor read a local
 * file through an external entity, and memory stays bounded by the largest
 * request, not the file.  Every malformation is reported as
 * "FILE:LINE: ELEMENT: what".
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

struct attr_buf {
	char *name;
	bool opattr;		/* from operationalAttributes */
	enum avec_aaf_mod mod;
	unsigned n, cap;
	char **values;
};

struct parse {
	const char *path;
	int fd;
	uint64_t done, total;
	avec_aaf_progress progress;
	void *pctx;
	/* the first libxml2 error */
	int xml_failed;
	int xml_line;
	char xml_msg[160];
	/* the request being read */
	enum avec_aaf_op op;
	long line;
	enum where where;
	char *category;
	char *id;
	bool have_ident;
	unsigned nattrs, cap;
	struct attr_buf *attrs;
	struct attr_buf *cur;	/* attr or modification being read */
	bool in_value, in_id, cur_is_op;
	char *text;		/* value text being gathered */
	size_t tlen, tcap;
};

static void
reset_request(struct parse *p)
{
	unsigned i, j;

	for (i = 0; i < p->nattrs; i++) {
		for (j = 0; j < p->attrs[i].n; j++)
			free(p->attrs[i].values[j]);
		free(p->attrs[i].values);
		free(p->attrs[i].name);
	}
	p->nattrs = 0;
	free(p->category);
	free(p->id);
	p->category = p->id = NULL;
	p->have_ident = false;
	p->where = IN_NONE;
	p->cur = NULL;
	p->in_value = p->in_id = p->cur_is_op = false;
	p->tlen = 0;
}

static void
free_parse(struct parse *p)
{
	reset_request(p);
	free(p->attrs);
	free(p->text);
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
	ssize_t n;

	do
		n = read(p->fd, buf, (size_t)len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	p->done += (uint64_t)n;
	if (p->progress != NULL)
		p->progress(p->done, p->total, p->pctx);
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

static int
push_text(struct parse *p, const char *s)
{
	size_t n = strlen(s);

	if (p->tlen + n + 1 > p->tcap) {
		size_t cap = (p->tlen + n + 1) * 2;
		char *t = realloc(p->text, cap);

		if (t == NULL)
			return -1;
		p->text = t;
		p->tcap = cap;
	}
	memcpy(p->text + p->tlen, s, n);
	p->tlen += n;
	p->text[p->tlen] = '\0';
	return 0;
}

/* Trimmed copy of the gathered text. */
static char *
take_text(struct parse *p, bool trim)
{
	const char *s = p->tlen ? p->text : "";
	size_t n = p->tlen;

	if (trim) {
		while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
			s++, n--;
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
				 s[n - 1] == '\n' || s[n - 1] == '\r'))
			n--;
	}
	p->tlen = 0;
	return strndup(s, n);
}

static struct attr_buf *
new_attr(struct parse *p, const char *name, enum avec_aaf_mod mod)
{
	struct attr_buf *a;

	if (p->nattrs == p->cap) {
		unsigned cap = p->cap ? p->cap * 2 : 32;
		struct attr_buf *t = realloc(p->attrs, cap * sizeof(*t));

		if (t == NULL)
			return NULL;
		p->attrs = t;
		p->cap = cap;
	}
	a = &p->attrs[p->nattrs];
	memset(a, 0, sizeof(*a));
	if ((a->name = strdup(name)) == NULL)
		return NULL;
	a->mod = mod;
	p->nattrs++;
	return a;
}

static int
add_value(struct attr_buf *a, char *v)
{
	if (v == NULL)
		return -1;
	if (a->n == a->cap) {
		unsigned cap = a->cap ? a->cap * 2 : 4;
		char **t = realloc(a->values, cap * sizeof(*t));

		if (t == NULL) {
			free(v);
			return -1;
		}
		a->values = t;
		a->cap = cap;
	}
	a->values[a->n++] = v;
	return 0;
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
	struct avec_aaf_attr stackattrs[64];
	struct avec_aaf_attr *attrs = stackattrs;
	struct avec_aaf_rec rec;
	const char *rq = REQ_NAMES[p->op];
	unsigned i, n = 0;
	int rc;

	if (p->id == NULL || p->id[0] == '\0')
		return fail_at(p, err, p->line, rq, "request without identifier/id");
	if (p->category == NULL || p->category[0] == '\0')
		return fail_at(p, err, p->line, rq, "request without a category "
			       "(operationalAttributes categoriePersonne or "
			       "categorieStructure)");
	if (p->nattrs > 64 &&
	    (attrs = calloc(p->nattrs, sizeof(*attrs))) == NULL)
		return fail_at(p, err, p->line, rq, "out of memory");
	for (i = 0; i < p->nattrs; i++) {
		if (p->attrs[i].opattr)
			continue;
		attrs[n].name = p->attrs[i].name;
		attrs[n].mod = p->attrs[i].mod;
		attrs[n].nvalues = p->attrs[i].n;
		attrs[n].values = (const char *const *)p->attrs[i].values;
		n++;
	}
	memset(&rec, 0, sizeof(rec));
	rec.op = p->op;
	rec.category = p->category;
	rec.id = p->id;
	rec.nattrs = n;
	rec.attrs = attrs;
	rec.file = p->path;
	rec.line = p->line;
	rc = cb(&rec, ctx, err);
	if (attrs != stackattrs)
		free(attrs);
	return rc;
}

static int
start_element(struct parse *p, xmlTextReaderPtr r, const char *name, int depth,
	      long line, avec_aaf_cb cb, void *ctx, struct avec_err *err)
{
	bool empty = xmlTextReaderIsEmptyElement(r) == 1;
	char *a;

	switch (depth) {
	case 0:
		if (strcmp(name, "ficAlimMENESR") != 0)
			return fail_at(p, err, line, name, "not an AAF file "
				       "(the root must be ficAlimMENESR)");
		return 0;
	case 1:
		reset_request(p);
		p->line = line;
		if (strcmp(name, "addRequest") == 0)
			p->op = AVEC_AAF_ADD;
		else if (strcmp(name, "modifyRequest") == 0)
			p->op = AVEC_AAF_MODIFY;
		else if (strcmp(name, "deleteRequest") == 0)
			p->op = AVEC_AAF_DELETE;
		else
			return fail_at(p, err, line, name, "unknown request "
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
			return fail_at(p, err, line, name, "unexpected element "
				       "in %s", REQ_NAMES[p->op]);
		if (empty)
			p->where = IN_NONE;
		return 0;
	case 3:
		if (p->where == IN_IDENT && strcmp(name, "id") == 0) {
			if (p->id != NULL)
				return fail_at(p, err, line, name, "second identifier");
			p->in_id = !empty;
			p->tlen = 0;
			if (empty)
				p->id = strdup("");
			return 0;
		}
		if ((p->where == IN_OPATTRS || p->where == IN_ATTRS) &&
		    strcmp(name, "attr") == 0) {
			a = (char *)xmlTextReaderGetAttribute(r, BAD_CAST "name");
			if (a == NULL || *a == '\0') {
				xmlFree(a);
				return fail_at(p, err, line, name, "attr without a name");
			}
			p->cur = new_attr(p, a, AVEC_AAF_REPLACE);
			p->cur_is_op = p->where == IN_OPATTRS;
			xmlFree(a);
			if (p->cur == NULL)
				return fail_at(p, err, line, name, "out of memory");
			p->cur->opattr = p->cur_is_op;
			if (empty)
				p->cur = NULL;
			return 0;
		}
		if (p->where == IN_MODS && strcmp(name, "modification") == 0) {
			enum avec_aaf_mod mod;
			char *opn;

			a = (char *)xmlTextReaderGetAttribute(r, BAD_CAST "name");
			opn = (char *)xmlTextReaderGetAttribute(r, BAD_CAST "operation");
			if (a == NULL || *a == '\0') {
				xmlFree(a);
				xmlFree(opn);
				return fail_at(p, err, line, name,
					       "modification without a name");
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
				xmlFree(a);
				xmlFree(opn);
				return fail_at(p, err, line, name, "unknown "
					       "operation \"%s\" (expected "
					       "replace, add or delete)", op);
			}
			xmlFree(opn);
			p->cur = new_attr(p, a, mod);
			p->cur_is_op = false;
			xmlFree(a);
			if (p->cur == NULL)
				return fail_at(p, err, line, name, "out of memory");
			if (empty)
				p->cur = NULL;
			return 0;
		}
		return fail_at(p, err, line, name, "unexpected element");
	case 4:
		if (p->cur != NULL && strcmp(name, "value") == 0) {
			p->tlen = 0;
			if (empty) {
				if (add_value(p->cur, strdup("")) < 0)
					return fail_at(p, err, line, name, "out of memory");
			} else {
				p->in_value = true;
			}
			return 0;
		}
		return fail_at(p, err, line, name, "unexpected element");
	default:
		return fail_at(p, err, line, name, "unexpected element");
	}
}

static int
end_element(struct parse *p, int depth, long line, const char *name,
	    avec_aaf_cb cb, void *ctx, struct avec_err *err)
{
	char *v;

	switch (depth) {
	case 1:
		return emit(p, cb, ctx, err);
	case 2:
		p->where = IN_NONE;
		return 0;
	case 3:
		if (p->in_id) {
			p->in_id = false;
			if ((p->id = take_text(p, true)) == NULL)
				return fail_at(p, err, line, name, "out of memory");
		}
		p->cur = NULL;
		return 0;
	case 4:
		if (!p->in_value)
			return 0;
		p->in_value = false;
		v = take_text(p, p->cur_is_op);
		if (v == NULL)
			return fail_at(p, err, line, name, "out of memory");
		if (p->cur_is_op) {
			if (strcmp(p->cur->name, "categoriePersonne") == 0 ||
			    strcmp(p->cur->name, "categorieStructure") == 0) {
				free(p->category);
				p->category = strdup(v);
			}
		}
		return add_value(p->cur, v) < 0 ?
		    fail_at(p, err, line, name, "out of memory") : 0;
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
	p.path = path;
	p.progress = progress;
	p.pctx = pctx;
	p.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (p.fd < 0)
		return avec_err_set(err, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(p.fd, &sb) == 0)
		p.total = (uint64_t)sb.st_size;
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
		int depth = xmlTextReaderDepth(r);
		const char *name = (const char *)xmlTextReaderConstLocalName(r);
		xmlNodePtr node = xmlTextReaderCurrentNode(r);
		long line = node != NULL ? xmlGetLineNo(node) : -1;

		if (line <= 0)
			line = xmlTextReaderGetParserLineNumber(r);
		if (name == NULL)
			name = "";
		switch (type) {
		case XML_READER_TYPE_ELEMENT:
			if (depth == 0) {
				if (seen_root) {
					rc = fail_at(&p, err, line, name, "second root element");
					goto out;
				}
				seen_root = true;
			}
			rc = start_element(&p, r, name, depth, line, cb, ctx, err);
			break;
		case XML_READER_TYPE_END_ELEMENT:
			rc = end_element(&p, depth, line, name, cb, ctx, err);
			break;
		case XML_READER_TYPE_TEXT:
		case XML_READER_TYPE_CDATA:
		case XML_READER_TYPE_WHITESPACE:
		case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
			if (p.in_value || p.in_id) {
				const char *v = (const char *)xmlTextReaderConstValue(r);

				if (v != NULL && push_text(&p, v) < 0)
					rc = fail_at(&p, err, line, "value", "out of memory");
			} else if (type == XML_READER_TYPE_TEXT ||
				   type == XML_READER_TYPE_CDATA) {
				rc = fail_at(&p, err, line,
					     depth > 0 ? "text" : "document",
					     "unexpected text");
			}
			break;
		case XML_READER_TYPE_ENTITY_REFERENCE:
		case XML_READER_TYPE_ENTITY:
			rc = fail_at(&p, err, line, name, "entity reference "
				     "refused (AAF files use none)");
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
