/* resolvers/mutation.c — a mutation operation → its writes, then one statement that
 * reads them back. Each write is a statement of its own, with one data-modifying CTE:
 *
 *   WITH _w1 AS (INSERT INTO "public"."users" AS _t1 ("name", "email")
 *                VALUES ($1::text, $2::text) RETURNING _t1.*)
 *   SELECT set_config('graphpost.w0', json_build_object('n', (SELECT count(*) FROM _w1),
 *                     'rows', <its rows as JSON, when something reads them>)::text, true)
 *
 * and the last statement builds `data` from those settings:
 *
 *   SELECT json_build_object('insert_users', json_build_object('affected_rows', …,
 *     'returning', (SELECT … FROM json_populate_recordset(NULL::"public"."users",
 *                   current_setting('graphpost.w0')::json->'rows') AS _t3)))
 *
 * All of them run as one transaction (db/pool.c), root fields in document order. A
 * data-modifying CTE's outer query reads the snapshot from before the statement, so
 * relationships under `returning` are read by a later statement, which sees every
 * write; the written rows travel to it in a setting local to the transaction. A field
 * followed by others that write is answered by a statement of its own right after its
 * writes (kept in graphpost.a<i>), as Hasura answers each field in turn.
 *
 * Root fields write once (update_T_many: once per update), except inserts with
 * relationships, which take the steps Hasura takes, each a statement that sees the
 * ones before it: an object's parents, the object, its children. */
#include "resolvers/mutation.h"

#include <string.h>

#include "resolvers/filter.h"
#include "resolvers/select.h"
#include "resolvers/values.h"
#include "schema/pgtype.h"

#define MAX_FILLS 16 /* object relationships of one inserted row, plus its parent's key */

/* The statements written so far: write i keeps what it wrote in graphpost.w<i>. */
typedef struct {
    gp_plan_write_t *items;
    int n, cap;
} writes_t;

/* One write statement, its CTE _w1. */
typedef struct {
    gp_compile_t *c;
    bool keep_rows;         /* something reads the rows (returning, a row itself, a child's key) */
} write_t;

/* Starts the next write statement in c->sql. */
static void begin_write(gp_compile_t *c, write_t *w, bool keep_rows)
{
    gp_sql_init(&c->sql, c->arena);
    *w = (write_t){.c = c, .keep_rows = keep_rows};
    gp_sql_raw(&c->sql, "WITH _w1 AS (");
}

/* "<verb> "schema"."t" AS _tN": the target of an INSERT, UPDATE or DELETE. */
static void write_target(gp_compile_t *c, const char *verb, const gp_table_t *t, int alias)
{
    gp_sql_raw(&c->sql, verb);
    gp_sql_raw(&c->sql, t->sql_name);
    gp_sql_raw(&c->sql, " AS ");
    gp_sql_alias(&c->sql, alias);
}

/* Closes the CTE, which returns the rows it wrote: " RETURNING _tN.*)". */
static void close_returning(gp_compile_t *c, int alias)
{
    gp_sql_raw(&c->sql, " RETURNING ");
    gp_sql_alias(&c->sql, alias);
    gp_sql_raw(&c->sql, ".*)");
}

/* Ends the statement: SELECT set_config('graphpost.wK', {"n": <rows written>, "rows":
 * <them, or [] when nothing reads them>}, true), K being the number the write gets. */
static void remember(write_t *w, int index)
{
    gp_compile_t *c = w->c;
    gp_strbuf_printf(&c->sql.text,
                     " SELECT set_config('graphpost.w%d', json_build_object('n', (SELECT count(*) FROM _w1), 'rows', %s)"
                     "::text, true)",
                     index, w->keep_rows ? "(SELECT coalesce(json_agg(_w1), '[]') FROM _w1)" : "'[]'::json");
}

/* Makes c->sql the next write: its text and parameters become writes->items[n]. */
static int end_write(gp_compile_t *c, writes_t *writes, const char *key, long at)
{
    if (gp_sql_failed(&c->sql))
        return gp_compile_fail_kind(c, GP_E_TOO_COMPLEX, at, "The mutation compiles to too large a statement.");
    if (writes->n == writes->cap) {
        int cap = writes->cap ? 2 * writes->cap : 4;
        gp_plan_write_t *grown = gp_arena_alloc(c->arena, sizeof *grown * (size_t)cap);
        if (writes->n > 0)
            memcpy(grown, writes->items, sizeof *grown * (size_t)writes->n);
        writes->items = grown;
        writes->cap = cap;
    }
    writes->items[writes->n++] = (gp_plan_write_t){c->sql.text.data, {c->sql.nparams, c->sql.params}, key};
    return 0;
}

