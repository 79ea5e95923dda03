//! The 0.1.0 shapes onto the latest and back, written once: a 0.1.0 component's imports
//! are answered by the latest code (their arguments converted up, their results down), and
//! its exports are called with the latest shapes converted down.
//!
//! Every shape 0.1.0 has is the same in 0.2.0 (0.2.0 only adds), so each conversion is
//! field for field, case for case; the one that loses something is [`signal_to_v1`]: an
//! `answer` becomes the `user-message` a 0.1.0 adapter understands.

use super::latest::exports::plinth::agent::agent as agent2;
use super::latest::plinth::agent::{
    environment as environment2, events as events2, log as log2, tmux as tmux2, types as types2,
};
use super::v1::exports::plinth::agent::agent as agent1;
use super::v1::plinth::agent::{
    environment as environment1, events as events1, log as log1, tmux as tmux1, types as types1,
};

/// `From` between two records with the same fields, each converted with `into`.
macro_rules! same_record {
    ($from:ident::$fty:ident => $to:ident::$tty:ident { $($field:ident),* $(,)? }) => {
        impl From<$from::$fty> for $to::$tty {
            fn from(x: $from::$fty) -> Self {
                $to::$tty { $($field: x.$field.into()),* }
            }
        }
    };
}

/// `From` between two enums with the same cases.
macro_rules! same_enum {
    ($from:ident::$fty:ident => $to:ident::$tty:ident { $($case:ident),* $(,)? }) => {
        impl From<$from::$fty> for $to::$tty {
            fn from(x: $from::$fty) -> Self {
                match x { $($from::$fty::$case => $to::$tty::$case),* }
            }
        }
    };
}

// What a 0.1.0 guest passes in.
same_enum!(types1::Status => types2::Status {
    Starting, Working, WaitingForUser, Idle, Finished, Failed
});
same_enum!(types1::Capability => types2::Capability { Tmux, Environment, Events, Log, State });
same_enum!(events1::Role => events2::Role { User, Agent, Tool, System });
same_enum!(events1::Urgency => events2::Urgency { Info, NeedsAttention });
same_enum!(log1::Level => log2::Level { Trace, Debug, Info, Warn, Error });
same_record!(tmux1::SessionSpec => tmux2::SessionSpec { name, command, env, workdir, width, height });
same_record!(environment1::ExecRequest => environment2::ExecRequest {
    command, workdir, env, stdin, timeout_ms
});
same_record!(events1::TranscriptEntry => events2::TranscriptEntry { role, text, tool, data });

impl From<agent1::AdapterInfo> for agent2::AdapterInfo {
    fn from(x: agent1::AdapterInfo) -> Self {
        agent2::AdapterInfo {
            name: x.name,
            version: x.version,
            description: x.description,
            capabilities: x.capabilities.into_iter().map(Into::into).collect(),
        }
    }
}

// What the host gives a 0.1.0 guest.
same_record!(tmux2::Screen => tmux1::Screen { text, cursor_x, cursor_y, width, height });
same_record!(environment2::ExecOutput => environment1::ExecOutput { exit_code, stdout, stderr });
same_record!(agent2::Task => agent1::Task {
    id, prompt, workdir, home, branch, env, restarts, now_ms
});
same_record!(agent2::HookEvent => agent1::HookEvent { name, body });
same_record!(agent2::LlmCall => agent1::LlmCall { id, model });
same_record!(agent2::LlmResult => agent1::LlmResult {
    id, model, stop_reason, input_tokens, output_tokens, error
});
same_record!(agent2::ProcessExit => agent1::ProcessExit { session, exit_code });

impl From<types2::CapError> for types1::CapError {
    fn from(x: types2::CapError) -> Self {
        match x {
            types2::CapError::AccessDenied(m) => types1::CapError::AccessDenied(m),
            types2::CapError::NotFound(m) => types1::CapError::NotFound(m),
            types2::CapError::Timeout(m) => types1::CapError::Timeout(m),
            types2::CapError::Invalid(m) => types1::CapError::Invalid(m),
            types2::CapError::Failed(m) => types1::CapError::Failed(m),
        }
    }
}

