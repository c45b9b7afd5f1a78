/* Unit tests for graphql/parse and graphql/lex: documents are parsed and printed
 * back in a compact canonical form, so a test states the whole tree it expects;
 * bad documents must give graphql-js's message at the right line and column. */
#include <stdlib.h>

#include "base/error.h"
#include "base/json.h"
#include "graphql/parse.h"
#include "tests/unit/test.h"

/* ---- a compact printer: query Q($a: [T!] = 1) @d {f, g: h(x: 1) {i}, ...F} ---- */

static void print_value(gp_strbuf_t *sb, const gp_value_t *v);
static void print_selections(gp_strbuf_t *sb, const gp_selection_t *s);

static void print_list(gp_strbuf_t *sb, const gp_value_t *item)
{
    gp_strbuf_putc(sb, '[');
    for (; item != NULL; item = item->next) {
        print_value(sb, item);
        if (item->next != NULL)
            gp_strbuf_lit(sb, ", ");
    }
    gp_strbuf_putc(sb, ']');
}

static void print_object(gp_strbuf_t *sb, const gp_object_field_t *f)
{
    gp_strbuf_putc(sb, '{');
    for (; f != NULL; f = f->next) {
        gp_strbuf_printf(sb, "%s: ", f->name);
        print_value(sb, f->value);
        if (f->next != NULL)
            gp_strbuf_lit(sb, ", ");
    }
    gp_strbuf_putc(sb, '}');
}

static void print_value(gp_strbuf_t *sb, const gp_value_t *v)
{
    switch (v->kind) {
    case GP_VALUE_VARIABLE:
        gp_strbuf_printf(sb, "$%s", v->string);
        break;
    case GP_VALUE_STRING:
        gp_json_string(sb, v->string, v->length);
        break;
    case GP_VALUE_BOOLEAN:
        gp_strbuf_puts(sb, v->boolean ? "true" : "false");
        break;
    case GP_VALUE_NULL:
        gp_strbuf_lit(sb, "null");
        break;
    case GP_VALUE_LIST:
        print_list(sb, v->items);
        break;
    case GP_VALUE_OBJECT:
        print_object(sb, v->fields);
        break;
    default: /* int, float, enum */
        gp_strbuf_puts(sb, v->string);
    }
}

static void print_arguments(gp_strbuf_t *sb, const gp_argument_t *arg)
{
    if (arg == NULL)
        return;
    gp_strbuf_putc(sb, '(');
    for (; arg != NULL; arg = arg->next) {
        gp_strbuf_printf(sb, "%s: ", arg->name);
        print_value(sb, arg->value);
        if (arg->next != NULL)
            gp_strbuf_lit(sb, ", ");
    }
    gp_strbuf_putc(sb, ')');
}

static void print_directives(gp_strbuf_t *sb, const gp_directive_t *d)
{
    for (; d != NULL; d = d->next) {
        gp_strbuf_printf(sb, " @%s", d->name);
        print_arguments(sb, d->arguments);
    }
}

static void print_type(gp_strbuf_t *sb, const gp_type_ref_t *t)
{
    if (t->kind == GP_TYPE_NAMED) {
        gp_strbuf_puts(sb, t->name);
    } else if (t->kind == GP_TYPE_LIST) {
        gp_strbuf_putc(sb, '[');
        print_type(sb, t->of_type);
        gp_strbuf_putc(sb, ']');
    } else {
        print_type(sb, t->of_type);
        gp_strbuf_putc(sb, '!');
    }
}

static void print_selection(gp_strbuf_t *sb, const gp_selection_t *s)
{
    if (s->kind == GP_SEL_FRAGMENT_SPREAD) {
        gp_strbuf_printf(sb, "...%s", s->name);
    } else if (s->kind == GP_SEL_INLINE_FRAGMENT) {
        gp_strbuf_lit(sb, "...");
        if (s->type_condition != NULL)
            gp_strbuf_printf(sb, " on %s", s->type_condition);
    } else {
        if (s->alias != NULL)
            gp_strbuf_printf(sb, "%s: ", s->alias);
        gp_strbuf_puts(sb, s->name);
        print_arguments(sb, s->arguments);
    }
    print_directives(sb, s->directives);
    if (s->selections != NULL) {
        gp_strbuf_putc(sb, ' ');
        print_selections(sb, s->selections);
    }
}

static void print_selections(gp_strbuf_t *sb, const gp_selection_t *s)
{
    gp_strbuf_putc(sb, '{');
    for (; s != NULL; s = s->next) {
        print_selection(sb, s);
        if (s->next != NULL)
            gp_strbuf_lit(sb, ", ");
    }
    gp_strbuf_putc(sb, '}');
}

static void print_variables(gp_strbuf_t *sb, const gp_variable_def_t *v)
{
    if (v == NULL)
        return;
    gp_strbuf_putc(sb, '(');
    for (; v != NULL; v = v->next) {
        gp_strbuf_printf(sb, "$%s: ", v->name);
        print_type(sb, v->type);
        if (v->default_value != NULL) {
            gp_strbuf_lit(sb, " = ");
            print_value(sb, v->default_value);
        }
        print_directives(sb, v->directives);
        if (v->next != NULL)
            gp_strbuf_lit(sb, ", ");
    }
    gp_strbuf_putc(sb, ')');
}

static const char *const op_kinds[] = {"query", "mutation", "subscription"};

