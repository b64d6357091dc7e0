/*
 * gopher_auth.h — the C ABI of gopher-orch, the gopher-mcp-python token engine.
 *
 * The library validates JWT access tokens (RFC 9068 / RFC 7519) against an
 * identity provider's JWKS and renders RFC 6750 WWW-Authenticate values.
 *
 * Conventions shared by every function below
 * -------------------------------------------
 * - Every function returns an int32_t error code (0 = GOPHER_AUTH_SUCCESS,
 *   negative = a gopher_auth_error_t), except gopher_auth_version,
 *   gopher_auth_abi_version, gopher_auth_last_error_message and
 *   gopher_auth_free_string.
 * - A NULL handle or a NULL required pointer returns
 *   GOPHER_AUTH_ERROR_INVALID_PARAMETER; nothing is dereferenced.
 * - Strings passed in are NUL-terminated UTF-8. A string that is not valid
 *   UTF-8 is rejected with GOPHER_AUTH_ERROR_INVALID_PARAMETER.
 * - Strings handed out through a `char **out` parameter are allocated by the
 *   library and owned by the caller, who releases each with
 *   gopher_auth_free_string(). On failure *out is set to NULL.
 * - Handles (client, validation options, payload) are opaque, created by a
 *   *_create function and released by the matching *_destroy function, once.
 * - No panic crosses this boundary: an internal fault returns
 *   GOPHER_AUTH_ERROR_INTERNAL_ERROR.
 * - After any call that returned a non-zero code, gopher_auth_last_error_message()
 *   describes the failure on the calling thread. The *_destroy functions leave the calling
 *   thread's last error (and the error_message of the last result) untouched when they
 *   succeed, so a handle may be released between a failed call and the reading of its
 *   message (as a garbage collector may do).
 * - Thread safety: a client may be used from any number of threads at once
 *   (validation takes no global lock). Validation options and payloads may be
 *   read from many threads at once but must not be modified or destroyed while
 *   another thread uses them.
 */
#ifndef GOPHER_AUTH_H
#define GOPHER_AUTH_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change to this header.
 * 2: ES512 (P-521) accepted; ID/refresh/logout and key-bound (cnf) tokens refused,
 *    scope items must be RFC 6749 scope-tokens, options allow_bound_tokens_as_bearer,
 *    audience_claim, scope_claims, required_claims, functions
 *    gopher_auth_client_add_issuer, gopher_auth_client_load_issuer_jwks,
 *    gopher_auth_client_discover_issuer,
 *    gopher_auth_validation_options_set_audiences, gopher_auth_payload_get_scopes_json /
 *    _audience_json / _client_id; the audience check can no longer be turned off (a
 *    validation without an audience is INVALID_CONFIG; set_audience("") and
 *    set_audiences("[]") are INVALID_PARAMETER).
 * 3: opaque access tokens by RFC 7662 introspection: function
 *    gopher_auth_client_set_introspection, options introspection_*. */
#define GOPHER_AUTH_ABI_VERSION 3

typedef enum gopher_auth_error {
    GOPHER_AUTH_SUCCESS = 0,
    GOPHER_AUTH_ERROR_INVALID_TOKEN = -1000,
    GOPHER_AUTH_ERROR_EXPIRED_TOKEN = -1001,
    GOPHER_AUTH_ERROR_INVALID_SIGNATURE = -1002,
    GOPHER_AUTH_ERROR_INVALID_ISSUER = -1003,
    GOPHER_AUTH_ERROR_INVALID_AUDIENCE = -1004,
    GOPHER_AUTH_ERROR_INSUFFICIENT_SCOPE = -1005,
    GOPHER_AUTH_ERROR_JWKS_FETCH_FAILED = -1006,
    GOPHER_AUTH_ERROR_INVALID_KEY = -1007,
    GOPHER_AUTH_ERROR_NETWORK_ERROR = -1008,
    GOPHER_AUTH_ERROR_INVALID_CONFIG = -1009,
    GOPHER_AUTH_ERROR_OUT_OF_MEMORY = -1010,
    GOPHER_AUTH_ERROR_INVALID_PARAMETER = -1011,
    GOPHER_AUTH_ERROR_NOT_INITIALIZED = -1012,
    GOPHER_AUTH_ERROR_INTERNAL_ERROR = -1013,
    GOPHER_AUTH_ERROR_TOKEN_EXCHANGE_FAILED = -1014,
    GOPHER_AUTH_ERROR_IDP_NOT_LINKED = -1015,
    GOPHER_AUTH_ERROR_INVALID_IDP_ALIAS = -1016
} gopher_auth_error_t;

