package dbtool.testing;

/** A LOGIN role created by {@link TestServer#createRole(String, String)}. */
public record TestRole(String name, String password) {
}
