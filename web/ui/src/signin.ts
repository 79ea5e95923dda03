// Sign-in: `plinth` prints a URL with the token once. The server trades it for the
// session cookie and redirects to the same URL without it; when that did not happen (a
// wrong or stale token, or the token in the fragment) the page tries itself, and either
// way drops the token from the address bar and the history.
import { ApiError, api } from "./api";

/** The token in `href` (query `token=` or fragment `#token=`), and the URL without it. */
export function takeToken(href: string): { token: string | null; clean: string } {
  const url = new URL(href);
  let token = url.searchParams.get("token");
  if (token !== null) url.searchParams.delete("token");
  const hash = new URLSearchParams(url.hash.replace(/^#/, ""));
  if (token === null && hash.has("token")) {
    token = hash.get("token");
    hash.delete("token");
    const rest = hash.toString();
    url.hash = rest ? `#${rest}` : "";
  }
  return { token, clean: url.pathname + url.search + url.hash };
}

export type SignIn = { ok: true } | { ok: false; error: string };

export async function signIn(): Promise<SignIn> {
  const { token, clean } = takeToken(location.href);
  if (token !== null) {
    history.replaceState(history.state, "", clean);
    try {
      await api("POST", "/api/session", {}, { authorization: `Bearer ${token}` });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        return {
          ok: false,
          error:
            "The sign-in link's token is not valid: the server may have been restarted with a new one. Open the URL `plinth` printed last.",
        };
      }
      return { ok: false, error: (err as Error).message };
    }
  }
  try {
    await api("GET", "/api/health");
    return { ok: true };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      return {
        ok: false,
        error:
          "Not signed in. Open the URL `plinth` printed (it carries the token once), or run `plinth` again to print it.",
      };
    }
    return { ok: false, error: (err as Error).message };
  }
}
