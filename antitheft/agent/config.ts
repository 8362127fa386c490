import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * Optional settings in <state dir>/config.json, for computers where the defaults do not find the hardware:
 * a location command (prints JSON {lat, lon, accuracy} or GeoClue's where-am-i text), a camera command (prints a
 * JPEG), a video device, and the size of the offline queue.
 */
export const AgentConfig = z.object({
  locationCommand: z.array(z.string()).min(1).optional(),
  cameraCommand: z.array(z.string()).min(1).optional(),
  cameraDevice: z.string().optional(),
  /** Where traceroute traces to; the server's host by default. */
  tracerouteTarget: z.string().optional(),
  queueMaxBytes: z.number().int().positive().default(200 * 1024 * 1024),
  queueMaxCount: z.number().int().positive().default(5000),
}).strict();
export type AgentConfig = z.infer<typeof AgentConfig>;

export function loadAgentConfig(stateDir: string): AgentConfig {
  const file = join(stateDir, 'config.json');
  if (!existsSync(file)) return AgentConfig.parse({});
  const parsed = AgentConfig.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
  }
  return parsed.data;
}
