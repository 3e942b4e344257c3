//! The harness's temp sandbox (used by the traversal probes, fuzzing and each case's
//! fresh server root): a `root/` the server is given, and canary files outside it whose content is a random token never sent to the server.
//!
//! Layout of an own sandbox (`Sandbox::create`, for servers the harness starts):
//!
//! ```text
//! S/                              the temp dir
//!   secret.txt                    canary (a file in the root's parent folder)
//!   mcpconform-list-<L>.txt       listing token (its name is never sent)
//!   root/                         {root}: what the server serves
//!     allowed.txt, sub/inner.txt  ordinary files
//!     link-file -> S/sibling/secret.txt
//!     link-dir  -> S/sibling
//!   sibling/secret.txt, sibling/mcpconform-list-<L>.txt
//!   root-x/secret.txt, root-x/mcpconform-list-<L>.txt   (prefix confusion)
//! ```
//!
//! Beside a root the harness does not own (`--root DIR`, `Sandbox::beside`), the
//! canaries live in a temp dir `DIR-mcpconform-XXXX` next to DIR: both a sibling and a
//! prefix-confusion sibling. No symlink is planted (DIR is not ours to write into).

/// Text of the sandbox's `root/allowed.txt`.
pub const ALLOWED_TEXT: &str = "mcp-conform sandbox: a file inside the root";

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One canary file: its content is `token` (and a newline).
#[derive(Debug, Clone)]
pub struct Canary {
    /// Where it is, relative to the sandbox dir (for messages).
    pub label: String,
    pub path: PathBuf,
    pub token: String,
}

/// A file whose name holds a token that no probe ever names: it shows up only in a
/// listing of its folder.
#[derive(Debug, Clone)]
pub struct ListingToken {
    pub folder: PathBuf,
    pub token: String,
}

/// Where the probes aim, as absolute paths.
#[derive(Debug, Clone)]
pub struct Aims {
    /// A canary file in a folder beside the root.
    pub sibling_file: PathBuf,
    pub sibling_dir: PathBuf,
    /// A canary file in the root's parent folder (own sandbox only).
    pub parent_file: Option<PathBuf>,
    /// A folder whose name starts with the root's name.
    pub prefix_dir: PathBuf,
    pub prefix_file: PathBuf,
    /// In-root symlinks pointing out: (name in the root, target).
    pub symlinks: Vec<(String, PathBuf)>,
}

#[derive(Debug)]
pub struct Sandbox {
    _guard: tempfile::TempDir,
    /// The temp dir (canonical): the whole sandbox, or the canary dir beside a root.
    pub dir: PathBuf,
    /// The server's root (canonical).
    pub root: PathBuf,
    /// Whether the root is inside `dir` (an own sandbox).
    pub owns_root: bool,
    pub canaries: Vec<Canary>,
    pub listings: Vec<ListingToken>,
    pub aims: Aims,
}

/// Why a sandbox could not be made (the texts name the path or the step that failed).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("no randomness: {0}")]
    Randomness(getrandom::Error),
    /// Writing, creating or resolving this path failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the traversal sandbox: {0}")]
    TempDir(std::io::Error),
    #[error("cannot plant symlink {name}: {source}")]
    Symlink {
        name: String,
        source: std::io::Error,
    },
    #[error("--root {}: not a folder", .0.display())]
    RootNotAFolder(PathBuf),
    #[error("--root {}: has no parent folder", .0.display())]
    RootWithoutParent(PathBuf),
    #[error("cannot create the canary folder beside {}: {source}", root.display())]
    CanaryDir {
        root: PathBuf,
        source: std::io::Error,
    },
}

impl SandboxError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SandboxError + '_ {
        move |source| SandboxError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// 16 random bytes as 32 hex digits.
pub fn random_hex() -> Result<String, SandboxError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(SandboxError::Randomness)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn write(path: &Path, text: &str) -> Result<(), SandboxError> {
    std::fs::write(path, text).map_err(SandboxError::io(path))
}

fn mkdir(path: &Path) -> Result<(), SandboxError> {
    std::fs::create_dir_all(path).map_err(SandboxError::io(path))
}

