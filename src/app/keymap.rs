//! Keybindings as data. The footer hints and the help overlay are generated from this table,
//! so what the screen says is always what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Where keys are read: each screen or overlay has its own bindings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Welcome,
    Lesson,
    Help,
    Confirm,
    Setup,
    /// A live panel fills the screen.
    Live,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    ForceUnlock,
    Quit,
    ToggleHelp,
    Up,
    Down,
    PageUp,
    PageDown,
    ScrollUp,
    ScrollDown,
    Top,
    Bottom,
    /// Welcome: switch between the track list and the components.
    SwitchPane,
    ToggleComponent,
    StartRun,
    RunStep,
    SkipStep,
    ResetStep,
    NextHint,
    RevealSolution,
    Recheck,
    CancelStep,
    CopyCommand,
    /// A Flink SQL step: open its statement in the participant's editor before running it.
    EditStatement,
    CopyBlock(u8),
    NextLesson,
    PrevLesson,
    ToggleLog,
    /// A terraform step: switch the log pane between its progress and its raw output.
    ToggleRawLog,
    NewRun,
    Yes,
    No,
    /// Open the credentials screen.
    OpenSetup,
    /// Setup: type a new value for the selected credential.
    EditCredential,
    /// Setup: ask each service whether its credentials work.
    CheckCredentials,
    /// Setup: back to where the participant came from.
    CloseSetup,
    /// Live panels: course → topic → connectors → lineage.
    CyclePanel,
    /// Watch the next topic in the topic panel.
    NextTopic,
    /// Show the live panel full screen, or go back.
    ZoomPanel,
    PanLeft,
    PanRight,
}

/// A key as written in hints: the code and the modifiers that must be held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

const fn k(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::NONE,
    }
}

