/**
 * The tie between the Coq model (formal/) and the server: every row of every decision table Coq
 * computed is replayed against the server's own functions — sendEmail, decide, expireDue,
 * deliverMessage, createCredential, changeMailbox, changeAllowlist and the pure rules of
 * policy.ts — in process, on a real SQLite store, and the observable result (HTTP status and
 * code, stored status, approval code, what the identity signature states) must be the model's.
 * A rule changed on one side only fails here.
 */
import type { SqlParam } from '../../packages/server/src/store/port.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdentityHeader } from '@multimail/core';
import { bootstrap, openContext } from '../../packages/server/src/app.js';
import { loadConfig } from '../../packages/server/src/config.js';
import type { Ctx } from '../../packages/server/src/shared/context.js';
import { ApiError } from '../../packages/server/src/shared/errors.js';
import { DEFAULT_AGENT, type Principal, type Scope, createCredential } from '../../packages/server/src/tenancy/credentials.js';
import { sendEmail } from '../../packages/server/src/outbound/send.js';
import { changeAllowlist, changeMailbox, decide, expireDue } from '../../packages/server/src/oversight/decisions.js';
import { deliverMessage } from '../../packages/server/src/outbound/outbox.js';
import { cancelMessage } from '../../packages/server/src/outbound/cancel.js';
import {
  type OversightMode, decideSend, effectiveMode, holdsInbound, isStricter, modeChangeNeedsOversight,
} from '../../packages/server/src/oversight/policy.js';
import { getMessage, insertMessage, type NewMessage } from '../../packages/server/src/store/messages.js';
import type { MessageRow } from '../../packages/server/src/store/rows.js';
import { type DecisionTable, type Outcome, type Row, decisionTable } from './model.js';

const NOW = 1_800_000_000;
const AGENT_MB = 'agent@agents.localhost';
const OVERSIGHT_MB = 'oversight@agents.localhost';
const RCPT = 'rcpt@example.net';
const WATCH = 'watch@example.org';
const PIN = 'pin-agent';
const REQUESTED = 'req-agent';

let model: DecisionTable;
const errors = new Map<string, { status: number; code: string }>();

/** One in-process server store (no listeners), with the clock fixed at NOW. */
interface World {
  ctx: Ctx; dir: string; tenant: string; agentMailbox: string; oversightMailbox: string; sendCredential: string;
  close(): void;
}

