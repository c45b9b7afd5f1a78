-- bench/gen.sql — a generated blog dataset for bench/run, on top of
-- examples/blog/schema.sql. Sizes come from psql variables :users, :posts and
-- :comments. Every user writes posts/users posts and every post gets
-- comments/posts comments, so nested limits always have rows to fill.
-- 100 tags (tag1..tag100); every post carries three of them, so one tag is on
-- about 3% of the posts: the aggregate shape counts a few thousand rows.
\set ON_ERROR_STOP 1
INSERT INTO users (id, name, email, bio, karma, created_at)
SELECT i, 'user ' || i, 'user' || i || '@example.com',
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'bio of user ' || i END,
       i % 500, timestamptz '2024-01-01' + i * interval '1 minute'
  FROM generate_series(1, :users) AS i;

INSERT INTO posts (id, author_id, editor_id, title, body, status, tags, rating, created_at)
SELECT i, 1 + i % :users, CASE WHEN i % 4 = 0 THEN 1 + (i * 7) % :users END,
       'post ' || i, repeat('lorem ipsum ', 10),
       (ARRAY['draft', 'published', 'archived']::post_status[])[1 + i % 3],
       ARRAY['tag' || i % 10], (i % 50) / 10.0,
       timestamptz '2024-02-01' + i * interval '1 second'
  FROM generate_series(1, :posts) AS i;

INSERT INTO comments (id, post_id, author_id, body, created_at)
SELECT i, 1 + i % :posts, 1 + (i * 13) % :users, 'comment ' || i,
       timestamptz '2024-03-01' + i * interval '1 second'
  FROM generate_series(1, :comments) AS i;

INSERT INTO tags (name, description)
SELECT 'tag' || i, 'posts about topic ' || i FROM generate_series(1, 100) AS i;

INSERT INTO post_tags (post_id, tag_name)
SELECT p, 'tag' || (1 + (p * 7 + k * 31) % 100)
  FROM generate_series(1, :posts) AS p, generate_series(1, 3) AS k;

-- The indexes a blog serving these shapes would have: the front page lists the
-- newest published posts, and a tag page counts a tag's posts. Without them
-- both shapes are sequential scans and measure only the disk layout.
CREATE INDEX posts_status_created_at_idx ON posts (status, created_at);
CREATE INDEX post_tags_tag_name_idx ON post_tags (tag_name);

SELECT setval('users_id_seq', :users), setval('posts_id_seq', :posts), setval('comments_id_seq', :comments);
VACUUM ANALYZE;
-- Once more: after the first pass comments and post_tags still had no all-visible
-- page (pg_class.relallvisible 0, measured), so counting a tag was a bitmap heap
-- scan of 1600 pages (2.2 ms) instead of an index-only scan (0.2 ms), as it is on
-- any table autovacuum has seen.
VACUUM;
