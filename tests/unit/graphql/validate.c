/* Unit tests for graphql/validate.c: for every rule of the spec's Validation section,
 * documents that break it (graphql-js 16's message, line and column, and how many errors
 * the document has in all) and documents that keep it (no error), against the blog
 * schema built from its saved introspection fixture. */
#include "graphql/validate.h"

#include <stdlib.h>
#include <time.h>

#include "base/strbuf.h"
#include "graphql/parse.h"
#include "schema/types.h"
#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

/* Table rows leave out what they do not need (message of a valid document, count 1). */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

static gp_model_t *model;
static gp_schema_t *schema;

typedef struct vcase {
    const char *rule;
    const char *doc;
    const char *message; /* NULL: the document is valid */
    int line, column;
    int count;           /* errors in all; 0 means 1 */
} vcase_t;

#define MERGE_TAIL " Use different aliases on the fields to fetch both if this was intentional."

static const vcase_t cases[] = {
    /* 5.2.1.1 Operation Name Uniqueness */
    {"UniqueOperationNames", "query Q { users { id } } query Q { users { name } }",
     "There can be only one operation named \"Q\".", 1, 7},
    {"UniqueOperationNames", "query Q { users { id } }\nquery Q { users { id } }\nquery Q { users { id } }",
     "There can be only one operation named \"Q\".", 1, 7, 2},
    {"UniqueOperationNames", "query A { users { id } } query B { users { id } }"},
    /* 5.2.2.1 Lone Anonymous Operation */
    {"LoneAnonymousOperation", "{ users { id } } query Q { users { id } }",
     "This anonymous operation must be the only defined operation.", 1, 1},
    {"LoneAnonymousOperation", "{ users { id } }"},
    {"LoneAnonymousOperation", "query { users { id } }"},
    /* root operation types the schema has (graphql-js 17's KnownOperationTypes) */
    {"KnownOperationTypes", "subscription { users { id } }"},
    {"KnownOperationTypes", "mutation M { delete_users_by_pk(id: 1) { id } }"},
    {"FieldsOnCorrectType", "mutation M { users { id } }", "Cannot query field \"users\" on type \"mutation_root\".",
     1, 14},
    /* 5.3.1 Field Selections on Objects, Interfaces, and Unions Types */
    {"FieldsOnCorrectType", "{ users { nope } }", "Cannot query field \"nope\" on type \"users\".", 1, 11},
    {"FieldsOnCorrectType", "{ users { id } nope }", "Cannot query field \"nope\" on type \"query_root\".", 1, 16},
    {"FieldsOnCorrectType", "{ users { __schema { description } } }",
     "Cannot query field \"__schema\" on type \"users\".", 1, 11},
    {"FieldsOnCorrectType", "{ users { t: __type(name: \"x\") { name } } }",
     "Cannot query field \"__type\" on type \"users\".", 1, 11},
    {"FieldsOnCorrectType", "fragment F on posts { nope } { posts { ...F } }",
     "Cannot query field \"nope\" on type \"posts\".", 1, 23},
    {"FieldsOnCorrectType", "{ __typename users { __typename id author: posts_by_author_id { __typename } } }"},
    {"FieldsOnCorrectType", "{ __schema { queryType { name } } __type(name: \"users\") { name fields { name } } }"},
    {"FieldsOnCorrectType", "{ posts { author { name } editor { name } comments { post { title } author { id } } "
                            "post_tags { tags { name } } } published_posts { id } users_aggregate { aggregate { count } } }"},
    /* 5.3.3 Leaf Field Selections */
    {"ScalarLeafs", "{ users { id { x } } }",
     "Field \"id\" must not have a selection since type \"Int!\" has no subfields.", 1, 14},
    {"ScalarLeafs", "{ users { bio(x: \"{\") @skip(if: false) {\n  x } } }",
     "Field \"bio\" must not have a selection since type \"String\" has no subfields.", 1, 40, 2},
    {"ScalarLeafs", "{ users }",
     "Field \"users\" of type \"[users!]!\" must have a selection of subfields. Did you mean \"users { ... }\"?", 1, 3},
    {"ScalarLeafs", "{ users_by_pk(id: 1) }",
     "Field \"users_by_pk\" of type \"users\" must have a selection of subfields. Did you mean \"users_by_pk { ... }\"?",
     1, 3},
    {"ScalarLeafs", "{ users { id tags: posts_by_author_id { tags status metadata rating } } }"},
    /* 5.3.2 Field Selection Merging */
    {"OverlappingFieldsCanBeMerged", "{ users { a: id a: name } }",
     "Fields \"a\" conflict because \"id\" and \"name\" are different fields." MERGE_TAIL, 1, 11},
    {"OverlappingFieldsCanBeMerged", "{ users(limit: 1) { id } users(limit: 2) { id } }",
     "Fields \"users\" conflict because they have differing arguments." MERGE_TAIL, 1, 3},
    {"OverlappingFieldsCanBeMerged", "{ users(limit: 1) { id } users { id } }",
     "Fields \"users\" conflict because they have differing arguments." MERGE_TAIL, 1, 3},
    {"OverlappingFieldsCanBeMerged",
     "{ users { posts_by_author_id { x: id } } users { posts_by_author_id { x: title } } }",
     "Fields \"users\" conflict because subfields \"posts_by_author_id\" conflict because subfields \"x\" conflict "
     "because \"id\" and \"title\" are different fields." MERGE_TAIL,
     1, 3},
    {"OverlappingFieldsCanBeMerged", "{ users { ...A ...B } } fragment A on users { n: name } fragment B on users { n: email }",
     "Fields \"n\" conflict because \"name\" and \"email\" are different fields." MERGE_TAIL, 1, 47},
    {"OverlappingFieldsCanBeMerged", "{ users { a: id ... on users { a: bio } } }",
     "Fields \"a\" conflict because \"id\" and \"bio\" are different fields." MERGE_TAIL, 1, 11},
    /* parents that can never both apply may differ in field, not in shape */
    {"OverlappingFieldsCanBeMerged", "{ users { v: id ... on posts { v: title } } }",
     "Fields \"v\" conflict because they return conflicting types \"Int!\" and \"String!\"." MERGE_TAIL, 1, 11, 2},
    {"OverlappingFieldsCanBeMerged", "{ users { id id a: name ...F ... on users { a: name } } } fragment F on users { a: name id }"},
    {"OverlappingFieldsCanBeMerged", "{ users(limit: 1, offset: 2) { id } users(offset: 2, limit: 1) { name } }"},
    /* 5.4.1 Argument Names */
    {"KnownArgumentNames", "{ users { posts_by_author_id(x: 1) { id } } }",
     "Unknown argument \"x\" on field \"users.posts_by_author_id\".", 1, 30},
    {"KnownArgumentNames", "{ users @skip(x: true, if: false) { id } }",
     "Unknown argument \"x\" on directive \"@skip\".", 1, 15},
    {"KnownArgumentNames", "{ users(limit: 1, offset: 2, where: {}, order_by: {id: asc}, distinct_on: id) { id } }"},
    /* 5.4.2 Argument Uniqueness */
    {"UniqueArgumentNames", "{ users(limit: 1, limit: 2) { id } }", "There can be only one argument named \"limit\".", 1,
     9},
    {"UniqueArgumentNames", "{ users @include(if: true, if: true) { id } }",
     "There can be only one argument named \"if\".", 1, 18},
    {"UniqueArgumentNames", "{ users(limit: 1) { posts_by_author_id(limit: 1) { id } } }"},
    /* 5.4.2.1 Required Arguments */
    {"ProvidedRequiredArguments", "{ users_by_pk { id } }",
     "Field \"users_by_pk\" argument \"id\" of type \"Int!\" is required, but it was not provided.", 1, 3},
    {"ProvidedRequiredArguments", "{ users @include { id } }",
     "Directive \"@include\" argument \"if\" of type \"Boolean!\" is required, but it was not provided.", 1, 9},
    {"ProvidedRequiredArguments", "{ __type { name } }",
     "Field \"__type\" argument \"name\" of type \"String!\" is required, but it was not provided.", 1, 3},
    {"ProvidedRequiredArguments", "{ users_by_pk(id: 1) { id } users @include(if: true) { id } }"},
    /* 5.5.1.1 Fragment Name Uniqueness */
    {"UniqueFragmentNames", "{ users { ...F } } fragment F on users { id } fragment F on users { name }",
     "There can be only one fragment named \"F\".", 1, 29},
    {"UniqueFragmentNames", "{ users { ...F ...G } } fragment F on users { id } fragment G on users { name }"},
    /* 5.5.1.2 Fragment Spread Type Existence */
    {"KnownTypeNames", "{ users { ... on Nope { id } } }", "Unknown type \"Nope\".", 1, 18},
    {"KnownTypeNames", "{ users { ...F } } fragment F on Nope { id }", "Unknown type \"Nope\".", 1, 34},
    {"KnownTypeNames", "query ($x: [Nope!]) { users(where: $x) { id } }", "Unknown type \"Nope\".", 1, 13},
    {"KnownTypeNames", "query ($x: [Int!], $w: users_bool_exp) { users(where: $w) { id } t: tags { name } "
                       "p: posts(where: {id: {_in: $x}}) { id } } "},
    /* 5.5.1.3 Fragments On Composite Types */
    {"FragmentsOnCompositeTypes", "{ users { ... on Int { id } } }",
     "Fragment cannot condition on non composite type \"Int\".", 1, 18},
    {"FragmentsOnCompositeTypes", "{ users { ...F } } fragment F on String { id }",
     "Fragment \"F\" cannot condition on non composite type \"String\".", 1, 34},
    {"FragmentsOnCompositeTypes", "{ users { ... on users { id } ... { name } } }"},
    /* 5.5.1.4 Fragments Must Be Used */
    {"NoUnusedFragments", "{ users { id } } fragment F on users { id }", "Fragment \"F\" is never used.", 1, 18},
    {"NoUnusedFragments", "{ users { ...F } } fragment F on users { ...G } fragment G on users { id }"},
    /* 5.5.2.1 Fragment spread target defined */
    {"KnownFragmentNames", "{ users { ...Nope } }", "Unknown fragment \"Nope\".", 1, 14},
    {"KnownFragmentNames", "{ users { ... Nope @skip(if: false) } }", "Unknown fragment \"Nope\".", 1, 15},
    {"KnownFragmentNames", "{ users { ...F } } fragment F on users { id }"},
    /* 5.5.2.2 Fragment spreads must not form cycles */
    {"NoFragmentCycles", "{ users { ...A } } fragment A on users { ...B } fragment B on users { ...A }",
     "Cannot spread fragment \"A\" within itself via \"B\".", 1, 42},
    {"NoFragmentCycles", "{ users { ...A } } fragment A on users { id ...A }",
     "Cannot spread fragment \"A\" within itself.", 1, 45},
    {"NoFragmentCycles",
     "{ users { ...A } } fragment A on users { ...B } fragment B on users { posts_by_author_id { author { ...C } } } "
     "fragment C on users { ...A }",
     "Cannot spread fragment \"A\" within itself via \"B\", \"C\".", 1, 42},
    {"NoFragmentCycles", "{ users { ...A ...B } } fragment A on users { ...B } fragment B on users { id }"},
    /* 5.5.2.3 Fragment spread is possible */
    {"PossibleFragmentSpreads", "{ users { ...F } } fragment F on posts { id }",
     "Fragment \"F\" cannot be spread here as objects of type \"users\" can never be of type \"posts\".", 1, 11},
    {"PossibleFragmentSpreads", "{ users { ... on posts { id } } }",
     "Fragment cannot be spread here as objects of type \"users\" can never be of type \"posts\".", 1, 11},
    {"PossibleFragmentSpreads", "{ users { ... on users { id } ...F } } fragment F on users { name }"},
    /* 5.6.1 Values of Correct Type (through gp_coerce_literal) */
    {"ValuesOfCorrectType", "{ users_by_pk(id: \"abc\") { id } }", "Int cannot represent non-integer value: \"abc\"", 1,
     19},
    {"ValuesOfCorrectType", "{ users_by_pk(id: null) { id } }", "Expected value of type \"Int!\", found null.", 1, 19},
    {"ValuesOfCorrectType", "{ users @skip(if: 1) { id } }", "Boolean cannot represent a non boolean value: 1", 1, 19},
    {"ValuesOfCorrectType", "query ($n: Int = \"x\") { users(limit: $n) { id } }",
     "Int cannot represent non-integer value: \"x\"", 1, 18},
    {"ValuesOfCorrectType", "{ users { ...F } } fragment F on users { posts_by_author_id(limit: 1.5) { id } }",
     "Int cannot represent non-integer value: 1.5", 1, 68},
    {"ValuesOfCorrectType", "{ users(where: {id: {_eq: 1}}, order_by: [{name: asc}], distinct_on: [id, name]) { id } }"},
    /* 5.6.3 Input Object Field Uniqueness */
    {"UniqueInputFieldNames", "{ users(where: {id: {_eq: 1}, id: {_eq: 2}}) { id } }",
     "There can be only one input field named \"id\".", 1, 17},
    {"UniqueInputFieldNames", "{ users(where: {_and: [{id: {_eq: 1, _eq: 2}}]}) { id } }",
     "There can be only one input field named \"_eq\".", 1, 30},
    {"UniqueInputFieldNames", "{ users(where: {id: {_eq: 1}, name: {_eq: \"x\"}, _and: [{id: {_gt: 0}}, {id: {_gt: 0}}]}) { id } }"},
    /* 5.7.1 Directives Are Defined, 5.7.2 Directives Are in Valid Locations */
    {"KnownDirectives", "{ users @nope { id } }", "Unknown directive \"@nope\".", 1, 9},
    {"KnownDirectives", "query @skip(if: true) { users { id } }", "Directive \"@skip\" may not be used on QUERY.", 1, 7},
    {"KnownDirectives", "{ users { ...F } } fragment F on users @include(if: true) { id }",
     "Directive \"@include\" may not be used on FRAGMENT_DEFINITION.", 1, 40},
    {"KnownDirectives", "query ($v: Int @deprecated) { users(limit: $v) { id } }",
     "Directive \"@deprecated\" may not be used on VARIABLE_DEFINITION.", 1, 16},
    {"KnownDirectives", "{ users @include(if: true) { id @skip(if: false) ...F @skip(if: false) ... @include(if: true) { name } } } "
                        "fragment F on users { id }"},
    /* 5.7.3 Directives Are Unique Per Location */
    {"UniqueDirectivesPerLocation", "{ users { id @skip(if: true) @skip(if: false) } }",
     "The directive \"@skip\" can only be used once at this location.", 1, 14},
    {"UniqueDirectivesPerLocation", "{ users { id @skip(if: true) @include(if: true) } }"},
    /* 5.8.1 Variable Uniqueness */
    {"UniqueVariableNames", "query ($a: Int, $a: Int) { users(limit: $a) { id } }",
     "There can be only one variable named \"$a\".", 1, 8},
    {"UniqueVariableNames", "query ($a: Int, $b: Int) { users(limit: $a, offset: $b) { id } }"},
    /* 5.8.2 Variables Are Input Types */
    {"VariablesAreInputTypes", "query ($u: users) { users { id } }", "Variable \"$u\" cannot be non-input type \"users\".",
     1, 12, 2},
    {"VariablesAreInputTypes", "query ($u: [users!]!) { users { id } }",
     "Variable \"$u\" cannot be non-input type \"[users!]!\".", 1, 12, 2},
    {"VariablesAreInputTypes", "query ($w: users_bool_exp, $o: [users_order_by!], $s: post_status, $t: timestamptz) "
                               "{ users(where: $w, order_by: $o) { id } posts(where: {status: {_eq: $s}, created_at: {_gt: $t}}) { id } }"},
    /* 5.8.3 All Variable Uses Defined */
    {"NoUndefinedVariables", "query Q { users(limit: $n) { id } }",
     "Variable \"$n\" is not defined by operation \"Q\".", 1, 24},
    {"NoUndefinedVariables", "{ users(limit: $n) { id } }", "Variable \"$n\" is not defined.", 1, 16},
    {"NoUndefinedVariables", "query Q { users { ...F } } fragment F on users { posts_by_author_id(limit: $n) { id } }",
     "Variable \"$n\" is not defined by operation \"Q\".", 1, 76},
    {"NoUndefinedVariables", "query Q { users @skip(if: $b) { id } }",
     "Variable \"$b\" is not defined by operation \"Q\".", 1, 27},
    {"NoUndefinedVariables", "query Q($n: Int) { users { ...F } } fragment F on users { posts_by_author_id(limit: $n) { id } }"},
    /* 5.8.4 All Variables Used */
    {"NoUnusedVariables", "query Q($n: Int) { users { id } }", "Variable \"$n\" is never used in operation \"Q\".", 1, 9},
    {"NoUnusedVariables", "query ($n: Int) { users { id } }", "Variable \"$n\" is never used.", 1, 8},
    {"NoUnusedVariables", "query Q($n: Int, $b: Boolean!) { users { ...F @include(if: $b) } } "
                          "fragment F on users { ... { posts_by_author_id(where: {_and: [{id: {_eq: $n}}]}) { id } } }"},
    /* 5.8.5 All Variable Usages Are Allowed */
    {"VariablesInAllowedPosition", "query ($id: Int) { users_by_pk(id: $id) { id } }",
     "Variable \"$id\" of type \"Int\" used in position expecting type \"Int!\".", 1, 8},
    {"VariablesInAllowedPosition", "query ($id: Int = null) { users_by_pk(id: $id) { id } }",
     "Variable \"$id\" of type \"Int\" used in position expecting type \"Int!\".", 1, 8},
    {"VariablesInAllowedPosition", "query ($l: Int) { users(distinct_on: $l) { id } }",
     "Variable \"$l\" of type \"Int\" used in position expecting type \"[users_select_column!]\".", 1, 8},
    {"VariablesInAllowedPosition", "query ($v: String) { users(where: {id: {_eq: $v}}) { id } }",
     "Variable \"$v\" of type \"String\" used in position expecting type \"Int\".", 1, 8},
    {"VariablesInAllowedPosition", "query ($v: [Int]) { users(where: {id: {_in: $v}}) { id } }",
     "Variable \"$v\" of type \"[Int]\" used in position expecting type \"[Int!]\".", 1, 8},
    {"VariablesInAllowedPosition", "query ($b: Boolean) { users @skip(if: $b) { id } }",
     "Variable \"$b\" of type \"Boolean\" used in position expecting type \"Boolean!\".", 1, 8},
    {"VariablesInAllowedPosition", "query ($c: users_select_column) { users(distinct_on: [$c]) { id } }",
     "Variable \"$c\" of type \"users_select_column\" used in position expecting type \"users_select_column!\".", 1, 8},
    {"VariablesInAllowedPosition", "query ($id: Int = 1, $b: Boolean!, $w: users_bool_exp, $i: Int!, $l: [Int!]!, "
                                   "$c: users_select_column!) { users_by_pk(id: $id) { id } users(where: $w, "
                                   "distinct_on: [$c]) @skip(if: $b) { id } u: users(where: {id: {_eq: $i, _in: $l}}) { id } }"},
};

