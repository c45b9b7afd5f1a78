/* base/error.h — GraphQL errors: what went wrong, where in the document, and how
 * it is reported (extensions.code and HTTP status from one table). */
#ifndef GP_ERROR_H
#define GP_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "arena.h"
#include "strbuf.h"

/* X(kind, extensions.code, HTTP status). The database's error classes use Hasura's
 * codes (constraint-violation, data-exception, permission-error, not-supported),
 * which clients written against Hasura look for. */
#define GP_ERROR_KINDS(X)                                          \
    X(GP_E_PARSE, "GRAPHQL_PARSE_FAILED", 400)                     \
    X(GP_E_VALIDATION, "GRAPHQL_VALIDATION_FAILED", 400)           \
    X(GP_E_BAD_INPUT, "BAD_USER_INPUT", 400)                       \
    X(GP_E_TOO_COMPLEX, "QUERY_TOO_COMPLEX", 400)                  \
    X(GP_E_REQUEST, "BAD_REQUEST", 400)                            \
    X(GP_E_DATABASE, "DATABASE_ERROR", 200)                        \
    X(GP_E_CONSTRAINT, "constraint-violation", 200)                \
    X(GP_E_DATA, "data-exception", 200)                            \
    X(GP_E_PERMISSION, "permission-error", 200)                    \
    X(GP_E_NOT_SUPPORTED, "not-supported", 200)                    \
    X(GP_E_UNAVAILABLE, "SERVICE_UNAVAILABLE", 503)                \
    X(GP_E_INTERNAL, "INTERNAL_SERVER_ERROR", 500)

/* The SQLSTATE graphpost's own statements raise when a nested insert cannot go on: a
 * parent row was not written (on_conflict skipped it), so its children have no key.
 * Class ZG lies in the range SQL leaves to implementations and PostgreSQL does not use. */
#define GP_SQLSTATE_NO_ROW "ZG001"

typedef enum {
#define GP_X(kind, code, status) kind,
    GP_ERROR_KINDS(GP_X)
#undef GP_X
} gp_error_kind_t;

const char *gp_error_code(gp_error_kind_t kind);
int gp_error_status(gp_error_kind_t kind);

typedef struct gp_error {
    gp_error_kind_t kind;
    const char *message;
    long offset;            /* byte offset into the document, or -1 */
    const char *path;       /* JSON array text such as ["users",0,"name"], or NULL */
    const char *sqlstate;   /* for an error PostgreSQL raised (GP_E_DATABASE, GP_E_CONSTRAINT, …), else NULL */
    const char *constraint; /* the constraint PostgreSQL names, for extensions.constraint, or NULL */
    const char *internal;   /* JSON object text for extensions.internal (--dev only), or NULL */
    struct gp_error *next;
} gp_error_t;

typedef struct gp_errors {
    gp_arena_t *arena;
    const char *source;     /* the document, to turn offsets into line/column */
    gp_error_t *head, *tail;
    int count;
} gp_errors_t;

void gp_errors_init(gp_errors_t *errs, gp_arena_t *a, const char *source);

/* Appends an error and returns it, so the caller may set path or sqlstate. */
gp_error_t *gp_errors_add(gp_errors_t *errs, gp_error_kind_t kind, long offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
gp_error_t *gp_errors_vadd(gp_errors_t *errs, gp_error_kind_t kind, long offset, const char *fmt, va_list ap);

/* For a check that validation already made: what a later step cannot handle in a
 * validated document (`fmt`: "the fragment \"F\"", …) is a bug of the validator, not
 * of the request. Adds one GP_E_INTERNAL error, worded here only ("Internal error: the
 * validated document has <what>, which the server does not handle.") and logs it, so
 * that the bug gives a clean error, never a crash nor a second wording of a validation
 * message. Each layer wraps it once (gp_collect_unreachable, gp_compile_unreachable). */
gp_error_t *gp_errors_vunreachable(gp_errors_t *errs, long offset, const char *fmt, va_list ap);

/* Writes the JSON array for a response's "errors" member. */
void gp_errors_render(const gp_errors_t *errs, gp_strbuf_t *out);

/* HTTP status for a response carrying these errors (the first error decides). */
int gp_errors_status(const gp_errors_t *errs);

/* 1-based line and column of byte `offset` in `src`, counting characters, not bytes. */
void gp_source_location(const char *src, size_t offset, int *line, int *column);

#endif
