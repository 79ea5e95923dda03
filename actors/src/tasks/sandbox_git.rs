//! The environment side of a task's git sync: git run in the task's sandbox (its
//! container, or local mode's worktree) through the `environment` capability, as the
//! agent. What can be big (a pack, a diff) is written to a file there and read back in
//! pieces, because an exec keeps only a few MiB of its output.

use std::sync::Arc;

use crate::limits::GIT_QUICK_TIMEOUT_MS;
use crate::limits::GIT_READ_CHUNK;
use crate::limits::GIT_TIMEOUT_MS;
use plinth_wasm::EnvironmentCap;
use plinth_wasm::wit::ExecRequest;

/// Exit codes of the scripts below that mean something to the caller.
const NO_BRANCH: i32 = 93;
const NO_BASE: i32 = 94;

/// A shell function, `base_of NAME`: the commit a task's base names in the sandbox, a
/// branch, a tag or a commit id, as `environments::base` resolves it on the host. Prints
/// nothing and fails when there is none.
macro_rules! base_of {
    () => {
        r#"base_of() {
  git rev-parse -q --verify "refs/heads/$1^{commit}" ||
  git rev-parse -q --verify "refs/tags/$1^{commit}" ||
  { case $1 in ''|*[!0-9a-f]*) return 1;; esac; git rev-parse -q --verify "$1^{commit}"; }
}
"#
    };
}

/// The agent's branch tip and where it left its base. Arguments: branch, base.
const HEADS_SCRIPT: &str = concat!(
    base_of!(),
    r#"head=$(git rev-parse --verify -q "refs/heads/$1^{commit}") || exit 93
base=$(git merge-base "$(base_of "$2")" "$head" 2>/dev/null) || base=
echo "$head $base""#
);

/// Packs what `$1` needs and the given commits (those the container has) do not have,
/// into a file; prints the file and its size. Arguments: head, commits to leave out.
const PACK_SCRIPT: &str = r#"set -e
head=$1; shift
out=$(mktemp /tmp/plinth-sync.XXXXXX)
{ echo "$head"; for c in "$@"; do
    if git cat-file -e "$c^{commit}" 2>/dev/null; then echo "^$c"; fi
  done; } | git pack-objects --revs --stdout -q > "$out"
echo "$out $(wc -c < "$out")""#;

/// The work tree's changes since the task left its base, committed or not, new files
/// included: staged into a throwaway copy of the index, so the agent's own index is left as
/// it was. Prints the base, the directory of the outputs and their sizes. Arguments: base
/// branch, a base to fall back on.
const DIFF_SCRIPT: &str = concat!(
    base_of!(),
    r#"set -e
cd "$(git rev-parse --show-toplevel)"
base=$(git merge-base "$(base_of "$1")" HEAD 2>/dev/null) || base=$2
[ -n "$base" ] || exit 94
tmp=$(mktemp -d /tmp/plinth-diff.XXXXXX)
idx=$(git rev-parse --git-path index)
if [ -f "$idx" ]; then cp "$idx" "$tmp/index"; fi
export GIT_INDEX_FILE="$tmp/index"
git add -A
git diff --cached --no-color --no-ext-diff --no-renames "$base" > "$tmp/diff"
git diff --cached --numstat -z --no-renames "$base" > "$tmp/numstat"
echo "$base $tmp $(wc -c < "$tmp/diff") $(wc -c < "$tmp/numstat")""#
);

#[derive(Debug, thiserror::Error)]
pub enum SandboxGitError {
    #[error("the branch {0} is not in the task's environment")]
    NoBranch(String),
    #[error("cannot find where the task left {0} in its environment")]
    NoBase(String),
    #[error("git in the task's environment: {0}")]
    Failed(String),
}

/// A file git wrote in the sandbox, to be read back and removed.
#[derive(Clone, Debug)]
pub struct Spooled {
    pub path: String,
    pub size: u64,
}

pub struct Heads {
    pub head: String,
    /// Where the agent's branch left its base; `None` when the base branch is gone there.
    pub base: Option<String>,
}

pub struct SandboxDiff {
    pub base: String,
    pub dir: String,
    pub diff: Spooled,
    pub numstat: Spooled,
}

pub struct SandboxGit {
    env: Arc<dyn EnvironmentCap>,
}

impl SandboxGit {
    pub fn new(env: Arc<dyn EnvironmentCap>) -> Self {
        SandboxGit { env }
    }