static void print_errors(const gp_errors_t *errs)
{
    for (const gp_error_t *e = errs->head; e != NULL; e = e->next) {
        int line = 0, column = 0;
        if (e->offset >= 0)
            gp_source_location(errs->source, (size_t)e->offset, &line, &column);
        fprintf(stderr, "    %d:%d %s\n", line, column, e->message);
    }
}

/* Parses and validates `doc`; the errors are in `errs` (arena `a`). */
static int validate_with(gp_arena_t *a, const gp_schema_t *s, const char *doc, gp_errors_t *errs)
{
    gp_errors_init(errs, a, doc);
    gp_document_t *d = gp_parse(a, doc, strlen(doc), errs);
    if (d == NULL) {
        fprintf(stderr, "parse failed: %s\n  %.200s\n", errs->head->message, doc);
        return -1;
    }
    return gp_validate(a, s, d, errs);
}

static void check_case(const gp_schema_t *s, const vcase_t *t)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    gp_errors_t errs;
    int n = validate_with(a, s, t->doc, &errs);
    int want = t->message == NULL ? 0 : t->count > 0 ? t->count : 1;
    bool found = t->message == NULL;
    for (const gp_error_t *e = errs.head; e != NULL && !found; e = e->next) {
        int line = 0, column = 0;
        if (e->offset >= 0)
            gp_source_location(t->doc, (size_t)e->offset, &line, &column);
        found = strcmp(e->message, t->message) == 0 && line == t->line && column == t->column &&
                e->kind == GP_E_VALIDATION;
    }
    test_checks += 2;
    if (n != want || errs.count != want || !found) {
        test_failures++;
        fprintf(stderr, "%s: %s\n  want %d error(s)%s%s at %d:%d, got %d:\n", t->rule, t->doc, want,
                t->message ? ", one " : "", t->message ? t->message : "", t->line, t->column, n);
        print_errors(&errs);
    }
    gp_arena_free(a);
}

