// A real OpenID Provider for the tests: the certified `oidc-provider`
// package on a loopback port, with real discovery, JWKS and signed JWTs.
//
//   node browser-tests/lib/oidc-op.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI[,REDIRECT_URI...]
//
// PORT 0 picks a free port. The first line on stdout is `listening <issuer>`.
// Accounts (id: email, email_verified):
//   ada    ada@example.org    verified
//   grace  grace@example.org  verified
//   alan   alan@example.org   NOT verified
//   noemail (no email claim)
// Login without typing: the interaction page `/interaction/<uid>` shows a
// button per account (for the browser tests); `?account=<id>` on it signs
// that account in at once and grants the client (for the API tests).
// Test hooks: `POST /test/impostor-keys` makes the provider publish, under
// the same key id, a public key that is not the one it signs with (so every
// signature it issues from then on fails verification); `POST
// /test/rotate-keys` signs with a new key under a new key id from then on;
// `POST /test/userinfo-only` leaves email and name out of the ID token
// (the userinfo endpoint has them); `GET /test/stats` counts the requests
// for discovery, JWKS and userinfo.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';

// The package's development-setup warnings (in-memory adapter, runtime
// version) are expected here; only real errors reach stderr.
for (const level of ['warn', 'info']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING')) return;
    original(...args);
  };
}
const { default: Provider } = await import('oidc-provider');

const [portArg, clientId, clientSecret, redirectArg] = process.argv.slice(2);
if (!clientId || !clientSecret || !redirectArg) {
  console.error('usage: oidc-op.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI[,...]');
  process.exit(2);
}

const ACCOUNTS = {
  ada: { email: 'ada@example.org', email_verified: true, name: 'Ada Lovelace' },
  grace: { email: 'grace@example.org', email_verified: true, name: 'Grace Hopper' },
  alan: { email: 'alan@example.org', email_verified: false, name: 'Alan Turing' },
  noemail: { name: 'No Email' },
};

function rsaJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}
const signing = rsaJwk('test-key');
const impostor = rsaJwk('test-key');
let publishImpostor = false;
const publicPart = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(portArg) || 0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// The provider with `key` as its signing key. `claimsInIdToken`: the
// email and profile claims go into the ID token itself; otherwise (as the
// OpenID Connect core spec has it for the code flow) only the userinfo
// endpoint has them.
function makeProvider(key, claimsInIdToken) {
  const p = new Provider(issuer, {
    clients: [{
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectArg.split(','),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks: { keys: [key] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    scopes: ['openid', 'email', 'profile'],
    conformIdTokenClaims: !claimsInIdToken,
    // Short enough that the API tests can move Invigil's clock past it
    // without outliving the 10-minute pending sign-in.
    ttl: { IdToken: 300, AccessToken: 300, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
    cookies: { keys: ['oidc-op-test-cookie-key'] },
    features: { devInteractions: { enabled: false }, userinfo: { enabled: true } },
    pkce: { required: () => true },
    async findAccount(ctx, id) {
      const a = ACCOUNTS[id];
      if (!a) return undefined;
      return {
        accountId: id,
        async claims() {
          const c = { sub: id, name: a.name };
          if (a.email) Object.assign(c, { email: a.email, email_verified: a.email_verified });
          return c;
        },
      };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  });
  p.proxy = false;
  return p;
}
let provider = makeProvider(signing, true);
let callback = provider.callback();
// Requests for discovery, keys and userinfo (`GET /test/stats`).
const stats = { discovery: 0, jwks: 0, userinfo: 0 };

async function grantConsent(req, res, details) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  grant.addOIDCScope('openid email profile');
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const page = (uid) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider sign-in</title></head>
<body><main><h1>Test identity provider</h1><p>Choose an account to sign in with.</p>
<form method="post" action="/interaction/${uid}">
${Object.keys(ACCOUNTS).map((id) => `<button type="submit" name="account" value="${id}">Sign in as ${id}</button>`).join('\n')}
</form></main></body></html>`;

server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (req.method === 'POST' && url.pathname === '/test/impostor-keys') {
      publishImpostor = true;
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'POST' && (url.pathname === '/test/rotate-keys' || url.pathname === '/test/userinfo-only')) {
      // A new signing key under a new key id (the old one is no longer
      // published), or the claims only at the userinfo endpoint. Sign-ins
      // started before this do not survive it.
      const rotate = url.pathname === '/test/rotate-keys';
      provider = makeProvider(rotate ? rsaJwk(`test-key-${Date.now()}`) : signing, rotate);
      callback = provider.callback();
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/test/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(stats));
      return;
    }
    if (url.pathname === '/.well-known/openid-configuration') stats.discovery += 1;
    if (url.pathname === '/jwks') stats.jwks += 1;
    if (url.pathname === '/me') stats.userinfo += 1;
    if (req.method === 'GET' && url.pathname === '/jwks' && publishImpostor) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [publicPart(impostor)] }));
      return;
    }
    const m = url.pathname.match(/^\/interaction\/([^/]+)$/);
    if (m) {
      const details = await provider.interactionDetails(req, res);
      if (details.prompt.name === 'consent') {
        await grantConsent(req, res, details);
        return;
      }
      let account = url.searchParams.get('account');
      if (req.method === 'POST') {
        const body = await new Promise((resolve) => {
          let b = '';
          req.on('data', (c) => { b += c; });
          req.on('end', () => resolve(b));
        });
        account = new URLSearchParams(body).get('account');
      }
      if (!account) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page(m[1]));
        return;
      }
      if (!ACCOUNTS[account]) {
        res.writeHead(400).end('unknown account');
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: account } }, { mergeWithLastSubmission: false });
      return;
    }
    callback(req, res);
  } catch (e) {
    console.error('oidc-op:', e);
    if (!res.headersSent) res.writeHead(500).end(String(e && e.message));
  }
});

console.log(`listening ${issuer}`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
