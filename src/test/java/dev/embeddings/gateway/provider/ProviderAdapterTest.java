package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.Provider;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Per-attempt timeouts: the deployment's own, cut to what is left of the request deadline. */
class ProviderAdapterTest {

    static final class Plain extends ProviderAdapter {
        Plain() {
            super(Provider.AZURE);
        }

        @Override
        protected int defaultBatchSize(Deployment d) {
            return 1;
        }
    }

    private static Deployment deployment(Map<String, Object> params) {
        Map<String, Object> p = new HashMap<>(params);
        p.put("model", "azure/x");
        return new Deployment("m", Provider.AZURE, "x", p, Map.of(), 0);
    }

    @Test
    void attemptTimeoutIsTheDeploymentsOwnOrWhatTheDeadlineLeaves() {
        Plain a = new Plain();
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        Deployment d = deployment(Map.of("timeout", 30));
        assertEquals(30_000, a.attemptTimeoutMs(ex, d));
        assertEquals(ProviderAdapter.DEFAULT_TIMEOUT_MS, a.attemptTimeoutMs(ex, deployment(Map.of())));

        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(7_500));
        assertEquals(7_000, a.attemptTimeoutMs(ex, d), "whole seconds, rounded down");
        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(650));
        assertEquals(600, a.attemptTimeoutMs(ex, d), "tenths under a second");
        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() - 1);
        assertEquals(100, a.attemptTimeoutMs(ex, d), "never below 100 ms");
        ex.setProperty(ProviderAdapter.DEADLINE_PROPERTY, System.nanoTime() + TimeUnit.SECONDS.toNanos(100));
        assertEquals(30_000, a.attemptTimeoutMs(ex, d), "the deployment's timeout when the deadline is further");
    }

    @Test
    void httpEndpointCarriesTheAttemptTimeouts() {
        Plain a = new Plain();
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        Deployment d = deployment(Map.of("timeout", 45));
        assertEquals("http://h/p?api-version=1&throwExceptionOnFailure=false&connectTimeout=30000"
                + "&responseTimeout=45000&soTimeout=45000&connectionRequestTimeout=45000",
                a.httpEndpoint(ex, d, "http://h/p?api-version=1"));
        assertEquals("http://h/p?throwExceptionOnFailure=false&connectTimeout=2000&responseTimeout=2000"
                + "&soTimeout=2000&connectionRequestTimeout=2000", a.httpEndpoint(ex, deployment(Map.of("timeout", 2)),
                "http://h/p"));
    }

    /** An adapter with small budgets: 4 inputs, 12 bytes and 6 tokens per call; images 2 per call. */
    static class Budgeted extends ProviderAdapter {
        Budgeted() {
            super(Provider.AZURE);
        }

        @Override
        protected int defaultBatchSize(Deployment d) {
            return 4;
        }

        @Override
        protected long defaultMaxBatchBytes(Deployment d) {
            return 12;
        }

        @Override
        protected int maxBatchTokens(Deployment d) {
            return 6;
        }

        @Override
        protected long imageMaxBytes(Deployment d) {
            return 1000;
        }

        @Override
        protected int imageBatchSize(Deployment d) {
            return 2;
        }
    }

    private static java.util.List<String> plan(ProviderAdapter a, Deployment d, java.util.List<String> texts) {
        Exchange ex = new DefaultExchange(new DefaultCamelContext());
        ex.setProperty(EmbeddingCall.PROPERTY, new EmbeddingCall(new dev.embeddings.gateway.openai.EmbeddingRequest(
                "m", texts, null, dev.embeddings.gateway.openai.EncodingFormat.FLOAT, null, null, Map.of()), d));
        return a.plan(ex).stream().flatMap(java.util.List::stream)
                .map(b -> b.offset() + ":" + String.join("|", b.texts())).toList();
    }

    @Test
    void batchesAreSplitByCountBytesTokensAndKind() {
        Budgeted a = new Budgeted();
        Deployment d = deployment(Map.of());
        // count: 4 per call (each input 1 byte, 1 token)
        assertEquals(java.util.List.of("0:a|b|c|d", "4:e"), plan(a, d, java.util.List.of("a", "b", "c", "d", "e")));
        // bytes: 12 per call ("hello" is 5 bytes, "héllo" 6, so "x" fits and "yy" does not); an input over the
        // budget goes alone
        assertEquals(java.util.List.of("0:hello|héllo|x", "3:yy", "4:abcdefghijklmnop", "5:z"),
                plan(a, d, java.util.List.of("hello", "héllo", "x", "yy", "abcdefghijklmnop", "z")));
        // tokens: 6 per call, counted only because the request's bytes could exceed 6 ("go go go" is 3 tokens)
        assertEquals(java.util.List.of("0:go go go|go go go", "2:go go go"), plan(a,
                deployment(Map.of("max_batch_bytes", 100)), java.util.List.of("go go go", "go go go", "go go go")));
        // images never share a call with texts, 2 per call
        String img = "data:image/png;base64,iVBORw0KGgo=";
        assertEquals(java.util.List.of("0:t", "1:" + img + "|" + img, "3:" + img, "4:u"),
                plan(a, deployment(Map.of("max_batch_bytes", 100)), java.util.List.of("t", img, img, img, "u")));
        // max_batch_bytes from litellm_params wins over the default
        assertEquals(java.util.List.of("0:hello|héllo|x|y"),
                plan(a, deployment(Map.of("max_batch_bytes", 100)), java.util.List.of("hello", "héllo", "x", "y")));
    }

    @Test
    void deploymentDefaultsFillOnlyWhatTheClientDidNotSend() {
        ProviderAdapter a = new Budgeted() {
            @Override
            protected java.util.Set<String> forwardedFields(Deployment d) {
                return java.util.Set.of("truncate", "input_type");
            }
        };
        Deployment d = deployment(Map.of("truncate", "END", "input_type", "search_document", "other", "x"));
        EmbeddingCall call = new EmbeddingCall(new dev.embeddings.gateway.openai.EmbeddingRequest("m",
                java.util.List.of("a"), null, dev.embeddings.gateway.openai.EncodingFormat.FLOAT, null, null,
                Map.of("truncate", com.fasterxml.jackson.databind.node.TextNode.valueOf("NONE"))), d);
        EmbeddingCall effective = a.withDefaults(call);
        assertEquals("NONE", effective.request().extras().get("truncate").asText(), "the client's own value wins");
        assertEquals("search_document", effective.request().extras().get("input_type").asText());
        assertEquals(2, effective.request().extras().size(), "only forwarded fields are added");
    }
}
