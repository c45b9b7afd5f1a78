/* graphql/parse.c — recursive-descent parser for GraphQL executable documents
 * (spec, October 2021 edition, §2), shaped after graphql-js's parser so that its
 * error messages and their locations match. Type-system definitions are rejected.
 *
 * Errors are sticky, like strbuf's: the first one is recorded by the lexer and from
 * then on every expectation fails quietly, so the functions below build partial
 * nodes and return instead of checking after each call; loops test failed(). The
 * recursion (selection sets, list and object values, list types) is bounded by
 * GP_PARSE_MAX_DEPTH, so no document can exhaust the stack. */
#include "graphql/parse.h"

#include <string.h>

#include "graphql/lex.h"

typedef struct parser {
    gp_arena_t *a;
    gp_lexer_t lx;
    gp_token_t tok; /* the current token */
    long tokens;    /* read so far, for GP_PARSE_MAX_TOKENS */
    int depth;      /* nesting, for GP_PARSE_MAX_DEPTH */
} parser_t;

static gp_value_t *parse_value(parser_t *p, bool is_const);
static gp_selection_t *parse_selection_set(parser_t *p);

#define new_node(p, type) gp_arena_new_obj((p)->a, type)

static bool failed(const parser_t *p)
{
    return p->lx.failed;
}

static void advance(parser_t *p)
{
    p->tok = gp_lex_next(&p->lx);
    if (p->tok.kind != GP_TOK_EOF && p->tok.kind != GP_TOK_ERROR && ++p->tokens > GP_PARSE_MAX_TOKENS)
        gp_lex_fail(&p->lx, (long)p->tok.start, "Document contains more than %d tokens. Parsing aborted.",
                    GP_PARSE_MAX_TOKENS);
}

static bool peek(const parser_t *p, gp_tok_kind_t kind)
{
    return !failed(p) && p->tok.kind == kind;
}

static bool peek_keyword(const parser_t *p, const char *word)
{
    size_t n = strlen(word);
    return peek(p, GP_TOK_NAME) && p->tok.len == n && memcmp(p->lx.src + p->tok.start, word, n) == 0;
}

/* A token as graphql-js's getTokenDesc() shows it: the kind, then the value if any. */
static const char *token_desc(parser_t *p, const gp_token_t *t)
{
    const char *kind = gp_lex_kind_name(t->kind);
    size_t n;
    switch (t->kind) {
    case GP_TOK_NAME:
    case GP_TOK_INT:
    case GP_TOK_FLOAT:
        return gp_arena_printf(p->a, "%s \"%.*s\"", kind, (int)t->len, p->lx.src + t->start);
    case GP_TOK_STRING:
    case GP_TOK_BLOCK_STRING:
        return gp_arena_printf(p->a, "%s \"%s\"", kind, gp_lex_string(&p->lx, p->a, t, &n));
    default:
        return kind;
    }
}

static void unexpected(parser_t *p, const gp_token_t *t)
{
    if (!failed(p))
        gp_lex_fail(&p->lx, (long)t->start, "Unexpected %s.", token_desc(p, t));
}

static bool accept(parser_t *p, gp_tok_kind_t kind)
{
    if (!peek(p, kind))
        return false;
    advance(p);
    return true;
}

static bool expect(parser_t *p, gp_tok_kind_t kind)
{
    if (accept(p, kind))
        return true;
    if (!failed(p))
        gp_lex_fail(&p->lx, (long)p->tok.start, "Expected %s, found %s.", gp_lex_kind_name(kind),
                    token_desc(p, &p->tok));
    return false;
}

static bool accept_keyword(parser_t *p, const char *word)
{
    if (!peek_keyword(p, word))
        return false;
    advance(p);
    return true;
}

static void expect_keyword(parser_t *p, const char *word)
{
    if (!accept_keyword(p, word) && !failed(p))
        gp_lex_fail(&p->lx, (long)p->tok.start, "Expected \"%s\", found %s.", word, token_desc(p, &p->tok));
}

/* Loop condition of a delimited list: true while there is no error and the
 * closing token has not been reached (which it then consumes). */
