//! Rich types cross both ways: `Result`, tuples, nested containers, `&T`,
//! `&[T]`, `&mut`, user types with `#[derive(PluginType)]`, callbacks.

use std::panic::{AssertUnwindSafe, catch_unwind};

use dynplug_tests::fixture;

#[path = "support/exchange.rs"]
mod exchange;
use exchange::exchange_everything;
use rich_api::{
    Code, Color, Config, Event, Event2, Grid, Inventory, Page, Point, Rich, RichPlugin, Shape,
    Stamp,
};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

fn plugin() -> RichPlugin {
    RichPlugin::load(fixture("rich-plugin")).unwrap()
}

#[test]
fn results() {
    let p = plugin();
    assert_eq!(p.parse(" 42 "), Ok(42));
    assert_eq!(p.parse("-9223372036854775808"), Ok(i64::MIN));
    let err = p.parse("x").unwrap_err();
    assert!(err.contains("cannot parse \"x\""), "{err}");
    assert_eq!(p.check(Ok(vec![1, 2, 3])), Ok(3));
    assert_eq!(p.check(Ok(vec![])), Ok(0));
    assert_eq!(p.check(Err("bad ü".to_owned())), Err("BAD Ü".to_owned()));
}

#[test]
fn tuples() {
    let p = plugin();
    assert_eq!(p.swap((7, "seven".to_owned())), ("seven".to_owned(), 7));
    assert_eq!(p.swap((0, String::new())), (String::new(), 0));
    let t = (
        u8::MAX,
        u16::MAX,
        u32::MAX,
        u64::MAX,
        i8::MIN,
        i16::MIN,
        i32::MIN,
        i64::MIN,
        f32::MIN_POSITIVE,
        f64::MAX,
        true,
        '🦀',
    );
    assert_eq!(p.twelve(t), t);
}

#[test]
fn nested_containers() {
    let p = plugin();
    assert_eq!(p.words(""), Vec::<String>::new());
    assert_eq!(p.words("ein zwei drei"), vec!["ein", "zwei", "drei"]);
    assert_eq!(p.join(vec![]), "");
    assert_eq!(p.join(vec!["a".into(), "ß".into()]), "a ß");
    assert_eq!(p.pairs(None), None);
    assert_eq!(p.pairs(Some(vec![])), Some(vec![]));
    assert_eq!(
        p.pairs(Some(vec![(1, "one".into()), (2, "two".into())])),
        Some(vec![(2, "two".into()), (1, "one".into())])
    );
    let nested = vec![
        vec![],
        vec![None, Some(String::new()), Some("héllo".to_owned())],
        vec![Some("x".to_owned())],
    ];
    let expected = vec![
        vec![],
        vec![None, Some(String::new()), Some("HÉLLO".to_owned())],
        vec![Some("X".to_owned())],
    ];
    assert_eq!(p.nested(nested), expected);
}

#[test]
fn large_values() {
    let p = plugin();
    let big = "y".repeat(1 << 20);
    assert_eq!(p.join(vec![big.clone(), big.clone()]).len(), (2 << 20) + 1);
    let words: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
    let line = words.join(" ");
    assert_eq!(p.words(&line), words);
}

#[test]
fn references() {
    let p = plugin();
    let words = vec!["ab".to_owned(), String::new(), "çd".to_owned()];
    assert_eq!(p.total_len(&words), 5);
    assert_eq!(p.total_len(&[]), 0);
    let numbers = vec![1u64, 2, 3];
    assert_eq!(p.sum(&numbers), 6);
    assert_eq!(
        p.address_of(&numbers),
        numbers.as_ptr() as usize,
        "a slice of scalars is borrowed in place"
    );
    let shape = Shape {
        name: "tri".into(),
        sides: vec![1.0, 2.0, 3.0],
        tags: Some(vec!["a".into()]),
    };
    assert_eq!(p.describe(&shape), "tri with 3 sides, tags Some([\"a\"])");
    assert_eq!(p.first(&vec![]), None);
    assert_eq!(p.first(&vec![(9, "nine".into())]), Some((9, "nine".into())));
}