static void print_document(gp_strbuf_t *sb, const gp_document_t *doc)
{
    for (const gp_operation_t *op = doc->operations; op != NULL; op = op->next) {
        gp_strbuf_puts(sb, op_kinds[op->kind]);
        if (op->name != NULL)
            gp_strbuf_printf(sb, " %s", op->name);
        print_variables(sb, op->variables);
        print_directives(sb, op->directives);
        gp_strbuf_putc(sb, ' ');
        print_selections(sb, op->selections);
        gp_strbuf_putc(sb, '\n');
    }
    for (const gp_fragment_t *f = doc->fragments; f != NULL; f = f->next) {
        gp_strbuf_printf(sb, "fragment %s on %s", f->name, f->type_condition);
        print_directives(sb, f->directives);
        gp_strbuf_putc(sb, ' ');
        print_selections(sb, f->selections);
        gp_strbuf_putc(sb, '\n');
    }
}

/* ---- helpers ---- */

static gp_arena_t *arena;

static const gp_document_t *parse_n(const char *src, size_t len, gp_errors_t *errs)
{
    gp_errors_init(errs, arena, src);
    return gp_parse(arena, src, len, errs);
}

/* Parses `src`, which must succeed, and returns the document printed. */
static const char *printed(const char *src)
{
    gp_errors_t errs;
    const gp_document_t *doc = parse_n(src, strlen(src), &errs);
    if (doc == NULL) {
        fprintf(stderr, "unexpected error: %s\n", errs.head ? errs.head->message : "(none)");
        return NULL;
    }
    CHECK_INT(errs.count, 0);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, arena, 1 << 20);
    print_document(&sb, doc);
    return sb.data;
}

/* The first argument's value of the first field of the only operation of `src`. */
static const gp_value_t *first_value(const char *src)
{
    gp_errors_t errs;
    const gp_document_t *doc = parse_n(src, strlen(src), &errs);
    if (doc == NULL) {
        fprintf(stderr, "unexpected error: %s\n", errs.head ? errs.head->message : "(none)");
        return NULL;
    }
    return doc->operations->selections->arguments->value;
}

#define CHECK_STRING_VALUE(src, want)                             \
    do {                                                          \
        const gp_value_t *v_ = first_value(src);                  \
        CHECK(v_ != NULL && v_->kind == GP_VALUE_STRING);         \
        CHECK_STR(v_ ? v_->string : NULL, want);                  \
        CHECK_INT(v_ ? v_->length : 0, sizeof(want) - 1);         \
    } while (0)

static void expect_error_n(const char *src, size_t len, int line, int column, const char *message, int src_line)
{
    gp_errors_t errs;
    const gp_document_t *doc = parse_n(src, len, &errs);
    CHECK(doc == NULL);
    CHECK_INT(errs.count, 1);
    if (errs.head == NULL)
        return;
    int l, c;
    gp_source_location(src, (size_t)errs.head->offset, &l, &c);
    char want[512];
    snprintf(want, sizeof want, "Syntax Error: %s", message);
    if (strcmp(errs.head->message, want) != 0 || l != line || c != column)
        fprintf(stderr, "  (from line %d: %d:%d %s)\n", src_line, l, c, errs.head->message);
    CHECK_STR(errs.head->message, want);
    CHECK_INT(l, line);
    CHECK_INT(c, column);
    CHECK_INT(errs.head->kind, GP_E_PARSE);
}

#define expect_syntax_error(src, line, column, message) \
    expect_error_n((src), strlen(src), (line), (column), (message), __LINE__)

/* ---- documents ---- */

static void test_kitchen_sink(void)
{
    const char *src =
        "query queryName($foo: ComplexType, $site: Site = MOBILE) @onQuery {\n"
        "  whoever123is: node(id: [123, 456]) {\n"
        "    id ,\n"
        "    ... on User @onInlineFragment {\n"
        "      field2 {\n"
        "        id ,\n"
        "        alias: field1(first:10, after:$foo,) @include(if: $foo) {\n"
        "          id,\n"
        "          ...frag @onFragmentSpread\n"
        "        }\n"
        "      }\n"
        "    }\n"
        "    ... @skip(unless: $foo) {\n"
        "      id\n"
        "    }\n"
        "    ... {\n"
        "      id\n"
        "    }\n"
        "  }\n"
        "}\n"
        "\n"
        "mutation likeStory @onMutation {\n"
        "  like(story: 123) @onField {\n"
        "    story {\n"
        "      id @onField\n"
        "    }\n"
        "  }\n"
        "}\n"
        "\n"
        "subscription StoryLikeSubscription(\n"
        "  $input: StoryLikeSubscribeInput @onVariableDefinition\n"
        ")\n"
        "  @onSubscription {\n"
        "  storyLikeSubscribe(input: $input) {\n"
        "    story { likers { count } likeSentence { text } }\n"
        "  }\n"
        "}\n"
        "\n"
        "fragment frag on Friend @onFragmentDefinition {\n"
        "  foo(\n"
        "    size: $size\n"
        "    bar: $b\n"
        "    obj: {key: \"value\", block: \"\"\"\n"
        "      block string uses \\\"\"\"\n"
        "    \"\"\"}\n"
        "  )\n"
        "}\n"
        "\n"
        "{\n"
        "  unnamed(truthy: true, falsy: false, nullish: null),\n"
        "  query\n"
        "}\n"
        "\n"
        "query { __typename }\n";
    CHECK_STR(printed(src),
              "query queryName($foo: ComplexType, $site: Site = MOBILE) @onQuery {whoever123is: node(id: [123, "
              "456]) {id, ... on User @onInlineFragment {field2 {id, alias: field1(first: 10, after: $foo) "
              "@include(if: $foo) {id, ...frag @onFragmentSpread}}}, ... @skip(unless: $foo) {id}, ... {id}}}\n"
              "mutation likeStory @onMutation {like(story: 123) @onField {story {id @onField}}}\n"
              "subscription StoryLikeSubscription($input: StoryLikeSubscribeInput @onVariableDefinition) "
              "@onSubscription {storyLikeSubscribe(input: $input) {story {likers {count}, likeSentence {text}}}}\n"
              "query {unnamed(truthy: true, falsy: false, nullish: null), query}\n"
              "query {__typename}\n"
              "fragment frag on Friend @onFragmentDefinition {foo(size: $size, bar: $b, obj: {key: \"value\", "
              "block: \"block string uses \\\"\\\"\\\"\"})}\n");
}

