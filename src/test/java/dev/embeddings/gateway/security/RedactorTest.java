package dev.embeddings.gateway.security;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the one redaction mechanism masks, and what it leaves alone. */
class RedactorTest {

    @Test
    void credentialShapesAreMaskedWhoeverSentThem() {
        assertEquals("Authorization: Bearer [redacted]", Redactor.redact("Authorization: Bearer eyJhbGciOi.abc-DEF"));
        assertEquals("{api-key=[redacted], Accept=application/json}",
                Redactor.redact("{api-key=az-0123456789, Accept=application/json}"));
        assertEquals("\"x-api-key\": \"[redacted]\"", Redactor.redact("\"x-api-key\": \"k-77aa88bb\""));
        assertEquals("POST https://proxy.example/embed?key=[redacted]&x=1",
                Redactor.redact("POST https://proxy.example/embed?key=qq-secret-1&x=1"));
        assertEquals("https://acct.blob.core.windows.net/c?sv=2024&sig=[redacted]",
                Redactor.redact("https://acct.blob.core.windows.net/c?sv=2024&sig=AbC%2Bdef"));
        assertEquals("key [redacted] and [redacted]", Redactor.redact("key sk-proj-abcdef123 and hf_abcdefghij"));
        assertEquals("id [redacted] in [redacted]", Redactor.redact("id AKIAIOSFODNN7EXAMPLE in 123456789012"));
        assertEquals("postgresql://[redacted]@db:5432/x", Redactor.redact("postgresql://u:pw-123@db:5432/x"));
        assertEquals("AWS4-HMAC-SHA256 Credential=[redacted], Signature=[redacted]",
                Redactor.redact("AWS4-HMAC-SHA256 Credential=AKIAX/20261203/us-east-1/bedrock/aws4_request, "
                        + "Signature=0123abcd"));
    }

    @Test
    void ordinaryTextIsLeftAloneAndNotCopied() {
        String line = "access - request_id=4473c069 method=POST path=/v1/embeddings status=200 model=mini "
                + "total_ms=13.27 client=127.0.0.1 tokens=13 send 'Authorization: Bearer <key>'";
        assertSame(line, Redactor.redact(line));
    }

    @Test
    void configuredSecretsAreMaskedVerbatimAndPercentEncoded() {
        Redactor.addConfigured("api_key", "plain/secret+value-42");
        Redactor.addConfigured("api_base", "https://h.example/v1?token=tok-9f8e7d&mode=x");
        Redactor.addConfigured("vertex_credentials", "{\"type\":\"service_account\",\"private_key_id\":"
                + "\"pkid-0123456789abcdef\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0B"
                + "\\n-----END PRIVATE KEY-----\\n\"}");
        assertEquals("a [redacted] b [redacted]", Redactor.redact("a plain/secret+value-42 b plain%2Fsecret%2Bvalue-42"));
        assertEquals("token [redacted] seen", Redactor.redact("token tok-9f8e7d seen"));
        assertEquals("[redacted] / [redacted]", Redactor.redact("pkid-0123456789abcdef / MIIEvQIBADANBgkqhkiG9w0B"));
        // a URL's user name alone is no secret; non-secret keys are not registered
        Redactor.addConfigured("database_url", "postgresql://postgres@db/litellm");
        Redactor.addConfigured("model", "azure/my-deployment-name");
        assertEquals("postgresql server, azure/my-deployment-name", Redactor.redact(
                "postgresql server, azure/my-deployment-name"));
    }

    @Test
    void fetchedTokensAreBounded() {
        for (int i = 0; i < Redactor.MAX_FETCHED + 10; i++) {
            Redactor.addFetchedSecret("ya29.fetched-token-" + i);
        }
        String newest = "ya29.fetched-token-" + (Redactor.MAX_FETCHED + 9);
        assertEquals("[redacted]", Redactor.redact(newest));
        // the oldest (expired) ones were dropped from the verbatim list; their shape is not a known one
        assertFalse(Redactor.redact("ya29.fetched-token-0").contains("[redacted]"));
        assertTrue(Redactor.isSecretKey("aws_secret_access_key") && Redactor.isSecretKey("azure_ad_token")
                && Redactor.isSecretKey("password") && !Redactor.isSecretKey("api_base"));
    }
}
