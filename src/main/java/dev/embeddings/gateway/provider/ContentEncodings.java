package dev.embeddings.gateway.provider;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;

/**
 * Upstream answers that arrive compressed although the gateway asked for {@code Accept-Encoding: identity} (some
 * proxies compress anyway): gzip and deflate are decoded, never past {@link #MAX_DECODED_BYTES} (a small body must
 * not inflate into gigabytes); any other coding ({@code br}, {@code zstd}, ...) is refused as a 502.
 */
public final class ContentEncodings {

    /** The most a compressed answer may inflate to: 128 MiB (2048 inputs × 3072 floats as JSON is about 70 MB). */
    public static final int MAX_DECODED_BYTES = 128 * 1024 * 1024;

    private ContentEncodings() {
    }

    /**
     * The body decoded from {@code contentEncoding} (null, blank or {@code identity}: as it is). Throws
     * GatewayException 502 {@code upstream_bad_response} for an unsupported coding, a corrupt stream, or more than
     * {@code maxBytes} decoded.
     */
    public static byte[] decode(byte[] body, String contentEncoding, String provider, int maxBytes) {
        if (body == null || contentEncoding == null || contentEncoding.isBlank()) {
            return body;
        }
        String coding = contentEncoding.trim().toLowerCase(Locale.ROOT);
        if (coding.equals("identity")) {
            return body;
        }
        InputStream in;
        try {
            in = switch (coding) {
                case "gzip", "x-gzip" -> new GZIPInputStream(new ByteArrayInputStream(body));
                // "deflate" is zlib-wrapped (RFC 9110); some servers send raw deflate: try zlib first
                case "deflate" -> new InflaterInputStream(new ByteArrayInputStream(body),
                        new Inflater(!looksZlib(body)));
                default -> throw UpstreamErrors.unparseable(provider, "a body in Content-Encoding '"
                        + (coding.length() > 40 ? coding.substring(0, 40) : coding)
                        + "', which the gateway does not decode (it asks for identity)");
            };
            return readBounded(in, maxBytes, provider);
        } catch (IOException e) {
            throw UpstreamErrors.unparseable(provider, "a " + coding + " body that could not be decoded");
        }
    }

    private static boolean looksZlib(byte[] b) {
        return b.length >= 2 && (b[0] & 0x0f) == 8 && ((b[0] & 0xff) * 256 + (b[1] & 0xff)) % 31 == 0;
    }

    private static byte[] readBounded(InputStream in, int maxBytes, String provider) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[16384];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                total += n;
                if (total > maxBytes) {
                    throw UpstreamErrors.unparseable(provider, "a compressed body that inflates past "
                            + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }
}
