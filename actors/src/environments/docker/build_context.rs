//! The build context sent to the daemon: a tar archive, byte-for-byte reproducible
//! (sorted, zeroed times and owners), so a hash of it can name the image it builds.

use std::io;
use std::path::Path;

use super::dockerignore::DockerIgnore;
use super::image::{CONTEXT_CA_DIR, CONTEXT_DOCKERFILE};

/// A build context as the daemon wants it: a tar archive, held in memory.
pub(crate) struct BuildContext {
    pub tar: Vec<u8>,
}

/// The agent image's context: its Dockerfile and the CA certificates to trust. The
/// directory is there even when empty, since the Dockerfile copies it.
pub(crate) fn agent_context(dockerfile: &str, ca_dir: Option<&Path>) -> io::Result<BuildContext> {
    let mut builder = tar::Builder::new(Vec::new());
    append_bytes(
        &mut builder,
        Path::new(CONTEXT_DOCKERFILE),
        dockerfile.as_bytes(),
        0o644,
    )?;
    let mut header = reproducible_header(0o755);
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(0);
    builder.append_data(&mut header, CONTEXT_CA_DIR, io::empty())?;
    for (name, pem) in ca_certificates(ca_dir)? {
        append_bytes(
            &mut builder,
            &Path::new(CONTEXT_CA_DIR).join(name),
            &pem,
            0o644,
        )?;
    }
    Ok(BuildContext {
        tar: builder.into_inner()?,
    })
}

/// The `*.crt` files directly in `dir`, sorted by name; update-ca-certificates reads no
/// other names.
fn ca_certificates(dir: Option<&Path>) -> io::Result<Vec<(std::ffi::OsString, Vec<u8>)>> {
    let Some(dir) = dir else {
        return Ok(Vec::new());
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(with_path(e, dir)),
    };
    let mut certificates = Vec::new();
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "crt") && path.is_file() {
            let pem = std::fs::read(&path).map_err(|e| with_path(e, &path))?;
            certificates.push((entry.file_name(), pem));
        }
    }
    certificates.sort();
    Ok(certificates)
}

/// A project's context directory plus its Dockerfile under [`CONTEXT_DOCKERFILE`]. The
/// archive is byte-for-byte reproducible (sorted, zeroed times and owners), so its hash
/// names the image. What the context's `.dockerignore` excludes is left out, as `docker
/// build` would; so is `.git` always: the repository reaches the container by another way,
/// and its history can dwarf everything else.
pub(crate) fn project_context(dockerfile: &Path, context: &Path) -> io::Result<BuildContext> {
    let text = std::fs::read(dockerfile).map_err(|e| with_path(e, dockerfile))?;
    let mut builder = tar::Builder::new(Vec::new());
    builder.follow_symlinks(false);
    let ignore = DockerIgnore::read(context).map_err(|e| with_path(e, context))?;
    append_dir(&mut builder, context, Path::new(""), &ignore)?;
    append_bytes(&mut builder, Path::new(CONTEXT_DOCKERFILE), &text, 0o644)?;
    Ok(BuildContext {
        tar: builder.into_inner()?,
    })
}

fn append_dir(
    builder: &mut tar::Builder<Vec<u8>>,
    dir: &Path,
    rel: &Path,
    ignore: &DockerIgnore,
) -> io::Result<()> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| with_path(e, dir))?
        .collect::<Result<Vec<_>, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if rel.as_os_str().is_empty() && (name == ".git" || name == CONTEXT_DOCKERFILE) {
            continue;
        }
        let path = entry.path();
        let rel_path = rel.join(&name);
        let meta = std::fs::symlink_metadata(&path).map_err(|e| with_path(e, &path))?;
        if ignore.excludes(&rel_path) {
            if meta.is_dir() && ignore.has_exceptions() {
                append_dir(builder, &path, &rel_path, ignore)?;
            }
            continue;
        }
        let mut header = reproducible_header(permissions(&meta));
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)?;
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, &rel_path, target)?;
        } else if meta.is_dir() {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_size(0);
            builder.append_data(&mut header, &rel_path, io::empty())?;
            append_dir(builder, &path, &rel_path, ignore)?;
        } else if meta.is_file() {
            let file = std::fs::File::open(&path).map_err(|e| with_path(e, &path))?;
            header.set_entry_type(tar::EntryType::Regular);
            header.set_size(meta.len());
            builder.append_data(&mut header, &rel_path, file)?;
        }
        // Sockets, fifos and devices cannot be part of an image's context.
    }
    Ok(())
}

