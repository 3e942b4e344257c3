//! What every module of the suite shares: the repository root, the binaries under
//! test (the harness, the reference server and the hostile server), a runtime for async tests, and the
//! turning of a plain test function into a trial.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use libtest_mimic::Trial;

/// The workspace root (cases/, fixtures/, schemas/).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `mcp-conform` binary cargo built for this test binary.
pub fn conform_binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_mcp-conform"))
}

/// Runs the `mcp-conform` binary with `args` (stdout dropped, stderr shown) and returns
/// its exit code (-1 when a signal ended it).
///
/// Never call `mcp_conform::cli::main_with` in this process instead: it makes the
/// process a child subreaper that kills every child it did not start itself, which
/// here are the servers and harness runs of the other trials.
pub fn run_conform(args: &[String]) -> i32 {
    Command::new(conform_binary())
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .map(|s| s.code().unwrap_or(-1))
        .unwrap_or_else(|e| panic!("cannot run mcp-conform: {e}"))
}

/// The reference server binary, built once per run by [`build_fixture`].
/// Panics (failing the trial, or the whole binary when `main` asks first) when it
/// cannot be built.
pub fn reference_server() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(|| build_fixture("mcp-reference-server", "mcp-reference-server")) {
        Ok(path) => path,
        Err(e) => panic!("{e}"),
    }
}

/// [`reference_server`] as a string, for argument lists.
pub fn reference_server_str() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| reference_server().display().to_string())
}

/// The hostile server binary `mcp-hostile` (crate mcp-hostile-server, one misbehaviour
/// per `--mode`), built once per run by [`build_fixture`]. Panics (failing the trial)
/// when it cannot be built.
pub fn hostile_binary() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(|| build_fixture("mcp-hostile-server", "mcp-hostile")) {
        Ok(path) => path,
        Err(e) => panic!("{e}"),
    }
}

/// Builds the bin `bin` of the workspace package `package` with `cargo build -p
/// PACKAGE --bin BIN` into the profile folder and target folder of this test binary
/// (`target/debug` for a plain `cargo test`, `target/release` with `--release`), and
/// returns its path there.
///
/// A bin of another package has no `CARGO_BIN_EXE_` variable, and `cargo test -p
/// mcp-conform` would not build it. Only this build makes it (the fixture servers have
/// no integration tests of their own, so `cargo test` at the root does not build their
/// bins with other features), so a second run finds them fresh. A `cargo build` at the
/// root unifies features with the harness and relinks it once.
fn build_fixture(package: &str, bin: &str) -> Result<PathBuf, String> {
    let conform = conform_binary();
    let profile_dir = conform
        .parent()
        .ok_or_else(|| format!("{} has no folder", conform.display()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| format!("{} has no target folder", profile_dir.display()))?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => "dev",
        Some(name) => name,
        None => return Err(format!("no profile in {}", profile_dir.display())),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("suite: cargo build -p {package} --profile {profile} (once per run)");
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "-p", package, "--bin", bin])
        .args(["--profile", profile])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(repo_root())
        .status()
        .map_err(|e| format!("cannot run {}: {e}", Path::new(&cargo).display()))?;
    if !status.success() {
        return Err(format!(
            "`cargo build -p {package} --profile {profile}` failed ({status})"
        ));
    }
    let binary = profile_dir.join(bin);
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!("{} is missing after the build", binary.display()))
    }
}

/// Runs a future to its end on a fresh current-thread runtime, as `#[tokio::test]` does.
pub fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

/// A plain test function as a trial named `module::function` (the module path without
/// the binary's name, as libtest names a `#[test]`); a panic fails it.
pub fn trial(module_path: &str, function: &str, test: impl FnOnce() + Send + 'static) -> Trial {
    let module = module_path
        .split_once("::")
        .map_or(module_path, |(_, rest)| rest);
    Trial::test(format!("{module}::{function}"), move || {
        test();
        Ok(())
    })
}
