/* Unit tests for schema/types: the type system built from the blog and Pagila
 * fixtures — lookups, typeref spellings, the introspection types and built-in
 * directives of the spec, roles of root fields, and that every type used anywhere
 * is one of the schema's own. */
#include "schema/types.h"

#include "schema/names.h"

#include "tests/unit/schema/fixture.h"
#include "tests/unit/test.h"

typedef struct {
    gp_model_t *m;
    gp_schema_t *s;
    gp_arena_t *a;
} env_t;

static env_t env_open(const char *db)
{
    env_t e = {.m = fixture_model(db), .a = gp_arena_new(1 << 14)};
    e.s = gp_schema_build(e.m);
    return e;
}

static void env_close(env_t *e)
{
    gp_schema_free(e->s);
    gp_model_free(e->m);
    gp_arena_free(e->a);
}

/* The spelling of field `field` of type `type`, or "(none)". */
static const char *field_type(env_t *e, const char *type, const char *field)
{
    const gp_type_t *t = gp_schema_type(e->s, type);
    const gp_field_t *f = t ? gp_type_field(t, field) : NULL;
    return f ? gp_typeref_string(e->a, f->type) : "(none)";
}

static const char *arg_type(env_t *e, const char *type, const char *field, const char *arg)
{
    const gp_type_t *t = gp_schema_type(e->s, type);
    const gp_field_t *f = t ? gp_type_field(t, field) : NULL;
    const gp_input_value_t *v = f ? gp_field_arg(f, arg) : NULL;
    return v ? gp_typeref_string(e->a, v->type) : "(none)";
}

static const char *input_type(env_t *e, const char *type, const char *field)
{
    const gp_type_t *t = gp_schema_type(e->s, type);
    const gp_input_value_t *v = t ? gp_type_input_field(t, field) : NULL;
    return v ? gp_typeref_string(e->a, v->type) : "(none)";
}

static void test_sorted_and_unique(void)
{
    env_t e = env_open("pagila");
    for (int i = 1; i < e.s->ntypes; i++)
        CHECK(strcmp(e.s->types[i - 1].name, e.s->types[i].name) < 0);
    for (int i = 0; i < e.s->ntypes; i++) {
        const gp_type_t *t = &e.s->types[i];
        CHECK(gp_schema_type(e.s, t->name) == t);
        for (int k = 1; k < t->nfields; k++)
            CHECK(strcmp(t->fields[k - 1].name, t->fields[k].name) < 0);
        for (int k = 1; k < t->ninput_fields; k++)
            CHECK(strcmp(t->input_fields[k - 1].name, t->input_fields[k].name) < 0);
        for (int k = 0; k < t->nfields; k++)
            for (int j = 1; j < t->fields[k].nargs; j++)
                CHECK(strcmp(t->fields[k].args[j - 1].name, t->fields[k].args[j].name) < 0);
    }
    for (int i = 1; i < e.s->ndirectives; i++)
        CHECK(strcmp(e.s->directives[i - 1].name, e.s->directives[i].name) < 0);
    env_close(&e);
}

static void test_blog_lookups(void)
{
    env_t e = env_open("blog");
    const gp_type_t *users = gp_schema_type(e.s, "users");
    CHECK(users != NULL && users->kind == GP_KIND_OBJECT && users->table == gp_model_table(e.m, "users"));
    CHECK_STR(users ? users->description : NULL, "People who write posts and comments.");
    CHECK(gp_schema_type(e.s, "nope") == NULL);
    CHECK(gp_type_field(users, "nope") == NULL);
    CHECK(gp_type_field(users, "__typename") == NULL);
    CHECK_STR(field_type(&e, "users", "email"), "String!");
    CHECK_STR(gp_type_field(users, "email")->description, "Unique login address.");
    CHECK_STR(field_type(&e, "posts", "author"), "users!");
    CHECK_STR(field_type(&e, "posts", "editor"), "users");
    CHECK_STR(field_type(&e, "posts", "tags"), "[String!]!");
    CHECK_STR(field_type(&e, "users", "posts_by_author_id"), "[posts!]!");
    CHECK_STR(arg_type(&e, "users", "posts_by_author_id", "distinct_on"), "[posts_select_column!]");
    CHECK_STR(arg_type(&e, "users", "posts_by_author_id", "where"), "posts_bool_exp");
    CHECK_STR(field_type(&e, "users", "posts_by_author_id_aggregate"), "posts_aggregate!");
    CHECK_STR(arg_type(&e, "users_aggregate_fields", "count", "columns"), "[users_select_column!]");
    CHECK_STR(arg_type(&e, "users_aggregate_fields", "count", "distinct"), "Boolean");
    CHECK_STR(field_type(&e, "users_aggregate_fields", "count"), "Int!");
    CHECK_STR(field_type(&e, "users_sum_fields", "karma"), "bigint");
    CHECK_STR(field_type(&e, "users_avg_fields", "karma"), "Float");
    CHECK(gp_schema_type(e.s, "tags_sum_fields") == NULL); /* no numeric column */
    CHECK_STR(field_type(&e, "users_aggregate", "nodes"), "[users!]!");
    CHECK_STR(input_type(&e, "users_bool_exp", "_and"), "[users_bool_exp!]");
    CHECK_STR(input_type(&e, "users_bool_exp", "_not"), "users_bool_exp");
    CHECK_STR(input_type(&e, "users_bool_exp", "email"), "String_comparison_exp");
    CHECK_STR(input_type(&e, "posts_bool_exp", "tags"), "String_array_comparison_exp");
    CHECK_STR(input_type(&e, "posts_bool_exp", "author"), "users_bool_exp");
    CHECK_STR(input_type(&e, "posts_order_by", "author"), "users_order_by");
    CHECK_STR(input_type(&e, "String_comparison_exp", "_in"), "[String!]");
    CHECK_STR(input_type(&e, "String_comparison_exp", "_ilike"), "String");
    CHECK_STR(input_type(&e, "String_array_comparison_exp", "_contains"), "[String!]");
    CHECK_STR(input_type(&e, "String_array_comparison_exp", "_in"), "[[String!]!]");
    CHECK_STR(input_type(&e, "jsonb_comparison_exp", "_has_keys_any"), "[String!]");
    const gp_type_t *sel = gp_schema_type(e.s, "users_select_column");
    CHECK(sel != NULL && sel->kind == GP_KIND_ENUM && gp_type_enum_value(sel, "email") != NULL);
    CHECK(gp_type_enum_value(sel, "nope") == NULL);
    const gp_type_t *ob = gp_schema_type(e.s, "order_by");
    CHECK(ob != NULL && ob->nenum_values == 6 && strcmp(ob->enum_values[0].name, "asc") == 0);
    const gp_type_t *status = gp_schema_type(e.s, "post_status");
    CHECK(status != NULL && status->kind == GP_KIND_SCALAR && status->specified_by_url == NULL);
    const gp_field_t *author = gp_type_field(gp_schema_type(e.s, "posts"), "author");
    CHECK(author->role == GP_FIELD_OBJECT_REL && author->rel != NULL && strcmp(author->rel->name, "author") == 0);
    const gp_field_t *email = gp_type_field(users, "email");
    CHECK(email->role == GP_FIELD_COLUMN && email->column == gp_table_column(users->table, "email"));
    const gp_field_t *agg = gp_type_field(users, "posts_by_author_id_aggregate");
    CHECK(agg->role == GP_FIELD_ARRAY_REL_AGGREGATE && agg->rel == gp_table_relationship(users->table, "posts_by_author_id"));
    CHECK(gp_type_field(users, "posts_by_author_id")->role == GP_FIELD_ARRAY_REL);
    env_close(&e);
}