/* $n::type for a value of `col`; an SQL NULL for null. */
static void column_value(gp_compile_t *c, const gp_column_t *col, const json_t *v)
{
    if (json_is_null(v)) {
        gp_sql_raw(&c->sql, "NULL");
        return;
    }
    bool json = gp_pgtype_is_json(col->gql_type);
    gp_values_param(c, v, col->is_array ? (json ? GP_PARAM_JSONS : GP_PARAM_ARRAY) : json ? GP_PARAM_JSON : GP_PARAM_TEXT,
                    col->sql_type);
}

/* ---- insert ---- */

/* A growing list of write numbers. */
typedef struct {
    int *items;
    int n, cap;
} ints_t;

static void ints_add(gp_arena_t *arena, ints_t *l, int v)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        int *grown = gp_arena_alloc(arena, sizeof *grown * (size_t)cap);
        if (l->n > 0)
            memcpy(grown, l->items, sizeof *grown * (size_t)l->n);
        l->items = grown;
        l->cap = cap;
    }
    l->items[l->n++] = v;
}

/* An insert field's steps. */
typedef struct {
    gp_compile_t *c;
    writes_t *writes;
    const char *key;        /* the root field's response key */
    long at;
    bool keep_rows;         /* the answer reads the rows the field inserts */
    ints_t steps;           /* the writes that insert, in order */
    ints_t roots;           /* those of them inserting the field's own objects */
} insert_t;

/* Columns of the rows a step inserts that take their value from a row an earlier step
 * wrote: an array relationship's children take their parent's key, a row takes the key
 * of the parent its object relationship inserted first. */
typedef struct {
    int write;              /* the step whose setting holds that row */
    const gp_table_t *from; /* its table */
    int ncols;
    const int *cols;        /* columns of the rows being inserted */
    const int *from_cols;   /* pairwise: the columns of `from` they take */
} fill_t;

static const fill_t *fill_of(const fill_t *fills, int nfills, int col, int *k)
{
    for (int i = 0; i < nfills; i++)
        for (int j = 0; j < fills[i].ncols; j++)
            if (fills[i].cols[j] == col) {
                *k = j;
                return &fills[i];
            }
    return NULL;
}

/* (SELECT "col" FROM json_populate_record(NULL::"s"."t", <the row step K wrote>)) */
static void fill_value(gp_compile_t *c, const fill_t *f, int k)
{
    gp_sql_raw(&c->sql, "(SELECT ");
    gp_sql_ident(&c->sql, f->from->columns[f->from_cols[k]].name);
    gp_sql_raw(&c->sql, " FROM json_populate_record(NULL::");
    gp_sql_raw(&c->sql, f->from->sql_name);
    gp_strbuf_printf(&c->sql.text, ", current_setting('graphpost.w%d')::json->'rows'->0))", f->write);
}

/* A key of an insert input object that is a relationship, not a column. */
static bool has_relationships(const gp_table_t *t, const json_t *objects)
{
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)o, key, v)
            if (gp_table_column(t, key) == NULL)
                return true;
    }
    return false;
}

/* ON CONFLICT ON CONSTRAINT … DO NOTHING, or DO UPDATE SET c = EXCLUDED.c … WHERE … */
static int write_on_conflict(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *oc, long at)
{
    const json_t *name = json_object_get(oc, "constraint");
    const gp_unique_t *u = json_is_string(name) ? gp_table_constraint(t, json_string_value(name)) : NULL;
    if (u == NULL)
        return gp_compile_unreachable(c, at, "a constraint of \"%s\" in on_conflict", t->gql_name);
    gp_sql_raw(&c->sql, " ON CONFLICT ON CONSTRAINT ");
    gp_sql_ident(&c->sql, u->name);
    const json_t *columns = json_object_get(oc, "update_columns");
    if (json_array_size(columns) == 0) { /* absent, [] or null: keep the row there is */
        gp_sql_raw(&c->sql, " DO NOTHING");
        return 0;
    }
    gp_sql_raw(&c->sql, " DO UPDATE SET ");
    size_t i;
    json_t *item;
    json_array_foreach(columns, i, item) {
        const gp_column_t *col = json_is_string(item) ? gp_table_column(t, json_string_value(item)) : NULL;
        if (col == NULL || !col->updatable)
            return gp_compile_fail(c, at, "Expected an updatable column of \"%s\" in update_columns.", t->gql_name);
        gp_sql_raw(&c->sql, i > 0 ? ", " : "");
        gp_sql_ident(&c->sql, col->name);
        gp_sql_raw(&c->sql, " = EXCLUDED.");
        gp_sql_ident(&c->sql, col->name);
    }
    const json_t *where = json_object_get(oc, "where");
    if (where != NULL && !json_is_null(where)) {
        gp_sql_raw(&c->sql, " WHERE ");
        return gp_filter_where(c, t, alias, where, at);
    }
    return 0;
}

