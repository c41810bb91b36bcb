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

/** A database index as a URL may give it: a whole number, without sign, point or exponent. */
const DATABASE = /^\d{1,9}$/;

/**
 * Throw E_USAGE unless `url` is a `redis://` or `rediss://` URL whose database, if it names one (the
 * path `/N`, or `?db=N`), is a whole number ≥ 0. ioredis would pass `/abc` on as `SELECT NaN`, and
 * `/1.5` as database 1.
 */
export function assertRedisUrl(url: string): void {
  redisDatabase(url);
}

/** The database `url` selects (0 when it names none); E_USAGE for a URL {@link assertRedisUrl} refuses. */
function redisDatabase(url: string): number {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:')) {
    throw new QuantError('E_USAGE', `invalid Redis URL ${JSON.stringify(displayRedisUrl(url))}`, {
      hint: `use redis://host:port (default ${DEFAULT_REDIS_URL}), e.g. --redis redis://127.0.0.1:6379`,
    });
  }
  const path = parsed.pathname === '/' || parsed.pathname === '' ? undefined : parsed.pathname.slice(1);
  const query = parsed.searchParams.get('db') ?? undefined;
  for (const [given, where] of [
    [path, 'path'],
    [query, '?db='],
  ] as const) {
    if (given !== undefined && !DATABASE.test(given)) {
      throw new QuantError(
        'E_USAGE',
        `invalid Redis URL ${JSON.stringify(displayRedisUrl(url))}: its database (${where} ${JSON.stringify(given.slice(0, 40))}) is not a whole number ≥ 0`,
        {
          hint: 'name the database as redis://host:port/N with N = 0, 1, 2, … (or leave it out: database 0)',
        },
      );
    }
  }
  return Number(path ?? query ?? '0');
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

/** Something with BullMQ's `waitUntilReady`, `getBackend().client` and `on('error')`. */
interface Connectable {
  waitUntilReady(): Promise<unknown>;
  getBackend(): { readonly client: Promise<object> };
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Select the URL's database once more and wait for the answer: ioredis selects it when it connects, but
 * a refusal (`ERR DB index is out of range`) is only an 'error' event and the connection then serves
 * database 0 — another database's queue. E_QUEUE instead.
 */
async function assertDatabase(client: Connectable, url: string): Promise<void> {
  const db = redisDatabase(url);
  if (db === 0) return;
  // The backend's client is ioredis, which has `select` (BullMQ's own type lists only what it uses).
  const reason = await client
    .getBackend()
    .client.then((c) => (c as { select(db: number): Promise<unknown> }).select(db))
    .then(
      () => undefined,
      (error: Error) => error.message,
    );
  if (reason !== undefined) {
    throw new QuantError('E_QUEUE', `Redis at ${displayRedisUrl(url)} refuses database ${db} (${reason})`, {
      hint: 'use a database the server has (redis.conf `databases`, 16 by default: 0 to 15)',
    });
  }
}

/** Redis's answers to a connection without the right credentials (requirepass, ACL users). */
const AUTH_REFUSED =
  /^(NOAUTH|WRONGPASS)\b|invalid password|invalid username-password|AUTH <password> called without any password/i;

function authRefused(url: string, reason: string): QuantError {
  return new QuantError('E_QUEUE', `Redis at ${displayRedisUrl(url)} refuses the connection: ${reason}`, {
    hint: 'put the password in the URL: redis://:password@host:port (or redis://user:password@host:port for an ACL user), preferably in QUANT_REDIS_URL',
  });
}

/**
 * Wait until `client` is connected, or fail with E_QUEUE naming the URL and the last connection error
 * (ioredis retries forever on its own; a coordinator or worker should not hang on a wrong URL); a wrong or
 * missing password fails at once.
 */
export async function waitForRedis(
  client: Connectable,
  url: string,
  timeoutMs: number = CONNECT_TIMEOUT_MS,
): Promise<void> {
  let lastError = '';
  let refuse: (error: QuantError) => void = () => undefined;
  client.on('error', (error) => {
    lastError = error.message;
    // A wrong or missing password is definitive: retrying until the timeout cannot help.
    if (AUTH_REFUSED.test(error.message)) refuse(authRefused(url, error.message));
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    refuse = reject;
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
    await Promise.race([client.waitUntilReady().then(() => assertDatabase(client, url)), timeout]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
