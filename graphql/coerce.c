/* graphql/coerce.c — input values against input types, as the spec's input
 * coercion describes it: literals of the document (ValuesOfCorrectType) and the
 * JSON variables of a request (CoerceVariableValues). Messages are worded as
 * graphql-js 16 words them, including its "Did you mean …?" suggestions.
 *
 * Custom scalars follow Hasura's leniency, since PostgreSQL checks the value
 * itself when it reads the bind parameter:
 *   - bigint, numeric: an Int, Float or String literal (JSON number or string);
 *   - json, jsonb: anything, objects and lists included;
 *   - every other custom scalar (uuid, timestamptz, date, enum types such as
 *     post_status, …): String, Int, Float, Boolean and enum literals (a JSON
 *     string, number or boolean); never an object or a list.
 * A default literal is turned into JSON with the same rules: numbers that a JSON
 * integer cannot hold exactly (big bigints, any numeric with a fraction) stay text. */
#include "graphql/coerce.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/json.h"
#include "base/strbuf.h"
#include "graphql/parse.h"
#include "schema/pgtype.h"

#define PRINT_MAX (64 * 1024)  /* a value printed into a message */
/* PostgreSQL's text types cannot hold U+0000, and libpq's parameters are
 * NUL-terminated: such a string would be cut short, silently matching another. */
#define NUL_MESSAGE "A string cannot contain U+0000 (NUL)."

/* graphql-js words these alike for a literal and for a variable's value. */
#define INT_NOT_INTEGER "Int cannot represent non-integer value: %s"
#define INT_NOT_32_BIT "Int cannot represent non 32-bit signed integer value: %s"
#define FLOAT_NOT_NUMERIC "Float cannot represent non numeric value: %s"
#define STRING_NOT_STRING "String cannot represent a non string value: %s"
#define BOOLEAN_NOT_BOOLEAN "Boolean cannot represent a non boolean value: %s"
#define NO_SUCH_ENUM_VALUE "Value \"%s\" does not exist in \"%s\" enum.%s"
#define NO_SUCH_FIELD "Field \"%s\" is not defined by type \"%s\".%s"

#define MAX_SUGGESTIONS 5
#define INSPECT_MAX_ITEMS 10
#define INSPECT_MAX_DEPTH 2

/* ---- how a scalar accepts values ---- */

typedef enum { SC_INT, SC_FLOAT, SC_STRING, SC_BOOLEAN, SC_ID, SC_NUMERIC, SC_JSON, SC_OTHER } scalar_class_t;

static scalar_class_t scalar_class(const gp_type_t *t)
{
    static const struct {
        const char *name;
        scalar_class_t cls;
    } names[] = {
        {"Int", SC_INT},         {"Float", SC_FLOAT},       {"String", SC_STRING}, {"Boolean", SC_BOOLEAN},
        {"ID", SC_ID},           {"bigint", SC_NUMERIC},    {"numeric", SC_NUMERIC},
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(t->name, names[i].name) == 0)
            return names[i].cls;
    return gp_pgtype_is_json(t->name) ? SC_JSON : SC_OTHER;
}

static bool int_text_in_range(const char *text, long long lo, long long hi, long long *out)
{
    errno = 0;
    char *end;
    long long n = strtoll(text, &end, 10);
    if (errno == ERANGE || *end != '\0' || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

/* ---- printing values into messages ---- */

static const char *named_escape(unsigned cp)
{
    switch (cp) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\b': return "\\b";
    case '\t': return "\\t";
    case '\n': return "\\n";
    case '\f': return "\\f";
    case '\r': return "\\r";
    default: return NULL;
    }
}

/* graphql-js printString: JSON-like, with C1 controls escaped too. */
static void print_string(gp_strbuf_t *sb, const char *s, size_t n)
{
    gp_strbuf_putc(sb, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        unsigned cp = ch;
        size_t len = 1;
        if (ch == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F) {
            cp = (unsigned char)s[i + 1];
            len = 2;
        }
        const char *named = named_escape(cp);
        if (named != NULL)
            gp_strbuf_puts(sb, named);
        else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            gp_strbuf_printf(sb, "\\u%04X", cp);
        else
            gp_strbuf_append(sb, s + i, len);
        i += len - 1;
    }
    gp_strbuf_putc(sb, '"');
}

/* graphql-js print() of a value node. Block strings print as ordinary strings:
 * the AST does not remember which they were. */
static void print_value(gp_strbuf_t *sb, const gp_value_t *v)
{
    switch (v->kind) {
    case GP_VALUE_VARIABLE:
        gp_strbuf_printf(sb, "$%s", v->string);
        break;
    case GP_VALUE_INT:
    case GP_VALUE_FLOAT:
    case GP_VALUE_ENUM:
        gp_strbuf_puts(sb, v->string);
        break;
    case GP_VALUE_STRING:
        print_string(sb, v->string, v->length);
        break;
    case GP_VALUE_BOOLEAN:
        gp_strbuf_puts(sb, v->boolean ? "true" : "false");
        break;
    case GP_VALUE_NULL:
        gp_strbuf_lit(sb, "null");
        break;
    case GP_VALUE_LIST:
        gp_strbuf_putc(sb, '[');
        for (const gp_value_t *it = v->items; it != NULL; it = it->next) {
            print_value(sb, it);
            if (it->next != NULL)
                gp_strbuf_lit(sb, ", ");
        }
        gp_strbuf_putc(sb, ']');
        break;
    case GP_VALUE_OBJECT:
        gp_strbuf_putc(sb, '{');
        for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next) {
            gp_strbuf_printf(sb, "%s: ", f->name);
            print_value(sb, f->value);
            if (f->next != NULL)
                gp_strbuf_lit(sb, ", ");
        }
        gp_strbuf_putc(sb, '}');
        break;
    }
}

