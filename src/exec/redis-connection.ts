/** Redis URL and queue name checks, and a fail-fast readiness wait shared by the queue's two sides. */
import { QuantError } from '../errors.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_QUEUE_NAME = 'quant-sleeves';
/** How long a coordinator or worker waits for Redis before giving up with E_QUEUE. */
const CONNECT_TIMEOUT_MS = 5000;

// BullMQ builds its Redis keys as `<prefix>:<queue>:...`: a ':' in a name would break them.
const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** The URL without its password, for messages. */
export function displayRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Throw E_USAGE unless `url` is a `redis://` or `rediss://` URL. */
export function assertRedisUrl(url: string): void {
  let protocol = '';
  try {
    protocol = new URL(url).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:') {
    throw new QuantError('E_USAGE', `invalid Redis URL ${JSON.stringify(url)}`, {
      hint: `use redis://host:port (default ${DEFAULT_REDIS_URL}), e.g. --redis redis://127.0.0.1:6379`,
    });
  }
}

/** Throw E_USAGE unless `name` is a usable queue name. */
export function assertQueueName(name: string): void {
  if (!QUEUE_NAME.test(name)) {
    throw new QuantError('E_USAGE', `invalid queue name ${JSON.stringify(name)}`, {
      hint: 'a queue name is 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit',
    });
  }
}

/** BullMQ connection options for `url` (ioredis must not give up on commands: BullMQ requires it). */
export function connectionFor(url: string): { url: string; maxRetriesPerRequest: null } {
  assertRedisUrl(url);
  return { url, maxRetriesPerRequest: null };
}

/** Something with BullMQ's `waitUntilReady` and `on('error')`. */
interface Connectable {
  waitUntilReady(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Wait until `client` is connected, or fail with E_QUEUE naming the URL and the last connection error
 * (ioredis retries forever on its own; a coordinator or worker should not hang on a wrong URL).
 */
export async function waitForRedis(
  client: Connectable,
  url: string,
  timeoutMs: number = CONNECT_TIMEOUT_MS,
): Promise<void> {
  let lastError = '';
  client.on('error', (error) => (lastError = error.message));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new QuantError(
            'E_QUEUE',
            `cannot reach Redis at ${displayRedisUrl(url)} within ${timeoutMs / 1000} s${lastError === '' ? '' : ` (${lastError})`}`,
            { hint: 'start redis-server, or pass --redis redis://host:port (or set QUANT_REDIS_URL)' },
          ),
        ),
      timeoutMs,
    );
  });
  try {
    await Promise.race([client.waitUntilReady(), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
