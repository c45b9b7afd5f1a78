/* resolvers/values.c — AST values → JSON with provenance; JSON → parameter text.
 *
 * Why provenance and not value comparison: jansson's true, false and null are
 * shared singletons, and equal values are equal whether they came from a variable
 * or from a literal, so neither identity nor equality of values says where a
 * value came from. Each variable reference the compiler reads is turned into a
 * fresh deep copy, held (so its address is not reused) in a table keyed by that
 * address for the rest of the compile. A parameter whose value is such a copy is
 * bound to the variable. Values that cannot be copied into something with an
 * identity of its own — null, booleans, and variables not provided — mark the
 * compile as shaped by variables: such a plan is never re-bound. */
#include "resolvers/values.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "graphql/coerce.h"
#include "resolvers/jsonpath.h"

struct gp_var_use {
    const json_t *value; /* the copy (a reference is held); NULL: free slot */
    const char *variable;
    bool bound;
};

static size_t slot_of(const json_t *v, int cap)
{
    uintptr_t h = (uintptr_t)v;
    h ^= h >> 17;
    h *= 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (size_t)(cap - 1);
}

static struct gp_var_use *find_use(const gp_compile_t *c, const json_t *v)
{
    if (c->uses_cap == 0 || v == NULL)
        return NULL;
    for (size_t i = slot_of(v, c->uses_cap);; i = (i + 1) & (size_t)(c->uses_cap - 1)) {
        if (c->uses[i].value == v)
            return &c->uses[i];
        if (c->uses[i].value == NULL)
            return NULL;
    }
}

static void put_use(gp_compile_t *c, struct gp_var_use u)
{
    if (2 * (c->nuses + 1) > c->uses_cap) {
        struct gp_var_use *old = c->uses;
        int old_cap = c->uses_cap;
        c->uses_cap = old_cap ? old_cap * 2 : 16;
        c->uses = gp_arena_calloc(c->arena, sizeof *c->uses * (size_t)c->uses_cap);
        c->nuses = 0;
        for (int i = 0; i < old_cap; i++)
            if (old[i].value != NULL)
                put_use(c, old[i]);
    }
    size_t i = slot_of(u.value, c->uses_cap);
    while (c->uses[i].value != NULL)
        i = (i + 1) & (size_t)(c->uses_cap - 1);
    c->uses[i] = u;
    c->nuses++;
}

