// The question a task's agent waits on, with its answers as buttons: all of them on the
// task's page, the plain yes and the no in the task list. An answer given in the terminal
// meanwhile changes the task's status, and the card goes with the question.
import { useSignal } from "@preact/signals";
import { describe } from "../api";
import { answer, approveDeny } from "../question";
import type { Choice, Question } from "../types";

function ChoiceButton({ task, choice, busy, sent, error }: {
  task: string;
  choice: Choice;
  busy: { value: string | null };
  sent: { value: string | null };
  error: { value: string | null };
}) {
  return (
    <button
      class={`choice ${choice.kind}`}
      data-choice={choice.id}
      disabled={busy.value !== null}
      onClick={async (e) => {
        // In a task's row the click must not open the task.
        e.preventDefault();
        e.stopPropagation();
        busy.value = choice.id;
        error.value = null;
        try {
          await answer(task, choice.id);
          // The question stays on the task until its agent moves on.
          sent.value = choice.label;
        } catch (err) {
          error.value = describe(err);
        } finally {
          busy.value = null;
        }
      }}
    >
      {choice.label}
    </button>
  );
}

export function QuestionCard(props: { task: string; question: Question; compact?: boolean }) {
  // A new question is a new card: what was sent for the last one does not carry over.
  const key = `${props.question.text}\u0000${props.question.choices.map((c) => c.id).join("\u0000")}`;
  return <Card key={key} {...props} />;
}

function Card({ task, question, compact = false }: { task: string; question: Question; compact?: boolean }) {
  const busy = useSignal<string | null>(null);
  const sent = useSignal<string | null>(null);
  const error = useSignal<string | null>(null);
  const shown = compact
    ? Object.values(approveDeny(question)).filter((c): c is Choice => !!c)
    : question.choices;
  return (
    <div class={`question ${compact ? "compact" : ""}`} role="group" aria-label={question.text}>
      <span class="question-text">{question.text}</span>
      {!compact && question.detail && <pre class="question-detail">{question.detail}</pre>}
      {compact && question.detail && <code class="question-detail">{question.detail}</code>}
      {sent.value ? (
        <span class="muted sent" role="status">
          answered: {sent.value}
        </span>
      ) : (
        <span class="choices">
          {shown.map((choice) => (
            <ChoiceButton key={choice.id} task={task} choice={choice} busy={busy} sent={sent} error={error} />
          ))}
        </span>
      )}
      {error.value && (
        <span class="error" role="alert">
          {error.value}
        </span>
      )}
    </div>
  );
}
