package dev.embeddings.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.routing.VectorSpaces.VectorSpace;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a cache key covers (the policy; stores only see the strings): {@code <namespace>:<64 hex digits>}, the
 * SHA-256 of
 * <ul>
 *   <li>the vector space of the deployment(s) that embed it (provider, upstream model and the vector-changing
 *       {@code litellm_params}: {@link dev.embeddings.gateway.routing.VectorSpaces});</li>
 *   <li>the request's {@code dimensions} and every provider option it sent ({@code input_type}, {@code task},
 *       {@code truncate}, {@code normalize}, ... : all of the request's extras, by name, as canonical JSON);</li>
 *   <li>the input: its text (UTF-8), or its token ids, marked apart so that a text never meets an id array.</li>
 * </ul>
 * Not covered: {@code model} as the client named it (aliases of one deployment share entries), {@code user},
 * {@code encoding_format} (both encodings are served from the same float32 entry), the client's API key, and
 * whether {@code input} was a string or a list (both parse to the same list of one).
 */
public final class CacheKeys {

    private static final byte[] VERSION = "embeddings-gateway cache v1\n".getBytes(StandardCharsets.UTF_8);
    private final String prefix;

    public CacheKeys(String namespace) {
        this.prefix = namespace.isEmpty() ? "" : namespace + ":";
    }

    /** One key per input of {@code request}, in input order, for vectors of {@code space}. */
    public List<String> keys(VectorSpace space, EmbeddingRequest request) {
        MessageDigest common = sha256();
        common.update(VERSION);
        common.update(space.id().getBytes(StandardCharsets.UTF_8));
        common.update(("\ndimensions=" + request.dimensions() + "\noptions=" + canonical(request.extras()) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        HexFormat hex = HexFormat.of();
        List<String> keys = new ArrayList<>(request.size());
        for (int i = 0; i < request.size(); i++) {
            MessageDigest d = copy(common);
            if (request.texts() != null) {
                d.update((byte) 't');
                d.update(request.texts().get(i).getBytes(StandardCharsets.UTF_8));
            } else {
                d.update((byte) 'i');
                for (int id : request.tokenIds().get(i)) {
                    d.update((byte) (id >>> 24));
                    d.update((byte) (id >>> 16));
                    d.update((byte) (id >>> 8));
                    d.update((byte) id);
                }
            }
            keys.add(prefix + hex.formatHex(d.digest()));
        }
        return keys;
    }

    /** JSON of {@code extras} with object keys sorted at every level. */
    static String canonical(Map<String, JsonNode> extras) {
        StringBuilder b = new StringBuilder("{");
        new TreeMap<>(extras).forEach((k, v) -> {
            b.append(b.length() > 1 ? "," : "").append(quote(k)).append(':');
            canonical(v, b);
        });
        return b.append('}').toString();
    }

    private static void canonical(JsonNode n, StringBuilder b) {
        if (n.isObject()) {
            TreeMap<String, JsonNode> sorted = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                sorted.put(e.getKey(), e.getValue());
            }
            b.append('{');
            boolean first = true;
            for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
                b.append(first ? "" : ",").append(quote(e.getKey())).append(':');
                canonical(e.getValue(), b);
                first = false;
            }
            b.append('}');
        } else if (n.isArray()) {
            b.append('[');
            for (int i = 0; i < n.size(); i++) {
                b.append(i > 0 ? "," : "");
                canonical(n.get(i), b);
            }
            b.append(']');
        } else {
            b.append(n.toString());
        }
    }

    private static String quote(String s) {
        return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static MessageDigest copy(MessageDigest d) {
        try {
            return (MessageDigest) d.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }
}
