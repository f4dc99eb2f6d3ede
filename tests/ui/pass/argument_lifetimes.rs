// Arguments' lifetimes that are lent for the call: elided, `'_`, the
// method's own, hidden in an alias, and the receiver's for arguments the
// result may borrow from (every borrow of such an argument).
pub type View<'a> = &'a str;
pub type Pair<'a> = (&'a str, &'a str);

#[derive(dynplug::PluginType, Default)]
pub struct Item {
    pub name: String,
}

#[dynplug::plugin_interface]
pub trait Api {
    fn first<'a>(&'a self, x: &'a str, y: &str) -> &'a str;
    fn pair<'a>(&'a self, x: Pair<'a>, y: (&'a str, Option<View<'a>>)) -> &'a str;
    #[allow(clippy::too_many_arguments)]
    fn many<'b>(
        &self,
        x: &'b str,
        y: &'b str,
        z: View,
        w: View<'_>,
        o: Option<&[u8]>,
        v: Vec<&str>,
        t: (&str, Result<&[u8], String>),
    ) -> usize;
    fn refs(&self, item: &Item, items: &[Item], names: &mut Vec<String>, buf: &mut [u8]);
    fn own<'b>(&self, s: &'b [&'b str], a: &'b [&'b str; 2], t: &'b (&'b str, u8)) -> usize;
}

#[derive(Default)]
pub struct Plugin;

#[dynplug::plugin_export]
impl Api for Plugin {
    fn first<'a>(&'a self, x: &'a str, _y: &str) -> &'a str {
        x
    }
    fn pair<'a>(&'a self, x: Pair<'a>, y: (&'a str, Option<View<'a>>)) -> &'a str {
        if x.0.is_empty() { y.1.unwrap_or(y.0) } else { x.1 }
    }
    fn many<'b>(
        &self,
        x: &'b str,
        y: &'b str,
        z: View,
        w: View<'_>,
        o: Option<&[u8]>,
        v: Vec<&str>,
        t: (&str, Result<&[u8], String>),
    ) -> usize {
        x.len() + y.len() + z.len() + w.len() + o.map_or(0, <[u8]>::len) + v.len() + t.0.len()
    }
    fn refs(&self, item: &Item, items: &[Item], names: &mut Vec<String>, buf: &mut [u8]) {
        names.push(item.name.clone());
        names.extend(items.iter().map(|i| i.name.clone()));
        buf.fill(0);
    }
    fn own<'b>(&self, s: &'b [&'b str], a: &'b [&'b str; 2], t: &'b (&'b str, u8)) -> usize {
        s.len() + a[1].len() + t.0.len()
    }
}

pub fn use_it(api: &ApiPlugin) -> usize {
    let local = String::from("local");
    let kept = api.first("static", &local);
    let words = [local.as_str(), "b"];
    kept.len() + api.pair(("a", "b"), ("c", None)).len() + api.own(&words, &words, &("d", 1))
}

fn main() {}

// `&'_ self` is `&self`: an argument's `'_` is its own.
#[dynplug::plugin_interface]
pub trait Underscore {
    fn pick(&'_ self, x: &'_ str, y: View<'_>) -> &'_ str;
}