static bool more(parser_t *p, gp_tok_kind_t close)
{
    return !failed(p) && !accept(p, close);
}

/* Enters one level of nesting opened by the token at `offset`. */
static bool enter(parser_t *p, size_t offset)
{
    if (++p->depth <= GP_PARSE_MAX_DEPTH)
        return true;
    gp_lex_fail(&p->lx, (long)offset, "Document is nested too deeply (more than %d levels).", GP_PARSE_MAX_DEPTH);
    return false;
}

static void leave(parser_t *p)
{
    p->depth--;
}

static const char *parse_name(parser_t *p)
{
    gp_token_t t = p->tok;
    if (!expect(p, GP_TOK_NAME))
        return NULL;
    return gp_arena_strndup(p->a, p->lx.src + t.start, t.len);
}

/* ---- values ---- */

static void parse_list(parser_t *p, gp_value_t *v, bool is_const)
{
    v->kind = GP_VALUE_LIST;
    advance(p);
    if (!enter(p, (size_t)v->offset))
        return;
    gp_value_t **tail = &v->items;
    while (more(p, GP_TOK_BRACKET_R)) {
        *tail = parse_value(p, is_const);
        tail = &(*tail)->next;
    }
    leave(p);
}

static void parse_object(parser_t *p, gp_value_t *v, bool is_const)
{
    v->kind = GP_VALUE_OBJECT;
    advance(p);
    if (!enter(p, (size_t)v->offset))
        return;
    gp_object_field_t **tail = &v->fields;
    while (more(p, GP_TOK_BRACE_R)) {
        gp_object_field_t *f = new_node(p, gp_object_field_t);
        f->offset = (long)p->tok.start;
        f->name = parse_name(p);
        expect(p, GP_TOK_COLON);
        f->value = parse_value(p, is_const);
        *tail = f;
        tail = &f->next;
    }
    leave(p);
}

/* true, false and null are names with a meaning; every other name is an enum value. */
static void parse_name_value(parser_t *p, gp_value_t *v)
{
    v->string = parse_name(p);
    v->length = strlen(v->string);
    if (strcmp(v->string, "true") == 0 || strcmp(v->string, "false") == 0) {
        v->kind = GP_VALUE_BOOLEAN;
        v->boolean = v->string[0] == 't';
    } else {
        v->kind = strcmp(v->string, "null") == 0 ? GP_VALUE_NULL : GP_VALUE_ENUM;
    }
}

static void parse_variable_value(parser_t *p, gp_value_t *v, bool is_const)
{
    gp_token_t dollar = p->tok;
    v->kind = GP_VALUE_VARIABLE;
    advance(p);
    if (is_const && peek(p, GP_TOK_NAME))
        gp_lex_fail(&p->lx, (long)dollar.start, "Unexpected variable \"$%.*s\" in constant value.",
                    (int)p->tok.len, p->lx.src + p->tok.start);
    else if (is_const)
        unexpected(p, &dollar);
    v->string = parse_name(p);
    v->length = v->string != NULL ? strlen(v->string) : 0;
}

/* Int and Float keep their literal text: the layers above decide how to read it. */
static void parse_number(parser_t *p, gp_value_t *v, gp_value_kind_t kind)
{
    v->kind = kind;
    v->string = gp_arena_strndup(p->a, p->lx.src + p->tok.start, p->tok.len);
    v->length = p->tok.len;
    advance(p);
}

static void parse_string(parser_t *p, gp_value_t *v)
{
    v->kind = GP_VALUE_STRING;
    v->string = gp_lex_string(&p->lx, p->a, &p->tok, &v->length);
    advance(p);
}

