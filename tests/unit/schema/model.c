/* Unit tests for schema/catalog (gp_model_load) and schema/model lookups, on the
 * saved catalog answers of the blog and Pagila databases. */
#include "schema/model.h"

#include "schema/catalog.h"
#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

static const gp_table_t *table(const gp_model_t *m, const char *name)
{
    const gp_table_t *t = gp_model_table(m, name);
    if (t == NULL)
        fprintf(stderr, "no table %s\n", name);
    return t;
}

static void test_pagila_composite_pk(void)
{
    gp_model_t *m = fixture_model("pagila");
    const gp_table_t *t = table(m, "film_actor");
    CHECK(t != NULL);
    if (t != NULL) {
        CHECK_INT(t->npk, 2);
        CHECK_STR(t->columns[t->pk[0]].name, "actor_id");
        CHECK_STR(t->columns[t->pk[1]].name, "film_id");
        CHECK_STR(t->sql_name, "\"public\".\"film_actor\"");
        CHECK_INT(t->kind, GP_TABLE_ORDINARY);
    }
    const gp_root_field_t *r = gp_model_root(m, "film_actor_by_pk");
    CHECK(r != NULL && r->kind == GP_ROOT_BY_PK && r->table == t);
    gp_model_free(m);
}

static void test_pagila_partitions_hidden_behind_their_parent(void)
{
    gp_model_t *m = fixture_model("pagila");
    const gp_table_t *t = table(m, "payment");
    CHECK(t != NULL && t->kind == GP_TABLE_PARTITIONED);
    if (t != NULL) {
        CHECK_INT(t->npk, 2); /* (payment_date, payment_id), in key order */
        CHECK_STR(t->columns[t->pk[0]].name, "payment_date");
        CHECK_STR(t->columns[t->pk[1]].name, "payment_id");
        /* Its FKs live on six of its seven partitions: the parent gets them, partial. */
        CHECK_INT(t->nrels, 3);
        for (int i = 0; i < t->nrels; i++)
            CHECK(t->rels[i].kind == GP_REL_OBJECT && t->rels[i].fkey->partial);
    }
    const gp_table_t *customer = table(m, "customer");
    CHECK(customer != NULL && customer->nrels > 0 && !customer->rels[0].fkey->partial);
    CHECK(gp_model_table(m, "payment_p2022_01") == NULL);
    CHECK(gp_model_root(m, "payment_p2022_01") == NULL);
    gp_model_free(m);
}

static void test_pagila_types(void)
{
    gp_model_t *m = fixture_model("pagila");
    const gp_table_t *film = table(m, "film");
    if (film == NULL)
        return;
    const gp_column_t *c = gp_table_column(film, "rating");
    CHECK(c != NULL && c->nullable && c->has_default && !c->is_array);
    CHECK_STR(c->sql_type, "\"public\".\"mpaa_rating\"");
    CHECK_STR(c->gql_type, "mpaa_rating");
    CHECK_STR(c->pg_type, "mpaa_rating");
    c = gp_table_column(film, "release_year");
    CHECK_STR(c->gql_type, "year");
    CHECK_STR(c->sql_type, "\"public\".\"year\"");
    c = gp_table_column(film, "special_features");
    CHECK(c->is_array && c->nullable);
    CHECK_STR(c->gql_type, "String");
    CHECK_STR(c->sql_type, "\"pg_catalog\".\"text\"[]");
    CHECK_STR(c->pg_type, "text[]");
    c = gp_table_column(film, "film_id");
    CHECK(!c->nullable && c->has_default);
    CHECK_STR(c->gql_type, "Int");
    CHECK_STR(c->sql_type, "\"pg_catalog\".\"int4\"");
    CHECK_STR(c->pg_type, "integer");
    CHECK_STR(c->default_expr, "nextval('film_film_id_seq'::regclass)");
    CHECK_STR(gp_table_column(film, "fulltext")->gql_type, "tsvector");
    CHECK_STR(gp_table_column(film, "rental_rate")->gql_type, "numeric");
    CHECK_STR(gp_table_column(film, "length")->gql_type, "Int"); /* smallint */
    CHECK_STR(gp_table_column(film, "last_update")->gql_type, "timestamptz");
    CHECK(gp_table_column(film, "title")->comment == NULL);
    CHECK(gp_table_column(film, "no_such_column") == NULL);
    const gp_table_t *staff = table(m, "staff");
    CHECK_STR(gp_table_column(staff, "picture")->gql_type, "bytea");
    CHECK_STR(gp_table_column(staff, "active")->gql_type, "Boolean");

    CHECK_INT(m->nenums, 1);
    CHECK_STR(m->enums[0].name, "mpaa_rating");
    CHECK_INT(m->enums[0].nvalues, 5);
    CHECK_STR(m->enums[0].values[2], "PG-13");
    CHECK_STR(m->enums[0].values[4], "NC-17");
    const gp_domain_t *year = NULL;
    for (int i = 0; i < m->ndomains; i++)
        if (strcmp(m->domains[i].name, "year") == 0)
            year = &m->domains[i];
    CHECK(year != NULL && !year->not_null);
    if (year != NULL) {
        CHECK_STR(year->base_pg_type, "integer");
        CHECK_STR(year->gql_name, "year");
    }
    gp_model_free(m);
}