#[test]
fn mutable_references() {
    let p = plugin();
    let mut v = [1, -2, 3];
    p.double_in_place(&mut v);
    assert_eq!(v, [2, -4, 6]);
    p.double_in_place(&mut []);

    let mut s = "ab".to_owned();
    p.grow(&mut s, 3);
    assert_eq!(s, "ababab");
    let mut big = "z".to_owned();
    p.grow(&mut big, 1 << 20);
    assert_eq!(big.len(), 1 << 20, "the plugin may grow the host's string");

    let mut words = vec!["a".to_owned()];
    p.extend(&mut words, vec!["b".into(), "c".into()]);
    assert_eq!(words, vec!["a", "b", "c"]);
    p.extend(&mut words, vec![]);
    assert_eq!(words.len(), 3);

    let mut shape = Shape {
        name: "sq".into(),
        sides: vec![1.0, 2.0],
        tags: None,
    };
    p.scale(&mut shape, 2.5);
    assert_eq!(shape.sides, vec![2.5, 5.0]);
    assert_eq!(shape.name, "sq (scaled)");
}

#[test]
fn user_types() {
    let p = plugin();
    assert_eq!(
        p.make_shape("hex", vec![1.0; 6]),
        Shape {
            name: "hex".into(),
            sides: vec![1.0; 6],
            tags: Some(vec!["6 sides".into()])
        }
    );
    assert_eq!(p.make_shape("", vec![]).tags, None);
    assert_eq!(p.reflect(Point(1, -2)), Point(-2, 1));
    assert_eq!(p.next_color(Color::Red), Color::Green);
    assert_eq!(p.next_color(Color::Blue), Color::Red);
    assert_eq!(p.handle(Event::Started), Event::Progress(0, 0.0));
    assert_eq!(p.handle(Event::Progress(1, 1.5)), Event::Progress(2, 3.0));
    assert_eq!(
        p.handle(Event::Message {
            text: "hi".into(),
            level: 1
        }),
        Event::Message {
            text: "HI".into(),
            level: 2
        }
    );
    let batch = vec![
        Event2 { id: 1, point: None },
        Event2 {
            id: 2,
            point: Some(Point(3, 4)),
        },
    ];
    let mut reversed = batch.clone();
    reversed.reverse();
    assert_eq!(p.handle(Event::Batch(batch)), Event::Batch(reversed));
    assert_eq!(p.handle(Event::Batch(vec![])), Event::Batch(vec![]));
    let events = p.events(8);
    assert_eq!(events.len(), 8);
    assert_eq!(events[0], Event::Started);
    assert_eq!(
        events[7],
        Event::Batch(vec![Event2 {
            id: 7,
            point: Some(Point(7, -7))
        }])
    );
}

/// 64 fields and 300 variants (one of 14 fields) cross nested in the
/// runtime's tuples and unions: every field and every variant survives the
/// trip both ways.
#[test]
fn plugin_types_wider_than_a_tuple_or_a_union() {
    let p = plugin();
    for seed in [0, 1, 7, u64::MAX] {
        let config = Config::sample(seed);
        assert_eq!(p.config(config.clone()), config, "seed {seed}");
    }
    let all = Code::all();
    assert_eq!(all.len(), 300);
    for code in &all {
        assert_eq!(&p.code(code.clone()), code);
    }
    assert_eq!(p.codes(all.clone()), all);
    // Arguments of distinct variants are told apart by the plugin too.
    assert_ne!(p.code(all[299].clone()), all[298]);
}

