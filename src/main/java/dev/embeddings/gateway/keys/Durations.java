package dev.embeddings.gateway.keys;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LiteLLM's duration strings ({@code duration}, {@code budget_duration}): a positive whole number and a unit,
 * {@code s} (seconds), {@code m} (minutes), {@code h} (hours), {@code d} (days), {@code w} (weeks) or {@code mo}
 * (calendar months, UTC), e.g. {@code 30s}, {@code 1h}, {@code 30d}, {@code 1mo}.
 */
public final class Durations {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,6})(s|m|h|d|w|mo)");

    private Durations() {
    }

    /** Whether {@code s} is a valid duration string. */
    public static boolean valid(String s) {
        return s != null && FORMAT.matcher(s.strip()).matches() && !s.strip().startsWith("0");
    }

    /** {@code from} plus the duration {@code s}; IllegalArgumentException when {@code s} is not {@link #valid}. */
    public static Instant after(Instant from, String s) {
        Matcher m = FORMAT.matcher(s == null ? "" : s.strip());
        if (!m.matches() || Long.parseLong(m.group(1)) == 0) {
            throw new IllegalArgumentException("not a duration: " + s);
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "s" -> from.plusSeconds(n);
            case "m" -> from.plusSeconds(n * 60);
            case "h" -> from.plusSeconds(n * 3600);
            case "d" -> from.plusSeconds(n * 86_400);
            case "w" -> from.plusSeconds(n * 7 * 86_400);
            default -> from.atZone(ZoneOffset.UTC).plusMonths(n).toInstant();
        };
    }

    /**
     * The end of the budget period that contains {@code now}, for a period of {@code s} that ended at
     * {@code lastReset}: {@code lastReset} stepped forward by whole periods until it is after {@code now} (so
     * periods stay aligned to when the budget started).
     */
    public static Instant nextReset(Instant lastReset, String s, Instant now) {
        Instant next = lastReset;
        int guard = 0;
        while (!next.isAfter(now)) {
            next = after(next, s);
            if (++guard > 10_000) {
                // a short period left idle for a very long time: start a new one now
                return after(now, s);
            }
        }
        return next;
    }
}
