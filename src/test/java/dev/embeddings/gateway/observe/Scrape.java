package dev.embeddings.gateway.observe;

import org.hawkular.agent.prometheus.text.TextPrometheusMetricDataParser;
import org.hawkular.agent.prometheus.types.Counter;
import org.hawkular.agent.prometheus.types.Gauge;
import org.hawkular.agent.prometheus.types.Histogram;
import org.hawkular.agent.prometheus.types.Metric;
import org.hawkular.agent.prometheus.types.MetricFamily;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A /metrics scrape parsed with a Prometheus text-format parser (Hawkular's prometheus-scraper). */
final class Scrape {

    final String text;
    final Map<String, MetricFamily> families = new LinkedHashMap<>();

    Scrape(String text) throws IOException {
        this.text = text;
        TextPrometheusMetricDataParser parser = new TextPrometheusMetricDataParser(
                new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        for (MetricFamily f = parser.parse(); f != null; f = parser.parse()) {
            families.put(f.getName(), f);
        }
    }

    /** The metrics of family {@code name} whose labels include all of {@code labels} (name/value pairs). */
    List<Metric> find(String name, String... labels) {
        List<Metric> out = new ArrayList<>();
        MetricFamily f = families.get(name);
        if (f == null) {
            return out;
        }
        for (Metric m : f.getMetrics()) {
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                match &= labels[i + 1].equals(m.getLabels().get(labels[i]));
            }
            if (match) {
                out.add(m);
            }
        }
        return out;
    }

    /** The sum of the matching counters (0 when none: a series not yet created). */
    double counter(String name, String... labels) {
        return find(name, labels).stream().mapToDouble(m -> ((Counter) m).getValue()).sum();
    }

    double gauge(String name, String... labels) {
        List<Metric> ms = find(name, labels);
        if (ms.size() != 1) {
            throw new AssertionError(ms.size() + " gauges " + name + " match " + List.of(labels));
        }
        return ((Gauge) ms.get(0)).getValue();
    }

    long histogramCount(String name, String... labels) {
        return find(name, labels).stream().mapToLong(m -> ((Histogram) m).getSampleCount()).sum();
    }

    double histogramSum(String name, String... labels) {
        return find(name, labels).stream().mapToDouble(m -> ((Histogram) m).getSampleSum()).sum();
    }
}
