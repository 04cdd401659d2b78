/*
 * cas_parse.c - reading a CAS serviceValidate answer (v2 and v3).
 *
 * It owns the turning of an untrusted XML document into a bounded
 * struct avec_cas_response: the user, the failure code and text, and the
 * attributes in whichever of the three shapes the server chose.  The
 * document comes from the network, so it is parsed with no DTD, no entity
 * substitution and no network access; a document that declares a DTD is
 * refused outright, and every count and length is capped before anything
 * is copied.
 *
 * It must never echo the input into an error (a failure text may carry
 * the ticket), never follow a reference, and never accept a success
 * whose user is empty, too long or unprintable.  It does not decide who
 * the user is for AVEC: that is cas_identity.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "avec/ident.h"
#include "cas.h"

static bool
is_cas(const xmlNode *n, const char *local)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, AVEC_CAS_NS) == 0 &&
	       (local == NULL || strcmp((const char *)n->name, local) == 0);
}

static bool
xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * The text directly inside @n (text and CDATA children only) into a fresh
 * string, blanks trimmed at both ends.  NULL with @err if the element
 * holds an entity reference, an element, or more than @max bytes.
 */
static char *
text_of(const xmlNode *n, size_t max, const char *what, struct avec_err *err)
{
	const xmlNode *c;
	size_t len = 0, l;
	char *s, *p, *q;

	for (c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE)
			continue;
		if (c->type != XML_TEXT_NODE &&
		    c->type != XML_CDATA_SECTION_NODE) {
			avec_err_set(err, "CAS answer: %s holds markup, not text",
				     what);
			return NULL;
		}
		l = c->content != NULL ? strlen((const char *)c->content) : 0;
		if (l > max + 8192 || len > max + 8192) {
			avec_err_set(err, "CAS answer: %s longer than %zu bytes",
				     what, max);
			return NULL;
		}
		len += l;
	}
	if ((s = malloc(len + 1)) == NULL) {
		avec_err_set(err, "CAS answer: out of memory");
		return NULL;
	}
	p = s;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE &&
		    c->type != XML_CDATA_SECTION_NODE)
			continue;
		if (c->content != NULL) {
			l = strlen((const char *)c->content);
			memcpy(p, c->content, l);
			p += l;
		}
	}
	*p = '\0';
	for (q = p; q > s && xml_space(q[-1]); q--)
		;
	*q = '\0';
	for (p = s; xml_space(*p); p++)
		;
	if (p != s)
		memmove(s, p, (size_t)(q - p) + 1);
	if (strlen(s) > max) {
		free(s);
		avec_err_set(err, "CAS answer: %s longer than %zu bytes", what,
			     max);
		return NULL;
	}
	return s;
}

/* Valid UTF-8 where tabs and line ends (legal in XML text) become spaces
 * and any other control character is refused. */
static bool
value_ok(char *s)
{
	size_t k;

	while (*s != '\0') {
		if (*s == '\t' || *s == '\n' || *s == '\r') {
			*s++ = ' ';
			continue;
		}
		if ((k = avec_utf8_char(s)) == 0)
			return false;
		s += k;
	}
	return true;
}

/* Copy @s into @dst (@size bytes) for display: invalid or control bytes
 * become '?', a ticket ("ST-...") is masked, cut on a character
 * boundary. */
static void
printable_copy(char *dst, size_t size, const char *s)
{
	size_t o = 0, k;

	while (*s != '\0' && o + 1 < size) {
		if (strncmp(s, "ST-", 3) == 0) {
			if (o + 7 > size)
				break;
			memcpy(dst + o, "ST-***", 6);
			o += 6;
			s += 3;
			while ((*s >= 'A' && *s <= 'Z') ||
			       (*s >= 'a' && *s <= 'z') ||
			       (*s >= '0' && *s <= '9') || *s == '.' ||
			       *s == '_' || *s == '~' || *s == '-')
				s++;
			continue;
		}
		k = avec_utf8_char(s);
		if (k == 0) {
			dst[o++] = '?';
			s++;
			continue;
		}
		if (o + k + 1 > size)
			break;
		memcpy(dst + o, s, k);
		o += k;
		s += k;
	}
	dst[o] = '\0';
}

/*
 * The attribute named @name in @r, added (without values) if absent.
 * NULL with @err past AVEC_CAS_ATTRS_MAX names or out of memory.
 */
static struct avec_cas_attr *
attr_slot(struct avec_cas_response *r, const char *name, struct avec_err *err)
{
	struct avec_cas_attr *a, *na;
	unsigned i;

	for (i = 0; i < r->nattrs; i++)
		if (strcmp(r->attrs[i].name, name) == 0)
			return &r->attrs[i];
	if (r->nattrs >= AVEC_CAS_ATTRS_MAX) {
		avec_err_set(err, "CAS answer: more than %d attributes",
			     AVEC_CAS_ATTRS_MAX);
		return NULL;
	}
	na = realloc(r->attrs, (r->nattrs + 1) * sizeof(*na));
	if (na == NULL) {
		avec_err_set(err, "CAS answer: out of memory");
		return NULL;
	}
	r->attrs = na;
	a = &r->attrs[r->nattrs];
	memset(a, 0, sizeof(*a));
	if ((a->name = strdup(name)) == NULL) {
		avec_err_set(err, "CAS answer: out of memory");
		return NULL;
	}
	r->nattrs++;
	return a;
}

