/*
 * log.h - logging for AVEC's programs (avecctl, avecd).
 *
 * One line per event: time, level, program, an optional request id, the
 * message.  A secret never reaches a log: pass it through avec_log_secret(),
 * which prints "[REMOVED]".  The core library does not log; the FreeRADIUS
 * module logs through FreeRADIUS's own request macros.
 */
#ifndef AVEC_LOG_H
#define AVEC_LOG_H

#include <stdarg.h>

enum avec_log_level { AVEC_LOG_ERR = 0, AVEC_LOG_WARN, AVEC_LOG_INFO, AVEC_LOG_DEBUG };

/* Program name, minimum level and output (stderr when NULL). */
void avec_log_init(const char *prog, enum avec_log_level min, void *stream);
void avec_log(enum avec_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void avec_vlog(enum avec_log_level lvl, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Logs "<what>: [REMOVED]": the value itself is never printed. */
void avec_log_secret(enum avec_log_level lvl, const char *what, const char *secret);

#define avec_err_log(...)	avec_log(AVEC_LOG_ERR, __VA_ARGS__)
#define avec_warn(...)		avec_log(AVEC_LOG_WARN, __VA_ARGS__)
#define avec_info(...)		avec_log(AVEC_LOG_INFO, __VA_ARGS__)
#define avec_debug(...)		avec_log(AVEC_LOG_DEBUG, __VA_ARGS__)

#endif
