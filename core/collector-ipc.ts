import { z } from 'zod';
import type { RegistrySnapshot } from './registry.ts';

/**
 * The messages between the store process and its collector processes (`vigil start --collectors N`,
 * bin/collectors.ts), over node:cluster's channel. Both ends parse what they receive.
 */
const Site = z.object({ siteId: z.string(), domain: z.string(), timezone: z.string(), honorDnt: z.boolean(), createdAt: z.string() }).passthrough();
const Product = z.object({ productId: z.string(), name: z.string(), createdAt: z.string() }).passthrough();
const Key = z.object({ hash: z.string(), key: z.object({ keyId: z.string(), productId: z.string(), prefix: z.string(), createdAt: z.string() }) });
const Snapshot = z.object({ sites: z.array(Site), products: z.array(Product), keys: z.array(Key) });

export const ToCollector = z.discriminatedUnion('type', [
  /** The store process's configuration (core/config.ts Config), its port, host and Redis made the collectors'. */
  z.object({ type: z.literal('vigil:config'), config: z.record(z.string(), z.unknown()) }),
  /** The registry, at start and after every reload. */
  z.object({ type: z.literal('vigil:registry'), snapshot: Snapshot }),
  /** Stop accepting, finish the requests in flight, exit. */
  z.object({ type: z.literal('vigil:stop') }),
]);
export const FromCollector = z.discriminatedUnion('type', [
  /** Started: send the configuration and the registry. */
  z.object({ type: z.literal('vigil:hello') }),
  /** A lookup missed: send a fresh registry. */
  z.object({ type: z.literal('vigil:registry-wanted') }),
  /** Serving on this port. */
  z.object({ type: z.literal('vigil:listening'), port: z.number().int() }),
]);
export type ToCollector = z.infer<typeof ToCollector>;
export type FromCollector = z.infer<typeof FromCollector>;

export const registryMessage = (snapshot: RegistrySnapshot): ToCollector => ({ type: 'vigil:registry', snapshot: snapshot as z.infer<typeof Snapshot> });
export const asSnapshot = (m: Extract<ToCollector, { type: 'vigil:registry' }>): RegistrySnapshot => m.snapshot as unknown as RegistrySnapshot;
