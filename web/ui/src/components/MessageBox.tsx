import { useSignal } from "@preact/signals";
import { post, describe } from "../api";
import { putTask } from "../tasks";
import type { Task } from "../types";

export function MessageBox({ id, enabled }: { id: string; enabled: boolean }) {
  const text = useSignal("");
  const error = useSignal<string | null>(null);
  const sending = useSignal(false);

  async function send() {
    const message = text.value;
    if (!message.trim() || sending.value) return;
    sending.value = true;
    error.value = null;
    try {
      const task = await post<Task>(`/api/tasks/${encodeURIComponent(id)}/messages`, { text: message });
      putTask(task);
      text.value = "";
    } catch (err) {
      error.value = describe(err);
    } finally {
      sending.value = false;
    }
  }

  return (
    <form
      class="message-box"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <textarea
        id="message"
        rows={2}
        value={text.value}
        disabled={!enabled}
        aria-label="Message to the agent"
        placeholder={enabled ? "Message the agent — Enter sends, Shift+Enter for a new line" : "The agent is not running: messages need a running task"}
        onInput={(e) => (text.value = e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void send();
          }
        }}
      />
      <button type="submit" disabled={!enabled || sending.value}>
        Send
      </button>
      {error.value && (
        <p class="error" role="alert">
          {error.value}
        </p>
      )}
    </form>
  );
}
