/* schema/catalog_sql.c — the text of the catalog query (gp_catalog_sql).
 *
 * One statement, one round trip: $1 is the text[] of exposed schemas and the single
 * cell is a json document
 *     {"tables": [...], "enums": [...], "domains": [...], "functions": [...]}
 * Partitions are left out (their parent stands for them, with the foreign keys
 * its partitions declare), as are what extensions own, dropped and system columns. Every list is ordered, so the same catalog gives the same text.
 * Column, key and constraint columns are attnums; the loader maps them to indices.
 * Types are reported by schema and name (and, for arrays, the element's), never by
 * oid, so a saved answer is a self-contained fixture. */
#include "schema/catalog.h"

/* A function's parameter or result type as JSON, by the oid expression `oid`: one index
 * lookup each (a CTE of all of them made the statement take seconds). */
#define FN_TYPE(oid)                                                                                \
    "(SELECT json_build_object(\n"                                                                  \
    "    'schema', tn.nspname, 'name', t.typname, 'typtype', t.typtype,\n"                          \
    "    'is_array', e.oid IS NOT NULL, 'elem_schema', en.nspname, 'elem_name', e.typname,\n"       \
    "    'elem_typtype', e.typtype, 'relation_schema', rn.nspname, 'relation', rc.relname)\n"       \
    "  FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace\n"      \
    "  LEFT JOIN pg_catalog.pg_type e ON t.typcategory = 'A' AND e.oid = t.typelem\n"              \
    "  LEFT JOIN pg_catalog.pg_namespace en ON en.oid = e.typnamespace\n"                          \
    "  LEFT JOIN pg_catalog.pg_class rc ON rc.oid = t.typrelid\n"                                  \
    "  LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace\n"                         \
    "  WHERE t.oid = " oid ")"

