package dev.embeddings.gateway.batch;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a JSONL file line by line with bounded memory: a line longer than {@code maxLineBytes} is skipped (its
 * bytes are not kept) and reported as {@link Line#tooLong()}. Lines are numbered from 1 as a text editor does; the
 * terminator ({@code \n} or {@code \r\n}) is not part of the line, and a final line without one counts.
 */
final class LineReader implements Closeable {

    /** One physical line: its number, its bytes (null when too long). */
    record Line(int number, byte[] bytes, boolean tooLong) {
        boolean blank() {
            if (bytes == null) {
                return false;
            }
            for (byte b : bytes) {
                if (b != ' ' && b != '\t' && b != '\r') {
                    return false;
                }
            }
            return true;
        }
    }

    private final InputStream in;
    private final int maxLineBytes;
    private final ByteArrayOutputStream buf = new ByteArrayOutputStream(1024);
    private int number;
    private boolean eof;

    LineReader(InputStream in, int maxLineBytes) {
        this.in = new BufferedInputStream(in, 1 << 16);
        this.maxLineBytes = maxLineBytes;
    }

    /** The next line, or null at the end of the file. */
    Line next() throws IOException {
        if (eof) {
            return null;
        }
        buf.reset();
        long length = 0;
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            length++;
            if (length <= maxLineBytes + 1L) {
                buf.write(b);
            }
        }
        if (b == -1) {
            eof = true;
            if (length == 0) {
                return null;
            }
        }
        number++;
        byte[] bytes = buf.toByteArray();
        int n = bytes.length;
        if (n > 0 && bytes[n - 1] == '\r' && length <= maxLineBytes + 1L) {
            length--;
            bytes = java.util.Arrays.copyOf(bytes, n - 1);
        }
        if (length > maxLineBytes) {
            return new Line(number, null, true);
        }
        return new Line(number, bytes, false);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
