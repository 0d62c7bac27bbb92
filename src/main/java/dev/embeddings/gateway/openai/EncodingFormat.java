package dev.embeddings.gateway.openai;

/** OpenAI {@code encoding_format}: {@code float} (JSON numbers) or {@code base64} (little-endian float32 bytes). */
public enum EncodingFormat {
    FLOAT, BASE64
}
