package dbtool.transfer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decompresses the gzip bytes written to it (one or more members, as zlib's gzwrite writes them) and
 * passes the plain bytes on, so a .dat.gz file can be looked at while it is copied, without reading it a
 * second time. It never throws for bad input: {@link #complete()} tells whether the bytes were whole,
 * valid gzip, and after a fault nothing more is passed on.
 */
final class GunzippingOutputStream extends OutputStream {

    private static final int FHCRC = 2;
    private static final int FEXTRA = 4;
    private static final int FNAME = 8;
    private static final int FCOMMENT = 16;
    private static final int TRAILER = 8;

    private enum State { HEADER, DATA, TRAILER, FAILED }

    private final OutputStream plain;
    private final Inflater inflater = new Inflater(true);
    private final byte[] buffer = new byte[1 << 16];
    /** Header or trailer bytes seen so far. */
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private State state = State.HEADER;
    private boolean anyMember;

    GunzippingOutputStream(OutputStream plain) {
        this.plain = plain;
    }

    /** True when every byte written belonged to complete gzip members, and there was at least one. */
    boolean complete() {
        return anyMember && state == State.HEADER && pending.size() == 0;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        int end = off + len;
        while (off < end && state != State.FAILED) {
            switch (state) {
                case HEADER -> {
                    pending.write(b[off++]);
                    int headerLength = headerLength(pending.toByteArray());
                    if (headerLength == -2) {
                        state = State.FAILED;
                    } else if (headerLength > 0) {
                        pending.reset();
                        inflater.reset();
                        state = State.DATA;
                    }
                }
                case DATA -> {
                    inflater.setInput(b, off, end - off);
                    try {
                        int n;
                        while ((n = inflater.inflate(buffer)) > 0) {
                            plain.write(buffer, 0, n);
                        }
                    } catch (DataFormatException e) {
                        state = State.FAILED;
                        break;
                    }
                    if (inflater.finished()) {
                        off = end - inflater.getRemaining();
                        state = State.TRAILER;
                    } else {
                        off = end;
                    }
                }
                case TRAILER -> {
                    pending.write(b[off++]);
                    if (pending.size() == TRAILER) {
                        pending.reset();
                        anyMember = true;
                        state = State.HEADER;
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
    }

    /** The header's length once it is complete, -1 while more bytes are needed, -2 when it is no gzip header. */
    private static int headerLength(byte[] h) {
        if (h.length >= 1 && (h[0] & 0xff) != 0x1f || h.length >= 2 && (h[1] & 0xff) != 0x8b
                || h.length >= 3 && h[2] != 8) {
            return -2;
        }
        if (h.length < 10) {
            return -1;
        }
        int flags = h[3] & 0xff;
        int at = 10;
        if ((flags & FEXTRA) != 0) {
            if (h.length < at + 2) {
                return -1;
            }
            at += 2 + ((h[at] & 0xff) | (h[at + 1] & 0xff) << 8);
        }
        for (int flag : new int[] {FNAME, FCOMMENT}) {
            if ((flags & flag) != 0) {
                while (at < h.length && h[at] != 0) {
                    at++;
                }
                if (at >= h.length) {
                    return -1;
                }
                at++;
            }
        }
        if ((flags & FHCRC) != 0) {
            at += 2;
        }
        return h.length >= at ? (h.length == at ? at : -2) : -1;
    }

    @Override
    public void close() {
        inflater.end();
    }
}
