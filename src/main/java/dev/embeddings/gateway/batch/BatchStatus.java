package dev.embeddings.gateway.batch;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The OpenAI batch statuses as one state machine: every status change of a {@link BatchJob} goes through
 * {@link BatchJob#moveTo}, which checks it against {@link #next()} and stamps the matching {@code *_at} field; the
 * store persists it before anyone sees it.
 * <pre>
 * validating ──▶ in_progress ──▶ finalizing ──▶ completed
 *     │  │            │  │
 *     │  └──▶ failed ◀─┘  └──▶ expired  (completion window passed; validating may expire too)
 *     └──────┴──▶ cancelling ──▶ cancelled
 * </pre>
 * {@code failed}: the input file is invalid (line-numbered {@code errors}), or it vanished while lines were still to
 * be read. {@code completed}, {@code failed}, {@code expired} and {@code cancelled} are final.
 */
public enum BatchStatus {
    VALIDATING, FAILED, IN_PROGRESS, FINALIZING, COMPLETED, EXPIRED, CANCELLING, CANCELLED;

    /** The statuses this one may change to (empty for a final status). */
    public Set<BatchStatus> next() {
        return switch (this) {
            case VALIDATING -> EnumSet.of(IN_PROGRESS, FAILED, CANCELLING, EXPIRED);
            case IN_PROGRESS -> EnumSet.of(FINALIZING, FAILED, CANCELLING, EXPIRED);
            case FINALIZING -> EnumSet.of(COMPLETED);
            case CANCELLING -> EnumSet.of(CANCELLED);
            case FAILED, COMPLETED, EXPIRED, CANCELLED -> EnumSet.noneOf(BatchStatus.class);
        };
    }

    public boolean canMoveTo(BatchStatus to) {
        return next().contains(to);
    }

    /** No further change: the batch's files and counts are frozen. */
    public boolean isFinal() {
        return next().isEmpty();
    }

    /** Lines may still be embedded (validating or in_progress). */
    public boolean isRunning() {
        return this == VALIDATING || this == IN_PROGRESS;
    }

    /** OpenAI's name: {@code in_progress}, {@code completed}, ... */
    @JsonValue
    public String apiName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static BatchStatus of(String apiName) {
        return valueOf(apiName.toUpperCase(Locale.ROOT));
    }
}
