/**
 * Structured JSON logging to stdout (CloudWatch picks it up). Callers pass explicit fields; nothing
 * here ever receives a request body, so a password, hash or token cannot reach the logs by accident.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, string | number | boolean | undefined>;

function threshold(): number {
  const level = process.env.LOG_LEVEL as Level | 'silent' | undefined;
  return order[level ?? 'info'] ?? order.info;
}

function write(level: Level, message: string, fields?: LogFields): void {
  if (order[level] < threshold()) return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields });
  if (level === 'error' || level === 'warn') console.error(line);
  else console.log(line);
}

/** Fields that describe an error without its stack or any payload. */
export function errorFields(error: unknown): LogFields {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      errorName: error.name,
      errorMessage: error.message,
      errorCode: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    };
  }
  return { errorName: typeof error };
}

export const log = {
  debug: (message: string, fields?: LogFields) => write('debug', message, fields),
  info: (message: string, fields?: LogFields) => write('info', message, fields),
  warn: (message: string, fields?: LogFields) => write('warn', message, fields),
  error: (message: string, fields?: LogFields) => write('error', message, fields),
};
