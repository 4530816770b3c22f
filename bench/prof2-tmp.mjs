import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../packages/server/dist/app.js';
const dir = mkdtempSync(join(tmpdir(), 'mm-p-'));
const s = await startServer({ dataDir: dir, httpPort: 0, smtpPort: 0, dns: 'off', firstTenant: { name: 'b', domain: 'agents.localhost', mailbox: 'agent', oversightMode: 'autonomous' } }, {});
const body = 'Quarterly numbers attached.\r\n'.repeat(40);
const key = s.bootstrap.keys.send;
for (const to of ['agent@agents.localhost', 'x@example.org']) {
const t = performance.now();
for (let i = 0; i < 30; i++) { const r = await s.request({ method: 'POST', path: '/v1/messages', json: { to, subject: 'b', text: body }, headers: { authorization: `Bearer ${key}` } }); if (i==0) console.log(r.status, JSON.parse(r.body).status); }
console.log('send', to, ((performance.now() - t) / 30).toFixed(2), 'ms/msg');
}
await s.stop();
