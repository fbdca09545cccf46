//! Cross-checks over a loaded course: ids, references, lesson order, templates, secrets.
//!
//! Parsing (`course`, `parse`) already rejected everything one block can get wrong on its own;
//! what is left here needs the whole course: uniqueness, references between lessons, and
//! whether every template can have a value by the time it is used.

mod modules;
mod templates;

use std::collections::{BTreeMap, BTreeSet};

use super::source::LessonSource;
use super::{Block, Course, Diagnostic, DiagnosticKind, Lesson, SourcePos};
use crate::assets::Assets;

/// Every cross-reference problem of a loaded course, sorted by file then line.
pub fn validate(course: &Course) -> Vec<Diagnostic> {
    validate_with(course, None)
}

/// [`validate`], plus: every terraform module the course names exists in `assets`.
pub fn validate_with(course: &Course, assets: Option<&Assets>) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    modules::check(course, assets, &mut diags);
    declarations(course, &mut diags);
    tracks(course, &mut diags);
    lessons(course, &mut diags);
    blocks(course, &mut diags);
    templates::check(course, &mut diags);
    sort(&mut diags);
    diags
}

/// Load and validate, as `cdc-workshop lint` does: all problems, sorted by file then line.
///
/// When files do not parse, only those problems are returned: cross-checks over a course with
/// blocks missing would report follow-on errors that vanish once the first ones are fixed.
pub fn lint(source: &LessonSource) -> Vec<Diagnostic> {
    lint_with(source, None)
}

/// [`lint`] with the assets the lessons will run with.
pub fn lint_with(source: &LessonSource, assets: Option<&Assets>) -> Vec<Diagnostic> {
    let mut diags = match super::course::load(source) {
        Ok(course) => validate_with(&course, assets),
        Err(diags) => diags,
    };
    sort(&mut diags);
    diags
}

fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.pos.cmp(&b.pos).then_with(|| a.message.cmp(&b.message)));
    diags.dedup();
}

fn dup(pos: &SourcePos, message: String) -> Diagnostic {
    Diagnostic::new(pos.clone(), DiagnosticKind::DuplicateId, message)
}

fn unresolved(pos: &SourcePos, message: String) -> Diagnostic {
    Diagnostic::new(pos.clone(), DiagnosticKind::UnresolvedReference, message)
}

fn declarations(course: &Course, diags: &mut Vec<Diagnostic>) {
    let mut vars: BTreeMap<&str, &SourcePos> = BTreeMap::new();
    for v in &course.variables {
        if let Some(first) = vars.insert(&v.name, &v.pos) {
            diags.push(dup(
                &v.pos,
                format!(
                    "variable `{}` is declared twice (first at {first}); keep one",
                    v.name
                ),
            ));
        }
    }
    let mut secrets: BTreeMap<&str, &SourcePos> = BTreeMap::new();
    for s in &course.secrets {
        if let Some(first) = secrets.insert(&s.name, &s.pos) {
            diags.push(dup(
                &s.pos,
                format!(
                    "secret `{}` is declared twice (first at {first}); keep one",
                    s.name
                ),
            ));
        }
        for t in &s.tracks {
            if course.track(t).is_none() {
                diags.push(Diagnostic::new(
                    s.pos.clone(),
                    DiagnosticKind::UnresolvedReference,
                    format!(
                        "secret `{}` names track `{t}`, which course.toml does not have",
                        s.name
                    ),
                ));
            }
        }
        for c in &s.components {
            if !course
                .tracks
                .iter()
                .any(|t| t.components.iter().any(|k| &k.id == c))
            {
                diags.push(Diagnostic::new(
                    s.pos.clone(),
                    DiagnosticKind::UnresolvedReference,
                    format!(
                        "secret `{}` names component `{c}`, which no track has",
                        s.name
                    ),
                ));
            }
        }
    }
}

fn tracks(course: &Course, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, &SourcePos> = BTreeMap::new();
    for track in &course.tracks {
        if let Some(first) = seen.insert(&track.id, &track.pos) {
            diags.push(dup(
                &track.pos,
                format!(
                    "track `{}` is declared twice (first at {first}); give each track its own id",
                    track.id
                ),
            ));
        }
        let mut listed = BTreeSet::new();
        for id in &track.lessons {
            if !listed.insert(id.as_str()) {
                diags.push(dup(
                    &track.pos,
                    format!(
                        "track `{}` lists lesson `{id}` twice; a lesson appears once per track",
                        track.id
                    ),
                ));
            }
            if course.lesson(id).is_none() {
                diags.push(unresolved(
                    &track.pos,
                    format!("track `{}` lists lesson `{id}`, which the course does not have; create {id}.md or remove it", track.id),
                ));
            }
        }
        let mut components: BTreeMap<&str, &SourcePos> = BTreeMap::new();
        for c in &track.components {
            if let Some(first) = components.insert(&c.id, &c.pos) {
                diags.push(dup(
                    &c.pos,
                    format!(
                        "component `{}` appears twice in track `{}` (first at {first})",
                        c.id, track.id
                    ),
                ));
            }
            for id in &c.lessons {
                if !track.lessons.contains(id) {
                    diags.push(unresolved(
                        &c.pos,
                        format!(
                            "component `{}` names lesson `{id}`, which is not in track `{}`'s `lessons`; add it there (in order) or remove it here",
                            c.id, track.id
                        ),
                    ));
                }
            }
        }
    }
}

