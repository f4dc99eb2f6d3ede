// What a plugin may lend a host callback for the call: borrows of any
// supported type, in tuples and containers, spelled in every way that
// means "for the call".
#[derive(dynplug::PluginType, Clone, Default)]
pub struct Item {
    pub name: String,
    pub tags: Vec<String>,
}

/// An alias with a lifetime parameter, used with `'_`.
pub type View<'a> = &'a str;
/// An alias of an owned type.
pub type Name = String;

#[dynplug::plugin_interface]
pub trait Catalogue {
    fn visit(&self, visit: &mut dyn FnMut(&Item));
    fn visit_all(&self, visit: &mut dyn FnMut(&[Item]));
    fn find(&self, found: &mut dyn FnMut(Option<&Item>));
    fn mixed(&self, visit: &dyn Fn((&str, &Item, u32)));
    fn nested(&self, visit: &dyn Fn(Vec<(Option<&Item>, &[u8])>, Result<&str, Name>));
    fn higher_ranked(&self, visit: &dyn for<'a> Fn(&'a str, &'a Item));
    fn aliased(&self, visit: &dyn Fn(View<'_>, Name));
    fn elided_alias(&self, visit: &dyn Fn(View));
    fn same_as_before(&self, visit: &dyn Fn(&str, u32) -> Result<String, String>);
    // The trampoline's own lifetime is named `'call` too: no clash.
    fn named_receiver<'call>(&'call self, visit: &dyn Fn(&str)) -> &'call str;
}

#[derive(Default)]
pub struct Plugin {
    items: Vec<Item>,
}

static STATIC_TEXT: &str = "static";

#[dynplug::plugin_export]
impl Catalogue for Plugin {
    fn visit(&self, visit: &mut dyn FnMut(&Item)) {
        self.items.iter().for_each(visit);
    }
    fn visit_all(&self, visit: &mut dyn FnMut(&[Item])) {
        visit(&self.items);
    }
    fn find(&self, found: &mut dyn FnMut(Option<&Item>)) {
        found(self.items.first());
    }
    fn mixed(&self, visit: &dyn Fn((&str, &Item, u32))) {
        for item in &self.items {
            // A plugin may lend its `'static` data: the host sees it for the
            // call only.
            visit((STATIC_TEXT, item, 0));
        }
    }
    fn nested(&self, visit: &dyn Fn(Vec<(Option<&Item>, &[u8])>, Result<&str, Name>)) {
        visit(vec![(self.items.first(), b"bytes")], Ok(STATIC_TEXT));
    }
    fn higher_ranked(&self, visit: &dyn for<'a> Fn(&'a str, &'a Item)) {
        let item = Item::default();
        visit("local", &item);
    }
    fn aliased(&self, visit: &dyn Fn(View<'_>, Name)) {
        visit(STATIC_TEXT, String::new());
    }
    fn elided_alias(&self, visit: &dyn Fn(View)) {
        visit(STATIC_TEXT);
    }
    fn same_as_before(&self, visit: &dyn Fn(&str, u32) -> Result<String, String>) {
        let _ = visit(STATIC_TEXT, 1);
    }
    fn named_receiver<'call>(&'call self, visit: &dyn Fn(&str)) -> &'call str {
        visit(STATIC_TEXT);
        STATIC_TEXT
    }
}

// The host borrows for the call, and copies what it keeps.
pub fn names(catalogue: &CataloguePlugin) -> Vec<String> {
    let mut names = Vec::new();
    catalogue.visit(&mut |item| names.push(item.name.clone()));
    catalogue.visit_all(&mut |items| names.extend(items.iter().map(|i| i.name.clone())));
    catalogue.find(&mut |item| names.extend(item.map(|i| i.name.clone())));
    catalogue.mixed(&|(text, item, n)| {
        let _: (&str, &Item, u32) = (text, item, n);
    });
    catalogue.nested(&|v, r| {
        let _ = (v.len(), r.is_ok());
    });
    catalogue.higher_ranked(&|text, item| {
        let _ = (text.len(), item.tags.len());
    });
    catalogue.aliased(&|text, name| {
        let _ = (text.len(), name.len());
    });
    catalogue.elided_alias(&|text| {
        let _ = text.len();
    });
    names
}

fn main() {}

// A callback without arguments, and one without arguments or result.
#[dynplug::plugin_interface]
pub trait Ticks {
    fn tick(&self, f: &dyn Fn() -> u32) -> u32;
    fn done(&self, f: &mut dyn FnMut());
}
