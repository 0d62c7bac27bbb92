package dev.embeddings.gateway.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Key text: generation, hashing and comparison.
 *
 * <ul>
 *   <li>A key is {@code sk-} followed by 32 random bytes from {@link SecureRandom} in base64url (43 characters,
 *       256 bits): LiteLLM's shape, and long enough that its SHA-256 cannot be reversed by guessing.</li>
 *   <li>Only the SHA-256 hex of the text is stored ({@link #hash}); the text is shown once, by
 *       {@code /key/generate} or {@code /key/regenerate}.</li>
 *   <li>Hashes are compared in constant time ({@link #sameHash}).</li>
 * </ul>
 */
public final class KeyText {

    /** Every generated key starts with this. */
    public static final String PREFIX = "sk-";
    /** Longest key text that is even hashed (longer presented keys are refused at once). */
    public static final int MAX_LENGTH = 256;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private KeyText() {
    }

    /** A new random key text. */
    public static String generate() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** A new random public key identifier: 24 hex characters (96 bits), unrelated to any key text. */
    public static String newTokenId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return HEX.formatHex(b);
    }

    /** SHA-256 of the key text (UTF-8), as 64 lower-case hex characters. */
    public static String hash(String keyText) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(keyText.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Constant-time equality of two hashes ({@link MessageDigest#isEqual}); false when either is null. */
    public static boolean sameHash(String a, String b) {
        if (a == null || b == null) {
            return false;
        }
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.US_ASCII), b.getBytes(StandardCharsets.US_ASCII));
    }

    /** {@code sk-...abcd}: the prefix and the last four characters, LiteLLM's {@code key_name}. */
    public static String displayName(String keyText) {
        return PREFIX + "..." + keyText.substring(Math.max(0, keyText.length() - 4));
    }

    /** Whether {@code s} is shaped like key text (as opposed to a {@code token_id}). */
    public static boolean looksLikeKey(String s) {
        return s != null && s.startsWith(PREFIX);
    }

    /** Whether {@code s} is shaped like a {@code token_id}. */
    public static boolean looksLikeTokenId(String s) {
        return s != null && s.length() == 24 && s.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }
}
