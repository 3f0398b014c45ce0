// Each rule against positive and negative samples. Token-like samples are built by string
// concatenation so that this repository's own source holds nothing a scanner would flag.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RULES, fingerprintOf, maskSecret, scanText, shannonEntropy } from './index.js';

const alnum = (n: number, seed = 7): string => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = '';
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    s += chars[x % chars.length] ?? 'A';
  }
  return s;
};
const b64url = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

const fake = {
  github: 'gh' + 'p_' + 'A'.repeat(36),
  githubOauth: 'gh' + 'o_' + alnum(36, 1),
  githubFine: 'github' + '_pat_' + alnum(22, 2) + '_' + alnum(59, 3),
  gitlab: 'gl' + 'pat-' + alnum(20, 4),
  slack: 'xo' + 'xb-' + '123456789012-1234567890123-' + alnum(24, 5),
  slackHook: 'https://hooks.' + 'slack.com/services/T' + 'ABCDEFGH1/B' + 'ABCDEFGH2/' + alnum(24, 6),
  stripe: 'sk' + '_live_' + alnum(24, 8),
  stripeRestricted: 'rk' + '_live_' + alnum(24, 9),
  google: 'AI' + 'za' + alnum(35, 10),
  aws: 'AK' + 'IA' + 'QWERTYUIOPASDFGH',
  awsSecret: alnum(20, 11) + '/' + alnum(19, 12),
  npm: 'np' + 'm_' + alnum(36, 13),
  slipway: 'sl' + 'w_' + alnum(40, 17) + '-_x',
  jwt: b64url({ alg: 'HS256', typ: 'JWT' }) + '.' + b64url({ sub: '1234567890', name: 'Ann' }) + '.' + alnum(43, 14),
  pem: '-----BEGIN ' + 'RSA PRIVATE KEY-----\n' + alnum(64, 15) + '\n' + alnum(64, 16) + '\n-----END RSA ' + 'PRIVATE KEY-----',
};

const rulesOf = (text: string, file = 'src/app.ts'): string[] => scanText(file, text).map((f) => f.rule);

describe('secret rules: positives', () => {
  const cases: [string, string, string][] = [
    ['github-token', `const t = "${fake.github}";`, fake.github],
    ['github-token', `GITHUB_TOKEN=${fake.githubOauth}`, fake.githubOauth],
    ['github-fine-grained-token', `token: ${fake.githubFine}`, fake.githubFine],
    ['slipway-token', `SLIPWAY_TOKEN=${fake.slipway}`, fake.slipway],
    ['slipway-token', `curl -H "Authorization: Bearer ${fake.slipway}"`, fake.slipway],
    ['gitlab-token', `export GL=${fake.gitlab}`, fake.gitlab],
    ['slack-token', `slack = '${fake.slack}'`, fake.slack],
    ['slack-webhook', `url: ${fake.slackHook}`, fake.slackHook],
    ['stripe-key', `STRIPE=${fake.stripe}`, fake.stripe],
    ['stripe-key', `k = "${fake.stripeRestricted}"`, fake.stripeRestricted],
    ['google-api-key', `maps_key = "${fake.google}"`, fake.google],
    ['aws-access-key-id', `aws_access_key_id = ${fake.aws}`, fake.aws],
    ['aws-secret-access-key', `aws_secret_access_key = ${fake.awsSecret}`, fake.awsSecret],
    ['aws-secret-access-key', `"AWS_SECRET_ACCESS_KEY": "${fake.awsSecret}"`, fake.awsSecret],
    ['npm-token', `//registry.npmjs.org/:_authToken=${fake.npm}`, fake.npm],
    ['jwt', `Authorization: Bearer ${fake.jwt}`, fake.jwt],
    ['private-key', `key = """\n${fake.pem}\n"""`, fake.pem],
    ['private-key', JSON.stringify({ key: fake.pem }), JSON.stringify(fake.pem).slice(1, -1)],
    ['url-password', 'DATABASE_URL=postgres://app:' + 'Xk9vLq2Tz' + '@db.internal:5432/app', 'Xk9vLq2Tz'],
    ['generic-secret', 'DB_PASSWORD=' + 'Sup3r' + 'S3cretPa55', 'Sup3rS3cretPa55'],
    ['generic-secret', 'client_secret: "' + 'a3f5c9e1b2d4' + 'f6a8c0e2b4d6f8a0c2e4"', 'a3f5c9e1b2d4f6a8c0e2b4d6f8a0c2e4'],
    ['generic-secret', '  "apiKey": "' + '4fT9-qZ2x' + '-Lm8w-Rv3p"', '4fT9-qZ2x-Lm8w-Rv3p'],
    ['generic-secret', 'const SECRET_KEY = `' + 'pK7#mQ2!' + 'vX9$wL4`;', 'pK7#mQ2!vX9$wL4'],
  ];
  for (const [rule, text, secret] of cases) {
    test(`${rule}: ${text.slice(0, 40).replace(/\n/g, '⏎')}…`, () => {
      const found = scanText('config/app.env', text);
      assert.equal(found.length, 1, `expected one finding, got ${JSON.stringify(found)}`);
      const f = found[0];
      assert.equal(f?.rule, rule);
      assert.equal(f?.fingerprint, fingerprintOf(rule, 'config/app.env', secret), 'the fingerprint covers exactly the secret');
      assert.ok(!(f?.masked ?? '').includes(secret.slice(0, -4)) || secret.length <= 4, 'never shows the secret');
    });
  }
});

