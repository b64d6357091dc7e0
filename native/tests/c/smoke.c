/*
 * C smoke test of the gopher_auth ABI, built by tests/c_smoke.rs against
 * include/gopher_auth.h and run under valgrind.
 *
 * usage: smoke JWKS_JSON GOOD_TOKEN BAD_TOKEN ISSUER AUDIENCE
 * Exit status 0 when every check passed; otherwise the number of the failed check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gopher_auth.h"

static int failures = 0;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "smoke.c:%d: check failed: %s (last error: %s)\n", \
                    __LINE__, #cond, gopher_auth_last_error_message());      \
            failures++;                                                      \
        }                                                                    \
    } while (0)

static void expect_string(char *s, const char *expected) {
    CHECK(s != NULL);
    if (s != NULL && strcmp(s, expected) != 0) {
        fprintf(stderr, "got   %s\nwanted %s\n", s, expected);
        failures++;
    }
    gopher_auth_free_string(s);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s JWKS GOOD_TOKEN BAD_TOKEN ISSUER AUDIENCE\n", argv[0]);
        return 2;
    }
    const char *jwks = argv[1], *good = argv[2], *bad = argv[3], *issuer = argv[4], *audience = argv[5];

    CHECK(gopher_auth_abi_version() == GOPHER_AUTH_ABI_VERSION);
    CHECK(strlen(gopher_auth_version()) >= 5);

    gopher_auth_client_t *client = NULL;
    CHECK(gopher_auth_client_create(&client, "", issuer) == GOPHER_AUTH_ERROR_NOT_INITIALIZED);
    CHECK(client == NULL);
    CHECK(gopher_auth_init() == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_init() == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_client_create(&client, "", issuer) == GOPHER_AUTH_SUCCESS);
    CHECK(client != NULL);

    CHECK(gopher_auth_client_set_option(client, "token_cache_size", "100") == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_client_set_option(client, "no_such_option", "1") == GOPHER_AUTH_ERROR_INVALID_CONFIG);
    CHECK(strstr(gopher_auth_last_error_message(), "no_such_option") != NULL);
    CHECK(gopher_auth_client_load_jwks(client, "{\"keys\":[]}") == GOPHER_AUTH_ERROR_INVALID_KEY);
    CHECK(gopher_auth_client_load_jwks(client, jwks) == GOPHER_AUTH_SUCCESS);

    gopher_auth_validation_options_t *options = NULL;
    CHECK(gopher_auth_validation_options_create(&options) == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_validation_options_set_audience(options, audience) == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_validation_options_set_scopes(options, "mcp:read") == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_validation_options_set_clock_skew(options, 30) == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_validation_options_set_clock_skew(options, -1) == GOPHER_AUTH_ERROR_INVALID_PARAMETER);
    CHECK(gopher_auth_validation_options_set_time(options, 0) == GOPHER_AUTH_SUCCESS);

    gopher_auth_validation_result_t result;
    memset(&result, 0, sizeof result);
    /* twice: the second one is served by the verified-token cache */
    for (int i = 0; i < 2; i++) {
        CHECK(gopher_auth_validate_token(client, good, options, &result) == GOPHER_AUTH_SUCCESS);
        CHECK(result.valid && result.error_code == 0 && result.error_message == NULL);
    }

    CHECK(gopher_auth_validate_token(client, bad, options, &result) == GOPHER_AUTH_ERROR_INVALID_SIGNATURE);
    CHECK(!result.valid && result.error_code == GOPHER_AUTH_ERROR_INVALID_SIGNATURE);
    CHECK(result.error_message != NULL && strlen(result.error_message) > 0 && strlen(result.error_message) <= 512);

    CHECK(gopher_auth_validation_options_set_scopes(options, "mcp:admin") == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_validate_token(client, good, options, &result) == GOPHER_AUTH_ERROR_INSUFFICIENT_SCOPE);
    CHECK(gopher_auth_validation_options_set_scopes(options, "") == GOPHER_AUTH_SUCCESS);

    gopher_auth_token_payload_t *payload = NULL;
    CHECK(gopher_auth_validate_and_extract(client, bad, options, &result, &payload) != GOPHER_AUTH_SUCCESS);
    CHECK(payload == NULL);
    CHECK(gopher_auth_validate_and_extract(client, good, options, &result, &payload) == GOPHER_AUTH_SUCCESS);
    CHECK(payload != NULL);
    if (payload != NULL) {
        char *s = NULL;
        int64_t exp = 0;
        CHECK(gopher_auth_payload_get_subject(payload, &s) == GOPHER_AUTH_SUCCESS);
        expect_string(s, "alice");
        CHECK(gopher_auth_payload_get_issuer(payload, &s) == GOPHER_AUTH_SUCCESS);
        expect_string(s, issuer);
        CHECK(gopher_auth_payload_get_audience(payload, &s) == GOPHER_AUTH_SUCCESS);
        expect_string(s, audience);
        CHECK(gopher_auth_payload_get_scopes(payload, &s) == GOPHER_AUTH_SUCCESS);
        expect_string(s, "mcp:read mcp:write");
        CHECK(gopher_auth_payload_get_scopes_json(payload, &s) == GOPHER_AUTH_SUCCESS);
        expect_string(s, "[\"mcp:read\",\"mcp:write\"]");
        CHECK(gopher_auth_payload_get_audience_json(payload, &s) == GOPHER_AUTH_SUCCESS);
        CHECK(s != NULL && s[0] == '[');
        gopher_auth_free_string(s);
        CHECK(gopher_auth_payload_get_client_id(payload, &s) == GOPHER_AUTH_SUCCESS);
        CHECK(s == NULL);
        CHECK(gopher_auth_payload_get_expiration(payload, &exp) == GOPHER_AUTH_SUCCESS);
        CHECK(exp > 1700000000);
        CHECK(gopher_auth_payload_get_claims_json(payload, &s) == GOPHER_AUTH_SUCCESS);
        CHECK(s != NULL && s[0] == '{' && strstr(s, "\"sub\":\"alice\"") != NULL);
        gopher_auth_free_string(s);
        CHECK(gopher_auth_payload_destroy(payload) == GOPHER_AUTH_SUCCESS);
    }

    gopher_auth_token_payload_t *unverified = NULL;
    CHECK(gopher_auth_extract_payload(bad, &unverified) == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_payload_destroy(unverified) == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_extract_payload("not a token", &unverified) == GOPHER_AUTH_ERROR_INVALID_TOKEN);
    CHECK(unverified == NULL);

    char *header = NULL;
    CHECK(gopher_auth_generate_www_authenticate("mcp", "invalid_token", "The token \"expired\"", &header) == GOPHER_AUTH_SUCCESS);
    expect_string(header, "Bearer realm=\"mcp\", error=\"invalid_token\", error_description=\"The token \\\"expired\\\"\"");
    CHECK(gopher_auth_generate_www_authenticate_v2("mcp", "https://mcp.example/.well-known/oauth-protected-resource",
                                                   "mcp:read mcp:admin", "insufficient_scope", NULL, &header) == GOPHER_AUTH_SUCCESS);
    expect_string(header, "Bearer realm=\"mcp\", resource_metadata=\"https://mcp.example/.well-known/oauth-protected-resource\", "
                          "scope=\"mcp:read mcp:admin\", error=\"insufficient_scope\"");
    CHECK(gopher_auth_generate_www_authenticate("mcp", "invalid_token", "line\nbreak", &header) == GOPHER_AUTH_ERROR_INVALID_PARAMETER);
    CHECK(header == NULL);

    /* NULLs are refused, never dereferenced */
    CHECK(gopher_auth_validate_token(NULL, good, NULL, &result) == GOPHER_AUTH_ERROR_INVALID_PARAMETER);
    CHECK(result.error_code == GOPHER_AUTH_ERROR_INVALID_PARAMETER && !result.valid);
    CHECK(gopher_auth_validate_token(client, NULL, NULL, &result) == GOPHER_AUTH_ERROR_INVALID_PARAMETER);
    CHECK(gopher_auth_validate_token(client, good, NULL, NULL) == GOPHER_AUTH_ERROR_INVALID_PARAMETER);
    CHECK(gopher_auth_client_destroy(NULL) == GOPHER_AUTH_ERROR_INVALID_PARAMETER);
    gopher_auth_free_string(NULL);

    CHECK(gopher_auth_validation_options_destroy(options) == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_client_destroy(client) == GOPHER_AUTH_SUCCESS);
    CHECK(gopher_auth_shutdown() == GOPHER_AUTH_SUCCESS);

    if (failures == 0) {
        printf("smoke: all checks passed\n");
    }
    return failures == 0 ? 0 : 1;
}