/* Opaque handles. */
typedef struct gopher_auth_client gopher_auth_client_t;
typedef struct gopher_auth_validation_options gopher_auth_validation_options_t;
typedef struct gopher_auth_token_payload gopher_auth_token_payload_t;

/*
 * The verdict of a validation.
 * valid:         true iff error_code == GOPHER_AUTH_SUCCESS.
 * error_code:    GOPHER_AUTH_SUCCESS or the first check that failed.
 * error_message: NULL when valid; otherwise a NUL-terminated, sanitized,
 *                bounded (at most 512 bytes) description. Owned by the library:
 *                do not free it. It stays valid until the next call into the
 *                library on the same thread.
 */
typedef struct gopher_auth_validation_result {
    bool valid;
    int32_t error_code;
    const char *error_message;
} gopher_auth_validation_result_t;

/* ---------------------------------------------------------------- lifecycle */

/* Initialises the library. Idempotent and thread-safe. Clients can only be
 * created after it (gopher_auth_client_create returns
 * GOPHER_AUTH_ERROR_NOT_INITIALIZED before). */
int32_t gopher_auth_init(void);

/* Marks the library uninitialised: no new clients until the next
 * gopher_auth_init(). Existing handles stay valid until destroyed.
 * Idempotent; returns GOPHER_AUTH_SUCCESS. */
int32_t gopher_auth_shutdown(void);

/* The library version ("X.Y.Z"). Static storage: never free it. */
const char *gopher_auth_version(void);

/* The ABI version (GOPHER_AUTH_ABI_VERSION of the header the library was built
 * from). A binding must refuse a library whose value differs from its own. */
int32_t gopher_auth_abi_version(void);

/* A description of the last failure on the calling thread, or an empty string.
 * Owned by the library; valid until the next call on the same thread. */
const char *gopher_auth_last_error_message(void);

/* Releases a string handed out by this library. NULL is a no-op. */
void gopher_auth_free_string(char *s);

/* ------------------------------------------------------------------- client */

/*
 * Creates a client that validates tokens issued by `issuer` (compared byte for
 * byte with the `iss` claim) with keys from `jwks_uri`.
 *
 * Every client accepts only bearer access tokens. Refused with
 * INVALID_TOKEN, whatever the options, each with a message naming its rule:
 *   - rule payload-typ: a payload `typ` claim other than "Bearer" or "at+jwt"
 *     (case-insensitive), e.g. Keycloak's "ID", "Refresh", "Logout";
 *   - rule token_use: a `token_use` claim other than "access" (Cognito "id");
 *   - rule id-token: a payload carrying `nonce` or `at_hash` (OpenID Connect
 *     ID tokens);
 *   - rule cnf: a payload carrying `cnf` (a DPoP- or mTLS-bound token, RFC 9449
 *     §7.2, RFC 8705) unless the option allow_bound_tokens_as_bearer is set.
 * jwks_uri: an https:// URL (http:// only to a loopback host unless the option
 *           allow_insecure_http is set), or "" for a client that only uses keys
 *           given with gopher_auth_client_load_jwks. Keys are fetched lazily, on
 *           the first validation that needs them.
 * issuer:   non-empty.
 * On success *out_client owns a new client; release it with
 * gopher_auth_client_destroy. Errors: INVALID_PARAMETER (NULL, bad UTF-8),
 * INVALID_CONFIG (malformed URL, empty issuer), NOT_INITIALIZED.
 */
