/** Vite's `?raw` import (used only by the standalone page build to inline the worker bundle). */
declare module '*?raw' {
  const text: string;
  export default text;
}
