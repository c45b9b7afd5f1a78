/* tests/fuzz/ws_message.c — libFuzzer target for server/ws_message: one websocket
 * message, read as graphql-transport-ws when the first byte is even and as the legacy
 * graphql-ws when it is odd. Any bytes must give a kind, never a crash, a leak or UB,
 * and the reader's promises must hold:
 *  - a malformed message says why (a non-empty, NUL-terminated line);
 *  - subscribe (start) has an id and a query, complete (stop) an id; graphql-transport-ws
 *    ids are never empty;
 *  - a message written back with that id is JSON the reader parses again, with the
 *    same id;
 *  - a close reason cut with gp_ws_message_fit is at most 123 bytes and valid UTF-8
 *    when the id was (a JSON string always is);
 *  - gp_parse_operation_kind, which picks out subscriptions before anything runs,
 *    agrees with the parser whenever both can tell. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/json.h"
#include "graphql/parse.h"
#include "server/ws_message.h"

/* Whether s[0..n) is well-formed UTF-8 (the shortest forms, no surrogates). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n || (len == 2 && c < 0xC2) || (len == 4 && c > 0xF4))
            return false;
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
        if ((len == 3 && c == 0xE0 && s[i + 1] < 0xA0) || (len == 3 && c == 0xED && s[i + 1] >= 0xA0) ||
            (len == 4 && c == 0xF0 && s[i + 1] < 0x90) || (len == 4 && c == 0xF4 && s[i + 1] >= 0x90))
            return false;
        i += len;
    }
    return true;
}

/* The id goes out in a message and is read back: the same bytes. */
static void check_round_trip(gp_ws_protocol_t p, const gp_ws_message_t *m)
{
    gp_arena_t *a = gp_arena_new(256);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, (size_t)1 << 30);
    gp_ws_message_begin(&sb, p == GP_WS_TRANSPORT ? "complete" : "stop", m->id, m->id_len);
    gp_strbuf_lit(&sb, ",\"payload\":[");
    gp_ws_message_error(&sb, m->id, "CODE"); /* an id may hold NUL: only its C-string part goes in */
    gp_strbuf_lit(&sb, "]}");
    if (sb.error)
        abort();
    gp_ws_message_t back;
    if (gp_ws_message_read(p, sb.data, sb.len, &back) != GP_WS_COMPLETE || back.id_len != m->id_len ||
        memcmp(back.id, m->id, m->id_len) != 0)
        abort();
    gp_ws_message_release(&back);
    size_t cut = gp_ws_message_fit(m->id, m->id_len, 123);
    if (cut > 123 || cut > m->id_len || !utf8_ok((const unsigned char *)m->id, cut))
        abort();
    gp_arena_free(a);
}

/* The operation the parser would run, when it parses and the choice is unambiguous. */
static bool parsed_kind(const char *query, size_t len, const char *name, gp_operation_kind_t *kind)
{
    char *src = malloc(len + 1);
    memcpy(src, query, len);
    src[len] = '\0';
    gp_arena_t *a = gp_arena_new(4096);
    gp_errors_t errs;
    gp_errors_init(&errs, a, src);
    gp_document_t *doc = gp_parse(a, src, len, &errs);
    int found = 0, ops = 0;
    for (const gp_operation_t *op = doc != NULL ? doc->operations : NULL; op != NULL; op = op->next) {
        ops++;
        if (name == NULL || (op->name != NULL && strcmp(op->name, name) == 0)) {
            found++;
            *kind = op->kind;
        }
    }
    gp_arena_free(a);
    free(src);
    return found == 1 && (name != NULL || ops == 1);
}

static void check_kind(const gp_ws_message_t *m)
{
    gp_operation_kind_t scanned, parsed;
    bool scan = gp_parse_operation_kind(m->query, m->query_len, m->operation_name, &scanned);
    bool parse = parsed_kind(m->query, m->query_len, m->operation_name, &parsed);
    if (parse && (!scan || scanned != parsed))
        abort(); /* a document the parser runs, whose kind the scan missed or got wrong */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    gp_ws_protocol_t p = data[0] % 2 == 0 ? GP_WS_TRANSPORT : GP_WS_LEGACY;
    gp_ws_message_t m;
    gp_ws_kind_t kind = gp_ws_message_read(p, (const char *)data + 1, size - 1, &m);
    if (kind != m.kind)
        abort();
    switch (kind) {
    case GP_WS_BAD_JSON:
    case GP_WS_BAD_TYPE:
    case GP_WS_BAD_FIELDS:
        if (m.problem[0] == '\0' || memchr(m.problem, '\0', sizeof m.problem) == NULL)
            abort();
        break;
    case GP_WS_SUBSCRIBE:
        if (m.query == NULL || m.id == NULL)
            abort();
        check_kind(&m);
        break;
    case GP_WS_COMPLETE:
        if (m.id == NULL)
            abort();
        break;
    case GP_WS_PING:
        if (m.payload != NULL && !json_is_object(m.payload))
            abort();
        break;
    default:
        break;
    }
    if (p == GP_WS_TRANSPORT && (kind == GP_WS_SUBSCRIBE || kind == GP_WS_COMPLETE) && m.id_len == 0)
        abort();
    if (m.id != NULL)
        check_round_trip(p, &m);
    gp_ws_message_release(&m);
    return 0;
}
