#!/usr/bin/env node
// The `vigil` command (npm start, npx vigil ...): runs the TypeScript sources through tsx, no build step.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