const fn code(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

pub struct Binding {
    pub modes: &'static [Mode],
    pub keys: &'static [Key],
    pub intent: Intent,
    /// Short label for the footer; `None` keeps it out of the footer (still in help).
    pub hint: Option<&'static str>,
    pub help: &'static str,
}

const LESSON: &[Mode] = &[Mode::Lesson];
const WELCOME: &[Mode] = &[Mode::Welcome];
const SCREENS: &[Mode] = &[Mode::Welcome, Mode::Lesson];
const CONFIRM: &[Mode] = &[Mode::Confirm];
const SETUP: &[Mode] = &[Mode::Setup];
const ALL_SCREENS: &[Mode] = &[Mode::Welcome, Mode::Lesson, Mode::Setup, Mode::Live];
const LIVE: &[Mode] = &[Mode::Live];
const LESSON_OR_LIVE: &[Mode] = &[Mode::Lesson, Mode::Live];

/// The default bindings, in the order hints and help list them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        modes: SETUP,
        keys: &[code(KeyCode::Enter)],
        intent: Intent::EditCredential,
        hint: Some("enter value"),
        help: "Type a value for the selected credential (it is never shown)",
    },
    Binding {
        modes: SETUP,
        keys: &[k('j'), code(KeyCode::Down)],
        intent: Intent::Down,
        hint: None,
        help: "Select the next credential",
    },
    Binding {
        modes: SETUP,
        keys: &[k('k'), code(KeyCode::Up)],
        intent: Intent::Up,
        hint: None,
        help: "Select the previous credential",
    },
    Binding {
        modes: SETUP,
        keys: &[k('v')],
        intent: Intent::CheckCredentials,
        hint: Some("check"),
        help: "Ask each service whether its credentials work",
    },
    Binding {
        modes: SETUP,
        keys: &[code(KeyCode::Esc)],
        intent: Intent::CloseSetup,
        hint: Some("done"),
        help: "Leave the credentials screen",
    },
    Binding {
        modes: SCREENS,
        keys: &[k('C')],
        intent: Intent::OpenSetup,
        hint: None,
        help: "Credentials: enter and check the keys the workshop needs",
    },
    Binding {
        modes: LESSON,
        keys: &[code(KeyCode::Enter), k('r')],
        intent: Intent::RunStep,
        hint: Some("run"),
        help: "Run the selected step (a manual step: confirm you did it)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('j'), code(KeyCode::Down)],
        intent: Intent::Down,
        hint: None,
        help: "Select the next step",
    },
    Binding {
        modes: LESSON,
        keys: &[k('k'), code(KeyCode::Up)],
        intent: Intent::Up,
        hint: None,
        help: "Select the previous step",
    },
    Binding {
        modes: LESSON,
        keys: &[k('h')],
        intent: Intent::NextHint,
        hint: Some("hint"),
        help: "Show the next hint for the selected step",
    },
    Binding {
        modes: LESSON,
        keys: &[k('S')],
        intent: Intent::RevealSolution,
        hint: Some("solution"),
        help: "Reveal the solution of the selected step",
    },
    Binding {
        modes: LESSON,
        keys: &[k('s')],
        intent: Intent::SkipStep,
        hint: Some("skip"),
        help: "Skip: run the solution, then verify (asks first)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('c')],
        intent: Intent::Recheck,
        hint: Some("recheck"),
        help: "Run the selected step's checks again",
    },
    Binding {
        modes: LESSON,
        keys: &[k('x')],
        intent: Intent::CancelStep,
        hint: None,
        help: "Stop the running step (interrupt, then kill after a grace period)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('R')],
        intent: Intent::ResetStep,
        hint: None,
        help: "Reset: run the step's cleanup and mark it pending (asks first)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('y')],
        intent: Intent::CopyCommand,
        hint: Some("copy"),
        help: "Copy the selected step's command to the clipboard (OSC 52)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('e')],
        intent: Intent::EditStatement,
        hint: None,
        help: "Edit a Flink SQL statement in $EDITOR before running it",
    },
    Binding {
        modes: LESSON,
        keys: &[
            k('1'),
            k('2'),
            k('3'),
            k('4'),
            k('5'),
            k('6'),
            k('7'),
            k('8'),
            k('9'),
        ],
        intent: Intent::CopyBlock(0),
        hint: None,
        help: "Copy code block 1–9 of the lesson (numbers shown on the blocks)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('n'), k(']')],
        intent: Intent::NextLesson,
        hint: Some("next lesson"),
        help: "Go to the next lesson",
    },
    Binding {
        modes: LESSON,
        keys: &[k('p'), k('[')],
        intent: Intent::PrevLesson,
        hint: None,
        help: "Go to the previous lesson",
    },
    Binding {
        modes: LESSON,
        keys: &[code(KeyCode::PageDown), k(' ')],
        intent: Intent::PageDown,
        hint: None,
        help: "Scroll the lesson down a page",
    },
    Binding {
        modes: LESSON,
        keys: &[code(KeyCode::PageUp), k('b')],
        intent: Intent::PageUp,
        hint: None,
        help: "Scroll the lesson up a page",
    },
    Binding {
        modes: LESSON,
        keys: &[k('J')],
        intent: Intent::ScrollDown,
        hint: None,
        help: "Scroll the lesson down a line (mouse wheel too)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('K')],
        intent: Intent::ScrollUp,
        hint: None,
        help: "Scroll the lesson up a line",
    },
    Binding {
        modes: LESSON,
        keys: &[code(KeyCode::Home), k('g')],
        intent: Intent::Top,
        hint: None,
        help: "Scroll to the top of the lesson",
    },
    Binding {
        modes: LESSON,
        keys: &[code(KeyCode::End), k('G')],
        intent: Intent::Bottom,
        hint: None,
        help: "Scroll to the end of the lesson",
    },
    Binding {
        modes: LESSON,
        keys: &[k('l')],
        intent: Intent::ToggleLog,
        hint: Some("log"),
        help: "Enlarge or shrink the step log",
    },
    Binding {
        modes: LESSON,
        keys: &[k('L')],
        intent: Intent::ToggleRawLog,
        hint: None,
        help: "Switch a terraform step's log: progress or raw output",
    },
    Binding {
        modes: LESSON_OR_LIVE,
        keys: &[k('v')],
        intent: Intent::CyclePanel,
        hint: Some("panels"),
        help: "Switch the live panel: course, topic records, connectors, lineage",
    },
    Binding {
        modes: LESSON_OR_LIVE,
        keys: &[k('t')],
        intent: Intent::NextTopic,
        hint: None,
        help: "Watch the next topic in the topic panel",
    },
    Binding {
        modes: LESSON,
        keys: &[k('z')],
        intent: Intent::ZoomPanel,
        hint: Some("zoom"),
        help: "Show the live panel full screen (scrolls; for narrow terminals)",
    },
    Binding {
        modes: LIVE,
        keys: &[k('z'), code(KeyCode::Esc)],
        intent: Intent::ZoomPanel,
        hint: Some("back"),
        help: "Back to the lesson",
    },
    Binding {
        modes: LIVE,
        keys: &[k('j'), code(KeyCode::Down)],
        intent: Intent::Down,
        hint: None,
        help: "Scroll the panel down",
    },
    Binding {
        modes: LIVE,
        keys: &[k('k'), code(KeyCode::Up)],
        intent: Intent::Up,
        hint: None,
        help: "Scroll the panel up",
    },
    Binding {
        modes: LIVE,
        keys: &[k('h'), code(KeyCode::Left)],
        intent: Intent::PanLeft,
        hint: Some("scroll ←→"),
        help: "Scroll the panel left",
    },
    Binding {
        modes: LIVE,
        keys: &[k('l'), code(KeyCode::Right)],
        intent: Intent::PanRight,
        hint: None,
        help: "Scroll the panel right",
    },
    Binding {
        modes: LESSON,
        keys: &[k('U')],
        intent: Intent::ForceUnlock,
        hint: None,
        help: "Force-unlock a terraform state lock whose holder is gone (asks first)",
    },
    Binding {
        modes: LESSON,
        keys: &[k('N')],
        intent: Intent::NewRun,
        hint: None,
        help: "Start a new run on another track (your current run is kept)",
    },
    Binding {
        modes: WELCOME,
        keys: &[k('j'), code(KeyCode::Down)],
        intent: Intent::Down,
        hint: None,
        help: "Next track or component",
    },
    Binding {
        modes: WELCOME,
        keys: &[k('k'), code(KeyCode::Up)],
        intent: Intent::Up,
        hint: None,
        help: "Previous track or component",
    },
    Binding {
        modes: WELCOME,
        keys: &[code(KeyCode::Tab)],
        intent: Intent::SwitchPane,
        hint: Some("tracks/components"),
        help: "Switch between tracks and components",
    },
    Binding {
        modes: WELCOME,
        keys: &[k(' ')],
        intent: Intent::ToggleComponent,
        hint: Some("toggle"),
        help: "Include or leave out the selected component",
    },
    Binding {
        modes: WELCOME,
        keys: &[code(KeyCode::Enter)],
        intent: Intent::StartRun,
        hint: Some("start"),
        help: "Start the workshop on the selected track",
    },
    Binding {
        modes: ALL_SCREENS,
        keys: &[k('?'), code(KeyCode::F(1))],
        intent: Intent::ToggleHelp,
        hint: Some("help"),
        help: "Show or hide this help",
    },
    Binding {
        modes: ALL_SCREENS,
        keys: &[k('q'), ctrl('c')],
        intent: Intent::Quit,
        hint: Some("quit"),
        help: "Quit (progress is saved; asks first if a step is running)",
    },
    Binding {
        modes: &[Mode::Help],
        keys: &[k('?'), code(KeyCode::Esc), k('q'), code(KeyCode::F(1))],
        intent: Intent::ToggleHelp,
        hint: Some("close"),
        help: "Close the help",
    },
    Binding {
        modes: CONFIRM,
        keys: &[k('y'), code(KeyCode::Enter)],
        intent: Intent::Yes,
        hint: Some("yes"),
        help: "Confirm",
    },
    Binding {
        modes: CONFIRM,
        keys: &[k('n'), code(KeyCode::Esc), k('q')],
        intent: Intent::No,
        hint: Some("no"),
        help: "Cancel",
    },
];

