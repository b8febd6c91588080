package dbtool.config;

/**
 * One project of the config file, after defaults were applied and ${VAR}s expanded.
 *
 * @param output a directory or {@code s3://bucket/prefix} for exports, or null
 */
public record ProjectConfig(
        String name,
        String url,
        String user,
        String password,
        String output,
        BackupSettings backup,
        NotifySettings notifications,
        MigrateSettings migrate,
        DriftSettings drift,
        EncryptionSettings encryption,
        StorageSettings storage) {

    /** The connection with the config's user and password laid over what the URL says. */
    public ConnectionSettings connection() {
        return ConnectionSettings.parse(url).withCredentials(user, password);
    }

    /** Never the password: records print every component, and this one may end up in a log. */
    @Override
    public String toString() {
        return "ProjectConfig[" + name + ", " + ConnectionSettings.redact(url) + ", user=" + user
                + ", password=" + (password == null ? "none" : "***") + "]";
    }
}
