// Development only: when dropship runs from TypeScript sources (tests, `node --import tsx`),
// worker threads do not inherit tsx's loader, so this bootstrap registers it first.
import { register } from 'tsx/esm/api';

register();
await import(new URL('./worker.ts', import.meta.url).href);
