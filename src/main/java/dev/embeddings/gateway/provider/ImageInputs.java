package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.openai.GatewayException;

import java.util.Base64;
import java.util.Locale;
import java.util.Set;

/**
 * Image inputs. An {@code input} item is an image when it is a base64 data URL
 * ({@code data:image/png;base64,...}) or an object {@code {"type":"image_url","image_url":{"url":"data:..."}}}
 * (also {@code "image_url":"data:..."}), the shape of OpenAI's chat content parts that LiteLLM accepts for
 * embeddings. Objects become their data URL when the request is parsed ({@code openai.ImageInputItem}), so a request's inputs stay a list of strings and an image is the
 * string {@code data:image/...;base64,...}. Only data URLs are accepted: the gateway never fetches a URL a client
 * names (an {@code http(s)} image URL is a 400), and the formats are PNG, JPEG, GIF and WebP.
 *
 * <p>Providers that embed images declare it ({@code ProviderAdapter.imageMaxBytes}); every other provider answers
 * 400 naming the model before any upstream call, and so does one whose size limit an image exceeds.
 */
public final class ImageInputs {

    private static final String PREFIX = "data:image/";
    static final Set<String> TYPES = Set.of("png", "jpeg", "jpg", "gif", "webp");

    private ImageInputs() {
    }

    /** Whether an input string is an image (a {@code data:image/} URL). */
    public static boolean isImage(String input) {
        return dev.embeddings.gateway.openai.ImageInputItem.isImage(input);
    }

    /** Whether any of the inputs is an image. */
    public static boolean any(java.util.List<String> texts) {
        if (texts != null) {
            for (String t : texts) {
                if (isImage(t)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A decoded image: its media type ({@code image/png}) and base64 payload (not decoded). */
    public record Image(String mediaType, String base64) {

        /** The decoded size in bytes, from the base64 length. */
        public long bytes() {
            int pad = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
            return (long) base64.length() / 4 * 3 - pad;
        }

        /** {@code data:<media type>;base64,<payload>}. */
        public String dataUrl() {
            return "data:" + mediaType + ";base64," + base64;
        }
    }

    /**
     * Parses and checks image input {@code index}: a base64 data URL of PNG, JPEG, GIF or WebP whose payload is
     * valid base64, at most {@code maxBytes} decoded. Throws GatewayException 400 (param {@code input}) naming the
     * index, the model and the limit.
     */
    public static Image parse(String dataUrl, int index, long maxBytes, String modelName) {
        String where = "input[" + index + "]";
        int comma = dataUrl.indexOf(',');
        String head = comma < 0 ? "" : dataUrl.substring(5, comma).toLowerCase(Locale.ROOT);
        if (comma < 0 || !head.endsWith(";base64")) {
            throw GatewayException.invalid("input", where + " is not a base64 data URL (data:image/png;base64,...).");
        }
        String mediaType = head.substring(0, head.length() - ";base64".length());
        int semi = mediaType.indexOf(';');
        if (semi >= 0) {
            mediaType = mediaType.substring(0, semi);
        }
        String subtype = mediaType.startsWith("image/") ? mediaType.substring(6) : "";
        if (!TYPES.contains(subtype)) {
            throw GatewayException.invalid("input", where + " is an image of type '" + mediaType
                    + "'; accepted: image/png, image/jpeg, image/gif, image/webp.");
        }
        String b64 = dataUrl.substring(comma + 1);
        Image image = new Image("jpg".equals(subtype) ? "image/jpeg" : mediaType, b64);
        if (maxBytes > 0 && image.bytes() > maxBytes) {
            throw GatewayException.invalid("input", where + " is an image of " + image.bytes() + " bytes; model '"
                    + modelName + "' accepts images of at most " + maxBytes + " bytes.");
        }
        if (b64.isEmpty() || b64.length() % 4 != 0 || !b64.chars().allMatch(c -> c >= 'A' && c <= 'Z'
                || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=')) {
            throw GatewayException.invalid("input", where + " is not valid base64 image data.");
        }
        try {
            // the head is enough to check the encoding of the whole (every 4 chars decode alone)
            Base64.getDecoder().decode(b64.substring(0, Math.min(b64.length(), 4096)));
        } catch (IllegalArgumentException e) {
            throw GatewayException.invalid("input", where + " is not valid base64 image data.");
        }
        return image;
    }
}