/* subscription_root: every query field (live queries) and T_stream for each table with a
 * column a cursor can follow. */
static void test_subscription_root(void)
{
    env_t e = env_open("blog");
    const gp_type_t *sub = e.s->subscription;
    CHECK(sub != NULL);
    for (int i = 0; i < e.s->query->nfields; i++) {
        const gp_field_t *q = &e.s->query->fields[i], *f = gp_type_field(sub, q->name);
        CHECK(f != NULL && f->role == q->role && f->table == q->table);
    }
    const gp_field_t *f = gp_type_field(sub, "users_stream");
    CHECK(f != NULL && f->role == GP_FIELD_ROOT_STREAM && f->table == gp_model_table(e.m, "users"));
    CHECK_STR(gp_typeref_string(e.a, f->type), "[users!]!");
    CHECK_STR(gp_typeref_string(e.a, gp_field_arg(f, "batch_size")->type), "Int!");
    CHECK_STR(gp_typeref_string(e.a, gp_field_arg(f, "cursor")->type), "[users_stream_cursor_input]!");
    CHECK_STR(gp_typeref_string(e.a, gp_field_arg(f, "where")->type), "users_bool_exp");
    const gp_type_t *v = gp_schema_type(e.s, "posts_stream_cursor_value_input");
    CHECK(v != NULL && gp_type_input_field(v, "id") != NULL && gp_type_input_field(v, "created_at") != NULL);
    CHECK(gp_type_input_field(v, "tags") == NULL); /* a list: no cursor */
    v = gp_schema_type(e.s, "Odd_Table_stream_cursor_value_input");
    CHECK(v != NULL && gp_type_input_field(v, "raw") == NULL && gp_type_input_field(v, "doc") != NULL); /* json does not sort */
    const gp_type_t *o = gp_schema_type(e.s, "cursor_ordering");
    CHECK(o != NULL && o->nenum_values == 2 && gp_type_enum_value(o, "ASC") && gp_type_enum_value(o, "DESC"));
    CHECK_INT(sub->nfields, e.s->query->nfields + e.m->ntables);
    env_close(&e);
}

static void test_query_root(void)
{
    env_t e = env_open("blog");
    const gp_type_t *q = e.s->query;
    CHECK(q != NULL && q == gp_schema_type(e.s, "query_root"));
    CHECK(e.s->mutation == gp_schema_type(e.s, "mutation_root"));
    CHECK(e.s->subscription == gp_schema_type(e.s, "subscription_root"));
    CHECK_INT(q->nfields, e.m->nroots);
    const gp_field_t *f = gp_type_field(q, "users");
    CHECK(f->role == GP_FIELD_ROOT_LIST && f->table == gp_model_table(e.m, "users"));
    CHECK_STR(gp_typeref_string(e.a, f->type), "[users!]!");
    CHECK_INT(f->nargs, 5);
    f = gp_type_field(q, "users_by_pk");
    CHECK(f->role == GP_FIELD_ROOT_BY_PK && f->table == gp_model_table(e.m, "users"));
    CHECK_STR(field_type(&e, "query_root", "users_by_pk"), "users");
    CHECK_STR(arg_type(&e, "query_root", "users_by_pk", "id"), "Int!");
    CHECK_STR(arg_type(&e, "query_root", "post_tags_by_pk", "tag_name"), "String!");
    f = gp_type_field(q, "users_aggregate");
    CHECK(f->role == GP_FIELD_ROOT_AGGREGATE);
    CHECK_STR(gp_typeref_string(e.a, f->type), "users_aggregate!");
    CHECK(gp_type_field(q, "published_posts_by_pk") == NULL);
    CHECK(gp_type_field(q, "__schema") == NULL); /* meta fields are implicit, as __typename */
    for (int i = 0; i < q->nfields; i++)
        CHECK(q->fields[i].table != NULL || q->fields[i].function != NULL);
    env_close(&e);
}

/* Functions (schema/README, Functions): roots for the ones that are no computed fields,
 * `args` required exactly when a parameter has no default, computed fields in the row,
 * filters and orderings; the skipped ones nowhere. */
