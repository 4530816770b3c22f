/**
 * `<mm-verifier>` styles. Theming goes through `--mm-*` custom properties (listed on the element's
 * JSDoc) and `::part()` names; colours are never the only carrier of a verdict (text says it too).
 */
import { css } from 'lit';

export const verifierStyles = css`
  :host {
    display: block;
    font: var(--mm-font, 14px/1.45 system-ui, sans-serif);
    color: var(--mm-fg, #1b1f24);
    background: var(--mm-bg, transparent);
  }
  :host([hidden]) { display: none; }
  .dropzone {
    display: grid;
    gap: 0.5em;
    padding: 1.25em;
    border: 2px dashed var(--mm-border, #8a94a0);
    border-radius: var(--mm-radius, 8px);
    background: var(--mm-drop-bg, #f6f8fa);
  }
  .dropzone.over { border-color: var(--mm-accent, #0b5cad); background: var(--mm-drop-over-bg, #e8f1fb); }
  .dropzone:focus-within { outline: 3px solid var(--mm-accent, #0b5cad); outline-offset: 2px; }
  label { font-weight: 600; }
  .hint { color: var(--mm-muted, #57606a); font-size: 0.9em; margin: 0; }
  .keys { margin-top: 0.75em; display: grid; gap: 0.35em; }
  .key-errors { color: var(--mm-fail, #b42318); margin: 0; padding-left: 1.2em; }
  .key-notes { color: var(--mm-muted, #57606a); margin: 0; padding-left: 1.2em; font-size: 0.9em; }
  .run { display: flex; align-items: center; gap: 0.75em; margin-top: 0.75em; flex-wrap: wrap; }
  progress { flex: 1 1 12em; }
  button {
    font: inherit;
    padding: 0.3em 0.9em;
    border-radius: var(--mm-radius, 8px);
    border: 1px solid var(--mm-border, #8a94a0);
    background: var(--mm-button-bg, #fff);
    color: inherit;
    cursor: pointer;
  }
  button:focus-visible { outline: 3px solid var(--mm-accent, #0b5cad); outline-offset: 1px; }
  .summary { margin: 0.75em 0 0.25em; font-weight: 600; }
  .sr-only {
    position: absolute; width: 1px; height: 1px; overflow: hidden;
    clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap;
  }
  ol.results { list-style: none; padding: 0; margin: 0.5em 0; display: grid; gap: 0.75em; }
  .message {
    border: 1px solid var(--mm-border, #8a94a0);
    border-left: 6px solid var(--mm-fail, #b42318);
    border-radius: var(--mm-radius, 8px);
    padding: 0.6em 0.9em;
  }
  td, dd { overflow-wrap: anywhere; }
  td.long { overflow-wrap: anywhere; min-width: 9em; }
  td.time { white-space: nowrap; }
  .message.pass { border-left-color: var(--mm-pass, #1a7f37); }
  .message h2 { margin: 0 0 0.3em; font-size: 1em; display: flex; gap: 0.6em; flex-wrap: wrap; align-items: baseline; }
  /* File names and addresses often have no spaces: break them anywhere rather than overflow the page. */
  .message h2 > span:not(.verdict), dd, .error, .key-errors li, .key-notes li, .run span { overflow-wrap: anywhere; min-width: 0; }
  .message { min-width: 0; overflow-wrap: anywhere; }
  .verdict { font-weight: 700; padding: 0 0.4em; border-radius: 4px; color: #fff; background: var(--mm-fail, #b42318); }
  .verdict.pass { background: var(--mm-pass, #1a7f37); }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 0.8em; margin: 0.3em 0; }
  dt { color: var(--mm-muted, #57606a); }
  dd { margin: 0; }
  .message h3 { margin: 0.6em 0 0.2em; font-size: 0.95em; }
  table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
  th, td { text-align: left; padding: 0.2em 0.5em; border-bottom: 1px solid var(--mm-rule, #d0d7de); vertical-align: top; }
  td.pass { color: var(--mm-pass, #1a7f37); font-weight: 600; }
  td.bad { color: var(--mm-fail, #b42318); font-weight: 600; }
  .error { color: var(--mm-fail, #b42318); }
  .none { color: var(--mm-muted, #57606a); margin: 0; }
`;
