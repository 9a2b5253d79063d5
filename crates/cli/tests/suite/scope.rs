//! `aethelgard scope` as a user and a script drive it.

use serde_json::Value;
use std::io::Write as _;
use std::process::{Output, Stdio};

fn scope(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = super::command()
        .arg("scope")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn names(value: &Value) -> Vec<&str> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect()
}

#[test]
fn a_named_task_type_over_a_runtime_catalog_splits_every_tool_once() {
    let output = scope(&["--task-type", "summarise", "--runtime", "claude"], None);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let manifest = &lines(&output)[0];
    assert_eq!(manifest["task_type"], "summarise");
    assert_eq!(manifest["method"], "explicit");
    let granted = names(&manifest["granted"]);
    let denied = names(&manifest["denied"]);
    assert!(granted.contains(&"Read") && granted.contains(&"WebFetch"), "{granted:?}");
    for hidden in ["Bash", "Write", "Edit", "Agent", "CronCreate"] {
        assert!(denied.contains(&hidden), "{hidden} not denied: {denied:?}");
    }
    let catalog = aethelgard_policy::Catalog::builtin("claude").unwrap();
    assert_eq!(granted.len() + denied.len(), catalog.len());
}

#[test]
fn batch_answers_every_line_in_order_and_a_bad_line_grants_nothing() {
    let input = concat!(
        "{\"task_type\": \"review\", \"tools\": [\"Read\", \"Bash\", \"Write\"]}\n",
        "not json\n",
        "{\"task_type\": \"implement\", \"tools\": [\"Read\", \"Bash\", \"Write\", \"Agent\"]}\n",
        "{\"tools\": [\"Read\"]}\n",
        "{\"task_type\": \"no-such-type\", \"tools\": [\"Read\"]}\n",
    );
    let output = scope(&["--batch", "-", "--explain"], Some(input));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let out = lines(&output);
    assert_eq!(out.len(), 5);
    assert_eq!(names(&out[0]["granted"]), ["Read", "Bash"]);
    assert_eq!(out[0]["verdicts"][2]["because"], "not_selected");
    assert!(out[1]["error"].as_str().unwrap().starts_with("line 2:"), "{}", out[1]);
    assert_eq!(out[1]["granted"], serde_json::json!([]));
    assert_eq!(names(&out[2]["granted"]), ["Read", "Bash", "Write"]);
    assert_eq!(out[2]["verdicts"][3]["because"], "not_selected", "{}", out[2]);
    assert!(out[3]["error"].as_str().unwrap().contains("neither"), "{}", out[3]);
    assert!(out[4]["error"].as_str().unwrap().contains("unknown task type `no-such-type`"), "{}", out[4]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("3 line(s) could not be read"));
}

#[test]
fn mistakes_are_explained() {
    let output = scope(&[], None);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--task"), "{}", String::from_utf8_lossy(&output.stderr));
    let output = scope(&["--task-type", "sumarise"], None);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown task type `sumarise`") && stderr.contains("summarise"), "{stderr}");
}

#[test]
fn a_learned_policy_replaces_the_selection_but_keeps_the_ceiling() {
    let dir = std::env::temp_dir().join(format!("aethelgard-scope-learned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let learned = dir.join("learned.toml");
    std::fs::write(&learned, "version = 1\nalgo = \"frequency\"\n[task_types.summarise]\ngrant = [\"Grep\", \"Bash\"]\n").unwrap();
    let output = scope(&["--task-type", "summarise", "--tools", "Read,Grep,Bash", "--learned", learned.to_str().unwrap()], None);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(names(&lines(&output)[0]["granted"]), ["Grep"]);
    std::fs::write(&learned, "version = 1\nalgo = \"x\"\n[task_types.summarise.scores]\nRead = 7.0\n").unwrap();
    let output = scope(&["--task-type", "summarise", "--learned", learned.to_str().unwrap()], None);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("learned.toml") && stderr.contains("outside 0..1"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
