-- Expand: cats get a table of their own, so a cat lover can have any number of them.
-- cat_lovers is untouched; the application keeps working as before.
CREATE TABLE cats (
    id bigserial PRIMARY KEY,
    name text NOT NULL,
    color text,
    cat_lover_id integer NOT NULL REFERENCES cat_lovers (id)
);
-- New, empty table: indexing it in the same migration blocks nobody.
CREATE INDEX cats_cat_lover_id_idx ON cats (cat_lover_id);
-- While the old application version still runs, a cat lover has at most one cat: the one in cat_lovers'
-- columns, which cats mirrors (V3, V4). This index makes the mirror exact under concurrent writes: the V3 trigger
-- and the V4 backfill both write "the cat of cat lover N" with ON CONFLICT, so neither can add a second copy or
-- overwrite a newer colour with an older one. The contract step (V6) drops it; then any number of cats.
CREATE UNIQUE INDEX cats_one_per_cat_lover ON cats (cat_lover_id);
