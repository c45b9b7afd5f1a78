/* Unit tests for introspection (graphql/introspection.c, through the compiler) on the blog type system built
 * from its saved catalog fixture: graphql-js's full introspection query, exact
 * answers for small selections, and how __schema/__type reach the statement. */
#include <jansson.h>
#include <stdlib.h>

#include "graphql/coerce.h"
#include "graphql/introspection.h"
#include "graphql/parse.h"
#include "graphql/validate.h"
#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

static gp_model_t *model;
static gp_schema_t *schema;

/* What graphql-js getIntrospectionQuery({descriptions: true, specifiedByUrl: true,
 * directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true})
 * sends: GraphiQL, codegen and buildClientSchema users all start here. */
static const char introspection_query[] =
    "query IntrospectionQuery {\n"
    "  __schema {\n"
    "    description\n"
    "    queryType { name kind }\n"
    "    mutationType { name kind }\n"
    "    subscriptionType { name kind }\n"
    "    types { ...FullType }\n"
    "    directives {\n"
    "      name\n"
    "      description\n"
    "      isRepeatable\n"
    "      locations\n"
    "      args(includeDeprecated: true) { ...InputValue }\n"
    "    }\n"
    "  }\n"
    "}\n"
    "fragment FullType on __Type {\n"
    "  kind\n"
    "  name\n"
    "  description\n"
    "  specifiedByURL\n"
    "  fields(includeDeprecated: true) {\n"
    "    name\n"
    "    description\n"
    "    args(includeDeprecated: true) { ...InputValue }\n"
    "    type { ...TypeRef }\n"
    "    isDeprecated\n"
    "    deprecationReason\n"
    "  }\n"
    "  inputFields(includeDeprecated: true) { ...InputValue }\n"
    "  interfaces { ...TypeRef }\n"
    "  enumValues(includeDeprecated: true) {\n"
    "    name\n"
    "    description\n"
    "    isDeprecated\n"
    "    deprecationReason\n"
    "  }\n"
    "  possibleTypes { ...TypeRef }\n"
    "}\n"
    "fragment InputValue on __InputValue {\n"
    "  name\n"
    "  description\n"
    "  type { ...TypeRef }\n"
    "  defaultValue\n"
    "  isDeprecated\n"
    "  deprecationReason\n"
    "}\n"
    "fragment TypeRef on __Type {\n"
    "  kind\n"
    "  name\n"
    "  ofType {\n"
    "    kind\n"
    "    name\n"
    "    ofType {\n"
    "      kind\n"
    "      name\n"
    "      ofType {\n"
    "        kind\n"
    "        name\n"
    "        ofType {\n"
    "          kind\n"
    "          name\n"
    "          ofType {\n"
    "            kind\n"
    "            name\n"
    "            ofType {\n"
    "              kind\n"
    "              name\n"
    "              ofType {\n"
    "                kind\n"
    "                name\n"
    "                ofType {\n"
    "                  kind\n"
    "                  name\n"
    "                  ofType {\n"
    "                    kind\n"
    "                    name\n"
    "                  }\n"
    "                }\n"
    "              }\n"
    "            }\n"
    "          }\n"
    "        }\n"
    "      }\n"
    "    }\n"
    "  }\n"
    "}\n";

typedef struct {
    gp_arena_t *arena;
    gp_errors_t errs;
    json_t *variables;      /* coerced */
    gp_introspection_t in;
    const char *json; /* {"key": value, ...} of the root fields, NULL on error */
} result_t;

static json_t *variable_value(void *data, const gp_value_t *variable)
{
    json_t *v = json_object_get(((result_t *)data)->variables, variable->string);
    return v != NULL ? json_incref(v) : NULL;
}

static json_t *value_json(void *data, const gp_typeref_t *type, const gp_value_t *v, int *failed)
{
    (void)failed;
    result_t *r = data;
    return gp_coerce_literal_json(r->arena, schema, type, v, variable_value, r);
}

/* The root fields of `query` as the compiler collects them; NULL on a parse, validation
 * (unless not `validated`: introspection.c trusts it) or variable error. */
