/*
 * util.c - what every avecctl command shares: messages and exit codes,
 * option parsing, argument checks, opening the store, how times and
 * devices are shown, aligned columns.
 *
 * It owns the form of avecctl's output: one "avecctl: ..." line on stderr
 * per error, confirmations on stdout (silenced by -q), tables whose cells
 * are terminal-safe copies (a name stored by someone else can never drive
 * the terminal).  It must never print a secret: nothing here sees one, and
 * commands that deliver a credential print it themselves, on stdout only.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "avec/ident.h"
#include "avecctl.h"
#include "common/json.h"
#include "common/text.h"

int
ctl_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);		/* keep stdout and stderr in order */
	fputs("avecctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

void
ctl_cmd_usage(FILE *f, const struct ctl_cmd *cmd)
{
	fprintf(f, "usage: avecctl %s\n", cmd->usage);
}

int
ctl_usage_fail(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("avecctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd != NULL)
		ctl_cmd_usage(stderr, cmd);
	return CTL_USAGE;
}

void
ctl_note(const struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	if (c->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* Set by ctl_getopt when the admin API refused an option; read by ctl_run
 * (one command per process). */
static bool api_refused;

/* The long name of option @ch just returned by getopt_long (@index: its
 * long option's index, or -1 for a short one); NULL when it has none. */
static const char *
opt_name(const struct option *longopts, int ch, int index)
{
	const struct option *o;

	if (index >= 0)
		return longopts[index].name;
	for (o = longopts; o != NULL && o->name != NULL; o++)
		if (o->flag == NULL && o->val == ch)
			return o->name;
	return NULL;
}

int
ctl_getopt(const struct ctl_cmd *cmd, int argc, char **argv,
	   const char *shortopts, const struct option *longopts)
{
	const char *name;
	char opts[64];
	int ch, index = -1;

	/* ':' first: a missing value is ':' and unknown options are '?'. */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	ch = getopt_long(argc, argv, opts, longopts, &index);
	if (ch != -1 && ch != '?' && ch != ':' &&
	    (name = opt_name(longopts, ch, index)) != NULL &&
	    ctl_api_check_option(name) != CTL_OK) {
		api_refused = true;
		return '?';
	}
	if (ch == '?') {
		if (optopt != 0)
			ctl_usage_fail(cmd, "unknown option -%c", optopt);
		else
			ctl_usage_fail(cmd, "unknown option %s",
				       argv[optind - 1]);
		return '?';
	}
	if (ch == ':') {
		ctl_usage_fail(cmd, "option %s needs a value",
			       argv[optind - 1]);
		return '?';
	}
	return ch;
}

static void
print_help(FILE *f, const struct ctl_cmd *cmd)
{
	ctl_cmd_usage(f, cmd);
	if (cmd->help != NULL)
		fprintf(f, "\n%s\n", cmd->help);
}

int
ctl_run(struct ctl *c, const char *group, const struct ctl_cmd *cmd,
	int argc, char **argv)
{
	struct ctl_audit *a;
	int rc;

	a = ctl_audit_begin(group, cmd, argc, argv);
	/* an attempt the API refuses is recorded too */
	rc = ctl_api_check(group, cmd, argc, argv);
	optind = 0;	/* glibc: start a fresh scan */
	if (rc == CTL_OK) {
		rc = cmd->run(c, argc, argv);
		if (api_refused)
			rc = CTL_REFUSED;
	}
	return a != NULL ? ctl_audit_end(c, a, rc) : rc;
}

int
ctl_dispatch(struct ctl *c, const char *group, const struct ctl_cmd *cmds,
	     int argc, char **argv)
{
	const struct ctl_cmd *cmd;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		FILE *f = argc < 2 ? stderr : stdout;
		if (argc < 2) {
			fflush(stdout);
			fprintf(stderr, "avecctl: %s: which one?\n", group);
		}
		for (cmd = cmds; cmd->name != NULL; cmd++)
			ctl_cmd_usage(f, cmd);
		return argc < 2 ? CTL_USAGE : CTL_OK;
	}
	for (cmd = cmds; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, argv[1]) == 0)
			return ctl_run(c, group, cmd, argc - 1, argv + 1);
	fflush(stdout);
	fprintf(stderr, "avecctl: %s: unknown command; one of:\n", group);
	for (cmd = cmds; cmd->name != NULL; cmd++)
		ctl_cmd_usage(stderr, cmd);
	return CTL_USAGE;
}

int
ctl_help(const struct ctl_cmd *cmd)
{
	print_help(stdout, cmd);
	return CTL_OK;
}

struct avec_store *
ctl_store(struct ctl *c, bool readonly)
{
	struct avec_err err = { { 0 } };
	struct stat sb;

	if (c->st != NULL)
		return c->st;
	if (stat(c->db_path, &sb) < 0) {
		if (errno == ENOENT)
			ctl_fail(CTL_IO, "no store at %s (run 'avecctl init' "
				 "first, or give -d)", c->db_path);
		else
			ctl_fail(CTL_IO, "cannot use the store %s: %s",
				 c->db_path, strerror(errno));
		return NULL;
	}
	c->st = avec_store_open(c->db_path,
				readonly ? AVEC_STORE_READONLY : 0, &err);
	if (c->st == NULL)
		ctl_fail(CTL_IO, "%s", err.msg);
	return c->st;
}

int
ctl_check_principal(const char *s)
{
	if (avec_principal_valid(s))
		return 0;
	ctl_fail(CTL_USAGE, "invalid principal: expected 1 to %d characters "
		 "of A-Z a-z 0-9 . _ @ $ : -", AVEC_PRINCIPAL_MAX);
	return -1;
}

int
ctl_check_role(const char *s, enum avec_role *out)
{
	char safe[32];

	if (avec_role_parse(s, out) == 0)
		return 0;
	ctl_fail(CTL_USAGE, "unknown role '%s': expected student, teacher, "
		 "staff or parent", avec_text_safe(s, safe, sizeof(safe)));
	return -1;
}

int
ctl_parse_num(const char *what, const char *s, int64_t min, int64_t max,
	      int64_t *out)
{
	char safe[32];
	char *end;
	long long v;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	ctl_fail(CTL_USAGE, "invalid %s '%s': expected a number from %lld "
		 "to %lld", what, avec_text_safe(s, safe, sizeof(safe)),
		 (long long)min, (long long)max);
	return -1;
}

/* @t in UTC or local time into @buf; "-" for 0 or what cannot be written. */
static char *
fmt_time(int64_t t, bool utc, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	size_t n = 0;

	if (t != 0 && utc && gmtime_r(&tt, &tm) != NULL)
		n = strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	else if (t != 0 && !utc && localtime_r(&tt, &tm) != NULL)
		n = strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	if (n == 0)
		snprintf(buf, len, "-");
	return buf;
}

char *
ctl_time(int64_t t, char *buf, size_t len)
{
	return fmt_time(t, false, buf, len);
}

char *
ctl_utc(int64_t t, char *buf, size_t len)
{
	return fmt_time(t, true, buf, len);
}

char *
ctl_device_cell(int64_t device_id, const char *name, char *buf, size_t len)
{
	if (device_id)
		snprintf(buf, len, "%" PRId64 " %s", device_id, name);
	else
		snprintf(buf, len, "-");
	return buf;
}

/* ---- aligned columns ---- */

int
ctl_table_init(struct ctl_table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols < CTL_TABLE_MAXCOLS ? ncols : CTL_TABLE_MAXCOLS;
	return ctl_table_add(t, headers);
}

int
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	size_t i, base, w;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **n = reallocarray(t->cells, cap * t->ncols, sizeof(*n));
		if (n == NULL)
			return -1;
		t->cells = n;
		t->cap = cap;
	}
	base = t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		const char *in = cells[i] != NULL ? cells[i] : "-";
		size_t len = strlen(in) + 1;
		char *cp = malloc(len);

		if (cp == NULL) {
			while (i-- > 0)
				free(t->cells[base + i]);
			return -1;
		}
		avec_text_safe(in, cp, len);
		t->cells[base + i] = cp;
		w = avec_text_width(cp);
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
	return 0;
}