/* The CTE inserting `objects` (their columns only) into `t`, with `fills` filling the
 * keys that come from earlier steps. A column no object gives takes its default. */
static int insert_cte(gp_compile_t *c, const gp_table_t *t, const json_t *objects, const json_t *on_conflict, long at,
                      const fill_t *fills, int nfills)
{
    bool *used = gp_arena_calloc(c->arena, sizeof(bool) * (size_t)(t->ncolumns > 0 ? t->ncolumns : 1));
    int nused = 0;
    for (int i = 0; i < t->ncolumns; i++) {
        int k;
        const gp_column_t *col = &t->columns[i];
        bool given = false;
        size_t j;
        json_t *o;
        json_array_foreach(objects, j, o) {
            given = given || json_object_get(o, col->gql_name) != NULL;
        }
        if (given && fill_of(fills, nfills, i, &k) != NULL)
            return gp_compile_fail(c, at, "\"%s\" of \"%s\" is set by its relationship; leave it out of the object.",
                                   col->gql_name, t->gql_name);
        used[i] = given || fill_of(fills, nfills, i, &k) != NULL;
        nused += used[i];
    }
    if (nused == 0 && t->ncolumns > 0)
        used[0] = true; /* every row all defaults: VALUES (DEFAULT), (DEFAULT) … */
    int alias = ++c->next_alias;
    write_target(c, "INSERT INTO ", t, alias);
    gp_sql_raw(&c->sql, " (");
    for (int i = 0, n = 0; i < t->ncolumns; i++) {
        if (!used[i])
            continue;
        gp_sql_raw(&c->sql, n++ ? ", " : "");
        gp_sql_ident(&c->sql, t->columns[i].name);
    }
    gp_sql_raw(&c->sql, ") VALUES ");
    size_t j;
    json_t *o;
    json_array_foreach(objects, j, o) {
        gp_sql_raw(&c->sql, j > 0 ? ", (" : "(");
        for (int i = 0, n = 0; i < t->ncolumns; i++) {
            if (!used[i])
                continue;
            gp_sql_raw(&c->sql, n++ ? ", " : "");
            int k;
            const fill_t *f = fill_of(fills, nfills, i, &k);
            const json_t *v = json_object_get(o, t->columns[i].gql_name);
            if (f != NULL)
                fill_value(c, f, k);
            else if (v != NULL)
                column_value(c, &t->columns[i], v);
            else
                gp_sql_raw(&c->sql, "DEFAULT");
        }
        gp_sql_raw(&c->sql, ")");
    }
    if (on_conflict != NULL && !json_is_null(on_conflict) && write_on_conflict(c, t, alias, on_conflict, at) != 0)
        return -1;
    close_returning(c, alias);
    return 0;
}

/* One step: a statement inserting `objects` into `t`. `root`: they are the field's own
 * objects; `parent`: later steps take keys from its row. Returns its write number, or
 * -1 with an error added. */
static int insert_step(insert_t *ins, const gp_table_t *t, const json_t *objects, const json_t *on_conflict,
                       const fill_t *fills, int nfills, bool root, bool parent)
{
    gp_compile_t *c = ins->c;
    write_t w;
    begin_write(c, &w, parent || (root && ins->keep_rows));
    if (insert_cte(c, t, objects, on_conflict, ins->at, fills, nfills) != 0)
        return -1;
    int index = ins->writes->n;
    remember(&w, index);
    if (end_write(c, ins->writes, ins->key, ins->at) != 0)
        return -1;
    ints_add(c->arena, &ins->steps, index);
    if (root)
        ints_add(c->arena, &ins->roots, index);
    return index;
}

/* A statement failing the transaction when step `write` (into `t`) inserted no row: the
 * rows that need its key cannot have it (on_conflict skipped it, or a trigger did).
 * Hasura's words; `what`: "object relation \"rel\"" or "array relations". GraphQL names
 * need no quoting inside the SQL string. */
static int require_row(insert_t *ins, int write, const char *what, const gp_table_t *t)
{
    gp_compile_t *c = ins->c;
    gp_sql_init(&c->sql, c->arena);
    gp_strbuf_printf(&c->sql.text,
                     "DO $$BEGIN IF (current_setting('graphpost.w%d')::json->>'n')::int = 0 THEN RAISE EXCEPTION "
                     "'cannot proceed to insert %s since insert to table \"%s\" affects zero rows' USING ERRCODE = '%s'; "
                     "END IF; END$$",
                     write, what, t->gql_name, GP_SQLSTATE_NO_ROW);
    return end_write(c, ins->writes, ins->key, ins->at);
}

static int insert_objects(insert_t *ins, const gp_table_t *t, const json_t *objects, const json_t *on_conflict,
                          const fill_t *parent, bool root);

/* One object with relationships, as Hasura inserts it: each parent its object
 * relationships name, then the row with their keys, then the children of its array
 * relationships with its key. */