static void test_functions(void)
{
    env_t e = env_open("blog");
    const gp_type_t *q = e.s->query;
    const gp_field_t *f = gp_type_field(q, "search_posts");
    CHECK(f != NULL && f->role == GP_FIELD_ROOT_FUNCTION && f->table == gp_model_table(e.m, "posts"));
    CHECK_STR(field_type(&e, "query_root", "search_posts"), "[posts!]!");
    CHECK_STR(arg_type(&e, "query_root", "search_posts", "args"), "search_posts_args!");
    CHECK_INT(f->nargs, 6);
    CHECK_STR(field_type(&e, "query_root", "search_posts_aggregate"), "posts_aggregate!");
    CHECK_STR(arg_type(&e, "query_root", "posts_in_status", "args"), "posts_in_status_args");
    CHECK_STR(field_type(&e, "query_root", "latest_post"), "posts");
    CHECK_INT(gp_type_field(q, "latest_post")->nargs, 0);
    CHECK(gp_type_field(q, "latest_post_aggregate") == NULL);
    CHECK_STR(field_type(&e, "query_root", "total_karma"), "bigint");
    CHECK_STR(arg_type(&e, "query_root", "user_count", "args"), "user_count_args");
    const gp_type_t *args = gp_schema_type(e.s, "posts_in_status_args");
    CHECK(args != NULL && args->kind == GP_KIND_INPUT_OBJECT && args->ninput_fields == 2);
    CHECK_STR(gp_typeref_string(e.a, gp_type_input_field(args, "wanted")->type), "post_status");
    CHECK_STR(gp_typeref_string(e.a, gp_type_input_field(gp_schema_type(e.s, "search_posts_args"), "q")->type),
              "String!");
    /* computed fields */
    CHECK(gp_type_field(q, "users_display_name") == NULL && gp_type_field(q, "users_recent_posts") == NULL);
    f = gp_type_field(gp_schema_type(e.s, "users"), "display_name");
    CHECK(f != NULL && f->role == GP_FIELD_COMPUTED && f->nargs == 0);
    CHECK_STR(field_type(&e, "users", "display_name"), "String");
    CHECK_STR(field_type(&e, "users", "recent_posts"), "[posts!]!");
    CHECK_STR(arg_type(&e, "users", "recent_posts", "args"), "users_recent_posts_args");
    CHECK_STR(arg_type(&e, "posts", "excerpt", "args"), "posts_excerpt_args!");
    CHECK(gp_type_input_field(gp_schema_type(e.s, "users_bool_exp"), "display_name") != NULL);
    CHECK(gp_type_input_field(gp_schema_type(e.s, "users_order_by"), "display_name") != NULL);
    CHECK(gp_type_input_field(gp_schema_type(e.s, "posts_order_by"), "comment_count") != NULL);
    CHECK(gp_type_input_field(gp_schema_type(e.s, "posts_bool_exp"), "excerpt") == NULL); /* len is required */
    CHECK(gp_type_input_field(gp_schema_type(e.s, "users_bool_exp"), "recent_posts") == NULL);
    /* skipped: volatile, overloaded, a set of scalars, a name a column has */
    CHECK(gp_type_field(q, "bump_karma") == NULL && gp_type_field(q, "karma_of") == NULL);
    CHECK(gp_type_field(q, "post_titles") == NULL);
    CHECK_STR(field_type(&e, "users", "email"), "String!");
    const gp_function_t *bump = NULL;
    for (int i = 0; i < e.m->nfunctions; i++)
        if (strcmp(e.m->functions[i].name, "bump_karma") == 0)
            bump = &e.m->functions[i];
    CHECK(bump != NULL && bump->volatility == GP_FN_VOLATILE && !bump->exposed && bump->nparams == 2);
    CHECK(bump != NULL && bump->mutation); /* mutation_root's instead (test_mutation_functions) */
    env_close(&e);

    e = env_open("pagila"); /* last_day and _group_concat have unnamed parameters; the rest are VOLATILE */
    CHECK(gp_type_field(e.s->query, "last_day") == NULL && gp_type_field(e.s->query, "film_in_stock") == NULL);
    CHECK(gp_type_field(e.s->query, "rewards_report") == NULL);
    int exposed = 0;
    for (int i = 0; i < e.m->nfunctions; i++)
        exposed += e.m->functions[i].exposed;
    CHECK_INT(exposed, 0);
    env_close(&e);
}

/* The names of an enum's values, joined by spaces. */
static const char *enum_values(env_t *e, const char *type)
{
    const gp_type_t *t = gp_schema_type(e->s, type);
    if (t == NULL || t->kind != GP_KIND_ENUM)
        return "(none)";
    const char *out = "";
    for (int i = 0; i < t->nenum_values; i++)
        out = gp_arena_printf(e->a, "%s%s%s", out, i ? " " : "", t->enum_values[i].name);
    return out;
}

/* The names of an input object's fields, joined by spaces. */
static const char *input_fields(env_t *e, const char *type)
{
    const gp_type_t *t = gp_schema_type(e->s, type);
    if (t == NULL || t->kind != GP_KIND_INPUT_OBJECT)
        return "(none)";
    const char *out = "";
    for (int i = 0; i < t->ninput_fields; i++)
        out = gp_arena_printf(e->a, "%s%s%s", out, i ? " " : "", t->input_fields[i].name);
    return out;
}

static const gp_field_t *mutation(env_t *e, const char *name)
{
    return e->s->mutation != NULL ? gp_type_field(e->s->mutation, name) : NULL;
}

/* Hasura's mutations on blog's tables (schema/README, Mutations): the fields with their
 * roles, tables and arguments, and the input types they take. */