void
ctl_table_print(struct ctl_table *t, FILE *f)
{
	size_t r, i, w;

	for (r = 0; r < t->nrows; r++) {
		for (i = 0; i < t->ncols; i++) {
			const char *cell = t->cells[r * t->ncols + i];

			fputs(cell, f);
			if (i + 1 == t->ncols)
				break;
			for (w = avec_text_width(cell); w < t->width[i] + 2;
			     w++)
				fputc(' ', f);
		}
		fputc('\n', f);
	}
	ctl_table_free(t);
}

void
ctl_table_free(struct ctl_table *t)
{
	size_t i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

int
ctl_list_begin(bool json, struct avec_json *j, struct ctl_table *t,
	       size_t ncols, const char *const *headers)
{
	if (json) {
		avec_json_init(j, stdout);
		avec_json_arr_begin(j, NULL);
		return CTL_OK;
	}
	if (ctl_table_init(t, ncols, headers) < 0)
		return ctl_fail(CTL_IO, "out of memory");
	return CTL_OK;
}

int
ctl_list_end(bool json, struct avec_json *j, struct ctl_table *t, int rc,
	     const struct avec_err *err, const char *what)
{
	if (rc != 0) {
		if (!json)
			ctl_table_free(t);
		if (rc < 0 && err != NULL && err->msg[0] != '\0')
			return ctl_fail(CTL_IO, "%s", err->msg);
		return ctl_fail(CTL_IO, "out of memory listing %s", what);
	}
	if (json) {
		avec_json_arr_end(j);
		if (avec_json_finish(j) < 0)
			return ctl_fail(CTL_IO, "cannot write the listing");
	} else {
		ctl_table_print(t, stdout);
	}
	return CTL_OK;
}

int
ctl_json_opts(const struct ctl_cmd *cmd, int argc, char **argv, int min_args,
	      int max_args, bool *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = ctl_getopt(cmd, argc, argv, "jh", longopts)) != -1) {
		switch (ch) {
		case 'j':
			*json = true;
			break;
		case 'h':
			return ctl_help(cmd);
		default:
			return CTL_USAGE;
		}
	}
	if (argc - optind < min_args || argc - optind > max_args)
		return ctl_usage_fail(cmd, "wrong number of arguments");
	return -1;
}

