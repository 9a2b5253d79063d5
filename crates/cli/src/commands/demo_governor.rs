//! The demo's layer 1: each scenario's request is classified and scoped by the built-in governor
//! over the tools its runtime offered, so the router then refuses calls to tools the task was not
//! granted. The scenario's own `task_type` label is kept beside the classifier's answer to show
//! how often they agree.

use aethelgard_governor::Governor;
use aethelgard_protocol::SessionRecord;
use std::collections::BTreeMap;

/// What scoping the scenarios did.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sessions: usize,
    /// Sessions whose classified task type equals the scenario's label.
    pub agreed: usize,
    /// Mean of |granted| / |available| over the sessions.
    pub mean_granted_share: f64,
    /// Per task type (as labelled): sessions, mean available, mean granted.
    pub by_type: BTreeMap<String, (usize, f64, f64)>,
    /// Sessions whose needed tools were not all granted: (label, classified type, confidence,
    /// missing tools, request).
    pub short: Vec<(String, String, f64, Vec<String>, String)>,
}

/// Classifies and scopes every session in place: `granted` becomes the manifest of the type the
/// classifier chose; `task_type` keeps the scenario's label, so the report groups by what the
/// task really was. Returns the tally.
pub fn scope(governor: &Governor, sessions: &mut [SessionRecord]) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome { sessions: sessions.len(), ..Outcome::default() };
    let mut share_sum = 0.0;
    for session in sessions.iter_mut() {
        let label = session.task_type.clone().unwrap_or_else(|| "unlabelled".to_owned());
        let scoped = governor.scope(Some(&session.task), None, Some(&session.tools))?;
        if scoped.manifest.task_type == label {
            outcome.agreed += 1;
        }
        let missing: Vec<String> =
            session.needed.iter().flatten().filter(|tool| !scoped.manifest.granted.contains(tool)).cloned().collect();
        if !missing.is_empty() {
            outcome.short.push((
                label.clone(),
                scoped.manifest.task_type.clone(),
                scoped.classification.confidence,
                missing,
                session.task.clone(),
            ));
        }
        let available = session.tools.len().max(1) as f64;
        let granted = scoped.manifest.granted.len() as f64;
        share_sum += granted / available;
        let entry = outcome.by_type.entry(label).or_insert((0, 0.0, 0.0));
        entry.0 += 1;
        entry.1 += session.tools.len() as f64;
        entry.2 += granted;
        session.granted = Some(scoped.manifest.granted);
    }
    for entry in outcome.by_type.values_mut() {
        let n = entry.0.max(1) as f64;
        entry.1 /= n;
        entry.2 /= n;
    }
    outcome.mean_granted_share = share_sum / sessions.len().max(1) as f64;
    Ok(outcome)
}

/// The report's section for layer 1.
pub fn render(outcome: &Outcome) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(s, "\n## Layer 1: each scenario scoped to its task\n");
    let _ = writeln!(
        s,
        "The built-in classifier read each request and the task profile of its type chose the tools the agent may see. \
         It agreed with the scenario's own label on {} of {} sessions. On average a session saw {:.1}% of the tools its runtime offers \
         (attack surface reduction {:.1}%). Calls to tools outside the manifest are then refused by the router (rule `manifest.not-granted`).\n",
        outcome.agreed,
        outcome.sessions,
        100.0 * outcome.mean_granted_share,
        100.0 * (1.0 - outcome.mean_granted_share),
    );
    let _ = writeln!(s, "| task type (label) | sessions | tools available | tools granted |\n|---|---:|---:|---:|");
    for (task_type, (n, available, granted)) in &outcome.by_type {
        let _ = writeln!(s, "| {task_type} | {n} | {available:.1} | {granted:.1} |");
    }
    let _ = writeln!(
        s,
        "\nThe price: {} of {} sessions were not granted a tool their task needs, so they cannot succeed as scripted. \
         Some were classified as another type; others need a tool their type's static profile leaves out \
         (Codex reads files only through its shell, which `summarise` and `answer` do not get). \
         Learning each type's tool set from logs is layer 2's job.\n",
        outcome.short.len(),
        outcome.sessions
    );
    let _ = writeln!(s, "| label | classified as | confidence | needed but not granted | request |\n|---|---|---:|---|---|");
    for (label, classified, confidence, missing, request) in &outcome.short {
        let _ = writeln!(s, "| {label} | {classified} | {confidence:.2} | {} | {} |", missing.join(", "), request.replace('|', "\\|"));
    }
    s
}