describe('secret rules: negatives (look-alikes, placeholders, ordinary code)', () => {
  const negatives: [string, string][] = [
    ['short GitHub-like prefix', 'gh' + 'p_' + 'short'],
    ['AWS documentation example key', 'AK' + 'IAIOSFODNN7EXAMPLE'],
    ['AWS secret example', 'aws_secret_access_key = ' + 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'],
    ['lower-case akia', 'ak' + 'ia' + 'qwertyuiopasdfgh'],
    ['a BEGIN line alone', '-----BEGIN ' + 'PRIVATE KEY-----'],
    ['a public key', '-----BEGIN ' + 'PUBLIC KEY-----\n' + alnum(64) + '\n-----END PUBLIC KEY-----'],
    ['base64 that is not a JWT', 'eyJ' + alnum(20) + '.' + 'eyJ' + alnum(20) + '.' + alnum(30)],
    ['URL with a placeholder password', 'postgres://user:' + 'password@localhost/db'],
    ['URL with a variable password', 'postgres://app:' + '${DB_PASSWORD}@db/app'],
    ['URL on example.com', 'https://bob:' + 'Xk9vLq2Tz@api.example.com/'],
    ['URL without credentials', 'https://github.com/org/repo'],
    ['env reference', 'password: ${{ secrets.DB_PASSWORD }}'],
    ['process.env', 'const token = process.env.API_TOKEN;'],
    ['function call', 'const password = await getPassword(user);'],
    ['type annotation', 'apiKey: Promise<string>;'],
    ['member expression', 'secret = config.auth.clientSecret'],
    ['ordinary word', 'tokenizer: "wordpiece"'],
    ['a sentence', 'password = "correct horse battery staple"'],
    ['placeholder', 'API_KEY=your-api-key-here'],
    ['placeholder stars', 'password: "************"'],
    ['masked sample', 'secret: xxxxxxxxxxxxxxxx'],
    ['a file name', 'password_file: /run/secrets/db_password'],
    ['a length', 'token_length = 32'],
    ['an algorithm name', "export const SECRET_ALG = '" + "AES-256-GCM+HKDF-SHA256';"],
    ['a header name', 'token_header: "X-Upstream-Token-V2"'],
    ['camel-case identifier', 'password: "myDatabaseConnection"'],
    ['short value', 'pwd = "Ab1!"'],
    ['a one-letter URL password', 'http://u:' + 'p@127.0.0.1:1'],
    ['default local credentials', 'postgres://postgres:' + 'postgres@localhost/db'],
    ['an identifier naming another secret', 'type ArrowToken = ' + 'ArrowToken$1;'],
    ['non-ASCII prose', '"expected_token_here_1007": "分析器预期在此处找到与“{0}”标记匹配的“{1}”。"'],
    ['a hash of a lockfile', '"integrity": "sha512-' + alnum(86) + '=="'],
  ];
  for (const [what, text] of negatives) {
    test(what, () => assert.deepEqual(rulesOf(text), []));
  }
});

describe('findings', () => {
  test('report line and column of the secret (1-based)', () => {
    const text = `line one\n  two\n\nconst k = '${fake.stripe}';\n`;
    const [f] = scanText('a.ts', text);
    assert.equal(f?.line, 4);
    assert.equal(f?.column, 12);
    assert.equal(f?.description, 'Stripe live secret or restricted key');
  });

  test('overlapping rules give one finding, from the most specific rule', () => {
    assert.deepEqual(rulesOf(`GITHUB_TOKEN="${fake.githubOauth}"`), ['github-token']);
    assert.deepEqual(rulesOf(`auth_token: ${fake.jwt}`), ['jwt']);
  });

  test('several secrets in a file are each reported, in order', () => {
    const found = scanText('x', `${fake.npm}\n${fake.gitlab} ${fake.google}`);
    assert.deepEqual(
      found.map((f) => [f.rule, f.line]),
      [
        ['npm-token', 1],
        ['gitlab-token', 2],
        ['google-api-key', 2],
      ],
    );
  });

  test('the fingerprint depends on rule, file and secret', () => {
    const a = scanText('a.ts', fake.github)[0]?.fingerprint;
    const b = scanText('b.ts', fake.github)[0]?.fingerprint;
    const c = scanText('a.ts', `\n\n   ${fake.github}`)[0]?.fingerprint;
    assert.match(a ?? '', /^[0-9a-f]{32}$/);
    assert.notEqual(a, b);
    assert.equal(a, c, 'moving the secret within the file keeps its fingerprint');
  });

  test('every rule id is unique and kebab-case', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });
});

