/* base/json.c — JSON text out (escaping, dumping values) and in (gp_json_load, which
 * keeps the digits of numbers an int64 cannot hold). */
#include "json.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned int cp;
    if (c < 0x80)
        return 1;
    else if ((c & 0xE0) == 0xC0)
        len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
        len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    static const unsigned int min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void gp_json_string(gp_strbuf_t *sb, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    gp_strbuf_putc(sb, '"');
    size_t run = 0; /* start of the pending run of bytes copied as they are */
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        const char *esc = NULL;
        char ubuf[8];
        size_t seq = 1;
        if (c == '"')
            esc = "\\\"";
        else if (c == '\\')
            esc = "\\\\";
        else if (c == '\n')
            esc = "\\n";
        else if (c == '\r')
            esc = "\\r";
        else if (c == '\t')
            esc = "\\t";
        else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";
            memcpy(ubuf, "\\u00", 4);
            ubuf[4] = hex[c >> 4];
            ubuf[5] = hex[c & 15];
            ubuf[6] = '\0';
            esc = ubuf;
        } else if (c >= 0x80) {
            seq = utf8_seq_len(s + i, n - i);
            if (seq == 0) {
                esc = "\xEF\xBF\xBD";
                seq = 1;
            }
        }
        if (esc != NULL) {
            gp_strbuf_append(sb, str + run, i - run);
            gp_strbuf_puts(sb, esc);
            i += seq;
            run = i;
        } else {
            i += seq;
        }
    }
    gp_strbuf_append(sb, str + run, n - run);
    gp_strbuf_putc(sb, '"');
}

void gp_json_cstring(gp_strbuf_t *sb, const char *s)
{
    gp_json_string(sb, s, strlen(s));
}

/* ---- exact numbers ---- */

#define EXACT_MARK '\xFF'

json_t *gp_json_exact(const char *text, size_t n)
{
    char small[64];
    char *buf = n + 1 <= sizeof small ? small : malloc(n + 1);
    if (buf == NULL)
        return NULL;
    buf[0] = EXACT_MARK;
    memcpy(buf + 1, text, n);
    json_t *v = json_stringn_nocheck(buf, n + 1);
    if (buf != small)
        free(buf);
    return v;
}

bool gp_json_is_exact(const json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 0 && json_string_value(v)[0] == EXACT_MARK;
}

const char *gp_json_exact_text(const json_t *v)
{
    return gp_json_is_exact(v) ? json_string_value(v) + 1 : NULL;
}

bool gp_json_is_number(const json_t *v)
{
    return json_is_number(v) || gp_json_is_exact(v);
}

bool gp_json_is_string(const json_t *v)
{
    return json_is_string(v) && !gp_json_is_exact(v);
}

double gp_json_number_value(const json_t *v)
{
    const char *text = gp_json_exact_text(v);
    return text != NULL ? strtod(text, NULL) : json_number_value(v);
}

/* ---- reading ---- */

#define LOAD_MAX_DEPTH 2048

typedef struct {
    const char *start, *p, *end;
    json_error_t *err;
    int depth;
    char *scratch; /* decoded string bytes, grown as needed */
    size_t scratch_cap;
} loader_t;

static json_t *load_fail(loader_t *l, const char *what)
{
    if (l->err != NULL) {
        int line = 1, column = 1;
        for (const char *q = l->start; q < l->p; q++) {
            if (*q == '\n')
                line++, column = 1;
            else if (((unsigned char)*q & 0xC0) != 0x80)
                column++;
        }
        l->err->line = line;
        l->err->column = column;
        l->err->position = (int)(l->p - l->start);
        snprintf(l->err->text, sizeof l->err->text, "%s", what);
        l->err->source[0] = '\0';
    }
    return NULL;
}

static void skip_space(loader_t *l)
{
    while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
        l->p++;
}

