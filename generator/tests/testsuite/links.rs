//! Every internal link of the built site resolves: to a file that exists and,
//! with a `#fragment`, to an element with that id. Offline and in-process.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::helpers::Scratch;

/// Links of `book/*.html` that do not resolve, as `page: target (why)`.
pub fn broken_links(book: &Path) -> Vec<String> {
    let mut pages: BTreeMap<String, String> = BTreeMap::new();
    for entry in std::fs::read_dir(book).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "html") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            pages.insert(name, std::fs::read_to_string(&path).unwrap());
        }
    }
    assert!(!pages.is_empty(), "no pages in {}", book.display());
    let ids: BTreeMap<&str, BTreeSet<String>> = pages
        .iter()
        .map(|(name, html)| (name.as_str(), attribute_values(html, "id")))
        .collect();
    let mut broken = Vec::new();
    for (page, html) in &pages {
        let links = attribute_values(html, "href")
            .into_iter()
            .chain(attribute_values(html, "src"));
        for link in links {
            let external = ["http:", "https:", "mailto:", "data:", "javascript:", "//"]
                .iter()
                .any(|p| link.starts_with(p));
            if external || link.is_empty() {
                continue;
            }
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let path = path.split('?').next().unwrap_or_default();
            // Pages sit at the site's root, so relative and absolute paths agree;
            // a directory means its index (`404.html`'s `<base href="/">`).
            let target = if path.is_empty() {
                page.clone()
            } else {
                let mut p = decode(path.trim_start_matches('/'));
                if p.is_empty() || p.ends_with('/') {
                    p.push_str("index.html");
                }
                p
            };
            if !book.join(&target).is_file() {
                broken.push(format!("{page}: {link} (no file {target})"));
                continue;
            }
            if !fragment.is_empty() {
                let known = ids.get(target.as_str());
                if !known.is_some_and(|ids| ids.contains(&decode(fragment))) {
                    broken.push(format!("{page}: {link} (no id `{fragment}` in {target})"));
                }
            }
        }
    }
    broken
}

/// Every value of `attr="..."` in an HTML text.
fn attribute_values(html: &str, attr: &str) -> BTreeSet<String> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].replace("&amp;", "&"))
        })
        .collect()
}

/// Percent-decoding of a URL path or fragment.
fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The built site's links resolve, the Downloads page's among them; renaming a
/// chapter's heading id breaks the links to it, and the check says which.
#[test]
fn every_internal_link_of_the_site_resolves() {
    let s = Scratch::new();
    specgen::build::build(s.root()).unwrap_or_else(|e| panic!("{e}"));
    let book = s.path("book");
    let broken = broken_links(&book);
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));

    // The Downloads page links every file it offers, and each is there.
    let downloads = std::fs::read_to_string(book.join("downloads.html")).unwrap();
    let offered: Vec<String> = attribute_values(&downloads, "href")
        .into_iter()
        .filter(|l| l.starts_with("downloads/"))
        .collect();
    for file in [
        "downloads/architecture-spec.pdf",
        "downloads/benchmark-report.pdf",
        "downloads/cto-readout.pdf",
        "downloads/capacity-model.xlsx",
        "downloads/csv/assumptions.csv",
    ] {
        assert!(
            offered.iter().any(|l| l == file),
            "Downloads does not link {file}"
        );
    }
    assert!(offered.len() > 5, "{offered:?}");

    s.edit(
        "spec/templates/partitioning.md",
        "{ #partitioning }",
        "{ #partitioning-and-hot-keys }",
    );
    specgen::build::build(s.root()).unwrap_or_else(|e| panic!("{e}"));
    let broken = broken_links(&book);
    assert!(
        broken
            .iter()
            .any(|b| b.contains("partitioning.html#partitioning (no id `partitioning`")),
        "renaming a heading id broke no link: {broken:#?}"
    );
}
