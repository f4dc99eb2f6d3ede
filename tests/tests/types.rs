//! Every supported type crosses both ways, borrowed data without a copy,
//! owned data without ever being freed by the other side's allocator.

use dynplug_tests::fixture;
use fixture_api::{Types, TypesLoader};

fn plugin() -> TypesLoader {
    TypesLoader::load(fixture("types-plugin")).unwrap()
}

#[test]
fn scalars() {
    let p = plugin();
    p.unit();
    assert!(!p.not(true));
    assert!(p.not(false));
    assert_eq!(p.next_char('a'), 'b');
    assert_eq!(p.next_char('\u{1F600}'), '\u{1F601}');
    assert_eq!(p.signed(-1, -2, -3, -4), -10);
    assert_eq!(
        p.signed(i8::MIN, i16::MIN, i32::MIN, 0),
        i8::MIN as i64 + i16::MIN as i64 + i32::MIN as i64
    );
    assert_eq!(
        p.unsigned(u8::MAX, u16::MAX, u32::MAX, 1),
        u8::MAX as u64 + u16::MAX as u64 + u32::MAX as u64 + 1
    );
    assert_eq!(p.sizes(usize::MAX / 2, -1), (usize::MAX / 2) as isize - 1);
    assert_eq!(p.floats(1.5, -2.0), -3.0);
    assert_eq!(p.half(5.0), 2.5);
    assert!(p.half(f32::NAN).is_nan());
    assert_eq!(p.half(f32::INFINITY), f32::INFINITY);
    assert_eq!(p.wrap_i8(i8::MAX), i8::MIN);
    assert_eq!(p.max_u64(), u64::MAX);
}

#[test]
fn borrowed_arguments_cross_without_a_copy() {
    let p = plugin();
    let text = String::from("héllo wörld");
    assert_eq!(p.address_of(&text), text.as_ptr() as usize);
    let numbers = vec![1u32, 2, 3];
    assert_eq!(p.address_of_slice(&numbers), numbers.as_ptr() as usize);
    assert_eq!(
        p.address_of_slice(&[]),
        <&[u32]>::default().as_ptr() as usize
    );
}

#[test]
fn borrowed_returns_point_at_the_borrowed_data() {
    let p = plugin();
    let text = String::from("первый second");
    let word = p.first_word(&text);
    assert_eq!(word, "первый");
    assert_eq!(
        word.as_ptr(),
        text.as_ptr(),
        "borrowed from the argument, not copied"
    );
    assert_eq!(p.first_word(""), "");
    assert_eq!(p.name(), "types-plugin");
}

#[test]
fn strings() {
    let p = plugin();
    assert_eq!(p.upper(String::new()), "");
    assert_eq!(p.upper("straße ✓".to_owned()), "STRASSE ✓");
    let big = "x".repeat(1 << 20);
    assert_eq!(p.upper(big).len(), 1 << 20);
    assert_eq!(p.first_word("   "), "");
}

#[test]
fn slices_and_vectors() {
    let p = plugin();
    assert_eq!(p.sum(&[]), 0);
    assert_eq!(p.sum(&[1, 2, 3, u64::MAX - 6]), u64::MAX);
    assert_eq!(p.doubled(vec![]), Vec::<i32>::new());
    assert_eq!(p.doubled(vec![-1, 0, 21]), vec![-2, 0, 42]);
    assert_eq!(p.filled(0, 7), Vec::<u8>::new());
    let mib = p.filled(1 << 20, 0xab);
    assert_eq!(mib.len(), 1 << 20);
    assert!(mib.iter().all(|&b| b == 0xab));
    assert_eq!(p.reversed_chars(&['a', 'é', '🦀']), vec!['🦀', 'é', 'a']);
    assert_eq!(p.negated(&[true, false]), vec![false, true]);
    let floats = vec![0.0, -0.0, f64::MIN_POSITIVE, f64::MAX];
    assert_eq!(p.floats_back(floats.clone()), floats);
}

#[test]
fn options() {
    let p = plugin();
    assert_eq!(p.maybe(None), None);
    assert_eq!(p.maybe(Some(1)), Some(2));
    assert_eq!(p.maybe_str(None), None);
    assert_eq!(p.maybe_str(Some("")), Some("<>".to_owned()));
    assert_eq!(p.maybe_str(Some("ü")), Some("<ü>".to_owned()));
    assert_eq!(p.maybe_vec(None), None);
    assert_eq!(p.maybe_vec(Some(vec![])), Some(vec![0xff]));
    assert_eq!(p.maybe_vec(Some(vec![1, 2])), Some(vec![1, 2, 0xff]));
    assert_eq!(p.nested(None), None);
    assert_eq!(p.nested(Some(None)), Some(None));
    assert_eq!(p.nested(Some(Some(5))), Some(Some(-5)));
}

#[test]
fn mut_self_keeps_state_in_the_instance() {
    let mut p = plugin();
    for b in [3, 1, 4, 1, 5] {
        p.record(b);
    }
    assert_eq!(p.recorded(), vec![3, 1, 4, 1, 5]);
}

/// The plugin's allocator puts a header before every block and aborts on a
/// block without one, so a buffer freed on the wrong side would end the
/// process; its count of live bytes must come back to where it started.
#[test]
fn owned_data_is_freed_by_its_own_allocator_and_nothing_leaks() {
    // A private copy: other tests' instances would move the count.
    let (_dir, path) = dynplug_tests::isolated("types-plugin");
    let p = TypesLoader::load(path).unwrap();
    // Warm up anything the plugin allocates once (thread-locals, ...).
    let _ = p.upper("warm".to_owned());
    let _ = p.filled(1, 0);
    let before = p.plugin_heap();
    for i in 0..2_000 {
        let s = p.upper(format!("round {i}"));
        assert_eq!(s, format!("ROUND {i}"));
        let v = p.doubled(vec![i; 16]);
        assert_eq!(v.len(), 16);
        let o = p.maybe_vec(Some(vec![1; 8]));
        assert_eq!(o.map(|v| v.len()), Some(9));
        let m = p.maybe_str(Some("x"));
        assert_eq!(m.as_deref(), Some("<x>"));
        let f = p.filled(100, 1);
        assert_eq!(f.len(), 100);
    }
    assert_eq!(
        p.plugin_heap(),
        before,
        "the plugin's heap is back where it was"
    );
}
