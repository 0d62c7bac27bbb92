package dev.embeddings.gateway.provider.google;

import dev.embeddings.gateway.GatewayHarness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** Google service-account key files made for tests: a fresh RSA key, a token_uri on loopback. */
public final class ServiceAccounts {

    private ServiceAccounts() {
    }

    /** A key file for project {@code my-project} whose token_uri is {@code tokenUri}; {@code key} gets the pair. */
    public static Path write(String tokenUri, KeyPair[] key) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair pair = g.generateKeyPair();
        if (key != null) {
            key[0] = pair;
        }
        String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        Map<String, String> sa = new HashMap<>();
        sa.put("type", "service_account");
        sa.put("project_id", "my-project");
        sa.put("private_key_id", "0123456789abcdef0123456789abcdef01234567");
        sa.put("private_key", pem);
        sa.put("client_email", "gateway@my-project.iam.gserviceaccount.com");
        sa.put("client_id", "100000000000000000001");
        sa.put("token_uri", tokenUri);
        Path f = Files.createTempFile("sa", ".json");
        Files.writeString(f, GatewayHarness.JSON.writeValueAsString(sa));
        return f;
    }
}
