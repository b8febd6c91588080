-- The cat lovers database, version 1.0: the running example of dbtool's README.
-- One table holds each member and (for now) the one cat they have.
-- Safe to run twice: it only creates what is missing.
CREATE TABLE IF NOT EXISTS cat_lovers (
    id        serial PRIMARY KEY,
    name      text NOT NULL,
    email     text,
    cat_name  text,
    cat_color text
);

-- Some members whose names test quoting and encodings end to end.
INSERT INTO cat_lovers (name, email, cat_name, cat_color)
SELECT * FROM (VALUES
    ('Siobhán O''Brien',   'siobhan@example.org',  'Mr. Whiskers',      'ginger'),
    ('José Ñúñez',         'jose@example.org',     'Pelusa',            'white'),
    ('Zoë "Zee" Müller',   'zoe@example.org',      'Schnurrli',         'tabby'),
    ('Łukasz Żółć',        'lukasz@example.org',   'Kotek',             'black'),
    ('山田 花子',            'hanako@example.jp',    'タマ',               'calico'),
    ('Amélie d''Arc',      NULL,                   'Minou',             'grey'),
    ('Back\slash Bob',     'bob@example.org',      'Tab	Cat',          'black & white'),
    ('Emoji Em 😺',        'em@example.org',       'Sir Purrsalot 🐈',  'orange'),
    ('No Cat Nora',        'nora@example.org',     NULL,                NULL)
) AS v(name, email, cat_name, cat_color)
WHERE NOT EXISTS (SELECT 1 FROM cat_lovers);

-- And a few hundred ordinary members, deterministic so every machine gets the same data.
INSERT INTO cat_lovers (name, email, cat_name, cat_color)
SELECT 'Member ' || g,
       'member' || g || '@example.org',
       CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['Luna','Milo','Oliver','Leo','Bella','Nala','Simba','Chloe'])[1 + g % 8] END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE (ARRAY['black','white','ginger','tabby','grey','calico'])[1 + g % 6] END
FROM generate_series(1, 291) AS g
WHERE (SELECT count(*) FROM cat_lovers) < 300;
