package dev.embeddings.gateway.routing;

import dev.embeddings.gateway.Gateway;
import dev.embeddings.gateway.GatewayOptions;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.ConfigLoader;
import dev.embeddings.gateway.config.GatewayConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Vector spaces of deployments, and the start-up rule against groups and fallbacks that cross them. */
class VectorSpacesTest {

    private static GatewayConfig parse(String yaml) {
        return new ConfigLoader(Map.of("K", "secret-key-123")::get).parse(yaml, "test");
    }

    private static VectorSpaces spaces(String yaml) {
        GatewayConfig c = parse(yaml);
        return VectorSpaces.of(c, RouterSettings.from(c));
    }

    @Test
    void aFallbackToAnotherSpaceStopsStartUpNamingBothSpaces() throws Exception {
        String yaml = """
                model_list:
                  - model_name: titan
                    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0, aws_region_name: us-east-1}
                  - model_name: cohere
                    litellm_params: {model: bedrock/cohere.embed-english-v3, aws_region_name: us-east-1}
                router_settings:
                  fallbacks: [{"titan": ["cohere"]}]
                """;
        ConfigException e = assertThrows(ConfigException.class, () -> spaces(yaml));
        String titan = VectorSpaces.derive(parse(yaml).deployments().get(0)).shortId();
        String cohere = VectorSpaces.derive(parse(yaml).deployments().get(1)).shortId();
        assertEquals("fallbacks: model group 'titan' (" + titan + " = bedrock/amazon.titan-embed-text-v2:0) falls "
                + "back to 'cohere' (" + cohere + " = bedrock/cohere.embed-english-v3), another vector space; their "
                + "vectors cannot be compared. Declare model_info.vector_space with one name on deployments that do "
                + "share a space, or set router_settings.allow_cross_space_fallback: true", e.getMessage());

        // the gateway refuses to start on it
        Path dir = Files.createTempDirectory("vs-test");
        Files.writeString(dir.resolve("config.yaml"), yaml);
        ConfigException start = assertThrows(ConfigException.class, () -> Gateway.create(GatewayOptions.parse(
                "--config", dir.resolve("config.yaml").toString(), "--routes", "routes"), Map.<String, String>of()::get));
        assertEquals(e.getMessage(), start.getMessage());

        // allowed on request: then the model reads no cache (no one space), and each deployment keeps its own
        VectorSpaces allowed = spaces(yaml + "  allow_cross_space_fallback: true\n");
        assertNull(allowed.forRequest("titan"));
        assertNotNull(allowed.forRequest("cohere"));
        assertNotNull(allowed.ofGroup("titan"));
    }

    @Test
    void aGroupAcrossSpacesStopsStartUpUnlessItsDeploymentsDeclareOneSpace() {
        String group = """
                model_list:
                  - model_name: embed
                    litellm_params: {model: azure/embed-eastus, api_base: https://east.example, api_key: os.environ/K}
                    model_info: {id: east%s}
                  - model_name: embed
                    litellm_params: {model: azure/embed-westus, api_base: https://west.example, api_key: os.environ/K}
                    model_info: {id: west%s}
                """;
        ConfigException e = assertThrows(ConfigException.class, () -> spaces(group.formatted("", "")));
        assertTrue(e.getMessage().startsWith("model group 'embed' crosses vector spaces: deployment 'east' embeds "
                + "into "), e.getMessage());
        assertTrue(e.getMessage().contains("= azure/embed-eastus, deployment 'west' into "), e.getMessage());
        assertTrue(e.getMessage().contains("= azure/embed-westus;"), e.getMessage());
        assertTrue(!e.getMessage().contains("secret-key-123"), "no secret in the message");

        VectorSpaces declared = spaces(group.formatted(", vector_space: te3-small", ", vector_space: te3-small"));
        assertEquals("declared 'te3-small'", declared.forRequest("embed").description());
        VectorSpaces base = spaces(group.formatted(", base_model: bge-large-en-v1.5",
                ", base_model: bge-large-en-v1.5"));
        assertEquals("base_model bge-large-en-v1.5", base.forRequest("embed").description());
        // OpenAI's own model is one space whether OpenAI or Azure OpenAI serves it
        VectorSpaces openAi = spaces(group.formatted(", base_model: azure/text-embedding-3-small",
                ", base_model: text-embedding-3-small") + """
                  - model_name: direct
                    litellm_params: {model: openai/text-embedding-3-small, api_key: os.environ/K}
                """);
        assertEquals("openai/text-embedding-3-small", openAi.forRequest("embed").description());
        assertEquals(openAi.forRequest("embed").id(), openAi.forRequest("direct").id());
    }

    @Test
    void endpointsCredentialsAndLimitsDoNotChangeTheSpaceButVectorParametersDo() {
        VectorSpaces s = spaces("""
                model_list:
                  - model_name: a
                    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0, aws_region_name: us-east-1,
                                     aws_access_key_id: os.environ/K, rpm: 10, timeout: 5, max_batch_size: 4}
                  - model_name: b
                    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0, aws_region_name: eu-west-1,
                                     api_base: http://127.0.0.1:1, weight: 3}
                  - model_name: c
                    litellm_params: {model: bedrock/amazon.titan-embed-text-v2:0, normalize: false}
                  - model_name: d
                    litellm_params: {model: huggingface/BAAI/bge-small-en-v1.5, pooling: cls}
                  - model_name: e
                    litellm_params: {model: huggingface/BAAI/bge-small-en-v1.5, pooling: mean}
                """);
        assertEquals(s.forRequest("a"), s.forRequest("b"));
        assertEquals("bedrock/amazon.titan-embed-text-v2:0", s.forRequest("a").description());
        assertNotEquals(s.forRequest("a"), s.forRequest("c"));
        assertEquals("bedrock/amazon.titan-embed-text-v2:0 {normalize=false}", s.forRequest("c").description());
        assertNotEquals(s.forRequest("d"), s.forRequest("e"));
        assertEquals(12, s.forRequest("a").shortId().length());
        // the header tells requested dimensions apart
        assertEquals(s.forRequest("a").shortId(), VectorSpaces.header(s.forRequest("a"), null));
        assertNotEquals(VectorSpaces.header(s.forRequest("a"), 256), VectorSpaces.header(s.forRequest("a"), 512));
    }
}
