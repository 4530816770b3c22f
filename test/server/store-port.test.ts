/**
 * The store port's promises that the features lean on, on whichever store the project runs
 * (SQLite, or PostgreSQL in the `postgres` project): a deferred write (Sql.defer) reaches the
 * database byte for byte, in order with the transaction's other statements, and fails the whole
 * transaction when it fails; and an inbound message is held by the mode the mailbox has when it is
 * stored, even when the change was made by another instance a moment before.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../packages/server/src/store/open.js';
import type { Store } from '../../packages/server/src/store/port.js';
import { rawStatement, testDatabaseUrl } from '../support/test-store.js';
import { startTestServer, waitFor } from './helpers.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

async function freshStore(): Promise<Store> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-port-'));
  dirs.push(dir);
  return openStore({ databaseUrl: await testDatabaseUrl(dir), dbFile: join(dir, 'multimail.db') });
}

/** Text a careless quoting would break: quotes, backslashes, placeholders of either engine, a dollar quote, non-ASCII. */
const HOSTILE = [
  "it's", "'; DROP TABLE meta; --", '\\', "\\'", "E'\\x41'", '?', '$1', '$$', '$tag$', 'a?b\'c?', 'Zoë — 雪 😀', '\t\r\n', ' ', '',
  'x'.repeat(70_000),
];

describe('store port: deferred writes', () => {
  it('carry hostile text, every byte value and large integers unchanged', async () => {
    const store = await freshStore();
    try {
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      await store.tx(async (q) => {
        for (const [i, v] of HOSTILE.entries()) await q.defer('INSERT INTO meta(key, value) VALUES (?, ?)', `hostile-${i}`, v);
        // a BLOB column and a BIGINT one: the audit-log key table has both (and a tenant to belong to)
        await q.defer('INSERT INTO tenants(id, name, created_at) VALUES (?, ?, ?)', 't?1', "O'Brien \\ Co?", -1);
        await q.defer('INSERT INTO audit_log_keys(tenant_id, kid, private_sealed, public_pem, public_jwk, created_at) VALUES (?,?,?,?,?,?)',
          't?1', "k'1", bytes, '-----BEGIN\\n', '{"a":"?"}', Number.MAX_SAFE_INTEGER);
      });
      for (const [i, v] of HOSTILE.entries()) {
        expect((await store.get<{ value: string }>('SELECT value FROM meta WHERE key = ?', `hostile-${i}`))?.value).toBe(v);
      }
      const key = await store.get<{ tenant_id: string; kid: string; private_sealed: Buffer; public_pem: string; public_jwk: string; created_at: number }>('SELECT * FROM audit_log_keys');
      expect(key).toEqual({ tenant_id: 't?1', kid: "k'1", private_sealed: bytes, public_pem: '-----BEGIN\\n', public_jwk: '{"a":"?"}', created_at: Number.MAX_SAFE_INTEGER });
      expect(await store.get("SELECT COUNT(*) AS n FROM meta WHERE key LIKE 'hostile-%'")).toEqual({ n: HOSTILE.length });
    } finally {
      await store.close();
    }
  });

  it('a statement means the same whether it travels prepared or as text (the first of a transaction, or deferred)', async () => {
    const store = await freshStore();
    try {
      await store.run("INSERT INTO meta(key, value) VALUES ('n', '5')");
      // a TEXT column compared with a number, and a number written into one: PostgreSQL reads a
      // parameter by its context, and must read the literal standing for it the same way
      const query = 'SELECT key FROM meta WHERE value = ?';
      const outside = await store.get(query, 5);
      expect(await store.tx((q) => q.get(query, 5))).toEqual(outside);
      if (store.dialect === 'postgres') expect(outside).toEqual({ key: 'n' });
      await store.run('INSERT INTO meta(key, value) VALUES (?, ?)', 'prepared', 7);
      await store.tx(async (q) => q.defer('INSERT INTO meta(key, value) VALUES (?, ?)', 'deferred', 7));
      const [a, b] = await Promise.all(['prepared', 'deferred'].map((k) => store.get('SELECT value FROM meta WHERE key = ?', k)));
      expect(b).toEqual(a);
    } finally {
      await store.close();
    }
  });

  it('refuse text holding U+0000 on PostgreSQL with the reason, and keep it on SQLite', async () => {
    const store = await freshStore();
    try {
      const write = store.tx(async (q) => {
        await q.run("INSERT INTO meta(key, value) VALUES ('before-nul', 'x')");
        await q.defer('INSERT INTO meta(key, value) VALUES (?, ?)', 'nul', 'a\u0000b');
      });
      if (store.dialect === 'postgres') {
        await expect(write).rejects.toThrow(/U\+0000 cannot be stored/);
        expect(await store.get("SELECT key FROM meta WHERE key = 'before-nul'")).toBeUndefined();
      } else {
        await write;
        expect(await store.get("SELECT value FROM meta WHERE key = 'nul'")).toEqual({ value: 'a\u0000b' });
      }
    } finally {
      await store.close();
    }
  });

  it('are seen by the next statement of their transaction, and not before they are sent', async () => {
    const store = await freshStore();
    try {
      const seen = await store.tx(async (q) => {
        await q.defer("INSERT INTO meta(key, value) VALUES ('order-1', 'a')");
        await q.defer("UPDATE meta SET value = value || 'b' WHERE key = 'order-1'");
        return q.get<{ value: string }>("SELECT value FROM meta WHERE key = 'order-1'");
      });
      expect(seen).toEqual({ value: 'ab' });
    } finally {
      await store.close();
    }
  });

  it('that fail fail their whole transaction, even when nothing follows them but the commit', async () => {
    const store = await freshStore();
    try {
      await store.run("INSERT INTO meta(key, value) VALUES ('taken', 'first')");
      await expect(store.tx(async (q) => {
        await q.run("INSERT INTO meta(key, value) VALUES ('kept-only-if-committed', 'x')");
        await q.defer("INSERT INTO meta(key, value) VALUES ('taken', 'second')");
      })).rejects.toThrow(/unique|duplicate/i);
      expect(await store.get("SELECT key FROM meta WHERE key = 'kept-only-if-committed'")).toBeUndefined();
      expect(await store.get("SELECT value FROM meta WHERE key = 'taken'")).toEqual({ value: 'first' });
      // the connection is fit for the next transaction
      await store.tx(async (q) => q.defer("INSERT INTO meta(key, value) VALUES ('after', 'ok')"));
      expect(await store.get("SELECT value FROM meta WHERE key = 'after'")).toEqual({ value: 'ok' });
    } finally {
      await store.close();
    }
  });
});