static void test_spec_examples(void)
{
    CHECK_STR(printed("{ user(id: 4) { id name smallPic: profilePic(size: 64) bigPic: profilePic(size: 1024) } }"),
              "query {user(id: 4) {id, name, smallPic: profilePic(size: 64), bigPic: profilePic(size: 1024)}}\n");
    CHECK_STR(printed("query withNestedFragments {\n  user(id: 4) {\n    friends(first: 10) { ...friendFields }\n"
                      "    mutualFriends(first: 10) { ...friendFields }\n  }\n}\n"
                      "fragment friendFields on User { id name ...standardProfilePic }\n"
                      "fragment standardProfilePic on User { profilePic(size: 50) }"),
              "query withNestedFragments {user(id: 4) {friends(first: 10) {...friendFields}, mutualFriends(first: "
              "10) {...friendFields}}}\n"
              "fragment friendFields on User {id, name, ...standardProfilePic}\n"
              "fragment standardProfilePic on User {profilePic(size: 50)}\n");
    CHECK_STR(printed("query inlineFragmentNoType($expandedInfo: Boolean) {\n  user(handle: \"zuck\") {\n"
                      "    id\n    name\n    ... @include(if: $expandedInfo) {\n      firstName\n"
                      "      birthday\n    }\n  }\n}"),
              "query inlineFragmentNoType($expandedInfo: Boolean) {user(handle: \"zuck\") {id, name, ... "
              "@include(if: $expandedInfo) {firstName, birthday}}}\n");
    CHECK_STR(printed("mutation { likeStory(storyID: 12345) { story { likeCount } } }"),
              "mutation {likeStory(storyID: 12345) {story {likeCount}}}\n");
    CHECK_STR(printed("subscription NewMessages { newMessage(roomId: 123) { sender text } }"),
              "subscription NewMessages {newMessage(roomId: 123) {sender, text}}\n");
}

static void test_variable_definitions(void)
{
    CHECK_STR(printed("query Q($a: Int!, $b: [String!]! = [\"x\"], $c: [[ID]] @dir(x: 1), $d: In = {a: {b: [1, "
                      "2.5]}, c: ENUM}, $e: Boolean = false) { f(a: $a) }"),
              "query Q($a: Int!, $b: [String!]! = [\"x\"], $c: [[ID]] @dir(x: 1), $d: In = {a: {b: [1, 2.5]}, c: "
              "ENUM}, $e: Boolean = false) {f(a: $a)}\n");
}

static void test_keywords_are_names(void)
{
    /* Only the position of a name makes it a keyword. */
    CHECK_STR(printed("query query { fragment: on(query: mutation, on: true) { subscription type } }"),
              "query query {fragment: on(query: mutation, on: true) {subscription, type}}\n");
    CHECK_STR(printed("fragment query on mutation { on }"), "fragment query on mutation {on}\n");
    CHECK_STR(printed("{ ... on on { a } ...onion }"), "query {... on on {a}, ...onion}\n");
}

static void test_ignored_tokens(void)
{
    CHECK_STR(printed("\xEF\xBB\xBF# comment\r\n{\ta,,,b # trailing\r c\xEF\xBB\xBF d\n}#end"),
              "query {a, b, c, d}\n");
    CHECK_STR(printed(",,{,a,},,"), "query {a}\n");
}

/* ---- literals ---- */

static void test_numbers(void)
{
    const char *src = "{ f(a: 0, b: -0, c: 123, d: -45, e: 0.5, f: -1.5e3, g: 1E+2, h: 2e-10, i: 0e0, j: 12.34E56) }";
    CHECK_STR(printed(src),
              "query {f(a: 0, b: -0, c: 123, d: -45, e: 0.5, f: -1.5e3, g: 1E+2, h: 2e-10, i: 0e0, j: 12.34E56)}\n");
    const gp_value_kind_t kinds[] = {GP_VALUE_INT,   GP_VALUE_INT,   GP_VALUE_INT,   GP_VALUE_INT,
                                     GP_VALUE_FLOAT, GP_VALUE_FLOAT, GP_VALUE_FLOAT, GP_VALUE_FLOAT,
                                     GP_VALUE_FLOAT, GP_VALUE_FLOAT};
    gp_errors_t errs;
    const gp_document_t *doc = parse_n(src, strlen(src), &errs);
    CHECK(doc != NULL);
    int i = 0;
    for (const gp_argument_t *arg = doc ? doc->operations->selections->arguments : NULL; arg; arg = arg->next) {
        CHECK_INT(arg->value->kind, kinds[i++]);
        CHECK_INT(arg->value->length, strlen(arg->value->string));
    }
    CHECK_INT(i, 10);
}

