/**
 * The standalone auditor page (dist/verifier.html): defines the element. The build swaps in the
 * inlined worker, so the one file carries the JavaScript, the worker and the WebAssembly module.
 */
import './define.js';