static const char *printed(gp_arena_t *a, const gp_value_t *v)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, PRINT_MAX);
    print_value(&sb, v);
    return sb.error ? "<value too long>" : sb.data;
}

/* A double as JavaScript's String(number) spells it: shortest round-trip digits,
 * exponent only below 1e-6 or from 1e21. */
static void put_js_number(gp_strbuf_t *sb, double d)
{
    if (isnan(d) || isinf(d)) {
        gp_strbuf_puts(sb, isnan(d) ? "NaN" : d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        gp_strbuf_putc(sb, '0');
        return;
    }
    char buf[40];
    for (int p = 1; p <= 17; p++) {
        snprintf(buf, sizeof buf, "%.*e", p - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    char digits[24];
    int k = 0;
    const char *s = buf;
    if (*s == '-') {
        gp_strbuf_putc(sb, '-');
        s++;
    }
    for (; *s != 'e'; s++)
        if (*s != '.')
            digits[k++] = *s;
    int n = atoi(s + 1) + 1; /* the decimal point sits after n digits */
    if (k <= n && n <= 21) {
        gp_strbuf_append(sb, digits, (size_t)k);
        for (int i = k; i < n; i++)
            gp_strbuf_putc(sb, '0');
    } else if (0 < n && n <= 21) {
        gp_strbuf_printf(sb, "%.*s.%.*s", n, digits, k - n, digits + n);
    } else if (-6 < n && n <= 0) {
        gp_strbuf_lit(sb, "0.");
        for (int i = n; i < 0; i++)
            gp_strbuf_putc(sb, '0');
        gp_strbuf_append(sb, digits, (size_t)k);
    } else {
        gp_strbuf_putc(sb, digits[0]);
        if (k > 1)
            gp_strbuf_printf(sb, ".%.*s", k - 1, digits + 1);
        gp_strbuf_printf(sb, "e%c%d", n - 1 < 0 ? '-' : '+', abs(n - 1));
    }
}

/* graphql-js inspect() of a JSON value: `{ a: 1, b: [1, 2] }`, at most two levels
 * and ten items deep. `depth` counts the containers around `v`. */
static void inspect(gp_strbuf_t *sb, const json_t *v, int depth)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (json_object_size(v) == 0) {
            gp_strbuf_lit(sb, "{}");
            break;
        }
        if (depth + 1 > INSPECT_MAX_DEPTH) {
            gp_strbuf_lit(sb, "[Object]");
            break;
        }
        const char *key;
        json_t *item;
        bool first = true;
        gp_strbuf_lit(sb, "{ ");
        json_object_foreach ((json_t *)v, key, item) {
            gp_strbuf_printf(sb, "%s%s: ", first ? "" : ", ", key);
            inspect(sb, item, depth + 1);
            first = false;
        }
        gp_strbuf_lit(sb, " }");
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (n == 0) {
            gp_strbuf_lit(sb, "[]");
            break;
        }
        if (depth + 1 > INSPECT_MAX_DEPTH) {
            gp_strbuf_lit(sb, "[Array]");
            break;
        }
        gp_strbuf_putc(sb, '[');
        size_t shown = n < INSPECT_MAX_ITEMS ? n : INSPECT_MAX_ITEMS;
        for (size_t i = 0; i < shown; i++) {
            if (i > 0)
                gp_strbuf_lit(sb, ", ");
            inspect(sb, json_array_get(v, i), depth + 1);
        }
        if (n - shown == 1)
            gp_strbuf_lit(sb, ", ... 1 more item");
        else if (n > shown)
            gp_strbuf_printf(sb, ", ... %zu more items", n - shown);
        gp_strbuf_putc(sb, ']');
        break;
    }
    case JSON_STRING:
        if (gp_json_is_exact(v))
            put_js_number(sb, gp_json_number_value(v)); /* what JSON.parse would have made of it */
        else
            gp_json_string(sb, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        gp_strbuf_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        put_js_number(sb, json_real_value(v));
        break;
    case JSON_TRUE:
        gp_strbuf_lit(sb, "true");
        break;
    case JSON_FALSE:
        gp_strbuf_lit(sb, "false");
        break;
    case JSON_NULL:
        gp_strbuf_lit(sb, "null");
        break;
    }
}

static const char *inspected(gp_arena_t *a, const json_t *v)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, PRINT_MAX);
    inspect(&sb, v, 0);
    return sb.error ? "<value too long>" : sb.data;
}

/* ---- "Did you mean …?" as graphql-js suggests ---- */

