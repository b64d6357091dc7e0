// A real OAuth 2.0 authorization server for the end-to-end tests: `oidc-provider` on loopback.
//
// It issues client_credentials access tokens as RS256-signed JWTs (RFC 9068 `at+jwt`) whose
// `aud` is the RFC 8707 resource indicator the client asked for (or --default-resource), and
// serves the interactive flow too: dynamic registration, authorization code with PKCE through
// oidc-provider's development login/consent forms, refresh tokens.
//
// Everything secret is generated here, at start-up, for this run only: the RSA signing key and
// the client's id and secret. Nothing is read from disk or from the environment.
//
// Usage: node idp.mjs --default-resource http://127.0.0.1:PORT/mcp [--opaque]
//
// --opaque: access tokens are opaque strings (not JWTs), and RFC 7662 introspection and RFC 7009
// revocation are on; a second client (the resource server's, for introspection) is registered
// and its id and secret are reported as rs_client_id / rs_client_secret, with the
// introspection_endpoint and revocation_endpoint.
//
// Once listening, prints ONE line of JSON on stdout:
//   {"issuer", "jwks_uri", "token_endpoint", "client_id", "client_secret", "scopes"}
// and serves until SIGTERM/SIGINT or until its stdin is closed (so a test runner that dies
// cannot leave it behind).
//
// Loopback only: it binds 127.0.0.1 and accepts resource indicators that are http(s) URLs on
// a loopback host. It is a test fixture, not a production authorization server.

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const MCP_SCOPES = ['mcp:read', 'mcp:admin'];
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function parseCli() {
  const { values } = parseArgs({
    options: {
      'default-resource': { type: 'string' },
      'token-ttl': { type: 'string', default: '600' },
      opaque: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const ttl = Number.parseInt(values['token-ttl'], 10);
  if (!Number.isInteger(ttl) || ttl < 10 || ttl > 86400) {
    throw new Error(`--token-ttl must be an integer number of seconds in [10, 86400], got ${values['token-ttl']}`);
  }
  const defaultResource = values['default-resource'];
  if (defaultResource !== undefined && !isLoopbackResource(defaultResource)) {
    throw new Error(`--default-resource must be an http(s) URL on a loopback host, got ${defaultResource}`);
  }
  return { defaultResource, ttl, opaque: values.opaque };
}

function isLoopbackResource(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:')
    && LOOPBACK_HOSTS.has(url.hostname)
    && url.hash === '';
}

function signingJwks() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' }] };
}

function confidentialClient({ id, secret }) {
  return {
    client_id: id,
    client_secret: secret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: MCP_SCOPES.join(' '),
  };
}

function buildProvider(issuer, { defaultResource, ttl, opaque }, client, resourceServer) {
  return new Provider(issuer, {
    jwks: signingJwks(),
    clients: [client, ...(opaque ? [resourceServer] : [])].map(confidentialClient),
    scopes: ['openid', 'offline_access', ...MCP_SCOPES],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      // The interactive flow (authorization code + PKCE) for the official client's
      // OAuthClientProvider: oidc-provider's development login and consent forms, which the
      // tests submit as a person would, and open dynamic client registration (RFC 7591).
      devInteractions: { enabled: true },
      registration: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: opaque },
      revocation: { enabled: opaque },
      resourceIndicators: {
        enabled: true,
        // client_credentials: with no `resource` parameter, the token is for the MCP endpoint.
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? defaultResource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resourceIndicator) => {
          if (!isLoopbackResource(resourceIndicator)) {
            throw new errors.InvalidTarget('this test IdP only serves loopback resources');
          }
          return {
            scope: MCP_SCOPES.join(' '),
            audience: resourceIndicator,
            accessTokenTTL: ttl,
            ...(opaque
              ? { accessTokenFormat: 'opaque' }
              : { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
          };
        },
      },
    },
    ttl: { ClientCredentials: ttl },
    pkce: { required: () => true },
    // A registered client may later ask for any scope this IdP supports: the official MCP client
    // registers with the scopes of its first challenge and asks for more on a 403 step-up, which
    // oidc-provider would refuse for a client whose registered `scope` does not list them.
    extraClientMetadata: {
      properties: ['software_version'],
      validator: (ctx, _key, _value, metadata) => {
        if (ctx?.oidc?.route === 'registration') {
          delete metadata.scope; // eslint-disable-line no-param-reassign
        }
      },
    },
    // Refresh tokens for every client allowed the refresh_token grant (not only offline_access).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Never render HTML error pages with internals; a JSON body is enough for tests.
    renderError: async (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });
}

async function main() {
  const options = parseCli();
  const client = { id: `e2e-${randomUUID()}`, secret: randomBytes(32).toString('base64url') };
  const resourceServer = {
    id: `e2e-rs-${randomUUID()}`,
    secret: randomBytes(32).toString('base64url'),
  };

  // Bind first (port 0 = the kernel picks a free port), then build the provider for that issuer.
  const server = http.createServer();
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = buildProvider(issuer, options, client, resourceServer);
  server.on('request', provider.callback());

  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  process.stdin.on('end', shutdown);
  process.stdin.on('error', shutdown);
  process.stdin.resume();

  process.stdout.write(`${JSON.stringify({
    issuer,
    jwks_uri: `${issuer}/jwks`,
    token_endpoint: `${issuer}/token`,
    client_id: client.id,
    client_secret: client.secret,
    scopes: MCP_SCOPES,
    ...(options.opaque ? {
      introspection_endpoint: `${issuer}/token/introspection`,
      revocation_endpoint: `${issuer}/token/revocation`,
      rs_client_id: resourceServer.id,
      rs_client_secret: resourceServer.secret,
    } : {}),
  })}\n`);
}

main().catch((err) => {
  process.stderr.write(`idp.mjs: ${err?.stack ?? err}\n`);
  process.exit(1);
});
