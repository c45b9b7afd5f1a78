/* base/hash.h — a keyed 64-bit hash (FNV-1a mixed with a seed and a final avalanche):
 * document hashes for the plan cache, result hashes for subscriptions. Not for secrets. */
#ifndef GP_HASH_H
#define GP_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t gp_hash64(const void *data, size_t n, uint64_t seed);

/* `v` as 16 lowercase hex digits and a NUL, into `out`; returns `out`. On the request
 * path (request ids, prepared statement names), where snprintf showed in profiles. */
char *gp_hex64(char out[17], uint64_t v);

#endif