static char *lowercase(gp_arena_t *a, const char *s)
{
    char *out = gp_arena_strdup(a, s);
    for (char *p = out; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return out;
}

/* Damerau–Levenshtein (optimal string alignment) over lowercased text, a case
 * change alone counting as one edit; -1 when above `threshold`. */
static int lexical_distance(gp_arena_t *ar, const char *input, const char *option, int threshold)
{
    if (strcmp(input, option) == 0)
        return 0;
    const char *a = lowercase(ar, option), *b = lowercase(ar, input);
    if (strcmp(a, b) == 0)
        return 1;
    if (strlen(a) < strlen(b)) {
        const char *t = a;
        a = b;
        b = t;
    }
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la - lb > threshold)
        return -1;
    int *rows[3];
    for (int r = 0; r < 3; r++)
        rows[r] = gp_arena_alloc(ar, sizeof(int) * (size_t)(lb + 1));
    for (int j = 0; j <= lb; j++)
        rows[0][j] = j;
    for (int i = 1; i <= la; i++) {
        int *up = rows[(i - 1) % 3], *cur = rows[i % 3];
        int smallest = cur[0] = i;
        for (int j = 1; j <= lb; j++) {
            int cost = a[i - 1] == b[j - 1] ? 0 : 1;
            int cell = up[j] + 1;
            if (cur[j - 1] + 1 < cell)
                cell = cur[j - 1] + 1;
            if (up[j - 1] + cost < cell)
                cell = up[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && rows[(i - 2) % 3][j - 2] + 1 < cell)
                cell = rows[(i - 2) % 3][j - 2] + 1;
            if (cell < smallest)
                smallest = cell;
            cur[j] = cell;
        }
        if (smallest > threshold)
            return -1;
    }
    int d = rows[la % 3][lb];
    return d <= threshold ? d : -1;
}

/* graphql-js naturalCompare: digit runs compare as numbers. */
static int natural_compare(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            unsigned long long x = 0, y = 0;
            do
                x = x * 10 + (unsigned)(*a++ - '0');
            while (*a >= '0' && *a <= '9' && x > 0);
            do
                y = y * 10 + (unsigned)(*b++ - '0');
            while (*b >= '0' && *b <= '9' && y > 0);
            if (x != y)
                return x < y ? -1 : 1;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return (int)strlen(a) - (int)strlen(b);
}

typedef struct {
    const char *name;
    int distance;
} suggestion_t;

static int suggestion_cmp(const void *x, const void *y)
{
    const suggestion_t *a = x, *b = y;
    return a->distance != b->distance ? a->distance - b->distance : natural_compare(a->name, b->name);
}

/* " Did you mean <sub> "a", "b", or "c"?" for the names close to `input`, or "". */
static const char *did_you_mean(gp_arena_t *a, const char *sub, const char *input, const char *const *names, int n)
{
    suggestion_t *found = gp_arena_alloc(a, sizeof *found * (size_t)(n > 0 ? n : 1));
    int nfound = 0, threshold = (int)(strlen(input) * 4 / 10) + 1;
    for (int i = 0; i < n; i++) {
        int d = lexical_distance(a, input, names[i], threshold);
        if (d >= 0)
            found[nfound++] = (suggestion_t){names[i], d};
    }
    if (nfound == 0)
        return "";
    qsort(found, (size_t)nfound, sizeof *found, suggestion_cmp);
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, PRINT_MAX);
    gp_strbuf_printf(&sb, " Did you mean %s%s", sub ? sub : "", sub ? " " : "");
    int shown = nfound < MAX_SUGGESTIONS ? nfound : MAX_SUGGESTIONS;
    for (int i = 0; i < shown; i++) {
        const char *sep = i == 0 ? "" : shown == 2 ? " or " : i == shown - 1 ? ", or " : ", ";
        gp_strbuf_printf(&sb, "%s\"%s\"", sep, found[i].name);
    }
    gp_strbuf_putc(&sb, '?');
    return sb.error ? "" : sb.data;
}

static const char *suggest_enum(gp_arena_t *a, const gp_type_t *t, const char *input)
{
    const char **names = gp_arena_alloc(a, sizeof *names * (size_t)(t->nenum_values + 1));
    for (int i = 0; i < t->nenum_values; i++)
        names[i] = t->enum_values[i].name;
    return did_you_mean(a, "the enum value", input, names, t->nenum_values);
}

static const char *suggest_field(gp_arena_t *a, const gp_type_t *t, const char *input)
{
    const char **names = gp_arena_alloc(a, sizeof *names * (size_t)(t->ninput_fields + 1));
    for (int i = 0; i < t->ninput_fields; i++)
        names[i] = t->input_fields[i].name;
    return did_you_mean(a, NULL, input, names, t->ninput_fields);
}

/* ---- literals: ValuesOfCorrectType ---- */

typedef struct {
    gp_arena_t *a;
    const gp_schema_t *s;
    const gp_variable_def_t *vars;
    gp_errors_t *errs;
    int count;
} literal_ctx_t;

__attribute__((format(printf, 3, 4))) static void literal_error(literal_ctx_t *c, long offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gp_errors_vadd(c->errs, GP_E_VALIDATION, offset, fmt, ap);
    va_end(ap);
    c->count++;
}

/* A string literal holding U+0000 anywhere in `v` (json values nest them). It is
 * bad input rather than a misuse of the schema, whatever the position. */
static bool literal_nul(literal_ctx_t *c, const gp_value_t *v)
{
    if (v->kind == GP_VALUE_STRING && memchr(v->string, '\0', v->length) != NULL) {
        gp_errors_add(c->errs, GP_E_BAD_INPUT, v->offset, "%s", NUL_MESSAGE);
        c->count++;
        return true;
    }
    bool found = false;
    for (const gp_value_t *it = v->kind == GP_VALUE_LIST ? v->items : NULL; it != NULL; it = it->next)
        found |= literal_nul(c, it);
    for (const gp_object_field_t *f = v->kind == GP_VALUE_OBJECT ? v->fields : NULL; f != NULL; f = f->next)
        found |= literal_nul(c, f->value);
    return found;
}

