-- Contract: with the old columns gone (V5) a cat lover may have any number of cats; the one-cat mirror index of V2
-- goes. CONCURRENTLY, alone in its file, so reads and writes of cats go on meanwhile.
DROP INDEX CONCURRENTLY IF EXISTS cats_one_per_cat_lover;
