/* server/ops.h — the operational endpoints: /health and /ready (this worker's pool has
 * a live connection), /live (the process answers), /health/database (pool statistics).
 * Pure functions of the pool: http.c routes to them and sends what they return. */
#ifndef GP_OPS_H
#define GP_OPS_H

#include <stddef.h>

#include "server/pool.h"

/* 200 {"status":"ok"} when the pool is healthy, else 503 {"status":"unavailable"}. */
int gp_ops_health(const gp_pool_t *pool, const char **body, size_t *len);

/* 200 {"status":"ok"} whenever the worker's loop runs. */
int gp_ops_live(const char **body, size_t *len);

/* The health status with this worker's pool statistics, written into buf. */
int gp_ops_database(const gp_pool_t *pool, char *buf, size_t bufsize, size_t *len);

#endif
