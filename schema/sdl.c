/* schema/sdl.c — the type system (schema/types.c) printed as SDL.
 *
 * The types come sorted by name, as do their fields, so the same model always
 * prints the same text (golden-file tests diff it). What exists and how it is typed
 * is decided in types.c; this file only spells it. Descriptions come from the
 * database's comments.
 *
 * The text is what graphql-js 16's printSchema prints for the same schema read through
 * introspection (buildClientSchema), byte for byte: tests/unit/schema/golden/<db>.graphql
 * is checked against both (tests/unit/schema/sdl.c, tests/integration/schema.test.mjs).
 * Nothing in the API is deprecated or has @specifiedBy, so neither is printed. */
#include "schema/sdl.h"

#include <string.h>

#include "schema/pgtype.h"

/* ---- descriptions, as graphql-js 16 prints them (printDescription) ---- */

/* The length of UTF-8 text in UTF-16 code units, which is what JavaScript's
 * String.length counts. */
static size_t js_length(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        n += (*p & 0xC0) != 0x80 ? 1 + (*p >= 0xF0) : 0;
    return n;
}

/* graphql-js's isPrintableAsBlockString: no control characters it cannot keep, no
 * \r, no leading or trailing empty line, no indentation common to every line. */
static bool printable_as_block(const char *s)
{
    bool empty_line = true, indent = false, common_indent = true, seen_line = false;
    if (*s == '\0')
        return true;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p < 0x09 || *p == 0x0B || *p == 0x0C || *p == 0x0E || *p == 0x0F) || *p == '\r')
            return false;
        if (*p == '\n') {
            if (empty_line && !seen_line)
                return false;
            seen_line = true;
            empty_line = true;
            indent = false;
        } else if (*p == '\t' || *p == ' ') {
            indent = indent || empty_line;
        } else {
            common_indent = common_indent && indent;
            empty_line = false;
        }
    }
    return !empty_line && !(common_indent && seen_line);
}

/* graphql-js's printString: a "…" string with control characters, U+007F–U+009F, `"`
 * and `\` escaped. */
static void quoted(gp_strbuf_t *sb, const char *s)
{
    static const char named[] = {['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r'};
    gp_strbuf_putc(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) /* U+0080–U+009F in UTF-8 */
            gp_strbuf_printf(sb, "\\u%04X", *++p);
        else if (*p < sizeof named && named[*p])
            gp_strbuf_printf(sb, "\\%c", named[*p]);
        else if (*p < 0x20 || *p == 0x7F)
            gp_strbuf_printf(sb, "\\u%04X", *p);
        else if (*p == '"' || *p == '\\')
            gp_strbuf_printf(sb, "\\%c", *p);
        else
            gp_strbuf_putc(sb, (char)*p);
    }
    gp_strbuf_putc(sb, '"');
}

/* Whether escaping `"""` as `\"""`, left to right, ends with an escape. */
static bool ends_in_escaped_quotes(const char *s)
{
    bool last = false;
    while (*s) {
        last = strncmp(s, "\"\"\"", 3) == 0;
        s += last ? 3 : 1;
    }
    return last;
}

/* graphql-js's printBlockString, each line indented by `indent`. */
static void block(gp_strbuf_t *sb, const char *s, const char *indent)
{
    size_t n = strlen(s);
    bool single_line = strchr(s, '\n') == NULL;
    bool lead = !single_line; /* every line after the first is empty or indented */
    for (const char *nl = strchr(s, '\n'); nl != NULL && lead; nl = strchr(nl + 1, '\n'))
        lead = nl[1] == '\0' || nl[1] == '\n' || nl[1] == ' ' || nl[1] == '\t';
    bool escaped_end = ends_in_escaped_quotes(s);
    bool trailing = n > 0 && ((s[n - 1] == '"' && !escaped_end) || s[n - 1] == '\\');
    bool multiple = !single_line || js_length(s) > 70 || trailing || lead || escaped_end;
    bool skip_lead = single_line && (s[0] == ' ' || s[0] == '\t');
    gp_strbuf_lit(sb, "\"\"\"");
    if ((multiple && !skip_lead) || lead)
        gp_strbuf_printf(sb, "\n%s", indent);
    for (const char *p = s; *p; p++) {
        if (strncmp(p, "\"\"\"", 3) == 0) {
            gp_strbuf_lit(sb, "\\\"\"\"");
            p += 2;
        } else if (*p == '\n') {
            gp_strbuf_printf(sb, "\n%s", indent);
        } else {
            gp_strbuf_putc(sb, *p);
        }
    }
    if (multiple || trailing)
        gp_strbuf_printf(sb, "\n%s", indent);
    gp_strbuf_lit(sb, "\"\"\"");
}

