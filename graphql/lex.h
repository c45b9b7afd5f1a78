/* graphql/lex.h — the GraphQL lexer: source text → tokens that are slices of it.
 * Used by graphql/parse.c only. Every token is fully checked as it is read (UTF-8,
 * string escapes, number shape), so decoding a string token later cannot fail.
 * The first error is sticky: it is added to `errs` once, with graphql-js's wording
 * and the byte offset where it happened, and every later call returns GP_TOK_ERROR. */
#ifndef GP_LEX_H
#define GP_LEX_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/error.h"

typedef enum {
    GP_TOK_EOF,
    GP_TOK_BANG,
    GP_TOK_DOLLAR,
    GP_TOK_AMP,
    GP_TOK_PAREN_L,
    GP_TOK_PAREN_R,
    GP_TOK_SPREAD,
    GP_TOK_COLON,
    GP_TOK_EQUALS,
    GP_TOK_AT,
    GP_TOK_BRACKET_L,
    GP_TOK_BRACKET_R,
    GP_TOK_BRACE_L,
    GP_TOK_PIPE,
    GP_TOK_BRACE_R,
    GP_TOK_NAME,
    GP_TOK_INT,
    GP_TOK_FLOAT,
    GP_TOK_STRING,
    GP_TOK_BLOCK_STRING,
    GP_TOK_ERROR, /* an error was reported; nothing more will be read */
} gp_tok_kind_t;

typedef struct gp_token {
    gp_tok_kind_t kind;
    size_t start; /* byte offset of the first character */
    size_t len;   /* bytes, quotes included for strings */
} gp_token_t;

typedef struct gp_lexer {
    const char *src;
    size_t len;
    size_t pos; /* where the search for the next token begins */
    gp_errors_t *errs;
    bool failed;
} gp_lexer_t;

/* `errs` may be NULL: errors then only make the lexer fail, unrecorded. */
void gp_lex_init(gp_lexer_t *lx, const char *src, size_t len, gp_errors_t *errs);

/* Skips ignored tokens (white space, line terminators, commas, comments, BOMs) and
 * returns the next token; GP_TOK_EOF at the end, GP_TOK_ERROR once anything failed. */
gp_token_t gp_lex_next(gp_lexer_t *lx);

/* The value of a GP_TOK_STRING or GP_TOK_BLOCK_STRING token, unescaped (block strings
 * dedented as the spec's BlockStringValue() says), NUL-terminated, in arena `a`.
 * `*len` excludes the terminator; the value may contain NUL itself (from \u0000). */
char *gp_lex_string(gp_lexer_t *lx, gp_arena_t *a, const gp_token_t *tok, size_t *len);

/* How graphql-js names a kind in messages: "<EOF>", "\"{\"", "Name", "BlockString"… */
const char *gp_lex_kind_name(gp_tok_kind_t kind);

/* Reports "Syntax Error: <message>" at `offset` unless an error was already reported;
 * either way the lexer has failed afterwards. The parser reports through this too. */
void gp_lex_fail(gp_lexer_t *lx, long offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
