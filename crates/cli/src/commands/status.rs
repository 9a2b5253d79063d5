//! `aethelgard status`: ask the policy daemon how it is.

use serde_json::Value;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Ask the policy daemon (`aethelgard serve`) for its status: policy, reloads, calls served.
///
/// Exits 1 when no daemon answers.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The daemon's socket (default: as for `aethelgard serve`).
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Print the status as JSON.
    #[arg(long, conflicts_with = "prometheus")]
    pub json: bool,
    /// Print the metrics in Prometheus text format (what `GET /metrics` serves with --http).
    #[arg(long)]
    pub prometheus: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let Some(socket) = crate::daemon::socket_path(args.socket.as_deref()) else {
        eprintln!(
            "aethelgard status: no socket to ask ($AETHELGARD_SOCKET is `off`); pass --socket"
        );
        return Ok(ExitCode::FAILURE);
    };
    let request = serde_json::json!({"op": "status"});
    let status = match crate::daemon::client::request(&socket, &request, Duration::from_secs(2)) {
        Ok(status) if status.get("pid").is_some() => status,
        Ok(other) => {
            eprintln!(
                "aethelgard status: `{}` answered, but not with a status: {other}",
                socket.display()
            );
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => {
            eprintln!(
                "aethelgard status: no daemon answers on `{}` ({error}); start one with `aethelgard serve`",
                socket.display()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.json {
        println!("{status}");
    } else if args.prometheus {
        print!("{}", crate::daemon::metrics::prometheus(&status));
    } else {
        print!("{}", describe(&status));
    }
    Ok(ExitCode::SUCCESS)
}

fn describe(status: &Value) -> String {
    let text = |key: &str| match status.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".to_owned(),
        Some(other) => other.to_string(),
    };
    let calls = |key: &str| {
        status
            .get("calls")
            .and_then(|c| c.get(key))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let last_error = status
        .get("last_reload_error")
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("none");
    let uptime_s = status.get("uptime_ms").and_then(Value::as_u64).unwrap_or(0) / 1000;
    let latency = status.get("latency").cloned().unwrap_or(Value::Null);
    let bound = |q: f64| {
        crate::daemon::metrics::quantile_us(&latency, q)
            .map_or_else(|| "-".to_owned(), |us| format!("<= {us} us"))
    };
    let answered = latency.get("count").and_then(Value::as_u64).unwrap_or(0);
    let mean = latency
        .get("sum_us")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        .checked_div(answered)
        .map_or_else(|| "-".to_owned(), |us| format!("{us} us"));
    let http = match status.get("http").and_then(Value::as_str) {
        Some(address) => format!(
            "http://{address} (POST /route and /scope need the bearer token in {})",
            text("http_token_file")
        ),
        None => "off".to_owned(),
    };
    format!(
        "daemon       pid {} (version {}), up {uptime_s} s, socket {}\n\
         policy       {} (sha256 {}, {} rules, fails {})\n\
         loaded at    {} ms since the epoch; {} reloads, {} failed\n\
         last error   {last_error}\n\
         calls        {} allowed, {} blocked, {} escalated; {} scopes; {} bad requests\n\
         latency      {answered} answers: mean {mean}, p50 {}, p99 {} (request read to answer ready, recording included)\n\
         refused      {} connections from other users or HTTP requests without the token; {} decisions the audit log could not record\n\
         audit        {}\n\
         http         {http}\n",
        text("pid"),
        text("version"),
        text("socket"),
        text("policy"),
        text("policy_sha256"),
        text("rules"),
        text("fail_mode"),
        text("loaded_at_ms"),
        text("reloads"),
        text("reload_failures"),
        calls("allow"),
        calls("block"),
        calls("escalate"),
        text("scopes"),
        text("errors"),
        bound(0.5),
        bound(0.99),
        text("refused_peers"),
        text("audit_failures"),
        text("audit_store"),
    )
}
