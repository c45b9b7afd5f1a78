/* graphql/validate.c — the Validation section of the GraphQL spec over one document.
 *
 * One walk per definition (operation or fragment) with the type each selection set is
 * on checks what can be checked locally: fields, arguments, directives, fragment type
 * conditions, leaf selections, values (through gp_coerce_literal) and unique names.
 * The walk records the variables each definition uses (with the type expected where
 * they stand) and the fragments it spreads; the checks that need the whole document
 * run afterwards on those records: variables defined, used and in allowed position,
 * fragments used. Field merging is in validate_fields.c; fragment cycles, single-field
 * subscriptions and the limits, which follow spreads across the document, in
 * validate_spreads.c.
 *
 * Errors are collected in the context, then sorted by location and handed to the
 * caller, at most GP_VALIDATE_MAX_ERRORS of them as graphql-js does. Recursion follows
 * the document's nesting, which the parser bounds; chains of fragments, which it does
 * not bound, are walked with explicit stacks. */
#include "graphql/validate.h"

#include <stdlib.h>
#include <string.h>

#include "graphql/coerce.h"
#include "graphql/lex.h"
#include "graphql/validate_int.h"

#define GP_VALIDATE_MAX_ERRORS 100

typedef struct walk {              /* one definition being walked */
    vctx_t *c;
    const gp_variable_def_t *vars; /* the operation's; NULL in a fragment */
    vusage_t **usages;             /* tails of the definition's records */
    vspread_t **spreads;
} walk_t;

typedef struct named {             /* for duplicate detection and lookups by name */
    const char *name;
    long offset;
    int index;
} named_t;

/* ---- context ---- */

void gp_vctx_error(vctx_t *c, long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_errors_vadd(&c->errs, GP_E_VALIDATION, offset, fmt, ap);
    va_end(ap);
}

bool gp_vctx_work(vctx_t *c, long n)
{
    if (c->too_complex)
        return false;
    c->work -= n;
    if (c->work >= 0)
        return true;
    c->too_complex = true;
    gp_errors_add(&c->errs, GP_E_TOO_COMPLEX, -1, "The document is too complex to validate.");
    return false;
}

static int frag_cmp(const void *x, const void *y)
{
    const vfrag_t *a = *(vfrag_t *const *)x, *b = *(vfrag_t *const *)y;
    int d = strcmp(a->def->name, b->def->name);
    return d != 0 ? d : (a < b ? -1 : a > b);
}