static void literal_expected(literal_ctx_t *c, const gp_typeref_t *shown, const gp_value_t *v)
{
    literal_error(c, v->offset, "Expected value of type \"%s\", found %s.", gp_typeref_string(c->a, shown),
                  printed(c->a, v));
}

static void check_literal(literal_ctx_t *c, const gp_typeref_t *type, const gp_typeref_t *shown, const gp_value_t *v);

static void check_scalar(literal_ctx_t *c, const gp_type_t *t, const gp_typeref_t *shown, const gp_value_t *v)
{
    gp_value_kind_t k = v->kind;
    long long n;
    switch (scalar_class(t)) {
    case SC_INT:
        if (k != GP_VALUE_INT)
            literal_error(c, v->offset, INT_NOT_INTEGER, printed(c->a, v));
        else if (!int_text_in_range(v->string, INT32_MIN, INT32_MAX, &n))
            literal_error(c, v->offset, INT_NOT_32_BIT, v->string);
        return;
    case SC_FLOAT: /* finite: 1e999 is no Float */
        if ((k != GP_VALUE_INT && k != GP_VALUE_FLOAT) || !isfinite(strtod(v->string, NULL)))
            literal_error(c, v->offset, FLOAT_NOT_NUMERIC, printed(c->a, v));
        return;
    case SC_STRING:
        if (k != GP_VALUE_STRING)
            literal_error(c, v->offset, STRING_NOT_STRING, printed(c->a, v));
        return;
    case SC_BOOLEAN:
        if (k != GP_VALUE_BOOLEAN)
            literal_error(c, v->offset, BOOLEAN_NOT_BOOLEAN, printed(c->a, v));
        return;
    case SC_ID:
        if (k != GP_VALUE_STRING && k != GP_VALUE_INT)
            literal_error(c, v->offset, "ID cannot represent a non-string and non-integer value: %s",
                          printed(c->a, v));
        return;
    case SC_NUMERIC:
        if (k != GP_VALUE_INT && k != GP_VALUE_FLOAT && k != GP_VALUE_STRING)
            literal_expected(c, shown, v);
        return;
    case SC_JSON:
        literal_nul(c, v);
        return;
    case SC_OTHER:
        if (k == GP_VALUE_LIST || k == GP_VALUE_OBJECT)
            literal_expected(c, shown, v);
        return;
    }
}

static void check_enum(literal_ctx_t *c, const gp_type_t *t, const gp_value_t *v)
{
    if (v->kind != GP_VALUE_ENUM) {
        const char *text = printed(c->a, v);
        literal_error(c, v->offset, "Enum \"%s\" cannot represent non-enum value: %s.%s", t->name, text,
                      suggest_enum(c->a, t, text));
    } else if (gp_type_enum_value(t, v->string) == NULL) {
        literal_error(c, v->offset, NO_SUCH_ENUM_VALUE, v->string, t->name,
                      suggest_enum(c->a, t, v->string));
    }
}

static const gp_object_field_t *object_field(const gp_value_t *v, const char *name)
{
    for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}

/* Exactly one field, not null, and a variable there must be of a non-null type. */
static void check_one_of(literal_ctx_t *c, const gp_type_t *t, const gp_value_t *v)
{
    int distinct = 0;
    for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next)
        if (object_field(v, f->name) == f)
            distinct++;
    if (distinct != 1) {
        literal_error(c, v->offset, "OneOf Input Object \"%s\" must specify exactly one key.", t->name);
        return;
    }
    const gp_object_field_t *f = v->fields;
    if (f->value->kind == GP_VALUE_NULL) {
        literal_error(c, v->offset, "Field \"%s.%s\" must be non-null.", t->name, f->name);
    } else if (f->value->kind == GP_VALUE_VARIABLE) {
        for (const gp_variable_def_t *d = c->vars; d != NULL; d = d->next)
            if (strcmp(d->name, f->value->string) == 0 && d->type->kind != GP_TYPE_NON_NULL)
                literal_error(c, v->offset,
                              "Variable \"%s\" must be non-nullable to be used for OneOf Input Object \"%s\".",
                              d->name, t->name);
    }
}

/* Required fields and oneOf first, then each field in document order, as graphql-js
 * visits them. */
static void check_object(literal_ctx_t *c, const gp_type_t *t, const gp_typeref_t *shown, const gp_value_t *v)
{
    if (v->kind != GP_VALUE_OBJECT) {
        literal_expected(c, shown, v);
        return;
    }
    for (int i = 0; i < t->ninput_fields; i++) {
        const gp_input_value_t *def = &t->input_fields[i];
        if (def->type->kind == GP_REF_NON_NULL && def->default_value == NULL && object_field(v, def->name) == NULL)
            literal_error(c, v->offset, "Field \"%s.%s\" of required type \"%s\" was not provided.", t->name,
                          def->name, gp_typeref_string(c->a, def->type));
    }
    if (t->is_one_of)
        check_one_of(c, t, v);
    for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next) {
        const gp_input_value_t *def = gp_type_input_field(t, f->name);
        if (def == NULL)
            literal_error(c, f->offset, NO_SUCH_FIELD, f->name, t->name,
                          suggest_field(c->a, t, f->name));
        else
            check_literal(c, def->type, def->type, f->value);
    }
}

