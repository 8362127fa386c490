import { existsSync, readdirSync } from 'node:fs';
import { runCommand, thisHost, type Host } from './run-command.ts';

export type Snapshot = { status: 'ok'; type: 'image/jpeg'; bytes: Buffer } | { status: 'no-camera' | 'too-large' | 'failed'; error: string };

export const MAX_SNAPSHOT = 2 * 1024 * 1024;
const isJpeg = (b: Buffer) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
// launchd's PATH has neither Homebrew prefix, hence the absolute paths.
const FFMPEG = ['ffmpeg', '/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg', '/opt/homebrew/bin/ffmpeg'];
const OUT = ['-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', '-'];

/** /dev/video0, /dev/video1 ... in numeric order (video10 after video2). */
export function videoDevices(dir = '/dev'): string[] {
  try {
    return readdirSync(dir).map((f) => /^video(\d+)$/.exec(f)).filter((m) => m !== null)
      .sort((a, b) => Number(a[1]) - Number(b[1])).map((m) => `${dir}/${m[0]}`);
  } catch {
    return [];
  }
}

/** The ffmpeg command for this computer's camera, or what is missing. */
function cameraCommand(cfg: { device?: string }, host: Host): string[] | string {
  const ffmpeg = host.find(FFMPEG);
  if (host.platform === 'linux') {
    const dev = cfg.device ?? videoDevices()[0];
    const noDevice = !dev ? 'there is no camera (no /dev/video* device)' : !existsSync(dev) ? `the camera device ${dev} does not exist` : null;
    if (!ffmpeg || noDevice) return [!ffmpeg && 'ffmpeg is not installed (it takes the snapshot)', noDevice].filter(Boolean).join(' and ');
    return [ffmpeg, '-hide_banner', '-loglevel', 'error', '-f', 'v4l2', '-i', dev!, ...OUT];
  }
  if (host.platform === 'darwin') {
    if (!ffmpeg) return 'ffmpeg is not installed (it takes the snapshot; brew install ffmpeg)';
    return [ffmpeg, '-hide_banner', '-loglevel', 'error', '-f', 'avfoundation', '-framerate', '30', '-i', cfg.device ?? '0', ...OUT];
  }
  return `no camera support on ${host.platform}: set cameraCommand in config.json`;
}

/** One frame from the camera as JPEG: a configured command, or ffmpeg from v4l2 (Linux) / avfoundation (macOS). */
export async function captureSnapshot(cfg: { command?: string[]; device?: string; maxBytes?: number; timeoutMs?: number }, host: Host = thisHost): Promise<Snapshot> {
  const maxBytes = cfg.maxBytes ?? MAX_SNAPSHOT;
  const argv = cfg.command ?? cameraCommand(cfg, host);
  if (typeof argv === 'string') return { status: 'no-camera', error: argv };
  const r = await runCommand(argv, { timeoutMs: cfg.timeoutMs ?? 30_000, maxBytes });
  if (r.error === `output larger than ${maxBytes} bytes`) return { status: 'too-large', error: `the snapshot is larger than ${maxBytes} bytes` };
  if (!r.ok) return { status: 'failed', error: (r.error ?? 'the camera command failed').slice(0, 500) };
  if (!isJpeg(r.stdout)) return { status: 'failed', error: `${argv[0]} did not print a JPEG image` };
  return { status: 'ok', type: 'image/jpeg', bytes: r.stdout };
}
