// Every call to plinth's API goes through here, so an error always carries the server's
// own message and hint, and a lost session is noticed in one place.
import { signal } from "@preact/signals";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
  /** The message and its hint, as shown to the user. */
  get full(): string {
    return this.hint ? `${this.message} — ${this.hint}` : this.message;
  }
}

/** False once the server said we are not signed in (the cookie is gone or stale). */
export const signedIn = signal(true);

export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach plinth (${(err as Error).message})`, "is `plinth serve` still running?");
  }
  const text = await res.text();
  if (!res.ok) {
    if (res.status === 401) signedIn.value = false;
    let message = `${method} ${path}: ${res.status} ${res.statusText}`;
    let hint: string | undefined;
    try {
      const json = JSON.parse(text);
      if (json.error) message = json.error;
      hint = json.hint;
    } catch {
      /* not JSON: keep the status line */
    }
    throw new ApiError(res.status, message, hint);
  }
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string) => api<T>("GET", path);
export const post = <T>(path: string, body?: unknown) => api<T>("POST", path, body ?? {});

/** The message of anything thrown, for the place where it happened. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) return err.full;
  if (err instanceof Error) return err.message;
  return String(err);
}
