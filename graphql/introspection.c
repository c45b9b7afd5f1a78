/* graphql/introspection.c — __schema and __type written as JSON text straight from the
 * type system (schema/types.h). The introspection types are walked the way the
 * spec's execution would: CollectFields at every level (gp_collect_fields), one
 * response key after another in selection order, __typename answered in place.
 *
 * A __Type is either a named type or a LIST / NON_NULL wrapper of a type
 * reference; type_src_t carries one or the other. */
#include "graphql/introspection.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/json.h"
#include "graphql/coerce.h"

/* The selection of one parent field group, collected once per type and reused for
 * every item of a list: an introspection query asks for the same TypeRef shape
 * thousands of times. */
typedef struct collected {
    const gp_field_group_t *parent;
    const char *type_name;
    gp_field_group_t *groups;
    struct collected *next;
} collected_t;

typedef struct meta {
    gp_introspection_t *in;
    gp_strbuf_t *out;
    collected_t *cache;
} meta_t;

typedef struct type_src {
    const gp_type_t *named;      /* a named type, or NULL */
    const gp_typeref_t *wrapper; /* a LIST or NON_NULL reference, or NULL */
} type_src_t;

/* Writes the value of field `g` of the introspection object `obj`. */
typedef int (*field_fn)(meta_t *m, const gp_field_group_t *g, const void *obj);

static int schema_field(meta_t *m, const gp_field_group_t *g, const void *obj);
static int type_field(meta_t *m, const gp_field_group_t *g, const void *obj);
/* Arguments in name order, except a T_by_pk's and a delete_T_by_pk's, which follow the
 * key as Hasura's do (and as schema/sdl.c prints them). */
static const gp_input_value_t *field_args(meta_t *m, const gp_field_t *f)
{
    if (!gp_field_args_keyed(f))
        return f->args;
    gp_input_value_t *keyed = gp_arena_alloc(m->in->collect.arena, sizeof *keyed * (size_t)f->nargs);
    for (int i = 0; i < f->nargs; i++) {
        const gp_input_value_t *v = gp_field_arg(f, f->table->columns[f->table->pk[i]].gql_name);
        if (v == NULL)
            return f->args;
        keyed[i] = *v;
    }
    return keyed;
}

static int field_field(meta_t *m, const gp_field_group_t *g, const void *obj);
static int input_value_field(meta_t *m, const gp_field_group_t *g, const void *obj);
static int enum_value_field(meta_t *m, const gp_field_group_t *g, const void *obj);
static int directive_field(meta_t *m, const gp_field_group_t *g, const void *obj);

/* ---- helpers ---- */

static long at(const gp_field_group_t *g)
{
    return g->fields[0]->offset;
}

/* A cap on the answer's size: a selection can multiply the output at every level. */
static int too_large(gp_introspection_t *in, long offset)
{
    gp_errors_add(in->collect.errs, GP_E_TOO_COMPLEX, offset, "The introspection result is too large.");
    return -1;
}

/* A field validation knows on an introspection type that this file does not answer. */
static int unknown_field(meta_t *m, const gp_field_group_t *g, const char *owner)
{
    return gp_collect_unreachable(&m->in->collect, at(g), "the field \"%s\" on \"%s\"", g->name, owner);
}

static void put_string(meta_t *m, const char *s)
{
    if (s == NULL)
        gp_strbuf_lit(m->out, "null");
    else
        gp_json_cstring(m->out, s);
}

static void put_bool(meta_t *m, bool b)
{
    if (b)
        gp_strbuf_lit(m->out, "true");
    else
        gp_strbuf_lit(m->out, "false");
}

/* includeDeprecated: Boolean = false, the argument of the list fields; null is false. */
static int include_deprecated(meta_t *m, const gp_field_group_t *g, bool *out)
{
    const gp_argument_t *a = g->fields[0]->arguments;
    while (a != NULL && strcmp(a->name, "includeDeprecated") != 0)
        a = a->next;
    int failed = 0;
    json_t *v = a != NULL ? m->in->collect.value(m->in->collect.data, NULL, a->value, &failed) : NULL;
    *out = v != NULL && json_is_true(v);
    json_decref(v);
    return failed ? -1 : 0;
}

