/* hash.h -- content hash of zone texts (SHA-256, hex) */
/* SPDX-License-Identifier: ISC */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>

#define HASH_HEX_LEN	64

/* Write the lower-case hex SHA-256 of buf[0..len) and a NUL into out. */
void hash_hex(const void *buf, size_t len, char out[HASH_HEX_LEN + 1]);

#endif