/* A description at `indent`, after an empty line unless it opens its block; nothing
 * when there is none. */
static void description(gp_strbuf_t *sb, const char *text, const char *indent, bool first)
{
    if (text == NULL)
        return;
    gp_strbuf_printf(sb, "%s%s", *indent != '\0' && !first ? "\n" : "", indent);
    if (printable_as_block(text))
        block(sb, text, indent);
    else
        quoted(sb, text);
    gp_strbuf_putc(sb, '\n');
}

/* ---- types ---- */

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

/* The i-th argument: a T_by_pk's and a delete_T_by_pk's follow the key, as Hasura's do;
 * others are sorted by name. */
static const gp_input_value_t *arg(const gp_field_t *f, int i)
{
    const gp_input_value_t *v = NULL;
    if (gp_field_args_keyed(f))
        v = gp_field_arg(f, f->table->columns[f->table->pk[i]].gql_name);
    return v ? v : &f->args[i];
}

/* On one line, unless an argument has a description: then one a line, as graphql-js does. */
static void args(gp_strbuf_t *sb, const gp_field_t *f)
{
    if (f->nargs == 0)
        return;
    bool described = false;
    for (int i = 0; i < f->nargs; i++)
        described = described || f->args[i].description != NULL;
    gp_strbuf_putc(sb, '(');
    for (int i = 0; i < f->nargs; i++) {
        const gp_input_value_t *v = arg(f, i);
        if (described) {
            gp_strbuf_putc(sb, '\n');
            description(sb, v->description, "    ", i == 0);
            gp_strbuf_lit(sb, "    ");
        } else {
            gp_strbuf_puts(sb, i ? ", " : "");
        }
        input_value(sb, v);
    }
    gp_strbuf_puts(sb, described ? "\n  )" : ")");
}

static void definition(gp_strbuf_t *sb, const gp_type_t *t)
{
    static const char *const keyword[] = {
        [GP_KIND_SCALAR] = "scalar", [GP_KIND_OBJECT] = "type", [GP_KIND_INTERFACE] = "interface",
        [GP_KIND_UNION] = "union",   [GP_KIND_ENUM] = "enum",   [GP_KIND_INPUT_OBJECT] = "input",
    };
    description(sb, t->description, "", true);
    gp_strbuf_printf(sb, "%s %s", keyword[t->kind], t->name);
    if (t->nfields + t->ninput_fields + t->nenum_values == 0) { /* scalars; graphql-js prints no empty block */
        gp_strbuf_putc(sb, '\n');
        return;
    }
    gp_strbuf_lit(sb, " {\n");
    for (int i = 0; i < t->nfields; i++) {
        const gp_field_t *f = &t->fields[i];
        description(sb, f->description, "  ", i == 0);
        gp_strbuf_printf(sb, "  %s", f->name);
        args(sb, f);
        gp_strbuf_lit(sb, ": ");
        typeref(sb, f->type);
        gp_strbuf_putc(sb, '\n');
    }
    for (int i = 0; i < t->ninput_fields; i++) {
        description(sb, t->input_fields[i].description, "  ", i == 0);
        gp_strbuf_lit(sb, "  ");
        input_value(sb, &t->input_fields[i]);
        gp_strbuf_putc(sb, '\n');
    }
    for (int i = 0; i < t->nenum_values; i++) {
        description(sb, t->enum_values[i].description, "  ", i == 0);
        gp_strbuf_printf(sb, "  %s\n", t->enum_values[i].name);
    }
    gp_strbuf_lit(sb, "}\n");
}

void gp_sdl_print_schema(const gp_schema_t *s, gp_strbuf_t *out)
{
    description(out, s->description, "", true);
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
