package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EarlyIndexesTest {

    /** pg_restore --list --verbose of two tables: cats (data 3001) and owners (data 3002), a foreign key between them. */
    private static final List<String> VERBOSE = List.of(
            ";",
            "; Archive created at 2026-12-01 21:00:00 UTC",
            "201; 1259 16390 TABLE public cats postgres",
            "202; 1259 16395 TABLE public owners postgres",
            "3001; 0 16390 TABLE DATA public cats postgres",
            ";\tdepends on: 201",
            "3002; 0 16395 TABLE DATA public owners postgres",
            ";\tdepends on: 202",
            "3100; 2606 16400 CONSTRAINT public cats cats_pkey postgres",
            ";\tdepends on: 201",
            "3101; 1259 16401 INDEX public owners_name_idx postgres",
            ";\tdepends on: 202",
            "3102; 2606 16402 FK CONSTRAINT public owners owners_cat_fk postgres",
            ";\tdepends on: 202 3100",
            "3103; 0 0 COMMENT public INDEX owners_name_idx postgres",
            ";\tdepends on: 3101");
    private static final List<String> POST_DATA = List.of(
            "3100; 2606 16400 CONSTRAINT public cats cats_pkey postgres",
            "3101; 1259 16401 INDEX public owners_name_idx postgres",
            "3102; 2606 16402 FK CONSTRAINT public owners owners_cat_fk postgres",
            "3103; 0 0 COMMENT public INDEX owners_name_idx postgres");

    @Test
    void aLoadedTablesKeyIsBuiltWhileAnotherLoadsAndTheRestWaitsForTheFinalRun() throws InterruptedException {
        List<List<String>> batches = new CopyOnWriteArrayList<>();
        CountDownLatch built = new CountDownLatch(1);
        EarlyIndexes early = EarlyIndexes.plan(VERBOSE, POST_DATA, Set.of("3001", "3002"), Set.of("3001", "3002"),
                lines -> {
                    batches.add(lines);
                    built.countDown();
                });
        early.loaded("3001");
        assertThat(built.await(30, TimeUnit.SECONDS)).isTrue();
        // The last table is in: its index goes to the final run with all jobs, as do the foreign key and the comment.
        early.loaded("3002");
        List<String> left = early.finish();
        assertThat(batches).containsExactly(List.of(POST_DATA.get(0)));
        assertThat(left).containsExactly(POST_DATA.get(1), POST_DATA.get(2), POST_DATA.get(3));
    }

    @Test
    void withoutDependenciesInTheListingNothingIsBuiltEarly() {
        List<List<String>> batches = new CopyOnWriteArrayList<>();
        List<String> plain = VERBOSE.stream().filter(l -> !l.startsWith(";")).toList();
        EarlyIndexes early = EarlyIndexes.plan(plain, POST_DATA, Set.of("3001", "3002"), Set.of("3001", "3002"),
                batches::add);
        early.loaded("3001");
        early.loaded("3002");
        assertThat(early.finish()).isEqualTo(POST_DATA);
        assertThat(batches).isEmpty();
    }
}
