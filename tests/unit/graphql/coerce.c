/* Unit tests for graphql/coerce: literals (ValuesOfCorrectType) and request
 * variables (CoerceVariableValues) against the blog type system, table-driven.
 * Expected messages are graphql-js 16's, suggestions included. Includes the .c to
 * reach typeref_from_ast. */
#include "graphql/coerce.c"

#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

static gp_model_t *model;
static gp_schema_t *schema;

static void env_open(void)
{
    model = fixture_model("blog");
    schema = gp_schema_build(model);
}

/* The document's first operation, or NULL (the parse error goes to stderr). */
static const gp_operation_t *parse_op(gp_arena_t *a, const char *src, gp_errors_t *errs)
{
    gp_errors_init(errs, a, src);
    gp_document_t *doc = gp_parse(a, src, strlen(src), errs);
    if (doc == NULL) {
        fprintf(stderr, "parse failed: %s: %s\n", src, errs->head->message);
        return NULL;
    }
    return doc->operations;
}

/* Every message, one a line. */
static const char *messages(gp_arena_t *a, const gp_errors_t *errs)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 16);
    gp_strbuf_puts(&sb, "");
    for (const gp_error_t *e = errs->head; e != NULL; e = e->next)
        gp_strbuf_printf(&sb, "%s%s", e == errs->head ? "" : "\n", e->message);
    return sb.data;
}

/* ---- literals ---- */

typedef struct {
    const char *type;  /* a variable's type */
    const char *value; /* its default value, which is checked against it */
    const char *want;  /* the messages, one a line; "" when valid */
} literal_case_t;

