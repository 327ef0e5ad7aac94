/* buf.h -- a growable byte buffer, always NUL-terminated, with a sticky
 * out-of-memory mark so a builder can check once at the end */
/* SPDX-License-Identifier: ISC */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char	*p;	/* NULL until the first byte; then p[len] == '\0' */
	size_t	 len;
	size_t	 cap;
	int	 oom;	/* set by the first failed allocation, never cleared */
};

/* Make room for more bytes and the NUL. Returns 0, or -1 with b->oom set
 * (also when b->oom was already set). */
int buf_reserve(struct buf *b, size_t more);

/* Append n bytes. Returns 0, or -1 as buf_reserve(). */
int buf_add(struct buf *b, const void *data, size_t n);

/* Append a NUL-terminated string. Returns 0, or -1 as buf_reserve(). */
int buf_adds(struct buf *b, const char *s);

/* Append printf output. Returns 0, or -1 as buf_reserve(). */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Forget the contents, keep the memory and the oom mark. */
void buf_clear(struct buf *b);

/* Free the memory; b is an empty buffer again. */
void buf_free(struct buf *b);

#endif