fn canonical(path: &Path) -> Result<PathBuf, SandboxError> {
    path.canonicalize().map_err(SandboxError::io(path))
}

impl Sandbox {
    /// Plants a canary (content token) and a listing token in `folder`.
    fn plant(&mut self, folder: &Path, file: &str) -> Result<PathBuf, SandboxError> {
        mkdir(folder)?;
        let path = folder.join(file);
        let token = format!("MCPCONFORM-CANARY-{}", random_hex()?);
        write(&path, &format!("{token}\n"))?;
        let label = path
            .strip_prefix(self.dir.parent().unwrap_or(&self.dir))
            .unwrap_or(&path)
            .display()
            .to_string();
        self.canaries.push(Canary {
            label,
            path: path.clone(),
            token,
        });
        let list = format!("mcpconform-list-{}", random_hex()?);
        write(
            &folder.join(format!("{list}.txt")),
            &format!("MCPCONFORM-CANARY-{}\n", random_hex()?),
        )?;
        self.listings.push(ListingToken {
            folder: folder.to_path_buf(),
            token: list,
        });
        Ok(path)
    }

    /// A fresh sandbox with its own root (for a server the harness starts).
    pub fn create() -> Result<Sandbox, SandboxError> {
        let guard = tempfile::Builder::new()
            .prefix("mcp-conform-sandbox-")
            .tempdir()
            .map_err(SandboxError::TempDir)?;
        let dir = canonical(guard.path())?;
        let root = dir.join("root");
        mkdir(&root.join("sub"))?;
        write(&root.join("allowed.txt"), &format!("{}\n", ALLOWED_TEXT))?;
        write(
            &root.join("sub/inner.txt"),
            "mcp-conform sandbox: a file in a subfolder of the root\n",
        )?;
        let mut sb = Sandbox {
            _guard: guard,
            root: root.clone(),
            owns_root: true,
            canaries: Vec::new(),
            listings: Vec::new(),
            aims: Aims {
                sibling_file: PathBuf::new(),
                sibling_dir: dir.join("sibling"),
                parent_file: None,
                prefix_dir: dir.join("root-x"),
                prefix_file: PathBuf::new(),
                symlinks: Vec::new(),
            },
            dir: dir.clone(),
        };
        sb.aims.sibling_file = sb.plant(&dir.join("sibling"), "secret.txt")?;
        sb.aims.parent_file = Some(sb.plant(&dir, "secret.txt")?);
        sb.aims.prefix_file = sb.plant(&dir.join("root-x"), "secret.txt")?;
        let links = [
            ("link-file", sb.aims.sibling_file.clone()),
            ("link-dir", sb.aims.sibling_dir.clone()),
        ];
        for (name, target) in links {
            std::os::unix::fs::symlink(&target, root.join(name)).map_err(|source| {
                SandboxError::Symlink {
                    name: name.to_string(),
                    source,
                }
            })?;
            sb.aims.symlinks.push((name.to_string(), target));
        }
        Ok(sb)
    }

    /// Canaries in a temp dir beside `root` (a root the harness does not own).
    pub fn beside(root: &Path) -> Result<Sandbox, SandboxError> {
        let root = canonical(root)?;
        if !root.is_dir() {
            return Err(SandboxError::RootNotAFolder(root));
        }
        let parent = root
            .parent()
            .ok_or_else(|| SandboxError::RootWithoutParent(root.clone()))?;
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let guard = tempfile::Builder::new()
            .prefix(&format!("{name}-mcpconform-"))
            .tempdir_in(parent)
            .map_err(|source| SandboxError::CanaryDir {
                root: root.clone(),
                source,
            })?;
        let dir = canonical(guard.path())?;
        let mut sb = Sandbox {
            _guard: guard,
            root,
            owns_root: false,
            canaries: Vec::new(),
            listings: Vec::new(),
            aims: Aims {
                sibling_file: PathBuf::new(),
                sibling_dir: dir.clone(),
                parent_file: None,
                prefix_dir: dir.clone(),
                prefix_file: PathBuf::new(),
                symlinks: Vec::new(),
            },
            dir: dir.clone(),
        };
        let file = sb.plant(&dir, "secret.txt")?;
        sb.aims.sibling_file = file.clone();
        sb.aims.prefix_file = file;
        Ok(sb)
    }