/// A latest capability call's result as a 0.1.0 guest takes it.
pub(crate) fn down<T, U: From<T>>(
    result: Result<T, types2::CapError>,
) -> Result<U, types1::CapError> {
    result.map(Into::into).map_err(Into::into)
}

/// A signal for a 0.1.0 guest. It has no `answer`: the user's pick reaches it as the
/// message a user would have typed, the choice's label in `asked` (the question last
/// asked), or its id when that question is not known.
pub(crate) fn signal_to_v1(
    signal: agent2::Signal,
    asked: Option<&types2::Question>,
) -> agent1::Signal {
    use agent1::Signal as S1;
    use agent2::Signal as S2;
    match signal {
        S2::Hook(h) => S1::Hook(h.into()),
        S2::LlmCallStarted(c) => S1::LlmCallStarted(c.into()),
        S2::LlmCallFinished(r) => S1::LlmCallFinished(r.into()),
        S2::ScreenChanged(s) => S1::ScreenChanged(s),
        S2::UserMessage(m) => S1::UserMessage(m),
        S2::ProcessExited(p) => S1::ProcessExited(p.into()),
        S2::Answer(id) => {
            let label = asked
                .and_then(|q| q.choices.iter().find(|c| c.id == id))
                .map(|c| c.label.clone());
            S1::UserMessage(label.unwrap_or(id))
        }
        S2::Tick(t) => S1::Tick(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question() -> types2::Question {
        types2::Question {
            text: "Allow Bash?".into(),
            detail: Some("Bash: rm -rf target".into()),
            choices: vec![
                types2::Choice {
                    id: "1".into(),
                    label: "Yes".into(),
                    kind: types2::ChoiceKind::Allow,
                },
                types2::Choice {
                    id: "3".into(),
                    label: "No".into(),
                    kind: types2::ChoiceKind::Deny,
                },
            ],
        }
    }

    #[test]
    fn an_answer_reaches_a_v1_guest_as_the_label_the_user_would_type() {
        let q = question();
        assert!(matches!(
            signal_to_v1(agent2::Signal::Answer("3".into()), Some(&q)),
            agent1::Signal::UserMessage(m) if m == "No"
        ));
        assert!(matches!(
            signal_to_v1(agent2::Signal::Answer("9".into()), Some(&q)),
            agent1::Signal::UserMessage(m) if m == "9"
        ));
        assert!(matches!(
            signal_to_v1(agent2::Signal::Answer("yes".into()), None),
            agent1::Signal::UserMessage(m) if m == "yes"
        ));
    }

    #[test]
    fn other_signals_and_records_keep_every_field() {
        assert!(matches!(
            signal_to_v1(agent2::Signal::Tick(7), None),
            agent1::Signal::Tick(7)
        ));
        let exit = agent2::ProcessExit {
            session: "agent".into(),
            exit_code: Some(2),
        };
        assert!(matches!(
            signal_to_v1(agent2::Signal::ProcessExited(exit), None),
            agent1::Signal::ProcessExited(p) if p.session == "agent" && p.exit_code == Some(2)
        ));
        let spec: tmux2::SessionSpec = tmux1::SessionSpec {
            name: "agent".into(),
            command: vec!["bash".into()],
            env: vec![("A".into(), "1".into())],
            workdir: None,
            width: 80,
            height: 24,
        }
        .into();
        assert_eq!(
            (spec.name.as_str(), spec.width, spec.env.len()),
            ("agent", 80, 1)
        );
        let err: Result<u64, types1::CapError> =
            down(Err::<u64, _>(types2::CapError::Timeout("slow".into())));
        assert!(matches!(err, Err(types1::CapError::Timeout(m)) if m == "slow"));
    }
}