static void test_names_booleans_null_enums(void)
{
    const char *src = "{ f(a: true, b: false, c: null, d: RED, e: True, f: nullish) }";
    gp_errors_t errs;
    const gp_document_t *doc = parse_n(src, strlen(src), &errs);
    CHECK(doc != NULL);
    if (doc == NULL)
        return;
    const gp_argument_t *a = doc->operations->selections->arguments;
    CHECK(a->value->kind == GP_VALUE_BOOLEAN && a->value->boolean);
    a = a->next;
    CHECK(a->value->kind == GP_VALUE_BOOLEAN && !a->value->boolean);
    a = a->next;
    CHECK(a->value->kind == GP_VALUE_NULL);
    a = a->next;
    CHECK(a->value->kind == GP_VALUE_ENUM);
    CHECK_STR(a->value->string, "RED");
    a = a->next;
    CHECK(a->value->kind == GP_VALUE_ENUM);
    a = a->next;
    CHECK(a->value->kind == GP_VALUE_ENUM);
    CHECK_STR(a->value->string, "nullish");
}

static void test_lists_and_objects(void)
{
    CHECK_STR(printed("{ f(a: [], b: {}, c: [[1, [2]], {x: [{y: $v}]}], d: {a: 1 b: [true null] c: {}}) }"),
              "query {f(a: [], b: {}, c: [[1, [2]], {x: [{y: $v}]}], d: {a: 1, b: [true, null], c: {}})}\n");
}

static void test_string_escapes(void)
{
    CHECK_STRING_VALUE("{ f(s: \"\") }", "");
    CHECK_STRING_VALUE("{ f(s: \"plain text é\") }", "plain text \xC3\xA9");
    CHECK_STRING_VALUE("{ f(s: \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\") }", "\" \\ / \b \f \n \r \t");
    CHECK_STRING_VALUE("{ f(s: \"\\u00e9\\u00C9\\u20AC\") }", "\xC3\xA9\xC3\x89\xE2\x82\xAC");
    CHECK_STRING_VALUE("{ f(s: \"\\uD83D\\uDE00\") }", "\xF0\x9F\x98\x80");
    CHECK_STRING_VALUE("{ f(s: \"\\u{1F600}\") }", "\xF0\x9F\x98\x80");
    CHECK_STRING_VALUE("{ f(s: \"\\u{0041}\\u{10FFFF}\\u{00000041}\") }", "A\xF4\x8F\xBF\xBF" "A");
    CHECK_STRING_VALUE("{ f(s: \"unicode \xF0\x9F\x98\x80 raw\") }", "unicode \xF0\x9F\x98\x80 raw");
    CHECK_STRING_VALUE("{ f(s: \"tab\tinside\") }", "tab\tinside");
    /* \u0000 makes a NUL inside the value: length says where it really ends. */
    const gp_value_t *v = first_value("{ f(s: \"a\\u0000b\") }");
    CHECK(v != NULL && v->length == 3 && memcmp(v->string, "a\0b", 4) == 0);
    v = first_value("{ f(s: \"\\u{0}\") }");
    CHECK(v != NULL && v->length == 1 && v->string[0] == '\0');
}

static void test_block_strings(void)
{
    CHECK_STRING_VALUE("{ f(s: \"\"\"\"\"\") }", "");
    CHECK_STRING_VALUE("{ f(s: \"\"\"simple\"\"\") }", "simple");
    CHECK_STRING_VALUE("{ f(s: \"\"\"  white space kept on one line  \"\"\") }", "  white space kept on one line  ");
    CHECK_STRING_VALUE("{ f(s: \"\"\"contains \" and \\\"\"\" and \\n\"\"\") }", "contains \" and \"\"\" and \\n");
    /* The spec's example: common indentation and blank first/last lines go. */
    CHECK_STRING_VALUE("{ f(s: \"\"\"\n    Hello,\n      World!\n\n    Yours,\n      GraphQL.\n  \"\"\") }",
                       "Hello,\n  World!\n\nYours,\n  GraphQL.");
    /* The first line's indentation is not part of the common indentation. */
    CHECK_STRING_VALUE("{ f(s: \"\"\"  first\n    second\n      third\"\"\") }", "  first\nsecond\n  third");
    /* Blank lines (white space only) count for nothing, but middle ones stay. */
    CHECK_STRING_VALUE("{ f(s: \"\"\"\n  \n\t\n  a\n     \n  b\n \n\"\"\") }", "a\n   \nb");
    CHECK_STRING_VALUE("{ f(s: \"\"\"   \n  \n \"\"\") }", "");
    /* CR, CRLF and LF all end lines and come out as LF. */
    CHECK_STRING_VALUE("{ f(s: \"\"\"\r\n  one\r  two\r\n  three\n\"\"\") }", "one\ntwo\nthree");
    /* Tabs are white space for the indentation. */
    CHECK_STRING_VALUE("{ f(s: \"\"\"\n\t\ta\n\t\t\tb\n\"\"\") }", "a\n\tb");
    /* No escapes other than \""" in a block string. */
    CHECK_STRING_VALUE("{ f(s: \"\"\"\\u0041 \\n \\\"\"\"\"\"\") }", "\\u0041 \\n \"\"\"");
}

/* ---- AST details ---- */

