/* tests/fuzz/parse.c — libFuzzer target for graphql/parse: any bytes must give
 * either a document or exactly one GP_E_PARSE error, never a crash, a leak or UB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1); /* gp_parse wants the NUL at src[len] */
    if (src == NULL)
        return 0;
    memcpy(src, data, size);
    src[size] = '\0';
    gp_arena_t *a = gp_arena_new(4096);
    gp_errors_t errs;
    gp_errors_init(&errs, a, src);
    gp_document_t *doc = gp_parse(a, src, size, &errs);
    if ((doc == NULL) != (errs.count == 1) || (errs.count == 1 && errs.head->kind != GP_E_PARSE))
        abort();
    if (errs.count == 1 && (errs.head->offset < 0 || (size_t)errs.head->offset > size) &&
        size <= GP_PARSE_MAX_LENGTH)
        abort(); /* every error points into the document (or at its end) */
    gp_arena_free(a);
    free(src);
    return 0;
}