static const literal_case_t literal_cases[] = {
    /* exact values: Float is finite, NUL is refused in any string, even inside json */
    {"Float", "1e999", "Float cannot represent non numeric value: 1e999"},
    {"Float", "1e308", ""},
    {"bigint", "99999999999999999999", ""},
    {"numeric", "100000000000000000000.5", ""},
    {"String", "\"Ada\\u0000 OR anything\"", "A string cannot contain U+0000 (NUL)."},
    {"jsonb", "{a: [\"x\\u0000\"]}", "A string cannot contain U+0000 (NUL)."},
    {"bigint", "\"1\\u0000\"", "A string cannot contain U+0000 (NUL)."},
    /* built-in scalars */
    {"Int", "1", ""},
    {"Int", "-2147483648", ""},
    {"Int", "\"abc\"", "Int cannot represent non-integer value: \"abc\""},
    {"Int", "3000000000", "Int cannot represent non 32-bit signed integer value: 3000000000"},
    {"Int", "99999999999999999999999", "Int cannot represent non 32-bit signed integer value: 99999999999999999999999"},
    {"Int", "1.5", "Int cannot represent non-integer value: 1.5"},
    {"Int", "[1]", "Int cannot represent non-integer value: [1]"},
    {"Int", "{a: 1, b: \"x\"}", "Int cannot represent non-integer value: {a: 1, b: \"x\"}"},
    {"Int", "\"a\\nb\\u0001\"", "Int cannot represent non-integer value: \"a\\nb\\u0001\""},
    {"Float", "1", ""},
    {"Float", "1.5e3", ""},
    {"Float", "true", "Float cannot represent non numeric value: true"},
    {"String", "\"x\"", ""},
    {"String", "1", "String cannot represent a non string value: 1"},
    {"String", "RED", "String cannot represent a non string value: RED"},
    {"Boolean", "false", ""},
    {"Boolean", "\"true\"", "Boolean cannot represent a non boolean value: \"true\""},
    {"ID", "1", ""},
    {"ID", "\"u1\"", ""},
    {"ID", "1.5", "ID cannot represent a non-string and non-integer value: 1.5"},
    /* null */
    {"Int", "null", ""},
    {"Int!", "null", "Expected value of type \"Int!\", found null."},
    {"[Int!]", "[1, null]", "Expected value of type \"Int!\", found null."},
    {"[Int]!", "null", "Expected value of type \"[Int]!\", found null."},
    /* enums */
    {"order_by", "asc", ""},
    {"order_by", "up", "Value \"up\" does not exist in \"order_by\" enum."},
    {"order_by", "ASC",
     "Value \"ASC\" does not exist in \"order_by\" enum. Did you mean the enum value \"asc\" or \"desc\"?"},
    {"order_by", "\"asc\"",
     "Enum \"order_by\" cannot represent non-enum value: \"asc\". Did you mean the enum value \"asc\" or \"desc\"?"},
    {"order_by", "1", "Enum \"order_by\" cannot represent non-enum value: 1."},
    {"users_order_by", "{id: desc, name: asc_nulls_first}", ""},
    /* lists: a single value stands for a list of one */
    {"[Int!]", "1", ""},
    {"[Int!]", "[1, 2]", ""},
    {"[Int!]", "[1, \"2\"]", "Int cannot represent non-integer value: \"2\""},
    {"[[Int]]", "[[1], 2, [\"x\"]]", "Int cannot represent non-integer value: \"x\""},
    {"[users_bool_exp!]", "1", "Expected value of type \"[users_bool_exp!]\", found 1."},
    /* input objects */
    {"users_bool_exp", "{id: {_eq: 1}}", ""},
    {"users_bool_exp", "{_and: {id: {_in: 1}}, _or: [{name: {_like: \"a%\"}}]}", ""},
    {"users_bool_exp", "1", "Expected value of type \"users_bool_exp\", found 1."},
    {"users_bool_exp", "[{id: {_eq: 1}}]", "Expected value of type \"users_bool_exp\", found [{id: {_eq: 1}}]."},
    {"users_bool_exp", "{id: {_eq: \"x\"}}", "Int cannot represent non-integer value: \"x\""},
    {"users_bool_exp", "{x: 1}", "Field \"x\" is not defined by type \"users_bool_exp\"."},
    {"users_bool_exp", "{nope: 1}", "Field \"nope\" is not defined by type \"users_bool_exp\". Did you mean \"name\"?"},
    {"users_bool_exp", "{id: {_eq: \"x\", _in: [\"y\"]}, x: 1, _not: {id: {_is_null: 1}}}",
     "Int cannot represent non-integer value: \"x\"\n"
     "Int cannot represent non-integer value: \"y\"\n"
     "Field \"x\" is not defined by type \"users_bool_exp\".\n"
     "Boolean cannot represent a non boolean value: 1"},
    /* custom scalars */
    {"bigint", "1", ""},
    {"bigint", "\"9223372036854775808\"", ""},
    {"numeric", "1.25", ""},
    {"bigint", "true", "Expected value of type \"bigint\", found true."},
    {"bigint_comparison_exp", "{_in: [1, \"2\", 3.0]}", ""},
    {"jsonb", "{a: [1, {b: null}], c: RED}", ""},
    {"jsonb_comparison_exp", "{_contains: {a: 1}, _has_keys_any: \"a\"}", ""},
    {"timestamptz", "\"2024-01-01T00:00:00Z\"", ""},
    {"timestamptz", "1", ""},
    {"timestamptz", "[\"2024-01-01\"]", "Expected value of type \"timestamptz\", found [\"2024-01-01\"]."},
    {"post_status", "\"published\"", ""},
    {"post_status", "published", ""},
    {"post_status_comparison_exp", "{_eq: {a: 1}}", "Expected value of type \"post_status\", found {a: 1}."},
};

static void check_literal_case(const literal_case_t *lc)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    const char *src = gp_arena_printf(a, "query($v: %s = %s) { __typename }", lc->type, lc->value);
    gp_errors_t perr, errs;
    const gp_operation_t *op = parse_op(a, src, &perr);
    CHECK(op != NULL);
    if (op != NULL) {
        const gp_typeref_t *type = typeref_from_ast(a, schema, op->variables->type);
        CHECK(type != NULL);
        gp_errors_init(&errs, a, src);
        int n = gp_coerce_literal(a, schema, type, op->variables->default_value, NULL, &errs);
        CHECK_INT(n, errs.count);
        CHECK_STR(messages(a, &errs), lc->want);
        if (strcmp(messages(a, &errs), lc->want) != 0)
            fprintf(stderr, "  (%s = %s)\n", lc->type, lc->value);
    }
    gp_arena_free(a);
}