static void test_offsets(void)
{
    const char *src = "query Q($v: [Int!] = 1) {\n  al: f(x: $v) @d { ...F ... on T { g } }\n}\nfragment F on T { h }";
    gp_errors_t errs;
    const gp_document_t *doc = parse_n(src, strlen(src), &errs);
    CHECK(doc != NULL);
    if (doc == NULL)
        return;
    const gp_operation_t *op = doc->operations;
    CHECK(doc->source == src);
    CHECK_INT(op->offset, 0);
    CHECK_INT(op->kind, GP_OP_QUERY);
    CHECK_STR(op->name, "Q");
    CHECK_INT(op->variables->offset, 8);
    CHECK_INT(op->variables->type->kind, GP_TYPE_LIST);
    CHECK_INT(op->variables->type->offset, 12);
    CHECK_INT(op->variables->type->of_type->kind, GP_TYPE_NON_NULL);
    CHECK_INT(op->variables->type->of_type->offset, 13);
    CHECK_INT(op->variables->default_value->offset, 21);
    const gp_selection_t *f = op->selections;
    CHECK_INT(f->offset, 28);
    CHECK_STR(f->alias, "al");
    CHECK_STR(f->name, "f");
    CHECK_INT(f->arguments->offset, 34);
    CHECK_INT(f->arguments->value->offset, 37);
    CHECK_INT(f->arguments->value->kind, GP_VALUE_VARIABLE);
    CHECK_STR(f->arguments->value->string, "v");
    CHECK_INT(f->directives->offset, 41);
    CHECK_INT(f->selections->offset, 46);
    CHECK_INT(f->selections->kind, GP_SEL_FRAGMENT_SPREAD);
    CHECK_INT(f->selections->next->offset, 51);
    CHECK_INT(f->selections->next->kind, GP_SEL_INLINE_FRAGMENT);
    CHECK_STR(f->selections->next->type_condition, "T");
    CHECK_INT(doc->fragments->offset, 70);
    CHECK(doc->fragments->next == NULL && op->next == NULL);
}

/* ---- errors ---- */

static void test_errors_expected(void)
{
    expect_syntax_error("{ users(", 1, 9, "Expected Name, found <EOF>.");
    expect_syntax_error("{", 1, 2, "Expected Name, found <EOF>.");
    expect_syntax_error("{}", 1, 2, "Expected Name, found \"}\".");
    expect_syntax_error("{ a(b 1) }", 1, 7, "Expected \":\", found Int \"1\".");
    expect_syntax_error("{ a(b: 1 }", 1, 10, "Expected Name, found \"}\".");
    expect_syntax_error("{ a(b: ) }", 1, 8, "Unexpected \")\".");
    expect_syntax_error("{ a(b: 1) ", 1, 11, "Expected Name, found <EOF>.");
    expect_syntax_error("{ a() }", 1, 5, "Expected Name, found \")\".");
    expect_syntax_error("{ a: }", 1, 6, "Expected Name, found \"}\".");
    expect_syntax_error("{ a } }", 1, 7, "Unexpected \"}\".");
    expect_syntax_error("query Q() { a }", 1, 9, "Expected \"$\", found \")\".");
    expect_syntax_error("query Q($a Int) { a }", 1, 12, "Expected \":\", found Name \"Int\".");
    expect_syntax_error("query Q($a: ) { a }", 1, 13, "Expected Name, found \")\".");
    expect_syntax_error("query Q($a: [Int) { a }", 1, 17, "Expected \"]\", found \")\".");
    expect_syntax_error("query Q { a } query", 1, 20, "Expected \"{\", found <EOF>.");
    expect_syntax_error("query Q @ { a }", 1, 11, "Expected Name, found \"{\".");
    expect_syntax_error("{ ... }", 1, 7, "Expected \"{\", found \"}\".");
    expect_syntax_error("{ ... on }", 1, 10, "Expected Name, found \"}\".");
    expect_syntax_error("{ ... on T {} }", 1, 13, "Expected Name, found \"}\".");
    expect_syntax_error("{ a(b: {c 1}) }", 1, 11, "Expected \":\", found Int \"1\".");
    expect_syntax_error("{ a(b: [1 2) }", 1, 12, "Unexpected \")\".");
    expect_syntax_error("{ a(b: \"x\" \"\"\"y\"\"\") }", 1, 12, "Expected Name, found BlockString \"y\".");
    expect_syntax_error("fragment F T { a }", 1, 12, "Expected \"on\", found Name \"T\".");
    expect_syntax_error("fragment on on T { a }", 1, 10, "Unexpected Name \"on\".");
    expect_syntax_error("fragment F on T", 1, 16, "Expected \"{\", found <EOF>.");
    expect_syntax_error("query ($a: Int = $b) { a }", 1, 18, "Unexpected variable \"$b\" in constant value.");
    expect_syntax_error("query ($a: Int = $) { a }", 1, 18, "Unexpected \"$\".");
    expect_syntax_error("query ($a: In = {a: [$b]}) { a }", 1, 22, "Unexpected variable \"$b\" in constant value.");
    expect_syntax_error("query ($a: Int @d(x: $b)) { a }", 1, 22, "Unexpected variable \"$b\" in constant value.");
    expect_syntax_error("{ a(b: $) }", 1, 9, "Expected Name, found \")\".");
    expect_syntax_error("{ a(b: |) }", 1, 8, "Unexpected \"|\".");
    expect_syntax_error("{ a(b: &) }", 1, 8, "Unexpected \"&\".");
}