static void test_pagila_views(void)
{
    gp_model_t *m = fixture_model("pagila");
    const gp_table_t *v = table(m, "actor_info");
    CHECK(v != NULL && v->kind == GP_TABLE_VIEW && v->npk == 0);
    CHECK(gp_model_root(m, "actor_info") != NULL);
    CHECK(gp_model_root(m, "actor_info_aggregate") != NULL);
    CHECK(gp_model_root(m, "actor_info_by_pk") == NULL);
    const gp_table_t *mv = table(m, "rental_by_category");
    CHECK(mv != NULL && mv->kind == GP_TABLE_MATVIEW);
    CHECK(gp_table_column(mv, "total_sales") != NULL && gp_table_column(mv, "total_sales")->nullable);
    int views = 0;
    for (int i = 0; i < m->ntables; i++)
        views += m->tables[i].kind == GP_TABLE_VIEW;
    CHECK_INT(views, 7);
    gp_model_free(m);
}

static void test_pagila_relationships(void)
{
    gp_model_t *m = fixture_model("pagila");
    const gp_table_t *film = table(m, "film");
    const gp_relationship_t *r = gp_table_relationship(film, "language");
    CHECK(r != NULL && r->kind == GP_REL_OBJECT);
    CHECK(r != NULL && strcmp(r->target->gql_name, "language") == 0);
    r = gp_table_relationship(film, "original_language");
    CHECK(r != NULL && r->kind == GP_REL_OBJECT);
    CHECK(gp_table_relationship(film, "film_actor") != NULL);
    const gp_table_t *lang = table(m, "language");
    CHECK(gp_table_relationship(lang, "film_by_language_id") != NULL);
    CHECK(gp_table_relationship(lang, "film_by_original_language_id") != NULL);
    CHECK(gp_table_relationship(lang, "film") == NULL);
    gp_model_free(m);
}

static void test_sorted(void)
{
    gp_model_t *m = fixture_model("pagila");
    for (int i = 1; i < m->ntables; i++)
        CHECK(strcmp(m->tables[i - 1].gql_name, m->tables[i].gql_name) < 0);
    for (int i = 1; i < m->nroots; i++)
        CHECK(strcmp(m->roots[i - 1].name, m->roots[i].name) < 0);
    CHECK_INT(m->ntables, 23); /* 15 tables, 7 views, 1 materialized view */
    CHECK_INT(m->nroots, 23 * 2 + 15); /* every table has a primary key */
    gp_model_free(m);
}