/// Arrays cross by value, nested in options, vectors, tuples and plugin
/// types, empty, and to a host callback.
#[test]
fn arrays() {
    let p = plugin();
    let words = ["first".to_owned(), "ü".repeat(40)];
    assert_eq!(
        p.reverse_arrays([1, 2, 3, u8::MAX], words.clone()),
        ([u8::MAX, 3, 2, 1], [words[1].clone(), words[0].clone()])
    );
    let points = [Point(1, 2), Point(-3, i32::MAX), Point(0, 0)];
    assert_eq!(
        p.maybe_points(Some(points)),
        vec![
            [1, u128::MAX - 2],
            [(-3i32) as u128, u128::MAX - i32::MAX as u128],
            [0, u128::MAX],
        ]
    );
    assert!(p.maybe_points(None).is_empty());
    assert_eq!(p.nothing([]), [0u64; 0]);
    let grid = Grid {
        cells: [[1, 2, 3], [4, 5, 6]],
        names: [Some("a".to_owned()), None],
    };
    assert_eq!(
        p.grid(grid),
        Grid {
            cells: [[4, 5, 6], [1, 2, 3]],
            names: [None, Some("a".to_owned())],
        }
    );
    let mut rows = Vec::new();
    p.each_row(vec![[1, -2, i16::MIN], [i16::MAX, 0, 7]], &mut |row| {
        rows.push(row)
    });
    assert_eq!(rows, [[1, -2, i16::MIN], [i16::MAX, 0, 7]]);
}

/// A generic plugin type crosses as what it is used with, nested in itself.
#[test]
fn generic_plugin_types() {
    let p = plugin();
    let stamp = |id| Stamp {
        id,
        offset: -(id as i128),
        after: Duration::from_nanos(id as u64),
    };
    let page = Page {
        items: vec![stamp(1), stamp(u128::MAX / 4)],
        next: Some(41),
    };
    let expected: Vec<Stamp> = page
        .items
        .iter()
        .map(|s| Stamp { id: s.id * 2, ..*s })
        .collect();
    let doubled = p.page(page);
    assert_eq!(doubled.items, expected);
    assert_eq!(doubled.next, Some(42));
    assert_eq!(
        p.page(Page {
            items: Vec::new(),
            next: None
        }),
        Page {
            items: Vec::new(),
            next: None
        }
    );
    let inner = Page {
        items: vec!["a".to_owned(), "ü".to_owned()],
        next: None,
    };
    let outer = Page {
        items: vec![
            inner.clone(),
            Page {
                items: Vec::new(),
                next: Some(3),
            },
        ],
        next: Some(9),
    };
    assert_eq!(p.first_page(outer), Some(inner));
    assert_eq!(
        p.first_page(Page {
            items: Vec::new(),
            next: None
        }),
        None
    );
}

#[test]
fn callbacks() {
    let p = plugin();
    let offset = 10;
    assert_eq!(
        p.map_all(vec![1, 2, 3], &|x| x * x + offset),
        vec![11, 14, 19]
    );
    assert_eq!(p.map_all(vec![], &|_| unreachable!()), Vec::<i64>::new());

    let mut seen = Vec::new();
    p.each_word("alpha beta  gamma", &mut |word, i| {
        seen.push(format!("{i}:{word}"))
    });
    assert_eq!(seen, vec!["0:alpha", "1:beta", "2:gamma"]);

    let answer = p.ask("meaning?", &|q| {
        if q.ends_with('?') {
            Ok(format!("42 ({q})"))
        } else {
            Err("not a question".into())
        }
    });
    assert_eq!(answer, "answer: 42 (meaning?)");
    assert_eq!(p.ask("no", &|_| Err("nope".into())), "no answer: nope");
}

#[test]
fn optional_callbacks_are_none_or_the_hosts_closure() {
    let p = plugin();
    let offset = 5;
    assert_eq!(p.maybe_map(7, Some(&|x| x * 2 + offset)), 19);
    assert_eq!(p.maybe_map(7, None), 7);

    let mut words = Vec::new();
    assert_eq!(
        p.maybe_report("one two  three", Some(&mut |w| words.push(w.to_owned()))),
        3
    );
    assert_eq!(words, ["one", "two", "three"]);
    assert_eq!(p.maybe_report("one two", None), 2);

    // A panic in an optional callback comes back as the host's own.
    let caught = catch_unwind(AssertUnwindSafe(|| {
        p.maybe_map(1, Some(&|_| std::panic::panic_any(41_u8)))
    }));
    assert_eq!(caught.unwrap_err().downcast_ref::<u8>(), Some(&41));
}