/* CollectFields for the object type `type_name` under field group `g`. */
static int collect(meta_t *m, const gp_field_group_t *g, const char *type_name, gp_field_group_t **out)
{
    for (const collected_t *k = m->cache; k != NULL; k = k->next) {
        if (k->parent == g && strcmp(k->type_name, type_name) == 0) {
            *out = k->groups;
            return 0;
        }
    }
    const gp_selection_t **sets = gp_arena_alloc(m->in->collect.arena, sizeof *sets * (size_t)g->nfields);
    for (int i = 0; i < g->nfields; i++)
        sets[i] = g->fields[i]->selections;
    int failed = 0;
    gp_field_group_t *groups = gp_collect_fields(&m->in->collect, type_name, sets, g->nfields, &failed);
    if (failed)
        return -1;
    collected_t *k = gp_arena_new_obj(m->in->collect.arena, collected_t);
    *k = (collected_t){g, type_name, groups, m->cache};
    m->cache = k;
    *out = groups;
    return 0;
}

/* {"key": value, ...} for the collected `groups` of an object of type `type_name`. */
static int write_object(meta_t *m, const char *type_name, const gp_field_group_t *groups, field_fn fn,
                        const void *obj)
{
    gp_strbuf_putc(m->out, '{');
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next) {
        if (g != groups)
            gp_strbuf_putc(m->out, ',');
        gp_json_cstring(m->out, g->key);
        gp_strbuf_putc(m->out, ':');
        if (strcmp(g->name, "__typename") == 0)
            gp_json_cstring(m->out, type_name);
        else if (fn(m, g, obj) != 0)
            return -1;
    }
    gp_strbuf_putc(m->out, '}');
    return m->out->error ? too_large(m->in, -1) : 0; /* stop as soon as it is over the cap */
}

/* One object-valued field: collects its selection and writes `obj`, or null. */
static int write_one(meta_t *m, const gp_field_group_t *g, const char *type_name, field_fn fn, const void *obj)
{
    gp_field_group_t *groups;
    if (collect(m, g, type_name, &groups) != 0)
        return -1;
    if (obj == NULL) {
        gp_strbuf_lit(m->out, "null");
        return 0;
    }
    return write_object(m, type_name, groups, fn, obj);
}

static int write_typeref(meta_t *m, const gp_field_group_t *g, const gp_typeref_t *r)
{
    type_src_t src = {NULL, NULL};
    if (r != NULL && r->kind == GP_REF_NAMED)
        src.named = r->named;
    else
        src.wrapper = r;
    return write_one(m, g, "__Type", type_field, r != NULL ? &src : NULL);
}

static int write_named_type(meta_t *m, const gp_field_group_t *g, const gp_type_t *t)
{
    type_src_t src = {t, NULL};
    return write_one(m, g, "__Type", type_field, t != NULL ? &src : NULL);
}

/* ---- lists ---- */

static bool hidden(bool deprecated, bool all)
{
    return deprecated && !all;
}

static int write_input_values(meta_t *m, const gp_field_group_t *g, const gp_input_value_t *vs, int n)
{
    bool all;
    gp_field_group_t *groups;
    if (include_deprecated(m, g, &all) != 0 || collect(m, g, "__InputValue", &groups) != 0)
        return -1;
    gp_strbuf_putc(m->out, '[');
    bool first = true;
    for (int i = 0; i < n; i++) {
        if (hidden(vs[i].deprecated, all))
            continue;
        if (!first)
            gp_strbuf_putc(m->out, ',');
        first = false;
        if (write_object(m, "__InputValue", groups, input_value_field, &vs[i]) != 0)
            return -1;
    }
    gp_strbuf_putc(m->out, ']');
    return 0;
}

static int write_fields(meta_t *m, const gp_field_group_t *g, const gp_type_t *t)
{
    bool all;
    gp_field_group_t *groups;
    if (include_deprecated(m, g, &all) != 0 || collect(m, g, "__Field", &groups) != 0)
        return -1;
    gp_strbuf_putc(m->out, '[');
    bool first = true;
    for (int i = 0; i < t->nfields; i++) {
        const gp_field_t *f = &t->fields[i];
        /* __schema, __type and __typename are implicit, never listed (the names are reserved). */
        if (hidden(f->deprecated, all) || strncmp(f->name, "__", 2) == 0)
            continue;
        if (!first)
            gp_strbuf_putc(m->out, ',');
        first = false;
        if (write_object(m, "__Field", groups, field_field, f) != 0)
            return -1;
    }
    gp_strbuf_putc(m->out, ']');
    return 0;
}

