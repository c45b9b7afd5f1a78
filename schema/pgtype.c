/* schema/pgtype.c — PostgreSQL type → GraphQL scalar.
 *
 * Arrays: Hasura names an array type after its internal name (_text) and makes it an
 * opaque scalar. We follow the GraphQL way instead: a text[] column is [String], so
 * clients get typed lists and the element's comparison operators stay meaningful. */
#include "schema/pgtype.h"

#include <string.h>

#include "schema/names.h"

typedef struct {
    const char *pg;     /* pg_catalog type name (typname) */
    const char *gql;
} mapping_t;

/* Exact mappings only: a type whose values GraphQL's own scalars cannot carry without
 * loss (int8 beyond 2^53 in JavaScript, numeric's precision) keeps a custom scalar. */
static const mapping_t builtin[] = {
    {"int2", "Int"},     {"int4", "Int"},     {"float4", "Float"}, {"float8", "Float"},
    {"text", "String"},  {"varchar", "String"}, {"name", "String"}, {"bool", "Boolean"},
    {"int8", "bigint"},
};

const char *gp_pgtype_scalar(gp_arena_t *a, const char *schema, const char *name, const char *default_schema)
{
    if (strcmp(schema, "pg_catalog") == 0) {
        for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
            if (strcmp(builtin[i].pg, name) == 0)
                return builtin[i].gql;
    }
    if (strcmp(name, "citext") == 0) /* an extension type: any schema it was installed in */
        return "String";
    return gp_names_type(a, schema, name, default_schema);
}

static void put_ident(char *out, size_t *n, const char *s)
{
    out[(*n)++] = '"';
    for (; *s; s++) {
        if (*s == '"')
            out[(*n)++] = '"';
        out[(*n)++] = *s;
    }
    out[(*n)++] = '"';
}

char *gp_pgtype_sql(gp_arena_t *a, const char *schema, const char *name, bool is_array)
{
    char *out = gp_arena_alloc(a, 2 * (strlen(schema) + strlen(name)) + 8);
    size_t n = 0;
    put_ident(out, &n, schema);
    out[n++] = '.';
    put_ident(out, &n, name);
    if (is_array) {
        out[n++] = '[';
        out[n++] = ']';
    }
    out[n] = '\0';
    return out;
}

char *gp_pgtype_readable(gp_arena_t *a, const char *name, bool is_array)
{
    return gp_arena_printf(a, "%s%s", name, is_array ? "[]" : "");
}

bool gp_pgtype_is_builtin(const char *scalar)
{
    static const char *const own[] = {"Int", "Float", "String", "Boolean", "ID"};
    for (size_t i = 0; i < sizeof own / sizeof *own; i++)
        if (strcmp(own[i], scalar) == 0)
            return true;
    return false;
}

/* The scalars whose values are more than plain values: text (String is text, varchar,
 * name and citext; bpchar is character(n)) and JSON documents. Any other scalar has
 * only the common comparisons. */
typedef enum { CLASS_PLAIN, CLASS_TEXT, CLASS_JSON, CLASS_JSONB } scalar_class_t;

static const struct {
    const char *scalar;
    scalar_class_t cls;
} classes[] = {
    {"String", CLASS_TEXT}, {"bpchar", CLASS_TEXT}, {"json", CLASS_JSON}, {"jsonb", CLASS_JSONB},
};

static scalar_class_t scalar_class(const char *scalar)
{
    for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
        if (strcmp(classes[i].scalar, scalar) == 0)
            return classes[i].cls;
    return CLASS_PLAIN;
}

bool gp_pgtype_has_text_ops(const char *scalar)
{
    return scalar_class(scalar) == CLASS_TEXT;
}

bool gp_pgtype_has_jsonb_ops(const char *scalar)
{
    return scalar_class(scalar) == CLASS_JSONB;
}

bool gp_pgtype_is_json(const char *scalar)
{
    scalar_class_t cls = scalar_class(scalar);
    return cls == CLASS_JSON || cls == CLASS_JSONB;
}

bool gp_pgtype_sorts(const char *scalar)
{
    return scalar_class(scalar) != CLASS_JSON;
}

bool gp_pgtype_is_wide_number(const char *sql_type)
{
    static const char *const wide[] = {"\"pg_catalog\".\"int8\"", "\"pg_catalog\".\"numeric\"",
                                       "\"pg_catalog\".\"float8\""};
    for (size_t i = 0; i < sizeof wide / sizeof *wide; i++) {
        size_t n = strlen(wide[i]);
        if (strncmp(sql_type, wide[i], n) == 0 && (sql_type[n] == '\0' || strcmp(sql_type + n, "[]") == 0))
            return true;
    }
    return false;
}
