-- Expand: from now on every cat the old application version writes into cat_lovers lands in cats too.
-- This comes BEFORE the copy of the existing cats (V4), so nothing written while V4 copies is missed: a sign-up or
-- a recolouring after this commits is mirrored here, everything before it is copied by V4.
--
-- Choice: a trigger rather than a view. During the rollout old application versions still INSERT/UPDATE
-- cat_lovers.cat_name/cat_color, and new versions read cats. The trigger copies what old versions write into cats,
-- so cats is complete for the new versions. It leaves the old columns as written, so old versions still read back
-- their own data until they are gone; the contract step (V5) then drops the trigger and the columns. A view named
-- cat_lovers would instead need renaming the table (breaking both versions' writes without INSTEAD triggers),
-- which is more moving parts for the same result.
--
-- Why it cannot race V4's copy (both key on cats_one_per_cat_lover, V2):
-- - a sign-up inserts a row V4 cannot see yet, so only this trigger writes its cat;
-- - a recolouring upserts: if V4 is copying that cat lover right now, V4 holds FOR SHARE on the row, so the UPDATE
--   (and this trigger) waits for V4's batch to commit and then overwrites the copied colour with the new one; if
--   V4 has not copied it yet, the upsert inserts it and V4 later skips it (NOT EXISTS / ON CONFLICT DO NOTHING);
-- - removing the cat (cat_name set to NULL) deletes the copy, after V4's batch for the same reason.
CREATE FUNCTION cat_lovers_mirror_cat() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.cat_name IS NULL THEN
        DELETE FROM cats WHERE cat_lover_id = NEW.id;
    ELSE
        INSERT INTO cats (name, color, cat_lover_id) VALUES (NEW.cat_name, NEW.cat_color, NEW.id)
        ON CONFLICT (cat_lover_id) DO UPDATE SET name = EXCLUDED.name, color = EXCLUDED.color;
    END IF;
    RETURN NULL;
END
$$;

-- AFTER, because cats.cat_lover_id references the new cat_lovers row, which exists only after the insert.
-- CREATE TRIGGER waits for writes in flight and holds back new ones only until this migration commits
-- (milliseconds; lock_timeout bounds the wait), so no write slips past both this trigger and V4's copy.
CREATE TRIGGER cat_lovers_mirror_cat
AFTER INSERT OR UPDATE OF cat_name, cat_color ON cat_lovers
FOR EACH ROW EXECUTE FUNCTION cat_lovers_mirror_cat();
