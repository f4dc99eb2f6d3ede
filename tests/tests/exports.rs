//! Several exports in one library (`#[plugin_export(name = "...")]`):
//! listed by `inspect` and the catalogue, loaded by name, and a plain
//! `load` that takes the unnamed or the only export and refuses to guess
//! among several.

use dynplug::{Catalog, Error, LoadOptions};
use dynplug_tests::fixture;
use evolve_api_v1::{Evolving, EvolvingPlugin};
use fixture_api::{Greeter, GreeterPlugin};

#[test]
fn inspect_lists_every_export_with_its_name() {
    let path = fixture("multi-plugin");
    let info = dynplug::inspect(&path).unwrap();
    let mut exports: Vec<(&str, Option<&str>)> = info
        .interfaces
        .iter()
        .map(|i| (i.name.as_str(), i.export.as_deref()))
        .collect();
    exports.sort_unstable();
    assert_eq!(
        exports,
        [
            ("Evolving", Some("only")),
            ("Greeter", Some("fast")),
            ("Greeter", Some("plain")),
            ("Greeter", Some("polite")),
        ]
    );
    for interface in &info.interfaces {
        let package = interface.package.as_ref().expect("a package record");
        assert_eq!(package.name, "multi-plugin");
    }
    let text = info.to_string();
    assert!(
        text.contains(": 2 dynplug interfaces, 4 exports\n"),
        "{text}"
    );
    assert!(
        text.contains("\n  Greeter \"polite\"  (dynplug ABI"),
        "{text}"
    );
    // One export per interface: no export count, no name.
    let hello = dynplug::inspect(fixture("hello-plugin")).unwrap();
    assert_eq!(hello.interfaces[0].export, None);
    assert!(hello.to_string().contains(": 1 dynplug interface\n"));
}

#[test]
fn each_named_export_loads_by_name_with_an_instance_of_its_own() {
    let path = fixture("multi-plugin");
    let mut fast = GreeterPlugin::load_named(&path, "fast").unwrap();
    let polite = GreeterPlugin::load_named(&path, "polite").unwrap();
    let plain = GreeterPlugin::load_with(&path, &LoadOptions::new().export("plain")).unwrap();
    assert_eq!(fast.greet("Ann"), "Hi, Ann!");
    assert_eq!(polite.greet("Ann"), "Good day, Ann!");
    assert_eq!(plain.greet("Ann"), "Hello, Ann!");
    assert_eq!((fast.bump(), fast.bump()), (1, 2));
    let mut again = GreeterPlugin::load_named(&path, "fast").unwrap();
    assert_eq!(again.bump(), 1, "each loader has its own instance");
    assert_eq!(polite.package().name, "multi-plugin");
    assert_eq!(dynplug::Plugin::path(&plain), path);
}

