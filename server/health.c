/* server/health.c — health, readiness, liveness and pool statistics. */
#include "server/health.h"

#include "base/json.h"

#ifndef GP_VERSION
#define GP_VERSION "unknown"
#endif

int gp_health_live(gp_strbuf_t *out)
{
    gp_strbuf_lit(out, "{\"status\":\"ok\"}");
    return 200;
}

static bool ready(gp_metrics_t *m, bool schema_loaded)
{
    gp_pool_stats_t s;
    return gp_metrics_pools(m, &s) && schema_loaded;
}

int gp_health_ready(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    bool ok = ready(m, schema_loaded);
    gp_strbuf_printf(out, "{\"status\":\"%s\"}", ok ? "ok" : "unavailable");
    return ok ? 200 : 503;
}

int gp_health_health(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    bool ok = ready(m, schema_loaded);
    gp_strbuf_printf(out, "{\"status\":\"%s\",\"schema_loaded\":%s,\"uptime_seconds\":%.0f,\"version\":\"%s\"}",
                     ok ? "ok" : "unavailable", schema_loaded ? "true" : "false", gp_metrics_uptime(m), GP_VERSION);
    return ok ? 200 : 503;
}

/* One pool set's numbers as a JSON object's members (after the opening brace). */
static void pool_members(gp_strbuf_t *out, bool up, const gp_pool_stats_t *s)
{
    gp_strbuf_printf(out,
                     "\"status\":\"%s\",\"total\":%d,\"idle\":%d,\"in_use\":%d,\"connecting\":%d,\"waiting\":%d,"
                     "\"max\":%d,\"queries\":%llu,\"wait_count\":%llu,\"wait_ms_total\":%.3f,\"exhausted\":%llu,"
                     "\"acquire_timeouts\":%llu,\"errors\":%llu,\"reconnects\":%llu,\"retries\":%llu,"
                     "\"cancels\":%llu,\"recycled\":%llu,\"health_checks\":%llu,\"health_check_failures\":%llu",
                     up ? "ok" : "unavailable", s->total, s->idle, s->busy, s->connecting, s->waiting, s->max,
                     s->queries, s->waits, (double)s->wait_us / 1000.0, s->exhausted, s->acquire_timeouts, s->errors,
                     s->reconnects, s->retries, s->cancels, s->recycled, s->health_checks, s->health_failures);
}

/* The writer decides the status: while a replica is down, the writer serves its reads. */
int gp_health_database(gp_metrics_t *m, bool schema_loaded, gp_strbuf_t *out)
{
    gp_pool_stats_t s;
    bool reachable = gp_metrics_pools(m, &s);
    bool ok = reachable && schema_loaded;
    gp_strbuf_printf(out, "{\"status\":\"%s\",\"writer\":{", ok ? "ok" : "unavailable");
    pool_members(out, reachable, &s);
    gp_strbuf_lit(out, "},\"replicas\":[");
    for (int i = 0; i < gp_metrics_replicas(m); i++) {
        bool up = gp_metrics_replica_pools(m, i, &s);
        gp_strbuf_puts(out, i > 0 ? ",{\"address\":" : "{\"address\":");
        gp_json_cstring(out, gp_metrics_replica_address(m, i));
        gp_strbuf_putc(out, ',');
        pool_members(out, up, &s);
        gp_strbuf_putc(out, '}');
    }
    gp_strbuf_lit(out, "]}");
    return ok ? 200 : 503;
}
