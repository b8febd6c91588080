package dbtool.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PgProcessResultTest {

    @Test
    void firstErrorSkipsALineTwoParallelWorkersWroteInto() {
        PgProcess.Result result = new PgProcess.Result("pg_restore", 1, List.of(), List.of(
                "pg_restore: error: pg_restore: finished item 3360 TABLE DATA orders",
                "pg_restore: error: could not execute query: ERROR:  relation \"public.customers\" does not exist"), false);
        assertThat(result.firstError()).startsWith("could not execute query").contains("\"public.customers\" does not exist");
    }

    @Test
    void firstErrorFallsBackToTheGarbledLineOrTheLastLine() {
        assertThat(new PgProcess.Result("pg_dump", 1, List.of(), List.of("pg_dump: error: pg_dump: x"), false).firstError())
                .isEqualTo("pg_dump: x");
        assertThat(new PgProcess.Result("pg_dump", 1, List.of("a", "last words"), List.of(), false).firstError())
                .isEqualTo("last words");
    }
}
