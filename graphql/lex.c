/* graphql/lex.c — GraphQL lexer (spec, October 2021 edition, §2.1).
 * A switch over character classes picks how to read each token; tokens are
 * (kind, start, len) slices of the source and nothing is copied until the parser
 * builds a node. Source text is UTF-8 and is checked strictly: overlong forms,
 * surrogates and bytes that start no character are errors wherever they appear. */
#include "graphql/lex.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Each met in two places: a string and a block string end alike, and so do the digits
 * of a number's parts and what follows its last digit. */
#define UNTERMINATED_STRING "Unterminated string."
#define EXPECTED_DIGIT "Invalid number, expected digit but got: "

enum {
    CC_ILLEGAL, /* anything a token cannot start with */
    CC_SPACE,   /* ignored: space, tab, comma, LF, CR */
    CC_HASH,    /* a comment, to the end of the line */
    CC_NAME,    /* [A-Za-z_] */
    CC_DIGIT,
    CC_MINUS,
    CC_QUOTE,   /* a string or, as """, a block string */
    CC_DOT,     /* only as ... */
    CC_PUNCT,   /* one-character punctuators */
    CC_BOM,     /* 0xEF, which starts U+FEFF, ignored anywhere */
};

static const unsigned char char_class[256] = {
    [' '] = CC_SPACE, ['\t'] = CC_SPACE, [','] = CC_SPACE, ['\n'] = CC_SPACE, ['\r'] = CC_SPACE,
    ['#'] = CC_HASH,
    ['A' ... 'Z'] = CC_NAME, ['a' ... 'z'] = CC_NAME, ['_'] = CC_NAME,
    ['0' ... '9'] = CC_DIGIT, ['-'] = CC_MINUS,
    ['"'] = CC_QUOTE, ['.'] = CC_DOT,
    ['!'] = CC_PUNCT, ['$'] = CC_PUNCT, ['&'] = CC_PUNCT, ['('] = CC_PUNCT, [')'] = CC_PUNCT,
    [':'] = CC_PUNCT, ['='] = CC_PUNCT, ['@'] = CC_PUNCT, ['['] = CC_PUNCT, [']'] = CC_PUNCT,
    ['{'] = CC_PUNCT, ['|'] = CC_PUNCT, ['}'] = CC_PUNCT,
    [0xEF] = CC_BOM,
};

static const unsigned char punct_kind[128] = {
    ['!'] = GP_TOK_BANG, ['$'] = GP_TOK_DOLLAR, ['&'] = GP_TOK_AMP, ['('] = GP_TOK_PAREN_L,
    [')'] = GP_TOK_PAREN_R, [':'] = GP_TOK_COLON, ['='] = GP_TOK_EQUALS, ['@'] = GP_TOK_AT,
    ['['] = GP_TOK_BRACKET_L, [']'] = GP_TOK_BRACKET_R, ['{'] = GP_TOK_BRACE_L, ['|'] = GP_TOK_PIPE,
    ['}'] = GP_TOK_BRACE_R,
};

/* What \x stands for in a string, for the one-character escapes. */
static const char simple_escape[128] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

static const char *const kind_names[] = {
    [GP_TOK_EOF] = "<EOF>",      [GP_TOK_BANG] = "\"!\"",      [GP_TOK_DOLLAR] = "\"$\"",
    [GP_TOK_AMP] = "\"&\"",      [GP_TOK_PAREN_L] = "\"(\"",   [GP_TOK_PAREN_R] = "\")\"",
    [GP_TOK_SPREAD] = "\"...\"", [GP_TOK_COLON] = "\":\"",     [GP_TOK_EQUALS] = "\"=\"",
    [GP_TOK_AT] = "\"@\"",       [GP_TOK_BRACKET_L] = "\"[\"", [GP_TOK_BRACKET_R] = "\"]\"",
    [GP_TOK_BRACE_L] = "\"{\"",  [GP_TOK_PIPE] = "\"|\"",      [GP_TOK_BRACE_R] = "\"}\"",
    [GP_TOK_NAME] = "Name",      [GP_TOK_INT] = "Int",         [GP_TOK_FLOAT] = "Float",
    [GP_TOK_STRING] = "String",  [GP_TOK_BLOCK_STRING] = "BlockString",
    [GP_TOK_ERROR] = "<error>",
};