#[test]
fn a_panic_in_a_host_callback_comes_back_as_the_same_panic() {
    let p = plugin();
    #[derive(Debug, PartialEq)]
    struct Mine(u32);
    for round in 0..3 {
        let caught = catch_unwind(AssertUnwindSafe(|| {
            p.call_n(5, &|i| {
                if i == 2 {
                    std::panic::panic_any(Mine(round));
                }
            })
        }));
        let payload = caught.unwrap_err();
        assert_eq!(
            payload.downcast_ref::<Mine>(),
            Some(&Mine(round)),
            "the host's own payload"
        );
        // The plugin is fine afterwards.
        let mut calls = 0;
        let counter = std::cell::Cell::new(0);
        p.call_n(3, &|_| counter.set(counter.get() + 1));
        calls += counter.get();
        assert_eq!(calls, 3);
    }
}

/// Every owned type crosses thousands of times: the plugin's allocator
/// (which aborts on a foreign block) is back to where it started.
#[test]
fn the_plugins_heap_comes_back_to_where_it_was() {
    let (_dir, path) = dynplug_tests::isolated("rich-plugin");
    let p = RichPlugin::load(path).unwrap();
    exchange_everything(&p, 3);
    let before = p.plugin_heap();
    exchange_everything(&p, 1_000);
    assert_eq!(p.plugin_heap(), before);
}

