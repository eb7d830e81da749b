//! The layout stays acyclic: no two source files import each other, directly or through
//! others. A file's imports are the `crate::…`, `super::…` and `self::…` paths it names
//! (outside its `#[cfg(test)]` module), resolved to the file of the deepest module they
//! reach; a module's `mod.rs` declaring its children is not an import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file under `src/`: `src/infer/npe/mod.rs` → `["infer", "npe"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The code of a file without comments and without its test module.
fn code(text: &str) -> String {
    let body = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    body.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::`/`super::`/`self::` path in `code`, with `{a, b}` groups expanded one
/// level, each with the inline modules (`mod name { … }`) it sits in.
fn paths(code: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut inline: Vec<(String, usize)> = Vec::new(); // (module, brace depth inside it)
    let mut depth = 0usize;
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            depth += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            if inline.last().is_some_and(|(_, d)| *d > depth) {
                inline.pop();
            }
        }
        let boundary = i == 0 || !(ident(chars[i - 1]) || chars[i - 1] == ':');
        let rest: String = chars[i..chars.len().min(i + 7)].iter().collect();
        if boundary && rest.starts_with("mod ") {
            // `mod name {` opens an inline module; `mod name;` declares a file
            let mut j = i + 4;
            let start = j;
            while j < chars.len() && ident(chars[j]) {
                j += 1;
            }
            let name: String = chars[start..j].iter().collect();
            let mut k = j;
            while k < chars.len() && chars[k].is_whitespace() {
                k += 1;
            }
            if k < chars.len() && chars[k] == '{' {
                inline.push((name, depth + 1));
            }
            i = j;
            continue;
        }
        let starts = rest.starts_with("crate::")
            || rest.starts_with("super::")
            || rest.starts_with("self::");
        if starts && boundary {
            let mut j = i;
            while j < chars.len() && (ident(chars[j]) || chars[j] == ':') {
                j += 1;
            }
            let path: String = chars[i..j].iter().collect();
            let segs: Vec<String> = path
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            let here: Vec<String> = inline.iter().map(|(m, _)| m.clone()).collect();
            if j < chars.len() && chars[j] == '{' && path.ends_with("::") {
                let close = chars[j..]
                    .iter()
                    .position(|&c| c == '}')
                    .map_or(chars.len(), |k| j + k);
                let group: String = chars[j + 1..close].iter().collect();
                for item in group.split(',') {
                    let head = item
                        .trim()
                        .split("::")
                        .next()
                        .unwrap_or("")
                        .split_whitespace()
                        .next()
                        .unwrap_or("");
                    if !head.is_empty() {
                        let mut p = segs.clone();
                        p.push(head.to_string());
                        out.push((here.clone(), p));
                    }
                }
                i = close;
                continue;
            }
            if segs.len() > 1 {
                out.push((here, segs));
            }
            i = j.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The file of the deepest module `path` reaches from module `current`.
fn resolve(
    modules: &BTreeMap<Vec<String>, PathBuf>,
    current: &[String],
    path: &[String],
) -> Option<PathBuf> {
    let (mut base, mut rest): (Vec<String>, &[String]) = match path.first().map(String::as_str) {
        Some("crate") => (vec![], &path[1..]),
        Some("self") => (current.to_vec(), &path[1..]),
        Some("super") => (current.to_vec(), path),
        _ => return None,
    };
    while rest.first().map(String::as_str) == Some("super") {
        base.pop();
        rest = &rest[1..];
    }
    let mut best = None;
    for k in 0..=rest.len() {
        let mut m = base.clone();
        m.extend(rest[..k].iter().cloned());
        if let Some(f) = modules.get(&m) {
            best = Some(f.clone());
        }
    }
    best
}

#[test]
fn no_import_cycles_between_source_files() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_path(&src, f), f.clone()))
        .collect();
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in &files {
        let current = module_path(&src, f);
        let text = std::fs::read_to_string(f).unwrap();
        let targets = edges.entry(f.clone()).or_default();
        for (inline, p) in paths(&code(&text)) {
            let mut here = current.clone();
            here.extend(inline);
            if let Some(t) = resolve(&modules, &here, &p) {
                if &t != f {
                    targets.insert(t);
                }
            }
        }
    }
    // depth-first search for a back edge
    fn visit(
        f: &PathBuf,
        edges: &BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        state: &mut BTreeMap<PathBuf, u8>,
        stack: &mut Vec<PathBuf>,
    ) -> Option<Vec<PathBuf>> {
        state.insert(f.clone(), 1);
        stack.push(f.clone());
        for t in edges.get(f).into_iter().flatten() {
            match state.get(t).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| s == t).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(t.clone());
                    return Some(cycle);
                }
                0 => {
                    if let Some(c) = visit(t, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(f.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for f in edges.keys() {
        if state.get(f).copied().unwrap_or(0) == 0 {
            if let Some(cycle) = visit(f, &edges, &mut state, &mut Vec::new()) {
                let names: Vec<String> = cycle
                    .iter()
                    .map(|p| p.strip_prefix(&src).unwrap().display().to_string())
                    .collect();
                panic!("import cycle between source files: {}", names.join(" → "));
            }
        }
    }
    assert!(edges.len() > 50, "found only {} source files", edges.len());
}

#[test]
fn the_cycle_finder_finds_a_known_cycle() {
    // the parser on code written in the style of the sources
    let only =
        |code: &str| -> Vec<Vec<String>> { paths(code).into_iter().map(|(_, p)| p).collect() };
    let v = |s: &[&str]| -> Vec<String> { s.iter().map(|x| x.to_string()).collect() };
    let a = code("use super::b::Thing;\nfn f() { crate::x::y::z(); }\n#[cfg(test)]\nmod tests { use super::c; }");
    let p = only(&a);
    assert!(p.contains(&v(&["super", "b", "Thing"])), "{p:?}");
    assert!(p.contains(&v(&["crate", "x", "y", "z"])), "{p:?}");
    assert!(
        !p.iter().any(|q| q.contains(&"c".to_string())),
        "test modules are ignored: {p:?}"
    );
    let g = only("use super::{alpha, beta::Gamma};");
    assert!(
        g.contains(&v(&["super", "alpha"])) && g.contains(&v(&["super", "beta"])),
        "{g:?}"
    );
    // `super` inside an inline module refers to the file's own module
    let nested = paths("mod inner { use super::*; use super::x::Y; }\nuse super::z::W;");
    assert_eq!(nested[0].0, v(&["inner"]), "{nested:?}");
    assert!(
        nested.last().is_some_and(|(m, _)| m.is_empty()),
        "{nested:?}"
    );
    let mut modules = BTreeMap::new();
    modules.insert(v(&["m"]), PathBuf::from("m/mod.rs"));
    modules.insert(v(&["m", "b"]), PathBuf::from("m/b.rs"));
    let r = resolve(&modules, &v(&["m", "a"]), &v(&["super", "b", "Thing"]));
    assert_eq!(r, Some(PathBuf::from("m/b.rs")));
    // a cycle is reported with its files
    let inner = resolve(&modules, &v(&["m", "a", "inner"]), &v(&["super", "x"]));
    assert_eq!(
        inner, None,
        "super of an inline module stays in the file's module"
    );
}