vfrag_t *gp_vctx_fragment(const vctx_t *c, const char *name)
{
    int lo = 0, hi = c->nfrags;
    while (lo < hi) { /* the first of equal names: document order breaks ties */
        int mid = (lo + hi) / 2;
        if (strcmp(c->by_name[mid]->def->name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->nfrags && strcmp(c->by_name[lo]->def->name, name) == 0 ? c->by_name[lo] : NULL;
}

const gp_field_t *gp_vctx_field(const vctx_t *c, const gp_type_t *parent, const char *name)
{
    if (parent == NULL || !gp_type_is_composite(parent))
        return NULL;
    if (strcmp(name, "__typename") == 0)
        return c->typename_field.type != NULL ? &c->typename_field : NULL;
    const gp_field_t *f = gp_type_field(parent, name);
    if (f != NULL || parent != c->s->query)
        return f;
    if (strcmp(name, "__schema") == 0 && c->schema_field.type != NULL)
        return &c->schema_field;
    if (strcmp(name, "__type") == 0 && c->type_field.type != NULL)
        return &c->type_field;
    return NULL;
}

const gp_type_t *gp_vctx_composite(const vctx_t *c, const char *name)
{
    const gp_type_t *t = name != NULL ? gp_schema_type(c->s, name) : NULL;
    return t != NULL && gp_type_is_composite(t) ? t : NULL;
}

static const gp_typeref_t *ref_new(gp_arena_t *a, int kind, const gp_type_t *named, const gp_typeref_t *of)
{
    gp_typeref_t *r = gp_arena_new_obj(a, gp_typeref_t);
    r->kind = kind;
    r->named = named;
    r->of = of;
    return r;
}

static const gp_typeref_t *ref_non_null(gp_arena_t *a, const gp_type_t *t)
{
    return t != NULL ? ref_new(a, GP_REF_NON_NULL, NULL, ref_new(a, GP_REF_NAMED, t, NULL)) : NULL;
}

/* __typename on every composite type, __schema and __type on the query root, when the
 * type system does not list them itself. */
static void meta_fields_init(vctx_t *c)
{
    const gp_type_t *string = gp_schema_type(c->s, "String");
    const gp_type_t *type = gp_schema_type(c->s, "__Type");
    c->typename_field = (gp_field_t){.name = "__typename", .type = ref_non_null(c->a, string), .role = GP_FIELD_META};
    c->schema_field = (gp_field_t){
        .name = "__schema", .type = ref_non_null(c->a, gp_schema_type(c->s, "__Schema")), .role = GP_FIELD_META};
    c->type_name_arg = (gp_input_value_t){.name = "name", .type = ref_non_null(c->a, string)};
    c->type_field = (gp_field_t){.name = "__type",
                                 .type = type != NULL ? ref_new(c->a, GP_REF_NAMED, type, NULL) : NULL,
                                 .args = &c->type_name_arg,
                                 .nargs = 1,
                                 .role = GP_FIELD_META};
}

/* The offset of the token `skip` tokens after the one at `offset`: where a name stands
 * after its keyword (`query Q`, `fragment F on T`, `... F`), for graphql-js's locations. */
static long token_after(const vctx_t *c, long offset, int skip)
{
    gp_errors_t quiet;
    gp_errors_init(&quiet, c->a, c->doc->source);
    gp_lexer_t lx;
    gp_lex_init(&lx, c->doc->source, c->srclen, &quiet);
    lx.pos = (size_t)offset;
    gp_token_t t = gp_lex_next(&lx);
    for (int i = 0; i < skip && t.kind != GP_TOK_EOF && t.kind != GP_TOK_ERROR; i++)
        t = gp_lex_next(&lx);
    return t.kind == GP_TOK_ERROR || t.kind == GP_TOK_EOF ? offset : (long)t.start;
}

/* The `{` that opens field `f`'s selection set: the first brace outside its arguments. */
static long selection_set_offset(const vctx_t *c, const gp_selection_t *f)
{
    gp_errors_t quiet;
    gp_errors_init(&quiet, c->a, c->doc->source);
    gp_lexer_t lx;
    gp_lex_init(&lx, c->doc->source, c->srclen, &quiet);
    lx.pos = (size_t)f->offset;
    for (int parens = 0;;) {
        gp_token_t t = gp_lex_next(&lx);
        if (t.kind == GP_TOK_EOF || t.kind == GP_TOK_ERROR)
            return f->offset;
        if (t.kind == GP_TOK_PAREN_L || t.kind == GP_TOK_PAREN_R)
            parens += t.kind == GP_TOK_PAREN_L ? 1 : -1;
        else if (t.kind == GP_TOK_BRACE_L && parens == 0)
            return (long)t.start;
    }
}

/* KnownTypeNames, for type conditions and variable types alike. */
static void unknown_type(vctx_t *c, long offset, const char *name)
{
    gp_vctx_error(c, offset, "Unknown type \"%s\".", name);
}

/* ---- unique names ---- */

static int named_cmp(const void *x, const void *y)
{
    const named_t *a = x, *b = y;
    int d = strcmp(a->name, b->name);
    return d != 0 ? d : a->index - b->index;
}

/* Sorts `v` and reports names that occur more than once, at the first occurrence's
 * location (`skip` tokens after its offset), as graphql-js's first location is: once
 * per name (`per_name`) or once per repetition. `fmt` takes the name. */
static void report_duplicates(vctx_t *c, named_t *v, int n, bool per_name, int skip, const char *fmt)
{
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, named_cmp);
    for (int i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && strcmp(v[j].name, v[i].name) == 0; j++)
            ;
        int reports = per_name ? j - i > 1 : j - i - 1;
        for (int k = 0; k < reports; k++)
            gp_vctx_error(c, token_after(c, v[i].offset, skip), fmt, v[i].name);
    }
}

/* The first element named `name` in sorted `v`, or NULL. */
static const named_t *named_find(const named_t *v, int n, const char *name)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (strcmp(v[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && strcmp(v[lo].name, name) == 0 ? &v[lo] : NULL;
}

/* ---- values ---- */

static void add_usage(walk_t *w, const gp_value_t *var, const gp_typeref_t *expected, bool has_default)
{
    vusage_t *u = gp_arena_new_obj(w->c->a, vusage_t);
    *u = (vusage_t){.var = var, .expected = expected, .has_default = has_default};
    *w->usages = u;
    w->usages = &u->next;
}

/* Walks value `v` that stands where `type` (NULL when unknown) is expected: records the
 * variables it uses with the type of their position, and checks that the fields of
 * each object are unique. Whether the value fits the type is gp_coerce_literal's. */
static void walk_value(walk_t *w, const gp_value_t *v, const gp_typeref_t *type, bool has_default)
{
    if (v->kind == GP_VALUE_VARIABLE) {
        add_usage(w, v, type, has_default);
    } else if (v->kind == GP_VALUE_LIST) {
        const gp_typeref_t *item = type != NULL && type->kind == GP_REF_NON_NULL ? type->of : type;
        if (item != NULL && item->kind == GP_REF_LIST)
            item = item->of;
        for (const gp_value_t *i = v->items; i != NULL; i = i->next)
            walk_value(w, i, item, false);
    } else if (v->kind == GP_VALUE_OBJECT) {
        const gp_type_t *t = type != NULL ? gp_typeref_named(type) : NULL;
        int n = 0;
        for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next)
            n++;
        named_t *names = gp_arena_alloc(w->c->a, sizeof *names * (size_t)(n + 1));
        n = 0;
        for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next) {
            names[n] = (named_t){f->name, f->offset, n};
            n++;
            const gp_input_value_t *iv =
                t != NULL && t->kind == GP_KIND_INPUT_OBJECT ? gp_type_input_field(t, f->name) : NULL;
            walk_value(w, f->value, iv != NULL ? iv->type : NULL, iv != NULL && iv->default_value != NULL);
        }
        if (n > 1)
            report_duplicates(w->c, names, n, /* per_name= */ false, 0,
                              "There can be only one input field named \"%s\".");
    }
}

/* ---- arguments and directives ---- */

typedef struct owner {             /* whose arguments: a field's or a directive's */
    bool known;                    /* its definition is known: check names and presence */
    const gp_input_value_t *args;
    int nargs;
    const char *type_name;         /* the field's parent type; NULL for a directive */
    const char *name;
} owner_t;

static const gp_input_value_t *owner_arg(const owner_t *o, const char *name)
{
    for (int i = 0; i < o->nargs; i++)
        if (strcmp(o->args[i].name, name) == 0)
            return &o->args[i];
    return NULL;
}

static bool has_argument(const gp_argument_t *args, const char *name)
{
    for (; args != NULL; args = args->next)
        if (strcmp(args->name, name) == 0)
            return true;
    return false;
}

/* UniqueArgumentNames, KnownArgumentNames, ValuesOfCorrectType and
 * ProvidedRequiredArguments for the arguments of the node at `offset`. */
static void walk_arguments(walk_t *w, const gp_argument_t *args, const owner_t *o, long offset)
{
    vctx_t *c = w->c;
    int n = 0;
    for (const gp_argument_t *arg = args; arg != NULL; arg = arg->next)
        n++;
    named_t *names = n > 1 ? gp_arena_alloc(c->a, sizeof *names * (size_t)n) : NULL;
    n = 0;
    for (const gp_argument_t *arg = args; arg != NULL; arg = arg->next) {
        if (names != NULL)
            names[n] = (named_t){arg->name, arg->offset, n};
        n++;
        const gp_input_value_t *def = o->known ? owner_arg(o, arg->name) : NULL;
        if (o->known && def == NULL && o->type_name != NULL)
            gp_vctx_error(c, arg->offset, "Unknown argument \"%s\" on field \"%s.%s\".", arg->name, o->type_name,
                          o->name);
        else if (o->known && def == NULL)
            gp_vctx_error(c, arg->offset, "Unknown argument \"%s\" on directive \"@%s\".", arg->name, o->name);
        if (def != NULL)
            gp_coerce_literal(c->a, c->s, def->type, arg->value, w->vars, &c->errs);
        walk_value(w, arg->value, def != NULL ? def->type : NULL, def != NULL && def->default_value != NULL);
    }
    if (names != NULL)
        report_duplicates(c, names, n, /* per_name= */ true, 0, "There can be only one argument named \"%s\".");
    for (int i = 0; o->known && i < o->nargs; i++) {
        const gp_input_value_t *def = &o->args[i];
        if (def->type->kind != GP_REF_NON_NULL || def->default_value != NULL || has_argument(args, def->name))
            continue;
        gp_coerce_missing_argument(&c->errs, offset, /* directive= */ o->type_name == NULL, o->name, def->name,
                                   gp_typeref_string(c->a, def->type));
    }
}

static const char *location_name(unsigned location)
{
    switch (location) {
    case GP_LOC_QUERY: return "QUERY";
    case GP_LOC_MUTATION: return "MUTATION";
    case GP_LOC_SUBSCRIPTION: return "SUBSCRIPTION";
    case GP_LOC_FIELD: return "FIELD";
    case GP_LOC_FRAGMENT_DEFINITION: return "FRAGMENT_DEFINITION";
    case GP_LOC_FRAGMENT_SPREAD: return "FRAGMENT_SPREAD";
    case GP_LOC_INLINE_FRAGMENT: return "INLINE_FRAGMENT";
    default: return "VARIABLE_DEFINITION";
    }
}

/* KnownDirectives, UniqueDirectivesPerLocation and the directives' arguments. */
static void walk_directives(walk_t *w, const gp_directive_t *dirs, unsigned location)
{
    vctx_t *c = w->c;
    int n = 0;
    for (const gp_directive_t *d = dirs; d != NULL; d = d->next)
        n++;
    named_t *names = n > 1 ? gp_arena_alloc(c->a, sizeof *names * (size_t)n) : NULL;
    n = 0;
    for (const gp_directive_t *d = dirs; d != NULL; d = d->next) {
        const gp_directive_def_t *def = gp_schema_directive(c->s, d->name);
        if (def == NULL)
            gp_vctx_error(c, d->offset, "Unknown directive \"@%s\".", d->name);
        else if ((def->locations & location) == 0)
            gp_vctx_error(c, d->offset, "Directive \"@%s\" may not be used on %s.", d->name, location_name(location));
        if (def != NULL && !def->is_repeatable && names != NULL) {
            names[n] = (named_t){d->name, d->offset, n};
            n++;
        }
        owner_t o = {.known = def != NULL, .args = def ? def->args : NULL, .nargs = def ? def->nargs : 0, .name = d->name};
        walk_arguments(w, d->arguments, &o, d->offset);
    }
    if (n > 1)
        report_duplicates(c, names, n, /* per_name= */ false, 0,
                          "The directive \"@%s\" can only be used once at this location.");
}

/* ---- selections ---- */

static void walk_selections(walk_t *w, const gp_type_t *parent, const gp_selection_t *sels);

/* Objects of type `a` can be of type `b`: with object types only, when they are one. */
static bool types_overlap(const gp_type_t *a, const gp_type_t *b)
{
    return a == b;
}

static void walk_field(walk_t *w, const gp_type_t *parent, const gp_selection_t *f)
{
    vctx_t *c = w->c;
    const gp_field_t *def = gp_vctx_field(c, parent, f->name);
    if (parent != NULL && def == NULL)
        gp_vctx_error(c, f->offset, "Cannot query field \"%s\" on type \"%s\".", f->name, parent->name);
    owner_t o = {.known = def != NULL,
                 .args = def != NULL ? def->args : NULL,
                 .nargs = def != NULL ? def->nargs : 0,
                 .type_name = parent != NULL ? parent->name : "",
                 .name = f->name};
    walk_arguments(w, f->arguments, &o, f->offset);
    walk_directives(w, f->directives, GP_LOC_FIELD);
    const gp_type_t *t = def != NULL && def->type != NULL ? gp_typeref_named(def->type) : NULL;
    if (t != NULL && gp_type_is_leaf(t) && f->selections != NULL)
        gp_vctx_error(c, selection_set_offset(c, f),
                      "Field \"%s\" must not have a selection since type \"%s\" has no subfields.", f->name,
                      gp_typeref_string(c->a, def->type));
    else if (t != NULL && !gp_type_is_leaf(t) && f->selections == NULL)
        gp_vctx_error(c, f->offset,
                      "Field \"%s\" of type \"%s\" must have a selection of subfields. Did you mean \"%s { ... }\"?",
                      f->name, gp_typeref_string(c->a, def->type), f->name);
    if (f->selections != NULL)
        walk_selections(w, t != NULL && gp_type_is_composite(t) ? t : NULL, f->selections);
}

static void walk_spread(walk_t *w, const gp_type_t *parent, const gp_selection_t *s)
{
    vctx_t *c = w->c;
    vspread_t *sp = gp_arena_new_obj(c->a, vspread_t);
    sp->node = s;
    *w->spreads = sp;
    w->spreads = &sp->next;
    walk_directives(w, s->directives, GP_LOC_FRAGMENT_SPREAD);
    const vfrag_t *f = gp_vctx_fragment(c, s->name);
    if (f == NULL)
        gp_vctx_error(c, token_after(c, s->offset, 1), "Unknown fragment \"%s\".", s->name);
    else if (parent != NULL && f->type != NULL && !types_overlap(parent, f->type))
        gp_vctx_error(c, s->offset,
                      "Fragment \"%s\" cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
                      s->name, parent->name, f->type->name);
}

static void walk_inline(walk_t *w, const gp_type_t *parent, const gp_selection_t *s)
{
    vctx_t *c = w->c;
    const gp_type_t *t = parent;
    if (s->type_condition != NULL) {
        const gp_type_t *cond = gp_schema_type(c->s, s->type_condition);
        if (cond == NULL)
            unknown_type(c, token_after(c, s->offset, 2), s->type_condition);
        else if (!gp_type_is_composite(cond))
            gp_vctx_error(c, token_after(c, s->offset, 2), "Fragment cannot condition on non composite type \"%s\".",
                          s->type_condition);
        else if (parent != NULL && !types_overlap(parent, cond))
            gp_vctx_error(c, s->offset,
                          "Fragment cannot be spread here as objects of type \"%s\" can never be of type \"%s\".",
                          parent->name, cond->name);
        t = cond != NULL && gp_type_is_composite(cond) ? cond : NULL;
    }
    walk_directives(w, s->directives, GP_LOC_INLINE_FRAGMENT);
    walk_selections(w, t, s->selections);
}

static void walk_selections(walk_t *w, const gp_type_t *parent, const gp_selection_t *sels)
{
    for (const gp_selection_t *s = sels; s != NULL; s = s->next) {
        if (s->kind == GP_SEL_FIELD)
            walk_field(w, parent, s);
        else if (s->kind == GP_SEL_FRAGMENT_SPREAD)
            walk_spread(w, parent, s);
        else
            walk_inline(w, parent, s);
    }
}

/* ---- variables ---- */

typedef struct vop {               /* an operation and what its walk recorded */
    const gp_operation_t *def;
    vusage_t *usages;
    vspread_t *spreads;
    named_t *vars;                 /* its variable definitions, sorted by name */
    const gp_variable_def_t **defs;/* by index */
    const gp_typeref_t **types;    /* by index; NULL when unknown or not an input type */
    int nvars;
} vop_t;

static const gp_typeref_t *ast_typeref(vctx_t *c, const gp_type_ref_t *t)
{
    if (t->kind == GP_TYPE_NAMED) {
        const gp_type_t *named = gp_schema_type(c->s, t->name);
        return named != NULL ? ref_new(c->a, GP_REF_NAMED, named, NULL) : NULL;
    }
    const gp_typeref_t *of = ast_typeref(c, t->of_type);
    return of != NULL ? ref_new(c->a, t->kind == GP_TYPE_LIST ? GP_REF_LIST : GP_REF_NON_NULL, NULL, of) : NULL;
}

static const char *ast_type_string(gp_arena_t *a, const gp_type_ref_t *t)
{
    if (t->kind == GP_TYPE_NAMED)
        return t->name;
    const char *of = ast_type_string(a, t->of_type);
    return t->kind == GP_TYPE_LIST ? gp_arena_printf(a, "[%s]", of) : gp_arena_printf(a, "%s!", of);
}

/* UniqueVariableNames, KnownTypeNames, VariablesAreInputTypes, the directives of the
 * definitions and their default values. Fills op's vars, defs and types. */
static void walk_variable_defs(walk_t *w, vop_t *op)
{
    vctx_t *c = w->c;
    int n = 0;
    for (const gp_variable_def_t *v = op->def->variables; v != NULL; v = v->next)
        n++;
    op->vars = gp_arena_alloc(c->a, sizeof *op->vars * (size_t)(n + 1));
    op->defs = gp_arena_alloc(c->a, sizeof *op->defs * (size_t)(n + 1));
    op->types = gp_arena_calloc(c->a, sizeof *op->types * (size_t)(n + 1));
    n = 0;
    for (const gp_variable_def_t *v = op->def->variables; v != NULL; v = v->next, n++) {
        op->vars[n] = (named_t){v->name, v->offset, n};
        op->defs[n] = v;
        const gp_type_ref_t *named = v->type;
        while (named->kind != GP_TYPE_NAMED)
            named = named->of_type;
        const gp_type_t *t = gp_schema_type(c->s, named->name);
        if (t == NULL)
            unknown_type(c, named->offset, named->name);
        else if (!gp_type_is_input(t))
            gp_vctx_error(c, v->type->offset, "Variable \"$%s\" cannot be non-input type \"%s\".", v->name,
                          ast_type_string(c->a, v->type));
        else
            op->types[n] = ast_typeref(c, v->type);
        walk_directives(w, v->directives, GP_LOC_VARIABLE_DEFINITION);
        if (v->default_value != NULL && op->types[n] != NULL) {
            gp_coerce_literal(c->a, c->s, op->types[n], v->default_value, op->def->variables, &c->errs);
            walk_value(w, v->default_value, op->types[n], false);
        }
    }
    op->nvars = n;
    report_duplicates(c, op->vars, n, /* per_name= */ true, 0, "There can be only one variable named \"$%s\".");
}

/* The spec's AreTypesCompatible: may a value of type `sub` stand where `super` is expected? */
static bool is_subtype(const gp_typeref_t *sub, const gp_typeref_t *super)
{
    if (super->kind == GP_REF_NON_NULL)
        return sub->kind == GP_REF_NON_NULL && is_subtype(sub->of, super->of);
    if (sub->kind == GP_REF_NON_NULL)
        return is_subtype(sub->of, super);
    if (super->kind == GP_REF_LIST)
        return sub->kind == GP_REF_LIST && is_subtype(sub->of, super->of);
    if (sub->kind == GP_REF_LIST)
        return false;
    return strcmp(sub->named->name, super->named->name) == 0;
}

/* IsVariableUsageAllowed: a nullable variable may fill a non-null position when the
 * variable or the position has a default other than null. */
static bool usage_allowed(const gp_variable_def_t *def, const gp_typeref_t *type, const vusage_t *u)
{
    const gp_typeref_t *want = u->expected;
    if (want->kind == GP_REF_NON_NULL && type->kind != GP_REF_NON_NULL) {
        bool var_default = def->default_value != NULL && def->default_value->kind != GP_VALUE_NULL;
        if (!var_default && !u->has_default)
            return false;
        want = want->of;
    }
    return is_subtype(type, want);
}

/* NoUndefinedVariables and VariablesInAllowedPosition for one usage in `op`. */
static void check_usage(vctx_t *c, const vop_t *op, bool *used, const vusage_t *u)
{
    const char *name = u->var->string;
    const named_t *v = named_find(op->vars, op->nvars, name);
    if (v == NULL && op->def->name != NULL)
        gp_vctx_error(c, u->var->offset, "Variable \"$%s\" is not defined by operation \"%s\".", name, op->def->name);
    else if (v == NULL)
        gp_vctx_error(c, u->var->offset, "Variable \"$%s\" is not defined.", name);
    if (v == NULL)
        return;
    used[v->index] = true;
    const gp_typeref_t *type = op->types[v->index];
    if (type != NULL && u->expected != NULL && !usage_allowed(op->defs[v->index], type, u))
        gp_vctx_error(c, v->offset, "Variable \"$%s\" of type \"%s\" used in position expecting type \"%s\".", name,
                      gp_typeref_string(c->a, type), gp_typeref_string(c->a, u->expected));
}

/* The fragments `op` reaches, each once, marked used; NULL when work ran out. */
static vfrag_t **reachable_fragments(vctx_t *c, const vop_t *op, int *n)
{
    vfrag_t **out = gp_arena_alloc(c->a, sizeof *out * (size_t)(c->nfrags + 1));
    long stamp = ++c->stamp;
    *n = 0;
    for (int i = -1; i < *n; i++) {
        const vspread_t *sp = i < 0 ? op->spreads : out[i]->spreads;
        for (; sp != NULL; sp = sp->next) {
            vfrag_t *f = gp_vctx_fragment(c, sp->node->name);
            if (!gp_vctx_work(c, 1))
                return NULL;
            if (f == NULL || f->stamp == stamp)
                continue;
            f->stamp = stamp;
            f->used = true;
            out[(*n)++] = f;
        }
    }
    return out;
}

/* NoUndefinedVariables, NoUnusedVariables and VariablesInAllowedPosition over the
 * operation and every fragment it reaches. */
static void check_variables(vctx_t *c, const vop_t *op)
{
    int nfrags;
    vfrag_t **frags = reachable_fragments(c, op, &nfrags);
    if (frags == NULL)
        return;
    bool *used = gp_arena_calloc(c->a, sizeof *used * (size_t)(op->nvars + 1));
    for (const vusage_t *u = op->usages; u != NULL; u = u->next)
        check_usage(c, op, used, u);
    for (int i = 0; i < nfrags; i++)
        for (const vusage_t *u = frags[i]->usages; u != NULL; u = u->next)
            check_usage(c, op, used, u);
    for (int i = 0; i < op->nvars; i++) {
        if (used[named_find(op->vars, op->nvars, op->defs[i]->name)->index]) /* duplicates share one */
            continue;
        if (op->def->name != NULL)
            gp_vctx_error(c, op->defs[i]->offset, "Variable \"$%s\" is never used in operation \"%s\".",
                          op->defs[i]->name, op->def->name);
        else
            gp_vctx_error(c, op->defs[i]->offset, "Variable \"$%s\" is never used.", op->defs[i]->name);
    }
}

/* ---- operations ---- */

static void walk_operation(vctx_t *c, vop_t *op)
{
    static const unsigned locations[] = {GP_LOC_QUERY, GP_LOC_MUTATION, GP_LOC_SUBSCRIPTION};
    static const char *const kinds[] = {"query", "mutation", "subscription"};
    const gp_operation_t *d = op->def;
    const gp_type_t *roots[] = {c->s->query, c->s->mutation, c->s->subscription};
    const gp_type_t *root = roots[d->kind];
    walk_t w = {.c = c, .vars = d->variables, .usages = &op->usages, .spreads = &op->spreads};
    if (root == NULL)
        gp_vctx_error(c, d->offset, "The %s operation is not supported by the schema.", kinds[d->kind]);
    walk_variable_defs(&w, op);
    walk_directives(&w, d->directives, locations[d->kind]);
    walk_selections(&w, root, d->selections);
    if (d->kind == GP_OP_SUBSCRIPTION && root != NULL)
        gp_validate_subscription(c, d, root);
    gp_validate_limits(c, d);
}

/* ---- fragments ---- */

static void walk_fragment(vctx_t *c, vfrag_t *f)
{
    const gp_fragment_t *d = f->def;
    walk_t w = {.c = c, .usages = &f->usages, .spreads = &f->spreads};
    const gp_type_t *t = gp_schema_type(c->s, d->type_condition);
    if (t == NULL)
        unknown_type(c, token_after(c, d->offset, 3), d->type_condition);
    else if (!gp_type_is_composite(t))
        gp_vctx_error(c, token_after(c, d->offset, 3), "Fragment \"%s\" cannot condition on non composite type \"%s\".",
                      d->name, d->type_condition);
    walk_directives(&w, d->directives, GP_LOC_FRAGMENT_DEFINITION);
    walk_selections(&w, f->type, d->selections);
}

static void fragments_init(vctx_t *c)
{
    for (const gp_fragment_t *f = c->doc->fragments; f != NULL; f = f->next)
        c->nfrags++;
    c->frags = gp_arena_calloc(c->a, sizeof *c->frags * (size_t)(c->nfrags + 1));
    c->by_name = gp_arena_alloc(c->a, sizeof *c->by_name * (size_t)(c->nfrags + 1));
    int i = 0;
    for (const gp_fragment_t *f = c->doc->fragments; f != NULL; f = f->next, i++) {
        c->frags[i].def = f;
        c->frags[i].type = gp_vctx_composite(c, f->type_condition);
        c->by_name[i] = &c->frags[i];
    }
    if (c->nfrags > 1)
        qsort(c->by_name, (size_t)c->nfrags, sizeof *c->by_name, frag_cmp);
}

/* ---- the whole document ---- */

/* UniqueOperationNames, LoneAnonymousOperation and UniqueFragmentNames. */
static void check_definition_names(vctx_t *c, int nops)
{
    named_t *names = gp_arena_alloc(c->a, sizeof *names * (size_t)(nops + c->nfrags + 1));
    int n = 0;
    for (const gp_operation_t *op = c->doc->operations; op != NULL; op = op->next) {
        if (op->name != NULL) {
            names[n] = (named_t){op->name, op->offset, n};
            n++;
        } else if (nops > 1) {
            gp_vctx_error(c, op->offset, "This anonymous operation must be the only defined operation.");
        }
    }
    report_duplicates(c, names, n, /* per_name= */ false, 1, "There can be only one operation named \"%s\".");
    for (n = 0; n < c->nfrags; n++)
        names[n] = (named_t){c->frags[n].def->name, c->frags[n].def->offset, n};
    report_duplicates(c, names, n, /* per_name= */ false, 1, "There can be only one fragment named \"%s\".");
}

typedef struct ranked {
    const gp_error_t *e;
    int index;
} ranked_t;

static int ranked_cmp(const void *x, const void *y)
{
    const ranked_t *a = x, *b = y;
    unsigned long oa = (unsigned long)a->e->offset, ob = (unsigned long)b->e->offset; /* -1 last */
    if (oa != ob)
        return oa < ob ? -1 : 1;
    return a->index - b->index;
}

/* Hands the collected errors to `errs` in document order, at most
 * GP_VALIDATE_MAX_ERRORS of them, and returns how many were added. */
static int hand_over(vctx_t *c, gp_errors_t *errs)
{
    int n = c->errs.count, i = 0;
    ranked_t *v = gp_arena_alloc(c->a, sizeof *v * (size_t)(n + 1));
    for (const gp_error_t *e = c->errs.head; e != NULL; e = e->next, i++)
        v[i] = (ranked_t){e, i};
    if (n > 1)
        qsort(v, (size_t)n, sizeof *v, ranked_cmp);
    int added = 0;
    for (i = 0; i < n && added < GP_VALIDATE_MAX_ERRORS; i++, added++)
        gp_errors_add(errs, v[i].e->kind, v[i].e->offset, "%s", v[i].e->message);
    if (i < n) {
        gp_errors_add(errs, GP_E_VALIDATION, -1, "Too many validation errors, error limit reached. Validation aborted.");
        added++;
    }
    return added;
}

int gp_validate(gp_arena_t *a, const gp_schema_t *s, const gp_document_t *doc, gp_errors_t *errs)
{
    vctx_t c = {.a = a, .s = s, .doc = doc, .srclen = strlen(doc->source), .work = GP_VALIDATE_MAX_WORK};
    gp_errors_init(&c.errs, a, doc->source);
    meta_fields_init(&c);
    fragments_init(&c);
    int nops = 0;
    for (const gp_operation_t *op = doc->operations; op != NULL; op = op->next)
        nops++;
    vop_t *ops = gp_arena_calloc(a, sizeof *ops * (size_t)(nops + 1));
    nops = 0;
    for (const gp_operation_t *op = doc->operations; op != NULL; op = op->next)
        ops[nops++].def = op;

    check_definition_names(&c, nops);
    for (int i = 0; i < c.nfrags; i++)
        walk_fragment(&c, &c.frags[i]);
    for (int i = 0; i < nops; i++)
        walk_operation(&c, &ops[i]);
    for (int i = 0; i < nops; i++)
        check_variables(&c, &ops[i]);
    for (int i = 0; i < c.nfrags && !c.too_complex; i++) /* by name, as duplicates share one */
        if (!gp_vctx_fragment(&c, c.frags[i].def->name)->used)
            gp_vctx_error(&c, c.frags[i].def->offset, "Fragment \"%s\" is never used.", c.frags[i].def->name);
    gp_validate_fragment_cycles(&c);
    gp_validate_field_merging(&c);
    return hand_over(&c, errs);
}
