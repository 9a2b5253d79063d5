//! `aethelgard proxy llm`: a model API (OpenAI Chat Completions and Responses, Anthropic
//! Messages) behind Aethelgard, on 127.0.0.1.

use super::gate::{GateArgs, governed};
use anyhow::Context;
use std::net::SocketAddr;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
// The model API offers tools rather than lists them: the same flag, its help in this API's words.
#[command(mut_arg("task_type", |arg| arg.help(
    "The task type, instead of classifying a request (`summarise`, `implement`, ...). Without \
     `--task` or `--task-type` every tool is offered, but calls are still routed"
)))]
pub struct LlmArgs {
    /// The model API the runtime would talk to, as its base URL without the API path
    /// (`https://api.openai.com`, `https://api.anthropic.com`): a request for
    /// `/v1/responses?x=1` goes to `<upstream>/v1/responses?x=1`.
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Where to listen: a loopback address only. Port 0 picks a free port; the address is
    /// printed on stderr as `listening on http://...`.
    #[arg(long, value_name = "127.0.0.1:PORT", default_value = "127.0.0.1:8788")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub gate: GateArgs,
}

pub fn run(args: &LlmArgs) -> anyhow::Result<ExitCode> {
    if !args.listen.ip().is_loopback() {
        anyhow::bail!(
            "`--listen {}`: the proxy listens on a loopback address only (127.0.0.1:PORT); a model API proxy open to the network would hand its credentials to anyone",
            args.listen
        );
    }
    // The gate is built on its own thread (the audit store stays there), with the policy,
    // the governor and the store opened before the proxy listens.
    let gate_args = args.gate.clone();
    let (mode_sender, mode) = std::sync::mpsc::channel();
    let gate = aethelgard_proxy::llm::server::GateThread::spawn(move || {
        governed(&gate_args, "proxy-llm")
            .map(|gate| {
                let _ = mode_sender.send(gate.mode.clone());
                Box::new(gate) as Box<dyn aethelgard_proxy::mcp::Gate>
            })
            .map_err(|failure| format!("{failure:#}"))
    })?;
    let config = aethelgard_proxy::llm::server::Config {
        upstream: args.upstream.clone(),
        max_body: aethelgard_proxy::llm::server::MAX_BODY,
    };
    // Two workers: the gate runs on them (`block_in_place`) while other connections stream.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener
            .local_addr()
            .context("cannot read the listening address")?;
        eprintln!(
            "aethelgard proxy llm: listening on http://{address}, forwarding to {}",
            args.upstream
        );
        if let Ok(mode) = mode.try_recv() {
            super::gate::say(&mode.replacen("aethelgard proxy:", "aethelgard proxy llm:", 1));
        }
        aethelgard_proxy::llm::server::serve(listener, config, gate)
            .await
            .context("the LLM API proxy stopped")
    })?;
    Ok(ExitCode::SUCCESS)
}