static const gp_variable_def_t *variable_def(const gp_compile_t *c, const char *name)
{
    for (const gp_variable_def_t *d = c->op != NULL ? c->op->variables : NULL; d != NULL; d = d->next)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

typedef struct {
    gp_compile_t *c;
    int failed;
} resolve_t;

/* gp_coerce_variable_fn: a fresh copy of the variable's value, recorded. */
static json_t *variable_copy(void *ctx, const gp_value_t *ref)
{
    resolve_t *r = ctx;
    gp_compile_t *c = r->c;
    const gp_variable_def_t *d = variable_def(c, ref->string);
    if (d == NULL) { /* NoUndefinedVariables */
        r->failed = gp_compile_unreachable(c, ref->offset, "the variable \"$%s\" defined nowhere", ref->string);
        return NULL;
    }
    json_t *value = json_object_get(c->variables, d->name);
    if (value == NULL || json_is_null(value) || json_is_boolean(value)) {
        c->shaped = true;
        return value != NULL ? json_incref(value) : NULL;
    }
    json_t *copy = json_deep_copy(value);
    put_use(c, (struct gp_var_use){json_incref(copy), d->name, false});
    return copy;
}

json_t *gp_values_json(gp_compile_t *c, const gp_typeref_t *type, const gp_value_t *v, int *failed)
{
    resolve_t r = {c, 0};
    json_t *j = gp_coerce_literal_json(c->arena, c->schema, type, v, variable_copy, &r);
    if (r.failed) { /* a list or object may be half built around the undefined variable */
        *failed = 1;
        json_decref(j);
        return NULL;
    }
    return j;
}

const gp_typeref_t *gp_values_arg_type(const gp_compile_t *c, const char *type_name, const char *field,
                                       const char *arg)
{
    if (c->schema == NULL)
        return NULL;
    const gp_input_value_t *a;
    if (type_name == NULL) {
        const gp_directive_def_t *d = gp_schema_directive(c->schema, field);
        a = d != NULL ? gp_directive_arg(d, arg) : NULL;
    } else {
        const gp_type_t *t = gp_schema_type(c->schema, type_name);
        const gp_field_t *f = t != NULL ? gp_type_field(t, field) : NULL;
        a = f != NULL ? gp_field_arg(f, arg) : NULL;
    }
    return a != NULL ? a->type : NULL;
}

bool gp_values_check(gp_param_check_t check, const json_t *v)
{
    switch (check) {
    case GP_CHECK_NONE:
        return true;
    case GP_CHECK_COUNT:
        return json_is_integer(v) && json_integer_value(v) >= 0;
    case GP_CHECK_JSON_PATH: {
        const char **items;
        int n;
        size_t at;
        gp_arena_t *a = gp_arena_new(1024);
        bool ok = json_is_string(v) &&
                  gp_jsonpath_parse(a, json_string_value(v), json_string_length(v), &items, &n, &at) == NULL;
        gp_arena_free(a);
        return ok;
    }
    }
    return false;
}

void gp_values_param_checked(gp_compile_t *c, const json_t *v, gp_param_form_t form, const char *cast,
                             gp_param_check_t check)
{
    const char *text = gp_values_form_text(c->arena, v, form);
    gp_param_binding_t b = {NULL, form, check, json_typeof(v)};
    struct gp_var_use *use = find_use(c, v);
    if (use != NULL) {
        b.variable = use->variable;
        if (!use->bound)
            c->nbound++;
        use->bound = true;
    }
    int index = c->sql.nparams;
    gp_sql_param(&c->sql, text, cast);
    if (c->sql.nparams == index) /* over the parameter limit: the compile fails anyway */
        return;
    gp_values_reserve_bindings(c, index + 1);
    c->bindings[index] = b;
}

void gp_values_count(gp_compile_t *c, const json_t *v)
{
    if (find_use(c, v) == NULL && json_is_integer(v)) {
        char digits[24];
        snprintf(digits, sizeof digits, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        gp_sql_raw(&c->sql, digits);
        return;
    }
    gp_values_param_checked(c, v, GP_PARAM_TEXT, "\"pg_catalog\".\"int8\"", GP_CHECK_COUNT);
}

void gp_values_param(gp_compile_t *c, const json_t *v, gp_param_form_t form, const char *cast)
{
    gp_values_param_checked(c, v, form, cast, GP_CHECK_NONE);
}

bool gp_values_shaped_sql(const gp_compile_t *c)
{
    return c->shaped || c->nbound != c->nuses;
}

void gp_values_release(gp_compile_t *c)
{
    for (int i = 0; i < c->uses_cap; i++)
        json_decref((json_t *)c->uses[i].value);
    c->uses = NULL;
    c->uses_cap = c->nuses = c->nbound = 0;
}

void gp_values_reserve_bindings(gp_compile_t *c, int n)
{
    if (n <= c->bindings_cap)
        return;
    int cap = c->bindings_cap ? c->bindings_cap : 16;
    while (cap < n)
        cap *= 2;
    gp_param_binding_t *grown = gp_arena_calloc(c->arena, sizeof *grown * (size_t)cap);
    if (c->bindings_cap > 0)
        memcpy(grown, c->bindings, sizeof *grown * (size_t)c->bindings_cap);
    c->bindings = grown;
    c->bindings_cap = cap;
}

/* The shortest text that reads back as the same double: 0.1 stays "0.1" for a
 * numeric column instead of becoming 0.10000000000000001. */
static const char *shortest_real(gp_arena_t *a, double d)
{
    char buf[64];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    return gp_arena_strdup(a, buf);
}

const char *gp_values_param_text(gp_arena_t *a, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return NULL;
    case JSON_STRING:
        if (gp_json_is_exact(v))
            return gp_arena_strdup(a, gp_json_exact_text(v));
        return gp_arena_strndup(a, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return gp_arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    case JSON_REAL:
        return shortest_real(a, json_real_value(v));
    case JSON_TRUE:
        return "true";
    case JSON_FALSE:
        return "false";
    case JSON_OBJECT:
    case JSON_ARRAY: {
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, a, (size_t)1 << 30); /* the request body bounds it long before */
        gp_json_dump(&sb, v);
        return sb.data;
    }
    }
    return NULL;
}

const char *gp_values_form_text(gp_arena_t *a, const json_t *v, gp_param_form_t form)
{
    if (form == GP_PARAM_TEXT)
        return gp_values_param_text(a, v);
    if (form == GP_PARAM_ARRAY)
        return gp_values_pg_array(a, v);
    if (form == GP_PARAM_JSON_PATH) { /* checked (GP_CHECK_JSON_PATH) before it is written */
        const char **items;
        int n;
        size_t at;
        if (!json_is_string(v) || gp_jsonpath_parse(a, json_string_value(v), json_string_length(v), &items, &n, &at))
            return NULL;
        return gp_sql_array_literal(a, items, n);
    }
    if (form == GP_PARAM_JSON) {
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, a, (size_t)1 << 30); /* the request body bounds it long before */
        gp_json_dump(&sb, v);
        return sb.data;
    }
    int n = (int)json_array_size(v);
    const char **items = gp_arena_alloc(a, sizeof *items * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, (size_t)i);
        if (json_is_null(item))
            items[i] = NULL;
        else if (form == GP_PARAM_JSONS)
            items[i] = gp_values_form_text(a, item, GP_PARAM_JSON);
        else
            items[i] = json_is_array(item) ? gp_values_pg_array(a, item) : NULL;
    }
    return gp_sql_array_literal(a, items, n);
}

const char *gp_values_pg_array(gp_arena_t *a, const json_t *array)
{
    int n = (int)json_array_size(array);
    const char **items = gp_arena_alloc(a, sizeof *items * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        items[i] = gp_values_param_text(a, json_array_get(array, (size_t)i));
    return gp_sql_array_literal(a, items, n);
}
