/**
 * Strict tag=value list parser (RFC 6376 §3.2), shared by DKIM-Signature fields and key records.
 *
 * tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 * tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *
 * Results are null-prototype maps, so a tag named `__proto__` or `constructor` is just a tag.
 * Every failure is a stable reason, never an exception.
 */
import { MAX_TAG_LIST_BYTES } from '../mime/limits.js';

/** Tags by name. Null prototype: `tags.__proto__` is a tag value or undefined. */
export type TagMap = Record<string, string>;

export type TagListResult = { ok: true; tags: TagMap; order: string[] } | { ok: false; reason: string; detail: string };

/** Tags per list. Real signatures carry about a dozen; more is an attack or garbage. */
export const MAX_TAGS = 64;

const TAG_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/**
 * tag-value (RFC 6376 §3.2): VALCHAR (%x21-3A / %x3C-7E) runs separated by WSP; UTF-8 allowed
 * (RFC 6532 mail). On a trimmed value that is: every character a VALCHAR, SP or HTAB. A loop, as
 * signatures carry a 350-character b= and a regular expression costs several times more here.
 */
function isTagValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 ? c !== 0x20 && c !== 0x09 : c === 0x3b || c === 0x7f) return false;
  }
  return true;
}

function fail(reason: string, detail: string): TagListResult {
  return { ok: false, reason, detail };
}

/**
 * Parses a tag list (the header value after the colon, or a key record). FWS (CRLF + WSP) is
 * unfolded first; a bare CR or LF left over is a syntax error.
 */
export function parseTagList(input: string): TagListResult {
  if (input.length > MAX_TAG_LIST_BYTES) return fail('tag_list_too_long', `tag list longer than ${MAX_TAG_LIST_BYTES} bytes`);
  const text = input.replace(/\r\n(?=[ \t])/g, '');
  if (/[\r\n]/.test(text)) return fail('bad_tag_list', 'stray CR or LF in tag list');
  const specs = text.split(';');
  // One trailing ";" (possibly followed by whitespace) is allowed by the grammar.
  if (specs.length > 1 && specs[specs.length - 1]!.trim() === '') specs.pop();
  if (specs.length > MAX_TAGS) return fail('too_many_tags', `more than ${MAX_TAGS} tags`);
  const tags: TagMap = Object.create(null) as TagMap;
  const order: string[] = [];
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq === -1) {
      if (spec.trim() === '') return fail('bad_tag_list', 'empty tag (";;")');
      return fail('bad_tag_list', `tag without "=": ${preview(spec)}`);
    }
    const name = spec.slice(0, eq).trim();
    const value = spec.slice(eq + 1).trim();
    if (!TAG_NAME.test(name)) return fail('bad_tag_list', `invalid tag name: ${preview(name)}`);
    if (!isTagValue(value)) return fail('bad_tag_list', `invalid value for tag ${name}`);
    if (Object.prototype.hasOwnProperty.call(tags, name)) return fail('duplicate_tag', `tag ${name} appears twice`);
    tags[name] = value;
    order.push(name);
  }
  return { ok: true, tags, order };
}

function preview(s: string): string {
  const t = s.trim();
  return JSON.stringify(t.length > 40 ? `${t.slice(0, 40)}…` : t);
}

/** Splits a colon-separated list (h=, key h=/s=/t=), dropping whitespace around items. */
export function colonList(value: string): string[] {
  return value.split(':').map((v) => v.trim());
}
