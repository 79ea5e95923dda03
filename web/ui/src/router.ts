// The page's own routes, in the path (the server answers any non-API path with the page).
import { signal } from "@preact/signals";

export type Route =
  | { page: "home" }
  | { page: "new" }
  | { page: "task"; id: string; tab: TaskTab }
  | { page: "inspector" }
  | { page: "notifications" };

export type TaskTab = "transcript" | "diff" | "terminal" | "notifications";
const TABS: TaskTab[] = ["transcript", "diff", "terminal", "notifications"];

export function parseRoute(path: string): Route {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "tasks" && parts[1]) {
    const tab = TABS.includes(parts[2] as TaskTab) ? (parts[2] as TaskTab) : "transcript";
    return { page: "task", id: parts[1], tab };
  }
  if (parts[0] === "new") return { page: "new" };
  if (parts[0] === "inspector") return { page: "inspector" };
  if (parts[0] === "notifications") return { page: "notifications" };
  return { page: "home" };
}

export function routePath(route: Route): string {
  switch (route.page) {
    case "task":
      return `/tasks/${encodeURIComponent(route.id)}${route.tab === "transcript" ? "" : `/${route.tab}`}`;
    case "home":
      return "/";
    default:
      return `/${route.page}`;
  }
}

export const route = signal<Route>(parseRoute(location.pathname));

export function navigate(next: Route, replace = false): void {
  const path = routePath(next);
  if (path !== location.pathname) {
    if (replace) history.replaceState(null, "", path);
    else history.pushState(null, "", path);
  }
  route.value = next;
}

window.addEventListener("popstate", () => (route.value = parseRoute(location.pathname)));