static void test_literal_table(void)
{
    for (size_t i = 0; i < sizeof literal_cases / sizeof *literal_cases; i++)
        check_literal_case(&literal_cases[i]);
}

/* Each error points at the offending node: the value, or the unknown field. */
static void test_literal_offsets(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    const char *src = "query($v: users_bool_exp = {id: {_eq: \"x\"}, nope: 1}) { __typename }";
    gp_errors_t perr, errs;
    const gp_operation_t *op = parse_op(a, src, &perr);
    gp_errors_init(&errs, a, src);
    CHECK_INT(gp_coerce_literal(a, schema, typeref_from_ast(a, schema, op->variables->type),
                                op->variables->default_value, NULL, &errs),
              2);
    CHECK_INT(errs.head->offset, strstr(src, "\"x\"") - src);
    CHECK_INT(errs.head->kind, GP_E_VALIDATION);
    CHECK_INT(errs.tail->offset, strstr(src, "nope") - src);
    gp_arena_free(a);
}

/* Variables inside literals are accepted: another rule checks their positions. */
static void test_literal_variables(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    const char *src = "query($x: String, $ids: [Int!]) { users(where: {id: {_eq: $x, _in: $ids}}) { id } }";
    gp_errors_t perr, errs;
    const gp_operation_t *op = parse_op(a, src, &perr);
    gp_errors_init(&errs, a, src);
    const gp_typeref_t *type = typeref_from_ast(a, schema, &(gp_type_ref_t){GP_TYPE_NAMED, "users_bool_exp", NULL, 0});
    CHECK_INT(gp_coerce_literal(a, schema, type, op->selections->arguments->value, op->variables, &errs), 0);
    gp_arena_free(a);
}

/* Neither required input fields nor oneOf inputs exist in the blog API yet: a
 * hand-made input type stands in. */
static gp_typeref_t int_ref, int_nn_ref;
static gp_input_value_t required_fields[2], one_of_fields[2];
static gp_type_t required_type = {.kind = GP_KIND_INPUT_OBJECT, .name = "pair", .input_fields = required_fields,
                                  .ninput_fields = 2};
static gp_type_t one_of_type = {.kind = GP_KIND_INPUT_OBJECT, .name = "pick", .input_fields = one_of_fields,
                                .ninput_fields = 2, .is_one_of = true};

static void hand_made_types(void)
{
    int_ref = (gp_typeref_t){.kind = GP_REF_NAMED, .named = gp_schema_type(schema, "Int")};
    int_nn_ref = (gp_typeref_t){.kind = GP_REF_NON_NULL, .of = &int_ref};
    required_fields[0] = (gp_input_value_t){.name = "a", .type = &int_nn_ref};
    required_fields[1] = (gp_input_value_t){.name = "b", .type = &int_nn_ref, .default_value = "7"};
    one_of_fields[0] = (gp_input_value_t){.name = "a", .type = &int_ref};
    one_of_fields[1] = (gp_input_value_t){.name = "b", .type = &int_ref};
}

static const char *literal_on(gp_arena_t *a, const gp_type_t *t, const char *doc)
{
    gp_errors_t perr, errs;
    const gp_operation_t *op = parse_op(a, doc, &perr);
    if (op == NULL)
        return "(parse error)";
    gp_errors_init(&errs, a, doc);
    gp_typeref_t *ref = gp_arena_new_obj(a, gp_typeref_t);
    *ref = (gp_typeref_t){.kind = GP_REF_NAMED, .named = t};
    gp_coerce_literal(a, schema, ref, op->selections->arguments->value, op->variables, &errs);
    return messages(a, &errs);
}