int32_t gopher_auth_client_create(gopher_auth_client_t **out_client,
                                  const char *jwks_uri,
                                  const char *issuer);

/* Destroys a client. Stops its background refresh, if any. NULL returns
 * INVALID_PARAMETER. The handle must not be used afterwards. */
int32_t gopher_auth_client_destroy(gopher_auth_client_t *client);

/*
 * Sets one client option; values are strings. Unknown names and malformed or
 * out-of-range values return INVALID_CONFIG with a message naming the option.
 *   cache_duration        seconds the JWKS is kept before a refresh (default 3600, 1..604800)
 *   auto_refresh          "true"/"false" (also 1/0): refresh in a background thread
 *                         before the cache expires (default true)
 *   request_timeout       seconds for one JWKS request, connect to last byte (default 10, 1..300)
 *   min_refresh_interval  seconds between two refetches caused by an unknown kid (default 30, 0..86400)
 *   token_cache_size      verified-token cache entries (default 10000, 0 = off, at most 10000000)
 *   allow_insecure_http   "true"/"false": allow plain http JWKS to non-loopback hosts (default false)
 *   ca_bundle             path of a PEM file of trust anchors used instead of the system roots
 *   max_token_bytes       tokens longer than this are rejected unparsed (default 16384, 256..1048576)
 *   allowed_algorithms    comma-separated subset of RS256,RS384,RS512,PS256,PS384,PS512,
 *                         ES256,ES384,ES512,EdDSA (default: all of them; ES512 is ECDSA
 *                         P-521 with SHA-512, a 132-byte r||s signature)
 *   allow_bound_tokens_as_bearer  "true"/"false": accept tokens carrying `cnf`
 *                         (sender-constrained) presented as Bearer tokens, for
 *                         deployments that knowingly accept the risk (default false)
 *   audience_claim        the claim that must contain one of the audiences of the
 *                         validation options (default "aud"; Cognito: "client_id"); a
 *                         string or an array of strings, required when audiences are set
 *   scope_claims          comma-separated claims that grant scopes, in order (default
 *                         "scope,scp"): names or dotted paths into nested objects
 *                         ("roles", "permissions", "realm_access.roles",
 *                         "resource_access.<client>.roles"); a claim whose exact name
 *                         holds dots is used before the path. A string value is split
 *                         at single spaces, an array gives its strings; only RFC 6749
 *                         scope-tokens are granted. At most 16, each at most 256 bytes.
 *   required_claims       a JSON object of claim name -> exact string value, e.g.
 *                         {"token_use":"access"} ("" = none; at most 32); a token
 *                         whose claim is absent or differs is INVALID_TOKEN
 * Introspection (see gopher_auth_client_set_introspection):
 *   introspection_mode    opaque (default: JWT-shaped tokens are verified
 *                         locally, every other token is introspected), always,
 *                         never
 *   introspection_auth_method  client_secret_basic (default) or
 *                         client_secret_post
 *   introspection_cache_ttl  s, default 60, 0..86400 (0 = off): an active answer
 *                         is reused until min(exp, then + ttl); a revocation at
 *                         the authorization server takes effect within it
 *   introspection_negative_cache_ttl  s, default 5, 0..3600: an inactive answer
 *                         is reused this long
 *   introspection_cache_size  entries, default 10000, 0..1000000 (0 = off)
 *   introspection_max_concurrent  requests in flight at once, default 16,
 *                         1..1024; past it NETWORK_ERROR at once
 *   introspection_rate_limit  uncached tokens introspected per second (bursts of
 *                         as many), default 100, 0 = no limit; past it
 *                         NETWORK_ERROR at once
 *   introspection_require_exp  bool, default true: an active answer without exp
 *                         is INVALID_TOKEN
 *   introspection_require_audience  bool, default true: an active answer without
 *                         the audience claim is INVALID_TOKEN (false: accepted,
 *                         a present audience claim must still match)
 *   introspection_keep_alive  bool, default true: reuse connections to the
 *                         endpoint
 */