static void test_mutations(void)
{
    env_t e = env_open("blog");
    const gp_table_t *users = gp_model_table(e.m, "users");
    const gp_type_t *mr = e.s->mutation;
    CHECK(mr != NULL && mr->kind == GP_KIND_OBJECT);
    CHECK_STR(mr ? mr->description : NULL, "mutation root");
    const gp_field_t *f = mutation(&e, "insert_users");
    CHECK(f != NULL && f->role == GP_FIELD_INSERT && f->table == users && f->nargs == 2);
    CHECK_STR(f ? f->description : NULL, "insert data into the table: \"users\"");
    CHECK_STR(field_type(&e, "mutation_root", "insert_users"), "users_mutation_response");
    CHECK_STR(arg_type(&e, "mutation_root", "insert_users", "objects"), "[users_insert_input!]!");
    CHECK_STR(arg_type(&e, "mutation_root", "insert_users", "on_conflict"), "users_on_conflict");
    f = mutation(&e, "insert_users_one");
    CHECK(f != NULL && f->role == GP_FIELD_INSERT_ONE && f->table == users);
    CHECK_STR(field_type(&e, "mutation_root", "insert_users_one"), "users");
    CHECK_STR(arg_type(&e, "mutation_root", "insert_users_one", "object"), "users_insert_input!");
    f = mutation(&e, "update_users");
    CHECK(f != NULL && f->role == GP_FIELD_UPDATE && f->table == users && f->nargs == 3); /* where, _set, _inc */
    CHECK_STR(arg_type(&e, "mutation_root", "update_users", "where"), "users_bool_exp!");
    CHECK_STR(arg_type(&e, "mutation_root", "update_users", "_set"), "users_set_input");
    CHECK_STR(arg_type(&e, "mutation_root", "update_users", "_inc"), "users_inc_input");
    CHECK_STR(arg_type(&e, "mutation_root", "update_users", "_append"), "(none)"); /* no jsonb column */
    f = mutation(&e, "update_users_by_pk");
    CHECK(f != NULL && f->role == GP_FIELD_UPDATE_BY_PK && f->table == users);
    CHECK_STR(arg_type(&e, "mutation_root", "update_users_by_pk", "pk_columns"), "users_pk_columns_input!");
    CHECK_STR(field_type(&e, "mutation_root", "update_users_by_pk"), "users");
    f = mutation(&e, "update_users_many");
    CHECK(f != NULL && f->role == GP_FIELD_UPDATE_MANY && f->table == users);
    CHECK_STR(field_type(&e, "mutation_root", "update_users_many"), "[users_mutation_response]");
    CHECK_STR(arg_type(&e, "mutation_root", "update_users_many", "updates"), "[users_updates!]!");
    CHECK_STR(input_fields(&e, "users_updates"), "_inc _set where");
    CHECK_STR(input_type(&e, "users_updates", "where"), "users_bool_exp!");
    f = mutation(&e, "delete_users");
    CHECK(f != NULL && f->role == GP_FIELD_DELETE && f->table == users);
    CHECK_STR(arg_type(&e, "mutation_root", "delete_users", "where"), "users_bool_exp!");
    f = mutation(&e, "delete_users_by_pk");
    CHECK(f != NULL && f->role == GP_FIELD_DELETE_BY_PK && f->table == users && f->nargs == 1);
    CHECK_STR(arg_type(&e, "mutation_root", "delete_users_by_pk", "id"), "Int!");
    CHECK_STR(arg_type(&e, "mutation_root", "delete_post_tags_by_pk", "tag_name"), "String!");
    /* the inputs */
    CHECK_STR(input_fields(&e, "users_insert_input"), "Odd_Table bio comments created_at email id karma name "
                                                      "posts_by_author_id posts_by_editor_id");
    CHECK_STR(input_type(&e, "users_insert_input", "email"), "String"); /* NOT NULL, still optional */
    CHECK_STR(input_type(&e, "users_insert_input", "posts_by_author_id"), "posts_arr_rel_insert_input");
    CHECK_STR(input_type(&e, "posts_insert_input", "author"), "users_obj_rel_insert_input");
    CHECK_STR(input_type(&e, "posts_insert_input", "tags"), "[String!]");
    CHECK_STR(input_type(&e, "users_obj_rel_insert_input", "data"), "users_insert_input!");
    CHECK_STR(input_type(&e, "users_obj_rel_insert_input", "on_conflict"), "users_on_conflict");
    CHECK_STR(input_type(&e, "posts_arr_rel_insert_input", "data"), "[posts_insert_input!]!");
    CHECK_STR(input_type(&e, "users_on_conflict", "constraint"), "users_constraint!");
    CHECK_STR(input_type(&e, "users_on_conflict", "update_columns"), "[users_update_column!]!");
    CHECK_STR(gp_type_input_field(gp_schema_type(e.s, "users_on_conflict"), "update_columns")->default_value, "[]");
    CHECK_STR(input_type(&e, "users_on_conflict", "where"), "users_bool_exp");
    CHECK_STR(enum_values(&e, "users_constraint"), "users_email_key users_pkey");
    const gp_type_t *cons = gp_schema_type(e.s, "users_constraint");
    CHECK_STR(gp_type_enum_value(cons, "users_email_key")->description,
              "unique or primary key constraint on columns \"email\"");
    CHECK_STR(enum_values(&e, "post_tags_constraint"), "post_tags_pkey");
    CHECK_STR(gp_type_enum_value(gp_schema_type(e.s, "post_tags_constraint"), "post_tags_pkey")->description,
              "unique or primary key constraint on columns \"post_id\", \"tag_name\"");
    CHECK_STR(enum_values(&e, "Odd_Table_constraint"), "Odd_Table_pkey"); /* "Odd Table_pkey", sanitized */
    CHECK_STR(enum_values(&e, "users_update_column"), "bio created_at email id karma name");
    CHECK_STR(input_fields(&e, "users_set_input"), "bio created_at email id karma name");
    CHECK_STR(input_fields(&e, "users_inc_input"), "id karma");
    CHECK_STR(input_type(&e, "users_inc_input", "karma"), "bigint");
    CHECK_STR(input_fields(&e, "posts_inc_input"), "author_id editor_id id rating");
    CHECK_STR(input_fields(&e, "tags_set_input"), "description name");
    CHECK(gp_schema_type(e.s, "tags_inc_input") == NULL); /* no number: no type, no _inc */
    CHECK_STR(arg_type(&e, "mutation_root", "update_tags", "_inc"), "(none)");
    CHECK(gp_schema_type(e.s, "users_append_input") == NULL);
    CHECK_STR(input_type(&e, "posts_append_input", "metadata"), "jsonb");
    CHECK_STR(input_type(&e, "posts_prepend_input", "metadata"), "jsonb");
    CHECK_STR(input_type(&e, "posts_delete_key_input", "metadata"), "String");
    CHECK_STR(input_type(&e, "posts_delete_elem_input", "metadata"), "Int");
    CHECK_STR(input_type(&e, "posts_delete_at_path_input", "metadata"), "[String!]");
    CHECK_STR(arg_type(&e, "mutation_root", "update_posts_by_pk", "_delete_at_path"), "posts_delete_at_path_input");
    CHECK_STR(input_fields(&e, "posts_updates"),
              "_append _delete_at_path _delete_elem _delete_key _inc _prepend _set where");
    CHECK_STR(input_fields(&e, "post_tags_pk_columns_input"), "post_id tag_name");
    CHECK_STR(input_type(&e, "post_tags_pk_columns_input", "tag_name"), "String!");
    /* the response */
    const gp_type_t *resp = gp_schema_type(e.s, "users_mutation_response");
    CHECK(resp != NULL && resp->kind == GP_KIND_OBJECT && resp->table == users && resp->nfields == 2);
    f = gp_type_field(resp, "affected_rows");
    CHECK(f != NULL && f->role == GP_FIELD_AFFECTED_ROWS && f->table == users);
    CHECK_STR(field_type(&e, "users_mutation_response", "affected_rows"), "Int!");
    f = gp_type_field(resp, "returning");
    CHECK(f != NULL && f->role == GP_FIELD_RETURNING && f->table == users);
    CHECK_STR(field_type(&e, "users_mutation_response", "returning"), "[users!]!");
    CHECK(gp_schema_type(e.s, "users_insert_input")->table == users);
    /* a view PostgreSQL writes through (published_posts is auto-updatable): no key, so no
     * _by_pk and no upsert */
    CHECK(mutation(&e, "insert_published_posts") != NULL && mutation(&e, "update_published_posts") != NULL);
    CHECK(mutation(&e, "delete_published_posts") != NULL);
    CHECK(mutation(&e, "update_published_posts_by_pk") == NULL && mutation(&e, "delete_published_posts_by_pk") == NULL);
    CHECK_STR(arg_type(&e, "mutation_root", "insert_published_posts", "on_conflict"), "(none)");
    CHECK(gp_schema_type(e.s, "published_posts_on_conflict") == NULL);
    CHECK(gp_schema_type(e.s, "published_posts_pk_columns_input") == NULL);
    /* every mutation_root field knows what it writes */
    for (int i = 0; mr && i < mr->nfields; i++) {
        const gp_field_t *m = &mr->fields[i];
        CHECK(m->role >= GP_FIELD_INSERT && m->role <= GP_FIELD_MUTATION_FUNCTION);
        CHECK(m->role == GP_FIELD_MUTATION_FUNCTION ? m->function != NULL : m->table != NULL);
    }
    env_close(&e);
}

/* Pagila: views PostgreSQL cannot write through and the materialized view have no
 * mutations; the partitioned table has all of them; VOLATILE functions are mutations. */
