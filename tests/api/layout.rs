//! The shape of the code: no circle between the top-level modules, and none between the modules
//! of one room (`store::*`, `transfer::*`, `http::*`…), read from the `crate::` and `super::`
//! paths of the source.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module of `src` (`store::counts`, `http`, …) with its source.
fn modules() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter(|f| !f.ends_with("main.rs") && !f.ends_with("lib.rs") && !f.starts_with(src.join("bench")))
        .map(|f| {
            let relative = f.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            (parts.join("::"), std::fs::read_to_string(&f).unwrap())
        })
        .collect()
}

/// The modules a source names: `crate::a::b…`, `crate::a::{b, c}`, and `super::b` (a sibling),
/// each as deep as `depth` segments. Test modules are left out.
fn references(module: &str, source: &str, depth: usize) -> BTreeSet<String> {
    let source = source.split("#[cfg(test)]").next().unwrap_or(source);
    let parent: Vec<&str> = module.split("::").collect();
    let mut found = BTreeSet::new();
    let mut add = |path: Vec<String>| {
        let named: Vec<String> = path
            .into_iter()
            .take_while(|s| {
                s.chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
            })
            .take(depth)
            .collect();
        if !named.is_empty() {
            found.insert(named.join("::"));
        }
    };
    for (prefix, base) in [
        ("crate::", Vec::new()),
        ("super::", parent[..parent.len().saturating_sub(1)].to_vec()),
    ] {
        for (at, _) in source.match_indices(prefix) {
            if prefix == "super::" && source[..at].ends_with("::") {
                continue;
            }
            let rest = &source[at + prefix.len()..];
            let end = rest
                .find(|c: char| {
                    !(c.is_alphanumeric()
                        || c == '_'
                        || c == ':'
                        || c == '{'
                        || c == '}'
                        || c == ','
                        || c == ' '
                        || c == '\n')
                })
                .unwrap_or(rest.len());
            let path = &rest[..end];
            let mut base: Vec<String> = base.iter().map(|s| s.to_string()).collect();
            // A group opens before any group closes; a `}` first ends an outer group.
            let path = match (path.find('{'), path.find('}')) {
                (Some(open), Some(close)) if close < open => &path[..close],
                (None, Some(close)) => &path[..close],
                _ => path,
            };
            match path.find('{') {
                Some(open) => {
                    base.extend(
                        path[..open]
                            .split("::")
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned),
                    );
                    let close = path[open..].find('}').map_or(path.len(), |c| open + c);
                    for item in path[open + 1..close].split(',') {
                        let mut full = base.clone();
                        full.extend(
                            item.trim()
                                .split("::")
                                .filter(|s| !s.is_empty() && *s != "self")
                                .map(str::to_owned),
                        );
                        add(full);
                    }
                }
                None => {
                    base.extend(
                        path.split("::")
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(str::to_owned),
                    );
                    add(base);
                }
            }
        }
    }
    found
}

/// A circle in the graph, if any.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_owned());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_circle_between_the_top_level_modules() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, source) in modules() {
        let top = module.split("::").next().unwrap().to_owned();
        let uses = references(&module, &source, 1);
        let entry = graph.entry(top.clone()).or_default();
        entry.extend(uses.into_iter().filter(|u| *u != top));
    }
    assert!(graph.len() > 10, "{graph:?}");
    assert_eq!(circle(&graph), None);
}

#[test]
fn no_circle_between_the_modules_of_a_room() {
    let modules = modules();
    let rooms: BTreeSet<String> = modules
        .iter()
        .filter(|(m, _)| m.contains("::"))
        .map(|(m, _)| m.split("::").next().unwrap().to_owned())
        .collect();
    for room in rooms {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, source) in modules
            .iter()
            .filter(|(m, _)| m.starts_with(&format!("{room}::")))
        {
            let uses = references(module, source, 2)
                .into_iter()
                .filter(|u| u.starts_with(&format!("{room}::")) && u != module)
                .collect();
            graph.insert(module.clone(), uses);
        }
        assert_eq!(circle(&graph), None, "a circle in {room}");
    }
}

#[test]
fn a_circle_is_found() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_owned(), BTreeSet::from(["b".to_owned()])),
        ("b".to_owned(), BTreeSet::from(["c".to_owned()])),
        ("c".to_owned(), BTreeSet::from(["a".to_owned()])),
    ]
    .into();
    assert_eq!(circle(&graph).unwrap().len(), 4);
    let refs = references(
        "store::counts",
        "use crate::store::{batches::Batch, Tx};\nuse super::handoffs;",
        2,
    );
    assert_eq!(
        refs,
        BTreeSet::from([
            "store::batches".to_owned(),
            "store::handoffs".to_owned(),
            "store".to_owned()
        ])
    );
}
