/* Unit tests for base/arena: the request memory cap. Past its limit an arena still
 * serves gp_arena_alloc (its callers cannot fail) but says it is over, refuses
 * gp_arena_try_alloc, and so a strbuf in it stops growing with its sticky error. */
#include "base/arena.h"
#include "base/strbuf.h"
#include "tests/unit/test.h"

static void test_no_limit_by_default(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    CHECK(gp_arena_alloc(a, 1 << 20) != NULL);
    CHECK(gp_arena_try_alloc(a, 1 << 20) != NULL);
    CHECK(!gp_arena_over_limit(a));
    gp_arena_free(a);
}

static void test_try_alloc_stops_at_the_limit(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_arena_set_limit(a, 64 << 10);
    CHECK(gp_arena_try_alloc(a, 60 << 10) != NULL);
    CHECK(!gp_arena_over_limit(a));
    CHECK(gp_arena_try_alloc(a, 8 << 10) == NULL);
    CHECK(gp_arena_over_limit(a));
    CHECK(gp_arena_used(a) < 64 << 10);
    CHECK(gp_arena_try_alloc(a, (size_t)-1) == NULL); /* no overflow in the check */
    gp_arena_free(a);
}

static void test_alloc_past_the_limit_marks_it(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_arena_set_limit(a, 4096);
    for (int i = 0; i < 100; i++)
        CHECK(gp_arena_alloc(a, 100) != NULL);
    CHECK(gp_arena_over_limit(a));
    gp_arena_free(a);
}

static void test_strbuf_stops_growing(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_arena_set_limit(a, 256 << 10);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 16u << 20); /* its own cap is far above the arena's */
    for (int i = 0; i < 100000 && !sb.error; i++)
        gp_strbuf_lit(&sb, "0123456789abcdef");
    CHECK(sb.error);
    CHECK(sb.len < 256 << 10);
    CHECK(gp_arena_used(a) <= 256 << 10);
    CHECK(gp_arena_over_limit(a));
    gp_arena_free(a);
}

TEST_MAIN(test_no_limit_by_default, test_try_alloc_stops_at_the_limit, test_alloc_past_the_limit_marks_it,
          test_strbuf_stops_growing)
