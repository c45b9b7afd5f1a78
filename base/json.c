/* base/json.c */
#include "json.h"

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
