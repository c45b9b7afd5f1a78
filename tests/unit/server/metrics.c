/* Unit tests for server/metrics: the Prometheus text of a process with no worker attached
 * yet, whose replica address needs the exposition format's escapes. */
#include "server/metrics.h"

#include <string.h>

#include "base/arena.h"
#include "base/strbuf.h"
#include "tests/unit/test.h"

static void test_replica_address_label_is_escaped(void)
{
    const char *addresses[] = {"db\"1\\x\nz:5432"};
    gp_metrics_t *m = gp_metrics_new(1, addresses, 1);
    gp_arena_t *a = gp_arena_new(4096);
    gp_strbuf_t out;
    gp_strbuf_init(&out, a, 1 << 20);
    gp_metrics_render(m, /* schema_loaded= */ false, &out);
    gp_strbuf_putc(&out, '\0');
    CHECK(strstr(out.data, "graphpost_replica_up{replica=\"0\",address=\"db\\\"1\\\\x\\nz:5432\"} 0\n") != NULL);
    for (const char *line = out.data; *line != '\0'; line = strchr(line, '\n') + 1) /* every line a comment or sample */
        CHECK(line[0] == '#' || strncmp(line, "graphpost_", 10) == 0);
    gp_arena_free(a);
    gp_metrics_free(m);
}

TEST_MAIN(test_replica_address_label_is_escaped)