/* A value; with is_const, variables are errors (defaults, directives of variables). */
static gp_value_t *parse_value(parser_t *p, bool is_const)
{
    gp_value_t *v = new_node(p, gp_value_t);
    v->offset = (long)p->tok.start;
    switch (failed(p) ? GP_TOK_ERROR : p->tok.kind) {
    case GP_TOK_BRACKET_L:
        parse_list(p, v, is_const);
        break;
    case GP_TOK_BRACE_L:
        parse_object(p, v, is_const);
        break;
    case GP_TOK_INT:
        parse_number(p, v, GP_VALUE_INT);
        break;
    case GP_TOK_FLOAT:
        parse_number(p, v, GP_VALUE_FLOAT);
        break;
    case GP_TOK_STRING:
    case GP_TOK_BLOCK_STRING:
        parse_string(p, v);
        break;
    case GP_TOK_NAME:
        parse_name_value(p, v);
        break;
    case GP_TOK_DOLLAR:
        parse_variable_value(p, v, is_const);
        break;
    default:
        unexpected(p, &p->tok);
        break;
    }
    return v;
}

/* ---- arguments, directives, types ---- */

static gp_argument_t *parse_arguments(parser_t *p, bool is_const)
{
    gp_argument_t *head = NULL, **tail = &head;
    if (!accept(p, GP_TOK_PAREN_L))
        return NULL;
    do {
        gp_argument_t *arg = new_node(p, gp_argument_t);
        arg->offset = (long)p->tok.start;
        arg->name = parse_name(p);
        expect(p, GP_TOK_COLON);
        arg->value = parse_value(p, is_const);
        *tail = arg;
        tail = &arg->next;
    } while (more(p, GP_TOK_PAREN_R));
    return head;
}

static gp_directive_t *parse_directives(parser_t *p, bool is_const)
{
    gp_directive_t *head = NULL, **tail = &head;
    while (peek(p, GP_TOK_AT)) {
        gp_directive_t *d = new_node(p, gp_directive_t);
        d->offset = (long)p->tok.start;
        advance(p);
        d->name = parse_name(p);
        d->arguments = parse_arguments(p, is_const);
        *tail = d;
        tail = &d->next;
    }
    return head;
}

/* Type: NamedType | [Type] | Type! */
static gp_type_ref_t *parse_type(parser_t *p)
{
    gp_type_ref_t *t = new_node(p, gp_type_ref_t);
    t->offset = (long)p->tok.start;
    if (accept(p, GP_TOK_BRACKET_L)) {
        t->kind = GP_TYPE_LIST;
        if (!enter(p, (size_t)t->offset))
            return t;
        t->of_type = parse_type(p);
        expect(p, GP_TOK_BRACKET_R);
        leave(p);
    } else {
        t->kind = GP_TYPE_NAMED;
        t->name = parse_name(p);
    }
    if (!accept(p, GP_TOK_BANG))
        return t;
    gp_type_ref_t *non_null = new_node(p, gp_type_ref_t);
    non_null->kind = GP_TYPE_NON_NULL;
    non_null->of_type = t;
    non_null->offset = t->offset;
    return non_null;
}

/* ---- selections ---- */

static gp_selection_t *parse_field(parser_t *p)
{
    gp_selection_t *s = new_node(p, gp_selection_t);
    s->kind = GP_SEL_FIELD;
    s->offset = (long)p->tok.start;
    s->name = parse_name(p);
    if (accept(p, GP_TOK_COLON)) {
        s->alias = s->name;
        s->name = parse_name(p);
    }
    s->arguments = parse_arguments(p, /* is_const= */ false);
    s->directives = parse_directives(p, /* is_const= */ false);
    if (peek(p, GP_TOK_BRACE_L))
        s->selections = parse_selection_set(p);
    return s;
}

/* After "...": a fragment spread (a name other than "on") or an inline fragment
 * with an optional type condition. */
static gp_selection_t *parse_fragment_selection(parser_t *p)
{
    gp_selection_t *s = new_node(p, gp_selection_t);
    s->offset = (long)p->tok.start;
    advance(p);
    bool has_type_condition = accept_keyword(p, "on");
    if (!has_type_condition && peek(p, GP_TOK_NAME)) {
        s->kind = GP_SEL_FRAGMENT_SPREAD;
        s->name = parse_name(p);
        s->directives = parse_directives(p, /* is_const= */ false);
        return s;
    }
    s->kind = GP_SEL_INLINE_FRAGMENT;
    if (has_type_condition)
        s->type_condition = parse_name(p);
    s->directives = parse_directives(p, /* is_const= */ false);
    s->selections = parse_selection_set(p);
    return s;
}

