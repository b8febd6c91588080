-- Expand: from now on every cat lands in cats, whichever application version writes it.
--
-- Choice: a trigger rather than a view. During the rollout old application versions still INSERT/UPDATE
-- cat_lovers.cat_name/cat_color, and new versions write cats directly. The trigger copies what old versions write
-- into cats, so cats is complete for the new versions. It leaves the old columns as written, so old versions still
-- read back their own data until they are gone; the contract step (V5) then drops the trigger and the columns.
-- A view named cat_lovers would instead need renaming the table (breaking both versions' writes without INSTEAD
-- triggers), which is more moving parts for the same result.
CREATE FUNCTION cat_lovers_write_cats() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.cat_name IS NOT NULL THEN
        -- The cats row that mirrors the old columns (copied by V3 or by this trigger): follow the change.
        IF NEW.cat_name IS NULL THEN
            DELETE FROM cats
            WHERE id = (SELECT min(id) FROM cats
                        WHERE cat_lover_id = OLD.id AND name = OLD.cat_name
                          AND color IS NOT DISTINCT FROM OLD.cat_color);
        ELSE
            UPDATE cats SET name = NEW.cat_name, color = NEW.cat_color
            WHERE id = (SELECT min(id) FROM cats
                        WHERE cat_lover_id = OLD.id AND name = OLD.cat_name
                          AND color IS NOT DISTINCT FROM OLD.cat_color);
        END IF;
    ELSIF NEW.cat_name IS NOT NULL THEN
        INSERT INTO cats (name, color, cat_lover_id) VALUES (NEW.cat_name, NEW.cat_color, NEW.id);
    END IF;
    RETURN NULL;
END
$$;

-- AFTER, because cats.cat_lover_id references the new cat_lovers row, which exists only after the insert.
CREATE TRIGGER cat_lovers_write_cats
AFTER INSERT OR UPDATE OF cat_name, cat_color ON cat_lovers
FOR EACH ROW EXECUTE FUNCTION cat_lovers_write_cats();

-- Catch up on sign-ups between V3's copy and this trigger (separate transactions). CREATE TRIGGER holds a SHARE
-- ROW EXCLUSIVE lock on cat_lovers until this migration commits, so no write slips between this copy and the
-- trigger; the anti-join uses cats_cat_lover_id_idx.
INSERT INTO cats (name, color, cat_lover_id)
SELECT cl.cat_name, cl.cat_color, cl.id
FROM cat_lovers cl
WHERE cl.cat_name IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM cats c WHERE c.cat_lover_id = cl.id);
-- No application writes cats directly yet (that version needs this migration), so the counts still match.
-- dbtool:verify (select count(*) from cats) = (select count(*) from cat_lovers where cat_name is not null)