static int insert_object(insert_t *ins, const gp_table_t *t, const json_t *object, const json_t *on_conflict,
                         const fill_t *parent, bool root, int *write)
{
    gp_compile_t *c = ins->c;
    if (++c->depth > GP_COMPILE_MAX_DEPTH)
        return gp_compile_fail(c, ins->at, "Nested inserts go deeper than %d levels.", GP_COMPILE_MAX_DEPTH);
    fill_t fills[MAX_FILLS];
    int nfills = 0;
    if (parent != NULL)
        fills[nfills++] = *parent;
    bool children = false;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)object, key, v) {
        const gp_relationship_t *rel = gp_table_relationship(t, key);
        if (rel == NULL || json_is_null(v))
            continue;
        if (rel->kind == GP_REL_ARRAY) {
            children = true;
            continue;
        }
        if (nfills == MAX_FILLS)
            return gp_compile_fail(c, ins->at, "An object of \"%s\" inserts more than %d parents.", t->gql_name,
                                   MAX_FILLS - 1);
        int pw = 0;
        if (insert_object(ins, rel->target, json_object_get(v, "data"), json_object_get(v, "on_conflict"), NULL, false,
                          &pw) != 0 ||
            require_row(ins, pw, gp_arena_printf(c->arena, "object relation \"%s\"", key), rel->target) != 0)
            return -1;
        fills[nfills++] = (fill_t){pw, rel->target, rel->ncols, rel->local_cols, rel->remote_cols};
    }
    json_t *one = json_pack("[O]", object);
    *write = insert_step(ins, t, one, on_conflict, fills, nfills, root, true);
    json_decref(one);
    if (*write < 0 || (children && require_row(ins, *write, "array relations", t) != 0))
        return -1;
    json_object_foreach((json_t *)object, key, v) {
        const gp_relationship_t *rel = gp_table_relationship(t, key);
        if (rel == NULL || rel->kind != GP_REL_ARRAY || json_is_null(v))
            continue;
        fill_t to_children = {*write, t, rel->ncols, rel->remote_cols, rel->local_cols};
        if (insert_objects(ins, rel->target, json_object_get(v, "data"), json_object_get(v, "on_conflict"),
                           &to_children, false) != 0)
            return -1;
    }
    c->depth--;
    return 0;
}

/* Inserts `objects` into `t`: in one step when none has relationships to insert, else
 * object by object. */
static int insert_objects(insert_t *ins, const gp_table_t *t, const json_t *objects, const json_t *on_conflict,
                          const fill_t *parent, bool root)
{
    if (json_array_size(objects) == 0)
        return 0;
    if (!has_relationships(t, objects))
        return insert_step(ins, t, objects, on_conflict, parent, parent != NULL, root, false) < 0 ? -1 : 0;
    size_t i;
    json_t *o;
    json_array_foreach(objects, i, o) {
        int write;
        if (insert_object(ins, t, o, on_conflict, parent, root, &write) != 0)
            return -1;
    }
    return 0;
}

/* The writes of an insert field; when it took more than one step, a last one gathering
 * what they wrote into one setting, as if one statement had written it all: n counts
 * every row, parents and children too, and rows are the field's own objects'. */
static int compile_insert(gp_compile_t *c, writes_t *writes, const gp_field_t *f, const gp_field_group_t *g,
                          const json_t *objects, const json_t *on_conflict, bool keep_rows)
{
    insert_t ins = {c, writes, g->key, g->fields[0]->offset, keep_rows, {0}, {0}};
    if (insert_objects(&ins, f->table, objects, on_conflict, NULL, true) != 0)
        return -1;
    if (ins.steps.n == 1 && writes->n == ins.steps.items[0] + 1)
        return 0;
    gp_sql_init(&c->sql, c->arena);
    gp_strbuf_printf(&c->sql.text, "SELECT set_config('graphpost.w%d', json_build_object('n', 0", writes->n);
    for (int i = 0; i < ins.steps.n; i++)
        gp_strbuf_printf(&c->sql.text, " + (current_setting('graphpost.w%d')::json->>'n')::int", ins.steps.items[i]);
    gp_sql_raw(&c->sql, ", 'rows', ");
    if (!keep_rows || ins.roots.n == 0) {
        gp_sql_raw(&c->sql, "'[]'::json");
    } else {
        gp_sql_raw(&c->sql, "(SELECT coalesce(json_agg(_r.r), '[]') FROM (");
        for (int i = 0; i < ins.roots.n; i++)
            gp_strbuf_printf(&c->sql.text, "%sSELECT json_array_elements(current_setting('graphpost.w%d')::json->'rows')",
                             i > 0 ? " UNION ALL " : "", ins.roots.items[i]);
        gp_sql_raw(&c->sql, ") AS _r(r))");
    }
    gp_sql_raw(&c->sql, ")::text, true)");
    return end_write(c, writes, g->key, g->fields[0]->offset);
}

