/* Unit tests for server/ws_message: what each subprotocol accepts, what it says
 * about what it refuses, and the messages and close reasons written back. */
#include <stdlib.h>

#include "base/arena.h"
#include "server/ws_message.h"
#include "tests/unit/test.h"

static gp_ws_message_t m;

static gp_ws_kind_t read_t(const char *text)
{
    gp_ws_message_release(&m);
    return gp_ws_message_read(GP_WS_TRANSPORT, text, strlen(text), &m);
}

static gp_ws_kind_t read_l(const char *text)
{
    gp_ws_message_release(&m);
    return gp_ws_message_read(GP_WS_LEGACY, text, strlen(text), &m);
}

static void test_transport_messages(void)
{
    CHECK_INT(read_t("{\"type\":\"connection_init\"}"), GP_WS_INIT);
    CHECK_INT(read_t("{\"type\":\"connection_init\",\"payload\":null}"), GP_WS_INIT);
    CHECK_INT(read_t("{\"type\":\"connection_init\",\"payload\":{\"token\":1}}"), GP_WS_INIT);
    CHECK_INT(read_t("{\"type\":\"ping\",\"payload\":{\"a\":1}}"), GP_WS_PING);
    CHECK(json_is_object(m.payload));
    CHECK_INT(read_t("{\"type\":\"pong\"}"), GP_WS_PONG);
    CHECK_INT(read_t("{\"id\":\"a\\u0000b\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ x }\",\"variables\":"
                     "{\"n\":123456789012345678901234567890},\"operationName\":\"Q\",\"extensions\":{}}}"),
              GP_WS_SUBSCRIBE);
    CHECK_INT(m.id_len, 3);
    CHECK(memcmp(m.id, "a\0b", 3) == 0);
    CHECK_STR(m.query, "{ x }");
    CHECK_INT(m.query_len, 5);
    CHECK_STR(m.operation_name, "Q");
    CHECK(json_is_object(m.variables));
    CHECK_INT(read_t("{\"id\":\"1\",\"type\":\"subscribe\",\"payload\":{\"query\":\"{ x }\",\"variables\":null,"
                     "\"operationName\":null,\"extensions\":null}}"),
              GP_WS_SUBSCRIBE);
    CHECK(m.operation_name == NULL && m.variables == NULL);
    CHECK_INT(read_t("{\"type\":\"complete\",\"id\":\"1\"}"), GP_WS_COMPLETE);
}

static void expect_bad_t(const char *text, gp_ws_kind_t kind, const char *problem)
{
    CHECK_INT(read_t(text), kind);
    CHECK_STR(m.problem, problem);
}

static void test_transport_refusals(void)
{
    CHECK_INT(read_t("garbage"), GP_WS_BAD_JSON);
    CHECK_INT(read_t(""), GP_WS_BAD_JSON);
    expect_bad_t("[1]", GP_WS_BAD_JSON, "Message is expected to be an object, but got array");
    expect_bad_t("{}", GP_WS_BAD_TYPE, "Message is missing the 'type' property");
    expect_bad_t("{\"type\":\"\"}", GP_WS_BAD_TYPE, "Message is missing the 'type' property");
    expect_bad_t("{\"type\":7}", GP_WS_BAD_TYPE, "Message is expects the 'type' property to be a string, but got number");
    expect_bad_t("{\"type\":\"start\"}", GP_WS_BAD_TYPE, "Invalid message 'type' property \"start\"");
    expect_bad_t("{\"type\":\"next\",\"id\":\"1\",\"payload\":{}}", GP_WS_BAD_TYPE,
                 "\"next\" is a message only a server sends");
    expect_bad_t("{\"type\":\"connection_init\",\"payload\":[]}", GP_WS_BAD_FIELDS,
                 "\"connection_init\" message expects the 'payload' property to be an object or nullish or missing, "
                 "but got array");
    expect_bad_t("{\"type\":\"subscribe\",\"payload\":{\"query\":\"{x}\"}}", GP_WS_BAD_FIELDS,
                 "\"subscribe\" message requires a non-empty string 'id' property");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":\"\",\"payload\":{\"query\":\"{x}\"}}", GP_WS_BAD_FIELDS,
                 "\"subscribe\" message requires a non-empty string 'id' property");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":1,\"payload\":{\"query\":\"{x}\"}}", GP_WS_BAD_FIELDS,
                 "\"subscribe\" message requires a non-empty string 'id' property");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":\"1\"}", GP_WS_BAD_FIELDS,
                 "\"subscribe\" message expects the 'payload' property to be an object, but got undefined");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"query\":1e3}}", GP_WS_BAD_FIELDS,
                 "\"subscribe\" message payload expects the 'query' property to be a string, but got number");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"query\":\"{x}\",\"variables\":[]}}",
                 GP_WS_BAD_FIELDS,
                 "\"subscribe\" message payload expects the 'variables' property to be an object or nullish or "
                 "missing, but got array");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"query\":\"{x}\",\"operationName\":true}}",
                 GP_WS_BAD_FIELDS,
                 "\"subscribe\" message payload expects the 'operationName' property to be a string or nullish or "
                 "missing, but got boolean");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"query\":\"{x}\",\"operationName\":\"a\\u0000\"}}",
                 GP_WS_BAD_FIELDS, "\"subscribe\" message payload has an 'operationName' with a NUL character");
    expect_bad_t("{\"type\":\"subscribe\",\"id\":\"1\",\"payload\":{\"query\":\"{x}\",\"extensions\":\"x\"}}",
                 GP_WS_BAD_FIELDS,
                 "\"subscribe\" message payload expects the 'extensions' property to be an object or nullish or "
                 "missing, but got string");
    expect_bad_t("{\"type\":\"complete\"}", GP_WS_BAD_FIELDS,
                 "\"complete\" message requires a non-empty string 'id' property");
}