static int write_enum_values(meta_t *m, const gp_field_group_t *g, const gp_type_t *t)
{
    bool all;
    gp_field_group_t *groups;
    if (include_deprecated(m, g, &all) != 0 || collect(m, g, "__EnumValue", &groups) != 0)
        return -1;
    gp_strbuf_putc(m->out, '[');
    bool first = true;
    for (int i = 0; i < t->nenum_values; i++) {
        if (hidden(t->enum_values[i].deprecated, all))
            continue;
        if (!first)
            gp_strbuf_putc(m->out, ',');
        first = false;
        if (write_object(m, "__EnumValue", groups, enum_value_field, &t->enum_values[i]) != 0)
            return -1;
    }
    gp_strbuf_putc(m->out, ']');
    return 0;
}

/* An empty list of __Type (interfaces of an object, possibleTypes of an abstract type). */
static int write_no_types(meta_t *m, const gp_field_group_t *g)
{
    gp_field_group_t *groups;
    if (collect(m, g, "__Type", &groups) != 0)
        return -1;
    gp_strbuf_lit(m->out, "[]");
    return 0;
}

/* ---- __Schema ---- */

static int schema_types(meta_t *m, const gp_field_group_t *g, const gp_schema_t *s)
{
    gp_field_group_t *groups;
    if (collect(m, g, "__Type", &groups) != 0)
        return -1;
    gp_strbuf_putc(m->out, '[');
    for (int i = 0; i < s->ntypes; i++) {
        if (i > 0)
            gp_strbuf_putc(m->out, ',');
        type_src_t src = {&s->types[i], NULL};
        if (write_object(m, "__Type", groups, type_field, &src) != 0)
            return -1;
    }
    gp_strbuf_putc(m->out, ']');
    return 0;
}

static int schema_directives(meta_t *m, const gp_field_group_t *g, const gp_schema_t *s)
{
    gp_field_group_t *groups;
    if (collect(m, g, "__Directive", &groups) != 0)
        return -1;
    gp_strbuf_putc(m->out, '[');
    for (int i = 0; i < s->ndirectives; i++) {
        if (i > 0)
            gp_strbuf_putc(m->out, ',');
        if (write_object(m, "__Directive", groups, directive_field, &s->directives[i]) != 0)
            return -1;
    }
    gp_strbuf_putc(m->out, ']');
    return 0;
}

static int schema_field(meta_t *m, const gp_field_group_t *g, const void *obj)
{
    const gp_schema_t *s = obj;
    const char *n = g->name;
    if (strcmp(n, "description") == 0) {
        put_string(m, s->description);
        return 0;
    }
    if (strcmp(n, "types") == 0)
        return schema_types(m, g, s);
    if (strcmp(n, "directives") == 0)
        return schema_directives(m, g, s);
    const gp_type_t *root;
    if (strcmp(n, "queryType") == 0)
        root = s->query;
    else if (strcmp(n, "mutationType") == 0)
        root = s->mutation;
    else if (strcmp(n, "subscriptionType") == 0)
        root = s->subscription;
    else
        return unknown_field(m, g, "__Schema");
    return write_named_type(m, g, root);
}

/* ---- __Type ---- */

static const char *kind_name(const type_src_t *src)
{
    if (src->wrapper != NULL)
        return src->wrapper->kind == GP_REF_LIST ? "LIST" : "NON_NULL";
    switch (src->named->kind) {
    case GP_KIND_SCALAR:
        return "SCALAR";
    case GP_KIND_OBJECT:
        return "OBJECT";
    case GP_KIND_INTERFACE:
        return "INTERFACE";
    case GP_KIND_UNION:
        return "UNION";
    case GP_KIND_ENUM:
        return "ENUM";
    case GP_KIND_INPUT_OBJECT:
        return "INPUT_OBJECT";
    }
    return "SCALAR";
}

