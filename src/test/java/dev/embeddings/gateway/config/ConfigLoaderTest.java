package dev.embeddings.gateway.config;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigLoaderTest {

    private static GatewayConfig parse(String yaml, Map<String, String> env) {
        return new ConfigLoader(env::get).parse(yaml, "config.yaml");
    }

    @Test
    void osEnvironReferencesAreResolvedEverywhere() {
        GatewayConfig c = parse("""
                model_list:
                  - model_name: azure-ada
                    litellm_params:
                      model: azure/ada-002
                      api_base: os.environ/AZURE_API_BASE
                      api_key: os.environ/AZURE_API_KEY
                      api_version: "2024-02-01"
                general_settings:
                  master_key: os.environ/MASTER
                """, Map.of("AZURE_API_BASE", "http://127.0.0.1:9/", "AZURE_API_KEY", "k-123", "MASTER", "sk-m"));
        Deployment d = c.deployments().get(0);
        assertEquals(Provider.AZURE, d.provider());
        assertEquals("ada-002", d.upstreamModel());
        assertEquals("http://127.0.0.1:9/", d.string("api_base"));
        assertEquals("k-123", d.string("api_key"));
        assertEquals("2024-02-01", d.string("api_version"));
        assertEquals("sk-m", c.masterKey());
        assertFalse(d.toString().contains("k-123"), "toString must not print secrets");
    }

    @Test
    void missingVariableNamesVariableAndEntryButNoValue() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("""
                model_list:
                  - model_name: titan
                    litellm_params:
                      model: bedrock/amazon.titan-embed-text-v1
                      aws_access_key_id: os.environ/AWS_KEY_PRESENT
                      aws_secret_access_key: os.environ/AWS_SECRET_MISSING
                """, Map.of("AWS_KEY_PRESENT", "AKIAVALUE")));
        assertTrue(e.getMessage().contains("AWS_SECRET_MISSING"), e.getMessage());
        assertTrue(e.getMessage().contains("titan"), e.getMessage());
        assertFalse(e.getMessage().contains("AKIAVALUE"));
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void everyMissingVariableIsReportedAtOnce() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("""
                model_list:
                  - model_name: az
                    litellm_params:
                      model: azure/dep
                      api_base: http://127.0.0.1:9
                      api_key: os.environ/AZ_KEY_MISSING
                general_settings:
                  master_key: os.environ/MASTER_MISSING
                """, Map.of()));
        assertTrue(e.getMessage().contains("AZ_KEY_MISSING (model_list entry 'az'"), e.getMessage());
        assertTrue(e.getMessage().contains("MASTER_MISSING (general_settings"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void liteLlmSettingsAndRouterSettingsLoad() {
        GatewayConfig c = parse("""
                model_list:
                  - model_name: mini
                    litellm_params:
                      model: local/all-minilm-l6-v2
                    model_info:
                      id: mini-1
                litellm_settings:
                  drop_params: true
                  num_retries: 3
                  fallbacks: [{"mini": ["other"]}]
                router_settings:
                  routing_strategy: simple-shuffle
                  redis_host: os.environ/REDIS_HOST
                environment_variables:
                  X: y
                """, Map.of("REDIS_HOST", "127.0.0.1"));
        assertEquals(1, c.deployments().size());
        assertEquals("mini-1", c.deployments().get(0).id());
        assertEquals(3, c.litellmSettings().get("num_retries"));
        assertEquals("simple-shuffle", c.routerSettings().get("routing_strategy"));
        assertNull(c.masterKey());
    }

    @Test
    void entryWithoutLitellmParamsBlockUsesEntryLevelKeys() {
        GatewayConfig c = parse("""
                model_list:
                  - model_name: hf
                    model: huggingface/BAAI/bge-small-en-v1.5
                    api_base: http://127.0.0.1:8080
                """, Map.of());
        Deployment d = c.deployments().get(0);
        assertEquals(Provider.HUGGINGFACE, d.provider());
        assertEquals("BAAI/bge-small-en-v1.5", d.upstreamModel());
        assertEquals("http://127.0.0.1:8080", d.string("api_base"));
        assertFalse(d.params().containsKey("model_name"));
    }

    @Test
    void anEmptyFileIsAnEmptyModelList() {
        GatewayConfig c = parse("", Map.of());
        assertTrue(c.deployments().isEmpty());
        assertNull(c.masterKey());
    }

    @Test
    void anEmbeddingEntryOfAProviderWithoutEmbeddingsStopsStartUp() {
        ConfigException e = assertThrows(ConfigException.class, () -> parse("""
                model_list:
                  - model_name: x
                    litellm_params:
                      model: anthropic/claude-embed
                    model_info:
                      mode: embedding
                """, Map.of()));
        assertEquals("model_list entry 'x': model_info.mode is embedding, but provider 'anthropic' has no embeddings "
                + "in this gateway (supported: " + Provider.known() + ")", e.getMessage());
    }

    @Test
    void malformedEntriesStopStartUp() {
        for (String yaml : new String[]{
                "model_list: {a: 1}",
                "model_list:\n  - litellm_params: {model: local/all-minilm-l6-v2}",
                "model_list:\n  - model_name: x\n    litellm_params: {api_base: http://127.0.0.1}",
                "model_list:\n  - model_name: x\n    litellm_params: {model: 'azure/'}",
                "model_list:\n  - model_name: x\n    litellm_params: {model: '/x'}",
                "model_list:\n  - model_name: x\n    litellm_params: {model: local/m}\n    model_info: {output_vector_size: wide}",
                "model_list:\n  - model_name: x\n    litellm_params: [1, 2]",
                "model_list:\n  - model_name: x\n    litellm_params: {model: azure/a, timeout: -1}",
                "model_list:\n  - model_name: x\n    litellm_params: {model: azure/a, max_batch_size: lots}",
                "- just\n- a list",
                "model_list: [\n",
        }) {
            ConfigException e = assertThrows(ConfigException.class, () -> parse(yaml, Map.of()), yaml);
            assertFalse(e.getMessage().isBlank());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
