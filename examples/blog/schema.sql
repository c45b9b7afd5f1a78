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
