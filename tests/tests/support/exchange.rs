//! Exchanges every owned type with the rich plugin, for the allocation
//! tests (shared by `rich_types.rs` and `host_allocator.rs`).

use rich_api::{Event, Rich, RichPlugin};

/// Calls every method that moves owned data, `rounds` times.
pub fn exchange_everything(p: &RichPlugin, rounds: u32) {
    for i in 0..rounds {
        let text = format!("w{i} x y");
        assert_eq!(p.parse(&i.to_string()), Ok(i as i64));
        assert!(p.parse("?").is_err());
        assert_eq!(p.check(Err(text.clone())).unwrap_err(), text.to_uppercase());
        assert_eq!(p.swap((i, text.clone())).1, i);
        assert_eq!(p.words(&text).len(), 3);
        assert_eq!(p.join(p.words(&text)), text);
        assert_eq!(p.pairs(Some(vec![(i, text.clone())])).unwrap().len(), 1);
        assert_eq!(p.nested(vec![vec![Some(text.clone()), None]])[0].len(), 2);
        let mut s = text.clone();
        p.grow(&mut s, 2);
        let mut v = vec![text.clone()];
        p.extend(&mut v, vec![text.clone()]);
        let mut shape = p.make_shape(&text, vec![1.0, 2.0]);
        p.scale(&mut shape, 2.0);
        assert!(!p.describe(&shape).is_empty());
        assert_eq!(p.events(4).len(), 4);
        let _ = p.handle(Event::Message {
            text: text.clone(),
            level: 0,
        });
        let _ = p.ask(&text, &|q| Ok(q.to_owned()));
        // Maps and sets, each way.
        let words = p.words(&text);
        let counts = p.tally(&words);
        let merged = p.merge(counts, [(i, words.clone())].into());
        assert_eq!(merged.len(), 3);
        let (numbers, names) = p.swap_sets([u64::from(i)].into(), words.iter().cloned().collect());
        assert_eq!((numbers.len(), names.len()), (1, 3));
        let inventory = p.restock(rich_api::Inventory::default(), &text);
        assert_eq!(inventory.counts.len(), 1);
        p.visit_counts(words, &mut |counts, lengths| {
            assert_eq!((counts.len(), lengths.is_empty()), (3, false));
        });
        // Boxes and paths, each way.
        let (upper, texts) = p.boxed(text.clone().into(), vec![i, 1].into());
        assert_eq!((upper.len(), texts.len()), (text.len(), 2));
        let path = p.join_path(text.clone().into(), vec!["a".into(), "b".into()]);
        let said = p.each_path(path, &|path, len| {
            assert_eq!(len.len(), size_of::<usize>());
            path.to_string_lossy().into_owned().into()
        });
        assert!(said.ends_with('b'));
        let _ = p.first(&vec![(1, text.clone())]);
    }
}
