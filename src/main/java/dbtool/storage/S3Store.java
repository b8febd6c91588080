package dbtool.storage;

import dbtool.DbToolException;
import dbtool.ExitCode;
import dbtool.config.StorageSettings;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.async.BlockingOutputStreamAsyncRequestBody;
import software.amazon.awssdk.core.async.BufferedSplittableAsyncRequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.async.SdkAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.regions.providers.AwsProfileRegionProvider;
import software.amazon.awssdk.services.s3.S3AsyncClient;
import software.amazon.awssdk.services.s3.S3AsyncClientBuilder;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.multipart.MultipartConfiguration;
import software.amazon.awssdk.utils.CancellableOutputStream;

/**
 * A key prefix in an S3-compatible bucket. Archives go up through the SDK's Java multipart client (parts of
 * {@value #PART_BYTES} bytes, uploaded while the archive is still being written; S3 shows the object only once the
 * upload is completed, and an aborted upload leaves neither object nor parts). Everything else, downloads included,
 * uses plain requests: one GET streams a whole archive (S3-compatible stores such as s3proxy refuse ranged part
 * downloads).
 *
 * <p>Request checksums are only sent when an operation requires them, so stores that do not know the newer CRC
 * headers work. The SDK retries throttling and network errors with exponential backoff ({@value #ATTEMPTS}
 * attempts); what fails after that is exit 1. Credentials come only from the AWS conventions and are never printed:
 * messages name the access key id at most.
 */
public final class S3Store implements ArchiveStore {

    static final long PART_BYTES = 8L << 20;
    static final int ATTEMPTS = 5;

    private final S3Location where;
    private final S3Client client;
    private final java.util.function.Supplier<S3AsyncClientBuilder> uploadsBuilder;
    private final AwsCredentialsProvider credentials;
    private final String endpoint;
    /** Uploads neither committed nor aborted: closing the store aborts them first (and waits for an abort under way). */
    private final java.util.Set<StreamingUpload> unfinished = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Made on the first upload only: reads never start Netty. Guarded by this. */
    private S3AsyncClient uploads;
    private SdkAsyncHttpClient uploadsHttp;
    private SdkEventLoopGroup uploadsLoops;

    private S3Store(S3Location where, S3Client client, java.util.function.Supplier<S3AsyncClientBuilder> uploadsBuilder,
            AwsCredentialsProvider credentials, String endpoint) {
        this.where = where;
        this.client = client;
        this.uploadsBuilder = uploadsBuilder;
        this.credentials = credentials;
        this.endpoint = endpoint;
    }