/* `shown` is the type named in "Expected value of type" messages: graphql-js names
 * the list type when a single value stands for a list of one. */
static void check_literal(literal_ctx_t *c, const gp_typeref_t *type, const gp_typeref_t *shown, const gp_value_t *v)
{
    if (v->kind == GP_VALUE_VARIABLE || (v->kind == GP_VALUE_STRING && literal_nul(c, v)))
        return;
    if (v->kind == GP_VALUE_NULL) {
        if (type->kind == GP_REF_NON_NULL)
            literal_expected(c, shown, v);
        return;
    }
    if (type->kind == GP_REF_NON_NULL)
        type = type->of;
    if (type->kind == GP_REF_LIST) {
        if (v->kind != GP_VALUE_LIST) {
            check_literal(c, type->of, shown, v);
            return;
        }
        for (const gp_value_t *it = v->items; it != NULL; it = it->next)
            check_literal(c, type->of, type->of, it);
        return;
    }
    const gp_type_t *t = type->named;
    switch (t->kind) {
    case GP_KIND_INPUT_OBJECT:
        check_object(c, t, shown, v);
        break;
    case GP_KIND_ENUM:
        check_enum(c, t, v);
        break;
    case GP_KIND_SCALAR:
        check_scalar(c, t, shown, v);
        break;
    default: /* not an input type: VariablesAreInputTypes and friends say so */
        break;
    }
}

void gp_coerce_missing_argument(gp_errors_t *errs, long offset, bool directive, const char *owner, const char *arg,
                                const char *type)
{
    gp_errors_add(errs, GP_E_VALIDATION, offset,
                  "%s \"%s%s\" argument \"%s\" of type \"%s\" is required, but it was not provided.",
                  directive ? "Directive" : "Field", directive ? "@" : "", owner, arg, type);
}

int gp_coerce_literal(gp_arena_t *a, const gp_schema_t *s, const gp_typeref_t *type, const gp_value_t *v,
                      const gp_variable_def_t *variables, gp_errors_t *errs)
{
    literal_ctx_t c = {.a = a, .s = s, .vars = variables, .errs = errs};
    check_literal(&c, type, type, v);
    return c.count;
}


/* ---- literals as JSON: valueFromAST, the one conversion of AST values ----
 *
 * Variable defaults, input field defaults and the compiler's arguments all go
 * through literal_json, so a literal means the same thing wherever it is read:
 * numbers an int64 cannot hold keep their digits (gp_json_exact), Float is a
 * double, enums are strings, a single value in a list position is a list of one. */

typedef struct {
    gp_arena_t *a;
    const gp_schema_t *s;
    gp_coerce_variable_fn variable; /* NULL: constants only (defaults) */
    void *ctx;
} to_json_t;

typedef struct {
    gp_arena_t *a;
    const gp_schema_t *s;
    const gp_variable_def_t *def; /* the variable being coerced */
    gp_errors_t *errs;
    gp_strbuf_t path;             /* where inside it, graphql-js style: .where.id._eq, [0] */
    int count;
} var_ctx_t;

static json_t *literal_json(const to_json_t *c, const gp_typeref_t *type, const gp_value_t *v);

static json_t *string_json(const char *s, size_t n)
{
    json_t *j = json_stringn(s, n);
    return j != NULL ? j : json_stringn_nocheck(s, n);
}

/* An integer an int64 holds as a JSON integer; any other number as its digits. */
static json_t *number_json(const gp_value_t *v)
{
    long long n;
    if (v->kind == GP_VALUE_INT && int_text_in_range(v->string, LLONG_MIN, LLONG_MAX, &n))
        return json_integer(n);
    return gp_json_exact(v->string, strlen(v->string));
}

/* NULL when a variable was not provided: the caller leaves the field out. */
static json_t *variable_json(const to_json_t *c, const gp_value_t *v)
{
    return c->variable != NULL ? c->variable(c->ctx, v) : json_null();
}

/* valueFromASTUntyped: what json and jsonb receive, and values of unknown type. */
static json_t *untyped_json(const to_json_t *c, const gp_value_t *v)
{
    switch (v->kind) {
    case GP_VALUE_INT:
    case GP_VALUE_FLOAT:
        return number_json(v);
    case GP_VALUE_STRING:
        return string_json(v->string, v->length);
    case GP_VALUE_ENUM:
        return json_string(v->string);
    case GP_VALUE_BOOLEAN:
        return json_boolean(v->boolean);
    case GP_VALUE_LIST: {
        json_t *arr = json_array(), *j;
        for (const gp_value_t *it = v->items; it != NULL; it = it->next)
            json_array_append_new(arr, (j = untyped_json(c, it)) != NULL ? j : json_null());
        return arr;
    }
    case GP_VALUE_OBJECT: {
        json_t *obj = json_object(), *j;
        for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next)
            if ((j = untyped_json(c, f->value)) != NULL)
                json_object_set_new(obj, f->name, j);
        return obj;
    }
    case GP_VALUE_VARIABLE:
        return variable_json(c, v);
    case GP_VALUE_NULL:
        break;
    }
    return json_null();
}

