package dbtool.storage;

import dbtool.DbToolException;

/**
 * {@code s3://bucket/key}: a bucket and a key (or key prefix) without leading or trailing slashes; the key may be
 * empty (the bucket's top level).
 */
public record S3Location(String bucket, String key) {

    public static final String SCHEME = "s3://";

    public static boolean isS3(String location) {
        return location != null && location.startsWith(SCHEME);
    }

    public static S3Location parse(String location) {
        String rest = location.substring(SCHEME.length());
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1).replaceAll("/+$", "").replaceAll("/{2,}", "/");
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw DbToolException.usage("'" + location + "' does not name an S3 bucket; write s3://bucket/prefix"
                    + " (bucket names are 3-63 lowercase letters, digits, '.' and '-')");
        }
        return new S3Location(bucket, key);
    }

    /** The parent prefix and the last segment: s3://b/x/y.tar.gz is s3://b/x and y.tar.gz. */
    public S3Location parent() {
        int slash = key.lastIndexOf('/');
        return new S3Location(bucket, slash < 0 ? "" : key.substring(0, slash));
    }

    public String lastSegment() {
        return key.substring(key.lastIndexOf('/') + 1);
    }

    /** The key of an object named {@code name} under this prefix. */
    public String keyOf(String name) {
        return key.isEmpty() ? name : key + "/" + name;
    }

    @Override
    public String toString() {
        return SCHEME + bucket + (key.isEmpty() ? "" : "/" + key);
    }
}
