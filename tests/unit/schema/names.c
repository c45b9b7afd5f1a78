/* Unit tests for schema/names: GraphQL names of tables, roots and relationships.
 * Each case is a tiny catalog written as text, loaded through gp_model_load, and
 * the relationship names every table ends up with. */
#include "schema/names.h"

#include <stdlib.h>

#include "base/strbuf.h"
#include "schema/catalog.h"
#include "tests/unit/test.h"

/* "schema.table(col,col,...)" and foreign keys "schema.table(a,b)>schema.table(x,y)". */
typedef struct {
    const char *what;
    const char *tables[6];
    const char *fkeys[6];
    const char *expect[6]; /* "table: rel rel ...", relationships in name order */
} name_case_t;

static const name_case_t cases[] = {
    {"one FK per parent: column minus _id, and the child's name",
     {"public.users(id,name)", "public.comments(id,user_id)"},
     {"public.comments(user_id)>public.users(id)"},
     {"comments: user", "users: comments"}},
    {"two FKs to the same table: the array side gets _by_<columns> on both",
     {"public.users(id)", "public.posts(id,author_id,editor_id)"},
     {"public.posts(author_id)>public.users(id)", "public.posts(editor_id)>public.users(id)"},
     {"posts: author editor", "users: posts_by_author_id posts_by_editor_id"}},
    {"a column not ending in _id: the referenced table's name",
     {"public.tags(name)", "public.post_tags(post_id,tag_name)"},
     {"public.post_tags(tag_name)>public.tags(name)"},
     {"post_tags: tags", "tags: post_tags"}},
    {"composite FK: the referenced table's name",
     {"public.orders(id,no)", "public.lines(order_id,order_no)"},
     {"public.lines(order_id,order_no)>public.orders(id,no)"},
     {"lines: orders", "orders: lines"}},
    {"a relationship named like a column gets _by_<columns>",
     {"public.users(id)", "public.posts(id,author,author_id)"},
     {"public.posts(author_id)>public.users(id)"},
     {"posts: author_by_author_id", "users: posts"}},
    {"two FKs from one table without _id: both object relationships get _by_",
     {"public.cities(name)", "public.routes(src,dst)"},
     {"public.routes(src)>public.cities(name)", "public.routes(dst)>public.cities(name)"},
     {"cities: routes_by_dst routes_by_src", "routes: cities_by_dst cities_by_src"}},
    {"self reference through an _id column",
     {"public.staff(id,manager_id)"},
     {"public.staff(manager_id)>public.staff(id)"},
     {"staff: manager staff"}},
    {"self reference without _id: object and array collide twice, then get numbered",
     {"public.staff(id,boss)"},
     {"public.staff(boss)>public.staff(id)"},
     {"staff: staff_by_boss_1 staff_by_boss_2"}},
    {"a column named just _id keeps the table name",
     {"public.users(id)", "public.posts(id,_id)"},
     {"public.posts(_id)>public.users(id)"},
     {"posts: users", "users: posts"}},
    {"a sanitized FK column: the relationship comes from its GraphQL name",
     {"public.users(id)", "public.posts(id,author-id)"},
     {"public.posts(author-id)>public.users(id)"},
     {"posts: author", "users: posts"}},
    {"a relationship named like a sanitized column gets _by_<GraphQL columns>",
     {"public.users(id)", "public.posts(id,auth or,auth-or_id)"},
     {"public.posts(auth-or_id)>public.users(id)"},
     {"posts: auth_or_by_auth_or_id", "users: posts"}},
    {"a table name that needs sanitizing; its array relationship follows",
     {"public.users(id)", "public.Odd Table(id,user_id)"},
     {"public.Odd Table(user_id)>public.users(id)"},
     {"Odd_Table: user", "users: Odd_Table"}},
    {"tables outside the default schema are prefixed; FKs to hidden schemas vanish",
     {"public.users(id)", "audit.events(id,user_id,actor_id)"},
     {"audit.events(user_id)>public.users(id)", "audit.events(actor_id)>private.people(id)"},
     {"audit_events: user", "users: audit_events"}},
};

static void put_table(gp_strbuf_t *sb, const char *spec)
{
    const char *dot = strchr(spec, '.'), *paren = strchr(spec, '(');
    gp_strbuf_printf(sb, "{\"schema\":\"%.*s\",\"name\":\"%.*s\",\"kind\":\"r\",\"columns\":[", (int)(dot - spec),
                     spec, (int)(paren - dot - 1), dot + 1);
    int attnum = 0;
    for (const char *p = paren + 1; *p && *p != ')';) {
        size_t n = strcspn(p, ",)");
        gp_strbuf_printf(sb, "%s{\"name\":\"%.*s\",\"attnum\":%d,\"type_schema\":\"pg_catalog\","
                             "\"type_name\":\"int4\",\"is_array\":false,\"not_null\":true}",
                         attnum ? "," : "", (int)n, p, attnum + 1);
        attnum++;
        p += n + (p[n] == ',');
    }
    gp_strbuf_lit(sb, "],\"primary_key\":[1],\"constraints\":[],\"foreign_keys\":[");
}