static void test_every_rule_table(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(schema, &cases[i]);
}

/* Every rule has a valid and an invalid document in the table. */
static void test_table_covers_every_rule(void)
{
    static const char *const rules[] = {
        "UniqueOperationNames", "LoneAnonymousOperation", "FieldsOnCorrectType", "ScalarLeafs",
        "OverlappingFieldsCanBeMerged", "KnownArgumentNames", "UniqueArgumentNames", "ProvidedRequiredArguments",
        "UniqueFragmentNames", "KnownTypeNames", "FragmentsOnCompositeTypes", "NoUnusedFragments",
        "KnownFragmentNames", "NoFragmentCycles", "PossibleFragmentSpreads", "ValuesOfCorrectType",
        "UniqueInputFieldNames", "KnownDirectives", "UniqueDirectivesPerLocation", "UniqueVariableNames",
        "VariablesAreInputTypes", "NoUndefinedVariables", "NoUnusedVariables", "VariablesInAllowedPosition",
    };
    for (size_t r = 0; r < sizeof rules / sizeof *rules; r++) {
        bool valid = false, invalid = false;
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
            if (strcmp(cases[i].rule, rules[r]) != 0)
                continue;
            valid |= cases[i].message == NULL;
            invalid |= cases[i].message != NULL;
        }
        if (!valid || !invalid)
            fprintf(stderr, "rule %s lacks a %s document\n", rules[r], valid ? "invalid" : "valid");
        CHECK(valid && invalid);
    }
}

