// The unit tests run in Node, without a DOM: the few browser globals the modules read
// when they load, as a fresh page at / would have them.
const g = globalThis as any;
g.location ??= { pathname: "/", href: "http://127.0.0.1:1/", protocol: "http:", host: "127.0.0.1:1" };
g.window ??= { addEventListener: () => {}, removeEventListener: () => {} };
g.history ??= { pushState: () => {}, replaceState: () => {}, state: null };
const store = new Map<string, string>();
g.localStorage ??= {
  getItem: (k: string) => store.get(k) ?? null,
  setItem: (k: string, v: string) => void store.set(k, v),
};