static void test_errors_definitions(void)
{
    expect_syntax_error("", 1, 1, "Unexpected <EOF>.");
    expect_syntax_error("  # only a comment\n", 2, 1, "Unexpected <EOF>.");
    expect_syntax_error("type Query { a: Int }", 1, 1, "Unexpected Name \"type\".");
    expect_syntax_error("schema { query: Q }", 1, 1, "Unexpected Name \"schema\".");
    expect_syntax_error("extend type Q { a: Int }", 1, 1, "Unexpected Name \"extend\".");
    expect_syntax_error("scalar Date", 1, 1, "Unexpected Name \"scalar\".");
    expect_syntax_error("directive @d on FIELD", 1, 1, "Unexpected Name \"directive\".");
    expect_syntax_error("{ a }\n\ninput I { a: Int }", 3, 1, "Unexpected Name \"input\".");
    expect_syntax_error("\"desc\" type Q { a: Int }", 1, 1, "Unexpected String \"desc\".");
    expect_syntax_error("Query { a }", 1, 1, "Unexpected Name \"Query\".");
    expect_syntax_error("42", 1, 1, "Unexpected Int \"42\".");
    expect_syntax_error("...F", 1, 1, "Unexpected \"...\".");
}

static void test_errors_lexical(void)
{
    expect_syntax_error("\"abc", 1, 5, "Unterminated string.");
    expect_syntax_error("{ a(b: \"x\ny\") }", 1, 10, "Unterminated string.");
    expect_syntax_error("{ a(b: \"x\ry\") }", 1, 10, "Unterminated string.");
    expect_syntax_error("{ a(b: \"\"\"x\"\") }", 1, 17, "Unterminated string.");
    expect_syntax_error("{ a(b: 1x) }", 1, 9, "Invalid number, expected digit but got: \"x\".");
    expect_syntax_error("{ a(b: 0x1F) }", 1, 9, "Invalid number, expected digit but got: \"x\".");
    expect_syntax_error("{ a(b: 00) }", 1, 9, "Invalid number, unexpected digit after 0: \"0\".");
    expect_syntax_error("{ a(b: -01) }", 1, 10, "Invalid number, unexpected digit after 0: \"1\".");
    expect_syntax_error("{ a(b: 1.) }", 1, 10, "Invalid number, expected digit but got: \")\".");
    expect_syntax_error("{ a(b: .5) }", 1, 8, "Unexpected character: \".\".");
    expect_syntax_error("{ a(b: 1.2.3) }", 1, 11, "Invalid number, expected digit but got: \".\".");
    expect_syntax_error("{ a(b: 1e) }", 1, 10, "Invalid number, expected digit but got: \")\".");
    expect_syntax_error("{ a(b: 1e+) }", 1, 11, "Invalid number, expected digit but got: \")\".");
    expect_syntax_error("{ a(b: -) }", 1, 9, "Invalid number, expected digit but got: \")\".");
    expect_syntax_error("{ a(b: -a) }", 1, 9, "Invalid number, expected digit but got: \"a\".");
    expect_syntax_error("{ a(b: 1", 1, 9, "Expected Name, found <EOF>.");
    expect_syntax_error("{ a(b: 1.", 1, 10, "Invalid number, expected digit but got: <EOF>.");
    expect_syntax_error("{ a(b: 1.5e3_) }", 1, 13, "Invalid number, expected digit but got: \"_\".");
    expect_syntax_error("{ a(b: 1\"x\") }", 1, 9, "Expected Name, found String \"x\".");
    expect_syntax_error("{ a ? }", 1, 5, "Unexpected character: \"?\".");
    expect_syntax_error("{ a . b }", 1, 5, "Unexpected character: \".\".");
    expect_syntax_error("{ a .. b }", 1, 5, "Unexpected character: \".\".");
    expect_syntax_error("{ a(b: 'x') }", 1, 8,
                        "Unexpected single quote character ('), did you mean to use a double quote (\")?");
    expect_syntax_error("{ a \x01 }", 1, 5, "Unexpected character: U+0001.");
    expect_syntax_error("{ a \x7F }", 1, 5, "Unexpected character: U+007F.");
    expect_syntax_error("{ a \xE2\x80\xA8 }", 1, 5, "Unexpected character: U+2028.");
    expect_syntax_error("{ a \xC2\xA0 }", 1, 5, "Unexpected character: U+00A0.");
    expect_syntax_error("{ a \xF0\x9F\x98\x80 }", 1, 5, "Unexpected character: U+1F600.");
    expect_syntax_error("{ a \xEF\xBB }", 1, 5, "Invalid character: byte 0xEF (invalid UTF-8).");
    expect_syntax_error("{ a \xFF }", 1, 5, "Invalid character: byte 0xFF (invalid UTF-8).");
    expect_syntax_error("{ a \xC0\x80 }", 1, 5, "Invalid character: byte 0xC0 (invalid UTF-8).");
    expect_syntax_error("{ a \xED\xA0\x80 }", 1, 5, "Invalid character: byte 0xED (invalid UTF-8).");
    expect_syntax_error("{ a # bad \xFF byte in a comment\n }", 1, 11, "Invalid character: byte 0xFF (invalid UTF-8).");
    expect_syntax_error("{ a(b: \"\xC3\") }", 1, 9, "Invalid character within String: byte 0xC3 (invalid UTF-8).");
    expect_syntax_error("{ a(b: \"\"\"\n\xF5\"\"\") }", 2, 1,
                        "Invalid character within String: byte 0xF5 (invalid UTF-8).");
    /* A NUL byte before the end is a character like any other, not the end. */
    expect_error_n("{ a \0 }", 7, 1, 5, "Unexpected character: U+0000.", __LINE__);
}

