/* credcache — the credentials kept in memory (see the header). */
#include <string.h>

#include "credcache.h"
#include "util.h"

/* The key is the token's SHA-256, which covers its prefix: kinds cannot be confused. */

bool
credcache_get(struct ncache *nc, const struct credential *cred, uint64_t now_us,
	      struct principal *out)
{
	size_t len;
	const void *v = ncache_get(nc, cred->hash, now_us, &len);

	if (v == NULL || len != sizeof(*out))
		return false;
	memcpy(out, v, sizeof(*out));
	return true;
}

void
credcache_put(struct ncache *nc, uint64_t ticket, const struct credential *cred,
	      const struct principal *who, uint64_t expires_us, uint64_t now_us)
{
	ncache_put(nc, ticket, cred->hash, who, sizeof(*who), expires_us, now_us);
}

void
credcache_forget_hex(struct ncache *nc, const char *list)
{
	const size_t hex = 2 * UTIL_SHA256_LEN;

	for (const char *p = list; *p != '\0'; p += hex + (p[hex] == ',')) {
		unsigned char hash[UTIL_SHA256_LEN];
		char one[2 * UTIL_SHA256_LEN + 1];

		if (strlen(p) < hex || (p[hex] != ',' && p[hex] != '\0')) {
			ncache_forget_all(nc); /* not understood: the safe reading */
			return;
		}
		memcpy(one, p, hex);
		one[hex] = '\0';
		if (!util_unhex(one, hash, UTIL_SHA256_LEN)) {
			ncache_forget_all(nc);
			return;
		}
		ncache_forget(nc, hash);
	}
}

void
credcache_notified(struct ncache *nc, const char *payload)
{
	if (strncmp(payload, "t:", 2) == 0)
		credcache_forget_hex(nc, payload + 2);
	else
		ncache_forget_all(nc);
}
