import { readdirSync } from 'node:fs';
import { platform } from 'node:os';
import { findProgram, runCommand } from './run-command.ts';

export type Snapshot = { status: 'ok'; type: 'image/jpeg'; bytes: Buffer } | { status: 'no-camera' | 'too-large' | 'failed'; error: string };

export const MAX_SNAPSHOT = 2 * 1024 * 1024;
const isJpeg = (b: Buffer) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** One frame from the camera as JPEG: a configured command, or ffmpeg from v4l2 (Linux) / avfoundation (macOS). */
export async function captureSnapshot(cfg: { command?: string[]; device?: string; maxBytes?: number; timeoutMs?: number }): Promise<Snapshot> {
  const maxBytes = cfg.maxBytes ?? MAX_SNAPSHOT;
  let argv = cfg.command;
  if (!argv) {
    const ffmpeg = findProgram(['ffmpeg', '/usr/bin/ffmpeg', '/usr/local/bin/ffmpeg', '/opt/homebrew/bin/ffmpeg']);
    if (!ffmpeg) return { status: 'no-camera', error: 'ffmpeg is not installed (it takes the camera snapshot)' };
    const out = ['-frames:v', '1', '-f', 'image2', '-vcodec', 'mjpeg', '-'];
    if (platform() === 'linux') {
      let dev = cfg.device;
      if (!dev) {
        try { dev = readdirSync('/dev').filter((f) => /^video\d+$/.test(f)).sort().map((f) => `/dev/${f}`)[0]; } catch { /* no /dev */ }
      }
      if (!dev) return { status: 'no-camera', error: 'no camera found (no /dev/video* device)' };
      argv = [ffmpeg, '-hide_banner', '-loglevel', 'error', '-f', 'v4l2', '-i', dev, ...out];
    } else if (platform() === 'darwin') {
      argv = [ffmpeg, '-hide_banner', '-loglevel', 'error', '-f', 'avfoundation', '-framerate', '30', '-i', cfg.device ?? '0', ...out];
    } else {
      return { status: 'no-camera', error: `no camera support on ${platform()}: set cameraCommand in config.json` };
    }
  }
  const r = await runCommand(argv, { timeoutMs: cfg.timeoutMs ?? 30_000, maxBytes });
  if (r.error && /larger than/.test(r.error)) return { status: 'too-large', error: `the snapshot is larger than ${maxBytes} bytes` };
  if (!r.ok) return { status: 'failed', error: (r.error ?? 'the camera command failed').slice(0, 500) };
  if (!isJpeg(r.stdout)) return { status: 'failed', error: 'the camera command did not print a JPEG image' };
  return { status: 'ok', type: 'image/jpeg', bytes: r.stdout };
}