int32_t gopher_auth_client_set_option(gopher_auth_client_t *client,
                                      const char *name,
                                      const char *value);

/*
 * Replaces the keys of the client's creation issuer with the JWK Set in
 * `jwks_json` and stops its fetching: that issuer's tokens are validated with
 * these keys only. Unusable keys (RSA
 * under 2048 bits, use other than "sig", oct, unknown kty) are skipped.
 * Errors: INVALID_PARAMETER, INVALID_KEY (not a JWK Set, too large, or no
 * usable key at all).
 */
int32_t gopher_auth_client_load_jwks(gopher_auth_client_t *client,
                                     const char *jwks_json);

/*
 * Trusts one more issuer on this client, with its own keys: `issuer` is
 * compared byte for byte with a token's `iss`, which selects the issuer before
 * any key is looked up or fetched. A token whose `iss` names no trusted issuer
 * is refused with INVALID_ISSUER without any network request, and a key of one
 * issuer never verifies a token of another (even with the same kid).
 * jwks_uri: as for gopher_auth_client_create ("" = keys only from
 *           gopher_auth_client_load_issuer_jwks). The client's fetch options
 *           apply to every issuer.
 * Errors: INVALID_PARAMETER, INVALID_CONFIG (empty or longer than 2048 bytes,
 * already trusted, malformed URL, more than 64 issuers).
 */
int32_t gopher_auth_client_add_issuer(gopher_auth_client_t *client,
                                      const char *issuer,
                                      const char *jwks_uri);

/*
 * Finds the keys of `issuer` by discovery: its metadata at
 * <issuer>/.well-known/openid-configuration (OpenID Connect Discovery), else at
 * /.well-known/oauth-authorization-server inserted before the issuer's path
 * (RFC 8414), names the jwks_uri. Fetched like a JWKS (https only except
 * loopback unless allow_insecure_http, no redirects, request_timeout, size
 * cap), on the first validation that needs keys, single-flight; the jwks_uri
 * is cached for cache_duration and kept while the metadata is unreachable.
 * The document's `issuer` must equal `issuer` byte for byte, else validations
 * fail with INVALID_CONFIG naming both strings.
 * Trusts `issuer` if it is not trusted yet, or switches a trusted issuer that
 * has neither a jwks_uri nor static keys (the creation issuer of a client
 * created with jwks_uri "") to discovery.
 * Errors: INVALID_PARAMETER, INVALID_CONFIG (not an absolute http(s) URL
 * without query, already has keys or a jwks_uri, more than 64 issuers).
 */
int32_t gopher_auth_client_discover_issuer(gopher_auth_client_t *client,
                                           const char *issuer);

/*
 * As gopher_auth_client_load_jwks for the trusted issuer `issuer` (the issuer
 * given to gopher_auth_client_create or gopher_auth_client_add_issuer).
 * Errors: INVALID_PARAMETER, INVALID_CONFIG (issuer not trusted), INVALID_KEY.
 */
int32_t gopher_auth_client_load_issuer_jwks(gopher_auth_client_t *client,
                                            const char *issuer,
                                            const char *jwks_json);

/*
 * Turns on RFC 7662 introspection of opaque access tokens (which tokens: the
 * option introspection_mode). A token is POSTed as
 * token=...&token_type_hint=access_token to `endpoint` ("" = the
 * introspection_endpoint of the creation issuer's metadata, discovered like
 * keys on first use), the resource server authenticating as `client_id` with
 * `client_secret` (introspection_auth_method). Transport as for the JWKS
 * (https only except loopback unless allow_insecure_http, no redirects,
 * request_timeout, ca_bundle, 64 KiB answer cap), connections kept alive.
 * Verdict: `active` must be the JSON boolean true, `token_type` (if present)
 * an access token type, then the claim checks of a JWT (exp with clock skew,
 * iss when present equal to the creation issuer, audience, scopes, required
 * claims); gopher_auth_validate_and_extract returns the answer's members as
 * claims. Inactive: INVALID_TOKEN. Endpoint unreachable, timeout, non-200,
 * not JSON, too large, over introspection_max_concurrent or
 * introspection_rate_limit: NETWORK_ERROR or JWKS_FETCH_FAILED (serve 503),
 * never a 401. Answers are cached by SHA-256 of the token (the token itself
 * is not kept); concurrent validations of one uncached token share one
 * request. Calling it again replaces the configuration and empties the cache.
 * The secret is never part of any message.
 * Errors: INVALID_PARAMETER, INVALID_CONFIG (malformed endpoint URL, empty
 * client_id, client id or secret over 4096 bytes).
 */