/* Attnum of `col` in the table spec "schema.table(a,b,...)". */
static int attnum_of(const char *table_spec, const char *col, size_t len)
{
    const char *p = strchr(table_spec, '(') + 1;
    for (int i = 1; *p && *p != ')'; i++) {
        size_t n = strcspn(p, ",)");
        if (n == len && strncmp(p, col, n) == 0)
            return i;
        p += n + (p[n] == ',');
    }
    return 0; /* a column of a table not in the case: only for hidden targets */
}

static const char *spec_of(const name_case_t *c, const char *name, size_t len)
{
    for (int i = 0; c->tables[i]; i++)
        if (strncmp(c->tables[i], name, len) == 0 && c->tables[i][len] == '(')
            return c->tables[i];
    return "x()";
}

static void put_attnums(gp_strbuf_t *sb, const char *table_spec, const char *cols)
{
    gp_strbuf_putc(sb, '[');
    for (const char *p = cols; *p && *p != ')';) {
        size_t n = strcspn(p, ",)");
        int at = attnum_of(table_spec, p, n);
        gp_strbuf_printf(sb, "%s%d", p == cols ? "" : ",", at ? at : 1);
        p += n + (p[n] == ',');
    }
    gp_strbuf_putc(sb, ']');
}

static void put_fkeys(gp_strbuf_t *sb, const name_case_t *c, const char *table_spec, bool reverse)
{
    size_t prefix = (size_t)(strchr(table_spec, '(') - table_spec);
    int n = 0, first = 1;
    while (c->fkeys[n])
        n++;
    for (int k = 0; k < n; k++) {
        const char *fk = c->fkeys[reverse ? n - 1 - k : k];
        if (strncmp(fk, table_spec, prefix + 1) != 0)
            continue;
        const char *to = strchr(fk, '>') + 1, *dot = strchr(to, '.'), *paren = strchr(to, '(');
        gp_strbuf_printf(sb, "%s{\"name\":\"fk%d\",\"ref_schema\":\"%.*s\",\"ref_table\":\"%.*s\",\"columns\":",
                         first ? "" : ",", reverse ? n - 1 - k : k, (int)(dot - to), to, (int)(paren - dot - 1),
                         dot + 1);
        put_attnums(sb, table_spec, fk + prefix + 1);
        gp_strbuf_lit(sb, ",\"ref_columns\":");
        put_attnums(sb, spec_of(c, to, (size_t)(paren - to)), paren + 1);
        gp_strbuf_putc(sb, '}');
        first = 0;
    }
}

static gp_model_t *load_case(gp_arena_t *a, const name_case_t *c, bool reverse)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 1 << 16);
    gp_strbuf_lit(&sb, "{\"tables\":[");
    int n = 0;
    while (c->tables[n])
        n++;
    for (int k = 0; k < n; k++) {
        const char *spec = c->tables[reverse ? n - 1 - k : k];
        if (k > 0)
            gp_strbuf_putc(&sb, ',');
        put_table(&sb, spec);
        put_fkeys(&sb, c, spec, reverse);
        gp_strbuf_lit(&sb, "]}");
    }
    gp_strbuf_lit(&sb, "],\"enums\":[],\"domains\":[]}");
    const char *schemas[] = {"public", "audit"};
    char err[200] = "";
    gp_model_t *m = gp_model_load(sb.data, sb.len, schemas, 2, err, sizeof err);
    if (m == NULL)
        fprintf(stderr, "%s: %s\n%s\n", c->what, err, sb.data);
    return m;
}

static const char *describe(gp_arena_t *a, const gp_table_t *t)
{
    gp_strbuf_t sb;
    gp_strbuf_init(&sb, a, 4096);
    gp_strbuf_printf(&sb, "%s:", t->gql_name);
    for (int i = 0; i < t->nrels; i++)
        gp_strbuf_printf(&sb, " %s", t->rels[i].name);
    return sb.data;
}

static void test_relationship_names(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const name_case_t *c = &cases[i];
        for (int reverse = 0; reverse < 2; reverse++) {
            gp_arena_t *a = gp_arena_new(4096);
            gp_model_t *m = load_case(a, c, reverse);
            CHECK(m != NULL);
            if (m == NULL) {
                gp_arena_free(a);
                continue;
            }
            for (int k = 0; c->expect[k]; k++) {
                size_t len = strcspn(c->expect[k], ":");
                const char *name = gp_arena_strndup(a, c->expect[k], len);
                const gp_table_t *t = gp_model_table(m, name);
                CHECK(t != NULL);
                if (t != NULL)
                    CHECK_STR(describe(a, t), c->expect[k]);
            }
            gp_model_free(m);
            gp_arena_free(a);
        }
    }
}