/// The intent bound to `event` in `mode`, if any.
pub fn intent_for(mode: Mode, event: &KeyEvent) -> Option<Intent> {
    // Shift is implied by an upper-case char; only Ctrl and Alt distinguish bindings.
    let mods = event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode))
        .find_map(|b| {
            b.keys
                .iter()
                .find(|key| key.code == event.code && key.mods == mods)
                .map(|key| match (b.intent, key.code) {
                    (Intent::CopyBlock(_), KeyCode::Char(c)) => {
                        Intent::CopyBlock(c.to_digit(10).map_or(0, |d| d as u8))
                    }
                    (intent, _) => intent,
                })
        })
}

/// How a key is written for people.
pub fn key_label(key: &Key) -> String {
    let base = match key.code {
        KeyCode::Enter => "↵".to_string(),
        KeyCode::Up => "↑".to_string(),
        KeyCode::Down => "↓".to_string(),
        KeyCode::Left => "←".to_string(),
        KeyCode::Right => "→".to_string(),
        KeyCode::PageUp => "PgUp".to_string(),
        KeyCode::PageDown => "PgDn".to_string(),
        KeyCode::Home => "Home".to_string(),
        KeyCode::End => "End".to_string(),
        KeyCode::Tab => "Tab".to_string(),
        KeyCode::Esc => "Esc".to_string(),
        KeyCode::F(n) => format!("F{n}"),
        KeyCode::Char(' ') => "Space".to_string(),
        KeyCode::Char(c) => c.to_string(),
        _ => "?".to_string(),
    };
    if key.mods.contains(KeyModifiers::CONTROL) {
        format!("Ctrl-{base}")
    } else {
        base
    }
}

