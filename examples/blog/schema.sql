-- The blog example: users write posts, posts get comments and tags.
-- Small on purpose, but it has what the API must handle: enums, arrays, jsonb,
-- a composite primary key, two foreign keys to the same table, a view, comments.

CREATE TYPE post_status AS ENUM ('draft', 'published', 'archived');

CREATE TABLE users (
    id          serial PRIMARY KEY,
    name        text NOT NULL,
    email       text NOT NULL UNIQUE,
    bio         text,
    karma       bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'People who write posts and comments.';
COMMENT ON COLUMN users.email IS 'Unique login address.';

CREATE TABLE posts (
    id          serial PRIMARY KEY,
    author_id   integer NOT NULL REFERENCES users (id),
    editor_id   integer REFERENCES users (id),
    title       text NOT NULL,
    body        text NOT NULL DEFAULT '',
    status      post_status NOT NULL DEFAULT 'draft',
    tags        text[] NOT NULL DEFAULT '{}',
    metadata    jsonb,
    rating      numeric(3, 1),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE posts IS 'Articles written by users.';
CREATE INDEX posts_author_id_idx ON posts (author_id);

CREATE TABLE comments (
    id          serial PRIMARY KEY,
    post_id     integer NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    author_id   integer NOT NULL REFERENCES users (id),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX comments_post_id_idx ON comments (post_id);

CREATE TABLE tags (
    name        text PRIMARY KEY,
    description text
);

CREATE TABLE post_tags (
    post_id     integer NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_name    text NOT NULL REFERENCES tags (name),
    PRIMARY KEY (post_id, tag_name)
);
COMMENT ON TABLE post_tags IS 'Which tags a post carries.';

CREATE VIEW published_posts AS
    SELECT id, author_id, title, created_at FROM posts WHERE status = 'published';
COMMENT ON VIEW published_posts IS 'Posts visible to readers.';

-- Names that are not GraphQL names, exposed under sanitized ones (schema/README "Columns"):
-- the type is Odd_Table; "Weird Name" → Weird_Name; "weird name" → weird_name_1 (weird_name
-- keeps its own name); "x y", "x.y" → x_y_1, x_y_2; "2fa" → _2fa; "dash-ed" → dash_ed;
-- "__typename" → _typename; "user-id" → user_id, whose relationship is `user`.
CREATE TABLE "Odd Table" (
    id              serial PRIMARY KEY,
    "Weird Name"    text,
    "weird name"    text,
    weird_name      text,
    "x y"           integer,
    "x.y"           integer,
    "2fa"           boolean NOT NULL DEFAULT false,
    "dash-ed"       integer,
    "__typename"    text,
    "user-id"       integer REFERENCES users (id),
    doc             jsonb,
    raw             json,
    big             bigint,
    price           numeric(10, 2),
    amounts         numeric[],
    ratio           double precision
);
COMMENT ON TABLE "Odd Table" IS 'Columns whose names are not GraphQL names.';
COMMENT ON COLUMN "Odd Table"."dash-ed" IS 'A number with a dash in its name.';

-- Functions. STABLE and IMMUTABLE ones are query root fields (search_posts,
-- posts_in_status, latest_post, total_karma, user_count); those named <table>_<field>
-- whose first parameter is the table's row are computed fields of that table
-- (users.display_name, users.recent_posts, posts.comment_count, posts.excerpt).
CREATE FUNCTION search_posts(q text) RETURNS SETOF posts
    LANGUAGE sql STABLE AS $$
    SELECT * FROM posts WHERE title ILIKE '%' || q || '%' OR body ILIKE '%' || q || '%'
$$;
COMMENT ON FUNCTION search_posts(text) IS 'Posts whose title or body contains q.';

CREATE FUNCTION posts_in_status(wanted post_status DEFAULT 'published', min_rating numeric DEFAULT NULL)
    RETURNS SETOF posts
    LANGUAGE sql STABLE AS $$
    SELECT * FROM posts WHERE status = wanted AND (min_rating IS NULL OR rating >= min_rating)
$$;

CREATE FUNCTION latest_post() RETURNS posts
    LANGUAGE sql STABLE AS $$
    SELECT * FROM posts ORDER BY created_at DESC, id DESC LIMIT 1
$$;

CREATE FUNCTION total_karma() RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(karma), 0)::bigint FROM users $$;

CREATE FUNCTION user_count(min_karma bigint DEFAULT 0) RETURNS integer
    LANGUAGE sql STABLE AS $$ SELECT count(*)::integer FROM users WHERE karma >= min_karma $$;

CREATE FUNCTION users_display_name(u users) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT u.name || ' <' || u.email || '>' $$;
COMMENT ON FUNCTION users_display_name(users) IS 'Name and address, as a mail client shows them.';

CREATE FUNCTION users_recent_posts(u users, n integer DEFAULT 3) RETURNS SETOF posts
    LANGUAGE sql STABLE AS $$
    SELECT * FROM posts WHERE author_id = u.id ORDER BY created_at DESC, id DESC LIMIT n
$$;

CREATE FUNCTION posts_comment_count(p posts) RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT count(*) FROM comments WHERE post_id = p.id $$;

CREATE FUNCTION posts_excerpt(p posts, len integer) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT left(p.body, len) $$;

-- Not exposed, each for its own reason (the server logs one line per skipped one):
-- VOLATILE (waits for mutations), overloaded, a set of scalars, a computed field
-- whose name a column already has.
CREATE FUNCTION bump_karma(user_id integer, by bigint DEFAULT 1) RETURNS users
    LANGUAGE sql VOLATILE AS $$ UPDATE users SET karma = karma + by WHERE id = user_id RETURNING * $$;
CREATE FUNCTION karma_of(user_id integer) RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT karma FROM users WHERE id = user_id $$;
CREATE FUNCTION karma_of(user_name text) RETURNS bigint
    LANGUAGE sql STABLE AS $$ SELECT karma FROM users WHERE name = user_name $$;
CREATE FUNCTION post_titles() RETURNS SETOF text
    LANGUAGE sql STABLE AS $$ SELECT title FROM posts $$;
CREATE FUNCTION users_email(u users) RETURNS text
    LANGUAGE sql STABLE AS $$ SELECT lower(u.email) $$;