static gp_field_group_t *context(result_t *r, const char *query, const char *variables, bool validated)
{
    r->arena = gp_arena_new(4096);
    gp_errors_init(&r->errs, r->arena, query);
    const gp_document_t *doc = gp_parse(r->arena, query, strlen(query), &r->errs);
    if (doc == NULL || (validated && gp_validate(r->arena, schema, doc, &r->errs) != 0))
        return NULL;
    json_t *vars = variables != NULL ? json_loads(variables, 0, NULL) : NULL;
    r->variables = gp_coerce_variables(r->arena, schema, doc->operations, vars, &r->errs);
    json_decref(vars);
    if (r->variables == NULL)
        return NULL;
    r->in.collect = (gp_collect_t){r->arena, schema, doc, &r->errs, 32, value_json, r};
    int failed = 0;
    const gp_selection_t *sets[] = {doc->operations->selections};
    return gp_collect_fields(&r->in.collect, "query_root", sets, 1, &failed);
}

/* Writes each root field's introspection value next to the others, so the test
 * sees one data object. */
static result_t introspect_as(const char *query, const char *variables, bool validated)
{
    result_t r = {0};
    gp_field_group_t *groups = context(&r, query, variables, validated);
    if (groups == NULL)
        return r;
    gp_strbuf_t out;
    gp_strbuf_init(&out, r.arena, 16u << 20);
    gp_strbuf_putc(&out, '{');
    for (gp_field_group_t *g = groups; g != NULL; g = g->next) {
        if (g != groups)
            gp_strbuf_putc(&out, ',');
        gp_strbuf_printf(&out, "\"%s\":", g->key);
        if (gp_introspection_root_field(&r.in, g, &out) != 0)
            return r;
    }
    gp_strbuf_putc(&out, '}');
    if (!out.error)
        r.json = out.data;
    return r;
}

static result_t introspect(const char *query, const char *variables)
{
    return introspect_as(query, variables, /* validated= */ true);
}

static const char *first_error(const result_t *r)
{
    return r->errs.head != NULL ? r->errs.head->message : "(no error)";
}

static void done(result_t *r)
{
    json_decref(r->variables);
    gp_arena_free(r->arena);
}

static void expect_json(const char *query, const char *variables, const char *want)
{
    result_t r = introspect(query, variables);
    if (r.json == NULL)
        fprintf(stderr, "%s: %s\n", query, first_error(&r));
    CHECK_STR(r.json, want);
    done(&r);
}

static void expect_error(const char *query, const char *want)
{
    result_t r = introspect(query, NULL);
    CHECK(r.json == NULL);
    CHECK_STR(first_error(&r), want);
    done(&r);
}

/* ---- lookups in the parsed answer ---- */

static json_t *find_named(json_t *list, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item) {
        json_t *n = json_object_get(item, "name");
        if (json_is_string(n) && strcmp(json_string_value(n), name) == 0)
            return item;
    }
    return NULL;
}

static const char *str_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The type reference of `obj` spelled as in SDL ([Int!]!), into buf. */
static const char *typeref_string(json_t *t, char *buf, size_t size)
{
    const char *kind = str_at(t, "kind");
    if (kind == NULL)
        return "?";
    char inner[256];
    if (strcmp(kind, "NON_NULL") == 0)
        snprintf(buf, size, "%s!", typeref_string(json_object_get(t, "ofType"), inner, sizeof inner));
    else if (strcmp(kind, "LIST") == 0)
        snprintf(buf, size, "[%s]", typeref_string(json_object_get(t, "ofType"), inner, sizeof inner));
    else
        snprintf(buf, size, "%s", str_at(t, "name") ? str_at(t, "name") : "?");
    return buf;
}

/* ---- tests ---- */

