//! The agent's session: its name, size and environment, from the task and the profile.

use guest_support::plinth::agent::tmux::SessionSpec;

use crate::profile::{Context, Profile, Start, lookup};

pub const SESSION: &str = "agent";
pub const DEFAULT_HOME: &str = "/home/agent";
const WIDTH: u16 = 200;
const HEIGHT: u16 = 50;

/// The context a profile is given, from the task's environment and workdir.
pub fn context(env: &[(String, String)], workdir: &str) -> Context {
    let home = lookup(env, "HOME")
        .filter(|h| !h.is_empty())
        .unwrap_or(DEFAULT_HOME)
        .to_string();
    Context {
        env: env.to_vec(),
        home,
        workdir: workdir.to_string(),
        skip_permissions: matches!(lookup(env, "PLINTH_SKIP_PERMISSIONS"), Some("1" | "true")),
        hooks: lookup(env, "PLINTH_HOOK_URL").is_some_and(|u| !u.is_empty()),
    }
}

pub fn session_spec(profile: &dyn Profile, ctx: &Context, start: Start) -> SessionSpec {
    let mut env = profile.env(ctx);
    env.retain(|(k, _)| k != "HOME");
    env.push(("HOME".into(), ctx.home.clone()));
    for (key, value) in &ctx.env {
        env.retain(|(k, _)| k != key);
        env.push((key.clone(), value.clone()));
    }
    SessionSpec {
        name: SESSION.to_string(),
        command: profile.command(ctx, start),
        env,
        workdir: None,
        width: WIDTH,
        height: HEIGHT,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_context_reads_home_permissions_and_hooks() {
        let ctx = context(
            &env(&[("HOME", "/root"), ("PLINTH_SKIP_PERMISSIONS", "1")]),
            "/w",
        );
        assert_eq!(ctx.home, "/root");
        assert!(ctx.skip_permissions);
        assert!(!ctx.hooks);
        let ctx = context(&env(&[("HOME", ""), ("PLINTH_HOOK_URL", "http://h")]), "/w");
        assert_eq!(ctx.home, "/home/agent");
        assert!(!ctx.skip_permissions);
        assert!(ctx.hooks);
        assert_eq!(ctx.workdir, "/w");
    }
}
