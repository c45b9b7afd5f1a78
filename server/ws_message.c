/* server/ws_message.c — reading and writing the two websocket subprotocols' messages. */
#include "server/ws_message.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/json.h"

const char *gp_ws_protocol_name(gp_ws_protocol_t p)
{
    return p == GP_WS_TRANSPORT ? "graphql-transport-ws" : "graphql-ws";
}

/* How graphql-ws names a value's type in its messages. */
static const char *type_name(const json_t *v)
{
    if (v == NULL)
        return "undefined";
    if (gp_json_is_number(v))
        return "number";
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    default: return "number";
    }
}

static gp_ws_kind_t bad(gp_ws_message_t *m, gp_ws_kind_t kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static gp_ws_kind_t bad(gp_ws_message_t *m, gp_ws_kind_t kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m->problem, sizeof m->problem, fmt, ap);
    va_end(ap);
    return m->kind = kind;
}

static bool nullish(const json_t *v)
{
    return v == NULL || json_is_null(v);
}

/* The id, if it is a string; an empty one only where `empty_ok`. */
static bool take_id(gp_ws_message_t *m, bool empty_ok)
{
    const json_t *id = json_object_get(m->root, "id");
    if (!gp_json_is_string(id) || (!empty_ok && json_string_length(id) == 0))
        return false;
    m->id = json_string_value(id);
    m->id_len = json_string_length(id);
    return true;
}

/* The payload of subscribe (start): {query, variables?, operationName?, extensions?}. */
static gp_ws_kind_t take_operation(gp_ws_message_t *m, const char *type)
{
    const json_t *payload = json_object_get(m->root, "payload");
    if (!json_is_object(payload))
        return bad(m, GP_WS_BAD_FIELDS, "\"%s\" message expects the 'payload' property to be an object, but got %s",
                   type, type_name(payload));
    const json_t *q = json_object_get(payload, "query"), *n = json_object_get(payload, "operationName");
    json_t *v = json_object_get(payload, "variables");
    const json_t *x = json_object_get(payload, "extensions");
    if (!gp_json_is_string(q))
        return bad(m, GP_WS_BAD_FIELDS, "\"%s\" message payload expects the 'query' property to be a string, but got %s",
                   type, type_name(q));
    if (!nullish(v) && !json_is_object(v))
        return bad(m, GP_WS_BAD_FIELDS,
                   "\"%s\" message payload expects the 'variables' property to be an object or nullish or missing, "
                   "but got %s", type, type_name(v));
    if (!nullish(n) && !gp_json_is_string(n))
        return bad(m, GP_WS_BAD_FIELDS,
                   "\"%s\" message payload expects the 'operationName' property to be a string or nullish or "
                   "missing, but got %s", type, type_name(n));
    if (!nullish(n) && strlen(json_string_value(n)) != json_string_length(n))
        return bad(m, GP_WS_BAD_FIELDS, "\"%s\" message payload has an 'operationName' with a NUL character", type);
    if (!nullish(x) && !json_is_object(x))
        return bad(m, GP_WS_BAD_FIELDS,
                   "\"%s\" message payload expects the 'extensions' property to be an object or nullish or missing, "
                   "but got %s", type, type_name(x));
    m->query = json_string_value(q);
    m->query_len = json_string_length(q);
    m->operation_name = nullish(n) ? NULL : json_string_value(n);
    m->variables = json_is_object(v) ? v : NULL;
    return m->kind = GP_WS_SUBSCRIBE;
}

static bool type_is(const char *type, size_t len, const char *name)
{
    return strlen(name) == len && memcmp(type, name, len) == 0;
}

