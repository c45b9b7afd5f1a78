/* base/json.h — writing JSON text, and reading request JSON without losing digits.
 * Values are jansson's (<jansson.h>); the reader is ours because jansson refuses
 * integers beyond 64 bits ("too big integer") and rounds every real to a double,
 * while bigint and numeric values must reach PostgreSQL digit for digit. */
#ifndef GP_JSON_H
#define GP_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* Appends s[0..n) as a quoted JSON string. Invalid UTF-8 bytes become U+FFFD,
 * so the output is always valid JSON whatever the input. */
void gp_json_string(gp_strbuf_t *sb, const char *s, size_t n);
void gp_json_cstring(gp_strbuf_t *sb, const char *s);

/* Exact numbers. A number that an int64 does not hold (any fraction or exponent,
 * or more than 64 bits) keeps its text. jansson has no such type, so it is a
 * string whose first byte is 0xFF: never valid UTF-8, and every string that
 * comes from a request or a document is valid UTF-8, so none can be mistaken for
 * one. Code that looks at request values asks these functions, not
 * json_is_string/json_is_number. */
json_t *gp_json_exact(const char *text, size_t n);      /* new reference */
bool gp_json_is_exact(const json_t *v);
const char *gp_json_exact_text(const json_t *v);         /* the number's text; NULL unless exact */
bool gp_json_is_number(const json_t *v);                  /* integer, real or exact */
bool gp_json_is_string(const json_t *v);                  /* a string that is not an exact number */
double gp_json_number_value(const json_t *v);             /* nearest double (±inf past its range) */

/* Parses JSON text (any value at the top, RFC 8259) into jansson values, with
 * exact numbers as above. Strings may hold U+0000 (json_string_length tells):
 * the layer that knows what a value is for rejects it with a message of its own.
 * Object keys may not (jansson cannot look them up). Depth is capped at 2048.
 * NULL with `err` filled (text, line, column, position) on invalid input. */
json_t *gp_json_load(const char *text, size_t len, json_error_t *err);

/* Appends `v` as compact JSON text (exact numbers as their digits, reals in the
 * fewest digits that read back the same). */
void gp_json_dump(gp_strbuf_t *sb, const json_t *v);

#endif