/* An input field's default, kept by the type system as GraphQL source text. */
static json_t *field_default_json(const to_json_t *c, const gp_input_value_t *def)
{
    const char *src = gp_arena_printf(c->a, "{f(a: %s)}", def->default_value);
    gp_errors_t scratch;
    gp_errors_init(&scratch, c->a, src);
    gp_document_t *doc = gp_parse(c->a, src, strlen(src), &scratch);
    if (doc == NULL || doc->operations == NULL || doc->operations->selections == NULL ||
        doc->operations->selections->arguments == NULL)
        return NULL;
    to_json_t constants = {c->a, c->s, NULL, NULL};
    return literal_json(&constants, def->type, doc->operations->selections->arguments->value);
}

/* valueFromAST for a literal that gp_coerce_literal accepted. */
static json_t *scalar_literal_json(const to_json_t *c, const gp_type_t *t, const gp_value_t *v)
{
    switch (scalar_class(t)) {
    case SC_INT:
        return json_integer(strtoll(v->string, NULL, 10));
    case SC_FLOAT:
        return json_real(strtod(v->string, NULL)); /* finite: validation checked */
    case SC_STRING:
    case SC_ID:
        return v->kind == GP_VALUE_STRING ? string_json(v->string, v->length) : json_string(v->string);
    case SC_BOOLEAN:
        return json_boolean(v->boolean);
    case SC_JSON:
    case SC_NUMERIC:
    case SC_OTHER:
        break;
    }
    return untyped_json(c, v);
}

static json_t *object_literal_json(const to_json_t *c, const gp_type_t *t, const gp_value_t *v)
{
    json_t *obj = json_object(), *j;
    for (const gp_object_field_t *f = v->fields; f != NULL; f = f->next) {
        const gp_input_value_t *def = gp_type_input_field(t, f->name);
        if (def != NULL && (j = literal_json(c, def->type, f->value)) != NULL)
            json_object_set_new(obj, f->name, j);
    }
    for (int i = 0; i < t->ninput_fields; i++) {
        const gp_input_value_t *def = &t->input_fields[i];
        if (def->default_value != NULL && json_object_get(obj, def->name) == NULL &&
            (j = field_default_json(c, def)) != NULL)
            json_object_set_new(obj, def->name, j);
    }
    return obj;
}

static json_t *literal_json(const to_json_t *c, const gp_typeref_t *type, const gp_value_t *v)
{
    if (v->kind == GP_VALUE_VARIABLE)
        return variable_json(c, v);
    if (v->kind == GP_VALUE_NULL)
        return json_null();
    if (type == NULL)
        return untyped_json(c, v);
    if (type->kind == GP_REF_NON_NULL)
        type = type->of;
    if (type->kind == GP_REF_LIST) {
        json_t *arr = json_array(), *j;
        if (v->kind != GP_VALUE_LIST)
            json_array_append_new(arr, (j = literal_json(c, type->of, v)) != NULL ? j : json_null());
        else
            for (const gp_value_t *it = v->items; it != NULL; it = it->next)
                json_array_append_new(arr, (j = literal_json(c, type->of, it)) != NULL ? j : json_null());
        return arr;
    }
    const gp_type_t *t = type->named;
    if (t->kind == GP_KIND_ENUM)
        return json_string(v->string);
    if (t->kind == GP_KIND_INPUT_OBJECT)
        return v->kind == GP_VALUE_OBJECT ? object_literal_json(c, t, v) : untyped_json(c, v);
    return scalar_literal_json(c, t, v);
}

json_t *gp_coerce_literal_json(gp_arena_t *a, const gp_schema_t *s, const gp_typeref_t *type, const gp_value_t *v,
                               gp_coerce_variable_fn variable, void *ctx)
{
    to_json_t c = {a, s, variable, ctx};
    return literal_json(&c, type, v);
}

/* ---- variables: CoerceVariableValues ---- */

__attribute__((format(printf, 3, 4))) static void var_error(var_ctx_t *c, const json_t *invalid, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *msg = gp_arena_vprintf(c->a, fmt, ap);
    va_end(ap);
    const char *at = "";
    if (c->path.len > 0 && !c->path.error)
        at = gp_arena_printf(c->a, " at \"%s%s\"", c->def->name, c->path.data);
    gp_errors_add(c->errs, GP_E_BAD_INPUT, c->def->offset, "Variable \"$%s\" got invalid value %s%s; %s", c->def->name,
                  inspected(c->a, invalid), at, msg);
    c->count++;
}

static json_t *coerce_json(var_ctx_t *c, const gp_typeref_t *type, const json_t *v);

/* Number.isInteger without libm: every double from 2^53 up is an integer. */
static bool is_integral(double d)
{
    return isfinite(d) && (d >= 9007199254740992.0 || d <= -9007199254740992.0 || d == (double)(long long)d);
}

/* A string holding U+0000 anywhere in `v` (json values nest them). */
static bool has_nul(const json_t *v)
{
    if (json_is_string(v))
        return memchr(json_string_value(v), '\0', json_string_length(v)) != NULL;
    size_t i;
    const char *key;
    json_t *item;
    if (json_is_array(v))
        json_array_foreach ((json_t *)v, i, item)
            if (has_nul(item))
                return true;
    if (json_is_object(v))
        json_object_foreach ((json_t *)v, key, item)
            if (has_nul(item))
                return true;
    return false;
}

