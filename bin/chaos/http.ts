/**
 * HTTP calls to the local API. A call never throws: a connection refused or reset (the process was
 * killed), or no answer within the time limit, is status 0.
 */

export interface Answer {
  /** The HTTP status; 0 when there was no answer. */
  readonly status: number;
  /** The parsed JSON body (read field by field), or the text when it is not JSON. */
  readonly body: any;
}

const TIMEOUT_MS = 20_000;

export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<Answer> {
  try {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, body };
  } catch {
    return { status: 0, body: undefined };
  }
}

/** True for a 2xx answer: what the API says it did, it did. */
export const acknowledged = (answer: Answer): boolean => answer.status >= 200 && answer.status < 300;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
