package dev.embeddings.gateway.observe;

import org.apache.camel.CamelContext;
import org.apache.camel.spi.ResourceReload;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;

import java.util.Optional;

/**
 * Route reloads that fail, told in one line. Camel's file watcher logs a failed reload with the file that changed
 * (which is not always the broken one: every file of the folder is parsed again) and a 40-line stack trace. This
 * wraps the reload callback of Camel Main's {@link RouteWatcherReloadStrategy}: a failure is logged as one WARN
 * naming the file, line and column and the parser's message (the last good routes keep serving), the full trace at
 * DEBUG, and counted ({@code embeddings_gateway_route_reloads_total{result}}).
 */
public final class ReloadErrors {

    private static final Logger LOG = LoggerFactory.getLogger(ReloadErrors.class);

    private ReloadErrors() {
    }

    /** Wraps the reload callback of the context's route watcher, if reload is on. */
    public static void install(CamelContext ctx, Metrics metrics) {
        RouteWatcherReloadStrategy watcher = ctx.hasService(RouteWatcherReloadStrategy.class);
        if (watcher == null || watcher.getResourceReload() == null) {
            return;
        }
        ResourceReload reload = watcher.getResourceReload();
        Metrics.Count ok = metrics.counter("route.reloads", "Route file reloads, by result", "result", "ok");
        Metrics.Count failed = metrics.counter("route.reloads", "Route file reloads, by result", "result", "failed");
        watcher.setResourceReload((name, resource) -> {
            try {
                reload.onReload(name, resource);
                ok.increment();
            } catch (Exception e) {
                failed.increment();
                watcher.setLastError(e);
                LOG.warn(describe(name, e));
                LOG.debug("route reload failed after a change to {}", name, e);
            }
        });
    }

    /**
     * One line: {@code routes not reloaded: <file> line L, column C: <problem> (<context>); the last good routes keep
     * serving} for a YAML error, else the first line of the deepest cause's message and the changed file.
     */
    static String describe(String changed, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYamlEngineException y) {
                Optional<Mark> mark = y.getProblemMark().isPresent() ? y.getProblemMark() : y.getContextMark();
                String where = mark.map(m -> file(m.getName()) + " line " + (m.getLine() + 1) + ", column "
                        + (m.getColumn() + 1)).orElse(file(changed));
                String problem = y.getProblem() != null ? y.getProblem() : firstLine(y.getMessage());
                String context = y.getContext() != null ? " (" + y.getContext().trim() + ")" : "";
                return "routes not reloaded: " + where + ": " + problem.trim() + context
                        + "; the last good routes keep serving";
            }
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return "routes not reloaded after a change to " + file(changed) + ": " + firstLine(root.getMessage() != null
                ? root.getMessage() : root.getClass().getSimpleName()) + "; the last good routes keep serving";
    }

    private static String file(String name) {
        if (name == null) {
            return "?";
        }
        return name.startsWith("file:") ? name.substring(5) : name;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.strip();
        int nl = line.indexOf('\n');
        line = nl >= 0 ? line.substring(0, nl).strip() : line;
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
