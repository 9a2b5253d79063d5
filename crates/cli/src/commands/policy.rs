use aethelgard_policy::import;
use aethelgard_router::{Environment, Router};
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

pub fn check(file: &str) -> anyhow::Result<ExitCode> {
    let env = Environment::from_process();
    let result = if file == "builtin" {
        Router::builtin(env, aethelgard_router::Examples::Check)
    } else {
        Router::from_path(Path::new(file), env, aethelgard_router::Examples::Check)
    };
    match result {
        Ok(router) => {
            println!(
                "ok: {} — {} rules, {} examples checked, {} tools in the catalog",
                router.origin(),
                router.rule_count(),
                router.examples_checked(),
                router.catalog().len()
            );
            // Layer 1: the profiles loaded with the policy; mistakes that load are warnings.
            let governor = if file == "builtin" {
                aethelgard_governor::Governor::builtin().map_err(anyhow::Error::from)
            } else {
                crate::load::governor(Some(Path::new(file)), None)
            };
            match governor {
                Ok(governor) => {
                    println!("ok: {} task profiles", governor.profiles().count());
                    for warning in governor.profile_warnings() {
                        eprintln!("warning: {warning}");
                    }
                }
                Err(error) => {
                    eprintln!("error: {error:#}");
                    return Ok(ExitCode::FAILURE);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!("error: {error}");
            Ok(ExitCode::FAILURE)
        }
    }
}

pub enum Format {
    CodexRules,
    ClaudePermissions,
}

pub fn import(format: Format, file: &Path) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read `{}`", file.display()))?;
    let origin = file.display().to_string();
    let rules = match format {
        Format::CodexRules => import::codex_rules(&text, &origin)?,
        Format::ClaudePermissions => import::claude_permissions(&text, &origin)?,
    };
    let toml = import::to_toml(&rules).context("cannot render the rules as TOML")?;
    // Check the imported examples against the built-in catalogs before handing the rules over.
    let policy = format!("version = 1\n[catalog]\nbuiltin = [\"codex\", \"claude\", \"openclaw\"]\n\n{toml}");
    let (parsed, catalog) = aethelgard_policy::parse(&policy, &origin, None)?;
    if let Err(error) = Router::new(parsed, catalog, &origin, Environment::from_process()) {
        eprintln!("warning: an imported rule's examples do not hold under Aethelgard's matching: {error}");
    }
    println!("# Imported from {origin} by `aethelgard policy import`.");
    print!("{toml}");
    eprintln!("imported {} rules", rules.len());
    Ok(ExitCode::SUCCESS)
}