static void test_literal_required_and_one_of(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    CHECK_STR(literal_on(a, &required_type, "{ f(x: {a: 1}) }"), "");
    CHECK_STR(literal_on(a, &required_type, "{ f(x: {b: 1}) }"),
              "Field \"pair.a\" of required type \"Int!\" was not provided.");
    CHECK_STR(literal_on(a, &required_type, "{ f(x: {a: null}) }"), "Expected value of type \"Int!\", found null.");
    CHECK_STR(literal_on(a, &one_of_type, "{ f(x: {a: 1}) }"), "");
    CHECK_STR(literal_on(a, &one_of_type, "{ f(x: {a: 1, b: 2}) }"),
              "OneOf Input Object \"pick\" must specify exactly one key.");
    CHECK_STR(literal_on(a, &one_of_type, "{ f(x: {}) }"), "OneOf Input Object \"pick\" must specify exactly one key.");
    CHECK_STR(literal_on(a, &one_of_type, "{ f(x: {b: null}) }"), "Field \"pick.b\" must be non-null.");
    CHECK_STR(literal_on(a, &one_of_type, "query($v: Int!) { f(x: {b: $v}) }"), "");
    CHECK_STR(literal_on(a, &one_of_type, "query($v: Int) { f(x: {b: $v}) }"),
              "Variable \"v\" must be non-nullable to be used for OneOf Input Object \"pick\".");
    gp_arena_free(a);
}

/* ---- variables ---- */

typedef struct {
    const char *doc;
    const char *vars; /* JSON, or NULL for none sent */
    const char *want; /* the coerced variables as compact JSON, or the messages */
} variables_case_t;

