import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;

/**
 * How fast can an upstream's vectors be read? By hand (bench/, never in CI), on a TEI-native-shaped body of 8 × 1536
 * floats, 9 significant digits: Jackson with its default float parsing, Jackson with FastDoubleParser
 * (StreamReadFeature.USE_FAST_DOUBLE_PARSER, what the gateway uses), and the same vectors as base64 little-endian
 * float32 (what OpenAI-format upstreams are asked for). Prints µs per body, best of several rounds, interleaved.
 * usage: java -cp $(find ~/.m2 -name 'jackson-core-2.19*.jar' | head -1) bench/FloatParseBench.java
 */
public class FloatParseBench {
    public static void main(String[] args) throws Exception {
        int n = 8, d = 1536;
        Random r = new Random(1);
        float[][] v = new float[n][d];
        StringBuilder text = new StringBuilder("[");
        StringBuilder b64 = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            ByteBuffer bytes = ByteBuffer.allocate(d * 4).order(ByteOrder.LITTLE_ENDIAN);
            text.append(i > 0 ? ",[" : "[");
            for (int j = 0; j < d; j++) {
                v[i][j] = (float) (r.nextGaussian() * 0.03);
                text.append(j > 0 ? "," : "").append(String.format("%.9g", v[i][j]));
                bytes.putFloat(v[i][j]);
            }
            text.append(']');
            b64.append(i > 0 ? "," : "").append('"').append(Base64.getEncoder().encodeToString(bytes.array())).append('"');
        }
        byte[] floatBody = text.append(']').toString().getBytes(StandardCharsets.UTF_8);
        byte[] base64Body = b64.append(']').toString().getBytes(StandardCharsets.UTF_8);
        JsonFactory plain = new JsonFactory();
        JsonFactory fast = JsonFactory.builder().enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER).build();
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE, Double.MAX_VALUE};
        String[] names = {"jackson default parseFloat", "jackson + FastDoubleParser", "base64 float32"};
        float sink = 0;
        for (int round = 0; round < 30; round++) {
            for (int k = 0; k < 3; k++) {
                long t0 = System.nanoTime();
                for (int rep = 0; rep < 50; rep++) {
                    sink += k == 2 ? base64(base64Body, fast) : floats(floatBody, k == 0 ? plain : fast);
                }
                best[k] = Math.min(best[k], (System.nanoTime() - t0) / 50 / 1000.0);
            }
        }
        System.out.printf("body: %d floats (%d bytes as text, %d as base64)%n", n * d, floatBody.length, base64Body.length);
        for (int k = 0; k < 3; k++) {
            System.out.printf("%-28s %8.1f µs per body%n", names[k], best[k]);
        }
        if (sink == 42) {
            System.out.println();
        }
    }

    static float floats(byte[] body, JsonFactory f) throws Exception {
        float s = 0;
        try (JsonParser p = f.createParser(body)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.VALUE_NUMBER_FLOAT || t == JsonToken.VALUE_NUMBER_INT) {
                    s += p.getFloatValue();
                }
            }
        }
        return s;
    }

    static float base64(byte[] body, JsonFactory f) throws Exception {
        float s = 0;
        try (JsonParser p = f.createParser(body)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.VALUE_STRING) {
                    ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(p.getText())).order(ByteOrder.LITTLE_ENDIAN);
                    float[] out = new float[b.remaining() / 4];
                    b.asFloatBuffer().get(out);
                    s += out[0];
                }
            }
        }
        return s;
    }
}
