package dev.embeddings.gateway.routing;

import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * One request's way through the router (exchange property {@value #PROPERTY}): the model groups to try (the asked
 * one, then its fallbacks), the retries left in the current group, the deployments that failed, and the deadline.
 */
final class Attempts {

    static final String PROPERTY = "routerAttempts";

    /** What each attempt embeds: the request begin saw, or what a step before the loop narrowed it to. */
    EmbeddingRequest request;
    final List<String> groups;
    final long deadlineNanos;
    int groupIndex;
    int retriesUsed;
    int attempts;
    int reloadReplays;
    long reloadDelayMs;
    final Set<String> failed = new HashSet<>();
    DeploymentState current;
    long startedNanos;
    GatewayException lastError;

    Attempts(EmbeddingRequest request, List<String> groups, long deadlineNanos) {
        this.request = request;
        this.groups = groups;
        this.deadlineNanos = deadlineNanos;
    }

    String group() {
        return groups.get(groupIndex);
    }

    long remainingMs() {
        return (deadlineNanos - System.nanoTime()) / 1_000_000;
    }
}