static void test_relationship_joins(void)
{
    gp_arena_t *a = gp_arena_new(4096);
    gp_model_t *m = load_case(a, &cases[3], false);
    const gp_table_t *lines = gp_model_table(m, "lines"), *orders = gp_model_table(m, "orders");
    const gp_relationship_t *r = gp_table_relationship(lines, "orders");
    CHECK(r != NULL && r->kind == GP_REL_OBJECT && r->target == orders && r->ncols == 2);
    CHECK_STR(lines->columns[r->local_cols[1]].name, "order_no");
    CHECK_STR(orders->columns[r->remote_cols[1]].name, "no");
    r = gp_table_relationship(orders, "lines");
    CHECK(r != NULL && r->kind == GP_REL_ARRAY && r->target == lines);
    CHECK_STR(orders->columns[r->local_cols[0]].name, "id");
    CHECK_STR(lines->columns[r->remote_cols[0]].name, "order_id");
    gp_model_free(m);
    gp_arena_free(a);
}

static void test_table_and_root_names(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    CHECK_STR(gp_names_table(a, "public", "users", "public"), "users");
    CHECK_STR(gp_names_table(a, "other", "users", "public"), "other_users");
    CHECK_STR(gp_names_type(a, "pg_catalog", "timestamptz", "public"), "timestamptz");
    CHECK_STR(gp_names_type(a, "other", "mood", "public"), "other_mood");
    CHECK_STR(gp_names_root(a, "users", GP_ROOT_LIST), "users");
    CHECK_STR(gp_names_root(a, "users", GP_ROOT_BY_PK), "users_by_pk");
    CHECK_STR(gp_names_root(a, "users", GP_ROOT_AGGREGATE), "users_aggregate");
    CHECK_STR(gp_names_sanitize(a, "b\xc4\xb1g\xc4\xb1nt"), "b__g__nt");
    CHECK_STR(gp_names_sanitize(a, "2fa codes"), "_2fa_codes");
    CHECK_STR(gp_names_sanitize(a, ""), "_");
    CHECK(gp_names_is_valid("_ok9"));
    CHECK(!gp_names_is_valid("9no"));
    CHECK(!gp_names_is_valid("no-dash"));
    /* GraphQL reserves names starting with __: a leading run of _ is cut to one. */
    CHECK(!gp_names_is_valid("__typename"));
    CHECK_STR(gp_names_sanitize(a, "__typename"), "_typename");
    CHECK_STR(gp_names_sanitize(a, "___x"), "_x");
    CHECK_STR(gp_names_sanitize(a, "__"), "_");
    CHECK_STR(gp_names_sanitize(a, " -x"), "_x");
    CHECK_STR(gp_names_sanitize(a, "__2fa"), "_2fa");
    CHECK_STR(gp_names_sanitize(a, "a__b"), "a__b");
    CHECK_STR(gp_names_sanitize(a, "_x"), "_x");
    gp_arena_free(a);
}

/* Columns: valid names stay; sanitized ones that collide get _1, _2, … in byte order
 * of their PostgreSQL names, skipping names some column has; whatever the column order. */
static void test_column_names(void)
{
    static const char *const cols = "id,Weird Name,weird name,weird_name,weird_name_1,x.y,x y,2fa,__typename,dash-ed,"
                                    "true";
    static const char *const want[] = {"id",  "Weird_Name", "weird_name_2", "weird_name", "weird_name_1", "x_y_2",
                                       "x_y_1", "_2fa",     "_typename",    "dash_ed",    "true"};
    static const char *const rcols = "true,dash-ed,__typename,2fa,x y,x.y,weird_name_1,weird_name,weird name,"
                                     "Weird Name,id";
    gp_arena_t *a = gp_arena_new(4096);
    for (int reverse = 0; reverse < 2; reverse++) {
        name_case_t c = {"columns", {gp_arena_printf(a, "public.t(%s)", reverse ? rcols : cols)}, {NULL}, {NULL}};
        gp_model_t *m = load_case(a, &c, false);
        CHECK(m != NULL);
        if (m == NULL)
            continue;
        const gp_table_t *t = gp_model_table(m, "t");
        int n = (int)(sizeof want / sizeof *want);
        CHECK_INT(t->ncolumns, n);
        for (int i = 0; i < n && i < t->ncolumns; i++)
            CHECK_STR(t->columns[reverse ? n - 1 - i : i].gql_name, want[i]);
        CHECK_STR(gp_table_column(t, "weird_name_2")->name, "weird name");
        CHECK(gp_table_column(t, "weird name") == NULL); /* lookups are by GraphQL name */
        gp_model_free(m);
    }
    gp_arena_free(a);
}

/* Two tables with one GraphQL name: the one that needed no sanitizing keeps it. */
static void test_table_collision(void)
{
    gp_arena_t *a = gp_arena_new(4096);
    for (int reverse = 0; reverse < 2; reverse++) {
        name_case_t c = {"tables", {"public.odd table(id)", "public.odd_table(id,x)"}, {NULL}, {NULL}};
        gp_model_t *m = load_case(a, &c, reverse);
        CHECK(m != NULL);
        if (m == NULL)
            continue;
        CHECK_INT(m->ntables, 1);
        CHECK_STR(m->tables[0].name, "odd_table");
        CHECK(!gp_names_table_renamed(m, &m->tables[0]));
        gp_model_free(m);
    }
    gp_arena_free(a);
}

TEST_MAIN(test_relationship_names, test_relationship_joins, test_table_and_root_names, test_column_names,
          test_table_collision)