async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'mm-formal-'));
  const config = loadConfig({}, { dataDir: dir, dns: 'off', relayUrl: null, verifyThreads: 0, pendingTtlSec: 100 });
  const { ctx } = await openContext(config);
  // no background sweeps: each row's effect must be the one call's
  ctx.kickOutbox = () => undefined;
  ctx.kickWebhooks = () => undefined;
  ctx.now = () => NOW;
  const info = await bootstrap(ctx);
  const id = async (sql: string, ...args: SqlParam[]) => ((await ctx.db.get(sql, ...args)) as { id: string }).id;
  return {
    ctx, dir, tenant: info!.tenant,
    agentMailbox: await id('SELECT id FROM mailboxes WHERE address = ?', AGENT_MB),
    oversightMailbox: await id('SELECT id FROM mailboxes WHERE address = ?', OVERSIGHT_MB),
    sendCredential: await id("SELECT id FROM credentials WHERE scopes LIKE '%send%'"),
    close: () => { ctx.db.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

function principal(w: World, scopes: string[], opts: { credentialId?: string; mailboxId: string | null; agentId?: string | null }): Principal {
  const credentialId = opts.credentialId ?? 'key_formal';
  return {
    credentialId, tenantId: w.tenant, scopes: new Set(scopes as Scope[]), mailboxId: opts.mailboxId,
    agentId: opts.agentId ?? null, actor: `credential:${credentialId}`,
  };
}

function bindingMailbox(w: World, binding: Row[string]): string | null {
  return binding === 'unbound' ? null : binding === 'bound_here' ? w.agentMailbox : w.oversightMailbox;
}

/** What the API answers for an error: an ApiError's status and code, or 400 for a field error. */
function refusal(err: unknown): string {
  if (err instanceof ApiError) return `refused ${err.status} ${err.code}`;
  if (err && typeof err === 'object' && 'field' in err) return 'refused 400 invalid_request';
  throw err;
}

function expectedError(name: unknown): string {
  const e = errors.get(name as string);
  if (!e) throw new Error(`the model's error table has no ${String(name)}`);
  return `refused ${e.status} ${e.code}`;
}

const outcome = (cell: Row[string]) => cell as Outcome;

/** Collects the rows whose observed result differs from the model's, and reports a few. */
class Mismatches {
  rows: string[] = [];
  checked = 0;
  check(row: Row, expected: string, observed: string) {
    this.checked++;
    if (expected !== observed) this.rows.push(`${JSON.stringify(row)}\n    model: ${expected}\n    code:  ${observed}`);
  }
  assert(total: number) {
    expect(this.checked).toBe(total);
    expect(this.rows.length, `${this.rows.length} rows differ from the model:\n${this.rows.slice(0, 12).join('\n')}`).toBe(0);
  }
}

function identityFields(sig: string | null): Map<string, string> | null {
  if (!sig) return null;
  const parsed = parseIdentityHeader(sig);
  if (!parsed.ok) throw new Error(`the server wrote an identity header that does not parse: ${parsed.reason}`);
  return parsed.fields;
}

function approvalKind(code: string | null | undefined): string {
  if (!code) return 'no_code';
  if (code.startsWith('apr_')) return 'human_code';
  if (code.startsWith('exp_')) return 'expiry_code';
  return `unknown(${code})`;
}

beforeAll(() => {
  model = decisionTable();
  for (const r of model.tables.error!) errors.set(r.error as string, { status: r.status as number, code: r.code as string });
}, 300_000);

describe('the decision table (formal/Table.v)', () => {
  it('covers each domain completely, once per point', () => {
    const sizes = Object.fromEntries(Object.entries(model.tables).map(([k, v]) => [k, v.length]));
    // 16 scope sets × 3 keys × 5 agent cases × 5 modes × 6 requested × 2 × 2
    expect(sizes.send).toBe(16 * 3 * 5 * 5 * 6 * 2 * 2);
    // outbound has 9 states and two same-actor values, inbound 4 states and one
    expect(sizes.decide).toBe(16 * 3 * (9 * 2 + 4) * 2 * 2 * 2 * 2);
    expect(sizes.credential).toBe(16 * 2 * 3);
    expect(sizes.change_mode).toBe(16 * 3 * 5 * 5 * 2);
    expect(sizes.sweep).toBe(13 * 2 * 2);
    expect(sizes.sign).toBe(13 * 5 * 3 * 2);
    expect(sizes.cancel).toBe(16 * 3 * 13);
    for (const [name, rows] of Object.entries(model.tables)) {
      const cols = model.columns[name]!.filter((c) => c !== 'outcome');
      const keys = new Set(rows.map((r) => JSON.stringify(cols.map((c) => r[c]))));
      expect(keys.size, `table ${name} has duplicate points`).toBe(rows.length);
    }
  });
});

describe('pure rules of policy.ts against the model', () => {
  it('holds inbound and sends, mode by mode', () => {
    const m = new Mismatches();
    // several spellings of "every recipient allowlisted" and of "not every one"
    const unlisted: Array<[string[], string[]]> = [[['a@x.example'], []], [['a@x.example', 'b@y.example'], ['a@x.example']], [[], ['*@x.example']]];
    const listed: Array<[string[], string[]]> = [[['a@x.example'], ['a@x.example']], [['A@X.Example'], ['*@x.example']], [['a@x.example', 'b@x.example'], ['*@X.EXAMPLE']]];
    const show = (d: ReturnType<typeof decideSend>) => d.action === 'refuse' ? 'refuse_read_only'
      : d.action === 'hold' ? `hold(${d.reason})` : `deliver(${d.bccOversight})`;
    for (const row of model.tables.mode!) {
      const mode = row.mode as OversightMode;
      const expectSend = (a: Row[string]) => typeof a === 'string' ? (a === 'hold' ? `hold(${mode})` : a) : `deliver(${outcome(a).args[0]})`;
      m.check(row, String(row.holds_inbound), String(holdsInbound(mode)));
      for (const [rcpts, allow] of unlisted) m.check(row, expectSend(row.send_unlisted), show(decideSend(mode, rcpts, allow)));
      for (const [rcpts, allow] of listed) m.check(row, expectSend(row.send_listed), show(decideSend(mode, rcpts, allow)));
    }
    m.assert(5 * 7);
  });

  it('orders modes and weakenings', () => {
    const m = new Mismatches();
    for (const row of model.tables.mode_pair!) {
      const [from, to] = [row.from as OversightMode, row.to as OversightMode];
      m.check(row, `${row.stricter} ${row.weakening}`, `${isStricter(from, to)} ${modeChangeNeedsOversight(from, to)}`);
    }
    m.assert(25);
  });

  it('refuses a weaker requested mode and otherwise takes the stricter one', () => {
    const m = new Mismatches();
    for (const row of model.tables.request!) {
      const mb = row.mailbox_mode as OversightMode;
      const rq = (row.requested_mode ?? undefined) as OversightMode | undefined;
      // send.ts refuses when isStricter(mailbox, requested), then takes effectiveMode
      const refused = rq !== undefined && isStricter(mb, rq);
      m.check(row, `${row.refused} ${row.effective_mode}`, `${refused} ${effectiveMode(mb, rq)}`);
    }
    m.assert(30);
  });
});

describe('the server over every point of each domain', () => {
  let w: World;
  beforeAll(async () => { w = await world(); }, 120_000);
  afterAll(() => w?.close());

  it('createCredential: scopes, mailbox binding, agent pinning', async () => {
    const m = new Mismatches();
    for (const row of model.tables.credential!) {
      const scopes = row.scopes as string[];
      const input = {
        scopes, mailbox: row.bound ? AGENT_MB : undefined,
        agent_id: row.agent === 'agent_omitted' ? undefined : row.agent === 'agent_named' ? 'named-agent' : '*',
      };
      const o = row.outcome as Row[string];
      const expected = typeof o === 'object' && o !== null && 'tag' in o && o.tag === 'credential_refused'
        ? expectedError(o.args[0]) : String(outcome(o).args[0]);
      let observed: string;
      try {
        const c = await createCredential(w.ctx, w.tenant, input, 'test:formal');
        observed = c.agent_id === DEFAULT_AGENT ? 'pinned_default' : c.agent_id === 'named-agent' ? 'pinned_named'
          : c.agent_id === null ? (scopes.includes('send') ? 'unpinned' : 'no_agent') : `agent ${c.agent_id}`;
      } catch (err) {
        observed = refusal(err);
      }
      m.check(row, expected, observed);
    }
    m.assert(96);
  });

  it('sendEmail: who may send, under which mode, held or delivered, with which copy and agent', async () => {
    const m = new Mismatches();
    const setMailbox = { run: (...a: SqlParam[]) => w.ctx.db.run('UPDATE mailboxes SET oversight_mode = ?, oversight_address = ? WHERE id = ?', ...a), get: (...a: SqlParam[]) => w.ctx.db.get('UPDATE mailboxes SET oversight_mode = ?, oversight_address = ? WHERE id = ?', ...a) };
    const clearAllow = { run: (...a: SqlParam[]) => w.ctx.db.run('DELETE FROM allowlist WHERE mailbox_id = ?', ...a), get: (...a: SqlParam[]) => w.ctx.db.get('DELETE FROM allowlist WHERE mailbox_id = ?', ...a) };
    const addAllow = { run: (...a: SqlParam[]) => w.ctx.db.run('INSERT INTO allowlist(mailbox_id, entry, created_by, created_at) VALUES (?,?,?,?)', ...a), get: (...a: SqlParam[]) => w.ctx.db.get('INSERT INTO allowlist(mailbox_id, entry, created_by, created_at) VALUES (?,?,?,?)', ...a) };
    const agentValue = (src: unknown) => src === 'agent_default' ? DEFAULT_AGENT : src === 'agent_requested' ? REQUESTED : PIN;
    for (const row of model.tables.send!) {
      await setMailbox.run(row.mailbox_mode as string, row.oversight_address ? WATCH : null, w.agentMailbox);
      await clearAllow.run(w.agentMailbox);
      if (row.all_allowlisted) await addAllow.run(w.agentMailbox, RCPT, 'test:formal', NOW);
      const pinned = (row.agent as string).startsWith('pinned');
      const p = principal(w, row.scopes as string[], {
        credentialId: w.sendCredential, mailboxId: row.key === 'key_unbound' ? null : w.agentMailbox, agentId: pinned ? PIN : null,
      });
      const body: Record<string, unknown> = { to: RCPT, subject: 'formal', text: 'model row' };
      if (row.key === 'key_from_other') body.from = OVERSIGHT_MB;
      if (row.agent === 'unpinned_named' || row.agent === 'pinned_other') body.agent_id = REQUESTED;
      if (row.agent === 'pinned_same') body.agent_id = PIN;
      if (row.requested_mode !== null) body.oversight_mode = row.requested_mode;

      const o = outcome(row.outcome);
      const expected = o.tag === 'send_refused' ? expectedError(o.args[0])
        : o.tag === 'send_held' ? `held ${o.args[0]} agent=${agentValue(o.args[1])} signature=none`
        : `delivered ${o.args[0]} copy=${o.args[1]} agent=${agentValue(o.args[2])} approval=none`;
      let observed: string;
      try {
        const { result } = await sendEmail(w.ctx, p, body, null);
        const stored = (await getMessage(w.ctx.db, w.tenant, result.id))!;
        const sig = identityFields(result.identity_sig);
        if (result.status === 'pending_approval') {
          observed = `held ${result.oversight_mode} agent=${stored.agent_id} signature=${sig ? 'made' : 'none'}`;
        } else {
          const copy = (JSON.parse(stored.envelope_to) as string[]).includes(WATCH);
          observed = sig
            ? `delivered ${sig.get('oversight')} copy=${copy} agent=${sig.get('agent')} approval=${sig.get('approval') ?? 'none'}`
            : `${result.status} without a signature`;
        }
      } catch (err) {
        observed = refusal(err);
      }
      m.check(row, expected, observed);
    }
    m.assert(model.tables.send!.length);
  }, 600_000);

  it('changeMailbox: stricter by any key of the mailbox, weaker or a new address only with oversight', async () => {
    const m = new Mismatches();
    const setMailbox = { run: (...a: SqlParam[]) => w.ctx.db.run('UPDATE mailboxes SET oversight_mode = ?, oversight_address = NULL WHERE id = ?', ...a), get: (...a: SqlParam[]) => w.ctx.db.get('UPDATE mailboxes SET oversight_mode = ?, oversight_address = NULL WHERE id = ?', ...a) };
    const modeOf = { run: (...a: SqlParam[]) => w.ctx.db.run('SELECT oversight_mode, oversight_address FROM mailboxes WHERE id = ?', ...a), get: (...a: SqlParam[]) => w.ctx.db.get('SELECT oversight_mode, oversight_address FROM mailboxes WHERE id = ?', ...a) };
    for (const row of model.tables.change_mode!) {
      await setMailbox.run(row.from as string, w.agentMailbox);
      const p = principal(w, row.scopes as string[], { mailboxId: bindingMailbox(w, row.binding) });
      const body: Record<string, unknown> = { oversight_mode: row.to };
      if (row.address_change) body.oversight_address = WATCH;
      const o = outcome(row.outcome);
      const expected = typeof row.outcome === 'string' ? `changed to ${row.to}` : expectedError(o.args[0]);
      let observed: string;
      try {
        await changeMailbox(w.ctx, p, AGENT_MB, body);
        const after = await modeOf.get(w.agentMailbox) as { oversight_mode: string; oversight_address: string | null };
        observed = `changed to ${after.oversight_mode}`;
        if (row.address_change && after.oversight_address !== WATCH) observed += ' (address not set)';
      } catch (err) {
        observed = refusal(err);
      }
      m.check(row, expected, observed);
    }
    m.assert(model.tables.change_mode!.length);
  });

  it('changeAllowlist: an oversight action on a mailbox the key may act on', async () => {
    const m = new Mismatches();
    for (const row of model.tables.allowlist!) {
      const p = principal(w, row.scopes as string[], { mailboxId: bindingMailbox(w, row.binding) });
      const expected = typeof row.outcome === 'string' ? 'changed' : expectedError(outcome(row.outcome).args[0]);
      let observed: string;
      try {
        await changeAllowlist(w.ctx, p, AGENT_MB, 'someone@example.com', true);
        observed = 'changed';
      } catch (err) {
        observed = refusal(err);
      }
      m.check(row, expected, observed);
    }
    m.assert(48);
  });
});

/** A stored message in a given state, as the rows decide/expireDue/deliverMessage read them. */
class Messages {
  private n = 0;
  constructor(private w: World, private template: MessageRow) {}
  async insert(fields: Partial<MessageRow>): Promise<string> {
    const id = `msg_formal_${++this.n}`;
    // every column is written (insertMessage writes the keys it is given), so nothing of the
    // template's own decision or signature leaks into the row unless a field says so
    const row = {
      ...this.template, id, approval_code: null, expires_at: null, message_id_header: null, identity_sig: null,
      signed_raw: null, decided_by: null, decided_at: null, decision_reason: null, ...fields,
    };
    await insertMessage(this.w.ctx.db, row as unknown as NewMessage);
    return id;
  }
}

async function templateMessage(w: World): Promise<MessageRow> {
  (await w.ctx.db.run('UPDATE mailboxes SET oversight_mode = ? WHERE id = ?', 'gated_all', w.agentMailbox));
  const p = principal(w, ['send'], { credentialId: w.sendCredential, mailboxId: w.agentMailbox, agentId: null });
  const { result } = await sendEmail(w.ctx, p, { to: RCPT, subject: 'template', text: 'held' }, null);
  return (await getMessage(w.ctx.db, w.tenant, result.id))!;
}

/** The decision a stored row shows: status, approval code kind, and who decided. */
function decisionState(m: MessageRow, expectedStatus: string): string {
  // an approved outbound message moves on to signing and delivery within the same call
  const moved = expectedStatus === 'queued' && ['queued', 'signed', 'delivered', 'undeliverable'].includes(m.status);
  const by = m.decided_by === null ? 'none' : m.decided_by === 'system:expiry' ? 'by_expiry' : m.decided_by.startsWith('credential:') ? 'by_human' : m.decided_by;
  return `${moved ? 'queued' : m.status} ${approvalKind(m.approval_code)} ${by}`;
}

describe('decisions, expiry and signing over every point', () => {
  let w: World;
  let messages: Messages;
  beforeAll(async () => {
    w = await world();
    messages = new Messages(w, await templateMessage(w));
  }, 120_000);
  afterAll(() => w?.close());

  const rowFor = (row: Row, extra: Partial<MessageRow> = {}) => messages.insert({
    direction: row.direction === 'outbound' ? 'out' : 'in', status: row.status as MessageRow['status'],
    credential_id: row.direction === 'outbound' ? w.sendCredential : null, ...extra,
  });

  it('decide: scope, mailbox, sender, state, reason and deadline', async () => {
    const m = new Mismatches();
    const closeRow = { run: (...a: SqlParam[]) => w.ctx.db.run('UPDATE messages SET expires_at = NULL WHERE id = ?', ...a), get: (...a: SqlParam[]) => w.ctx.db.get('UPDATE messages SET expires_at = NULL WHERE id = ?', ...a) };
    for (const row of model.tables.decide!) {
      w.ctx.config.expiryAction = row.expiry_action === 'expire_approve' ? 'approve' : 'reject';
      const id = await rowFor(row, { expires_at: row.past_deadline ? NOW : NOW + 1 });
      const p = principal(w, row.scopes as string[], {
        credentialId: row.same_actor ? w.sendCredential : 'key_formal_reviewer', mailboxId: bindingMailbox(w, row.binding),
      });
      const o = outcome(row.outcome);
      const expected = o.tag === 'decide_refused'
        ? `${expectedError(o.args[0])}; ${row.status} no_code none`
        : `${o.args[0] === null ? 'ok' : expectedError(o.args[0])}; ${o.args[1]} ${o.args[2]} ${o.args[3]}`;
      let answer: string;
      try {
        await decide(w.ctx, p, id, row.action, row.reason_given ? { reason: 'checked by the model test' } : {});
        answer = 'ok';
      } catch (err) {
        answer = refusal(err);
      }
      const stored = (await getMessage(w.ctx.db, w.tenant, id))!;
      m.check(row, expected, `${answer}; ${decisionState(stored, o.tag === 'decide_refused' ? row.status as string : o.args[1] as string)}`);
      // a row left pending must not be swept later in this store
      await closeRow.run(id);
    }
    m.assert(model.tables.decide!.length);
  }, 600_000);

  it('cancelMessage: the sending side withdraws a held message, before anyone decided', async () => {
    const m = new Mismatches();
    for (const row of model.tables.cancel!) {
      const id = await rowFor(row);
      const p = principal(w, row.scopes as string[], { credentialId: w.sendCredential, mailboxId: bindingMailbox(w, row.binding) });
      const o = row.outcome;
      const expected = typeof o === 'string' ? 'cancelled' : expectedError(outcome(o).args[0]);
      let observed: string;
      try {
        await cancelMessage(w.ctx, p, id);
        observed = (await getMessage(w.ctx.db, w.tenant, id))!.status;
      } catch (err) {
        observed = refusal(err);
      }
      m.check(row, expected, observed);
    }
    m.assert(model.tables.cancel!.length);
  });

  it('expireDue: only held items past their deadline, with the configured action', async () => {
    const m = new Mismatches();
    for (const row of model.tables.sweep!) {
      w.ctx.config.expiryAction = row.expiry_action === 'expire_approve' ? 'approve' : 'reject';
      // earlier rows were all decided or closed below, so the sweep sees only this one
      const id = await rowFor(row, { expires_at: row.due ? NOW : NOW + 1 });
      await expireDue(w.ctx);
      const stored = (await getMessage(w.ctx.db, w.tenant, id))!;
      const o = row.outcome;
      const expected = typeof o === 'string' ? `${row.status} no_code none` : `${outcome(o).args[0]} ${outcome(o).args[1]} by_expiry`;
      m.check(row, expected, decisionState(stored, typeof o === 'string' ? row.status as string : outcome(o).args[0] as string));
      (await w.ctx.db.run("UPDATE messages SET expires_at = NULL WHERE id = ?", id));
    }
    m.assert(52);
  }, 120_000);

  it('deliverMessage: signs only approved outbound mail, stating its own mode and approval code', async () => {
    const m = new Mismatches();
    const retired = await createCredential(w.ctx, w.tenant, { scopes: ['send'], mailbox: AGENT_MB }, 'test:formal');
    (await w.ctx.db.run("UPDATE identity_keys SET status = 'retired', not_after = ? WHERE credential_id = ?", NOW - 10, retired.id));
    const codes: Record<string, string | null> = { no_code: null, human_code: 'apr_formal', expiry_code: 'exp_formal' };
    for (const row of model.tables.sign!) {
      const alreadySigned = ['signed', 'delivered', 'undeliverable', 'failed'].includes(row.status as string);
      const marker = alreadySigned ? 'v=1; marker=earlier' : null;
      const id = await rowFor(row, {
        oversight_mode: row.mode as OversightMode, approval_code: codes[row.approval as string] ?? null,
        credential_id: row.direction === 'outbound' ? (row.key_active ? w.sendCredential : retired.id) : null,
        identity_sig: marker, signed_raw: alreadySigned ? Buffer.from('Subject: x\r\n\r\nbody\r\n') : null,
      } as Partial<MessageRow>);
      await deliverMessage(w.ctx, id);
      const stored = (await getMessage(w.ctx.db, w.tenant, id))!;
      const o = row.outcome;
      const expected = typeof o === 'string' ? o : `signs_with ${outcome(o).args[0]} ${outcome(o).args[1]}`;
      let observed: string;
      if (stored.identity_sig !== marker) {
        const sig = identityFields(stored.identity_sig)!;
        observed = `signs_with ${sig.get('oversight')} ${approvalKind(sig.get('approval'))}`;
        if ((sig.get('approval') ?? null) !== stored.approval_code) observed += ` (header approval ${sig.get('approval')} is not the row's ${stored.approval_code})`;
      } else {
        observed = stored.status === 'failed' && row.status !== 'failed' ? 'signing_fails' : 'not_signed';
      }
      m.check(row, expected, observed);
    }
    m.assert(390);
  }, 300_000);
});
