-- Copy the cats that existed before V3's trigger, in batches: dbtool runs the statement again and again, each run
-- its own transaction of at most 5000 rows, until it copies nothing; then it runs it once more inside this
-- migration's transaction (copying nothing) and checks the data there. A run that is interrupted keeps the batches
-- it committed and the next run continues: the statement copies only cat lovers whose cat is not in cats yet.
--
-- FOR SHARE OF cl: a recolouring of a row this batch copies waits for the batch (at most one batch), then the V3
-- trigger updates the copy; a recolouring that came first is what the batch reads and copies.
-- ${dbtool_batch_after}: each batch starts after the highest cat lover id the previous one returned, so it reads
-- only its own rows; the bound is repeated inside NOT EXISTS so that the anti-join reads only that part of cats.
-- dbtool:batch 5000
INSERT INTO cats (name, color, cat_lover_id)
SELECT cl.cat_name, cl.cat_color, cl.id
FROM cat_lovers cl
WHERE cl.id > ${dbtool_batch_after}
  AND cl.cat_name IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM cats c WHERE c.cat_lover_id = cl.id AND c.cat_lover_id > ${dbtool_batch_after})
ORDER BY cl.id
LIMIT 5000
FOR SHARE OF cl
ON CONFLICT (cat_lover_id) DO NOTHING
RETURNING cat_lover_id;

-- The copy is exact, compared row by row (cat lover, name, colour), not by counting a table that is still moving.
-- Each check is one statement, so it reads one snapshot; the old application's writes keep cat_lovers and cats in
-- step inside their own transactions (V3's trigger), so every snapshot has them equal once the copy is complete.
-- Every cat in cat_lovers is in cats, with its name and colour:
-- dbtool:verify NOT EXISTS (SELECT 1 FROM cat_lovers cl WHERE cl.cat_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM cats c WHERE c.cat_lover_id = cl.id AND c.name = cl.cat_name AND c.color IS NOT DISTINCT FROM cl.cat_color))
-- and cats has no cat that cat_lovers does not (one per cat lover, by cats_one_per_cat_lover):
-- dbtool:verify NOT EXISTS (SELECT 1 FROM cats c JOIN cat_lovers cl ON cl.id = c.cat_lover_id WHERE cl.cat_name IS NULL)
