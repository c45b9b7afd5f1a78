/* base/json.h — writing JSON text. Reading JSON is jansson's job (<jansson.h>). */
#ifndef GP_JSON_H
#define GP_JSON_H

#include <stddef.h>

#include "strbuf.h"

/* Appends s[0..n) as a quoted JSON string. Invalid UTF-8 bytes become U+FFFD,
 * so the output is always valid JSON whatever the input. */
void gp_json_string(gp_strbuf_t *sb, const char *s, size_t n);
void gp_json_cstring(gp_strbuf_t *sb, const char *s);

#endif
