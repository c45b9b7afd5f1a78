/* server/ws_message.h — the JSON messages of the two GraphQL-over-websocket
 * subprotocols, read and written as pure functions (no socket, no state):
 * graphql-transport-ws (the graphql-ws library's PROTOCOL.md) and the legacy
 * graphql-ws (subscriptions-transport-ws). Reading checks a message as far as its
 * protocol defines one — the rules of graphql-ws's validateMessage for the first,
 * what subscriptions-transport-ws's server reads for the second — and says in one
 * line what is wrong; what to do about it is server/ws_proto.c's business.
 * Any bytes give a kind, never a crash (tests/fuzz/ws_message.c). */
#ifndef GP_WS_MESSAGE_H
#define GP_WS_MESSAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/strbuf.h"

typedef enum {
    GP_WS_TRANSPORT, /* "graphql-transport-ws" */
    GP_WS_LEGACY,    /* "graphql-ws" */
} gp_ws_protocol_t;

/* The subprotocol's name, as Sec-WebSocket-Protocol carries it. */
const char *gp_ws_protocol_name(gp_ws_protocol_t p);

typedef enum {
    GP_WS_BAD_JSON,   /* not JSON text, or not an object */
    GP_WS_BAD_TYPE,   /* no "type", not a string, unknown, or one that only a server sends */
    GP_WS_BAD_FIELDS, /* a known type with an id or payload that is not what it must be */
    GP_WS_INIT,       /* connection_init */
    GP_WS_PING,       /* ping (graphql-transport-ws) */
    GP_WS_PONG,       /* pong (graphql-transport-ws) */
    GP_WS_SUBSCRIBE,  /* subscribe; start in the legacy protocol */
    GP_WS_COMPLETE,   /* complete; stop in the legacy protocol */
    GP_WS_TERMINATE,  /* connection_terminate (legacy) */
} gp_ws_kind_t;

/* A message read. Strings point into values the message owns: valid until
 * gp_ws_message_release. */
typedef struct gp_ws_message {
    gp_ws_kind_t kind;
    const char *id;           /* a string id (may hold NUL bytes), or NULL when there is none */
    size_t id_len;
    /* GP_WS_SUBSCRIBE: the operation. */
    const char *query;
    size_t query_len;
    const char *operation_name; /* NULL when absent or null */
    json_t *variables;          /* an object, or NULL */
    const json_t *payload;    /* GP_WS_PING: an object to echo in the pong, or NULL */
    char problem[200];        /* the GP_WS_BAD_* kinds: what is wrong, one line */
    json_t *root;             /* private: owns the strings */
} gp_ws_message_t;

/* Reads one message of protocol `p` from text[0..len) (need not be NUL-terminated).
 * Always fills `m` (release it whatever the kind) and returns m->kind. */
gp_ws_kind_t gp_ws_message_read(gp_ws_protocol_t p, const char *text, size_t len, gp_ws_message_t *m);
void gp_ws_message_release(gp_ws_message_t *m);

/* Appends the start of a message, {"type":<type> and, when `id` is not NULL, ,"id":<id>;
 * the caller appends ,"payload":… if any and the closing brace. */
void gp_ws_message_begin(gp_strbuf_t *sb, const char *type, const char *id, size_t id_len);

/* Appends one GraphQL error object: {"message":…,"extensions":{"code":…}}. */
void gp_ws_message_error(gp_strbuf_t *sb, const char *message, const char *code);

/* The longest prefix of s[0..len) that is at most `max` bytes and ends between two
 * UTF-8 characters: a close frame's reason holds 123 bytes, and a client refuses
 * one cut inside a character. */
size_t gp_ws_message_fit(const char *s, size_t len, size_t max);

#endif