static void test_blog(void)
{
    gp_model_t *m = fixture_model("blog");
    const gp_table_t *users = table(m, "users");
    CHECK_STR(users->comment, "People who write posts and comments.");
    CHECK_STR(gp_table_column(users, "email")->comment, "Unique login address.");
    CHECK_INT(users->nconstraints, 2); /* the primary key first */
    CHECK_STR(users->constraints[0].name, "users_pkey");
    CHECK_STR(users->columns[users->constraints[0].cols[0]].name, "id");
    CHECK_STR(users->constraints[1].gql_name, "users_email_key");
    CHECK_STR(users->columns[users->constraints[1].cols[0]].name, "email");
    CHECK(gp_table_constraint(users, "users_email_key") == &users->constraints[1]);
    CHECK(gp_table_constraint(users, "nope") == NULL);
    CHECK_STR(gp_table_column(users, "karma")->gql_type, "bigint");
    const gp_table_t *posts = table(m, "posts");
    CHECK_STR(gp_table_column(posts, "status")->gql_type, "post_status");
    CHECK_STR(gp_table_column(posts, "metadata")->gql_type, "jsonb");
    CHECK_STR(gp_table_column(posts, "rating")->pg_type, "numeric");
    CHECK_INT(m->nfkeys, 7);
    const gp_table_t *odd = table(m, "Odd_Table");
    CHECK_STR(odd->name, "Odd Table");
    CHECK_STR(gp_table_column(odd, "Weird_Name")->name, "Weird Name");
    CHECK_STR(gp_table_column(odd, "weird_name_1")->name, "weird name");
    CHECK_STR(gp_table_column(odd, "weird_name")->name, "weird_name");
    CHECK_STR(gp_table_column(odd, "_typename")->name, "__typename");
    CHECK(gp_table_column(odd, "__typename") == NULL);
    CHECK(gp_table_relationship(odd, "user") != NULL);
    gp_model_free(m);
}

static void test_bad_json(void)
{
    char err[128] = "";
    const char *schemas[] = {"public"};
    CHECK(gp_model_load("{", 1, schemas, 1, err, sizeof err) == NULL);
    CHECK(strncmp(err, "catalog JSON:", 13) == 0);
    const char *doc = "{\"tables\": 3, \"enums\": [], \"domains\": []}";
    CHECK(gp_model_load(doc, strlen(doc), schemas, 1, err, sizeof err) == NULL);
    CHECK_STR(err, "catalog JSON: \"tables\" is not an array");
    doc = "{\"tables\": [], \"enums\": [], \"domains\": []}";
    gp_model_t *m = gp_model_load(doc, strlen(doc), schemas, 1, err, sizeof err);
    CHECK(m != NULL && m->ntables == 0 && gp_model_table(m, "x") == NULL && gp_model_root(m, "x") == NULL);
    gp_model_free(m);
}

/* other.users and public.other_users are both other_users in GraphQL: the default
 * schema's table is kept, whichever order the catalog lists them in. */
static void test_name_clash_keeps_default_schema(void)
{
    const char *docs[] = {
        "{\"tables\":[{\"schema\":\"other\",\"name\":\"users\",\"kind\":\"r\",\"columns\":[],\"constraints\":[],"
        "\"foreign_keys\":[]},{\"schema\":\"public\",\"name\":\"other_users\",\"kind\":\"v\",\"columns\":[],"
        "\"constraints\":[],\"foreign_keys\":[]}],\"enums\":[],\"domains\":[]}",
        "{\"tables\":[{\"schema\":\"public\",\"name\":\"other_users\",\"kind\":\"v\",\"columns\":[],"
        "\"constraints\":[],\"foreign_keys\":[]},{\"schema\":\"other\",\"name\":\"users\",\"kind\":\"r\",\"columns\":[],"
        "\"constraints\":[],\"foreign_keys\":[]}],\"enums\":[],\"domains\":[]}",
    };
    const char *schemas[] = {"public", "other"};
    for (int i = 0; i < 2; i++) {
        char err[128] = "";
        gp_model_t *m = gp_model_load(docs[i], strlen(docs[i]), schemas, 2, err, sizeof err);
        CHECK(m != NULL);
        if (m == NULL)
            continue;
        CHECK_INT(m->ntables, 1);
        CHECK_STR(m->tables[0].schema, "public");
        CHECK_STR(m->tables[0].sql_name, "\"public\".\"other_users\"");
        gp_model_free(m);
    }
}

TEST_MAIN(test_name_clash_keeps_default_schema, test_pagila_composite_pk, test_pagila_partitions_hidden_behind_their_parent, test_pagila_types, test_pagila_views,
          test_pagila_relationships, test_sorted, test_blog, test_bad_json)
