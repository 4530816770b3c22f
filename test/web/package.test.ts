/**
 * The build's promises, checked on its outputs: one self-contained page (no external script, style
 * or worker file), a library that imports Lit instead of carrying it, and a complete manifest.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { PAGE_FILE, WEB, ensureBuilt } from './browser.js';

beforeAll(() => ensureBuilt());

const libFiles = () => readdirSync(`${WEB}dist/lib`, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));

describe('verifier-web build', () => {
  it('verifier.html carries everything inline and loads nothing, in under 210 KiB', () => {
    const html = readFileSync(PAGE_FILE, 'utf8');
    // 196 KiB until the identity verifier's fast paths (2026-12-03: +7.5 KB, core being in both
    // the page and its worker); the budget catches a dependency pulled in by accident
    expect(Buffer.byteLength(html)).toBeLessThan(210 * 1024);
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module">']);
    expect(html).not.toMatch(/<(link|img|iframe)\b/i);
    expect(html).not.toMatch(/\bsrc\s*=\s*["'](?!data:)/i);
    expect(html).toContain("connect-src 'none'");
    expect(html).toContain('litHtmlVersions'); // Lit is inside
    expect(html).toMatch(/data:text\/javascript/); // and so is the worker
  });

  it('the library imports Lit (no duplicate) and ships its worker beside it', () => {
    const all = libFiles().map((f) => readFileSync(`${WEB}dist/lib/${f}`, 'utf8'));
    expect(all.some((c) => /from "lit"/.test(c))).toBe(true);
    expect(all.some((c) => /litHtmlVersions|litElementVersions|reactiveElementVersions/.test(c))).toBe(false);
    expect(libFiles().some((f) => /assets\/verify-worker-[\w-]+\.js$/.test(f))).toBe(true);
    expect(readFileSync(`${WEB}dist/lib/mm-verifier.js`, 'utf8')).not.toMatch(/customElements\.define/);
  });

  it('custom-elements.json documents the tag, attributes, events, parts and custom properties', () => {
    const manifest = JSON.parse(readFileSync(`${WEB}dist/custom-elements.json`, 'utf8')) as {
      modules: Array<{ declarations?: Array<Record<string, Array<{ name: string }> | string | undefined>> }>;
    };
    const decl = manifest.modules.flatMap((m) => m.declarations ?? []).find((d) => d['tagName'] === 'mm-verifier')!;
    const names = (k: string) => (decl[k] as Array<{ name: string }>).map((x) => x.name);
    expect(names('attributes')).toEqual(['at', 'require', 'page-size']);
    expect(names('events')).toEqual(['mm-verified', 'mm-done', 'mm-progress']);
    expect(names('members')).toEqual(expect.arrayContaining(['keys', 'identityKeys', 'verifyFiles', 'cancel', 'download', 'printReport']));
    expect(names('cssParts')).toEqual(expect.arrayContaining(['dropzone', 'file-input', 'message', 'verdict', 'sentence', 'toggle', 'details', 'search', 'print-report']));
    expect(names('cssProperties')).toEqual(expect.arrayContaining(['--mm-pass', '--mm-fail', '--mm-accent']));
  });
});