static json_t *coerce_int(var_ctx_t *c, const json_t *v)
{
    bool exact = json_is_real(v) || gp_json_is_exact(v);
    double d = exact ? gp_json_number_value(v) : 0;
    if (!json_is_integer(v) && !(exact && is_integral(d)))
        var_error(c, v, INT_NOT_INTEGER, inspected(c->a, v));
    else if (json_is_integer(v) ? json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX
                                : d < INT32_MIN || d > INT32_MAX)
        var_error(c, v, INT_NOT_32_BIT, inspected(c->a, v));
    else
        return json_integer(json_is_integer(v) ? json_integer_value(v) : (json_int_t)d);
    return NULL;
}

static json_t *coerce_scalar(var_ctx_t *c, const gp_type_t *t, const json_t *v)
{
    bool integral = json_is_integer(v) || (gp_json_is_number(v) && is_integral(gp_json_number_value(v)));
    if (has_nul(v)) {
        var_error(c, v, "%s", NUL_MESSAGE);
        return NULL;
    }
    switch (scalar_class(t)) {
    case SC_INT:
        return coerce_int(c, v);
    case SC_FLOAT: /* finite: 1e999 is no Float */
        if (gp_json_is_number(v) && isfinite(gp_json_number_value(v)))
            return json_real(gp_json_number_value(v));
        var_error(c, v, FLOAT_NOT_NUMERIC, inspected(c->a, v));
        return NULL;
    case SC_STRING:
        if (gp_json_is_string(v))
            return json_copy((json_t *)v);
        var_error(c, v, STRING_NOT_STRING, inspected(c->a, v));
        return NULL;
    case SC_BOOLEAN:
        if (json_is_boolean(v))
            return json_copy((json_t *)v);
        var_error(c, v, BOOLEAN_NOT_BOOLEAN, inspected(c->a, v));
        return NULL;
    case SC_ID:
        if (gp_json_is_string(v))
            return json_copy((json_t *)v);
        if (integral)
            return json_string(inspected(c->a, v)); /* String(number), as graphql-js */
        var_error(c, v, "ID cannot represent value: %s", inspected(c->a, v));
        return NULL;
    case SC_JSON:
        return json_deep_copy(v);
    case SC_NUMERIC: /* digits as a string or a number, exact either way: PostgreSQL checks them */
        if (json_is_number(v) || json_is_string(v))
            return json_copy((json_t *)v);
        break;
    case SC_OTHER:
        if (json_is_number(v) || json_is_string(v) || json_is_boolean(v))
            return json_copy((json_t *)v);
        break;
    }
    var_error(c, v, "Expected type \"%s\".", t->name);
    return NULL;
}

static json_t *coerce_enum(var_ctx_t *c, const gp_type_t *t, const json_t *v)
{
    if (!gp_json_is_string(v)) {
        const char *text = inspected(c->a, v);
        var_error(c, v, "Enum \"%s\" cannot represent non-string value: %s.%s", t->name, text,
                  suggest_enum(c->a, t, text));
        return NULL;
    }
    const char *name = json_string_value(v);
    if (has_nul(v)) {
        var_error(c, v, "%s", NUL_MESSAGE);
        return NULL;
    }
    if (gp_type_enum_value(t, name) == NULL) {
        var_error(c, v, NO_SUCH_ENUM_VALUE, name, t->name, suggest_enum(c->a, t, name));
        return NULL;
    }
    return json_string(name);
}

static void oneof_check(var_ctx_t *c, const gp_type_t *t, const json_t *v, const json_t *out, int present)
{
    if (present != 1) {
        var_error(c, v, "Exactly one key must be specified for OneOf type \"%s\".", t->name);
        return;
    }
    const char *key;
    json_t *item;
    json_object_foreach ((json_t *)out, key, item) {
        if (json_is_null(item)) {
            size_t mark = c->path.len;
            gp_strbuf_printf(&c->path, ".%s", key);
            var_error(c, item, "Field \"%s\" must be non-null.", key);
            gp_strbuf_truncate(&c->path, mark);
        }
    }
}

/* Every field of `t` from `v`: defaults for the missing ones, then the fields `t`
 * does not define, then oneOf. */
