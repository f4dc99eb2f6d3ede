// `Box<str>` and `Cow<'static, str>` do not cross, behind aliases either.
pub type Boxed = Box<str>;
pub type Text = std::borrow::Cow<'static, str>;

#[dynplug::plugin_interface]
pub trait Api {
    fn visit(&self, cb: &dyn Fn(Boxed));
    fn name(&self) -> Text;
}

fn main() {}
