package dev.embeddings.gateway.config;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys of a LiteLLM config.yaml that the gateway knows, per section, so that a typo can be told from a LiteLLM
 * setting the gateway does not use. ConfigLoader warns once about every key in neither set (naming the key and
 * where it is) and logs the known-but-unused ones at INFO.
 */
final class ConfigKeys {

    private ConfigKeys() {
    }

    /** litellm_params keys some part of the gateway reads (any provider). */
    static final Set<String> PARAMS_USED = Set.of(
            "model", "api_base", "api_key", "api_version", "organization", "timeout", "max_batch_size",
            "max_batch_bytes", "max_parallel_requests", "num_retries", "rpm", "tpm", "weight", "matryoshka",
            "custom_llm_provider",
            // AWS
            "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_region_name", "aws_profile_name",
            "aws_role_name", "aws_session_name", "aws_web_identity_token", "aws_sts_endpoint",
            "aws_bedrock_runtime_endpoint", "sagemaker_format", "inference_component",
            // Azure, Hugging Face
            "azure_ad_token", "pooling",
            // Google
            "vertex_project", "vertex_location", "vertex_credentials",
            // documented provider defaults forwarded when the client sends none
            "input_type", "truncate", "normalize", "prompt_name", "truncation_direction", "task_type", "task",
            "output_dimension", "output_dtype", "late_chunking", "keep_alive", "truncation", "auto_truncate",
            "dimensions", "embedding_type", "title", "options");

    /** litellm_params keys LiteLLM knows that the gateway accepts and does not use. */
    static final Set<String> PARAMS_KNOWN = Set.of(
            "stream_timeout", "max_retries", "order", "input_cost_per_token", "output_cost_per_token",
            "input_cost_per_second", "output_cost_per_second", "input_cost_per_pixel", "mock_response", "tags",
            "region_name", "use_in_pass_through", "use_litellm_proxy", "drop_params", "additional_drop_params",
            "merge_reasoning_content_in_choices", "configurable_clientside_auth_params", "litellm_credential_name",
            "budget_duration", "max_budget", "tenant_id", "client_id", "client_secret", "azure_username",
            "azure_password", "azure_scope", "aws_external_id", "aws_bedrock_runtime_endpoint_url", "api_type",
            "base_model", "temperature", "max_tokens", "top_p", "stream", "seed", "extra_headers", "headers",
            "extra_body", "model_info", "cache_control_injection_points", "litellm_trace_id", "metadata",
            "vertex_ai_project", "vertex_ai_location", "vertex_ai_credentials", "encoding_format", "user",
            "auto_router_config", "guardrails", "mock_testing_fallbacks", "health_check_model");

    /** general_settings keys the gateway reads. */
    static final Set<String> GENERAL_USED = Set.of("master_key", "database_url", "database_connection_pool_limit",
            "metrics_public");

    /** general_settings keys of LiteLLM's proxy that the gateway does not use (yet). */
    static final Set<String> GENERAL_KNOWN = Set.of(
            "database_connection_timeout", "store_model_in_db",
            "store_prompts_in_spend_logs", "alerting", "alerting_threshold", "alert_types", "alert_to_webhook_url",
            "alerting_args", "proxy_batch_write_at", "disable_spend_logs", "disable_error_logs",
            "max_parallel_requests", "global_max_parallel_requests", "infer_model_from_keys",
            "background_health_checks", "health_check_interval", "health_check_details", "enforce_user_param",
            "allowed_routes", "public_routes", "admin_only_routes", "enable_jwt_auth", "litellm_jwtauth",
            "custom_auth", "custom_key_generate", "allow_user_auth", "ui_access_mode", "disable_master_key_return",
            "disable_reset_budget", "use_redis_transaction_buffer", "pass_through_endpoints", "otel",
            "maximum_spend_logs_retention_period", "disable_adding_master_key_hash_to_db",
            "disable_retry_on_max_parallel_request_limit_error", "forward_openai_org_id",
            "forward_client_headers_to_llm_api", "key_management_system", "key_management_settings",
            "user_header_name", "proxy_budget_rescheduler_min_time", "proxy_budget_rescheduler_max_time",
            "service_account_settings", "allowed_ips", "max_request_size_mb", "max_response_size_mb",
            "spend_report_frequency", "disable_prisma_schema_update", "supported_db_objects",
            "enable_public_model_hub", "database_type", "embedding_model", "moderation_model", "health_check_model",
            "use_shared_health_check", "mcp_servers", "enable_oauth2_auth", "master_key_rotation",
            "default_team_disabled");

    /** litellm_settings and router_settings keys the gateway reads (RouterSettings, CacheSettings, VectorSpaces,
     *  keys/RedisSettings). */
    static final Set<String> SETTINGS_USED = Set.of("routing_strategy", "num_retries", "retry_after", "fallbacks",
            "allowed_fails", "cooldown_time", "timeout", "request_timeout", "cache", "cache_params",
            "allow_cross_space_fallback", "redis_host", "redis_port", "redis_password", "redis_url", "callbacks");

    /** litellm_settings / router_settings keys of LiteLLM that the gateway does not use (yet). */
    static final Set<String> SETTINGS_KNOWN = Set.of(
            // litellm_settings
            "context_window_fallbacks", "content_policy_fallbacks", "default_fallbacks", "drop_params",
            "set_verbose", "json_logs", "success_callback", "failure_callback", "service_callback",
            "turn_off_message_logging", "redact_user_api_key_info", "max_budget",
            "budget_duration", "default_team_settings", "default_internal_user_params",
            "default_key_generate_params", "upperbound_key_generate_params", "key_generation_settings",
            "disable_end_user_cost_tracking", "enable_preview_features", "modify_params", "telemetry", "force_ipv4",
            "ssl_verify", "enable_json_schema_validation", "default_max_internal_user_budget",
            "max_internal_user_budget", "internal_user_budget_duration", "return_response_headers",
            "global_disable_no_log_param", "mcp_aliases", "check_provider_endpoint", "callback_settings",
            "langfuse_default_tags", "extra_spend_tag_headers", "public_model_groups", "num_retries_per_request",
            "max_end_user_budget", "disable_add_transform_inline_image_block", "cache_responses",
            "enable_loadbalancing_on_batch_endpoints", "use_client_credentials_pass_through_routes",
            // router_settings
            "allowed_fails_policy", "disable_cooldowns", "retry_policy", "redis_db", "cache_kwargs", "enable_pre_call_checks",
            "enable_tag_filtering", "tag_filtering_match_any", "model_group_alias", "model_group_retry_policy",
            "routing_strategy_args", "provider_budget_config", "optional_pre_call_checks", "max_fallbacks",
            "stream_timeout", "default_litellm_params", "default_max_parallel_requests", "default_priority",
            "polling_interval", "client_ttl", "debug_level", "deployment_affinity", "assistants_config",
            "router_general_settings");

    /** The known key nearest to {@code key} (at most two edits away, transpositions counting one), or null. */
    static String suggest(String key, Collection<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String k : new TreeSet<>(known)) {
            int d = distance(key.toLowerCase(java.util.Locale.ROOT), k);
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best;
    }

    /** Optimal string alignment distance (Levenshtein plus adjacent transpositions). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
