//! Load-time checks of each rule's `match` / `not_match` examples: a rule that does not do what
//! its examples say stops the load, naming the rule and the example.

use crate::compiled::CompiledPolicy;
use crate::error::RouterError;
use crate::facts::Environment;
use crate::stage1::{rule_hit, Hit};
use aethelgard_policy::Example;
use aethelgard_protocol::ToolCall;
use serde_json::json;

pub(crate) fn check(policy: &CompiledPolicy) -> Result<usize, RouterError> {
    let context = &policy.file.examples;
    let env = Environment::new(context.home.clone(), context.cwd.clone());
    let mut checked = 0;
    for rule in &policy.rules {
        for (example, expected) in rule.rule.matches.iter().map(|e| (e, true)).chain(rule.rule.not_match.iter().map(|e| (e, false))) {
            let call = match example {
                Example::Command(command) => ToolCall::new(context.shell_tool.clone(), json!({ "command": command })),
                Example::Call(call) => ToolCall::new(call.tool.clone(), call.args.clone()),
            }
            .with_cwd(context.cwd.clone());
            let facts = crate::facts::extract(&call, &policy.catalog, &env);
            let tool = globset::Candidate::new(&call.tool);
            let hit = rule_hit(rule, policy, &call, &tool, &facts).map_err(|message| RouterError::Compile {
                origin: policy.origin.clone(),
                rule: rule.rule.id.clone(),
                message,
            })?;
            let ok = matches!((&hit, expected), (Hit::Yes, true) | (Hit::No, false));
            if !ok {
                let message = match (hit, expected) {
                    (Hit::Maybe(why), true) => format!("example {example} should match, but only might ({why}); make the example concrete or the rule broader"),
                    (Hit::Maybe(why), false) => format!("example {example} should not match, but might ({why}), which escalates it"),
                    (_, true) => format!("example {example} should match but does not; fix the rule or the example"),
                    (_, false) => format!("example {example} should not match but does; narrow the rule or fix the example"),
                };
                return Err(RouterError::Example { origin: policy.origin.clone(), rule: rule.rule.id.clone(), message });
            }
            checked += 1;
        }
    }
    Ok(checked)
}
