package dbtool.config;

/**
 * The {@code storage:} block: how to reach an S3-compatible store. Every part is optional; what is missing follows
 * the AWS conventions (AWS_ENDPOINT_URL, AWS_REGION, ~/.aws/config). Credentials are deliberately not here: they
 * come only from the AWS environment variables, profiles or instance/container roles.
 *
 * @param endpoint e.g. http://127.0.0.1:9000, or null for AWS
 * @param region e.g. us-east-1, or null
 * @param pathStyle bucket in the path (MinIO, Ceph, s3proxy) instead of the host name
 */
public record StorageSettings(String endpoint, String region, boolean pathStyle) {
    public static final StorageSettings DEFAULT = new StorageSettings(null, null, false);
}