/* The fields whose value is a string or a boolean (or null); 1 when `g` is not one. */
static int type_leaf(meta_t *m, const gp_field_group_t *g, const type_src_t *src)
{
    const gp_type_t *t = src->named;
    const char *n = g->name;
    if (strcmp(n, "kind") == 0) {
        gp_json_cstring(m->out, kind_name(src));
        return 0;
    }
    if (strcmp(n, "isOneOf") == 0) {
        if (t != NULL && t->kind == GP_KIND_INPUT_OBJECT)
            put_bool(m, t->is_one_of);
        else
            gp_strbuf_lit(m->out, "null");
        return 0;
    }
    const char *value;
    if (strcmp(n, "name") == 0)
        value = t != NULL ? t->name : NULL;
    else if (strcmp(n, "description") == 0)
        value = t != NULL ? t->description : NULL;
    else if (strcmp(n, "specifiedByURL") == 0)
        value = t != NULL && t->kind == GP_KIND_SCALAR ? t->specified_by_url : NULL;
    else
        return 1;
    put_string(m, value);
    return 0;
}

static int type_field(meta_t *m, const gp_field_group_t *g, const void *obj)
{
    const type_src_t *src = obj;
    const gp_type_t *t = src->named;
    int rc = type_leaf(m, g, src);
    if (rc != 1)
        return rc;
    const char *n = g->name;
    bool object_like = t != NULL && (t->kind == GP_KIND_OBJECT || t->kind == GP_KIND_INTERFACE);
    if (strcmp(n, "fields") == 0) {
        if (object_like)
            return write_fields(m, g, t);
    } else if (strcmp(n, "interfaces") == 0) {
        if (object_like)
            return write_no_types(m, g);
    } else if (strcmp(n, "possibleTypes") == 0) {
        if (t != NULL && (t->kind == GP_KIND_INTERFACE || t->kind == GP_KIND_UNION))
            return write_no_types(m, g);
    } else if (strcmp(n, "enumValues") == 0) {
        if (t != NULL && t->kind == GP_KIND_ENUM)
            return write_enum_values(m, g, t);
    } else if (strcmp(n, "inputFields") == 0) {
        if (t != NULL && t->kind == GP_KIND_INPUT_OBJECT)
            return write_input_values(m, g, t->input_fields, t->ninput_fields);
    } else if (strcmp(n, "ofType") == 0) {
        return write_typeref(m, g, src->wrapper != NULL ? src->wrapper->of : NULL);
    } else {
        return unknown_field(m, g, "__Type");
    }
    /* Not applicable to this kind: null, its argument and selection read as for any
     * other kind (a variable there may still be null where @skip wants a Boolean). */
    bool ignored;
    gp_field_group_t *groups;
    if (include_deprecated(m, g, &ignored) != 0)
        return -1;
    const char *item = strcmp(n, "fields") == 0         ? "__Field"
                       : strcmp(n, "enumValues") == 0   ? "__EnumValue"
                       : strcmp(n, "inputFields") == 0 ? "__InputValue"
                                                        : "__Type";
    if (collect(m, g, item, &groups) != 0)
        return -1;
    gp_strbuf_lit(m->out, "null");
    return 0;
}

/* ---- __Field, __InputValue, __EnumValue, __Directive ---- */

/* name, description, isDeprecated, deprecationReason: shared by three types. 1 when
 * `g` is none of them. */
static int common_leaf(meta_t *m, const gp_field_group_t *g, const char *name, const char *description,
                       bool deprecated, const char *reason)
{
    const char *n = g->name;
    if (strcmp(n, "isDeprecated") == 0) {
        put_bool(m, deprecated);
        return 0;
    }
    const char *value;
    if (strcmp(n, "name") == 0)
        value = name;
    else if (strcmp(n, "description") == 0)
        value = description;
    else if (strcmp(n, "deprecationReason") == 0)
        value = deprecated ? reason : NULL;
    else
        return 1;
    put_string(m, value);
    return 0;
}

static int field_field(meta_t *m, const gp_field_group_t *g, const void *obj)
{
    const gp_field_t *f = obj;
    int rc = common_leaf(m, g, f->name, f->description, f->deprecated, f->deprecation_reason);
    if (rc != 1)
        return rc;
    if (strcmp(g->name, "args") == 0)
        return write_input_values(m, g, field_args(m, f), f->nargs);
    if (strcmp(g->name, "type") == 0)
        return write_typeref(m, g, f->type);
    return unknown_field(m, g, "__Field");
}