static void test_legacy(void)
{
    CHECK_INT(read_l("{\"type\":\"connection_init\",\"payload\":42}"), GP_WS_INIT); /* its server reads anything */
    CHECK_INT(read_l("{\"type\":\"start\",\"id\":\"\",\"payload\":{\"query\":\"{x}\"}}"), GP_WS_SUBSCRIBE);
    CHECK_INT(read_l("{\"type\":\"stop\",\"id\":\"7\"}"), GP_WS_COMPLETE);
    CHECK_STR(m.id, "7");
    CHECK_INT(read_l("{\"type\":\"connection_terminate\"}"), GP_WS_TERMINATE);
    CHECK_INT(read_l("{x"), GP_WS_BAD_JSON);
    CHECK_INT(read_l("{\"type\":\"subscribe\",\"id\":\"3\"}"), GP_WS_BAD_TYPE);
    CHECK_STR(m.problem, "Invalid message type!");
    CHECK_STR(m.id, "3"); /* the error names the operation */
    CHECK_INT(read_l("{\"type\":\"ping\"}"), GP_WS_BAD_TYPE);
    CHECK_INT(read_l("{\"id\":\"4\"}"), GP_WS_BAD_TYPE);
    CHECK_STR(m.id, "4");
    CHECK_INT(read_l("{\"type\":\"start\",\"id\":\"5\",\"payload\":{\"query\":{}}}"), GP_WS_BAD_FIELDS);
    CHECK_STR(m.problem, "\"start\" message payload expects the 'query' property to be a string, but got object");
    CHECK_INT(read_l("{\"type\":\"start\",\"payload\":{\"query\":\"{x}\"}}"), GP_WS_BAD_FIELDS);
    CHECK_STR(m.problem, "\"start\" message requires a string 'id' property");
}

static void test_writing(void)
{
    gp_arena_t *a = gp_arena_new(256);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 20);
    gp_ws_message_begin(&sb, "error", "q\"1\n", 4);
    gp_strbuf_lit(&sb, ",\"payload\":[");
    gp_ws_message_error(&sb, "no \"such\" thing", "NOT_SUPPORTED");
    gp_strbuf_lit(&sb, "]}");
    CHECK_STR(sb.data, "{\"type\":\"error\",\"id\":\"q\\\"1\\n\",\"payload\":[{\"message\":\"no \\\"such\\\" thing\","
                       "\"extensions\":{\"code\":\"NOT_SUPPORTED\"}}]}");
    gp_strbuf_init(&sb, a, 1 << 20);
    gp_ws_message_begin(&sb, "connection_ack", NULL, 0);
    gp_strbuf_putc(&sb, '}');
    CHECK_STR(sb.data, "{\"type\":\"connection_ack\"}");
    gp_arena_free(a);
}

static void test_fit(void)
{
    CHECK_INT(gp_ws_message_fit("abc", 3, 123), 3);
    CHECK_INT(gp_ws_message_fit("abcdef", 6, 4), 4);
    /* "é" is two bytes, "中" three: a cut never splits one. */
    CHECK_INT(gp_ws_message_fit("a\xc3\xa9", 3, 2), 1);
    CHECK_INT(gp_ws_message_fit("a\xc3\xa9", 3, 3), 3);
    CHECK_INT(gp_ws_message_fit("\xe4\xb8\xad\xe4\xb8\xad", 6, 5), 3);
    CHECK_INT(gp_ws_message_fit("\xe4\xb8\xad", 3, 2), 0);
}

static void test_teardown(void)
{
    gp_ws_message_release(&m);
}

TEST_MAIN(test_transport_messages, test_transport_refusals, test_legacy, test_writing, test_fit, test_teardown)
