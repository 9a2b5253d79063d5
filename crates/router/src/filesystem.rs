//! The filesystem table: path → deny / read / write, where the most specific entry wins.
//!
//! "Most specific" is decided in this order: an entry that matches the path itself beats one that
//! only covers an ancestor directory (so `**/.env = deny` beats `. = write` for the workspace's
//! `.env`); then the entry with more literal path components (workspace and home count with
//! their own depth, so `~/.ssh` beats `~`); then the stricter access.
//!
//! Entries are anchored three ways, so one compiled table serves every workspace: relative entries
//! are matched against the path relative to the call's workspace, `~` entries against the path
//! relative to the home, and absolute and `**/` entries against the absolute path.

use aethelgard_policy::{FilesystemAccess, FilesystemSection};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    Absolute,
    Home,
    Workspace,
}

#[derive(Debug)]
struct Entry {
    pattern: String,
    access: FilesystemAccess,
    #[cfg_attr(not(test), allow(dead_code))]
    anchor: Anchor,
    /// Literal score of the pattern itself, without its anchor.
    score: u32,
    /// A literal path (no glob characters), for `targets` checks on writable roots.
    literal: bool,
}

/// One anchored group of glob entries: index `2*i` of the set matches entry `entries[i]` itself,
/// `2*i+1` its descendants.
#[derive(Debug)]
struct Group {
    set: GlobSet,
    entries: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct Filesystem {
    entries: Vec<Entry>,
    /// Entries without glob characters, matched by comparing path components (most entries).
    literals: Vec<(usize, Anchor, String)>,
    /// Glob entries per anchor, built on first use: a hook judging `git status` never needs them.
    globs: [Vec<(usize, String)>; 3],
    groups: OnceLock<Result<[Group; 3], String>>,
    pub default: FilesystemAccess,
}

/// The entry that decides a path's access.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Governing<'a> {
    pub pattern: &'a str,
    pub access: FilesystemAccess,
}

pub(crate) fn glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).backslash_escape(true).build()
}

/// Splits a pattern into its anchor and the part below it.
pub(crate) fn anchor(pattern: &str) -> (Anchor, &str) {
    if pattern == "/" {
        (Anchor::Absolute, "")
    } else if pattern == "~" {
        (Anchor::Home, "")
    } else if let Some(rest) = pattern.strip_prefix("~/") {
        (Anchor::Home, rest.trim_end_matches('/'))
    } else if pattern.starts_with('/') || pattern.starts_with("**") {
        (Anchor::Absolute, pattern.trim_end_matches('/'))
    } else if pattern == "." || pattern == "./" {
        (Anchor::Workspace, "")
    } else {
        (Anchor::Workspace, pattern.strip_prefix("./").unwrap_or(pattern).trim_end_matches('/'))
    }
}

fn literal_score(pattern: &str) -> u32 {
    pattern
        .split('/')
        .filter(|c| !c.is_empty())
        .map(|component| {
            if component == "**" {
                0
            } else if component == "*" {
                1
            } else if component.contains(['*', '?', '[', '{']) {
                2
            } else {
                3
            }
        })
        .sum()
}

fn depth(path: &str) -> u32 {
    u32::try_from(path.split('/').filter(|c| !c.is_empty()).count()).unwrap_or(u32::MAX)
}

impl Filesystem {
    pub(crate) fn compile(section: &FilesystemSection) -> Result<Self, String> {
        // The workspace is writable unless the table says otherwise (`"." = "read"`).
        let mut paths = section.paths.clone();
        if !paths.keys().any(|p| anchor(p) == (Anchor::Workspace, "")) {
            paths.insert(".".to_owned(), FilesystemAccess::Write);
        }
        let mut entries = Vec::new();
        let mut literals = Vec::new();
        let mut globs: [Vec<(usize, String)>; 3] = [Vec::new(), Vec::new(), Vec::new()];
        for (pattern, access) in &paths {
            let (anchor, rest) = anchor(pattern);
            let index = entries.len();
            let literal = !rest.contains(['*', '?', '[', '{', '\\']);
            if literal {
                literals.push((index, anchor, rest.to_owned()));
            } else {
                glob(rest).map_err(|e| format!("filesystem path `{pattern}`: {e}"))?;
                if let Some(list) = globs.get_mut(anchor as usize) {
                    list.push((index, rest.to_owned()));
                }
            }
            entries.push(Entry { pattern: pattern.clone(), access: *access, anchor, score: literal_score(rest), literal });
        }
        Ok(Self { entries, literals, globs, groups: OnceLock::new(), default: section.default })
    }