static void test_pagila_mutations(void)
{
    env_t e = env_open("pagila");
    static const char *const none[] = {"actor_info", "customer_list", "film_list", "sales_by_store", "rental_by_category"};
    for (int i = 0; i < 5; i++) {
        const gp_table_t *t = gp_model_table(e.m, none[i]);
        CHECK(t != NULL && !t->insertable && !t->updatable && !t->deletable);
        for (int k = 0; k < GP_MUTATION_KINDS; k++)
            CHECK(mutation(&e, gp_names_mutation(e.a, none[i], (gp_mutation_kind_t)k)) == NULL);
        CHECK(gp_schema_type(e.s, gp_arena_printf(e.a, "%s_insert_input", none[i])) == NULL);
        CHECK(gp_schema_type(e.s, gp_arena_printf(e.a, "%s_mutation_response", none[i])) == NULL);
    }
    CHECK(!gp_table_column(gp_model_table(e.m, "actor_info"), "first_name")->updatable);
    const gp_field_t *f = mutation(&e, "delete_payment_by_pk");
    CHECK(f != NULL && f->role == GP_FIELD_DELETE_BY_PK && f->nargs == 2);
    CHECK_STR(arg_type(&e, "mutation_root", "delete_payment_by_pk", "payment_date"), "timestamptz!");
    CHECK(mutation(&e, "insert_payment") != NULL && mutation(&e, "update_payment_many") != NULL);
    CHECK_STR(enum_values(&e, "payment_constraint"), "payment_pkey");
    CHECK_STR(input_type(&e, "payment_insert_input", "customer"), "customer_obj_rel_insert_input");
    CHECK_STR(input_type(&e, "customer_insert_input", "payment"), "payment_arr_rel_insert_input");
    /* VOLATILE functions, as query root functions would be: a set of rows takes the list
     * arguments (but has no _aggregate), a scalar is a scalar */
    f = mutation(&e, "rewards_report");
    CHECK(f != NULL && f->role == GP_FIELD_MUTATION_FUNCTION && f->function != NULL);
    CHECK(f != NULL && f->table == gp_model_table(e.m, "customer") && f->nargs == 6);
    CHECK_STR(field_type(&e, "mutation_root", "rewards_report"), "[customer!]!");
    CHECK_STR(arg_type(&e, "mutation_root", "rewards_report", "args"), "rewards_report_args!");
    CHECK_STR(arg_type(&e, "mutation_root", "rewards_report", "where"), "customer_bool_exp");
    CHECK(mutation(&e, "rewards_report_aggregate") == NULL);
    CHECK_STR(field_type(&e, "mutation_root", "get_customer_balance"), "numeric");
    CHECK(gp_type_field(e.s->query, "rewards_report") == NULL);
    CHECK(mutation(&e, "film_in_stock") == NULL); /* OUT parameters */
    CHECK(mutation(&e, "last_day") == NULL);      /* IMMUTABLE, unnamed parameters */
    env_close(&e);
}

/* bump_karma is VOLATILE: mutation_root's, not query_root's, with its args type once. */
static void test_mutation_functions(void)
{
    env_t e = env_open("blog");
    const gp_field_t *f = mutation(&e, "bump_karma");
    CHECK(f != NULL && f->role == GP_FIELD_MUTATION_FUNCTION && f->table == gp_model_table(e.m, "users"));
    CHECK(f != NULL && f->function != NULL && strcmp(f->function->name, "bump_karma") == 0 && f->function->mutation);
    CHECK_STR(field_type(&e, "mutation_root", "bump_karma"), "users");
    CHECK_STR(arg_type(&e, "mutation_root", "bump_karma", "args"), "bump_karma_args!");
    CHECK_STR(input_fields(&e, "bump_karma_args"), "by user_id");
    CHECK(gp_type_field(e.s->query, "bump_karma") == NULL);
    CHECK(mutation(&e, "search_posts") == NULL && mutation(&e, "total_karma") == NULL);
    env_close(&e);
}

/* What the catalog cannot show on blog or Pagila, from a hand-written catalog answer:
 * generated and identity columns, a view's columns it cannot write, a table with nothing
 * to update, constraint names that are no GraphQL names, and names that collide. */
static const char synthetic_catalog[] =
    "{\"tables\":["
    "{\"schema\":\"public\",\"name\":\"gen\",\"kind\":\"r\",\"columns\":["
    "{\"name\":\"id\",\"attnum\":1,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":true,\"identity\":\"a\"},"
    "{\"name\":\"total\",\"attnum\":2,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":false,\"generated\":\"s\"},"
    "{\"name\":\"name\",\"attnum\":3,\"type_schema\":\"pg_catalog\",\"type_name\":\"text\",\"is_array\":false,"
    "\"not_null\":false},"
    "{\"name\":\"doc\",\"attnum\":4,\"type_schema\":\"pg_catalog\",\"type_name\":\"jsonb\",\"is_array\":false,"
    "\"not_null\":false},"
    "{\"name\":\"docs\",\"attnum\":5,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":true,"
    "\"elem_schema\":\"pg_catalog\",\"elem_name\":\"jsonb\",\"not_null\":false},"
    "{\"name\":\"n\",\"attnum\":6,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":false,\"identity\":\"d\"}],"
    "\"primary_key\":[1],\"constraints\":[{\"name\":\"gen_pkey\",\"columns\":[1]},"
    "{\"name\":\"gen name key\",\"columns\":[3]},{\"name\":\"gen_name_key\",\"columns\":[3,4]},"
    "{\"name\":\"true\",\"columns\":[4]}],\"foreign_keys\":[]},"
    "{\"schema\":\"public\",\"name\":\"gen_many\",\"kind\":\"r\",\"columns\":["
    "{\"name\":\"a\",\"attnum\":1,\"type_schema\":\"pg_catalog\",\"type_name\":\"text\",\"is_array\":false,"
    "\"not_null\":false}],\"constraints\":[],\"foreign_keys\":[]},"
    "{\"schema\":\"public\",\"name\":\"log\",\"kind\":\"r\",\"updatable\":false,\"columns\":["
    "{\"name\":\"at\",\"attnum\":1,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":true}],\"primary_key\":[1],\"constraints\":[{\"name\":\"log_pkey\",\"columns\":[1]}],"
    "\"foreign_keys\":[]},"
    "{\"schema\":\"public\",\"name\":\"only_ids\",\"kind\":\"r\",\"columns\":["
    "{\"name\":\"id\",\"attnum\":1,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":true,\"identity\":\"a\"}],\"primary_key\":[1],"
    "\"constraints\":[{\"name\":\"only_ids_pkey\",\"columns\":[1]}],\"foreign_keys\":[]},"
    "{\"schema\":\"public\",\"name\":\"v\",\"kind\":\"v\",\"insertable\":true,\"updatable\":true,"
    "\"deletable\":false,\"columns\":["
    "{\"name\":\"a\",\"attnum\":1,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":false,\"insertable\":true,\"updatable\":true},"
    "{\"name\":\"b\",\"attnum\":2,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":false,\"insertable\":false,\"updatable\":false}],\"constraints\":[],\"foreign_keys\":[]},"
    "{\"schema\":\"public\",\"name\":\"mv\",\"kind\":\"m\",\"columns\":["
    "{\"name\":\"a\",\"attnum\":1,\"type_schema\":\"pg_catalog\",\"type_name\":\"int4\",\"is_array\":false,"
    "\"not_null\":false}],\"constraints\":[],\"foreign_keys\":[]}"
    "],\"enums\":[],\"domains\":[],\"functions\":["
    "{\"schema\":\"public\",\"name\":\"do_it\",\"volatility\":\"v\",\"returns_set\":false,\"defaults\":0,"
    "\"returns\":{\"schema\":\"pg_catalog\",\"name\":\"int4\",\"typtype\":\"b\",\"is_array\":false},"
    "\"params\":[]},"
    "{\"schema\":\"public\",\"name\":\"gen_touch\",\"volatility\":\"v\",\"returns_set\":false,\"defaults\":0,"
    "\"returns\":{\"schema\":\"pg_catalog\",\"name\":\"int4\",\"typtype\":\"b\",\"is_array\":false},"
    "\"params\":[{\"name\":\"g\",\"mode\":\"i\",\"type\":{\"schema\":\"public\",\"name\":\"gen\",\"typtype\":\"c\","
    "\"is_array\":false,\"relation_schema\":\"public\",\"relation\":\"gen\"}}]},"
    "{\"schema\":\"public\",\"name\":\"insert_gen\",\"volatility\":\"v\",\"returns_set\":false,\"defaults\":0,"
    "\"returns\":{\"schema\":\"pg_catalog\",\"name\":\"int4\",\"typtype\":\"b\",\"is_array\":false},"
    "\"params\":[]},"
    "{\"schema\":\"public\",\"name\":\"insert_mv\",\"volatility\":\"v\",\"returns_set\":false,\"defaults\":0,"
    "\"returns\":{\"schema\":\"pg_catalog\",\"name\":\"int4\",\"typtype\":\"b\",\"is_array\":false},"
    "\"params\":[]}"
    "]}";

