package dbtool.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dbtool.pg.TocListing;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Settings come back exactly as pg_db_role_setting stored them, list settings element by element. */
class DatabasePropertiesTest {

    @Test
    void listSettingsAreQuotedElementByElementLikePgDump() {
        assertThat(DatabaseProperties.alterSet("search_path=\"$user\", public, \"My \"\"S\"\", x\""))
                .isEqualTo(" set \"search_path\" to '$user', 'public', 'My \"S\", x'");
        assertThat(DatabaseProperties.alterSet("search_path=")).isEqualTo(" set \"search_path\" to ''");
    }

    @Test
    void otherSettingsAreOneLiteralAndCustomNamesStayWhole() {
        assertThat(DatabaseProperties.alterSet("TimeZone=Europe/Berlin")).isEqualTo(" set \"TimeZone\" to 'Europe/Berlin'");
        assertThat(DatabaseProperties.alterSet("myapp.greeting=it's a=b"))
                .isEqualTo(" set \"myapp.greeting\" to 'it''s a=b'");
        assertThat(DatabaseProperties.alterSet("myapp.path=C:\\x")).isEqualTo(" set \"myapp.path\" to E'C:\\\\x'");
    }

    @Test
    void splitListKeepsBlanksInsideQuotesOnly() {
        assertThat(DatabaseProperties.splitList(" a ,\" b c \",d")).containsExactly("a", " b c ", "d");
        assertThat(DatabaseProperties.splitList("")).isEmpty();
    }

    @Test
    void tocListingNamesTheDumpsExtensionsButNotCommentsOnThem() {
        TocListing toc = TocListing.parse(List.of(
                ";",
                "; Selected TOC Entries:",
                "2; 3079 16430 EXTENSION - citext ",
                "3446; 0 0 COMMENT - EXTENSION citext ",
                "3; 3079 16500 EXTENSION - hstore postgres",
                "215; 1259 16535 TABLE public a postgres"));
        assertThat(toc.extensions()).containsExactly("citext", "hstore");
        assertThat(toc.has("public", "a", TocListing.TABLE)).isTrue();
    }
}
