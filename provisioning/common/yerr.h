/*
 * yerr.h - the error list of AVEC's YAML file readers (the policy file,
 * the school profile): every problem found, as "FILE:LINE:COL: message",
 * handed over sorted by place (then by order found) once the walk ends.
 *
 * A reader collects rather than stops, so an administrator fixes a file
 * in one round.  Out of memory is sticky (oom) and reported as one more
 * message by yerr_finish().
 */
#ifndef AVEC_YERR_H
#define AVEC_YERR_H

#include <stdbool.h>
#include <stddef.h>

#include <yaml.h>

struct yerr_item {
	size_t line, col;	/* from 0, as libyaml's marks */
	unsigned seq;		/* order found, for a stable sort */
	char *msg;
};

struct yerr {
	const char *name;	/* the file's name in messages (borrowed) */
	struct yerr_item *item;	/* owned until yerr_finish() */
	unsigned n, cap;
	bool oom;
};

/* An error at @line, @col (from 0). */
void yerr_at(struct yerr *e, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error about node @n: "PATH: message" (no prefix when @path is empty). */
void yerr_node(struct yerr *e, const yaml_node_t *n, const char *path,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/*
 * yerr_finish - sort the errors and hand their messages to the caller:
 * *@msg (an array of *@n strings, the caller frees each and the array,
 * see yerr_strings_free).  The list is emptied in every case.
 * Returns: 0 when there was no error, else -1.
 */
int yerr_finish(struct yerr *e, char ***msg, unsigned *n);
/* Free what yerr_finish() handed over; *msg and *n are reset. */
void yerr_strings_free(char ***msg, unsigned *n);

#endif
