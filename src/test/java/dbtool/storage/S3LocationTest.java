package dbtool.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dbtool.DbToolException;
import org.junit.jupiter.api.Test;

class S3LocationTest {

    @Test
    void bucketAndPrefixWithoutStraySlashes() {
        S3Location l = S3Location.parse("s3://backups/nightly//old/");
        assertThat(l.bucket()).isEqualTo("backups");
        assertThat(l.key()).isEqualTo("nightly/old");
        assertThat(l.keyOf("old-1.tar.gz")).isEqualTo("nightly/old/old-1.tar.gz");
        assertThat(l).hasToString("s3://backups/nightly/old");
    }

    @Test
    void anObjectSplitsIntoItsPrefixAndName() {
        S3Location l = S3Location.parse("s3://exports/old/old-20261125T230038Z.tar.gz");
        assertThat(l.parent()).isEqualTo(new S3Location("exports", "old"));
        assertThat(l.lastSegment()).isEqualTo("old-20261125T230038Z.tar.gz");
        assertThat(S3Location.parse("s3://exports/x.tar.gz").parent().keyOf("x.tar.gz")).isEqualTo("x.tar.gz");
    }

    @Test
    void aBadBucketNameIsAUsageErrorSayingHowToWriteIt() {
        assertThatThrownBy(() -> S3Location.parse("s3:///prefix")).isInstanceOf(DbToolException.class)
                .hasMessageContaining("write s3://bucket/prefix");
        assertThatThrownBy(() -> S3Location.parse("s3://Upper_Case/x")).isInstanceOf(DbToolException.class);
    }

    @Test
    void onlyS3UrlsAreBuckets() {
        assertThat(S3Location.isS3("s3://b/x")).isTrue();
        assertThat(S3Location.isS3("./backups/s3://x")).isFalse();
        assertThat(S3Location.isS3("/srv/backups")).isFalse();
    }
}
