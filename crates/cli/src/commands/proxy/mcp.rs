//! `aethelgard proxy mcp`: an MCP server behind Aethelgard, over stdio or Streamable HTTP on
//! either side.

use super::gate::{GateArgs, Governed, governed};
use aethelgard_proxy::mcp::http;
use std::ffi::OsString;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct McpArgs {
    #[command(flatten)]
    pub gate: GateArgs,
    /// Where the client connects: `stdio` (the default; the runtime starts the proxy as the
    /// server) or `http://127.0.0.1:PORT` (Streamable HTTP on any path; port 0 picks one, and the
    /// address is printed on stderr).
    #[arg(long, default_value = "stdio", value_name = "stdio|URL")]
    pub listen: String,
    /// Serve `--listen` on an address other than loopback (anyone who reaches it can use the
    /// server through the proxy).
    #[arg(long)]
    pub allow_non_loopback: bool,
    /// A Streamable HTTP MCP server to proxy, instead of a command.
    #[arg(long, value_name = "URL", conflicts_with = "command")]
    pub upstream: Option<String>,
    /// A header to send with every request to `--upstream` (`Name: value`; repeatable), such as
    /// `Authorization: Bearer ...`. A client's own headers pass through too.
    #[arg(long = "header", value_name = "NAME: VALUE", requires = "upstream")]
    pub headers: Vec<String>,
    /// The MCP server's command and its arguments, after `--`.
    #[arg(
        last = true,
        required_unless_present = "upstream",
        value_name = "COMMAND"
    )]
    pub command: Vec<OsString>,
}

pub fn run(args: &McpArgs) -> anyhow::Result<ExitCode> {
    let gate = governed(&args.gate, "proxy-mcp")?;
    let listen = http::parse_listen(&args.listen, args.allow_non_loopback)?;
    let upstream = args
        .upstream
        .as_deref()
        .map(|url| http::parse_upstream(url, &args.headers))
        .transpose()?;
    match (listen, upstream) {
        (None, None) => {
            super::gate::say(&gate.mode);
            stdio(&args.command, gate)
        }
        (None, Some(upstream)) => {
            super::gate::say(&gate.mode);
            ended(http::bridge(upstream, gate))
        }
        (Some(listen), upstream) => {
            let upstream = match upstream {
                Some(upstream) => http::Upstream::Http(upstream),
                None => http::Upstream::Command(args.command.clone()),
            };
            let mode = gate.mode.clone();
            ended(http::serve(listen, upstream, gate, |addr| {
                eprintln!("aethelgard proxy: serving MCP on http://{addr}/");
                super::gate::say(&mode);
            }))
        }
    }
}

fn ended(outcome: Result<(), http::HttpError>) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => {
            eprintln!("aethelgard proxy: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn stdio(command: &[OsString], gate: Governed) -> anyhow::Result<ExitCode> {
    match aethelgard_proxy::mcp::stdio::run(command, gate) {
        Ok(ended) => match ended.server {
            Some(status) if status.success() => Ok(ExitCode::SUCCESS),
            Some(status) => {
                eprintln!("aethelgard proxy: the MCP server exited with {status}");
                Ok(ExitCode::FAILURE)
            }
            None => {
                eprintln!(
                    "aethelgard proxy: the MCP server did not exit after its input closed; it was killed"
                );
                Ok(ExitCode::FAILURE)
            }
        },
        Err(error) => {
            eprintln!("aethelgard proxy: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}
