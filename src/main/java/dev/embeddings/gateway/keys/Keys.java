package dev.embeddings.gateway.keys;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.GatewayConfig;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.db.Database;
import dev.embeddings.gateway.db.DatabaseSettings;
import dev.embeddings.gateway.db.SharedDatabase;
import dev.embeddings.gateway.openai.EmbeddingRequest;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.provider.Cl100k;
import dev.embeddings.gateway.security.KeyAuthenticator;
import dev.embeddings.gateway.security.Principal;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Virtual keys, their limits and spend: the module that wires the database, the key store, the key cache, the rate
 * counters and the spend writer, and answers the Camel steps ({@link KeyLimits}) and the key and spend APIs
 * ({@link KeyApi}, {@link SpendApi}).
 *
 * <p>Active when {@code general_settings.master_key} is set (as in LiteLLM, virtual keys need a master key to be
 * issued); otherwise every step is a no-op and the key API answers 400 {@code keys_disabled}. Active means: the
 * gateway's database ({@link SharedDatabase}, shared with batches) is opened and migrated at start (the gateway does
 * not start without it), the {@link KeyVerifier} is
 * installed on the {@link KeyAuthenticator}, and spend is recorded for every served request.
 *
 * <p>Properties (defaults):
 * <ul>
 *   <li>{@code gateway.dataDir} ({@code --data-dir}, {@code data}): the embedded database and spill files;</li>
 *   <li>{@code gateway.keys.cacheRefreshSeconds} (5), {@code gateway.keys.cacheTtlSeconds} (300),
 *       {@code gateway.keys.cacheMaxEntries} (100000): the key cache ({@link KeyVerifier});</li>
 *   <li>{@code gateway.keys.spendFlushMs} (1000), {@code gateway.keys.spendBatchSize} (500),
 *       {@code gateway.keys.spendBacklogMax} (200000), {@code gateway.keys.spendRefreshMs} (2000),
 *       {@code gateway.keys.spendStopTimeoutMs} (10000): the spend writer ({@link SpendWriter});</li>
 *   <li>{@code gateway.keys.dbConnectTimeoutMs} (3000), {@code gateway.keys.redisTimeoutMs} (1000); the pool size is
 *       {@code general_settings.database_connection_pool_limit} (LiteLLM's name, default 10).</li>
 * </ul>
 */
public final class Keys {

    private static final Logger LOG = LoggerFactory.getLogger(Keys.class);

    private final GatewayConfig config;
    private final ModelRegistry registry;
    private final KeyAuthenticator auth;
    private final Function<String, String> env;
    private final Map<String, BigDecimal> groupPrices = new ConcurrentHashMap<>();
    private final Map<String, BigDecimal> deploymentPrices = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, KeyState> states = new ConcurrentHashMap<>();
    private final AtomicLong droppedRecords = new AtomicLong();

    private volatile boolean active;
    private volatile SharedDatabase shared;
    private Database database;
    private KeyStore store;
    private KeyVerifier verifier;
    private RateCounters rates = new LocalRateCounters();
    private SpendWriter writer;
    private ThreadPoolExecutor lookups;
    private long stopTimeoutMs;

    public Keys(GatewayConfig config, ModelRegistry registry, KeyAuthenticator auth, Function<String, String> env) {
        this.config = config;
        this.registry = registry;
        this.auth = auth;
        this.env = env;
    }

    /**
     * Starts the module when a master key is configured: opens (and migrates) the gateway's database through
     * {@code shared} (ConfigException when it cannot), connects the rate counters, starts the spend writer and
     * installs the key verifier. Without a master key only readiness uses {@code shared}.
     */
    public synchronized void start(CamelContext ctx, SharedDatabase shared) {
        this.shared = shared;
        if (active || !auth.enabled()) {
            return;
        }
        PropertiesComponent p = ctx.getPropertiesComponent();
        Path dataDir = Path.of(p.resolveProperty("gateway.dataDir").orElse("data"));
        DatabaseSettings settings = shared.settings();
        database = shared.open();
        try {
            store = new JdbcKeyStore(database);
            RedisSettings redis = RedisSettings.from(config, env);
            if (redis != null) {
                rates = new RedisRateCounters(redis, longProp(p, "gateway.keys.redisTimeoutMs", 1000));
            }
            lookups = new ThreadPoolExecutor(2, 4, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(10_000), r -> {
                Thread t = new Thread(r, "key-lookup");
                t.setDaemon(true);
                return t;
            });
            verifier = new KeyVerifier(store, lookups,
                    Duration.ofSeconds(longProp(p, "gateway.keys.cacheRefreshSeconds", 5)),
                    Duration.ofSeconds(longProp(p, "gateway.keys.cacheTtlSeconds", 300)),
                    longProp(p, "gateway.keys.cacheMaxEntries", 100_000));
            stopTimeoutMs = longProp(p, "gateway.keys.spendStopTimeoutMs", 10_000);
            writer = new SpendWriter(store, this::committed, this::periodic,
                    longProp(p, "gateway.keys.spendRefreshMs", 2000),
                    (int) longProp(p, "gateway.keys.spendBatchSize", 500),
                    longProp(p, "gateway.keys.spendFlushMs", 1000),
                    (int) longProp(p, "gateway.keys.spendBacklogMax", 200_000), dataDir);
            writer.start();
        } catch (RuntimeException e) {
            rates.close();
            throw e;
        }
        auth.setVirtualKeys(verifier);
        active = true;
        LOG.info("virtual keys on: database {}, rate counters {}", settings.describe(), rates.kind());
    }

    /**
     * Writes the spend still queued (up to the stop timeout), then closes the counters (the database is closed by
     * its owner, the gateway, after everything using it has stopped).
     */
    public synchronized void stop() {
        if (!active) {
            return;
        }
        active = false;
        auth.setVirtualKeys(null);
        writer.stop(stopTimeoutMs);
        lookups.shutdownNow();
        rates.close();
    }

    /**
     * Camel entry of {@code /health/readiness} (LiteLLM's shape): {@code {"status": "healthy", "db": "connected" |
     * "disconnected" | "Not connected", "camel_version"}}. The gateway stays ready while the database is down:
     * known keys keep working from the key cache and spend waits in the writer's queue, so "db" tells an operator
     * about the outage without taking every replica out of rotation. "Not connected": no database is open (no
     * master key, and no batch has used it yet).
     */
    public void readiness(org.apache.camel.Exchange exchange) {
        Database open = shared == null ? null : shared.ifOpen();
        String db = open != null ? open.status() : "Not connected";
        exchange.getMessage().setBody("{\"status\":\"healthy\",\"db\":\"" + db + "\",\"camel_version\":\""
                + exchange.getContext().getVersion() + "\"}");
    }

    /** Whether virtual keys are on (a master key is configured and the module started). */
    public boolean active() {
        return active;
    }

    /** The shared database, or null when the module is off. */
    public Database database() {
        return database;
    }

    KeyStore store() {
        return store;
    }

    KeyVerifier verifier() {
        return verifier;
    }

    RateCounters rates() {
        return rates;
    }

    ModelRegistry registry() {
        return registry;
    }

    /** The spend writer (backlog and counters, for metrics); null when off. */
    public SpendWriter writer() {
        return writer;
    }

    /** Verified keys (and unknown ones) in the key cache, for metrics; 0 when off. */
    public long keyCacheSize() {
        return verifier == null ? 0 : verifier.size();
    }

    /** Rate-limit calls that fell back to in-process counters because Redis failed (0 without Redis). */
    public long rateCounterFallbacks() {
        return rates instanceof RedisRateCounters r ? r.failures() : 0;
    }

    /** Spend records dropped because the backlog was full (master-key and open traffic only). */
    public long droppedRecords() {
        return droppedRecords.get();
    }

    /**
     * The limits step: checks the key's model access, budget, parallel requests and rate limits for {@code req},
     * and reserves what it uses. The master key (and an open gateway) are not limited; their spend is recorded.
     * Throws GatewayException: 401 model outside the key's {@code models}, 400 {@code budget_exceeded}, 429 over
     * {@code max_parallel_requests} / {@code rpm_limit} / {@code tpm_limit} (with {@code Retry-After}), 503 when the
     * spend backlog is full.
     *
     * @param interactive false for a batch line: only the key's models and budget apply. Its rate and parallel
     *                    limits govern the key's own requests (LiteLLM counts a batch as one request); batch lines
     *                    are paced by the batch throttle and neither count against nor wait for those limits
     */
    Admission admit(Principal principal, EmbeddingRequest req, String requestId, boolean interactive) {
        Instant now = Instant.now();
        long windowId = now.toEpochMilli() / RateCounters.WINDOW_MS;
        if (principal == null || principal.kind() != Principal.Kind.VIRTUAL_KEY
                || !(principal.details() instanceof KeyRecord key)) {
            return new Admission(this, null, null, requestId, req.model(), req.user(), 0, BigDecimal.ZERO, windowId,
                    false, false, now);
        }
        GatewayException e = KeyPolicy.modelAccess(key, req.model());
        if (e != null) {
            throw e;
        }
        if (writer.backlogFull()) {
            throw new GatewayException(503, "api_error", null, "spend_backlog_full",
                    "Spend cannot be recorded right now (the key database is unavailable); retry later.", 5);
        }
        long tokens = key.countsTokens() ? preCount(req) : 0;
        BigDecimal estimate = key.maxBudget() == null ? BigDecimal.ZERO : Pricing.cost(groupPrice(req.model()), tokens);
        KeyState state = states.computeIfAbsent(key.tokenId(), t -> new KeyState(key.spend(), key.budgetResetAt()));
        e = state.tryReserve(key, estimate, now, interactive);
        if (e != null) {
            throw e;
        }
        boolean counted = interactive && (key.rpmLimit() != null || key.tpmLimit() != null);
        if (counted) {
            KeyPolicy.RateDecision d;
            try {
                d = rates.acquire(key.tokenId(), windowId, key.rpmLimit(), key.tpmLimit(), tokens);
            } catch (RuntimeException ex) {
                state.settle(estimate, null);
                state.endFlight();
                throw ex;
            }
            if (!d.allowed()) {
                state.settle(estimate, null);
                state.endFlight();
                throw KeyPolicy.rateLimited(d, tokens, Instant.ofEpochMilli((windowId + 1) * RateCounters.WINDOW_MS),
                        now);
            }
        }
        return new Admission(this, key, state, requestId, req.model(), req.user(), tokens, estimate, windowId, counted,
                interactive, now);
    }

    /**
     * Tokens of a request counted before the call, the way {@code usage.prompt_tokens} counts them for OpenAI-format
     * upstreams: cl100k_base tokens of each text, or the number of ids of token-id inputs. Other providers count
     * their own way (the local model counts word pieces): the difference is reconciled after the call.
     */
    static long preCount(EmbeddingRequest req) {
        return req.texts() != null ? Cl100k.count(req.texts()) : Cl100k.countIds(req.tokenIds());
    }

    private BigDecimal groupPrice(String model) {
        return groupPrices.computeIfAbsent(model == null ? "" : model,
                m -> Pricing.maxPerToken(registry.group(m)));
    }

    BigDecimal price(Deployment d) {
        return deploymentPrices.computeIfAbsent(d.id(), id -> Pricing.perToken(d));
    }

    /** Queues a served request's spend; master-key records are dropped (and counted) when the backlog is full. */
    void record(SpendRecord r, boolean virtualKey) {
        if (!virtualKey && writer.backlogFull()) {
            if (droppedRecords.incrementAndGet() % 10_000 == 1) {
                LOG.warn("spend backlog full: spend of master-key requests is not recorded ({} dropped so far)",
                        droppedRecords.get());
            }
            return;
        }
        writer.add(r);
    }

    /** This instance's spend of a key not yet committed (what {@code /key/info} adds to the stored spend). */
    BigDecimal unflushed(String tokenId) {
        KeyState s = states.get(tokenId);
        return s == null ? BigDecimal.ZERO : s.unflushed();
    }

    /** A key was deleted: forget its cached verification and runtime state. */
    void forget(KeyRecord key) {
        verifier.invalidate(key.token());
        states.remove(key.tokenId());
        if (rates instanceof LocalRateCounters local) {
            local.forget(key.tokenId());
        }
    }

    /** A key's settings or text changed through this instance: verify it afresh on its next request. */
    void changed(KeyRecord key) {
        verifier.invalidate(key.token());
    }

    /** Spend writer callback: a batch committed. */
    private void committed(Map<String, BigDecimal> amounts, Map<String, KeyStore.SpendState> stored) {
        amounts.forEach((token, amount) -> {
            KeyState s = states.get(token);
            if (s != null) {
                s.flushed(amount, stored.get(token));
            }
        });
    }

    /**
     * Spend writer, between batches: resets budget periods that are over, and reads the stored spend of the keys
     * used in the last ten minutes (which other replicas may have spent), so that budgets hold across replicas
     * within about {@code spendRefreshMs} plus their flush interval.
     */
    private void periodic() {
        Instant now = Instant.now();
        store.resetDueBudgets(now).forEach((token, s) -> {
            KeyState st = states.get(token);
            if (st != null) {
                st.refreshed(s);
            }
        });
        long recent = System.currentTimeMillis() - 600_000;
        List<String> tokens = new ArrayList<>();
        states.forEach((token, s) -> {
            if (s.lastUsedMs() >= recent) {
                tokens.add(token);
            }
        });
        if (tokens.isEmpty()) {
            database.ping();
            return;
        }
        store.spendOf(tokens).forEach((token, s) -> {
            KeyState st = states.get(token);
            if (st != null) {
                st.refreshed(s);
            }
        });
    }

    private static long longProp(PropertiesComponent p, String name, long dflt) {
        String v = p.resolveProperty(name).orElse(null);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " must be a number");
        }
    }
}
