/*
 * err.h - how libavec reports a failure to its caller.
 *
 * The core never logs (the FreeRADIUS glue logs through the request, avecd
 * and avecctl through log.h): a fallible function returns -1 (or NULL) and,
 * when the caller passed one, fills a struct avec_err with one sentence that
 * names what failed and why.  The message never holds a secret.
 */
#ifndef AVEC_ERR_H
#define AVEC_ERR_H

#define AVEC_ERR_MAX 256

struct avec_err {
	char msg[AVEC_ERR_MAX];
};

/* Format into err (which may be NULL); always returns -1 for tail calls. */
int avec_err_set(struct avec_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
