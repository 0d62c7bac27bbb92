package dev.embeddings.gateway.keys;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.embeddings.gateway.openai.GatewayException;
import org.apache.camel.Exchange;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * LiteLLM's spend endpoints (bean {@code spendApi}, master key only), in LiteLLM's shapes:
 * <ul>
 *   <li>{@code GET /spend/logs}: spend log rows, newest first ({@code request_id}, {@code call_type},
 *       {@code api_key} (the key's token_id), {@code spend}, {@code prompt_tokens}, {@code total_tokens},
 *       {@code startTime}, {@code endTime}, {@code model}, {@code model_id}, {@code model_group},
 *       {@code custom_llm_provider}, {@code user}, {@code team_id}, {@code end_user}, ...). Filters:
 *       {@code api_key} (token_id), {@code user_id}, {@code team_id}, {@code request_id}, and
 *       {@code start_date} + {@code end_date} (UTC days, {@code YYYY-MM-DD}, inclusive). With both dates and
 *       {@code summarize} not false (LiteLLM's default), one entry per day instead:
 *       {@code {"startTime": day, "spend", "<api_key>": spend..., "users": {...}, "models": {...}}}. At most
 *       {@code limit} rows (default 1000, at most 10000).</li>
 *   <li>{@code GET /global/spend/report?start_date&end_date[&group_by=team|customer|api_key]}: by day and team
 *       ({@code [{"group_by_day", "teams": [{"team_name", "total_spend", "metadata": [{"model", "api_key",
 *       "spend", "total_tokens"}]}]}]}), by day and customer (the OpenAI {@code user} field), or by key
 *       ({@code [{"api_key", "total_cost", "total_input_tokens", "total_output_tokens", "model_details": [...]}]}).
 *       Also filters by {@code api_key}, {@code user_id} ({@code internal_user_id}), {@code team_id}.</li>
 * </ul>
 * Key text in a query ({@code api_key=sk-...}) is refused: keys never travel in URLs.
 */
public final class SpendApi {

    private final Keys keys;

    public SpendApi(Keys keys) {
        this.keys = keys;
    }

    /** {@code GET /spend/logs}. */
    public void logs(Exchange ex) {
        requireAdmin(ex, "/spend/logs");
        KeyStore.SpendFilter f = filter(ex, false, KeyApi.intQuery(ex, "limit", 1000, 1, 10_000));
        boolean summarize = f.from() != null && f.to() != null
                && !"false".equalsIgnoreCase(KeyApi.query(ex, "summarize"));
        ArrayNode out = KeyApi.JSON.createArrayNode();
        try {
            if (summarize) {
                summarize(out, f);
            } else {
                for (KeyStore.SpendLog l : keys.store().spendLogs(f)) {
                    out.add(row(l.record()));
                }
            }
        } catch (KeyStore.Unavailable u) {
            throw KeyApi.unavailable();
        }
        respondArray(ex, out);
    }

    private void summarize(ArrayNode out, KeyStore.SpendFilter f) {
        List<KeyStore.SpendGroup> groups = keys.store().spendGroups(f, true, List.of("token_id", "user_id", "model"));
        Map<LocalDate, ObjectNode> days = new LinkedHashMap<>();
        for (LocalDate d = f.from(); !d.isAfter(f.to()) && days.size() < 3700; d = d.plusDays(1)) {
            ObjectNode day = KeyApi.JSON.createObjectNode();
            day.put("startTime", d.toString());
            day.put("spend", BigDecimal.ZERO);
            day.putObject("users");
            day.putObject("models");
            days.put(d, day);
        }
        for (KeyStore.SpendGroup g : groups) {
            ObjectNode day = days.get(g.day());
            if (day == null) {
                continue;
            }
            add(day, "spend", g.spend());
            add(day, g.tokenId() == null ? "master_key" : g.tokenId(), g.spend());
            add((ObjectNode) day.get("users"), g.userId() == null ? "null" : g.userId(), g.spend());
            add((ObjectNode) day.get("models"), g.model(), g.spend());
        }
        days.values().forEach(out::add);
    }

    private static void add(ObjectNode o, String field, BigDecimal v) {
        BigDecimal now = o.has(field) ? o.get(field).decimalValue() : BigDecimal.ZERO;
        o.put(field, now.add(v).stripTrailingZeros());
    }

    /** {@code GET /global/spend/report}. */
    public void report(Exchange ex) {
        requireAdmin(ex, "/global/spend/report");
        KeyStore.SpendFilter f = filter(ex, true, 0);
        String groupBy = KeyApi.query(ex, "group_by");
        groupBy = groupBy == null ? "team" : groupBy;
        ArrayNode out = KeyApi.JSON.createArrayNode();
        try {
            switch (groupBy) {
                case "team" -> byDay(out, f, "team_id", "teams", "team_name");
                case "customer" -> byDay(out, f, "end_user", "customers", "customer");
                case "api_key" -> byKey(out, f);
                default -> throw GatewayException.invalid("group_by", "group_by must be team, customer or api_key.");
            }
        } catch (KeyStore.Unavailable u) {
            throw KeyApi.unavailable();
        }
        respondArray(ex, out);
    }

    private void byDay(ArrayNode out, KeyStore.SpendFilter f, String dimension, String listName, String nameField) {
        List<KeyStore.SpendGroup> groups = keys.store().spendGroups(f, true, List.of(dimension, "model", "token_id"));
        Map<LocalDate, Map<String, ObjectNode>> days = new LinkedHashMap<>();
        for (KeyStore.SpendGroup g : groups) {
            String name = "team_id".equals(dimension) ? g.teamId() : g.endUser();
            if (name == null) {
                name = "team_id".equals(dimension) ? "Unassigned Team" : null;
            }
            Map<String, ObjectNode> entries = days.computeIfAbsent(g.day(), d -> new LinkedHashMap<>());
            String key = String.valueOf(name);
            final String shown = name;
            ObjectNode e = entries.computeIfAbsent(key, k -> {
                ObjectNode n = KeyApi.JSON.createObjectNode();
                n.put(nameField, shown);
                n.put("total_spend", BigDecimal.ZERO);
                n.putArray("metadata");
                return n;
            });
            add(e, "total_spend", g.spend());
            ObjectNode m = ((ArrayNode) e.get("metadata")).addObject();
            m.put("model", g.model());
            m.put("api_key", g.tokenId());
            m.put("spend", g.spend().stripTrailingZeros());
            m.put("total_tokens", g.totalTokens());
        }
        days.forEach((day, entries) -> {
            ObjectNode d = out.addObject();
            d.put("group_by_day", day.toString());
            ArrayNode list = d.putArray(listName);
            entries.values().forEach(list::add);
        });
    }

    private void byKey(ArrayNode out, KeyStore.SpendFilter f) {
        List<KeyStore.SpendGroup> groups = keys.store().spendGroups(f, false, List.of("token_id", "model"));
        Map<String, ObjectNode> perKey = new LinkedHashMap<>();
        for (KeyStore.SpendGroup g : groups) {
            ObjectNode k = perKey.computeIfAbsent(String.valueOf(g.tokenId()), id -> {
                ObjectNode n = KeyApi.JSON.createObjectNode();
                n.put("api_key", g.tokenId());
                n.put("total_cost", BigDecimal.ZERO);
                n.put("total_input_tokens", 0L);
                n.put("total_output_tokens", 0L);
                n.putArray("model_details");
                return n;
            });
            add(k, "total_cost", g.spend());
            k.put("total_input_tokens", k.get("total_input_tokens").asLong() + g.promptTokens());
            ObjectNode m = ((ArrayNode) k.get("model_details")).addObject();
            m.put("model", g.model());
            m.put("total_cost", g.spend().stripTrailingZeros());
            m.put("total_input_tokens", g.promptTokens());
            m.put("total_output_tokens", 0L);
        }
        perKey.values().stream()
                .sorted((a, b) -> b.get("total_cost").decimalValue().compareTo(a.get("total_cost").decimalValue()))
                .forEach(out::add);
    }

    /** LiteLLM's SpendLogs row. */
    private static ObjectNode row(SpendRecord r) {
        ObjectNode o = KeyApi.JSON.createObjectNode();
        o.put("request_id", r.requestId());
        o.put("call_type", SpendRecord.CALL_TYPE);
        o.put("api_key", r.tokenId());
        o.put("spend", r.spend().stripTrailingZeros());
        o.put("total_tokens", r.promptTokens());
        o.put("prompt_tokens", r.promptTokens());
        o.put("completion_tokens", 0L);
        o.put("startTime", r.startTime().toString());
        o.put("endTime", r.endTime().toString());
        o.put("model", r.model());
        o.put("model_id", r.modelId());
        o.put("model_group", r.modelGroup());
        o.put("custom_llm_provider", r.provider());
        o.put("user", r.userId());
        o.put("team_id", r.teamId());
        o.put("end_user", r.endUser());
        o.put("status", "success");
        return o;
    }

    private KeyStore.SpendFilter filter(Exchange ex, boolean datesRequired, int limit) {
        String apiKey = KeyApi.query(ex, "api_key");
        if (apiKey != null && !KeyText.looksLikeTokenId(apiKey)) {
            throw GatewayException.invalid("api_key", KeyText.looksLikeKey(apiKey)
                    ? "key text must not be sent in a URL (it would reach logs and proxies): use the key's token_id."
                    : "api_key must be a token_id (24 hex characters).");
        }
        String user = KeyApi.query(ex, "user_id");
        if (user == null) {
            user = KeyApi.query(ex, "internal_user_id");
        }
        LocalDate from = date(ex, "start_date");
        LocalDate to = date(ex, "end_date");
        if ((from == null) != (to == null) || (datesRequired && from == null)) {
            throw GatewayException.invalid(from == null ? "start_date" : "end_date",
                    "Please provide start_date and end_date (YYYY-MM-DD).");
        }
        if (from != null && to.isBefore(from)) {
            throw GatewayException.invalid("end_date", "end_date is before start_date.");
        }
        return new KeyStore.SpendFilter(apiKey, user, KeyApi.query(ex, "team_id"), KeyApi.query(ex, "request_id"),
                from, to, limit);
    }

    private static LocalDate date(Exchange ex, String name) {
        String v = KeyApi.query(ex, name);
        if (v == null) {
            return null;
        }
        try {
            // LiteLLM's format; a full timestamp is cut to its day
            return LocalDate.parse(v.length() > 10 ? v.substring(0, 10) : v);
        } catch (DateTimeParseException e) {
            throw GatewayException.invalid(name, name + " must be a date YYYY-MM-DD.");
        }
    }

    private void requireAdmin(Exchange ex, String route) {
        if (!keys.active()) {
            throw new GatewayException(400, "invalid_request_error", null, "keys_disabled",
                    "Spend tracking needs general_settings.master_key (and a database, embedded by default).");
        }
        if (!KeyApi.principal(ex).isAdmin()) {
            throw GatewayException.masterKeyOnly(route);
        }
    }

    private static void respondArray(Exchange ex, ArrayNode out) {
        KeyApi.respond(ex, 200, out);
    }
}
