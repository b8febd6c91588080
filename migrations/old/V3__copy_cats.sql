-- Copy every cat out of cat_lovers into cats. Reads of cat_lovers are not blocked; only the new table is written.
INSERT INTO cats (name, color, cat_lover_id)
SELECT cat_name, cat_color, id
FROM cat_lovers
WHERE cat_name IS NOT NULL;
-- The copy is complete: if not, the migration rolls back and nothing was copied.
-- dbtool:verify (select count(*) from cats) = (select count(*) from cat_lovers where cat_name is not null)