const char *gp_lex_kind_name(gp_tok_kind_t kind)
{
    return kind_names[kind];
}

void gp_lex_init(gp_lexer_t *lx, const char *src, size_t len, gp_errors_t *errs)
{
    memset(lx, 0, sizeof *lx);
    lx->src = src;
    lx->len = len;
    lx->errs = errs;
}

void gp_lex_fail(gp_lexer_t *lx, long offset, const char *fmt, ...)
{
    if (lx->failed)
        return;
    lx->failed = true;
    if (lx->errs == NULL) /* a scan that only needs to know whether it failed */
        return;
    va_list ap;
    va_start(ap, fmt);
    char *msg = gp_arena_vprintf(lx->errs->arena, fmt, ap);
    va_end(ap);
    gp_errors_add(lx->errs, GP_E_PARSE, offset, "Syntax Error: %s", msg);
}

/* The byte at `i`, or -1 past the end: every look-ahead goes through here. */
static inline int at(const gp_lexer_t *lx, size_t i)
{
    return i < lx->len ? (unsigned char)lx->src[i] : -1;
}

static inline bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

static inline bool is_name_start(int c)
{
    return c >= 0 && char_class[c] == CC_NAME;
}

static inline bool is_name_continue(int c)
{
    return c >= 0 && (char_class[c] == CC_NAME || char_class[c] == CC_DIGIT);
}

static inline bool is_triple_quote(const gp_lexer_t *lx, size_t i)
{
    return at(lx, i) == '"' && at(lx, i + 1) == '"' && at(lx, i + 2) == '"';
}

/* Length (1–4) of the UTF-8 character at `pos` with its code point in *cp, or 0 if
 * the bytes there are not one well-formed Unicode scalar value. */
static size_t utf8_decode(const gp_lexer_t *lx, size_t pos, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)lx->src + pos;
    size_t n, avail = lx->len - pos;
    uint32_t min;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    } else if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        n = 2, min = 0x80, *cp = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        n = 3, min = 0x800, *cp = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        n = 4, min = 0x10000, *cp = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3F);
    }
    if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
        return 0;
    return n;
}

