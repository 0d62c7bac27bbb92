package dev.embeddings.gateway.batch;

import java.nio.charset.StandardCharsets;

/**
 * The outcome of one input line: its line number (1-based, as in the input file), whether it belongs in the output
 * file ({@code ok}: the core answered 200) or the error file, and the line to write there, in OpenAI's batch output
 * format (UTF-8 JSON, no newline):
 * {@code {"id","custom_id","response":{"status_code","request_id","body"},"error"}}.
 */
public record LineResult(int line, boolean ok, byte[] json) {

    /**
     * The result log's and the results topic's encoding: {@code <line>\t<1|0>\t<json>} (JSON escapes every tab and
     * newline inside strings, so the record is one line).
     */
    public byte[] encode() {
        byte[] head = (line + "\t" + (ok ? '1' : '0') + "\t").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[head.length + json.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(json, 0, out, head.length, json.length);
        return out;
    }

    /** Decodes {@link #encode()} from {@code bytes[from, to)}; IllegalArgumentException when malformed. */
    public static LineResult decode(byte[] bytes, int from, int to) {
        int t1 = indexOf(bytes, (byte) '\t', from, to);
        int t2 = t1 < 0 ? -1 : indexOf(bytes, (byte) '\t', t1 + 1, to);
        if (t1 <= from || t2 != t1 + 2 || t2 + 1 >= to || bytes[t2 + 1] != '{') {
            throw new IllegalArgumentException("malformed result record");
        }
        int line = Integer.parseInt(new String(bytes, from, t1 - from, StandardCharsets.US_ASCII));
        boolean ok = bytes[t1 + 1] == '1';
        byte[] json = new byte[to - t2 - 1];
        System.arraycopy(bytes, t2 + 1, json, 0, json.length);
        return new LineResult(line, ok, json);
    }

    public static LineResult decode(byte[] bytes) {
        return decode(bytes, 0, bytes.length);
    }

    private static int indexOf(byte[] b, byte c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }
}