/* ExecutableDefinitions holds by construction: the parser rejects type-system definitions. */
static void test_executable_definitions(void)
{
    gp_arena_t *a = gp_arena_new(1 << 12);
    gp_errors_t errs;
    const char *doc = "{ users { id } } type T { a: Int }";
    gp_errors_init(&errs, a, doc);
    CHECK(gp_parse(a, doc, strlen(doc), &errs) == NULL);
    CHECK_INT(errs.count, 1);
    gp_arena_free(a);
}

/* KnownOperationTypes, on a copy of the schema without subscription_root. */
static void test_unknown_operation_type(void)
{
    gp_schema_t none = *schema;
    none.subscription = NULL;
    static const vcase_t c = {"KnownOperationTypes", "subscription { users { id } }",
                              "The subscription operation is not supported by the schema.", 1, 1};
    check_case(&none, &c);
}

static void test_single_field_subscriptions(void)
{
    static const vcase_t sub_cases[] = {
        {"SingleFieldSubscriptions", "subscription S { users { id } users_by_pk(id: 1) { id } }",
         "Subscription \"S\" must select only one top level field.", 1, 31},
        {"SingleFieldSubscriptions", "subscription { users { id } ...F } fragment F on subscription_root { tags { name } }",
         "Anonymous Subscription must select only one top level field.", 1, 70},
        {"SingleFieldSubscriptions", "subscription { __typename }",
         "Anonymous Subscription must not select an introspection top level field.", 1, 16},
        {"SingleFieldSubscriptions", "subscription S { users { id } users { name } }"},
        {"SingleFieldSubscriptions", "subscription S { ... on subscription_root { users { id } } }"},
        {"SingleFieldSubscriptions", "subscription S { users_stream(batch_size: 10, cursor: {initial_value: {id: 1}}) { id } }"},
    };
    for (size_t i = 0; i < sizeof sub_cases / sizeof *sub_cases; i++)
        check_case(schema, &sub_cases[i]);
}