describe('inbound mail and the mailbox mode', () => {
  it('a mode changed in the database by someone else holds the very next message (no cache in between)', async () => {
    const s = await startTestServer();
    try {
      const address = `agent@${s.domain}`;
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: s.smtpPort, ignoreTLS: true });
      // the first message makes this server remember where the address goes
      await t.sendMail({ from: 'peer@example.com', to: address, subject: 'before', text: 'x', messageId: '<mode-before@example.com>' });
      // another instance's change, written as it would be: straight into the shared database
      await rawStatement(s.dir, `UPDATE mailboxes SET oversight_mode = 'gated_all' WHERE address = '${address}'`);
      await t.sendMail({ from: 'peer@example.com', to: address, subject: 'after', text: 'x', messageId: '<mode-after@example.com>' });
      t.close();
      const pending = await waitFor(async () => (await s.api('GET', '/v1/oversight/pending', { key: s.keys.oversight })).body.items as Array<{ message_id: string; status: string }>, 'pending list');
      expect(pending.map((i) => [i.message_id, i.status])).toEqual([['<mode-after@example.com>', 'pending_inbound_approval']]);
    } finally {
      await s.close();
    }
  });
});

describe('store port: query plans', () => {
  // The lookup every inbound message and every reply makes (its copies and its thread). Planned on
  // an index that leaves the Message-ID out, it reads the tenant's every message: PostgreSQL did
  // that before its first statistics, when two indexes led by tenant_id cost it the same.
  const LOOKUP = 'SELECT message_id_header, thread_id FROM messages WHERE tenant_id = $1 AND message_id_header = $2 ORDER BY rowid';

  it('looks a message up by (tenant, Message-ID) on both columns of messages_msgid, before any statistics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-plan-'));
    dirs.push(dir);
    const url = await testDatabaseUrl(dir);
    const store = await openStore({ databaseUrl: url, dbFile: join(dir, 'multimail.db') });
    await store.close();
    let plan: string;
    if (url) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        // the plan a long-lived connection keeps for a statement it has run a few times
        await client.query('SET plan_cache_mode = force_generic_plan');
        await client.query(`PREPARE lookup(text, text) AS ${LOOKUP}`);
        plan = (await client.query("EXPLAIN EXECUTE lookup('t', '<m@example.org>')")).rows.map((r) => r['QUERY PLAN']).join('\n');
      } finally {
        await client.end();
      }
      expect(plan).toMatch(/Index Scan using messages_msgid/);
      expect(plan).toMatch(/Index Cond: \(\(tenant_id = \$1\) AND \(message_id_header = \$2\)\)/);
    } else {
      const db = new Database(join(dir, 'multimail.db'), { readonly: true });
      try {
        plan = (db.prepare(`EXPLAIN QUERY PLAN ${LOOKUP.replace(/\$\d/g, '?')}`).all('t', '<m@example.org>') as Array<{ detail: string }>).map((r) => r.detail).join('\n');
      } finally {
        db.close();
      }
      expect(plan).toMatch(/USING INDEX messages_msgid \(tenant_id=\? AND message_id_header=\?\)/);
    }
  });
});