int32_t gopher_auth_client_set_introspection(gopher_auth_client_t *client,
                                             const char *endpoint,
                                             const char *client_id,
                                             const char *client_secret);

/* ------------------------------------------------------- validation options */

/* Creates validation options: no required scopes, no audience yet (set one:
 * validating without an audience is INVALID_CONFIG), clock skew 60 s, system
 * clock. Release with gopher_auth_validation_options_destroy. */
int32_t gopher_auth_validation_options_create(gopher_auth_validation_options_t **out_options);
int32_t gopher_auth_validation_options_destroy(gopher_auth_validation_options_t *options);

/* Required scopes, space-separated ("" or NULL-free empty string = none).
 * Every one must be granted exactly by the token's `scope`/`scp`. */
int32_t gopher_auth_validation_options_set_scopes(gopher_auth_validation_options_t *options,
                                                  const char *scopes);

/* The audience that `aud` (or the client's audience_claim) must contain byte
 * for byte. Replaces any list set below. "" is INVALID_PARAMETER (the options
 * keep their audience): the audience check cannot be turned off. */
int32_t gopher_auth_validation_options_set_audience(gopher_auth_validation_options_t *options,
                                                    const char *audience);

/* Several accepted audiences, as a JSON array of non-empty strings: the token
 * passes when its audience claim contains any of them. Duplicates collapse.
 * INVALID_PARAMETER for "[]", anything else or more than 16384 bytes (the
 * options keep their audience). Replaces set_audience's value. */
int32_t gopher_auth_validation_options_set_audiences(gopher_auth_validation_options_t *options,
                                                     const char *audiences_json);

/* Clock skew in seconds, applied to exp, nbf and iat (0..86400). */
int32_t gopher_auth_validation_options_set_clock_skew(gopher_auth_validation_options_t *options,
                                                      int64_t seconds);

/* A fixed "now" in Unix seconds for deterministic checks; 0 = system clock. */
int32_t gopher_auth_validation_options_set_time(gopher_auth_validation_options_t *options,
                                                int64_t unix_seconds);

/* --------------------------------------------------------------- validation */

/*
 * Validates `token` (the bare JWT, without "Bearer ") with `client`.
 * options may be NULL (defaults of gopher_auth_validation_options_create), but
 * options without an audience make every call INVALID_CONFIG (before the token
 * is looked at): an audience check is never silently off.
 * Fills *result and returns result->error_code: GOPHER_AUTH_SUCCESS for a valid
 * token, otherwise the verdict (INVALID_TOKEN, EXPIRED_TOKEN,
 * INVALID_SIGNATURE, INVALID_ISSUER, INVALID_AUDIENCE, INSUFFICIENT_SCOPE) or
 * a key-availability failure (JWKS_FETCH_FAILED, NETWORK_ERROR: no keys could
 * be obtained; servers answer these with 503, not 401).
 * May block up to request_timeout when the client has no keys yet or sees an
 * unknown kid (at most once per min_refresh_interval); never sleeps or retries.
 */
int32_t gopher_auth_validate_token(gopher_auth_client_t *client,
                                   const char *token,
                                   const gopher_auth_validation_options_t *options,
                                   gopher_auth_validation_result_t *result);

/*
 * As gopher_auth_validate_token, and on success also hands out the verified
 * token's claims in *out_payload (release with gopher_auth_payload_destroy).
 * On failure *out_payload is set to NULL.
 */