/* Errors come in document order, all of them, whatever rule found them. */
static void test_all_errors_in_document_order(void)
{
    gp_arena_t *a = gp_arena_new(1 << 12);
    gp_errors_t errs;
    const char *doc = "query Q($x: Int) { users(nope: 1) { id name { a } } ...Nope }\nfragment F on users { id }";
    CHECK_INT(validate_with(a, schema, doc, &errs), 5);
    const char *want[] = {
        "Variable \"$x\" is never used in operation \"Q\".",
        "Unknown argument \"nope\" on field \"query_root.users\".",
        "Field \"name\" must not have a selection since type \"String!\" has no subfields.",
        "Unknown fragment \"Nope\".",
        "Fragment \"F\" is never used.",
    };
    int i = 0;
    for (const gp_error_t *e = errs.head; e != NULL && i < 5; e = e->next, i++)
        CHECK_STR(e->message, want[i]);
    gp_arena_free(a);
}

static void test_error_limit(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 20);
    gp_strbuf_puts(&sb, "{ users {");
    for (int i = 0; i < 150; i++)
        gp_strbuf_printf(&sb, " f%d", i);
    gp_strbuf_puts(&sb, " } }");
    gp_errors_t errs;
    CHECK_INT(validate_with(a, schema, sb.data, &errs), 101);
    CHECK_STR(errs.tail->message, "Too many validation errors, error limit reached. Validation aborted.");
    gp_arena_free(a);
}