static const variables_case_t variables_cases[] = {
    /* exact values: Int is 32-bit, Float finite, bigint/numeric/jsonb keep every digit, no NUL */
    {"query($n: Int)", "{\"n\": 99999999999999999999}",
     "Variable \"$n\" got invalid value 100000000000000000000; Int cannot represent non 32-bit signed integer value: "
     "100000000000000000000"},
    {"query($n: Int)", "{\"n\": 2147483648}",
     "Variable \"$n\" got invalid value 2147483648; Int cannot represent non 32-bit signed integer value: 2147483648"},
    {"query($n: Int)", "{\"n\": 1e3}", "{\"n\": 1000}"},
    {"query($s: String)", "{\"s\": 12345678901234567890123}",
     "Variable \"$s\" got invalid value 1.2345678901234568e+22; String cannot represent a non string value: "
     "1.2345678901234568e+22"},
    {"query($b: bigint, $r: numeric, $t: numeric)",
     "{\"b\": 99999999999999999999, \"r\": 100000000000000000000.5, \"t\": \"-0.000000000000000000001\"}",
     "{\"b\": 99999999999999999999, \"r\": 100000000000000000000.5, \"t\": \"-0.000000000000000000001\"}"},
    {"query($f: Float)", "{\"f\": 1e999}",
     "Variable \"$f\" got invalid value Infinity; Float cannot represent non numeric value: Infinity"},
    {"query($f: Float)", "{\"f\": 0.1}", "{\"f\": 0.1}"},
    {"query($j: jsonb)", "{\"j\": {\"a\": [12345678901234567890123, 0.10]}}",
     "{\"j\": {\"a\": [12345678901234567890123, 0.10]}}"},
    {"query($s: String)", "{\"s\": \"Ada Lovelace\\u0000 OR anything\"}",
     "Variable \"$s\" got invalid value \"Ada Lovelace\\u0000 OR anything\"; A string cannot contain U+0000 (NUL)."},
    {"query($e: order_by)", "{\"e\": \"asc\\u0000x\"}",
     "Variable \"$e\" got invalid value \"asc\\u0000x\"; A string cannot contain U+0000 (NUL)."},
    {"query($j: jsonb)", "{\"j\": {\"a\": \"\\u0000\"}}",
     "Variable \"$j\" got invalid value { a: \"\\u0000\" }; A string cannot contain U+0000 (NUL)."},
    /* presence, null and defaults */
    {"query($id: Int!)", "{}", "Variable \"$id\" of required type \"Int!\" was not provided."},
    {"query($id: Int!)", NULL, "Variable \"$id\" of required type \"Int!\" was not provided."},
    {"query($id: Int!)", "{\"id\": null}", "Variable \"$id\" of non-null type \"Int!\" must not be null."},
    {"query($id: Int)", "{\"id\": null}", "{\"id\": null}"},
    {"query($id: Int)", "{}", "{}"},
    {"query($id: Int = 5)", "{}", "{\"id\": 5}"},
    {"query($id: Int = 5)", "{\"id\": null}", "{\"id\": null}"},
    {"query($o: order_by = desc, $w: users_bool_exp = {id: {_in: 1}, karma: {_eq: 12345678901234567890}})", "{}",
     "{\"o\": \"desc\", \"w\": {\"id\": {\"_in\": [1]}, \"karma\": {\"_eq\": 12345678901234567890}}}"},
    {"query($id: Int = \"x\")", "{}", "Int cannot represent non-integer value: \"x\""},
    /* scalars */
    {"query($id: Int)", "{\"id\": \"abc\"}",
     "Variable \"$id\" got invalid value \"abc\"; Int cannot represent non-integer value: \"abc\""},
    {"query($id: Int)", "{\"id\": 3000000000}",
     "Variable \"$id\" got invalid value 3000000000; Int cannot represent non 32-bit signed integer value: 3000000000"},
    {"query($id: Int)", "{\"id\": 1.5}",
     "Variable \"$id\" got invalid value 1.5; Int cannot represent non-integer value: 1.5"},
    {"query($id: Int)", "{\"id\": 2.0}", "{\"id\": 2}"},
    {"query($f: Float)", "{\"f\": 2}", "{\"f\": 2.0}"},
    {"query($f: Float)", "{\"f\": \"2\"}",
     "Variable \"$f\" got invalid value \"2\"; Float cannot represent non numeric value: \"2\""},
    {"query($s: String)", "{\"s\": 1}",
     "Variable \"$s\" got invalid value 1; String cannot represent a non string value: 1"},
    {"query($b: Boolean)", "{\"b\": 0}",
     "Variable \"$b\" got invalid value 0; Boolean cannot represent a non boolean value: 0"},
    {"query($i: ID, $j: ID)", "{\"i\": 7, \"j\": \"x\"}", "{\"i\": \"7\", \"j\": \"x\"}"},
    {"query($i: ID)", "{\"i\": true}", "Variable \"$i\" got invalid value true; ID cannot represent value: true"},
    /* enums */
    {"query($o: order_by)", "{\"o\": \"asc_nulls_last\"}", "{\"o\": \"asc_nulls_last\"}"},
    {"query($o: [users_order_by!])", "{\"o\": {\"id\": \"up\"}}",
     "Variable \"$o\" got invalid value \"up\" at \"o.id\"; Value \"up\" does not exist in \"order_by\" enum."},
    {"query($o: [users_order_by!])", "{\"o\": [{\"id\": \"asc\"}, {\"name\": 1}]}",
     "Variable \"$o\" got invalid value 1 at \"o[1].name\"; Enum \"order_by\" cannot represent non-string value: 1."},
    /* input objects and lists */
    {"query($where: users_bool_exp)", "{\"where\": {\"id\": {\"_eq\": \"x\"}}}",
     "Variable \"$where\" got invalid value \"x\" at \"where.id._eq\"; Int cannot represent non-integer value: \"x\""},
    {"query($w: users_bool_exp)", "{\"w\": {\"nope\": 1}}",
     "Variable \"$w\" got invalid value { nope: 1 }; Field \"nope\" is not defined by type \"users_bool_exp\". Did you "
     "mean \"name\"?"},
    {"query($w: users_bool_exp)", "{\"w\": {\"_not\": {\"id\": {\"_eq\": 1}}, \"x\": 1}}",
     "Variable \"$w\" got invalid value { _not: { id: [Object] }, x: 1 }; Field \"x\" is not defined by type "
     "\"users_bool_exp\"."},
    {"query($w: users_bool_exp)", "{\"w\": [1]}",
     "Variable \"$w\" got invalid value [1]; Expected type \"users_bool_exp\" to be an object."},
    {"query($w: users_bool_exp)", "{\"w\": {\"_and\": {\"id\": {\"_in\": 5}}}}",
     "{\"w\": {\"_and\": [{\"id\": {\"_in\": [5]}}]}}"},
    {"query($w: users_bool_exp)", "{\"w\": {\"_and\": {\"id\": {\"_in\": [1, \"2\", null]}}}}",
     "Variable \"$w\" got invalid value \"2\" at \"w._and.id._in[1]\"; Int cannot represent non-integer value: \"2\"\n"
     "Variable \"$w\" got invalid value null at \"w._and.id._in[2]\"; Expected non-nullable type \"Int!\" not to be "
     "null."},
    {"query($ids: [Int!]!)", "{\"ids\": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, \"x\"]}",
     "Variable \"$ids\" got invalid value \"x\" at \"ids[11]\"; Int cannot represent non-integer value: \"x\""},
    /* custom scalars */
    {"query($k: bigint, $n: numeric)", "{\"k\": \"9007199254740993\", \"n\": 1.5}",
     "{\"k\": \"9007199254740993\", \"n\": 1.5}"},
    {"query($k: bigint)", "{\"k\": true}", "Variable \"$k\" got invalid value true; Expected type \"bigint\"."},
    {"query($j: jsonb)", "{\"j\": {\"a\": [1, null]}}", "{\"j\": {\"a\": [1, null]}}"},
    {"query($t: timestamptz, $s: post_status)", "{\"t\": \"2024-01-01\", \"s\": \"draft\"}",
     "{\"t\": \"2024-01-01\", \"s\": \"draft\"}"},
    {"query($t: timestamptz)", "{\"t\": {\"a\": 1}}",
     "Variable \"$t\" got invalid value { a: 1 }; Expected type \"timestamptz\"."},
    /* several at once; unknown types are validation's to report */
    {"query($a: Int!, $b: String, $c: nope)", "{\"b\": 2, \"c\": 1}",
     "Variable \"$a\" of required type \"Int!\" was not provided.\n"
     "Variable \"$b\" got invalid value 2; String cannot represent a non string value: 2"},
    {"query($a: Int)", "[1]", "Variables must be provided as a JSON object."},
};

