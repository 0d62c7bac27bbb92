package dev.embeddings.gateway.provider;

import dev.embeddings.gateway.config.ConfigException;
import dev.embeddings.gateway.config.Deployment;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsAssumeRoleCredentialsProvider;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;

/**
 * How the AWS providers (Bedrock, SageMaker) build their SDK clients: once per deployment at start, from
 * LiteLLM's {@code litellm_params}, with the gateway's timeouts and <b>no SDK retries</b> (retries are the
 * gateway's own Camel policy, so an SDK retry would multiply them).
 * <ul>
 *   <li>Region: {@code aws_region_name}, else env {@code AWS_REGION}, {@code AWS_REGION_NAME} (LiteLLM's name),
 *       {@code AWS_DEFAULT_REGION}; none → ConfigException at start.</li>
 *   <li>Credentials, first match: {@code aws_access_key_id} + {@code aws_secret_access_key} (+
 *       {@code aws_session_token} → session credentials); {@code aws_profile_name} (a profile of
 *       ~/.aws/credentials); env {@code AWS_ACCESS_KEY_ID} + {@code AWS_SECRET_ACCESS_KEY} (+
 *       {@code AWS_SESSION_TOKEN}); else the SDK's DefaultCredentialsProvider (web identity, SSO, container and
 *       instance roles). With {@code aws_role_name} (a role ARN) those credentials assume that role through STS
 *       ({@code aws_session_name}, default {@value #DEFAULT_SESSION_NAME}; STS endpoint {@code aws_sts_endpoint}),
 *       refreshed by the SDK before they expire.</li>
 *   <li>Endpoint override (VPC endpoints, tests): the first of the provider's keys (e.g. {@code api_base}) or
 *       env names (e.g. {@code AWS_ENDPOINT_URL_BEDROCK_RUNTIME}, {@code AWS_ENDPOINT_URL}) that is set; an
 *       http(s) URL.</li>
 *   <li>Timeouts from {@link ProviderAdapter#timeoutMs}: connect min(timeout, 30 s), socket read and API call
 *       attempt = timeout. A timeout surfaces as ApiCallAttemptTimeoutException or a SocketTimeoutException cause,
 *       both mapped to 504 by {@link UpstreamErrors}.</li>
 *   <li>HTTP: the Apache client, keep-alive pool of {@link #maxConnections} connections.</li>
 * </ul>
 * Environment lookups go through the {@code env} function the adapter was built with (the process environment in
 * production, a map in tests). Secrets never appear in a ConfigException message.
 */
public final class AwsClients {

    public static final String DEFAULT_SESSION_NAME = "embeddings-gateway";
    /** Vert.x worker threads (concurrent requests) the connection pool is sized for. */
    private static final int WORKERS = 20;

    private AwsClients() {
    }

