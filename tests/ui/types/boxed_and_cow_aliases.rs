// Behind aliases: `Box<str>` crosses (as a `String`); `Cow<'static, str>` does not.
pub type Boxed = Box<str>;
pub type Text = std::borrow::Cow<'static, str>;

#[dynplug::plugin_interface]
pub trait Api {
    fn visit(&self, cb: &dyn Fn(Boxed));
    fn name(&self) -> Text;
}

fn main() {}