int32_t gopher_auth_validate_and_extract(gopher_auth_client_t *client,
                                         const char *token,
                                         const gopher_auth_validation_options_t *options,
                                         gopher_auth_validation_result_t *result,
                                         gopher_auth_token_payload_t **out_payload);

/*
 * DIAGNOSTICS ONLY — decodes a token's payload WITHOUT verifying anything:
 * no signature, issuer, audience or time check. Never base an access decision
 * on its output. Fails with INVALID_TOKEN on a malformed token.
 */
int32_t gopher_auth_extract_payload(const char *token,
                                    gopher_auth_token_payload_t **out_payload);

/* ------------------------------------------------------------------ payload */

/* String getters: *out receives a new string (free with gopher_auth_free_string),
 * or NULL when the claim is absent or not of the expected type. */
int32_t gopher_auth_payload_get_subject(const gopher_auth_token_payload_t *payload, char **out);
/* Granted scopes (`scope` then `scp`), space-separated, duplicates removed.
 * Only RFC 6749 scope-tokens are granted (printable ASCII without space, '"'
 * and '\'): an item such as "a b" in an `scp` array grants nothing, so this
 * list splits back into exactly the granted scopes. Prefer _scopes_json. */
int32_t gopher_auth_payload_get_scopes(const gopher_auth_token_payload_t *payload, char **out);
/* The granted scopes as a JSON array of strings, in token order ("[]" when none):
 * the form a binding should use, as it cannot be split into more scopes. For a
 * payload from gopher_auth_validate_and_extract these are the scopes granted
 * under the client's scope_claims (as is _get_scopes); otherwise scope, scp. */
int32_t gopher_auth_payload_get_scopes_json(const gopher_auth_token_payload_t *payload, char **out);
/* `aud` as a JSON array of strings ("[]" when absent or ill-typed). */
int32_t gopher_auth_payload_get_audience_json(const gopher_auth_token_payload_t *payload, char **out);
/* The OAuth client the token was issued to: the first present of `client_id`,
 * `azp`, `cid` (Okta), `appid` (Entra v1). NULL when none is present or the first
 * present one is not a string. */
int32_t gopher_auth_payload_get_client_id(const gopher_auth_token_payload_t *payload, char **out);
/* `aud`; an array is returned as its members joined by single spaces. */
int32_t gopher_auth_payload_get_audience(const gopher_auth_token_payload_t *payload, char **out);
int32_t gopher_auth_payload_get_issuer(const gopher_auth_token_payload_t *payload, char **out);
/* `exp` in whole Unix seconds (fractions truncated); 0 when absent. */
int32_t gopher_auth_payload_get_expiration(const gopher_auth_token_payload_t *payload, int64_t *out);
/* Every claim as one JSON object (compact). */
int32_t gopher_auth_payload_get_claims_json(const gopher_auth_token_payload_t *payload, char **out);
int32_t gopher_auth_payload_destroy(gopher_auth_token_payload_t *payload);

/* --------------------------------------------------------- WWW-Authenticate */

/*
 * Renders the value of a WWW-Authenticate header (without the header name):
 *   Bearer realm="…", error="…", error_description="…"
 * Each parameter is a quoted-string (RFC 9110 §5.6.4: '"' and '\' escaped);
 * NULL or empty parameters are omitted; a parameter holding a control
 * character (U+0000..U+001F, U+007F) or longer than 4096 bytes returns
 * INVALID_PARAMETER. `error` must be an RFC 6750 error code token.
 */
int32_t gopher_auth_generate_www_authenticate(const char *realm,
                                              const char *error,
                                              const char *description,
                                              char **out);

/* As above, with the MCP / RFC 9728 parameters, in this order:
 *   Bearer realm="…", resource_metadata="…", scope="…", error="…", error_description="…" */
int32_t gopher_auth_generate_www_authenticate_v2(const char *realm,
                                                 const char *resource_metadata,
                                                 const char *scope,
                                                 const char *error,
                                                 const char *description,
                                                 char **out);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* GOPHER_AUTH_H */
