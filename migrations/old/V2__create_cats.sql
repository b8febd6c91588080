-- Expand: cats get a table of their own, so a cat lover can have any number of them.
-- cat_lovers is untouched; the application keeps working as before.
CREATE TABLE cats (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    color text,
    cat_lover_id integer NOT NULL REFERENCES cat_lovers (id)
);
-- A new, empty table: indexing it in the same migration blocks nobody.
CREATE INDEX cats_cat_lover_id_idx ON cats (cat_lover_id);