static int hex4(const char *s)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t put_utf8(char *out, unsigned cp)
{
    if (cp < 0x80)
        return out[0] = (char)cp, 1;
    if (cp < 0x800)
        return out[0] = (char)(0xC0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000)
        return out[0] = (char)(0xE0 | cp >> 12), out[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
               out[2] = (char)(0x80 | (cp & 0x3F)), 3;
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One \u escape (after the backslash and the u), a surrogate pair taken whole. */
static bool unicode_escape(loader_t *l, unsigned *cp)
{
    int hi = l->end - l->p >= 4 ? hex4(l->p) : -1;
    if (hi < 0)
        return false;
    l->p += 4;
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return false;
    if (hi >= 0xD800 && hi <= 0xDBFF) {
        int lo = l->end - l->p >= 6 && l->p[0] == '\\' && l->p[1] == 'u' ? hex4(l->p + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
            return false;
        l->p += 6;
        *cp = 0x10000 + (((unsigned)hi - 0xD800) << 10) + ((unsigned)lo - 0xDC00);
        return true;
    }
    *cp = (unsigned)hi;
    return true;
}

static char escaped_char(char c)
{
    switch (c) {
    case '"': return '"';
    case '\\': return '\\';
    case '/': return '/';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    default: return 0;
    }
}

/* The string at l->p (just after its opening quote), decoded into l->scratch;
 * *n is its length. False on invalid text. */
static bool load_string_bytes(loader_t *l, size_t *n)
{
    /* Decoding never lengthens: an escape of 2, 6 or 12 bytes yields 1 to 4. */
    const char *q = l->p;
    while (q < l->end && *q != '"')
        q += *q == '\\' && q + 1 < l->end ? 2 : 1;
    size_t need = (size_t)(q - l->p);
    if (need + 4 > l->scratch_cap) {
        char *grown = realloc(l->scratch, need + 4);
        if (grown == NULL)
            return false;
        l->scratch = grown;
        l->scratch_cap = need + 4;
    }
    size_t k = 0;
    while (l->p < l->end) {
        unsigned char c = (unsigned char)*l->p;
        if (c == '"') {
            l->p++;
            *n = k;
            return true;
        }
        if (c < 0x20)
            return false;
        if (c >= 0x80) {
            size_t seq = utf8_seq_len((const unsigned char *)l->p, (size_t)(l->end - l->p));
            if (seq == 0)
                return false;
            memcpy(l->scratch + k, l->p, seq);
            k += seq, l->p += seq;
            continue;
        }
        l->p++;
        if (c != '\\') {
            l->scratch[k++] = (char)c;
            continue;
        }
        if (l->p == l->end)
            return false;
        char e = *l->p++;
        unsigned cp;
        if (e == 'u') {
            if (!unicode_escape(l, &cp))
                return false;
            k += put_utf8(l->scratch + k, cp);
        } else if ((l->scratch[k] = escaped_char(e)) != 0) {
            k++;
        } else {
            return false;
        }
    }
    return false;
}

static json_t *load_string(loader_t *l)
{
    size_t n;
    if (!load_string_bytes(l, &n))
        return load_fail(l, "invalid string: a control character, a bad escape, invalid UTF-8 or no closing quote");
    return json_stringn_nocheck(l->scratch, n);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An integer that an int64 holds becomes a jansson integer; every other number
 * keeps its text (gp_json_exact). */
static json_t *load_number(loader_t *l)
{
    const char *s = l->p, *q = l->p;
    if (q < l->end && *q == '-')
        q++;
    if (q < l->end && *q == '0')
        q++;
    else if (q < l->end && is_digit(*q))
        while (q < l->end && is_digit(*q))
            q++;
    else
        return l->p = q, load_fail(l, "invalid number");
    bool integer = true;
    if (q < l->end && *q == '.') {
        integer = false;
        if (++q == l->end || !is_digit(*q))
            return l->p = q, load_fail(l, "invalid number");
        while (q < l->end && is_digit(*q))
            q++;
    }
    if (q < l->end && (*q == 'e' || *q == 'E')) {
        integer = false;
        q++;
        if (q < l->end && (*q == '+' || *q == '-'))
            q++;
        if (q == l->end || !is_digit(*q))
            return l->p = q, load_fail(l, "invalid number");
        while (q < l->end && is_digit(*q))
            q++;
    }
    l->p = q;
    size_t n = (size_t)(q - s);
    if (integer && n <= 20) {
        char buf[24];
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        long long v = strtoll(buf, NULL, 10);
        if (errno == 0)
            return json_integer(v);
    }
    return gp_json_exact(s, n);
}

static json_t *load_value(loader_t *l);

static bool expect(loader_t *l, char c)
{
    skip_space(l);
    if (l->p < l->end && *l->p == c) {
        l->p++;
        return true;
    }
    return false;
}

static json_t *load_array(loader_t *l)
{
    json_t *array = json_array();
    if (expect(l, ']'))
        return array;
    do {
        json_t *item = load_value(l);
        if (item == NULL || json_array_append_new(array, item) != 0) {
            json_decref(array);
            return NULL;
        }
    } while (expect(l, ','));
    if (expect(l, ']'))
        return array;
    json_decref(array);
    return load_fail(l, "',' or ']' expected");
}

static json_t *load_object(loader_t *l)
{
    json_t *object = json_object();
    if (expect(l, '}'))
        return object;
    do {
        size_t n;
        if (!expect(l, '"'))
            goto Error;
        if (!load_string_bytes(l, &n)) {
            load_fail(l, "invalid object key");
            goto Fail;
        }
        if (memchr(l->scratch, '\0', n) != NULL) {
            load_fail(l, "NUL (\\u0000) is not allowed in an object key");
            goto Fail;
        }
        json_t *key = json_stringn_nocheck(l->scratch, n); /* scratch is reused by the value */
        json_t *value = expect(l, ':') ? load_value(l) : NULL;
        if (value == NULL) {
            json_decref(key);
            if (l->err != NULL && l->err->text[0] == '\0')
                load_fail(l, "':' expected");
            goto Fail;
        }
        json_object_setn_new_nocheck(object, json_string_value(key), n, value);
        json_decref(key);
    } while (expect(l, ','));
    if (expect(l, '}'))
        return object;
Error:
    load_fail(l, "string key, ',' or '}' expected");
Fail:
    json_decref(object);
    return NULL;
}

static json_t *load_literal(loader_t *l, const char *word, json_t *value)
{
    size_t n = strlen(word);
    if ((size_t)(l->end - l->p) >= n && memcmp(l->p, word, n) == 0) {
        l->p += n;
        return value;
    }
    return load_fail(l, "invalid token");
}

static json_t *load_value(loader_t *l)
{
    skip_space(l);
    if (l->p == l->end)
        return load_fail(l, "unexpected end of input");
    if (++l->depth > LOAD_MAX_DEPTH)
        return load_fail(l, "nested too deeply");
    json_t *v;
    char c = *l->p;
    if (c == '{')
        l->p++, v = load_object(l);
    else if (c == '[')
        l->p++, v = load_array(l);
    else if (c == '"')
        l->p++, v = load_string(l);
    else if (c == '-' || is_digit(c))
        v = load_number(l);
    else if (c == 't')
        v = load_literal(l, "true", json_true());
    else if (c == 'f')
        v = load_literal(l, "false", json_false());
    else if (c == 'n')
        v = load_literal(l, "null", json_null());
    else
        v = load_fail(l, "invalid token");
    l->depth--;
    return v;
}

json_t *gp_json_load(const char *text, size_t len, json_error_t *err)
{
    loader_t l = {.start = text, .p = text, .end = text + len, .err = err};
    if (err != NULL)
        err->text[0] = '\0';
    json_t *v = load_value(&l);
    skip_space(&l);
    if (v != NULL && l.p != l.end) {
        json_decref(v);
        v = load_fail(&l, "end of input expected");
    }
    free(l.scratch);
    return v;
}

/* ---- writing values ---- */

/* The fewest digits that read back as the same double, with ".0" when they look
 * like an integer (as jansson writes reals). */
static void put_real(gp_strbuf_t *sb, double d)
{
    char buf[40];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    gp_strbuf_puts(sb, buf);
    if (strpbrk(buf, ".eni") == NULL)
        gp_strbuf_lit(sb, ".0");
}

void gp_json_dump(gp_strbuf_t *sb, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *item;
        bool first = true;
        gp_strbuf_putc(sb, '{');
        json_object_foreach ((json_t *)v, key, item) {
            if (!first)
                gp_strbuf_putc(sb, ',');
            first = false;
            gp_json_cstring(sb, key);
            gp_strbuf_putc(sb, ':');
            gp_json_dump(sb, item);
        }
        gp_strbuf_putc(sb, '}');
        return;
    }
    case JSON_ARRAY:
        gp_strbuf_putc(sb, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i > 0)
                gp_strbuf_putc(sb, ',');
            gp_json_dump(sb, json_array_get(v, i));
        }
        gp_strbuf_putc(sb, ']');
        return;
    case JSON_STRING:
        if (gp_json_is_exact(v))
            gp_strbuf_append(sb, json_string_value(v) + 1, json_string_length(v) - 1);
        else
            gp_json_string(sb, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER:
        gp_strbuf_printf(sb, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    case JSON_REAL:
        put_real(sb, json_real_value(v));
        return;
    case JSON_TRUE:
        gp_strbuf_lit(sb, "true");
        return;
    case JSON_FALSE:
        gp_strbuf_lit(sb, "false");
        return;
    case JSON_NULL:
        gp_strbuf_lit(sb, "null");
        return;
    }
}
