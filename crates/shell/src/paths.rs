//! Lexical path handling: no file system access, so symlinks are not followed.

/// Joins `path` onto `cwd` (unless absolute), expands a leading `~`, and removes `.` and `..`
/// components lexically. `..` above the root stays at the root, as in the kernel.
pub fn normalize(path: &str, cwd: &str, home: &str) -> String {
    let joined = if path == "~" {
        home.to_owned()
    } else if let Some(rest) = path.strip_prefix("~/") {
        format!("{home}/{rest}")
    } else if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("{cwd}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = String::with_capacity(joined.len());
    for part in &parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether `path` is `root` or lies below it (both normalised, absolute).
pub fn is_within(path: &str, root: &str) -> bool {
    if root == "/" {
        return true;
    }
    match path.strip_prefix(root) {
        Some("") => true,
        Some(rest) => rest.starts_with('/'),
        None => false,
    }
}
