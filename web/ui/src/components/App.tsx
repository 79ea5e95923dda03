import { useEffect } from "preact/hooks";
import { useSignal } from "@preact/signals";
import { route, navigate } from "../router";
import { keyAction, isTyping, step } from "../keys";
import { tasks, shownOrder, needsUser, streamState } from "../tasks";
import { notes, seenSeq } from "../notifications";
import { signedIn } from "../api";
import { healthProblem } from "../health";
import { TaskList } from "./TaskList";
import { NewTask } from "./NewTask";
import { TaskPage } from "./TaskPage";
import { Inspector } from "./Inspector";
import { NotificationsPage, Toasts } from "./Notifications";
import { Help } from "./Help";

export function App() {
  const help = useSignal(false);
  const r = route.value;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      // Every key in the terminal is the agent's, Esc included (dialogs need it).
      if ((e.target as HTMLElement | null)?.closest?.(".xterm")) return;
      const action = keyAction({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, typing: isTyping(e.target) });
      if (!action) return;
      const current = route.value;
      const ids = shownOrder([...tasks.value.values()]);
      const open = (id: string | null) => id && navigate({ page: "task", id, tab: current.page === "task" ? current.tab : "transcript" });
      switch (action) {
        case "escape":
          if (help.value) help.value = false;
          else (document.activeElement as HTMLElement | null)?.blur?.();
          return;
        case "new":
          navigate({ page: "new" });
          break;
        case "next":
        case "prev":
          open(step(ids, current.page === "task" ? current.id : null, action === "next" ? 1 : -1));
          break;
        case "open-first-waiting":
          open(ids.find((id) => needsUser(tasks.value.get(id)!.task.status)) ?? null);
          break;
        case "inspector":
          navigate({ page: "inspector" });
          break;
        case "home":
          navigate({ page: "home" });
          break;
        case "notifications":
          navigate({ page: "notifications" });
          break;
        case "help":
          help.value = !help.value;
          break;
        case "reply":
          document.querySelector<HTMLTextAreaElement>("#message")?.focus();
          break;
        case "transcript":
        case "diff":
        case "terminal":
          if (current.page === "task") navigate({ ...current, tab: action }, true);
          break;
        case "task-notifications":
          if (current.page === "task") navigate({ ...current, tab: "notifications" }, true);
          break;
      }
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const waiting = [...tasks.value.values()].filter((t) => needsUser(t.task.status)).length;
  useEffect(() => {
    document.title = waiting ? `(${waiting}) plinth` : "plinth";
  }, [waiting]);
  const unread = notes.value.filter((n) => n.seq > seenSeq.value).length;

  return (
    <div class={`app ${r.page === "task" ? "on-task" : ""}`}>
      <header class="top">
        <a class="brand" href="/" onClick={(e) => (e.preventDefault(), navigate({ page: "home" }))}>
          plinth
        </a>
        <nav>
          <a href="/new" class={r.page === "new" ? "active" : ""} onClick={(e) => (e.preventDefault(), navigate({ page: "new" }))}>
            New task <kbd>n</kbd>
          </a>
          <a href="/inspector" class={r.page === "inspector" ? "active" : ""} onClick={(e) => (e.preventDefault(), navigate({ page: "inspector" }))}>
            Inspector <kbd>i</kbd>
          </a>
          <a
            href="/notifications"
            class={r.page === "notifications" ? "active" : ""}
            onClick={(e) => (e.preventDefault(), navigate({ page: "notifications" }))}
            aria-label={`Notifications, ${unread} new`}
          >
            Notifications {unread > 0 && <span class="count" data-testid="unread">{unread}</span>}
          </a>
          <button class="link" onClick={() => (help.value = true)} aria-label="Keyboard shortcuts">
            <kbd>?</kbd>
          </button>
        </nav>
        <span class={`conn ${streamState.value}`} data-testid="connection" title="the event stream">
          {streamState.value === "live" ? "live" : streamState.value === "connecting" ? "connecting…" : "reconnecting…"}
        </span>
      </header>
      {!signedIn.value && (
        <p class="banner error" role="alert">
          Signed out: the server no longer accepts this page's session. Open the URL `plinth` printed.
        </p>
      )}
      {signedIn.value && healthProblem.value && (
        <p class="banner error" role="alert" data-testid="health-problem">
          {healthProblem.value}
        </p>
      )}
      <aside class="sidebar">
        <TaskList />
      </aside>
      <main class="content">
        {r.page === "home" && <Home />}
        {r.page === "new" && <NewTask />}
        {r.page === "task" && <TaskPage key={r.id} id={r.id} tab={r.tab} />}
        {r.page === "inspector" && <Inspector />}
        {r.page === "notifications" && <NotificationsPage />}
      </main>
      <Toasts />
      {help.value && <Help onClose={() => (help.value = false)} />}
    </div>
  );
}

function Home() {
  const count = tasks.value.size;
  return (
    <section class="home">
      <h1>Tasks</h1>
      <p>
        {count === 0 ? "No tasks yet." : `${count} task${count === 1 ? "" : "s"}.`} Press <kbd>n</kbd> for a new one,{" "}
        <kbd>j</kbd>/<kbd>k</kbd> to move between tasks, <kbd>?</kbd> for every key.
      </p>
      <NewTask compact />
    </section>
  );
}
