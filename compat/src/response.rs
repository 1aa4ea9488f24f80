//! Responses: status codes, headers and bodies, in the response direction.

use serde_json::{Map, Value};

use crate::generic::{describe, Keys};
use crate::operation::{compare_content, MediaRules};
use crate::resolve::{object, same_bare_ref, union_keys, Doc};
use crate::rules::{Direction, Rule};
use crate::schema::SchemaCmp;
use crate::sink::{Loc, Sink};

/// Compares an operation's responses; `cmp` judges their schemas (in the
/// response direction, but for a webhook's).
pub(crate) fn compare(
    mut cmp: SchemaCmp<'_>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    base: &Loc,
    sink: &mut Sink,
) {
    let (old_doc, new_doc) = cmp.docs();
    let dir = Some(Direction::Response);
    for status in union_keys(old, new) {
        let mut loc = base.join("responses").join(status);
        // `2XX` and `200` alike: a success the client decodes into its type.
        let success = status.starts_with('2');
        let (o, n) = match (old.get(status), new.get(status)) {
            (Some(o), Some(n)) => {
                if let Some(shared) = same_bare_ref(o, n) {
                    loc = loc.entering(shared);
                }
                (
                    object(old_doc.resolve(o).value),
                    object(new_doc.resolve(n).value),
                )
            }
            (Some(_), None) => {
                let rule = if success {
                    Rule::ResponseSuccessStatusRemoved
                } else {
                    Rule::ResponseErrorStatusRemoved
                };
                sink.emit(rule, dir, &loc, format!("response {status} removed"));
                continue;
            }
            (None, Some(_)) => {
                let rule = if success {
                    Rule::ResponseSuccessStatusAdded
                } else {
                    Rule::ResponseErrorStatusAdded
                };
                sink.emit(rule, dir, &loc, format!("response {status} added"));
                continue;
            }
            (None, None) => continue,
        };
        let keys = Keys::new(o, n);
        let (old_headers, new_headers) = keys.take_objects("headers");
        compare_headers(&mut cmp, old_headers, new_headers, &loc, sink);
        let media = MediaRules {
            added: Rule::ResponseMediaTypeAdded,
            removed: Rule::ResponseMediaTypeRemoved,
        };
        let (old_content, new_content) = keys.take_objects("content");
        compare_content(&mut cmp, old_content, new_content, &media, &loc, sink);
        let (old_links, new_links) = keys.take_objects("links");
        compare_links(old_doc, new_doc, old_links, new_links, &loc, sink);
        keys.rest(dir, &loc, sink);
    }
}

fn compare_headers(
    cmp: &mut SchemaCmp<'_>,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    loc: &Loc,
    sink: &mut Sink,
) {
    let required = |header: &Map<String, Value>| {
        header
            .get("required")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    for name in union_keys(old, new) {
        let mut hloc = loc.join("headers").join(name);
        let (o, n) = match (old.get(name), new.get(name)) {
            (Some(o), Some(n)) => {
                if let Some(shared) = same_bare_ref(o, n) {
                    hloc = hloc.entering(shared);
                }
                let (old_doc, new_doc) = cmp.docs();
                (
                    object(old_doc.resolve(o).value),
                    object(new_doc.resolve(n).value),
                )
            }
            (Some(o), None) => {
                let rule = if required(object(cmp.docs().0.resolve(o).value)) {
                    Rule::ResponseRequiredHeaderRemoved
                } else {
                    Rule::ResponseOptionalHeaderRemoved
                };
                cmp.emit(sink, rule, &hloc, format!("header {name} removed"));
                continue;
            }
            (None, Some(_)) => {
                cmp.emit(
                    sink,
                    Rule::ResponseHeaderAdded,
                    &hloc,
                    format!("header {name} added"),
                );
                continue;
            }
            (None, None) => continue,
        };
        let keys = Keys::new(o, n);
        let (o_required, n_required) = keys.take_only(&["required"]);
        match (required(&o_required), required(&n_required)) {
            (true, false) => cmp.emit(
                sink,
                Rule::ResponseHeaderBecameOptional,
                &hloc.join("required"),
                format!("header {name} became optional"),
            ),
            (false, true) => cmp.emit(
                sink,
                Rule::ResponseHeaderBecameRequired,
                &hloc.join("required"),
                format!("header {name} became required"),
            ),
            _ => {}
        }
        match keys.take("schema") {
            (Some(a), Some(b)) => cmp.compare(a, b, &hloc.join("schema"), sink),
            (None, None) => {}
            (a, b) => cmp.emit(
                sink,
                Rule::TypeChanged,
                &hloc.join("schema"),
                describe("schema", a, b),
            ),
        }
        // `content` (one media type) instead of `schema`, compared like a body.
        let media = MediaRules {
            added: Rule::ResponseMediaTypeAdded,
            removed: Rule::ResponseMediaTypeRemoved,
        };
        let (old_content, new_content) = keys.take_objects("content");
        compare_content(cmp, old_content, new_content, &media, &hloc, sink);
        keys.rest(Some(Direction::Response), &hloc, sink);
    }
}

/// Links, each resolved (a `$ref` to `components/links`, which is compared
/// here and not as a component).
fn compare_links(
    old_doc: &Doc,
    new_doc: &Doc,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    loc: &Loc,
    sink: &mut Sink,
) {
    for name in union_keys(old, new) {
        let before = old.get(name).map(|link| old_doc.resolve(link).value);
        let after = new.get(name).map(|link| new_doc.resolve(link).value);
        if before != after {
            sink.emit(
                Rule::LinksChanged,
                Some(Direction::Response),
                &loc.join("links").join(name),
                describe(&format!("link {name}"), before, after),
            );
        }
    }
}
