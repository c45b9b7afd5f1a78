/* server/health.h — the operational endpoints: /health and /ready (this worker's pool has
 * a live connection and the schema is loaded), /live (the process answers), /health/database (pool statistics).
 * Pure functions of the pool: http.c routes to them and sends what they return. */
#ifndef GP_OPS_H
#define GP_OPS_H

#include <stdbool.h>
#include <stddef.h>

#include "db/pool.h"

/* 200 {"status":"ok"} when the schema is loaded and the pool is healthy (a request
 * would be answered), else 503 {"status":"unavailable"}. */
int gp_health_health(const gp_pool_t *pool, bool schema_loaded, const char **body, size_t *len);

/* 200 {"status":"ok"} whenever the worker's loop runs. */
int gp_health_live(const char **body, size_t *len);

/* The health status with this worker's pool statistics, written into buf. */
int gp_health_database(const gp_pool_t *pool, bool schema_loaded, char *buf, size_t bufsize, size_t *len);

#endif
