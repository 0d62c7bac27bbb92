package dev.embeddings.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * An {@code input} item that is a JSON object: an image as OpenAI's content parts spell it,
 * {@code {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}} (or {@code "image_url": "data:..."}).
 * It becomes its data URL, so that a request's inputs stay strings and an image is a {@code data:image/} string (what
 * providers that embed images look for, see provider.ImageInputs). Only data URLs: the gateway never fetches a URL
 * a client names.
 */
public final class ImageInputItem {

    private static final String PREFIX = "data:image/";

    private ImageInputItem() {
    }

    /** Whether an input string is an image: a {@code data:image/} URL (case-insensitive). */
    public static boolean isImage(String input) {
        return input != null && input.regionMatches(true, 0, PREFIX, 0, PREFIX.length());
    }

    /**
     * The data URL of object item {@code index}. Throws GatewayException 400 (param {@code input}, the index in the
     * message) for any other object, or an image given by an http(s) URL.
     */
    public static String dataUrl(JsonNode item, int index) {
        String where = "input[" + index + "]";
        JsonNode type = item.get("type");
        JsonNode url = item.get("image_url");
        if (type == null || !"image_url".equals(type.asText()) || url == null) {
            throw GatewayException.invalid("input", where + " must be a string or an image "
                    + "{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/...;base64,...\"}}.");
        }
        if (url.isObject()) {
            url = url.get("url");
        }
        if (url == null || !url.isTextual()) {
            throw GatewayException.invalid("input", where + ".image_url.url must be a string.");
        }
        String s = url.asText();
        if (!s.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            throw GatewayException.invalid("input", where + ": only base64 data URLs (data:image/png;base64,...) are "
                    + "accepted as images; the gateway does not fetch URLs.");
        }
        return s;
    }
}