static gp_selection_t *parse_selection_set(parser_t *p)
{
    gp_selection_t *head = NULL, **tail = &head;
    size_t open = p->tok.start;
    if (!expect(p, GP_TOK_BRACE_L) || !enter(p, open))
        return NULL;
    do {
        *tail = peek(p, GP_TOK_SPREAD) ? parse_fragment_selection(p) : parse_field(p);
        tail = &(*tail)->next;
    } while (more(p, GP_TOK_BRACE_R));
    leave(p);
    return head;
}

/* ---- definitions ---- */

static gp_variable_def_t *parse_variable_def(parser_t *p)
{
    gp_variable_def_t *v = new_node(p, gp_variable_def_t);
    v->offset = (long)p->tok.start;
    expect(p, GP_TOK_DOLLAR);
    v->name = parse_name(p);
    expect(p, GP_TOK_COLON);
    v->type = parse_type(p);
    if (accept(p, GP_TOK_EQUALS))
        v->default_value = parse_value(p, /* is_const= */ true);
    v->directives = parse_directives(p, /* is_const= */ true);
    return v;
}

static gp_variable_def_t *parse_variable_defs(parser_t *p)
{
    gp_variable_def_t *head = NULL, **tail = &head;
    if (!accept(p, GP_TOK_PAREN_L))
        return NULL;
    do {
        *tail = parse_variable_def(p);
        tail = &(*tail)->next;
    } while (more(p, GP_TOK_PAREN_R));
    return head;
}

static gp_operation_kind_t operation_kind(const parser_t *p)
{
    if (peek_keyword(p, "mutation"))
        return GP_OP_MUTATION;
    if (peek_keyword(p, "subscription"))
        return GP_OP_SUBSCRIPTION;
    return GP_OP_QUERY;
}

/* Either the shorthand `{ … }` or query|mutation|subscription Name? (vars)? @dirs? { … } */
static gp_operation_t *parse_operation(parser_t *p)
{
    gp_operation_t *op = new_node(p, gp_operation_t);
    op->offset = (long)p->tok.start;
    op->kind = GP_OP_QUERY;
    if (!peek(p, GP_TOK_BRACE_L)) {
        op->kind = operation_kind(p);
        advance(p);
        if (peek(p, GP_TOK_NAME))
            op->name = parse_name(p);
        op->variables = parse_variable_defs(p);
        op->directives = parse_directives(p, /* is_const= */ false);
    }
    op->selections = parse_selection_set(p);
    return op;
}

/* fragment Name on Type @dirs? { … }, where Name may not be "on". */
static gp_fragment_t *parse_fragment(parser_t *p)
{
    gp_fragment_t *f = new_node(p, gp_fragment_t);
    f->offset = (long)p->tok.start;
    advance(p);
    if (peek_keyword(p, "on"))
        unexpected(p, &p->tok);
    f->name = parse_name(p);
    expect_keyword(p, "on");
    f->type_condition = parse_name(p);
    f->directives = parse_directives(p, /* is_const= */ false);
    f->selections = parse_selection_set(p);
    return f;
}

static bool peek_operation(const parser_t *p)
{
    return peek(p, GP_TOK_BRACE_L) || peek_keyword(p, "query") || peek_keyword(p, "mutation") ||
           peek_keyword(p, "subscription");
}

/* One or more definitions up to the end. Anything but an operation or a fragment
 * (type, schema, extend, a description…) is "Unexpected …" at its first token. */
static gp_document_t *parse_document(parser_t *p)
{
    gp_document_t *doc = new_node(p, gp_document_t);
    gp_operation_t **ops = &doc->operations;
    gp_fragment_t **frags = &doc->fragments;
    doc->source = p->lx.src;
    do {
        if (peek_operation(p)) {
            *ops = parse_operation(p);
            ops = &(*ops)->next;
        } else if (peek_keyword(p, "fragment")) {
            *frags = parse_fragment(p);
            frags = &(*frags)->next;
        } else {
            unexpected(p, &p->tok);
        }
    } while (!failed(p) && !peek(p, GP_TOK_EOF));
    return failed(p) ? NULL : doc;
}

