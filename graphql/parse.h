/* graphql/parse.h — GraphQL lexer and recursive-descent parser for executable documents. */
#ifndef GP_PARSE_H
#define GP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/arena.h"
#include "base/error.h"
#include "graphql/ast.h"

#define GP_PARSE_MAX_LENGTH (1024 * 1024) /* bytes of document */
#define GP_PARSE_MAX_TOKENS 100000
#define GP_PARSE_MAX_DEPTH 64             /* nesting of selection sets, lists and objects */

/* Parses src[0..len) into a document in arena `a`. On a syntax error or a limit,
 * returns NULL and appends exactly one GP_E_PARSE error (message as graphql-js
 * words it, e.g. "Syntax Error: Expected Name, found <EOF>.", with the offset
 * of the offending token). `src` must be NUL-terminated at `len` and outlive the
 * document: names point into the arena, but errors use `src` for locations. */
gp_document_t *gp_parse(gp_arena_t *a, const char *src, size_t len, gp_errors_t *errs);

/* The kind of the operation a request selects — the one named `name`, or the only
 * one when `name` is NULL — read with the lexer alone: no AST, no allocation, no
 * error recorded. Returns false when that cannot be told so cheaply (a lexical
 * error, a limit, no such operation, several and no name, a name used twice):
 * gp_parse and validation have the last word on all of those. For a transport that
 * treats subscriptions apart before it runs anything. */
bool gp_parse_operation_kind(const char *src, size_t len, const char *name, gp_operation_kind_t *kind);

#endif
