/* schema/sdl.h — the derived GraphQL schema printed as SDL (graphpost --print-schema, golden tests). */
#ifndef GP_SDL_H
#define GP_SDL_H

#include "base/strbuf.h"
#include "schema/model.h"
#include "schema/types.h"

/* Prints the API part of `s`: the built-in scalars, the introspection types and the
 * built-in directives are implied by every GraphQL schema and left out. */
void gp_sdl_print_schema(const gp_schema_t *s, gp_strbuf_t *out);

/* The same for a model, whose type system is built and freed on the way. */
void gp_sdl_print(const gp_model_t *m, gp_strbuf_t *out);

#endif
