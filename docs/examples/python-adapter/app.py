"""echo-py: the Python twin of the Rust example in docs/adapters.md.

It runs no agent at all: it quotes the task's prompt into the transcript and answers every
user message with an echo, saving the number of replies so that `start`, which runs again
after every restart, resumes instead of starting over.

Build (componentize-py 0.25.1, from this directory):

    componentize-py -d ../../../wit -w adapter bindings .
    componentize-py -d ../../../wit -w adapter componentize app -o echo-py.wasm

The first command writes the `wit_world` package imported below; the second bundles this
module, those bindings and a Python interpreter into one component.
"""

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports.agent import AdapterInfo, Signal, Signal_UserMessage, Task
from wit_world.imports import events, log, state
from wit_world.imports.types import Capability, CapError, Status

# Messages answered so far. Module state lives as long as the instance; after a restart
# it comes back from the saved blob, not from here.
replies = 0


class Agent(exports.Agent):
    """The exported `agent` interface: componentize-py looks for a class of this name."""

    def info(self) -> AdapterInfo:
        return AdapterInfo(
            name="echo-py",
            version="0.1.0",
            description="Echoes the prompt and every message (plinth's Python example)",
            # Only what the adapter calls; the user is asked to grant these.
            capabilities=[Capability.EVENTS, Capability.LOG, Capability.STATE],
        )

    def start(self, task: Task, saved: bytes | None) -> None:
        global replies
        if saved is not None:
            # A restart: everything the first start did is already in the transcript.
            replies = decode(saved)
            log.log(
                log.Level.INFO,
                f"echo-py: resumed task {task.id} (restart {task.restarts}, {replies} replies so far)",
            )
            call("set-status", events.set_status, Status.IDLE, "resumed")
            return

        call("set-status", events.set_status, Status.WORKING, "reading the prompt")
        say(events.Role.AGENT, f"You asked: {task.prompt}")
        # Saved after the entry: a restart in between repeats the quote, never loses it.
        call("state.save", state.save, encode(0))
        call("set-status", events.set_status, Status.IDLE, "waiting for a message")

    def on_signal(self, signal: Signal) -> None:
        global replies
        # Ticks (about every 250 ms) and the other signals need nothing from an echo;
        # return at once, never wait inside a call.
        if isinstance(signal, Signal_UserMessage):
            text = signal.value
            call("set-status", events.set_status, Status.WORKING, "answering")
            say(events.Role.USER, text)
            say(events.Role.AGENT, f"echo: {text}")
            replies += 1
            call("state.save", state.save, encode(replies))
            call("set-status", events.set_status, Status.IDLE, "waiting for a message")

    def stop(self) -> None:
        # stdout is WASI's; the host sends it to the task's log a line at a time. Flush:
        # an instance never exits, so buffered output would never be written.
        print("echo-py: stopping", flush=True)
        call("set-status", events.set_status, Status.FINISHED, "stopped")


def say(role: events.Role, text: str) -> None:
    entry = events.TranscriptEntry(role=role, text=text, tool=None, data=None)
    call("append-transcript", events.append_transcript, entry)


def call(name: str, function, *args):
    """Calls a capability. A failed call raises `Err(CapError_...)`; an export that raises
    `Err(str)` returns that string as its error, so this rewords the one into the other."""
    try:
        return function(*args)
    except Err as err:
        raise Err(f"echo-py: {name}: {describe(err.value)}") from None


def describe(error: CapError) -> str:
    kind = type(error).__name__.removeprefix("CapError_")
    return f"{kind}: {error.value}"


# The saved state: the number of replies as decimal text (the Rust example uses the same).
def encode(count: int) -> bytes:
    return str(count).encode()


def decode(blob: bytes) -> int:
    try:
        return int(blob.decode())
    except ValueError:
        raise Err(f"echo-py: saved state {blob!r} is not a reply count") from None