/* ---- update and delete ---- */

/* The update operators: "col" = <before> _tN."col" <op> $n::cast, or the value alone (_set). */
typedef struct {
    const char *arg;
    const char *op;         /* NULL: the value replaces the column */
    bool value_first;       /* value <op> column (_prepend) */
    gp_param_form_t form;
    const char *cast;       /* NULL: the column's type */
} update_op_t;

static const update_op_t update_ops[] = {
    {"_set", NULL, false, GP_PARAM_TEXT, NULL},
    {"_inc", " + ", false, GP_PARAM_TEXT, NULL},
    {"_append", " || ", false, GP_PARAM_JSON, NULL},
    {"_prepend", " || ", true, GP_PARAM_JSON, NULL},
    {"_delete_key", " - ", false, GP_PARAM_TEXT, "\"pg_catalog\".\"text\""},
    {"_delete_elem", " - ", false, GP_PARAM_TEXT, "\"pg_catalog\".\"int4\""},
    {"_delete_at_path", " #- ", false, GP_PARAM_ARRAY, "\"pg_catalog\".\"text\"[]"},
};
#define NUPDATE_OPS (int)(sizeof update_ops / sizeof *update_ops)

/* SET … for the operator arguments in `ops` (update_ops order); -1 with an error, else
 * the number of assignments written. */
static int write_assignments(gp_compile_t *c, const gp_table_t *t, int alias, json_t *const *ops, long at)
{
    const char **set_by = gp_arena_calloc(c->arena, sizeof *set_by * (size_t)(t->ncolumns > 0 ? t->ncolumns : 1));
    int n = 0;
    for (int k = 0; k < NUPDATE_OPS; k++) {
        const update_op_t *op = &update_ops[k];
        const char *key;
        json_t *v;
        json_object_foreach(ops[k], key, v) {
            const gp_column_t *col = gp_table_column(t, key);
            if (col == NULL)
                return gp_compile_unreachable(c, at, "the column \"%s\" of \"%s\" in %s", key, t->gql_name, op->arg);
            int i = (int)(col - t->columns);
            if (set_by[i] != NULL)
                return gp_compile_fail(c, at, "\"%s\" of \"%s\" is given in both %s and %s.", key, t->gql_name,
                                       set_by[i], op->arg);
            set_by[i] = op->arg;
            gp_sql_raw(&c->sql, n++ ? ", " : " SET ");
            gp_sql_ident(&c->sql, col->name);
            gp_sql_raw(&c->sql, " = ");
            if (op->op == NULL) {
                column_value(c, col, v);
                continue;
            }
            if (json_is_null(v))
                return gp_compile_fail(c, at, "Expected a value for \"%s\" in %s, found null.", key, op->arg);
            if (!op->value_first) {
                gp_sql_column(&c->sql, alias, col->name);
                gp_sql_raw(&c->sql, op->op);
            }
            gp_values_param(c, v, op->form, op->cast != NULL ? op->cast : col->sql_type);
            if (op->value_first) {
                gp_sql_raw(&c->sql, op->op);
                gp_sql_column(&c->sql, alias, col->name);
            }
        }
    }
    return n;
}

/* _tN."k1" = $1 AND … for the primary key values in `key` (an object by column name). */
static int write_pk_match(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *key, long at)
{
    for (int i = 0; i < t->npk; i++) {
        const gp_column_t *col = &t->columns[t->pk[i]];
        const json_t *v = json_object_get(key, col->gql_name);
        if (v == NULL || json_is_null(v))
            return gp_compile_fail(c, at, "Expected a value for the key \"%s\" of \"%s\", found null.", col->gql_name,
                                   t->gql_name);
        gp_sql_raw(&c->sql, i == 0 ? "" : " AND ");
        gp_sql_column(&c->sql, alias, col->name);
        gp_sql_raw(&c->sql, " = ");
        column_value(c, col, v);
    }
    return 0;
}

/* WHERE for a `where` (T_bool_exp) or a primary key (`key`). */
static int write_match(gp_compile_t *c, const gp_table_t *t, int alias, const json_t *where, const json_t *key,
                       long at)
{
    gp_sql_raw(&c->sql, " WHERE ");
    if (key != NULL)
        return write_pk_match(c, t, alias, key, at);
    if (where == NULL)
        return gp_compile_unreachable(c, at, "an update or delete of \"%s\" without where", t->gql_name);
    return gp_filter_where(c, t, alias, where, at);
}

/* The CTE updating the rows of `t` that `where` (or the key) picks with the operators of
 * `args` (an object holding _set, _inc, …). */
