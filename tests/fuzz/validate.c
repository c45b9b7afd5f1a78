/* tests/fuzz/validate.c — libFuzzer target for validation with variables: the
 * input is a GraphQL document, then a NUL byte, then JSON variables. A document
 * that parses is validated against the blog schema (every rule), then each of its
 * operations has its variables coerced. Errors are fine; a crash, a leak, UB, or a
 * valid document whose coercion neither succeeds nor says why, is not.
 * Run from the repository root (it reads the blog fixture). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graphql/coerce.h"
#include "graphql/parse.h"
#include "graphql/validate.h"
#include "schema/catalog.h"
#include "schema/types.h"
#include "tests/unit/schema/fixture.h"

static gp_model_t *model;
static gp_schema_t *schema;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    model = fixture_model("blog");
    schema = gp_schema_build(model);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t doc_len = nul != NULL ? (size_t)(nul - data) : size;
    gp_arena_t *a = gp_arena_new(4096);
    char *src = gp_arena_strndup(a, (const char *)data, doc_len);
    json_t *variables = nul != NULL ? json_loadb((const char *)nul + 1, size - doc_len - 1, 0, NULL) : NULL;
    gp_errors_t errs;
    gp_errors_init(&errs, a, src);
    gp_document_t *doc = gp_parse(a, src, doc_len, &errs);
    if (doc != NULL && gp_validate(a, schema, doc, &errs) == 0) {
        for (const gp_operation_t *op = doc->operations; op != NULL; op = op->next) {
            int before = errs.count;
            json_t *coerced = gp_coerce_variables(a, schema, op, variables, &errs);
            if ((coerced == NULL) != (errs.count > before))
                abort();
            json_decref(coerced);
        }
    }
    json_decref(variables);
    gp_arena_free(a);
    return 0;
}