const char gp_catalog_sql[] =
    "WITH nsp AS (\n"
    "  SELECT n.oid, n.nspname FROM pg_catalog.pg_namespace n WHERE n.nspname = ANY ($1::text[])\n"
    "), rel AS (\n"
    /* What PostgreSQL lets a statement do to it: 1 << CMD_UPDATE (4), CMD_INSERT (8) and
     * CMD_DELETE (16) as pg_relation_is_updatable answers (include_triggers: a view with
     * INSTEAD OF triggers is written through them, as Hasura reads it); a view's columns
     * are writable when it is auto-updatable through them or has the INSTEAD OF trigger. */
    "  SELECT c.oid, n.nspname, c.relname, c.relkind,\n"
    "         CASE WHEN c.relkind IN ('r', 'p') THEN 28\n"
    "              WHEN c.relkind = 'v' THEN pg_catalog.pg_relation_is_updatable(c.oid, true) ELSE 0 END AS events,\n"
    "         c.relkind = 'v' AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = c.oid\n"
    "                                     AND tg.tgtype & 64 <> 0 AND tg.tgtype & 4 <> 0) AS instead_insert,\n"
    "         c.relkind = 'v' AND EXISTS (SELECT 1 FROM pg_catalog.pg_trigger tg WHERE tg.tgrelid = c.oid\n"
    "                                     AND tg.tgtype & 64 <> 0 AND tg.tgtype & 16 <> 0) AS instead_update\n"
    "  FROM pg_catalog.pg_class c JOIN nsp n ON n.oid = c.relnamespace\n"
    "  WHERE c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition\n"
    "    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d\n"
    "                    WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid\n"
    "                      AND d.deptype = 'e')\n"
    "), col AS (\n"
    "  SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.attnotnull, a.attidentity,\n"
    "         a.attgenerated, a.atthasdef\n"
    "  FROM pg_catalog.pg_attribute a JOIN rel r ON r.oid = a.attrelid\n"
    "  WHERE a.attnum > 0 AND NOT a.attisdropped\n"
    "), fn AS (\n"
    "  SELECT p.oid, n.nspname, p.proname, p.provolatile, p.proretset, p.prorettype, p.pronargdefaults,\n"
    "         p.proargnames, p.proargmodes, coalesce(p.proallargtypes, p.proargtypes::oid[]) AS argtypes\n"
    "  FROM pg_catalog.pg_proc p JOIN nsp n ON n.oid = p.pronamespace\n"
    "  WHERE p.prokind = 'f'\n"
    "    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d\n"
    "                    WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid\n"
    "                      AND d.deptype = 'e')\n"
    "), used_type AS (\n"
    "  SELECT t.oid FROM pg_catalog.pg_type t WHERE t.typnamespace IN (SELECT oid FROM nsp)\n"
    "    AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d\n"
    "                    WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid\n"
    "                      AND d.deptype = 'e')\n"
    "  UNION SELECT atttypid FROM col\n"
    "  UNION SELECT t.typelem FROM pg_catalog.pg_type t JOIN col ON col.atttypid = t.oid\n"
    "        WHERE t.typcategory = 'A' AND t.typelem <> 0\n"
    "  UNION SELECT fn.prorettype FROM fn\n"
    "  UNION SELECT unnest(fn.argtypes) FROM fn\n"
    "  UNION SELECT t.typelem FROM pg_catalog.pg_type t JOIN fn ON t.oid = fn.prorettype\n"
    "        WHERE t.typcategory = 'A' AND t.typelem <> 0\n"
    ")\n"
    "SELECT json_build_object(\n"
    " 'tables', coalesce((SELECT json_agg(json_build_object(\n"
    "   'schema', r.nspname, 'name', r.relname, 'kind', r.relkind,\n"
    "   'insertable', r.events & 8 <> 0, 'updatable', r.events & 4 <> 0, 'deletable', r.events & 16 <> 0,\n"
    "   'comment', (SELECT d.description FROM pg_catalog.pg_description d\n"
    "               WHERE d.classoid = 'pg_catalog.pg_class'::regclass AND d.objoid = r.oid\n"
    "                 AND d.objsubid = 0),\n"
    "   'partitions', CASE WHEN r.relkind = 'p' THEN coalesce((\n"
    "       SELECT json_agg(pn.nspname || '.' || pc.relname ORDER BY pn.nspname, pc.relname)\n"
    "       FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class pc ON pc.oid = i.inhrelid\n"
    "       JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace\n"
    "       WHERE i.inhparent = r.oid), '[]') END,\n"
    "   'columns', coalesce((SELECT json_agg(json_build_object(\n"
    "       'name', a.attname, 'attnum', a.attnum,\n"
    "       'type_schema', tn.nspname, 'type_name', t.typname, 'typtype', t.typtype,\n"
    "       'is_array', e.oid IS NOT NULL,\n"
    "       'elem_schema', en.nspname, 'elem_name', e.typname, 'elem_typtype', e.typtype,\n"
    "       'pg_type', CASE WHEN coalesce(en.nspname, tn.nspname) = 'pg_catalog'\n"
    "                  THEN pg_catalog.format_type(a.atttypid, NULL) END,\n"
    "       'not_null', a.attnotnull,\n"
    "       'default', CASE WHEN a.atthasdef AND a.attgenerated = '' THEN\n"
    "           (SELECT pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) FROM pg_catalog.pg_attrdef ad\n"
    "            WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum) END,\n"
    "       'identity', nullif(a.attidentity::text, ''),\n"
    "       'generated', nullif(a.attgenerated::text, ''),\n"
    "       'insertable', CASE WHEN r.relkind <> 'v' OR r.instead_insert THEN true\n"
    "                     ELSE pg_catalog.pg_column_is_updatable(r.oid, a.attnum, false) END,\n"
    "       'updatable', CASE WHEN r.relkind <> 'v' OR r.instead_update THEN true\n"
    "                    ELSE pg_catalog.pg_column_is_updatable(r.oid, a.attnum, false) END,\n"
    "       'comment', (SELECT d.description FROM pg_catalog.pg_description d\n"
    "                   WHERE d.classoid = 'pg_catalog.pg_class'::regclass\n"
    "                     AND d.objoid = a.attrelid AND d.objsubid = a.attnum))\n"
    "     ORDER BY a.attnum)\n"
    "     FROM col a\n"
    "     JOIN pg_catalog.pg_type t ON t.oid = a.atttypid\n"
    "     JOIN pg_catalog.pg_namespace tn ON tn.oid = t.typnamespace\n"
    "     LEFT JOIN pg_catalog.pg_type e ON t.typcategory = 'A' AND e.oid = t.typelem\n"
    "     LEFT JOIN pg_catalog.pg_namespace en ON en.oid = e.typnamespace\n"
    "     WHERE a.attrelid = r.oid), '[]'),\n"
    "   'primary_key', (SELECT json_agg(k.attnum ORDER BY k.ord)\n"
    "     FROM pg_catalog.pg_constraint co, unnest(co.conkey) WITH ORDINALITY k(attnum, ord)\n"
    "     WHERE co.conrelid = r.oid AND co.contype = 'p'),\n"
        /* What ON CONFLICT ON CONSTRAINT can name: the primary key first, then the unique
     * constraints by name; not deferrable ones, which PostgreSQL refuses as arbiters,
     * nor unique indexes without a constraint, which it cannot name. */
    "   'constraints', coalesce((SELECT json_agg(json_build_object(\n"
    "       'name', co.conname,\n"
    "       'columns', (SELECT json_agg(k.attnum ORDER BY k.ord)\n"
    "                   FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)))\n"
    "     ORDER BY co.contype <> 'p', co.conname)\n"
    "     FROM pg_catalog.pg_constraint co\n"
    "     WHERE co.conrelid = r.oid AND co.contype IN ('p', 'u') AND NOT co.condeferrable), '[]'),\n"
    "   'foreign_keys', coalesce((SELECT json_agg(json_build_object(\n"
    "       'name', fk.name, 'ref_schema', fn.nspname, 'ref_table', fc.relname,\n"
    "       'columns', to_json(fk.columns), 'ref_columns', to_json(fk.ref_columns), 'partial', fk.partial)\n"
    "     ORDER BY fk.name)\n"
    "     FROM (SELECT co.conname AS name, co.confrelid, co.conkey AS columns, co.confkey AS ref_columns,\n"
    "                  false AS partial\n"
    "           FROM pg_catalog.pg_constraint co\n"
    "           WHERE co.conrelid = r.oid AND co.contype = 'f' AND co.conparentid = 0\n"
    "           UNION ALL\n"
    /* A key declared on partitions of r and not on r itself is r's too, "partial"
     * when some partition does not declare it (its rows are not checked: Pagila's
     * payment_p2022_07). The partitions' attnums may differ from r's: columns are
     * matched by name. */
    "           SELECT min(pk.conname), pk.confrelid, pk.parent_key, pk.confkey,\n"
    "                  count(DISTINCT pk.conrelid) <\n"
    "                    (SELECT count(*) FROM pg_catalog.pg_inherits i WHERE i.inhparent = r.oid)\n"
    "           FROM (SELECT co.conname, co.conrelid, co.confrelid, co.confkey,\n"
    "                        ARRAY(SELECT pa.attnum\n"
    "                              FROM unnest(co.conkey) WITH ORDINALITY k(attnum, ord)\n"
    "                              JOIN pg_catalog.pg_attribute ca\n"
    "                                ON ca.attrelid = co.conrelid AND ca.attnum = k.attnum\n"
    "                              JOIN pg_catalog.pg_attribute pa\n"
    "                                ON pa.attrelid = r.oid AND pa.attname = ca.attname\n"
    "                              ORDER BY k.ord) AS parent_key\n"
    "                 FROM pg_catalog.pg_inherits i\n"
    "                 JOIN pg_catalog.pg_constraint co ON co.conrelid = i.inhrelid\n"
    "                 WHERE i.inhparent = r.oid AND r.relkind = 'p' AND co.contype = 'f'\n"
    "                   AND co.conparentid = 0) pk\n"
    "           WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint own\n"
    "                             WHERE own.conrelid = r.oid AND own.contype = 'f'\n"
    "                               AND own.confrelid = pk.confrelid AND own.conkey = pk.parent_key\n"
    "                               AND own.confkey = pk.confkey)\n"
    "           GROUP BY pk.confrelid, pk.parent_key, pk.confkey) fk\n"
    "     JOIN pg_catalog.pg_class fc ON fc.oid = fk.confrelid\n"
    "     JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace), '[]'))\n"
    "   ORDER BY r.nspname, r.relname) FROM rel r), '[]'),\n"
    " 'enums', coalesce((SELECT json_agg(json_build_object(\n"
    "   'schema', n.nspname, 'name', t.typname,\n"
    "   'labels', (SELECT json_agg(l.enumlabel ORDER BY l.enumsortorder)\n"
    "              FROM pg_catalog.pg_enum l WHERE l.enumtypid = t.oid),\n"
    "   'comment', (SELECT d.description FROM pg_catalog.pg_description d\n"
    "               WHERE d.classoid = 'pg_catalog.pg_type'::regclass AND d.objoid = t.oid))\n"
    "   ORDER BY n.nspname, t.typname)\n"
    "   FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\n"
    "   WHERE t.typtype = 'e' AND t.oid IN (SELECT oid FROM used_type)), '[]'),\n"
    " 'domains', coalesce((SELECT json_agg(json_build_object(\n"
    "   'schema', n.nspname, 'name', t.typname,\n"
    "   'base_schema', bn.nspname, 'base_name', b.typname,\n"
    "   'base_pg_type', pg_catalog.format_type(t.typbasetype, t.typtypmod),\n"
    "   'not_null', t.typnotnull,\n"
    "   'comment', (SELECT d.description FROM pg_catalog.pg_description d\n"
    "               WHERE d.classoid = 'pg_catalog.pg_type'::regclass AND d.objoid = t.oid))\n"
    "   ORDER BY n.nspname, t.typname)\n"
    "   FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace\n"
    "   JOIN pg_catalog.pg_type b ON b.oid = t.typbasetype\n"
    "   JOIN pg_catalog.pg_namespace bn ON bn.oid = b.typnamespace\n"
    "   WHERE t.typtype = 'd' AND t.oid IN (SELECT oid FROM used_type)), '[]'),\n"
    /* Every function, whatever it returns and however volatile: schema/functions.c
     * decides, and says why it skips one. Parameters in declaration order, OUT ones too
     * (proallargtypes), so that a function with any is seen and skipped. */
    " 'functions', coalesce((SELECT json_agg(json_build_object(\n"
    "   'schema', f.nspname, 'name', f.proname, 'volatility', f.provolatile,\n"
    "   'returns_set', f.proretset, 'defaults', f.pronargdefaults,\n"
    "   'returns', " FN_TYPE("f.prorettype") ",\n"
    "   'params', coalesce((SELECT json_agg(json_build_object(\n"
    "       'name', nullif(f.proargnames[a.i], ''), 'mode', coalesce(f.proargmodes[a.i]::text, 'i'),\n"
    "       'type', " FN_TYPE("a.t") ") ORDER BY a.i)\n"
    "     FROM unnest(f.argtypes) WITH ORDINALITY a(t, i)), '[]'),\n"
    "   'comment', (SELECT d.description FROM pg_catalog.pg_description d\n"
    "               WHERE d.classoid = 'pg_catalog.pg_proc'::regclass AND d.objoid = f.oid))\n"
    "   ORDER BY f.nspname, f.proname, pg_catalog.pg_get_function_identity_arguments(f.oid))\n"
    "   FROM fn f), '[]'))\n";
