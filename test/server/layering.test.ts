/**
 * The server's tree is organised by feature, in layers: a folder may import from its own folder
 * and from folders of a lower layer, never from its own layer's neighbours or from above. So
 * `store/` (every SQL statement and the schema) imports nothing else of the server, the feature
 * folders never reach `http/` or `smtp/`, and the SQL stays in `store/`. Read from the sources,
 * import by import.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/server/src');

/** Lower layers first. Root files: config.ts sits just above the store, app.ts and main.ts on top. */
const LAYERS: Record<string, number> = {
  store: 0,
  'config.ts': 1,
  shared: 2, security: 2,
  tenancy: 3,
  audit: 4, webhooks: 4,
  oversight: 5,
  inbound: 6,
  mailbox: 7,
  outbound: 8,
  // the operations every surface binds (HTTP routes, MCP tools)
  api: 9,
  smtp: 10, http: 10, mcp: 10,
  'app.ts': 11, 'main.ts': 12,
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []);
}

/** The layer key of a file: its top folder under src/, or its own name at the top. */
const unit = (file: string) => relative(SRC, file).split('/')[0]!;

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/g), ...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts'));
}

const files = sources(SRC);

describe('server layering', () => {
  it('every file sits in a known layer', () => {
    const unknown = [...new Set(files.map(unit))].filter((u) => LAYERS[u] === undefined);
    expect(unknown).toEqual([]);
  });

  it('nothing imports from its own layer’s neighbours or from above', () => {
    const bad: string[] = [];
    for (const f of files) {
      const from = unit(f);
      for (const target of imports(f)) {
        const to = unit(target);
        if (to !== from && !(LAYERS[to]! < LAYERS[from]!)) bad.push(`${relative(SRC, f)} → ${relative(SRC, target)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('store/ imports nothing else of the server; features and api/ never import a surface; mcp/ never imports http/ or smtp/', () => {
    const storeOut = files.filter((f) => unit(f) === 'store').flatMap((f) => imports(f).filter((t) => unit(t) !== 'store').map((t) => `${relative(SRC, f)} → ${relative(SRC, t)}`));
    expect(storeOut).toEqual([]);
    const features = ['tenancy', 'audit', 'webhooks', 'oversight', 'inbound', 'mailbox', 'outbound', 'security', 'shared'];
    const surfaces = files.filter((f) => [...features, 'api'].includes(unit(f))).flatMap((f) => imports(f).filter((t) => ['http', 'smtp', 'mcp'].includes(unit(t))).map((t) => `${relative(SRC, f)} → ${relative(SRC, t)}`));
    expect(surfaces).toEqual([]);
    // MCP is a surface beside HTTP: it binds the same operations and reaches neither of the others
    const mcpOut = files.filter((f) => unit(f) === 'mcp').flatMap((f) => imports(f).filter((t) => ['http', 'smtp'].includes(unit(t))).map((t) => `${relative(SRC, f)} → ${relative(SRC, t)}`));
    expect(mcpOut).toEqual([]);
    expect(files.some((f) => unit(f) === 'mcp')).toBe(true);
  });

  it('every SQL statement lives in store/', () => {
    const sql = files.filter((f) => unit(f) !== 'store').filter((f) => /\.prepare\(|\bdb\.exec\(|\b(?:SELECT|INSERT|UPDATE|DELETE)\s+(?:\*|\w+\s+(?:FROM|INTO|SET)|FROM|INTO)\b/.test(readFileSync(f, 'utf8')));
    expect(sql.map((f) => relative(SRC, f))).toEqual([]);
  });

  it('only store/open.ts picks an adapter: features see the port, never SQLite or PostgreSQL', () => {
    const adapters = ['sqlite.ts', 'postgres.ts'].map((a) => join(SRC, 'store', a));
    const users = files.filter((f) => imports(f).some((t) => adapters.includes(t))).map((f) => relative(SRC, f));
    expect(users).toEqual(['store/open.ts']);
  });

  it('the test itself sees imports: a file importing upward would be caught', () => {
    const probe = join(SRC, 'store', 'sqlite.ts');
    expect(imports(probe).every((t) => unit(t) === 'store')).toBe(true);
    expect(imports(join(SRC, 'app.ts')).some((t) => unit(t) === 'store')).toBe(true);
  });
});