gp_document_t *gp_parse(gp_arena_t *a, const char *src, size_t len, gp_errors_t *errs)
{
    parser_t p = {.a = a};
    gp_lex_init(&p.lx, src, len, errs);
    if (len > GP_PARSE_MAX_LENGTH) {
        gp_lex_fail(&p.lx, GP_PARSE_MAX_LENGTH, "Document is longer than %d bytes.", GP_PARSE_MAX_LENGTH);
        return NULL;
    }
    advance(&p);
    return parse_document(&p);
}

static bool token_is(const gp_lexer_t *lx, const gp_token_t *t, const char *word, size_t n)
{
    return t->kind == GP_TOK_NAME && t->len == n && memcmp(lx->src + t->start, word, n) == 0;
}

/* Reads past one definition whose header starts at `t`: to the `}` that closes its
 * selection set, with (), [] and {} of arguments and default values counted on the
 * way. Returns the token after it, or GP_TOK_ERROR. */
static gp_token_t skip_definition(gp_lexer_t *lx, gp_token_t t, long *tokens)
{
    for (int depth = 0;; t = gp_lex_next(lx)) {
        if (t.kind == GP_TOK_EOF || t.kind == GP_TOK_ERROR || ++*tokens > GP_PARSE_MAX_TOKENS)
            return (gp_token_t){GP_TOK_ERROR, t.start, 0};
        if (t.kind == GP_TOK_PAREN_L || t.kind == GP_TOK_BRACKET_L || t.kind == GP_TOK_BRACE_L) {
            depth++;
        } else if (t.kind == GP_TOK_PAREN_R || t.kind == GP_TOK_BRACKET_R || t.kind == GP_TOK_BRACE_R) {
            if (--depth < 0)
                return (gp_token_t){GP_TOK_ERROR, t.start, 0};
            if (depth == 0 && t.kind == GP_TOK_BRACE_R)
                return gp_lex_next(lx);
        }
    }
}

bool gp_parse_operation_kind(const char *src, size_t len, const char *name, gp_operation_kind_t *kind)
{
    static const struct { const char *word; size_t len; gp_operation_kind_t kind; } words[] = {
        {"query", 5, GP_OP_QUERY}, {"mutation", 8, GP_OP_MUTATION}, {"subscription", 12, GP_OP_SUBSCRIPTION}};
    if (len > GP_PARSE_MAX_LENGTH)
        return false;
    gp_lexer_t lx;
    gp_lex_init(&lx, src, len, NULL);
    long tokens = 0;
    int operations = 0, matches = 0;
    gp_token_t t = gp_lex_next(&lx);
    while (t.kind != GP_TOK_EOF) {
        bool is_op = t.kind == GP_TOK_BRACE_L; /* the shorthand: an anonymous query */
        gp_operation_kind_t k = GP_OP_QUERY;
        gp_token_t op_name = {GP_TOK_EOF, 0, 0};
        if (t.kind == GP_TOK_NAME) {
            for (size_t i = 0; i < sizeof words / sizeof *words; i++)
                if (token_is(&lx, &t, words[i].word, words[i].len)) {
                    is_op = true;
                    k = words[i].kind;
                }
            t = gp_lex_next(&lx);
            if (is_op && t.kind == GP_TOK_NAME)
                op_name = t;
        } else if (!is_op) {
            return false;
        }
        t = skip_definition(&lx, t, &tokens);
        if (t.kind == GP_TOK_ERROR)
            return false;
        if (!is_op)
            continue; /* a fragment */
        operations++;
        if (name == NULL || (op_name.kind == GP_TOK_NAME && token_is(&lx, &op_name, name, strlen(name)))) {
            matches++;
            *kind = k;
        }
    }
    return matches == 1 && (name != NULL || operations == 1);
}
