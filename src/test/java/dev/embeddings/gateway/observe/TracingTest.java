package dev.embeddings.gateway.observe;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.google.protobuf.ByteString;
import dev.embeddings.gateway.GatewayHarness;
import dev.embeddings.gateway.routing.EchoVectors;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code litellm_settings.callbacks: ["otel"]}: spans reach an OTLP/HTTP receiver (a WireMock stub recording the
 * protobuf posts, decoded with opentelemetry-proto): a SERVER span per request that continues the client's
 * {@code traceparent}, a CLIENT span per upstream call under it, gen_ai attributes, and each upstream call carrying
 * its span's {@code traceparent}.
 */
class TracingTest {

    static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";
    static final String CLIENT_SPAN = "b7ad6b7169203331";
    static final String INPUT = "tracing input 5521";

    static WireMockServer collector;
    static WireMockServer upstream;
    static GatewayHarness gw;

    @BeforeAll
    static void start() throws Exception {
        collector = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
        collector.start();
        collector.stubFor(post(urlPathEqualTo("/v1/traces")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/x-protobuf")));
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().extensions(new EchoVectors()));
        upstream.start();
        upstream.stubFor(post(urlPathEqualTo("/openai/deployments/east/embeddings")).willReturn(aResponse()
                .withTransformers(EchoVectors.NAME)));
        String config = """
                model_list:
                  - model_name: embed
                    litellm_params:
                      model: azure/east
                      api_base: http://127.0.0.1:%d
                      api_key: k
                      max_batch_size: 1
                    model_info:
                      id: east
                litellm_settings:
                  callbacks: ["otel"]
                """.formatted(upstream.port());
        gw = GatewayHarness.start(config, Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.port(),
                "OTEL_SERVICE_NAME", "gateway-under-test", "OTEL_BSP_SCHEDULE_DELAY", "50"));
    }

    @AfterAll
    static void stop() {
        gw.close();
        upstream.stop();
        collector.stop();
    }

    /** Every span the collector received so far, with the resources they came with. */
    static List<ResourceSpans> received() throws Exception {
        List<ResourceSpans> out = new ArrayList<>();
        for (LoggedRequest r : collector.findAll(postRequestedFor(urlPathEqualTo("/v1/traces")))) {
            assertEquals("application/x-protobuf", r.getHeader("Content-Type"));
            out.addAll(ExportTraceServiceRequest.parseFrom(r.getBody()).getResourceSpansList());
        }
        return out;
    }

    static List<Span> spans(List<ResourceSpans> resources) {
        return resources.stream().flatMap(r -> r.getScopeSpansList().stream())
                .flatMap(s -> s.getSpansList().stream()).toList();
    }

    static String hex(ByteString b) {
        return HexFormat.of().formatHex(b.toByteArray());
    }

    static AnyValue attr(Span s, String key) {
        return s.getAttributesList().stream().filter(kv -> kv.getKey().equals(key)).map(KeyValue::getValue)
                .findFirst().orElseThrow(() -> new AssertionError(s.getName() + " has no " + key + ": "
                        + s.getAttributesList()));
    }

    @Test
    void requestSpanContinuesTheClientTraceWithAChildSpanPerUpstreamCall() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"embed\",\"input\":[\"" + INPUT + "\",\"b\"]}",
                "traceparent", "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01");
        assertEquals(200, r.statusCode(), r.body());

        Span server = null;
        List<ResourceSpans> resources = List.of();
        for (int i = 0; i < 200 && server == null; i++) {
            Thread.sleep(50);
            resources = received();
            server = spans(resources).stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                    .filter(s -> hex(s.getTraceId()).equals(TRACE_ID)).findFirst().orElse(null);
        }
        assertTrue(server != null, "no server span of the client's trace arrived: " + spans(resources));
        assertEquals(CLIENT_SPAN, hex(server.getParentSpanId()), "continues the client's span");
        assertEquals("embeddings embed", server.getName());
        assertEquals("embeddings", attr(server, "gen_ai.operation.name").getStringValue());
        assertEquals("embed", attr(server, "gen_ai.request.model").getStringValue());
        assertEquals("azure.ai.openai", attr(server, "gen_ai.provider.name").getStringValue());
        assertEquals(2, attr(server, "gen_ai.usage.input_tokens").getIntValue());
        assertEquals(200, attr(server, "http.response.status_code").getIntValue());
        assertEquals(2, attr(server, "gateway.upstream.calls").getIntValue());
        assertTrue(resources.get(0).getResource().getAttributesList().stream().anyMatch(kv -> kv.getKey()
                .equals("service.name") && kv.getValue().getStringValue().equals("gateway-under-test")));

        String serverId = hex(server.getSpanId());
        List<Span> calls = spans(received()).stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_CLIENT)
                .filter(s -> hex(s.getTraceId()).equals(TRACE_ID)).toList();
        assertEquals(2, calls.size(), "one span per upstream call (max_batch_size 1, 2 inputs)");
        for (Span c : calls) {
            assertEquals(serverId, hex(c.getParentSpanId()));
            assertEquals("embeddings east", c.getName());
            assertEquals("embeddings", attr(c, "gen_ai.operation.name").getStringValue());
            assertEquals("east", attr(c, "gen_ai.request.model").getStringValue());
            assertEquals("azure.ai.openai", attr(c, "gen_ai.provider.name").getStringValue());
            assertEquals(200, attr(c, "http.response.status_code").getIntValue());
            assertTrue(c.getEndTimeUnixNano() <= server.getEndTimeUnixNano());
        }
        // each upstream request carried its own span's context
        Set<String> sent = upstream.findAll(postRequestedFor(urlPathEqualTo("/openai/deployments/east/embeddings")))
                .stream().map(q -> q.getHeader("traceparent")).collect(Collectors.toSet());
        Set<String> expected = calls.stream().map(c -> "00-" + TRACE_ID + "-" + hex(c.getSpanId()) + "-01")
                .collect(Collectors.toSet());
        assertEquals(expected, sent);
        // no input text in any attribute
        for (Span s : spans(received())) {
            assertFalse(s.getAttributesList().toString().contains(INPUT), s.toString());
        }
    }

    @Test
    void withoutAClientTraceTheRequestSpanIsARoot() throws Exception {
        HttpResponse<String> r = gw.post("/v1/embeddings", "{\"model\":\"no-such\",\"input\":\"x\"}",
                "x-request-id", "trace-root-404");
        assertEquals(404, r.statusCode());
        Span server = null;
        for (int i = 0; i < 200 && server == null; i++) {
            Thread.sleep(50);
            server = spans(received()).stream().filter(s -> s.getKind() == Span.SpanKind.SPAN_KIND_SERVER)
                    .filter(s -> s.getAttributesList().stream().anyMatch(kv -> kv.getKey().equals("gateway.request.id")
                            && kv.getValue().getStringValue().equals("trace-root-404"))).findFirst().orElse(null);
        }
        assertTrue(server != null, "no span for the 404");
        assertTrue(server.getParentSpanId().isEmpty(), "a root span");
        assertEquals("model_not_found", attr(server, "error.type").getStringValue());
        assertEquals(404, attr(server, "http.response.status_code").getIntValue());
    }
}
