/* Unit tests for base/json.c: gp_json_load against what RFC 8259 allows and
 * refuses, exact numbers, and gp_json_dump writing them back. */
#include <jansson.h>
#include <stdlib.h>

#include "base/arena.h"
#include "base/json.h"
#include "tests/unit/test.h"

static gp_arena_t *arena;

static const char *load_dump(const char *text)
{
    json_t *v = gp_json_load(text, strlen(text), NULL);
    if (v == NULL)
        return NULL;
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, arena, 1 << 20);
    gp_json_dump(&sb, v);
    json_decref(v);
    return sb.data;
}

static void test_round_trips(void)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"{}", "{}"},
        {" [1, -2, 0, true, false, null] ", "[1,-2,0,true,false,null]"},
        {"{\"a\": {\"b\": [\"x\", {\"c\": []}]}, \"d\": 1}", "{\"a\":{\"b\":[\"x\",{\"c\":[]}]},\"d\":1}"},
        {"9223372036854775807", "9223372036854775807"},
        {"-9223372036854775808", "-9223372036854775808"},
        {"9223372036854775808", "9223372036854775808"},   /* one past int64: exact */
        {"99999999999999999999", "99999999999999999999"},
        {"100000000000000000000.5", "100000000000000000000.5"},
        {"0.10", "0.10"},                                   /* digits as written */
        {"-1.5e-400", "-1.5e-400"},
        {"1E400", "1E400"},
        {"\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/\"", "\"café 😀 \\\"q\\\" \\\\ /\""},
        {"\"a\\u0000b\"", "\"a\\u0000b\""},                 /* kept: the caller refuses it with its own words */
        {"{\"k\": 1, \"k\": 2}", "{\"k\":2}"},              /* the last one wins, as jansson does */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = load_dump(cases[i].in);
        CHECK_STR(got, cases[i].out);
    }
}

static void test_refuses_invalid_text(void)
{
    static const char *const bad[] = {
        "", " ", "{", "[1,]", "{\"a\" 1}", "{\"a\":}", "{a: 1}", "01", "-", "1.", ".5", "1e", "+1", "tru", "nul",
        "\"abc", "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "\"a\tb\"", "\"\xff\"", "\"\xc0\xaf\"", "[1] 2",
        "{\"a\\u0000\": 1}", "NaN", "Infinity",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_error_t err;
        json_t *v = gp_json_load(bad[i], strlen(bad[i]), &err);
        CHECK(v == NULL && err.text[0] != '\0');
        if (v != NULL)
            fprintf(stderr, "  accepted: %s\n", bad[i]);
        json_decref(v);
    }
}

static void test_depth_is_capped(void)
{
    size_t n = 3000;
    char *deep = malloc(2 * n + 1);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    deep[2 * n] = '\0';
    CHECK(gp_json_load(deep, 2 * n, NULL) == NULL);
    json_t *ok = gp_json_load(deep + n - 100, 200, NULL);
    CHECK(ok != NULL);
    json_decref(ok);
    free(deep);
}

static void test_exact_numbers_are_told_apart(void)
{
    const char *text = "[99999999999999999999, \"99999999999999999999\", 5, 1.5]";
    json_t *v = gp_json_load(text, strlen(text), NULL);
    CHECK(v != NULL && json_array_size(v) == 4);
    if (v == NULL)
        return;
    const json_t *exact = json_array_get(v, 0), *digits = json_array_get(v, 1);
    CHECK(gp_json_is_exact(exact) && gp_json_is_number(exact) && !gp_json_is_string(exact));
    CHECK_STR(gp_json_exact_text(exact), "99999999999999999999");
    CHECK(!gp_json_is_exact(digits) && gp_json_is_string(digits) && !gp_json_is_number(digits));
    CHECK(json_is_integer(json_array_get(v, 2)));
    CHECK(gp_json_is_exact(json_array_get(v, 3)) && gp_json_number_value(json_array_get(v, 3)) == 1.5);
    json_decref(v);
}

static void setup(void)
{
    arena = gp_arena_new(1 << 16);
}

static void teardown(void)
{
    gp_arena_free(arena);
}

TEST_MAIN(setup, test_round_trips, test_refuses_invalid_text, test_depth_is_capped, test_exact_numbers_are_told_apart,
          teardown)