    /**
     * What a deployment's client is built from.
     *
     * @param region      signing and endpoint region
     * @param credentials the provider the client signs with; {@link #close()} releases it
     * @param endpoint    endpoint override, or null for the region's public endpoint
     * @param timeoutMs   connect (capped at 30 s), socket read and API call attempt timeout
     * @param maxConnections HTTP connection pool size
     */
    public record Settings(Region region, AwsCredentialsProvider credentials, URI endpoint, long timeoutMs,
                           int maxConnections) implements AutoCloseable {

        /** Releases credential providers that hold resources (STS client, refresh threads). */
        @Override
        public void close() {
            if (credentials instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    // closing at shutdown: nothing useful to do
                }
            }
        }
    }

    /**
     * Reads a deployment's AWS settings. {@code endpointKeys} are litellm_params keys and {@code endpointEnv}
     * environment names for the endpoint override, in order of precedence. Throws ConfigException (naming the
     * model_list entry and the parameter, never a value) for a missing region, half a key pair or a bad URL.
     */
    public static Settings settings(Deployment d, Function<String, String> env, long timeoutMs,
                                    List<String> endpointKeys, List<String> endpointEnv) {
        Region region = region(d, env);
        URI endpoint = endpoint(d, env, endpointKeys, endpointEnv);
        AwsCredentialsProvider credentials = credentials(d, env, region);
        Integer par = d.integer("max_parallel_requests");
        int parallel = par != null ? par : ProviderAdapter.DEFAULT_MAX_PARALLEL;
        return new Settings(region, credentials, endpoint, timeoutMs, maxConnections(parallel));
    }

    /** Pool size: every worker thread running a request with {@code parallel} concurrent calls, at least 50. */
    public static int maxConnections(int parallel) {
        return Math.max(50, WORKERS * Math.max(1, parallel));
    }

    /** Builds a sync client from {@code builder} with the settings: region, credentials, endpoint, timeouts, no retries. */
    public static <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C build(B builder, Settings s) {
        Duration timeout = Duration.ofMillis(s.timeoutMs());
        builder.region(s.region())
                .credentialsProvider(s.credentials())
                .httpClientBuilder(ApacheHttpClient.builder()
                        .connectionTimeout(Duration.ofMillis(Math.min(s.timeoutMs(), 30_000)))
                        .socketTimeout(timeout)
                        .connectionAcquisitionTimeout(timeout)
                        .maxConnections(s.maxConnections())
                        .expectContinueEnabled(false))
                .overrideConfiguration(o -> o
                        .retryStrategy(AwsRetryStrategy.doNotRetry())
                        .apiCallAttemptTimeout(timeout));
        if (s.endpoint() != null) {
            builder.endpointOverride(s.endpoint());
        }
        return builder.build();
    }

    static Region region(Deployment d, Function<String, String> env) {
        String r = d.string("aws_region_name");
        for (String name : new String[]{"AWS_REGION", "AWS_REGION_NAME", "AWS_DEFAULT_REGION"}) {
            if (blank(r)) {
                r = env.apply(name);
            }
        }
        if (blank(r)) {
            throw new ConfigException(where(d) + ": " + d.provider().prefix()
                    + " needs litellm_params.aws_region_name (or the environment variable AWS_REGION)");
        }
        return Region.of(r.trim());
    }

    static URI endpoint(Deployment d, Function<String, String> env, List<String> keys, List<String> envNames) {
        String source = null;
        String url = null;
        for (String k : keys) {
            if (url == null && !blank(d.string(k))) {
                url = d.string(k).trim();
                source = "litellm_params." + k;
            }
        }
        for (String e : envNames) {
            if (url == null && !blank(env.apply(e))) {
                url = env.apply(e).trim();
                source = "the environment variable " + e;
            }
        }
        if (url == null) {
            return null;
        }
        try {
            URI uri = new URI(url);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new URISyntaxException(url, "not an http(s) URL");
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
                // the SDK signs and sends its own path and query: a query in an endpoint override would be dropped
                throw new ConfigException(where(d) + ": " + source + " must not carry a query string (an AWS "
                        + "endpoint override is scheme, host, port and path)");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException(where(d) + ": " + source + " must be an http(s) URL");
        }
    }

    static AwsCredentialsProvider credentials(Deployment d, Function<String, String> env, Region region) {
        if (!blank(d.string("aws_web_identity_token"))) {
            throw new ConfigException(where(d) + ": litellm_params.aws_web_identity_token is not supported; use the "
                    + "AWS default chain (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN) instead");
        }
        AwsCredentialsProvider base = baseCredentials(d, env);
        String role = d.string("aws_role_name");
        if (blank(role)) {
            return base;
        }
        String session = blank(d.string("aws_session_name")) ? DEFAULT_SESSION_NAME : d.string("aws_session_name");
        var sts = StsClient.builder().region(region).credentialsProvider(base)
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(2));
        URI stsEndpoint = endpoint(d, env, List.of("aws_sts_endpoint"), List.of("AWS_ENDPOINT_URL_STS"));
        if (stsEndpoint != null) {
            sts.endpointOverride(stsEndpoint);
        }
        return StsAssumeRoleCredentialsProvider.builder()
                .stsClient(sts.build())
                .refreshRequest(r -> r.roleArn(role.trim()).roleSessionName(session.trim()))
                .build();
    }

    private static AwsCredentialsProvider baseCredentials(Deployment d, Function<String, String> env) {
        String key = d.string("aws_access_key_id");
        String secret = d.string("aws_secret_access_key");
        if (!blank(key) || !blank(secret)) {
            if (blank(key) || blank(secret)) {
                throw new ConfigException(where(d) + ": litellm_params.aws_access_key_id and aws_secret_access_key "
                        + "must be set together");
            }
            return StaticCredentialsProvider.create(staticCredentials(key, secret, d.string("aws_session_token")));
        }
        if (!blank(d.string("aws_profile_name"))) {
            return ProfileCredentialsProvider.builder().profileName(d.string("aws_profile_name").trim()).build();
        }
        key = env.apply("AWS_ACCESS_KEY_ID");
        secret = env.apply("AWS_SECRET_ACCESS_KEY");
        if (!blank(key) && !blank(secret)) {
            String token = d.string("aws_session_token");
            return StaticCredentialsProvider.create(staticCredentials(key, secret,
                    blank(token) ? env.apply("AWS_SESSION_TOKEN") : token));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    private static AwsCredentials staticCredentials(String key, String secret, String token) {
        // keys may come from the environment, not litellm_params: make sure no message can carry them
        UpstreamErrors.addSecret(secret);
        UpstreamErrors.addSecret(token);
        return blank(token) ? AwsBasicCredentials.create(key.trim(), secret.trim())
                : AwsSessionCredentials.create(key.trim(), secret.trim(), token.trim());
    }

    private static String where(Deployment d) {
        return "model_list entry '" + d.modelName() + "'";
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