/* Add @value (taken: freed here whatever happens) to attribute @name. */
static int
add_value(struct avec_cas_response *r, const char *name, char *value,
	  struct avec_err *err)
{
	struct avec_cas_attr *a;
	char **nv;
	unsigned i;

	if (value[0] == '\0') {		/* an empty value says nothing */
		free(value);
		return 0;
	}
	if (!value_ok(value)) {
		free(value);
		return avec_err_set(err, "CAS answer: attribute %s has a value "
				    "that is not printable UTF-8", name);
	}
	if ((a = attr_slot(r, name, err)) == NULL) {
		free(value);
		return -1;
	}
	for (i = 0; i < a->nvalues; i++) {
		if (strcmp(a->values[i], value) == 0) {
			free(value);
			return 0;
		}
	}
	if (a->nvalues >= AVEC_CAS_VALUES_MAX) {
		free(value);
		return avec_err_set(err, "CAS answer: attribute %s has more "
				    "than %d values", name, AVEC_CAS_VALUES_MAX);
	}
	nv = realloc(a->values, (a->nvalues + 1) * sizeof(*nv));
	if (nv == NULL) {
		free(value);
		return avec_err_set(err, "CAS answer: out of memory");
	}
	a->values = nv;
	a->values[a->nvalues++] = value;
	return 0;
}

/* true if @n has an element among its children: a structured value */
static bool
holds_elements(const xmlNode *n)
{
	const xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return true;
	return false;
}

/*
 * An attribute element of shapes 1 and 2: its local name and text.  One
 * that holds elements (a vendor's structured value, at any depth) is
 * skipped: its name is recorded with markup set and its content is not
 * read, so that an attribute AVEC does not use never stops a login
 * (cas_identity.c refuses the ones it maps).  The document's size and
 * depth stay bounded by AVEC_CAS_BODY_MAX and libxml2's nesting limit.
 */
static int
add_element(struct avec_cas_response *r, const xmlNode *n,
	    struct avec_err *err)
{
	const char *name = (const char *)n->name;
	struct avec_cas_attr *a;
	char *v;

	if (strlen(name) > 128 || !avec_text_valid(name, 128))
		return avec_err_set(err, "CAS answer: an attribute name is "
				    "not acceptable");
	if (holds_elements(n)) {
		if ((a = attr_slot(r, name, err)) == NULL)
			return -1;
		a->markup = true;
		return 0;
	}
	if ((v = text_of(n, AVEC_CAS_VALUE_MAX, "an attribute value",
			 err)) == NULL)
		return -1;
	return add_value(r, name, v, err);
}

/* <cas:attribute name="X" value="Y"/> (shape 3). */
static int
add_pair(struct avec_cas_response *r, const xmlNode *n, struct avec_err *err)
{
	xmlChar *name = xmlGetNoNsProp(n, (const xmlChar *)"name");
	xmlChar *value = xmlGetNoNsProp(n, (const xmlChar *)"value");
	char *v = NULL;
	int rc = -1;

	if (name == NULL || value == NULL) {
		rc = avec_err_set(err, "CAS answer: cas:attribute without "
				  "name or value");
		goto out;
	}
	if (!avec_text_valid((const char *)name, 128)) {
		rc = avec_err_set(err, "CAS answer: an attribute name is not "
				  "acceptable");
		goto out;
	}
	if (strlen((const char *)value) > AVEC_CAS_VALUE_MAX) {
		rc = avec_err_set(err, "CAS answer: an attribute value longer "
				  "than %d bytes", AVEC_CAS_VALUE_MAX);
		goto out;
	}
	if ((v = strdup((const char *)value)) == NULL) {
		rc = avec_err_set(err, "CAS answer: out of memory");
		goto out;
	}
	rc = add_value(r, (const char *)name, v, err);
out:
	xmlFree(name);
	xmlFree(value);
	return rc;
}

static int
parse_success(const xmlNode *s, struct avec_cas_response *r,
	      struct avec_err *err)
{
	const xmlNode *c, *a;
	bool have_user = false;
	char *u;