/* Appends code point `cp` as UTF-8 at *out, unless out is NULL (checking only). */
static void put_utf8(char **out, uint32_t cp)
{
    if (out == NULL)
        return;
    unsigned char *w = (unsigned char *)*out;
    if (cp < 0x80) {
        *w++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *w++ = (unsigned char)(0xC0 | cp >> 6);
        *w++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *w++ = (unsigned char)(0xE0 | cp >> 12);
        *w++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *w++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *w++ = (unsigned char)(0xF0 | cp >> 18);
        *w++ = (unsigned char)(0x80 | (cp >> 12 & 0x3F));
        *w++ = (unsigned char)(0x80 | (cp >> 6 & 0x3F));
        *w++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    *out = (char *)w;
}

/* The byte offset just past `nchars` characters from `pos` (fewer at the end);
 * messages quote whole characters, never half of one. */
static size_t slice_end(const gp_lexer_t *lx, size_t pos, size_t nchars)
{
    uint32_t cp;
    for (size_t i = 0; i < nchars && pos < lx->len; i++) {
        size_t n = utf8_decode(lx, pos, &cp);
        pos += n != 0 ? n : 1;
    }
    return pos;
}

/* The character at `pos` as graphql-js's printCodePointAt() shows it: <EOF>,
 * "x" for printable ASCII, '"' for the quote, U+XXXX for the rest. */
static const char *describe_char(const gp_lexer_t *lx, size_t pos, char *buf, size_t size)
{
    uint32_t cp;
    if (pos >= lx->len)
        return "<EOF>";
    if (utf8_decode(lx, pos, &cp) == 0)
        snprintf(buf, size, "byte 0x%02X (invalid UTF-8)", (unsigned char)lx->src[pos]);
    else if (cp == '"')
        return "'\"'";
    else if (cp >= 0x20 && cp <= 0x7E)
        snprintf(buf, size, "\"%c\"", (char)cp);
    else
        snprintf(buf, size, "U+%04X", (unsigned)cp);
    return buf;
}

/* Reports `what` followed by the description of the character at `pos`. */
static void fail_at_char(gp_lexer_t *lx, size_t pos, const char *what)
{
    char buf[40];
    gp_lex_fail(lx, (long)pos, "%s%s.", what, describe_char(lx, pos, buf, sizeof buf));
}

static gp_token_t token(gp_lexer_t *lx, gp_tok_kind_t kind, size_t start, size_t end)
{
    lx->pos = end;
    return (gp_token_t){.kind = lx->failed ? GP_TOK_ERROR : kind, .start = start, .len = end - start};
}

static gp_token_t error_token(size_t pos)
{
    return (gp_token_t){.kind = GP_TOK_ERROR, .start = pos, .len = 0};
}

static gp_token_t bad_char(gp_lexer_t *lx, size_t pos)
{
    uint32_t cp;
    if (at(lx, pos) == '\'')
        gp_lex_fail(lx, (long)pos,
                    "Unexpected single quote character ('), did you mean to use a double quote (\")?");
    else if (utf8_decode(lx, pos, &cp) == 0)
        fail_at_char(lx, pos, "Invalid character: ");
    else
        fail_at_char(lx, pos, "Unexpected character: ");
    return error_token(pos);
}

static size_t skip_comment(const gp_lexer_t *lx, size_t pos)
{
    uint32_t cp;
    for (pos++; pos < lx->len && at(lx, pos) != '\n' && at(lx, pos) != '\r';) {
        size_t n = utf8_decode(lx, pos, &cp);
        if (n == 0)
            break; /* the next token reports the bad byte */
        pos += n;
    }
    return pos;
}

static gp_token_t read_name(gp_lexer_t *lx, size_t start)
{
    size_t end = start + 1;
    while (is_name_continue(at(lx, end)))
        end++;
    return token(lx, GP_TOK_NAME, start, end);
}

/* One or more digits at *pos, which moves past them. */
static bool read_digits(gp_lexer_t *lx, size_t *pos)
{
    if (!is_digit(at(lx, *pos))) {
        fail_at_char(lx, *pos, EXPECTED_DIGIT);
        return false;
    }
    while (is_digit(at(lx, *pos)))
        (*pos)++;
    return true;
}

static bool read_integer_part(gp_lexer_t *lx, size_t *pos)
{
    if (at(lx, *pos) == '-')
        (*pos)++;
    if (at(lx, *pos) != '0')
        return read_digits(lx, pos);
    (*pos)++;
    if (is_digit(at(lx, *pos))) {
        fail_at_char(lx, *pos, "Invalid number, unexpected digit after 0: ");
        return false;
    }
    return true;
}

static gp_token_t read_number(gp_lexer_t *lx, size_t start)
{
    size_t pos = start;
    bool is_float = false;
    if (!read_integer_part(lx, &pos))
        return error_token(pos);
    if (at(lx, pos) == '.') {
        is_float = true;
        pos++;
        if (!read_digits(lx, &pos))
            return error_token(pos);
    }
    if (at(lx, pos) == 'e' || at(lx, pos) == 'E') {
        is_float = true;
        pos++;
        if (at(lx, pos) == '+' || at(lx, pos) == '-')
            pos++;
        if (!read_digits(lx, &pos))
            return error_token(pos);
    }
    if (at(lx, pos) == '.' || is_name_start(at(lx, pos))) {
        fail_at_char(lx, pos, EXPECTED_DIGIT);
        return error_token(pos);
    }
    return token(lx, is_float ? GP_TOK_FLOAT : GP_TOK_INT, start, pos);
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at `pos` as a number, or -1. */
static long hex4(const gp_lexer_t *lx, size_t pos)
{
    long v = 0;
    for (size_t i = 0; i < 4; i++) {
        int h = hex_value(at(lx, pos + i));
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

static bool is_surrogate(long cp)
{
    return cp >= 0xD800 && cp <= 0xDFFF;
}

static size_t bad_unicode_escape(gp_lexer_t *lx, size_t pos, size_t nchars)
{
    size_t end = slice_end(lx, pos, nchars);
    gp_lex_fail(lx, (long)pos, "Invalid Unicode escape sequence: \"%.*s\".", (int)(end - pos), lx->src + pos);
    return 0;
}

/* \uXXXX at `pos`, or a JSON-style surrogate pair \uD83D\uDE00 that forms one
 * scalar value; a lone surrogate is an error. */
static size_t read_unicode_fixed(gp_lexer_t *lx, size_t pos, char **out)
{
    long cp = hex4(lx, pos + 2);
    size_t size = 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && at(lx, pos + 6) == '\\' && at(lx, pos + 7) == 'u') {
        long low = hex4(lx, pos + 8);
        if (low >= 0xDC00 && low <= 0xDFFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            size = 12;
        }
    }
    if (cp < 0 || is_surrogate(cp))
        return bad_unicode_escape(lx, pos, 6);
    put_utf8(out, (uint32_t)cp);
    return size;
}

/* \u{X…} at `pos`: one to eight hex digits naming a scalar value. Like graphql-js,
 * the message quotes the escape up to the character that made it invalid. */
static size_t read_unicode_braced(gp_lexer_t *lx, size_t pos, char **out)
{
    uint32_t cp = 0;
    size_t size = 3;
    while (size < 12) {
        int c = at(lx, pos + size++);
        if (c == '}') {
            if (size < 5 || cp > 0x10FFFF || is_surrogate(cp))
                break;
            put_utf8(out, cp);
            return size;
        }
        int h = hex_value(c);
        if (h < 0 || cp >= 0x8000000)
            break;
        cp = cp << 4 | (uint32_t)h;
    }
    return bad_unicode_escape(lx, pos, size);
}

/* The escape sequence at `pos` (a backslash): its bytes consumed, or 0 after an error.
 * Writes the character it stands for at *out unless out is NULL. */
static size_t read_escape(gp_lexer_t *lx, size_t pos, char **out)
{
    int c = at(lx, pos + 1);
    if (c == 'u')
        return at(lx, pos + 2) == '{' ? read_unicode_braced(lx, pos, out) : read_unicode_fixed(lx, pos, out);
    if (c >= 0 && c < 128 && simple_escape[c] != 0) {
        if (out != NULL)
            *(*out)++ = simple_escape[c];
        return 2;
    }
    size_t end = slice_end(lx, pos, 2);
    gp_lex_fail(lx, (long)pos, "Invalid character escape sequence: \"%.*s\".", (int)(end - pos), lx->src + pos);
    return 0;
}

/* One source character inside a string: its length, or 0 after an error. */
static size_t string_char(gp_lexer_t *lx, size_t pos)
{
    uint32_t cp;
    size_t n = utf8_decode(lx, pos, &cp);
    if (n == 0)
        fail_at_char(lx, pos, "Invalid character within String: ");
    return n;
}

static gp_token_t read_string(gp_lexer_t *lx, size_t start)
{
    size_t pos = start + 1;
    while (pos < lx->len) {
        int c = at(lx, pos);
        if (c == '"')
            return token(lx, GP_TOK_STRING, start, pos + 1);
        if (c == '\n' || c == '\r')
            break;
        size_t n = c == '\\' ? read_escape(lx, pos, NULL) : string_char(lx, pos);
        if (n == 0)
            return error_token(pos);
        pos += n;
    }
    gp_lex_fail(lx, (long)pos, UNTERMINATED_STRING);
    return error_token(pos);
}

static gp_token_t read_block_string(gp_lexer_t *lx, size_t start)
{
    size_t pos = start + 3;
    while (pos < lx->len) {
        if (is_triple_quote(lx, pos))
            return token(lx, GP_TOK_BLOCK_STRING, start, pos + 3);
        size_t n = at(lx, pos) == '\\' && is_triple_quote(lx, pos + 1) ? 4 : string_char(lx, pos);
        if (n == 0)
            return error_token(pos);
        pos += n;
    }
    gp_lex_fail(lx, (long)pos, UNTERMINATED_STRING);
    return error_token(pos);
}

static gp_token_t read_quoted(gp_lexer_t *lx, size_t start)
{
    return is_triple_quote(lx, start) ? read_block_string(lx, start) : read_string(lx, start);
}

gp_token_t gp_lex_next(gp_lexer_t *lx)
{
    for (;;) {
        size_t pos = lx->pos;
        int c = at(lx, pos);
        if (lx->failed)
            return error_token(pos);
        if (c < 0)
            return token(lx, GP_TOK_EOF, pos, pos);
        switch (char_class[c]) {
        case CC_SPACE:
            lx->pos++;
            continue;
        case CC_HASH:
            lx->pos = skip_comment(lx, pos);
            continue;
        case CC_BOM:
            if (at(lx, pos + 1) != 0xBB || at(lx, pos + 2) != 0xBF)
                return bad_char(lx, pos);
            lx->pos += 3;
            continue;
        case CC_PUNCT:
            return token(lx, punct_kind[c], pos, pos + 1);
        case CC_DOT:
            if (at(lx, pos + 1) != '.' || at(lx, pos + 2) != '.')
                return bad_char(lx, pos);
            return token(lx, GP_TOK_SPREAD, pos, pos + 3);
        case CC_NAME:
            return read_name(lx, pos);
        case CC_DIGIT:
        case CC_MINUS:
            return read_number(lx, pos);
        case CC_QUOTE:
            return read_quoted(lx, pos);
        default:
            return bad_char(lx, pos);
        }
    }
}

/* ---- decoding string tokens that gp_lex_next() already checked ---- */

static char *string_value(gp_lexer_t *lx, const gp_token_t *tok, char *w)
{
    size_t pos = tok->start + 1, stop = tok->start + tok->len - 1;
    while (pos < stop) {
        if (lx->src[pos] != '\\') {
            *w++ = lx->src[pos++];
            continue;
        }
        size_t n = read_escape(lx, pos, &w);
        if (n == 0)
            break; /* cannot happen: the token was checked */
        pos += n;
    }
    return w;
}

/* The raw block string between the quotes with \""" unescaped and every line
 * terminator (CRLF, CR, LF) turned into one LF. */
static char *block_string_raw(const gp_lexer_t *lx, const gp_token_t *tok, char *w)
{
    const char *s = lx->src;
    size_t pos = tok->start + 3, stop = tok->start + tok->len - 3;
    while (pos < stop) {
        if (s[pos] == '\\' && is_triple_quote(lx, pos + 1)) {
            memcpy(w, "\"\"\"", 3);
            w += 3;
            pos += 4;
        } else if (s[pos] == '\r') {
            *w++ = '\n';
            pos += s[pos + 1] == '\n' ? 2 : 1;
        } else {
            *w++ = s[pos++];
        }
    }
    return w;
}

static size_t leading_white_space(const char *line, const char *eol)
{
    const char *p = line;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    return (size_t)(p - line);
}

static char *end_of_line(char *line, char *end)
{
    char *eol = memchr(line, '\n', (size_t)(end - line));
    return eol != NULL ? eol : end;
}

typedef struct {
    size_t common_indent; /* over lines after the first that are not blank */
    long first, last;     /* the first and last lines that are not blank, or -1 */
} block_shape_t;

static block_shape_t block_shape(char *text, char *end)
{
    block_shape_t b = {.common_indent = SIZE_MAX, .first = -1, .last = -1};
    char *line = text;
    for (long i = 0;; i++) {
        char *eol = end_of_line(line, end);
        size_t indent = leading_white_space(line, eol);
        if (indent < (size_t)(eol - line)) {
            if (b.first < 0)
                b.first = i;
            b.last = i;
            if (i > 0 && indent < b.common_indent)
                b.common_indent = indent;
        }
        if (eol == end)
            return b;
        line = eol + 1;
    }
}

/* The spec's BlockStringValue(): removes the common indentation of every line but
 * the first, then blank lines at the start and the end. Works in place: each line
 * is written at or before where it was read. */
static char *dedent(char *text, char *end)
{
    block_shape_t b = block_shape(text, end);
    char *w = text, *line = text;
    for (long i = 0; i <= b.last; i++) {
        char *eol = end_of_line(line, end);
        size_t len = (size_t)(eol - line);
        size_t skip = i == 0 ? 0 : len < b.common_indent ? len : b.common_indent;
        if (i >= b.first) {
            if (i > b.first)
                *w++ = '\n';
            memmove(w, line + skip, len - skip);
            w += len - skip;
        }
        line = eol + 1;
    }
    return w;
}

char *gp_lex_string(gp_lexer_t *lx, gp_arena_t *a, const gp_token_t *tok, size_t *len)
{
    char *out = gp_arena_alloc(a, tok->len + 1); /* unescaping never lengthens */
    char *end;
    if (tok->kind == GP_TOK_BLOCK_STRING)
        end = dedent(out, block_string_raw(lx, tok, out));
    else
        end = string_value(lx, tok, out);
    *end = '\0';
    *len = (size_t)(end - out);
    return out;
}