static void test_errors_escapes(void)
{
    expect_syntax_error("{ a(b: \"\\x\") }", 1, 9, "Invalid character escape sequence: \"\\x\".");
    expect_syntax_error("{ a(b: \"\\\xC3\xA9\") }", 1, 9, "Invalid character escape sequence: \"\\\xC3\xA9\".");
    expect_syntax_error("{ a(b: \"\\", 1, 9, "Invalid character escape sequence: \"\\\".");
    expect_syntax_error("{ a(b: \"\\u12\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u12\")\".");
    expect_syntax_error("{ a(b: \"\\uXYZW\") }", 1, 9, "Invalid Unicode escape sequence: \"\\uXYZW\".");
    expect_syntax_error("{ a(b: \"\\uD83D\") }", 1, 9, "Invalid Unicode escape sequence: \"\\uD83D\".");
    expect_syntax_error("{ a(b: \"\\uDE00\\uD83D\") }", 1, 9, "Invalid Unicode escape sequence: \"\\uDE00\".");
    expect_syntax_error("{ a(b: \"\\uD83D\\u0041\") }", 1, 9, "Invalid Unicode escape sequence: \"\\uD83D\".");
    expect_syntax_error("{ a(b: \"\\u{110000}\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u{110000}\".");
    expect_syntax_error("{ a(b: \"\\u{D800}\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u{D800}\".");
    expect_syntax_error("{ a(b: \"\\u{}\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u{}\".");
    expect_syntax_error("{ a(b: \"\\u{12G4}\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u{12G\".");
    expect_syntax_error("{ a(b: \"\\u{000000041}\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u{000000041\".");
    /* Like graphql-js, reading stops at the digit that would not fit in 31 bits. */
    expect_syntax_error("{ a(b: \"\\u{FFFFFFFF}\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u{FFFFFFFF\".");
    expect_syntax_error("{ a(b: \"\\u{1F600\") }", 1, 9, "Invalid Unicode escape sequence: \"\\u{1F600\"\".");
}

/* Line and column count characters (not bytes) and every kind of line end. */
static void test_error_locations(void)
{
    expect_syntax_error("{\n  users(\n}", 3, 1, "Expected Name, found \"}\".");
    expect_syntax_error("{\r\n  a\r\n  b(\r\n}", 4, 1, "Expected Name, found \"}\".");
    expect_syntax_error("{\r  a\r  ?\r}", 3, 3, "Unexpected character: \"?\".");
    expect_syntax_error("{ \xC3\xA9l\xC3\xA8ve ?", 1, 3, "Unexpected character: U+00E9.");
    expect_syntax_error("{ a(b: \"\xC3\xA9\xC3\xA8\") ?", 1, 14, "Unexpected character: \"?\".");
    expect_syntax_error("\xEF\xBB\xBF{ a ?", 1, 6, "Unexpected character: \"?\".");

    gp_errors_t errs;
    const char *src = "query {\n  a(x: 1.)\n}";
    CHECK(parse_n(src, strlen(src), &errs) == NULL);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, arena, 4096);
    gp_errors_render(&errs, &sb);
    CHECK_STR(sb.data, "[{\"message\":\"Syntax Error: Invalid number, expected digit but got: \\\")\\\".\","
                       "\"locations\":[{\"line\":2,\"column\":10}],"
                       "\"extensions\":{\"code\":\"GRAPHQL_PARSE_FAILED\"}}]");
}

/* ---- limits ---- */

static char *repeat(const char *head, const char *unit, int n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = gp_arena_alloc(arena, hl + ul * (size_t)n + tl + 1), *w = s;
    memcpy(w, head, hl);
    w += hl;
    for (int i = 0; i < n; i++, w += ul)
        memcpy(w, unit, ul);
    memcpy(w, tail, tl + 1);
    return s;
}

static void test_depth_limit(void)
{
    char msg[100];
    snprintf(msg, sizeof msg, "Document is nested too deeply (more than %d levels).", GP_PARSE_MAX_DEPTH);
    /* GP_PARSE_MAX_DEPTH selection sets are fine, one more is not. */
    char *ok = repeat("", "{a", GP_PARSE_MAX_DEPTH, "");
    ok = repeat(ok, "}", GP_PARSE_MAX_DEPTH, "");
    CHECK(printed(ok) != NULL);
    char *deep = repeat("", "{a", GP_PARSE_MAX_DEPTH + 1, "");
    deep = repeat(deep, "}", GP_PARSE_MAX_DEPTH + 1, "");
    expect_syntax_error(deep, 1, 2 * GP_PARSE_MAX_DEPTH + 1, msg);
    /* Ten thousand levels fail just as cleanly, without deep recursion. */
    expect_syntax_error(repeat("", "{a", 10000, ""), 1, 2 * GP_PARSE_MAX_DEPTH + 1, msg);
    expect_syntax_error(repeat("{ a(b: ", "[", 10000, ""), 1, 8 + GP_PARSE_MAX_DEPTH - 1, msg);
    expect_syntax_error(repeat("{ a(b: ", "{c: ", 10000, ""), 1, 8 + 4 * (GP_PARSE_MAX_DEPTH - 1), msg);
    expect_syntax_error(repeat("query ($a: ", "[", 10000, ""), 1, 12 + GP_PARSE_MAX_DEPTH, msg);
    expect_syntax_error(repeat("{", "... on T {", 10000, ""), 1, 11 + 10 * (GP_PARSE_MAX_DEPTH - 1), msg);
    /* Selection sets, lists and objects share the one budget. */
    char *mixed = repeat("", "{a", GP_PARSE_MAX_DEPTH - 1, "(b: [{c: 1}])");
    expect_syntax_error(mixed, 1, 2 * (GP_PARSE_MAX_DEPTH - 1) + 6, msg);
}

