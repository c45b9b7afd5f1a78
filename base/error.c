/* base/error.c */
#include "error.h"

#include <string.h>

#include "json.h"
#include "log.h"

static const struct {
    const char *code;
    int status;
} kinds[] = {
#define GP_X(kind, code, status) {code, status},
    GP_ERROR_KINDS(GP_X)
#undef GP_X
};

const char *gp_error_code(gp_error_kind_t kind)
{
    return kinds[kind].code;
}

int gp_error_status(gp_error_kind_t kind)
{
    return kinds[kind].status;
}

void gp_errors_init(gp_errors_t *errs, gp_arena_t *a, const char *source)
{
    memset(errs, 0, sizeof *errs);
    errs->arena = a;
    errs->source = source;
}

gp_error_t *gp_errors_vadd(gp_errors_t *errs, gp_error_kind_t kind, long offset, const char *fmt, va_list ap)
{
    gp_error_t *e = gp_arena_new_obj(errs->arena, gp_error_t);
    e->kind = kind;
    e->offset = offset;
    e->message = gp_arena_vprintf(errs->arena, fmt, ap);
    if (errs->tail != NULL)
        errs->tail->next = e;
    else
        errs->head = e;
    errs->tail = e;
    errs->count++;
    return e;
}

gp_error_t *gp_errors_add(gp_errors_t *errs, gp_error_kind_t kind, long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_error_t *e = gp_errors_vadd(errs, kind, offset, fmt, ap);
    va_end(ap);
    return e;
}

gp_error_t *gp_errors_vunreachable(gp_errors_t *errs, long offset, const char *fmt, va_list ap)
{
    const char *what = gp_arena_vprintf(errs->arena, fmt, ap);
    gp_error_t *e = gp_errors_add(errs, GP_E_INTERNAL, offset,
                                  "Internal error: the validated document has %s, which the server does not handle.",
                                  what);
    gp_error("internal", "%s", e->message);
    return e;
}

void gp_source_location(const char *src, size_t offset, int *line, int *column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < offset && src[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)src[i];
        if (ch == '\n' || (ch == '\r' && src[i + 1] != '\n')) {
            l++;
            c = 1;
        } else if (ch == '\r') {
            /* the \n of \r\n ends the line */
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

void gp_errors_render(const gp_errors_t *errs, gp_strbuf_t *out)
{
    gp_strbuf_putc(out, '[');
    for (const gp_error_t *e = errs->head; e != NULL; e = e->next) {
        if (e != errs->head)
            gp_strbuf_putc(out, ',');
        gp_strbuf_lit(out, "{\"message\":");
        gp_json_cstring(out, e->message);
        if (e->offset >= 0 && errs->source != NULL) {
            int line, column;
            gp_source_location(errs->source, (size_t)e->offset, &line, &column);
            gp_strbuf_printf(out, ",\"locations\":[{\"line\":%d,\"column\":%d}]", line, column);
        }
        if (e->path != NULL) {
            gp_strbuf_lit(out, ",\"path\":");
            gp_strbuf_puts(out, e->path);
        }
        gp_strbuf_lit(out, ",\"extensions\":{\"code\":");
        gp_json_cstring(out, gp_error_code(e->kind));
        if (e->sqlstate != NULL) {
            gp_strbuf_lit(out, ",\"sqlstate\":");
            gp_json_cstring(out, e->sqlstate);
        }
        if (e->constraint != NULL) {
            gp_strbuf_lit(out, ",\"constraint\":");
            gp_json_cstring(out, e->constraint);
        }
        if (e->internal != NULL) {
            gp_strbuf_lit(out, ",\"internal\":");
            gp_strbuf_puts(out, e->internal);
        }
        gp_strbuf_lit(out, "}}");
    }
    gp_strbuf_putc(out, ']');
}

int gp_errors_status(const gp_errors_t *errs)
{
    return errs->head != NULL ? gp_error_status(errs->head->kind) : 200;
}
