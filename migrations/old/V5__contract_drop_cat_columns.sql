-- Contract: every application version now reads and writes cats only, and has for the interim period.
-- The V3 trigger reads cat_name/cat_color, so it goes first.
DROP TRIGGER IF EXISTS cat_lovers_mirror_cat ON cat_lovers;
DROP FUNCTION IF EXISTS cat_lovers_mirror_cat();
ALTER TABLE cat_lovers
    DROP COLUMN cat_name,
    DROP COLUMN cat_color;
