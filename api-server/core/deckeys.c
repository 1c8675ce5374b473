/* deckeys — the decision key cache (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "deckeys.h"
#include "keys.h"
#include "log.h"
#include "store_decisions.h"

struct entry {
	char id[UTIL_UUID_LEN + 1];
	struct deckey k;
};

struct deckeys {
	size_t n;
	struct entry entries[];
};

struct deckeys *
deckeys_new(size_t n)
{
	struct deckeys *dk = calloc(1, sizeof(*dk) + n * sizeof(struct entry));

	if (dk != NULL)
		dk->n = n;
	return dk;
}

void
deckeys_free(struct deckeys *dk)
{
	if (dk == NULL)
		return;
	OPENSSL_cleanse(dk->entries, dk->n * sizeof(struct entry));
	free(dk);
}

/* The entry decision id maps to: by a hash of its id. */
static struct entry *
slot_of(struct deckeys *dk, const char *id)
{
	unsigned char h[UTIL_SHA256_LEN];
	size_t x;

	util_sha256(id, strlen(id), h);
	memcpy(&x, h, sizeof(x));
	return &dk->entries[x % dk->n];
}

struct key_wait {
	struct core *c;
	deckeys_cb cb;
	void *arg;
	char id[UTIL_UUID_LEN + 1];
};

static void
read_cb(void *arg, const struct problem *no, bool found, const unsigned char *wrapped,
	size_t len, int ballot_size)
{
	struct key_wait *w = arg;
	struct problem why;
	struct deckey k;

	if (no == NULL && !found)
		no = problem_set(&why, 404, "not-found", "There is no such decision.");
	if (no != NULL || wrapped == NULL) { /* wrapped NULL: purged, the key is gone */
		w->cb(w->arg, no, NULL);
		free(w);
		return;
	}
	k.ballot_size = ballot_size;
	if (crypto_deckey_open(w->c->keys->master, w->id, wrapped, len, &k.k) != 0) {
		log_error("the data key of decision %s does not open with the master key", w->id);
		w->cb(w->arg, problem_set(&why, 500, "internal-error",
					  "The decision's key does not open."), NULL);
		free(w);
		return;
	}
	if (w->c->deckeys != NULL) {
		struct entry *e = slot_of(w->c->deckeys, w->id);
		snprintf(e->id, sizeof(e->id), "%s", w->id);
		e->k = k;
	}
	w->cb(w->arg, NULL, &k);
	crypto_deckey_wipe(&k.k);
	free(w);
}

void
deckeys_get(struct core *c, const char *id, deckeys_cb cb, void *arg)
{
	struct key_wait *w;
	struct problem no;

	if (c->deckeys != NULL) {
		struct entry *e = slot_of(c->deckeys, id);
		if (strcmp(e->id, id) == 0) {
			cb(arg, NULL, &e->k);
			return;
		}
	}
	if ((w = malloc(sizeof(*w))) == NULL) {
		cb(arg, problem_set(&no, 500, "internal-error", "Out of memory."), NULL);
		return;
	}
	*w = (struct key_wait){c, cb, arg, ""};
	snprintf(w->id, sizeof(w->id), "%s", id);
	store_decision_key(c->db, id, read_cb, w);
}