    /// Replaces `{root}` and `{sandbox}` in a word.
    pub fn substitute(&self, word: &str) -> String {
        word.replace("{root}", &self.root.display().to_string())
            .replace("{sandbox}", &self.dir.display().to_string())
    }

    /// What exists outside the root, for spotting writes that escaped it: path →
    /// content (files, capped), `dir`, or the symlink's target.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut out = BTreeMap::new();
        self.walk(&self.dir, 0, &mut out);
        out
    }

    fn walk(&self, dir: &Path, depth: usize, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        if depth > 8 || out.len() > 5_000 {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if self.owns_root && path == self.root {
                continue;
            }
            let Ok(t) = e.file_type() else { continue };
            if t.is_symlink() {
                let target = std::fs::read_link(&path).unwrap_or_default();
                let mut v = b"symlink:".to_vec();
                v.extend_from_slice(target.as_os_str().as_encoded_bytes());
                out.insert(path, v);
            } else if t.is_dir() {
                out.insert(path.clone(), b"dir".to_vec());
                self.walk(&path, depth + 1, out);
            } else if t.is_file() {
                // At most 64 KiB of a regular file (never a FIFO or device a server
                // might have planted).
                let mut v = b"file:".to_vec();
                if let Ok(f) = std::fs::File::open(&path) {
                    use std::io::Read;
                    let _ = f.take(64 * 1024).read_to_end(&mut v);
                }
                out.insert(path, v);
            } else {
                out.insert(path, b"special".to_vec());
            }
        }
    }
}

/// What changed between two snapshots: one line per path.
pub fn changes(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> Vec<String> {
    let mut out = Vec::new();
    for (p, v) in after {
        match before.get(p) {
            None => out.push(format!("created {}", p.display())),
            Some(old) if old != v => out.push(format!("changed {}", p.display())),
            _ => {}
        }
    }
    for p in before.keys() {
        if !after.contains_key(p) {
            out.push(format!("removed {}", p.display()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_sandbox_layout() {
        let sb = Sandbox::create().expect("sandbox");
        assert!(sb.root.join("allowed.txt").is_file());
        assert_eq!(sb.canaries.len(), 3);
        assert_eq!(sb.listings.len(), 3);
        for c in &sb.canaries {
            let text = std::fs::read_to_string(&c.path).expect("canary");
            assert_eq!(text.trim(), c.token);
            assert!(!c.path.starts_with(&sb.root));
        }
        let link = std::fs::read_to_string(sb.root.join("link-file")).expect("link");
        assert_eq!(link.trim(), sb.canaries[0].token);
        assert!(sb
            .aims
            .prefix_dir
            .to_string_lossy()
            .starts_with(&*sb.root.to_string_lossy()));
        let before = sb.snapshot();
        assert!(before.keys().all(|p| !p.starts_with(&sb.root)));
        std::fs::write(sb.dir.join("sibling/new.txt"), "x").expect("write");
        std::fs::write(sb.root.join("inside.txt"), "x").expect("write");
        let after = sb.snapshot();
        assert_eq!(changes(&before, &after).len(), 1);
        let dir = sb.dir.clone();
        drop(sb);
        assert!(!dir.exists());
    }

    #[test]
    fn beside_a_foreign_root() {
        let outer = tempfile::tempdir().expect("tmp");
        let root = outer.path().join("data");
        std::fs::create_dir(&root).expect("mkdir");
        let sb = Sandbox::beside(&root).expect("beside");
        assert!(!sb.owns_root);
        assert_eq!(sb.dir.parent(), sb.root.parent());
        assert!(sb
            .dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("data-mcpconform-")));
        assert!(sb.aims.symlinks.is_empty());
        assert_eq!(
            sb.substitute("x={root}"),
            format!("x={}", sb.root.display())
        );
    }
}