static void test_mutation_edges(void)
{
    char err[256] = "";
    const char *schemas[] = {"public"};
    env_t e = {.m = gp_model_load(synthetic_catalog, strlen(synthetic_catalog), schemas, 1, err, sizeof err),
               .a = gp_arena_new(1 << 14)};
    CHECK_STR(err, "");
    if (e.m == NULL)
        return;
    e.s = gp_schema_build(e.m);
    const gp_table_t *gen = gp_model_table(e.m, "gen");
    /* identity ALWAYS and generated columns take no value; identity BY DEFAULT does */
    CHECK(!gp_table_column(gen, "id")->insertable && !gp_table_column(gen, "id")->updatable);
    CHECK(!gp_table_column(gen, "total")->insertable && !gp_table_column(gen, "total")->updatable);
    CHECK(gp_table_column(gen, "n")->insertable && gp_table_column(gen, "n")->updatable);
    CHECK_STR(input_fields(&e, "gen_insert_input"), "doc docs n name");
    CHECK_STR(input_fields(&e, "gen_set_input"), "doc docs n name");
    CHECK_STR(input_fields(&e, "gen_inc_input"), "n");
    CHECK_STR(input_fields(&e, "gen_append_input"), "doc"); /* not the jsonb[] column */
    CHECK_STR(enum_values(&e, "gen_update_column"), "doc docs n name");
    CHECK_STR(input_fields(&e, "gen_pk_columns_input"), "id");
    /* constraints: sanitized, the colliding one and `true` numbered; the primary key first */
    CHECK_STR(gen->constraints[0].gql_name, "gen_pkey");
    CHECK_STR(gen->constraints[1].gql_name, "gen_name_key_1");
    CHECK_STR(gen->constraints[2].gql_name, "gen_name_key");
    CHECK_STR(gen->constraints[3].gql_name, "true_1");
    CHECK(gp_table_constraint(gen, "gen_name_key_1") == &gen->constraints[1]);
    CHECK_STR(enum_values(&e, "gen_constraint"), "gen_name_key gen_name_key_1 gen_pkey true_1");
    /* nothing to update: no update_*, but upserts still name their columns */
    const gp_table_t *log = gp_model_table(e.m, "log");
    CHECK(log->insertable && !log->updatable && log->deletable);
    CHECK(mutation(&e, "insert_log") != NULL && mutation(&e, "update_log") == NULL);
    CHECK(mutation(&e, "update_log_by_pk") == NULL && mutation(&e, "update_log_many") == NULL);
    CHECK(gp_schema_type(e.s, "log_set_input") == NULL && gp_schema_type(e.s, "log_updates") == NULL);
    CHECK_STR(enum_values(&e, "log_update_column"), "_PLACEHOLDER");
    CHECK_STR(gp_schema_type(e.s, "log_update_column")->enum_values[0].description, "placeholder (do not use)");
    /* nothing to insert either: only deletes */
    const gp_table_t *ids = gp_model_table(e.m, "only_ids");
    CHECK(!ids->insertable && !ids->updatable && ids->deletable);
    CHECK(mutation(&e, "insert_only_ids") == NULL && mutation(&e, "delete_only_ids_by_pk") != NULL);
    CHECK(gp_schema_type(e.s, "only_ids_insert_input") == NULL && gp_schema_type(e.s, "only_ids_on_conflict") == NULL);
    CHECK(gp_schema_type(e.s, "only_ids_mutation_response") != NULL);
    /* a view writes only the columns it can; what it cannot do, it does not offer */
    CHECK_STR(input_fields(&e, "v_insert_input"), "a");
    CHECK_STR(input_fields(&e, "v_set_input"), "a");
    CHECK(mutation(&e, "delete_v") == NULL && mutation(&e, "update_v") != NULL);
    CHECK(mutation(&e, "insert_mv") != NULL && mutation(&e, "insert_mv")->role == GP_FIELD_MUTATION_FUNCTION);
    CHECK(gp_schema_type(e.s, "mv_mutation_response") == NULL);
    /* collisions: update_gen_many is gen's (its table comes first), the function insert_gen
     * loses to the table's field, and a VOLATILE gen_touch(gen) is no computed field */
    const gp_field_t *f = mutation(&e, "update_gen_many");
    CHECK(f != NULL && f->table == gen && f->role == GP_FIELD_UPDATE_MANY);
    f = mutation(&e, "insert_gen");
    CHECK(f != NULL && f->role == GP_FIELD_INSERT && f->table == gen);
    CHECK(mutation(&e, "gen_touch") == NULL && gp_type_field(gp_schema_type(e.s, "gen"), "touch") == NULL);
    CHECK_STR(field_type(&e, "mutation_root", "do_it"), "Int");
    CHECK_INT(mutation(&e, "do_it")->nargs, 0);
    const gp_type_t *mr = e.s->mutation;
    for (int i = 1; mr && i < mr->nfields; i++)
        CHECK(strcmp(mr->fields[i - 1].name, mr->fields[i].name) < 0);
    env_close(&e);
}