/* Compact JSON text with exact numbers as their digits. */
static const char *dumped(gp_arena_t *a, const json_t *v)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 20);
    gp_json_dump(&sb, v);
    return sb.data;
}

static void check_variables_case(const variables_case_t *vc)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    const char *src = gp_arena_printf(a, "%s { __typename }", vc->doc);
    gp_errors_t perr, errs;
    const gp_operation_t *op = parse_op(a, src, &perr);
    json_t *provided = vc->vars != NULL ? gp_json_load(vc->vars, strlen(vc->vars), NULL) : NULL;
    CHECK(op != NULL && (vc->vars == NULL || provided != NULL));
    if (op != NULL) {
        gp_errors_init(&errs, a, src);
        json_t *out = gp_coerce_variables(a, schema, op, provided, &errs);
        CHECK((out == NULL) == (errs.count > 0));
        const char *got = out != NULL ? dumped(a, out) : messages(a, &errs);
        /* compact text drops the space after ':' and ','; the table keeps it for reading */
        json_t *want_json = out != NULL ? gp_json_load(vc->want, strlen(vc->want), NULL) : NULL;
        const char *want_text = want_json != NULL ? dumped(a, want_json) : NULL;
        CHECK_STR(got, want_text != NULL ? want_text : vc->want);
        if (strcmp(got, want_text != NULL ? want_text : vc->want) != 0)
            fprintf(stderr, "  (%s with %s)\n", vc->doc, vc->vars ? vc->vars : "nothing");
        json_decref(want_json);
        json_decref(out);
    }
    json_decref(provided);
    gp_arena_free(a);
}

