package dbtool.storage;

/** One entry of a store's listing; {@code directory} only ever on local disk (an exporter's work directory). */
public record StoredObject(String name, long size, boolean directory) {}
