/* graphql/introspection.h — introspection (__schema, __type) answered from the type
 * system, without SQL: the JSON is built here and the compiler hands it to the statement
 * as one json parameter (resolvers/select.c), so an operation that mixes
 * introspection and data is still one statement, and one of pure introspection needs no
 * database round trip at all. */
#ifndef GP_INTROSPECTION_H
#define GP_INTROSPECTION_H

#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"
#include "graphql/collect.h"

/* Answers shared by every operation on one type system, across threads: each distinct
 * selection (fragments inlined, variables by value) is built once and kept until the
 * type system goes. At most GP_INTROSPECTION_SHARED_MAX bytes; what does not fit is
 * built per operation. */
typedef struct gp_introspection_answers gp_introspection_answers_t;

gp_introspection_answers_t *gp_introspection_answers_new(void);
void gp_introspection_answers_free(gp_introspection_answers_t *sa);

/* The answers of one operation: how to collect fields and read values, the answer of
 * each distinct selection built so far (in collect.arena; zero `memo` to start), and
 * the type system's shared answers (NULL: none). */
typedef struct gp_introspection {
    gp_collect_t collect;
    struct gp_introspection_memo *memo;
    gp_introspection_answers_t *shared;
} gp_introspection_t;

/* Bytes of one __schema or __type answer at most. 16 MiB is thirty times Pagila's
 * full introspection (~0.5 MB). */
#define GP_INTROSPECTION_ANSWER_MAX (16u << 20)

/* Bytes of keys and answers one gp_introspection_answers_t keeps: a few dozen
 * distinct full introspections of Pagila's size. */
#define GP_INTROSPECTION_SHARED_MAX (32u << 20)

/* Writes the JSON value of the query_root field `g` (__schema or __type(name:)),
 * for its merged selection sets, to `out`. Fragments, @skip/@include and variables
 * are applied with gp_collect_fields. Returns 0, or -1 with an error added. */
int gp_introspection_root_field(gp_introspection_t *in, const gp_field_group_t *g, gp_strbuf_t *out);

/* The JSON value of __schema or __type `g`, built once per `in` for each distinct
 * selection — once per type system when `in->shared` is set: a hundred aliases of one
 * selection share one text (the same pointer). NULL with an error added when it
 * cannot be answered. */
const char *gp_introspection_root_value(gp_introspection_t *in, const gp_field_group_t *g);

/* True when every root field is __schema, __type or __typename: the operation is
 * answered by the server alone, with no statement. */
bool gp_introspection_only(const gp_field_group_t *groups);

/* The `data` object of such an operation as a NULL-terminated list of texts to
 * concatenate; the value of every alias of one selection is the same pointer. NULL
 * with an error added. */
const char *const *gp_introspection_answer(gp_introspection_t *in, const gp_field_group_t *groups);

/* A copy of `answer` in `a` that keeps each distinct text once. */
const char *const *gp_introspection_answer_copy(gp_arena_t *a, const char *const *answer);

/* Bytes of the distinct texts of `answer` (what a copy keeps) and of the whole
 * concatenation (what a response carries). */
size_t gp_introspection_answer_kept(const char *const *answer);
size_t gp_introspection_answer_len(const char *const *answer);

#endif
