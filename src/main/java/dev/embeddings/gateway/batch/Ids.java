package dev.embeddings.gateway.batch;

import java.security.SecureRandom;

/** OpenAI-shaped random ids: {@code file-…}, {@code batch_…}, {@code batch_req_…} (24 base62 characters). */
public final class Ids {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final char[] ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();

    private Ids() {
    }

    public static String file() {
        return "file-" + random(24);
    }

    public static String batch() {
        return "batch_" + random(24);
    }

    public static String request() {
        return "batch_req_" + random(24);
    }

    /** The output / error file of a batch: fixed per batch, so finishing a batch twice writes the same files. */
    public static String outputFile(String batchId) {
        return "file-" + batchId.substring(batchId.indexOf('_') + 1) + "-output";
    }

    public static String errorFile(String batchId) {
        return "file-" + batchId.substring(batchId.indexOf('_') + 1) + "-errors";
    }

    /** An id as it may appear in a path: letters, digits, '-' and '_' only, 1..100 characters. */
    public static boolean wellFormed(String id) {
        return id != null && id.matches("[A-Za-z0-9_-]{1,100}");
    }

    static String random(int n) {
        char[] c = new char[n];
        for (int i = 0; i < n; i++) {
            c[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
        }
        return new String(c);
    }
}
