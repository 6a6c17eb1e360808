//! What criminal cases typically seize, by cause.

use crate::case::{CaseCtx, Fate};
use crate::cause::Cause;
use crate::property::Seizure;

/// An item a cause typically yields, and how likely it is found.
struct Typical {
    kind: &'static str,
    category: &'static str,
    description: &'static str,
    quantity: u32,
    fate: Fate,
    /// Stolen or robbed goods go back to the victim (发还) soon after seizure.
    to_owner: bool,
    probability: f64,
}

/// Shorthand for a table row of [`Typical`]: `(kind, category, description, quantity)`.
const fn typical(
    (kind, category, description, quantity): (&'static str, &'static str, &'static str, u32),
    fate: Fate,
    to_owner: bool,
    probability: f64,
) -> Typical {
    Typical {
        kind,
        category,
        description,
        quantity,
        fate,
        to_owner,
        probability,
    }
}

use Fate::{Contraband as Ctb, Evidence as Evd};

const THEFT: &[Typical] = &[typical(
    ("seize", "vehicle", "被盗电动自行车一辆", 1),
    Evd,
    true,
    0.6,
)];
const FRAUD: &[Typical] = &[
    typical(("seize", "phone", "作案用手机", 2), Evd, false, 0.8),
    typical(("seize", "cash", "涉案现金", 12_000), Evd, true, 0.3),
];
const INJURY: &[Typical] = &[typical(
    ("seize", "weapon", "作案用木棍一根", 1),
    Evd,
    false,
    0.5,
)];
const ROBBERY: &[Typical] = &[
    typical(("seize", "weapon", "作案用水果刀一把", 1), Evd, false, 0.8),
    typical(("seize", "phone", "被抢手机一部", 1), Evd, true, 0.6),
];
const DRUGS: &[Typical] = &[
    typical(
        ("seize", "drug", "疑似甲基苯丙胺（克）", 35),
        Ctb,
        false,
        1.0,
    ),
    typical(("seize", "cash", "毒资", 8_600), Ctb, false, 0.6),
    typical(("seize", "phone", "联络用手机", 1), Evd, false, 0.7),
];
const PROVOCATION: &[Typical] = &[typical(("seize", "weapon", "钢管", 2), Evd, false, 0.3)];
const DRUNK_DRIVING: &[Typical] = &[typical(
    ("seize", "vehicle", "涉案小型轿车一辆", 1),
    Evd,
    true,
    0.35,
)];
const AIDING: &[Typical] = &[
    typical(("seize", "phone", "手机", 3), Evd, false, 0.9),
    typical(("seize", "other", "银行卡（张）", 14), Evd, false, 0.8),
];
const DEPOSITS: &[Typical] = &[
    typical(
        ("obtain", "document", "公司账册及合同", 46),
        Evd,
        false,
        1.0,
    ),
    typical(("seal", "other", "公司办公场所", 1), Evd, false, 0.5),
];

/// Seizes what the cause typically yields, after filing (now and then, unlawfully, before).
pub(super) fn seize_evidence(c: &mut CaseCtx<'_>, catch: i64, filed: i64) {
    let items = match c.cause {
        Cause::Theft => THEFT,
        Cause::Fraud => FRAUD,
        Cause::Injury => INJURY,
        Cause::Robbery => ROBBERY,
        Cause::DrugTrafficking => DRUGS,
        Cause::Provocation => PROVOCATION,
        Cause::DrunkDriving => DRUNK_DRIVING,
        Cause::AidingCyberCrime => AIDING,
        Cause::IllegalDeposits => DEPOSITS,
        _ => &[],
    };
    for item in items {
        if !c.chance(item.probability) {
            continue;
        }
        let lawful = (catch + c.mins(30, 180)).max(filed + c.mins(10, 120));
        let t = if item.kind != "obtain" && c.chance(0.02) {
            catch.min(filed) - c.mins(10, 60)
        } else {
            lawful
        };
        let what = Seizure {
            kind: item.kind,
            category: item.category,
            description: item.description.into(),
            quantity: Some(item.quantity),
            fate: item.fate,
        };
        c.seize(t, what, item.to_owner);
    }
}