static int update_cte(gp_compile_t *c, const gp_table_t *t, const json_t *args, const json_t *where, const json_t *key,
                      long at)
{
    json_t *ops[NUPDATE_OPS];
    for (int k = 0; k < NUPDATE_OPS; k++) {
        ops[k] = json_object_get(args, update_ops[k].arg);
        if (ops[k] != NULL && !json_is_object(ops[k]))
            ops[k] = NULL; /* null: no such operator */
    }
    int alias = ++c->next_alias;
    write_target(c, "UPDATE ", t, alias);
    int n = write_assignments(c, t, alias, ops, at);
    if (n < 0)
        return -1;
    if (n == 0)
        return gp_compile_fail(c, at, "An update of \"%s\" needs at least one of _set, _inc, _append, _prepend, "
                                      "_delete_key, _delete_elem, _delete_at_path.", t->gql_name);
    if (write_match(c, t, alias, where, key, at) != 0)
        return -1;
    close_returning(c, alias);
    return 0;
}

static int delete_cte(gp_compile_t *c, const gp_table_t *t, const json_t *where, const json_t *key, long at)
{
    int alias = ++c->next_alias;
    write_target(c, "DELETE FROM ", t, alias);
    if (write_match(c, t, alias, where, key, at) != 0)
        return -1;
    close_returning(c, alias);
    return 0;
}

/* A VOLATILE function's rows: SELECT * FROM "schema"."fn"(…) AS _f. */
static int function_cte(gp_compile_t *c, const gp_function_t *fn, const json_t *args, long at)
{
    gp_sql_raw(&c->sql, "SELECT * FROM ");
    if (gp_select_call(c, fn, args, at) != 0)
        return -1;
    gp_sql_raw(&c->sql, " AS _f");
    if (fn->returns == GP_FN_ROW) /* no row: a row of nulls */
        gp_sql_raw(&c->sql, " WHERE NOT (_f IS NULL)");
    gp_sql_raw(&c->sql, ")");
    return 0;
}

/* ---- the root fields ---- */

/* Does the answer to root field `g` (`f`) read the rows written? A T_mutation_response
 * does only when `returning` is selected (a bulk insert that asks for affected_rows
 * alone carries no rows between statements). */
static bool reads_rows(gp_compile_t *c, const gp_field_t *f, const gp_field_group_t *g)
{
    if (f->role != GP_FIELD_INSERT && f->role != GP_FIELD_UPDATE && f->role != GP_FIELD_UPDATE_MANY &&
        f->role != GP_FIELD_DELETE)
        return true;
    int failed = 0;
    const char *type = gp_typeref_named(f->type)->name;
    for (const gp_field_group_t *x = gp_select_collect(c, type, gp_select_sub_selections(c, g), g->nfields, &failed);
         x != NULL; x = x->next)
        if (strcmp(x->name, "returning") == 0)
            return true;
    return failed != 0; /* an error is reported again when the answer is written */
}

/* The write of one update (of update_T, update_T_by_pk or an item of update_T_many). */
static int compile_update(gp_compile_t *c, writes_t *writes, const gp_field_t *f, const gp_field_group_t *g,
                          const json_t *args, const json_t *key, long at)
{
    write_t w;
    begin_write(c, &w, reads_rows(c, f, g));
    if (update_cte(c, f->table, args, json_object_get(args, "where"), key, at) != 0)
        return -1;
    remember(&w, writes->n);
    return end_write(c, writes, g->key, at);
}

/* The arguments of g's field (on mutation_root) as one object: coerced values, null ones
 * left out. */
static json_t *args_object(gp_compile_t *c, const gp_field_group_t *g, int *failed)
{
    const gp_selection_t *f = g->fields[0]; /* validation made every field of the group agree */
    json_t *all = json_object();
    for (const gp_argument_t *a = f->arguments; a != NULL && !*failed; a = a->next) {
        json_t *v = gp_values_json(c, gp_values_arg_type(c, "mutation_root", f->name, a->name), a->value, failed);
        if (v != NULL && !json_is_null(v))
            json_object_set_new(all, a->name, v);
        else
            json_decref(v);
    }
    return all;
}

/* The writes of root field `g` (`f` of mutation_root): the first is writes->n on entry,
 * the answer reads the last (update_T_many: one per update). */