    /**
     * Connects and makes one request (a listing of at most one key) so that wrong credentials, a missing bucket or
     * an unreachable endpoint stop the run before any work, with exit 2 or 1.
     *
     * @param environment the process environment (AWS_* variables)
     */
    public static S3Store open(S3Location where, StorageSettings settings, Function<String, String> environment) {
        AwsCredentialsProvider credentials = credentials(environment);
        Region region = region(settings, environment);
        URI endpoint = endpoint(settings, environment);
        ClientOverrideConfiguration override = ClientOverrideConfiguration.builder()
                .retryStrategy(b -> b.maxAttempts(ATTEMPTS))
                .build();
        var sync = S3Client.builder()
                .credentialsProvider(credentials)
                .region(region)
                .forcePathStyle(settings.pathStyle())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .overrideConfiguration(override);
        java.util.function.Supplier<S3AsyncClientBuilder> async = () -> {
            S3AsyncClientBuilder b = S3AsyncClient.builder()
                    .credentialsProvider(credentials)
                    .region(region)
                    .forcePathStyle(settings.pathStyle())
                    .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                    .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                    .overrideConfiguration(override)
                    .multipartEnabled(true)
                    .multipartConfiguration(MultipartConfiguration.builder()
                            .thresholdInBytes(PART_BYTES)
                            .minimumPartSizeInBytes(PART_BYTES)
                            .apiCallBufferSizeInBytes(4 * PART_BYTES)
                            .build());
            return endpoint == null ? b : b.endpointOverride(endpoint);
        };
        if (endpoint != null) {
            sync.endpointOverride(endpoint);
        }
        S3Store store = new S3Store(where, sync.build(), async, credentials,
                endpoint == null ? "AWS S3 (" + region.id() + ")" : endpoint.toString());
        try {
            store.call("list " + where, () -> store.client.listObjectsV2(b -> b.bucket(where.bucket())
                    .prefix(where.key().isEmpty() ? null : where.key() + "/").maxKeys(1)));
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /** The AWS conventions: keys in the environment, else a profile, else the SDK's chain (files, container and instance roles). */
    static AwsCredentialsProvider credentials(Function<String, String> environment) {
        String id = environment.apply("AWS_ACCESS_KEY_ID");
        String secret = environment.apply("AWS_SECRET_ACCESS_KEY");
        String token = environment.apply("AWS_SESSION_TOKEN");
        if (notBlank(id) && notBlank(secret)) {
            return StaticCredentialsProvider.create(notBlank(token)
                    ? AwsSessionCredentials.create(id, secret, token) : AwsBasicCredentials.create(id, secret));
        }
        String profile = environment.apply("AWS_PROFILE");
        if (notBlank(profile)) {
            return ProfileCredentialsProvider.create(profile);
        }
        return DefaultCredentialsProvider.builder().build();
    }

    /** storage.region, else AWS_REGION / AWS_DEFAULT_REGION, else the profile's region, else us-east-1. */
    static Region region(StorageSettings settings, Function<String, String> environment) {
        for (String candidate : new String[] {settings.region(), environment.apply("AWS_REGION"),
                environment.apply("AWS_DEFAULT_REGION")}) {
            if (notBlank(candidate)) {
                return Region.of(candidate.strip());
            }
        }
        try {
            Region fromProfile = new AwsProfileRegionProvider().getRegion();
            if (fromProfile != null) {
                return fromProfile;
            }
        } catch (SdkClientException noProfileRegion) {
            // fall through to the default
        }
        return Region.US_EAST_1;
    }

    /** storage.endpoint, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, else AWS itself. */
    static URI endpoint(StorageSettings settings, Function<String, String> environment) {
        for (String candidate : new String[] {settings.endpoint(), environment.apply("AWS_ENDPOINT_URL_S3"),
                environment.apply("AWS_ENDPOINT_URL")}) {
            if (notBlank(candidate)) {
                URI uri = URI.create(candidate.strip());
                if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
                    throw DbToolException.usage("storage endpoint '" + candidate + "' is not an http(s) URL;"
                            + " write e.g. endpoint: http://127.0.0.1:9000");
                }
                return uri;
            }
        }
        return null;
    }

    private static boolean notBlank(String s) {
        return s != null && !s.isBlank();
    }

    public S3Location where() {
        return where;
    }

    @Override
    public String location() {
        return where.toString();
    }

    @Override
    public String locationOf(String name) {
        return S3Location.SCHEME + where.bucket() + "/" + key(name);
    }

    private String key(String name) {
        if (name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("not a plain object name: '" + name + "'");
        }
        return where.keyOf(name);
    }

    private String prefix() {
        return where.key().isEmpty() ? "" : where.key() + "/";
    }

    // ------------------------------------------------------------------------------------------------ uploads

    /**
     * The multipart client, on its own Netty event loop: the SDK's default one waits seconds for a quiet period when
     * it is closed, which every short command (verify, inspect, list) would pay.
     */
    private synchronized S3AsyncClient uploads() {
        if (uploads == null) {
            uploadsLoops = SdkEventLoopGroup.builder().numberOfThreads(2).build();
            uploadsHttp = NettyNioAsyncHttpClient.builder().eventLoopGroup(uploadsLoops).build();
            uploads = uploadsBuilder.get().httpClient(uploadsHttp).build();
        }
        return uploads;
    }

    @Override
    public Upload create(String name) {
        String key = key(name);
        // Unknown length: the multipart client cuts parts as the bytes come. A busy machine may take a while to start.
        BlockingOutputStreamAsyncRequestBody body = BlockingOutputStreamAsyncRequestBody.builder()
                .contentLength(null).subscribeTimeout(java.time.Duration.ofMinutes(2)).build();
        // Buffered per part (8 MiB each, a few in flight): a part whose connection breaks is sent again from memory.
        CompletableFuture<?> done = uploads().putObject(b -> b.bucket(where.bucket()).key(key),
                BufferedSplittableAsyncRequestBody.create(body));
        CancellableOutputStream stream;
        try {
            stream = body.outputStream();
        } catch (RuntimeException e) {
            done.cancel(true);
            throw explain("upload " + locationOf(name), e);
        }
        StreamingUpload upload = new StreamingUpload(name, stream, done);
        unfinished.add(upload);
        return upload;
    }

    /**
     * One archive on its way up. An abort (an error, Ctrl-C, SIGTERM) cancels the stream, which makes the SDK abort
     * the multipart upload; then the key's unfinished uploads are aborted until none is left, since a part that was
     * in flight may still land after the first abort.
     */
    private final class StreamingUpload implements Upload {
        private final String name;
        private final CancellableOutputStream stream;
        private final CompletableFuture<?> done;
        private final Thread abortOnShutdown;
        /** Guarded by this. A completion that has begun is not recalled: the archive is then whole. */
        private State state = State.OPEN;

        StreamingUpload(String name, CancellableOutputStream stream, CompletableFuture<?> done) {
            this.name = name;
            this.stream = stream;
            this.done = done;
            this.abortOnShutdown = new Thread(this::abort, "dbtool-abort-upload");
            Runtime.getRuntime().addShutdownHook(abortOnShutdown);
        }

        @Override
        public OutputStream stream() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    if (done.isDone()) {
                        throw failure();
                    }
                    try {
                        stream.write(b, off, len);
                    } catch (RuntimeException e) {
                        throw failure();
                    }
                }

                @Override
                public void close() {
                    // commit() completes the upload; closing a writer on top of this must not
                }
            };
        }

        /** Why the upload stopped: the SDK's failure, or an abort. */
        private IOException failure() {
            synchronized (this) {
                if (state == State.ABORTED) {
                    return new IOException("the upload to " + locationOf(name) + " was aborted");
                }
            }
            try {
                done.getNow(null);
            } catch (CompletionException e) {
                throw explain("upload " + locationOf(name), e.getCause());
            } catch (RuntimeException ignored) {
                // cancelled
            }
            return new IOException("the upload to " + locationOf(name) + " stopped");
        }

        @Override
        public void commit() {
            synchronized (this) {
                if (state != State.OPEN) {
                    throw new DbToolException(ExitCode.RUNTIME, "the upload to " + locationOf(name) + " was aborted");
                }
                state = State.COMMITTING;
            }
            try {
                stream.close();
                done.get();
                synchronized (this) {
                    state = State.COMMITTED;
                }
                unfinished.remove(this);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DbToolException(ExitCode.RUNTIME, "interrupted while uploading " + locationOf(name), e);
            } catch (ExecutionException e) {
                throw explain("upload " + locationOf(name), e.getCause());
            } catch (IOException | RuntimeException e) {
                throw explain("upload " + locationOf(name), e);
            } finally {
                synchronized (this) {
                    if (state == State.COMMITTING) {
                        state = State.OPEN; // failed: close() aborts what is left
                    }
                }
                removeHook();
            }
        }

        @Override
        public void close() {
            abort();
            removeHook();
        }

        /**
         * Holds the monitor throughout: whoever comes second (the main thread unwinding, or the shutdown hook) waits
         * until the parts are gone, so the store's clients cannot be closed under a running abort.
         */
        private synchronized void abort() {
            if (state != State.OPEN) {
                return;
            }
            state = State.ABORTED;
            stream.cancel();
            try {
                done.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException | RuntimeException expected) {
                // cancelled: the SDK aborts the multipart upload
            }
            abortUntilGone(name);
            unfinished.remove(this);
        }

        private void removeHook() {
            try {
                Runtime.getRuntime().removeShutdownHook(abortOnShutdown);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook is running or ran
            }
        }
    }

    private enum State { OPEN, COMMITTING, COMMITTED, ABORTED }

    /**
     * Aborts the unfinished uploads of {@code name} until a listing shows none: on some stores a part request that
     * was in flight during the abort brings the upload back. Bounded: what is left then, the next backup removes.
     */
    private void abortUntilGone(String name) {
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                if (abortUploadsOnce(name) == 0) {
                    return;
                }
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // Nothing is visible under the name; the next backup of the project aborts what is left. No reporter
                // reaches here (this may run in a shutdown hook), hence stderr.
                System.err.println("dbtool: warning: could not abort the upload of " + locationOf(name) + " ("
                        + firstLine(e.getMessage()) + "); the next backup of the project removes its parts");
                return;
            }
        }
    }

    @Override
    public List<String> unfinishedUploads() {
        List<String> names = new ArrayList<>();
        for (software.amazon.awssdk.services.s3.model.MultipartUpload upload : multipartUploads(prefix())) {
            String rest = upload.key().substring(prefix().length());
            if (!rest.isEmpty() && !rest.contains("/")) {
                names.add(rest);
            }
        }
        return names;
    }

    @Override
    public void abortUploads(String name) {
        abortUploadsOnce(name);
    }

    /** Returns how many unfinished uploads of the key there were. */
    private int abortUploadsOnce(String name) {
        String key = key(name);
        int found = 0;
        for (software.amazon.awssdk.services.s3.model.MultipartUpload upload : multipartUploads(key)) {
            if (upload.key().equals(key)) {
                found++;
                try {
                    call("abort the upload of " + locationOf(name), () -> client.abortMultipartUpload(b -> b
                            .bucket(where.bucket()).key(key).uploadId(upload.uploadId())));
                } catch (MissingObject alreadyGone) {
                    // aborted meanwhile (NoSuchUpload)
                }
            }
        }
        return found;
    }

    private List<software.amazon.awssdk.services.s3.model.MultipartUpload> multipartUploads(String keyPrefix) {
        return call("list unfinished uploads in " + where, () -> {
            List<software.amazon.awssdk.services.s3.model.MultipartUpload> all = new ArrayList<>();
            client.listMultipartUploadsPaginator(b -> b.bucket(where.bucket()).prefix(keyPrefix))
                    .forEach(page -> all.addAll(page.uploads()));
            return all;
        });
    }

    // -------------------------------------------------------------------------------------------- downloads

    @Override
    public InputStream open(String name) throws NoSuchFileException {
        try {
            return new Download(name, get(name, null, 0));
        } catch (MissingObject e) {
            throw new NoSuchFileException(locationOf(name));
        }
    }

    /** A plain ranged GET (never the multipart client's part downloads, which S3-compatible stores may refuse). */
    @Override
    public byte[] read(String name, long position, int length) throws NoSuchFileException {
        if (length == 0) {
            return new byte[0];
        }
        try {
            return call("read " + locationOf(name), () -> client.getObjectAsBytes(b -> b.bucket(where.bucket())
                    .key(key(name)).range("bytes=" + position + "-" + (position + length - 1)))).asByteArray();
        } catch (MissingObject e) {
            throw new NoSuchFileException(locationOf(name));
        }
    }

    /** A plain GET from {@code position} on (a byte range, never a part number), of exactly {@code etag} when given. */
    private ResponseInputStream<GetObjectResponse> get(String name, String etag, long position) {
        return call("read " + locationOf(name), () -> client.getObject(b -> b.bucket(where.bucket()).key(key(name))
                .range(position == 0 ? null : "bytes=" + position + "-").ifMatch(etag)));
    }

    /**
     * One object, streamed. A connection lost midway is resumed where it broke (a GET of the rest, of the same
     * version: If-Match on its ETag), with backoff; only when that fails too is it exit 1, never a damaged archive.
     * Closed before its end (inspect reads only the manifest), it aborts the connection instead of reading the rest
     * of a 100 GB object to reuse it.
     */
    private final class Download extends InputStream {
        private final String name;
        private final String etag;
        private ResponseInputStream<GetObjectResponse> response;
        private long position;
        private int failures;
        private boolean ended;

        Download(String name, ResponseInputStream<GetObjectResponse> response) {
            this.name = name;
            this.response = response;
            this.etag = response.response().eTag();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            while (true) {
                try {
                    int n = response.read(b, off, len);
                    if (n < 0) {
                        ended = true;
                    } else {
                        position += n;
                    }
                    return n;
                } catch (IOException | SdkException e) {
                    resume(e);
                }
            }
        }

        private void resume(Exception cause) {
            response.abort();
            if (++failures >= ATTEMPTS) {
                throw new DbToolException(ExitCode.RUNTIME, "reading " + locationOf(name) + " failed: the connection to "
                        + endpoint + " broke " + failures + " times (" + firstLine(cause.getMessage())
                        + "); run the command again", cause);
            }
            try {
                Thread.sleep(1000L << (failures - 1));
                response = get(name, etag, position);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DbToolException(ExitCode.RUNTIME, "interrupted while reading " + locationOf(name), e);
            } catch (PreconditionFailed | MissingObject e) {
                throw new DbToolException(ExitCode.ARCHIVE, locationOf(name) + " was replaced or deleted while it was"
                        + " read; run the command again", e);
            }
        }

        @Override
        public void close() {
            if (!ended) {
                response.abort();
            }
            try {
                response.close();
            } catch (IOException | SdkException ignored) {
                // aborted already
            }
        }
    }

    @Override
    public long size(String name) throws NoSuchFileException {
        try {
            return call("read " + locationOf(name), () -> client.headObject(b -> b.bucket(where.bucket()).key(key(name))))
                    .contentLength();
        } catch (MissingObject e) {
            throw new NoSuchFileException(locationOf(name));
        }
    }

    @Override
    public boolean exists(String name) {
        try {
            size(name);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    @Override
    public Optional<String> readText(String name) {
        try {
            return Optional.of(call("read " + locationOf(name),
                    () -> client.getObjectAsBytes(b -> b.bucket(where.bucket()).key(key(name)))).asUtf8String());
        } catch (MissingObject e) {
            return Optional.empty();
        }
    }

    // ----------------------------------------------------------------------------------------- small objects

    @Override
    public void writeText(String name, String content) {
        call("write " + locationOf(name), () -> client.putObject(b -> b.bucket(where.bucket()).key(key(name)),
                RequestBody.fromString(content, StandardCharsets.UTF_8)));
    }

    @Override
    public boolean createText(String name, String content) {
        try {
            call("write " + locationOf(name), () -> client.putObject(b -> b.bucket(where.bucket()).key(key(name))
                    .ifNoneMatch("*"), RequestBody.fromString(content, StandardCharsets.UTF_8)));
            return true;
        } catch (PreconditionFailed e) {
            return false;
        }
    }

    @Override
    public void delete(String name) {
        call("delete " + locationOf(name), () -> client.deleteObject(b -> b.bucket(where.bucket()).key(key(name))));
    }

    @Override
    public List<StoredObject> list() {
        return call("list " + where, () -> {
            List<StoredObject> all = new ArrayList<>();
            client.listObjectsV2Paginator(b -> b.bucket(where.bucket()).prefix(prefix()).delimiter("/"))
                    .forEach(page -> {
                        for (S3Object object : page.contents()) {
                            String rest = object.key().substring(prefix().length());
                            if (!rest.isEmpty()) {
                                all.add(new StoredObject(rest, object.size(), false));
                            }
                        }
                    });
            return all;
        });
    }

    @Override
    public Optional<Path> localDirectory() {
        return Optional.empty();
    }

    @Override
    public void close() {
        for (StreamingUpload upload : List.copyOf(unfinished)) {
            upload.close();
        }
        client.close();
        synchronized (this) {
            if (uploads != null) {
                uploads.close();
                uploadsHttp.close();
                uploadsLoops.eventLoopGroup().shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS);
                uploads = null;
            }
        }
    }

    // --------------------------------------------------------------------------------------------- failures

    /** A GET or HEAD of an object that is not there: callers decide what that means. */
    private static final class MissingObject extends RuntimeException {
        MissingObject() {
            super(null, null, false, false);
        }
    }

    /** A conditional write that found the object already there. */
    private static final class PreconditionFailed extends RuntimeException {
        PreconditionFailed() {
            super(null, null, false, false);
        }
    }

    private <T> T call(String what, java.util.function.Supplier<T> request) {
        try {
            return request.get();
        } catch (RuntimeException e) {
            throw explain(what, e);
        }
    }

    /** One line naming the cause and the fix, never the secret key. */
    private RuntimeException explain(String what, Throwable e) {
        if (e instanceof CompletionException || e instanceof ExecutionException) {
            return explain(what, e.getCause());
        }
        if (e instanceof DbToolException d) {
            return d;
        }
        if (e instanceof NoSuchKeyException) {
            return new MissingObject();
        }
        if (e instanceof S3Exception s3) {
            String code = s3.awsErrorDetails() == null ? "" : String.valueOf(s3.awsErrorDetails().errorCode());
            int status = s3.statusCode();
            if (status == 404 && (code.equals("NoSuchKey") || code.equals("NoSuchUpload") || code.isEmpty()
                    || code.equals("null"))) {
                return new MissingObject();
            }
            if (status == 412 || status == 409 && code.equals("ConditionalRequestConflict")) {
                return new PreconditionFailed();
            }
            if (code.equals("NoSuchBucket")) {
                return DbToolException.usage("S3 bucket '" + where.bucket() + "' does not exist at " + endpoint
                        + "; create it, or fix the s3:// location (and storage.endpoint)");
            }
            if (code.equals("InvalidAccessKeyId") || code.equals("SignatureDoesNotMatch") || code.equals("InvalidToken")
                    || code.equals("ExpiredToken") || code.equals("AuthorizationHeaderMalformed")) {
                return DbToolException.usage("S3 at " + endpoint + " rejected the credentials of access key id "
                        + keyId() + " (" + code + "); fix AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE");
            }
            if (status == 403) {
                return DbToolException.usage("access key id " + keyId() + " may not " + what + " (" + code
                        + "); grant it s3:GetObject, s3:PutObject, s3:DeleteObject, s3:ListBucket and"
                        + " s3:AbortMultipartUpload on bucket " + where.bucket());
            }
            return new DbToolException(ExitCode.RUNTIME, "cannot " + what + ": S3 answered " + status + " " + code
                    + " (" + s3.awsErrorDetails().errorMessage() + ")", e);
        }
        if (e instanceof SdkClientException client && client.getMessage() != null
                && client.getMessage().contains("Unable to load credentials")) {
            return DbToolException.usage("no AWS credentials for " + where + ": set AWS_ACCESS_KEY_ID and"
                    + " AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance or container role");
        }
        if (e instanceof SdkException) {
            // The SDK's own attempt count is in its message; a part upload has its own retries.
            return new DbToolException(ExitCode.RUNTIME, "cannot " + what + ": the connection to " + endpoint
                    + " kept failing, retried with backoff (" + firstLine(e.getMessage())
                    + "); check the network and storage.endpoint, then run the command again", e);
        }
        if (e instanceof RuntimeException r) {
            return r;
        }
        return new DbToolException(ExitCode.RUNTIME, "cannot " + what + ": " + e.getMessage(), e);
    }

    private String keyId() {
        try {
            return credentials.resolveCredentials().accessKeyId();
        } catch (RuntimeException e) {
            return "(none)";
        }
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no detail";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
