package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ImporterSizesTest {

    /** The disk-full message must never read "needs 0 MiB but has 0 MiB free". */
    @Test
    void smallAmountsKeepTheirSize() {
        assertThat(Importer.readable(0)).isEqualTo("0 bytes");
        assertThat(Importer.readable(900)).isEqualTo("900 bytes");
        assertThat(Importer.readable(300 * 1024)).isEqualTo("300.0 KiB");
        assertThat(Importer.readable(5L << 30)).isEqualTo("5.0 GiB");
    }
}