static int compile_field(gp_compile_t *c, writes_t *writes, const gp_field_t *f, const gp_field_group_t *g)
{
    long at = g->fields[0]->offset;
    int failed = 0, rc = -1;
    json_t *args = args_object(c, g, &failed);
    if (failed)
        goto Done;
    const gp_table_t *t = f->table;
    write_t w;
    switch (f->role) {
    case GP_FIELD_INSERT:
    case GP_FIELD_INSERT_ONE: {
        json_t *objects = f->role == GP_FIELD_INSERT ? json_incref(json_object_get(args, "objects"))
                                                     : json_pack("[O]", json_object_get(args, "object"));
        rc = compile_insert(c, writes, f, g, objects, json_object_get(args, "on_conflict"), reads_rows(c, f, g));
        json_decref(objects);
        goto Done;
    }
    case GP_FIELD_UPDATE:
        rc = compile_update(c, writes, f, g, args, NULL, at);
        goto Done;
    case GP_FIELD_UPDATE_BY_PK:
        rc = compile_update(c, writes, f, g, args, json_object_get(args, "pk_columns"), at);
        goto Done;
    case GP_FIELD_UPDATE_MANY: {
        size_t i;
        json_t *u;
        rc = 0;
        json_array_foreach(json_object_get(args, "updates"), i, u) {
            if (!json_is_object(u)) {
                rc = gp_compile_fail(c, at, "Expected an object of type \"%s_updates\", found null.", t->gql_name);
                break;
            }
            if ((rc = compile_update(c, writes, f, g, u, NULL, at)) != 0)
                break;
        }
        goto Done;
    }
    case GP_FIELD_DELETE:
    case GP_FIELD_DELETE_BY_PK:
        begin_write(c, &w, reads_rows(c, f, g));
        rc = f->role == GP_FIELD_DELETE ? delete_cte(c, t, json_object_get(args, "where"), NULL, at)
                                        : delete_cte(c, t, NULL, args, at);
        break;
    case GP_FIELD_MUTATION_FUNCTION:
        if (f->function->returns == GP_FN_SCALAR) {
            gp_sql_init(&c->sql, c->arena);
            gp_strbuf_printf(&c->sql.text, "SELECT set_config('graphpost.w%d', json_build_object('v', ", writes->n);
            if ((rc = gp_select_call(c, f->function, json_object_get(args, "args"), at)) == 0) {
                gp_sql_raw(&c->sql, ")::text, true)");
                rc = end_write(c, writes, g->key, at);
            }
            goto Done;
        }
        begin_write(c, &w, true);
        rc = function_cte(c, f->function, json_object_get(args, "args"), at);
        break;
    default:
        rc = gp_compile_unreachable(c, at, "the field \"%s\" on \"mutation_root\"", g->name);
        goto Done;
    }
    if (rc == 0) {
        remember(&w, writes->n);
        rc = end_write(c, writes, g->key, at);
    }
Done:
    json_decref(args);
    return rc;
}

/* ---- reading back ---- */

typedef struct {
    const gp_field_group_t *groups;
    const int *first;       /* by group, in list order: the first write its answer reads */
    const int *count;       /* and how many */
    const bool *stored;     /* its answer was read before the fields after it wrote: in graphpost.a<i> */
} fields_t;

typedef struct {
    const gp_table_t *table;
    const char *type;       /* T_mutation_response */
    int write;
} response_t;

static void write_setting(gp_compile_t *c, int write)
{
    gp_strbuf_printf(&c->sql.text, "current_setting('graphpost.w%d')::json", write);
}

static const char *written_rows(gp_compile_t *c, const gp_table_t *t, int write)
{
    return gp_arena_printf(c->arena, "json_populate_recordset(NULL::%s, current_setting('graphpost.w%d')::json->'rows')",
                           t->sql_name, write);
}

static int write_response_value(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    const response_t *r = ctx;
    if (strcmp(g->name, "__typename") == 0) {
        gp_sql_key(&c->sql, r->type);
        return 0;
    }
    if (strcmp(g->name, "affected_rows") == 0) {
        gp_sql_raw(&c->sql, "(");
        write_setting(c, r->write);
        gp_sql_raw(&c->sql, "->>'n')::int");
        return 0;
    }
    if (strcmp(g->name, "returning") == 0)
        return gp_select_written(c, r->table, written_rows(c, r->table, r->write), g, r->type, false);
    return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"%s\"", g->name, r->type);
}

/* T_mutation_response for write `write`. */
static int write_response(gp_compile_t *c, const gp_field_t *f, const gp_field_group_t *g, int write)
{
    response_t r = {f->table, gp_typeref_named(f->type)->name, write};
    int failed = 0;
    gp_field_group_t *fields = gp_select_collect(c, r.type, gp_select_sub_selections(c, g), g->nfields, &failed);
    if (failed)
        return -1;
    return gp_select_object_of(c, fields, write_response_value, &r);
}

