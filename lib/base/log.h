/* log.h -- one-line diagnostics on stderr and exit codes for programs */
/* SPDX-License-Identifier: ISC */
#ifndef LOG_H
#define LOG_H

#define EXIT_NO		1	/* a negative answer, not an error */
#define EXIT_USAGE	100	/* wrong usage, bad config, permanently bad input */
#define EXIT_TEMP	111	/* temporary failure: retry */

enum log_level { LOG_FATAL, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Set the program name printed before every message. */
void log_init(const char *prog);

/* Set the highest level printed (default LOG_INFO). */
void log_set_level(enum log_level level);

/* Parse "debug", "info", "warning"/"warn", "error"/"fatal" (any case).
 * Returns the level, or -1 when the word is unknown. */
int log_level_parse(const char *word);

/* Print "prog: warning: message" and friends. Only programs call these;
 * library code returns errors to its caller instead. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Like log_warn() with ": strerror(errno)" appended. */
void log_warn_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "prog: fatal: message" and exit with code. */
void die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Like die() with ": strerror(errno)" appended. */
void die_sys(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

/* Print "prog: usage: usage" and exit EXIT_USAGE. */
void die_usage(const char *usage) __attribute__((noreturn));

#endif
