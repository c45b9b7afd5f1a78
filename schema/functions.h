/* schema/functions.h — the catalog's functions → root fields, computed fields and mutations
 * (rules: schema/README, Functions). */
#ifndef GP_FUNCTIONS_H
#define GP_FUNCTIONS_H

#include <jansson.h>

#include "schema/model.h"

/* Reads the catalog JSON's "functions" array (NULL: none) into m->functions, every
 * one with its volatility; marks the ones exposed as root fields or computed fields, and
 * the VOLATILE ones that are mutation_root fields, and gives each table its computed
 * fields. Needs the tables with their relationships named (a computed field loses to a
 * column or relationship of the same name) and their mutation flags (a mutation loses to
 * a table's). Logs one line per function it skips. Allocates in m->arena. */
void gp_functions_load(gp_model_t *m, json_t *arr, const char *default_schema);

#endif
