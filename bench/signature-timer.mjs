/**
 * A crypto platform that is node:crypto with its signature verification timed: the benches'
 * "share of time in signature maths", the floor no verifier gets under.
 */
import { nodeCryptoPlatform } from '../packages/core/dist/node/index.js';

export function signatureTimer() {
  let ms = 0;
  const verify = (...args) => {
    const t = performance.now();
    try {
      return nodeCryptoPlatform.verify(...args);
    } finally {
      ms += performance.now() - t;
    }
  };
  return { platform: { ...nodeCryptoPlatform, name: 'timed', verify }, reset: () => void (ms = 0), ms: () => ms };
}
