/* server/health.h — the operational endpoints as pure functions of the process's
 * numbers (server/metrics.h): /live (the process answers), /ready (the schema is
 * loaded and the database reachable), /health (that, with uptime and version),
 * /health/database (the pools' numbers summed over every thread), /metrics
 * (Prometheus). http.c routes to them and sends what they write. */
#ifndef GP_HEALTH_H
#define GP_HEALTH_H

#include <stdbool.h>

#include "base/strbuf.h"
#include "server/metrics.h"

/* Each writes its JSON body into `out` and returns the HTTP status. */
int gp_health_live(gp_strbuf_t *out);
int gp_health_ready(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out);
int gp_health_health(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out);
int gp_health_database(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out);

#endif