static void test_full_introspection_query(void)
{
    result_t r = introspect(introspection_query, NULL);
    CHECK(r.json != NULL);
    if (r.json == NULL) {
        fprintf(stderr, "introspection query: %s\n", first_error(&r));
        done(&r);
        return;
    }
    json_error_t jerr;
    json_t *data = json_loads(r.json, 0, &jerr);
    CHECK(data != NULL);
    if (data == NULL) {
        fprintf(stderr, "not JSON: %s at %d\n", jerr.text, jerr.position);
        done(&r);
        return;
    }
    json_t *s = json_object_get(data, "__schema");
    CHECK_STR(str_at(json_object_get(s, "queryType"), "name"), "query_root");
    CHECK_STR(str_at(json_object_get(s, "queryType"), "kind"), "OBJECT");
    CHECK(json_is_null(json_object_get(s, "subscriptionType")) || json_is_object(json_object_get(s, "subscriptionType")));
    CHECK(json_object_get(s, "description") != NULL);

    /* The first keys come in the order the query selects them. */
    const char *first_key = json_object_iter_key(json_object_iter(s));
    CHECK_STR(first_key, "description");
    CHECK(strncmp(r.json, "{\"__schema\":{\"description\":", 27) == 0);

    json_t *types = json_object_get(s, "types");
    CHECK(json_array_size(types) > 20);
    json_t *users = find_named(types, "users");
    CHECK(users != NULL);
    CHECK_STR(str_at(users, "kind"), "OBJECT");
    CHECK(json_is_array(json_object_get(users, "interfaces")) && json_array_size(json_object_get(users, "interfaces")) == 0);
    CHECK(json_is_null(json_object_get(users, "possibleTypes")));
    CHECK(json_is_null(json_object_get(users, "inputFields")));
    CHECK(json_is_null(json_object_get(users, "enumValues")));
    json_t *ufields = json_object_get(users, "fields");
    char buf[256];
    json_t *email = find_named(ufields, "email");
    CHECK_STR(typeref_string(json_object_get(email, "type"), buf, sizeof buf), "String!");
    CHECK_STR(str_at(email, "description"), "Unique login address.");
    CHECK(json_is_false(json_object_get(email, "isDeprecated")));
    CHECK(json_is_null(json_object_get(email, "deprecationReason")));
    json_t *posts = find_named(ufields, "posts_by_author_id");
    CHECK_STR(typeref_string(json_object_get(posts, "type"), buf, sizeof buf), "[posts!]!");
    json_t *where = find_named(json_object_get(posts, "args"), "where");
    CHECK_STR(typeref_string(json_object_get(where, "type"), buf, sizeof buf), "posts_bool_exp");
    CHECK(json_is_null(json_object_get(where, "defaultValue")));
    CHECK(find_named(ufields, "id") != NULL && find_named(ufields, "name") != NULL);
    CHECK(find_named(ufields, "__typename") == NULL);

    json_t *root = find_named(types, "query_root");
    CHECK(find_named(json_object_get(root, "fields"), "users_by_pk") != NULL);
    CHECK(find_named(json_object_get(root, "fields"), "__schema") == NULL);

    json_t *cmp = find_named(types, "Int_comparison_exp");
    CHECK_STR(str_at(cmp, "kind"), "INPUT_OBJECT");
    CHECK(json_is_null(json_object_get(cmp, "fields")));
    json_t *in = find_named(json_object_get(cmp, "inputFields"), "_in");
    CHECK_STR(typeref_string(json_object_get(in, "type"), buf, sizeof buf), "[Int!]");
    CHECK(find_named(json_object_get(cmp, "inputFields"), "_is_null") != NULL);
    CHECK_INT(json_array_size(json_object_get(cmp, "inputFields")), 9);

    json_t *str = find_named(types, "String");
    CHECK_STR(str_at(str, "kind"), "SCALAR");
    CHECK(json_is_null(json_object_get(str, "fields")));
    CHECK(json_object_get(str, "specifiedByURL") != NULL);

    json_t *kind = find_named(types, "__TypeKind");
    CHECK_STR(str_at(kind, "kind"), "ENUM");
    CHECK(find_named(json_object_get(kind, "enumValues"), "NON_NULL") != NULL);
    json_t *typetype = find_named(types, "__Type");
    json_t *tfields = find_named(json_object_get(typetype, "fields"), "fields");
    json_t *incl = find_named(json_object_get(tfields, "args"), "includeDeprecated");
    CHECK_STR(str_at(incl, "defaultValue"), "false");

    json_t *dirs = json_object_get(s, "directives");
    json_t *skip = find_named(dirs, "skip");
    json_t *include = find_named(dirs, "include");
    CHECK(skip != NULL && include != NULL);
    CHECK(json_is_false(json_object_get(skip, "isRepeatable")));
    json_t *locs = json_object_get(skip, "locations");
    CHECK_INT(json_array_size(locs), 3);
    CHECK_STR(json_string_value(json_array_get(locs, 0)), "FIELD");
    CHECK_STR(json_string_value(json_array_get(locs, 1)), "FRAGMENT_SPREAD");
    CHECK_STR(json_string_value(json_array_get(locs, 2)), "INLINE_FRAGMENT");
    json_t *ifarg = find_named(json_object_get(include, "args"), "if");
    CHECK_STR(typeref_string(json_object_get(ifarg, "type"), buf, sizeof buf), "Boolean!");
    json_t *deprecated = find_named(dirs, "deprecated");
    json_t *reason = find_named(json_object_get(deprecated, "args"), "reason");
    CHECK(reason != NULL && str_at(reason, "defaultValue") != NULL);
    json_decref(data);
    done(&r);
}

