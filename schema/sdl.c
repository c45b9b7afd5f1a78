/* schema/sdl.c — the type system (schema/types.c) printed as SDL.
 *
 * The types come sorted by name, as do their fields, so the same model always
 * prints the same text (golden-file tests diff it). What exists and how it is typed
 * is decided in types.c; this file only spells it. Descriptions come from the
 * database's comments. */
#include "schema/sdl.h"

#include <string.h>

#include "schema/pgtype.h"

/* A description as a block string at `indent`; nothing when there is none.
 * Inside a block string only `"""` needs escaping; control characters other than
 * tab and newline are not allowed in GraphQL source, so they become spaces. */
static void description(gp_strbuf_t *sb, const char *text, const char *indent)
{
    if (text == NULL || *text == '\0')
        return;
    size_t n = strlen(text);
    bool multiline = strchr(text, '\n') != NULL || text[n - 1] == '"' || text[n - 1] == '\\';
    gp_strbuf_printf(sb, "%s\"\"\"%s%s", indent, multiline ? "\n" : "", multiline ? indent : "");
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (strncmp(p, "\"\"\"", 3) == 0) {
            gp_strbuf_lit(sb, "\\\"\"\"");
            p += 2;
        } else if (c == '\n') {
            gp_strbuf_putc(sb, '\n');
            gp_strbuf_puts(sb, indent);
        } else if (c == '\r') {
            continue;
        } else {
            gp_strbuf_putc(sb, c < 0x20 && c != '\t' ? ' ' : (char)c);
        }
    }
    gp_strbuf_printf(sb, "%s%s\"\"\"\n", multiline ? "\n" : "", multiline ? indent : "");
}

static void typeref(gp_strbuf_t *sb, const gp_typeref_t *r)
{
    if (r->kind == GP_REF_NAMED) {
        gp_strbuf_puts(sb, r->named->name);
    } else if (r->kind == GP_REF_LIST) {
        gp_strbuf_putc(sb, '[');
        typeref(sb, r->of);
        gp_strbuf_putc(sb, ']');
    } else {
        typeref(sb, r->of);
        gp_strbuf_putc(sb, '!');
    }
}

static void input_value(gp_strbuf_t *sb, const gp_input_value_t *v)
{
    gp_strbuf_printf(sb, "%s: ", v->name);
    typeref(sb, v->type);
    if (v->default_value)
        gp_strbuf_printf(sb, " = %s", v->default_value);
}

/* Arguments in name order, except a T_by_pk's, which follow the key as Hasura's do. */
static void args(gp_strbuf_t *sb, const gp_field_t *f)
{
    if (f->nargs == 0)
        return;
    gp_strbuf_putc(sb, '(');
    for (int i = 0; i < f->nargs; i++) {
        const gp_input_value_t *v = &f->args[i];
        if (f->role == GP_FIELD_ROOT_BY_PK && f->table->npk == f->nargs)
            v = gp_field_arg(f, f->table->columns[f->table->pk[i]].name);
        gp_strbuf_puts(sb, i ? ", " : "");
        input_value(sb, v ? v : &f->args[i]);
    }
    gp_strbuf_putc(sb, ')');
}

static void definition(gp_strbuf_t *sb, const gp_type_t *t)
{
    static const char *const keyword[] = {
        [GP_KIND_SCALAR] = "scalar", [GP_KIND_OBJECT] = "type", [GP_KIND_INTERFACE] = "interface",
        [GP_KIND_UNION] = "union",   [GP_KIND_ENUM] = "enum",   [GP_KIND_INPUT_OBJECT] = "input",
    };
    description(sb, t->description, "");
    gp_strbuf_printf(sb, "%s %s", keyword[t->kind], t->name);
    if (t->kind == GP_KIND_SCALAR) {
        gp_strbuf_putc(sb, '\n');
        return;
    }
    gp_strbuf_lit(sb, " {\n");
    for (int i = 0; i < t->nfields; i++) {
        const gp_field_t *f = &t->fields[i];
        description(sb, f->description, "  ");
        gp_strbuf_printf(sb, "  %s", f->name);
        args(sb, f);
        gp_strbuf_lit(sb, ": ");
        typeref(sb, f->type);
        gp_strbuf_putc(sb, '\n');
    }
    for (int i = 0; i < t->ninput_fields; i++) {
        description(sb, t->input_fields[i].description, "  ");
        gp_strbuf_lit(sb, "  ");
        input_value(sb, &t->input_fields[i]);
        gp_strbuf_putc(sb, '\n');
    }
    for (int i = 0; i < t->nenum_values; i++) {
        description(sb, t->enum_values[i].description, "  ");
        gp_strbuf_printf(sb, "  %s\n", t->enum_values[i].name);
    }
    gp_strbuf_lit(sb, "}\n");
}

void gp_sdl_print_schema(const gp_schema_t *s, gp_strbuf_t *out)
{
    gp_strbuf_printf(out, "schema {\n  query: %s\n", s->query->name);
    if (s->mutation)
        gp_strbuf_printf(out, "  mutation: %s\n", s->mutation->name);
    if (s->subscription)
        gp_strbuf_printf(out, "  subscription: %s\n", s->subscription->name);
    gp_strbuf_lit(out, "}\n");
    for (int i = 0; i < s->ntypes; i++) {
        const gp_type_t *t = &s->types[i];
        if (strncmp(t->name, "__", 2) == 0 || (t->kind == GP_KIND_SCALAR && gp_pgtype_is_builtin(t->name)))
            continue;
        gp_strbuf_putc(out, '\n');
        definition(out, t);
    }
}

void gp_sdl_print(const gp_model_t *m, gp_strbuf_t *out)
{
    gp_schema_t *s = gp_schema_build(m);
    gp_sdl_print_schema(s, out);
    gp_schema_free(s);
}
