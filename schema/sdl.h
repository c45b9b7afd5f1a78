/* schema/sdl.h — the derived GraphQL schema printed as SDL (graphpost --print-schema, golden tests). */
#ifndef GP_SDL_H
#define GP_SDL_H

#include "base/strbuf.h"
#include "schema/model.h"

void gp_sdl_print(const gp_model_t *m, gp_strbuf_t *out);

#endif
