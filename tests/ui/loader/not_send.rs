fn need_send<T: Send>() {}
fn need_sync<T: Sync>() {}

fn main() {
    // `Greeter: Send + Sync`, so its loader is both.
    need_send::<fixture_api::GreeterPlugin>();
    need_sync::<fixture_api::GreeterPlugin>();
    // `Types` has neither supertrait, so its loader is neither.
    need_send::<fixture_api::TypesLoader>();
    need_sync::<fixture_api::TypesLoader>();
}
