//! mcp-reference-server: the known-good MCP server of the mcp-conform
//! suite, which `--fault NAME` turns into deliberately broken variants.

#[cfg(test)]
mod catalogue;
mod chatter;
mod completion;
mod core;
mod faults;
mod files;
mod http;
mod jsonrpc;
mod logging;
mod modern;
mod pagination;
mod prompts;
mod protocol;
mod resources;
mod schema;
mod shallow;
mod stdio;
mod switches;
mod tools;
mod variants;
mod version;

#[cfg(test)]
mod tests;

use anyhow::Context as _;
use clap::Parser;

use crate::core::Config;
use crate::faults::{Fault, Faults};
use crate::variants::{Variant, Variants};

/// Reference MCP server (stdio) with fault switches for conformance testing.
#[derive(Debug, Parser)]
#[command(name = "mcp-reference-server", version, about)]
struct Cli {
    /// Break one protocol rule (repeatable); see --list-faults.
    #[arg(long = "fault", value_name = "NAME")]
    faults: Vec<String>,

    /// Number of items per page of tools/list, resources/list,
    /// resources/templates/list and prompts/list.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    page_size: u32,

    /// Print the fault names with one-line descriptions and exit.
    #[arg(long)]
    list_faults: bool,

    /// Make one legal but unusual choice (repeatable); see --list-variants.
    #[arg(long = "variant", value_name = "NAME")]
    variants: Vec<String>,

    /// Print the variant names with one-line descriptions and exit.
    #[arg(long)]
    list_variants: bool,

    /// Serve HTTP on this loopback address instead of stdio: Streamable HTTP at /mcp,
    /// legacy HTTP+SSE at /sse. Port 0 picks a free port; the URL is printed on stderr.
    #[arg(long, value_name = "127.0.0.1:PORT")]
    http: Option<std::net::SocketAddr>,

    /// With --http: under 2025-11-25, close the connection of every POST's SSE stream
    /// right after its priming event, so that clients must resume with GET (allowed
    /// by the spec; used to test clients' polling).
    #[arg(long, requires = "http")]
    sse_poll: bool,

    /// With --http: demand `Authorization: Bearer TOKEN` on every request, and publish
    /// protected-resource and authorization-server metadata under /.well-known/.
    #[arg(long, value_name = "TOKEN", requires = "http")]
    bearer: Option<String>,

    /// With --bearer: a second accepted token, granted scope `mcp:read` only (the
    /// --bearer token has `mcp:admin`, which implies every scope). Calling a tool needs
    /// `mcp:tools`, so this token gets 403 with an insufficient_scope challenge there.
    #[arg(long, value_name = "TOKEN", requires = "bearer")]
    scoped_bearer: Option<String>,

    /// Serve the files under DIR: tools read_file and list_directory, and file://
    /// resources (and a template), confined to DIR.
    #[arg(long, value_name = "DIR")]
    root: Option<std::path::PathBuf>,

    /// Speak only revision 2026-07-28 (stateless): no initialize, no sessions.
    #[arg(long)]
    modern_only: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.list_faults {
        for f in Fault::ALL {
            println!("{:<30} {}", f.name(), f.description());
        }
        return Ok(());
    }
    if cli.list_variants {
        for v in Variant::ALL {
            println!("{:<30} {}", v.name(), v.description());
        }
        return Ok(());
    }
    let variants = match Variants::parse(&cli.variants) {
        Ok(v) => v,
        Err(name) => {
            eprintln!("mcp-reference-server: unknown variant {name:?} (see --list-variants)");
            std::process::exit(2);
        }
    };
    chatter::at_startup(&variants);
    let page_size = if variants.has(Variant::OneItemPerPage) {
        1
    } else {
        usize::try_from(cli.page_size).unwrap_or(3)
    };
    let faults = match Faults::parse(&cli.faults) {
        Ok(f) => f,
        Err(name) => {
            eprintln!("mcp-reference-server: unknown fault {name:?} (see --list-faults)");
            std::process::exit(2);
        }
    };
    let root = match &cli.root {
        Some(dir) => match dir.canonicalize() {
            Ok(r) if r.is_dir() => Some(r),
            _ => {
                eprintln!(
                    "mcp-reference-server: --root {}: not a folder",
                    dir.display()
                );
                std::process::exit(2);
            }
        },
        None => None,
    };
    let config = Config {
        faults,
        variants,
        page_size,
        root,
        modern_only: cli.modern_only,
        subscriptions: Default::default(),
    };
    if let Some(addr) = cli.http {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        eprintln!(
            "mcp-reference-server {} over HTTP (variants: {}, faults: {})",
            env!("CARGO_PKG_VERSION"),
            config.variants.names(),
            config.faults.names()
        );
        let poll = cli.sse_poll || config.variants.has(Variant::PollEveryStream);
        return runtime.block_on(http::run(config, addr, poll, cli.bearer, cli.scoped_bearer));
    }
    eprintln!(
        "mcp-reference-server {} on stdio (page size {}, variants: {}, faults: {})",
        env!("CARGO_PKG_VERSION"),
        config.page_size,
        config.variants.names(),
        config.faults.names()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let code = runtime.block_on(stdio::run(config));
    // Exit at once: tasks still running (e.g. a slow tool call) are dropped.
    std::process::exit(code);
}