static int input_value_field(meta_t *m, const gp_field_group_t *g, const void *obj)
{
    const gp_input_value_t *v = obj;
    int rc = common_leaf(m, g, v->name, v->description, v->deprecated, v->deprecation_reason);
    if (rc != 1)
        return rc;
    if (strcmp(g->name, "defaultValue") == 0) {
        put_string(m, v->default_value);
        return 0;
    }
    if (strcmp(g->name, "type") == 0)
        return write_typeref(m, g, v->type);
    return unknown_field(m, g, "__InputValue");
}

static int enum_value_field(meta_t *m, const gp_field_group_t *g, const void *obj)
{
    const gp_enum_value_t *e = obj;
    int rc = common_leaf(m, g, e->name, e->description, e->deprecated, e->deprecation_reason);
    return rc != 1 ? rc : unknown_field(m, g, "__EnumValue");
}

/* __DirectiveLocation names, bit i of gp_directive_location_t. */
static const char *const locations[] = {
    "QUERY",           "MUTATION",            "SUBSCRIPTION",        "FIELD",
    "FRAGMENT_DEFINITION", "FRAGMENT_SPREAD", "INLINE_FRAGMENT",     "VARIABLE_DEFINITION",
    "SCHEMA",          "SCALAR",              "OBJECT",              "FIELD_DEFINITION",
    "ARGUMENT_DEFINITION", "INTERFACE",       "UNION",               "ENUM",
    "ENUM_VALUE",      "INPUT_OBJECT",        "INPUT_FIELD_DEFINITION",
};

static int directive_field(meta_t *m, const gp_field_group_t *g, const void *obj)
{
    const gp_directive_def_t *d = obj;
    const char *n = g->name;
    if (strcmp(n, "name") == 0 || strcmp(n, "description") == 0) {
        put_string(m, n[0] == 'n' ? d->name : d->description);
        return 0;
    }
    if (strcmp(n, "isRepeatable") == 0) {
        put_bool(m, d->is_repeatable);
        return 0;
    }
    if (strcmp(n, "locations") == 0) {
        gp_strbuf_putc(m->out, '[');
        bool first = true;
        for (unsigned i = 0; i < sizeof locations / sizeof *locations; i++) {
            if (!(d->locations & (1u << i)))
                continue;
            if (!first)
                gp_strbuf_putc(m->out, ',');
            first = false;
            gp_json_cstring(m->out, locations[i]);
        }
        gp_strbuf_putc(m->out, ']');
        return 0;
    }
    if (strcmp(n, "args") == 0)
        return write_input_values(m, g, d->args, d->nargs);
    return unknown_field(m, g, "__Directive");
}

/* ---- root fields ---- */

/* The value of __type's `name`. Validation saw to it that there is one, of type String!,
 * but a nullable variable with a default may still make it null: NULL with the error
 * a missing one gets. */
static const char *type_name_arg(meta_t *m, const gp_field_group_t *g)
{
    const gp_selection_t *f = g->fields[0];
    const gp_argument_t *a = f->arguments;
    while (a != NULL && strcmp(a->name, "name") != 0)
        a = a->next;
    int failed = 0;
    json_t *v = a != NULL ? m->in->collect.value(m->in->collect.data, NULL, a->value, &failed) : NULL;
    const char *name = v != NULL && json_is_string(v)
                           ? gp_arena_strndup(m->in->collect.arena, json_string_value(v), json_string_length(v))
                           : NULL;
    json_decref(v);
    if (name == NULL && !failed)
        gp_coerce_missing_argument(m->in->collect.errs, f->offset, /* directive= */ false, "__type", "name", "String!");
    return name;
}

int gp_introspection_root_field(gp_introspection_t *in, const gp_field_group_t *g, gp_strbuf_t *out)
{
    meta_t m = {in, out, NULL};
    if (in->collect.schema == NULL) {
        gp_errors_add(in->collect.errs, GP_E_INTERNAL, at(g), "Introspection is not available: no type system.");
        return -1;
    }
    if (strcmp(g->name, "__schema") == 0)
        return write_one(&m, g, "__Schema", schema_field, in->collect.schema);
    if (strcmp(g->name, "__type") == 0) {
        const char *name = type_name_arg(&m, g);
        if (name == NULL)
            return -1;
        return write_named_type(&m, g, gp_schema_type(in->collect.schema, name));
    }
    return unknown_field(&m, g, "query_root");
}

