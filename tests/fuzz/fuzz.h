/* fuzz — what the libFuzzer targets share: property checks that abort with a message (so
 * libFuzzer keeps the input as a crash artifact), exact-size heap copies (so ASan sees a
 * read one byte past a field), and the --write-seeds mode that regenerates a target's seed
 * corpus under tests/fuzz/corpus/. */
#ifndef FREECOOP_FUZZ_H
#define FREECOOP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Aborts naming the property and where it was checked unless cond holds. Unlike assert() it
 * is never compiled out: the fuzz preset builds with NDEBUG. */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* A heap copy of p[0..n) of exactly n bytes; the caller frees it. Aborts when memory runs
 * out (a fuzz run has no use for a half-checked input). */
unsigned char *fuzz_dup(const void *p, size_t n);

/* A heap copy of p[0..n) plus a NUL, n + 1 bytes; the caller frees it. */
char *fuzz_strdup(const void *p, size_t n);

/* Cuts the next frame off the stream data[*off..size), as either end of the wire reads it,
 * and checks wire_frame_ready on the way: "not yet" for every prefix of the frame, "ready"
 * once it is whole, "violation" exactly for a length of 0 or above max, and the same frame
 * length whatever part of the frame has arrived. Returns an exact heap copy of the frame
 * (the caller frees) with its length in *len and advances *off; NULL when the rest is not a
 * whole frame of at most max bytes. */
unsigned char *fuzz_next_frame(const unsigned char *data, size_t size, size_t *off, size_t max,
                               size_t *len);

/* Checks each frame of data[0..size) that fuzz_next_frame cuts off: its type byte is what
 * wire_frame_type says, and check(frame, len, type) holds. */
void fuzz_each_frame(const unsigned char *data, size_t size, size_t max,
                     void (*check)(const unsigned char *f, size_t len, int type));

/* A wire_bytes of a string literal, without its NUL. */
#define FUZZ_BYTES(s) ((struct wire_bytes){(const unsigned char *)(s), (uint32_t)(sizeof(s) - 1)})

/* Whether the byte strings a and b are equal. */
bool fuzz_bytes_eq(struct wire_bytes a, struct wire_bytes b);

/* Whether x lies inside frame[0..len) (an empty one may point anywhere). */
bool fuzz_bytes_inside(struct wire_bytes x, const unsigned char *frame, size_t len);

/* Writes a target's seeds by calling fuzz_seed() for each. */
typedef void (*fuzz_seeds_fn)(void);

/* For LLVMFuzzerInitialize, which runs before libFuzzer reads its flags: when the arguments
 * are exactly `--write-seeds DIR`, creates DIR, runs write and exits 0; otherwise returns
 * and libFuzzer goes on as usual. */
void fuzz_seeds_mode(int argc, char **argv, fuzz_seeds_fn write);

/* Writes the seed file name (a short descriptive name, no '/') holding p[0..n) into the
 * --write-seeds directory, replacing any file of that name; exits 1 on an I/O error. */
void fuzz_seed(const char *name, const void *p, size_t n);

/* fuzz_seed of the content of b, which must hold whole frames (aborts if b->failed). */
void fuzz_seed_buf(const char *name, const struct wire_buf *b);

#endif