fn append_bytes(
    builder: &mut tar::Builder<Vec<u8>>,
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> io::Result<()> {
    let mut header = reproducible_header(mode);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(bytes.len() as u64);
    builder.append_data(&mut header, path, bytes)
}

/// Times and owners zeroed, so the same files always make the same archive.
fn reproducible_header(mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mode(mode);
    header
}

#[cfg(unix)]
fn permissions(meta: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    meta.permissions().mode() & 0o7777
}

#[cfg(not(unix))]
fn permissions(meta: &std::fs::Metadata) -> u32 {
    if meta.is_dir() { 0o755 } else { 0o644 }
}

fn with_path(error: io::Error, path: &Path) -> io::Error {
    io::Error::new(error.kind(), format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_context_is_reproducible_and_leaves_out_git() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".git/objects")).unwrap();
        std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::create_dir_all(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let dockerfile = dir.path().join("Dockerfile");
        let first = project_context(&dockerfile, dir.path()).unwrap().tar;
        let later = dir.path().join("src/main.rs");
        let file = std::fs::File::options().write(true).open(&later).unwrap();
        file.set_modified(std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(99))
            .unwrap();
        let second = project_context(&dockerfile, dir.path()).unwrap().tar;
        assert_eq!(first, second, "a touched file must not change the context");

        let mut names = Vec::new();
        for entry in tar::Archive::new(&first[..]).entries().unwrap() {
            names.push(entry.unwrap().path().unwrap().display().to_string());
        }
        assert_eq!(
            names,
            ["Dockerfile", "src", "src/main.rs", CONTEXT_DOCKERFILE],
            "{names:?}"
        );
    }

    #[test]
    fn the_agent_context_carries_only_the_crt_files_of_the_ca_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.crt"), "B").unwrap();
        std::fs::write(dir.path().join("a.crt"), "A").unwrap();
        std::fs::write(dir.path().join("README"), "not a certificate").unwrap();
        let names = |tar: &[u8]| {
            tar::Archive::new(tar)
                .entries()
                .unwrap()
                .map(|e| e.unwrap().path().unwrap().display().to_string())
                .collect::<Vec<_>>()
        };
        let with = agent_context("FROM x\n", Some(dir.path())).unwrap().tar;
        assert_eq!(
            names(&with),
            [
                CONTEXT_DOCKERFILE,
                "ca-certificates",
                "ca-certificates/a.crt",
                "ca-certificates/b.crt"
            ]
        );
        let missing = dir.path().join("missing");
        let without = agent_context("FROM x\n", Some(&missing)).unwrap().tar;
        assert_eq!(names(&without), [CONTEXT_DOCKERFILE, "ca-certificates"]);
    }

    #[test]
    fn a_project_context_honours_dockerignore() {
        let dir = tempfile::tempdir().unwrap();
        for file in [
            "target/debug/big",
            "target/keep.txt",
            "src/lib.rs",
            "notes.md",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, file).unwrap();
        }
        std::fs::write(
            dir.path().join(".dockerignore"),
            "target\n!target/keep.txt\n*.md\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
        let tar = project_context(&dir.path().join("Dockerfile"), dir.path())
            .unwrap()
            .tar;
        let names: Vec<String> = tar::Archive::new(&tar[..])
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                ".dockerignore",
                "Dockerfile",
                "src",
                "src/lib.rs",
                "target/keep.txt",
                CONTEXT_DOCKERFILE
            ]
        );
    }
}
