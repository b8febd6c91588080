package dbtool.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay between dbtool and a real server that breaks connections on purpose: the next {@code cuts}
 * connections whose answers (or, for uploads, requests) grow past {@code threshold} bytes are reset midway, as a flaky network or a
 * load balancer restart would. Everything else passes through unchanged. Not a mock: the server behind it is
 * the real one; only the wire is made unreliable.
 */
public final class FlakyLink implements AutoCloseable {

    private final ServerSocket listener;
    private final URI target;
    private final long threshold;
    private final boolean cutRequests;
    private final AtomicInteger cutsLeft = new AtomicInteger();
    private final AtomicInteger cutsDone = new AtomicInteger();
    private final Thread acceptor;

    /** @param cutRequests break connections on what dbtool sends (uploads) instead of what it receives */
    public FlakyLink(URI target, long threshold, boolean cutRequests) {
        this.target = target;
        this.threshold = threshold;
        this.cutRequests = cutRequests;
        try {
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.acceptor = new Thread(this::accept, "flaky-link-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Where dbtool should connect instead of the real server. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Break the next {@code n} connections whose answer passes the threshold. */
    public void cutNext(int n) {
        cutsLeft.set(n);
    }

    /** Connections broken so far. */
    public int cuts() {
        return cutsDone.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(target.getHost(), target.getPort()));
                pump(client.getInputStream(), server.getOutputStream(), client, server, false);
                pump(server.getInputStream(), client.getOutputStream(), client, server, true);
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void pump(InputStream in, OutputStream out, Socket a, Socket b, boolean answer) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            long passed = 0;
            try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                    passed += n;
                    if (answer != cutRequests && passed > threshold && cutsLeft.getAndUpdate(c -> Math.max(0, c - 1)) > 0) {
                        cutsDone.incrementAndGet();
                        reset(a);
                        reset(b);
                        return;
                    }
                }
            } catch (IOException ignored) {
                // the other side went away
            }
            close(a);
            close(b);
        }, answer ? "flaky-link-down" : "flaky-link-up");
        t.setDaemon(true);
        t.start();
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0); // RST, not an orderly FIN: the reader sees a broken connection
        } catch (IOException ignored) {
            // closing anyway
        }
        close(s);
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        close(listener);
        acceptor.interrupt();
    }

    private static void close(ServerSocket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }
}
