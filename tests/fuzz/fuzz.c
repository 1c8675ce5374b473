/* fuzz — shared helpers of the libFuzzer targets. */
#include "fuzz.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *seed_dir; /* set only in --write-seeds mode */

void
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "fuzz: property violated at %s:%d: %s\n", file, line, what);
	abort();
}

unsigned char *
fuzz_dup(const void *p, size_t n)
{
	/* malloc(0) under ASan is a real zero-byte chunk: any access to it is reported. */
	unsigned char *q = malloc(n);

	if (q == NULL && n > 0)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	if (n > 0)
		memcpy(q, p, n);
	return q;
}

char *
fuzz_strdup(const void *p, size_t n)
{
	char *q = malloc(n + 1);

	if (q == NULL)
		fuzz_fail(__FILE__, __LINE__, "out of memory");
	if (n > 0)
		memcpy(q, p, n);
	q[n] = '\0';
	return q;
}

unsigned char *
fuzz_next_frame(const unsigned char *data, size_t size, size_t *off, size_t max, size_t *len)
{
	const unsigned char *p = data + *off;
	size_t avail = size - *off, flen = 0, k, n;
	unsigned char *head;
	int r;

	/* less than a header, each prefix copied alone so that a read past it trips ASan */
	for (k = 0; k < WIRE_HEADER_LEN && k <= avail; k++) {
		head = fuzz_dup(p, k);
		FUZZ_CHECK(wire_frame_ready(head, k, max, &flen) == 0);
		free(head);
	}
	if (avail < WIRE_HEADER_LEN)
		return NULL;
	n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	r = wire_frame_ready(p, avail, max, &flen);
	if (n == 0 || n > max) {
		FUZZ_CHECK(r == -1);
		return NULL;
	}
	FUZZ_CHECK(flen == WIRE_HEADER_LEN + n);
	FUZZ_CHECK(r == (avail >= flen ? 1 : 0));
	for (k = WIRE_HEADER_LEN; k < flen && k < avail; k++) {
		flen = 0;
		FUZZ_CHECK(wire_frame_ready(p, k, max, &flen) == 0 && flen == WIRE_HEADER_LEN + n);
	}
	if (r != 1)
		return NULL;
	*off += flen;
	*len = flen;
	return fuzz_dup(p, flen);
}

void
fuzz_each_frame(const unsigned char *data, size_t size, size_t max,
                void (*check)(const unsigned char *f, size_t len, int type))
{
	size_t off = 0, len;
	unsigned char *f;
	int type;

	while ((f = fuzz_next_frame(data, size, &off, max, &len)) != NULL) {
		type = wire_frame_type(f, len);
		FUZZ_CHECK(type == f[WIRE_HEADER_LEN]);
		check(f, len, type);
		free(f);
	}
}

bool
fuzz_bytes_eq(struct wire_bytes a, struct wire_bytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool
fuzz_bytes_inside(struct wire_bytes x, const unsigned char *frame, size_t len)
{
	return x.len == 0 ||
	       (x.p >= frame && x.len <= len && x.p - frame <= (ptrdiff_t)(len - x.len));
}

void
fuzz_seeds_mode(int argc, char **argv, fuzz_seeds_fn write)
{
	if (argc != 3 || strcmp(argv[1], "--write-seeds") != 0)
		return;
	seed_dir = argv[2];
	if (mkdir(seed_dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "could not create directory \"%s\": %s\n", seed_dir,
		        strerror(errno));
		exit(1);
	}
	write();
	exit(0);
}

void
fuzz_seed(const char *name, const void *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", seed_dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
		fprintf(stderr, "could not write seed \"%s\": %s\n", path, strerror(errno));
		exit(1);
	}
}

void
fuzz_seed_buf(const char *name, const struct wire_buf *b)
{
	FUZZ_CHECK(!b->failed);
	fuzz_seed(name, b->p, b->len);
}