static void test_variables_table(void)
{
    for (size_t i = 0; i < sizeof variables_cases / sizeof *variables_cases; i++)
        check_variables_case(&variables_cases[i]);
}

/* Errors are BAD_USER_INPUT at the variable's definition. */
static void test_variables_offsets(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    const char *src = "query($a: Int, $w: users_bool_exp) { __typename }";
    gp_errors_t perr, errs;
    const gp_operation_t *op = parse_op(a, src, &perr);
    json_t *vars = json_loads("{\"w\": {\"id\": {\"_eq\": \"x\"}}}", 0, NULL);
    gp_errors_init(&errs, a, src);
    CHECK(gp_coerce_variables(a, schema, op, vars, &errs) == NULL);
    CHECK_INT(errs.count, 1);
    CHECK_INT(errs.head->kind, GP_E_BAD_INPUT);
    CHECK_INT(errs.head->offset, op->variables->next->offset);
    CHECK_INT(errs.head->offset, strstr(src, "$w") - src);
    json_decref(vars);
    gp_arena_free(a);
}

static void test_variables_required_and_one_of(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    var_ctx_t c = {.a = a, .s = schema, .def = &(gp_variable_def_t){.name = "p"}};
    gp_errors_t errs;
    gp_errors_init(&errs, a, "");
    c.errs = &errs;
    gp_strbuf_init(&c.path, a, 1024);
    json_t *v = json_loads("{\"a\": 1}", 0, NULL), *out = coerce_object(&c, &required_type, v);
    char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_STR(text, "{\"a\":1,\"b\":7}"); /* b's default applied */
    free(text);
    json_decref(out);
    json_decref(v);

    static const struct {
        const gp_type_t *type;
        const char *value, *want;
    } bad[] = {
        {&required_type, "{\"b\": 1}",
         "Variable \"$p\" got invalid value { b: 1 }; Field \"a\" of required type \"Int!\" was not provided."},
        {&one_of_type, "{\"a\": 1, \"b\": 2}",
         "Variable \"$p\" got invalid value { a: 1, b: 2 }; "
         "Exactly one key must be specified for OneOf type \"pick\"."},
        {&one_of_type, "{\"b\": null}",
         "Variable \"$p\" got invalid value null at \"p.b\"; Field \"b\" must be non-null."},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        gp_errors_init(&errs, a, "");
        v = json_loads(bad[i].value, 0, NULL);
        CHECK(coerce_object(&c, bad[i].type, v) == NULL);
        CHECK_STR(messages(a, &errs), bad[i].want);
        json_decref(v);
    }
    gp_arena_free(a);
}

static void test_js_numbers(void)
{
    static const struct {
        double d;
        const char *want;
    } cases[] = {{1.5, "1.5"}, {3e9, "3000000000"}, {1e21, "1e+21"}, {1e-7, "1e-7"}, {0.000001, "0.000001"},
                 {-0.1, "-0.1"}, {123456.789, "123456.789"}, {1.2e-10, "1.2e-10"}};
    gp_arena_t *a = gp_arena_new(1024);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gp_strbuf_t sb;
        gp_strbuf_init(&sb, a, 64);
        put_js_number(&sb, cases[i].d);
        CHECK_STR(sb.data, cases[i].want);
    }
    gp_arena_free(a);
}

static void test_setup(void)
{
    env_open();
    hand_made_types();
}

static void test_teardown(void)
{
    gp_schema_free(schema);
    gp_model_free(model);
}

TEST_MAIN(test_setup, test_js_numbers, test_literal_table, test_literal_offsets, test_literal_variables,
          test_literal_required_and_one_of, test_variables_table, test_variables_offsets,
          test_variables_required_and_one_of, test_teardown)
