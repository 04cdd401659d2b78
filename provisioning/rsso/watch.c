/*
 * watch.c - the bindings as the store commits them, turned into copies
 * (watch.h).
 *
 * It keeps the open bindings it follows in an array sorted by row: each
 * tick first reads the rows added since the last one seen (a new binding
 * opens: Start), then walks the open bindings in row order beside the
 * array: one the array has and the store no longer lists as open has
 * ended or run out (Stop, read again for its end), one still open that
 * now names a person is announced (Start).  A tick reads nothing when no
 * connection committed since the last (SQLite's data_version) and no
 * binding is due to run out or to be refreshed.
 *
 * It owns that table and the choice of copies; it must never write the
 * store, and never send (sender.c does).
 */
#include <stdlib.h>
#include <string.h>

#include "avec/addr_feed.h"
#include "avec/log.h"
#include "watch.h"

#define NEW_BATCH	512

enum state { PENDING, ANNOUNCED, IGNORED };

struct entry {
	int64_t id, expires_at, sent_at;
	enum state state;
};

struct rsso_watch {
	struct rsso_watch_conf c;
	struct avec_store *st;
	struct rsso_sender *out;
	struct entry *e, *nx;	/* the table, and the next one being built */
	unsigned n, nn;
	int64_t last_id, next_due, now;
	unsigned i;		/* the walk's place in e */
	bool seeding;
	uint64_t untracked, purged;
};

struct rsso_watch *
rsso_watch_new(const struct rsso_watch_conf *c, struct avec_store *st,
	       struct rsso_sender *out)
{
	struct rsso_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->c = *c;
	if (w->c.track_max == 0)
		w->c.track_max = 1;
	w->e = calloc(w->c.track_max, sizeof(*w->e));
	w->nx = calloc(w->c.track_max, sizeof(*w->nx));
	if (w->e == NULL || w->nx == NULL) {
		rsso_watch_free(w);
		return NULL;
	}
	w->st = st;
	w->out = out;
	w->seeding = true;
	return w;
}

void
rsso_watch_free(struct rsso_watch *w)
{
	if (w == NULL)
		return;
	free(w->e);
	free(w->nx);
	free(w);
}

static bool
role_wanted(const struct rsso_watch *w, const char *role)
{
	unsigned i;

	if (w->c.roles[0] == NULL)
		return true;
	for (i = 0; w->c.roles[i] != NULL; i++)
		if (strcmp(w->c.roles[i], role) == 0)
			return true;
	return false;
}

static void
send_copy(struct rsso_watch *w, enum rsso_status status,
	  const struct avec_feed_rec *b, int64_t at)
{
	struct rsso_copy c;

	c.status = status;
	c.b = *b;
	c.at = at;
	rsso_sender_push(w->out, &c);
}

/* Where a binding that is open and followed stands: announce it if it
 * names a person of a chosen role. */
static enum state
classify(struct rsso_watch *w, const struct avec_feed_rec *b,
	 struct entry *e)
{
	if (b->principal[0] == '\0')
		return PENDING;
	if (!role_wanted(w, b->role))
		return IGNORED;
	send_copy(w, RSSO_START, b, b->bound_at);
	e->sent_at = w->now;
	return ANNOUNCED;
}

/* Append to the table being built. */
static struct entry *
keep(struct rsso_watch *w, int64_t id, int64_t expires_at)
{
	struct entry *e;

	if (w->nn == w->c.track_max) {
		w->untracked++;
		return NULL;
	}
	e = &w->nx[w->nn++];
	memset(e, 0, sizeof(*e));
	e->id = id;
	e->expires_at = expires_at;
	return e;
}

/* A followed binding is no longer open: its Stop, if it was announced. */
static void
ended(struct rsso_watch *w, const struct entry *e)
{
	struct avec_err err = { { 0 } };
	struct avec_feed_rec b;
	int rc;

	if (e->state != ANNOUNCED)
		return;
	rc = avec_store_feed_get(w->st, e->id, &b, &err);
	if (rc < 0)
		avec_err_log("%s", err.msg);
	if (rc != 0) {
		w->purged++;
		return;
	}
	send_copy(w, RSSO_STOP, &b, b.ended_at ? b.ended_at :
		  b.expires_at < w->now ? b.expires_at : w->now);
}