static void test_token_limit(void)
{
    char msg[100];
    snprintf(msg, sizeof msg, "Document contains more than %d tokens. Parsing aborted.", GP_PARSE_MAX_TOKENS);
    /* "{", N-2 names and "}" make exactly N tokens. */
    CHECK(printed(repeat("{", " a", GP_PARSE_MAX_TOKENS - 2, "}")) != NULL);
    const char *src = repeat("{", " a", GP_PARSE_MAX_TOKENS - 1, "}");
    expect_syntax_error(src, 1, (int)strlen(src), msg);
}

static void test_length_limit(void)
{
    char msg[100];
    snprintf(msg, sizeof msg, "Document is longer than %d bytes.", GP_PARSE_MAX_LENGTH);
    size_t n = GP_PARSE_MAX_LENGTH + 1;
    char *src = gp_arena_alloc(arena, n + 1);
    memset(src, ' ', n);
    memcpy(src, "{a}", 3);
    src[n] = '\0';
    expect_error_n(src, n, 1, GP_PARSE_MAX_LENGTH + 1, msg, __LINE__);
    src[n - 1] = '\0';
    CHECK(printed(src) != NULL); /* exactly the limit is fine */
}

/* -1: the scan cannot tell; else the gp_operation_kind_t it read. */
static int kind_of(const char *src, const char *name)
{
    gp_operation_kind_t k;
    return gp_parse_operation_kind(src, strlen(src), name, &k) ? (int)k : -1;
}

static void test_operation_kind(void)
{
    CHECK_INT(kind_of("{ a }", NULL), GP_OP_QUERY);
    CHECK_INT(kind_of("query { a }", NULL), GP_OP_QUERY);
    CHECK_INT(kind_of("mutation M { a }", NULL), GP_OP_MUTATION);
    CHECK_INT(kind_of("subscription S($v: Int = 1) @d(x: {y: [1, {z: 2}]}) { a(b: {c: \"}\"}) { d } }", NULL),
              GP_OP_SUBSCRIPTION);
    CHECK_INT(kind_of("# subscription\n\"\"\" subscription { \"\"\" query Q { a }", NULL), -1); /* a description */
    CHECK_INT(kind_of("# subscription {\n  query Q { a }", NULL), GP_OP_QUERY);
    /* Fragments are read past, whatever their names, before and after. */
    CHECK_INT(kind_of("fragment subscription on T { a { b } } subscription { ...subscription }", NULL),
              GP_OP_SUBSCRIPTION);
    CHECK_INT(kind_of("mutation { ...F } fragment F on T { a(x: [1]) }", NULL), GP_OP_MUTATION);
    /* Several operations: the name picks one. */
    const char *doc = "query A { a } subscription B { b } mutation C { c }";
    CHECK_INT(kind_of(doc, "A"), GP_OP_QUERY);
    CHECK_INT(kind_of(doc, "B"), GP_OP_SUBSCRIPTION);
    CHECK_INT(kind_of(doc, "C"), GP_OP_MUTATION);
    CHECK_INT(kind_of(doc, NULL), -1);
    CHECK_INT(kind_of(doc, "D"), -1);
    CHECK_INT(kind_of(doc, "Bb"), -1);
    CHECK_INT(kind_of("query A { a } subscription A { b }", "A"), -1); /* the validator's to report */
    CHECK_INT(kind_of("{ a } { b }", NULL), -1);
    CHECK_INT(kind_of("subscription { a }", "S"), -1); /* an anonymous one has no name to match */
    /* What the parser must report is not guessed at. */
    CHECK_INT(kind_of("", NULL), -1);
    CHECK_INT(kind_of("subscription { a", NULL), -1);
    CHECK_INT(kind_of("subscription { a }}", NULL), -1);
    CHECK_INT(kind_of("subscription { a(x: \"unterminated) }", NULL), -1);
    CHECK_INT(kind_of("type T { a: Int }", NULL), -1); /* skipped as no operation: none left */
    CHECK_INT(kind_of("42", NULL), -1);
    CHECK_INT(kind_of(repeat("subscription ", "{a", 10000, ""), NULL), -1);
    CHECK_INT(kind_of(repeat("subscription {", " a", GP_PARSE_MAX_TOKENS, "}"), NULL), -1);
}

static void test_setup(void)
{
    arena = gp_arena_new(1 << 16);
}

static void test_teardown(void)
{
    gp_arena_free(arena);
}

TEST_MAIN(test_setup, test_kitchen_sink, test_spec_examples, test_variable_definitions, test_keywords_are_names,
          test_ignored_tokens, test_numbers, test_names_booleans_null_enums, test_lists_and_objects,
          test_string_escapes, test_block_strings, test_offsets, test_errors_expected, test_errors_definitions,
          test_errors_lexical, test_errors_escapes, test_error_locations, test_depth_limit, test_token_limit,
          test_length_limit, test_operation_kind, test_teardown)