/// Footer hints for a mode: the first key of each binding that has a hint.
pub fn hints(mode: Mode) -> Vec<(String, String)> {
    BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode))
        .filter_map(|b| Some((key_label(b.keys.first()?), b.hint?.to_string())))
        .collect()
}

/// How the first key bound to `intent` in `mode` is written, for text that names a key.
pub fn key_for(mode: Mode, intent: Intent) -> Option<String> {
    BINDINGS
        .iter()
        .find(|b| b.modes.contains(&mode) && b.intent == intent)
        .and_then(|b| b.keys.first())
        .map(key_label)
}

/// Help entries for a mode: every key of every binding.
pub fn help_entries(mode: Mode) -> Vec<(String, String)> {
    BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode))
        .map(|b| {
            let keys: Vec<String> = if matches!(b.intent, Intent::CopyBlock(_)) {
                vec!["1–9".to_string()]
            } else {
                b.keys.iter().map(key_label).collect()
            };
            (keys.join(" "), b.help.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyEventKind;

    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: crossterm::event::KeyEventState::NONE,
        }
    }

    #[test]
    fn keys_map_to_intents_per_mode() {
        assert_eq!(
            intent_for(Mode::Lesson, &press(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Intent::RunStep)
        );
        assert_eq!(
            intent_for(Mode::Welcome, &press(KeyCode::Enter, KeyModifiers::NONE)),
            Some(Intent::StartRun)
        );
        assert_eq!(
            intent_for(
                Mode::Lesson,
                &press(KeyCode::Char('S'), KeyModifiers::SHIFT)
            ),
            Some(Intent::RevealSolution)
        );
        assert_eq!(
            intent_for(
                Mode::Lesson,
                &press(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Intent::Quit)
        );
        assert_eq!(
            intent_for(Mode::Lesson, &press(KeyCode::Char('c'), KeyModifiers::NONE)),
            Some(Intent::Recheck)
        );
        assert_eq!(
            intent_for(Mode::Lesson, &press(KeyCode::Char('7'), KeyModifiers::NONE)),
            Some(Intent::CopyBlock(7))
        );
        assert_eq!(
            intent_for(
                Mode::Confirm,
                &press(KeyCode::Char('r'), KeyModifiers::NONE)
            ),
            None
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_mode() {
        for mode in [Mode::Welcome, Mode::Lesson, Mode::Help, Mode::Confirm] {
            let mut seen = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.modes.contains(&mode)) {
                for key in b.keys {
                    assert!(!seen.contains(key), "{mode:?}: {key:?} bound twice");
                    seen.push(*key);
                }
            }
        }
    }

    #[test]
    fn hints_and_help_come_from_the_same_table() {
        let hints = hints(Mode::Lesson);
        assert_eq!(hints[0], ("↵".to_string(), "run".to_string()));
        assert!(hints.iter().any(|(k, l)| k == "?" && l == "help"));
        let help = help_entries(Mode::Lesson);
        assert!(help.iter().any(|(k, _)| k == "↵ r"));
        assert!(help.iter().any(|(k, _)| k == "1–9"));
        assert_eq!(
            key_for(Mode::Lesson, Intent::ToggleRawLog).as_deref(),
            Some("L")
        );
        assert_eq!(key_for(Mode::Welcome, Intent::ToggleRawLog), None);
        assert!(
            help.iter()
                .any(|(k, d)| k == "q Ctrl-c" && d.starts_with("Quit"))
        );
    }
}