/* Read exactly @n digits at *p into *out; advances *p.  -1 if not digits. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
ctl_parse_time(const char *what, const char *s, bool zone_required,
	       int64_t *out)
{
	const char *p = s;
	char safe[40];
	struct tm tm;
	int y, mo, d, h, mi, sec = 0, oh = 0, om = 0, sign = 0;
	int64_t t;

	if (*s != '\0' && strspn(s, "0123456789") == strlen(s))
		return ctl_parse_num(what, s, 0, INT64_C(253402300799), out) < 0 ? -1 : 0;
	if (digits(&p, 4, &y) < 0 || *p++ != '-' || digits(&p, 2, &mo) < 0 ||
	    *p++ != '-' || digits(&p, 2, &d) < 0)
		goto bad;
	h = mi = 0;
	if (*p == '\0' && !zone_required)	/* a day: its 00:00 UTC */
		goto convert;
	if (*p != 'T' && *p != 't' && *p != ' ')
		goto bad;
	p++;
	if (digits(&p, 2, &h) < 0 || *p++ != ':' || digits(&p, 2, &mi) < 0)
		goto bad;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &sec) < 0)
			goto bad;
		if (*p == '.' || *p == ',') {	/* fractions: dropped */
			p++;
			if (!isdigit((unsigned char)*p))
				goto bad;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh) < 0)
			goto bad;
		if (*p == ':')
			p++;
		if (digits(&p, 2, &om) < 0)
			goto bad;
	} else if (zone_required) {
		goto bad;
	}
convert:
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60 || oh > 23 || om > 59)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = (int64_t)timegm(&tm);
	if (tm.tm_mday != d)	/* 31 February and the like */
		goto bad;
	*out = t - sign * (oh * 3600 + om * 60);
	return 0;
bad:
	ctl_fail(CTL_USAGE, "invalid %s '%s': expected %s or Unix seconds", what,
		 avec_text_safe(s, safe, sizeof(safe)), zone_required ?
		 "ISO 8601 with Z or an offset (2026-11-28T14:05:00Z)" :
		 "ISO 8601 (2026-11-28, 2026-11-28T14:05[:00][Z|+01:00]; UTC "
		 "when no zone is given)");
	return -1;
}

const struct ctl_cmd *
ctl_cmd_named(const struct ctl_cmd *cmds, const char *name)
{
	const struct ctl_cmd *cmd;

	for (cmd = cmds; cmd->name != NULL; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	abort();	/* a command's own name: a typo is a bug */
}
