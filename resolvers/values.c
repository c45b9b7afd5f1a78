/* resolvers/values.c */
#include "resolvers/values.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strbuf.h"

static json_t *number_from_literal(const gp_value_t *v)
{
    if (v->kind == GP_VALUE_INT) {
        long long n;
        char end;
        if (sscanf(v->string, "%lld%c", &n, &end) == 1)
            return json_integer(n);
    }
    /* Floats, and integers beyond 64 bits, keep their exact digits as a real. */
    return json_real(strtod(v->string, NULL));
}

/* Index of variable `name` in the current operation, or -1. */
static int variable_index(const gp_compile_t *c, const char *name)
{
    int i = 0;
    for (const gp_variable_def_t *d = c->op != NULL ? c->op->variables : NULL; d != NULL; d = d->next, i++)
        if (strcmp(d->name, name) == 0)
            return i;
    return -1;
}

static json_t *variable_value(gp_compile_t *c, const gp_value_t *v, int *failed)
{
    int i = variable_index(c, v->string);
    if (i < 0) {
        *failed = gp_compile_fail(c, v->offset, "Variable \"$%s\" is not defined.", v->string);
        return NULL;
    }
    c->variable_uses[i]++;
    json_t *value = json_object_get(c->variables, v->string);
    return value != NULL ? json_incref(value) : NULL;
}

void gp_values_param(gp_compile_t *c, const json_t *v, gp_param_form_t form, const char *cast)
{
    const char *text = form == GP_PARAM_ARRAY ? gp_values_pg_array(c->arena, v) : gp_values_param_text(c->arena, v);
    gp_param_binding_t b = {NULL, form};
    int i = 0;
    for (const gp_variable_def_t *d = c->op != NULL ? c->op->variables : NULL; d != NULL; d = d->next, i++) {
        if (json_object_get(c->variables, d->name) == v) {
            b.variable = d->name;
            c->variable_binds[i]++;
            break;
        }
    }
    int index = c->sql.nparams;
    gp_sql_param(&c->sql, text, cast);
    if (c->sql.nparams == index) /* over the parameter limit: the compile fails anyway */
        return;
    gp_values_reserve_bindings(c, index + 1);
    c->bindings[index] = b;
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

static json_t *to_json(gp_compile_t *c, const gp_value_t *v, int *failed)
{
    switch (v->kind) {
    case GP_VALUE_VARIABLE:
        return variable_value(c, v, failed);
    case GP_VALUE_INT:
    case GP_VALUE_FLOAT:
        return number_from_literal(v);
    case GP_VALUE_STRING:
        return json_stringn_nocheck(v->string, v->length);
    case GP_VALUE_ENUM:
        return json_string_nocheck(v->string);
    case GP_VALUE_BOOLEAN:
        return json_boolean(v->boolean);
    case GP_VALUE_NULL:
        return json_null();
    case GP_VALUE_LIST: {
        json_t *list = json_array();
        for (const gp_value_t *item = v->items; item != NULL; item = item->next) {
            json_t *j = to_json(c, item, failed);
            json_array_append_new(list, j != NULL ? j : json_null());
        }
        return list;
    }
    case GP_VALUE_OBJECT: {
        json_t *obj = json_object();
        for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next) {
            json_t *j = to_json(c, f->value, failed);
            if (j != NULL)
                json_object_set_new_nocheck(obj, f->name, j);
        }
        return obj;
    }
    }
    return NULL;
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

json_t *gp_values_to_json(gp_compile_t *c, const gp_value_t *v, int *failed)
{
    json_t *j = to_json(c, v, failed);
    if (*failed) { /* a list or object may be half built around the undefined variable */
        json_decref(j);
        return NULL;
    }
    return j;
}

const char *gp_values_param_text(gp_arena_t *a, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return NULL;
    case JSON_STRING:
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
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        const char *copy = gp_arena_strdup(a, text != NULL ? text : "null");
        free(text);
        return copy;
    }
    }
    return NULL;
}

const char *gp_values_pg_array(gp_arena_t *a, const json_t *array)
{
    int n = (int)json_array_size(array);
    const char **items = gp_arena_alloc(a, sizeof *items * (size_t)(n > 0 ? n : 1));
    for (int i = 0; i < n; i++)
        items[i] = gp_values_param_text(a, json_array_get(array, (size_t)i));
    return gp_sql_array_literal(a, items, n);
}