#[test]
fn a_plugin_built_with_another_definition_of_a_type_is_refused_naming_it() {
    // Same interface, same signatures as written; `Shape` changed.
    let path = fixture("shapes-plugin-v1");
    let ok = shapes_api_v1::ShapesPlugin::load(&path).unwrap();
    use shapes_api_v1::Shapes as _;
    assert_eq!(
        ok.area(shapes_api_v1::Shape {
            width: 2.0,
            height: 3.0
        }),
        6.0
    );
    let err = shapes_api_v2::ShapesPlugin::load(&path).unwrap_err();
    let dynplug::Error::InterfaceMismatch { differences, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(differences.len(), 1, "{differences:?}");
    assert_eq!(differences[0].method, "area");
    assert_eq!(differences[0].types, vec!["Shape".to_owned()]);
    let text = err.to_string();
    assert!(
        text.contains("the definition of `Shape` differs between host and plugin"),
        "{text}"
    );
}

/// `u128`, `i128` and `Duration` cross whole, at their edges: alone, in a
/// tuple, a `Vec`, an `Option`, a `PluginType`'s fields and a callback.
#[test]
fn wide_integers_and_durations() {
    let p = plugin();
    let mixed: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
    assert_eq!(p.wide(u128::MAX, i128::MIN), (0, i128::MAX));
    assert_eq!(p.wide(u64::MAX as u128, 0), (1 << 64, -1));
    assert_eq!(
        p.wide(mixed, -(mixed as i128)),
        (mixed + 1, -(mixed as i128) - 1)
    );
    assert_eq!(
        p.wides(vec![0, u128::MAX, mixed], Some(i128::MIN)),
        [0, -1, (mixed as i128), i128::MIN]
    );
    assert_eq!(p.wides(vec![], None), Vec::<i128>::new());
    let nearly = Duration::new(u64::MAX, 999_999_999);
    assert_eq!(
        p.later(Duration::from_nanos(1), None),
        Duration::from_nanos(1)
    );
    assert_eq!(
        p.later(Duration::new(1, 999_999_999), Some(Duration::from_nanos(1))),
        Duration::from_secs(2)
    );
    assert_eq!(
        p.later(nearly, Some(Duration::from_nanos(1))),
        Duration::MAX
    );
    assert_eq!(Duration::MAX, nearly);
    let s = Stamp {
        id: mixed,
        offset: i128::MIN + 1,
        after: Duration::new(7, 500_000_000),
    };
    assert_eq!(
        p.stamp(s),
        Stamp {
            id: mixed.wrapping_neg(),
            offset: i128::MAX,
            after: Duration::from_secs(15),
        }
    );
    let seen = p.each_wide(&|a, b, d| {
        assert_eq!((a, b, d), (u128::MAX, i128::MIN, Duration::MAX));
        b + 1
    });
    assert_eq!(seen, i128::MIN + 1);
}

fn strings(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// Maps and sets cross as their entries and are rebuilt on the other side:
/// alone, nested, as fields and lent to a callback; empty ones too, and
/// every entry of a large one.
#[test]
fn maps_and_sets() {
    let p = plugin();
    let counts = p.tally(&strings(&["a", "b", "a", "ü", "a"]));
    assert_eq!(
        counts,
        HashMap::from([
            ("a".to_owned(), 3),
            ("b".to_owned(), 1),
            ("ü".to_owned(), 1)
        ])
    );
    assert!(p.tally(&[]).is_empty());
    let many: Vec<String> = (0..5000).map(|i| format!("w{}", i % 1000)).collect();
    let big = p.tally(&many);
    assert_eq!(big.len(), 1000);
    assert!(big.values().all(|n| *n == 5), "{big:?}");

    let merged = p.merge(
        HashMap::from([("x".to_owned(), 1), ("y".to_owned(), 2)]),
        BTreeMap::from([
            (10, strings(&["x", "z"])),
            (100, vec![]),
            (u32::MAX - 1, strings(&["w"])),
        ]),
    );
    assert_eq!(
        merged,
        BTreeMap::from([
            ("w".to_owned(), u32::MAX - 1),
            ("x".to_owned(), 11),
            ("y".to_owned(), 2),
            ("z".to_owned(), 10),
        ])
    );
    assert!(p.merge(HashMap::new(), BTreeMap::new()).is_empty());

    let (numbers, words) = p.swap_sets(
        HashSet::from([0, u64::MAX, 7]),
        BTreeSet::from(["b".to_owned(), String::new()]),
    );
    assert_eq!(numbers, BTreeSet::from([0, 7, u64::MAX]));
    assert_eq!(words, HashSet::from(["b".to_owned(), String::new()]));

    assert_eq!(p.maybe_btree(None), None);
    let m = BTreeMap::from([(i8::MIN, None), (1, Some("one".to_owned()))]);
    assert_eq!(
        p.maybe_btree(Some(m)),
        Some(BTreeMap::from([
            (i8::MIN, None),
            (-1, Some("one".to_owned()))
        ]))
    );

    let inv = p.restock(Inventory::default(), "apple");
    let inv = p.restock(inv, "apple");
    assert_eq!(inv.counts, HashMap::from([("apple".to_owned(), 2)]));
    assert_eq!(inv.tags, BTreeSet::from(["restocked".to_owned()]));

    let mut seen = None;
    p.visit_counts(
        strings(&["to", "be", "or", "not", "to", "be"]),
        &mut |counts, lengths| {
            seen = Some((counts.clone(), lengths));
        },
    );
    let (counts, lengths) = seen.expect("the callback was called");
    assert_eq!(counts.get("to"), Some(&2));
    assert_eq!(counts.len(), 4);
    assert_eq!(lengths, BTreeSet::from([2, 3]));
}

/// `Box<str>` and `Box<[T]>` cross as `String` and `Vec<T>`; a `PathBuf`
/// as the platform holds it: bytes that are not UTF-8 on Unix, UTF-16
/// with an unpaired surrogate on Windows, come back unchanged.
#[test]
fn boxes_and_paths() {
    use std::path::PathBuf;
    let p = plugin();
    let (upper, texts) = p.boxed("straße".into(), vec![0, u32::MAX].into());
    assert_eq!(&*upper, "STRASSE");
    assert_eq!(&*texts, ["0".to_owned(), u32::MAX.to_string()]);
    let (empty, none) = p.boxed("".into(), Vec::new().into());
    assert_eq!((&*empty, none.len()), ("", 0));

    #[cfg(unix)]
    let odd: PathBuf = {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b"caf\xe9 \xff").into()
    };
    #[cfg(windows)]
    let odd: PathBuf = {
        use std::os::windows::ffi::OsStringExt;
        std::ffi::OsString::from_wide(&[0x63, 0xD800, 0x61]).into()
    };
    assert!(odd.to_str().is_none(), "the test path is not Unicode");
    let base = PathBuf::from("base");
    let joined = p.join_path(base.clone(), vec![odd.clone(), PathBuf::from("ü.txt")]);
    assert_eq!(joined, base.join(&odd).join("ü.txt"));
    assert_eq!(p.join_path(PathBuf::new(), vec![]), PathBuf::new());

    let said = p.each_path(odd.clone(), &|path, len| {
        assert_eq!(path, odd);
        let len = usize::from_le_bytes((*len).try_into().unwrap());
        assert_eq!(len, odd.as_os_str().len());
        format!("{len}").into()
    });
    assert_eq!(&*said, odd.as_os_str().len().to_string());
}

/// `Box<T>` of a plain value crosses as its value, in arguments, fields,
/// `Option`s, callbacks (by value and lent) and returns, edge values
/// included.
#[test]
fn boxed_values() {
    use rich_api::{Boxed, Event2, Point, Stamp};
    use std::time::Duration;
    let p = plugin();
    let stamp = Stamp {
        id: u128::MAX - 1,
        offset: i128::MIN,
        after: Duration::MAX,
    };
    let next = Event2 {
        id: u64::MAX,
        point: Some(Point(i32::MIN, 0)),
    };
    let b = Box::new(Boxed {
        stamp: Box::new(stamp),
        next: None,
    });
    let lent = std::cell::RefCell::new(Vec::new());
    let (back, extra) = p.rebox(b, Some(Box::new(u128::MAX)), &|s, point| {
        lent.borrow_mut().push((*s, **point));
        Some(Box::new(next.clone()))
    });
    let doubled = Stamp {
        id: (u128::MAX - 1).wrapping_mul(2),
        ..stamp
    };
    assert_eq!(*lent.borrow(), [(doubled, Point(-1, i32::MAX))]);
    assert_eq!(
        *back,
        Boxed {
            stamp: Box::new(doubled),
            next: Some(Box::new(next)),
        }
    );
    assert_eq!(*extra, Some(Box::new(u128::MAX)));
    let (_, none) = p.rebox(back, None, &|_, _| None);
    assert_eq!(*none, None);
}

const BIG_ARRAYS_TEST: &str = "large_arrays_cross_on_a_small_stack";

/// Arrays of 64 Ki elements cross both ways, called from a thread with a
/// 4 MiB stack (this debug build, host and plugin on one stack): an array
/// argument crosses as a slice, and nothing on either side builds arrays
/// of references on the way (such an array of `u8` is 8 times its size:
/// this overflowed a 4 MiB stack and aborted). A large array still costs
/// many times its size in stack in a debug build: see the README. In a
/// child process, for the abort.
#[test]
fn large_arrays_cross_on_a_small_stack() {
    use rich_api::BIG;
    if dynplug_tests::child_case().is_none() {
        let out = dynplug_tests::run_in_child(BIG_ARRAYS_TEST, "big arrays");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    let p = plugin();
    let done = std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(move || {
            let mut a = Box::new([0u8; BIG]);
            for (i, x) in a.iter_mut().enumerate() {
                *x = i as u8;
            }
            let b: Box<[u32; BIG]> = vec![u32::MAX; BIG].into_boxed_slice().try_into().unwrap();
            let words = ["a".to_owned(), String::new(), "ü".repeat(3)];
            let (back, sum, joined) = p.big_arrays(*a, &b, words);
            assert!(back.iter().rev().eq(a.iter()), "reversed");
            assert_eq!(sum, u64::from(u32::MAX) * BIG as u64);
            assert_eq!(joined, "a++üüü");
        })
        .unwrap()
        .join();
    assert!(done.is_ok(), "the calling thread panicked");
    println!("child: checks done");
}

/// A `&[T; N]` argument is lent as the caller's elements: a 16 MiB array
/// (more than the stack) is read in place (it was copied onto the
/// plugin's stack whole, and the process aborted), and a result borrowed
/// from a lent array points into the caller's array.
#[test]
fn arrays_lent_by_reference() {
    use rich_api::HUGE;
    let p = plugin();
    let mut huge: Box<[u8; HUGE]> = vec![0u8; HUGE].into_boxed_slice().try_into().unwrap();
    for i in (0..HUGE).step_by(4096) {
        huge[i] = 1;
    }
    huge[HUGE - 1] = 9;
    assert_eq!(p.count_ref(&huge), HUGE / 4096 + 1);
    let a = [1, 2, 3, 4, 5, 6, 7, u64::MAX];
    let tail = p.tail(&a);
    assert_eq!(tail, [5, 6, 7, u64::MAX]);
    assert!(
        std::ptr::eq(tail.as_ptr(), &a[4]),
        "borrowed from the caller's array"
    );
}

/// A `&Path` argument and a `&Path` lent to a callback, in a tuple and an
/// `Option`: a path that is not Unicode arrives whole, each component the
/// plugin lends comes back as the plugin saw it, and on Unix the plugin
/// reads the host's bytes in place.
#[test]
fn borrowed_paths() {
    use std::path::{Path, PathBuf};
    let p = plugin();
    #[cfg(unix)]
    let odd: PathBuf = {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(b"/caf\xe9/\xff x/y.txt").into()
    };
    #[cfg(windows)]
    let odd: PathBuf = {
        use std::os::windows::ffi::OsStringExt;
        std::ffi::OsString::from_wide(&[0x63, 0x5C, 0xD800, 0x61, 0x5C, 0x79]).into()
    };
    assert!(odd.to_str().is_none(), "the test path is not Unicode");
    let mut seen: Vec<(usize, PathBuf, Option<PathBuf>)> = Vec::new();
    let len = p.walk_path(&odd, &mut |(i, part), parent| {
        seen.push((i, part.to_path_buf(), parent.map(Path::to_path_buf)));
    });
    assert_eq!(len, odd.as_os_str().len());
    let expected: Vec<(usize, PathBuf, Option<PathBuf>)> = odd
        .components()
        .enumerate()
        .map(|(i, c)| {
            (
                i,
                PathBuf::from(c.as_os_str()),
                odd.parent().map(Path::to_path_buf),
            )
        })
        .collect();
    assert!(expected.len() >= 3, "{expected:?}");
    assert_eq!(seen, expected);

    let mut calls = 0;
    assert_eq!(p.walk_path(Path::new(""), &mut |_, _| calls += 1), 0);
    assert_eq!(calls, 0, "an empty path has no components");
    let mut root = Vec::new();
    p.walk_path(Path::new("r"), &mut |(i, part), parent| {
        root.push((i, part.to_path_buf(), parent.map(Path::to_path_buf)));
    });
    assert_eq!(root, [(0, PathBuf::from("r"), Some(PathBuf::new()))]);

    let at = p.path_address(&odd);
    #[cfg(unix)]
    assert_eq!(
        at,
        odd.as_os_str().as_encoded_bytes().as_ptr() as usize,
        "lent in place"
    );
    #[cfg(windows)]
    assert_ne!(at, 0);
}

const TOUCHY_TEST: &str = "a_panic_writing_back_a_map_comes_back_to_the_host";

/// A `&mut` map is written back through a function of the host's, which
/// rebuilds the map and so runs the key's `Hash`: a panic there comes back
/// as the host's own panic, with the host's map still whole, and the
/// process goes on (it aborted: the function is `extern "C"`). In a child
/// process, for the abort.
#[test]
fn a_panic_writing_back_a_map_comes_back_to_the_host() {
    use rich_api::{TOUCHY_PANICS, Touchy};
    use std::sync::atomic::Ordering;
    if dynplug_tests::child_case().is_none() {
        let out = dynplug_tests::run_in_child(TOUCHY_TEST, "touchy");
        dynplug_tests::assert_child_passed(&out);
        return;
    }
    let p = plugin();
    let mut m = HashMap::new();
    p.fill(&mut m, 3);
    assert_eq!(m.len(), 3);
    TOUCHY_PANICS.store(true, Ordering::Relaxed);
    let payload = catch_unwind(AssertUnwindSafe(|| p.fill(&mut m, 5))).unwrap_err();
    TOUCHY_PANICS.store(false, Ordering::Relaxed);
    let text = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(
        text.starts_with("touchy key"),
        "the host's own panic, as it was: {text:?}"
    );
    // The old map is dropped and replaced, or kept: either way whole.
    assert!(m.len() == 3 || m.is_empty(), "{m:?}");
    assert_eq!(m.get(&Touchy(1)).copied().unwrap_or(1), 1);
    // Both sides still work.
    p.fill(&mut m, 2);
    assert!(m.len() >= 2);
    println!("child: checks done");
}
