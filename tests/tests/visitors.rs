//! Visitors: a plugin lends what it holds to the host's callback for the
//! call (`&mut dyn FnMut(&Shape)`, `&[Shape]`, `Option<&Shape>`, tuples and
//! containers of borrows). The host's closure sees values equal to the
//! plugin's, borrowed for the call; `&str` and `&[u8]` in place.

use std::panic::{AssertUnwindSafe, catch_unwind};

use dynplug_tests::fixture;
use rich_api::{Color, Point, Rich, RichPlugin, Shape};

fn plugin() -> RichPlugin {
    RichPlugin::load(fixture("rich-plugin")).unwrap()
}

#[test]
fn a_visitor_sees_each_item_the_plugin_holds() {
    let mut p = plugin();
    let mut seen = Vec::new();
    p.visit_shapes(&mut |shape| seen.push(shape.clone()));
    assert_eq!(seen.len(), 3);
    assert_eq!(seen, p.shapes());

    let extra = Shape {
        name: "ünïcode".repeat(100),
        sides: (0..1000).map(f64::from).collect(),
        tags: Some(vec![String::new(); 50]),
    };
    p.add_shape(extra.clone());
    let mut names = Vec::new();
    p.visit_shapes(&mut |shape| names.push(shape.name.clone()));
    assert_eq!(names.last(), Some(&extra.name));
    assert_eq!(p.shapes().last(), Some(&extra));
}

#[test]
fn a_slice_of_items_is_lent_whole() {
    let p = plugin();
    let mut lengths = Vec::new();
    let mut all = Vec::new();
    p.visit_all(&mut |shapes| {
        lengths.push(shapes.len());
        all.extend_from_slice(shapes);
    });
    assert_eq!(lengths, [3, 0]);
    assert_eq!(all, p.shapes());
}

#[test]
fn an_optional_item_is_lent_or_none() {
    let p = plugin();
    let mut found = Vec::new();
    for name in ["square", "circle", "bent ü"] {
        p.find_shape(name, &mut |shape| found.push(shape.map(|s| s.sides.len())));
    }
    assert_eq!(found, [Some(4), None, Some(2)]);
}

#[test]
fn a_tuple_mixes_borrowed_text_items_and_values() {
    let p = plugin();
    let mut seen = Vec::new();
    p.visit_named(&mut |(name, shape, index)| {
        assert_eq!(name, shape.name);
        seen.push((name.to_owned(), shape.clone(), index));
    });
    let expected: Vec<(String, Shape, u32)> = p
        .shapes()
        .into_iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), s, i as u32))
        .collect();
    assert_eq!(seen, expected);
}

#[test]
fn vectors_and_results_of_borrows_are_lent() {
    let p = plugin();
    let mut groups = Vec::new();
    p.visit_groups(&mut |shapes, point| {
        let names: Vec<String> = shapes.iter().map(|s| s.name.clone()).collect();
        groups.push((names, point.copied().map_err(str::to_owned)));
    });
    assert_eq!(
        groups,
        [
            (
                vec!["square".to_owned(), "bent ü".to_owned()],
                Ok(Point(3, -4))
            ),
            (vec!["triangle".to_owned()], Err("odd".to_owned())),
        ]
    );
}

#[test]
fn text_and_bytes_are_lent_in_place() {
    let p = plugin();
    let calls = std::cell::Cell::new(0);
    p.lend_in_place(&|bytes, bytes_at, name, name_at| {
        assert_eq!(bytes.as_ptr() as usize, bytes_at, "the plugin's own bytes");
        assert_eq!(name.as_ptr() as usize, name_at, "the plugin's own text");
        assert_eq!(bytes, (0..=255).collect::<Vec<u8>>());
        assert_eq!(name, "triangle");
        calls.set(calls.get() + 1);
    });
    assert_eq!(calls.get(), 1);
}

#[test]
fn enums_and_optional_borrows_of_them_are_lent() {
    let p = plugin();
    let mut seen = Vec::new();
    p.visit_events(&mut |event, color| seen.push((event.clone(), color.copied())));
    let events = p.events(3);
    assert_eq!(
        seen,
        [
            (events[0].clone(), None),
            (events[1].clone(), Some(Color::Green)),
            (events[2].clone(), Some(Color::Blue)),
        ]
    );
}

#[test]
fn owned_vectors_and_vectors_of_borrows_cross() {
    let p = plugin();
    let mut bytes = Vec::new();
    let mut calls = 0;
    p.chunks(100, &mut |chunk, names| {
        bytes.extend(chunk);
        assert_eq!(names, ["triangle", "square", "bent ü"]);
        calls += 1;
    });
    assert_eq!(calls, 3);
    assert_eq!(bytes, (0..=255).collect::<Vec<u8>>());
}

#[test]
fn a_panicking_visitor_comes_back_as_the_same_panic() {
    // A copy of its own: the plugin's heap counts every instance of the
    // library in the process.
    let (_dir, path) = dynplug_tests::isolated("rich-plugin");
    let p = RichPlugin::load(path).unwrap();
    #[derive(Debug, PartialEq)]
    struct Stop(String);
    let panic_in_square = || {
        let mut visited = 0;
        let caught = catch_unwind(AssertUnwindSafe(|| {
            p.visit_shapes(&mut |shape| {
                visited += 1;
                if shape.name == "square" {
                    std::panic::panic_any(Stop(shape.name.clone()));
                }
            })
        }));
        let payload = caught.unwrap_err();
        assert_eq!(payload.downcast_ref::<Stop>(), Some(&Stop("square".into())));
        assert_eq!(visited, 2, "the plugin stopped at the panic");
    };
    // The first unwinding in a thread sets up what it needs once.
    panic_in_square();
    let before = p.plugin_heap();
    for _ in 0..3 {
        panic_in_square();
    }
    // The plugin goes on, and its heap is where it was.
    let mut count = 0;
    p.visit_shapes(&mut |_| count += 1);
    assert_eq!(count, 3);
    assert_eq!(p.plugin_heap(), before);
}

/// Visitors copy user types into the host's memory for the call: lots of
/// them leave both heaps where they were.
#[test]
fn visiting_many_times_leaves_the_plugins_heap_as_it_was() {
    let (_dir, path) = dynplug_tests::isolated("rich-plugin");
    let p = RichPlugin::load(path).unwrap();
    let mut total = 0;
    let visit_everything = |total: &mut usize| {
        p.visit_shapes(&mut |s| *total += s.sides.len());
        p.visit_all(&mut |s| *total += s.len());
        p.find_shape("square", &mut |s| *total += usize::from(s.is_some()));
        p.visit_named(&mut |(n, _, i)| *total += n.len() + i as usize);
        p.visit_groups(&mut |v, r| *total += v.len() + usize::from(r.is_ok()));
        p.visit_events(&mut |_, c| *total += usize::from(c.is_some()));
        p.chunks(7, &mut |v, names| *total += v.len() + names.len());
    };
    visit_everything(&mut total);
    let before = p.plugin_heap();
    for _ in 0..500 {
        visit_everything(&mut total);
    }
    assert_eq!(p.plugin_heap(), before);
    assert!(total > 0);
}