static void test_type_by_name_exact(void)
{
    expect_json(
        "{ __type(name: \"users\") { name kind fields { name type { kind name ofType { kind name } } } } }", NULL,
        "{\"__type\":{\"name\":\"users\",\"kind\":\"OBJECT\",\"fields\":["
        "{\"name\":\"Odd_Table\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"LIST\",\"name\":null}}},"
        "{\"name\":\"Odd_Table_aggregate\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"OBJECT\",\"name\":\"Odd_Table_aggregate\"}}},"
        "{\"name\":\"bio\",\"type\":{\"kind\":\"SCALAR\",\"name\":\"String\",\"ofType\":null}},"
        "{\"name\":\"comments\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"LIST\",\"name\":null}}},"
        "{\"name\":\"comments_aggregate\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"OBJECT\",\"name\":\"comments_aggregate\"}}},"
        "{\"name\":\"created_at\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"SCALAR\",\"name\":\"timestamptz\"}}},"
        "{\"name\":\"display_name\",\"type\":{\"kind\":\"SCALAR\",\"name\":\"String\",\"ofType\":null}},"
        "{\"name\":\"email\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"SCALAR\",\"name\":\"String\"}}},"
        "{\"name\":\"id\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"SCALAR\",\"name\":\"Int\"}}},"
        "{\"name\":\"karma\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"SCALAR\",\"name\":\"bigint\"}}},"
        "{\"name\":\"name\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"SCALAR\",\"name\":\"String\"}}},"
        "{\"name\":\"posts_by_author_id\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"LIST\",\"name\":null}}},"
        "{\"name\":\"posts_by_author_id_aggregate\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"OBJECT\",\"name\":\"posts_aggregate\"}}},"
        "{\"name\":\"posts_by_editor_id\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"LIST\",\"name\":null}}},"
        "{\"name\":\"posts_by_editor_id_aggregate\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"OBJECT\",\"name\":\"posts_aggregate\"}}},"
        "{\"name\":\"recent_posts\",\"type\":{\"kind\":\"NON_NULL\",\"name\":null,\"ofType\":{\"kind\":\"LIST\",\"name\":null}}}"
        "]}}");
}

static void test_unknown_type_is_null(void)
{
    expect_json("{ __type(name: \"nope\") { name } }", NULL, "{\"__type\":null}");
}

static void test_type_name_from_variable(void)
{
    expect_json("query($n: String!) { t: __type(name: $n) { name kind } }", "{\"n\": \"Int\"}",
                "{\"t\":{\"name\":\"Int\",\"kind\":\"SCALAR\"}}");
}