static bool has_too_complex(const gp_errors_t *errs, const char *message)
{
    for (const gp_error_t *e = errs->head; e != NULL; e = e->next)
        if (e->kind == GP_E_TOO_COMPLEX && strcmp(e->message, message) == 0)
            return true;
    return false;
}

static void test_depth_limit(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 20);
    gp_strbuf_puts(&sb, "{ users {");
    for (int i = 0; i < 16; i++) /* 1 + 1 + 32 selection sets */
        gp_strbuf_puts(&sb, " posts_by_author_id { author {");
    gp_strbuf_puts(&sb, " id");
    for (int i = 0; i < 33; i++)
        gp_strbuf_puts(&sb, " }");
    gp_strbuf_puts(&sb, " }");
    gp_errors_t errs;
    CHECK_INT(validate_with(a, schema, sb.data, &errs), 1);
    CHECK(has_too_complex(&errs, "The operation is nested too deeply (more than 32 levels)."));

    const char *ok = "{ users { posts_by_author_id { author { posts_by_author_id { author { id } } } } } }";
    CHECK_INT(validate_with(a, schema, ok, &errs), 0);
    gp_arena_free(a);
}

/* `n` inline fragments nested in users' selection set, the innermost `inner`. */
static const char *nested_inline(gp_arena_t *a, int n, const char *inner)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 16);
    gp_strbuf_puts(&sb, "{ users {");
    for (int i = 0; i < n; i++)
        gp_strbuf_puts(&sb, " ... {");
    gp_strbuf_printf(&sb, " %s", inner);
    for (int i = 0; i < n; i++)
        gp_strbuf_puts(&sb, " }");
    gp_strbuf_puts(&sb, " } }");
    return sb.data;
}

