//! The untidy edges of real records: an entry made twice by mistake and retracted
//! (`event.retracted`, reason 误录), and now and then a sender-defined `x-` event.

use serde_json::json;

use crate::case::CaseCtx;
use crate::timeline::Subject;

/// Types a clerk plausibly enters twice.
const DUPLICABLE: &[&str] = &[
    "person.registered",
    "custody.admitted",
    "family.notified",
    "property.stored",
    "bodycam.uploaded",
    "document.issued",
    "case.decided",
    "area.health_checked",
    "interrogation.ended",
];

impl CaseCtx<'_> {
    /// In about 2% of cases one entry is duplicated and the duplicate retracted later; in about
    /// 0.4% a petition (`x-petition.received`) arrives.
    pub fn corrections(&mut self) {
        if self.chance(0.02) {
            let n = self
                .tl
                .events()
                .iter()
                .filter(|e| DUPLICABLE.contains(&e.ty))
                .count();
            if n > 0 {
                let k = self.rng_index(n);
                let original = self
                    .tl
                    .events()
                    .iter()
                    .filter(|e| DUPLICABLE.contains(&e.ty))
                    .nth(k);
                if let Some(e) = original {
                    let (at, ty, subject, data) = (e.at, e.ty, e.subject, e.data.clone());
                    let dup_at = at + self.mins(1, 90);
                    let dup = self.push(dup_at, ty, subject, data);
                    let retracted = dup_at + self.mins(10, 3 * 24 * 60);
                    self.tl.push_retraction(retracted, dup);
                }
            }
        }
        if self.chance(0.004) {
            let first = self.tl.events().first().map_or(0, |e| e.at);
            let t = first + self.days(3, 60);
            self.push(
                t,
                "x-petition.received",
                Subject::None,
                json!({"channel": "12389", "summary": "当事人来电反映案件办理进度"}),
            );
        }
    }
}
