/* tests/fuzz/parse.c — libFuzzer target for graphql/parse: any bytes must give
 * either a document or exactly one GP_E_PARSE error, never a crash, a leak or UB.
 * On a document, gp_parse_operation_kind (the token scan a websocket uses to set
 * subscriptions apart) must name the kind the parser found, for every operation by
 * its name and for the only one without a name. */
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
    int ops = 0;
    for (const gp_operation_t *op = doc != NULL ? doc->operations : NULL; op != NULL; op = op->next) {
        ops++;
        int same = 0; /* operations of this name: the scan tells only a unique one */
        for (const gp_operation_t *o = doc->operations; o != NULL; o = o->next)
            same += op->name != NULL && o->name != NULL && strcmp(o->name, op->name) == 0;
        gp_operation_kind_t kind;
        if (op->name != NULL && same == 1 &&
            (!gp_parse_operation_kind(src, size, op->name, &kind) || kind != op->kind))
            abort();
    }
    gp_operation_kind_t kind;
    if (ops == 1 && (!gp_parse_operation_kind(src, size, NULL, &kind) || kind != doc->operations->kind))
        abort();
    gp_arena_free(a);
    free(src);
    return 0;
}