	for (c = s->children; c != NULL; c = c->next) {
		if (!is_cas(c, NULL))
			continue;
		if (is_cas(c, "user")) {
			if (have_user)
				return avec_err_set(err, "CAS answer: two "
						    "cas:user elements");
			have_user = true;
			if ((u = text_of(c, AVEC_PRINCIPAL_MAX, "cas:user",
					 err)) == NULL)
				return -1;
			if (!avec_text_valid(u, AVEC_PRINCIPAL_MAX)) {
				free(u);
				return avec_err_set(err, "CAS answer: cas:user "
						    "is empty or not printable");
			}
			snprintf(r->user, sizeof(r->user), "%s", u);
			free(u);
		} else if (is_cas(c, "attributes")) {
			for (a = c->children; a != NULL; a = a->next) {
				if (!is_cas(a, NULL))
					continue;
				if (is_cas(a, "attribute")) {
					if (add_pair(r, a, err) < 0)
						return -1;
				} else if (add_element(r, a, err) < 0) {
					return -1;
				}
			}
		} else if (is_cas(c, "attribute")) {
			if (add_pair(r, c, err) < 0)
				return -1;
		} else if (is_cas(c, "proxyGrantingTicket") ||
			   is_cas(c, "proxies")) {
			continue;
		} else if (add_element(r, c, err) < 0) {
			return -1;
		}
	}
	if (!have_user)
		return avec_err_set(err, "CAS answer: success without cas:user");
	r->success = true;
	return 0;
}

static int
parse_failure(const xmlNode *f, struct avec_cas_response *r,
	      struct avec_err *err)
{
	xmlChar *code = xmlGetNoNsProp(f, (const xmlChar *)"code");
	xmlChar *text = xmlNodeGetContent(f);
	const char *p;
	size_t i;

	(void)err;
	r->success = false;
	if (code != NULL) {
		/* codes are A-Z and '_'; anything else is shown as '?' */
		for (i = 0, p = (const char *)code;
		     p[i] != '\0' && i + 1 < sizeof(r->code); i++)
			r->code[i] = ((p[i] >= 'A' && p[i] <= 'Z') ||
				      (p[i] >= 'a' && p[i] <= 'z') ||
				      (p[i] >= '0' && p[i] <= '9') ||
				      p[i] == '_') ? p[i] : '?';
		r->code[i] = '\0';
	}
	if (r->code[0] == '\0')
		snprintf(r->code, sizeof(r->code), "UNKNOWN");
	if (text != NULL) {
		for (p = (const char *)text; xml_space(*p); p++)
			;
		printable_copy(r->message, sizeof(r->message), p);
		for (i = strlen(r->message); i > 0 &&
		     xml_space(r->message[i - 1]); i--)
			r->message[i - 1] = '\0';
	}
	xmlFree(code);
	xmlFree(text);
	return 0;
}

int
avec_cas_parse(const char *xml, size_t len, struct avec_cas_response *out,
	       struct avec_err *err)
{
	xmlDocPtr doc;
	const xmlNode *root, *c, *found = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (xml == NULL || len == 0)
		return avec_err_set(err, "CAS answer: empty");
	if (len > AVEC_CAS_BODY_MAX)
		return avec_err_set(err, "CAS answer: larger than %u bytes",
				    AVEC_CAS_BODY_MAX);
	if (len > INT32_MAX ||
	    memmem(xml, len, "<!DOCTYPE", 9) != NULL ||
	    memmem(xml, len, "<!ENTITY", 8) != NULL)
		return avec_err_set(err, "CAS answer: a DTD is not allowed");
	/* NOERROR/NOWARNING: libxml2 prints nothing, the input stays private */
	doc = xmlReadMemory(xml, (int)len, "cas.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (doc == NULL)
		return avec_err_set(err, "CAS answer: not well-formed XML");
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		avec_err_set(err, "CAS answer: a DTD is not allowed");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (root == NULL || !is_cas(root, "serviceResponse")) {
		avec_err_set(err, "CAS answer: the root is not "
			     "cas:serviceResponse in the CAS namespace");
		goto out;
	}
	for (c = root->children; c != NULL; c = c->next) {
		if (!is_cas(c, "authenticationSuccess") &&
		    !is_cas(c, "authenticationFailure"))
			continue;
		if (found != NULL) {
			avec_err_set(err, "CAS answer: more than one "
				     "authentication result");
			goto out;
		}
		found = c;
	}
	if (found == NULL) {
		avec_err_set(err, "CAS answer: neither authenticationSuccess "
			     "nor authenticationFailure");
		goto out;
	}
	if (is_cas(found, "authenticationSuccess"))
		rc = parse_success(found, out, err);
	else
		rc = parse_failure(found, out, err);
out:
	xmlFreeDoc(doc);
	if (rc < 0)
		avec_cas_response_clear(out);
	return rc;
}

void
avec_cas_response_clear(struct avec_cas_response *r)
{
	unsigned i, k;

	if (r == NULL)
		return;
	for (i = 0; i < r->nattrs; i++) {
		for (k = 0; k < r->attrs[i].nvalues; k++)
			free(r->attrs[i].values[k]);
		free(r->attrs[i].values);
		free(r->attrs[i].name);
	}
	free(r->attrs);
	memset(r, 0, sizeof(*r));
}

const struct avec_cas_attr *
avec_cas_attr_get(const struct avec_cas_response *r, const char *name)
{
	unsigned i;

	if (r == NULL || name == NULL)
		return NULL;
	for (i = 0; i < r->nattrs; i++)
		if (strcmp(r->attrs[i].name, name) == 0)
			return &r->attrs[i];
	return NULL;
}
