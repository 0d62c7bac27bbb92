package dev.embeddings.gateway.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import dev.embeddings.gateway.GatewayHarness;

import java.util.ArrayList;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * An Azure OpenAI-format upstream (WireMock transformer) whose vectors are a function of the input text, the
 * deployment and {@code dimensions}, and whose {@code usage.prompt_tokens} is the inputs' total length in chars.
 */
public final class CacheEcho implements ResponseDefinitionTransformerV2 {

    public static final String NAME = "cache-echo";

    /** A WireMock server on loopback answering every Azure deployment path with this transformer. */
    public static WireMockServer server() {
        WireMockServer s = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(32)
                .extensions(new CacheEcho()));
        s.start();
        s.stubFor(post(com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching("/openai/deployments/.*"))
                .willReturn(aResponse().withTransformers(NAME)));
        return s;
    }

    /** The vector the upstream gives {@code text} on {@code deployment}: d = dimensions or 3 floats. */
    public static float[] vector(String deployment, String text, Integer dimensions) {
        float[] v = new float[dimensions != null ? dimensions : 3];
        v[0] = text.length();
        v[1] = text.codePointAt(0) + deployment.length() / 8f;
        for (int k = 2; k < v.length; k++) {
            v[k] = k + Math.floorMod(text.hashCode(), 1000) / 1000f;
        }
        return v;
    }

    /** The inputs of each request the upstream got at {@code deployment}'s path, oldest first. */
    public static List<List<String>> inputs(WireMockServer upstream, String deployment) throws Exception {
        List<List<String>> out = new ArrayList<>();
        for (LoggedRequest r : upstream.findAll(postRequestedFor(urlPathEqualTo("/openai/deployments/" + deployment
                + "/embeddings")))) {
            List<String> in = new ArrayList<>();
            GatewayHarness.JSON.readTree(r.getBodyAsString()).get("input").forEach(n -> in.add(text(n)));
            out.add(in);
        }
        return out;
    }

    /** A text input as it is; a token-id input as its JSON, e.g. "[15339,1917]". */
    static String text(JsonNode input) {
        return input.isArray() ? input.toString() : input.asText();
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public boolean applyGlobally() {
        return false;
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
        try {
            String url = event.getRequest().getUrl();
            String deployment = url.split("/")[3];
            JsonNode body = GatewayHarness.JSON.readTree(event.getRequest().getBodyAsString());
            Integer dims = body.has("dimensions") ? body.get("dimensions").asInt() : null;
            StringBuilder data = new StringBuilder();
            int tokens = 0;
            JsonNode input = body.get("input");
            for (int i = 0; i < input.size(); i++) {
                String text = text(input.get(i));
                tokens += text.length();
                StringBuilder v = new StringBuilder();
                for (float f : vector(deployment, text, dims)) {
                    v.append(v.length() > 0 ? "," : "").append(f);
                }
                data.append(i > 0 ? "," : "").append("{\"object\":\"embedding\",\"index\":").append(i)
                        .append(",\"embedding\":[").append(v).append("]}");
            }
            return new ResponseDefinitionBuilder().withStatus(200).withHeader("Content-Type", "application/json")
                    .withBody("{\"object\":\"list\",\"data\":[" + data + "],\"usage\":{\"prompt_tokens\":" + tokens
                            + ",\"total_tokens\":" + tokens + "}}").build();
        } catch (Exception e) {
            return new ResponseDefinitionBuilder().withStatus(400).withBody("{\"error\":{\"message\":\"bad\"}}").build();
        }
    }
}
