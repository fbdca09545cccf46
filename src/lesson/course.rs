//! `course.toml` and the lesson files it names → [`Course`](super::Course).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::block::is_id;
use super::check_spec::is_env_name;
use super::parse::{self, ParsedLesson};
use super::source::LessonSource;
use super::toml_body::{Body, from_table};
use super::{
    Component, ComponentKind, Course, Diagnostic, DiagnosticKind, Lesson, SecretDecl, SourcePos,
    Track, VariableDecl, secrets_scan,
};

/// The manifest's file name, relative to the lessons root.
pub const COURSE_FILE: &str = "course.toml";
/// The only lesson format this version reads.
pub const FORMAT_VERSION: u32 = 1;

const TOP_KEYS: &[&str] = &[
    "format_version",
    "id",
    "title",
    "variables",
    "secrets",
    "confluent",
    "aws",
    "databases",
    "tracks",
];
const VARIABLE_KEYS: &[&str] = &["name", "default", "description"];
const SECRET_KEYS: &[&str] = &[
    "name",
    "description",
    "env",
    "url",
    "tracks",
    "components",
    "provided_by",
];
const TRACK_KEYS: &[&str] = &["id", "title", "description", "lessons", "components"];
const COMPONENT_KEYS: &[&str] = &["id", "title", "kind", "default", "lessons"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CourseRaw {
    format_version: Spanned<u32>,
    id: String,
    title: String,
    #[serde(default)]
    variables: Vec<Spanned<VariableRaw>>,
    #[serde(default)]
    secrets: Vec<Spanned<SecretRaw>>,
    #[serde(default)]
    tracks: Vec<Spanned<TrackRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VariableRaw {
    name: Spanned<String>,
    default: Option<String>,
    #[serde(default)]
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretRaw {
    name: Spanned<String>,
    #[serde(default)]
    description: String,
    env: Option<Spanned<String>>,
    url: Option<String>,
    #[serde(default)]
    tracks: Vec<String>,
    #[serde(default)]
    components: Vec<String>,
    provided_by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackRaw {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    description: String,
    lessons: Vec<Spanned<String>>,
    #[serde(default)]
    components: Vec<Spanned<ComponentRaw>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ComponentRaw {
    id: Spanned<String>,
    title: String,
    kind: Spanned<String>,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    lessons: Vec<String>,
}

/// Read `course.toml` and every lesson a track names. Returns every problem found.
pub fn load(source: &LessonSource) -> Result<Course, Vec<Diagnostic>> {
    let file = Path::new(COURSE_FILE);
    let text = source.read_to_string(file).map_err(|e| {
        vec![Diagnostic::new(
            SourcePos::new(file, 1),
            DiagnosticKind::MissingFile,
            format!(
                "cannot read {COURSE_FILE} from {} ({e}); the lessons folder needs a course.toml manifest",
                source.describe()
            ),
        )]
    })?;
    let mut diags = Vec::new();
    let (mut course, refs) =
        parse_manifest(file, &text, &mut diags).ok_or_else(|| diags.clone())?;

    for r in refs {
        if course.lessons.iter().any(|l| l.id == r.id) || !is_id(&r.id) {
            continue;
        }
        if let Some(lesson) = load_lesson(source, &r, &course.tracks, &mut diags) {
            course.lessons.push(lesson);
        }
    }
    if diags.is_empty() {
        Ok(course)
    } else {
        diags.sort_by(|a, b| a.pos.cmp(&b.pos));
        Err(diags)
    }
}

/// A lesson id as written in a track's list, with its line in `course.toml`.
struct LessonRef {
    id: String,
    pos: SourcePos,
}

/// Parse the manifest; the lessons are left empty and returned as references in track order.
fn parse_manifest(
    file: &Path,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<(Course, Vec<LessonRef>)> {
    diags.extend(secrets_scan::scan(text).into_iter().map(|f| {
        Diagnostic::new(
            SourcePos::new(file, f.line + 1),
            DiagnosticKind::SecretLiteral,
            f.message(),
        )
    }));
    let body = Body::new(file, text, 1);
    let top = body.parse().map_err(|d| diags.extend(d)).ok()?;
    let mut table = top.into_inner();
    let what = COURSE_FILE;
    body.reject_unknown_keys(&mut table, TOP_KEYS, what, diags);
    reject_in_array(
        &body,
        &mut table,
        "variables",
        VARIABLE_KEYS,
        "a [[variables]] entry",
        diags,
    );
    reject_in_array(
        &body,
        &mut table,
        "secrets",
        SECRET_KEYS,
        "a [[secrets]] entry",
        diags,
    );
    reject_in_array(
        &body,
        &mut table,
        "tracks",
        TRACK_KEYS,
        "a [[tracks]] entry",
        diags,
    );
    if let Some(tracks) = table.get_mut("tracks")
        && let DeValue::Array(items) = tracks.get_mut()
    {
        for item in items.iter_mut() {
            if let DeValue::Table(t) = item.get_mut() {
                let what = match t.get("id").and_then(|v| v.get_ref().as_str()) {
                    Some(id) => format!("a component of track `{id}`"),
                    None => "a [[tracks.components]] entry".to_string(),
                };
                reject_in_array(&body, t, "components", COMPONENT_KEYS, &what, diags);
            }
        }
    }
    let confluent = table
        .remove("confluent")
        .map(|value| super::confluent::parse::context(&body, value, diags))
        .unwrap_or_default();
    let aws = table
        .remove("aws")
        .map(|value| super::aws::parse::context(&body, value, diags))
        .unwrap_or_default();
    let databases = table
        .remove("databases")
        .map(|value| super::database::parse::databases(&body, value, diags))
        .unwrap_or_default();
    let pos1 = SourcePos::new(file, 1);
    let raw: CourseRaw = from_table(table, 0..0)
        .map_err(|e| diags.push(body.de_error(&e, what, &pos1)))
        .ok()?;

    if *raw.format_version.get_ref() != FORMAT_VERSION {
        diags.push(Diagnostic::new(
            body.pos(raw.format_version.span().start),
            DiagnosticKind::InvalidValue,
            format!(
                "format_version = {} is not supported; this version of cdc-workshop reads format_version = {FORMAT_VERSION}",
                raw.format_version.get_ref()
            ),
        ));
    }

    let variables = raw
        .variables
        .into_iter()
        .map(|v| {
            let pos = body.pos(v.span().start);
            let v = v.into_inner();
            check_name(&body, &v.name, "variable", diags);
            VariableDecl {
                name: v.name.into_inner(),
                default: v.default,
                description: v.description,
                pos,
            }
        })
        .collect();
    let secrets = raw
        .secrets
        .into_iter()
        .map(|s| {
            let pos = body.pos(s.span().start);
            let s = s.into_inner();
            check_name(&body, &s.name, "secret", diags);
            if let Some(env) = &s.env
                && !is_env_name(env.get_ref())
            {
                diags.push(Diagnostic::new(
                    body.pos(env.span().start),
                    DiagnosticKind::InvalidValue,
                    format!(
                        "`env` of secret `{}` is `{}`, not an environment variable name; use letters, digits and `_`",
                        s.name.get_ref(),
                        env.get_ref()
                    ),
                ));
            }
            SecretDecl {
                name: s.name.into_inner(),
                description: s.description,
                env: s.env.map(Spanned::into_inner),
                url: s.url,
                tracks: s.tracks,
                components: s.components,
                provided_by: s.provided_by,
                pos,
            }
        })
        .collect();

    let mut refs = Vec::new();
    let mut tracks = Vec::new();
    for t in raw.tracks {
        let pos = body.pos(t.span().start);
        let t = t.into_inner();
        let mut lessons = Vec::new();
        for l in t.lessons {
            let lpos = body.pos(l.span().start);
            if !is_id(l.get_ref()) {
                diags.push(Diagnostic::new(
                    lpos.clone(),
                    DiagnosticKind::InvalidValue,
                    format!(
                        "`{}` in track `{}` is not a lesson id; use letters, digits, `-` and `_` (the file is <id>.md or <id>/lesson.md)",
                        l.get_ref(),
                        t.id.get_ref()
                    ),
                ));
            }
            refs.push(LessonRef {
                id: l.get_ref().clone(),
                pos: lpos,
            });
            lessons.push(l.into_inner());
        }
        let components = t
            .components
            .into_iter()
            .filter_map(|c| component(&body, c, diags))
            .collect();
        tracks.push(Track {
            id: t.id.into_inner(),
            title: t.title,
            description: t.description,
            lessons,
            components,
            pos,
        });
    }
    Some((
        Course {
            format_version: raw.format_version.into_inner(),
            id: raw.id,
            title: raw.title,
            tracks,
            lessons: Vec::new(),
            variables,
            secrets,
            confluent,
            aws,
            databases,
            pos: pos1,
        },
        refs,
    ))
}

fn component(
    body: &Body<'_>,
    c: Spanned<ComponentRaw>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Component> {
    let pos = body.pos(c.span().start);
    let c = c.into_inner();
    let kind = match c.kind.get_ref().as_str() {
        "source" => ComponentKind::Source,
        "sink" => ComponentKind::Sink,
        "processing" => ComponentKind::Processing,
        other => {
            diags.push(Diagnostic::new(
                body.pos(c.kind.span().start),
                DiagnosticKind::UnknownKind,
                format!(
                    "component `{}` has kind `{other}`; use one of: source, sink, processing",
                    c.id.get_ref()
                ),
            ));
            return None;
        }
    };
    if !is_id(c.id.get_ref()) {
        diags.push(Diagnostic::new(
            body.pos(c.id.span().start),
            DiagnosticKind::InvalidValue,
            format!(
                "`{}` is not a valid component id; use letters, digits, `-` and `_`",
                c.id.get_ref()
            ),
        ));
    }
    Some(Component {
        id: c.id.into_inner(),
        title: c.title,
        kind,
        default: c.default,
        lessons: c.lessons,
        pos,
    })
}

/// Variables and secrets are written `{{ vars.name }}`: keep them snake_case.
fn check_name(body: &Body<'_>, name: &Spanned<String>, what: &str, diags: &mut Vec<Diagnostic>) {
    let n = name.get_ref();
    let ok = n.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !ok {
        diags.push(Diagnostic::new(
            body.pos(name.span().start),
            DiagnosticKind::InvalidValue,
            format!("{what} name `{n}` must be snake_case (lower-case letters, digits and `_`)"),
        ));
    }
}

fn reject_in_array(
    body: &Body<'_>,
    table: &mut DeTable<'_>,
    key: &str,
    allowed: &[&str],
    what: &str,
    diags: &mut Vec<Diagnostic>,
) {
    if let Some(v) = table.get_mut(key)
        && let DeValue::Array(items) = v.get_mut()
    {
        for item in items.iter_mut() {
            if let DeValue::Table(t) = item.get_mut() {
                body.reject_unknown_keys(t, allowed, what, diags);
            }
        }
    }
}

/// `<id>.md` or `<id>/lesson.md`, whichever exists (both is an error: which one is meant?).
fn lesson_path(
    source: &LessonSource,
    r: &LessonRef,
    diags: &mut Vec<Diagnostic>,
) -> Option<PathBuf> {
    let flat = PathBuf::from(format!("{}.md", r.id));
    let folder = Path::new(&r.id).join("lesson.md");
    match (source.exists(&flat), source.exists(&folder)) {
        (true, false) => Some(flat),
        (false, true) => Some(folder),
        (true, true) => {
            diags.push(Diagnostic::new(
                r.pos.clone(),
                DiagnosticKind::DuplicateId,
                format!(
                    "lesson `{}` exists twice, as {} and as {}; keep one (the folder form when the lesson carries files)",
                    r.id,
                    flat.display(),
                    folder.display()
                ),
            ));
            None
        }
        (false, false) => {
            diags.push(Diagnostic::new(
                r.pos.clone(),
                DiagnosticKind::MissingFile,
                format!(
                    "lesson `{}` has no file in {}: create {} (or {} for a lesson with its own files)",
                    r.id,
                    source.describe(),
                    flat.display(),
                    folder.display()
                ),
            ));
            None
        }
    }
}

fn load_lesson(
    source: &LessonSource,
    r: &LessonRef,
    tracks: &[Track],
    diags: &mut Vec<Diagnostic>,
) -> Option<Lesson> {
    let path = lesson_path(source, r, diags)?;
    let text = match source.read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            diags.push(Diagnostic::new(
                r.pos.clone(),
                DiagnosticKind::MissingFile,
                format!("cannot read lesson `{}`: {e}", r.id),
            ));
            return None;
        }
    };
    let ParsedLesson {
        mut lesson,
        tracks_declared,
        id_line,
    } = parse::parse(&path, &text)
        .map_err(|d| diags.extend(d))
        .ok()?;
    if lesson.id != r.id {
        diags.push(Diagnostic::new(
            SourcePos::new(&path, id_line),
            DiagnosticKind::FrontMatter,
            format!(
                "front matter says id = \"{}\" but {} names this lesson `{}` ({}); make them the same",
                lesson.id, COURSE_FILE, r.id, r.pos
            ),
        ));
        return None;
    }
    if !tracks_declared {
        let listed: BTreeSet<&str> = tracks
            .iter()
            .filter(|t| t.lessons.contains(&lesson.id))
            .map(|t| t.id.as_str())
            .collect();
        // Keep the course's track order, which is the order the welcome screen shows.
        lesson.tracks = tracks
            .iter()
            .filter(|t| listed.contains(t.id.as_str()))
            .map(|t| t.id.clone())
            .collect();
    }
    Some(lesson)
}
