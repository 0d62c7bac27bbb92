package dev.embeddings.gateway;

import dev.embeddings.gateway.cache.EmbeddingCache;
import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.ConfigLoader;
import dev.embeddings.gateway.config.Deployment;
import dev.embeddings.gateway.config.GatewayConfig;
import dev.embeddings.gateway.config.ModelRegistry;
import dev.embeddings.gateway.config.Provider;
import dev.embeddings.gateway.keys.KeyApi;
import dev.embeddings.gateway.keys.KeyLimits;
import dev.embeddings.gateway.keys.Keys;
import dev.embeddings.gateway.keys.SpendApi;
import dev.embeddings.gateway.normalize.ResponseNormalizer;
import dev.embeddings.gateway.openai.ErrorResponder;
import dev.embeddings.gateway.openai.GatewayException;
import dev.embeddings.gateway.openai.RequestId;
import dev.embeddings.gateway.openai.RequestParser;
import dev.embeddings.gateway.provider.local.LocalAdapter;
import dev.embeddings.gateway.observe.HttpObserver;
import dev.embeddings.gateway.observe.MdcExecutorService;
import dev.embeddings.gateway.observe.Metrics;
import dev.embeddings.gateway.observe.MetricsEndpoint;
import dev.embeddings.gateway.observe.ReloadErrors;
import dev.embeddings.gateway.observe.RequestContextPolicy;
import dev.embeddings.gateway.observe.RequestRecord;
import dev.embeddings.gateway.observe.StartupSummary;
import dev.embeddings.gateway.observe.Tracing;
import dev.embeddings.gateway.observe.UpstreamCallInterceptor;
import dev.embeddings.gateway.routing.DeploymentRouter;
import dev.embeddings.gateway.routing.RouterSettings;
import dev.embeddings.gateway.routing.VectorSpaces;
import dev.embeddings.gateway.security.KeyAuthenticator;
import dev.embeddings.gateway.security.RequestAdmission;
import dev.embeddings.gateway.security.Redactor;
import io.vertx.core.Handler;
import io.vertx.core.VertxOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

