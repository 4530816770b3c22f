/**
 * `<mm-verifier>` styles. Theming goes through `--mm-*` custom properties (listed on the element's
 * JSDoc) and `::part()` names; colours are never the only carrier of a verdict (text says it too).
 * Each `--mm-*` feeds an internal `--_*` whose default follows `prefers-color-scheme`, so a
 * portal's value wins in both schemes. Print shows only the evidence report.
 */
import { css } from 'lit';

export const verifierStyles = css`
  :host {
    --_fg: var(--mm-fg, #1b1f24);
    --_bg: var(--mm-bg, transparent);
    --_accent: var(--mm-accent, #0b5cad);
    --_pass: var(--mm-pass, #1a7f37);
    --_fail: var(--mm-fail, #b42318);
    --_on-badge: #fff;
    --_muted: var(--mm-muted, #57606a);
    --_border: var(--mm-border, #8a94a0);
    --_rule: var(--mm-rule, #d0d7de);
    --_radius: var(--mm-radius, 8px);
    --_drop-bg: var(--mm-drop-bg, #f6f8fa);
    --_drop-over-bg: var(--mm-drop-over-bg, #e8f1fb);
    --_button-bg: var(--mm-button-bg, #fff);
    --_row-hover: color-mix(in srgb, var(--_accent) 7%, transparent);
    display: block;
    color-scheme: light dark;
    font: var(--mm-font, 14px/1.45 system-ui, sans-serif);
    color: var(--_fg);
    background: var(--_bg);
  }
  @media (prefers-color-scheme: dark) {
    /* the element paints its own dark surface: a portal page that stays light still shows it legibly */
    :host {
      --_fg: var(--mm-fg, #e6edf3);
      --_bg: var(--mm-bg, #0d1117);
      --_accent: var(--mm-accent, #6cb6ff);
      --_pass: var(--mm-pass, #3fb950);
      --_fail: var(--mm-fail, #ff7b72);
      --_on-badge: #0d1117;
      --_muted: var(--mm-muted, #9da7b3);
      --_border: var(--mm-border, #6e7681);
      --_rule: var(--mm-rule, #30363d);
      --_drop-bg: var(--mm-drop-bg, #161b22);
      --_drop-over-bg: var(--mm-drop-over-bg, #1c2d41);
      --_button-bg: var(--mm-button-bg, #21262d);
    }
  }
  :host([hidden]) { display: none; }
  .screen { display: grid; gap: 0.75em; min-width: 0; }

  .dropzone {
    display: grid;
    gap: 0.6em;
    justify-items: start;
    padding: 1.5em 1.25em;
    border: 2px dashed var(--_border);
    border-radius: var(--_radius);
    background: var(--_drop-bg);
    transition: background-color 120ms, border-color 120ms;
  }
  .dropzone label { font-size: 1.1em; }
  .dropzone.over { border-color: var(--_accent); border-style: solid; background: var(--_drop-over-bg); }
  .dropzone:focus-within { outline: 3px solid var(--_accent); outline-offset: 2px; }
  label { font-weight: 600; }
  input[type='file'] { font: inherit; color: var(--_muted); max-width: 100%; }
  input[type='file']::file-selector-button {
    font: inherit;
    font-weight: 600;
    margin-right: 0.8em;
    padding: 0.45em 1em;
    border: 1px solid var(--_accent);
    border-radius: var(--_radius);
    background: var(--_accent);
    color: var(--_on-badge);
    cursor: pointer;
  }
  .keys input[type='file']::file-selector-button { background: var(--_button-bg); color: var(--_fg); border-color: var(--_border); }
  input[type='file']:focus-visible { outline: 3px solid var(--_accent); outline-offset: 2px; }
  .hint { color: var(--_muted); font-size: 0.9em; margin: 0; }
  .keys { display: grid; gap: 0.35em; justify-items: start; }
  .keys > * { max-width: 100%; }
  .key-errors { color: var(--_fail); margin: 0; padding-left: 1.2em; }
  .key-notes { color: var(--_muted); margin: 0; padding-left: 1.2em; font-size: 0.9em; }
  .run { display: flex; align-items: center; gap: 0.75em; flex-wrap: wrap; }
  progress { flex: 1 1 12em; accent-color: var(--_accent); }

  button, select, input[type='search'] {
    font: inherit;
    padding: 0.35em 0.9em;
    border-radius: var(--_radius);
    border: 1px solid var(--_border);
    background: var(--_button-bg);
    color: inherit;
  }
  button { cursor: pointer; }
  button:disabled { cursor: default; opacity: 0.6; }
  button:focus-visible, select:focus-visible, input[type='search']:focus-visible, .results:focus-visible, .summary:focus-visible {
    outline: 3px solid var(--_accent);
    outline-offset: 1px;
  }
  .summary { margin: 0.25em 0 0; font-weight: 600; }
  .sr-only {
    position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
  }

  .toolbar { display: flex; flex-wrap: wrap; gap: 0.6em 1em; align-items: end; }
  .field { display: grid; gap: 0.2em; min-width: 0; }
  .field:first-child { flex: 1 1 14em; }
  .field label { font-size: 0.9em; }
  input[type='search'] { width: 100%; box-sizing: border-box; }
  .actions { display: flex; flex-wrap: wrap; gap: 0.5em; }

  ol.results { list-style: none; padding: 0; margin: 0; display: grid; gap: 0.4em; container-type: inline-size; }
  .message {
    border: 1px solid var(--_border);
    border-left: 6px solid var(--_fail);
    border-radius: var(--_radius);
    min-width: 0;
  }
  .message.pass { border-left-color: var(--_pass); }
  .message h2 { margin: 0; font-size: 1em; font-weight: inherit; }
  .toggle {
    display: grid;
    grid-template-columns: auto auto minmax(0, 1fr) minmax(0, max-content);
    grid-template-areas: 'chevron badge sentence where';
    gap: 0.2em 0.75em;
    align-items: baseline;
    width: 100%;
    box-sizing: border-box;
    padding: 0.5em 0.75em;
    border: 0;
    border-radius: var(--_radius);
    background: none;
    text-align: left;
  }
  .toggle:hover { background: var(--_row-hover); }
  .toggle::before {
    grid-area: chevron;
    content: '▸';
    color: var(--_muted);
    transition: transform 120ms;
  }
  .toggle[aria-expanded='true']::before { transform: rotate(90deg); }
  .verdict { grid-area: badge; font-weight: 700; padding: 0 0.45em; border-radius: 4px; color: var(--_on-badge); background: var(--_fail); }
  .verdict.pass { background: var(--_pass); }
  .sentence { grid-area: sentence; min-width: 0; overflow-wrap: anywhere; }
  .where { grid-area: where; color: var(--_muted); font-size: 0.9em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 18em; }
  @container (max-width: 36em) {
    /* a phone: badge and file on the first line, the sentence under them */
    .toggle { grid-template-columns: auto auto minmax(0, 1fr); grid-template-areas: 'chevron badge where' '. sentence sentence'; }
    .where { max-width: none; }
  }

  .details { padding: 0.1em 0.9em 0.7em; border-top: 1px solid var(--_rule); min-width: 0; }
  dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.15em 0.8em; margin: 0.5em 0; }
  dt { color: var(--_muted); }
  dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
  .causes, .notes { margin: 0.3em 0; padding-left: 1.2em; }
  .notes { color: var(--_muted); }
  .details h3 { margin: 0.7em 0 0.25em; font-size: 0.95em; }
  /* ids and codes never break mid-word: one line, an ellipsis when narrow, the whole value in the title and the clipboard */
  .id { display: inline-block; max-width: 100%; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; vertical-align: bottom; }
  .code { font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace; font-size: 0.92em; }
  .detail { color: var(--_muted); overflow-wrap: anywhere; }
  table { border-collapse: collapse; width: 100%; table-layout: fixed; font-size: 0.92em; }
  th, td { text-align: left; padding: 0.25em 0.5em; border-bottom: 1px solid var(--_rule); vertical-align: top; overflow: hidden; }
  th[scope='row'] { width: 10.5em; color: var(--_muted); font-weight: 600; }
  thead th { font-weight: 600; }
  thead td { width: 10.5em; }
  @container (max-width: 30em) { th[scope='row'], thead td { width: 6.5em; } }
  .result { font-weight: 600; }
  .result.pass { color: var(--_pass); }
  .result.bad { color: var(--_fail); }
  .result.neutral { color: var(--_muted); }
  .error { color: var(--_fail); overflow-wrap: anywhere; }
  .none { color: var(--_muted); margin: 0; }
  .key-errors li, .key-notes li, .run span { overflow-wrap: anywhere; min-width: 0; }

  .print-report { display: none; }
  @media print {
    :host { color: #000; background: #fff; font-size: 10pt; }
    .screen { display: none; }
    .print-report { display: block; }
    .print-report h2 { font-size: 14pt; margin: 0 0 4pt; }
    .print-report h3 { font-size: 10.5pt; margin: 8pt 0 2pt; }
    .print-report header { border-bottom: 2px solid #000; padding-bottom: 6pt; margin-bottom: 6pt; }
    .print-report ul { margin: 2pt 0; padding-left: 14pt; }
    .print-report p { margin: 2pt 0; }
    .print-keys li, .print-fields { overflow-wrap: anywhere; }
    .print-fields { color: #333; }
    .print-id { white-space: nowrap; }
    .print-message { break-inside: avoid; border-bottom: 1px solid #999; padding: 4pt 0; }
    .print-verdict { font-weight: 700; border: 1px solid #000; padding: 0 3pt; }
  }
  /* no fades or turns for those who ask for less motion (nor colours caught mid-fade) */
  @media (prefers-reduced-motion: reduce) {
    .dropzone, .toggle::before { transition: none; }
  }
`;