/* CollectFields recurses once per fragment, inline or spread, nested in one selection
 * set; validation bounds that (the compiler used to refuse such a document itself). A
 * field in between starts the count again. */
static void test_fragment_nesting_limit(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    gp_errors_t errs;
    CHECK_INT(validate_with(a, schema, nested_inline(a, 32, "id"), &errs), 0);
    CHECK_INT(validate_with(a, schema, nested_inline(a, 33, "id"), &errs), 1);
    CHECK(has_too_complex(&errs, "The operation spreads fragments too deeply (more than 32 levels)."));
    CHECK_INT(validate_with(a, schema, nested_inline(a, 20, "posts_by_author_id { ... { ... { id } } }"), &errs), 0);

    gp_strbuf_t sb; /* 17 spreads, each through an inline fragment: 34 nested */
    gp_strbuf_init(&sb, a, 1 << 16);
    gp_strbuf_puts(&sb, "{ users { ...F0 } }");
    for (int i = 0; i < 16; i++)
        gp_strbuf_printf(&sb, " fragment F%d on users { ... { ...F%d } }", i, i + 1);
    gp_strbuf_puts(&sb, " fragment F16 on users { ... { id } }");
    CHECK_INT(validate_with(a, schema, sb.data, &errs), 1);
    CHECK(has_too_complex(&errs, "The operation spreads fragments too deeply (more than 32 levels)."));
    gp_arena_free(a);
}

