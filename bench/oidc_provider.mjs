// The reference authorization server: node oidc-provider 9, one process, its in-memory adapter.
// client_credentials (client_secret_basic) and RFC 7662 introspection, opaque access tokens.
// Run by bench/run.py:  OP_MODULES=<dir with node_modules> PORT=... node oidc_provider.mjs
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const modules = process.env.OP_MODULES;
const resolve = createRequire(`${modules}/package.json`).resolve;
const { default: Provider } = await import(pathToFileURL(resolve('oidc-provider')).href);

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.OP_CLIENT_ID,
    client_secret: process.env.OP_CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: 'read write',
  }],
  scopes: ['read', 'write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
  },
});
provider.listen(port, '127.0.0.1', () => console.log(`oidc-provider ready on ${issuer}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
