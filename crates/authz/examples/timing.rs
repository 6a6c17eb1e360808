//! temporary
#![expect(clippy::unwrap_used, reason = "scratch")]
use casewatch_authz::*;
fn main() {
    let t = std::time::Instant::now();
    let a = Authorizer::standard().unwrap();
    println!("load {:?}", t.elapsed());
    let p = Principal::user(
        "P",
        UnitPath::parse("/U-1/U-2/").unwrap(),
        [Role::LegalOfficer, Role::Officer],
    );
    let r = Resource::OwnedBy(UnitPath::parse("/U-1/U-2/U-3/").unwrap());
    let n = 20000;
    let t = std::time::Instant::now();
    let mut k = 0;
    for _ in 0..n {
        if a.is_allowed(&p, Action::ReadCase, &r) {
            k += 1;
        }
    }
    println!("decide {:?} per call ({k})", t.elapsed() / n);
}