static void test_aliases_typename_and_fragments_keep_selection_order(void)
{
    expect_json("query { __type(name: \"Int_comparison_exp\") { __typename k: kind ...F "
                "inputFields { ... on __InputValue { n: name } __typename } } }"
                "fragment F on __Type { name kind isOneOf }",
                NULL,
                "{\"__type\":{\"__typename\":\"__Type\",\"k\":\"INPUT_OBJECT\",\"name\":\"Int_comparison_exp\","
                "\"kind\":\"INPUT_OBJECT\",\"isOneOf\":false,\"inputFields\":["
                "{\"n\":\"_eq\",\"__typename\":\"__InputValue\"},{\"n\":\"_gt\",\"__typename\":\"__InputValue\"},"
                "{\"n\":\"_gte\",\"__typename\":\"__InputValue\"},{\"n\":\"_in\",\"__typename\":\"__InputValue\"},"
                "{\"n\":\"_is_null\",\"__typename\":\"__InputValue\"},{\"n\":\"_lt\",\"__typename\":\"__InputValue\"},"
                "{\"n\":\"_lte\",\"__typename\":\"__InputValue\"},{\"n\":\"_neq\",\"__typename\":\"__InputValue\"},"
                "{\"n\":\"_nin\",\"__typename\":\"__InputValue\"}]}}");
}

/* CollectFields' DoesFragmentTypeApply. With object types only, validation refuses such
 * a spread (PossibleFragmentSpreads), so this one is collected without it. */
static void test_fragments_on_other_types_do_not_apply(void)
{
    result_t r = introspect_as("{ __type(name: \"Int\") { name ... on __Field { type { name } } "
                               "... on __Type { kind } } }",
                               NULL, /* validated= */ false);
    CHECK_STR(r.json, "{\"__type\":{\"name\":\"Int\",\"kind\":\"SCALAR\"}}");
    done(&r);
}

static void test_skip_and_include(void)
{
    expect_json("query($yes: Boolean!) { __type(name: \"Int\") { name @skip(if: $yes) kind @include(if: $yes) "
                "description @include(if: false) } }",
                "{\"yes\": true}", "{\"__type\":{\"kind\":\"SCALAR\"}}");
}

static void test_fields_not_applicable_to_a_kind_are_null(void)
{
    expect_json("{ __type(name: \"Int\") { fields { name } inputFields { name } enumValues { name } interfaces { name } "
                "possibleTypes { name } ofType { name } isOneOf specifiedByURL } }",
                NULL,
                "{\"__type\":{\"fields\":null,\"inputFields\":null,\"enumValues\":null,\"interfaces\":null,"
                "\"possibleTypes\":null,\"ofType\":null,\"isOneOf\":null,\"specifiedByURL\":null}}");
}

