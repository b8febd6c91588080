-- Contract: every application version now reads and writes cats only, and has for the interim period.
-- The V4 trigger reads cat_name/cat_color, so it goes first.
DROP TRIGGER IF EXISTS cat_lovers_write_cats ON cat_lovers;
DROP FUNCTION IF EXISTS cat_lovers_write_cats();
ALTER TABLE cat_lovers
    DROP COLUMN cat_name,
    DROP COLUMN cat_color;
