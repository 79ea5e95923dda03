import { render } from "preact";
import "./style.css";
import { App } from "./components/App";
import { signIn } from "./signin";
import { startTasks, onEvent } from "./tasks";
import { loadNotes, receive, registerWorker } from "./notifications";
import { navigate } from "./router";
import { startClock } from "./time";
import { watchHealth } from "./health";
import { dropStreams } from "./events";
import { shownTranscript } from "./components/Transcript";

// A small handle for tests and for looking at the page from the console.
(window as any).plinth = {
  transcript: () => shownTranscript?.entries ?? [],
  dropStreams,
};

async function boot(): Promise<void> {
  const root = document.getElementById("app")!;
  const result = await signIn();
  if (!result.ok) {
    render(
      <main class="signin" role="alert">
        <h1>plinth</h1>
        <p class="error">{result.error}</p>
      </main>,
      root,
    );
    return;
  }
  startClock();
  onEvent((event) => {
    if (event.kind === "notification") receive(event, (id) => navigate({ page: "task", id, tab: "transcript" }));
  });
  render(<App />, root);
  void registerWorker();
  watchHealth();
  // The notifications up to the stream's cursor; the stream brings the ones after it.
  const cursor = await startTasks();
  if (cursor !== null) void loadNotes(cursor);
}

void boot();
