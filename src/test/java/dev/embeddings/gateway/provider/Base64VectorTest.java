package dev.embeddings.gateway.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.normalize.ResponseNormalizer;
import dev.embeddings.gateway.openai.Base64Floats;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.EncodingFormat;
import dev.embeddings.gateway.openai.GatewayException;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The base64 path of OpenAI-format upstreams: the same vectors, to the bit, whether the upstream answered with float
 * text or base64, whether the gateway passes the upstream's base64 through or decodes it, and for every consumer of
 * EmbeddingResult (float arrays, the response writer).
 */
public class Base64VectorTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** Values that stress a float round trip: tiny, huge, subnormal, negative zero, many digits. */
    public static float[][] vectors(int n, int d, long seed) {
        Random r = new Random(seed);
        float[][] v = new float[n][d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                v[i][j] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(8) - 6));
            }
        }
        v[0][0] = Float.MIN_VALUE;
        v[0][1] = -0.0f;
        v[0][2] = Float.MAX_VALUE;
        v[0][3] = 0.1f;
        v[0][4] = -1.17549435E-38f;
        return v;
    }

    public static String floatAnswer(float[][] v) {
        StringBuilder b = new StringBuilder("{\"object\":\"list\",\"data\":[");
        for (int i = 0; i < v.length; i++) {
            b.append(i > 0 ? "," : "").append("{\"object\":\"embedding\",\"index\":").append(i).append(",\"embedding\":[");
            for (int j = 0; j < v[i].length; j++) {
                // the float's exact decimal value: reads back as the same float
                b.append(j > 0 ? "," : "").append(v[i][j] == 0 ? Float.toString(v[i][j])
                        : new BigDecimal(v[i][j]).toString());
            }
            b.append("]}");
        }
        return b.append("],\"model\":\"m\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}").toString();
    }

    public static String base64(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return Base64.getEncoder().encodeToString(b.array());
    }

    public static String base64Answer(float[][] v, boolean reversed) {
        StringBuilder b = new StringBuilder("{\"object\":\"list\",\"data\":[");
        for (int k = 0; k < v.length; k++) {
            int i = reversed ? v.length - 1 - k : k;
            b.append(k > 0 ? "," : "").append("{\"object\":\"embedding\",\"index\":").append(i)
                    .append(",\"embedding\":\"").append(base64(v[i])).append("\"}");
        }
        return b.append("],\"model\":\"m\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}").toString();
    }

    static Batch batch(int n) {
        return new Batch(0, java.util.Collections.nCopies(n, "x"), null);
    }

    static BatchResult parse(String body, int n) {
        return OpenAiFormat.response(body.getBytes(StandardCharsets.UTF_8), batch(n), "Test");
    }

    public static void assertBits(float[][] expected, float[][] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i].length, actual[i].length);
            for (int j = 0; j < expected[i].length; j++) {
                assertEquals(Float.floatToRawIntBits(expected[i][j]), Float.floatToRawIntBits(actual[i][j]),
                        "vector " + i + "[" + j + "]: " + expected[i][j] + " vs " + actual[i][j]);
            }
        }
    }

    static EmbeddingResult result(BatchResult r) {
        return new EmbeddingResult(r.vectors(), r.tokens(), r.base64());
    }

    @Test
    void base64AndFloatAnswersGiveTheSameBits() {
        float[][] v = vectors(3, 64, 1);
        BatchResult fromFloat = parse(floatAnswer(v), 3);
        BatchResult fromBase64 = parse(base64Answer(v, true), 3);
        assertNull(fromFloat.base64());
        assertNotNull(fromBase64.base64());
        assertNull(fromBase64.vectors()[0], "kept as text, not decoded while parsing");
        assertBits(v, fromFloat.vectors());
        assertBits(v, result(fromBase64).vectors());
        assertEquals(5, fromBase64.tokens());
    }

    @Test
    void passThroughWritesTheUpstreamsTextAndDecodingWritesTheSameBits() throws Exception {
        float[][] v = vectors(2, 1536, 2);
        String upstream = base64Answer(v, false);
        ResponseNormalizer normalizer = new ResponseNormalizer();

        EmbeddingResult passThrough = result(parse(upstream, 2));
        JsonNode out = JSON.readTree(normalizer.write(passThrough, "asked", EncodingFormat.BASE64));
        for (int i = 0; i < 2; i++) {
            assertEquals(base64(v[i]), out.get("data").get(i).get("embedding").asText(), "the upstream's text");
        }

        // the same answer decoded (as the float path, the Kamelet and the Kafka pipeline do), then re-encoded
        EmbeddingResult decoded = new EmbeddingResult(result(parse(upstream, 2)).vectors(), 5);
        JsonNode reencoded = JSON.readTree(normalizer.write(decoded, "asked", EncodingFormat.BASE64));
        assertEquals(out, reencoded, "pass-through and decode/re-encode give the same response");

        // float response: each number reads back as the exact float32
        JsonNode floats = JSON.readTree(normalizer.write(passThrough, "asked", EncodingFormat.FLOAT));
        float[][] back = new float[2][];
        for (int i = 0; i < 2; i++) {
            JsonNode e = floats.get("data").get(i).get("embedding");
            back[i] = new float[e.size()];
            for (int j = 0; j < e.size(); j++) {
                back[i][j] = Float.parseFloat(e.get(j).asText());
            }
        }
        assertBits(v, back);
    }

    @Test
    void vectorsAreDecodedOnceAndShared() {
        float[][] v = vectors(2, 8, 3);
        EmbeddingResult r = result(parse(base64Answer(v, false), 2));
        assertEquals(8, r.dimensions(), "known without decoding");
        float[][] first = r.vectors();
        assertSame(first, r.vectors());
        assertSame(first[1], r.vectors()[1]);
        assertBits(v, first);
        assertNotNull(r.base64(1), "the text stays for writers");
    }

    @Test
    void escapedBase64IsReadThroughTheParser() {
        float[][] v = {{-1.5f, 2.25e-3f, 7f, 0.3333f, 1e-30f, -4f}};
        String text = base64(v[0]);
        String escaped = text.replace("/", "\\/").replace("A", "\\u0041");
        BatchResult r = parse("{\"data\":[{\"index\":0,\"embedding\":\"" + escaped + "\"}]}", 1);
        assertNull(r.base64(), "escaped text is decoded, not passed through");
        assertBits(v, r.vectors());
    }

    @Test
    void brokenBase64IsA502() {
        for (String bad : List.of("not base64!", "QUJD", "QUJDRA", "QUJDREVG")) {
            GatewayException e = assertThrows(GatewayException.class,
                    () -> parse("{\"data\":[{\"index\":0,\"embedding\":\"" + bad + "\"}]}", 1), bad);
            assertEquals(502, e.status(), bad);
        }
    }

    @Test
    void nonFiniteValuesNeverPassThrough() {
        for (float x : new float[]{Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            String body = "{\"data\":[{\"index\":0,\"embedding\":\"" + base64(new float[]{0.5f, x}) + "\"}]}";
            GatewayException e = assertThrows(GatewayException.class, () -> parse(body, 1));
            assertEquals(502, e.status());
            assertEquals("upstream_bad_response", e.code());
        }
    }

    @Test
    void raggedBase64AnswersAreA502() {
        String body = "{\"data\":[{\"index\":0,\"embedding\":\"" + base64(new float[]{1, 2, 3}) + "\"},"
                + "{\"index\":1,\"embedding\":\"" + base64(new float[]{1, 2}) + "\"}]}";
        BatchResult r = parse(body, 2);
        Exchange ex = exchange(null, false);
        BatchCollector.Results slots = new BatchCollector.Results(2);
        ex.setProperty(BatchCollector.PROPERTY, slots);
        ex.getMessage().setBody(r);
        new BatchCollector().aggregate(null, ex);
        GatewayException e = assertThrows(GatewayException.class, () -> new BatchCollector().result(ex));
        assertEquals(502, e.status());
        assertTrue(e.getMessage().contains("2 dimensions, not 3"), e.getMessage());
    }

    /** The adapter's finish step: a matryoshka truncation makes new vectors; otherwise the upstream's text stays. */
    @Test
    void truncationReencodesAndEverythingElsePassesThrough() throws Exception {
        float[][] v = vectors(2, 8, 4);
        String body = base64Answer(v, false);
        ResponseNormalizer normalizer = new ResponseNormalizer();

        EmbeddingResult kept = finish(body, null);
        assertNotNull(kept.base64(0), "no dimensions asked: the upstream's text is kept");
        assertNotNull(finish(body, 8).base64(0), "dimensions equal to the vectors': kept too");

        EmbeddingResult cut = finish(body, 4);
        assertNull(cut.base64(0), "truncated and re-normalised: new float vectors");
        float[] expected = Dimensions.truncate(new float[][]{v[0]}, 4)[0];
        assertBits(new float[][]{expected}, new float[][]{cut.vectors()[0]});
        JsonNode out = JSON.readTree(normalizer.write(cut, "m", EncodingFormat.BASE64));
        assertEquals(Base64Floats.encode(expected), out.get("data").get(0).get("embedding").asText());
        assertNotEquals(base64(v[0]), out.get("data").get(0).get("embedding").asText());
    }

    private static Exchange exchange(Integer dimensions, boolean matryoshka) {
        Map<String, Object> p = new HashMap<>();
        p.put("model", "sagemaker/x");
        if (matryoshka) {
            p.put("matryoshka", true);
        }
        Deployment d = new Deployment("m", Provider.SAGEMAKER, "x", p, Map.of(), 0);
        EmbeddingRequest req = new EmbeddingRequest("m", List.of("a", "b"), null, EncodingFormat.BASE64, dimensions,
                null, Map.of());
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        ex.setProperty(EmbeddingCall.PROPERTY, new EmbeddingCall(req, d));
        return ex;
    }

    private static EmbeddingResult finish(String body, Integer dimensions) {
        ProviderAdapter adapter = new ProviderAdapter(Provider.SAGEMAKER) {
            @Override
            protected int defaultBatchSize(Deployment d) {
                return 32;
            }
        };
        Exchange ex = exchange(dimensions, true);
        BatchCollector.Results slots = new BatchCollector.Results(2);
        ex.setProperty(BatchCollector.PROPERTY, slots);
        ex.getMessage().setBody(parse(body, 2));
        new BatchCollector().aggregate(null, ex);
        return adapter.finish(ex);
    }
}
