/* schema/catalog.h — the catalog query and the loader that turns its answer into a model.
 * The query runs elsewhere (server/ at startup); this module only knows its text and
 * its JSON, so saved answers make unit-test fixtures. */
#ifndef GP_INTROSPECT_H
#define GP_INTROSPECT_H

#include <stddef.h>

#include "schema/model.h"

/* One statement, one parameter: $1 is a text[] of schema names. Its single row has
 * a single json cell describing every table, view, materialized view, partitioned
 * table, column, key, enum, domain and comment of those schemas. */
extern const char gp_catalog_sql[];

/* Builds a model from the catalog query's JSON answer. `schemas` are the exposed
 * schemas, first the default one (its tables get no prefix). Returns NULL and
 * writes one line to `err` if the JSON is not what the query produces. */
gp_model_t *gp_model_load(const char *json, size_t len, const char *const *schemas, int nschemas,
                          char *err, size_t errlen);

#endif