/* The answer to root field `g`, the i-th group, from what its writes left. */
static int write_answer(gp_compile_t *c, const gp_field_group_t *g, int i, const fields_t *fs)
{
    if (strcmp(g->name, "__typename") == 0) {
        gp_sql_key(&c->sql, "mutation_root");
        return 0;
    }
    const gp_field_t *f = gp_type_field(c->schema->mutation, g->name);
    int w = fs->first[i];
    switch (f->role) {
    case GP_FIELD_INSERT:
    case GP_FIELD_UPDATE:
    case GP_FIELD_DELETE:
        return write_response(c, f, g, w);
    case GP_FIELD_UPDATE_MANY:
        if (fs->count[i] == 0) {
            gp_sql_raw(&c->sql, "'[]'::json");
            return 0;
        }
        gp_sql_raw(&c->sql, "array_to_json(ARRAY[");
        for (int k = 0; k < fs->count[i]; k++) {
            gp_sql_raw(&c->sql, k > 0 ? ", " : "");
            if (write_response(c, f, g, w + k) != 0)
                return -1;
        }
        gp_sql_raw(&c->sql, "]::json[])");
        return 0;
    case GP_FIELD_INSERT_ONE:
    case GP_FIELD_UPDATE_BY_PK:
    case GP_FIELD_DELETE_BY_PK:
        return gp_select_written(c, f->table, written_rows(c, f->table, w), g, "mutation_root", true);
    case GP_FIELD_MUTATION_FUNCTION: {
        const gp_function_t *fn = f->function;
        if (fn->returns == GP_FN_SCALAR) {
            gp_sql_raw(&c->sql, "(");
            write_setting(c, w);
            gp_sql_raw(&c->sql, "->'v')");
            return 0;
        }
        return gp_select_written(c, fn->table, written_rows(c, fn->table, w), g, "mutation_root",
                                 fn->returns == GP_FN_ROW);
    }
    default:
        return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"mutation_root\"", g->name);
    }
}

/* The `data` object: each field's answer, or the setting it was stored in. */
static int write_result(gp_compile_t *c, const gp_field_group_t *g, void *ctx)
{
    const fields_t *fs = ctx;
    int i = 0;
    for (const gp_field_group_t *x = fs->groups; x != g; x = x->next)
        i++;
    if (!fs->stored[i])
        return write_answer(c, g, i, fs);
    gp_strbuf_printf(&c->sql.text, "current_setting('graphpost.a%d')::json", i);
    return 0;
}

/* A statement that reads the answer to the i-th field into graphpost.a<i> now, before the
 * fields after it write: as Hasura answers each field right after its writes, a later
 * delete does not empty an earlier insert's `returning { comments }`. */
static int store_answer(gp_compile_t *c, writes_t *ws, const gp_field_group_t *g, int i, const fields_t *fs)
{
    gp_sql_init(&c->sql, c->arena);
    gp_strbuf_printf(&c->sql.text, "SELECT set_config('graphpost.a%d', coalesce((", i);
    if (write_answer(c, g, i, fs) != 0)
        return -1;
    gp_sql_raw(&c->sql, ")::text, 'null'), true)");
    return end_write(c, ws, g->key, g->fields[0]->offset);
}

int gp_mutation_compile(gp_compile_t *c, const gp_operation_t *op, const gp_plan_write_t **writes, int *nwrites)
{
    int failed = 0;
    const gp_selection_t *sets[] = {op->selections};
    gp_field_group_t *groups = gp_select_collect(c, "mutation_root", sets, 1, &failed);
    if (failed)
        return -1;
    int n = 0;
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next)
        n++;
    int *first = gp_arena_calloc(c->arena, sizeof(int) * (size_t)(n + 1));
    int *count = gp_arena_calloc(c->arena, sizeof(int) * (size_t)(n + 1));
    bool *stored = gp_arena_calloc(c->arena, sizeof(bool) * (size_t)(n + 1));
    int last = -1, i = 0; /* the last field that writes */
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next, i++)
        if (strcmp(g->name, "__typename") != 0)
            last = i;
    fields_t fs = {groups, first, count, stored};
    writes_t ws = {0};
    i = 0;
    for (const gp_field_group_t *g = groups; g != NULL; g = g->next, i++) {
        first[i] = ws.n;
        if (strcmp(g->name, "__typename") == 0)
            continue;
        const gp_field_t *f = gp_type_field(c->schema->mutation, g->name);
        if (f == NULL)
            return gp_compile_unreachable(c, g->fields[0]->offset, "the field \"%s\" on \"mutation_root\"", g->name);
        if (compile_field(c, &ws, f, g) != 0)
            return -1;
        if (f->role != GP_FIELD_UPDATE_MANY)
            first[i] = ws.n - 1; /* an insert's steps came first: the answer reads the last */
        count[i] = ws.n - first[i];
        if (i < last) {
            if (store_answer(c, &ws, g, i, &fs) != 0)
                return -1;
            stored[i] = true;
        }
    }
    gp_sql_init(&c->sql, c->arena);
    gp_sql_raw(&c->sql, "SELECT ");
    if (gp_select_object_of(c, groups, write_result, &fs) != 0)
        return -1;
    *writes = ws.items;
    *nwrites = ws.n;
    return 0;
}
