import { hostname, platform } from 'node:os';
import type { ContentInput, SnapshotInput } from '../../core/antitheft/report.ts';
import type { Mode } from '../../core/antitheft/schemas.ts';
import { captureSnapshot } from './capture/camera.ts';
import { captureInterfaces } from './capture/interfaces.ts';
import { capturePosition } from './capture/location.ts';
import { captureTraceroute } from './capture/traceroute.ts';
import type { AgentConfig } from './config.ts';
import { AGENT_VERSION } from './version.ts';

export interface Capture { content: ContentInput; snapshot?: SnapshotInput }

/**
 * What one report holds: always the local interfaces and the OS position fix (when a location service answers);
 * in stolen mode also a traceroute to the server and a camera snapshot. Each part that fails says why instead of
 * failing the report. The capture stays in memory until Reporter seals it.
 */
export async function captureReport(mode: Mode, cfg: AgentConfig, serverHost: string, now = Date.now()): Promise<Capture> {
  const [position, traceroute, snapshot] = await Promise.all([
    capturePosition({ command: cfg.locationCommand, timeoutMs: 30_000 }),
    mode === 'stolen' ? captureTraceroute(cfg.tracerouteTarget ?? serverHost, { maxHops: 30, timeoutMs: 60_000 }) : Promise.resolve(undefined),
    mode === 'stolen' ? captureSnapshot({ command: cfg.cameraCommand, device: cfg.cameraDevice, timeoutMs: 30_000 }) : Promise.resolve(undefined),
  ]);
  const content: ContentInput = {
    capturedAt: now, hostname: hostname().slice(0, 255), platform: platform(), agentVersion: AGENT_VERSION,
    interfaces: captureInterfaces(), position: position.position,
    ...(position.error ? { positionError: position.error.slice(0, 500) } : {}),
    ...(traceroute ? { traceroute } : {}),
  };
  const snap: SnapshotInput | undefined = snapshot && (snapshot.status === 'ok'
    ? { status: 'ok', bytes: new Uint8Array(snapshot.bytes) }
    : { status: snapshot.status, error: snapshot.error.slice(0, 500) });
  return { content, ...(snap ? { snapshot: snap } : {}) };
}
