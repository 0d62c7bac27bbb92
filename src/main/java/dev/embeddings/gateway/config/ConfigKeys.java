package dev.embeddings.gateway.config;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * The keys config.yaml may hold, per section, so that a typo ({@code tiemout}) is warned about at start instead of
 * passing silently. Three kinds per section: keys the gateway implements; keys LiteLLM knows that the gateway accepts
 * and ignores (a LiteLLM user's file loads unchanged); anything else is unknown (WARN naming the key, the entry and
 * the nearest known key).
 *
 * <p>Adding a feature that reads a new key: add it to the section's {@code IMPLEMENTED} set here (provider-specific
 * {@code litellm_params} keys go to {@link #LITELLM_PARAMS}).
 */
public final class ConfigKeys {

    private ConfigKeys() {
    }

    /** litellm_params keys the gateway reads (any provider) plus LiteLLM's own, which load and are ignored. */
    public static final Set<String> LITELLM_PARAMS = Set.of(
            // read by the gateway
            "model", "api_key", "api_base", "api_version", "timeout", "max_batch_size", "max_parallel_requests",
            "num_retries", "rpm", "tpm", "weight", "matryoshka", "azure_ad_token", "aws_access_key_id",
            "aws_secret_access_key", "aws_session_token", "aws_region_name", "aws_profile_name", "aws_role_name",
            "aws_session_name", "aws_web_identity_token", "aws_sts_endpoint", "aws_bedrock_runtime_endpoint",
            "sagemaker_format", "inference_component", "pooling", "input_type", "normalize", "truncate",
            "dimensions", "encoding_format", "base_model",
            // LiteLLM's, accepted and not used for embeddings here
            "stream_timeout", "max_retries", "organization", "custom_llm_provider", "region_name", "input_cost_per_token",
            "output_cost_per_token", "input_cost_per_second", "output_cost_per_second", "input_cost_per_pixel",
            "output_cost_per_pixel", "input_cost_per_character", "output_cost_per_character", "aws_external_id",
            "aws_session_token_duration", "vertex_project", "vertex_location", "vertex_credentials", "vertex_ai_project",
            "vertex_ai_location", "azure_ad_token_provider", "tenant_id", "client_id", "client_secret",
            "azure_username", "azure_password", "azure_scope", "azure_authority_host", "use_in_pass_through",
            "use_litellm_proxy", "merge_reasoning_content_in_choices", "mock_response", "tags", "budget_duration",
            "max_budget", "litellm_credential_name", "headers", "extra_headers", "drop_params", "additional_drop_params",
            "configurable_clientside_auth_params", "watsonx_region_name", "api_type", "deployment_id", "seed",
            "litellm_trace_id", "metadata", "cache", "caching", "user", "max_tokens", "temperature", "top_p",
            "auto_router_config", "auto_router_config_path", "auto_router_default_model", "auto_router_embedding_model",
            "model_info", "hf_model_name", "task", "provider_specific_header");

    /** general_settings keys the gateway reads. */
    public static final Set<String> GENERAL_IMPLEMENTED = Set.of("master_key", "metrics_public");
    /** LiteLLM general_settings keys: accepted, ignored. */
    public static final Set<String> GENERAL_LITELLM = Set.of("completion_model", "disable_spend_logs",
            "disable_spend_updates", "disable_master_key_return", "disable_retry_on_max_parallel_request_limit_error",
            "disable_reset_budget", "disable_adding_master_key_hash_to_db", "enable_jwt_auth", "enforce_user_param",
            "allowed_routes", "key_management_system", "key_management_settings", "database_url",
            "database_connection_pool_limit", "database_connection_timeout", "database_args",
            "allow_requests_on_db_unavailable", "custom_auth", "custom_auth_settings", "max_parallel_requests",
            "global_max_parallel_requests", "max_request_size_mb", "max_response_size_mb", "infer_model_from_keys",
            "background_health_checks", "health_check_interval", "health_check_details", "alerting",
            "alerting_threshold", "alerting_args", "alert_types", "alert_to_webhook_url", "spend_report_frequency",
            "use_client_credentials_pass_through_routes", "public_routes", "admin_only_routes",
            "forward_openai_org_id", "forward_client_headers_to_llm_api", "allow_client_side_credentials",
            "use_azure_key_vault", "use_google_kms", "spend_logs_url", "proxy_batch_write_at",
            "proxy_budget_rescheduler_min_time", "proxy_budget_rescheduler_max_time", "store_model_in_db",
            "store_prompts_in_spend_logs", "supported_db_objects", "otel", "custom_key_generate", "custom_sso",
            "litellm_key_header_name", "disable_prisma_schema_update", "ui_access_mode", "enable_oauth2_auth",
            "enable_oauth2_proxy_auth", "key_generation_settings", "litellm_jwtauth", "user_header_name",
            "maximum_spend_logs_retention_period", "maximum_spend_logs_retention_interval",
            "service_account_settings", "pass_through_endpoints", "moderation_model", "embedding_model",
            "image_generation_model", "redact_user_api_key_info", "mcp_servers", "default_team_disabled",
            "enable_public_model_hub", "disable_responses_id_security", "use_redis_transaction_buffer",
            "proxy_admin_email", "team_member_permissions");

    /** litellm_settings / router_settings keys the gateway implements (RouterSettings, tracing). */
    public static final Set<String> SETTINGS_IMPLEMENTED = Set.of("routing_strategy", "num_retries", "retry_after",
            "fallbacks", "allowed_fails", "cooldown_time", "timeout", "request_timeout", "callbacks",
            "success_callback", "failure_callback");
    /** LiteLLM litellm_settings and router_settings keys: accepted, ignored. */
    public static final Set<String> SETTINGS_LITELLM = Set.of(
            // litellm_settings
            "service_callbacks", "callback_settings", "turn_off_message_logging", "redact_user_api_key_info",
            "langfuse_default_tags", "set_verbose", "json_logs", "drop_params", "modify_params",
            "enable_preview_features", "cache", "cache_params", "context_window_fallbacks", "content_policy_fallbacks",
            "default_fallbacks", "max_budget", "budget_duration", "disable_end_user_cost_tracking",
            "key_generation_settings", "default_team_settings", "default_key_generate_params",
            "upperbound_key_generate_params", "default_internal_user_params", "force_ipv4", "return_response_headers",
            "telemetry", "enable_json_schema_validation", "default_max_internal_user_budget",
            "max_internal_user_budget", "max_end_user_budget", "public_model_groups", "public_model_groups_links",
            "add_function_to_prompt", "guardrails", "ssl_verify", "disable_token_counter", "extra_spend_tag_headers",
            "require_auth_for_metrics_endpoint", "prometheus_initialize_budget_metrics", "mcp_aliases",
            "disable_add_transform_inline_image_block", "use_chat_completions_url_for_anthropic_messages",
            "disable_copilot_system_to_assistant", "cost_calculation_mode",
            // router_settings
            "redis_host", "redis_password", "redis_port", "redis_url", "cache_responses", "cache_kwargs",
            "enable_pre_call_checks", "allowed_fails_policy", "disable_cooldowns", "retry_policy", "stream_timeout",
            "debug_level", "model_group_alias", "model_group_retry_policy", "max_fallbacks", "routing_strategy_args",
            "provider_budget_config", "enable_tag_filtering", "tag_filtering_match_any", "default_max_parallel_requests",
            "default_priority", "polling_interval", "assistants_config", "client_ttl", "caching_groups",
            "alerting_config", "router_general_settings", "optional_pre_call_checks", "ignore_invalid_deployments",
            "search_tools", "guardrail_list", "default_litellm_params", "model_list",
            "deployment_affinity_ttl_seconds");

    /** The known key nearest to {@code key} (edit distance at most 2, or one is the other with a separator), or null. */
    public static String suggest(String key, Collection<String> known) {
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

    /** Damerau-Levenshtein (optimal string alignment) distance. */
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