static void test_typeref_string(void)
{
    gp_arena_t *a = gp_arena_new(1024);
    gp_type_t int_type = {.kind = GP_KIND_SCALAR, .name = "Int"};
    gp_typeref_t named = {.kind = GP_REF_NAMED, .named = &int_type};
    gp_typeref_t nn = {.kind = GP_REF_NON_NULL, .of = &named};
    gp_typeref_t list = {.kind = GP_REF_LIST, .of = &nn};
    gp_typeref_t outer = {.kind = GP_REF_NON_NULL, .of = &list};
    CHECK_STR(gp_typeref_string(a, &named), "Int");
    CHECK_STR(gp_typeref_string(a, &nn), "Int!");
    CHECK_STR(gp_typeref_string(a, &list), "[Int!]");
    CHECK_STR(gp_typeref_string(a, &outer), "[Int!]!");
    CHECK(gp_typeref_named(&outer) == &int_type);
    gp_arena_free(a);
}

static void test_builtin_scalars(void)
{
    env_t e = env_open("blog");
    static const char *const names[] = {"Boolean", "Float", "ID", "Int", "String"};
    for (int i = 0; i < 5; i++) {
        const gp_type_t *t = gp_schema_type(e.s, names[i]);
        CHECK(t != NULL && t->kind == GP_KIND_SCALAR && t->description != NULL && t->specified_by_url == NULL);
        CHECK(t && gp_type_is_input(t) && gp_type_is_output(t) && gp_type_is_leaf(t) && !gp_type_is_composite(t));
    }
    const gp_type_t *cmp = gp_schema_type(e.s, "String_comparison_exp");
    CHECK(gp_type_is_input(cmp) && !gp_type_is_output(cmp) && !gp_type_is_leaf(cmp) && !cmp->is_one_of);
    env_close(&e);
}

static void test_introspection_types(void)
{
    env_t e = env_open("blog");
    static const struct {
        const char *type, *field, *spelling;
    } want[] = {
        {"__Schema", "description", "String"},         {"__Schema", "types", "[__Type!]!"},
        {"__Schema", "queryType", "__Type!"},          {"__Schema", "mutationType", "__Type"},
        {"__Schema", "subscriptionType", "__Type"},    {"__Schema", "directives", "[__Directive!]!"},
        {"__Type", "kind", "__TypeKind!"},             {"__Type", "name", "String"},
        {"__Type", "description", "String"},           {"__Type", "specifiedByURL", "String"},
        {"__Type", "fields", "[__Field!]"},            {"__Type", "interfaces", "[__Type!]"},
        {"__Type", "possibleTypes", "[__Type!]"},      {"__Type", "enumValues", "[__EnumValue!]"},
        {"__Type", "inputFields", "[__InputValue!]"},  {"__Type", "ofType", "__Type"},
        {"__Type", "isOneOf", "Boolean"},              {"__Field", "name", "String!"},
        {"__Field", "description", "String"},          {"__Field", "args", "[__InputValue!]!"},
        {"__Field", "type", "__Type!"},                {"__Field", "isDeprecated", "Boolean!"},
        {"__Field", "deprecationReason", "String"},    {"__InputValue", "name", "String!"},
        {"__InputValue", "description", "String"},     {"__InputValue", "type", "__Type!"},
        {"__InputValue", "defaultValue", "String"},    {"__InputValue", "isDeprecated", "Boolean!"},
        {"__InputValue", "deprecationReason", "String"}, {"__EnumValue", "name", "String!"},
        {"__EnumValue", "description", "String"},      {"__EnumValue", "isDeprecated", "Boolean!"},
        {"__EnumValue", "deprecationReason", "String"}, {"__Directive", "name", "String!"},
        {"__Directive", "description", "String"},      {"__Directive", "isRepeatable", "Boolean!"},
        {"__Directive", "locations", "[__DirectiveLocation!]!"},
        {"__Directive", "args", "[__InputValue!]!"},
    };
    int per_type[6] = {0};
    static const char *const objs[] = {"__Schema", "__Type", "__Field", "__InputValue", "__EnumValue", "__Directive"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        CHECK_STR(field_type(&e, want[i].type, want[i].field), want[i].spelling);
        for (int k = 0; k < 6; k++)
            per_type[k] += strcmp(objs[k], want[i].type) == 0;
    }
    for (int k = 0; k < 6; k++) { /* nothing more than the spec's fields */
        const gp_type_t *t = gp_schema_type(e.s, objs[k]);
        CHECK(t != NULL && t->kind == GP_KIND_OBJECT && t->nfields == per_type[k]);
        for (int i = 0; t && i < t->nfields; i++)
            CHECK(t->fields[i].role == GP_FIELD_META);
    }
    static const char *const with_deprecated[][2] = {
        {"__Type", "fields"}, {"__Type", "enumValues"}, {"__Type", "inputFields"}, {"__Field", "args"}, {"__Directive", "args"}};
    for (int i = 0; i < 5; i++) {
        const gp_field_t *f = gp_type_field(gp_schema_type(e.s, with_deprecated[i][0]), with_deprecated[i][1]);
        const gp_input_value_t *v = gp_field_arg(f, "includeDeprecated");
        CHECK(f->nargs == 1 && v != NULL && strcmp(v->default_value, "false") == 0);
        CHECK_STR(gp_typeref_string(e.a, v->type), "Boolean");
    }
    const gp_type_t *kind = gp_schema_type(e.s, "__TypeKind");
    CHECK(kind->kind == GP_KIND_ENUM && kind->nenum_values == 8);
    CHECK_STR(kind->enum_values[0].name, "SCALAR");
    CHECK_STR(kind->enum_values[7].name, "NON_NULL");
    const gp_type_t *loc = gp_schema_type(e.s, "__DirectiveLocation");
    CHECK(loc->kind == GP_KIND_ENUM && loc->nenum_values == 19);
    CHECK_STR(loc->enum_values[0].name, "QUERY");
    CHECK_STR(loc->enum_values[7].name, "VARIABLE_DEFINITION");
    CHECK_STR(loc->enum_values[18].name, "INPUT_FIELD_DEFINITION");
    env_close(&e);
}