/* ---- one answer per distinct selection ---- */

/* A selection's answer, keyed by the selection written out canonically, fragments
 * inlined and variables by their values: equal keys mean equal answers on one type
 * system, whatever document or request they come from. */
struct gp_introspection_memo {
    uint64_t hash;
    const char *key;
    const char *json;
    struct gp_introspection_memo *next;
};

#define MEMO_KEY_MAX (1u << 20)

typedef struct key {
    gp_introspection_t *in;
    gp_strbuf_t sb;
} memo_key_t;

static void key_value(memo_key_t *k, const gp_value_t *v);

static void key_arguments(memo_key_t *k, const gp_argument_t *a)
{
    gp_strbuf_putc(&k->sb, '(');
    for (; a != NULL; a = a->next) {
        gp_strbuf_printf(&k->sb, "%s:", a->name);
        key_value(k, a->value);
        gp_strbuf_putc(&k->sb, ' ');
    }
    gp_strbuf_putc(&k->sb, ')');
}

/* A variable's value as JSON text; "-" when it was not given. */
static void key_variable(memo_key_t *k, const gp_value_t *v)
{
    int failed = 0;
    json_t *j = k->in->collect.value(k->in->collect.data, NULL, v, &failed);
    char *text = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;
    gp_strbuf_puts(&k->sb, text != NULL ? text : "-");
    free(text);
    json_decref(j);
}

static void key_value(memo_key_t *k, const gp_value_t *v)
{
    gp_strbuf_t *sb = &k->sb;
    switch (v->kind) {
    case GP_VALUE_VARIABLE:
        key_variable(k, v);
        return;
    case GP_VALUE_STRING:
        gp_json_string(sb, v->string, v->length);
        return;
    case GP_VALUE_BOOLEAN:
        gp_strbuf_puts(sb, v->boolean ? "true" : "false");
        return;
    case GP_VALUE_NULL:
        gp_strbuf_lit(sb, "null");
        return;
    case GP_VALUE_LIST:
        gp_strbuf_putc(sb, '[');
        for (const gp_value_t *i = v->items; i != NULL; i = i->next) {
            key_value(k, i);
            gp_strbuf_putc(sb, ' ');
        }
        gp_strbuf_putc(sb, ']');
        return;
    case GP_VALUE_OBJECT:
        gp_strbuf_putc(sb, '{');
        for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next) {
            gp_strbuf_printf(sb, "%s:", f->name);
            key_value(k, f->value);
            gp_strbuf_putc(sb, ' ');
        }
        gp_strbuf_putc(sb, '}');
        return;
    default: /* INT, FLOAT, ENUM: their text */
        gp_strbuf_puts(sb, v->string);
        return;
    }
}

