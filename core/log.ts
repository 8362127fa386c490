import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** One logger for every role. Redaction is a backstop: nothing should log an IP or a secret in the first place. */
export function createLogger(level: string, name = 'vigil', destination?: DestinationStream): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: ['ip', '*.ip', 'req.ip', 'cookie', '*.cookie', 'headers.cookie', 'authorization', '*.authorization',
        'headers.authorization', 'headers["x-forwarded-for"]', 'headers["x-real-ip"]', 'email', '*.email', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