#[test]
fn a_plain_load_refuses_to_choose_among_several_named_exports() {
    let path = fixture("multi-plugin");
    let err = GreeterPlugin::load(&path).unwrap_err();
    let Error::SeveralExports {
        interface, exports, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(interface, "Greeter");
    assert_eq!(exports, &["fast", "plain", "polite"]);
    let text = err.to_string();
    assert!(
        text.contains(&*path.to_string_lossy())
            && text.contains("`fast`, `plain`, `polite`")
            && text.contains("load_named"),
        "{text}"
    );
}

#[test]
fn a_plain_load_takes_the_only_export_even_a_named_one() {
    let plugin = EvolvingPlugin::load(fixture("multi-plugin")).unwrap();
    assert_eq!((plugin.version(), plugin.name()), (1, "only".to_owned()));
}

#[test]
fn a_name_the_library_lacks_is_no_such_export_listing_the_names() {
    let path = fixture("multi-plugin");
    let err = GreeterPlugin::load_named(&path, "slow").unwrap_err();
    let Error::NoSuchExport {
        interface,
        name,
        exports,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((interface.as_str(), name.as_str()), ("Greeter", "slow"));
    assert_eq!(exports, &["fast", "plain", "polite"]);
    assert!(
        err.to_string().contains("`fast`, `plain`, `polite`"),
        "{err}"
    );

    // A library with the unnamed export only has no named one.
    let hello = fixture("hello-plugin");
    let err = GreeterPlugin::load_named(&hello, "fast").unwrap_err();
    assert!(
        matches!(&err, Error::NoSuchExport { exports, .. } if exports.is_empty()),
        "{err:?}"
    );
    // ... and one without the interface at all is not a plugin for it.
    let err = EvolvingPlugin::load_named(&hello, "only").unwrap_err();
    assert!(matches!(err, Error::NotAPlugin { .. }), "{err:?}");
}

#[test]
fn the_catalogue_lists_and_loads_each_export() {
    let dir = tempfile::tempdir().unwrap();
    let multi = dir
        .path()
        .join(format!("multi{}", std::env::consts::DLL_SUFFIX));
    std::fs::copy(fixture("multi-plugin"), &multi).unwrap();
    let hello = dir
        .path()
        .join(format!("hello{}", std::env::consts::DLL_SUFFIX));
    std::fs::copy(fixture("hello-plugin"), &hello).unwrap();
    let catalog = Catalog::scan(dir.path()).unwrap();
    let mut greeters: Vec<(String, Option<&str>)> = catalog
        .find::<dyn Greeter>()
        .iter()
        .map(|e| {
            let plugin: GreeterPlugin = e.load().unwrap();
            (plugin.greet("x"), e.export())
        })
        .collect();
    greeters.sort_unstable();
    assert_eq!(
        greeters,
        [
            ("Good day, x!".to_owned(), Some("polite")),
            ("Hello, x!".to_owned(), None),
            ("Hello, x!".to_owned(), Some("plain")),
            ("Hi, x!".to_owned(), Some("fast")),
        ]
    );
    let evolving = catalog.find::<dyn Evolving>();
    assert_eq!(evolving.len(), 1);
    assert_eq!(evolving[0].export(), Some("only"));
    // Exports of one package under other names are not versions of one
    // another: `newest` keeps them all.
    assert_eq!(catalog.newest::<dyn Greeter>().len(), 4);
}

/// The file offset of the size field of `name`'s `.dynsym` entry in the ELF
/// file `bytes`.
#[cfg(all(unix, not(target_vendor = "apple")))]
fn dynsym_size_field(bytes: &[u8], name: &str) -> usize {
    use object::{Object, ObjectSection, ObjectSymbol};
    let file = object::File::parse(bytes).unwrap();
    let symbol = file
        .dynamic_symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("{name} is not in .dynsym"));
    let (table, _) = file
        .section_by_name(".dynsym")
        .and_then(|s| s.file_range())
        .expect(".dynsym has file bytes");
    // An ELF64 symbol: name, info, other, shndx, value, then the size.
    table as usize + symbol.index().0 * 24 + 16
}

/// A named export whose table's symbol is shorter than its record's
/// methods need is refused, before `dlopen`, whichever way it is asked for:
/// by name (the quick path) and by a plain load that takes it as the only
/// export (the full pre-flight), which must not read function pointers
/// past the table's end.
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_named_export_with_a_short_table_is_refused_by_every_path() {
    let mut bytes = std::fs::read(fixture("multi-plugin")).unwrap();
    let at = dynsym_size_field(&bytes, "__dynplug_vtable__Evolving.only");
    let size = u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
    let short = size - 8;
    bytes[at..at + 8].copy_from_slice(&short.to_le_bytes());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("libshorttable.so");
    std::fs::write(&path, &bytes).unwrap();

    let by_name = EvolvingPlugin::load_named(&path, "only");
    let plain = EvolvingPlugin::load(&path);
    let v2 = evolve_api_v2::EvolvingPlugin::load(&path);
    for (what, result) in [
        ("load_named", by_name.map(drop)),
        ("plain load", plain.map(drop)),
        ("another version's load", v2.map(drop)),
    ] {
        match result {
            Err(Error::InvalidLibrary { reason, .. }) => {
                assert!(
                    reason.contains("table of functions") && reason.contains(&short.to_string()),
                    "{what}: {reason}"
                );
            }
            Err(other) => panic!("{what}: not InvalidLibrary: {other:?}"),
            Ok(()) => panic!("{what}: the plugin loaded with a table of {short} bytes"),
        }
    }
    assert!(!dynplug_tests::is_mapped(&path), "the file was mapped");
}

/// An entry loads its own export, whatever export the options name: the
/// unnamed one of its library for an unnamed entry.
#[test]
fn an_entry_loads_its_own_export_whatever_the_options_name() {
    let dir = tempfile::tempdir().unwrap();
    let hello = dir
        .path()
        .join(format!("hello{}", std::env::consts::DLL_SUFFIX));
    std::fs::copy(fixture("hello-plugin"), &hello).unwrap();
    let catalog = Catalog::scan(dir.path()).unwrap();
    let entries = catalog.find::<dyn Greeter>();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].export(), None);
    let plugin: GreeterPlugin = entries[0]
        .load_with(&LoadOptions::new().export("fast"))
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(plugin.greet("Ann"), "Hello, Ann!");
}