import dev.embeddings.gateway.provider.BatchCollector;
import dev.embeddings.gateway.provider.ProviderAdapter;
import dev.embeddings.gateway.provider.UpstreamErrors;
import dev.embeddings.gateway.provider.azure.AzureAdapter;
import dev.embeddings.gateway.provider.bedrock.BedrockAdapter;
import dev.embeddings.gateway.provider.huggingface.HuggingFaceAdapter;
import dev.embeddings.gateway.provider.openai.OpenAiCompatibleAdapter;
import dev.embeddings.gateway.provider.sagemaker.SageMakerAdapter;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.camel.RouteConfigurationsBuilder;
import org.apache.camel.RoutesBuilder;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import java.util.Map;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * One gateway instance: the loaded config, the beans the YAML routes call, and a Camel Main that serves
 * {@code routes/*.yaml} over platform-http (Vert.x). Used by {@link GatewayMain} ({@link #run()}, blocking) and by
 * tests ({@link #start()} / {@link #stop()}).
 *
 * <p>Property precedence: built-in defaults &lt; {@code application.properties} beside config.yaml &lt; command-line
 * flags.
 */
public final class Gateway {

    /** The default request body limit: 8 MiB. */
    public static final long DEFAULT_MAX_BODY = 8L * 1024 * 1024;
    /** Requests that may wait on upstreams at once (Vert.x worker threads). */
    public static final int DEFAULT_WORKER_THREADS = 256;

    private final Main main = new Main();
    private final GatewayConfig config;
    private final ModelRegistry registry;
    private final LocalAdapter localAdapter = new LocalAdapter();
    /** The provider adapters by route name ({@link Provider#route()}), bound as {@code <route>Adapter}. */
    private final Map<String, ProviderAdapter> adapters = new java.util.LinkedHashMap<>();
    private final KeyAuthenticator auth;
    private final RequestParser requestParser = new RequestParser();
    private final GracefulShutdown shutdown;
    private final EmbeddingCache cache;
    private final Keys keys;
    private final Function<String, String> env;
    /** The database of keys and batches (db/), opened by the first of them to need it; closed last on stop. */
    private volatile dev.embeddings.gateway.db.SharedDatabase database;
    // observe/: metrics, traces, access log, start-up summary
    private final Metrics metrics = Metrics.create();
    private final Tracing tracing;
    private final Path configFile;
    private final Path propertiesFile;
    private final Path routesDir;
    private volatile long startNanos = System.nanoTime();
    private final dev.embeddings.gateway.pipeline.KafkaPipeline kafkaPipeline =
            new dev.embeddings.gateway.pipeline.KafkaPipeline();

    private Gateway(GatewayOptions options, GatewayConfig config, Map<String, ProviderAdapter> adapters,
                    Function<String, String> env, Tracing tracing) {
        this.config = config;
        this.env = env;
        this.tracing = tracing;
        this.configFile = options.config();
        this.adapters.putAll(adapters);
        this.registry = new ModelRegistry(config);
        this.auth = new KeyAuthenticator(config.masterKey());
        this.shutdown = new GracefulShutdown();
        Path routes = options.routes().toAbsolutePath().normalize();
        String routesUri = "file:" + routes;

        main.addInitialProperty("camel.main.name", "embeddings-gateway");
        main.addInitialProperty("camel.main.routesIncludePattern", routesUri + "/*.yaml");
        main.addInitialProperty("camel.main.routesReloadEnabled", "true");
        main.addInitialProperty("camel.main.routesReloadDirectory", routes.toString());
        main.addInitialProperty("camel.main.routesReloadPattern", "*.yaml");
        main.addInitialProperty("camel.main.routesReloadRemoveAllRoutes", "false");
        main.addInitialProperty("camel.main.jmxEnabled", "false");
        main.addInitialProperty("camel.main.shutdownTimeout", "10");
        // retries are the router's (num_retries, fallbacks), never the HTTP client's own
        main.addInitialProperty("camel.component.http.automaticRetriesDisabled", "true");
        // no Accept-Encoding: gzip: compressing and inflating float JSON costs both sides more CPU than it saves
        // on the short hop to an upstream (bench/run.sh: 4x the mock upstream's CPU per request)
        main.addInitialProperty("camel.component.http.contentCompressionDisabled", "true");
        // an upstream answer with a Content-Length up to 32 MiB is read once into an exact byte[] (camel-http's
        // default of 8 KiB spools every larger answer through a stream cache and copies it again)
        main.addInitialProperty("camel.component.http.responsePayloadStreamingThreshold",
                String.valueOf(32 * 1024 * 1024));
        main.addInitialProperty("camel.server.enabled", "true");
        main.addInitialProperty("camel.server.host", "0.0.0.0");
        main.addInitialProperty("camel.server.port", "4000");
        main.addInitialProperty("camel.server.maxBodySize", String.valueOf(DEFAULT_MAX_BODY));
        // Kamelets (kamelets/*.kamelet.yaml, e.g. embeddings-action) from the folder beside the routes folder,
        // then the classpath
        Path kamelets = (routes.getParent() != null ? routes.getParent() : routes).resolve("kamelets");
        main.addInitialProperty("camel.component.kamelet.location", "file:" + kamelets + ",classpath:kamelets");

        Path props = options.config().toAbsolutePath().getParent().resolve("application.properties");
        main.setPropertyPlaceholderLocations(Files.exists(props) ? "file:" + props : "");
        this.propertiesFile = Files.exists(props) ? props : null;
        this.routesDir = routes;

        if (options.host() != null) {
            main.addOverrideProperty("camel.server.host", options.host());
        }
        if (options.port() != null) {
            main.addOverrideProperty("camel.server.port", String.valueOf(options.port()));
        }
        if (options.reload() != null) {
            main.addOverrideProperty("camel.main.routesReloadEnabled", String.valueOf(options.reload()));
        }
        options.properties().forEach(main::addOverrideProperty);
        applyLogLevels(options.properties());

        main.bind("gatewayConfig", config);
        main.bind("modelRegistry", registry);
        RouterSettings routerSettings = RouterSettings.from(config);
        DeploymentRouter router = new DeploymentRouter(registry, routerSettings, metrics);
        main.bind("deploymentRouter", router);
        main.bind("healthProbes", new dev.embeddings.gateway.routing.HealthProbes(registry));
        main.bind(dev.embeddings.gateway.routing.ReloadReplay.BEAN, dev.embeddings.gateway.routing.ReloadReplay.POLICY);
        // the provider routes' Splitters give up on batches still running at the request deadline
        main.addInitialProperty("gateway.requestDeadlineMs", String.valueOf(routerSettings.deadlineMs()));
        main.bind("auth", auth);
        main.bind("gracefulShutdown", shutdown);
        main.bind("requestParser", requestParser);
        main.bind("requestId", new RequestId());
        main.bind("normalizer", new ResponseNormalizer());
        main.bind("errorResponder", new ErrorResponder());
        main.bind("localAdapter", localAdapter);
        main.bind("batchCollector", new BatchCollector());
        main.bind("textOnly", new dev.embeddings.gateway.provider.TextOnly());
        main.bind("kafkaPipeline", kafkaPipeline);
        adapters.forEach((route, a) -> main.bind(route + "Adapter", a));
        // vector spaces (start-up refuses groups and fallbacks that cross them) and the per-input cache (cache/),
        // steps of direct:embed; last, since a Redis store starts connecting here
        cache = EmbeddingCache.create(config, env, VectorSpaces.of(config, routerSettings), registry);
        main.bind(EmbeddingCache.BEAN, cache);
        // virtual keys, limits and spend (keys/), and the database they live in (db/): started in afterConfigure
        keys = new Keys(config, registry, auth, env);
        main.bind("keys", keys);
        main.bind("keyLimits", new KeyLimits(keys, metrics));
        main.bind("keyApi", new KeyApi(keys));
        main.bind("spendApi", new SpendApi(keys));
        // observe/: the metrics registry (other beans register through it), GET /metrics
        boolean metricsPublic = config.generalFlag("metrics_public", false);
        main.bind(Metrics.BEAN, metrics);
        main.bind(MetricsEndpoint.BEAN, new MetricsEndpoint(metrics, auth, metricsPublic));
        for (Deployment d : config.deployments()) {
            for (var state : io.github.resilience4j.circuitbreaker.CircuitBreaker.State.values()) {
                if (state == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED
                        || state == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.OPEN
                        || state == io.github.resilience4j.circuitbreaker.CircuitBreaker.State.HALF_OPEN) {
                    metrics.gauge("deployment.circuit.state", "1 for the circuit state each deployment is in "
                                    + "(open: cooling down)", () -> router.breakerState(d.id()) == state ? 1 : 0,
                            "model_group", d.modelName(), "deployment", d.id(), "provider", d.provider().prefix(),
                            "state", state.name().toLowerCase(java.util.Locale.ROOT));
                }
            }
        }
        metrics.gauge("requests.in.flight", "HTTP requests admitted and not yet answered", shutdown::inFlight);
        // the cache's and the keys' own counters, through the facade
        if (cache.enabled()) {
            String store = cache.storeType();
            metrics.countFrom("cache.hits", "Inputs answered from the embedding cache", cache::hits, "store", store);
            metrics.countFrom("cache.misses", "Inputs the embedding cache did not hold", cache::misses, "store", store);
            metrics.countFrom("cache.errors", "Cache store calls that failed (the request went on uncached)",
                    cache::errors, "store", store);
            metrics.countFrom("cache.outages", "Times the cache store became unreachable", cache::outages,
                    "store", store);
            metrics.gauge("cache.available", "1 while the cache store answers", () -> cache.storeAvailable() ? 1 : 0,
                    "store", store);
        }
        if (keys.active()) {
            metrics.gauge("spend.backlog", "Spend records waiting to be written to the database",
                    () -> keys.writer().backlog());
            metrics.countFrom("spend.written", "Spend records written to the database", () -> keys.writer().written());
            metrics.countFrom("spend.write.failures", "Spend write attempts that failed (retried in order)",
                    () -> keys.writer().failedAttempts());
            metrics.countFrom("rate.counter.fallbacks", "Rate-limit checks counted in-process because Redis failed",
                    keys::rateCounterFallbacks);
        }
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterConfigure(BaseMainSupport m) {
                if ("true".equals(m.getCamelContext().getPropertiesComponent().resolveProperty("camel.server.enabled")
                        .orElse("true"))) {
                    checkPortFree(m.getCamelContext());
                }
                startProviders(m.getCamelContext());
                startKeys(m.getCamelContext());
                bindVertxOptions(m.getCamelContext());
                // every upstream call timed, counted and traced; every HTTP exchange with its request id in the MDC
                m.getCamelContext().getCamelContextExtension().addInterceptStrategy(
                        new UpstreamCallInterceptor(metrics, tracing));
                m.getCamelContext().addRoutePolicyFactory(new RequestContextPolicy());
                requestParser.setLimits(inputLimits(m.getCamelContext()));
                // the Files and Batch APIs (routes/batches.yaml), their files and state in the gateway's database
                batches = dev.embeddings.gateway.batch.BatchSetup.install(m.getCamelContext(), requestParser, registry,
                        database, auth);
                shutdown.setDrainMs(Long.parseLong(m.getCamelContext().getPropertiesComponent()
                        .resolveProperty("gateway.drainTimeoutMs").orElse(String.valueOf(GracefulShutdown.DEFAULT_DRAIN_MS))));
                // an edited routeTemplate also re-creates the routes made from it (provider-pipeline.yaml)
                TemplatedRoutesReload.install(m.getCamelContext());
                try {
                    m.getCamelContext().addStartupListener(new org.apache.camel.ExtendedStartupListener() {
                        @Override
                        public void onCamelContextStarted(CamelContext c, boolean alreadyStarted) {
                        }

                        @Override
                        public void onCamelContextFullyStarted(CamelContext c, boolean alreadyStarted) {
                            installHttpErrorHandlers(c, auth, shutdown, new HttpObserver(metrics, tracing),
                                    metricsPublic);
                            ReloadErrors.install(c, metrics);
                            logStartupSummary(c, metricsPublic);
                        }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public void beforeStop(BaseMainSupport m) {
                // answer what was admitted before Camel stops a single route
                shutdown.drain();
            }

            @Override
            public void afterStop(BaseMainSupport m) {
                kafkaPipeline.close();
            }
        });
    }

    /**
     * {@code --log-level} ({@code gateway.logLevel}): every logger at that level; {@code --detailed_debug}
     * ({@code gateway.logLevel.dev.embeddings}): the gateway's loggers at DEBUG. Whatever the level, log lines pass
     * the {@link Redactor} (RedactingLogEventFactory).
     */
    private static void applyLogLevels(Map<String, String> props) {
        String all = props.get("gateway.logLevel");
        if (all != null) {
            org.apache.logging.log4j.core.config.Configurator.setAllLevels(
                    org.apache.logging.log4j.LogManager.ROOT_LOGGER_NAME, org.apache.logging.log4j.Level.valueOf(all));
        }
        String gateway = props.get("gateway.logLevel.dev.embeddings");
        if (gateway != null) {
            org.apache.logging.log4j.core.config.Configurator.setLevel("dev.embeddings",
                    org.apache.logging.log4j.Level.valueOf(gateway));
        }
    }

    /**
     * Loads and checks {@code options.config()} (os.environ/ references through {@code env}) and prepares the
     * gateway. Throws ConfigException with a one-line message when the file is missing or invalid.
     */
    public static Gateway create(GatewayOptions options, Function<String, String> env) {
        if (!Files.isRegularFile(options.config())) {
            throw new ConfigException("config file not found: " + options.config());
        }
        if (!Files.isDirectory(options.routes())) {
            throw new ConfigException("routes folder not found: " + options.routes());
        }
        GatewayConfig config = new ConfigLoader(env).load(options.config());
        // every configured secret is redacted from any output (ConfigLoader registered the rest while resolving)
        Redactor.addSecret(config.masterKey());
        Map<String, ProviderAdapter> adapters = adapters(env);
        long timeoutMs = defaultTimeoutMs(config);
        adapters.values().forEach(a -> a.setDefaultTimeoutMs(timeoutMs));
        try {
            for (Deployment d : config.deployments()) {
                if (d.provider() == Provider.LOCAL) {
                    LocalAdapter.checkDeployment(d);
                } else if (adapters.containsKey(d.provider().route())) {
                    adapters.get(d.provider().route()).prepare(d);
                }
            }
            return new Gateway(options, config, adapters, env, Tracing.create(config, env));
        } catch (RuntimeException e) {
            // clients built for earlier deployments must not outlive a failed start
            adapters.values().forEach(ProviderAdapter::close);
            throw e;
        }
    }

    /**
     * The adapter of every provider route that has one (the local model has its own), by route name: what
     * {@code routes/provider-<route>.yaml} names as {@code <route>Adapter}.
     */
    private static Map<String, ProviderAdapter> adapters(Function<String, String> env) {
        Map<String, ProviderAdapter> m = new java.util.LinkedHashMap<>();
        m.put(Provider.BEDROCK.route(), new BedrockAdapter(env));
        m.put(Provider.SAGEMAKER.route(), new SageMakerAdapter(env));
        m.put(Provider.AZURE.route(), new AzureAdapter(env));
        m.put(Provider.HUGGINGFACE.route(), new HuggingFaceAdapter(env));
        for (OpenAiCompatibleAdapter.Dialect dialect : OpenAiCompatibleAdapter.Dialect.values()) {
            OpenAiCompatibleAdapter a = new OpenAiCompatibleAdapter(dialect, env);
            m.put(a.provider().route(), a);
        }
        m.put(Provider.COHERE.route(), new dev.embeddings.gateway.provider.cohere.CohereAdapter(env));
        m.put(Provider.VERTEX_AI.route(), new dev.embeddings.gateway.provider.google.VertexAdapter(env));
        m.put(Provider.GEMINI.route(), new dev.embeddings.gateway.provider.google.GeminiAdapter(env));
        m.put(Provider.OLLAMA.route(), new dev.embeddings.gateway.provider.ollama.OllamaAdapter(env));
        return m;
    }

    /** {@code litellm_settings.request_timeout} (seconds) or LiteLLM's default of 600 s, in ms. */
    private static long defaultTimeoutMs(GatewayConfig config) {
        Object t = config.litellmSettings().get("request_timeout");
        if (t == null) {
            t = config.routerSettings().get("timeout");
        }
        if (t == null) {
            return ProviderAdapter.DEFAULT_TIMEOUT_MS;
        }
        try {
            return (long) (Double.parseDouble(t.toString()) * 1000);
        } catch (NumberFormatException e) {
            throw new ConfigException("litellm_settings.request_timeout must be a number of seconds");
        }
    }

    /**
     * Installs the gateway's core into a CamelContext that does not run GatewayMain, e.g. another Camel application
     * using the {@code embeddings-action} Kamelet with its {@code configFile} property:
     * <ol>
     *   <li>loads and checks {@code config} as {@link #create} does ({@code os.environ/} from the process
     *       environment; ConfigException when it is missing or invalid);</li>
     *   <li>binds the same beans, under the same names, into {@code ctx}'s registry and starts the providers (the
     *       local model loads here, about 1 s);</li>
     *   <li>adds the route files of the routes folder beside the config's folder ({@code <config dir>/../routes},
     *       else {@code ./routes}) except their HTTP entry routes ({@code platform-http}, which need the gateway's
     *       own HTTP server) and {@code batches.yaml} (the Batch API): route configurations, {@code direct:embed},
     *       the provider routes, and the Kafka route (which stays stopped unless {@code gateway.kafka.enabled=true}).
     *       No live reload.</li>
     * </ol>
     * Does nothing when {@code ctx} already has a route consuming {@code direct:embed} (inside the gateway). The
     * providers' clients are closed when {@code ctx} stops.
     */
    public static synchronized void install(CamelContext ctx, Path config) {
        if (ctx.getRoutes().stream().anyMatch(r -> "direct://embed".equals(r.getEndpoint().getEndpointUri()))) {
            return;
        }
        Path beside = config.toAbsolutePath().normalize().getParent().resolveSibling("routes");
        Path routes = Files.isDirectory(beside) ? beside : Path.of("routes").toAbsolutePath();
        Gateway g = create(GatewayOptions.parse("--config", config.toString(), "--routes", routes.toString()),
                System::getenv);
        g.main.lookupByType(Object.class).forEach((name, bean) -> ctx.getRegistry().bind(name, bean));
        g.startProviders(ctx);
        try {
            List<Resource> files = new ArrayList<>();
            try (var list = Files.list(routes)) {
                list.filter(f -> f.getFileName().toString().endsWith(".yaml")
                                && !f.getFileName().toString().endsWith(".kamelet.yaml")
                                // batches need the gateway's data directory and HTTP API
                                && !f.getFileName().toString().equals("batches.yaml"))
                        .sorted()
                        .forEach(f -> files.add(PluginHelper.getResourceLoader(ctx).resolveResource("file:" + f)));
            }
            Collection<RoutesBuilder> builders = PluginHelper.getRoutesLoader(ctx).findRoutesBuilders(files);
            for (RoutesBuilder b : builders) {
                if (b instanceof RouteConfigurationsBuilder rcb) {
                    rcb.addRouteConfigurationsToCamelContext(ctx);
                }
            }
            for (RoutesBuilder b : builders) {
                if (b instanceof RouteBuilder rb) {
                    rb.configureRoutes(ctx).getRoutes().removeIf(r -> r.getInput() != null
                            && r.getInput().getEndpointUri().startsWith("platform-http:"));
                }
                ctx.addRoutes(b);
            }
            // the provider routes are templatedRoutes: made once every file's templates are in
            for (RoutesBuilder b : builders) {
                if (b instanceof RouteBuilder rb) {
                    rb.addTemplatedRoutesToCamelContext(ctx);
                }
            }
            ctx.addService(new org.apache.camel.support.service.ServiceSupport() {
                @Override
                protected void doStop() {
                    g.adapters.values().forEach(ProviderAdapter::close);
                    g.cache.close();
                    g.localAdapter.stop();
                    g.kafkaPipeline.close();
                }
            });
        } catch (Exception e) {
            throw new ConfigException("could not load the gateway routes from " + routes + ": " + e.getMessage());
        }
    }

    /** Logs the start-up summary (observe/StartupSummary) once the context is up. */
    private void logStartupSummary(CamelContext ctx, boolean metricsPublic) {
        var props = ctx.getPropertiesComponent();
        boolean reload = "true".equals(props.resolveProperty("camel.main.routesReloadEnabled").orElse("false"));
        boolean kafka = "true".equals(props.resolveProperty("gateway.kafka.enabled").orElse("false"));
        StartupSummary.log(ctx.getVersion(), props.resolveProperty("camel.server.host").orElse("0.0.0.0"),
                Integer.parseInt(props.resolveProperty("camel.server.port").orElse("4000")), configFile, propertiesFile,
                config, reload ? routesDir : null,
                kafka ? props.resolveProperty("gateway.kafka.bootstrap").orElse("localhost:9092") : null,
                metricsPublic, tracing, (System.nanoTime() - startNanos) / 1_000_000);
    }

    /** The gateway's metrics (observe/Metrics). */
    public Metrics metrics() {
        return metrics;
    }

    /** Starts serving and returns (for tests and embedding). */
    public Gateway start() throws Exception {
        startNanos = System.nanoTime();
        main.start();
        return this;
    }

    /** Starts serving and blocks until the JVM is asked to stop. */
    public void run() throws Exception {
        startNanos = System.nanoTime();
        main.run();
    }

    public void stop() {
        main.stop();
        adapters.values().forEach(ProviderAdapter::close);
        cache.close();
        tracing.close();
        metrics.close();
        localAdapter.stop();
    }

    public CamelContext camelContext() {
        return main.getCamelContext();
    }

    public GatewayConfig config() {
        return config;
    }

    public ModelRegistry registry() {
        return registry;
    }

    /**
     * Vert.x for platform-http: every request holds a worker thread for its whole upstream call, so the pool
     * ({@code gateway.workerThreads}, default {@value #DEFAULT_WORKER_THREADS}) bounds the requests in flight;
     * Vert.x's default of 20 would let 20 slow upstream calls stall every path. Long blocking is expected, so the
     * blocked-thread warning starts only past 15 minutes.
     */
    private static void bindVertxOptions(CamelContext ctx) {
        if (ctx.getRegistry().findSingleByType(VertxOptions.class) != null) {
            return;
        }
        int threads = Integer.parseInt(ctx.getPropertiesComponent().resolveProperty("gateway.workerThreads")
                .orElse(String.valueOf(DEFAULT_WORKER_THREADS)));
        VertxOptions options = new VertxOptions().setWorkerPoolSize(threads)
                .setMaxWorkerExecuteTime(15).setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES);
        // --num_workers N: N event loops (LiteLLM's uvicorn workers are event loops in N processes; here one process
        // serves all cores, and Vert.x's default is 2 per core)
        ctx.getPropertiesComponent().resolveProperty("gateway.eventLoopThreads")
                .ifPresent(n -> options.setEventLoopPoolSize(Integer.parseInt(n)));
        ctx.getRegistry().bind("vertxOptions", options);
    }

    private void startProviders(CamelContext ctx) {
        // the local model (ONNX Runtime, tokenizer: native libraries, ~150 MB of memory) only when configured
        if (config.deployments().stream().anyMatch(d -> d.provider() == Provider.LOCAL)) {
            LocalAdapter.Settings def = LocalAdapter.Settings.defaults();
            var props = ctx.getPropertiesComponent();
            LocalAdapter.Settings s = new LocalAdapter.Settings(
                    Integer.parseInt(props.resolveProperty("gateway.local.maxBatchInputs")
                            .orElse(String.valueOf(def.maxBatchInputs()))),
                    Long.parseLong(props.resolveProperty("gateway.local.maxBatchDelayMs")
                            .orElse(String.valueOf(def.maxBatchDelayMs()))),
                    Integer.parseInt(props.resolveProperty("gateway.local.maxInputChars")
                            .orElse(String.valueOf(def.maxInputChars()))),
                    Integer.parseInt(props.resolveProperty("gateway.local.threads")
                            .orElse(String.valueOf(def.threads()))));
            localAdapter.start(s, ctx.getExecutorServiceManager().newSingleThreadExecutor(localAdapter,
                    "local-batcher"));
        }
        // upstream calls of the providers' parallel splits; each request bounds its own share by waves of
        // max_parallel_requests, so the pool itself is unbounded and idle threads expire
        // (the request id of the submitting thread goes along into the MDC of each batch's thread)
        ctx.getRegistry().bind("upstreamPool", new MdcExecutorService(
                ctx.getExecutorServiceManager().newCachedThreadPool(this, "upstream")));
        // adapters whose endpoint URIs reference beans they built in prepare() (Bedrock's SDK clients) bind them now
        adapters.values().forEach(a -> {
            if (a instanceof org.apache.camel.CamelContextAware aware) {
                aware.setCamelContext(ctx);
            }
        });
    }

    /** The Batch API's beans, bound at configure time (closed on stop). */
    private dev.embeddings.gateway.batch.BatchSetup batches;

    /**
     * Resolves the gateway's database (opened now only when a master key is set: virtual keys need it) and starts
     * virtual keys; they stop after Camel's routes, so the spend of every drained request is written first.
     */
    private void startKeys(CamelContext ctx) {
        database = dev.embeddings.gateway.db.SharedDatabase.from(config, env, ctx.getPropertiesComponent(),
                ctx.getRegistry());
        try {
            // added first, so stopped last (Camel stops services in reverse): after the routes and the keys' spend
            // writer, the batch beans stop and the database closes
            ctx.addService(new org.apache.camel.support.service.ServiceSupport() {
                @Override
                protected void doStop() {
                    if (batches != null) {
                        batches.close();
                    }
                    database.close();
                }
            }, true, true);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        keys.start(ctx, database);
        try {
            ctx.addService(new org.apache.camel.support.service.ServiceSupport() {
                @Override
                protected void doStop() {
                    keys.stop();
                }
            }, true, true);
        } catch (Exception e) {
            keys.stop();
            throw new IllegalStateException(e);
        }
    }

    /** Virtual keys, limits and spend (and the shared {@link dev.embeddings.gateway.db.Database}). */
    public Keys keys() {
        return keys;
    }

    /**
     * platform-http only logs a failed bind (port in use, no permission) and starts anyway: check first, and stop
     * with a one-line reason (ConfigException) instead of running without a listener.
     */
    private static void checkPortFree(CamelContext ctx) {
        String host = ctx.getPropertiesComponent().resolveProperty("camel.server.host").orElse("0.0.0.0");
        int port = Integer.parseInt(ctx.getPropertiesComponent().resolveProperty("camel.server.port").orElse("4000"));
        if (port == 0) {
            return;
        }
        try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new java.net.InetSocketAddress(host, port));
        } catch (java.io.IOException e) {
            throw new ConfigException("cannot listen on " + host + ":" + port + " (" + e.getMessage()
                    + "); choose another --port");
        }
    }

    /**
     * Vert.x answers some requests before any route runs (body over the limit, no such path, wrong method): give
     * those the OpenAI error shape too, on the server's root router.
     */
    private void installHttpErrorHandlers(CamelContext ctx, KeyAuthenticator auth, GracefulShutdown shutdown,
                                          HttpObserver observer, boolean metricsPublic) {
        for (VertxPlatformHttpRouter r : ctx.getRegistry().findByType(VertxPlatformHttpRouter.class)) {
            if (r.getServer() == null || r.getServer().getServer() == null
                    || !(r.getServer().getServer().requestHandler() instanceof Router root)) {
                continue;
            }
            Long max = r.getServer().getMaxBodySize();
            // first the observer (request id, overhead header, metrics, access log, span), then admission
            root.route().order(Integer.MIN_VALUE).handler(observer::handle);
            RequestAdmission admission = installAdmission(ctx, root, auth, shutdown,
                    max != null ? max : DEFAULT_MAX_BODY);
            if (metricsPublic) {
                admission.addPublicPath(MetricsEndpoint.PATH);
            }
            metrics.gauge("request.body.in.flight.bytes", "Bytes of request bodies received or being served",
                    admission::bodyBytesInFlight);
            root.errorHandler(413, respond(GatewayException.tooLarge(max != null ? max : DEFAULT_MAX_BODY)));
            root.errorHandler(404, respond(new GatewayException(404, "invalid_request_error", null, "not_found",
                    "Unknown path.")));
            // a path the router cannot decode (e.g. "%ZZ")
            root.errorHandler(400, respond(GatewayException.invalid(null, "The request path is malformed.")));
            Handler<RoutingContext> notAllowed = respond(new GatewayException(405, "invalid_request_error", null,
                    "method_not_allowed", "Method not allowed on this path."));
            root.errorHandler(405, rc -> {
                String allow = allowedMethods(ctx, rc.normalizedPath());
                if (!allow.isEmpty()) {
                    rc.response().putHeader("Allow", allow);
                }
                notAllowed.handle(rc);
            });
            // a failure inside the router (e.g. a client that closed its connection mid-body): answer if still
            // possible, never log an "unhandled exception" for what the client did
            root.errorHandler(500, rc -> {
                if (!rc.response().ended() && !rc.response().closed()) {
                    respond(new GatewayException(500, "internal_error", null, "internal_error",
                            "The gateway failed to process the request.")).handle(rc);
                }
            });
            // a route being reloaded answers 503 for a moment
            root.errorHandler(503, respond(GatewayException.reloading()));
        }
    }

    /**
     * The first handler on the root router: {@link RequestAdmission} (drain, authentication on the headers before
     * any body is read, body size and the global body-memory budget, read timeout). Properties:
     * {@code gateway.maxBodyBytesInFlight} (default: a quarter of the heap, at most 256 MiB, at least one body),
     * {@code gateway.requestReadTimeoutMs} (default {@value #DEFAULT_REQUEST_READ_TIMEOUT_MS}).
     */
    private static RequestAdmission installAdmission(CamelContext ctx, Router root, KeyAuthenticator auth,
                                         GracefulShutdown shutdown, long maxBody) {
        var props = ctx.getPropertiesComponent();
        long timeoutMs = Long.parseLong(props.resolveProperty("gateway.requestReadTimeoutMs")
                .orElse(String.valueOf(DEFAULT_REQUEST_READ_TIMEOUT_MS)));
        long budget = Long.parseLong(props.resolveProperty("gateway.maxBodyBytesInFlight")
                .orElse(String.valueOf(defaultBodyBudget())));
        RequestAdmission admission = new RequestAdmission(auth, shutdown, maxBody, budget, timeoutMs);
        // batch file uploads are streamed to the data directory, with their own size limit
        dev.embeddings.gateway.batch.BatchSettings batch = dev.embeddings.gateway.batch.BatchSettings.from(props);
        for (String path : List.of("/v1/files", "/files")) {
            admission.addStreamedUpload(path, batch.maxFileBytes(), batch.uploadTimeoutMs());
        }
        ctx.getRegistry().bind("requestAdmission", admission);
        root.route().order(Integer.MIN_VALUE + 1).handler(admission::handle);
        return admission;
    }

    /** The input limits of the properties {@code gateway.maxInputChars} etc., defaults from RequestParser.Limits. */
    private static RequestParser.Limits inputLimits(CamelContext ctx) {
        var props = ctx.getPropertiesComponent();
        RequestParser.Limits d = RequestParser.Limits.DEFAULT;
        return new RequestParser.Limits(
                Integer.parseInt(props.resolveProperty("gateway.maxInputChars").orElse(String.valueOf(d.maxInputChars()))),
                Long.parseLong(props.resolveProperty("gateway.maxRequestChars").orElse(String.valueOf(d.maxRequestChars()))),
                Integer.parseInt(props.resolveProperty("gateway.maxInputTokens").orElse(String.valueOf(d.maxInputTokens()))),
                Long.parseLong(props.resolveProperty("gateway.maxRequestTokens")
                        .orElse(String.valueOf(d.maxRequestTokens()))));
    }

    /** A quarter of the maximum heap, at most 256 MiB. */
    static long defaultBodyBudget() {
        return Math.min(256L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 4);
    }

    /**
     * The {@code Allow} value of a 405 (RFC 9110): the methods of the platform-http routes whose path matches
     * {@code path} ({@code {name}} matching one segment), comma-separated, e.g. "POST"; empty when none.
     */
    static String allowedMethods(CamelContext ctx, String path) {
        java.util.TreeSet<String> verbs = new java.util.TreeSet<>();
        org.apache.camel.component.platform.http.PlatformHttpComponent http =
                ctx.getComponent("platform-http", org.apache.camel.component.platform.http.PlatformHttpComponent.class);
        for (org.apache.camel.component.platform.http.HttpEndpointModel m : http.getHttpEndpoints()) {
            String regex = java.util.Arrays.stream(m.getUri().split("/", -1))
                    .map(seg -> seg.startsWith("{") && seg.endsWith("}") ? "[^/]+"
                            : java.util.regex.Pattern.quote(seg))
                    .collect(java.util.stream.Collectors.joining("/"));
            if (m.getVerbs() != null && path.matches(regex + "/?")) {
                for (String v : m.getVerbs().split(",")) {
                    verbs.add(v.trim());
                }
            }
        }
        return String.join(", ", verbs);
    }

    static final long DEFAULT_REQUEST_READ_TIMEOUT_MS = 30_000;

    private static Handler<RoutingContext> respond(GatewayException e) {
        byte[] body = ErrorResponder.body(e);
        return rc -> {
            RequestRecord.failed(rc, e);
            if (!rc.response().ended()) {
                if (e.retryAfterSeconds() != null) {
                    rc.response().putHeader("Retry-After", String.valueOf(e.retryAfterSeconds()));
                }
                rc.response().setStatusCode(e.status()).putHeader("Content-Type", "application/json")
                        .end(io.vertx.core.buffer.Buffer.buffer(body));
            }
        };
    }
}
