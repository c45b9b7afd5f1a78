/* tests/fuzz/json.c — libFuzzer target for base/json's reader (gp_json_load), the
 * first thing every request body meets: any bytes must give a value or an error,
 * never a crash, a leak or UB; and what it accepts must survive gp_json_dump and a
 * second load unchanged (so exact numbers keep their digits both ways). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/json.h"

static const char *dump(gp_arena_t *a, const json_t *v, size_t *len)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 26);
    gp_json_dump(&sb, v);
    if (sb.error)
        return NULL;
    *len = sb.len;
    return sb.data;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *v = gp_json_load((const char *)data, size, NULL);
    if (v == NULL)
        return 0;
    gp_arena_t *a = gp_arena_new(4096);
    size_t n1, n2;
    const char *once = dump(a, v, &n1);
    if (once != NULL) {
        json_t *again = gp_json_load(once, n1, NULL);
        if (again == NULL)
            abort(); /* gp_json_dump wrote what gp_json_load refuses */
        const char *twice = dump(a, again, &n2);
        if (twice == NULL || n1 != n2 || memcmp(once, twice, n1) != 0)
            abort(); /* a value changed on its way through text */
        json_decref(again);
    }
    gp_arena_free(a);
    json_decref(v);
    return 0;
}