describe('masking', () => {
  test('keeps the public prefix and at most the last 4 characters', () => {
    assert.equal(maskSecret(fake.github, 'ghp_'), 'ghp_****…AAAA');
    assert.equal(maskSecret('Sup3rS3cretPa55'), '****');
    assert.equal(maskSecret('abcdefghijklmnopqrst'), '****…qrst');
  });

  test('findings never carry more than 4 characters of the secret', () => {
    const all = [fake.github, fake.gitlab, fake.slack, fake.stripe, fake.google, fake.aws, fake.npm, fake.jwt, fake.githubFine].join('\n');
    for (const f of scanText('x', all)) {
      const shown = f.masked.replace(/^(?:gh[pousr]_|github_pat_|glpat-|xox[baprs]-|[sr]k_live_|AIza|AKIA|npm_|eyJ)/, '').replace(/[*…]/g, '');
      assert.ok(shown.length <= 4, `${f.rule} shows ${f.masked}`);
    }
  });

  test('private keys show only their header, URLs only user and host', () => {
    const [key] = scanText('k', fake.pem);
    assert.equal(key?.masked, '-----BEGIN RSA PRIVATE KEY----- ****');
    const [url] = scanText('u', 'redis://cache:' + 'Xk9vLq2Tz' + '@cache.internal:6379');
    assert.equal(url?.masked, 'redis://cache:****@cache.internal');
  });
});

describe('entropy', () => {
  test('Shannon entropy of known strings', () => {
    assert.equal(shannonEntropy(''), 0);
    assert.equal(shannonEntropy('aaaa'), 0);
    assert.equal(shannonEntropy('abab'), 1);
    assert.equal(shannonEntropy('abcdefgh'), 3);
  });
});