static void test_directives(void)
{
    env_t e = env_open("blog");
    CHECK_INT(e.s->ndirectives, 5);
    const gp_directive_def_t *skip = gp_schema_directive(e.s, "skip");
    const gp_directive_def_t *include = gp_schema_directive(e.s, "include");
    unsigned exec = GP_LOC_FIELD | GP_LOC_FRAGMENT_SPREAD | GP_LOC_INLINE_FRAGMENT;
    CHECK(skip && skip->locations == exec && !skip->is_repeatable && skip->nargs == 1);
    CHECK(include && include->locations == exec && include->nargs == 1);
    CHECK_STR(gp_typeref_string(e.a, gp_directive_arg(skip, "if")->type), "Boolean!");
    CHECK_STR(gp_typeref_string(e.a, gp_directive_arg(include, "if")->type), "Boolean!");
    const gp_directive_def_t *dep = gp_schema_directive(e.s, "deprecated");
    CHECK(dep && dep->locations == (GP_LOC_FIELD_DEFINITION | GP_LOC_ARGUMENT_DEFINITION |
                                    GP_LOC_INPUT_FIELD_DEFINITION | GP_LOC_ENUM_VALUE));
    CHECK_STR(gp_typeref_string(e.a, gp_directive_arg(dep, "reason")->type), "String");
    CHECK_STR(gp_directive_arg(dep, "reason")->default_value, "\"No longer supported\"");
    const gp_directive_def_t *by = gp_schema_directive(e.s, "specifiedBy");
    CHECK(by && by->locations == GP_LOC_SCALAR);
    CHECK_STR(gp_typeref_string(e.a, gp_directive_arg(by, "url")->type), "String!");
    const gp_directive_def_t *one = gp_schema_directive(e.s, "oneOf");
    CHECK(one && one->locations == GP_LOC_INPUT_OBJECT && one->nargs == 0);
    CHECK(gp_schema_directive(e.s, "nope") == NULL);
    CHECK(gp_directive_arg(skip, "nope") == NULL);
    env_close(&e);
}

static int check_ref(const gp_schema_t *s, const gp_typeref_t *r, bool input)
{
    const gp_type_t *t = gp_typeref_named(r);
    int bad = t == NULL || gp_schema_type(s, t->name) != t || (input ? !gp_type_is_input(t) : !gp_type_is_output(t));
    if (bad)
        fprintf(stderr, "bad type reference to %s\n", t ? t->name : "(null)");
    return bad;
}

/* Every type used by a field, argument or input field is the schema's own, of the
 * right sort (input or output). */
static void walk_all(const char *db)
{
    env_t e = env_open(db);
    const gp_schema_t *s = e.s;
    int bad = 0, refs = 0;
    for (int i = 0; i < s->ntypes; i++) {
        const gp_type_t *t = &s->types[i];
        CHECK((t->kind == GP_KIND_OBJECT) == (t->nfields > 0));
        CHECK((t->kind == GP_KIND_INPUT_OBJECT) == (t->ninput_fields > 0));
        CHECK((t->kind == GP_KIND_ENUM) == (t->nenum_values > 0));
        for (int k = 0; k < t->nfields; k++) {
            const gp_field_t *f = &t->fields[k];
            bad += check_ref(s, f->type, false), refs++;
            for (int j = 0; j < f->nargs; j++)
                bad += check_ref(s, f->args[j].type, true), refs++;
            if (f->role == GP_FIELD_COLUMN)
                CHECK(f->column != NULL && f->table != NULL);
            if (f->role == GP_FIELD_OBJECT_REL || f->role == GP_FIELD_ARRAY_REL ||
                f->role == GP_FIELD_ARRAY_REL_AGGREGATE)
                CHECK(f->rel != NULL && f->table != NULL);
            CHECK((f->role == GP_FIELD_META) == (strncmp(t->name, "__", 2) == 0));
        }
        for (int k = 0; k < t->ninput_fields; k++)
            bad += check_ref(s, t->input_fields[k].type, true), refs++;
    }
    for (int i = 0; i < s->ndirectives; i++)
        for (int j = 0; j < s->directives[i].nargs; j++)
            bad += check_ref(s, s->directives[i].args[j].type, true), refs++;
    CHECK_INT(bad, 0);
    CHECK(refs > 100);
    env_close(&e);
}

static void test_walk_blog(void)
{
    walk_all("blog");
}

static void test_walk_pagila(void)
{
    walk_all("pagila");
    env_t e = env_open("pagila");
    CHECK_STR(field_type(&e, "film", "rating"), "mpaa_rating");
    CHECK_STR(arg_type(&e, "query_root", "film_category_by_pk", "category_id"), "Int!");
    CHECK_STR(field_type(&e, "query_root", "payment_by_pk"), "payment");
    CHECK(gp_schema_type(e.s, "mpaa_rating_comparison_exp") != NULL);
    env_close(&e);
}

/* The one list of aggregate functions: sorted for its lookup, and each one that a table
 * can take has its T_<fn>_fields type and a field of T_aggregate_fields. */
static void test_aggregate_functions(void)
{
    for (int i = 1; i < gp_naggregate_fns; i++)
        CHECK(strcmp(gp_aggregate_fns[i - 1].name, gp_aggregate_fns[i].name) < 0);
    for (int i = 0; i < gp_naggregate_fns; i++)
        CHECK(gp_aggregate_fn(gp_aggregate_fns[i].name) == &gp_aggregate_fns[i]);
    CHECK(gp_aggregate_fn("count") == NULL && gp_aggregate_fn("nodes") == NULL && gp_aggregate_fn("") == NULL);
    CHECK(gp_aggregate_fn("sum")->takes == GP_AGG_NUMERIC && !gp_aggregate_fn("sum")->as_float);
    CHECK(gp_aggregate_fn("max")->takes == GP_AGG_MINMAX && gp_aggregate_fn("avg")->as_float);
    env_t e = env_open("blog");
    for (int i = 0; i < gp_naggregate_fns; i++) {
        const char *fn = gp_aggregate_fns[i].name;
        char type[64];
        snprintf(type, sizeof type, "users_%s_fields", fn);
        CHECK(gp_schema_type(e.s, type) != NULL);
        CHECK_STR(field_type(&e, "users_aggregate_fields", fn), type);
    }
    CHECK_STR(field_type(&e, "users_avg_fields", "karma"), "Float");
    CHECK_STR(field_type(&e, "users_sum_fields", "karma"), "bigint");
    env_close(&e);
}

TEST_MAIN(test_sorted_and_unique, test_blog_lookups, test_query_root, test_subscription_root, test_functions, test_mutations,
          test_pagila_mutations, test_mutation_functions, test_mutation_edges, test_typeref_string, test_builtin_scalars,
          test_introspection_types, test_directives, test_walk_blog, test_walk_pagila, test_aggregate_functions)