/* Fragments spread ten times at each of five levels select 10^5 fields. */
static void test_node_limit_counts_fragments(void)
{
    gp_arena_t *a = gp_arena_new(1 << 14);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 20);
    gp_strbuf_puts(&sb, "{ users { ...F5 } } fragment F0 on users { id }");
    for (int level = 1; level <= 5; level++) {
        gp_strbuf_printf(&sb, " fragment F%d on users {", level);
        for (int i = 0; i < 10; i++)
            gp_strbuf_printf(&sb, " ...F%d", level - 1);
        gp_strbuf_puts(&sb, " }");
    }
    gp_errors_t errs;
    CHECK_INT(validate_with(a, schema, sb.data, &errs), 1);
    CHECK(has_too_complex(&errs, "The operation selects too many fields (more than 10000)."));
    gp_arena_free(a);
}

/* Thousands of fields with one response name: the quadratic merging check stops at its
 * budget in bounded time instead of running for minutes. */
static void test_merging_cost_is_capped(void)
{
    gp_arena_t *a = gp_arena_new(1 << 16);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 20);
    gp_strbuf_puts(&sb, "{ users {");
    for (int i = 0; i < 5000; i++)
        gp_strbuf_puts(&sb, " a: id");
    gp_strbuf_puts(&sb, " } }");
    gp_errors_t errs;
    clock_t start = clock();
    int n = validate_with(a, schema, sb.data, &errs);
    double seconds = (double)(clock() - start) / CLOCKS_PER_SEC;
    CHECK_INT(n, 1);
    CHECK(has_too_complex(&errs, "The document is too complex to validate."));
    CHECK(seconds < 5);
    gp_arena_free(a);
}

/* A long chain of fragments that ends in a cycle: no recursion as deep as the chain. */
static void test_long_fragment_chain(void)
{
    gp_arena_t *a = gp_arena_new(1 << 16);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 22);
    gp_strbuf_puts(&sb, "{ users { ...F0 } }");
    for (int i = 0; i < 10000; i++)
        gp_strbuf_printf(&sb, " fragment F%d on users { ...F%d }", i, i + 1);
    gp_strbuf_puts(&sb, " fragment F10000 on users { id ...F0 }");
    gp_errors_t errs;
    int n = validate_with(a, schema, sb.data, &errs);
    CHECK(n >= 2); /* the cycle, and the spread depth limit */
    CHECK(strncmp(errs.head->message, "Cannot spread fragment \"F0\" within itself via \"F1\", \"F2\"", 56) == 0 ||
          has_too_complex(&errs, "The operation spreads fragments too deeply (more than 32 levels)."));
    gp_arena_free(a);
}

/* Found by fuzz_validate: comparing two fields that both spread a fragment which
 * spreads itself one level down descended for ever and overflowed the stack. */
static void test_self_spreading_fragment_in_subselections(void)
{
    gp_arena_t *a = gp_arena_new(1 << 16);
    gp_errors_t errs;
    int n = validate_with(a, schema,
                          "{ users { ...f } users { ...f } } "
                          "fragment f on users { posts_by_author_id { author { ...f } } }",
                          &errs);
    CHECK(n >= 1);
    CHECK(errs.head != NULL && strcmp(errs.head->message, "Cannot spread fragment \"f\" within itself.") == 0);
    gp_arena_free(a);
}

static void setup(void)
{
    model = fixture_model("blog");
    schema = gp_schema_build(model);
    if (schema == NULL) {
        fprintf(stderr, "gp_schema_build failed\n");
        exit(2);
    }
}

static void test_all(void)
{
    setup();
    test_every_rule_table();
    test_table_covers_every_rule();
    test_executable_definitions();
    test_unknown_operation_type();
    test_single_field_subscriptions();
    test_all_errors_in_document_order();
    test_error_limit();
    test_depth_limit();
    test_fragment_nesting_limit();
    test_node_limit_counts_fragments();
    test_merging_cost_is_capped();
    test_long_fragment_chain();
    test_self_spreading_fragment_in_subselections();
    gp_schema_free(schema);
    gp_model_free(model);
}

TEST_MAIN(test_all)