static json_t *coerce_object(var_ctx_t *c, const gp_type_t *t, const json_t *v)
{
    if (!json_is_object(v)) {
        var_error(c, v, "Expected type \"%s\" to be an object.", t->name);
        return NULL;
    }
    int before = c->count, present = 0;
    json_t *out = json_object();
    to_json_t constants = {c->a, c->s, NULL, NULL};
    for (int i = 0; i < t->ninput_fields; i++) {
        const gp_input_value_t *def = &t->input_fields[i];
        const json_t *fv = json_object_get(v, def->name);
        json_t *r;
        if (fv == NULL) {
            if (def->default_value != NULL && (r = field_default_json(&constants, def)) != NULL)
                json_object_set_new(out, def->name, r);
            else if (def->default_value == NULL && def->type->kind == GP_REF_NON_NULL)
                var_error(c, v, "Field \"%s\" of required type \"%s\" was not provided.", def->name,
                          gp_typeref_string(c->a, def->type));
            continue;
        }
        present++;
        size_t mark = c->path.len;
        gp_strbuf_printf(&c->path, ".%s", def->name);
        if ((r = coerce_json(c, def->type, fv)) != NULL)
            json_object_set_new(out, def->name, r);
        gp_strbuf_truncate(&c->path, mark);
    }
    const char *key;
    json_t *item;
    json_object_foreach ((json_t *)v, key, item) {
        if (gp_type_input_field(t, key) == NULL)
            var_error(c, v, NO_SUCH_FIELD, key, t->name, suggest_field(c->a, t, key));
    }
    if (t->is_one_of)
        oneof_check(c, t, v, out, present);
    if (c->count > before) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* A list from an array item by item, or a single value as a list of one. */
static json_t *coerce_list(var_ctx_t *c, const gp_typeref_t *item_type, const json_t *v)
{
    json_t *out = json_array(), *r;
    if (!json_is_array(v)) {
        if ((r = coerce_json(c, item_type, v)) == NULL) {
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, r);
        return out;
    }
    int before = c->count;
    for (size_t i = 0; i < json_array_size(v); i++) {
        size_t mark = c->path.len;
        gp_strbuf_printf(&c->path, "[%zu]", i);
        if ((r = coerce_json(c, item_type, json_array_get(v, i))) != NULL)
            json_array_append_new(out, r);
        gp_strbuf_truncate(&c->path, mark);
    }
    if (c->count > before) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* coerceInputValue: a new JSON value, or NULL after reporting why not. */
static json_t *coerce_json(var_ctx_t *c, const gp_typeref_t *type, const json_t *v)
{
    if (type->kind == GP_REF_NON_NULL) {
        if (json_is_null(v)) {
            var_error(c, v, "Expected non-nullable type \"%s\" not to be null.", gp_typeref_string(c->a, type));
            return NULL;
        }
        return coerce_json(c, type->of, v);
    }
    if (json_is_null(v))
        return json_null();
    if (type->kind == GP_REF_LIST)
        return coerce_list(c, type->of, v);
    const gp_type_t *t = type->named;
    switch (t->kind) {
    case GP_KIND_INPUT_OBJECT:
        return coerce_object(c, t, v);
    case GP_KIND_ENUM:
        return coerce_enum(c, t, v);
    default:
        return coerce_scalar(c, t, v);
    }
}

static const gp_typeref_t *typeref_from_ast(gp_arena_t *a, const gp_schema_t *s, const gp_type_ref_t *t)
{
    gp_typeref_t *r = gp_arena_new_obj(a, gp_typeref_t);
    if (t->kind == GP_TYPE_NAMED) {
        r->kind = GP_REF_NAMED;
        r->named = gp_schema_type(s, t->name);
        return r->named != NULL ? r : NULL;
    }
    r->kind = t->kind == GP_TYPE_LIST ? GP_REF_LIST : GP_REF_NON_NULL;
    r->of = typeref_from_ast(a, s, t->of_type);
    return r->of != NULL ? r : NULL;
}

/* A variable's default: checked as a literal (validation normally has already),
 * then turned into JSON. */
static json_t *variable_default(var_ctx_t *c, const gp_typeref_t *type, const gp_value_t *v)
{
    gp_errors_t scratch;
    gp_errors_init(&scratch, c->a, c->errs->source);
    if (gp_coerce_literal(c->a, c->s, type, v, NULL, &scratch) > 0) {
        for (const gp_error_t *e = scratch.head; e != NULL; e = e->next)
            gp_errors_add(c->errs, GP_E_BAD_INPUT, e->offset, "%s", e->message);
        c->count += scratch.count;
        return NULL;
    }
    to_json_t constants = {c->a, c->s, NULL, NULL};
    return literal_json(&constants, type, v);
}

json_t *gp_coerce_variables(gp_arena_t *a, const gp_schema_t *s, const gp_operation_t *op, const json_t *provided,
                            gp_errors_t *errs)
{
    if (provided != NULL && !json_is_object(provided)) {
        gp_errors_add(errs, GP_E_REQUEST, -1, "Variables must be provided as a JSON object.");
        return NULL;
    }
    json_t *out = json_object();
    int failed = 0;
    for (const gp_variable_def_t *d = op->variables; d != NULL; d = d->next) {
        const gp_typeref_t *type = typeref_from_ast(a, s, d->type);
        if (type == NULL || !gp_type_is_input(gp_typeref_named(type)))
            continue; /* validation reports unknown and output types */
        var_ctx_t c = {.a = a, .s = s, .def = d, .errs = errs};
        gp_strbuf_init(&c.path, a, PRINT_MAX);
        const json_t *v = provided != NULL ? json_object_get(provided, d->name) : NULL;
        json_t *r = NULL;
        if (v == NULL && d->default_value != NULL)
            r = variable_default(&c, type, d->default_value);
        else if (v == NULL && type->kind == GP_REF_NON_NULL)
            gp_errors_add(errs, GP_E_BAD_INPUT, d->offset, "Variable \"$%s\" of required type \"%s\" was not provided.",
                          d->name, gp_typeref_string(a, type)), c.count++;
        else if (v != NULL && json_is_null(v) && type->kind == GP_REF_NON_NULL)
            gp_errors_add(errs, GP_E_BAD_INPUT, d->offset, "Variable \"$%s\" of non-null type \"%s\" must not be null.",
                          d->name, gp_typeref_string(a, type)), c.count++;
        else if (v != NULL)
            r = coerce_json(&c, type, v);
        if (r != NULL)
            json_object_set_new(out, d->name, r);
        failed += c.count;
    }
    if (failed > 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}
