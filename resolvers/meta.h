/* resolvers/meta.h — introspection (__schema, __type) answered from the type system,
 * without SQL: the JSON is built here and handed to the statement as one json
 * parameter, so an operation that mixes introspection and data is still one
 * statement, and one of pure introspection needs no database round trip at all. */
#ifndef GP_META_H
#define GP_META_H

#include "base/strbuf.h"
#include "resolvers/compile.h"
#include "resolvers/plan_select.h"

/* Bytes of one __schema or __type answer at most. 16 MiB is thirty times Pagila's
 * full introspection (~0.5 MB). */
#define GP_META_ANSWER_MAX (16u << 20)

/* Writes the JSON value of the query_root field `g` (__schema or __type(name:)),
 * for its merged selection sets, to `out`. Fragments, @skip/@include and variables
 * are applied with gp_select_collect. Returns 0, or -1 with an error added. */
int gp_meta_root_field(gp_compile_t *c, const gp_field_group_t *g, gp_strbuf_t *out);

/* The JSON value of __schema or __type `g`, built once per compilation for each
 * distinct selection: a hundred aliases of one selection share one text (in the
 * compilation's arena). NULL with an error added when it cannot be answered. */
const char *gp_meta_root_value(gp_compile_t *c, const gp_field_group_t *g);

/* Writes `$n::json` for __schema or __type `g`: one bind parameter per distinct
 * selection, however many aliases repeat it. Returns 0, or -1 with an error. */
int gp_meta_root_param(gp_compile_t *c, const gp_field_group_t *g);

/* True when every root field is __schema, __type or __typename: the operation is
 * answered by the server alone, with no statement. */
bool gp_meta_only(const gp_field_group_t *groups);

/* The `data` object of such an operation as a NULL-terminated list of texts to
 * concatenate; the value of every alias of one selection is the same pointer. NULL
 * with an error added. */
const char *const *gp_meta_answer(gp_compile_t *c, const gp_field_group_t *groups);

/* A copy of `answer` in `a` that keeps each distinct text once. */
const char *const *gp_meta_answer_copy(gp_arena_t *a, const char *const *answer);

/* Bytes of the distinct texts of `answer` (what a copy keeps) and of the whole
 * concatenation (what a response carries). */
size_t gp_meta_answer_kept(const char *const *answer);
size_t gp_meta_answer_len(const char *const *answer);

#endif