static void test_schema_roots_and_directives(void)
{
    result_t r = introspect("{ __schema { queryType { name } mutationType { name } subscriptionType { name } "
                            "directives { name isRepeatable locations args { name type { kind ofType { name } } "
                            "defaultValue } } } }",
                            NULL);
    json_t *data = r.json != NULL ? json_loads(r.json, 0, NULL) : NULL;
    CHECK(data != NULL);
    json_t *s = json_object_get(data, "__schema");
    CHECK_STR(str_at(json_object_get(s, "queryType"), "name"), "query_root");
    CHECK_STR(str_at(json_object_get(s, "mutationType"), "name"), "mutation_root");
    json_t *dirs = json_object_get(s, "directives");
    const char *skip = "{\"name\":\"skip\",\"isRepeatable\":false,"
                       "\"locations\":[\"FIELD\",\"FRAGMENT_SPREAD\",\"INLINE_FRAGMENT\"],"
                       "\"args\":[{\"name\":\"if\",\"type\":{\"kind\":\"NON_NULL\",\"ofType\":{\"name\":\"Boolean\"}},"
                       "\"defaultValue\":null}]}";
    char *got = json_dumps(find_named(dirs, "skip"), JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(got, skip);
    free(got);
    json_t *one_of = find_named(dirs, "oneOf");
    CHECK(one_of == NULL || json_array_size(json_object_get(one_of, "args")) == 0);
    json_decref(data);
    done(&r);
}

/* What validation refuses never reaches introspection.c: the errors are validation's. */
static void test_invalid_selections_are_validation_errors(void)
{
    expect_error("{ __schema { nope } }", "Cannot query field \"nope\" on type \"__Schema\".");
    expect_error("{ __type(name: \"Int\") { name { x } } }",
                 "Field \"name\" must not have a selection since type \"String\" has no subfields.");
    expect_error("{ __type(name: \"Int\") { fields } }",
                 "Field \"fields\" of type \"[__Field!]\" must have a selection of subfields. "
                 "Did you mean \"fields { ... }\"?");
    expect_error("{ __type { name } }",
                 "Field \"__type\" argument \"name\" of type \"String!\" is required, but it was not provided.");
}

/* A nullable variable with a default passes validation where String! is wanted, and may
 * still be null: the error a missing name gets. */
static void test_type_name_made_null_by_a_variable(void)
{
    result_t r = introspect("query($n: String = \"Int\") { __type(name: $n) { name } }", "{\"n\": null}");
    CHECK(r.json == NULL);
    CHECK_STR(first_error(&r),
              "Field \"__type\" argument \"name\" of type \"String!\" is required, but it was not provided.");
    done(&r);
}

/* A document that did not pass validation (as after a bug of the validator) gets one
 * clean internal error, never a crash nor a second copy of validation's message. */
static void test_unvalidated_document_is_an_internal_error(void)
{
    result_t r = {0};
    gp_field_group_t *g = context(&r, "{ __schema { nope } }", NULL, /* validated= */ false);
    gp_strbuf_t out;
    gp_strbuf_init(&out, r.arena, 1024);
    CHECK(g != NULL && gp_introspection_root_field(&r.in, g, &out) == -1);
    CHECK(r.errs.count == 1 && r.errs.head->kind == GP_E_INTERNAL);
    CHECK_STR(first_error(&r), "Internal error: the validated document has the field \"nope\" on \"__Schema\", which "
                               "the server does not handle.");
    done(&r);
}

/* As Hasura and schema/sdl.c order them, so a client's printed SDL matches ours. */
static void test_by_pk_args_follow_the_key(void)
{
    gp_model_t *blog_model = model;
    gp_schema_t *blog_schema = schema;
    model = fixture_model("pagila");
    schema = gp_schema_build(model);
    result_t r = introspect("{ __type(name: \"query_root\") { fields { name args { name } } } }", NULL);
    json_t *data = r.json != NULL ? json_loads(r.json, 0, NULL) : NULL;
    json_t *f = find_named(json_object_get(json_object_get(data, "__type"), "fields"), "film_category_by_pk");
    char *got = json_dumps(json_object_get(f, "args"), JSON_COMPACT);
    CHECK_STR(got, "[{\"name\":\"film_id\"},{\"name\":\"category_id\"}]");
    free(got);
    json_decref(data);
    done(&r);
    gp_schema_free(schema);
    gp_model_free(model);
    model = blog_model;
    schema = blog_schema;
}

/* A hundred aliases of one selection cost one answer: the same text; a different
 * selection gets its own. */
static void test_aliases_share_one_answer(void)
{
    result_t r = {0};
    gp_field_group_t *g = context(&r,
                                  "{ a: __schema { types { name } } b: __schema { types { name } }"
                                  "  c: __schema { types { name kind } } d: __schema { types { name } } }",
                                  NULL, /* validated= */ true);
    CHECK(g != NULL && g->next != NULL && g->next->next != NULL && g->next->next->next != NULL);
    if (g == NULL || g->next == NULL || g->next->next == NULL || g->next->next->next == NULL) {
        done(&r);
        return;
    }
    gp_introspection_t *in = &r.in;
    const char *a = gp_introspection_root_value(in, g), *b = gp_introspection_root_value(in, g->next);
    const char *k = gp_introspection_root_value(in, g->next->next), *d = gp_introspection_root_value(in, g->next->next->next);
    CHECK(a != NULL && a == b && a == d);
    CHECK(k != NULL && k != a && strstr(k, "\"kind\"") != NULL);
    CHECK(gp_introspection_only(g));
    const char *const *answer = gp_introspection_answer(in, g);
    CHECK(answer != NULL);
    if (answer != NULL) {
        CHECK(answer[1] == a && answer[3] == a && answer[7] == a);
        size_t len = gp_introspection_answer_len(answer);
        CHECK_INT(len, 4 * 5 + 3 * strlen(a) + strlen(k) + 1);
        CHECK_INT(gp_introspection_answer_kept(answer), 4 * 6 + strlen(a) + 1 + strlen(k) + 1 + 2);
        gp_arena_t *keep = gp_arena_new(1024);
        const char *const *copy = gp_introspection_answer_copy(keep, answer);
        CHECK(copy[1] != a && copy[1] == copy[3] && copy[1] == copy[7] && copy[5] != copy[1]);
        CHECK_STR(copy[1], a);
        CHECK(copy[8] != NULL && copy[9] == NULL);
        gp_arena_free(keep);
    }
    done(&r);
}

/* The value of the first root field of `query` through `shared` answers. The caller
 * frees `r`. */
static const char *shared_value(result_t *r, gp_introspection_answers_t *shared, const char *query,
                                const char *variables)
{
    *r = (result_t){0};
    gp_field_group_t *g = context(r, query, variables, /* validated= */ true);
    r->in.shared = shared;
    return g != NULL ? gp_introspection_root_value(&r->in, g) : NULL;
}

/* One type system, many operations: a selection is built once, whatever document,
 * fragments, aliases or variable names ask for it; different values are different
 * answers. */
static void test_answers_are_shared_across_operations(void)
{
    gp_introspection_answers_t *shared = gp_introspection_answers_new();
    result_t r1, r2, r3, r4, r5;
    const char *a = shared_value(&r1, shared, "{ __type(name: \"users\") { name fields { name } } }", NULL);
    const char *b = shared_value(&r2, shared,
                                 "query Q { t: __type(name: \"users\") { ...F } } fragment F on __Type { name fields { name } }",
                                 NULL);
    const char *c = shared_value(&r3, shared, "query($n: String!) { __type(name: $n) { name fields { name } } }",
                                 "{\"n\": \"users\"}");
    const char *d = shared_value(&r4, shared, "query($x: String!) { __type(name: $x) { name fields { name } } }",
                                 "{\"x\": \"posts\"}");
    const char *e = shared_value(&r5, shared, "{ __type(name: \"users\") { name fields { name } } }", NULL);
    CHECK(a != NULL && a == b && a == c && a == e);
    CHECK(d != NULL && d != a && strstr(d, "\"posts\"") != NULL);
    CHECK(a != NULL && strstr(a, "\"users\"") != NULL);
    done(&r1), done(&r2), done(&r3), done(&r4);
    gp_introspection_answers_free(shared); /* r5's answer was the shared text: free the arena after */
    done(&r5);
}

static void setup(void)
{
    model = fixture_model("blog");
    schema = gp_schema_build(model);
    if (schema == NULL) {
        fprintf(stderr, "gp_schema_build failed\n");
        exit(1);
    }
}

static void teardown(void)
{
    gp_schema_free(schema);
    gp_model_free(model);
}

TEST_MAIN(setup, test_full_introspection_query, test_type_by_name_exact, test_unknown_type_is_null,
          test_type_name_from_variable, test_aliases_typename_and_fragments_keep_selection_order,
          test_fragments_on_other_types_do_not_apply, test_skip_and_include,
          test_fields_not_applicable_to_a_kind_are_null, test_schema_roots_and_directives,
          test_invalid_selections_are_validation_errors, test_type_name_made_null_by_a_variable,
          test_unvalidated_document_is_an_internal_error, test_by_pk_args_follow_the_key,
          test_aliases_share_one_answer, test_answers_are_shared_across_operations, teardown)