fn lessons(course: &Course, diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, &SourcePos> = BTreeMap::new();
    for lesson in &course.lessons {
        if let Some(first) = seen.insert(&lesson.id, &lesson.pos) {
            diags.push(dup(
                &lesson.pos,
                format!(
                    "lesson id `{}` is used twice (also at {first}); lesson ids are unique",
                    lesson.id
                ),
            ));
        }
        lesson_tracks(course, lesson, diags);
        depends(course, lesson, diags);
    }
}

/// Front-matter `tracks` must say what `course.toml` says.
fn lesson_tracks(course: &Course, lesson: &Lesson, diags: &mut Vec<Diagnostic>) {
    for t in &lesson.tracks {
        match course.track(t) {
            None => diags.push(unresolved(
                &lesson.pos,
                format!(
                    "front matter lists track `{t}`, which course.toml does not declare; tracks are: {}",
                    course.tracks.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ")
                ),
            )),
            Some(track) if !track.lessons.contains(&lesson.id) => diags.push(Diagnostic::new(
                lesson.pos.clone(),
                DiagnosticKind::InvalidValue,
                format!(
                    "front matter lists track `{t}`, but that track's `lessons` in course.toml does not include `{}`; add it there or drop `{t}` here",
                    lesson.id
                ),
            )),
            Some(_) => {}
        }
    }
    for track in &course.tracks {
        if track.lessons.contains(&lesson.id) && !lesson.tracks.contains(&track.id) {
            diags.push(Diagnostic::new(
                lesson.pos.clone(),
                DiagnosticKind::InvalidValue,
                format!(
                    "track `{}` includes this lesson but its front matter `tracks` does not list it; add `{}` or leave `tracks` out to follow course.toml",
                    track.id, track.id
                ),
            ));
        }
    }
}

fn depends(course: &Course, lesson: &Lesson, diags: &mut Vec<Diagnostic>) {
    for dep in &lesson.depends {
        if dep == &lesson.id {
            diags.push(unresolved(
                &lesson.pos,
                format!("lesson `{dep}` depends on itself; remove it from `depends`"),
            ));
            continue;
        }
        if course.lesson(dep).is_none() {
            diags.push(unresolved(
                &lesson.pos,
                format!("`depends` names `{dep}`, which is no lesson of this course; fix the id or add the lesson to a track"),
            ));
            continue;
        }
        for track in course
            .tracks
            .iter()
            .filter(|t| t.lessons.contains(&lesson.id))
        {
            let at = |id: &str| track.lessons.iter().position(|l| l == id);
            match (at(dep), at(&lesson.id)) {
                (None, _) => diags.push(unresolved(
                    &lesson.pos,
                    format!(
                        "`depends` names `{dep}`, which track `{}` does not include, so it is never done first there; add it to the track before `{}`",
                        track.id, lesson.id
                    ),
                )),
                (Some(d), Some(me)) if d > me => diags.push(unresolved(
                    &lesson.pos,
                    format!(
                        "`depends` names `{dep}`, which comes after `{}` in track `{}`; move `{dep}` earlier in that track's `lessons`",
                        lesson.id, track.id
                    ),
                )),
                _ => {}
            }
        }
    }
}

/// Step ids (course-wide), check ids (per lesson) and every block's `step` reference.
fn blocks(course: &Course, diags: &mut Vec<Diagnostic>) {
    let mut steps: BTreeMap<&str, &SourcePos> = BTreeMap::new();
    for lesson in &course.lessons {
        for step in lesson.steps() {
            if let Some(first) = steps.insert(&step.id, &step.pos) {
                diags.push(dup(
                    &step.pos,
                    format!(
                        "step id `{}` is already used at {first}; step ids are unique across the course because outputs are addressed as outputs.<step>.<name>",
                        step.id
                    ),
                ));
            }
        }
        let mut checks: BTreeMap<&str, &SourcePos> = BTreeMap::new();
        let mut solutions: BTreeMap<&str, &SourcePos> = BTreeMap::new();
        let mut cleanups: BTreeMap<&str, &SourcePos> = BTreeMap::new();
        for block in &lesson.blocks {
            let (what, step, pos) = match block {
                Block::Check(c) => {
                    if let Some(first) = checks.insert(&c.id, &c.pos) {
                        diags.push(dup(
                            &c.pos,
                            format!("check id `{}` is already used in this lesson at {first}; give each check its own id", c.id),
                        ));
                    }
                    match &c.step {
                        Some(s) => ("check", s.as_str(), &c.pos),
                        None => continue,
                    }
                }
                Block::Hint(h) => ("hint", h.step.as_str(), &h.pos),
                Block::Solution(s) => {
                    if let Some(first) = solutions.insert(&s.step, &s.pos) {
                        diags.push(dup(
                            &s.pos,
                            format!(
                                "step `{}` already has a solution at {first}; merge them into one",
                                s.step
                            ),
                        ));
                    }
                    ("solution", s.step.as_str(), &s.pos)
                }
                Block::Cleanup(c) => {
                    if let Some(first) = cleanups.insert(&c.step, &c.pos) {
                        diags.push(dup(
                            &c.pos,
                            format!(
                                "step `{}` already has a cleanup at {first}; merge them into one",
                                c.step
                            ),
                        ));
                    }
                    ("cleanup", c.step.as_str(), &c.pos)
                }
                Block::Prose(_) | Block::Step(_) => continue,
            };
            if lesson.step(step).is_none() {
                let known: Vec<&str> = lesson.steps().map(|s| s.id.as_str()).collect();
                diags.push(unresolved(
                    pos,
                    format!(
                        "{what} names step `{step}`, which is not in lesson `{}`; steps here: {}",
                        lesson.id,
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
    }
}
