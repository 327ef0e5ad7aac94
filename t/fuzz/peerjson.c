/* peerjson.c -- libFuzzer target for lib/pipeline/peer.c's /internal JSON: parse
 * any input as a page and as a single zone; every zone accepted must
 * survive peer_json_zone() and a second parse unchanged, and peer_job()
 * must never crash on it */
/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "job.h"
#include "json.h"
#include "peer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const struct store_zone *z)
{
	struct buf b = { NULL, 0, 0, 0 };
	struct store_zone y;
	struct json *tree;
	struct job job;
	char err[512], *prepared;

	peer_json_zone(&b, z);
	if (b.oom) {
		buf_free(&b);
		return;
	}
	if (peer_zone_parse(b.p, b.len, &y, &tree, err, sizeof(err)) < 0)
		abort();
	if (strcmp(y.name, z->name) != 0 ||
	    strcmp(y.hostname, z->hostname) != 0 ||
	    strcmp(y.username, z->username) != 0 || y.serial != z->serial ||
	    y.updated_us != z->updated_us || y.deleted_us != z->deleted_us ||
	    y.seq != z->seq || strcmp(y.hash, z->hash) != 0 ||
	    (z->text == NULL) != (y.text == NULL) ||
	    (z->text != NULL && (y.textlen != z->textlen ||
	    memcmp(y.text, z->text, z->textlen) != 0)))
		abort();
	if (peer_job(&y, &job, &prepared, err, sizeof(err)) == 0 &&
	    job.action == JOB_SAVE && job.text != prepared)
		abort();
	free(prepared);
	json_free(tree);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer_page pg;
	struct store_zone z;
	struct json *tree;
	char err[512];
	size_t i;

	if (peer_page_parse((const char *)data, size, &pg, err,
	    sizeof(err)) == 0) {
		for (i = 0; i < pg.n; i++) {
			if (pg.zones[i].seq <= pg.since ||
			    pg.zones[i].seq > pg.seq)
				abort();
			round_trip(&pg.zones[i]);
		}
		peer_page_free(&pg);
	} else if (err[0] == '\0')
		abort();
	if (peer_zone_parse((const char *)data, size, &z, &tree, err,
	    sizeof(err)) == 0) {
		round_trip(&z);
		json_free(tree);
	}
	return 0;
}