    /// Runs `script` with `args`; its stdout on success, its exit code and stderr else.
    fn run(&self, script: &str, args: &[&str], timeout_ms: u32) -> Result<Vec<u8>, (i32, String)> {
        let mut command = vec![
            "sh".to_string(),
            "-c".into(),
            script.into(),
            "plinth-sync".into(),
        ];
        command.extend(args.iter().map(|a| a.to_string()));
        let out = self
            .env
            .exec(ExecRequest {
                command,
                workdir: None,
                env: Vec::new(),
                stdin: None,
                timeout_ms,
            })
            .map_err(|e| (-1, e.to_string()))?;
        if out.exit_code == 0 {
            Ok(out.stdout)
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
            Err((out.exit_code, stderr))
        }
    }

    fn fields(stdout: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(stdout)
            .split_whitespace()
            .map(str::to_string)
            .collect()
    }

    pub fn heads(&self, branch: &str, base_branch: &str) -> Result<Heads, SandboxGitError> {
        let out = self
            .run(HEADS_SCRIPT, &[branch, base_branch], GIT_QUICK_TIMEOUT_MS)
            .map_err(|(code, err)| match code {
                NO_BRANCH => SandboxGitError::NoBranch(branch.to_string()),
                _ => SandboxGitError::Failed(err),
            })?;
        let mut fields = Self::fields(&out).into_iter();
        let head = fields
            .next()
            .ok_or_else(|| SandboxGitError::Failed("git printed no commit".into()))?;
        Ok(Heads {
            head,
            base: fields.next(),
        })
    }

    /// Packs the objects of `head` that the commits in `leave_out` do not reach.
    pub fn pack(&self, head: &str, leave_out: &[String]) -> Result<Spooled, SandboxGitError> {
        let mut args = vec![head];
        args.extend(leave_out.iter().map(String::as_str));
        let out = self
            .run(PACK_SCRIPT, &args, GIT_TIMEOUT_MS)
            .map_err(|(_, err)| SandboxGitError::Failed(format!("packing {head}: {err}")))?;
        let fields = Self::fields(&out);
        spooled(fields.first(), fields.get(1))
    }

    pub fn diff(
        &self,
        base_branch: &str,
        fallback_base: Option<&str>,
    ) -> Result<SandboxDiff, SandboxGitError> {
        let out = self
            .run(
                DIFF_SCRIPT,
                &[base_branch, fallback_base.unwrap_or_default()],
                GIT_TIMEOUT_MS,
            )
            .map_err(|(code, err)| match code {
                NO_BASE => SandboxGitError::NoBase(base_branch.to_string()),
                _ => SandboxGitError::Failed(format!("diffing: {err}")),
            })?;
        let f = Self::fields(&out);
        let (Some(base), Some(dir)) = (f.first(), f.get(1)) else {
            return Err(SandboxGitError::Failed(format!(
                "unexpected output of the diff: {}",
                String::from_utf8_lossy(&out).trim()
            )));
        };
        Ok(SandboxDiff {
            base: base.clone(),
            diff: spooled(Some(&format!("{dir}/diff")), f.get(2))?,
            numstat: spooled(Some(&format!("{dir}/numstat")), f.get(3))?,
            dir: dir.clone(),
        })
    }

    /// Hands the first `limit` bytes of `file` to `sink`, a piece at a time.
    pub fn read<E>(
        &self,
        file: &Spooled,
        limit: u64,
        mut sink: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<Result<(), E>, SandboxGitError> {
        let end = file.size.min(limit);
        let mut offset = 0;
        while offset < end {
            let want = GIT_READ_CHUNK.min(end - offset);
            let script = r#"tail -c "+$(($2 + 1))" -- "$1" | head -c "$3""#;
            let chunk = self
                .run(
                    script,
                    &[&file.path, &offset.to_string(), &want.to_string()],
                    GIT_QUICK_TIMEOUT_MS,
                )
                .map_err(|(_, err)| {
                    SandboxGitError::Failed(format!("reading {}: {err}", file.path))
                })?;
            if chunk.len() as u64 != want {
                return Err(SandboxGitError::Failed(format!(
                    "reading {}: got {} bytes at {offset}, expected {want}",
                    file.path,
                    chunk.len()
                )));
            }
            if let Err(e) = sink(&chunk) {
                return Ok(Err(e));
            }
            offset += want;
        }
        Ok(Ok(()))
    }

    /// Removes a spooled file or directory; a leftover in /tmp is no failure.
    pub fn remove(&self, path: &str) {
        if let Err((_, err)) = self.run(r#"rm -rf -- "$1""#, &[path], GIT_QUICK_TIMEOUT_MS) {
            tracing::warn!(path, %err, "cannot remove a sync file in the environment");
        }
    }
}

fn spooled(path: Option<&String>, size: Option<&String>) -> Result<Spooled, SandboxGitError> {
    match (path, size.and_then(|s| s.parse().ok())) {
        (Some(path), Some(size)) => Ok(Spooled {
            path: path.clone(),
            size,
        }),
        _ => Err(SandboxGitError::Failed(
            "git in the environment printed no file".into(),
        )),
    }
}