    fn groups(&self) -> Result<&[Group; 3], String> {
        self.groups
            .get_or_init(|| {
                let mut groups = Vec::with_capacity(3);
                for list in &self.globs {
                    let mut builder = GlobSetBuilder::new();
                    for (_, rest) in list {
                        builder.add(glob(rest).map_err(|e| e.to_string())?);
                        builder.add(glob(&format!("{rest}/**")).map_err(|e| e.to_string())?);
                    }
                    let set = builder.build().map_err(|e| format!("filesystem table: {e}"))?;
                    groups.push(Group { set, entries: list.iter().map(|(i, _)| *i).collect() });
                }
                groups.try_into().map_err(|_| "filesystem table: internal group count".to_owned())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The governing entry for an absolute, normalised path.
    pub(crate) fn governing(&self, path: &str, workspace: &str, home: &str) -> Governing<'_> {
        // (matches itself, literal score, strictness) — larger wins.
        let mut best: Option<((bool, u32, u8), usize)> = None;
        let consider = |index: usize, itself: bool, anchor_depth: u32, best: &mut Option<((bool, u32, u8), usize)>| {
            if let Some(entry) = self.entries.get(index) {
                let strict = match entry.access {
                    FilesystemAccess::Deny => 2,
                    FilesystemAccess::Read => 1,
                    FilesystemAccess::Write => 0,
                };
                let key = (itself, anchor_depth * 3 + entry.score, strict);
                if best.as_ref().is_none_or(|(k, _)| key > *k) {
                    *best = Some((key, index));
                }
            }
        };
        // The path relative to each anchor, computed once (anchors are Absolute, Home, Workspace).
        let relatives: [Option<(&str, u32)>; 3] = [
            Some((path, 0)),
            relative_to(path, home).map(|r| (r, depth(home))),
            relative_to(path, workspace).map(|r| (r, depth(workspace))),
        ];
        let relative_for = |anchor: Anchor| -> Option<(&str, u32)> { relatives.get(anchor as usize).copied().flatten() };
        for (index, anchor, rest) in &self.literals {
            let Some((relative, anchor_depth)) = relative_for(*anchor) else { continue };
            if rest.is_empty() {
                let at_root = if *anchor == Anchor::Absolute { path == "/" } else { relative.is_empty() };
                consider(*index, at_root, anchor_depth, &mut best);
            } else if relative == rest {
                consider(*index, true, anchor_depth, &mut best);
            } else if relative.strip_prefix(rest.as_str()).is_some_and(|r| r.starts_with('/')) {
                consider(*index, false, anchor_depth, &mut best);
            }
        }
        if self.globs.iter().any(|g| !g.is_empty()) {
            // A table whose globs fail to build was rejected at load; should it happen, the glob
            // entries are skipped and the literal entries still decide.
            if let Ok(groups) = self.groups() {
                for anchor in [Anchor::Absolute, Anchor::Home, Anchor::Workspace] {
                    let (Some(group), Some((relative, anchor_depth))) = (groups.get(anchor as usize), relative_for(anchor)) else { continue };
                    if relative.is_empty() {
                        continue;
                    }
                    for matched in group.set.matches(relative) {
                        if let Some(&index) = group.entries.get(matched / 2) {
                            consider(index, matched % 2 == 0, anchor_depth, &mut best);
                        }
                    }
                }
            }
        }
        match best.and_then(|(_, index)| self.entries.get(index)) {
            Some(entry) => Governing { pattern: &entry.pattern, access: entry.access },
            None => Governing { pattern: "(default)", access: self.default },
        }
    }

    /// Whether a recursive delete of `path` stays inside a writable area: strictly below the
    /// workspace, or strictly below another writable entry of the table (`/tmp/build` but not
    /// `/tmp`). The workspace root, the home directory and their ancestors are never inside.
    pub(crate) fn strictly_inside_writable(&self, path: &str, workspace: &str, home: &str) -> bool {
        // The workspace root, the home directory and their ancestors are never "inside", even
        // when they sit in a writable area (a home under /tmp).
        if aethelgard_shell::is_within(workspace, path) || aethelgard_shell::is_within(home, path) {
            return false;
        }
        if aethelgard_shell::is_within(path, workspace) {
            return true;
        }
        if self.governing(path, workspace, home).access != FilesystemAccess::Write {
            return false;
        }
        // Not the root of a writable literal entry itself (`rm -rf /tmp`).
        !self.entries.iter().any(|entry| {
            entry.access == FilesystemAccess::Write
                && entry.literal
                && match anchor(&entry.pattern) {
                    (Anchor::Absolute, rest) => rest == path,
                    (Anchor::Home, rest) => aethelgard_shell::normalize(rest, home, home) == path,
                    (Anchor::Workspace, rest) => aethelgard_shell::normalize(rest, workspace, home) == path,
                }
        })
    }

    #[cfg(test)]
    pub(crate) fn entry_anchor(&self, pattern: &str) -> Option<Anchor> {
        self.entries.iter().find(|e| e.pattern == pattern).map(|e| e.anchor)
    }
}

/// `path` relative to `base` ("" for `base` itself), if it lies within it.
pub(crate) fn relative_to<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    if base == "/" {
        return Some(path.trim_start_matches('/'));
    }
    match path.strip_prefix(base) {
        Some("") => Some(""),
        Some(rest) => rest.strip_prefix('/'),
        None => None,
    }
}
