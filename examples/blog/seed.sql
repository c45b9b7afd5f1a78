-- A few rows with fixed ids and times, so tests and examples give stable answers.
INSERT INTO users (id, name, email, bio, karma, created_at) VALUES
    (1, 'Ada Lovelace',   'ada@example.com',   'First programmer.', 120, '2024-01-01T10:00:00Z'),
    (2, 'Alan Turing',    'alan@example.com',  NULL,                 95, '2024-01-02T10:00:00Z'),
    (3, 'Grace Hopper',   'grace@example.com', 'Compilers.',         80, '2024-01-03T10:00:00Z'),
    (4, 'Edsger Dijkstra','edsger@example.com', NULL,                 0, '2024-01-04T10:00:00Z');
SELECT setval('users_id_seq', 4);

INSERT INTO posts (id, author_id, editor_id, title, body, status, tags, metadata, rating, created_at) VALUES
    (1, 1, 2,    'Notes on the Analytical Engine', 'The engine weaves algebraic patterns.', 'published', '{math,history}', '{"words": 1200}', 4.5, '2024-02-01T09:00:00Z'),
    (2, 1, NULL, 'Bernoulli numbers',              'A program, step by step.',              'draft',     '{math}',         NULL,              NULL, '2024-02-02T09:00:00Z'),
    (3, 2, 3,    'Computing Machinery',            'Can machines think?',                    'published', '{ai,philosophy}', '{"words": 9000}', 5.0, '2024-02-03T09:00:00Z'),
    (4, 3, NULL, 'The first bug',                  'A moth in relay 70.',                    'archived',  '{history}',      '{"words": 300}',  3.5, '2024-02-04T09:00:00Z'),
    (5, 3, 1,    'COBOL for everyone',             'Data processing in English.',            'published', '{}',             NULL,              4.0, '2024-02-05T09:00:00Z');
SELECT setval('posts_id_seq', 5);

INSERT INTO comments (id, post_id, author_id, body, created_at) VALUES
    (1, 1, 2, 'Remarkable foresight.',        '2024-03-01T08:00:00Z'),
    (2, 1, 3, 'Loops before loops existed.',  '2024-03-02T08:00:00Z'),
    (3, 3, 1, 'The imitation game!',          '2024-03-03T08:00:00Z'),
    (4, 3, 4, 'Machines cannot think; they compute.', '2024-03-04T08:00:00Z'),
    (5, 4, 2, 'Debugging, literally.',        '2024-03-05T08:00:00Z'),
    (6, 5, 4, 'Verbose, but readable.',       '2024-03-06T08:00:00Z');
SELECT setval('comments_id_seq', 6);

INSERT INTO tags (name, description) VALUES
    ('math', 'Numbers and proofs'), ('history', NULL), ('ai', 'Thinking machines'), ('philosophy', NULL);

INSERT INTO post_tags (post_id, tag_name) VALUES
    (1, 'math'), (1, 'history'), (2, 'math'), (3, 'ai'), (3, 'philosophy'), (4, 'history');

INSERT INTO "Odd Table" (id, "Weird Name", "weird name", weird_name, "x y", "x.y", "2fa", "dash-ed", "__typename",
                         "user-id", doc, raw, big, price, amounts, ratio) VALUES
    (1, 'one', 'uno', 'eins', 1, 10, true, 7, 'not a type', 1,
     '{"a": {"b": [10, 20, {"c": "deep"}]}, "k y": "spaced", "n": 1}', '{"a": {"b": [1, 2]}}',
     9007199254740993, 12.50, '{1.10,2.20}', 0.5),
    (2, 'two', 'dos', 'zwei', 2, 20, false, 3, NULL, 2,
     '{"a": {"b": []}, "n": 2}', '[{"x": 1}, {"x": 2}]', -5, 0.10, '{}', 1.25),
    (3, NULL, 'tres', 'drei', 3, 30, true, NULL, 'third', NULL,
     NULL, NULL, NULL, NULL, NULL, NULL);
SELECT setval('"Odd Table_id_seq"', 3);