/* graphql-transport-ws, as graphql-ws's validateMessage checks it. */
static gp_ws_kind_t read_transport(gp_ws_message_t *m, const char *type, size_t len)
{
    const json_t *payload = json_object_get(m->root, "payload");
    gp_ws_kind_t kind = type_is(type, len, "connection_init") ? GP_WS_INIT
                        : type_is(type, len, "ping")          ? GP_WS_PING
                        : type_is(type, len, "pong")          ? GP_WS_PONG
                                                              : GP_WS_BAD_TYPE;
    if (kind != GP_WS_BAD_TYPE) {
        if (!nullish(payload) && !json_is_object(payload))
            return bad(m, GP_WS_BAD_FIELDS,
                       "\"%s\" message expects the 'payload' property to be an object or nullish or missing, but "
                       "got %s", type, type_name(payload));
        m->payload = json_is_object(payload) ? payload : NULL;
        return m->kind = kind;
    }
    bool subscribe = type_is(type, len, "subscribe");
    if (subscribe || type_is(type, len, "complete")) {
        const char *t = subscribe ? "subscribe" : "complete";
        if (!take_id(m, /* empty_ok= */ false))
            return bad(m, GP_WS_BAD_FIELDS, "\"%s\" message requires a non-empty string 'id' property", t);
        return subscribe ? take_operation(m, t) : (m->kind = GP_WS_COMPLETE);
    }
    if (type_is(type, len, "connection_ack") || type_is(type, len, "next") || type_is(type, len, "error"))
        return bad(m, GP_WS_BAD_TYPE, "\"%s\" is a message only a server sends", type);
    return bad(m, GP_WS_BAD_TYPE, "Invalid message 'type' property \"%.80s\"", type);
}

/* The legacy protocol, as subscriptions-transport-ws's server reads it: an id is
 * any string there, and connection_init's payload is whatever the client sends. */
static gp_ws_kind_t read_legacy(gp_ws_message_t *m, const char *type, size_t len)
{
    take_id(m, /* empty_ok= */ true);
    if (type_is(type, len, "connection_init"))
        return m->kind = GP_WS_INIT;
    if (type_is(type, len, "connection_terminate"))
        return m->kind = GP_WS_TERMINATE;
    bool start = type_is(type, len, "start");
    if (start || type_is(type, len, "stop")) {
        if (m->id == NULL)
            return bad(m, GP_WS_BAD_FIELDS, "\"%s\" message requires a string 'id' property", start ? "start" : "stop");
        return start ? take_operation(m, "start") : (m->kind = GP_WS_COMPLETE);
    }
    return bad(m, GP_WS_BAD_TYPE, "Invalid message type!");
}

gp_ws_kind_t gp_ws_message_read(gp_ws_protocol_t p, const char *text, size_t len, gp_ws_message_t *m)
{
    memset(m, 0, sizeof *m);
    json_error_t err;
    m->root = gp_json_load(text, len, &err);
    if (m->root == NULL)
        return bad(m, GP_WS_BAD_JSON, "the message is not valid JSON: %s (line %d, column %d)", err.text, err.line,
                   err.column);
    if (!json_is_object(m->root))
        return bad(m, GP_WS_BAD_JSON, "Message is expected to be an object, but got %s", type_name(m->root));
    const json_t *type = json_object_get(m->root, "type");
    if (!gp_json_is_string(type) || json_string_length(type) == 0) {
        if (p == GP_WS_LEGACY) {
            take_id(m, /* empty_ok= */ true);
            return bad(m, GP_WS_BAD_TYPE, "Invalid message type!");
        }
        if (type == NULL || gp_json_is_string(type)) /* absent or "" */
            return bad(m, GP_WS_BAD_TYPE, "Message is missing the 'type' property");
        return bad(m, GP_WS_BAD_TYPE, "Message is expects the 'type' property to be a string, but got %s",
                   type_name(type));
    }
    const char *t = json_string_value(type);
    size_t n = json_string_length(type);
    return p == GP_WS_TRANSPORT ? read_transport(m, t, n) : read_legacy(m, t, n);
}

void gp_ws_message_release(gp_ws_message_t *m)
{
    json_decref(m->root);
    m->root = NULL;
}

void gp_ws_message_begin(gp_strbuf_t *sb, const char *type, const char *id, size_t id_len)
{
    gp_strbuf_lit(sb, "{\"type\":");
    gp_json_cstring(sb, type);
    if (id != NULL) {
        gp_strbuf_lit(sb, ",\"id\":");
        gp_json_string(sb, id, id_len);
    }
}

void gp_ws_message_error(gp_strbuf_t *sb, const char *message, const char *code)
{
    gp_strbuf_lit(sb, "{\"message\":");
    gp_json_cstring(sb, message);
    gp_strbuf_lit(sb, ",\"extensions\":{\"code\":");
    gp_json_cstring(sb, code);
    gp_strbuf_lit(sb, "}}");
}

size_t gp_ws_message_fit(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) /* s[n] continues the character before it */
        n--;
    return n;
}
