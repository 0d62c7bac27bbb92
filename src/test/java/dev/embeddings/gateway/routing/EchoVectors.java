package dev.embeddings.gateway.routing;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import dev.embeddings.gateway.GatewayHarness;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A WireMock transformer acting as an OpenAI-format upstream whose vectors encode their inputs: input "17" gives
 * [17.0, 1.0] (other text: its length). With parameter {@code failRate} it answers 500 at random with that probability;
 * with {@code delayMs} it answers after that delay.
 */
public final class EchoVectors implements ResponseDefinitionTransformerV2 {

    public static final String NAME = "echo-vectors";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public boolean applyGlobally() {
        return false;
    }

    /** "17" → 17.0; any other text → its length. */
    static float number(String text) {
        try {
            return Float.parseFloat(text);
        } catch (NumberFormatException e) {
            return text.length();
        }
    }

    @Override
    public ResponseDefinition transform(ServeEvent event) {
        Parameters p = event.getTransformerParameters();
        double failRate = p != null && p.containsKey("failRate") ? Double.parseDouble(String.valueOf(p.get("failRate"))) : 0;
        if (ThreadLocalRandom.current().nextDouble() < failRate) {
            return new ResponseDefinitionBuilder().withStatus(500).withBody("{\"error\":{\"message\":\"random\"}}")
                    .build();
        }
        try {
            JsonNode input = GatewayHarness.JSON.readTree(event.getRequest().getBodyAsString()).get("input");
            StringBuilder data = new StringBuilder();
            for (int i = 0; i < input.size(); i++) {
                data.append(i > 0 ? "," : "").append("{\"object\":\"embedding\",\"index\":").append(i)
                        .append(",\"embedding\":[").append(number(input.get(i).asText())).append(",1.0]}");
            }
            Integer delay = p != null && p.containsKey("delayMs") ? Integer.valueOf(String.valueOf(p.get("delayMs"))) : null;
            return new ResponseDefinitionBuilder().withStatus(200).withHeader("Content-Type", "application/json")
                    .withFixedDelay(delay)
                    .withBody("{\"object\":\"list\",\"data\":[" + data + "],\"usage\":{\"prompt_tokens\":"
                            + input.size() + ",\"total_tokens\":" + input.size() + "}}").build();
        } catch (Exception e) {
            return new ResponseDefinitionBuilder().withStatus(400).withBody("{\"error\":{\"message\":\"bad\"}}")
                    .build();
        }
    }
}