static const gp_fragment_t *fragment(const memo_key_t *k, const char *name)
{
    for (const gp_fragment_t *f = k->in->collect.doc->fragments; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

static void key_directives(memo_key_t *k, const gp_directive_t *d)
{
    for (; d != NULL; d = d->next) {
        gp_strbuf_printf(&k->sb, "@%s", d->name);
        key_arguments(k, d->arguments);
    }
}

static void key_selections(memo_key_t *k, const gp_selection_t *s);

/* The items of a selection set, fragments flattened into it: on the introspection
 * types (objects only, no unions or interfaces) a valid fragment's type condition is
 * always the enclosing type, so `{ ...F }` selects what F's fields do. A fragment
 * with directives keeps them around its fields. Validation has ruled out cycles, and
 * the key's cap bounds what repeated spreads could make of it. */
static void key_items(memo_key_t *k, const gp_selection_t *s)
{
    for (; s != NULL && !k->sb.error; s = s->next) {
        if (s->kind == GP_SEL_FIELD) {
            gp_strbuf_printf(&k->sb, "%s:%s", s->alias != NULL ? s->alias : s->name, s->name);
            key_arguments(k, s->arguments);
            key_directives(k, s->directives);
            if (s->selections != NULL)
                key_selections(k, s->selections);
            gp_strbuf_putc(&k->sb, ' ');
            continue;
        }
        const gp_fragment_t *f = s->kind == GP_SEL_FRAGMENT_SPREAD ? fragment(k, s->name) : NULL;
        const gp_directive_t *fdirs = f != NULL ? f->directives : NULL;
        const gp_selection_t *sub = s->kind == GP_SEL_FRAGMENT_SPREAD ? (f != NULL ? f->selections : NULL)
                                                                       : s->selections;
        if (s->directives == NULL && fdirs == NULL) {
            key_items(k, sub);
            continue;
        }
        key_directives(k, s->directives);
        key_directives(k, fdirs);
        key_selections(k, sub);
        gp_strbuf_putc(&k->sb, ' ');
    }
}

static void key_selections(memo_key_t *k, const gp_selection_t *s)
{
    gp_strbuf_putc(&k->sb, '{');
    key_items(k, s);
    gp_strbuf_putc(&k->sb, '}');
}

/* The root field's name, arguments and merged selection sets, self-contained. NULL
 * if huge. */
static const char *group_key(gp_introspection_t *in, const gp_field_group_t *g)
{
    memo_key_t k = {in, {0}};
    gp_strbuf_init(&k.sb, in->collect.arena, MEMO_KEY_MAX);
    gp_strbuf_puts(&k.sb, g->name);
    for (int i = 0; i < g->nfields; i++) {
        key_arguments(&k, g->fields[i]->arguments);
        key_selections(&k, g->fields[i]->selections);
    }
    return k.sb.error ? NULL : k.sb.data;
}

/* ---- answers shared by every operation on one type system ---- */

typedef struct shared_answer {
    uint64_t hash;
    char *key;
    char *json;
    struct shared_answer *next;
} shared_answer_t;

struct gp_introspection_answers {
    pthread_mutex_t lock;
    shared_answer_t *head;
    size_t bytes;
};

gp_introspection_answers_t *gp_introspection_answers_new(void)
{
    gp_introspection_answers_t *sa = calloc(1, sizeof *sa);
    if (sa == NULL)
        abort();
    pthread_mutex_init(&sa->lock, NULL);
    return sa;
}

void gp_introspection_answers_free(gp_introspection_answers_t *sa)
{
    if (sa == NULL)
        return;
    for (shared_answer_t *e = sa->head, *next; e != NULL; e = next) {
        next = e->next;
        free(e->key);
        free(e->json);
        free(e);
    }
    pthread_mutex_destroy(&sa->lock);
    free(sa);
}

/* The shared text for `key`, or NULL. Entries are never removed while `sa` lives,
 * so the text outlives the lock. */
static const char *shared_find(gp_introspection_answers_t *sa, uint64_t hash, const char *key)
{
    const char *json = NULL;
    pthread_mutex_lock(&sa->lock);
    for (const shared_answer_t *e = sa->head; e != NULL && json == NULL; e = e->next)
        if (e->hash == hash && strcmp(e->key, key) == 0)
            json = e->json;
    pthread_mutex_unlock(&sa->lock);
    return json;
}

/* Keeps a copy of `json` unless the answers hold GP_INTROSPECTION_SHARED_MAX bytes
 * already (then it is built again when asked: still correct, only slower). Another
 * thread may have added the same key meanwhile: its copy is used. */
static const char *shared_add(gp_introspection_answers_t *sa, uint64_t hash, const char *key, const char *json)
{
    size_t klen = strlen(key), jlen = strlen(json);
    pthread_mutex_lock(&sa->lock);
    const char *kept = NULL;
    for (const shared_answer_t *e = sa->head; e != NULL && kept == NULL; e = e->next)
        if (e->hash == hash && strcmp(e->key, key) == 0)
            kept = e->json;
    if (kept == NULL && sa->bytes + klen + jlen <= GP_INTROSPECTION_SHARED_MAX) {
        shared_answer_t *e = malloc(sizeof *e);
        if (e == NULL || (e->key = strdup(key)) == NULL || (e->json = strdup(json)) == NULL)
            abort();
        e->hash = hash;
        e->next = sa->head;
        sa->head = e;
        sa->bytes += klen + jlen;
        kept = e->json;
    }
    pthread_mutex_unlock(&sa->lock);
    return kept != NULL ? kept : json;
}

/* The answer of `g`: this operation's, else the type system's shared one, else built
 * (and shared). */
static struct gp_introspection_memo *memo_entry(gp_introspection_t *in, const gp_field_group_t *g)
{
    const char *key = group_key(in, g);
    uint64_t h = key != NULL ? gp_hash64(key, strlen(key), 0) : 0;
    for (struct gp_introspection_memo *e = in->memo; key != NULL && e != NULL; e = e->next)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    const char *json = key != NULL && in->shared != NULL ? shared_find(in->shared, h, key) : NULL;
    if (json == NULL) {
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, in->collect.arena, GP_INTROSPECTION_ANSWER_MAX);
        if (gp_introspection_root_field(in, g, &sb) != 0)
            return NULL;
        if (sb.error) {
            too_large(in, at(g));
            return NULL;
        }
        json = key != NULL && in->shared != NULL ? shared_add(in->shared, h, key, sb.data) : sb.data;
    }
    struct gp_introspection_memo *e = gp_arena_new_obj(in->collect.arena, struct gp_introspection_memo);
    *e = (struct gp_introspection_memo){h, key, json, NULL};
    if (key != NULL) { /* a key too large to keep is answered each time it is asked */
        e->next = in->memo;
        in->memo = e;
    }
    return e;
}

const char *gp_introspection_root_value(gp_introspection_t *in, const gp_field_group_t *g)
{
    struct gp_introspection_memo *e = memo_entry(in, g);
    return e != NULL ? e->json : NULL;
}

static bool is_meta(const char *name)
{
    return strcmp(name, "__schema") == 0 || strcmp(name, "__type") == 0 || strcmp(name, "__typename") == 0;
}

bool gp_introspection_only(const gp_field_group_t *groups)
{
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next)
        if (!is_meta(g->name))
            return false;
    return true;
}

