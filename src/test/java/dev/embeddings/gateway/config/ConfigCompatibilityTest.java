package dev.embeddings.gateway.config;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real LiteLLM configs mix chat and embedding models, and carry keys this gateway does not use. */
class ConfigCompatibilityTest {

    /** Captures what ConfigLoader logs. */
    static final class Captured extends AbstractAppender {
        final List<LogEvent> events = new CopyOnWriteArrayList<>();

        Captured() {
            super("captured", null, null, true, Property.EMPTY_ARRAY);
        }

        @Override
        public void append(LogEvent event) {
            events.add(event.toImmutable());
        }

        List<String> at(Level level) {
            return events.stream().filter(e -> e.getLevel() == level).map(e -> e.getMessage().getFormattedMessage())
                    .toList();
        }
    }

    private Captured log;
    private Logger logger;

    @BeforeEach
    void capture() {
        logger = (Logger) LogManager.getLogger(ConfigLoader.class);
        log = new Captured();
        log.start();
        logger.addAppender(log);
    }

    @AfterEach
    void release() {
        logger.removeAppender(log);
    }

    private static GatewayConfig parse(String yaml) {
        return new ConfigLoader(Map.of("K", "secret-value-1")::get).parse(yaml, "config.yaml");
    }

    @Test
    void chatEntriesAreSkippedInOneInfoLineAndTheRestServes() {
        GatewayConfig c = parse("""
                model_list:
                  - model_name: gpt-4o
                    litellm_params: {model: openai/gpt-4o, api_key: os.environ/K}
                  - model_name: claude
                    litellm_params: {model: anthropic/claude-3-5-sonnet-20240620, api_key: os.environ/K}
                  - model_name: small
                    litellm_params: {model: text-embedding-3-small, api_key: os.environ/K}
                  - model_name: bare-chat
                    litellm_params: {model: gpt-4o-mini}
                  - model_name: vllm-chat
                    litellm_params: {model: hosted_vllm/meta-llama/Llama-3.1-8B-Instruct, api_base: http://h:8000/v1}
                  - model_name: vllm-embed
                    litellm_params: {model: hosted_vllm/BAAI/bge-m3, api_base: http://h:8000/v1}
                  - model_name: e5-instruct
                    litellm_params: {model: hosted_vllm/intfloat/e5-mistral-7b-instruct, api_base: http://h:8000/v1}
                  - model_name: claude-bedrock
                    litellm_params: {model: bedrock/anthropic.claude-3-sonnet-20240229-v1:0}
                  - model_name: titan
                    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0}
                  - model_name: azure-chat
                    litellm_params: {model: azure/gpt-4o-deploy, api_base: https://x.openai.azure.com}
                  - model_name: azure-embed
                    litellm_params: {model: azure/prod-embeddings, api_base: https://x.openai.azure.com}
                  - model_name: azure-by-base-model
                    litellm_params: {model: azure/deployment-7, api_base: https://x.openai.azure.com}
                    model_info: {base_model: azure/gpt-4-turbo}
                  - model_name: rerank
                    litellm_params: {model: cohere/rerank-english-v3.0}
                  - model_name: cohere-embed
                    litellm_params: {model: cohere/embed-english-v3.0}
                  - model_name: said-chat
                    litellm_params: {model: ollama/nomic-embed-text}
                    model_info: {mode: chat}
                  - model_name: said-embedding
                    litellm_params: {model: ollama/some-custom-name}
                    model_info: {mode: embedding, output_vector_size: 768, input_cost_per_token: 0.0000001}
                  - model_name: custom-provider
                    litellm_params: {model: BAAI/bge-large-en-v1.5, custom_llm_provider: hosted_vllm, api_base: http://h/v1}
                router_settings:
                  fallbacks: [{"gpt-4o": ["claude"]}, {"small": ["vllm-embed", "claude"]}]
                """);
        List<String> served = c.deployments().stream().map(Deployment::modelName).toList();
        assertEquals(List.of("small", "vllm-embed", "e5-instruct", "titan", "azure-embed", "cohere-embed",
                "said-embedding", "custom-provider"), served);
        Deployment small = c.deployments().get(0);
        assertEquals(Provider.OPENAI, small.provider());
        assertEquals("text-embedding-3-small", small.upstreamModel());
        Deployment custom = c.deployments().get(7);
        assertEquals(Provider.HOSTED_VLLM, custom.provider());
        assertEquals("BAAI/bge-large-en-v1.5", custom.upstreamModel());
        assertEquals(768, c.deployments().get(6).modelInfo().get("output_vector_size"));

        List<String> skipped = log.at(Level.INFO).stream().filter(m -> m.contains("are skipped")).toList();
        assertEquals(1, skipped.size(), log.at(Level.INFO).toString());
        assertEquals("config: 9 model_list entries have no embeddings here and are skipped: "
                + "gpt-4o ('gpt-4o' is not an embedding model), "
                + "claude (provider 'anthropic' has no embeddings here), "
                + "bare-chat ('gpt-4o-mini' is not an embedding model), "
                + "vllm-chat ('meta-llama/Llama-3.1-8B-Instruct' looks like a chat model), "
                + "claude-bedrock ('anthropic.claude-3-sonnet-20240229-v1:0' is not an embedding model), "
                + "azure-chat ('gpt-4o-deploy' looks like a chat model), "
                + "azure-by-base-model ('azure/gpt-4-turbo' is not an embedding model), "
                + "rerank ('rerank-english-v3.0' is not an embedding model), "
                + "said-chat (model_info.mode is chat)", skipped.get(0));
        // fallbacks naming skipped groups are dropped, the rest kept
        assertEquals(List.of(Map.of("small", List.of("vllm-embed"))), c.routerSettings().get("fallbacks"));
    }

    @Test
    void unknownKeysAreWarnedOnceNamingKeyAndEntryAndKnownOnesAreNot() {
        parse("""
                model_list:
                  - model_name: small
                    litellm_params:
                      model: openai/text-embedding-3-small
                      api_key: os.environ/K
                      tiemout: 30
                      rpm: 100
                      input_cost_per_token: 0.00000002
                  - model_name: chat
                    litellm_params: {model: openai/gpt-4o, temprature: 0.2}
                general_settings:
                  master_key: os.environ/K
                  database_url: postgres://x
                  master_kye: oops
                litellm_settings:
                  drop_params: true
                  num_retires: 3
                router_settings:
                  routing_strategy: least-busy
                  redis_host: localhost
                  cooldwn_time: 10
                """);
        List<String> warnings = log.at(Level.WARN);
        assertEquals(List.of(
                "config: general_settings: unknown key 'master_kye' is ignored (not a LiteLLM setting this gateway "
                        + "knows; did you mean 'master_key'?)",
                "config: litellm_settings: unknown key 'num_retires' is ignored (not a LiteLLM setting this gateway "
                        + "knows; did you mean 'num_retries'?)",
                "config: router_settings: unknown key 'cooldwn_time' is ignored (not a LiteLLM setting this gateway "
                        + "knows; did you mean 'cooldown_time'?)",
                "config: model_list entry 'small' litellm_params: unknown key 'tiemout' is ignored (not a LiteLLM "
                        + "setting this gateway knows; did you mean 'timeout'?)"), warnings);
        assertTrue(warnings.stream().noneMatch(w -> w.contains("secret-value-1")));
        assertTrue(log.at(Level.INFO).contains("config: model_list entry 'small' litellm_params: LiteLLM keys "
                + "[input_cost_per_token] are accepted and not used by this gateway"), log.at(Level.INFO).toString());
    }
}
