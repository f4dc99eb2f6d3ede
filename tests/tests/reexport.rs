//! An interface crate that re-exports dynplug (`crate = path` on every
//! attribute) and a plugin that depends on it alone: both build, and the
//! plugin loads and answers like any other.

use dynplug_tests::fixture;
use reexport_api::{Note, Notes, NotesPlugin};

#[test]
fn a_plugin_built_against_a_reexport_loads_and_answers() {
    let plugin = NotesPlugin::load(fixture("reexport-plugin")).unwrap();
    let note = Note {
        title: "groceries".to_owned(),
        tags: vec!["home".to_owned()],
    };
    assert_eq!(
        plugin.stamp(note.clone()),
        Note {
            title: "GROCERIES".to_owned(),
            tags: vec!["home".to_owned(), "stamped".to_owned()],
        }
    );
    let mut seen = Vec::new();
    plugin.each_tag(&note, &mut |tag| seen.push(tag.to_owned()));
    assert_eq!(seen, ["home"]);
    assert!(plugin.has_extra());
    assert_eq!(plugin.extra(), 7);
    // `::dynplug` written by the user (here in `stringify!`) is theirs:
    // `crate = ..` rewrites only what the attributes generate; a method
    // named `dynplug`, called as a qualified path, still compiles.
    assert_eq!(plugin.dynplug(), "plugin :: dynplug :: load");
    assert_eq!(plugin.qualified(), "plugin :: dynplug :: load");
}