/* `"key":`, preceded by `{` for the first key and `,` for the others. */
static const char *key_piece(gp_introspection_t *in, const gp_field_group_t *g, bool first)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, in->collect.arena, 1024);
    gp_strbuf_putc(&sb, first ? '{' : ',');
    gp_json_cstring(&sb, g->key);
    gp_strbuf_putc(&sb, ':');
    return sb.data;
}

const char *const *gp_introspection_answer(gp_introspection_t *in, const gp_field_group_t *groups)
{
    int n = 0;
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next)
        n++;
    const char **pieces = gp_arena_alloc(in->collect.arena, sizeof *pieces * (size_t)(2 * n + 3)), **p = pieces; /* "{" when n is 0, "}", NULL */
    if (n == 0)
        *p++ = "{";
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next) {
        *p++ = key_piece(in, g, g == groups);
        if (strcmp(g->name, "__typename") == 0)
            *p++ = "\"query_root\"";
        else if ((*p++ = gp_introspection_root_value(in, g)) == NULL)
            return NULL;
    }
    *p++ = "}";
    *p = NULL;
    return pieces;
}

/* Texts shorter than this (keys, small answers) are not worth looking up. */
#define SHARED_MIN 256

/* The index of the nearest piece before `i` that is answer[i] itself, or i. Only
 * long texts are looked up, and from the nearest back, so neither many short
 * fields nor many aliases of one selection cost a quadratic search. */
static size_t nearest_same(const char *const *answer, size_t i)
{
    if (strlen(answer[i]) < SHARED_MIN)
        return i;
    for (size_t j = i; j-- > 0;)
        if (answer[j] == answer[i])
            return j;
    return i;
}

const char *const *gp_introspection_answer_copy(gp_arena_t *a, const char *const *answer)
{
    size_t n = 0;
    while (answer[n] != NULL)
        n++;
    const char **copy = gp_arena_alloc(a, sizeof *copy * (n + 1));
    for (size_t i = 0; i < n; i++) {
        size_t j = nearest_same(answer, i);
        copy[i] = j < i ? copy[j] : gp_arena_strdup(a, answer[i]);
    }
    copy[n] = NULL;
    return copy;
}

size_t gp_introspection_answer_kept(const char *const *answer)
{
    size_t bytes = 0;
    for (size_t i = 0; answer[i] != NULL; i++)
        if (nearest_same(answer, i) == i)
            bytes += strlen(answer[i]) + 1;
    return bytes;
}

size_t gp_introspection_answer_len(const char *const *answer)
{
    size_t len = 0;
    for (size_t i = 0; answer[i] != NULL; i++)
        len += strlen(answer[i]);
    return len;
}