/* A binding in the open list that the table has, or is seeding. */
static void
still_open(struct rsso_watch *w, const struct entry *old,
	   const struct avec_feed_open *o)
{
	struct avec_err err = { { 0 } };
	struct avec_feed_rec b;
	struct entry *e = keep(w, o->id, o->expires_at);
	bool pending = old == NULL || (old->state == PENDING && o->has_principal);
	bool interim = old != NULL && old->state == ANNOUNCED &&
	    w->c.interim_s > 0 && w->now - old->sent_at >= w->c.interim_s;

	if (e == NULL)
		return;
	if (old != NULL) {
		e->state = old->state;
		e->sent_at = old->sent_at;
	}
	if (!pending && !interim)
		return;
	if (avec_store_feed_get(w->st, o->id, &b, &err) != 0) {
		e->state = old != NULL ? old->state : PENDING;
		return;
	}
	if (pending) {
		e->state = classify(w, &b, e);
	} else {
		send_copy(w, RSSO_INTERIM, &b, w->now);
		e->sent_at = w->now;
	}
}

static int
on_open(const struct avec_feed_open *o, void *ctx)
{
	struct rsso_watch *w = ctx;

	while (w->i < w->n && w->e[w->i].id < o->id)
		ended(w, &w->e[w->i++]);
	if (w->i < w->n && w->e[w->i].id == o->id)
		still_open(w, &w->e[w->i++], o);
	else if (w->seeding && o->id <= w->last_id)
		still_open(w, NULL, o);
	/* else: added after the rows read this tick; the next tick's */
	return 0;
}

static int
on_new(const struct avec_feed_rec *b, void *ctx)
{
	struct rsso_watch *w = ctx;
	struct entry *e;

	w->last_id = b->id;
	if (b->ended_at != 0 || b->expires_at <= w->now)
		return 0;	/* over before it was seen: never announced */
	/* rows after the table's last: the array stays in row order */
	if ((e = keep(w, b->id, b->expires_at)) != NULL)
		e->state = classify(w, b, e);
	return 0;
}

int
rsso_watch_tick(struct rsso_watch *w, int64_t now)
{
	struct avec_err err = { { 0 } };
	struct entry *t;
	int64_t last_id = w->last_id;
	unsigned got, k;
	int changed;

	w->now = now;
	if (w->seeding) {
		if (avec_store_feed_last(w->st, &w->last_id, &err) < 0)
			goto fail;
		avec_store_changed(w->st, &err);
	} else {
		changed = avec_store_changed(w->st, &err);
		if (changed < 0)
			goto fail;
		if (changed == 0 && now < w->next_due)
			return 0;
	}
	w->nn = 0;
	w->i = 0;
	if (avec_store_feed_open(w->st, now, on_open, w, &err) < 0)
		goto fail;
	while (w->i < w->n)
		ended(w, &w->e[w->i++]);
	/* then the rows added since: in row order after every open one */
	do {
		if (avec_store_feed_after(w->st, w->last_id, NEW_BATCH, on_new,
					  w, &got, &err) < 0)
			goto fail;
	} while (got == NEW_BATCH);
	t = w->e;
	w->e = w->nx;
	w->nx = t;
	w->n = w->nn;
	w->seeding = false;
	w->next_due = INT64_MAX;
	for (k = 0; k < w->n; k++) {
		int64_t due = w->e[k].expires_at;

		if (w->e[k].state == ANNOUNCED && w->c.interim_s > 0 &&
		    w->e[k].sent_at + w->c.interim_s < due)
			due = w->e[k].sent_at + w->c.interim_s;
		if (due < w->next_due)
			w->next_due = due;
	}
	return 0;
fail:
	/* the table is left as it was: the next tick reads it all again
	 * (a copy queued meanwhile may then go twice: harmless) */
	w->last_id = last_id;
	avec_err_log("%s", err.msg);
	return -1;
}

void
rsso_watch_size(const struct rsso_watch *w, unsigned *followed,
		unsigned *announced)
{
	unsigned k, a = 0;

	for (k = 0; k < w->n; k++)
		a += w->e[k].state == ANNOUNCED;
	*followed = w->n;
	*announced = a;
}
