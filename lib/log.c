/*
 * log.c - one line per event, for AVEC's own programs.
 *
 * Owns the program name, the minimum level and the output stream.  A
 * secret is never formatted here: avec_log_secret() prints its label and
 * "[REMOVED]".  Lines longer than the buffer are cut, never split.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "avec/log.h"

static const char *log_prog = "avec";
static enum avec_log_level log_min = AVEC_LOG_INFO;
static FILE *log_out;

static const char *const level_names[] = { "error", "warning", "info", "debug" };

void
avec_log_init(const char *prog, enum avec_log_level min, void *stream)
{
	log_prog = prog ? prog : "avec";
	log_min = min;
	log_out = stream;
}

void
avec_vlog(enum avec_log_level lvl, const char *fmt, va_list ap)
{
	char line[1024], ts[32];
	struct tm tm;
	time_t now;
	FILE *out = log_out ? log_out : stderr;

	if (lvl > log_min)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	vsnprintf(line, sizeof(line), fmt, ap);
	fprintf(out, "%s %s[%s]: %s\n", ts, log_prog,
		level_names[lvl <= AVEC_LOG_DEBUG ? lvl : AVEC_LOG_DEBUG], line);
	fflush(out);
}

void
avec_log(enum avec_log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	avec_vlog(lvl, fmt, ap);
	va_end(ap);
}

void
avec_log_secret(enum avec_log_level lvl, const char *what, const char *secret)
{
	(void)secret;	/* deliberately never read */
	avec_log(lvl, "%s: [REMOVED]", what);
}
